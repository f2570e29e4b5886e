"""Parsing both log formats and writing them back, on every real fixture."""

from __future__ import annotations

import pytest

from tests.conftest import fixture_path
from tests.eventlog.logs import GA, GT, KL, LOGS, TT, log_bytes, short
from tlkit.errors import DataError, ParseError
from tlkit.eventlog import (
    Event,
    EventLog,
    EventType,
    SpecIdEvent,
    event_type_name,
    make_event,
    parse,
    write,
)

FORMATS = {
    GA + "ebs_event_missing_eventlog": ("sha1", ("sha1",), 38),
    GA + "option_rom_eventlog": ("sha1", ("sha1",), 61),
    GA + "windows_gcp_shielded_vm.json": ("sha1", ("sha1",), None),
    GT + "debian-10.bin": ("sha1", ("sha1",), 25),
    TT + "event-uefi-sha1-log.bin": ("sha1", ("sha1",), 17),
    GA + "sb_cert_eventlog": ("crypto-agile", ("sha1", "sha256", "sha384"), 15),
    GT + "gdc-host.bin": ("crypto-agile", ("sha256",), 159),
    GT + "glinux-alex.bin": ("crypto-agile", ("sha1", "sha256"), 29),
    KL + "create-mb-policy/binary_bios_measurements": ("crypto-agile", ("sha1", "sha256"), 121),
    KL + "mb_log.b64": ("crypto-agile", ("sha256",), 102),
    TT + "event-uefiaction.bin": ("crypto-agile", ("sha1", "sha256", "sha384", "sha512"), 2),
    TT + "event-sd-boot-fedora37.bin": ("crypto-agile", ("sha256",), 28),
}


@pytest.mark.parametrize("rel", LOGS, ids=short)
def test_round_trip_is_byte_identical(rel: str) -> None:
    data = log_bytes(rel)
    log = parse(data)
    assert write(log) == data
    assert write(log, log.format) == data


@pytest.mark.parametrize("rel", sorted(FORMATS), ids=short)
def test_format_banks_and_event_count(rel: str) -> None:
    fmt, banks, count = FORMATS[rel]
    log = parse(log_bytes(rel))
    assert log.format == fmt
    assert log.banks == banks
    if count is not None:
        assert len(log) == count
    if fmt == "crypto-agile":
        assert isinstance(log.spec_id, SpecIdEvent)
        assert log[0].event_type == EventType.EV_NO_ACTION
        assert log[0].payload == log.spec_id
    else:
        assert log.spec_id is None


def test_sha1_format_starts_with_scrtm_version() -> None:
    log = parse(log_bytes(GT + "debian-10.bin"))
    first = log[0]
    assert first.type_name == "EV_S_CRTM_VERSION"
    assert first.offset == 0
    assert first.data_offset == 32
    assert list(first.digests) == ["sha1"]
    assert first.description == "GCE Virtual Firmware v1"


def test_event_fields_of_a_crypto_agile_event() -> None:
    log = parse(log_bytes(TT + "event-uefivar.bin"))
    e = log[1]
    assert (e.index, e.pcr, e.event_type, e.type_name) == (1, 7, 0x80000001, "EV_EFI_VARIABLE_DRIVER_CONFIG")
    # the header announces 4 banks, this event carries only 2 (TPML_DIGEST_VALUES.count = 2)
    assert log.banks == ("sha1", "sha256", "sha384", "sha512")
    assert list(e.digests) == ["sha1", "sha256"]
    assert e.digests["sha1"].hex() == "d4fdd1f14d4041494deb8fc990c45343d2277d08"
    assert e.digest("sha256") == e.digests["sha256"]
    assert e.digest("sha384") is None
    assert e.offset == 77  # right after the 77-byte Spec ID record
    assert e.data_offset == e.offset + 12 + (2 + 20) + (2 + 32) + 4 == 149
    assert len(e.data) == 53
    with pytest.raises(DataError, match="event 1 has no sha384 digest") as ei:
        log.replay("sha384")
    assert ei.value.record == 1


