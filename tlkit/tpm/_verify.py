"""Quote verification: signature, TPM_GENERATED magic, quote type, nonce, PCR selection and digest.

The checks are those of TPM 2.0 Part 3, 18.4 "TPM2_Quote" seen from the verifier: the signature
covers the TPMS_ATTEST bytes; ``extraData`` must equal the verifier's nonce (qualifyingData);
``pcrDigest`` is the hash, with the *signing scheme's* hash algorithm, of the selected PCR values
concatenated in selection order (so SHA-1 or SHA-384 bank quotes signed with an RSASSA-SHA256 AK
carry a SHA-256 digest).

RSASSA-PSS signatures are verified with the salt length recovered from the signature
(``PSS.AUTO``, as OpenSSL's default used by ``tpm2_checkquote``): TPM 2.0 implementations use
either the digest length (Part 1 rev 1.38+, FIPS 186-4) or the maximum length (older TPMs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tlkit.errors import DataError, ParseError
from tlkit.tpm._alg import HASH_ALGS, HashAlg
from tlkit.tpm._attest import TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE, Attest, QuoteInfo
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import PublicArea, PublicKey, load_public_key
from tlkit.tpm._signature import TPM_ALG_ECDSA, TPM_ALG_RSAPSS, TPM_ALG_RSASSA, Signature

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


@dataclass(frozen=True)
class QuoteVerification:
    """The verdict on one quote.

    Attributes:
        passed: every check succeeded (also ``bool(result)``).
        reasons: machine-readable failures, a subset of :data:`REASONS` in that order.
        attest: the parsed TPMS_ATTEST (None if the message does not parse). Only trustworthy
            when ``passed``.
        signature: the parsed TPMT_SIGNATURE (None if it does not parse).
        pcr_digest: the digest recomputed from the supplied PCR values (None if not computed).
    """

    passed: bool
    reasons: tuple[str, ...]
    attest: Attest | None
    signature: Signature | None
    pcr_digest: bytes | None = None

    def __bool__(self) -> bool:
        return self.passed

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passed": self.passed, "reasons": list(self.reasons)}
        if self.signature is not None:
            out["signature"] = {
                "sig_alg": self.signature.sig_alg_name,
                "hash": self.signature.hash.name if self.signature.hash else None,
            }
        if self.attest is not None:
            out["attest"] = self.attest.to_dict()
        if self.pcr_digest is not None:
            out["computed_pcr_digest"] = self.pcr_digest.hex()
        return out


def _check_signature(key: PublicKey, sig: Signature, message: bytes) -> str | None:
    """None if ``sig`` is a valid signature of ``message`` under ``key``, else a reason."""
    h = sig.hash
    ch = _CRYPTO_HASHES.get(h.name) if h is not None else None
    if ch is None or h is None:
        return UNSUPPORTED_SCHEME
    try:
        if sig.sig_alg in (TPM_ALG_RSASSA, TPM_ALG_RSAPSS):
            if not isinstance(key, rsa.RSAPublicKey) or sig.rsa is None:
                return SIGNATURE_INVALID
            key.verify(sig.rsa, message, _PKCS1 if sig.sig_alg == TPM_ALG_RSASSA else _PSS[h.name], ch)
        elif sig.sig_alg == TPM_ALG_ECDSA:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return SIGNATURE_INVALID
            key.verify(sig.to_der(), message, _ECDSA[h.name])
        else:
            return UNSUPPORTED_SCHEME
    except (InvalidSignature, ValueError):
        return SIGNATURE_INVALID
    except _CryptoUnsupported:
        return UNSUPPORTED_SCHEME
    return None


def _digest_alg(sig: Signature | None, quote: QuoteInfo) -> HashAlg | None:
    if sig is not None and sig.hash is not None:
        return sig.hash
    for alg in HASH_ALGS:  # signature unusable: fall back to the algorithm the digest length implies
        if alg.digest_size == len(quote.pcr_digest) and alg.available:
            return alg
    return None


def _ordered_values(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], quote: QuoteInfo
) -> tuple[bytes, ...] | None:
    """The supplied values in the quote's selection order, or None if the PCR sets differ."""
    if isinstance(pcrs, PcrValues):
        if pcrs.selection == quote.pcr_select:
            return pcrs.values
        table: Mapping[Any, Mapping[Any, bytes | str]] = pcrs.as_dict()
    elif isinstance(pcrs, Mapping):
        table = pcrs
    else:
        raise TypeError(
            f"pcrs must be PcrValues or a {{bank: {{pcr: value}}}} mapping, not {type(pcrs).__name__}"
        )
    supplied = PcrValues.from_dict(table)
    wanted = {(a.name, p) for a, pcrs_ in quote.pcr_select.items() for p in pcrs_}
    have = {(a.name, p) for a, pcrs_ in supplied.selection.items() for p in pcrs_}
    if wanted != have:
        return None
    try:
        return PcrValues.from_dict(table, quote.pcr_select).values
    except DataError:
        return None


