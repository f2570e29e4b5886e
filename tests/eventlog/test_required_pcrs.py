"""A log that leaves out a whole firmware PCR does not verify (``pcr-not-replayed:N``)."""

from __future__ import annotations

import pytest

from tests.conftest import expected_pcrs
from tests.eventlog.logs import GA, GT, log_bytes
from tlkit.eventlog import FIRMWARE_PCRS, EventLog, EventType, parse, secure_boot_state

RHEL8 = GT + "rhel8-uefi.bin"


def _expected(rel: str, bank: str) -> dict[int, bytes]:
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"][bank]
    return {int(p): bytes.fromhex(v) for p, v in table.items()}


def _without(log: EventLog, *pcrs: int) -> EventLog:
    return log.with_events([e for e in log if e.pcr not in pcrs or e.event_type == EventType.EV_NO_ACTION])


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(log_bytes(RHEL8))


def test_default_required_is_firmware_pcrs() -> None:
    assert FIRMWARE_PCRS == (0, 1, 2, 3, 4, 5, 6, 7)


def test_dropping_pcr7_fails(rhel8: EventLog) -> None:
    expected = _expected(RHEL8, "sha256")
    assert rhel8.verify(expected, "sha256").passed
    dropped = _without(rhel8, 7)
    assert len(dropped) == len(rhel8) - 8
    r = dropped.verify(expected, "sha256")
    assert not r.passed
    assert r.reasons == ("pcr-not-replayed:7",)
    assert r.not_replayed == (7,)
    assert 7 not in r.not_covered
    assert r.matched == (0, 1, 2, 3, 4, 5, 6, 8, 9, 14)
    assert r.to_dict()["not_replayed"] == [7]
    assert r.to_frame().set_index("pcr").loc[7, "status"] == "not-replayed"
    assert "PCR 7 was extended" in r.explain()
    # the Secure Boot summary says the log has nothing to say about PCR 7
    assert secure_boot_state(dropped).notes[:2] == ("pcr7-not-logged", "secureboot-var-missing")
    assert "pcr7-not-logged" not in secure_boot_state(rhel8).notes


def test_dropping_pcr4_and_pcr7_fails(rhel8: EventLog) -> None:
    """The reviewer's case: every PCR 4 and PCR 7 event removed, verified against the real values."""
    r = _without(rhel8, 4, 7).verify(_expected(RHEL8, "sha256"), "sha256")
    assert not r.passed
    assert r.reasons == ("pcr-not-replayed:4", "pcr-not-replayed:7")
    assert r.not_replayed == (4, 7)


def test_required_can_be_narrowed(rhel8: EventLog) -> None:
    r = _without(rhel8, 7).verify(_expected(RHEL8, "sha256"), "sha256", required=())
    assert r.passed
    assert r.reasons == ()
    assert 7 in r.not_covered
    assert r.not_replayed == ()


def test_initial_value_of_a_missing_pcr_is_fine(rhel8: EventLog) -> None:
    expected = {**_expected(RHEL8, "sha256"), 7: b"\x00" * 32}
    r = _without(rhel8, 7).verify(expected, "sha256")
    assert r.passed
    assert 7 in r.not_covered


def test_ima_pcr10_stays_not_covered() -> None:
    rel = GA + "sb_cert_eventlog"
    expected = _expected(rel, "sha256")
    assert expected[10] != b"\x00" * 32
    r = parse(log_bytes(rel)).verify(expected, "sha256")
    assert r.passed
    assert 10 in r.not_covered
    assert r.not_replayed == ()
    # ...unless the caller requires it
    strict = parse(log_bytes(rel)).verify(expected, "sha256", required=range(11))
    assert strict.reasons == ("pcr-not-replayed:10",)


def test_only_missing_required_pcr_is_not_no_pcr_covered(rhel8: EventLog) -> None:
    r = rhel8.verify({11: b"\x00" * 32, 7: b"\x01" * 32}, "sha256")
    assert r.reasons == ("pcr-mismatch:7",)
    r2 = _without(rhel8, 7).verify({7: b"\x01" * 32}, "sha256")
    assert r2.reasons == ("pcr-not-replayed:7",)
    assert not r2.passed
