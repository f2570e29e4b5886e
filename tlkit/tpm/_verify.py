"""Quote verification: signature, TPM_GENERATED magic, quote type, nonce, PCR selection and digest.

The checks are those of TPM 2.0 Part 3, 18.4 "TPM2_Quote" seen from the verifier: the signature
covers the TPMS_ATTEST bytes; ``extraData`` must equal the verifier's nonce (qualifyingData);
``pcrDigest`` is the hash, with the *signing scheme's* hash algorithm, of the selected PCR values
concatenated in selection order (so SHA-1 or SHA-384 bank quotes signed with an RSASSA-SHA256 AK
carry a SHA-256 digest).

RSASSA-PSS signatures are verified with the salt length recovered from the signature
(``PSS.AUTO``, like OpenSSL's verify default that ``tpm2_checkquote`` relies on): TPM 2.0
implementations use the digest length (TPM 2.0 Part 1, Annex B "RSASSA-PSS", current revisions)
and some older ones the maximum length; both verify.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tlkit.errors import DataError, ParseError
from tlkit.tpm._alg import HASH_ALGS, HashAlg
from tlkit.tpm._attest import TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, Attest, scan_attest
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import PublicArea, PublicKey, load_public_key
from tlkit.tpm._selection import PcrSelection
from tlkit.tpm._signature import (
    TPM_ALG_ECDSA,
    TPM_ALG_RSAPSS,
    TPM_ALG_RSASSA,
    ScannedSignature,
    Signature,
    scan_signature,
)

__all__ = ["REASONS", "QuoteVerification", "verify_quote"]

SIGNATURE_INVALID = "signature-invalid"
UNSUPPORTED_SCHEME = "unsupported-signature-scheme"
NOT_A_QUOTE = "not-a-quote"
BAD_MAGIC = "bad-magic"
NONCE_MISMATCH = "nonce-mismatch"
SELECTION_MISMATCH = "pcr-selection-mismatch"
DIGEST_MISMATCH = "pcr-digest-mismatch"

#: Every reason :func:`verify_quote` can report, in the order it reports them.
REASONS: tuple[str, ...] = (
    SIGNATURE_INVALID,
    UNSUPPORTED_SCHEME,
    NOT_A_QUOTE,
    BAD_MAGIC,
    NONCE_MISMATCH,
    SELECTION_MISMATCH,
    DIGEST_MISMATCH,
)

_CRYPTO_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
with contextlib.suppress(_CryptoUnsupported):
    _CRYPTO_HASHES["sm3_256"] = hashes.SM3()
_PKCS1 = padding.PKCS1v15()
_PSS = {
    name: padding.PSS(mgf=padding.MGF1(h), salt_length=padding.PSS.AUTO) for name, h in _CRYPTO_HASHES.items()
}
_ECDSA = {name: ec.ECDSA(h) for name, h in _CRYPTO_HASHES.items()}
_HASHLIB = {a.alg_id: getattr(hashlib, a.hashlib_name) for a in HASH_ALGS if hasattr(hashlib, a.hashlib_name)}
# Concrete key classes seen so far -> "rsa" / "ec" (ABC isinstance checks are slow on the hot path).
_KIND: dict[type, str] = {}


def _key_kind(key: object) -> str | None:
    t = type(key)
    kind = _KIND.get(t)
    if kind is None:
        if isinstance(key, rsa.RSAPublicKey):
            kind = "rsa"
        elif isinstance(key, ec.EllipticCurvePublicKey):
            kind = "ec"
        else:
            return None
        _KIND[t] = kind
    return kind


@dataclass(frozen=True)
class QuoteVerification:
    """The verdict on one quote.

    Attributes:
        passed: every check succeeded (also ``bool(result)``).
        reasons: machine-readable failures, a subset of :data:`REASONS` in that order.
        pcr_digest: the digest recomputed from the supplied PCR values (None if not computed).
        attest: the parsed TPMS_ATTEST (None if the message does not parse); parsed on first
            access. Only trustworthy when ``passed``.
        signature: the parsed TPMT_SIGNATURE (None if it does not parse); parsed on first access.
    """

    passed: bool
    reasons: tuple[str, ...]
    pcr_digest: bytes | None = None
    message: bytes = field(default=b"", repr=False, compare=False)
    signature_input: bytes | Signature = field(default=b"", repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.passed

    @classmethod
    def _fast(
        cls,
        passed: bool,
        reasons: tuple[str, ...],
        pcr_digest: bytes | None,
        message: bytes,
        signature_input: bytes | Signature,
    ) -> QuoteVerification:
        """Same as the constructor, minus the frozen-dataclass ``__setattr__`` cost (hot path)."""
        obj = object.__new__(cls)
        obj.__dict__.update(
            passed=passed,
            reasons=reasons,
            pcr_digest=pcr_digest,
            message=message,
            signature_input=signature_input,
        )
        return obj

    @cached_property
    def attest(self) -> Attest | None:
        try:
            return Attest.from_bytes(self.message)
        except ParseError:
            return None

    @cached_property
    def signature(self) -> Signature | None:
        if isinstance(self.signature_input, Signature):
            return self.signature_input
        try:
            return Signature.from_bytes(self.signature_input)
        except ParseError:
            return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passed": self.passed, "reasons": list(self.reasons)}
        sig = self.signature
        if sig is not None:
            out["signature"] = {"sig_alg": sig.sig_alg_name, "hash": sig.hash.name if sig.hash else None}
        attest = self.attest
        if attest is not None:
            out["attest"] = attest.to_dict()
        if self.pcr_digest is not None:
            out["computed_pcr_digest"] = self.pcr_digest.hex()
        return out


def _check_signature(key: PublicKey, kind: str | None, sig: ScannedSignature, message: bytes) -> str | None:
    """None if ``sig`` is a valid signature of ``message`` under ``key`` (of ``kind``), else a reason."""
    alg, h, rsa_sig, r, s, _ = sig
    ch = _CRYPTO_HASHES.get(h.name) if h is not None else None
    if ch is None or h is None:
        return UNSUPPORTED_SCHEME
    try:
        if alg in (TPM_ALG_RSASSA, TPM_ALG_RSAPSS):
            if kind != "rsa" or rsa_sig is None:
                return SIGNATURE_INVALID
            cast(rsa.RSAPublicKey, key).verify(
                rsa_sig, message, _PKCS1 if alg == TPM_ALG_RSASSA else _PSS[h.name], ch
            )
        elif alg == TPM_ALG_ECDSA:
            if kind != "ec" or r is None or s is None:
                return SIGNATURE_INVALID
            der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
            cast(ec.EllipticCurvePublicKey, key).verify(der, message, _ECDSA[h.name])
        else:
            return UNSUPPORTED_SCHEME
    except (InvalidSignature, ValueError):
        return SIGNATURE_INVALID
    except _CryptoUnsupported:
        return UNSUPPORTED_SCHEME
    return None


def _digest_alg(pcr_digest: bytes) -> HashAlg | None:
    for alg in HASH_ALGS:  # signature unusable: fall back to the algorithm the digest length implies
        if alg.digest_size == len(pcr_digest) and alg.available:
            return alg
    return None


def _ordered_values(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], selection: PcrSelection
) -> tuple[bytes, ...] | None:
    """The supplied values in the quote's selection order, or None if the PCR sets differ."""
    if isinstance(pcrs, PcrValues):
        if pcrs.selection is selection or pcrs.selection == selection:
            return pcrs.values
        table: Mapping[Any, Mapping[Any, bytes | str]] = pcrs.as_dict()
    elif isinstance(pcrs, Mapping):
        table = pcrs
    else:
        raise TypeError(
            f"pcrs must be PcrValues or a {{bank: {{pcr: value}}}} mapping, not {type(pcrs).__name__}"
        )
    supplied = PcrValues.from_dict(table)
    wanted = {(a.name, p) for a, pcrs_ in selection.items() for p in pcrs_}
    have = {(a.name, p) for a, pcrs_ in supplied.selection.items() for p in pcrs_}
    if wanted != have:
        return None
    try:
        return PcrValues.from_dict(table, selection).values
    except DataError:
        return None


