"""Simulated Secure Boot keys: a PK/KEK/db/dbx hierarchy of real X.509 certificates from a seed.

Every certificate is a real RSA-2048 / SHA-256 X.509 v3 certificate made with ``cryptography``.
RSA-2048 because that is what UEFI firmware must support for db/KEK X.509 entries and image
signatures (UEFI 2.x, 32.5: EFI_CERT_X509 with RSA-2048 public keys, PKCS#1 v1.5 over SHA-256);
larger keys are optional for firmware, so a faithful simulation stays at 2048 bits.

Determinism: the private keys come from :func:`tlkit.tpm._vtpm._rsa_key` (a seeded prime search
over HKDF-SHA256 output, validated by OpenSSL; imported, not copied: it is a private helper of
:mod:`tlkit.tpm`), the serial numbers from SHA-256 of the seed and role, the validity dates are
fixed and RSA PKCS#1 v1.5 signatures are deterministic, so the same seed gives the same DER bytes.
Keys are built lazily per role and cached per (seed, role) for the process: the first key of a
seed costs a prime search (about 0.3-0.7 s per key on a shared core), later uses cost nothing.

The roles mirror what an Azure Trusted Launch VM trusts (see :data:`KEY_SPECS`): Microsoft-like
roots, the Hyper-V firmware PK, the KEK CA, the three db CAs Azure ships (Windows Production PCA
2011 for Windows, UEFI CA 2011 for third-party shims, Azure Services Linux Kmod PCA for kernel
modules Microsoft builds), their signing leaves, a distro vendor CA that shim embeds (and its
signing leaf for GRUB and the kernel), the kernel's build-time module key, a user MOK for DKMS
modules and an untrusted publisher. **Every subject says it is simulated**: the common name ends
in ``(simulated)`` and the organisation is ``tlkit simulated``. Real Microsoft certificates
(e.g. from a real event log's db) can be added next to them with ``extra_db`` / ``extra_kek``.

This module signs nothing but certificates; image and module signatures are in :mod:`._sign`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tlkit.errors import DataError
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._build import signature_data, signature_list, variable_data
from tlkit.tpm._vtpm import _rsa_key

__all__ = [
    "KEY_SPECS",
    "MICROSOFT_OWNER",
    "SIMULATED_ORGANIZATION",
    "DbEntry",
    "KeySpec",
    "SecureBootDatabase",
    "SecureBootDatabases",
    "SigningKey",
    "secure_boot_databases",
    "signing_key",
]

#: SignatureOwner GUID of Microsoft's entries (the owner Azure's PK/KEK/db/dbx entries carry).
MICROSOFT_OWNER = "77fa9abd-0359-4d32-bd60-28f4e78f784b"
#: The organisation of every simulated subject.
SIMULATED_ORGANIZATION = "tlkit simulated"
_NOT_BEFORE = dt.datetime(2011, 6, 27, tzinfo=dt.UTC)
_NOT_AFTER = dt.datetime(2050, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class KeySpec:
    """One simulated key: its role, the real certificate it imitates, its issuer role (``None`` for
    self-signed) and whether it is a CA."""

    role: str
    common_name: str
    issuer: str | None
    ca: bool
    purpose: str


KEY_SPECS: tuple[KeySpec, ...] = (
    KeySpec("ms-root-2010", "Microsoft Root Certificate Authority 2010", None, True, "root of Windows PCA"),
    KeySpec("ms-3p-root", "Microsoft Corporation Third Party Marketplace Root", None, True, "root: KEK/UEFI"),
    KeySpec("pk", "Microsoft Hyper-V Firmware PK", "ms-3p-root", False, "PK: owns KEK"),
    KeySpec("kek-ca", "Microsoft Corporation KEK CA 2011", "ms-3p-root", True, "KEK: signs db/dbx updates"),
    KeySpec("windows-pca", "Microsoft Windows Production PCA 2011", "ms-root-2010", True, "db: Windows"),
    KeySpec("uefi-ca", "Microsoft Corporation UEFI CA 2011", "ms-3p-root", True, "db: third-party shims"),
    # The real Kmod PCA is issued by "Microsoft RSA Services Root CA 2021"; the simulated one reuses
    # the 2010 root (one RSA prime search less).
    KeySpec("kmod-pca", "Azure Services Linux Kmod PCA", "ms-root-2010", True, "db: Microsoft kmods"),
    KeySpec("windows-signer", "Microsoft Windows", "windows-pca", False, "signs bootmgfw, winload, kernel"),
    KeySpec("driver-signer", "Microsoft Windows Hardware Compatibility Publisher", "windows-pca", False,
            "signs Windows kernel-mode drivers"),
    KeySpec("uefi-signer", "Microsoft Windows UEFI Driver Publisher", "uefi-ca", False, "signs shim"),
    KeySpec("kmod-signer", "Azure Services Linux Kmod Signing", "kmod-pca", False, "signs Microsoft kmods"),
    KeySpec("vendor-ca", "Canonical Ltd. Master Certificate Authority", None, True, "shim's vendor cert"),
    KeySpec("vendor-signer", "Canonical Ltd. Secure Boot Signing (2022)", "vendor-ca", False,
            "signs GRUB and the kernel"),
    KeySpec("kernel-build-key", "Build time autogenerated kernel key", None, False,
            "signs in-tree kernel modules (built-in keyring)"),
    KeySpec("mok-dkms", "DKMS module signing key", None, False, "user MOK for DKMS modules"),
    KeySpec("untrusted", "Unknown Publisher", None, False, "a key nothing trusts (bootkits)"),
)  # fmt: skip
_SPECS = {s.role: s for s in KEY_SPECS}


@dataclass(frozen=True)
class SigningKey:
    """A simulated key pair and its certificate, with the chain of issuer certificates above it.

    Attributes:
        spec: what the key imitates.
        certificate: the X.509 certificate.
        private_key: the RSA-2048 private key.
        issuers: the issuer certificates, nearest first, up to and including the self-signed root
            (empty for a self-signed certificate).
    """

    spec: KeySpec
    certificate: x509.Certificate = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)
    issuers: tuple[x509.Certificate, ...] = field(repr=False, default=())

    @property
    def role(self) -> str:
        return self.spec.role

    @cached_property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @cached_property
    def chain_pem(self) -> bytes:
        """PEM of the certificate and its issuers below the root (what a signer ships in a signature)."""
        certs = (self.certificate, *(c for c in self.issuers if c.issuer != c.subject))
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    @cached_property
    def key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (for tools that sign with it)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _name(spec: KeySpec) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SIMULATED_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{spec.common_name} (simulated)"),
        ]
    )


def _serial(seed: int, role: str) -> int:
    return int.from_bytes(hashlib.sha256(f"tlkit.boot/{seed}/{role}".encode()).digest()[:19], "big") | 1


def _certificate(
    seed: int, spec: KeySpec, key: rsa.RSAPrivateKey, issuer: SigningKey | None
) -> x509.Certificate:
    sign_key = issuer.private_key if issuer else key
    issuer_name = issuer.certificate.subject if issuer else _name(spec)
    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "encipher_only", "decipher_only"), False,
    )  # fmt: skip
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(spec))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(_serial(seed, spec.role))
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=spec.ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=spec.ca, crl_sign=spec.ca, **usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(sign_key.public_key()), critical=False
        )
    )
    if not spec.ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
    return builder.sign(sign_key, hashes.SHA256())


@cache
def signing_key(seed: int, role: str) -> SigningKey:
    """The simulated key of ``role`` (one of :data:`KEY_SPECS`) for ``seed``; cached per (seed, role).

    Raises:
        DataError: unknown role.
    """
    spec = _SPECS.get(role)
    if spec is None:
        raise DataError(f"unknown key role; known: {', '.join(_SPECS)}", record=role)
    key = _rsa_key(seed, f"tlkit.boot/{role}")
    issuer = signing_key(seed, spec.issuer) if spec.issuer else None
    cert = _certificate(seed, spec, key, issuer)
    chain = (issuer.certificate, *issuer.issuers) if issuer else ()
    return SigningKey(spec, cert, key, chain)


# ------------------------------------------------------------------------ signature databases
@dataclass(frozen=True)
class DbEntry:
    """One EFI_SIGNATURE_DATA of a signature database: an X.509 certificate or a SHA-256 digest.

    Attributes:
        variable: the variable it belongs to (``db``, ``MokList``, ``Shim``...).
        kind: ``"x509"`` or ``"sha256"``.
        owner: SignatureOwner GUID.
        data: DER certificate or 32-byte digest.
    """

    variable: str
    kind: str
    owner: str
    data: bytes = field(repr=False)

    @property
    def signature_type(self) -> str:
        return guids.EFI_CERT_X509 if self.kind == "x509" else guids.EFI_CERT_SHA256

    @property
    def signature_data(self) -> bytes:
        """EFI_SIGNATURE_DATA bytes (owner GUID + data): what PCR 7's authority event records."""
        return signature_data(self.owner, self.data)

    @cached_property
    def certificate(self) -> x509.Certificate | None:
        return x509.load_der_x509_certificate(self.data) if self.kind == "x509" else None


