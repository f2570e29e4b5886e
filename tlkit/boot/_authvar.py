"""Time-based authenticated variables: the signed form of a PK/KEK/db/dbx update.

An update of a Secure Boot variable is written with SetVariable() as EFI_VARIABLE_AUTHENTICATION_2
followed by the new data (UEFI 2.10, 8.2.2): an EFI_TIME TimeStamp (Pad1, Nanosecond, TimeZone,
Daylight and Pad2 zero), then WIN_CERTIFICATE_UEFI_GUID (dwLength, wRevision 0x0200,
wCertificateType WIN_CERT_TYPE_EFI_GUID 0x0EF1, CertType EFI_CERT_TYPE_PKCS7_GUID) whose CertData is
a DER PKCS#7 SignedData — *not* wrapped in a ContentInfo — with detached ``id-data`` content and
no signed attributes, over ``VariableName || VendorGuid || Attributes || TimeStamp || Data``.
PK signs KEK updates; a KEK signs db and dbx updates. Microsoft's published dbx updates (e.g.
``dbxupdate_x64-2020-10-12.bin``) have exactly this shape, and :func:`verify_authenticated_variable`
verifies them with the real Microsoft KEK CA 2011.

Signing uses ``cryptography``'s PKCS7SignatureBuilder (DetachedSignature, NoAttributes, Binary);
``asn1crypto`` removes the ContentInfo wrapper and reads the SignedData back.

:func:`apply_authenticated_update` is what SetVariable() does with an *append write* to KEK, db or
dbx: it verifies the update against the platform's PK (KEK) or KEK entries (db, dbx) and appends the
EFI_SIGNATURE_DATA the variable does not hold yet (UEFI 2.10, 8.2.1: an append to a signature
database does not repeat entries already there), giving new :class:`SecureBootDatabases`.

What it does not do: model the firmware's variable store beyond that (non-append writes, deletes,
the PK) or the monotonic timestamp check.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from tlkit.boot._keys import DbEntry, SecureBootDatabases, SigningKey
from tlkit.boot._sign import verify_signed_data
from tlkit.errors import DataError, ParseError, PolicyError
from tlkit.eventlog import _guid as guids
from tlkit.eventlog import parse_signature_lists
from tlkit.eventlog._build import guid_bytes
from tlkit.eventlog._guid import guid_str

__all__ = [
    "APPEND_WRITE",
    "EFI_CERT_TYPE_PKCS7_GUID",
    "SECURE_BOOT_VARIABLE_ATTRIBUTES",
    "AuthenticatedVariable",
    "apply_authenticated_update",
    "authenticated_variable",
    "parse_authenticated_variable",
    "verify_authenticated_variable",
]

EFI_CERT_TYPE_PKCS7_GUID = "4aafd29d-68df-49ee-8aa9-347d375665a7"
#: NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS | TIME_BASED_AUTHENTICATED_WRITE_ACCESS.
SECURE_BOOT_VARIABLE_ATTRIBUTES = 0x27
#: EFI_VARIABLE_APPEND_WRITE: a db/dbx update that appends (how dbx updates are applied).
APPEND_WRITE = 0x40
_WIN_CERT_TYPE_EFI_GUID = 0x0EF1
_EFI_TIME = struct.Struct("<HBBBBBBIhBB")


@dataclass(frozen=True)
class AuthenticatedVariable:
    """EFI_VARIABLE_AUTHENTICATION_2 and the data after it (unverified).

    Attributes:
        timestamp: the EFI_TIME as a UTC datetime.
        signed_data: the PKCS#7 SignedData DER of CertData.
        data: the new variable data (EFI_SIGNATURE_LISTs for PK/KEK/db/dbx).
    """

    timestamp: dt.datetime
    signed_data: bytes = field(repr=False)
    data: bytes = field(repr=False)
    efi_time: bytes = field(repr=False, default=b"")


def _efi_time(t: dt.datetime) -> bytes:
    t = t.astimezone(dt.UTC)
    return _EFI_TIME.pack(t.year, t.month, t.day, t.hour, t.minute, t.second, 0, 0, 0, 0, 0)


def _signed_bytes(name: str, vendor_guid: str, attributes: int, efi_time: bytes, data: bytes) -> bytes:
    return (
        name.encode("utf-16-le") + guid_bytes(vendor_guid) + struct.pack("<I", attributes) + efi_time + data
    )


def authenticated_variable(
    name: str,
    vendor_guid: str,
    data: bytes,
    key: SigningKey,
    *,
    timestamp: dt.datetime,
    attributes: int = SECURE_BOOT_VARIABLE_ATTRIBUTES,
) -> bytes:
    """EFI_VARIABLE_AUTHENTICATION_2 + ``data``: an update of ``name`` signed by ``key`` (e.g. the
    KEK for db/dbx, the PK for KEK), carrying the key's certificate and its issuers below the root."""
    efi_time = _efi_time(timestamp)
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(_signed_bytes(name, vendor_guid, attributes, efi_time, data))
        .add_signer(key.certificate, key.private_key, hashes.SHA256())
    )
    for issuer in key.issuers:
        if issuer.issuer != issuer.subject:
            builder = builder.add_certificate(issuer)
    opts = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoAttributes, pkcs7.PKCS7Options.Binary]
    content_info = builder.sign(serialization.Encoding.DER, opts)
    signed_data: bytes = cms.ContentInfo.load(content_info)["content"].untag().dump()
    header = struct.pack("<IHH", 24 + len(signed_data), 0x0200, _WIN_CERT_TYPE_EFI_GUID)
    return efi_time + header + guid_bytes(EFI_CERT_TYPE_PKCS7_GUID) + signed_data + bytes(data)


