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

Speed (``benchmarks/bench_quote.py``): the checks cost little beside the signature itself. The
message is scanned with ``struct`` (:func:`scan_quote`; anything unusual goes to the careful
decoders); when the supplied :class:`PcrValues`' selection already matched a quote, its bytes are
compared instead of decoded; the PCR digest is memoised on the (immutable) :class:`PcrValues`;
padding / hash objects are built once per scheme; keys given as bytes are loaded once per value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HASH_ALGS, HashAlg
from tlkit.tpm._attest import (
    _SELECTIONS,
    TPM_GENERATED_VALUE,
    Attest,
    cached_selection,
    scan_attest,
    scan_quote,
)
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import PublicArea, PublicKey, load_public_key
from tlkit.tpm._selection import PcrSelection
from tlkit.tpm._signature import (
    RSA_SIG_ALGS,
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
# (TPM_ALG_RSASSA | TPM_ALG_RSAPSS, hash alg_id) -> (padding, hash); hash alg_id -> ECDSA scheme.
# Built once: the padding and hash objects are immutable and shared by every call.
_RSA_ARGS: dict[tuple[int, int], tuple[padding.AsymmetricPadding, hashes.HashAlgorithm]] = {}
_EC_ARGS: dict[int, ec.ECDSA] = {}
for _alg in HASH_ALGS:
    _ch = _CRYPTO_HASHES.get(_alg.name)
    if _ch is not None:
        _RSA_ARGS[TPM_ALG_RSASSA, _alg.alg_id] = (_PKCS1, _ch)
        _pss = padding.PSS(mgf=padding.MGF1(_ch), salt_length=padding.PSS.AUTO)
        _RSA_ARGS[TPM_ALG_RSAPSS, _alg.alg_id] = (_pss, _ch)
        _EC_ARGS[_alg.alg_id] = ec.ECDSA(_ch)
_new = object.__new__
_set = object.__setattr__
# Concrete key classes seen so far -> "rsa" / "ec" (ABC isinstance checks are slow on the hot path).
_KIND: dict[type, str] = {}


#: Keys loaded from PEM / DER / TPM2B_PUBLIC / TPMT_PUBLIC bytes, by those bytes (bounded).
_LOADED: dict[bytes | str, PublicKey] = {}


def _load_key(ak: PublicKey | PublicArea | bytes | str) -> PublicKey:
    """:func:`load_public_key`, remembering what it made of immutable ``bytes`` / ``str`` input."""
    if type(ak) is not bytes and type(ak) is not str:
        return load_public_key(ak)
    key = _LOADED.get(ak)
    if key is None:
        key = load_public_key(ak)
        if len(_LOADED) >= 64:
            _LOADED.clear()
        _LOADED[ak] = key
    return key


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
        """Same as the constructor, minus the frozen-dataclass ``__setattr__`` per field (hot path)."""
        obj = _new(cls)
        _set(
            obj,
            "__dict__",
            {
                "passed": passed,
                "reasons": reasons,
                "pcr_digest": pcr_digest,
                "message": message,
                "signature_input": signature_input,
            },
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
    try:
        if alg in RSA_SIG_ALGS:
            args = _RSA_ARGS.get((alg, h.alg_id)) if h is not None else None
            if args is None:
                return UNSUPPORTED_SCHEME
            if kind != "rsa" or rsa_sig is None:
                return SIGNATURE_INVALID
            rsa_key: rsa.RSAPublicKey = key  # type: ignore[assignment]
            rsa_key.verify(rsa_sig, message, args[0], args[1])
        elif alg == TPM_ALG_ECDSA:
            scheme = _EC_ARGS.get(h.alg_id) if h is not None else None
            if scheme is None:
                return UNSUPPORTED_SCHEME
            if kind != "ec" or r is None or s is None:
                return SIGNATURE_INVALID
            ec_key: ec.EllipticCurvePublicKey = key  # type: ignore[assignment]
            ec_key.verify(
                encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big")), message, scheme
            )
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


def _remember_wire(mine: PcrSelection, quoted: PcrSelection) -> None:
    """``mine`` equals the ``quoted`` selection: remember the quoted bytes, to compare them next time."""
    if mine._known_wire is None:
        mine.__dict__["_known_wire"] = quoted._known_wire  # not a field: frozen-ness unaffected


def _ordered_values(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], selection: PcrSelection
) -> PcrValues | None:
    """The supplied values in the quote's selection order, or None if the PCR sets differ."""
    if isinstance(pcrs, PcrValues):
        if pcrs.selection is selection or pcrs.selection == selection:
            _remember_wire(pcrs.selection, selection)
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
            (its key is converted once and cached), or PEM / DER / TPM2B_PUBLIC / TPMT_PUBLIC bytes
            (loaded once per distinct value).

    Returns:
        A :class:`QuoteVerification`. A bad quote (including unparseable message or signature
        bytes) is a negative verdict, not an exception. When the PCR sets differ, the digest is
        not checked (``pcr-selection-mismatch`` only).

    Raises:
        ParseError: ``ak`` bytes are not a public key.
        TypeError: arguments of the wrong type.
    """
    kind = _KIND.get(type(ak)) or _key_kind(ak)
    key: PublicKey
    if kind is None:
        key = _load_key(ak)
        kind = _key_kind(key)
    else:
        key = ak  # type: ignore[assignment]
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
    values: PcrValues | None = None
    fields = True  # magic, nonce (and digest, with values) can be checked
    magic, extra, digest = 0, b"", b""
    mine = pcrs if type(pcrs) is PcrValues else None  # the common case; subclasses take the long way
    quote = scan_quote(message, mine.selection._known_wire if mine is not None else None)
    if quote is not None:
        magic, extra, wire, digest = quote
        if wire is None:  # exactly the supplied PcrValues' selection
            values = mine
        else:
            selection = _SELECTIONS.get(wire) or cached_selection(wire)
            if selection is None:
                found.append(NOT_A_QUOTE)  # as Attest.from_bytes would reject it
                fields = False
            elif mine is not None and mine.selection == selection:
                values = mine
                _remember_wire(mine.selection, selection)
            else:
                values = _ordered_values(pcrs, selection)
                if values is None:
                    found.append(SELECTION_MISMATCH)
    else:
        found.append(NOT_A_QUOTE)  # a malformed message, or another TPM_ST_ATTEST_* type
        att = scan_attest(message)  # tells which: another type still has magic and extraData
        if att is None:
            fields = False
        else:
            magic, extra = att[0], att[3]
    if fields:
        if magic != TPM_GENERATED_VALUE:
            found.append(BAD_MAGIC)
        if extra != nonce:
            found.append(NONCE_MISMATCH)
        if values is not None:
            alg = sig[1] if sig is not None and sig[1] is not None else _digest_alg(digest)
            if alg is None:
                found.append(DIGEST_MISMATCH)
            else:
                try:
                    computed = values._digest(alg)
                except UnsupportedAlgorithmError:
                    found.append(UNSUPPORTED_SCHEME)
                else:
                    if computed != digest:
                        found.append(DIGEST_MISMATCH)

    if not found:
        return QuoteVerification._fast(True, (), computed, message, signature)
    reasons = tuple(r for r in REASONS if r in found)
    return QuoteVerification._fast(False, reasons, computed, message, signature)
