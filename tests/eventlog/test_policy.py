"""The evidence policy (tlkit.eventlog._policy): event types per PCR, PCR 7 order, SecureBoot logged,
results bound to their log, default bank, constructor and header validation — each rule on a real
log and a tampered copy."""

from __future__ import annotations

import ast
import dataclasses
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.eventlog.logs import GT, KL, LOGS, log_bytes, short
from tlkit.errors import DataError, ParseError, TlkitError
from tlkit.eventlog import (
    PCR_EVENT_TYPES,
    Event,
    EventLog,
    EventType,
    SpecIdEvent,
    make_event,
    parse,
    secure_boot_state,
    write,
)
from tlkit.eventlog._policy import check_policy

OVMF_SB = KL + "create-mb-policy/binary_bios_measurements-secureboot"
RHEL8 = GT + "rhel8-uefi.bin"
SB_VARS = ("SecureBoot", "PK", "KEK", "db", "dbx")


def _log(rel: str = OVMF_SB) -> EventLog:
    return parse(log_bytes(rel))


def _quoted(log: EventLog) -> dict[int, bytes]:
    """What a TPM that measured ``log`` holds in every PCR of its default bank."""
    size = len(next(iter(log.replay().values())))
    values = {p: b"\xff" * size if 17 <= p <= 22 else b"\x00" * size for p in range(24)}
    return {**values, **log.replay()}


def _pcr7_var(log: EventLog, name: str) -> Event:
    return next(
        e
        for e in log
        if e.pcr == 7
        and e.event_type == EventType.EV_EFI_VARIABLE_DRIVER_CONFIG
        and getattr(e.payload, "name", None) == name
    )


# ----------------------------------------------------------------------------- real logs pass
@pytest.mark.parametrize("rel", LOGS, ids=short)
def test_every_real_log_meets_the_structure_rules(rel: str) -> None:
    log = _log(rel)
    assert check_policy(log, range(24)) == ()
    # (secure_boot_state's own anomalies on the real logs: test_secureboot_anomalies)


def test_real_ovmf_secure_boot_log_verifies_against_its_pcrs() -> None:
    log = _log()
    r = log.verify(_quoted(log))
    assert r.passed, r.explain()
    assert r.reasons == ()
    assert secure_boot_state(log).enabled is True


# ----------------------------------------------------------------------------- type allowed on PCR
def test_retyping_secure_boot_variables_as_authority_fails() -> None:
    """The issue's case: PCR 7's SecureBoot/PK/KEK/db/dbx DRIVER_CONFIG re-typed as AUTHORITY."""
    log = _log()
    quoted = _quoted(log)
    idx = [_pcr7_var(log, n).index for n in SB_VARS]
    evs = [
        dataclasses.replace(e, event_type=int(EventType.EV_EFI_VARIABLE_AUTHORITY)) if e.index in idx else e
        for e in log
    ]
    retyped = log.with_events(evs)
    assert retyped.replay() == log.replay()  # the type is not covered by the extend
    r = retyped.verify(quoted)
    assert not r.passed
    assert r.mismatched == ()
    for i, name in zip(idx, SB_VARS, strict=True):
        if name != "db":
            assert f"event-type-not-allowed:{i}" in r.reasons
    assert f"event-order-invalid:{idx[3]}" not in r.reasons  # db as an authority is out of place...
    assert "secureboot-variable-missing" in r.reasons  # ...and SecureBoot is gone
    assert r.to_dict()["passed"] is False
    s = secure_boot_state(retyped)
    assert s.enabled is None
    assert "secureboot-var-missing" in s.anomalies
    assert any(a.startswith("event-type-not-allowed:") for a in s.anomalies)


