"""Real-browser fixtures: Debian's Chromium driven by Python Playwright against Voila and JupyterLab.

* The servers run on a temporary copy of ``notebooks/*.ipynb`` and ``data/`` (JupyterLab autosaves, and the
  committed outputs must never be rewritten), listen on 127.0.0.1 on a free port without a token, and are
  killed with their whole process group when the package's tests are done (fixtures are package-scoped, so
  nothing keeps running during the rest of the suite). Server logs: ``<tmp>/browser*/{voila,jupyterlab}.log``.
* Readiness is polled (JupyterLab: ``GET /api/status``; Voila: the TCP port, because any other page would
  start a kernel); a server that dies while starting is retried on a new port, then fails with its log.
* Chromium is the system one (``apt-get install chromium``; Playwright's own browser download is never used).
  It is missing -> skip on a user's machine, FAIL when ``CI=true`` (:func:`tests.conftest.require_binaries`).
* Voila runs with tlkit's template (``notebooks/jupyter``, ``--template=tlkit``), as ``make voila`` does.
* Every page records its requests and console messages: :func:`assert_offline_and_quiet` fails on any
  request that leaves 127.0.0.1 and on any console error or warning other than
  :data:`KNOWN_UPSTREAM_WARNINGS`.
* :func:`timed` measures how long the kernel takes to answer a browser action; the figures are
  printed at the end of the run (and kept in ``/tmp/tlkit-browser/timings.txt``).
* A failing test leaves a screenshot in its ``tmp_path``; :func:`snapshot` keeps one for humans under
  ``/tmp/tlkit-browser/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, REPO, require_binaries

FIRST_RENDER_MS = 60_000
"""Budget for a server's first page: kernel start plus executing the whole notebook."""
UPDATE_MS = 30_000
"""Budget for one round trip browser -> kernel -> browser on 2 busy cores."""
SERVER_START_S = 60.0
HUMAN_SCREENSHOTS = Path("/tmp/tlkit-browser")
VOILA_TEMPLATES = REPO / "notebooks" / "jupyter"
"""``JUPYTER_PATH`` entry holding ``voila/templates/tlkit`` (the lab template without CDN stylesheets)."""

KNOWN_UPSTREAM_WARNINGS = (
    re.compile(
        r"Unsatisfied version \S+ from _JUPYTERLAB\.CORE_OUTPUT of shared singleton module "
        r"@jupyterlab/[a-z-]+ \(required \^\S+\)"
    ),
    re.compile(
        r"No satisfying version \(\^\S+\) of shared module @jupyterlab/[a-z-]+ found in shared scope "
        r"default\.\s+Available versions: \S+ from _JUPYTERLAB\.CORE_OUTPUT"
    ),
)
"""Webpack's notices that Voila 0.5.13's page core (JupyterLab 4.2.5 packages) is older than what its own
widgets-manager8 (built against 4.5.10) and jupyterlab_widgets 3.0.17 (4.6.2) were built against
(voila-dashboards/voila#1514). They come from Voila's bundles, not from tlkit's widgets, and webpack
falls back to the core copy (the tests prove the widgets work); no setting of ours removes them."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# JupyterLab user settings for the test server: no news/update toast over the page, no autosave, and
# every cell kept in the DOM (JupyterLab 4 may window out cells outside the viewport).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "autoStartDefaultKernel": True,
    },
}


def _need_module(name: str) -> Any:
    """Import ``name``; skip (user machine) or fail (CI=true) when it is not installed."""
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        msg = f"{name} is not installed (pip install -e '.[test]')"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Server:
    """A Jupyter-family server in its own process group; :meth:`stop` ends the group."""

    def __init__(self, name: str, root: Path, env: dict[str, str], log: Path) -> None:
        self.name, self.root, self.env, self.log = name, root, env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, argv: Callable[[int], list[str]], ready: Callable[[int], bool]) -> None:
        """Start ``argv(port)`` on a free port and poll ``ready(port)``; retry twice on an early exit."""
        for _attempt in range(3):
            self.port = _free_port()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    argv(self.port),
                    cwd=self.root,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            deadline = time.monotonic() + SERVER_START_S
            while time.monotonic() < deadline and self.proc.poll() is None:
                if ready(self.port):
                    return
                time.sleep(0.2)
            if self.proc.poll() is None:
                break
        self.stop()
        tail = self.log.read_text(errors="replace")[-3000:]
        pytest.fail(f"{self.name} did not become ready on port {self.port}; log tail:\n{tail}")

    def stop(self) -> None:
        """SIGTERM the server's group (it shuts its kernels down), SIGKILL whatever is left.

        jupyter_client starts kernels in sessions of their own, so they are collected beforehand as
        descendants of the server and killed individually if they outlive it.
        """
        if self.proc is None or self.proc.poll() is not None:
            return
        kernels = _descendants(self.proc.pid)
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """Live descendants of ``pid`` (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture(scope="package")
def chromium() -> str:
    """Path of the system Chromium (skip/fail per :func:`tests.conftest.require_binaries`)."""
    require_binaries("chromium")
    path = shutil.which("chromium")
    assert path is not None
    return path


@pytest.fixture(autouse=True)
def _chromium_first(chromium: str) -> None:
    """Check for Chromium before any server fixture starts (a missing browser costs no server start)."""


@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Any]:
    """One headless Chromium for the session."""
    sync_api = _need_module("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What one page did: every request URL and every console message as ``(type, text)``."""

    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)


WATCHES: dict[int, Watch] = {}
TIMINGS: list[tuple[str, float]] = []