def x509_entries(entries: Iterable[DbEntry]) -> tuple[DbEntry, ...]:
    """The certificate entries of ``entries``, in order."""
    return tuple(e for e in entries if e.kind == "x509")


def find_hash(entries: Iterable[DbEntry], digest: bytes) -> DbEntry | None:
    """The SHA-256 entry of ``entries`` equal to ``digest``, if any."""
    return next((e for e in entries if e.kind == "sha256" and e.data == digest), None)


_VENDORS = {
    "PK": guids.EFI_GLOBAL_VARIABLE,
    "KEK": guids.EFI_GLOBAL_VARIABLE,
    "db": guids.EFI_IMAGE_SECURITY_DATABASE,
    "dbx": guids.EFI_IMAGE_SECURITY_DATABASE,
    "MokList": guids.SHIM_LOCK,
    "MokListX": guids.SHIM_LOCK,
}


@dataclass(frozen=True)
class SecureBootDatabase:
    """A signature database variable (PK, KEK, db, dbx, MokList, MokListX) and its entries."""

    name: str
    entries: tuple[DbEntry, ...]

    @property
    def vendor_guid(self) -> str:
        return _VENDORS.get(self.name, guids.EFI_GLOBAL_VARIABLE)

    @cached_property
    def certificates(self) -> tuple[DbEntry, ...]:
        return x509_entries(self.entries)

    @cached_property
    def hashes(self) -> frozenset[bytes]:
        return frozenset(e.data for e in self.entries if e.kind == "sha256")

    def hash_entry(self, digest: bytes) -> DbEntry | None:
        return find_hash(self.entries, digest)

    @cached_property
    def data(self) -> bytes:
        """The variable's data: one EFI_SIGNATURE_LIST per certificate (sizes differ), then one list
        per owner of all SHA-256 digests (UEFI 2.10, 32.4.1), in entry order."""
        out = [signature_list(e.signature_type, [(e.owner, e.data)]) for e in self.certificates]
        owners = dict.fromkeys(e.owner for e in self.entries if e.kind == "sha256")
        for owner in owners:
            digests = [(owner, e.data) for e in self.entries if e.kind == "sha256" and e.owner == owner]
            out.append(signature_list(guids.EFI_CERT_SHA256, digests))
        return b"".join(out)

    @property
    def variable_data(self) -> bytes:
        """UEFI_VARIABLE_DATA as measured for EV_EFI_VARIABLE_DRIVER_CONFIG (PFP 1.06, 10.4.2)."""
        return variable_data(self.vendor_guid, self.name, self.data)

    def with_entries(self, entries: Iterable[DbEntry]) -> SecureBootDatabase:
        """A copy with ``entries`` appended (a db/dbx update)."""
        return SecureBootDatabase(self.name, (*self.entries, *entries))


