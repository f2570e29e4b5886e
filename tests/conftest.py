"""Shared test helpers: where the real fixtures live, and how missing real components are handled.

Real fixtures ship with the repository under ``data/fixtures/`` (origin, licence and purpose of each
in ``data/fixtures/SOURCES.md``); a missing fixture is always a failure, never a skip. A missing real
component (swtpm, tpm2-tools) skips with a loud reason on a user's machine and FAILS when CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "data" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Property tests: no wall-clock deadlines (2 shared cores), and in CI a fixed example sequence so a
# run is reproducible; locally hypothesis explores new examples every run.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if IN_CI else "dev")


def fixture_path(rel: str) -> Path:
    """Path of a fixture under ``data/fixtures``, e.g. ``"keylime/test-data/files/quote.out"``.

    The fixtures ship with the repository, so a missing one fails the test (never skips).
    """
    p = FIXTURES / rel
    if not p.exists():
        pytest.fail(f"fixture missing: {p} (it ships with the repository; see data/fixtures/SOURCES.md)")
    return p


def expected_pcrs() -> dict[str, Any]:
    """``data/fixtures/_derived/expected_pcrs.json`` as a dict."""
    data: dict[str, Any] = json.loads(fixture_path("_derived/expected_pcrs.json").read_text())
    return data


#: The Debian package that provides each real component tests use.
APT_PACKAGE = {
    "swtpm": "swtpm",
    "swtpm_ioctl": "swtpm-tools",
    "swtpm_setup": "swtpm-tools",
    "chromium": "chromium",
}


def require_binaries(*names: str) -> None:
    """Skip (user machine) or fail (CI=true) unless every named binary is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        packages = sorted({APT_PACKAGE.get(n, "tpm2-tools") for n in missing})
        msg = f"real component missing: {', '.join(missing)} (apt-get install {' '.join(packages)})"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    """Close the figures a test drew (pyplot keeps every figure open until closed)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
