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

Speed (``benchmarks/bench_quote.py``): every call decodes its inputs afresh and keeps no state
between calls. The message goes through the one fast TPMS_ATTEST decoder
(:func:`tlkit.tpm._attest.scan_attest`, tuples instead of objects) and the signature through
:meth:`Signature.from_bytes` (whose fast path is :func:`tlkit.tpm._signature.scan_signature`);
anything those do not accept goes to the careful Reader-based decoders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tlkit._result import Verdict
from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HASH_ALGS, SHA256, HashAlg
from tlkit.tpm._attest import TPM_GENERATED_VALUE, Attest, scan_attest
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import PublicArea, PublicKey, load_public_key
from tlkit.tpm._selection import MAX_SELECTION_BANKS, PcrSelection, UnknownPcrBankError
from tlkit.tpm._signature import RSA_SIG_ALGS, TPM_ALG_ECDSA, TPM_ALG_RSASSA, Signature

__all__ = ["REASONS", "QuoteVerification", "verify_quote"]

SIGNATURE_INVALID = "signature-invalid"
UNSUPPORTED_SCHEME = "unsupported-signature-scheme"
NOT_A_QUOTE = "not-a-quote"
UNSUPPORTED_PCR_BANK = "unsupported-pcr-bank"
BAD_MAGIC = "bad-magic"
NONCE_MISMATCH = "nonce-mismatch"
SELECTION_MISMATCH = "pcr-selection-mismatch"
DIGEST_MISMATCH = "pcr-digest-mismatch"

#: Every reason :func:`verify_quote` can report, in the order it reports them.
REASONS: tuple[str, ...] = (
    SIGNATURE_INVALID,
    UNSUPPORTED_SCHEME,
    NOT_A_QUOTE,
    UNSUPPORTED_PCR_BANK,
    BAD_MAGIC,
    NONCE_MISMATCH,
    SELECTION_MISMATCH,
    DIGEST_MISMATCH,
)
_PKCS1 = padding.PKCS1v15()


@dataclass(frozen=True)
class QuoteVerification(Verdict):
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


def _check_signature(key: PublicKey, sig: Signature, message: bytes) -> str | None:
    """None if ``sig`` is a valid signature of ``message`` under ``key``, else a reason."""
    alg, h = sig.sig_alg, sig.hash
    try:
        if alg in RSA_SIG_ALGS:
            if h is None:
                return UNSUPPORTED_SCHEME
            ch = h.crypto_hash()
            if not isinstance(key, rsa.RSAPublicKey) or sig.rsa is None:
                return SIGNATURE_INVALID
            pad = (
                _PKCS1
                if alg == TPM_ALG_RSASSA
                else padding.PSS(mgf=padding.MGF1(ch), salt_length=padding.PSS.AUTO)
            )
            key.verify(sig.rsa, message, pad, ch)
        elif alg == TPM_ALG_ECDSA:
            if h is None:
                return UNSUPPORTED_SCHEME
            ch = h.crypto_hash()
            if not isinstance(key, ec.EllipticCurvePublicKey) or sig.ecdsa_r is None or sig.ecdsa_s is None:
                return SIGNATURE_INVALID
            key.verify(sig.to_der(), message, ec.ECDSA(ch))
        else:
            return UNSUPPORTED_SCHEME
    except (InvalidSignature, ValueError):
        return SIGNATURE_INVALID
    except (UnsupportedAlgorithmError, _CryptoUnsupported):
        return UNSUPPORTED_SCHEME
    return None


def _digest_alg(pcr_digest: bytes) -> HashAlg | None:
    for alg in HASH_ALGS:  # signature unusable: fall back to the algorithm the digest length implies
        if alg.digest_size == len(pcr_digest) and alg.available:
            return alg
    return None


def _ordered_values(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], selection: PcrSelection
) -> PcrValues | None:
    """The supplied values in the quote's selection order, or None if the PCR sets differ."""
    if isinstance(pcrs, PcrValues):
        if pcrs.selection == selection:
            return pcrs
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
        return PcrValues.from_dict(table, selection)
    except DataError:
        return None


