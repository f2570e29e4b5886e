"""An installed wheel (not only the source tree) carries the data tables, finds them, and runs.

The wheel is built once per session; it is installed with ``pip install --target`` into a fresh
folder (the layout of a ``--user`` or any non-venv install: nothing beside ``sys.prefix``) and also
zipped (a zip import), and ``tlkit`` runs from there with the repository out of reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tlkit import _data
from tlkit.errors import DataError

SHIPPED_DATA = ("support", "samples", "attest", "boot", "defender")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("tlkit-*.whl")
    return built


@pytest.fixture(scope="module")
def target(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("target")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    return site


def _run_tlkit(pythonpath: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tlkit ARGS`` with ``pythonpath`` first on the path, run from ``cwd`` (not the repository)."""
    env = {k: v for k, v in os.environ.items() if k not in (_data.DATA_ENV, "PYTHONPATH")}
    env["PYTHONPATH"] = str(pythonpath)
    code = (
        "import sys, tlkit, tlkit.cli; print('FROM', tlkit.__file__, file=sys.stderr); "
        "sys.exit(tlkit.cli.main())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_wheel_ships_the_data_as_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.split("tlkit/data/", 1)[1] for n in names if n.startswith("tlkit/data/")}
    in_repo = {str(p.relative_to(REPO / "data")) for d in SHIPPED_DATA for p in (REPO / "data" / d).iterdir()}
    assert shipped == in_repo | {"__init__.py"}
    assert "support/SOURCES.md" in shipped
    assert "tlkit/py.typed" in names
    assert not any("fixtures" in n for n in names)  # test fixtures stay in the repository
    assert not any("/share/" in n for n in names)  # nothing beside sys.prefix


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["target", "zip"])
def test_installed_wheel_runs_the_cli(layout: str, target: Path, tmp_path: Path) -> None:
    path = target
    if layout == "zip":
        path = tmp_path / "tlkit.zip"
        with zipfile.ZipFile(path, "w") as z:
            for f in (target / "tlkit").rglob("*"):
                if f.is_file() and "__pycache__" not in f.parts:
                    z.write(f, f.relative_to(target).as_posix())
    work = tmp_path / "elsewhere"
    work.mkdir()
    helped = _run_tlkit(path, work, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "check" in helped.stdout
    assert "Traceback" not in helped.stderr
    checked = _run_tlkit(
        path, work, "check", "--size", "Standard_D4s_v5", "--os", "Ubuntu 22.04", "--format", "json"
    )
    assert f"FROM {path}" in checked.stderr  # the installed copy, not the repository's
    assert checked.returncode == 0, checked.stderr
    assert '"verdict": "compatible"' in checked.stdout


def test_every_package_is_listed_in_pyproject() -> None:
    """pyproject lists the packages (tlkit.data maps the top-level data/ folder): none forgotten."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    in_tree = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "tlkit").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert set(config["packages"]) == in_tree | {"tlkit.data"}
    assert config["package-dir"]["tlkit.data"] == "data"


def test_data_root_search_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(_data.DATA_ENV, raising=False)
    assert _data.data_root().joinpath("support", "SOURCES.md").is_file()  # the package tlkit.data
    monkeypatch.setenv(_data.DATA_ENV, str(tmp_path))
    assert _data.data_root() == tmp_path
    # Neither the package nor a checkout: a clear error naming the variable.
    monkeypatch.delenv(_data.DATA_ENV)
    monkeypatch.setattr(_data, "DATA_PACKAGE", "tlkit_no_such_package")
    monkeypatch.setattr(_data, "__file__", str(tmp_path / "pkg" / "tlkit" / "_data.py"))
    with pytest.raises(DataError, match="TLKIT_DATA_DIR"):
        _data.data_root()
    checkout = tmp_path / "pkg" / "data"
    (checkout / "support").mkdir(parents=True)
    assert _data.data_root() == checkout


def test_data_cache_follows_tlkit_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every cache over the tables is emptied when TLKIT_DATA_DIR changes: new texts, no reload call."""
    import json

    from tlkit import support

    copy = tmp_path / "data"
    shutil.copytree(REPO / "data" / "support", copy / "support")
    messages = json.loads((copy / "support" / "messages.json").read_text(encoding="utf-8"))
    messages["blockers"]["gen1"]["message"] = "CHANGED gen1 text"
    messages["notes"]["arm64-images"]["text"] = "CHANGED arm64 note"
    (copy / "support" / "messages.json").write_text(json.dumps(messages), encoding="utf-8")
    sizes = (copy / "support" / "size_cpus.csv").read_text(encoding="utf-8")
    (copy / "support" / "size_cpus.csv").write_text(
        sizes.replace("*,,*,,Intel,", "*,,*,,Other,"), encoding="utf-8"
    )

    def probe() -> tuple[str, str, str]:
        gen1 = support.check_vm("Standard_D2s_v5", os="Ubuntu 22.04", generation=1, as_of="2026-07")
        arm = support.check_vm("Standard_D4ps_v6", os="Ubuntu 22.04", generation=2, as_of="2026-07")
        return gen1.blockers[0].message, arm.notes[-1], support.parse_size("Standard_D2s_v5").cpu_vendor

    monkeypatch.delenv(_data.DATA_ENV, raising=False)
    before = probe()  # fills every cache from the repository's tables
    assert "CHANGED" not in before[0]
    assert before[2] == "Intel"
    monkeypatch.setenv(_data.DATA_ENV, str(copy))
    after = probe()
    assert after[0] == "CHANGED gen1 text"
    assert "CHANGED arm64 note" in support.check_vm("Standard_D4ps_v6", os="Ubuntu 22.04", generation=2).notes
    assert after[2] == "Other"
    # Edited in place under the same root: reload_data() is the explicit way.
    messages["blockers"]["gen1"]["message"] = "EDITED again"
    (copy / "support" / "messages.json").write_text(json.dumps(messages), encoding="utf-8")
    support.reload_data()
    assert probe()[0] == "EDITED again"
    monkeypatch.delenv(_data.DATA_ENV)
    assert probe() == before
