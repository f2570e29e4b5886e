"""Does an event's digest equal the hash of its data? (the part of the event data the extend covers)

The extend covers only the digest (TPM 2.0 Part 1, 17 "PCR"). For some event types the PC Client
PFP defines the digest as the hash of the event data itself, so the data can be checked against
the digest; for all others (image loads, firmware blobs, kernels...) it cannot, and the data is a
claim nobody signed. Rules, by type:

* the whole event data: EV_SEPARATOR (PFP 1.06, 10.4.1 and 3.3.2.2), EV_ACTION and EV_EFI_ACTION
  (10.4.1: the digest is of the action string), EV_S_CRTM_VERSION (3.3.4.1), EV_EFI_GPT_EVENT
  (10.4.5, UEFI_GPT_DATA), EV_EFI_VARIABLE_DRIVER_CONFIG and EV_EFI_VARIABLE_BOOT2 (10.4.4,
  UEFI_VARIABLE_DATA), EV_OMIT_BOOT_DEVICE_EVENTS and EV_COMPACT_HASH (10.4.1);
* EV_EFI_VARIABLE_BOOT: the UEFI_VARIABLE_DATA (10.4.4) *or* only its VariableData — EDK II
  measures Boot#### / BootOrder that way (most logs in the fixtures do); then the variable's name
  and GUID are not covered;
* EV_EFI_VARIABLE_AUTHORITY: the UEFI_VARIABLE_DATA, or — for the bare-certificate form only —
  the data minus its last byte: shim before rhboot/shim commit 8a27a480 logged one byte more than
  it measured (handled exactly as go-attestation ``ParseSecurebootState``, issue #157);
* EV_IPL on PCR 8 (GRUB ``grub_cmd``/``kernel_cmdline`` strings): the text after the first space,
  without or with the trailing NUL (or, trivially, the whole data); on PCR 12 (systemd-boot): the
  whole data; on PCR 9 and 14 (files, MOK lists) and elsewhere: not derivable. These are the rules
  of tpm2-tools ``lib/tpm2_eventlog.c`` ``verify_digests``; plus one named variant on PCR 8: an
  odd-length (UTF-16 cut short) string whose digest is of the data plus one 0x00 byte
  (:data:`DIGEST_VARIANTS` ``SYSTEMD_BOOT_SHORT_NUL``).

The accepted forms other than "the data itself" are firmware, shim or loader bugs; each is named in
:data:`DIGEST_VARIANTS` with the evidence for it. None leaves any logged byte unmeasured.

Everything else (and EV_NO_ACTION, which is never extended) is "not derivable" (``None``).
"""

from __future__ import annotations

from collections.abc import Iterator

from tlkit.eventlog._types import EventType as T
from tlkit.tpm import HashAlg

__all__ = [
    "DERIVABLE_TYPES",
    "DIGEST_VARIANTS",
    "INTERPRETED_TYPES",
    "WHOLE_DATA_TYPES",
    "data_matches_digest",
    "grub_text",
]

WHOLE_DATA_TYPES: frozenset[int] = frozenset(
    int(t)
    for t in (
        T.EV_SEPARATOR,
        T.EV_ACTION,
        T.EV_EFI_ACTION,
        T.EV_S_CRTM_VERSION,
        T.EV_EFI_GPT_EVENT,
        T.EV_EFI_VARIABLE_DRIVER_CONFIG,
        T.EV_EFI_VARIABLE_BOOT2,
        T.EV_OMIT_BOOT_DEVICE_EVENTS,
        T.EV_COMPACT_HASH,
    )
)
"""Types whose digest is the hash of the whole event data and nothing else."""
_VAR_BOOT = int(T.EV_EFI_VARIABLE_BOOT)
_AUTHORITY = int(T.EV_EFI_VARIABLE_AUTHORITY)
_IPL = int(T.EV_IPL)

DERIVABLE_TYPES: frozenset[int] = WHOLE_DATA_TYPES | {_VAR_BOOT, _AUTHORITY, _IPL}
"""Event types whose digest may be derivable from their data (EV_IPL only on PCRs 8 and 12)."""

INTERPRETED_TYPES: frozenset[int] = frozenset(
    int(t)
    for t in (
        T.EV_SEPARATOR,
        T.EV_ACTION,
        T.EV_EFI_ACTION,
        T.EV_EFI_VARIABLE_DRIVER_CONFIG,
        T.EV_EFI_VARIABLE_BOOT,
        T.EV_EFI_VARIABLE_BOOT2,
        T.EV_EFI_VARIABLE_AUTHORITY,
    )
)
"""Types whose payload tlkit draws conclusions from (Secure Boot state, boot variables, separators,
ExitBootServices / DMA actions): a payload mismatch on one of them fails verification."""


