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
about inputs between calls (only constant tables: the ``cryptography`` scheme objects per
TPM_ALG_ID, hashlib constructors, and which key classes are RSA). The usual passing quote (a key
object, bytes, :class:`PcrValues` in the quoted bank order) is decided in one pass by
:func:`_usual_quote`, which reads the few fields it needs with ``struct`` and compares the quoted
TPML_PCR_SELECTION with the supplied one byte for byte (:attr:`PcrSelection.wire`). Anything else
(other argument types, bank orders, PCR mappings, SM3, malformed bytes, any failure) goes to the
careful decoders (:func:`_careful`), which give the same verdicts and name every reason.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import HashAlgorithm

from tlkit._result import Verdict
from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError
from tlkit.tpm._alg import HASH_ALGS, SHA256, HashAlg
from tlkit.tpm._attest import (
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_QUOTE,
    Attest,
    ScannedHead,
    ScannedQuoteInfo,
    scan_head,
    scan_quote_info,
)
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import KEY_CLASSES, PublicArea, PublicKey, key_is_rsa, load_public_key
from tlkit.tpm._selection import MAX_SELECTION_BANKS, PcrSelection, UnknownPcrBankError
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
_new_object = object.__new__
_U16 = struct.Struct(">H")


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

    @classmethod
    def _of(
        cls,
        passed: bool,
        reasons: tuple[str, ...],
        pcr_digest: bytes | None,
        message: bytes,
        signature_input: bytes | Signature,
    ) -> QuoteVerification:
        """The same object as the constructor makes, without the frozen ``__init__``'s per-field
        ``object.__setattr__`` calls (used once per :func:`verify_quote`)."""
        obj = _new_object(cls)
        fields = obj.__dict__
        fields["passed"] = passed
        fields["reasons"] = reasons
        fields["pcr_digest"] = pcr_digest
        fields["message"] = message
        fields["signature_input"] = signature_input
        return obj

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


_RsaScheme = tuple[padding.AsymmetricPadding, HashAlgorithm]
#: Hashes every OpenSSL build offers (SM3 depends on the build, so it is never put in a table).
_FIXED_HASHES = tuple(h for h in HASH_ALGS if h.hashlib_name != "sm3")


def _scheme_tables() -> tuple[dict[int, _RsaScheme], dict[int, ec.ECDSA]]:
    """Constant ``cryptography`` scheme objects per (TPM_ALG_ID scheme << 16 | hash id) for RSA and
    per hash id for ECDSA, so that no call builds them (hashes this build cannot do are left out:
    a signature using one is ``unsupported-signature-scheme``)."""
    rsa_schemes: dict[int, _RsaScheme] = {}
    ecdsa: dict[int, ec.ECDSA] = {}
    for h in _FIXED_HASHES:
        ch = h.crypto_hash()
        rsa_schemes[TPM_ALG_RSASSA << 16 | h.alg_id] = (_PKCS1, ch)
        pss = padding.PSS(mgf=padding.MGF1(ch), salt_length=padding.PSS.AUTO)
        rsa_schemes[TPM_ALG_RSAPSS << 16 | h.alg_id] = (pss, ch)
        ecdsa[h.alg_id] = ec.ECDSA(ch)
    return rsa_schemes, ecdsa


_RSA_SCHEMES, _ECDSA_SCHEMES = _scheme_tables()
#: hashlib constructors of the PCR digest's hash, by TPM_ALG_ID (SHA-1/2; SM3 is looked up per call).
_PCR_HASHES: dict[int, Callable[[bytes], Any]] = {h.alg_id: h._ctor() for h in _FIXED_HASHES}


def _rsa_scheme(alg: int, h: HashAlg) -> _RsaScheme:
    """Scheme objects of a hash outside the constant tables (SM3, present or not in this OpenSSL
    build); UnsupportedAlgorithmError when this build cannot do it."""
    ch = h.crypto_hash()
    if alg == TPM_ALG_RSAPSS:
        return padding.PSS(mgf=padding.MGF1(ch), salt_length=padding.PSS.AUTO), ch
    return _PKCS1, ch


