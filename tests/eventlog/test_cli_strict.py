"""``tlkit eventlog verify`` never prints PASS (exit 0) for a log whose data is not what was measured."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.conftest import fixture_path
from tests.eventlog.logs import KL
from tlkit.cli import main
from tlkit.eventlog import parse, write

OVMF_SB = KL + "create-mb-policy/binary_bios_measurements-secureboot"


def _files(tmp_path: Path) -> tuple[Path, Path, Path, int]:
    """The real OVMF Secure Boot log, a copy whose logged kernel command line gains ``lockdown=none``
    (digests kept), the PCR values that log replays to (as ``tpm2_pcrread`` would show them), and the
    index of the doctored event."""
    log = parse(fixture_path(OVMF_SB).read_bytes())
    k = next(e for e in log if e.pcr == 8 and e.data.startswith(b"kernel_cmdline: "))
    doctored = log.replaced(k.index, dataclasses.replace(k, data=k.data[:-1] + b" lockdown=none\x00"))
    good, bad, pcrs = tmp_path / "good.bin", tmp_path / "doctored.bin", tmp_path / "pcrs.json"
    good.write_bytes(write(log))
    bad.write_bytes(write(doctored))
    pcrs.write_text(json.dumps({"sha256": {str(p): v.hex() for p, v in log.replay("sha256").items()}}))
    return good, bad, pcrs, k.index


def test_doctored_kernel_command_line_exits_1_and_json_says_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad, pcrs, index = _files(tmp_path)
    assert main(["eventlog", "verify", str(good), "--pcrs", str(pcrs), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"]["passed"] is True
    rc = main(["eventlog", "verify", str(bad), "--pcrs", str(pcrs), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert out["sha256"]["passed"] is False
    assert out["sha256"]["reasons"] == [f"payload-digest-mismatch:{index}"]
    assert out["sha256"]["mismatched"] == []  # the replay alone would have passed


def test_doctored_kernel_command_line_text_output_says_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, bad, pcrs, index = _files(tmp_path)
    assert main(["eventlog", "verify", str(bad), "--pcrs", str(pcrs)]) == 1
    out = capsys.readouterr().out
    assert "sha256: FAIL" in out
    assert "PASS" not in out
    assert f"event {index} (EV_IPL, PCR 8)" in out


def test_verify_only_narrows_to_the_pcrs_the_caller_asks_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quoted PCR the log does not explain fails; ``--only`` narrows the check to what the log covers."""

    log_path = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    log = parse(log_path.read_bytes())
    table = {str(p): v.hex() for p, v in log.replay("sha256").items()}
    table["10"] = "11" * 32  # a quoted PCR this log has no events for, not at its reset value
    pcrs = tmp_path / "pcrs.json"
    pcrs.write_text(json.dumps({"sha256": table}))

    assert main(["eventlog", "verify", str(log_path), "--pcrs", str(pcrs), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["sha256"]["passed"] is False
    assert "pcr-not-covered:10" in doc["sha256"]["reasons"]

    assert (
        main(["eventlog", "verify", str(log_path), "--pcrs", str(pcrs), "--only", "0-9", "--format", "json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["sha256"]["passed"] is True
    assert doc["sha256"]["skipped_checks"] == []


def test_verify_without_payload_check_says_what_it_did_not_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    log_path = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    log = parse(log_path.read_bytes())
    pcrs = tmp_path / "pcrs.json"
    pcrs.write_text(json.dumps({"sha256": {str(p): v.hex() for p, v in log.replay("sha256").items()}}))
    assert main(["eventlog", "verify", str(log_path), "--pcrs", str(pcrs), "--no-payload-check"]) == 0
    assert "NOT CHECKED: event data against the digests derived from it" in capsys.readouterr().out
