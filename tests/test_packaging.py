"""An installed wheel (not only the source tree) carries the data tables and finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tlkit import _data
from tlkit.errors import DataError


@pytest.mark.slow
def test_wheel_ships_the_data_tables(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tlkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.split("/share/tlkit/data/", 1)[1] for n in names if "/share/tlkit/data/" in n}
    in_repo = {
        str(p.relative_to(REPO / "data"))
        for d in ("support", "samples")
        for p in (REPO / "data" / d).iterdir()
    }
    assert shipped == in_repo
    assert "support/SOURCES.md" in shipped
    assert "tlkit/py.typed" in names


def test_data_root_search_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(_data.DATA_ENV, raising=False)
    assert (_data.data_root() / "support" / "SOURCES.md").is_file()  # the repository checkout
    monkeypatch.setenv(_data.DATA_ENV, str(tmp_path))
    assert _data.data_root() == tmp_path
    # Neither a checkout nor an installed share/ folder: a clear error naming the variable.
    monkeypatch.delenv(_data.DATA_ENV)
    monkeypatch.setattr(_data, "__file__", str(tmp_path / "pkg" / "tlkit" / "_data.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    with pytest.raises(DataError, match="TLKIT_DATA_DIR"):
        _data.data_root()
    share = tmp_path / "prefix" / "share" / "tlkit" / "data"
    (share / "support").mkdir(parents=True)
    assert _data.data_root() == share
