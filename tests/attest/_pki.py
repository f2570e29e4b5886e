"""A small deterministic test PKI for doctored AK chains, and the real Azure Trusted Launch fixtures.

CA keys are Ed25519 keys derived from a label (Ed25519 signatures are deterministic, so every
certificate has the same bytes on every run); a leaf holds whatever public key the test gives it
(usually the real AK of an Azure attestation document, whose private key nobody here has).
Validity: 2024-01-01 to 2030-01-01, so :data:`INSIDE` is inside every test certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from tests.conftest import fixture_path
from tlkit.attest._aktrust import TCG_AK_EKU, TrustAnchors
from tlkit.attest._evidence import Evidence
from tlkit.tpm._public import PublicKey

AZURE_TL = "fluorite/libraries/attestation/azure-trusted-launch-attestation"
DOCUMENTS = {
    "2d056151df3d": f"{AZURE_TL}/test_data/azure_trusted_launch_vm_attestation_document.json",
    "ceda709e0366": f"{AZURE_TL}/test_data/azure_trusted_launch_vm_attestation_document_expired.json",
}
CHAIN_PEMS = {
    "2d056151df3d": f"{AZURE_TL}/test_data/cert_chain.pem",
    "ceda709e0366": f"{AZURE_TL}/test_data/cert_chain_expired.pem",
}
#: A time inside each real leaf's validity (and CA-01's).
REAL_INSIDE = {
    "2d056151df3d": dt.datetime(2025, 6, 1, tzinfo=dt.UTC),  # leaf 2025-01-20 .. 2025-10-30
    "ceda709e0366": dt.datetime(2024, 6, 1, tzinfo=dt.UTC),  # leaf 2023-11-23 .. 2024-11-21
}

NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
INSIDE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
AZURE_ROOT_NAME = "Azure Virtual TPM Root Certificate Authority 2023"


def azure_document(vm: str) -> Evidence:
    return Evidence.from_azure_document(fixture_path(DOCUMENTS[vm]))


def ca_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class Profile:
    """What one certificate carries (None: the extension is left out)."""

    ca: bool | None = False
    path_length: int | None = None
    digital_signature: bool | None = True  # None: no keyUsage at all
    key_cert_sign: bool = False
    eku: Sequence[x509.ObjectIdentifier] | None = (TCG_AK_EKU,)
    critical_extra: bool = False  # an unknown critical extension


LEAF = Profile()
CA = Profile(ca=True, digital_signature=False, key_cert_sign=True, eku=None)


def _key_usage(p: Profile) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=bool(p.digital_signature),
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=p.key_cert_sign,
        crl_sign=p.key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def certificate(
    subject: str,
    public_key: PublicKey | ed25519.Ed25519PublicKey,
    issuer: str,
    signer: ed25519.Ed25519PrivateKey,
    profile: Profile,
) -> x509.Certificate:
    serial = int.from_bytes(hashlib.sha256(f"{subject}/{issuer}/{profile}".encode()).digest()[:8], "big")
    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
    )
    if profile.ca is not None:
        b = b.add_extension(
            x509.BasicConstraints(ca=profile.ca, path_length=profile.path_length), critical=True
        )
    if profile.digital_signature is not None:
        b = b.add_extension(_key_usage(profile), critical=True)
    if profile.eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(list(profile.eku)), critical=False)
    if profile.critical_extra:
        b = b.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
            critical=True,
        )
    return b.sign(signer, None)


def root(cn: str) -> x509.Certificate:
    k = ca_key(cn)
    return certificate(
        cn, k.public_key(), cn, k, Profile(ca=True, digital_signature=True, key_cert_sign=True, eku=None)
    )


def ca(cn: str, issuer: str, profile: Profile = CA) -> x509.Certificate:
    return certificate(cn, ca_key(cn).public_key(), issuer, ca_key(issuer), profile)


def leaf(
    ak: PublicKey, issuer: str, profile: Profile = LEAF, cn: str = "test.TrustedVM.example"
) -> x509.Certificate:
    return certificate(cn, ak, issuer, ca_key(issuer), profile)


def good_chain(ak: PublicKey) -> tuple[tuple[x509.Certificate, ...], TrustAnchors]:
    """leaf (ak) -> "Test vTPM CA" -> "Test vTPM Root", and anchors trusting that root: verifies at INSIDE."""
    r = root("Test vTPM Root")
    mid = ca(
        "Test vTPM CA",
        "Test vTPM Root",
        Profile(ca=True, path_length=0, digital_signature=False, key_cert_sign=True, eku=(TCG_AK_EKU,)),
    )
    return (leaf(ak, "Test vTPM CA"), mid, r), TrustAnchors(roots=(r,))