def parse_authenticated_variable(blob: bytes) -> AuthenticatedVariable:
    """Split EFI_VARIABLE_AUTHENTICATION_2 from the data that follows it.

    Raises:
        ParseError: truncated, not WIN_CERT_TYPE_EFI_GUID / PKCS#7, or an invalid EFI_TIME.
    """
    what = "EFI_VARIABLE_AUTHENTICATION_2"
    if len(blob) < 40:
        raise ParseError(f"{len(blob)} bytes: shorter than the 40-byte header", offset=0, what=what)
    year, month, day, hour, minute, second, *_ = _EFI_TIME.unpack_from(blob)
    length, _revision, ctype = struct.unpack_from("<IHH", blob, 16)
    if ctype != _WIN_CERT_TYPE_EFI_GUID or guid_str(blob[24:40]) != EFI_CERT_TYPE_PKCS7_GUID:
        raise ParseError(
            f"certificate type 0x{ctype:x} is not EFI_CERT_TYPE_PKCS7_GUID", offset=20, what=what
        )
    if not 24 < length <= len(blob) - 16:
        raise ParseError(f"dwLength {length} does not fit the {len(blob)} bytes", offset=16, what=what)
    try:
        when = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except ValueError as e:
        raise ParseError(f"invalid EFI_TIME: {e}", offset=0, what=what) from None
    return AuthenticatedVariable(when, blob[40 : 16 + length], blob[16 + length :], blob[:16])


def verify_authenticated_variable(
    blob: bytes,
    name: str,
    vendor_guid: str,
    trusted: Sequence[x509.Certificate],
    *,
    attributes: int = SECURE_BOOT_VARIABLE_ATTRIBUTES,
) -> bool:
    """True when the update's signature verifies and its signer is, or is issued by, a ``trusted``
    certificate (the PK for KEK, KEK entries for db/dbx).

    Raises:
        ParseError: the header is malformed (a bad signature is ``False``).
    """
    var = parse_authenticated_variable(blob)
    signed = _signed_bytes(name, vendor_guid, attributes, var.efi_time, var.data)
    return verify_signed_data(var.signed_data, signed, trusted)


#: Who may sign an update of each variable (UEFI 2.10, 32.3.1-32.3.2): the PK signs KEK, a KEK
#: entry signs db and dbx. Values: the :class:`SecureBootDatabases` field of the variable and of
#: its signers.
_UPDATABLE = {"KEK": ("kek", "pk"), "db": ("db", "kek"), "dbx": ("dbx", "kek")}
_ENTRY_KINDS = {guids.EFI_CERT_X509: "x509", guids.EFI_CERT_SHA256: "sha256"}


def _entries(name: str, data: bytes) -> list[DbEntry]:
    """The EFI_SIGNATURE_DATA of an update's EFI_SIGNATURE_LISTs, in order, as ``name`` entries."""
    out = []
    for i, sl in enumerate(parse_signature_lists(data)):
        kind = _ENTRY_KINDS.get(sl.signature_type)
        if kind is None:
            raise DataError(f"signature type {sl.type_name} not modelled (X.509, SHA-256 are)", record=i)
        out += [DbEntry(name, kind, owner, sig) for owner, sig in sl.entries]
    return out


def apply_authenticated_update(dbs: SecureBootDatabases, name: str, blob: bytes) -> SecureBootDatabases:
    """SetVariable(``name``, APPEND_WRITE) of ``blob`` (EFI_VARIABLE_AUTHENTICATION_2 + EFI_SIGNATURE_LISTs)
    on a platform holding ``dbs``: the databases after the update.

    The signature must verify under a certificate of the PK (for KEK) or of KEK (for db, dbx), over
    the variable name, its vendor GUID and the attributes :data:`SECURE_BOOT_VARIABLE_ATTRIBUTES` |
    :data:`APPEND_WRITE`; the entries the variable does not hold yet are appended in the update's
    order (UEFI 2.10, 8.2.1).

    Raises:
        DataError: ``name`` is not KEK, db or dbx, or the update holds a signature type other than
            X.509 and SHA-256.
        ParseError: a malformed header or signature list.
        PolicyError: the signature does not verify under the platform's keys (the firmware answers
            EFI_SECURITY_VIOLATION and the variable stays as it was).
    """
    fields = _UPDATABLE.get(name)
    if fields is None:
        raise DataError(f"only {', '.join(_UPDATABLE)} take authenticated append writes here", record=name)
    target, signer = getattr(dbs, fields[0]), getattr(dbs, fields[1])
    trusted = [e.certificate for e in signer.certificates if e.certificate is not None]
    attributes = SECURE_BOOT_VARIABLE_ATTRIBUTES | APPEND_WRITE
    if not verify_authenticated_variable(blob, name, target.vendor_guid, trusted, attributes=attributes):
        raise PolicyError(
            f"the {name} update is not signed by a {signer.name} certificate of this platform",
            code="security-violation",
        )
    held = {(e.kind, e.data) for e in target.entries}
    new = []
    for entry in _entries(name, parse_authenticated_variable(blob).data):
        if (entry.kind, entry.data) not in held:
            held.add((entry.kind, entry.data))
            new.append(entry)
    return replace(dbs, **{fields[0]: target.with_entries(new)})