def _parse_signature(data: bytes, found: list[str]) -> ScannedSignature | None:
    try:
        p = Signature.from_bytes(data)
    except ParseError:
        found.append(SIGNATURE_INVALID)
        return None
    return (p.sig_alg, p.hash, p.rsa, p.ecdsa_r, p.ecdsa_s, p.hmac)


def verify_quote(
    message: bytes | bytearray | memoryview,
    signature: bytes | Signature,
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]],
    nonce: bytes | bytearray | memoryview,
    ak: PublicKey | PublicArea | bytes | str,
) -> QuoteVerification:
    """Verify a TPM2 quote.

    Args:
        message: the TPMS_ATTEST bytes the TPM signed (``tpm2_quote -m``).
        signature: TPMT_SIGNATURE bytes (``tpm2_quote -s``) or a :class:`Signature` (use
            :meth:`Signature.rsassa` for a bare PKCS#1 signature).
        pcrs: the PCR values claimed for the quote (:class:`PcrValues` or ``{bank: {pcr: value}}``).
            They must cover exactly the quoted selection (in any bank order).
        nonce: the verifier's nonce; must equal ``extraData``.
        ak: the attestation key: a ``cryptography`` public key (fastest), a :class:`PublicArea`
            (its key is converted once and cached), or PEM / DER / TPM2B_PUBLIC / TPMT_PUBLIC bytes.

    Returns:
        A :class:`QuoteVerification`. A bad quote (including unparseable message or signature
        bytes) is a negative verdict, not an exception. When the PCR sets differ, the digest is
        not checked (``pcr-selection-mismatch`` only).

    Raises:
        ParseError: ``ak`` bytes are not a public key.
        TypeError: arguments of the wrong type.
    """
    kind = _key_kind(ak)
    if kind is None:
        key = load_public_key(ak)
        kind = _key_kind(key)
    else:
        key = cast(PublicKey, ak)
    if type(message) is not bytes:
        if not isinstance(message, (bytes, bytearray, memoryview)):
            raise TypeError(f"message must be bytes, not {type(message).__name__}")
        message = bytes(message)
    if type(nonce) is not bytes and not isinstance(nonce, (bytearray, memoryview)):
        raise TypeError(f"nonce must be bytes, not {type(nonce).__name__}")
    found: list[str] = []

    sig: ScannedSignature | None
    if type(signature) is bytes:
        sig = scan_signature(signature)
        if sig is None:
            sig = _parse_signature(signature, found)
    elif isinstance(signature, Signature):
        sig = (signature.sig_alg, signature.hash, signature.rsa, signature.ecdsa_r, signature.ecdsa_s, None)
    elif isinstance(signature, (bytes, bytearray, memoryview)):
        signature = bytes(signature)
        sig = scan_signature(signature) or _parse_signature(signature, found)
    else:
        raise TypeError(f"signature must be bytes or Signature, not {type(signature).__name__}")
    if sig is not None:
        bad = _check_signature(key, kind, sig, message)
        if bad is not None:
            found.append(bad)

    computed: bytes | None = None
    att = scan_attest(message)
    if att is None:
        found.append(NOT_A_QUOTE)  # scan_attest rejects exactly what Attest.from_bytes rejects
    else:
        if att[0] != TPM_GENERATED_VALUE:
            found.append(BAD_MAGIC)
        if att[3] != nonce:
            found.append(NONCE_MISMATCH)
        selection = att[9]
        if att[1] != TPM_ST_ATTEST_QUOTE or selection is None:
            found.append(NOT_A_QUOTE)
        else:
            if type(pcrs) is PcrValues and (pcrs.selection is selection or pcrs.selection == selection):
                values: tuple[bytes, ...] | None = pcrs.values
            else:
                values = _ordered_values(pcrs, selection)
            alg = sig[1] if sig is not None and sig[1] is not None else _digest_alg(att[10])
            if values is None:
                found.append(SELECTION_MISMATCH)
            elif alg is None:
                found.append(DIGEST_MISMATCH)
            else:
                new = _HASHLIB.get(alg.alg_id, alg.new)
                computed = new(b"".join(values)).digest()
                if computed != att[10]:
                    found.append(DIGEST_MISMATCH)

    reasons = tuple(r for r in REASONS if r in found) if found else ()
    return QuoteVerification._fast(not reasons, reasons, computed, message, signature)