def test_the_structure_rules_run_once_per_log_and_catch_the_retyping_in_every_bank() -> None:
    """The rules read no digest: one evaluation serves every bank, and each bank's result names it."""
    from tlkit.boot import run_scenario

    log = run_scenario("healthy-ubuntu-sb", 0).log  # sha1 and sha256
    assert len(log.banks) > 1
    idx = _pcr7_var(log, "PK").index
    evs = [
        dataclasses.replace(e, event_type=int(EventType.EV_EFI_VARIABLE_AUTHORITY)) if e.index == idx else e
        for e in log
    ]
    retyped = log.with_events(evs)
    results = [retyped.verify({b: retyped.replay(b) for b in retyped.banks}, b) for b in retyped.banks]
    assert all(f"event-type-not-allowed:{idx}" in r.reasons and not r.passed for r in results)
    assert len({r.violations for r in results}) == 1
    assert [k for k in retyped.verdict_cache if k[0] == "check_policy"] == [
        ("check_policy", frozenset(results[0].matched))
    ]
    fresh = retyped.with_events(list(retyped))  # another log object: computed afresh, the same answer
    assert check_policy(fresh, results[0].matched) == results[0].violations
    assert check_policy(log, results[0].matched) == ()  # the cache is per log: the genuine one passes


def test_pcr4_application_retyped_as_firmware_blob_fails() -> None:
    """go-attestation's second disclosure example: an EV_EFI_BOOT_SERVICES_APPLICATION on PCR 4
    masquerading as EV_EFI_PLATFORM_FIRMWARE_BLOB (a type PFP puts on PCR 0/2 only)."""
    log = _log()
    app = next(e for e in log if e.pcr == 4 and e.event_type == EventType.EV_EFI_BOOT_SERVICES_APPLICATION)
    bad = log.replaced(
        app.index, dataclasses.replace(app, event_type=int(EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB))
    )
    r = bad.verify(_quoted(log))
    assert r.reasons == (f"event-type-not-allowed:{app.index}",)
    assert r.violations[0].detail == "EV_EFI_PLATFORM_FIRMWARE_BLOB on PCR 4"
    assert int(EventType.EV_EFI_PLATFORM_FIRMWARE_BLOB) not in PCR_EVENT_TYPES[4]
    assert app.index not in {e.index for e in bad.verified_events(r)}
    # the rule concerns checked PCRs only
    assert bad.verify(_quoted(log), only=[0, 7]).passed


# ----------------------------------------------------------------------------- PCR 7 order
def test_swapped_pk_and_kek_is_out_of_order() -> None:
    log = _log()
    pk, kek = _pcr7_var(log, "PK"), _pcr7_var(log, "KEK")
    evs = list(log)
    evs[pk.index], evs[kek.index] = kek, pk
    swapped = log.with_events(evs)
    r = swapped.verify(_quoted(swapped))  # a firmware that measured them in this order
    assert not r.passed
    assert r.reasons == (f"event-order-invalid:{kek.index}",)  # PK now sits where KEK was, after it


def test_variable_after_separator_and_second_separator_are_out_of_order() -> None:
    log = _log()
    sb = _pcr7_var(log, "SecureBoot")
    sep = next(e for e in log if e.pcr == 7 and e.event_type == EventType.EV_SEPARATOR)
    late = log.appended(
        make_event(7, sb.event_type, sb.data, log.banks), make_event(7, sep.event_type, sep.data, log.banks)
    )
    r = late.verify(_quoted(late))
    assert r.reasons == (f"event-order-invalid:{len(log)}", f"event-order-invalid:{len(log) + 1}")
    assert secure_boot_state(late).anomalies == (
        f"variable-after-separator:{len(log)}",
        f"duplicate-separator:{len(log) + 1}",
    )


def test_pcr7_without_its_secureboot_variable_is_unknown_and_failing() -> None:
    log = _log()
    sb = _pcr7_var(log, "SecureBoot")
    dropped = log.with_events([e for e in log if e.index != sb.index])
    r = dropped.verify(_quoted(dropped))  # even if the TPM really holds that PCR 7
    assert not r.passed
    assert r.reasons == ("secureboot-variable-missing",)
    s = secure_boot_state(dropped)
    assert s.enabled is None
    assert s.anomalies == ("secureboot-var-missing",)


# ----------------------------------------------------------------------------- result bound to its log
def test_verified_events_refuses_a_result_of_another_log() -> None:
    a, b = _log(), _log(RHEL8)
    ra = a.verify(_quoted(a))
    assert ra.log_fingerprint == a.fingerprint
    with pytest.raises(DataError, match="computed from another log"):
        b.verified_events(ra)
    # a tampered copy is another log too
    e = a[5]
    tampered = a.replaced(5, dataclasses.replace(e, data=e.data + b"\x00"))
    with pytest.raises(DataError, match="computed from another log"):
        tampered.verified_events(ra)
    # the same bytes parsed again are the same log
    again = parse(write(a))
    assert again.fingerprint == a.fingerprint
    assert [x.index for x in again.verified_events(ra)] == [x.index for x in a.verified_events(ra)]
    assert len(a.verified_events(ra)) == sum(1 for x in a if x.event_type != EventType.EV_NO_ACTION)