def certificate_entries(
    variable: str, ders: Iterable[bytes], owner: str = MICROSOFT_OWNER
) -> tuple[DbEntry, ...]:
    """X.509 entries of ``variable`` for DER certificates (e.g. real Microsoft ones).

    Raises:
        DataError: a DER blob that is not a certificate.
    """
    out = []
    for i, der in enumerate(ders):
        entry = DbEntry(variable, "x509", owner, bytes(der))
        try:
            entry.certificate  # noqa: B018 - parse now: a bad certificate is an input error
        except ValueError as e:
            raise DataError(f"not a DER X.509 certificate: {e}", record=i, field=variable) from None
        out.append(entry)
    return tuple(out)


def hash_entries(
    variable: str, digests: Iterable[bytes], owner: str = MICROSOFT_OWNER
) -> tuple[DbEntry, ...]:
    out = []
    for d in digests:
        if len(d) != 32:
            raise DataError(f"a SHA-256 signature entry is 32 bytes, got {len(d)}", field=variable)
        out.append(DbEntry(variable, "sha256", owner, bytes(d)))
    return tuple(out)


@dataclass(frozen=True)
class SecureBootDatabases:
    """The four Secure Boot variables of a platform (UEFI 2.10, 32.3 and 32.6)."""

    pk: SecureBootDatabase
    kek: SecureBootDatabase
    db: SecureBootDatabase
    dbx: SecureBootDatabase

    def __iter__(self) -> Iterator[SecureBootDatabase]:
        return iter((self.pk, self.kek, self.db, self.dbx))


