"""Payload decoders, checked against tpm2-tools' expected YAML and against known fixture content."""

from __future__ import annotations

import re
import struct
import uuid
from typing import Any

import pytest
import yaml

from tests.conftest import fixture_path
from tests.eventlog.logs import GA, GT, KL, LOGS, TT, log_bytes, short
from tlkit.errors import ParseError
from tlkit.eventlog import (
    CertificateInfo,
    FirmwareBlob,
    GptData,
    HandoffTables,
    ImageLoad,
    LoadOption,
    PostCode,
    Separator,
    SignatureList,
    TaggedEvents,
    TextEvent,
    UefiVariable,
    make_event,
    parse,
    parse_device_path,
    parse_signature_lists,
)

YAMLS = (
    "event-arch-linux.bin",
    "event-bootorder.bin",
    "event-gce-ubuntu-2104-log.bin",
    "event-moklisttrusted.bin",
    "event-postcode.bin",
    "event-sd-boot-fedora37.bin",
    "event-uefi-sha1-log.bin",
    "event-uefiaction.bin",
    "event-uefiservices.bin",
    "event-uefivar.bin",
)

# Device-path nodes whose tpm2-tools (efivar) text matches the UEFI text form after renaming.
_EASY_NODES = re.compile(r"^(PciRoot|Pci|HD|File|FvVol|FvFile|Offset|VenHw)\(")


def _uefi_text(efivar: str) -> str | None:
    """tpm2-tools' device path text in UEFI spec form, or None when not directly comparable."""
    if not efivar:
        return ""
    nodes = efivar.split("/")
    if not all(_EASY_NODES.match(n) for n in nodes):
        return None
    out = []
    for n in nodes:
        if n.startswith("File("):
            out.append(n[5:-1])
        elif n.startswith("FvVol("):
            out.append("Fv(" + n[6:])
        else:
            out.append(n)
    return "/".join(out)


class _Pairs(list[tuple[Any, Any]]):
    """A YAML mapping as its (key, value) pairs in order, repeated keys kept."""


class _DuplicateKeyLoader(yaml.SafeLoader):
    """A safe loader that keeps repeated mapping keys (``yaml.safe_load`` keeps only the last)."""


def _pairs(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Pairs:
    return _Pairs(
        (loader.construct_object(k, deep=True), loader.construct_object(v, deep=True)) for k, v in node.value
    )


_DuplicateKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _pairs)


def _plain(obj: Any) -> Any:
    """Pairs with unique keys back to dicts (recursively); lists stay lists."""
    if isinstance(obj, _Pairs):
        keys = [k for k, _ in obj]
        assert len(set(keys)) == len(keys), f"repeated keys {keys}"
        return {k: _plain(v) for k, v in obj}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def _tpm2_tools_yaml(name: str) -> dict[str, Any]:
    """tpm2-tools' expected YAML for a log. For SHA1-format logs tpm2-tools writes ``events`` as
    ONE mapping whose keys repeat per event (PCRIndex, EventType, ... PCRIndex, ...); it is split
    back into one dict per event at each ``PCRIndex``, with ``EventNum`` added."""
    text = fixture_path(f"{TT}event-pretty/{name}.yaml").read_text()
    top = yaml.load(text, Loader=_DuplicateKeyLoader)  # a SafeLoader subclass
    assert isinstance(top, _Pairs)
    doc = {k: v for k, v in top if k != "events"}
    raw = next(v for k, v in top if k == "events")
    if isinstance(raw, _Pairs):
        events: list[_Pairs] = []
        for k, v in raw:
            if k == "PCRIndex":
                events.append(_Pairs())
            events[-1].append((k, v))
        doc["events"] = [{"EventNum": i, **_plain(e)} for i, e in enumerate(events)]
    else:
        doc["events"] = _plain(raw)
    return {k: _plain(v) if k != "events" else v for k, v in doc.items()}


