"""Boot stages and step-by-step replay (EventLog.replay_trace / prefix_replays / replay(upto=)):
one replay mechanism, checked on real logs."""

from __future__ import annotations

import pytest

from tests.conftest import fixture_path
from tests.eventlog.logs import GT, log_bytes, short
from tlkit.errors import DataError
from tlkit.eventlog import BootStage, BootStages, EventLog, StartupLocality, boot_stages, parse


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())


@pytest.fixture(scope="module")
def ebs() -> EventLog:
    return parse(fixture_path("go-attestation/attest/testdata/ebs_event_missing_eventlog").read_bytes())


def test_boot_stages_rhel8(rhel8: EventLog) -> None:
    st = boot_stages(rhel8)
    assert isinstance(st, BootStages)
    assert list(st) == [
        BootStage("firmware", 0, 22, 23, (0, 1, 2, 3, 4, 5, 6, 7)),
        BootStage("shimx64.efi", 23, 25, 3, (4, 14)),
        BootStage("grubx64.efi", 26, 76, 51, (4, 7, 8, 9)),
        BootStage("image #77", 77, 80, 4, (4, 8, 9)),
        BootStage("ExitBootServices", 81, 82, 2, (5,)),
    ]
    assert sum(s.events for s in st) == len(rhel8)
    assert st.to_rows()[1] == {"stage": "shimx64.efi", "first": 23, "last": 25, "events": 3, "pcrs": (4, 14)}
    frame = st.to_frame()
    assert list(frame.columns) == ["stage", "first", "last", "events", "pcrs"]
    assert frame.to_dict("records") == st.to_rows()


def test_boot_stages_sha1_log_without_ebs(ebs: EventLog) -> None:
    st = boot_stages(ebs)
    assert [s.stage for s in st] == ["firmware", "grubx64.efi"]
    assert (st[-1].last, sum(s.events for s in st)) == (37, 38)


def test_boot_stages_empty_log(rhel8: EventLog) -> None:
    empty = rhel8.with_events([])
    assert list(boot_stages(empty)) == [BootStage("firmware", 0, -1, 0, ())]
    assert boot_stages(empty).to_frame().shape == (1, 5)


def test_prefix_replays_end_at_full_replay(rhel8: EventLog) -> None:
    states = rhel8.prefix_replays("sha384")
    assert len(states) == len(rhel8)
    assert states[0] == {}
    assert states[-1] == rhel8.replay("sha384")
    assert set(states[13]) == {0, 1, 4, 7}


def test_prefix_replays_missing_bank(ebs: EventLog) -> None:
    with pytest.raises(DataError, match=r"the log has no sha256 digests \(its banks: sha1\)") as ei:
        ebs.prefix_replays("sha256")
    assert ei.value.field == "bank"


@pytest.mark.parametrize(
    "rel", [GT + "rhel8-uefi.bin", GT + "gdc-host.bin", GT + "glinux-alex.bin"], ids=short
)
def test_prefix_replays_trace_and_upto_agree(rel: str) -> None:
    """prefix_replays, replay_trace and replay(upto=) give the same values after every event
    (gdc-host and glinux-alex start PCR 0 at locality 3)."""
    log = parse(log_bytes(rel))
    bank = "sha256"
    states = log.prefix_replays(bank)
    assert states == [log.replay(bank, upto=i + 1) for i in range(len(log))]
    for step in log.replay_trace(bank):
        assert states[step.index][step.pcr] == step.value_after


def test_late_startup_locality_is_applied_by_every_view() -> None:
    """A StartupLocality record moved after the first PCR 0 extend: the replay starts PCR 0 at
    locality 3 anyway, and the trace and prefix views (same mechanism) agree with it."""
    log = parse(log_bytes(GT + "glinux-alex.bin"))
    loc = next(e for e in log if isinstance(e.payload, StartupLocality))
    first0 = next(e.index for e in log if e.pcr == 0 and e.event_type != loc.event_type)
    events = [e for e in log if e.index != loc.index]
    events.insert(first0 + 1, loc)
    moved = log.with_events(events)
    assert moved.replay("sha256")[0] == log.replay("sha256")[0]
    assert moved.prefix_replays("sha256")[-1] == moved.replay("sha256")
    trace = moved.replay_trace("sha256")
    assert [s.value_after for s in trace if s.pcr == 0][-1] == log.replay("sha256")[0]
