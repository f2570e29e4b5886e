"""Windows WBCL SIPA events: decoded from the real Windows logs byte for byte, encoded back, read into the
measured boot configuration; malformed records raise a tlkit error naming the tag, never vanish."""

from __future__ import annotations

import base64
import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import fixture_path
from tlkit.errors import DataError, ParseError, TlkitError
from tlkit.eventlog import EventLog, parse
from tlkit.eventlog._sipa import (
    SIPA_TAGS,
    RevocationList,
    SbcpInfo,
    decode_tagged_events,
    encode_tagged_events,
    sipa_container,
    sipa_event,
    sipa_tag,
    windows_boot_config,
)

GCE_WINDOWS = "go-attestation/attest/testdata/windows_gcp_shielded_vm.json"
OPTION_ROM = "go-attestation/attest/testdata/option_rom_eventlog"


def _gce() -> EventLog:
    doc = json.loads(fixture_path(GCE_WINDOWS).read_text())
    return parse(base64.b64decode(doc["Log"]["Raw"]))


def _option_rom() -> EventLog:
    return parse(fixture_path(OPTION_ROM).read_bytes())


@pytest.mark.parametrize("load", [_gce, _option_rom])
def test_every_real_sipa_event_decodes_and_encodes_back_byte_for_byte(load: object) -> None:
    log = load()  # type: ignore[operator]
    tags = [e for e in log if e.type_name == "EV_EVENT_TAG"]
    assert tags
    for e in tags:
        assert e.payload_error is None
        assert encode_tagged_events(e.payload.events) == e.data
        for record in e.payload.walk():
            assert not record.name.startswith("SIPA_0x"), record.name  # every tag is in the table


def test_the_gce_windows_log_values_are_the_ones_windows_wrote() -> None:
    log = _gce()
    boot = log[11].payload.events[0]  # boot manager's PCR 12 trust boundary
    values = {c.name: c.value for c in boot.children if not c.children}
    assert values == {
        "BootCounter": 4,
        "ApplicationSvn": 1,
        "SvnChainStatus": 0,
        "TransferControl": 1,
        "BootDebugging": False,
        "TestSigning": False,
        "FlightSigning": False,
        "CodeIntegrity": True,
        "BitlockerUnlock": 0,
        "MorBitApiStatus": 0xC0000225,
    }
    loader = log[12].payload.events[0]
    (revocation,) = loader.find("BootRevocationList")
    assert isinstance(revocation.value, RevocationList)
    assert (revocation.value.hash_alg, len(revocation.value.digest)) == (0x000B, 32)
    (sbcp,) = loader.find("SbcpInfo")
    assert isinstance(sbcp.value, SbcpInfo)
    assert (sbcp.value.version, sbcp.value.hash_alg, len(sbcp.value.digest)) == (1, 0x000B, 32)
    module = loader.find("LoadedModuleAggregation")[0]
    fields = {c.name: c.value for c in module.children}
    assert fields["FilePath"] == "\\Windows\\system32\\winload.efi"
    assert fields["AuthorityIssuer"] == "Microsoft Windows Production PCA 2011"
    assert fields["AuthorityPublisher"] == "Microsoft Windows"
    assert fields["HashAlgorithmId"] == 0x800C  # CALG_SHA_256
    assert fields["ImageValidated"] is True
    assert "TestSigning=false" in log[11].description


def test_windows_boot_config_of_the_real_gce_shielded_vm() -> None:
    config = windows_boot_config(_gce())
    # what that Windows Server VM measured: no debugging, no test signing, code integrity on,
    # Windows Defender's ELAM driver, no hypervisor / VBS / HVCI / Credential Guard, BitLocker off
    assert (config.boot_debug, config.kernel_debug, config.test_signing, config.flight_signing) == (
        False, False, False, False,
    )  # fmt: skip
    assert config.code_integrity is True
    assert config.elam_drivers == ("Windows Defender",)
    assert config.elam is True
    assert (config.hvci_policy, config.hypervisor_launch_type, config.vsm_launch_type) == (0, 0, 0)
    assert (config.vbs, config.hvci, config.credential_guard) == (False, False, False)
    assert config.vbs_required == ()
    assert config.lsa_iso_config is None
    assert config.bitlocker_unlocks == ()
    assert config.events == (11, 12, 14, 15)
    assert config.skipped == ()
    paths = [p for p, _ in config.loaded_modules]
    assert paths[0] == "\\Windows\\system32\\winload.efi"
    assert "\\Windows\\system32\\ntoskrnl.exe" in paths
    assert "\\Windows\\system32\\drivers\\wd\\WdBoot.sys" in paths