def verify_quote(
    message: bytes | bytearray | memoryview,
    signature: bytes | Signature,
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]],
    nonce: bytes,
    ak: PublicKey | PublicArea | bytes | str,
) -> QuoteVerification:
    """Verify a TPM2 quote.

    Args:
        message: the TPMS_ATTEST bytes the TPM signed (``tpm2_quote -m``).
        signature: TPMT_SIGNATURE bytes (``tpm2_quote -s``) or a :class:`Signature` (use
            :meth:`Signature.rsassa` for a bare PKCS#1 signature).
        pcrs: the PCR values claimed for the quote (:class:`PcrValues` or ``{bank: {pcr: value}}``).
            They must cover exactly the quoted selection.
        nonce: the verifier's nonce; must equal ``extraData``.
        ak: the attestation key: a ``cryptography`` public key (fastest), a :class:`PublicArea`,
            or PEM / DER / TPM2B_PUBLIC / TPMT_PUBLIC bytes.

    Returns:
        A :class:`QuoteVerification`; a bad quote is a negative verdict, not an exception.

    Raises:
        ParseError: ``ak`` bytes are not a public key.
        TypeError: arguments of the wrong type.
    """
    key = ak if isinstance(ak, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)) else load_public_key(ak)
    if not isinstance(message, bytes):
        if not isinstance(message, (bytearray, memoryview)):
            raise TypeError(f"message must be bytes, not {type(message).__name__}")
        message = bytes(message)
    if not isinstance(nonce, (bytes, bytearray, memoryview)):
        raise TypeError(f"nonce must be bytes, not {type(nonce).__name__}")
    found: set[str] = set()

    sig: Signature | None
    if isinstance(signature, Signature):
        sig = signature
    elif isinstance(signature, (bytes, bytearray, memoryview)):
        try:
            sig = Signature.from_bytes(signature)
        except ParseError:
            sig = None
            found.add(SIGNATURE_INVALID)
    else:
        raise TypeError(f"signature must be bytes or Signature, not {type(signature).__name__}")
    if sig is not None:
        bad = _check_signature(key, sig, message)
        if bad is not None:
            found.add(bad)

    attest: Attest | None
    try:
        attest = Attest.from_bytes(message)
    except ParseError:
        attest = None
        found.add(NOT_A_QUOTE)

    computed: bytes | None = None
    if attest is not None:
        if attest.magic != TPM_GENERATED_VALUE:
            found.add(BAD_MAGIC)
        if attest.extra_data != nonce:
            found.add(NONCE_MISMATCH)
        quote = attest.attested
        if attest.type != TPM_ST_ATTEST_QUOTE or not isinstance(quote, QuoteInfo):
            found.add(NOT_A_QUOTE)
        else:
            values = _ordered_values(pcrs, quote)
            alg = _digest_alg(sig, quote)
            if values is None:
                found.add(SELECTION_MISMATCH)
            elif alg is None:
                found.add(DIGEST_MISMATCH)
            else:
                computed = alg.digest(b"".join(values))
                if computed != quote.pcr_digest:
                    found.add(DIGEST_MISMATCH)

    reasons = tuple(r for r in REASONS if r in found) if found else ()
    return QuoteVerification(not reasons, reasons, attest, sig, computed)
