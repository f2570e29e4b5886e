"""The simulated key hierarchy: real X.509, RSA-2048, simulated subjects, deterministic from the seed."""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.boot.conftest import SEED
from tests.conftest import REPO
from tlkit.boot import KEY_SPECS, SIMULATED_ORGANIZATION, SecureBootDatabases, signing_key


def test_every_key_is_rsa2048_and_says_it_is_simulated() -> None:
    for spec in KEY_SPECS:
        key = signing_key(SEED, spec.role)
        cert = key.certificate
        assert isinstance(cert.public_key(), rsa.RSAPublicKey)
        assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
        org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        cn = str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        assert org == SIMULATED_ORGANIZATION
        assert cn == f"{spec.common_name} (simulated)"
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is spec.ca


def test_each_certificate_is_issued_by_its_issuer_and_chains_to_a_self_signed_root() -> None:
    for spec in KEY_SPECS:
        key = signing_key(SEED, spec.role)
        chain = (key.certificate, *key.issuers)
        for child, parent in itertools.pairwise(chain):
            child.verify_directly_issued_by(parent)  # raises if not
        chain[-1].verify_directly_issued_by(chain[-1])  # the top is self-signed


def test_keys_are_cached_per_seed_and_role_and_differ_across_seeds() -> None:
    assert signing_key(SEED, "pk") is signing_key(SEED, "pk")
    assert signing_key(SEED, "pk").der != signing_key(SEED, "uefi-ca").der


def test_azure_like_databases(dbs: SecureBootDatabases) -> None:
    cns = [
        e.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        for e in dbs.db.certificates
    ]  # type: ignore[union-attr]
    assert cns == [
        "Microsoft Windows Production PCA 2011 (simulated)",
        "Microsoft Corporation UEFI CA 2011 (simulated)",
        "Azure Services Linux Kmod PCA (simulated)",
    ]
    assert [e.variable for e in dbs.pk.entries] == ["PK"]
    assert dbs.kek.certificates[0].data == signing_key(SEED, "kek-ca").der


_SCRIPT = """
import hashlib
from tlkit.boot import secure_boot_databases
d = secure_boot_databases(0)
print(hashlib.sha256(d.pk.data + d.kek.data).hexdigest())
"""


def test_same_seed_same_bytes_in_a_fresh_process(dbs: SecureBootDatabases) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == hashlib.sha256(dbs.pk.data + dbs.kek.data).hexdigest()


def test_uncached_rebuild_gives_the_same_certificate() -> None:
    again = signing_key.__wrapped__(SEED, "uefi-signer")  # type: ignore[attr-defined]
    assert again is not signing_key(SEED, "uefi-signer")
    assert again.der == signing_key(SEED, "uefi-signer").der