def test_windows_boot_config_of_the_option_rom_pc_shows_vbs_and_credential_guard() -> None:
    config = windows_boot_config(_option_rom())
    assert (config.hypervisor_launch_type, config.vsm_launch_type) == (1, 1)
    assert config.vbs_required == (
        "VbsVsmRequired", "VbsSecurebootRequired", "VbsMmioNxRequired", "VbsMsrFilteringRequired",
        "VbsMicrosoftBootChainRequired",
    )  # fmt: skip
    assert config.vbs is True
    assert config.lsa_iso_config == 2  # LSA isolation (Credential Guard) on, without UEFI lock
    assert config.credential_guard is True
    assert config.hvci_policy == 0
    assert config.bitlocker_unlocks == (4, 4, 1, 1)  # TPM, then cached


def test_a_linux_log_measures_no_windows_configuration() -> None:
    config = windows_boot_config(
        parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())
    )
    assert config == type(config)()


def test_an_event_whose_digest_is_not_its_data_is_skipped_and_named() -> None:
    log = _gce()
    events = list(log)
    e = events[11]
    events[11] = type(e)(
        e.index, e.pcr, e.event_type, tuple((a, bytes(len(d))) for a, d in e.digest_list), e.data
    )
    config = windows_boot_config(events)
    assert config.skipped == (11,)
    assert 11 not in config.events


def test_builders_encode_values_the_way_windows_does() -> None:
    record = sipa_container(
        "TrustBoundary",
        [sipa_event("BootDebugging", False), sipa_event("OsKernelDebug", True), sipa_event("BootCounter", 4),
         sipa_event("SystemRoot", "\\Windows"), sipa_event("VbsHvciPolicy", 1)],
    )  # fmt: skip
    data = encode_tagged_events([record])
    assert data[:8] == struct.pack("<II", 0x40010001, len(data) - 8)
    assert data[8:17] == struct.pack("<II", 0x00040001, 1) + b"\x00"
    back = decode_tagged_events(data).events[0]
    assert back == record
    assert [c.value for c in back.children] == [False, True, 4, "\\Windows", 1]
    assert sipa_tag("LoadedModuleAggregation") == 0x40010003
    with pytest.raises(DataError):
        sipa_event("NoSuchTag", 1)
    with pytest.raises(DataError):
        sipa_event("TrustBoundary", 1)


def test_a_malformed_known_tag_is_an_error_naming_it() -> None:
    bad = struct.pack("<II", 0x00050003, 2) + b"\x00\x00"  # TestSigning is a 1-byte BOOLEAN
    with pytest.raises(ParseError, match="TestSigning") as info:
        decode_tagged_events(bad, base=100)
    assert info.value.offset == 108
    cut = struct.pack("<II", 0x40010001, 20) + b"\x00" * 4
    with pytest.raises(ParseError, match="TrustBoundary"):
        decode_tagged_events(cut)
    unknown = struct.pack("<II", 0x00057777, 3) + b"abc"  # unknown tags keep their bytes
    assert decode_tagged_events(unknown).events[0].value == b"abc"


def test_the_table_has_the_wbcl_values() -> None:
    names = {t.name: t.tag_id for t in SIPA_TAGS.values()}
    assert names["BootDebugging"] == 0x00040001  # pre-OS parameter, not an error type
    assert names["BootRevocationList"] == 0x00040002
    assert names["FlightSigning"] == 0x00050021
    assert names["LsaIsoConfig"] == 0x00050028
    assert names["SbcpInfo"] == 0x00050029
    assert names["VbsHvciPolicy"] == 0x000A0007
    assert SIPA_TAGS[0x00050003].macro == "SIPAEVENT_TESTSIGNING"


_record = st.tuples(
    st.sampled_from([*SIPA_TAGS, 0x40010001, 0x40010003, 0x12345678]), st.binary(max_size=40)
).map(lambda t: struct.pack("<II", t[0], len(t[1])) + t[1])


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=200), st.lists(_record, max_size=6).map(b"".join)))
def test_any_bytes_decode_or_raise_a_tlkit_error(data: bytes) -> None:
    try:
        events = decode_tagged_events(data)
    except TlkitError:
        return
    assert encode_tagged_events(events.events) == data
    events.description  # noqa: B018 - must not raise