def test_sha1_yaml_is_split_into_events_not_collapsed() -> None:
    doc = _tpm2_tools_yaml("event-uefi-sha1-log.bin")
    assert isinstance(
        yaml.safe_load(fixture_path(f"{TT}event-pretty/event-uefi-sha1-log.bin.yaml").read_text())["events"],
        dict,
    )
    events = doc["events"]
    assert len(events) == len(parse(fixture_path(TT + "event-uefi-sha1-log.bin").read_bytes())) == 17
    assert [e["EventType"] for e in events[:3]] == [
        "EV_S_CRTM_VERSION",
        "EV_EFI_VARIABLE_DRIVER_CONFIG",
        "EV_EFI_VARIABLE_DRIVER_CONFIG",
    ]
    assert events[0]["Digests"] == [
        {"AlgorithmId": "sha1", "Digest": "c42fedad268200cb1d15f97841c344e79dae3320"}
    ]
    assert events[1]["Event"]["UnicodeName"] == "SecureBoot"


@pytest.mark.parametrize("name", YAMLS)
def test_decoded_fields_agree_with_tpm2_tools_yaml(name: str) -> None:
    doc = _tpm2_tools_yaml(name)
    log = parse(fixture_path(TT + name).read_bytes())
    events: list[dict[str, Any]] = doc["events"]
    assert len(events) == len(log)
    checked = {"var": 0, "image": 0, "path": 0, "string": 0, "blob": 0, "hex": 0}
    for y, e in zip(events, log, strict=True):
        assert y["EventNum"] == e.index
        assert y["PCRIndex"] == e.pcr
        assert y["EventType"] == e.type_name
        assert y["EventSize"] == len(e.data)
        if "Digests" in y:
            assert [(d["AlgorithmId"], d["Digest"]) for d in y["Digests"]] == [
                (b, d.hex()) for b, d in e.digests.items()
            ]
        else:
            assert y["Digest"] == e.digests["sha1"].hex()
        ev = y.get("Event")
        if isinstance(ev, str) and y["EventType"] == "EV_S_CRTM_VERSION":
            assert ev == e.data.hex()
            checked["hex"] += 1
        if not isinstance(ev, dict):
            continue
        p = e.payload
        if "VariableName" in ev:
            assert isinstance(p, UefiVariable)
            assert (p.vendor_guid, p.name, len(p.data)) == (
                ev["VariableName"],
                ev["UnicodeName"],
                ev["VariableDataLength"],
            )
            if isinstance(ev.get("VariableData"), str):
                assert p.data.hex() == ev["VariableData"]
            checked["var"] += 1
        if "ImageLocationInMemory" in ev:
            assert isinstance(p, ImageLoad)
            assert (p.location, p.length, p.link_time_address) == (
                ev["ImageLocationInMemory"],
                ev["ImageLengthInMemory"],
                ev["ImageLinkTimeAddress"],
            )
            want = _uefi_text(ev.get("DevicePath", ""))
            if want is not None:
                assert p.device_path.text == want
                checked["path"] += 1
            checked["image"] += 1
        if "String" in ev:
            assert ev["String"].encode("latin-1") == e.data
            assert isinstance(p, TextEvent)
            assert p.text == e.data.decode(p.encoding).split("\x00")[0]
            checked["string"] += 1
        if "BlobBase" in ev:
            assert isinstance(p, (FirmwareBlob, PostCode))
            blob = p.blob if isinstance(p, PostCode) else p
            assert blob is not None
            assert (blob.base, blob.length) == (ev["BlobBase"], ev["BlobLength"])
            checked["blob"] += 1
    if name == "event-uefi-sha1-log.bin":
        # every event of the SHA1-format log compared: 5 variables, 2 image loads, the S-CRTM version
        assert (checked["var"], checked["image"], checked["hex"]) == (5, 2, 1)
    # the PCR section of the YAML equals our replay of every bank it lists
    for bank, pcrs in (doc.get("pcrs") or {}).items():
        ours = log.replay(bank)
        size = len(next(iter(ours.values())))
        assert {p: f"{v:0{2 * size}x}" for p, v in pcrs.items()} == {p: v.hex() for p, v in ours.items()}
    if name in ("event-bootorder.bin", "event-moklisttrusted.bin"):
        assert checked["var"] >= 5
        assert checked["image"] >= 3
        assert checked["path"] >= 3


