"""TPM hash algorithms by TPM_ALG_ID (TPM 2.0 Part 2, section 6.3 "TPM_ALG_ID").

Digests are computed with :mod:`hashlib` (OpenSSL). SM3-256 is offered only where the local OpenSSL
provides it; elsewhere asking for it raises :class:`tlkit.errors.UnsupportedAlgorithmError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import hashes

from tlkit._binary import Reader
from tlkit.errors import ParseError, UnsupportedAlgorithmError

__all__ = ["HASH_ALGS", "HashAlg", "hash_alg", "read_hash_alg"]


def _sm3_available() -> bool:
    try:
        hashlib.new("sm3")
    except (ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class HashAlg:
    """One TPM hash algorithm.

    Attributes:
        alg_id: the TPM_ALG_ID value (e.g. 0x000B for SHA-256).
        name: tlkit's bank name (``"sha1"``, ``"sha256"``, ``"sha384"``, ``"sha512"``, ``"sm3_256"``).
        digest_size: digest length in bytes.
        hashlib_name: the name :func:`hashlib.new` knows it by.
    """

    alg_id: int
    name: str
    digest_size: int
    hashlib_name: str

    @property
    def available(self) -> bool:
        return self.hashlib_name != "sm3" or _SM3

    def _ctor(self) -> Callable[..., Any]:
        if not self.available:
            raise UnsupportedAlgorithmError(
                f"{self.name} (TPM_ALG_ID 0x{self.alg_id:04x}) is not offered by this OpenSSL build",
                alg_id=self.alg_id,
            )
        ctor = getattr(hashlib, self.hashlib_name, None)
        if ctor is not None:
            return ctor  # type: ignore[no-any-return]
        return lambda data=b"": hashlib.new(self.hashlib_name, data)

    def crypto_hash(self) -> hashes.HashAlgorithm:
        """The ``cryptography`` hash object (for signature schemes and MGF1).

        Raises:
            UnsupportedAlgorithmError: not offered by this OpenSSL / ``cryptography`` build.
        """
        if not self.available:
            self._ctor()  # raises the same error as digest()
        factory = _CRYPTO_HASHES.get(self.name)
        try:
            if factory is None:
                raise _CryptoUnsupported(self.name)
            return factory()
        except _CryptoUnsupported:
            raise UnsupportedAlgorithmError(
                f"{self.name} (TPM_ALG_ID 0x{self.alg_id:04x}) is not offered by this cryptography build",
                alg_id=self.alg_id,
            ) from None

    def new(self, data: bytes = b"") -> Any:
        """A fresh hashlib object (``update``/``digest``)."""
        return self._ctor()(data)

    def digest(self, data: bytes) -> bytes:
        return bytes(self._ctor()(data).digest())

    @property
    def zero(self) -> bytes:
        return b"\x00" * self.digest_size


_SM3 = _sm3_available()
_CRYPTO_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sm3_256": hashes.SM3,
}

SHA1 = HashAlg(0x0004, "sha1", 20, "sha1")
SHA256 = HashAlg(0x000B, "sha256", 32, "sha256")
SHA384 = HashAlg(0x000C, "sha384", 48, "sha384")
SHA512 = HashAlg(0x000D, "sha512", 64, "sha512")
SM3_256 = HashAlg(0x0012, "sm3_256", 32, "sm3")

HASH_ALGS: tuple[HashAlg, ...] = (SHA1, SHA256, SHA384, SHA512, SM3_256)
_BY_ID = {a.alg_id: a for a in HASH_ALGS}
_BY_NAME = {a.name: a for a in HASH_ALGS} | {
    "sm3": SM3_256,
    "sm3-256": SM3_256,
    "sha-1": SHA1,
    "sha-256": SHA256,
    "sha-384": SHA384,
    "sha-512": SHA512,
}


def hash_alg(key: int | str | HashAlg) -> HashAlg:
    """Look up a hash algorithm by TPM_ALG_ID, bank name, or pass one through.

    Raises:
        UnsupportedAlgorithmError: the id or name is not a TPM hash algorithm tlkit knows.
        TypeError: ``key`` is none of int, str, HashAlg (e.g. None).
    """
    if isinstance(key, HashAlg):
        return key
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise TypeError(f"expected a TPM_ALG_ID (int), a bank name (str) or a HashAlg, not {key!r}")
    if isinstance(key, int):
        alg = _BY_ID.get(key)
        if alg is None:
            raise UnsupportedAlgorithmError(f"unknown TPM hash algorithm 0x{key:04x}", alg_id=key)
        return alg
    alg = _BY_NAME.get(key.strip().lower())
    if alg is None:
        raise UnsupportedAlgorithmError(f"unknown hash algorithm name {key!r}")
    return alg


def read_hash_alg(r: Reader, field: str, label: str, error: type[ParseError] = ParseError) -> HashAlg:
    """Read a TPMI_ALG_HASH (TPM 2.0 Part 2, 9.27) at the reader's cursor.

    Raises:
        ParseError: (or the subclass ``error``) at the id's offset when it is not a hash tlkit knows,
            with the message ``"unknown {label} 0x...."``.
    """
    at = r.offset
    alg_id = r.u16(field)
    try:
        return hash_alg(alg_id)
    except UnsupportedAlgorithmError:
        raise error(f"unknown {label} 0x{alg_id:04x}", offset=at, what=r.what) from None
