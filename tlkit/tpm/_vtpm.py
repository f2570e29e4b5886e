"""A deterministic software model of a TPM that holds an EK and an AK and produces real quotes.

Keys are derived from the seed, so the same seed always gives the same keys:

- ECC private scalars: HKDF-SHA256 (``cryptography``) of the seed with a per-key label, 255
  bits (always below the P-256 group order), then ``ec.derive_private_key``.
- RSA-2048 keys: a seeded prime search. Candidates for ``p`` and ``q`` are 1024-bit numbers
  from HKDF-SHA256 output (top two bits and the low bit set); candidates sharing a factor with
  a small prime or failing a base-2 Fermat test are skipped; the key is then assembled with
  ``cryptography``'s ``rsa_recover_private_exponent`` / CRT helpers and **OpenSSL's key
  validation (RSA_check_key, which tests p and q for primality) accepts or rejects it**. Keys
  are cached per (seed, label) for the process (about 0.1 s per key the first time).

Signatures: RSASSA is deterministic; ECDSA uses RFC 6979 deterministic nonces (``cryptography``
``ECDSA(deterministic_signing=True)``), so same seed + same PCRs + same nonce = same bytes.
RSASSA-PSS (``ak_scheme="rsapss"``) uses a random salt, so its signatures differ run to run.

What it is not: no command interface, sessions, policies, NV or hierarchy authorisation, and the
privacy obfuscation of clock fields for keys outside the endorsement hierarchy (Part 3, 18.1)
is not modelled.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tlkit.errors import DataError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HashAlg, hash_alg
from tlkit.tpm._attest import TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, Attest, ClockInfo, QuoteInfo
from tlkit.tpm._files import write_pcrs_serialized
from tlkit.tpm._pcr import PcrBanks, PcrValues
from tlkit.tpm._public import (
    ADMIN_WITH_POLICY,
    DECRYPT,
    FIXED_PARENT,
    FIXED_TPM,
    RESTRICTED,
    SENSITIVE_DATA_ORIGIN,
    TPM_ALG_AES,
    TPM_ALG_CFB,
    TPM_ALG_ECC,
    TPM_ALG_RSA,
    TPM_ECC_NIST_P256,
    PublicArea,
)
from tlkit.tpm._selection import PcrSelection, as_selection
from tlkit.tpm._signature import TPM_ALG_NULL, TPM_ALG_RSAPSS, TPM_ALG_RSASSA, Signature

__all__ = ["FIRMWARE_VERSION", "TPM_RH_ENDORSEMENT", "Quote", "VirtualTpm"]

#: The endorsement hierarchy handle; its Name and qualified name are the handle (Part 1, 16).
TPM_RH_ENDORSEMENT = 0x4000000B
#: firmwareVersion reported in quotes (a vendor-defined u64; vendors often encode a date and a
#: version, e.g. the IBM simulator's 0x2016051100162800 and Azure's 0x2020031200120003).
FIRMWARE_VERSION = 0x20240601_00010000
#: TCG EK Credential Profile (2.x, Annex B) template L-2 authPolicy: PolicySecret(TPM_RH_ENDORSEMENT).
EK_POLICY = bytes.fromhex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa")
#: TCG EK Credential Profile template L-2 attributes (0x000300b2).
EK_ATTRIBUTES = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | ADMIN_WITH_POLICY | RESTRICTED | DECRYPT
#: Largest qualifyingData (TPM2B_DATA holds a TPMT_HA: 2 + 64 bytes; Part 2, 10.4.3).
MAX_NONCE = 66
_CLOCK_STEP_MS = 23

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, math.isqrt(p) + 1))]
_SMALL_PRODUCT = math.prod(_SMALL_PRIMES)


def _seed_bytes(seed: int) -> bytes:
    return seed.to_bytes(max(8, (seed.bit_length() + 8) // 8), "big", signed=True)


def _hkdf(seed: int, label: str, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt=b"tlkit.tpm.VirtualTpm", info=label.encode()).derive(
        _seed_bytes(seed)
    )


@lru_cache(maxsize=64)
def _ecc_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    raw = int.from_bytes(_hkdf(seed, label, 32), "big") >> 1
    return ec.derive_private_key(raw or 1, ec.SECP256R1())


def _prime_candidate(seed: int, label: str) -> int:
    counter = 0
    while True:
        n = int.from_bytes(_hkdf(seed, f"{label}/{counter}", 128), "big") | (3 << 1022) | 1
        counter += 1
        if math.gcd(n, _SMALL_PRODUCT) != 1 or (n - 1) % 65537 == 0:
            continue
        if pow(2, n - 1, n) == 1:
            return n


@lru_cache(maxsize=16)
def _rsa_key(seed: int, label: str) -> rsa.RSAPrivateKey:
    e = 65537
    attempt = 0
    while True:
        p = _prime_candidate(seed, f"{label}/p{attempt}")
        q = _prime_candidate(seed, f"{label}/q{attempt}")
        attempt += 1
        if p == q:
            continue
        d = rsa.rsa_recover_private_exponent(e, p, q)
        numbers = rsa.RSAPrivateNumbers(
            p,
            q,
            d,
            rsa.rsa_crt_dmp1(d, p),
            rsa.rsa_crt_dmq1(d, q),
            rsa.rsa_crt_iqmp(p, q),
            rsa.RSAPublicNumbers(e, p * q),
        )
        try:
            return numbers.private_key()  # OpenSSL RSA_check_key: rejects non-prime p or q
        except ValueError:
            continue


@dataclass(frozen=True)
class Quote:
    """The three artefacts of TPM2_Quote, as tpm2-tools saves them.

    Attributes:
        message: TPMS_ATTEST bytes (``quote.msg``).
        signature: TPMT_SIGNATURE bytes (``quote.sig``).
        pcrs: the PCR values the quote covers (``quote.pcrs``).
    """

    message: bytes
    signature: bytes
    pcrs: PcrValues

    @cached_property
    def attest(self) -> Attest:
        """The parsed message (unverified)."""
        return Attest.from_bytes(self.message)

    @cached_property
    def sig(self) -> Signature:
        """The parsed signature."""
        return Signature.from_bytes(self.signature)

    def write(self, directory: str | Path, stem: str = "quote") -> dict[str, Path]:
        """Write ``<stem>.msg``, ``<stem>.sig`` and ``<stem>.pcrs`` (tpm2-tools serialized PCRs)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = {"msg": d / f"{stem}.msg", "sig": d / f"{stem}.sig", "pcrs": d / f"{stem}.pcrs"}
        paths["msg"].write_bytes(self.message)
        paths["sig"].write_bytes(self.signature)
        paths["pcrs"].write_bytes(write_pcrs_serialized(self.pcrs))
        return paths