@pytest.mark.parametrize("rel", LOGS, ids=short)
def test_every_payload_decodes_or_says_why(rel: str) -> None:
    log = parse(log_bytes(rel))
    for e in log:
        assert isinstance(e.description, str)
        if e.payload_error is not None:
            assert e.payload is None
            assert e.description.startswith("undecodable")
    frame = log.to_frame()
    assert len(frame) == len(log)
    assert list(frame.columns[:5]) == ["index", "offset", "pcr", "type", "type_name"]
    assert [f"digest_{b}" for b in log.banks] == list(frame.columns[5:-1])


def test_no_fixture_payload_fails_to_decode() -> None:
    failures = [
        (short(rel), e.index, e.payload_error)
        for rel in LOGS
        for e in parse(log_bytes(rel))
        if e.payload_error
    ]
    assert failures == []


def test_uefi_variable_secure_boot_and_signature_lists() -> None:
    log = parse(log_bytes(GA + "sb_cert_eventlog"))
    sb = log[2].payload
    assert isinstance(sb, UefiVariable)
    assert (sb.vendor_guid, sb.name, sb.data, sb.value) == (
        "8be4df61-93ca-11d2-aa0d-00e098032b8c",
        "SecureBoot",
        b"\x01",
        True,
    )
    db = log[5].payload
    assert isinstance(db, UefiVariable)
    assert db.name == "db"
    assert db.vendor_guid == "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
    lists = db.value
    assert isinstance(lists, tuple)
    assert all(isinstance(x, SignatureList) for x in lists)
    certs = [c for sl in lists for c in sl.certificates]
    assert [c.subject.split(",")[0] for c in certs if c.subject] == [
        "CN=Microsoft Corporation UEFI CA 2011",
        "CN=Microsoft Root Certificate Authority 2010",
        "CN=Microsoft Windows Production PCA 2011",
        "CN=Microsoft Corporation Third Party Marketplace Root",
    ]
    uefi_ca = certs[0]
    assert uefi_ca.serial == 458232382112382700224516
    assert uefi_ca.sha256_fingerprint == "48e99b991f57fc52f76149599bff0a58c47154229b9f8d603ac40d3500248507"
    assert uefi_ca.issuer is not None
    assert uefi_ca.issuer.startswith("CN=Microsoft Corporation Third Party")
    dbx = log[6].payload
    assert isinstance(dbx, UefiVariable)
    hashes = [h for sl in dbx.value for h in sl.hashes]  # type: ignore[union-attr]
    assert len(hashes) == 77
    assert {len(h) for h in hashes} == {32}
    assert dbx.value[0].type_name == "EFI_CERT_SHA256"  # type: ignore[index]
    assert dbx.description == "dbx: 0 certificate(s), 77 hash(es)"


def test_boot_variables_and_load_options() -> None:
    log = parse(log_bytes(GA + "option_rom_eventlog"))
    order = log[12].payload
    assert isinstance(order, UefiVariable)
    assert order.name == "BootOrder"
    assert order.value[:3] == (0x13, 0x0C, 0x0D)  # type: ignore[index]
    boot = log[13].payload
    assert isinstance(boot, UefiVariable)
    assert boot.name == "Boot0013"
    opt = boot.value
    assert isinstance(opt, LoadOption)
    assert opt.active
    assert opt.description == "Windows Boot Manager"
    assert opt.device_path.text == (
        "HD(2,GPT,e3386700-0b78-4113-a69a-457470234cdd,0x96800,0x82000)/\\EFI\\Microsoft\\Boot\\bootmgfw.efi"
    )
    assert opt.device_path.file_path == "\\EFI\\Microsoft\\Boot\\bootmgfw.efi"
    mac = log[17].payload
    assert isinstance(mac, UefiVariable)
    assert isinstance(mac.value, LoadOption)
    assert (
        mac.value.device_path.text
        == "PciRoot(0x0)/Pci(0x19,0x0)/MAC(dc4a3e7c818d,0x0)/IPv4(0.0.0.0,0,DHCP,0.0.0.0)"
    )