#: The db CAs an Azure Trusted Launch VM trusts by default, in the order Azure lists them.
DEFAULT_DB_ROLES = ("windows-pca", "uefi-ca", "kmod-pca")


def secure_boot_databases(
    seed: int = 0,
    *,
    db_roles: Sequence[str] = DEFAULT_DB_ROLES,
    extra_db: Sequence[bytes] = (),
    extra_kek: Sequence[bytes] = (),
    dbx_hashes: Sequence[bytes] = (),
    dbx_roles: Sequence[str] = (),
) -> SecureBootDatabases:
    """PK, KEK, db and dbx of a simulated Azure-like platform; cached per arguments.

    Args:
        seed: key seed.
        db_roles: simulated CAs in db (default: Windows PCA, UEFI CA, Kmod PCA).
        extra_db / extra_kek: DER certificates to add after the simulated ones (e.g. the real
            Microsoft certificates of a real log), owned by :data:`MICROSOFT_OWNER`.
        dbx_hashes: SHA-256 Authenticode digests of revoked images.
        dbx_roles: simulated certificates to revoke (an X.509 dbx entry).
    """
    return _databases(
        seed,
        db_roles=tuple(db_roles),
        extra_db=tuple(map(bytes, extra_db)),
        extra_kek=tuple(map(bytes, extra_kek)),
        dbx_hashes=tuple(map(bytes, dbx_hashes)),
        dbx_roles=tuple(dbx_roles),
    )


@cache
def _databases(
    seed: int,
    *,
    db_roles: tuple[str, ...],
    extra_db: tuple[bytes, ...],
    extra_kek: tuple[bytes, ...],
    dbx_hashes: tuple[bytes, ...],
    dbx_roles: tuple[str, ...],
) -> SecureBootDatabases:
    pk = certificate_entries("PK", [signing_key(seed, "pk").der])
    kek = certificate_entries("KEK", [signing_key(seed, "kek-ca").der, *extra_kek])
    db = certificate_entries("db", [*(signing_key(seed, r).der for r in db_roles), *extra_db])
    dbx = (
        *certificate_entries("dbx", [signing_key(seed, r).der for r in dbx_roles]),
        *hash_entries("dbx", dbx_hashes),
    )
    return SecureBootDatabases(
        SecureBootDatabase("PK", pk),
        SecureBootDatabase("KEK", kek),
        SecureBootDatabase("db", db),
        SecureBootDatabase("dbx", dbx),
    )
