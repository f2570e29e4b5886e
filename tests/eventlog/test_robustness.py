"""Bad input: truncation at every offset, byte flips, absurd sizes and random bytes.

Only :class:`tlkit.errors.ParseError` (with an offset and an event index) may escape ``parse``;
payload decoding of a damaged log may fail per event but never raises.
"""

from __future__ import annotations

import random
import struct
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.eventlog.logs import GA, GT, TT, log_bytes
from tlkit.errors import ParseError, TlkitError, UnsupportedAlgorithmError
from tlkit.eventlog import EventLog, boot_stages, parse, secure_boot_state, write
from tlkit.eventlog._payloads import decode_payload
from tlkit.eventlog._types import EventType

SMALL_AGILE = TT + "event-uefivar.bin"  # 202 bytes, every offset
SMALL_SHA1 = GA + "short_no_action_eventlog"
SAMPLED = (GT + "rhel8-uefi.bin", GA + "option_rom_eventlog", GT + "gdc-host.bin", GA + "sb_cert_eventlog")


def _exercise(log: EventLog) -> None:
    """Touch every lazily decoded part of a log; none of it may raise."""
    for e in log:
        _ = e.description, e.payload_error, e.digests
    secure_boot_state(log)
    stages = boot_stages(log)
    assert sum(s.events for s in stages) == len(log)
    write(log)
    try:  # replay and verify raise only tlkit errors (a bank missing, an unknown default bank)
        r = log.verify(log.replay())
    except TlkitError:
        return
    assert r.to_dict()["passed"] == (
        not r.mismatched
        and not r.not_covered
        and not r.violations
        and not r.payload_mismatches
        and bool(r.matched)
    )


def _parse_or_error(data: bytes) -> EventLog | ParseError:
    try:
        return parse(data)
    except ParseError as e:
        return e


def _check_parse(data: bytes) -> None:
    got = _parse_or_error(data)
    if isinstance(got, ParseError):
        assert got.offset is not None
        assert 0 <= got.offset <= len(data)
        assert got.index is not None
        assert got.index >= 0
        return
    _exercise(got)
    assert write(got) == data


def _call(fn: Any, data: bytes, base: int) -> Any:
    try:
        return fn(data, base)
    except ParseError as e:
        return e


def _decode_error(event_type: int, data: bytes, base: int) -> ParseError | None:
    try:
        decode_payload(event_type, data, base)
    except ParseError as e:
        return e
    return None


@pytest.mark.parametrize("rel", [SMALL_AGILE, SMALL_SHA1])
def test_truncation_at_every_offset_small_logs(rel: str) -> None:
    data = log_bytes(rel)
    for cut in range(len(data)):
        _check_parse(data[:cut])


@pytest.mark.parametrize("rel", SAMPLED)
def test_truncation_sampled_real_logs(rel: str) -> None:
    data = log_bytes(rel)
    rng = random.Random(1234)
    cuts = sorted(rng.sample(range(len(data)), 150))
    log = parse(data)
    cuts += [e.offset for e in log] + [e.offset + 1 for e in log] + [e.data_offset - 1 for e in log]
    for cut in cuts:
        _check_parse(data[:cut])


def test_truncation_inside_an_event_reports_its_index() -> None:
    data = log_bytes(GT + "rhel8-uefi.bin")
    log = parse(data)
    e = log[10]
    with pytest.raises(ParseError) as ei:
        parse(data[: e.data_offset + 1])
    assert ei.value.index == 10
    assert ei.value.offset == e.data_offset - 4  # the eventSize field that claims too much


@pytest.mark.parametrize("rel", [SMALL_AGILE, *SAMPLED])
def test_byte_flips(rel: str) -> None:
    data = log_bytes(rel)
    rng = random.Random(99)
    for _ in range(120):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        _check_parse(bytes(b))