def test_image_load_with_pci_sata_hd_file_path() -> None:
    log = parse(log_bytes(GA + "option_rom_eventlog"))
    img = log[43].payload
    assert isinstance(img, ImageLoad)
    assert img.device_path.text == (
        "PciRoot(0x0)/Pci(0x11,0x4)/Sata(0x1,0x8000,0x0)/"
        "HD(2,GPT,e3386700-0b78-4113-a69a-457470234cdd,0x96800,0x82000)/\\EFI\\Microsoft\\Boot\\bootmgfw.efi"
    )
    drv = log[11].payload
    assert isinstance(drv, ImageLoad)
    assert drv.device_path.text == "PciRoot(0x0)/Pci(0x2,0x0)/Pci(0x0,0x0)/Offset(0xf600,0x207ff)"


def test_shim_bug_157_trailing_bytes_are_kept() -> None:
    log = parse(log_bytes(GA + "sb_cert_eventlog"))
    img = log[11].payload
    assert isinstance(img, ImageLoad)
    assert img.device_path.text == ""
    assert len(img.trailing) == 9
    auth = log[12].payload
    assert isinstance(auth, UefiVariable)
    assert auth.name == "Shim"
    assert isinstance(auth.value, CertificateInfo)  # a bare certificate, not EFI_SIGNATURE_DATA
    assert auth.value.subject is not None
    assert "Canonical Ltd. Master Certificate Authority" in auth.value.subject
    assert len(auth.trailing) == 6


def test_gpt_event() -> None:
    log = parse(log_bytes(TT + "event-bootorder.bin"))
    gpt = next(e for e in log if e.type_name == "EV_EFI_GPT_EVENT").payload
    assert isinstance(gpt, GptData)
    assert gpt.disk_guid == "07081ba2-7cc9-4663-8ecf-4692ccb7e3ec"
    assert (gpt.number_of_partition_entries, gpt.size_of_partition_entry, gpt.header_size) == (128, 128, 92)
    assert [p.type_guid for p in gpt.partitions] == [
        "0fc63daf-8483-4772-8e79-3d69d8477de4",  # Linux filesystem
        "21686148-6449-6e6f-744e-656564454649",  # BIOS boot
        "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",  # EFI system partition
    ]
    esp = gpt.partitions[2]
    assert esp.unique_guid == "c359e798-596a-42b6-b6f6-eca290429d99"  # the HD() node of the shim load
    assert (esp.starting_lba, esp.ending_lba) == (0x2800, 0x377FF)


def test_ipl_kinds() -> None:
    log = parse(log_bytes(TT + "event-moklisttrusted.bin"))
    kinds = {e.payload.kind for e in log if isinstance(e.payload, TextEvent) and e.type_name == "EV_IPL"}
    assert {"grub_cmd", "kernel_cmdline", "grub_file", "shim"} <= kinds
    cmdline = next(
        e.payload for e in log if isinstance(e.payload, TextEvent) and e.payload.kind == "kernel_cmdline"
    )
    assert isinstance(cmdline, TextEvent)
    assert cmdline.text.startswith("kernel_cmdline: (hd0,gpt2)/vmlinuz-5.14.0-130.el9.x86_64 root=UUID=")
    sd = parse(log_bytes(TT + "event-sd-boot-fedora37.bin"))
    utf16 = [e.payload for e in sd if e.pcr == 12 and isinstance(e.payload, TextEvent)]
    assert utf16
    assert utf16[0].encoding == "utf-16-le"
    assert utf16[0].kind == "systemd-boot"
    assert utf16[0].text == " console=ttyS0 console=tty0 efi=debug "


def test_systemd_event_tag() -> None:
    sd = parse(log_bytes(TT + "event-sd-boot-fedora37.bin"))
    tag = sd[25].payload
    assert isinstance(tag, TaggedEvents)
    assert [(t.tag_id, t.name, t.text) for t in tag.events] == [
        (0x8F3B22EC, "systemd:initrd", "Linux initrd")
    ]


