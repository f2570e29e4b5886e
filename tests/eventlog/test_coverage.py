"""Coverage: a quoted PCR the log does not explain fails (``pcr-not-covered:N``), on real logs."""

from __future__ import annotations

import dataclasses

import pytest

from tests.attest._evidence import QUOTE_AND_LOG, evidence_of
from tests.conftest import expected_pcrs
from tests.eventlog.logs import GA, GT, KL, log_bytes
from tlkit.attest._verify import verify
from tlkit.eventlog import FIRMWARE_PCRS, EventLog, EventType, parse, secure_boot_state, write

RHEL8 = GT + "rhel8-uefi.bin"
OVMF_SB = KL + "create-mb-policy/binary_bios_measurements-secureboot"


def _expected(rel: str, bank: str) -> dict[int, bytes]:
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"][bank]
    return {int(p): bytes.fromhex(v) for p, v in table.items()}


def _without(log: EventLog, *pcrs: int) -> EventLog:
    return log.with_events([e for e in log if e.pcr not in pcrs or e.event_type == EventType.EV_NO_ACTION])


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(log_bytes(RHEL8))


def test_firmware_pcrs_constant() -> None:
    assert FIRMWARE_PCRS == (0, 1, 2, 3, 4, 5, 6, 7)


def test_dropping_pcr_8_9_14_of_a_real_ovmf_secure_boot_log_fails() -> None:
    """The issue's case: every PCR 8, 9 and 14 event dropped from a real OVMF Secure Boot log."""
    log = parse(log_bytes(OVMF_SB))
    assert secure_boot_state(log).enabled is True
    quoted = {p: log.replay("sha256").get(p, b"\x00" * 32) for p in range(24)}
    quoted.update(dict.fromkeys(range(17, 23), b"\xff" * 32))
    assert log.verify(quoted).passed
    dropped = _without(log, 8, 9, 14)
    assert {8, 9, 14} <= set(log.replay())
    assert not {8, 9, 14} & set(dropped.replay())
    r = dropped.verify(quoted)
    assert not r.passed
    assert r.reasons == ("pcr-not-covered:8", "pcr-not-covered:9", "pcr-not-covered:14")
    assert r.not_covered == (8, 9, 14)
    assert r.to_dict()["passed"] is False
    assert r.to_frame().set_index("pcr").loc[9, "status"] == "not-covered"
    assert "PCR 14 is not at its reset value" in r.explain()
    # a caller that asks only about the firmware PCRs gets what it asked for, checked
    assert dropped.verify(quoted, only=FIRMWARE_PCRS).passed


def test_dropping_pcr7_fails(rhel8: EventLog) -> None:
    expected = _expected(RHEL8, "sha256")
    assert rhel8.verify(expected, "sha256").passed
    dropped = _without(rhel8, 7)
    assert len(dropped) == len(rhel8) - 8
    r = dropped.verify(expected, "sha256")
    assert not r.passed
    assert r.reasons == ("pcr-not-covered:7",)
    assert r.not_covered == (7,)
    assert r.matched == (0, 1, 2, 3, 4, 5, 6, 8, 9, 14)
    # the Secure Boot summary says the log has nothing to say about PCR 7
    assert secure_boot_state(dropped).notes[:2] == ("pcr7-not-logged", "secureboot-var-missing")
    assert secure_boot_state(dropped).anomalies == ()
    assert "pcr7-not-logged" not in secure_boot_state(rhel8).notes


def test_dropping_pcr4_and_pcr7_fails(rhel8: EventLog) -> None:
    r = _without(rhel8, 4, 7).verify(_expected(RHEL8, "sha256"), "sha256")
    assert not r.passed
    assert r.reasons == ("pcr-not-covered:4", "pcr-not-covered:7")


def test_only_narrows_what_is_asked(rhel8: EventLog) -> None:
    r = _without(rhel8, 7).verify(_expected(RHEL8, "sha256"), "sha256", only=(0, 1, 2, 3, 4, 5, 6, 8, 9, 14))
    assert r.passed
    assert r.reasons == ()
    assert 7 not in r.expected


def test_reset_value_of_a_missing_pcr_is_explained(rhel8: EventLog) -> None:
    expected = {**_expected(RHEL8, "sha256"), 7: b"\x00" * 32, 17: b"\xff" * 32}
    r = _without(rhel8, 7).verify(expected, "sha256")
    assert r.passed
    assert r.at_reset == (7, 17)
    bad = _without(rhel8, 7).verify({**expected, 17: b"\x00" * 32}, "sha256")
    assert bad.reasons == ("pcr-not-covered:17",)  # PCR 17's reset value is ff...ff (PC Client PTP)


def test_only_missing_pcr_is_not_no_pcr_covered(rhel8: EventLog) -> None:
    r = rhel8.verify({11: b"\x00" * 32, 7: b"\x01" * 32}, "sha256")
    assert r.reasons == ("pcr-mismatch:7",)
    r2 = _without(rhel8, 7).verify({7: b"\x01" * 32}, "sha256")
    assert r2.reasons == ("pcr-not-covered:7",)
    assert not r2.passed


def test_the_verifier_fails_on_uncovered_quoted_pcrs() -> None:
    """tlkit.attest.verify applies the same rule to the PCRs of a verified quote (log-incomplete)."""
    from tlkit.tpm import PcrSelection, VirtualTpm

    log = parse(log_bytes(OVMF_SB))
    tpm = VirtualTpm(seed=3, banks=("sha256",))
    for ev in log:
        if ev.event_type != EventType.EV_NO_ACTION:
            tpm.pcrs.extend(ev.pcr, ev.digests["sha256"], "sha256")
    q = tpm.quote(PcrSelection.of({"sha256": range(24)}), b"n")
    evidence = evidence_of(q.message, q.signature, q.pcrs, tpm.ak_public, nonce=b"n", log=write(log))
    assert verify(evidence, b"n").passed
    doctored = dataclasses.replace(evidence, eventlog=write(_without(log, 8, 9, 14)))
    r = verify(doctored, b"n", policy=QUOTE_AND_LOG)
    assert not r.passed
    assert r.reasons == tuple(f"log-incomplete:sha256:pcr{p}" for p in (8, 9, 14))
    assert verify(doctored, b"n", policy=dataclasses.replace(QUOTE_AND_LOG, only=tuple(range(8)))).passed


def test_sb_cert_ima_pcr10() -> None:
    rel = GA + "sb_cert_eventlog"
    expected = _expected(rel, "sha256")
    assert expected[10] != b"\x00" * 32
    r = parse(log_bytes(rel)).verify(expected, "sha256")
    assert r.reasons == ("pcr-not-covered:10",)
    assert parse(log_bytes(rel)).verify(expected, "sha256", only=range(10)).passed
