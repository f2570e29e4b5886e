"""``tlkit inventory report``: summary text/JSON, table output, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from tlkit.cli import main

SAMPLES = REPO / "data" / "samples"


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(
        ["inventory", "report", str(SAMPLES / "az-vm-list.json"), "--disks", str(SAMPLES / "disks.json")]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "inventory: az-vm-list.json (az-vm-list); support matrix snapshot 2026-07" in out
    assert "records: 320 = 315 VMs + 5 malformed" in out
    assert "  TL-full           120" in out
    assert "stale Gen1 imageReference after upgrade: 5" in out
    assert "top blockers:" in out
    assert "      85  gen1" in out
    assert "  #143 vm-ml-test-0143: hardwareProfile: missing" in out
    assert "undetermined (nothing blocks, something unchecked): 22" in out
    assert "  #235 ?: name: record has neither name nor id" in out


def test_json_report_and_csv_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_csv = tmp_path / "report.csv"
    rc = main(
        [
            "inventory",
            "report",
            str(SAMPLES / "resource-graph.csv"),
            "--format",
            "json",
            "--out",
            str(out_csv),
            "--as-of",
            "2025-04",
            "--top",
            "2",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert doc["source_format"] == "resource-graph-projected"
    assert (doc["records_in"], doc["rows"], doc["malformed"]) == (320, 315, 5)
    assert doc["as_of"] == "2025-04"
    assert doc["snapshot"] == "2025-04"
    assert len(doc["top_blockers"]) == 2
    assert [m["index"] for m in doc["malformed_records"]] == [143, 145, 173, 226, 235]
    table = pd.read_csv(out_csv)
    assert len(table) == 315
    assert set(table["snapshot"]) == {"2025-04"}


def test_parquet_table(tmp_path: Path) -> None:
    out = tmp_path / "report.parquet"
    assert main(["inventory", "report", str(SAMPLES / "resource-graph.json"), "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert len(table) == 315
    assert table["compatible"].dtype == "boolean"


def test_bad_out_suffix_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["inventory", "report", str(SAMPLES / "az-vm-list.json"), "--out", str(tmp_path / "r.xlsx")])
    assert rc == 2
    assert "--out must end in .csv or .parquet" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'{"hello": 1}', "neither a VM resource"), (b"", "empty file"), (b'[{"a": 1}]', "no record looks")],
)
def test_unusable_export_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    p = tmp_path / "vms.json"
    p.write_bytes(content)
    assert main(["inventory", "report", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlkit: error: vms.json: ")
    assert message in err


def test_missing_file_and_bad_as_of_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "report", str(tmp_path / "absent.json")]) == 2
    assert "absent.json: cannot read" in capsys.readouterr().err
    assert main(["inventory", "report", str(SAMPLES / "az-vm-list.json"), "--as-of", "1999-01-01"]) == 2
    assert "before the first snapshot" in capsys.readouterr().err


def test_disk_export_points_to_the_disks_option(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["inventory", "report", str(SAMPLES / "disks.json")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "disks.json is a disk export" in err
    assert "--disks" in err
    assert "malformed" not in err
    assert "Traceback" not in err
