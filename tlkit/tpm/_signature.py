"""TPMT_SIGNATURE (TPM 2.0 Part 2, 11.3.4) with the TPMU_SIGNATURE arms of 11.3.3.

RSA arms (TPMS_SIGNATURE_RSA, 11.3.1) carry ``hash || TPM2B_PUBLIC_KEY_RSA``; ECC arms
(TPMS_SIGNATURE_ECC, 11.3.2) carry ``hash || r || s`` as TPM2B_ECC_PARAMETERs; HMAC carries a
TPMT_HA; TPM_ALG_NULL carries nothing.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from tlkit._binary import Reader, Writer
from tlkit.errors import DataError, ParseError
from tlkit.tpm._alg import HASH_ALGS, HashAlg, hash_alg, read_hash_alg
from tlkit.tpm._check import check_buffer
from tlkit.tpm._layout import ByteLayout, SpanRecorder

__all__ = [
    "SIG_ALG_NAMES",
    "TPM_ALG_ECDSA",
    "TPM_ALG_RSAPSS",
    "TPM_ALG_RSASSA",
    "Signature",
]

TPM_ALG_HMAC = 0x0005
TPM_ALG_NULL = 0x0010
TPM_ALG_RSASSA = 0x0014
TPM_ALG_RSAPSS = 0x0016
TPM_ALG_ECDSA = 0x0018
TPM_ALG_ECDAA = 0x001A
TPM_ALG_SM2 = 0x001B
TPM_ALG_ECSCHNORR = 0x001C

RSA_SIG_ALGS = frozenset({TPM_ALG_RSASSA, TPM_ALG_RSAPSS})
ECC_SIG_ALGS = frozenset({TPM_ALG_ECDSA, TPM_ALG_ECDAA, TPM_ALG_SM2, TPM_ALG_ECSCHNORR})
#: TPM_ALG_ID of a signature scheme -> short name (``0x0014`` -> ``"rsassa"``).
SIG_ALG_NAMES = {
    TPM_ALG_HMAC: "hmac",
    TPM_ALG_NULL: "null",
    TPM_ALG_RSASSA: "rsassa",
    TPM_ALG_RSAPSS: "rsapss",
    TPM_ALG_ECDSA: "ecdsa",
    TPM_ALG_ECDAA: "ecdaa",
    TPM_ALG_SM2: "sm2",
    TPM_ALG_ECSCHNORR: "ecschnorr",
}

_ARM_NAMES = ("rsa", "ecdsa_r", "ecdsa_s", "hmac")
#: Which fields each scheme's TPMU_SIGNATURE arm has (Part 2, 11.3.3).
_ARMS: dict[int, tuple[str, ...]] = {
    **dict.fromkeys(RSA_SIG_ALGS, ("rsa",)),
    **dict.fromkeys(ECC_SIG_ALGS, ("ecdsa_r", "ecdsa_s")),
    TPM_ALG_HMAC: ("hmac",),
}
_HASH_RULE = {False: "a HashAlg", True: "no hash"}


@dataclass(frozen=True, slots=True)
class Signature:
    """A TPMT_SIGNATURE.

    Attributes:
        sig_alg: TPM_ALG_ID of the scheme (RSASSA 0x14, RSAPSS 0x16, ECDSA 0x18, ...).
        hash: the scheme's hash (None only for TPM_ALG_NULL).
        rsa: the RSA signature bytes (RSA schemes).
        ecdsa_r / ecdsa_s: the ECC signature integers as big-endian bytes (ECC schemes).
        hmac: the HMAC digest (TPM_ALG_HMAC).
    """

    sig_alg: int
    hash: HashAlg | None
    rsa: bytes | None = None
    ecdsa_r: bytes | None = None
    ecdsa_s: bytes | None = None
    hmac: bytes | None = None

    def __post_init__(self) -> None:
        """TPMU_SIGNATURE arms (Part 2, 11.3.3): each scheme carries exactly its own fields."""
        alg, h = self.sig_alg, self.hash
        if alg not in SIG_ALG_NAMES:
            raise DataError(f"unknown signature scheme {alg!r:.20}", field="sig_alg")
        if (h is None) != (alg == TPM_ALG_NULL) or not (h is None or isinstance(h, HashAlg)):
            raise DataError(
                f"a {SIG_ALG_NAMES[alg]} signature needs {_HASH_RULE[alg == TPM_ALG_NULL]}", field="hash"
            )
        arms = (self.rsa, self.ecdsa_r, self.ecdsa_s, self.hmac)
        wanted = _ARMS.get(alg, ())
        for name, value in zip(_ARM_NAMES, arms, strict=True):
            if name not in wanted and value is not None:
                raise DataError(f"a {SIG_ALG_NAMES[alg]} signature has no {name}", field=name)
            check_buffer(value, "TPMT_SIGNATURE", name, optional=True)
        if alg == TPM_ALG_HMAC and h is not None and (self.hmac is None or len(self.hmac) != h.digest_size):
            got = "none" if self.hmac is None else f"{len(self.hmac)} bytes"
            raise DataError(
                f"HMAC signature needs a {h.digest_size}-byte {h.name} digest, got {got}", field="hmac"
            )
        missing = [n for n, v in zip(_ARM_NAMES, arms, strict=True) if n in wanted and v is None]
        if missing and alg != TPM_ALG_HMAC:
            raise DataError(f"a {SIG_ALG_NAMES[alg]} signature needs {', '.join(missing)}", field=missing[0])

    @property
    def sig_alg_name(self) -> str:
        return SIG_ALG_NAMES.get(self.sig_alg, f"0x{self.sig_alg:04x}")

    @classmethod
    def rsassa(cls, raw: bytes, hash: int | str | HashAlg = "sha256") -> Signature:
        """Wrap a raw PKCS#1 v1.5 signature (e.g. the bare signature in Azure HCL quotes)."""
        return cls(TPM_ALG_RSASSA, hash_alg(hash), rsa=bytes(raw))

    @classmethod
    def rsapss(cls, raw: bytes, hash: int | str | HashAlg = "sha256") -> Signature:
        """Wrap a raw RSASSA-PSS signature."""
        return cls(TPM_ALG_RSAPSS, hash_alg(hash), rsa=bytes(raw))

    @classmethod
    def ecdsa(
        cls, r: bytes | int, s: bytes | int, hash: int | str | HashAlg = "sha256", *, size: int = 0
    ) -> Signature:
        """An ECDSA signature from ``r``/``s`` (ints are left-padded to ``size`` bytes)."""

        def enc(v: bytes | int) -> bytes:
            if isinstance(v, int):
                return v.to_bytes(max(size, (v.bit_length() + 7) // 8), "big")
            return bytes(v)

        return cls(TPM_ALG_ECDSA, hash_alg(hash), ecdsa_r=enc(r), ecdsa_s=enc(s))

    @classmethod
    def from_der(cls, der: bytes, hash: int | str | HashAlg = "sha256", *, size: int = 32) -> Signature:
        """An ECDSA signature from DER ``Ecdsa-Sig-Value`` (``size`` = curve size in bytes)."""
        try:
            r, s = decode_dss_signature(bytes(der))
        except ValueError:
            raise DataError("not a DER ECDSA signature", field="der") from None
        return cls.ecdsa(r, s, hash, size=size)

    def to_der(self) -> bytes:
        """DER ``Ecdsa-Sig-Value`` for an ECC signature (what ``cryptography`` verifies)."""
        if self.ecdsa_r is None or self.ecdsa_s is None:
            raise DataError(f"{self.sig_alg_name} signature has no r/s", field="sig_alg")
        return encode_dss_signature(int.from_bytes(self.ecdsa_r, "big"), int.from_bytes(self.ecdsa_s, "big"))

    @classmethod
    def read(cls, r: Reader, rec: SpanRecorder | None = None) -> Signature:
        """Unmarshal a TPMT_SIGNATURE at the reader's cursor (``rec``: see :meth:`layout`)."""
        at = r.offset
        alg = r.u16("sigAlg")
        if alg not in RSA_SIG_ALGS and alg not in ECC_SIG_ALGS and alg not in (TPM_ALG_HMAC, TPM_ALG_NULL):
            raise ParseError(f"unsupported signature algorithm 0x{alg:04x}", offset=at, what=r.what)
        if rec is not None:
            rec.add("sigAlg", "TPMI_ALG_SIG_SCHEME", alg)
        if alg == TPM_ALG_NULL:
            return cls(alg, None)
        h = read_hash_alg(r, "hash", "signature hash")
        if rec is not None:
            rec.add("hash", "TPMI_ALG_HASH", h)
        if alg in RSA_SIG_ALGS:  # TPMS_SIGNATURE_RSA (11.3.1)
            sig = r.sized_u16("sig")
            if rec is not None:
                rec.sized("sig", "TPM2B_PUBLIC_KEY_RSA", sig)
            return cls(alg, h, rsa=sig)
        if alg == TPM_ALG_HMAC:  # TPMT_HA (10.3.2)
            digest = r.take(h.digest_size, "digest")
            if rec is not None:
                rec.add("digest", "TPMU_HA", digest)
            return cls(alg, h, hmac=digest)
        sr = r.sized_u16("signatureR")  # TPMS_SIGNATURE_ECC (11.3.2)
        if rec is not None:
            rec.sized("signatureR", "TPM2B_ECC_PARAMETER", sr)
        ss = r.sized_u16("signatureS")
        if rec is not None:
            rec.sized("signatureS", "TPM2B_ECC_PARAMETER", ss)
        return cls(alg, h, ecdsa_r=sr, ecdsa_s=ss)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Parse TPMT_SIGNATURE bytes (e.g. ``tpm2_quote -s`` output in the default tss format)."""
        b = data if type(data) is bytes else bytes(data)
        t = scan_signature(b)
        if t is not None:
            return cls(*t)
        r = Reader(b, what="TPMT_SIGNATURE")
        sig = cls.read(r)
        r.expect_end()
        return sig

    @classmethod
    def layout(cls, data: bytes) -> ByteLayout:
        """Which bytes of a TPMT_SIGNATURE hold which field, recorded by the decoder itself.

        Fields: ``sigAlg``, ``hash``, then ``sig.size/.buffer`` (RSA), ``signatureR.size/.buffer`` and
        ``signatureS.size/.buffer`` (ECC), ``digest`` (HMAC), or nothing more (TPM_ALG_NULL). Unverified.

        Raises:
            ParseError: the bytes are not a TPMT_SIGNATURE (same as :meth:`from_bytes`).
        """
        b = data if type(data) is bytes else bytes(data)
        r = Reader(b, what="TPMT_SIGNATURE")
        rec = SpanRecorder(r)
        cls.read(r, rec)
        r.expect_end()
        return rec.layout("TPMT_SIGNATURE", b)

    def write(self, w: Writer) -> None:
        w.u16(self.sig_alg)
        if self.sig_alg == TPM_ALG_NULL:
            return
        if self.hash is None:
            raise DataError("signature hash missing", field="hash")
        w.u16(self.hash.alg_id)
        if self.sig_alg in RSA_SIG_ALGS:
            if self.rsa is None:
                raise DataError("RSA signature bytes missing", field="rsa")
            w.sized_u16(self.rsa)
        elif self.sig_alg == TPM_ALG_HMAC:  # TPMT_HA: exactly the hash's digest size (Part 2, 10.3.2)
            if self.hmac is None or len(self.hmac) != self.hash.digest_size:
                got = "none" if self.hmac is None else f"{len(self.hmac)} bytes"
                raise DataError(
                    f"HMAC signature needs a {self.hash.digest_size}-byte {self.hash.name} digest, got {got}",
                    field="hmac",
                )
            w.raw(self.hmac)
        else:
            if self.ecdsa_r is None or self.ecdsa_s is None:
                raise DataError("ECC signature r/s missing", field="ecdsa_r")
            w.sized_u16(self.ecdsa_r).sized_u16(self.ecdsa_s)

    def to_bytes(self) -> bytes:
        """TPMT_SIGNATURE wire bytes.

        Raises:
            DataError: fields that cannot be marshalled (a missing or wrong-size HMAC digest,
                missing RSA / ECC values, a buffer over 65535 bytes).
        """
        w = Writer()
        self.write(w)
        return w.getvalue()

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"sig_alg": self.sig_alg_name, "hash": self.hash.name if self.hash else None}
        if self.rsa is not None:
            out["rsa"] = self.rsa.hex()
        if self.ecdsa_r is not None and self.ecdsa_s is not None:
            out["r"] = self.ecdsa_r.hex()
            out["s"] = self.ecdsa_s.hex()
        return out


_HDR = struct.Struct(">HHH")
_U16 = struct.Struct(">H")
_HASH_BY_ID = {a.alg_id: a for a in HASH_ALGS}

#: What :func:`scan_signature` returns: ``Signature`` fields in order.
ScannedSignature = tuple[int, HashAlg | None, bytes | None, bytes | None, bytes | None, bytes | None]


def scan_signature(b: bytes) -> ScannedSignature | None:
    """The one fast TPMT_SIGNATURE decoder (``struct``-based), used by :meth:`Signature.from_bytes`.

    Covers the RSA and ECC arms of well-formed signatures; None means "use the careful decoder"
    (:meth:`Signature.read`), which then decodes the other arms or reports the error with its
    offset. Whatever it accepts, the careful decoder accepts with the same field values
    (hypothesis-tested in ``tests/tpm/test_decoders_fuzz.py``); it keeps no state between calls.
    """
    n = len(b)
    if n < 6:
        return None
    alg, hid, size = _HDR.unpack_from(b, 0)
    h = _HASH_BY_ID.get(hid)
    if h is None:
        return None
    if alg in RSA_SIG_ALGS:
        if 6 + size != n:
            return None
        return alg, h, b[6:], None, None, None
    if alg in ECC_SIG_ALGS:
        e = 6 + size
        if e + 2 > n:
            return None
        (size_s,) = _U16.unpack_from(b, e)
        if e + 2 + size_s != n:
            return None
        return alg, h, None, b[6:e], b[e + 2 :], None
    return None
