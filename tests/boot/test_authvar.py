"""Authenticated variable updates: built by tlkit, and a real Microsoft dbx update verified."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from tests.boot.conftest import SEED
from tests.conftest import fixture_path
from tlkit.boot import (
    APPEND_WRITE,
    SECURE_BOOT_VARIABLE_ATTRIBUTES,
    SecureBootDatabases,
    authenticated_variable,
    parse_authenticated_variable,
    secure_boot_databases,
    signing_key,
    verify_authenticated_variable,
)
from tlkit.errors import ParseError
from tlkit.eventlog import _guid as guids
from tlkit.eventlog import parse_signature_lists

REAL = "go-tpm-tools/server/secure-boot"
WHEN = dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def _cert(name: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(fixture_path(f"{REAL}/{name}").read_bytes())


def test_real_microsoft_dbx_update_verifies_with_the_real_kek_ca() -> None:
    blob = fixture_path(f"{REAL}/dbxupdate_x64-2020-10-12.bin").read_bytes()
    kek = _cert("MicCorKEKCA2011_2011-06-24.crt")
    attrs = SECURE_BOOT_VARIABLE_ATTRIBUTES | APPEND_WRITE
    dbx = guids.EFI_IMAGE_SECURITY_DATABASE
    var = parse_authenticated_variable(blob)
    assert var.timestamp == dt.datetime(2010, 3, 6, 19, 17, 21, tzinfo=dt.UTC)
    assert sum(len(sl.hashes) for sl in parse_signature_lists(var.data)) == 183
    assert verify_authenticated_variable(blob, "dbx", dbx, [kek], attributes=attrs)
    # Another trust anchor, another variable name or attributes: the same bytes do not verify.
    other = _cert("MicCorUEFCA2011_2011-06-27.crt")
    assert not verify_authenticated_variable(blob, "dbx", dbx, [other], attributes=attrs)
    assert not verify_authenticated_variable(blob, "db", dbx, [kek], attributes=attrs)
    assert not verify_authenticated_variable(blob, "dbx", dbx, [kek])


def test_simulated_db_update_signed_by_the_kek_has_the_real_shape(dbs: SecureBootDatabases) -> None:
    update = secure_boot_databases(SEED, dbx_hashes=(b"\x11" * 32,)).dbx
    kek = signing_key(SEED, "kek-ca")
    blob = authenticated_variable("dbx", update.vendor_guid, update.data, kek, timestamp=WHEN)
    var = parse_authenticated_variable(blob)
    assert var.timestamp == WHEN
    assert var.data == update.data
    assert var.signed_data[:1] == b"\x30"  # a bare SignedData, as in Microsoft's files
    trusted = [e.certificate for e in dbs.kek.certificates if e.certificate is not None]
    assert verify_authenticated_variable(blob, "dbx", update.vendor_guid, trusted)
    assert not verify_authenticated_variable(
        blob, "dbx", update.vendor_guid, [signing_key(SEED, "pk").certificate]
    )
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    assert not verify_authenticated_variable(tampered, "dbx", update.vendor_guid, trusted)
    assert authenticated_variable("dbx", update.vendor_guid, update.data, kek, timestamp=WHEN) == blob


def test_kek_update_is_signed_by_the_pk(dbs: SecureBootDatabases) -> None:
    blob = authenticated_variable(
        "KEK", dbs.kek.vendor_guid, dbs.kek.data, signing_key(SEED, "pk"), timestamp=WHEN
    )
    pk = signing_key(SEED, "pk").certificate
    assert verify_authenticated_variable(blob, "KEK", dbs.kek.vendor_guid, [pk])


@given(st.binary(max_size=120))
def test_parser_raises_only_parse_errors(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_authenticated_variable(data[:39])
    with contextlib.suppress(ParseError):
        parse_authenticated_variable(data)