# ----------------------------------------------------------------------------- default bank
def test_default_bank_is_sha256_else_the_strongest() -> None:
    assert _log().default_bank == "sha256"
    sha1_log = _log(GT + "debian-10.bin")
    assert sha1_log.format == "sha1"
    assert sha1_log.default_bank == "sha1"
    assert sha1_log.replay() == sha1_log.replay("sha1")  # no longer fails on a SHA1-format log
    assert sha1_log.verify(sha1_log.replay()).bank == "sha1"
    ev = make_event(0, EventType.EV_S_CRTM_VERSION, b"v", ("sha1", "sha384"))
    assert EventLog.from_events([ev], banks=("sha1", "sha384")).default_bank == "sha384"


# ----------------------------------------------------------------------------- constructors
@pytest.mark.parametrize("pcr", [-1, 2**32, 2**40, True, 1.5])
def test_make_event_validates_the_pcr_index(pcr: object) -> None:
    with pytest.raises(DataError, match="pcr must be an integer from 0 to 0xFFFFFFFF"):
        make_event(pcr, EventType.EV_IPL, b"x")  # type: ignore[arg-type]


def test_make_event_accepts_only_what_parse_accepts() -> None:
    with pytest.raises(
        DataError, match=r"pcr 32 is not a PCR index a log can hold \(0 to 31, or 0xFFFFFFFF\)"
    ):
        make_event(32, EventType.EV_IPL, b"x")


def test_event_fields_are_validated_at_construction() -> None:
    with pytest.raises(DataError, match="event_type"):
        make_event(0, -5, b"x")
    with pytest.raises(DataError, match="a sha256 digest has 32 bytes, not 3"):
        make_event(0, EventType.EV_IPL, b"x", digests={"sha256": b"abc"})
    e = make_event(8, EventType.EV_IPL, b"x")
    with pytest.raises(DataError, match="pcr"):
        dataclasses.replace(e, pcr=2**40)
    assert make_event(0xFFFFFFFF, EventType.EV_NO_ACTION, b"").pcr == 0xFFFFFFFF


def test_spec_id_with_zero_algorithms_is_a_parse_error() -> None:
    raw = bytearray(log_bytes(OVMF_SB))
    size = struct.unpack_from("<I", raw, 28)[0]
    spec = raw[32 : 32 + size]
    # a Spec ID Event03 header listing no algorithms (numberOfAlgorithms = 0 at offset 24)
    empty = bytes(spec[:24]) + struct.pack("<I", 0) + b"\x00"
    data = struct.pack("<II20sI", 0, 3, b"\x00" * 20, len(empty)) + empty
    with pytest.raises(ParseError, match="numberOfAlgorithms is 0") as err:
        parse(data)
    assert err.value.offset == 32 + 24
    with pytest.raises(DataError, match="at least one bank"):
        EventLog.from_events([], spec_id=SpecIdEvent.for_algorithms(()))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    pcr=st.one_of(st.integers(-(2**40), 2**40), st.booleans()),
    typ=st.integers(-(2**33), 2**33),
    data=st.binary(max_size=40),
    digest=st.binary(max_size=70),
)
def test_make_event_and_write_raise_only_tlkit_errors(pcr: int, typ: int, data: bytes, digest: bytes) -> None:
    try:
        e = make_event(pcr, typ, data, ("sha256",), digests={"sha256": digest} if digest else None)
    except TlkitError:
        return
    log = EventLog.from_events([e], banks=("sha256",))
    assert parse(write(log)).fingerprint == log.fingerprint
    try:
        r = log.verify(log.replay())
    except TlkitError:
        return
    assert r.passed == (not r.reasons or all(x.startswith("quirk-applied:") for x in r.reasons))
    secure_boot_state(log)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.data())
