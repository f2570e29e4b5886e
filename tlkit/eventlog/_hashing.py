"""The hash algorithms an event log names, through tlkit's public hashing API (:mod:`tlkit.tpm`).

One lookup table by TPM_ALG_ID (TPM 2.0 Part 2, 6.3) built from :data:`tlkit.tpm.HASH_ALGS`, the bank
name of an algorithm id (known or not), and the hashlib constructor a replay calls once per extend.
It does not hash anything itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

from tlkit.tpm import HASH_ALGS, HashAlg

__all__ = ["BY_ID", "bank_name", "hashable_alg", "hasher"]

BY_ID: dict[int, HashAlg] = {a.alg_id: a for a in HASH_ALGS}
"""Every hash algorithm tlkit knows, by TPM_ALG_ID."""


def bank_name(alg_id: int) -> str:
    """tlkit bank name for a TPM_ALG_ID; algorithms tlkit does not know are named ``alg_0x....``."""
    a = BY_ID.get(alg_id)
    return a.name if a is not None else f"alg_0x{alg_id:04x}"


def hashable_alg(alg_id: int) -> HashAlg | None:
    """The :class:`~tlkit.tpm.HashAlg` for a TPM_ALG_ID when tlkit knows it and this OpenSSL can hash
    with it (SM3 may be missing), else ``None``."""
    a = BY_ID.get(alg_id)
    return a if a is not None and a.available else None


def hasher(alg: HashAlg) -> Callable[..., Any]:
    """The hashlib constructor of ``alg`` (``hasher(alg)(data).digest()``), looked up once.

    Raises:
        UnsupportedAlgorithmError: this OpenSSL does not offer ``alg`` (what ``alg.digest`` raises).
    """
    if not alg.available:
        alg.digest(b"")  # raises the UnsupportedAlgorithmError naming the algorithm
    ctor = getattr(hashlib, alg.hashlib_name, None)
    return ctor if ctor is not None else partial(hashlib.new, alg.hashlib_name)
