"""Known firmware quirks, as named data.

A quirk is a documented firmware bug that makes an honest log fail to replay. Verification tries a
quirk only when a PCR it concerns fails, applies it to a *copy* of the log, and names it in the
result (``quirks_applied`` and a ``quirk-applied:NAME:PCR`` reason), so a pass obtained through a
workaround is never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tlkit.eventlog._event import make_event
from tlkit.eventlog._hashing import hashable_alg
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._types import EventType

__all__ = ["EBS_FAILURE_MISSING", "EBS_FAILURE_SUCCESS_MISSING", "EBS_MISSING", "KNOWN_QUIRKS", "Quirk"]


@dataclass(frozen=True)
class Quirk:
    """A named workaround for a firmware logging bug.

    Attributes:
        name: stable identifier used in result reasons, e.g. ``"EBS_MISSING"``.
        pcrs: the PCRs the quirk concerns (it is only tried when one of them fails).
        description: what the firmware gets wrong.
        source: where the workaround comes from.
    """

    name: str
    pcrs: tuple[int, ...]
    description: str
    source: str
    fix: Callable[[LogData], LogData | None] = field(repr=False, compare=False)

    def apply(self, log: LogData) -> LogData | None:
        """A corrected copy of ``log``, or ``None`` when the quirk does not apply to it."""
        return self.fix(log)


# PC Client PFP 1.06, 3.3.4.5 / 10.4.4: the EV_EFI_ACTION strings measured into PCR5 around
# ExitBootServices(); spelled as in google/go-attestation attest/eventlog_workarounds.go.
EBS_INVOCATION = "Exit Boot Services Invocation"
EBS_SUCCESS = "Exit Boot Services Returned with Success"
EBS_FAILURE = "Exit Boot Services Returned with Failure"

_WORKAROUNDS = "google/go-attestation attest/eventlog_workarounds.go"


def _ebs_fix(*texts: str) -> Callable[[LogData], LogData | None]:
    """A fix appending, as PCR5 EV_EFI_ACTION events in this order, those of ``texts`` the log does
    not already have on PCR5 (``None`` when it has them all)."""

    def fix(log: LogData) -> LogData | None:
        have = {e.data.rstrip(b"\x00") for e in log if e.pcr == 5 and e.event_type == EventType.EV_EFI_ACTION}
        missing = [t for t in texts if t.encode() not in have]
        if not missing:
            return None
        banks = [a.bank for a in log.algorithms if hashable_alg(a.alg_id)]
        return log.appended(*(make_event(5, EventType.EV_EFI_ACTION, t.encode(), banks) for t in missing))

    return fix


EBS_MISSING = Quirk(
    name="EBS_MISSING",
    pcrs=(5,),
    description=(
        "The firmware extended PCR5 with the EV_EFI_ACTION events 'Exit Boot Services Invocation' and "
        "'Exit Boot Services Returned with Success' (PC Client PFP 1.06, 3.3.4.5) but did not log them."
    ),
    source=f'{_WORKAROUNDS} ("EBS Invocation + Success"); tianocore/edk2#9925',
    fix=_ebs_fix(EBS_INVOCATION, EBS_SUCCESS),
)

EBS_FAILURE_MISSING = Quirk(
    name="EBS_FAILURE_MISSING",
    pcrs=(5,),
    description=(
        "The firmware extended PCR5 with 'Exit Boot Services Invocation' and 'Exit Boot Services "
        "Returned with Failure' (ExitBootServices() failed, PC Client PFP 1.06, 3.3.4.5) but did not "
        "log them."
    ),
    source=f'{_WORKAROUNDS} ("EBS Invocation + Failure")',
    fix=_ebs_fix(EBS_INVOCATION, EBS_FAILURE),
)

EBS_FAILURE_SUCCESS_MISSING = Quirk(
    name="EBS_FAILURE_SUCCESS_MISSING",
    pcrs=(5,),
    description=(
        "The firmware extended PCR5 with 'Exit Boot Services Invocation', 'Exit Boot Services Returned "
        "with Failure' and then 'Exit Boot Services Returned with Success' (the OS loader retried "
        "ExitBootServices(), PC Client PFP 1.06, 3.3.4.5) but did not log them."
    ),
    source=f'{_WORKAROUNDS} ("EBS Invocation + Failure + Success")',
    fix=_ebs_fix(EBS_INVOCATION, EBS_FAILURE, EBS_SUCCESS),
)

KNOWN_QUIRKS: tuple[Quirk, ...] = (EBS_MISSING, EBS_FAILURE_MISSING, EBS_FAILURE_SUCCESS_MISSING)
"""Every quirk :meth:`LogData.verify` tries by default, in this order (go-attestation's order)."""