def test_retyped_real_events_never_pass_silently(data: st.DataObject) -> None:
    """Re-type any extends of a real log: verification against the real PCRs either still passes
    with every event meeting the policy, or fails naming why; only tlkit errors escape."""
    log = _log()
    quoted = _quoted(log)
    picks = data.draw(st.lists(st.integers(1, len(log) - 1), min_size=1, max_size=4, unique=True))
    types = data.draw(
        st.lists(st.sampled_from([int(t) for t in EventType]), min_size=len(picks), max_size=len(picks))
    )
    evs = list(log)
    for i, t in zip(picks, types, strict=True):
        evs[i] = dataclasses.replace(evs[i], event_type=t)
    bad = log.with_events(evs)
    try:
        r = bad.verify(quoted)
    except TlkitError:
        return
    if r.passed:
        assert check_policy(bad, range(24)) == ()
    else:
        assert r.reasons
    assert r.to_dict()["passed"] is r.passed


# ----------------------------------------------------------------------------- layering
def _eventlog_imports() -> dict[str, set[str]]:
    """``{module: eventlog modules it imports}`` (TYPE_CHECKING and function-level imports included)."""
    root = Path(__file__).resolve().parents[2] / "tlkit" / "eventlog"
    graph: dict[str, set[str]] = {}
    for f in root.glob("*.py"):
        mods: set[str] = set()
        for n in ast.walk(ast.parse(f.read_text())):
            if isinstance(n, ast.ImportFrom) and n.module == "tlkit.eventlog":
                mods |= {a.name for a in n.names}
            elif isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("tlkit.eventlog."):
                mods.add(n.module.rsplit(".", 1)[-1])
            if isinstance(n, ast.ImportFrom) and n.module:
                assert not n.module.startswith("tlkit.tpm._"), f"{f.name} imports {n.module}"
        graph[f.stem] = mods - {f.stem}
    return graph


def test_eventlog_modules_import_in_one_direction() -> None:
    """No import circle among the eventlog modules (the old _model <-> _replay <-> _quirks, _frame)
    and no tlkit.tpm private imported: depth-first search for a back edge."""
    graph = _eventlog_imports()
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, f"import circle: {' -> '.join([*path, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module != "__init__" and module not in state:
            visit(module, [module])
    assert "_model" not in graph["_replay"] | graph["_quirks"] | graph["_frame"] | graph["_verify"]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    algs=st.lists(
        st.tuples(st.sampled_from([0x0004, 0x000B, 0x000C, 0x000D, 0x0012, 0x0099]), st.integers(0, 70)),
        max_size=4,
    ),
    body=st.binary(max_size=120),
)
def test_spec_id_headers_then_replay_raise_only_tlkit_errors(
    algs: list[tuple[int, int]], body: bytes
) -> None:
    """Any Spec ID algorithm list (none, unknown ids, odd sizes) then any records: parse, replay with
    the default bank, verify and secure_boot_state raise only tlkit errors (never IndexError)."""
    spec = b"Spec ID Event03\x00" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(algs))
    spec += b"".join(struct.pack("<HH", a, n) for a, n in algs) + b"\x00"
    data = struct.pack("<II20sI", 0, 3, b"\x00" * 20, len(spec)) + spec + body
    try:
        log = parse(data)
        assert log.banks
        secure_boot_state(log)
        log.verify(log.replay())
    except TlkitError:
        pass


def test_a_switched_off_check_is_named_in_the_result() -> None:
    """``check_payloads=False`` passes an edited log on its replay alone, and the result says the data
    check did not run (text and JSON); with the check on, the same log fails."""
    from tlkit.eventlog._verify import PAYLOAD_CHECK

    log = parse(log_bytes(OVMF_SB))
    i = next(j for j, e in enumerate(log) if e.pcr == 7 and e.type_name == "EV_EFI_VARIABLE_DRIVER_CONFIG")
    edited = log.replaced(i, dataclasses.replace(log[i], data=log[i].data[:-1] + b"\x00"))
    pcrs = log.replay("sha256")
    unchecked = edited.verify(pcrs, "sha256", check_payloads=False)
    assert unchecked.passed
    assert unchecked.skipped_checks == (PAYLOAD_CHECK,)
    assert unchecked.to_dict()["skipped_checks"] == [PAYLOAD_CHECK]
    assert "NOT CHECKED" in unchecked.explain()
    checked = edited.verify(pcrs, "sha256")
    assert not checked.passed
    assert checked.skipped_checks == ()