def assert_offline_and_quiet(page: Any) -> Watch:
    """Fail on a request beyond 127.0.0.1 and on a console error or (non-upstream) warning."""
    watch = WATCHES[id(page)]
    remote = [u for u in watch.requests if not re.match(r"(https?|wss?)://127\.0\.0\.1[:/]|data:|blob:", u)]
    assert not remote, f"requests left 127.0.0.1: {remote}"
    bad = [
        f"{kind}: {text}"
        for kind, text in watch.console
        if kind == "error"
        or (kind == "warning" and not any(k.fullmatch(text) for k in KNOWN_UPSTREAM_WARNINGS))
    ]
    assert not bad, "console errors/warnings:\n" + "\n".join(bad)
    return watch


def timed(name: str, action: Callable[[], None], done: Callable[[], None]) -> float:
    """Run ``action`` then wait for ``done`` (an ``expect``); record and return the seconds it took."""
    start = time.monotonic()
    action()
    done()
    seconds = time.monotonic() - start
    TIMINGS.append((name, seconds))
    return seconds


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    lines = [f"{name:<60} {1000 * s:7.0f} ms" for name, s in TIMINGS]
    terminalreporter.write_sep("-", "browser: kernel round trips (action -> page updated)")
    for line in lines:
        terminalreporter.write_line(line)
    HUMAN_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (HUMAN_SCREENSHOTS / "timings.txt").write_text("\n".join(lines) + "\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"_browser_rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path, workdir: Path) -> Iterator[Any]:
    """A fresh page (1280x900). On a failure: a screenshot in ``tmp_path`` and the servers' log tails."""
    _need_module("playwright.sync_api").expect.set_options(timeout=UPDATE_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(UPDATE_MS)
    watch = WATCHES[id(pg)] = Watch()
    pg.on("request", lambda r: watch.requests.append(r.url))
    pg.on("websocket", lambda ws: watch.requests.append(ws.url))
    pg.on("console", lambda m: watch.console.append((m.type, m.text)))
    yield pg
    rep = getattr(request.node, "_browser_rep_call", None)
    if rep is not None and rep.failed:
        shot = tmp_path / "failure.png"
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(shot), full_page=True)
            print(f"failure screenshot: {shot}")
        for log in sorted(workdir.parent.glob("*.log")):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
            print(f"--- {log} (last lines) ---\n{tail}")
    context.close()
    WATCHES.pop(id(pg), None)


def tracebacks(page: Any) -> Any:
    """Locator of the error outputs (JupyterLab and Voila render them as stderr with a traceback)."""
    return page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']", has_text="Traceback"
    )


def fail_on_tracebacks(page: Any, where: str) -> None:
    """Fail with the text of the page's error outputs, if any (a dashboard must run through)."""
    errors = tracebacks(page)
    if errors.count():
        text = "\n".join(errors.all_inner_texts())
        pytest.fail(f"{where}: a cell raised:\n{text[-4000:]}")


def open_voila(page: Any, url: str, ready: Any) -> None:
    """Open a Voila page; wait for the ``ready`` locator or an error output, and fail on the latter.

    Voila stops executing at the first error, so a widget after it would never appear: failing on the
    traceback turns a 60 s timeout into the notebook's own error message.
    """
    from playwright.sync_api import expect

    page.goto(url, timeout=FIRST_RENDER_MS)
    expect(ready.or_(tracebacks(page)).first).to_be_visible(timeout=FIRST_RENDER_MS)
    fail_on_tracebacks(page, url)


def snapshot(target: Any, name: str) -> Path:
    """Save a screenshot of a page or a locator for humans under ``/tmp/tlkit-browser/<name>.png``."""
    HUMAN_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = HUMAN_SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


@pytest.fixture(scope="package")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<tmp>/work/{notebooks,data}``: a copy, so ``../data`` resolves and nothing writes into the repo."""
    work = tmp_path_factory.mktemp("browser") / "work"
    (work / "notebooks").mkdir(parents=True)
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, work / "notebooks" / nb.name)
    shutil.copytree(REPO / "data", work / "data")
    return work


@pytest.fixture(scope="package")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the servers and their kernels: isolated Jupyter dirs, JupyterLab settings."""
    home = tmp_path_factory.mktemp("jupyter-home")
    settings = home / "lab-settings"
    for rel, value in LAB_SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTER_DATA_DIR=str(home / "data"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        TQDM_DISABLE="1",
    )
    return env


@pytest.fixture(scope="package")
def voila(workdir: Path, server_env: dict[str, str]) -> Iterator[str]:
    """Base URL of a Voila server over ``<workdir>/notebooks``; pages are ``/voila/render/<nb>``."""
    _need_module("voila")
    env = {**server_env, "JUPYTER_PATH": str(VOILA_TEMPLATES)}
    server = Server("voila", workdir / "notebooks", env, workdir.parent / "voila.log")
    server.start(
        lambda port: [
            sys.executable,
            "-m",
            "voila",
            str(workdir / "notebooks"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            "--show_tracebacks=True",
            "--template=tlkit",
        ],
        _port_open,
    )
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture(scope="package")
def lab(workdir: Path, server_env: dict[str, str]) -> Iterator[str]:
    """Base URL of a JupyterLab server (no token, app exposed as ``window.jupyterapp``) over ``workdir``."""
    _need_module("jupyterlab")
    # As `make lab` does: JupyterLab draws stored widget outputs only in trusted notebooks.
    notebooks = sorted(str(p) for p in (workdir / "notebooks").glob("[0-9]*.ipynb"))
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", *notebooks],
        env=server_env,
        check=True,
        capture_output=True,
    )
    server = Server("jupyterlab", workdir, server_env, workdir.parent / "jupyterlab.log")
    server.start(
        lambda port: [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={workdir}",
            "--LabApp.extension_manager=readonly",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ],
        lambda port: _http_ok(f"http://127.0.0.1:{port}/api/status"),
    )
    yield f"http://127.0.0.1:{server.port}"
    server.stop()
