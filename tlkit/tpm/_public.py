"""TPMT_PUBLIC / TPM2B_PUBLIC for RSA and ECC keys (TPM 2.0 Part 2, 12.2.4 and 12.2.5), and Names.

Parameters follow TPMS_RSA_PARMS (12.2.3.5) and TPMS_ECC_PARMS (12.2.3.6): a TPMT_SYM_DEF_OBJECT
(11.1.7), the key's scheme (TPMT_RSA_SCHEME 11.2.4.2 / TPMT_ECC_SCHEME 11.2.5.6), then
``keyBits || exponent`` (RSA) or ``curveID || TPMT_KDF_SCHEME`` (ECC, 11.2.3.3). The unique field
is TPM2B_PUBLIC_KEY_RSA (11.2.4.5) or TPMS_ECC_POINT (11.2.5.2). The Name of an object is
``nameAlg || H_nameAlg(TPMT_PUBLIC)`` (Part 1, 16 "Names").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tlkit._binary import Reader, Writer
from tlkit.errors import DataError, ParseError, UnsupportedAlgorithmError, VerificationError
from tlkit.tpm._alg import HashAlg, hash_alg, read_hash_alg
from tlkit.tpm._check import check_buffer, check_uint
from tlkit.tpm._signature import (
    TPM_ALG_ECDAA,
    TPM_ALG_ECDSA,
    TPM_ALG_ECSCHNORR,
    TPM_ALG_NULL,
    TPM_ALG_RSAPSS,
    TPM_ALG_RSASSA,
    TPM_ALG_SM2,
)

__all__ = [
    "AK_ATTRIBUTES",
    "TPM_ALG_ECC",
    "TPM_ALG_RSA",
    "PublicArea",
    "PublicKey",
    "load_public_key",
]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

# TPM_ALG_ID values (Part 2, 6.3); the signature schemes are named in tlkit.tpm._signature.
TPM_ALG_RSA = 0x0001
TPM_ALG_ECC = 0x0023
TPM_ALG_AES = 0x0006
TPM_ALG_SM4 = 0x0013
TPM_ALG_CAMELLIA = 0x0026
TPM_ALG_CFB = 0x0043
TPM_ALG_MGF1 = 0x0007
TPM_ALG_RSAES = 0x0015
TPM_ALG_OAEP = 0x0017
TPM_ALG_ECDH = 0x0019
TPM_ALG_ECMQV = 0x001D
TPM_ALG_KDF1_SP800_56A = 0x0020
TPM_ALG_KDF2 = 0x0021
TPM_ALG_KDF1_SP800_108 = 0x0022

# TPMA_OBJECT bits (Part 2, 8.3).
FIXED_TPM = 1 << 1
ST_CLEAR = 1 << 2
FIXED_PARENT = 1 << 4
SENSITIVE_DATA_ORIGIN = 1 << 5
USER_WITH_AUTH = 1 << 6
ADMIN_WITH_POLICY = 1 << 7
NO_DA = 1 << 10
ENCRYPTED_DUPLICATION = 1 << 11
RESTRICTED = 1 << 16
DECRYPT = 1 << 17
SIGN_ENCRYPT = 1 << 18
OBJECT_ATTRIBUTE_NAMES = {
    FIXED_TPM: "fixedtpm",
    ST_CLEAR: "stclear",
    FIXED_PARENT: "fixedparent",
    SENSITIVE_DATA_ORIGIN: "sensitivedataorigin",
    USER_WITH_AUTH: "userwithauth",
    ADMIN_WITH_POLICY: "adminwithpolicy",
    NO_DA: "noda",
    ENCRYPTED_DUPLICATION: "encryptedduplication",
    RESTRICTED: "restricted",
    DECRYPT: "decrypt",
    SIGN_ENCRYPT: "sign",
}
#: fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign (a typical AK, 0x00050072).
AK_ATTRIBUTES = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | RESTRICTED | SIGN_ENCRYPT
#: The same without ``restricted`` (a general signing key).
SIGNING_ATTRIBUTES = AK_ATTRIBUTES & ~RESTRICTED

SYM_ALGS = frozenset({TPM_ALG_AES, TPM_ALG_SM4, TPM_ALG_CAMELLIA})
# TPMU_ASYM_SCHEME arms (Part 2, 11.2.3.5): schemes with a TPMS_SCHEME_HASH, RSAES empty, ECDAA hash+count.
RSA_SCHEMES_WITH_HASH = frozenset({TPM_ALG_RSASSA, TPM_ALG_RSAPSS, TPM_ALG_OAEP})
RSA_SCHEMES_EMPTY = frozenset({TPM_ALG_RSAES})
ECC_SCHEMES_WITH_HASH = frozenset(
    {TPM_ALG_ECDSA, TPM_ALG_ECDH, TPM_ALG_SM2, TPM_ALG_ECSCHNORR, TPM_ALG_ECMQV}
)
KDF_SCHEMES = frozenset({TPM_ALG_MGF1, TPM_ALG_KDF1_SP800_56A, TPM_ALG_KDF2, TPM_ALG_KDF1_SP800_108})

# TPM_ECC_CURVE (Part 2, 6.4) <-> cryptography curves.
TPM_ECC_NIST_P256 = 0x0003
CURVES: dict[int, type[ec.EllipticCurve]] = {
    0x0002: ec.SECP224R1,
    0x0003: ec.SECP256R1,
    0x0004: ec.SECP384R1,
    0x0005: ec.SECP521R1,
}
CURVE_IDS = {"secp224r1": 0x0002, "secp256r1": 0x0003, "secp384r1": 0x0004, "secp521r1": 0x0005}
SCHEME_IDS = {
    "rsassa": TPM_ALG_RSASSA,
    "rsapss": TPM_ALG_RSAPSS,
    "ecdsa": TPM_ALG_ECDSA,
    "null": TPM_ALG_NULL,
}


def _read_alg(r: Reader, field: str, allowed: frozenset[int], label: str) -> int:
    """Read a TPM_ALG_ID that must be TPM_ALG_NULL or one of ``allowed`` (ParseError at its offset)."""
    at = r.offset
    alg = r.u16(field)
    if alg != TPM_ALG_NULL and alg not in allowed:
        raise ParseError(f"unsupported {label} 0x{alg:04x}", offset=at, what=r.what)
    return alg


@dataclass(frozen=True)
class PublicArea:
    """A TPMT_PUBLIC for an RSA or ECC key, byte-exact.

    Fields not used by the key type are ``0`` / ``b""``. ``symmetric_*``, ``scheme_*`` and
    ``kdf_*`` are ``0`` when the algorithm is TPM_ALG_NULL (0x0010).

    The constructor refuses (DataError) what a TPMT_PUBLIC of an RSA or ECC key cannot hold: another
    type, a nameAlg that is not a :class:`HashAlg`, integers wider than their wire fields, a scheme
    of the other key type, RSA keyBits outside 512..16384 or a modulus of another length, a
    TPM_ECC_CURVE the spec does not name or coordinates longer than the curve.
    """

    type: int
    name_alg: HashAlg
    object_attributes: int
    auth_policy: bytes
    symmetric_alg: int = TPM_ALG_NULL
    symmetric_key_bits: int = 0
    symmetric_mode: int = 0
    scheme: int = TPM_ALG_NULL
    scheme_hash: int = 0
    scheme_count: int = 0
    key_bits: int = 0
    exponent: int = 0
    curve_id: int = 0
    kdf: int = TPM_ALG_NULL
    kdf_hash: int = 0
    rsa_modulus: bytes = b""
    ecc_x: bytes = b""
    ecc_y: bytes = b""

    def __post_init__(self) -> None:
        """Only what a TPMT_PUBLIC of an RSA or ECC key can hold (Part 2, 12.2.4): raises DataError."""
        if self.type not in _TYPE_NAMES:
            raise DataError(
                f"unsupported TPMT_PUBLIC type {self.type!r:.20} (RSA 0x0001, ECC 0x0023)", field="type"
            )
        if not isinstance(self.name_alg, HashAlg):
            raise DataError(
                f"nameAlg must be a HashAlg, not {type(self.name_alg).__name__}", field="name_alg"
            )
        for name, bits in _UINT_FIELDS:
            check_uint(getattr(self, name), bits, "TPMT_PUBLIC", name)
        for name in ("auth_policy", "rsa_modulus", "ecc_x", "ecc_y"):
            check_buffer(getattr(self, name), "TPMT_PUBLIC", name)
        if self.symmetric_alg != TPM_ALG_NULL and self.symmetric_alg not in SYM_ALGS:
            raise DataError(
                f"unsupported symmetric algorithm 0x{self.symmetric_alg:04x}", field="symmetric_alg"
            )
        if self.scheme != TPM_ALG_NULL and self.scheme not in _SCHEMES_FOR[self.type]:
            raise DataError(
                f"scheme 0x{self.scheme:04x} is not a {_TYPE_NAMES[self.type]} scheme", field="scheme"
            )
        (_check_rsa if self.type == TPM_ALG_RSA else _check_ecc)(self)

    # -- wire format ---------------------------------------------------------------------------

    @classmethod
    def read(cls, r: Reader) -> PublicArea:
        """Unmarshal a TPMT_PUBLIC at the reader's cursor."""
        at = r.offset
        typ = r.u16("type")
        if typ not in (TPM_ALG_RSA, TPM_ALG_ECC):
            raise ParseError(
                f"unsupported TPMT_PUBLIC type 0x{typ:04x} (RSA and ECC only)", offset=at, what=r.what
            )
        name_alg = read_hash_alg(r, "nameAlg", "nameAlg")
        attrs = r.u32("objectAttributes")
        policy = r.sized_u16("authPolicy")
        sym = _read_alg(r, "symmetric.algorithm", SYM_ALGS, "symmetric algorithm")
        sym_bits = sym_mode = 0
        if sym != TPM_ALG_NULL:
            sym_bits = r.u16("symmetric.keyBits")
            sym_mode = r.u16("symmetric.mode")
        with_hash = RSA_SCHEMES_WITH_HASH if typ == TPM_ALG_RSA else ECC_SCHEMES_WITH_HASH | {TPM_ALG_ECDAA}
        empty = RSA_SCHEMES_EMPTY if typ == TPM_ALG_RSA else frozenset()
        scheme = _read_alg(r, "scheme.scheme", with_hash | empty, "key scheme")
        scheme_hash = scheme_count = 0
        if scheme in with_hash:
            scheme_hash = r.u16("scheme.hashAlg")
            if scheme == TPM_ALG_ECDAA:
                scheme_count = r.u16("scheme.count")
        key_bits = exponent = curve = kdf_hash = 0
        kdf = TPM_ALG_NULL
        rsa_n = x = y = b""
        if typ == TPM_ALG_RSA:
            key_bits = r.u16("keyBits")
            exponent = r.u32("exponent")
            rsa_n = r.sized_u16("unique.rsa")
        else:
            curve = r.u16("curveID")
            kdf = _read_alg(r, "kdf.scheme", KDF_SCHEMES, "KDF scheme")
            if kdf != TPM_ALG_NULL:
                kdf_hash = r.u16("kdf.hashAlg")
            x = r.sized_u16("unique.ecc.x")
            y = r.sized_u16("unique.ecc.y")
        fields = (
            typ,
            name_alg,
            attrs,
            policy,
            sym,
            sym_bits,
            sym_mode,
            scheme,
            scheme_hash,
            scheme_count,
            key_bits,
            exponent,
            curve,
            kdf,
            kdf_hash,
            rsa_n,
            x,
            y,
        )
        try:
            return cls(*fields)
        except DataError as e:
            raise ParseError(f"TPMT_PUBLIC: {e.message}", offset=at, what=r.what) from None

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicArea:
        """Parse a TPMT_PUBLIC (e.g. go-attestation's ``AK.Public``)."""
        r = Reader(bytes(data), what="TPMT_PUBLIC")
        pub = cls.read(r)
        r.expect_end()
        return pub

    @classmethod
    def from_tpm2b(cls, data: bytes) -> PublicArea:
        """Parse a TPM2B_PUBLIC (e.g. ``tpm2_createak -u ak.pub``)."""
        r = Reader(bytes(data), what="TPM2B_PUBLIC")
        at = r.offset
        size = r.u16("size")
        if size != r.remaining:
            raise ParseError(
                f"TPM2B_PUBLIC.size {size} but {r.remaining} bytes follow", offset=at, what=r.what
            )
        pub = cls.read(r)
        r.expect_end()
        return pub

    def write(self, w: Writer) -> None:
        w.u16(self.type).u16(self.name_alg.alg_id).u32(self.object_attributes).sized_u16(self.auth_policy)
        w.u16(self.symmetric_alg)
        if self.symmetric_alg != TPM_ALG_NULL:
            w.u16(self.symmetric_key_bits).u16(self.symmetric_mode)
        w.u16(self.scheme)
        if self.scheme != TPM_ALG_NULL and self.scheme not in RSA_SCHEMES_EMPTY:
            w.u16(self.scheme_hash)
            if self.scheme == TPM_ALG_ECDAA:
                w.u16(self.scheme_count)
        if self.type == TPM_ALG_RSA:
            w.u16(self.key_bits).u32(self.exponent).sized_u16(self.rsa_modulus)
        else:
            w.u16(self.curve_id).u16(self.kdf)
            if self.kdf != TPM_ALG_NULL:
                w.u16(self.kdf_hash)
            w.sized_u16(self.ecc_x).sized_u16(self.ecc_y)

    def to_bytes(self) -> bytes:
        """TPMT_PUBLIC wire bytes."""
        w = Writer()
        self.write(w)
        return w.getvalue()

    def to_tpm2b(self) -> bytes:
        """TPM2B_PUBLIC wire bytes (``ak.pub`` as tpm2-tools writes it)."""
        return Writer().sized_u16(self.to_bytes()).getvalue()

    # -- derived values ------------------------------------------------------------------------

    def name(self) -> bytes:
        """The object's Name: ``nameAlg (u16) || H_nameAlg(TPMT_PUBLIC)`` (Part 1, 16)."""
        return self.name_alg.alg_id.to_bytes(2, "big") + self.name_alg.digest(self.to_bytes())

    def qualified_name(self, parent_qualified_name: bytes) -> bytes:
        """``nameAlg || H_nameAlg(parent QN || Name)`` (Part 1, 16.6 "Qualified Name").

        For a key directly under a hierarchy the parent QN is the hierarchy handle (4 bytes),
        e.g. ``0x4000000B`` for the endorsement hierarchy.
        """
        return self.name_alg.alg_id.to_bytes(2, "big") + self.name_alg.digest(
            parent_qualified_name + self.name()
        )

    @property
    def scheme_name(self) -> str:
        for n, v in SCHEME_IDS.items():
            if v == self.scheme:
                return n
        return f"0x{self.scheme:04x}"

    @property
    def scheme_hash_alg(self) -> HashAlg | None:
        """The scheme's hash, or None when the scheme is NULL/unknown."""
        try:
            return hash_alg(self.scheme_hash) if self.scheme_hash else None
        except UnsupportedAlgorithmError:
            return None

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(n for bit, n in OBJECT_ATTRIBUTE_NAMES.items() if self.object_attributes & bit)

    @cached_property
    def _key(self) -> PublicKey:
        try:
            if self.type == TPM_ALG_RSA:
                e = self.exponent or 65537
                return rsa.RSAPublicNumbers(e, int.from_bytes(self.rsa_modulus, "big")).public_key()
            curve = CURVES.get(self.curve_id)
            if curve is None:
                raise VerificationError(f"unsupported ECC curve 0x{self.curve_id:04x}")
            return ec.EllipticCurvePublicNumbers(
                int.from_bytes(self.ecc_x, "big"), int.from_bytes(self.ecc_y, "big"), curve()
            ).public_key()
        except ValueError as e:
            raise VerificationError(f"unusable public key: {e}") from None

    def __getstate__(self) -> dict[str, object]:
        """Pickle the fields only (the cached ``cryptography`` key is rebuilt on demand)."""
        return {k: v for k, v in self.__dict__.items() if k != "_key"}

    def to_cryptography(self) -> PublicKey:
        """The key as a ``cryptography`` public key (converted once, then cached).

        Raises:
            VerificationError: the key material is not a usable key (e.g. a point off the curve).
        """
        return self._key

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (what ``tpm2_readpublic -f pem`` / ``tpm2_checkquote -u`` use)."""
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @classmethod
    def from_cryptography(
        cls,
        key: PublicKey,
        *,
        restricted_signing: bool = True,
        scheme: str | None = None,
        scheme_hash: int | str | HashAlg = "sha256",
        name_alg: int | str | HashAlg = "sha256",
        object_attributes: int | None = None,
        auth_policy: bytes = b"",
    ) -> PublicArea:
        """A TPMT_PUBLIC describing ``key`` as a TPM signing key (an AK when ``restricted_signing``).

        The default scheme is RSASSA for RSA keys and ECDSA for ECC keys, with ``scheme_hash``.
        """
        attrs = object_attributes
        if attrs is None:
            attrs = AK_ATTRIBUTES if restricted_signing else SIGNING_ATTRIBUTES
        nalg = hash_alg(name_alg)
        if isinstance(key, rsa.RSAPublicKey):
            sid = _scheme_id(scheme or "rsassa")
            nums = key.public_numbers()
            return cls(
                TPM_ALG_RSA,
                nalg,
                attrs,
                bytes(auth_policy),
                scheme=sid,
                scheme_hash=hash_alg(scheme_hash).alg_id if sid != TPM_ALG_NULL else 0,
                key_bits=key.key_size,
                exponent=0 if nums.e == 65537 else nums.e,
                rsa_modulus=nums.n.to_bytes((key.key_size + 7) // 8, "big"),
            )
        if isinstance(key, ec.EllipticCurvePublicKey):
            cid = CURVE_IDS.get(key.curve.name)
            if cid is None:
                raise DataError(f"curve {key.curve.name} has no TPM_ECC_CURVE id", field="curve")
            sid = _scheme_id(scheme or "ecdsa")
            nums_ec = key.public_numbers()
            size = (key.curve.key_size + 7) // 8
            return cls(
                TPM_ALG_ECC,
                nalg,
                attrs,
                bytes(auth_policy),
                scheme=sid,
                scheme_hash=hash_alg(scheme_hash).alg_id if sid != TPM_ALG_NULL else 0,
                curve_id=cid,
                ecc_x=nums_ec.x.to_bytes(size, "big"),
                ecc_y=nums_ec.y.to_bytes(size, "big"),
            )
        raise TypeError(f"expected an RSA or EC public key, not {type(key).__name__}")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "type": _TYPE_NAMES[self.type],
            "name_alg": self.name_alg.name,
            "object_attributes": f"0x{self.object_attributes:08x}",
            "attributes": "|".join(self.attribute_names),
            "auth_policy": self.auth_policy.hex(),
            "scheme": self.scheme_name,
            "scheme_hash": self.scheme_hash_alg.name if self.scheme_hash_alg else None,
            "name": self.name().hex(),
        }
        if self.type == TPM_ALG_RSA:
            out["key_bits"] = self.key_bits
            out["exponent"] = self.exponent or 65537
        else:
            curve = CURVES.get(self.curve_id)
            out["curve"] = curve().name if curve else f"0x{self.curve_id:04x}"
        return out


_TYPE_NAMES = {TPM_ALG_RSA: "rsa", TPM_ALG_ECC: "ecc"}
_SCHEMES_FOR = {
    TPM_ALG_RSA: RSA_SCHEMES_WITH_HASH | RSA_SCHEMES_EMPTY,
    TPM_ALG_ECC: ECC_SCHEMES_WITH_HASH | {TPM_ALG_ECDAA},
}
_UINT_FIELDS = (
    ("object_attributes", 32),
    ("symmetric_key_bits", 16),
    ("symmetric_mode", 16),
    ("scheme_hash", 16),
    ("scheme_count", 16),
    ("key_bits", 16),
    ("exponent", 32),
    ("curve_id", 16),
    ("kdf", 16),
    ("kdf_hash", 16),
)
#: TPM_ECC_CURVE (Part 2, 6.4) -> coordinate size in bytes, for every curve the spec names.
ECC_CURVE_SIZES = {
    0x0001: 24,  # NIST P-192
    0x0002: 28,  # NIST P-224
    0x0003: 32,  # NIST P-256
    0x0004: 48,  # NIST P-384
    0x0005: 66,  # NIST P-521
    0x0010: 32,  # BN P-256
    0x0011: 80,  # BN P-638
    0x0020: 32,  # SM2 P-256
    0x0030: 32,  # Brainpool P-256 r1
    0x0031: 48,  # Brainpool P-384 r1
    0x0032: 64,  # Brainpool P-512 r1
    0x0040: 32,  # Curve25519
    0x0041: 56,  # Curve448
}


def _check_rsa(pub: PublicArea) -> None:
    """TPMS_RSA_PARMS (12.2.3.5): keyBits a multiple of 8 in 512..16384 (0 only for a template
    without a key), the modulus exactly keyBits long when present, and no ECC fields."""
    if pub.curve_id or pub.kdf != TPM_ALG_NULL or pub.kdf_hash or pub.ecc_x or pub.ecc_y:
        raise DataError("an RSA key has no curve, KDF or ECC point", field="curve_id")
    bits = pub.key_bits
    if bits % 8 or not (512 <= bits <= 16384 or (bits == 0 and not pub.rsa_modulus)):
        raise DataError(f"RSA keyBits {bits} is not a multiple of 8 in 512..16384", field="key_bits")
    if pub.rsa_modulus and len(pub.rsa_modulus) != bits // 8:
        raise DataError(
            f"RSA modulus of {len(pub.rsa_modulus)} bytes for keyBits {bits}", field="rsa_modulus"
        )


def _check_ecc(pub: PublicArea) -> None:
    """TPMS_ECC_PARMS (12.2.3.6): a curve the spec names, coordinates no longer than its size,
    and no RSA fields."""
    if pub.key_bits or pub.exponent or pub.rsa_modulus:
        raise DataError("an ECC key has no keyBits, exponent or modulus", field="key_bits")
    size = ECC_CURVE_SIZES.get(pub.curve_id)
    if size is None:
        raise DataError(f"unknown TPM_ECC_CURVE 0x{pub.curve_id:04x}", field="curve_id")
    if len(pub.ecc_x) > size or len(pub.ecc_y) > size:
        raise DataError(f"ECC point coordinates longer than the curve's {size} bytes", field="ecc_x")
    if pub.kdf != TPM_ALG_NULL and pub.kdf not in KDF_SCHEMES:
        raise DataError(f"unsupported KDF scheme 0x{pub.kdf:04x}", field="kdf")


def _scheme_id(name: str) -> int:
    sid = SCHEME_IDS.get(name.lower())
    if sid is None:
        raise DataError(f"unknown signing scheme {name!r}, not in {sorted(SCHEME_IDS)}", field="scheme")
    return sid


def load_public_key(data: bytes | str | PublicArea | PublicKey) -> PublicKey:
    """A ``cryptography`` public key from PEM/DER SubjectPublicKeyInfo, TPM2B_PUBLIC or TPMT_PUBLIC.

    A str must be ASCII PEM text. Inputs over :data:`MAX_PUBLIC_KEY_BYTES` are refused unread.

    Raises:
        ParseError: the bytes are none of these formats (including a TPMT_PUBLIC a
            :class:`PublicArea` cannot hold, e.g. a TPM_ECC_CURVE the spec does not name), text
            that is not ASCII, or an input over the size cap.
        UnsupportedAlgorithmError: a well-formed PEM/DER key of a type or curve ``cryptography``
            cannot use (e.g. an unknown named-curve OID), or neither RSA nor EC.
        VerificationError: a TPMT_PUBLIC / TPM2B_PUBLIC whose key material is unusable (e.g. an
            ECC point off the curve, a spec curve ``cryptography`` lacks such as BN P-256).
        TypeError: ``data`` is none of the accepted types.
    """
    if type(data) is bytes and len(data) <= MAX_PUBLIC_KEY_BYTES:
        raw = data  # the usual file contents: no checks of other types first
    elif key_is_rsa(data) is not None:
        return data  # type: ignore[return-value]
    elif isinstance(data, PublicArea):
        return data.to_cryptography()
    else:
        raw = _key_bytes(data)
    if raw.lstrip().startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(raw)
        except ValueError as e:
            raise ParseError(f"unreadable PEM public key: {e}", offset=0, what="PEM") from None
        except _CryptoUnsupported as e:
            raise UnsupportedAlgorithmError(f"unsupported PEM public key: {e}") from None
        return _check_type(key)
    if raw[:1] == b"\x30":
        try:
            return _check_type(serialization.load_der_public_key(raw))
        except ValueError:
            pass
        except _CryptoUnsupported as e:
            raise UnsupportedAlgorithmError(f"unsupported DER public key: {e}") from None
    try:
        return PublicArea.from_tpm2b(raw).to_cryptography()
    except ParseError:
        pass
    try:
        return PublicArea.from_bytes(raw).to_cryptography()
    except ParseError as e:
        raise ParseError(
            "not a PEM/DER public key, TPM2B_PUBLIC or TPMT_PUBLIC", offset=e.offset, what="public key"
        ) from None


#: Larger inputs are refused before parsing (an RSA-16384 PEM key is about 2.8 KiB).
MAX_PUBLIC_KEY_BYTES = 64 * 1024


def _key_bytes(data: object) -> bytes:
    """Key input as bytes: a str must be ASCII (PEM text), anything else bytes-like; at most
    :data:`MAX_PUBLIC_KEY_BYTES`."""
    if isinstance(data, str):
        if len(data) > MAX_PUBLIC_KEY_BYTES:
            raise ParseError(f"public key text of {len(data)} characters is too large", what="public key")
        try:
            return data.encode("ascii")
        except UnicodeEncodeError as e:
            raise ParseError(
                f"public key text is not ASCII PEM: {data[e.start : e.start + 1]!r}",
                offset=e.start,
                what="PEM",
            ) from None
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"expected key bytes, text, a PublicArea or a cryptography key, not {type(data).__name__}"
        )
    if len(data) > MAX_PUBLIC_KEY_BYTES:
        raise ParseError(
            f"public key of {len(data)} bytes exceeds {MAX_PUBLIC_KEY_BYTES}",
            offset=MAX_PUBLIC_KEY_BYTES,
            what="public key",
        )
    return bytes(data)


#: Concrete ``cryptography`` key classes seen so far -> is it RSA (a per-class memo, not per key).
KEY_CLASSES: dict[type, bool] = {}


def key_is_rsa(key: object) -> bool | None:
    """True for a ``cryptography`` RSA public key, False for an EC one, None for anything else
    (one dict look-up per call once the key's class has been seen)."""
    is_rsa = KEY_CLASSES.get(type(key))
    if is_rsa is None and isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        is_rsa = KEY_CLASSES[type(key)] = isinstance(key, rsa.RSAPublicKey)
    return is_rsa


def _check_type(key: object) -> PublicKey:
    if key_is_rsa(key) is not None:
        return key  # type: ignore[return-value]
    raise UnsupportedAlgorithmError(f"unsupported public key type {type(key).__name__}")
