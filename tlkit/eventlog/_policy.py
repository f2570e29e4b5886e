"""What :meth:`EventLog.verify` checks, and how: the evidence policy of :mod:`tlkit.eventlog`, in one place.

A replay that matches quoted PCRs proves only the *digests* of the events on those PCRs (TPM 2.0
Part 1, 17: ``new = H(old || digest)``). The PCR index is proven too (the digest sits in that PCR's
chain), but the event type, and the data of most events, are not covered by anything
(go-attestation, docs/event-log-disclosure.md). So a verifier must also check the shape of the log
against what firmware is allowed to write, and the data against its digest wherever the digest is
defined from it. Every rule below fails the result with a named reason; nothing passes unchecked.

Each rule, what it applies to and the reason it gives (``ReplayResult.reasons``):

* **replayed digest** — ``pcr-mismatch:N``. Every PCR given (``pcrs``, narrowed by ``only=``) that
  the log extends must replay to the given value (named quirks may be tried, below).
* **coverage** — ``pcr-not-covered:N``. A PCR given whose value is not its reset value
  (:func:`initial_pcr_value`: 0 for 0–16 and 23, ff…ff for 17–22, PCR 0 per startup locality) must
  be extended by the log. A PCR at its reset value with no event is explained (``at_reset``).
* **something checked** — ``no-pcr-covered``. At least one PCR given is extended by the log.
* **data vs digest** — ``payload-digest-mismatch:I``, always fatal. Events on checked PCRs whose
  digest the PFP defines from their data: EV_SEPARATOR, EV_ACTION, EV_EFI_ACTION, EV_S_CRTM_VERSION,
  EV_EFI_GPT_EVENT, the UEFI variables (DRIVER_CONFIG, BOOT, BOOT2, AUTHORITY),
  EV_OMIT_BOOT_DEVICE_EVENTS, EV_COMPACT_HASH, GRUB's EV_IPL strings and kernel command line on
  PCR 8 and systemd-boot's EV_IPL on PCR 12. The accepted forms, and the named firmware, shim and
  systemd-boot variants with their evidence, are ``tlkit.eventlog._digestcheck.DIGEST_VARIANTS``.
* **type allowed on the PCR** — ``event-type-not-allowed:I``. Extends on checked PCRs 0–7 must have
  a type of :data:`PCR_EVENT_TYPES` (PFP 1.06 3.3.4.1–3.3.4.8, 10.4.1 table 9); EV_UNUSED is
  allowed nowhere. On PCR 7 a DRIVER_CONFIG must name a Secure Boot variable
  (:data:`PCR7_CONFIG_VARIABLES`) and an AUTHORITY must not name one only DRIVER_CONFIG measures
  (:data:`PCR7_CONFIG_ONLY`): a re-typed variable.
* **order** — ``event-order-invalid:I``. PCR 7 starts with its Secure Boot variables, each once,
  in PFP order (SecureBoot, PK, KEK, db, dbx, then dbt, dbr, dbxupdate), none after the separator;
  PCRs 0–7 hold at most one EV_SEPARATOR.
* **Secure Boot logged** — ``secureboot-variable-missing``. A checked PCR 7 that the log extends
  holds the SecureBoot EV_EFI_VARIABLE_DRIVER_CONFIG (PFP 3.3.4.8); otherwise the Secure Boot state
  would be silently unknown.
* **PCR 7 data readable** — ``event-data-undecodable:I``. A PCR 7 variable event whose
  UEFI_VARIABLE_DATA does not decode (its name cannot be checked).
* **quirk** — ``quirk-applied:NAME:N``, informational (the result may pass). A named firmware quirk
  (:data:`~tlkit.eventlog.KNOWN_QUIRKS`) made a mismatched PCR match; it is tried only then.

PCRs 8–23 belong to the OS loaders and the OS (PFP 3.3.4: not PC Client firmware); the PFP does not
constrain their event types, so only the replay, coverage and data rules apply there. PCR 6 is
"host platform manufacturer specific" (3.3.4.7): any type. EV_NO_ACTION is never extended (10.4.5)
and is allowed everywhere.

Which PCRs are checked: the PCRs of ``pcrs`` (typically every PCR a quote covers), or ``only=`` a
subset the caller names; what is asked about is checked, nothing else fails or passes it.

:func:`tlkit.eventlog.secure_boot_state` reads PCR 7 under the same rules (its anomalies include
every violation below, and ``secureboot-var-missing`` when PCR 7 is logged without SecureBoot).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tlkit.eventlog._event import Event
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._types import EventType as T

__all__ = [
    "FIRMWARE_PCRS",
    "PCR7_CONFIG_ONLY",
    "PCR7_CONFIG_VARIABLES",
    "PCR_EVENT_TYPES",
    "RULES",
    "PolicyViolation",
    "check_policy",
]


def _types(*ts: T) -> frozenset[int]:
    return frozenset(int(t) for t in ts)


_FW_BLOBS = (T.EV_EFI_PLATFORM_FIRMWARE_BLOB, T.EV_EFI_PLATFORM_FIRMWARE_BLOB2)
_HANDOFF = (T.EV_EFI_HANDOFF_TABLES, T.EV_EFI_HANDOFF_TABLES2)
_NONHOST = (T.EV_NONHOST_CODE, T.EV_NONHOST_CONFIG, T.EV_NONHOST_INFO)

PCR_EVENT_TYPES: Mapping[int, frozenset[int]] = MappingProxyType(
    {
        # 3.3.4.1 PCR[0] SRTM, BIOS, host platform extensions, embedded option ROMs
        0: _types(
            T.EV_SEPARATOR, T.EV_POST_CODE, T.EV_POST_CODE2, T.EV_S_CRTM_CONTENTS, T.EV_S_CRTM_VERSION,
            T.EV_CPU_MICROCODE, T.EV_EFI_HCRTM_EVENT, T.EV_EFI_SPDM_FIRMWARE_BLOB,
            T.EV_EFI_SPDM_FIRMWARE_CONFIG, *_FW_BLOBS, *_HANDOFF, *_NONHOST,
        ),
        # 3.3.4.2 PCR[1] host platform configuration (SMBIOS, microcode, setup, boot variables)
        1: _types(
            T.EV_SEPARATOR, T.EV_PLATFORM_CONFIG_FLAGS, T.EV_TABLE_OF_DEVICES, T.EV_CPU_MICROCODE,
            T.EV_EFI_VARIABLE_DRIVER_CONFIG, T.EV_EFI_VARIABLE_BOOT, T.EV_EFI_VARIABLE_BOOT2,
            T.EV_EFI_SPDM_FIRMWARE_CONFIG, *_HANDOFF, *_NONHOST,
        ),
        # 3.3.4.3 PCR[2] UEFI driver and application code (option ROMs, Driver####); EDK II measures
        # every EFI application into PCR 4 (DxeTpm2MeasureBootLib), so applications are not listed here
        2: _types(
            T.EV_SEPARATOR, T.EV_EFI_BOOT_SERVICES_DRIVER, T.EV_EFI_RUNTIME_SERVICES_DRIVER,
            T.EV_EFI_SPDM_FIRMWARE_BLOB, *_FW_BLOBS, *_NONHOST,
        ),
        # 3.3.4.4 PCR[3] UEFI driver and application configuration
        3: _types(
            T.EV_SEPARATOR, T.EV_EFI_VARIABLE_DRIVER_CONFIG, T.EV_EFI_SPDM_FIRMWARE_CONFIG, *_NONHOST,
        ),
        # 3.3.4.5 PCR[4] boot manager code and boot attempts
        4: _types(
            T.EV_SEPARATOR, T.EV_EFI_BOOT_SERVICES_APPLICATION, T.EV_EFI_ACTION, T.EV_ACTION, T.EV_IPL,
            T.EV_COMPACT_HASH, T.EV_OMIT_BOOT_DEVICE_EVENTS,
        ),
        # 3.3.4.6 PCR[5] boot manager configuration and data (GPT, ExitBootServices actions)
        5: _types(
            T.EV_SEPARATOR, T.EV_EFI_GPT_EVENT, T.EV_EFI_GPT_EVENT2, T.EV_IPL_PARTITION_DATA,
            T.EV_EFI_ACTION, T.EV_ACTION,
        ),
        # 3.3.4.8 PCR[7] Secure Boot policy (variables, separator, authorities, DMA/debug actions)
        7: _types(
            T.EV_SEPARATOR, T.EV_EFI_ACTION, T.EV_EFI_VARIABLE_DRIVER_CONFIG, T.EV_EFI_VARIABLE_AUTHORITY,
            T.EV_EFI_SPDM_DEVICE_POLICY, T.EV_EFI_SPDM_DEVICE_AUTHORITY,
        ),
    }
)  # fmt: skip
"""Event types the PC Client PFP 1.06 lets firmware extend into each of PCRs 0–7 (section per PCR
above; PFP 10.4.1 table 9 "Events"). PCR 6 (manufacturer specific) and PCRs 8–23 are absent: not
constrained. EV_NO_ACTION is allowed everywhere (never extended)."""

FORBIDDEN_EVERYWHERE: frozenset[int] = _types(T.EV_UNUSED)
"""PFP 10.4.1: EV_UNUSED is undefined; firmware never logs it (the disclosure's re-typing target)."""

PCR7_CONFIG_VARIABLES: tuple[str, ...] = ("SecureBoot", "PK", "KEK", "db", "dbx", "dbt", "dbr", "dbxupdate")
"""PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG variables in the order PFP 1.06 3.3.4.8 measures them
(SecureBoot, PK, KEK, db, dbx required; dbt, dbr and dbxupdate when present)."""

PCR7_CONFIG_ONLY: frozenset[str] = frozenset(n for n in PCR7_CONFIG_VARIABLES if n != "db")
"""Variables only EV_EFI_VARIABLE_DRIVER_CONFIG measures on PCR 7: an EV_EFI_VARIABLE_AUTHORITY names
the database an image was approved from (``db``, or shim's ``MokList``/``Shim``/``SbatLevel``...),
never SecureBoot, PK, KEK or dbx."""

_SEPARATOR = int(T.EV_SEPARATOR)
_CONFIG = int(T.EV_EFI_VARIABLE_DRIVER_CONFIG)
_AUTHORITY = int(T.EV_EFI_VARIABLE_AUTHORITY)
_NO_ACTION = int(T.EV_NO_ACTION)
FIRMWARE_PCRS: tuple[int, ...] = tuple(range(8))
"""PCRs 0–7, which PC Client firmware extends and logs (PFP 1.06, 3.3.4), e.g. for ``only=``."""


@dataclass(frozen=True)
class PolicyViolation:
    """One event (or, with ``index`` ``None``, a PCR) that breaks a rule of the module table.

    ``rule`` is the reason code (``event-type-not-allowed``, ``event-order-invalid``,
    ``secureboot-variable-missing``, ``event-data-undecodable``); :attr:`reason` adds the index.
    """

    rule: str
    pcr: int
    index: int | None
    detail: str

    @property
    def reason(self) -> str:
        return self.rule if self.index is None else f"{self.rule}:{self.index}"


def _extends(log: LogData, pcrs: Collection[int]) -> dict[int, list[Event]]:
    """The extending events (not EV_NO_ACTION) of each checked PCR, in log order."""
    out: dict[int, list[Event]] = {}
    for e in log:
        if e.pcr in pcrs and e.event_type != _NO_ACTION:
            out.setdefault(e.pcr, []).append(e)
    return out


def _variable_name(e: Event) -> str | None:
    return getattr(e.payload, "name", None)


def type_allowed(by_pcr: Mapping[int, list[Event]]) -> Iterable[PolicyViolation]:
    """Rule: each extend's type is one the PFP allows on its PCR (:data:`PCR_EVENT_TYPES`)."""
    for pcr, events in by_pcr.items():
        allowed = PCR_EVENT_TYPES.get(pcr)
        for e in events:
            if e.event_type in FORBIDDEN_EVERYWHERE or (allowed is not None and e.event_type not in allowed):
                yield PolicyViolation("event-type-not-allowed", pcr, e.index, f"{e.type_name} on PCR {pcr}")


def pcr7_variable_names(by_pcr: Mapping[int, list[Event]]) -> Iterable[PolicyViolation]:
    """Rule: PCR 7 DRIVER_CONFIG names a Secure Boot variable; AUTHORITY never one of
    :data:`PCR7_CONFIG_ONLY` (a re-typed DRIVER_CONFIG event)."""
    for e in by_pcr.get(7, ()):
        if e.event_type not in (_CONFIG, _AUTHORITY):
            continue
        name = _variable_name(e)
        if name is None:
            yield PolicyViolation("event-data-undecodable", 7, e.index, f"{e.type_name}: {e.payload_error}")
        elif e.event_type == _CONFIG and name not in PCR7_CONFIG_VARIABLES:
            yield PolicyViolation("event-type-not-allowed", 7, e.index, f"DRIVER_CONFIG of {name!r} on PCR 7")
        elif e.event_type == _AUTHORITY and name in PCR7_CONFIG_ONLY:
            yield PolicyViolation("event-type-not-allowed", 7, e.index, f"AUTHORITY naming {name!r}")


def pcr7_order(by_pcr: Mapping[int, list[Event]]) -> Iterable[PolicyViolation]:
    """Rule: PCR 7 starts with its Secure Boot variables, each once, in PFP order; none after the
    separator (PFP 1.06, 3.3.4.8)."""
    rank = -1
    config_run = True
    for e in by_pcr.get(7, ()):
        if e.event_type != _CONFIG:
            # an allowed PCR 7 type ends the variables; a foreign one is type_allowed's finding
            config_run = config_run and e.event_type not in PCR_EVENT_TYPES[7]
            continue
        name = _variable_name(e)
        r = PCR7_CONFIG_VARIABLES.index(name) if name in PCR7_CONFIG_VARIABLES else None
        if r is None:
            continue  # named by pcr7_variable_names
        if not config_run or r <= rank:
            yield PolicyViolation("event-order-invalid", 7, e.index, f"{name} out of PFP order on PCR 7")
        rank = max(rank, r)


def one_separator(by_pcr: Mapping[int, list[Event]]) -> Iterable[PolicyViolation]:
    """Rule: firmware measures one EV_SEPARATOR into each of PCRs 0–7 (PFP 1.06, 3.3.2.2)."""
    for pcr in FIRMWARE_PCRS:
        seps = [e for e in by_pcr.get(pcr, ()) if e.event_type == _SEPARATOR]
        for e in seps[1:]:
            yield PolicyViolation("event-order-invalid", pcr, e.index, f"second EV_SEPARATOR on PCR {pcr}")


def secureboot_logged(by_pcr: Mapping[int, list[Event]]) -> Iterable[PolicyViolation]:
    """Rule: a PCR 7 that firmware extended holds the SecureBoot variable (PFP 1.06, 3.3.4.8)."""
    events = by_pcr.get(7, ())
    if events and not any(e.event_type == _CONFIG and _variable_name(e) == "SecureBoot" for e in events):
        yield PolicyViolation("secureboot-variable-missing", 7, None, "PCR 7 has no SecureBoot variable")


RULES: tuple[Callable[[Mapping[int, list[Event]]], Iterable[PolicyViolation]], ...] = (
    type_allowed,
    pcr7_variable_names,
    pcr7_order,
    one_separator,
    secureboot_logged,
)
"""The structural rules (module table), each one small function over ``{pcr: extending events}``."""


def check_policy(log: LogData, pcrs: Collection[int]) -> tuple[PolicyViolation, ...]:
    """Every violation of :data:`RULES` on the PCRs ``pcrs``, in rule order then log order.

    The rules read event types, order and decoded payloads, never a bank's digests: the answer is
    the same for every bank, so it is computed once per log and PCR set
    (:attr:`~tlkit.eventlog._logdata.LogData.verdict_cache`)."""
    key = ("check_policy", frozenset(pcrs))
    cache = log.verdict_cache
    if key not in cache:
        by_pcr = _extends(log, pcrs)
        cache[key] = tuple(v for rule in RULES for v in rule(by_pcr))
    found: tuple[PolicyViolation, ...] = cache[key]
    return found
