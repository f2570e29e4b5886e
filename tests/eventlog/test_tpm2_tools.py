"""Logs written by tlkit are read by the real ``tpm2_eventlog`` (tpm2-tools) to the same PCRs.

Debian's tpm2-tools 5.4 is wrong on PCR0 for StartupLocality and SP800-155 logs (it predates
tpm2-tools#3242/#3224) and crashes on ``option_rom_eventlog``; on those logs only the other PCRs
are compared, and our PCR0 is checked against the upstream expected values in test_replay.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_binaries
from tests.eventlog.logs import GA, GT, KL, LOGS, TT, log_bytes, short
from tlkit.eventlog import EventLog, EventType, make_event, parse, write

pytestmark = pytest.mark.tools

TOOL_WRONG_PCR0 = {
    GT + "confidential-gke-debug-251000_eventlog.bin",
    GT + "eventlogwithsp800155.bin",
    GT + "gdc-host.bin",
    GT + "glinux-alex.bin",
    KL + "create-mb-policy/binary_bios_measurements",
}
TOOL_FAILS = {GA + "option_rom_eventlog", GA + "short_no_action_eventlog"}
TOOL_RIGHT = [rel for rel in LOGS if rel not in TOOL_WRONG_PCR0 | TOOL_FAILS]


def _tool_pcrs(path: Path) -> dict[str, dict[int, str]]:
    """Run tpm2_eventlog and read the ``pcrs:`` section of its YAML."""
    p = subprocess.run(["tpm2_eventlog", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    out: dict[str, dict[int, str]] = {}
    bank = None
    in_pcrs = False
    for line in p.stdout.splitlines():
        if line.startswith("pcrs:"):
            in_pcrs = True
            continue
        if not in_pcrs:
            continue
        m = re.match(r"^  (\w+):\s*$", line)
        if m:
            bank = m.group(1)
            out[bank] = {}
            continue
        m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)", line)
        if m and bank:
            out[bank][int(m.group(1))] = m.group(2).lower()
    return out


def _ours(log: EventLog) -> dict[str, dict[int, str]]:
    return {b: {p: v.hex() for p, v in pcrs.items()} for b, pcrs in log.replay_all().items()}


@pytest.fixture(autouse=True)
def _needs_tool() -> None:
    require_binaries("tpm2_eventlog")


@pytest.mark.parametrize("rel", TOOL_RIGHT, ids=short)
def test_written_log_replays_the_same_in_tpm2_eventlog(rel: str, tmp_path: Path) -> None:
    log = parse(log_bytes(rel))
    out = tmp_path / "log.bin"
    out.write_bytes(write(log))
    assert _tool_pcrs(out) == _ours(log)


@pytest.mark.parametrize("rel", sorted(TOOL_WRONG_PCR0), ids=short)
def test_tool_agrees_except_on_pcr0(rel: str, tmp_path: Path) -> None:
    log = parse(log_bytes(rel))
    out = tmp_path / "log.bin"
    out.write_bytes(write(log))
    tool, ours = _tool_pcrs(out), _ours(log)
    assert list(tool) == list(ours)
    for bank in ours:
        assert tool[bank][0] != ours[bank][0]
        assert {p: v for p, v in tool[bank].items() if p} == {p: v for p, v in ours[bank].items() if p}


@pytest.mark.parametrize(
    "rel", [GT + "debian-10.bin", TT + "event-uefi-sha1-log.bin", GA + "ebs_event_missing_eventlog"]
)
def test_sha1_log_converted_to_crypto_agile(rel: str, tmp_path: Path) -> None:
    log = parse(log_bytes(rel))
    out = tmp_path / "agile.bin"
    out.write_bytes(write(log, "crypto-agile"))
    assert _tool_pcrs(out) == {"sha1": {p: v.hex() for p, v in log.replay("sha1").items()}}


def test_log_built_in_memory_with_four_banks(tmp_path: Path) -> None:
    banks = ("sha1", "sha256", "sha384", "sha512")
    events = [
        make_event(0, EventType.EV_S_CRTM_VERSION, "tlkit 1.0\x00".encode("utf-16-le"), banks),
        make_event(4, EventType.EV_EFI_ACTION, b"Calling EFI Application from Boot Option", banks),
        make_event(7, EventType.EV_SEPARATOR, b"\x00\x00\x00\x00", banks),
        make_event(4, EventType.EV_EFI_BOOT_SERVICES_APPLICATION, b"\x00" * 32, banks, measured=b"PE image"),
    ]
    log = EventLog.from_events(events, banks=banks)
    out = tmp_path / "built.bin"
    out.write_bytes(write(log))
    tool = _tool_pcrs(out)
    assert tool == _ours(log)
    assert set(tool) == set(banks)