def _ecdsa_scheme(h: HashAlg) -> ec.ECDSA:
    """Like :func:`_rsa_scheme`, for ECDSA."""
    return ec.ECDSA(h.crypto_hash())


def _as_key(ak: PublicKey | PublicArea | bytes | str) -> tuple[PublicKey, bool]:
    """The AK as a ``cryptography`` key, and whether it is RSA (else EC)."""
    is_rsa = key_is_rsa(ak)
    if is_rsa is not None:
        return ak, is_rsa  # type: ignore[return-value]
    key = load_public_key(ak)
    return key, bool(key_is_rsa(key))


def _check_signature(key: PublicKey, is_rsa: bool, sig: ScannedSignature, message: bytes) -> str | None:
    """None if ``sig`` (TPMT_SIGNATURE fields) is a valid signature of ``message``, else a reason."""
    alg, h, rsa_sig, r, s, _ = sig
    try:
        if rsa_sig is not None and h is not None:  # RSASSA / RSAPSS (TPMS_SIGNATURE_RSA, 11.3.1)
            pad, ch = _RSA_SCHEMES.get(alg << 16 | h.alg_id) or _rsa_scheme(alg, h)
            if not is_rsa:
                return SIGNATURE_INVALID
            key.verify(rsa_sig, message, pad, ch)  # type: ignore[call-arg, arg-type]
            return None
        if alg != TPM_ALG_ECDSA or h is None or r is None or s is None:
            return UNSUPPORTED_SCHEME  # ECDAA, SM2, EC-Schnorr, HMAC, NULL
        scheme = _ECDSA_SCHEMES.get(h.alg_id) or _ecdsa_scheme(h)
        if is_rsa:
            return SIGNATURE_INVALID
        der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
        key.verify(der, message, scheme)  # type: ignore[call-arg, arg-type]
    except (InvalidSignature, ValueError):
        return SIGNATURE_INVALID
    except (_CryptoUnsupported, UnsupportedAlgorithmError):
        return UNSUPPORTED_SCHEME
    return None


def _signature_reason(
    key: PublicKey, is_rsa: bool, signature: bytes | Signature, message: bytes
) -> tuple[str | None, HashAlg | None]:
    """The signature check's reason (None: valid) and the scheme's hash (None: unknown)."""
    if type(signature) is bytes:
        fields = scan_signature(signature)
        if fields is None:  # not an RSA/ECC arm of the fast decoder: the careful one decides
            try:
                signature = Signature.from_bytes(signature)
            except ParseError:
                return SIGNATURE_INVALID, None
    else:
        fields = None
    if fields is None:
        sig: Signature = signature  # type: ignore[assignment]
        fields = (sig.sig_alg, sig.hash, sig.rsa, sig.ecdsa_r, sig.ecdsa_s, sig.hmac)
    return _check_signature(key, is_rsa, fields, message), fields[1]


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
        raise DataError(
            f"pcrs must be PcrValues or a {{bank: {{pcr: value}}}} mapping, not {type(pcrs).__name__}",
            field="pcrs",
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


def _values_for(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], info: ScannedQuoteInfo
) -> tuple[bytes, ...] | None:
    """The supplied PCR values in the quoted selection's order, or None if the PCR sets differ."""
    if type(pcrs) is PcrValues and pcrs.selection.items() == info[0]:
        return pcrs.values  # the usual case: same banks, same order
    ordered = _ordered_values(pcrs, PcrSelection(info[0], info[1]))
    return None if ordered is None else ordered.values


def _digest_reason(
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]], info: ScannedQuoteInfo, h: HashAlg | None
) -> tuple[str | None, bytes | None]:
    """pcrDigest against the supplied values (Part 3, 18.4): a reason or None, and the digest computed."""
    values = _values_for(pcrs, info)
    if values is None:
        return SELECTION_MISMATCH, None
    digest = info[2]
    alg = h if h is not None else _digest_alg(digest)
    if alg is None:
        return DIGEST_MISMATCH, None
    try:
        ctor = _PCR_HASHES.get(alg.alg_id) or alg._ctor()
    except UnsupportedAlgorithmError:
        return UNSUPPORTED_SCHEME, None
    computed: bytes = ctor(b"".join(values)).digest()
    return (None if computed == digest else DIGEST_MISMATCH), computed


