"""Field checks shared by the constructors of the TPM structures (private).

Each raises :class:`tlkit.errors.DataError` naming the structure and field, so that a structure
built by hand holds only values its wire format can carry (TPM 2.0 Part 2 integer widths and
TPM2B size limits); the decoders produce such values by construction.
"""

from __future__ import annotations

from tlkit.errors import DataError

__all__ = ["check_buffer", "check_uint"]


def check_uint(value: object, bits: int, structure: str, field: str) -> None:
    """``value`` is an int (not bool) that fits an unsigned ``bits``-bit field."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise DataError(f"{structure}.{field} must be a UINT{bits}, got {value!r:.40}", field=field)


def check_buffer(value: object, structure: str, field: str, *, optional: bool = False) -> None:
    """``value`` is bytes of at most 65535 (a TPM2B size is a UINT16), or None when ``optional``."""
    if value is None and optional:
        return
    if not isinstance(value, bytes) or len(value) > 0xFFFF:
        got = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise DataError(f"{structure}.{field} must be bytes of at most 65535, got {got}", field=field)
