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
  without or with the trailing NUL; on PCR 12 (systemd-boot): the whole data; on PCR 9 and 14
  (files, MOK lists) and elsewhere: not derivable. These are the rules of tpm2-tools
  ``lib/tpm2_eventlog.c`` ``verify_digests``.

Everything else (and EV_NO_ACTION, which is never extended) is "not derivable" (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tlkit.eventlog._types import EventType as T
from tlkit.tpm._alg import HashAlg

__all__ = ["DERIVABLE_TYPES", "INTERPRETED_TYPES", "data_matches_digest"]

_WHOLE_DATA = frozenset(
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
_VAR_BOOT = int(T.EV_EFI_VARIABLE_BOOT)
_AUTHORITY = int(T.EV_EFI_VARIABLE_AUTHORITY)
_IPL = int(T.EV_IPL)

DERIVABLE_TYPES: frozenset[int] = _WHOLE_DATA | {_VAR_BOOT, _AUTHORITY, _IPL}
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


def _inputs(event_type: int, pcr: int, data: bytes, payload: Callable[[], object]) -> Iterator[bytes] | None:
    """The byte strings whose hash the digest may be (most likely first), or None (not derivable)."""
    if event_type in _WHOLE_DATA:
        return iter((data,))
    if event_type == _VAR_BOOT:
        return _var_boot(data, payload)
    if event_type == _AUTHORITY:
        return _authority(data, payload)
    if event_type == _IPL:
        if pcr == 8:
            return _grub_string(data)
        if pcr == 12:
            return iter((data,))
    return None


def _var_boot(data: bytes, payload: Callable[[], object]) -> Iterator[bytes]:
    yield data
    var_data = getattr(payload(), "data", None)
    if isinstance(var_data, bytes):
        yield var_data


def _authority(data: bytes, payload: Callable[[], object]) -> Iterator[bytes]:
    yield data
    from tlkit.eventlog._payloads import CertificateInfo, UefiVariable  # noqa: PLC0415 - lazy

    p = payload()
    if data and isinstance(p, UefiVariable) and isinstance(p.value, CertificateInfo):
        yield data[:-1]


def _grub_string(data: bytes) -> Iterator[bytes]:
    j = data.find(b" ")
    if j < 0 or j + 1 >= len(data) or data[-1:] != b"\x00":
        return
    yield data[j + 1 : -1]
    yield data[j + 1 :]


def data_matches_digest(
    event_type: int,
    pcr: int,
    data: bytes,
    digest: bytes | None,
    alg: HashAlg,
    *,
    payload: Callable[[], object],
) -> bool | None:
    """True/False when the digest is defined from the data (module rules), else None.

    ``None`` also when ``digest`` is missing or this OpenSSL cannot compute ``alg``. ``payload`` is
    called (lazily) only for the EV_EFI_VARIABLE_BOOT and authority alternatives.
    """
    if digest is None or not alg.available:
        return None
    inputs = _inputs(event_type, pcr, data, payload)
    if inputs is None:
        return None
    return any(alg.digest(b) == digest for b in inputs)