def _head_reasons(
    message: bytes, head: ScannedHead, nonce: bytes | bytearray | memoryview, found: list[str]
) -> list[str]:
    """``found`` plus ``bad-magic`` (TPM_GENERATED, Part 2, 10.12.12) and ``nonce-mismatch``
    (extraData is the caller's qualifyingData, Part 3, 18.4) as the scanned head shows them."""
    magic, _, o, e = head
    if magic != TPM_GENERATED_VALUE:
        found.append(BAD_MAGIC)
    if message[o + 2 : e] != nonce:
        found.append(NONCE_MISMATCH)
    return found


def _claims_reasons(
    message: bytes,
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]],
    nonce: bytes | bytearray | memoryview,
    h: HashAlg | None,
) -> tuple[list[str], bytes | None]:
    """What the message claims against what the verifier expects, for any message and any PCR
    values (selections in another order, PCR mappings, SM3, unknown or malformed structures): the
    reasons and the computed digest. The usual passing quote never gets here
    (:func:`_usual_signature` and :func:`_usual_digest` decide it in one pass)."""
    head = scan_head(message)
    info = None
    if head is not None and head[1] == TPM_ST_ATTEST_QUOTE:
        info = scan_quote_info(message, head[3] + 25)
        if info is None:
            head = None
    if head is None:  # not a well-formed TPMS_ATTEST, or a quote over a bank tlkit does not know
        return [_why_unreadable(message)], None
    # other types: magic and nonce are still checked
    found = _head_reasons(message, head, nonce, [] if info is not None else [NOT_A_QUOTE])
    if info is None:
        return found, None
    reason, computed = _digest_reason(pcrs, info, h)
    if reason is not None:
        found.append(reason)
    return found, computed


_SIG_HEAD = struct.Struct(">HHH")  # TPMT_SIGNATURE: sigAlg, hash, first TPM2B size (Part 2, 11.3.4)
#: TPMS_ATTEST's magic and type of a TPM_GENERATED quote, then qualifiedSigner's size (Part 2, 10.12.12)
_QUOTE_HEAD = struct.Struct(">6sH")
_QUOTE_START = struct.pack(">IH", TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE)
#: pcrDigest's TPM2B size field per hash id of the constant tables.
_DIGEST_SIZE_FIELD: dict[int, bytes] = {h.alg_id: _U16.pack(h.digest_size) for h in _FIXED_HASHES}
#: Whatever :func:`_usual_quote` meets on bytes it does not take (short or malformed).
_NOT_USUAL = (InvalidSignature, ValueError, KeyError, IndexError, struct.error)


