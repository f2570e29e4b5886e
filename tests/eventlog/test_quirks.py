"""go-attestation's three ExitBootServices workarounds, as named quirks tried only on failure."""

from __future__ import annotations

import hashlib

import pytest

from tests.eventlog.logs import GT, log_bytes
from tlkit.eventlog import (
    EBS_FAILURE_MISSING,
    EBS_FAILURE_SUCCESS_MISSING,
    EBS_MISSING,
    KNOWN_QUIRKS,
    EventLog,
    EventType,
    Quirk,
    make_event,
    parse,
)

INV = b"Exit Boot Services Invocation"
OK = b"Exit Boot Services Returned with Success"
FAIL = b"Exit Boot Services Returned with Failure"


@pytest.fixture(scope="module")
def unlogged() -> EventLog:
    """rhel8-uefi.bin without its two PCR 5 ExitBootServices actions (events 81 and 82)."""
    log = parse(log_bytes(GT + "rhel8-uefi.bin"))
    assert [log[i].data for i in (81, 82)] == [INV, OK]
    return log.with_events(list(log)[:81])


def _measured(log: EventLog, *texts: bytes) -> dict[int, bytes]:
    """PCR values of a firmware that extended ``texts`` into PCR 5 after ``log`` without logging them."""
    return log.appended(*(make_event(5, EventType.EV_EFI_ACTION, t, log.banks) for t in texts)).replay(
        "sha256"
    )


def test_known_quirks_order_and_sources() -> None:
    assert KNOWN_QUIRKS == (EBS_MISSING, EBS_FAILURE_MISSING, EBS_FAILURE_SUCCESS_MISSING)
    assert [q.name for q in KNOWN_QUIRKS] == [
        "EBS_MISSING",
        "EBS_FAILURE_MISSING",
        "EBS_FAILURE_SUCCESS_MISSING",
    ]
    assert all(q.pcrs == (5,) for q in KNOWN_QUIRKS)
    assert '"EBS Invocation + Success"' in EBS_MISSING.source
    assert '"EBS Invocation + Failure"' in EBS_FAILURE_MISSING.source
    assert '"EBS Invocation + Failure + Success"' in EBS_FAILURE_SUCCESS_MISSING.source
    assert all("eventlog_workarounds.go" in q.source for q in KNOWN_QUIRKS)


@pytest.mark.parametrize(
    ("quirk", "texts"),
    [
        (EBS_MISSING, (INV, OK)),
        (EBS_FAILURE_MISSING, (INV, FAIL)),
        (EBS_FAILURE_SUCCESS_MISSING, (INV, FAIL, OK)),
    ],
    ids=["invocation+success", "invocation+failure", "invocation+failure+success"],
)
def test_ebs_quirk_fixes_its_own_case_only(
    unlogged: EventLog, quirk: Quirk, texts: tuple[bytes, ...]
) -> None:
    expected = _measured(unlogged, *texts)
    strict = unlogged.verify(expected, "sha256", quirks=())
    assert strict.reasons == ("pcr-mismatch:5",)
    fixed = quirk.apply(unlogged)
    assert fixed is not None
    assert [e.data for e in fixed[len(unlogged) :]] == list(texts)
    assert fixed[-1].digest("sha256") == hashlib.sha256(texts[-1]).digest()
    assert fixed.replay("sha256")[5] == expected[5]
    r = unlogged.verify(expected, "sha256")
    assert r.passed
    assert r.quirks_applied == (quirk.name,)
    assert r.reasons == (f"quirk-applied:{quirk.name}:5",)
    # the other two quirks do not produce this PCR 5
    for other in KNOWN_QUIRKS:
        if other is not quirk:
            assert not unlogged.verify(expected, "sha256", quirks=(other,)).passed


def test_ebs_quirks_do_not_apply_when_everything_is_logged(unlogged: EventLog) -> None:
    full = unlogged.appended(
        *(make_event(5, EventType.EV_EFI_ACTION, t, unlogged.banks) for t in (INV, FAIL, OK))
    )
    assert all(q.apply(full) is None for q in KNOWN_QUIRKS)
    # a log with the invocation logged but the failure not: only the missing event is added
    partial = EBS_FAILURE_MISSING.apply(
        unlogged.appended(make_event(5, EventType.EV_EFI_ACTION, INV, unlogged.banks))
    )
    assert partial is not None
    assert [e.data for e in partial[len(unlogged) :]] == [INV, FAIL]