def test_sipa_tag_names_are_package_data() -> None:
    """The SIPA names come from tlkit/eventlog/data/sipa_tags.csv, which the wheel ships."""
    import importlib.resources
    import tomllib
    from pathlib import Path

    from tests.conftest import REPO
    from tlkit.eventlog._payloads import SIPA_TAGS_FILE, sipa_names

    names = sipa_names()
    assert len(names) == 98
    assert names[0x00010001] == "TrustBoundary"
    assert names[0x00050002] == "CodeIntegrity"
    assert names[0x000B0001] == "KsrSignature"
    assert sipa_names() is names  # read once
    res = importlib.resources.files("tlkit.eventlog").joinpath(SIPA_TAGS_FILE)
    assert res.is_file()
    assert res.read_text(encoding="utf-8").splitlines()[0] == "tag_id,name,payload,macro"
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {
        p.relative_to(REPO / "tlkit").as_posix()
        for g in package_data["tlkit"]
        for p in (REPO / "tlkit").glob(g)
    }
    assert {"eventlog/data/sipa_tags.csv", "eventlog/data/SOURCES.md"} <= shipped
    sources = (REPO / "tlkit/eventlog/data/SOURCES.md").read_text()
    assert "attest/win_events.go" in sources
    assert "wbcl.h" in sources
    assert Path(str(res)).name == "sipa_tags.csv"


def test_windows_sipa_tags_nest() -> None:
    log = parse(log_bytes(GA + "option_rom_eventlog"))
    tag = log[45].payload
    assert isinstance(tag, TaggedEvents)
    top = tag.events[0]
    assert (top.tag_id, top.name, top.size, len(top.children)) == (0x40010001, "TrustBoundary", 272, 14)
    names = [t.name for t in tag.walk()]
    assert names[:4] == ["TrustBoundary", "CounterId", "EventCounter", "BootCounter"]
    assert "LoadedModuleAggregation" in names
    assert "AuthenticodeHash" in names
    pub = log[47].payload
    assert isinstance(pub, TaggedEvents)
    assert pub.events[0].name == "AuthorityPubKey"
    wbcl = log[55].payload
    assert isinstance(wbcl, Separator)
    assert not wbcl.is_error
    assert wbcl.description == "separator 'WBCL'"


def test_scrtm_postcode_blob_and_handoff() -> None:
    log = parse(log_bytes(GA + "option_rom_eventlog"))
    assert log[0].description == "M60"  # ASCII S-CRTM version followed by binary data
    pc = log[9].payload
    assert isinstance(pc, PostCode)
    assert pc.text == "ACPI DATA"
    pc16 = parse(log_bytes(TT + "event-postcode.bin"))[2].payload
    assert isinstance(pc16, PostCode)
    assert pc16.blob == FirmwareBlob(0xFF130000, 0xA7F000)
    gce = parse(log_bytes(GT + "ubuntu-2104-no-dbx.bin"))
    assert gce[1].description == "GCE Virtual Firmware v1"
    tables = [
        e.payload
        for e in parse(log_bytes(KL + "create-mb-policy/binary_bios_measurements"))
        if isinstance(e.payload, HandoffTables)
    ]
    assert tables[0].tables == (("f2fd1544-9794-4a2c-992e-e5bbcf20e394", 2412445696),)
    assert tables[0].description == "handoff tables SMBIOS3_TABLE"


def test_blob2_handoff2_and_hcrtm_decoders() -> None:
    blob2 = make_event(0, 0x8000000A, bytes([4]) + b"PEI\x00" + struct.pack("<QQ", 0xFF000000, 0x1000))
    assert blob2.payload == FirmwareBlob(0xFF000000, 0x1000, "PEI")
    guid = uuid.UUID("eb9d2d31-2d88-11d3-9a16-0090273fc14d").bytes_le
    h2 = make_event(
        1, 0x8000000B, bytes([5]) + b"SMBIO" + struct.pack("<Q", 1) + guid + struct.pack("<Q", 0xF0000)
    )
    assert h2.payload == HandoffTables((("eb9d2d31-2d88-11d3-9a16-0090273fc14d", 0xF0000),), "SMBIO")
    bad = make_event(1, 0x8000000B, bytes([5]) + b"SMBIO" + struct.pack("<Q", 10**12))
    assert bad.payload is None
    assert bad.payload_error is not None
    assert "NumberOfTables" in bad.payload_error
    assert make_event(0, 0x80000010, b"HCRTM").description == "HCRTM"


