"""Replay and verification against the expected PCR values of the real fixtures."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.conftest import expected_pcrs
from tests.eventlog.logs import GA, GT, TT, log_bytes, short
from tlkit.errors import DataError, UnsupportedAlgorithmError
from tlkit.eventlog import (
    EBS_MISSING,
    KNOWN_QUIRKS,
    Event,
    EventLog,
    EventType,
    NoActionEvent,
    StartupLocality,
    initial_pcr_value,
    make_event,
    parse,
)


def _cases() -> list[Any]:
    out = []
    for rel, entry in expected_pcrs()["fixtures"].items():
        if entry.get("log_format") is None:
            continue  # quotes without a log
        for bank in entry["expected_pcrs"]:
            out.append(pytest.param(rel, bank, id=f"{short(rel)}-{bank}"))
    return out


def _expected(rel: str, bank: str) -> dict[int, bytes]:
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"][bank]
    return {int(p): bytes.fromhex(v) for p, v in table.items()}


# The documented exceptions (fixtures/_derived/expected_pcrs.json notes).
IMA_NOT_COVERED = {(GA + "sb_cert_eventlog", 10)}
EBS = GA + "ebs_event_missing_eventlog"
# Real logs the evidence policy rejects, with the evidence that rejecting them is right: gdc-host's
# EV_S_CRTM_VERSION digest is not the hash of its data, and go-tpm-tools itself rejects this log
# ("invalid SCRTM version event for PCR0", server/eventlog_test.go GdcHost).
REJECTED = {GT + "gdc-host.bin": ("payload-digest-mismatch:3",)}


@pytest.mark.parametrize(("rel", "bank"), _cases())
def test_fixture_replays_to_expected_pcrs(rel: str, bank: str) -> None:
    log = parse(log_bytes(rel))
    expected = _expected(rel, bank)
    if bank not in log.banks:
        # ebs_event_missing_eventlog lists a sha256 PCR5 but is a SHA1-format log.
        assert (rel, bank) == (EBS, "sha256")
        with pytest.raises(DataError, match="no sha256 digests"):
            log.replay(bank)
        return
    only = [p for p in expected if (rel, p) not in IMA_NOT_COVERED]
    result = log.verify(expected, bank, only=only)
    assert result.passed == (rel not in REJECTED), result.explain()
    assert result.mismatched == ()
    replayed = log.replay(bank)
    size = len(next(iter(expected.values())))
    for pcr, value in expected.items():
        if pcr in replayed:
            assert pcr in result.matched
            if rel != EBS:
                assert replayed[pcr] == value, f"PCR {pcr}"
        elif (rel, pcr) in IMA_NOT_COVERED:
            assert pcr in result.unchecked or pcr not in result.expected
        else:
            assert pcr in result.at_reset
            assert value == initial_pcr_value(pcr, size), f"PCR {pcr} is not covered but not initial"
    if rel == EBS:
        assert result.quirks_applied == ("EBS_MISSING",)
        assert result.reasons == ("quirk-applied:EBS_MISSING:5",)
    else:
        assert result.quirks_applied == ()
        assert result.reasons == REJECTED.get(rel, ())


def test_ima_pcr10_is_not_covered_and_fails_unless_narrowed() -> None:
    """A quoted PCR the log does not explain fails (pcr-not-covered); the caller may narrow what it
    asks about, and then what it asks about is checked."""
    log = parse(log_bytes(GA + "sb_cert_eventlog"))
    expected = _expected(GA + "sb_cert_eventlog", "sha256")
    r = log.verify(expected, "sha256")
    assert not r.passed
    assert r.reasons == ("pcr-not-covered:10",)
    assert r.not_covered == (10,)
    assert 10 not in r.matched
    assert r.matched == (0, 4, 5, 7)
    assert r.at_reset == (1, 2, 3, 6, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23)
    assert r.to_dict()["passed"] is False
    narrowed = log.verify(expected, "sha256", only=[p for p in expected if p != 10])
    assert narrowed.passed
    assert narrowed.reasons == ()
    only_fw = log.verify(expected, "sha256", only=range(8))
    assert only_fw.passed
    assert set(only_fw.expected) == set(range(8))
    with pytest.raises(DataError, match=r"PCRs \[24\] were asked about"):
        log.verify(expected, "sha256", only=[0, 24])


def test_ebs_quirk_is_only_applied_on_failure_and_named() -> None:
    log = parse(log_bytes(EBS))
    expected = _expected(EBS, "sha1")
    strict = log.verify(expected, "sha1", quirks=())
    assert not strict.passed
    assert strict.reasons == ("pcr-mismatch:5",)
    assert strict.divergences[0].pcr == 5
    assert strict.divergences[0].last_event == 36
    fixed = EBS_MISSING.apply(log)
    assert fixed is not None
    assert len(fixed) == len(log) + 2
    assert len(log) == 38
    assert [e.data for e in fixed[-2:]] == [
        b"Exit Boot Services Invocation",
        b"Exit Boot Services Returned with Success",
    ]
    assert fixed.replay("sha1")[5] == expected[5]
    assert KNOWN_QUIRKS[0] is EBS_MISSING
    # a log that has both events gets nothing from the quirk
    assert EBS_MISSING.apply(fixed) is None


def test_startup_locality_sets_pcr0() -> None:
    log = parse(log_bytes(GT + "glinux-alex.bin"))
    assert log.startup_locality == 3
    loc = [e for e in log if isinstance(e.payload, StartupLocality)]
    assert len(loc) == 1
    assert loc[0].payload == StartupLocality(3)
    expected = _expected(GT + "glinux-alex.bin", "sha256")
    assert log.replay("sha256")[0] == expected[0]
    # Without the locality event PCR0 no longer matches, and the explanation says why.
    stripped = log.with_events([e for e in log if e.index != loc[0].index])
    assert stripped.startup_locality is None
    r = stripped.verify(expected, "sha256")
    assert r.mismatched == (0,)
    assert "startup locality 3" in r.divergences[0].explanation


def test_every_no_action_is_skipped() -> None:
    log = parse(log_bytes(GT + "eventlogwithsp800155.bin"))
    no_action = [e for e in log if e.event_type == EventType.EV_NO_ACTION]
    sigs = [e.payload.signature for e in no_action if isinstance(e.payload, NoActionEvent)]
    assert sigs == ["SP800-155 Event3", "SP800-155 Event3"]
    assert len(no_action) == 3  # Spec ID + two SP800-155 records, none extended
    fields = dict(no_action[1].payload.fields)  # type: ignore[union-attr]
    assert fields["platform_manufacturer"] == "Google, Inc."
    assert fields["platform_model"] == "Google Compute Engine"
    assert fields["firmware_version"] == "2.7"
    assert fields["rim_locator_type"] == 3
    assert log.replay("sha256")[0] == _expected(GT + "eventlogwithsp800155.bin", "sha256")[0]


def test_hcrtm_starts_pcr0_at_locality_4() -> None:
    d = hashlib.sha256(b"HCRTM code").digest()
    ev = make_event(0, EventType.EV_EFI_HCRTM_EVENT, b"HCRTM", ("sha256",), digests={"sha256": d})
    log = EventLog.from_events([ev], banks=("sha256",))
    assert log.has_hcrtm
    assert log.replay("sha256")[0] == hashlib.sha256(b"\x00" * 31 + b"\x04" + d).digest()


def test_drtm_pcrs_start_at_ff() -> None:
    ev = make_event(17, EventType.EV_EFI_ACTION, b"x", ("sha1",))
    log = EventLog.from_events([ev], banks=("sha1",))
    assert log.replay("sha1")[17] == hashlib.sha1(b"\xff" * 20 + hashlib.sha1(b"x").digest()).digest()
    assert initial_pcr_value(23, 32) == b"\x00" * 32
    assert initial_pcr_value(0, 20, 3) == b"\x00" * 19 + b"\x03"


def test_replay_all_and_bank_errors() -> None:
    log = parse(log_bytes(TT + "event-gce-ubuntu-2104-log.bin"))
    allb = log.replay_all()
    assert list(allb) == ["sha1", "sha256", "sha384"]
    assert allb["sha384"] == log.replay("sha384")
    assert list(allb["sha256"]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14]
    with pytest.raises(UnsupportedAlgorithmError, match="unknown hash algorithm name 'md5'"):
        log.replay("md5")
    with pytest.raises(DataError, match=r"no sha512 digests \(its banks: sha1, sha256, sha384\)"):
        log.replay("sha512")


def test_verify_accepts_hex_bank_tables_and_reports_unchecked() -> None:
    log = parse(log_bytes(GT + "glinux-alex.bin"))
    exp = _expected(GT + "glinux-alex.bin", "sha256")
    table = {"sha256": {str(p): v.hex() for p, v in exp.items() if p != 7}}
    r = log.verify(table, "sha256")
    assert r.passed
    assert r.unchecked == (7,)
    assert r.to_dict()["unchecked"] == [7]
    frame = r.to_frame()
    assert list(frame.columns) == ["pcr", "status", "expected", "replayed"]
    assert frame.set_index("pcr").loc[7, "status"] == "unchecked"
    with pytest.raises(DataError, match=r"no sha256 values among the given banks \['sha1'\]"):
        log.verify({"sha1": {"0": "00"}}, "sha256")
    with pytest.raises(DataError, match="PCR 0 value is not hex"):
        log.verify({0: "zz"}, "sha256")


def test_nothing_covered_does_not_pass() -> None:
    log = parse(log_bytes(GT + "gdc-host.bin"))
    r = log.verify({10: b"\x00" * 32, 23: b"\x00" * 32}, "sha256")
    assert not r.passed
    assert not r
    assert r.reasons == ("no-pcr-covered",)  # gdc-host's PCR 0 mismatch is not asked about
    assert r.at_reset == (10, 23)
    assert r.not_covered == ()


def _tamper(log: EventLog, index: int, **changes: Any) -> EventLog:
    e = log[index]
    fields = {"pcr": e.pcr, "event_type": e.event_type, "digest_list": e.digest_list, "data": e.data}
    fields.update(changes)
    return log.replaced(index, Event(index, **fields))


def test_tampered_digest_is_pinpointed_against_reference_log() -> None:
    good = parse(log_bytes(GT + "rhel8-uefi.bin"))
    quoted = good.replay("sha256")
    victim = next(e for e in good if e.pcr == 4 and e.type_name == "EV_EFI_BOOT_SERVICES_APPLICATION")
    bad = _tamper(good, victim.index, digest_list=tuple((a, b"\x42" * len(d)) for a, d in victim.digest_list))
    r = bad.verify(quoted, "sha256", reference=good)
    assert r.mismatched == (4,)
    assert r.reasons == ("pcr-mismatch:4",)
    div = r.divergences[0]
    assert div.first_divergent_event == victim.index
    assert div.last_event == max(e.index for e in good if e.pcr == 4)
    assert div.chain[-1].value_after == bad.replay("sha256")[4]
    assert f"event {victim.index} EV_EFI_BOOT_SERVICES_APPLICATION claims {'42' * 32}" in div.explanation
    d = bad.diff(good)
    assert not d.passed
    assert d.reasons == ("pcr-differs:4",)
    assert d.first_divergent_event == victim.index
    assert d.differences[0].kind == "digest"
    assert good.diff(parse(log_bytes(GT + "rhel8-uefi.bin"))).passed


def test_retyped_event_replays_but_diff_sees_it() -> None:
    """The event type is not covered by the extend (go-attestation docs/event-log-disclosure.md)."""
    good = parse(log_bytes(GA + "windows_gcp_shielded_vm.json"))
    victim = next(e for e in good if e.pcr == 7 and e.type_name == "EV_EFI_VARIABLE_DRIVER_CONFIG")
    bad = _tamper(good, victim.index, event_type=int(EventType.EV_UNUSED))
    r = bad.verify(good.replay("sha1"), "sha1")
    assert r.mismatched == ()  # the replay cannot see it...
    assert not r.passed  # ...the policy does
    assert f"event-type-not-allowed:{victim.index}" in r.reasons
    d = bad.diff(good)
    assert d.differences[0].kind == "type"
    assert d.differences[0].index == victim.index


def test_extra_event_found_from_intermediate_value() -> None:
    good = parse(log_bytes(GT + "rhel8-uefi.bin"))
    quoted = good.replay("sha256")
    extra = make_event(8, EventType.EV_IPL, b"grub_cmd: evil\x00", ("sha256",))
    bad = good.appended(extra)
    r = bad.verify(quoted, "sha256")
    assert r.mismatched == (8,)
    assert r.divergences[0].first_divergent_event == len(good)
    assert "were logged but not extended" in r.divergences[0].explanation
    d = bad.diff(good)
    assert d.differences[0].kind == "extra-event"
    assert good.diff(bad).differences[0].kind == "missing-event"


def test_diff_needs_a_common_bank() -> None:
    a = parse(log_bytes(GT + "debian-10.bin"))
    b = parse(log_bytes(GT + "gdc-host.bin"))
    with pytest.raises(DataError, match="no bank in common"):
        a.diff(b)


def test_verified_events_are_those_of_matched_pcrs() -> None:
    log = parse(log_bytes(GA + "sb_cert_eventlog"))
    expected = _expected(GA + "sb_cert_eventlog", "sha256")
    expected[4] = b"\x00" * 32
    r = log.verify(expected, "sha256")
    assert r.matched == (0, 5, 7)
    events = log.verified_events(r)
    assert {e.pcr for e in events} == {0, 5, 7}
    assert all(e.type_name != "EV_NO_ACTION" for e in events)
    assert len(events) == len([e for e in log if e.pcr in (0, 5, 7)]) - 1  # minus the Spec ID header


def test_verify_rejects_wrong_size_values() -> None:
    log = parse(log_bytes(GT + "gdc-host.bin"))
    with pytest.raises(DataError, match="PCR 0 value has 20 bytes; sha256 needs 32"):
        log.verify({0: b"\x00" * 20}, "sha256")


def test_replay_trace_and_prefix_replay() -> None:
    log = parse(log_bytes(GT + "glinux-alex.bin"))
    trace = log.replay_trace("sha256")
    assert all(e.type_name != "EV_NO_ACTION" for e in trace)
    final: dict[int, bytes] = {}
    for s in trace:
        final[s.pcr] = s.value_after
    assert final == log.replay("sha256")
    k = trace[5].index
    assert log.replay("sha256", upto=k + 1)[trace[5].pcr] == trace[5].value_after
    assert log.replay("sha256", upto=0) == {}
