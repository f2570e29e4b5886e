"""Digest-vs-payload check: Event.data_matches_digest and ReplayResult.payload_mismatches, on real logs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import expected_pcrs, fixture_path
from tests.eventlog.logs import GT, KL, LOGS, TT, log_bytes, short
from tlkit.errors import UnsupportedAlgorithmError
from tlkit.eventlog import EventLog, EventType, PayloadMismatch, make_event, parse
from tlkit.eventlog._digestcheck import DERIVABLE_TYPES, data_matches_digest
from tlkit.tpm._alg import SHA1, SHA256

RHEL8 = GT + "rhel8-uefi.bin"
OVMF_SB = KL + "create-mb-policy/binary_bios_measurements-secureboot"

# Every event of every fixture whose digest is not the hash of its data in any accepted form (any
# bank): gdc-host's S-CRTM version (go-tpm-tools rejects this log: "invalid SCRTM version event for
# PCR0"). The Arch workstation's systemd-boot command line matches through the named variant
# SYSTEMD_BOOT_SHORT_NUL (test_tpm2_tools_warning_names_the_same_event).
KNOWN = {
    GT + "gdc-host.bin": [3],
}


@cache
def _log(rel: str) -> EventLog:
    return parse(log_bytes(rel))


def _expected(rel: str, bank: str) -> dict[int, bytes]:
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"][bank]
    return {int(p): bytes.fromhex(v) for p, v in table.items()}


@pytest.mark.parametrize("rel", LOGS, ids=short)
def test_only_known_payload_mismatches_in_fixtures(rel: str) -> None:
    log = _log(rel)
    bad = sorted(
        {
            e.index
            for e in log
            for b in log.banks
            if b in ("sha1", "sha256", "sha384") and e.data_matches_digest(b) is False
        }
    )
    assert bad == KNOWN.get(rel, [])


def test_tpm2_tools_warning_names_the_same_event() -> None:
    """tpm2-tools warns that event 24's digest does not match its data: systemd-boot logged its UTF-16
    command line one byte short of what it measured. The digest is the hash of the data plus 0x00,
    so no logged byte is unmeasured: tlkit accepts it as the named variant SYSTEMD_BOOT_SHORT_NUL."""
    warn = fixture_path(TT + "event-arch-linux.bin.warn").read_text()
    (n,) = re.findall(r"Event (\d+)'s digest does not match its payload", warn)
    log = _log(TT + "event-arch-linux.bin")
    e = log[int(n)]
    assert (e.index, e.pcr, e.type_name, len(e.data) % 2) == (24, 8, "EV_IPL", 1)
    assert SHA256.digest(e.data) != e.digest("sha256")
    assert SHA256.digest(e.data + b"\x00") == e.digest("sha256")
    assert e.data_matches_digest("sha256") is True
    r = log.verify(log.replay("sha256"), "sha256")
    assert r.passed
    assert r.reasons == ()
    # an edited command line of that form is still caught
    flipped = e.data[:10] + bytes([e.data[10] ^ 1]) + e.data[11:]
    assert dataclasses.replace(e, data=flipped).data_matches_digest("sha256") is False


def test_rule_per_event_type_on_rhel8() -> None:
    log = _log(RHEL8)
    got = {
        i: (log[i].type_name, log[i].data_matches_digest("sha256"))
        for i in (0, 1, 2, 3, 8, 9, 10, 13, 21, 22, 26, 27, 75, 76)
    }
    assert got == {
        0: ("EV_NO_ACTION", None),
        1: ("EV_S_CRTM_VERSION", True),
        2: ("EV_NONHOST_INFO", None),
        3: ("EV_EFI_VARIABLE_DRIVER_CONFIG", True),  # SecureBoot
        8: ("EV_SEPARATOR", True),
        9: ("EV_EFI_VARIABLE_BOOT", True),  # BootOrder
        10: ("EV_EFI_VARIABLE_BOOT", True),  # Boot0002
        13: ("EV_EFI_ACTION", True),
        21: ("EV_EFI_VARIABLE_AUTHORITY", True),
        22: ("EV_EFI_GPT_EVENT", True),
        26: ("EV_EFI_BOOT_SERVICES_APPLICATION", None),  # Authenticode hash of grubx64.efi
        27: ("EV_EFI_VARIABLE_AUTHORITY", True),
        75: ("EV_IPL", True),  # grub_cmd on PCR 8
        76: ("EV_IPL", None),  # the kernel file on PCR 9
    }


def test_variable_boot_measures_only_the_variable_data_in_edk2() -> None:
    e = _log(RHEL8)[10]
    # EDK II hashes VariableData only for Boot#### (PFP says UEFI_VARIABLE_DATA): both forms accepted
    assert SHA256.digest(e.data) != e.digest("sha256")
    assert e.data_matches_digest("sha256") is True
    # ...but then the name is not covered, and the variable data still is
    bad = dataclasses.replace(e, data=e.data[:-1] + bytes([e.data[-1] ^ 1]))
    assert bad.data_matches_digest("sha256") is False


def test_shim_authority_extra_byte_is_accepted_as_in_go_attestation() -> None:
    e = _log(GT + "debian-10.bin")[23]
    assert (e.type_name, e.description.split(":")[0]) == ("EV_EFI_VARIABLE_AUTHORITY", "Shim")
    assert SHA1.digest(e.data) != e.digest("sha1")
    assert SHA1.digest(e.data[:-1]) == e.digest("sha1")  # go-attestation issue #157
    assert e.data_matches_digest("sha1") is True
    # the allowance is only for the bare-certificate form: an EFI_SIGNATURE_DATA authority (the
    # firmware's db entry) hashed without its last byte is a mismatch
    fw = _log(RHEL8)[21]
    short_by_one = make_event(7, fw.event_type, fw.data, ("sha256",), measured=fw.data[:-1])
    assert short_by_one.data_matches_digest("sha256") is False


def test_grub_string_with_and_without_nul() -> None:
    e = _log(RHEL8)[75]
    text = e.data[e.data.index(b" ") + 1 :]
    assert text.endswith(b"\x00")
    assert e.digest("sha256") == hashlib.sha256(text).digest()  # this GRUB hashes the NUL too
    without_nul = make_event(8, EventType.EV_IPL, e.data, ("sha256",), measured=text[:-1])
    assert without_nul.data_matches_digest("sha256") is True
    edited = dataclasses.replace(e, data=e.data.replace(b"ro ", b"rw "))
    assert edited.data != e.data
    assert edited.data_matches_digest("sha256") is False


def test_missing_bank_unknown_bank_and_unhashable() -> None:
    e = _log(GT + "debian-10.bin")[7]  # SHA1-format log
    assert e.data_matches_digest("sha1") is True
    assert e.data_matches_digest("sha256") is None
    with pytest.raises(UnsupportedAlgorithmError, match="unknown hash algorithm name 'md5'"):
        e.data_matches_digest("md5")


def test_edited_secure_boot_byte_replays_but_fails_verification() -> None:
    log = _log(RHEL8)
    expected = _expected(RHEL8, "sha256")
    flipped = log.replaced(3, dataclasses.replace(log[3], data=log[3].data[:-1] + b"\x00"))
    assert flipped.replay("sha256") == log.replay("sha256")  # the replay cannot see it
    r = flipped.verify(expected, "sha256")
    assert r.mismatched == ()
    assert 7 in r.matched
    assert not r.passed
    assert r.reasons == ("payload-digest-mismatch:3",)
    assert r.payload_mismatches == (
        PayloadMismatch(3, 7, "EV_EFI_VARIABLE_DRIVER_CONFIG", "sha256", fatal=True),
    )
    assert r.to_dict()["payload_mismatches"] == [
        {"index": 3, "pcr": 7, "type_name": "EV_EFI_VARIABLE_DRIVER_CONFIG", "bank": "sha256", "fatal": True}
    ]
    assert 3 not in {e.index for e in flipped.verified_events(r)}
    # opt-out: replay only
    plain = flipped.verify(expected, "sha256", check_payloads=False)
    assert plain.passed
    assert plain.payload_mismatches == ()
    # the genuine log passes with no payload findings, in every bank
    for bank in ("sha1", "sha256"):
        ok = log.verify(_expected(RHEL8, bank), bank)
        assert ok.passed
        assert ok.reasons == ()


def test_mismatch_on_a_pcr_not_asked_about_is_not_looked_at() -> None:
    log = _log(RHEL8)
    flipped = log.replaced(3, dataclasses.replace(log[3], data=log[3].data[:-1] + b"\x00"))
    only_pcr0 = {0: _expected(RHEL8, "sha256")[0]}
    r = flipped.verify(only_pcr0, "sha256")
    assert r.passed  # PCR 7 was not asked about, so nothing relies on event 3
    assert r.payload_mismatches == ()
    assert r.reasons == ()
    both = flipped.verify(_expected(RHEL8, "sha256"), "sha256", only=(0, 7))
    assert not both.passed
    assert both.reasons == ("payload-digest-mismatch:3",)


def test_gdc_host_scrtm_version_mismatch_fails() -> None:
    """A real log whose S-CRTM version data is not what was measured fails (go-tpm-tools rejects it
    too: "invalid SCRTM version event for PCR0"); asking about the other PCRs passes."""
    log = _log(GT + "gdc-host.bin")
    expected = _expected(GT + "gdc-host.bin", "sha256")
    r = log.verify(expected, "sha256")
    assert not r.passed
    assert 0 in r.matched
    assert r.reasons == ("payload-digest-mismatch:3",)
    assert r.payload_mismatches == (PayloadMismatch(3, 0, "EV_S_CRTM_VERSION", "sha256"),)
    assert r.to_dict()["passed"] is False
    assert log[3].data == "2.3.5\x00".encode("utf-16-le")
    assert log.verify(expected, "sha256", only=[p for p in expected if p != 0]).passed


def test_kernel_command_line_edit_fails_verify() -> None:
    """Adding ``lockdown=none`` to GRUB's logged kernel command line of a real OVMF Secure Boot log
    (digests kept) fails."""
    log = _log(OVMF_SB)
    expected = log.replay("sha256")
    k = next(e for e in log if e.pcr == 8 and e.data.startswith(b"kernel_cmdline: "))
    doctored = log.replaced(k.index, dataclasses.replace(k, data=k.data[:-1] + b" lockdown=none\x00"))
    assert doctored.replay("sha256") == log.replay("sha256")  # the replay cannot see it
    r = doctored.verify(expected, "sha256")
    assert not r.passed
    assert r.reasons == (f"payload-digest-mismatch:{k.index}",)
    assert r.to_dict()["passed"] is False
    assert k.index not in {e.index for e in doctored.verified_events(r)}


def test_edited_separator_is_fatal() -> None:
    log = _log(RHEL8)
    sep = log[8]
    assert (sep.pcr, sep.type_name) == (7, "EV_SEPARATOR")
    bad = log.replaced(8, dataclasses.replace(sep, data=b"\x01\x00\x00\x00"))  # an "error" separator
    r = bad.verify(_expected(RHEL8, "sha1"), "sha1")
    assert not r.passed
    assert r.mismatched == ()
    assert r.reasons == ("payload-digest-mismatch:8",)


_TYPES = st.sampled_from(sorted(DERIVABLE_TYPES | {0, 2, 3, 0x80000003, 0xFFFFFFFF}))


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    typ=_TYPES,
    pcr=st.integers(0, 24),
    data=st.binary(max_size=96),
    digest=st.binary(min_size=32, max_size=32),
)
def test_random_events_never_raise(typ: int, pcr: int, data: bytes, digest: bytes) -> None:
    e = make_event(pcr, typ, data, ("sha256",), digests={"sha256": digest})
    got = e.data_matches_digest("sha256")
    assert got in (None, False, True)
    honest = make_event(pcr, typ, data, ("sha256",))
    assert honest.data_matches_digest("sha256") in (None, True) or (typ == EventType.EV_IPL and pcr == 8)
    assert data_matches_digest(typ, pcr, data, None, SHA256) is None


_EVENT = st.tuples(
    _TYPES,
    st.sampled_from([7, 8, 9, 12]),
    st.one_of(st.binary(max_size=64), st.just(b"grub_cmd: ls\x00"), st.just(b"nospace\x00")),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(events=st.lists(_EVENT, min_size=1, max_size=12))
def test_verify_agrees_with_data_matches_digest(events: list[tuple[int, int, bytes, bool, bool]]) -> None:
    """verify's inlined fast paths give exactly Event.data_matches_digest's verdicts."""
    built = []
    for typ, pcr, data, honest, grub in events:
        measured = data[data.find(b" ") + 1 : -1] if grub else data
        kind = EventType.EV_SEPARATOR if typ == EventType.EV_NO_ACTION else typ  # keep every event extended
        built.append(make_event(pcr, kind, data, ("sha256",), measured=measured if honest else b"?" + data))
    log = EventLog.from_events(built, banks=("sha256",))
    r = log.verify(log.replay("sha256"), "sha256")
    assert [m.index for m in r.payload_mismatches] == [
        e.index for e in log if e.data_matches_digest("sha256") is False
    ]
    assert r.passed == (not r.payload_mismatches and not r.violations)