DIGEST_VARIANTS: dict[str, str] = {
    "EDK2_BOOT_VARIABLE_DATA_ONLY": (
        "EV_EFI_VARIABLE_BOOT: EDK II measures only the VariableData of Boot####/BootOrder (most GCE and "
        "OVMF logs in the fixtures); the variable name and GUID are then not covered"
    ),
    "SHIM_AUTHORITY_EXTRA_BYTE": (
        "EV_EFI_VARIABLE_AUTHORITY with a bare certificate: shim before rhboot/shim 8a27a480 logged one "
        "byte more than it measured (go-attestation issue #157, ParseSecurebootState)"
    ),
    "GRUB_STRING": (
        "EV_IPL on PCR 8: GRUB measures the text after the first space, without (or with) the NUL "
        "(tpm2-tools lib/tpm2_eventlog.c verify_digests)"
    ),
    "SYSTEMD_BOOT_SHORT_NUL": (
        "EV_IPL on PCR 8, odd length: systemd-boot measured the UTF-16 command line with its 2-byte "
        "NUL but logged one byte less (go-tpm-tools arch-linux-workstation.bin event 24 and tpm2-tools "
        "event-arch-linux.bin, whose .warn file flags it: the digest is of the data plus 0x00)"
    ),
}
"""Named accepted forms of a digest other than the hash of the whole data, with their evidence."""


def _inputs(event_type: int, pcr: int, data: bytes) -> Iterator[bytes] | None:
    """The byte strings whose hash the digest may be (most likely first), or None (not derivable)."""
    if event_type in WHOLE_DATA_TYPES:
        return iter((data,))
    if event_type == _VAR_BOOT:
        return _var_boot(data)
    if event_type == _AUTHORITY:
        return _authority(data)
    if event_type == _IPL:
        if pcr == 8:
            return _grub_string(data)
        if pcr == 12:
            return iter((data,))
    return None


def _variable_data(data: bytes) -> bytes | None:
    """VariableData of a UEFI_VARIABLE_DATA (PFP 1.06, 10.4.4: GUID, UINT64 name length in
    characters, UINT64 data length, UTF-16 name, data), or None when the sizes do not fit."""
    if len(data) < 32:
        return None
    name_len = int.from_bytes(data[16:24], "little")
    data_len = int.from_bytes(data[24:32], "little")
    start = 32 + 2 * name_len
    if start + data_len > len(data):
        return None
    return data[start : start + data_len]


def _var_boot(data: bytes) -> Iterator[bytes]:
    yield data
    var_data = _variable_data(data)
    if var_data is not None:
        yield var_data


def _authority(data: bytes) -> Iterator[bytes]:
    yield data
    var_data = _variable_data(data)
    # a bare DER certificate where an EFI_SIGNATURE_DATA (owner GUID first) belongs: go-attestation's
    # ErrSigMissingGUID case, the only one it retries without the last byte
    if var_data is not None and _is_bare_certificate(var_data):
        yield data[:-1]


def _is_bare_certificate(var_data: bytes) -> bool:
    """A DER SEQUENCE with a two-byte length (X.509, ITU-T X.690 8.1.3.5) filling the data, or the
    data minus one trailing byte."""
    if len(var_data) < 4 or var_data[:2] != b"\x30\x82":
        return False
    return 4 + int.from_bytes(var_data[2:4], "big") in (len(var_data), len(var_data) - 1)


def grub_text(data: bytes) -> bytes | None:
    """GRUB's measured string: the EV_IPL text after the first space, without the trailing NUL
    (``None`` when the data has no space or no trailing NUL)."""
    j = data.find(b" ")
    if j >= 0 and j + 1 < len(data) and data[-1:] == b"\x00":
        return data[j + 1 : -1]
    return None


def _grub_string(data: bytes) -> Iterator[bytes]:
    text = grub_text(data)
    if text is not None:
        yield text
        yield text + b"\x00"
    yield data
    if len(data) % 2 == 1 and data.endswith(b"\x00"):
        yield data + b"\x00"  # SYSTEMD_BOOT_SHORT_NUL


def data_matches_digest(
    event_type: int, pcr: int, data: bytes, digest: bytes | None, alg: HashAlg
) -> bool | None:
    """True/False when the digest is defined from the data (module rules), else None.

    ``None`` also when ``digest`` is missing or this OpenSSL cannot compute ``alg``.
    """
    if digest is None or not alg.available:
        return None
    inputs = _inputs(event_type, pcr, data)
    if inputs is None:
        return None
    return any(alg.digest(b) == digest for b in inputs)
