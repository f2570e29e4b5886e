"""EFI_SIGNATURE_LIST and UEFI_VARIABLE_DATA as written by tlkit read back by tlkit.eventlog's parsers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.boot.conftest import SEED
from tests.conftest import fixture_path
from tlkit.boot import MICROSOFT_OWNER, SecureBootDatabases, hash_entries, secure_boot_databases, signing_key
from tlkit.eventlog import EventType, make_event, parse, parse_signature_lists, secure_boot_state
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._build import signature_list, variable_data

REAL = "go-tpm-tools/server/secure-boot"
HYPERV_LOG = "cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin"


def _real_dbx_hashes() -> tuple[bytes, ...]:
    state = secure_boot_state(parse(fixture_path(HYPERV_LOG).read_bytes()))
    assert state.dbx is not None
    return state.dbx.hashes


def test_db_with_real_microsoft_certificates_reads_back(dbs: SecureBootDatabases) -> None:
    real = tuple(
        fixture_path(f"{REAL}/{n}").read_bytes()
        for n in ("MicWinProPCA2011_2011-10-19.crt", "MicCorUEFCA2011_2011-06-27.crt")
    )
    hashes = _real_dbx_hashes()
    built = secure_boot_databases(SEED, extra_db=real, dbx_hashes=hashes)
    lists = parse_signature_lists(built.db.data)
    assert [sl.signature_type for sl in lists] == [guids.EFI_CERT_X509] * 5
    subjects = [sl.certificates[0].subject for sl in lists]
    assert subjects[:3] == [signing_key(SEED, r).subject for r in ("windows-pca", "uefi-ca", "kmod-pca")]
    assert subjects[3].startswith("CN=Microsoft Windows Production PCA 2011,O=Microsoft Corporation")
    assert subjects[4].startswith("CN=Microsoft Corporation UEFI CA 2011,O=Microsoft Corporation")
    assert {owner for sl in lists for owner, _ in sl.entries} == {MICROSOFT_OWNER}
    dbx = parse_signature_lists(built.dbx.data)
    assert len(dbx) == 1
    assert dbx[0].signature_type == guids.EFI_CERT_SHA256
    assert dbx[0].hashes == hashes
    assert len(hashes) == 431


def test_variable_events_decode_to_the_databases(dbs: SecureBootDatabases) -> None:
    for db in dbs:
        if not db.entries:
            continue
        event = make_event(7, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, db.variable_data)
        var = event.payload
        assert var.name == db.name
        assert var.vendor_guid == db.vendor_guid
        assert var.data == db.data
        assert var.trailing == b""
        certs = [c.der for sl in var.value for c in sl.certificates]  # type: ignore[attr-defined]
        assert certs == [e.data for e in db.certificates]


def test_authority_signature_data_decodes_to_owner_and_certificate(dbs: SecureBootDatabases) -> None:
    entry = dbs.db.certificates[1]
    data = variable_data(guids.EFI_IMAGE_SECURITY_DATABASE, "db", entry.signature_data)
    var = make_event(7, EventType.EV_EFI_VARIABLE_AUTHORITY, data).payload
    owner, cert = var.value  # type: ignore[attr-defined]
    assert owner == MICROSOFT_OWNER
    assert cert.der == entry.data


def test_hash_entries_must_be_sha256_and_certificates_must_parse() -> None:
    import pytest

    from tlkit.errors import DataError

    with pytest.raises(DataError, match="32 bytes"):
        hash_entries("dbx", [b"\x00" * 20])
    with pytest.raises(DataError, match=r"not a DER X\.509 certificate"):
        secure_boot_databases(SEED, extra_db=(b"\x30\x03\x02\x01\x00",))


@given(
    owner=st.uuids().map(str),
    digests=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=8),
    name=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20),
)
def test_writer_and_parser_round_trip(owner: str, digests: list[bytes], name: str) -> None:
    lst = signature_list(guids.EFI_CERT_SHA256, [(owner, d) for d in digests])
    (parsed,) = parse_signature_lists(lst)
    assert parsed.hashes == tuple(digests)
    assert {o for o, _ in parsed.entries} == {owner}
    var = make_event(
        1, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, variable_data(guids.SHIM_LOCK, name, lst)
    ).payload
    assert var.name == name
    assert var.data == lst
    assert var.vendor_guid == guids.SHIM_LOCK
