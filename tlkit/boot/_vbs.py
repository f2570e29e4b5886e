"""Virtualization-based security (VBS), HVCI and Credential Guard: what each needs, as named rules.

The documented requirements (Azure Trusted Launch: "VBS (HVCI, Credential Guard; Windows only)";
Microsoft's VBS documentation): VBS needs Secure Boot and a TPM (the vTPM); hypervisor-enforced
code integrity (HVCI, "memory integrity") and Credential Guard (LSA isolation) run inside VBS, so
they need it. :data:`VBS_RULES` holds one small function per requirement; :func:`vbs_outcome`
applies them to what a VM asks for and says what runs and why not.

What runs is what winload measures (:func:`tlkit.boot.measure_windows_boot`): with VBS,
HypervisorLaunchType and VsmLaunchType 1 and the VBS requirement SIPA events (VbsVsmRequired,
VbsSecurebootRequired, VbsMmioNxRequired, VbsMsrFilteringRequired, VbsMicrosoftBootChainRequired);
with HVCI, VbsHvciPolicy 1; with Credential Guard, LsaIsoConfig. With HVCI, kernel-mode drivers are
checked by the hypervisor-protected code integrity (verifier ``windows-hvci``).

What it does not do: simulate the hypervisor, VTL1 or the secure kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tlkit._result import Verdict

__all__ = ["VBS_RULES", "VbsOutcome", "VbsRequest", "VbsRule", "vbs_outcome"]


@dataclass(frozen=True)
class VbsRequest:
    """What the VM's configuration asks for (e.g. by Group Policy / registry), and its platform."""

    vbs: bool = True
    hvci: bool = True
    credential_guard: bool = True
    secure_boot: bool = True
    vtpm: bool = True


@dataclass(frozen=True)
class VbsRule:
    """One requirement: ``check`` returns a reason code when the request breaks it, else ``None``;
    ``disables`` names the feature that then does not run."""

    name: str
    disables: str
    description: str
    check: Callable[[VbsRequest, frozenset[str]], str | None]


def _vbs_needs_secure_boot(r: VbsRequest, running: frozenset[str]) -> str | None:
    return "vbs-needs-secure-boot" if "vbs" in running and not r.secure_boot else None


def _vbs_needs_vtpm(r: VbsRequest, running: frozenset[str]) -> str | None:
    return "vbs-needs-vtpm" if "vbs" in running and not r.vtpm else None


def _hvci_needs_vbs(r: VbsRequest, running: frozenset[str]) -> str | None:
    return "hvci-needs-vbs" if "hvci" in running and "vbs" not in running else None


def _credential_guard_needs_vbs(r: VbsRequest, running: frozenset[str]) -> str | None:
    return "credential-guard-needs-vbs" if "credential_guard" in running and "vbs" not in running else None


#: Tried in order (VBS first: HVCI and Credential Guard depend on whether VBS survived).
VBS_RULES: tuple[VbsRule, ...] = (
    VbsRule("vbs-needs-secure-boot", "vbs", "VBS needs UEFI Secure Boot", _vbs_needs_secure_boot),
    VbsRule("vbs-needs-vtpm", "vbs", "VBS needs a TPM 2.0 (the vTPM)", _vbs_needs_vtpm),
    VbsRule("hvci-needs-vbs", "hvci", "HVCI (memory integrity) runs in VBS", _hvci_needs_vbs),
    VbsRule("credential-guard-needs-vbs", "credential_guard", "Credential Guard runs in VBS",
            _credential_guard_needs_vbs),
)  # fmt: skip


@dataclass(frozen=True)
class VbsOutcome(Verdict):
    """What runs: ``vbs``, ``hvci``, ``credential_guard``; ``reasons``: the broken requirements
    (codes of :data:`VBS_RULES`). ``passed``: everything requested runs."""

    vbs: bool
    hvci: bool
    credential_guard: bool
    broken: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.broken

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.broken


def vbs_outcome(request: VbsRequest) -> VbsOutcome:
    """Apply :data:`VBS_RULES` to ``request``: a broken requirement turns its feature off."""
    running = frozenset(f for f in ("vbs", "hvci", "credential_guard") if getattr(request, f))
    broken: list[str] = []
    for rule in VBS_RULES:
        code = rule.check(request, running)
        if code is not None:
            broken.append(code)
            running -= {rule.disables}
    return VbsOutcome("vbs" in running, "hvci" in running, "credential_guard" in running, tuple(broken))