def test_spec_id_header_fields() -> None:
    log = parse(log_bytes(TT + "event-uefiaction.bin"))
    s = log.spec_id
    assert s is not None
    assert (s.signature, s.platform_class, s.spec_version_major, s.spec_version_minor, s.uintn_size) == (
        "Spec ID Event03",
        0,
        2,
        0,
        2,
    )
    assert [(a.alg_id, a.bank, a.digest_size) for a in s.algorithms] == [
        (4, "sha1", 20),
        (11, "sha256", 32),
        (12, "sha384", 48),
        (13, "sha512", 64),
    ]
    assert s.to_bytes() == log[0].data


def test_sha1_to_crypto_agile_and_back() -> None:
    data = log_bytes(GT + "debian-10.bin")
    log = parse(data)
    agile = parse(write(log, "crypto-agile"))
    assert agile.format == "crypto-agile"
    assert agile.banks == ("sha1",)
    assert len(agile) == len(log) + 1
    assert agile.replay("sha1") == log.replay("sha1")
    assert write(agile, "sha1") == data


def test_crypto_agile_to_sha1_keeps_sha1_replay() -> None:
    log = parse(log_bytes(GT + "rhel8-uefi.bin"))
    sha1 = parse(write(log, "sha1"))
    assert sha1.format == "sha1"
    assert len(sha1) == len(log) - 1
    assert sha1.replay("sha1") == log.replay("sha1")


def test_sha1_format_needs_sha1_digests() -> None:
    log = parse(log_bytes(GT + "gdc-host.bin"))
    with pytest.raises(DataError, match="no sha1 digest"):
        write(log, "sha1")
    with pytest.raises(DataError, match="unknown event log format"):
        write(log, "cel")  # type: ignore[arg-type]


def test_events_are_frozen_and_lazy() -> None:
    log = parse(log_bytes(GA + "sb_cert_eventlog"))
    e = log[3]
    with pytest.raises(AttributeError):
        e.pcr = 1  # type: ignore[misc]
    assert "payload" not in e.__dict__
    assert "_decoded" not in e.__dict__
    _ = e.payload
    assert "_decoded" in e.__dict__
    assert log[3] is e  # events are built once


def test_build_log_from_events_and_append() -> None:
    e1 = make_event(
        4, EventType.EV_EFI_ACTION, b"Calling EFI Application from Boot Option", ("sha1", "sha256")
    )
    log = EventLog.from_events([e1], banks=("sha1", "sha256"))
    assert log.format == "crypto-agile"
    assert log.banks == ("sha1", "sha256")
    assert len(log) == 2
    again = parse(write(log))
    assert [(e.pcr, e.event_type, e.data) for e in again] == [(e.pcr, e.event_type, e.data) for e in log]
    expected = again.replay("sha256")[4]
    import hashlib

    assert expected == hashlib.sha256(b"\x00" * 32 + hashlib.sha256(e1.data).digest()).digest()
    longer = log.appended(make_event(4, EventType.EV_SEPARATOR, b"\x00" * 4, ("sha1", "sha256")))
    assert len(longer) == 3
    assert len(log) == 2


def test_replaced_event_changes_replay() -> None:
    log = parse(log_bytes(TT + "event-uefiaction.bin"))
    e = log[1]
    tampered = Event(
        e.index, e.pcr, e.event_type, tuple((a, b"\x11" * len(d)) for a, d in e.digest_list), e.data
    )
    t = log.replaced(1, tampered)
    assert t.replay("sha256")[4] != log.replay("sha256")[4]
    with pytest.raises(DataError, match="no event 5 in a log of 2 events"):
        log.replaced(5, tampered)


def test_unknown_event_type_kept_raw() -> None:
    e = make_event(1, 0x7FFF0000, b"\x01\x02", ("sha256",))
    assert e.type_name == "EV_UNKNOWN_0x7fff0000"
    assert e.payload is None
    assert e.payload_error is None
    assert e.description == "2 bytes"
    assert event_type_name(0x800000E0) == "EV_EFI_VARIABLE_AUTHORITY"