def _why_unreadable(message: bytes) -> str:
    """The reason for a message the fast decoder refused: ``unsupported-pcr-bank`` when the only
    obstacle is bank hashes tlkit does not know (the message parses once each unknown TPM_ALG_ID is
    read as SHA-256; the bank id does not change the structure's shape), else ``not-a-quote``."""
    data = bytearray(message)
    unknown = False
    for _ in range(MAX_SELECTION_BANKS + 1):
        try:
            Attest._decode(bytes(data))
        except UnknownPcrBankError as e:
            if e.offset is None:
                return NOT_A_QUOTE
            data[e.offset : e.offset + 2] = SHA256.alg_id.to_bytes(2, "big")
            unknown = True
        except ParseError:
            return NOT_A_QUOTE
        else:
            return UNSUPPORTED_PCR_BANK if unknown else NOT_A_QUOTE
    return NOT_A_QUOTE


def verify_quote(
    message: bytes | bytearray | memoryview,
    signature: bytes | bytearray | memoryview | Signature,
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
        ak: the attestation key: a ``cryptography`` public key (fastest), a :class:`PublicArea`,
            or PEM / DER / TPM2B_PUBLIC / TPMT_PUBLIC bytes (loaded on every call).

    Returns:
        A :class:`QuoteVerification`. A bad quote (including unparseable message or signature
        bytes) is a negative verdict, not an exception: ``not-a-quote`` for a malformed message
        or another TPM_ST_ATTEST type, ``unsupported-pcr-bank`` for a quote over a bank hash tlkit
        does not know. When the PCR sets differ, the digest is not checked
        (``pcr-selection-mismatch`` only).

    Raises:
        ParseError: ``ak`` bytes are none of the public key formats.
        UnsupportedAlgorithmError: ``ak`` is a well-formed key of a type or curve that cannot be
            used (e.g. a DER key on an unknown named curve).
        VerificationError: ``ak`` is a TPMT_PUBLIC / TPM2B_PUBLIC / :class:`PublicArea` whose key
            material is unusable (e.g. an ECC point off the curve).
        DataError: ``pcrs`` given as a mapping holds malformed values (not bytes or hex, unknown
            bank, bad index).
        TypeError: arguments of the wrong type.
    """
    key = ak if isinstance(ak, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)) else load_public_key(ak)
    if type(message) is not bytes:
        if not isinstance(message, (bytes, bytearray, memoryview)):
            raise TypeError(f"message must be bytes, not {type(message).__name__}")
        message = bytes(message)
    if not isinstance(nonce, (bytes, bytearray, memoryview)):
        raise TypeError(f"nonce must be bytes, not {type(nonce).__name__}")
    found: list[str] = []

    sig: Signature | None = None
    if isinstance(signature, Signature):
        sig = signature
    elif isinstance(signature, (bytes, bytearray, memoryview)):
        signature = bytes(signature)
        try:
            sig = Signature.from_bytes(signature)
        except ParseError:
            found.append(SIGNATURE_INVALID)
    else:
        raise TypeError(f"signature must be bytes or Signature, not {type(signature).__name__}")
    if sig is not None:
        bad = _check_signature(key, sig, message)
        if bad is not None:
            found.append(bad)

    computed: bytes | None = None
    scanned = scan_attest(message)
    if scanned is None:  # not a well-formed TPMS_ATTEST, or a quote over a bank tlkit does not know
        found.append(_why_unreadable(message))
    else:
        magic, extra, selection, digest = scanned[0], scanned[3], scanned[9], scanned[10]
        if selection is None:  # another TPM_ST_ATTEST_* type: magic and nonce are still checked
            found.append(NOT_A_QUOTE)
        if magic != TPM_GENERATED_VALUE:
            found.append(BAD_MAGIC)
        if extra != nonce:
            found.append(NONCE_MISMATCH)
        if selection is not None:
            values = _ordered_values(pcrs, selection)
            if values is None:
                found.append(SELECTION_MISMATCH)
            else:
                alg = sig.hash if sig is not None and sig.hash is not None else _digest_alg(digest)
                if alg is None:
                    found.append(DIGEST_MISMATCH)
                else:
                    try:
                        computed = values.digest(alg)
                    except UnsupportedAlgorithmError:
                        found.append(UNSUPPORTED_SCHEME)
                    else:
                        if computed != digest:
                            found.append(DIGEST_MISMATCH)

    reasons = tuple(r for r in REASONS if r in found) if found else ()
    return QuoteVerification(not reasons, reasons, computed, message, signature)
