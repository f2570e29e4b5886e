"""Writers for the UEFI payload formats that firmware measures (the inverse of :mod:`._payloads`).

* :func:`signature_data` — EFI_SIGNATURE_DATA (UEFI 2.10, 32.4.1): owner GUID, then the
  signature data (a DER certificate or a bare digest). PCR 7's EV_EFI_VARIABLE_AUTHORITY event
  carries one of these as its variable data (TCG PC Client PFP 1.06, 3.3.4.8).
* :func:`signature_list` — one EFI_SIGNATURE_LIST (UEFI 2.10, 32.4.1): SignatureType GUID,
  SignatureListSize, SignatureHeaderSize (always 0 for the X.509 and SHA-256 types),
  SignatureSize, then equally sized EFI_SIGNATURE_DATA entries. X.509 certificates differ in
  length, so each certificate gets its own list, as real db/KEK variables do.
* :func:`variable_data` — UEFI_VARIABLE_DATA (PFP 1.06, 10.4.2 / 10.2.4): VariableName (the vendor
  GUID), UnicodeNameLength and VariableDataLength (UINT64), the UTF-16LE name without terminator
  and the data: the event data of EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_BOOT and
  EV_EFI_VARIABLE_AUTHORITY.

GUIDs are given in registry text form (``"a5c059a1-94e4-4aa7-87b5-ab155c2bf072"``) and written
mixed-endian (UEFI 2.10, appendix A). The parser in this package reads every output back.
This module computes no digests and signs nothing.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence

from tlkit.errors import DataError

__all__ = ["guid_bytes", "signature_data", "signature_list", "variable_data"]


def guid_bytes(text: str) -> bytes:
    """The 16-byte EFI_GUID encoding of a registry-format GUID string."""
    try:
        return uuid.UUID(text).bytes_le
    except ValueError as e:
        raise DataError(f"not a GUID: {e}", record=text) from None


def signature_data(owner: str, data: bytes) -> bytes:
    """EFI_SIGNATURE_DATA: SignatureOwner GUID followed by SignatureData."""
    return guid_bytes(owner) + bytes(data)


def signature_list(signature_type: str, entries: Sequence[tuple[str, bytes]]) -> bytes:
    """One EFI_SIGNATURE_LIST of ``signature_type`` holding ``(owner GUID, data)`` entries.

    Raises:
        DataError: no entries, or entries of different sizes (a list has one SignatureSize).
    """
    if not entries:
        raise DataError("an EFI_SIGNATURE_LIST needs at least one entry", record=signature_type)
    sizes = {len(d) for _, d in entries}
    if len(sizes) != 1:
        raise DataError(
            f"entries of one EFI_SIGNATURE_LIST must have one size, got {sorted(sizes)}",
            record=signature_type,
        )
    sig_size = 16 + sizes.pop()
    body = b"".join(signature_data(o, d) for o, d in entries)
    return guid_bytes(signature_type) + struct.pack("<III", 28 + len(body), 0, sig_size) + body


def variable_data(vendor_guid: str, name: str, data: bytes) -> bytes:
    """UEFI_VARIABLE_DATA for the variable ``name`` of ``vendor_guid`` holding ``data``."""
    encoded = name.encode("utf-16-le")
    return guid_bytes(vendor_guid) + struct.pack("<QQ", len(encoded) // 2, len(data)) + encoded + bytes(data)