def test_absurd_sizes_fail_without_allocating() -> None:
    data = bytearray(log_bytes(GT + "gdc-host.bin"))
    log = parse(bytes(data))
    e = log[5]
    tracemalloc.start()
    try:
        # event size larger than the file
        bad = bytearray(data)
        struct.pack_into("<I", bad, e.data_offset - 4, 0xFFFFFFF0)
        with pytest.raises(ParseError, match="exceeds") as ei:
            parse(bytes(bad))
        assert (ei.value.index, ei.value.offset) == (5, e.data_offset - 4)
        # digest count 1e9 and 0
        bad = bytearray(data)
        struct.pack_into("<I", bad, e.offset + 8, 1_000_000_000)
        with pytest.raises(ParseError, match="digest count 1000000000") as ei:
            parse(bytes(bad))
        assert (ei.value.index, ei.value.offset) == (5, e.offset + 8)
        bad = bytearray(data)
        struct.pack_into("<I", bad, e.offset + 8, 0)
        _check_parse(bytes(bad))
        # Spec ID claiming 2**32-1 algorithms
        bad = bytearray(data)
        struct.pack_into("<I", bad, 32 + 24, 0xFFFFFFFF)
        with pytest.raises(ParseError, match="numberOfAlgorithms") as ei:
            parse(bytes(bad))
        assert ei.value.index == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(data) + 1_000_000


def test_unknown_algorithm_in_an_event() -> None:
    data = bytearray(log_bytes(GT + "gdc-host.bin"))
    e = parse(bytes(data))[3]
    struct.pack_into("<H", data, e.offset + 12, 0x0015)
    with pytest.raises(ParseError, match=r"algorithm 0x0015 is not in the Spec ID event") as ei:
        parse(bytes(data))
    assert (ei.value.index, ei.value.offset) == (3, e.offset + 12)


def test_unknown_algorithm_in_spec_id_is_kept() -> None:
    # a header listing an algorithm tlkit cannot hash: digests are parsed by size, replay refuses
    from tlkit.eventlog import EventLog, SpecIdAlgorithm, SpecIdEvent, make_event

    spec = SpecIdEvent(
        "Spec ID Event03",
        0,
        0,
        2,
        0,
        2,
        (SpecIdAlgorithm(0x000B, "sha256", 32), SpecIdAlgorithm(0x0099, "x", 24)),
        b"",
    )
    ev = make_event(4, EventType.EV_EFI_ACTION, b"hi", ("sha256",), digests={"alg_0x0099": b"\x07" * 24})
    log = parse(write(EventLog.from_events([ev], spec_id=spec)))
    assert log.banks == ("sha256", "alg_0x0099")
    assert log[1].digests["alg_0x0099"] == b"\x07" * 24
    assert list(log.replay_all()) == ["sha256"]
    with pytest.raises(UnsupportedAlgorithmError, match="unknown hash algorithm name 'alg_0x0099'"):
        log.replay("alg_0x0099")


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    _check_parse(data)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(min_size=0, max_size=400))
def test_random_event_data_after_a_valid_header(body: bytes) -> None:
    header = log_bytes(SMALL_AGILE)[:77]
    _check_parse(header + body)


_DECODED_TYPES = [int(t) for t in EventType]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.sampled_from(_DECODED_TYPES), st.binary(max_size=300))
def test_payload_decoders_raise_only_parse_error(event_type: int, data: bytes) -> None:
    err = _decode_error(event_type, data, 1000)
    if err is not None:
        assert err.offset is not None
        assert err.offset >= 1000


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_payload_decoders_on_truncated_real_payloads(data: st.DataObject) -> None:
    log = parse(log_bytes(GT + "rhel8-uefi.bin"))
    e = data.draw(st.sampled_from(list(log)))
    cut = data.draw(st.integers(0, len(e.data)))
    err = _decode_error(e.event_type, e.data[:cut], 0)
    if err is not None:
        assert err.offset is not None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_device_path_parser_raises_only_parse_error(data: bytes) -> None:
    from tlkit.eventlog import parse_device_path

    got = _call(lambda d, b: parse_device_path(d, base=b), data, 7)
    if isinstance(got, ParseError):
        assert got.offset is not None
        assert got.offset >= 7
    else:
        assert isinstance(got.text, str)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_signature_list_and_spec_id_parsers_raise_only_parse_error(data: bytes) -> None:
    from tlkit.eventlog import parse_signature_lists
    from tlkit.eventlog._payloads import parse_spec_id

    for fn in (parse_signature_lists, parse_spec_id):
        got = _call(fn, data, 3)
        if isinstance(got, ParseError):
            assert got.offset is not None
            assert got.offset >= 3
