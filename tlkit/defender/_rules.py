"""Defender for Cloud's decision rules for Trusted Launch, as named data (private).

Each rule is one small function with a key and its source:

- :data:`RECOMMENDATION_RULES`: when a recommendation applies to a VM (``applies``) and when the VM
  fails it (``unhealthy``; None = no data to decide). Which OS and resource kind a recommendation's
  name covers (``os_type``, ``scale_set`` in ``data/defender/findings.json``) is checked once for all,
  by :func:`covers`.
- :data:`ALERT_RULES`: when an alert applies to a VM, and how one attestation record's reason codes
  group into alert findings (one per documented reason; one per refused kernel module).
- :data:`DEFAULT_SUPPRESSIONS`: which alert findings a suppression rule hides (they stay counted).

The documented applicability (sources in ``data/defender/SOURCES.md``): Secure Boot and vTPM
recommendations only for VMs that support Trusted Launch; the extension recommendation when Secure
Boot and vTPM are on; the attestation status when the extension is there too; alerts only with vTPM
and the extension; the kernel-module alert only for Linux with Secure Boot on.

What it does not do: read data files (:mod:`tlkit.defender._data`), or build tables
(:mod:`tlkit.defender._assess`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tlkit.defender._data import ReasonCode, RecommendationInfo, parse_reason
from tlkit.defender._model import AttestationRecord, VmConfig

__all__ = [
    "ALERT_RULES",
    "DEFAULT_SUPPRESSIONS",
    "RECOMMENDATION_RULES",
    "SECURE_BOOT_OFF_BY_DESIGN",
    "SECURE_BOOT_STATE_CODES",
    "SECURE_BOOT_STATE_DEVIATIONS",
    "AlertRule",
    "RecommendationRule",
    "SuppressionRule",
    "covers",
]


@dataclass(frozen=True)
class RecommendationRule:
    """A recommendation's decision (the name and severity are data: ``findings.json``).

    Attributes:
        key: the recommendation's key in ``findings.json``.
        applies: does the recommendation assess this VM at all?
        unhealthy: does the VM fail it, given its latest attestation record at the assessment time?
            None when there is nothing to decide on (no attestation record yet).
        source: the documented sentence the rule implements.
    """

    key: str
    applies: Callable[[VmConfig], bool]
    unhealthy: Callable[[VmConfig, AttestationRecord | None], bool | None]
    source: str


@dataclass(frozen=True)
class AlertRule:
    """An alert's decision.

    Attributes:
        key: the alert's key in ``findings.json``.
        applies: can Defender raise this alert for the VM?
        group: the finding a reason code (and its detail) belongs to within one record: one alert
            finding per group.
        source: the documented sentence the rule implements.
    """

    key: str
    applies: Callable[[VmConfig], bool]
    group: Callable[[ReasonCode, str | None], str]
    source: str


@dataclass(frozen=True)
class SuppressionRule:
    """A suppression: the alert findings it hides (still counted, ``suppressed=True``).

    Attributes:
        key: shown in the ``suppressed_by`` column.
        alert: the alert key it applies to.
        applies: given the VM and the verifier reasons of one finding (``code`` or ``code:detail``
            texts), is that finding suppressed?
        source: the documented sentence the rule implements.
    """

    key: str
    alert: str
    applies: Callable[[VmConfig, frozenset[str]], bool]
    source: str


def covers(info: RecommendationInfo, vm: VmConfig) -> bool:
    """Does the recommendation's name cover this VM's OS and resource kind (VM or scale set)?"""
    return (info.os_type in (None, vm.os_type)) and (info.scale_set in (None, vm.scale_set))


# --- recommendations -------------------------------------------------------------------------------


def _capable(vm: VmConfig) -> bool:
    """ "only applies for VMs that support Trusted Launch" (TL-2026, seed)."""
    return vm.trusted_launch_capable


def _secure_boot_and_vtpm(vm: VmConfig) -> bool:
    """ "If your VM has Secure Boot and vTPM enabled" (TL-2026, seed)."""
    return vm.trusted_launch_capable and vm.secure_boot and vm.vtpm


def _monitored(vm: VmConfig) -> bool:
    """ "Secure Boot and vTPM enabled and the Attestation extension installed" (TL-2026, seed)."""
    return _secure_boot_and_vtpm(vm) and vm.guest_attestation


def _secure_boot_off(vm: VmConfig, latest: AttestationRecord | None) -> bool:
    return not vm.secure_boot


def _vtpm_off(vm: VmConfig, latest: AttestationRecord | None) -> bool:
    return not vm.vtpm


def _extension_missing(vm: VmConfig, latest: AttestationRecord | None) -> bool:
    return not vm.guest_attestation


def _latest_attestation_failed(vm: VmConfig, latest: AttestationRecord | None) -> bool | None:
    if latest is None:
        return None
    return any(parse_reason(r)[0].alert == "attestation-failed" for r in latest.reasons)


_EXTENSION_SOURCE = (
    "If your VM has Secure Boot and vTPM enabled but it doesn't have the Guest Attestation extension "
    "installed, Defender for Cloud issues low-severity recommendations to install it (TL-2026, seed)"
)

RECOMMENDATION_RULES: Final[tuple[RecommendationRule, ...]] = (
    RecommendationRule(
        "secure-boot",
        _capable,
        _secure_boot_off,
        "The Secure Boot recommendation only applies for VMs that support Trusted Launch (TL-2026, seed)",
    ),
    RecommendationRule(
        "vtpm", _capable, _vtpm_off, "VMs that support Trusted Launch with vTPM disabled (TL-2026, seed)"
    ),
    *(
        RecommendationRule(key, _secure_boot_and_vtpm, _extension_missing, _EXTENSION_SOURCE)
        for key in (
            "guest-attestation-windows-vm",
            "guest-attestation-windows-vmss",
            "guest-attestation-linux-vm",
            "guest-attestation-linux-vmss",
        )
    ),
    RecommendationRule(
        "attestation-status",
        _monitored,
        _latest_attestation_failed,
        "Defender for Cloud issues an assessment that indicates the status of remote attestation "
        "(TL-2026, seed)",
    ),
)
"""Every recommendation tlkit models, in the order of ``findings.json``."""


# --- alerts ---------------------------------------------------------------------------------------


def _vtpm_and_extension(vm: VmConfig) -> bool:
    """ "Alerts are available for VMs with vTPM enabled and the Attestation extension installed"."""
    return vm.trusted_launch_capable and vm.vtpm and vm.guest_attestation


def _linux_secure_boot(vm: VmConfig) -> bool:
    """ "For Trusted Launch with Secure Boot enabled" + a Linux kernel module (+ the alert note above)."""
    return _vtpm_and_extension(vm) and vm.os_type == "Linux" and vm.secure_boot


def _by_documented_reason(code: ReasonCode, detail: str | None) -> str:
    """One finding per documented reason; a code with no documented reason is a finding of its own."""
    return code.alert_reason or code.code


def _by_module(code: ReasonCode, detail: str | None) -> str:
    """One finding per refused module (the detail of ``untrusted-kernel-module:<name>``)."""
    return detail or ""


ALERT_RULES: Final[tuple[AlertRule, ...]] = (
    AlertRule(
        "attestation-failed", _vtpm_and_extension, _by_documented_reason,
        "If the attestation fails, it triggers a medium-severity alert; alerts are available for VMs "
        "with vTPM enabled and the Attestation extension installed (TL-2026, seed)",
    ),
    AlertRule(
        "untrusted-kernel-module", _linux_secure_boot, _by_module,
        "If kernel driver validation failure happens, Defender for Cloud issues low-severity alerts "
        "(TL-2026, seed)",
    ),
)  # fmt: skip
"""Every alert tlkit models."""


# --- suppression ----------------------------------------------------------------------------------

SECURE_BOOT_STATE_CODES: Final = frozenset({"secure-boot-disabled", "secure-boot-unknown"})
"""The reason codes that say only that Secure Boot is off (or could not be shown on)."""

SECURE_BOOT_STATE_DEVIATIONS: Final = frozenset({"baseline-deviation:pcr7:unknown-secureboot"})
"""Baseline deviations that say only that Secure Boot is off: the PCR 7 ``SecureBoot`` variable event
differs from the baseline's (PFP 10.4.4: its data is the variable's value) and nothing else does."""


def _secure_boot_state_only(reason: str) -> bool:
    return reason.split(":", 1)[0] in SECURE_BOOT_STATE_CODES or reason in SECURE_BOOT_STATE_DEVIATIONS


def _secure_boot_off_by_design(vm: VmConfig, reasons: frozenset[str]) -> bool:
    """Suppress a finding caused only by the Secure Boot state, on a VM where it is off on purpose:
    Secure Boot reported off or unknown, or a baseline deviation in the ``SecureBoot`` variable alone
    (the boot log differs from a Secure-Boot-on baseline exactly there).

    A finding with any other reason (a forged quote, another deviation, a doctored log) on the same VM
    is not suppressed.
    """
    return (
        vm.secure_boot_off_by_design
        and not vm.secure_boot
        and bool(reasons)
        and all(_secure_boot_state_only(r) for r in reasons)
    )


SECURE_BOOT_OFF_BY_DESIGN: Final = SuppressionRule(
    "secure-boot-off-by-design",
    "attestation-failed",
    _secure_boot_off_by_design,
    "If you must disable Secure Boot, you can suppress this alert to avoid false positives (TL-2026, seed)",
)

DEFAULT_SUPPRESSIONS: Final[tuple[SuppressionRule, ...]] = (SECURE_BOOT_OFF_BY_DESIGN,)
"""The suppressions :func:`tlkit.defender.assess` applies unless told otherwise."""
