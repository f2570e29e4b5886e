"""Self-checks for the notebooks' exercises (private; re-exported by :mod:`tlkit.widgets`).

An exercise cell leaves the learner's answer at ``None``; the self-check cell after it shows a
:class:`SelfCheck`: "not yet" with a hint until the answer is right, then "correct". A check never
raises (a wrong type, a bad size name, ... are hints too), so a notebook committed unsolved still
runs top to bottom under nbval, and the stored "not yet" output is what the learner first sees.

Each check compares the answer with tlkit's own result for the same question (the replay, the
extend chain, ``check_vm``); nothing here decides a domain question by itself.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tlkit.boot import run_scenario
from tlkit.defender._assess import assess
from tlkit.defender._model import Fleet
from tlkit.defender._rules import DEFAULT_SUPPRESSIONS, SuppressionRule
from tlkit.errors import TlkitError
from tlkit.eventlog import EventLog
from tlkit.support import check_vm, parse_size
from tlkit.tpm import extend_steps
from tlkit.widgets._common import COLOURS

__all__ = [
    "NOT_ANSWERED",
    "SelfCheck",
    "check_alerted_vms",
    "check_attestation_codes",
    "check_extend_order",
    "check_pcr_value",
    "check_scenario_effect",
    "check_soc_alerts_per_day",
    "check_vm_fix",
]

NOT_ANSWERED = "not-answered"
"""The reason of a check whose answer is still ``None``."""


@dataclass(frozen=True)
class SelfCheck:
    """The outcome of an exercise's self-check.

    Attributes:
        passed: the answer is right.
        reasons: why not (empty when passed): :data:`NOT_ANSWERED`, ``wrong-type``, ``wrong-answer``,
            ``input-error``.
        message: a sentence for the learner: what is right, or a hint towards it.
    """

    passed: bool
    reasons: tuple[str, ...]
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{'correct' if self.passed else 'not yet'}: {self.message}"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))

    def _repr_html_(self) -> str:
        colour, mark, head = (
            (COLOURS["ok"], "✔", "correct") if self.passed else (COLOURS["warn"], "✎", "not yet")
        )
        return (
            f"<div style='border-left:4px solid {colour};padding:4px 10px'>"
            f"<b style='color:{colour}'>{mark} {head}</b>: {html.escape(self.message)}</div>"
        )


def _correct(message: str) -> SelfCheck:
    return SelfCheck(True, (), message)


def _not_yet(reason: str, message: str) -> SelfCheck:
    return SelfCheck(False, (reason,), message)


def _short(value: bytes) -> str:
    return value.hex()[:16] + "…"


def check_extend_order(order: object, target_hex: str, bank: str = "sha256") -> SelfCheck:
    """Does extending ``order`` (measurement names, as :func:`tlkit.tpm.extend_steps` takes them) into a
    fresh PCR give ``target_hex``?"""
    if order is None:
        return _not_yet(NOT_ANSWERED, "set my_order to a list of the four measurement names")
    if not isinstance(order, list | tuple) or not all(isinstance(m, str) for m in order):
        return _not_yet("wrong-type", "my_order must be a list of strings, e.g. ['firmware', 'shim', ...]")
    final = extend_steps(list(order), bank=bank).final
    if final.hex() == target_hex.lower():
        return _correct(f"{' → '.join(order)} reproduces the golden value {_short(final)}")
    return _not_yet(
        "wrong-answer",
        f"{' → '.join(order) or 'no measurement'} gives {_short(final)}, "
        f"the golden value is {target_hex[:16]}…: try another order",
    )


def check_pcr_value(log: EventLog, pcr: int, value: object, bank: str = "sha256") -> SelfCheck:
    """Is ``value`` what the log's events for ``pcr`` replay to in ``bank`` (tlkit's own replay)?"""
    if value is None:
        return _not_yet(NOT_ANSWERED, f"compute PCR {pcr} and put the bytes in the answer variable")
    want = log.replay(bank).get(pcr)
    if not isinstance(value, bytes | bytearray):
        kind = type(value).__name__
        return _not_yet("wrong-type", f"the answer must be bytes (e.g. hashlib's .digest()), not {kind}")
    if want is None:
        return _not_yet("wrong-answer", f"the log never extends PCR {pcr}")
    if bytes(value) == want:
        return _correct(f"PCR {pcr} ({bank}) = {_short(want)}, the same as tlkit's replay")
    hint = (
        f"{len(value)} bytes, a {bank} PCR has {len(want)}"
        if len(value) != len(want)
        else f"{_short(bytes(value))} differs from the replay: start from zeros, extend in log order"
    )
    return _not_yet("wrong-answer", hint)


def check_vm_fix(size: str | None, image: str | None, *, min_vcpus: int) -> SelfCheck:
    """Does ``check_vm(size, image)`` find the VM compatible with Trusted Launch, on a size with at
    least ``min_vcpus`` vCPUs?"""
    if size is None or image is None:
        return _not_yet(NOT_ANSWERED, "set my_size and my_image")
    try:
        report = check_vm(size, image)
        vcpus = parse_size(size).vcpus
    except TlkitError as e:
        return _not_yet("input-error", str(e))
    if vcpus is None or vcpus < min_vcpus:
        return _not_yet("wrong-answer", f"{size} has {vcpus} vCPUs; the workload needs {min_vcpus}")
    if report.compatible:
        return _correct(f"{size} with {image} can run Trusted Launch (snapshot {report.snapshot})")
    why = ", ".join(report.reasons) or "undetermined: " + ", ".join(report.undetermined)
    return _not_yet("wrong-answer", f"check_vm still says no ({why}); read the blockers' remediations")


def _pcr_set(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, list | tuple | set | frozenset):
        return None
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in value):
        return None
    return tuple(sorted(set(value)))


def check_scenario_effect(name: str, pcrs: object, boots: object, seed: int = 0) -> SelfCheck:
    """Are ``pcrs`` the PCRs that scenario ``name`` moves against the healthy boot (sha256, computed by
    booting both with :func:`tlkit.boot.run_scenario`), and is ``boots`` whether the VM boots?"""
    if pcrs is None or boots is None:
        return _not_yet(NOT_ANSWERED, "set my_pcrs (a list of PCR numbers) and my_boots (True or False)")
    answer = _pcr_set(pcrs)
    if answer is None or not isinstance(boots, bool):
        return _not_yet("wrong-type", "my_pcrs must be a list of ints, e.g. [0, 7], and my_boots a bool")
    try:
        result, healthy = run_scenario(name, seed), run_scenario("healthy-ubuntu-sb", seed)
    except TlkitError as e:
        return _not_yet("input-error", str(e))
    moved = result.pcrs_moved(healthy, "sha256")
    if answer == moved and boots == result.booted:
        return _correct(
            f"{name} moves PCRs {', '.join(map(str, moved)) or 'none'} and the VM "
            f"{'boots' if boots else 'does not boot'}"
        )
    hints = []
    if boots != result.booted:
        hints.append("look again at whether any refusal is fatal")
    if answer != moved:
        hints.append(
            f"{len(moved)} PCRs move; think of which PCRs hold boot-manager code, GRUB's "
            "commands and the files GRUB reads"
        )
    return _not_yet("wrong-answer", "; ".join(hints))


def check_alerted_vms(
    fleet: Fleet,
    vms: object,
    *,
    severity: str = "Medium",
    suppressions: Sequence[SuppressionRule] = DEFAULT_SUPPRESSIONS,
) -> SelfCheck:
    """Are ``vms`` the VMs of ``fleet`` with at least one shown (not suppressed) alert of ``severity``, as
    :func:`tlkit.defender.assess` finds them with ``suppressions``?"""
    if vms is None:
        return _not_yet(NOT_ANSWERED, "set my_vms to a set of VM names")
    if not isinstance(vms, list | tuple | set | frozenset) or not all(isinstance(v, str) for v in vms):
        return _not_yet("wrong-type", "my_vms must be a set of VM names (strings), e.g. {'web-win-01'}")
    try:
        findings = assess(fleet.vms, fleet.history, suppressions=suppressions)
    except TlkitError as e:
        return _not_yet("input-error", str(e))
    alerted = findings[
        (findings["kind"] == "alert") & (findings["severity"] == severity) & ~findings["suppressed"]
    ]
    want, answer = set(alerted["vm"]), set(vms)
    if answer == want:
        return _correct(f"{', '.join(sorted(want)) or 'no VM'}: a shown {severity} alert each")
    hints = []
    if answer - want:
        hints.append(f"{len(answer - want)} of yours have no shown {severity} alert")
    if want - answer:
        hints.append(f"{len(want - answer)} VM(s) are missing: which rules did you pass to assess?")
    return _not_yet("wrong-answer", "; ".join(hints))


def check_attestation_codes(case: str, codes: object, seed: int = 0) -> SelfCheck:
    """Are ``codes`` the failure codes the verifier gives for attestation lab case ``case``
    (:func:`tlkit.attest.run_case`; an empty list for a case that passes)?"""
    from tlkit.attest import run_case  # noqa: PLC0415 - the attestation stack loads only for this exercise

    if codes is None:
        return _not_yet(NOT_ANSWERED, "set my_codes to a list of reason codes (an empty list: it passes)")
    if not isinstance(codes, list | tuple | set) or not all(isinstance(c, str) for c in codes):
        return _not_yet("wrong-type", "my_codes must be a list of strings, e.g. ['secure-boot-disabled']")
    try:
        result = run_case(case, seed).result
    except TlkitError as e:
        return _not_yet("input-error", str(e))
    want = set(result.codes)
    if set(codes) == want:
        verdict = "passes" if result.passed else f"fails with {', '.join(sorted(want))}"
        return _correct(f"the verifier {verdict} for {case}")
    missing, extra = sorted(want - set(codes)), sorted(set(codes) - want)
    hint = []
    if missing:
        hint.append(f"{len(missing)} code(s) missing: which check runs on that part of the evidence?")
    if extra:
        hint.append(f"{', '.join(extra)} is not among them")
    return _not_yet("wrong-answer", "; ".join(hint))


def check_soc_alerts_per_day(spec: Any, alerts_per_day: object, *, tolerance: float = 0.01) -> SelfCheck:
    """Is ``alerts_per_day`` the number of shown (unsuppressed) alerts per day, averaged over the horizon,
    of fleet ``spec`` simulated in fast mode (:func:`tlkit.fleet._sweep.headline`), within ``tolerance``
    (relative)?"""
    from tlkit.fleet._fast import simulate_fast  # noqa: PLC0415 - the fleet loads only for this exercise
    from tlkit.fleet._sweep import headline  # noqa: PLC0415

    if alerts_per_day is None:
        return _not_yet(NOT_ANSWERED, "set my_alerts_per_day to a number")
    if isinstance(alerts_per_day, bool) or not isinstance(alerts_per_day, numbers.Real):
        kind = type(alerts_per_day).__name__
        return _not_yet("wrong-type", f"my_alerts_per_day must be a number, not {kind}")
    try:
        result = simulate_fast(spec)
    except TlkitError as e:
        return _not_yet("input-error", str(e))
    got = headline(result)
    want, answer = float(got["alerts_per_day"]), float(alerts_per_day)
    if abs(answer - want) <= tolerance * max(abs(want), 1.0):
        real = (
            "—"
            if got["false_positive_share"] != got["false_positive_share"]
            else (f"{100 * (1 - got['false_positive_share']):.0f}%")
        )
        return _correct(f"{want:.1f} alerts a day for the SOC; {real} of them real")
    a = result.alert_counts
    everything = float(a["alerts"].sum()) / spec.days
    hints = {
        "only the alerts the SOC sees: leave out the suppressed ones": everything,
        "that is the whole horizon's total: divide by the days": want * spec.days,
        "that is per 1,000 VM-days: the SOC needs the whole fleet's alerts per day": got[
            "alerts_per_1000_vm_days"
        ],
    }
    for hint, value in hints.items():
        if value != want and abs(answer - float(value)) <= tolerance * max(abs(float(value)), 1.0):
            return _not_yet("wrong-answer", hint)
    direction = "high" if answer > want else "low"
    return _not_yet(
        "wrong-answer", f"{answer:g} is too {direction}: sum the shown alerts, divide by the days"
    )