def _usual_quote(
    key: PublicKey, signature: bytes, message: bytes, pcrs: PcrValues, nonce: bytes, *, is_rsa: bool
) -> bytes | None:
    """The pcrDigest when the quote is the usual passing one, decided in one pass; None for
    anything else, valid or not (the careful path then decides and names the reasons).

    Usual means: ``message`` is a TPM_GENERATED quote (Part 2, 10.12.12) whose extraData is
    ``nonce``, whose clockInfo.safe is a TPMI_YES_NO, whose TPML_PCR_SELECTION is byte for byte
    that of ``pcrs`` and whose pcrDigest (ending the message) is the signing hash over the values
    (Part 3, 18.4); ``signature`` is an RSASSA/RSAPSS (RSA key) or ECDSA (EC key) TPMT_SIGNATURE
    (Part 2, 11.3.4) with a hash of the constant tables, filling its bytes exactly, valid over
    ``message``. It accepts only what :func:`_signature_reason` and :func:`_claims_reasons` accept.
    Out-of-range reads raise (``struct.error``, ``IndexError``) and mean "not usual".
    """
    try:
        alg, hid, size = _SIG_HEAD.unpack_from(signature, 0)
        head, signer = _QUOTE_HEAD.unpack_from(message, 0)
        o = 10 + signer  # extraData's buffer
        e = o + _U16.unpack_from(message, o - 2)[0]
        if head != _QUOTE_START or message[o:e] != nonce or message[e + 16] > 1:
            return None  # e + 16: clockInfo.safe; e + 25: TPMS_QUOTE_INFO (after firmwareVersion)
        computed: bytes = _PCR_HASHES[hid](b"".join(pcrs.values)).digest()
        if message[e + 25 :] != pcrs.selection.wire + _DIGEST_SIZE_FIELD[hid] + computed:
            return None
        end = 6 + size
        if is_rsa:
            if end != len(signature):
                return None
            key.verify(signature[6:], message, *_RSA_SCHEMES[alg << 16 | hid])  # type: ignore[call-arg, arg-type]
            return computed
        if alg != TPM_ALG_ECDSA or end + 2 + _U16.unpack_from(signature, end)[0] != len(signature):
            return None
        r, s = int.from_bytes(signature[6:end], "big"), int.from_bytes(signature[end + 2 :], "big")
        key.verify(encode_dss_signature(r, s), message, _ECDSA_SCHEMES[hid])  # type: ignore[call-arg, arg-type]
    except _NOT_USUAL:
        return None
    return computed


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
        DataError: ``pcrs`` is neither :class:`PcrValues` nor a mapping, or the mapping holds
            malformed values (a bank that is not a mapping, values not bytes or hex or of the wrong
            length, an unknown bank, an index that is not 0..2039); the message names bank and index.
        TypeError: arguments of the wrong type.
    """
    is_rsa = KEY_CLASSES.get(type(ak))  # a cryptography key of a class seen before: no call
    if (
        is_rsa is None
        or type(message) is not bytes
        or type(signature) is not bytes
        or type(pcrs) is not PcrValues
        or type(nonce) is not bytes
    ):
        return _verify_other(message, signature, pcrs, nonce, ak)
    computed = _usual_quote(ak, signature, message, pcrs, nonce, is_rsa=is_rsa)  # type: ignore[arg-type]
    if computed is None:
        return _careful(ak, signature, message, pcrs, nonce)  # type: ignore[arg-type]
    return _passed(computed, message, signature)


def _passed(computed: bytes, message: bytes, signature: bytes) -> QuoteVerification:
    """The passing verdict, without the frozen ``__init__``'s per-field ``object.__setattr__``."""
    result = _new_object(QuoteVerification)
    fields = result.__dict__
    fields["passed"] = True
    fields["reasons"] = ()
    fields["pcr_digest"] = computed
    fields["message"] = message
    fields["signature_input"] = signature
    return result


def _careful(
    key: PublicKey,
    signature: bytes | Signature,
    message: bytes,
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]],
    nonce: bytes,
) -> QuoteVerification:
    """Every check on any input, each failure named (the path of failing and unusual quotes)."""
    bad, h = _signature_reason(key, bool(key_is_rsa(key)), signature, message)
    found, computed = _claims_reasons(message, pcrs, nonce, h)
    if bad is not None:
        found.append(bad)
    reasons = tuple(r for r in REASONS if r in found) if found else ()
    return QuoteVerification._of(not reasons, reasons, computed, message, signature)


def _verify_other(
    message: object, signature: object, pcrs: object, nonce: object, ak: object
) -> QuoteVerification:
    """:func:`verify_quote` for other argument types: the key loaded, bytes-like arguments made
    bytes (TypeError for anything else), then the same two paths."""
    key, is_rsa = _as_key(ak)  # type: ignore[arg-type]
    message = _as_bytes(message, "message")
    nonce = _as_bytes(nonce, "nonce")
    if not isinstance(signature, Signature):
        signature = _as_bytes(signature, "signature")
    if type(signature) is bytes and type(pcrs) is PcrValues:
        computed = _usual_quote(key, signature, message, pcrs, nonce, is_rsa=is_rsa)
        if computed is not None:
            return _passed(computed, message, signature)
    return _careful(key, signature, message, pcrs, nonce)  # type: ignore[arg-type]


def _as_bytes(data: object, what: str) -> bytes:
    if type(data) is bytes:
        return data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(data).__name__}")
    return bytes(data)