def test_spec_id_and_startup_locality_payloads() -> None:
    log = parse(log_bytes(GT + "gdc-host.bin"))
    assert log[0].description == "Spec ID Event03: banks sha256"
    assert log[1].description == "StartupLocality 3"


def test_device_path_nodes() -> None:
    def node(t: int, st: int, body: bytes) -> bytes:
        return bytes((t, st)) + struct.pack("<H", 4 + len(body)) + body

    end = node(0x7F, 0xFF, b"")
    guid = uuid.UUID("7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1").bytes_le
    path = (
        node(2, 1, struct.pack("<II", 0x0A0341D0, 0))
        + node(1, 1, bytes((1, 1)))
        + node(3, 0x17, struct.pack("<I", 1) + bytes(range(8)))
        + node(3, 0x18, b"http://x/y.efi")
        + node(1, 3, struct.pack("<IQQ", 11, 0x1000, 0x1FFF))
        + node(4, 7, guid)
        + node(4, 6, guid)
        + node(2, 1, struct.pack("<II", 0x050141D0, 2))
        + node(4, 4, "\\EFI\\BOOT\\BOOTX64.EFI\x00".encode("utf-16-le"))
        + node(0x33, 0x44, b"\xab\xcd")
        + end
    )
    dp = parse_device_path(path)
    assert dp.text == (
        "PciRoot(0x0)/Pci(0x1,0x1)/NVMe(0x1,00-01-02-03-04-05-06-07)/Uri(http://x/y.efi)/"
        "MemoryMapped(0xb,0x1000,0x1fff)/Fv(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/"
        "FvFile(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/Acpi(PNP0501,0x2)/\\EFI\\BOOT\\BOOTX64.EFI/Path(51,68,abcd)"
    )
    two = parse_device_path(
        node(1, 1, bytes((0, 2))) + node(0x7F, 0x01, b"") + node(1, 1, bytes((0, 3))) + end
    )
    assert two.text == "Pci(0x2,0x0),Pci(0x3,0x0)"
    short_pci = parse_device_path(node(1, 1, b"\x01"))
    assert short_pci.text == "Path(1,1,01)"
    with pytest.raises(ParseError, match="length 2 invalid") as ei:
        parse_device_path(bytes((1, 1, 2, 0)), base=100)
    assert ei.value.offset == 100
    with pytest.raises(ParseError, match="cut short"):
        parse_device_path(b"\x01\x01")


def test_signature_list_errors_have_offsets() -> None:
    sl = uuid.UUID("c1c41626-504c-4092-aca9-41f936934328").bytes_le + struct.pack("<III", 28 + 48, 0, 48)
    good = sl + b"\x00" * 16 + b"\x11" * 32
    (parsed,) = parse_signature_lists(good)
    assert parsed.hashes == (b"\x11" * 32,)
    with pytest.raises(ParseError, match="SignatureListSize"):
        parse_signature_lists(good[:-1], base=10)
    wrong = uuid.UUID(int=0).bytes_le + struct.pack("<III", 28 + 47, 0, 48) + b"\x00" * 47
    with pytest.raises(ParseError, match="does not divide"):
        parse_signature_lists(wrong)


def test_variable_with_bad_value_keeps_variable() -> None:
    name = "db".encode("utf-16-le")
    body = (
        uuid.UUID("d719b2cb-3d3a-4596-a3bc-dad00e67656f").bytes_le
        + struct.pack("<QQ", 2, 5)
        + name
        + b"\x01" * 5
    )
    e = make_event(7, 0x80000001, body)
    v = e.payload
    assert isinstance(v, UefiVariable)
    assert v.name == "db"
    assert v.value is None
    assert v.value_error is not None
    assert "EFI_SIGNATURE_LIST" in v.value_error
    assert e.payload_error is None


def test_empty_secure_boot_variable() -> None:
    log = parse(log_bytes(GT + "arch-linux-workstation.bin"))
    sb = next(
        e.payload for e in log if isinstance(e.payload, UefiVariable) and e.payload.name == "SecureBoot"
    )
    assert isinstance(sb, UefiVariable)
    assert sb.data == b""
    assert sb.value is None
    assert sb.description == "SecureBoot = <empty>"
