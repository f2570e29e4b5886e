"""Snapshots and ``as_of`` resolution; integrity of every data/support table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tlkit.errors import DataError
from tlkit.support import resolve_snapshot, snapshots, snapshots_frame
from tlkit.support._matrix import _rows
from tlkit.support._snapshots import data_dir, load_csv

REQUIRED = ("2021-02", "2022-05", "2023-04", "2023-11", "2025-04", "2026-07")


def test_required_snapshots_oldest_first() -> None:
    ids = [s.id for s in snapshots()]
    assert set(REQUIRED) <= set(ids)
    dates = [s.date for s in snapshots()]
    assert dates == sorted(dates)
    assert ids[0] == "2021-02"
    assert ids[-1] == "2026-07"
    assert all(s.source and s.tag for s in snapshots())


def test_frame() -> None:
    df = snapshots_frame()
    assert list(df["id"]) == [s.id for s in snapshots()]
    assert {"date", "tag", "source", "ms_date", "tlad_stage"} <= set(df.columns)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (None, "2026-07"),
        ("2025-04", "2025-04"),
        ("2025-04b", "2025-04b"),
        ("TL-2025a", "2025-04"),
        ("2025-05", "2025-04b"),
        ("2025-05-28", "2025-04"),
        ("2024-12", "2023-11"),
        ("2023-11-05", "2023-04"),
        ("2021-02-26", "2021-02"),
        (dt.date(2026, 8, 3), "2026-07"),
        (dt.datetime(2022, 6, 1, 12, 0), "2022-05"),
        ("2030-01-01", "2026-07"),
    ],
)
def test_as_of_resolution(as_of: object, expected: str) -> None:
    assert resolve_snapshot(as_of).id == expected  # type: ignore[arg-type]


def test_snapshot_object_passes_through() -> None:
    s = snapshots()[2]
    assert resolve_snapshot(s) is s


@pytest.mark.parametrize("bad", ["2021-01", "2020-12-31", dt.date(2000, 1, 1)])
def test_before_first_snapshot_is_data_error(bad: object) -> None:
    with pytest.raises(DataError, match="before the first snapshot") as e:
        resolve_snapshot(bad)  # type: ignore[arg-type]
    assert e.value.field == "as_of"


@pytest.mark.parametrize("bad", ["yesterday", "2025-13", "2025-02-30", "", 2025])
def test_bad_as_of_is_data_error(bad: object) -> None:
    with pytest.raises(DataError) as e:
        resolve_snapshot(bad)  # type: ignore[arg-type]
    assert e.value.field == "as_of"


def test_every_data_file_is_cited_in_sources() -> None:
    sources = (data_dir() / "SOURCES.md").read_text(encoding="utf-8")
    for path in sorted(data_dir().iterdir()):
        if path.suffix in (".csv", ".json"):
            assert f"`{path.name}`" in sources, path.name
    for tag in {s.tag for s in snapshots()}:
        assert tag in sources


def test_json_files_parse() -> None:
    for path in Path(data_dir()).glob("*.json"):
        assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)


def test_size_rows_have_no_ambiguous_ties() -> None:
    """Two rows of one snapshot with the same match spec must not disagree."""
    for snap, rows in _rows().items():
        seen: dict[tuple[str, ...], str] = {}
        for r in rows:
            key = (r.kind, r.family, r.features, r.version, r.accelerator)
            assert seen.setdefault(key, r.status) == r.status, (snap, r.label)


def test_every_snapshot_has_os_features_regions_and_tlad_rules() -> None:
    tlad = json.loads((data_dir() / "tlad.json").read_text(encoding="utf-8"))
    for s in snapshots():
        assert any(r["snapshot"] == s.id for r in load_csv("os_versions.csv")), s.id
        assert any(r["snapshot"] == s.id for r in load_csv("features.csv")), s.id
        assert any(r["snapshot"] == s.id for r in load_csv("regions.csv")), s.id
        assert s.id in tlad["snapshots"], s.id


def test_missing_data_file_is_data_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tlkit.support import _snapshots

    monkeypatch.setenv("TLKIT_DATA_DIR", str(tmp_path))
    _snapshots.load_csv.cache_clear()
    try:
        with pytest.raises(DataError, match="cannot read support data file"):
            _snapshots.load_csv("snapshots.csv")
    finally:
        monkeypatch.delenv("TLKIT_DATA_DIR")
        _snapshots.load_csv.cache_clear()


def test_malformed_row_is_data_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tlkit.support import _snapshots

    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "bad.csv").write_text("a,b\n1,2,3\n", encoding="utf-8")
    monkeypatch.setenv("TLKIT_DATA_DIR", str(tmp_path))
    _snapshots.load_csv.cache_clear()
    try:
        with pytest.raises(DataError) as e:
            _snapshots.load_csv("bad.csv")
        assert e.value.record == "bad.csv:2"
    finally:
        monkeypatch.delenv("TLKIT_DATA_DIR")
        _snapshots.load_csv.cache_clear()


def test_messages_have_text_and_source() -> None:
    msgs = json.loads((data_dir() / "messages.json").read_text(encoding="utf-8"))
    for code, m in msgs["blockers"].items():
        assert m["message"], code
        assert m["remediation"], code
        assert m["source"], code
    for key, n in msgs["notes"].items():
        assert n["text"], key
        assert n["source"], key


def test_tlad_snapshot_rules_are_well_formed() -> None:
    tlad = json.loads((data_dir() / "tlad.json").read_text(encoding="utf-8"))
    for snap, rules in tlad["snapshots"].items():
        for path in rules["api_paths"]:
            dt.date.fromisoformat(path["min_api"])
            assert path["flag"] in (None, *tlad["flags"].values()), snap
        assert set(rules["standard"]) == {"accepted", "requires_flag", "min_api"}, snap


def test_missing_column_is_data_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tlkit.support import _snapshots

    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "regions.csv").write_text(
        "snapshot,cloud,note\n2026-07,public,x\n", encoding="utf-8"
    )
    monkeypatch.setenv("TLKIT_DATA_DIR", str(tmp_path))
    _snapshots.load_csv.cache_clear()
    try:
        with pytest.raises(DataError) as e:
            _snapshots.load_csv("regions.csv")
        assert (e.value.record, e.value.field) == ("regions.csv", "regions")
    finally:
        monkeypatch.delenv("TLKIT_DATA_DIR")
        _snapshots.load_csv.cache_clear()


def test_no_snapshot_source_names_an_absolute_path() -> None:
    for s in snapshots():
        assert "/work/" not in s.source, s.id
        assert not any(part.startswith("/") and len(part) > 1 for part in s.source.split()), s.id
    assert "Korean seed (trusted-launch.ko.txt)" in resolve_snapshot("2025-04").source