def test_full_pfp_event_type_table() -> None:
    names = {t.name: int(t) for t in EventType}
    assert names["EV_EFI_HCRTM_EVENT"] == 0x80000010
    assert names["EV_EFI_SPDM_DEVICE_AUTHORITY"] == 0x800000E4
    assert names["EV_EFI_PLATFORM_FIRMWARE_BLOB2"] == 0x8000000A
    assert names["EV_EFI_HANDOFF_TABLES2"] == 0x8000000B
    assert names["EV_EFI_VARIABLE_BOOT2"] == 0x8000000C
    assert names["EV_COMPACT_HASH"] == 0x0C
    assert names["EV_EVENT_TAG"] == 0x06
    assert names["EV_NO_ACTION"] == 0x03
    assert len(names) == 40


@pytest.mark.parametrize(
    ("rel", "offset", "message"),
    [
        (KL + "create-mb-policy/binary_bios_measurements-empty", 0, "empty event log"),
        (KL + "create-mb-policy/binary_bios_measurements-bogus", 0, "PCR index"),
        (TT + "specid-vendordata.bin", 69, "vendorInfo"),
    ],
    ids=["empty", "bogus", "specid-vendor-info-past-event-size"],
)
def test_unusable_fixtures_raise_parse_error(rel: str, offset: int, message: str) -> None:
    with pytest.raises(ParseError, match=message) as ei:
        parse(fixture_path(rel).read_bytes())
    assert ei.value.offset == offset
    assert ei.value.index == 0


def test_strictness_and_type_error_are_documented() -> None:
    """specid-vendordata.bin is tpm2-tools' positive fixture: rejected on purpose, and said so."""
    from tlkit.eventlog import EventLog
    from tlkit.eventlog._payloads import parse_spec_id

    doc = parse.__doc__ or ""
    raises = doc.split("Raises:", 1)[1]
    assert "ParseError:" in raises
    assert "TypeError: ``data`` is not ``bytes``" in raises
    assert "specid-vendordata.bin" in doc
    assert "rejected here on purpose" in doc
    assert "specid-vendordata.bin" in (parse_spec_id.__doc__ or "")
    verify_doc = EventLog.verify.__doc__ or ""
    assert "A hash chain only says that the final value differs, not where" in verify_doc
    assert "--reference GOOD_LOG" in verify_doc


def test_parse_accepts_bytearray_and_memoryview_not_str() -> None:
    data = log_bytes(TT + "event-uefiaction.bin")
    assert len(parse(bytearray(data))) == 2
    assert len(parse(memoryview(data))) == 2
    with pytest.raises(TypeError, match="parse\\(\\) needs bytes, not str"):
        parse("not bytes")  # type: ignore[arg-type]


def test_trailing_padding_is_kept() -> None:
    data = log_bytes(GT + "debian-10.bin") + b"\xff" * 40
    log = parse(data)
    assert log.trailer == b"\xff" * 40
    assert write(log) == data
    assert log.replay("sha1") == parse(log_bytes(GT + "debian-10.bin")).replay("sha1")


def test_windows_minus_one_pcr_no_action_is_kept() -> None:
    log = parse(log_bytes(GA + "option_rom_eventlog"))
    last = log[-1]
    assert last.pcr == 0xFFFFFFFF
    assert last.type_name == "EV_NO_ACTION"
    assert 0xFFFFFFFF not in log.replay("sha1")


def test_event_to_dict() -> None:
    e = parse(log_bytes(TT + "event-uefiaction.bin"))[1]
    d = e.to_dict()
    assert d["type_name"] == "EV_EFI_ACTION"
    assert d["pcr"] == 4
    assert d["digests"]["sha1"] == e.digests["sha1"].hex()
    assert d["description"] == e.description
    assert d["payload_error"] is None


def test_write_refuses_digests_the_header_does_not_announce() -> None:
    ev = make_event(4, EventType.EV_EFI_ACTION, b"x", ("sha1", "sha384"))
    log = EventLog.from_events([ev], banks=("sha1", "sha256"))
    with pytest.raises(DataError, match="0x000c does not fit") as ei:
        write(log)
    assert ei.value.record == 1
