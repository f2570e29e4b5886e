"""EFI_GUID text form and the well-known GUIDs found in firmware event logs.

EFI_GUID is stored mixed-endian (UEFI 2.10, appendix A: the first three fields little-endian), so
the text form is that of :class:`uuid.UUID` built from ``bytes_le``.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

__all__ = ["GUID_NAMES", "guid_name", "guid_str"]


def guid_str(raw: bytes) -> str:
    """Lower-case registry-format text of a 16-byte EFI_GUID."""
    return _guid_text(bytes(raw))


@lru_cache(maxsize=4096)
def _guid_text(raw: bytes) -> str:
    # cached: a log repeats a few GUIDs (owners, signature types, vendors) many times
    return str(uuid.UUID(bytes_le=raw))


# UEFI 2.10 (sections 3.3, 32.4.1, 32.6), shim (MOK) and the EFI_CERT_* signature types.
EFI_GLOBAL_VARIABLE = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
EFI_IMAGE_SECURITY_DATABASE = "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
SHIM_LOCK = "605dab50-e046-4300-abb6-3dd810dd8b23"
EFI_CERT_SHA1 = "826ca512-cf10-4ac9-b187-be01496631bd"
EFI_CERT_SHA224 = "0b6e5233-a65c-44c9-9407-d9ab83bfc8bd"
EFI_CERT_SHA256 = "c1c41626-504c-4092-aca9-41f936934328"
EFI_CERT_SHA384 = "ff3e5307-9fd0-48c9-85f1-8ad56c701e01"
EFI_CERT_SHA512 = "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a"
EFI_CERT_RSA2048 = "3c5766e8-269c-4e34-aa14-ed776e85b3b6"
EFI_CERT_X509 = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072"
EFI_CERT_X509_SHA256 = "3bd2a492-96c0-4079-b420-fcf98ef103ed"
EFI_CERT_X509_SHA384 = "7076876e-80c2-4ee6-aad2-28b349a6865b"
EFI_CERT_X509_SHA512 = "446dbf63-2502-4cda-bcfa-2465d2b0fe9d"

GUID_NAMES: dict[str, str] = {
    EFI_GLOBAL_VARIABLE: "EFI_GLOBAL_VARIABLE",
    EFI_IMAGE_SECURITY_DATABASE: "EFI_IMAGE_SECURITY_DATABASE",
    SHIM_LOCK: "SHIM_LOCK",
    EFI_CERT_SHA1: "EFI_CERT_SHA1",
    EFI_CERT_SHA224: "EFI_CERT_SHA224",
    EFI_CERT_SHA256: "EFI_CERT_SHA256",
    EFI_CERT_SHA384: "EFI_CERT_SHA384",
    EFI_CERT_SHA512: "EFI_CERT_SHA512",
    EFI_CERT_RSA2048: "EFI_CERT_RSA2048",
    EFI_CERT_X509: "EFI_CERT_X509",
    EFI_CERT_X509_SHA256: "EFI_CERT_X509_SHA256",
    EFI_CERT_X509_SHA384: "EFI_CERT_X509_SHA384",
    EFI_CERT_X509_SHA512: "EFI_CERT_X509_SHA512",
    "77fa9abd-0359-4d32-bd60-28f4e78f784b": "MICROSOFT_WINDOWS_OWNER",
    "eb9d2d30-2d88-11d3-9a16-0090273fc14d": "EFI_ACPI_10_TABLE",
    "8868e871-e4f1-11d3-bc22-0080c73c8881": "EFI_ACPI_20_TABLE",
    "eb9d2d31-2d88-11d3-9a16-0090273fc14d": "SMBIOS_TABLE",
    "f2fd1544-9794-4a2c-992e-e5bbcf20e394": "SMBIOS3_TABLE",
}

_HASH_SIG_TYPES = frozenset(
    {EFI_CERT_SHA1, EFI_CERT_SHA224, EFI_CERT_SHA256, EFI_CERT_SHA384, EFI_CERT_SHA512}
)


def guid_name(text: str) -> str | None:
    """The symbolic name of a well-known GUID, if tlkit knows it."""
    return GUID_NAMES.get(text)


def is_hash_signature_type(text: str) -> bool:
    """True for the EFI_CERT_SHA* signature types (signature data is a bare digest)."""
    return text in _HASH_SIG_TYPES
