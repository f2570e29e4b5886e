"""The attestation policy: what :func:`tlkit.attest.verify` demands beyond its always-on checks (private).

What it does: one frozen dataclass, :class:`AttestationPolicy`, and :data:`DEFAULT_POLICY`. Kept apart
from the verifier so that the log-analysis memo (:mod:`tlkit.attest._memo`), which keys on a policy,
and the verifier, which uses the memo, both depend on it without depending on each other.

What it does not do: verify anything (:mod:`tlkit.attest._verify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tlkit.eventlog._quirks import Quirk

__all__ = ["DEFAULT_POLICY", "AttestationPolicy"]


@dataclass(frozen=True)
class AttestationPolicy:
    """What the verifier demands beyond the always-on checks (quote, log consistency, AK trust).

    Attributes:
        require_secure_boot: Secure Boot must be shown on (the seed: attestation fails when Secure
            Boot is off). False records the ``secure-boot`` check as skipped.
        require_log: a missing event log fails (``log-incomplete:no-log``); False accepts the Azure
            shape (quote + AK, no log) and the result says ``log="absent"``.
        require_nonce: an ``expected_nonce`` must be given (False: freshness unproven, said so).
        untrusted_kernel_modules_fail: a guest-reported refused module fails the result.
        banks: banks to replay (default: every bank both the quote and the log carry).
        only: PCRs the log must explain (default: every quoted PCR), as for ``EventLog.verify``.
        quirks: firmware quirks to try (default: :data:`tlkit.eventlog.KNOWN_QUIRKS`).
    """

    require_secure_boot: bool = True
    require_log: bool = False
    require_nonce: bool = False
    untrusted_kernel_modules_fail: bool = True
    banks: tuple[str, ...] | None = None
    only: tuple[int, ...] | None = None
    quirks: tuple[Quirk, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "require_secure_boot": self.require_secure_boot,
            "require_log": self.require_log,
            "require_nonce": self.require_nonce,
            "untrusted_kernel_modules_fail": self.untrusted_kernel_modules_fail,
            "banks": None if self.banks is None else list(self.banks),
            "only": None if self.only is None else list(self.only),
        }


DEFAULT_POLICY = AttestationPolicy()