def _ek_key(seed: int, kind: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    return _ecc_key(seed, "ek/ecc-p256") if kind == "ecc" else _rsa_key(seed, "ek/rsa-2048")


def _ek_public(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> PublicArea:
    """The EK's TPMT_PUBLIC per TCG EK Credential Profile 2.x templates L-1 (RSA-2048) and L-2
    (ECC P-256): nameAlg SHA-256, attributes 0x000300b2, PolicySecret(endorsement) authPolicy,
    AES-128-CFB symmetric, NULL scheme."""
    common = {
        "symmetric_alg": TPM_ALG_AES,
        "symmetric_key_bits": 128,
        "symmetric_mode": TPM_ALG_CFB,
        "scheme": TPM_ALG_NULL,
    }
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.public_key().public_numbers().n
        return PublicArea(
            TPM_ALG_RSA,
            hash_alg("sha256"),
            EK_ATTRIBUTES,
            EK_POLICY,
            key_bits=2048,
            rsa_modulus=n.to_bytes(256, "big"),
            **common,  # type: ignore[arg-type]
        )
    nums = key.public_key().public_numbers()
    return PublicArea(
        TPM_ALG_ECC,
        hash_alg("sha256"),
        EK_ATTRIBUTES,
        EK_POLICY,
        curve_id=TPM_ECC_NIST_P256,
        kdf=TPM_ALG_NULL,
        ecc_x=nums.x.to_bytes(32, "big"),
        ecc_y=nums.y.to_bytes(32, "big"),
        **common,  # type: ignore[arg-type]
    )


class VirtualTpm:
    """A seeded software TPM with PCR banks, an EK and an AK that quotes.

    Args:
        seed: determines every key (None: a random seed, kept in :attr:`seed`).
        banks: allocated PCR banks.
        ak: ``"ecc"`` (P-256, ECDSA) or ``"rsa"`` (RSA-2048, RSASSA unless ``ak_scheme="rsapss"``).
        locality: startup locality (PCR 0 starts at ``00..0L``).
        ak_hash: the AK scheme's hash (also the hash of pcrDigest).
        ak_scheme: ``"ecdsa"``, ``"rsassa"`` or ``"rsapss"`` (default: by key type).
        ek: ``"ecc"`` (TCG EK Credential Profile template L-2, NIST P-256; the default) or
            ``"rsa"`` (template L-1, RSA-2048, the EK type of Azure's vTPM).

    The AK is a restricted signing key (attributes 0x00050072) whose parent is the EK in the
    endorsement hierarchy, so a quote's qualifiedSigner is
    ``QN(AK) = H(QN(EK) || Name(AK))`` with ``QN(EK) = H(0x4000000B || Name(EK))``.
    """

    def __init__(
        self,
        seed: int | None = None,
        banks: tuple[str, ...] | list[str] = ("sha1", "sha256"),
        ak: str = "ecc",
        locality: int = 0,
        *,
        ak_hash: int | str | HashAlg = "sha256",
        ak_scheme: str | None = None,
        ek: str = "ecc",
    ) -> None:
        if ak not in ("ecc", "rsa"):
            raise DataError(f"ak must be 'ecc' or 'rsa', not {ak!r}", field="ak")
        if ek not in ("ecc", "rsa"):
            raise DataError(f"ek must be 'ecc' or 'rsa', not {ek!r}", field="ek")
        scheme = ak_scheme or ("ecdsa" if ak == "ecc" else "rsassa")
        if (ak, scheme) not in {("ecc", "ecdsa"), ("rsa", "rsassa"), ("rsa", "rsapss")}:
            raise DataError(f"scheme {scheme!r} does not fit an {ak} AK", field="ak_scheme")
        self.seed: int = secrets.randbits(63) if seed is None else int(seed)
        self.pcrs = PcrBanks(banks, locality)
        self.ak_type = ak
        self.ak_scheme = scheme
        self.ak_hash = hash_alg(ak_hash)
        self.ek_type = ek
        self._ek_key = _ek_key(self.seed, ek)
        self._ak_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
            _ecc_key(self.seed, "ak/ecc-p256") if ak == "ecc" else _rsa_key(self.seed, "ak/rsa-2048")
        )
        self.ek_public = _ek_public(self._ek_key)
        self.ak_public = PublicArea.from_cryptography(
            self._ak_key.public_key(),
            scheme=scheme,
            scheme_hash=self.ak_hash,
        )
        ek_qn = self.ek_public.qualified_name(TPM_RH_ENDORSEMENT.to_bytes(4, "big"))
        self.ak_qualified_name = self.ak_public.qualified_name(ek_qn)
        self.clock_ms = 10_000 + self.seed % 50_000
        self.reset_count = 0
        self.restart_count = 0
        self.firmware_version = FIRMWARE_VERSION

    def __getstate__(self) -> dict[str, object]:
        """Pickle/copy without the private keys: they are re-derived from the seed."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_ek_key", "_ak_key")}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._ek_key = _ek_key(self.seed, str(state.get("ek_type", "ecc")))
        self._ak_key = (
            _ecc_key(self.seed, "ak/ecc-p256")
            if self.ak_type == "ecc"
            else _rsa_key(self.seed, "ak/rsa-2048")
        )

    @property
    def ak_pem(self) -> bytes:
        """The AK public key as SubjectPublicKeyInfo PEM."""
        return self.ak_public.to_pem()

    @property
    def ak_name(self) -> bytes:
        return self.ak_public.name()

    def reboot(self, locality: int | None = None) -> None:
        """A TPM reset (power cycle): PCRs back to their initial values, resetCount + 1."""
        self.pcrs.startup(locality)
        self.reset_count += 1
        self.restart_count = 0

    def _sign(self, message: bytes) -> Signature:
        h = self.ak_hash
        try:
            algo = h.crypto_hash()
        except UnsupportedAlgorithmError:
            raise DataError(f"the virtual TPM cannot sign with {h.name} here", field="ak_hash") from None
        key = self._ak_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            der = key.sign(message, ec.ECDSA(algo, deterministic_signing=True))
            return Signature.from_der(der, h, size=32)
        if self.ak_scheme == "rsapss":
            pss = padding.PSS(mgf=padding.MGF1(algo), salt_length=padding.PSS.DIGEST_LENGTH)
            return Signature(TPM_ALG_RSAPSS, h, rsa=key.sign(message, pss, algo))
        return Signature(TPM_ALG_RSASSA, h, rsa=key.sign(message, padding.PKCS1v15(), algo))

    def quote(self, selection: PcrSelection | Mapping[Any, Iterable[int]] | str, nonce: bytes = b"") -> Quote:
        """TPM2_Quote (Part 3, 18.4) over ``selection`` with ``nonce`` as qualifyingData."""
        if len(nonce) > MAX_NONCE:
            raise DataError(f"nonce of {len(nonce)} bytes exceeds {MAX_NONCE}", field="nonce")
        sel = as_selection(selection)
        values = self.pcrs.values(sel)
        self.clock_ms += _CLOCK_STEP_MS
        attest = Attest(
            TPM_GENERATED_VALUE,
            TPM_ST_ATTEST_QUOTE,
            self.ak_qualified_name,
            bytes(nonce),
            ClockInfo(self.clock_ms, self.reset_count, self.restart_count, True),
            self.firmware_version,
            QuoteInfo(sel, values.digest(self.ak_hash)),
        )
        message = attest.to_bytes()
        return Quote(message, self._sign(message).to_bytes(), values)

    def __repr__(self) -> str:
        banks = tuple(a.name for a in self.pcrs.banks)
        return f"VirtualTpm(seed={self.seed}, banks={banks}, ak={self.ak_type!r})"
