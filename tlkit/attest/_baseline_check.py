"""Check verified evidence against a :class:`~tlkit.attest._baseline.Baseline`: :func:`check_baseline`.

Only the evidence given is judged, and the caller gives only what it verified: PCR values from a
quote whose signature and digest verified, and the events of a log that replayed to them
(:meth:`tlkit.eventlog.EventLog.verified_events`). Each rule of :data:`RULES` is one small function;
a rule runs when its evidence and the baseline's data are there, and the result names the parts that
ran (:attr:`BaselineCheck.checked`). A check where no rule could run does not pass
(``baseline-deviation:nothing-checked``).

Each part, when it runs, and its deviation codes (all prefixed ``baseline-deviation:``):

* ``events`` — events given and the baseline judges events on some PCR. ``pcrN:unknown-<kind>``: a
  digest not in the allowed list of its PCR and kind (e.g. ``pcr4:unknown-application``);
  ``pcrN:not-evidenced``: no verified event on a PCR the baseline lists digests for.
* ``golden-pcrs`` — PCRs given and golden values of the bank for PCRs the events rule does not judge
  (all of them with no log). ``pcrN:golden-mismatch``, ``pcrN:not-quoted``.
* ``secure-boot`` — the baseline requires Secure Boot. ``pcr7:secure-boot-disabled`` (the verified
  log says off); ``pcr7:secure-boot-unknown`` (no verified SecureBoot variable, a PCR 7 anomaly, or
  without a log: PCR 7 is not the baseline's known Secure-Boot-on value).
* ``secure-boot-keys`` — events on PCR 7 given and the baseline lists keys.
  ``pcr7:<db>-key-not-allowed`` (a PK/KEK/db entry not in the baseline), ``pcr7:dbx-entry-missing``
  (an older dbx), ``pcr7:<db>-not-logged``.

Without a log (``events=None``, the Azure Trusted Launch shape) only golden PCRs are compared, and
Secure Boot only as "PCR 7 is the known Secure-Boot-on value": the result says ``log: "absent"`` and
never claims what only a log shows (which application, which command line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tlkit._result import Verdict
from tlkit.attest._baseline import Baseline, SignatureEntry
from tlkit.attest._kinds import event_kind, kind_expectation
from tlkit.errors import DataError
from tlkit.eventlog import Event, EventLog, EventType, SecureBootState, secure_boot_state
from tlkit.tpm import hash_alg

__all__ = ["RULES", "BaselineCheck", "Deviation", "Rule", "check_baseline", "golden_secure_boot"]

PREFIX = "baseline-deviation"
_NO_ACTION = int(EventType.EV_NO_ACTION)


@dataclass(frozen=True)
class Deviation:
    """One way the evidence differs from the baseline.

    Attributes:
        code: machine-readable, e.g. ``"baseline-deviation:pcr4:unknown-application"``.
        pcr: the PCR (``None`` for the whole check).
        expected: what the baseline expected, e.g. ``"EFI application (...) Authenticode digest in
            the allowed list"``.
        detail: what was found instead.
        index, event_type, description, digest: the event, when there is one (digest in hex).
    """

    code: str
    pcr: int | None
    expected: str
    detail: str
    index: int | None = None
    event_type: str | None = None
    description: str | None = None
    digest: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "pcr": self.pcr,
            "expected": self.expected,
            "detail": self.detail,
            "index": self.index,
            "event_type": self.event_type,
            "description": self.description,
            "digest": self.digest,
        }


@dataclass(frozen=True)
class BaselineCheck(Verdict):
    """The outcome of :func:`check_baseline`.

    Attributes:
        baseline: the baseline's name.
        bank: the bank judged.
        checked: the parts that ran (``events``, ``golden-pcrs``, ``secure-boot``, ``secure-boot-keys``).
        log: ``"present"`` (events were given) or ``"absent"``.
        deviations: every deviation, in rule order.
    """

    baseline: str
    bank: str
    checked: tuple[str, ...]
    log: str
    deviations: tuple[Deviation, ...] = ()

    @property
    def passed(self) -> bool:
        return bool(self.checked) and not self.deviations

    @property
    def reasons(self) -> tuple[str, ...]:
        """The deviation codes, each once, in order."""
        return tuple(dict.fromkeys(d.code for d in self.deviations))

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "baseline": self.baseline,
            "bank": self.bank,
            "log": self.log,
            "checked": list(self.checked),
            "reasons": list(self.reasons),
            "deviations": [d.to_dict() for d in self.deviations],
        }


# ------------------------------------------------------------------------------------ evidence
@dataclass(frozen=True)
class _Evidence:
    """What a rule may look at: the baseline, and the verified PCRs and events."""

    baseline: Baseline
    bank: str
    pcrs: Mapping[int, bytes] | None
    events: tuple[Event, ...] | None
    by_pcr: Mapping[int, tuple[Event, ...]] = field(default_factory=dict)

    @cached_property
    def secure_boot(self) -> SecureBootState:
        """Secure Boot as the verified events show it (event indices in notes are the log's)."""
        events = self.by_pcr.get(7, ())  # PCR 7 is all the state and the keys are read from
        log = EventLog.from_events(events, format="sha1")
        # the same Event objects (their decoded payloads are cached, and their indices are the log's)
        log.__dict__["events"] = events
        return secure_boot_state(log)

    @property
    def golden(self) -> Mapping[int, bytes]:
        """The golden values the ``golden-pcrs`` rule compares: of the bank, on PCRs the events rule
        does not judge (every golden PCR when there is no log)."""
        values = self.baseline.golden_pcrs.get(self.bank, {})
        if self.events is None:
            return values
        judged = self.baseline.event_pcrs
        return {p: v for p, v in values.items() if p not in judged}


def _dev(
    pcr: int | None,
    what: str,
    expected: str,
    detail: str,
    e: Event | None = None,
    *,
    bank: str = "",
    description: str | None = None,
) -> Deviation:
    code = f"{PREFIX}:pcr{pcr}:{what}" if pcr is not None else f"{PREFIX}:{what}"
    if e is None:
        return Deviation(code, pcr, expected, detail)
    d = e.digest(bank)
    return Deviation(code, pcr, expected, detail, e.index, e.type_name, description, d.hex() if d else None)


def _described(ev: _Evidence, e: Event) -> str:
    """The event's description; for an EFI application with no device path (a kernel GRUB loads
    from memory, as in real shim + GRUB logs), also the file GRUB read just before it on PCR 9."""
    text = e.description
    if event_kind(e) != "application" or not text.startswith("image at "):
        return text
    read = [x for x in ev.by_pcr.get(9, ()) if x.index < e.index and event_kind(x) in _FILE_KINDS]
    return f"{text}, loaded after the boot loader read {read[-1].description}" if read else text


_FILE_KINDS = ("kernel-file", "initrd-file", "file")


def _slug(kind: str) -> str:
    return kind.lower().replace("_", "-")


# ------------------------------------------------------------------------------------ the rules
def events_allowed(ev: _Evidence) -> Iterable[Deviation]:
    """Rule: every verified event on a PCR the baseline judges has an allowed digest for its kind."""
    b = ev.baseline
    for pcr, events in ev.by_pcr.items():
        if pcr not in b.event_pcrs:
            continue
        for e in events:
            kind = event_kind(e)
            digest = e.digest(ev.bank)
            if not b.allows(pcr, kind, digest):
                shown = digest.hex()[:16] + "…" if digest else f"no {ev.bank} digest"
                detail = f"{kind} digest {shown} not in the allowed list of PCR {pcr}"
                text = _described(ev, e)
                yield _dev(
                    pcr, f"unknown-{_slug(kind)}", kind_expectation(kind), f"{text}: {detail}", e,
                    bank=ev.bank, description=text,
                )  # fmt: skip


def events_present(ev: _Evidence) -> Iterable[Deviation]:
    """Rule: a PCR the baseline lists allowed digests for has verified events (else what it allows
    was not shown: a PCR the quote or the log does not cover)."""
    for pcr in sorted(ev.baseline.allowed):
        if not ev.by_pcr.get(pcr):
            yield _dev(
                pcr, "not-evidenced", f"verified events on PCR {pcr}", f"no verified event on PCR {pcr}"
            )


def golden_pcrs(ev: _Evidence) -> Iterable[Deviation]:
    """Rule: each golden PCR (:attr:`_Evidence.golden`) is quoted, with the golden value."""
    quoted = ev.pcrs or {}
    for pcr, value in sorted(ev.golden.items()):
        got = quoted.get(pcr)
        expected = f"{ev.bank} PCR {pcr} = {value.hex()}"
        if got is None:
            yield _dev(pcr, "not-quoted", expected, f"PCR {pcr} is not among the quoted PCRs")
        elif got != value:
            yield _dev(pcr, "golden-mismatch", expected, f"{ev.bank} PCR {pcr} = {got.hex()}")


_SB_EXPECTED = "Secure Boot on"


def secure_boot(ev: _Evidence) -> Iterable[Deviation]:
    """Rule: Secure Boot is on — from the verified PCR 7 events when there are any, else PCR 7 is
    the baseline's golden (known Secure-Boot-on) value."""
    if ev.by_pcr.get(7):
        state = ev.secure_boot
        if state.anomalies:
            yield _dev(
                7, "secure-boot-unknown", _SB_EXPECTED, "PCR 7 anomalies: " + ", ".join(state.anomalies)
            )
        elif state.enabled is False:
            yield _dev(7, "secure-boot-disabled", _SB_EXPECTED, "the verified SecureBoot variable is 0 (off)")
        elif state.enabled is None:
            yield _dev(7, "secure-boot-unknown", _SB_EXPECTED, "no verified SecureBoot variable with a value")
        return
    known = ev.baseline.golden_pcrs.get(ev.bank, {}).get(7)
    on, why = golden_secure_boot(ev.baseline, {ev.bank: ev.pcrs or {}})
    if not on:
        expected = _SB_EXPECTED if known is None else f"{_SB_EXPECTED}: PCR 7 = {known.hex()}"
        yield _dev(7, "secure-boot-unknown", expected, f"no log for PCR 7: {why}")


def golden_secure_boot(
    baseline: Baseline | None, pcrs: Mapping[str, Mapping[int, bytes]]
) -> tuple[bool | None, str]:
    """Secure Boot without a log: ``True`` when a quoted PCR 7 equals the baseline's golden value (the
    known Secure-Boot-on value of a known-good boot), else ``None`` (unknown) with why. The one place
    this is judged: the baseline's ``secure-boot`` rule and the verifier's ``secure-boot`` check use it."""
    golden = baseline.golden_pcrs if baseline is not None else {}
    for bank, values in golden.items():
        got = pcrs.get(str(bank), {}).get(7)
        if 7 in values and got is not None:
            if got == values[7]:
                return True, f"the quoted {bank} PCR 7 equals the baseline's known Secure-Boot-on value"
            return (
                None,
                f"the quoted {bank} PCR 7 ({got.hex()[:16]}…) is not the baseline's Secure-Boot-on value",
            )
    return (
        None,
        "no quoted PCR 7 with a baseline Secure-Boot-on value: nothing shows whether Secure Boot was on",
    )


def _logged(state: SecureBootState, name: str) -> set[SignatureEntry] | None:
    db = getattr(state, name)
    if db is None:
        return None
    return {SignatureEntry(o, d) for sl in db.lists for o, d in sl.entries}


def secure_boot_keys(ev: _Evidence) -> Iterable[Deviation]:
    """Rule (keylime's example policy): every logged PK, KEK and db entry is one the baseline lists;
    the logged dbx holds every entry the baseline's dbx lists (a newer dbx may hold more)."""
    state = ev.secure_boot
    for name in ("pk", "kek", "db", "dbx"):
        listed = set(ev.baseline.signatures.get(name, ()))
        if not listed and name not in ev.baseline.signatures:
            continue
        logged = _logged(state, name)
        if logged is None:
            yield _dev(
                7, f"{name}-not-logged", f"the {name} variable on PCR 7", f"no verified {name} variable"
            )
        elif name == "dbx" and listed - logged:
            missing = len(listed - logged)
            yield _dev(
                7, "dbx-entry-missing", "every dbx entry of the baseline", f"{missing} not in the logged dbx"
            )
        elif name != "dbx" and logged - listed:
            extra = len(logged - listed)
            yield _dev(7, f"{name}-key-not-allowed", f"{name} entries of the baseline", f"{extra} not in it")


@dataclass(frozen=True)
class Rule:
    """One part of the check: its name (in :attr:`BaselineCheck.checked`), when it runs, and its
    functions (each yields deviations)."""

    part: str
    runs: Callable[[_Evidence], bool]
    checks: tuple[Callable[[_Evidence], Iterable[Deviation]], ...]


RULES: tuple[Rule, ...] = (
    Rule(
        "events",
        lambda ev: ev.events is not None and bool(ev.baseline.event_pcrs),
        (events_allowed, events_present),
    ),
    Rule("golden-pcrs", lambda ev: ev.pcrs is not None and bool(ev.golden), (golden_pcrs,)),
    Rule("secure-boot", lambda ev: ev.baseline.require_secure_boot, (secure_boot,)),
    Rule(
        "secure-boot-keys",
        lambda ev: bool(ev.baseline.signatures) and bool(ev.by_pcr.get(7)),
        (secure_boot_keys,),
    ),
)
"""The parts of the check, in order (module table)."""


# ------------------------------------------------------------------------------------ the check
def _check_pcrs(pcrs: object, bank: str) -> dict[int, bytes] | None:
    if pcrs is None:
        return None
    if not isinstance(pcrs, Mapping):
        raise DataError("pcrs must be a mapping {pcr: value}", field="pcrs")
    size = hash_alg(bank).digest_size
    for p, v in pcrs.items():
        if isinstance(p, bool) or not isinstance(p, int) or not isinstance(v, bytes) or len(v) != size:
            raise DataError(f"PCR {p!r}: expected an int and a {size}-byte {bank} value", field="pcrs")
    return dict(pcrs)


def check_baseline(
    baseline: Baseline,
    *,
    pcrs: Mapping[int, bytes] | None,
    events: Sequence[Event] | None,
    bank: str = "sha256",
) -> BaselineCheck:
    """Judge verified evidence against ``baseline`` (the module table lists every rule).

    Args:
        baseline: the reference state.
        pcrs: quote-verified ``{pcr: value}`` of ``bank`` (``None``: no quote to compare).
        events: the verified events of a log that replayed to those PCRs (``None``: no log, the
            Azure Trusted Launch shape; then only golden PCRs, and Secure Boot through PCR 7).
        bank: the bank of ``pcrs`` and of the replay that verified ``events``.

    Raises:
        DataError: malformed ``pcrs``, events that are not :class:`~tlkit.eventlog.Event`, or events
            judged in a bank other than the baseline's (its allowed digests are of that bank).
    """
    quoted = _check_pcrs(pcrs, bank)
    evs = None if events is None else tuple(events)
    if evs is not None and any(not isinstance(e, Event) for e in evs):
        raise DataError(
            "events must be tlkit.eventlog.Event objects (verified events of a log)", field="events"
        )
    if evs is not None and baseline.event_pcrs and bank != baseline.bank:
        raise DataError(
            f"the baseline's event digests are {baseline.bank}; events verified in {bank} cannot be judged",
            field="bank",
        )
    by_pcr: dict[int, list[Event]] = {}
    for e in evs or ():
        if e.event_type != _NO_ACTION:
            by_pcr.setdefault(e.pcr, []).append(e)
    ev = _Evidence(baseline, bank, quoted, evs, {p: tuple(es) for p, es in by_pcr.items()})
    ran = [r for r in RULES if r.runs(ev)]
    deviations = [d for r in ran for check in r.checks for d in check(ev)]
    if not ran:
        nothing = "no part of the baseline applies to the evidence given"
        deviations.append(_dev(None, "nothing-checked", "evidence the baseline can judge", nothing))
    return BaselineCheck(
        baseline.name,
        bank,
        tuple(r.part for r in ran),
        "absent" if evs is None else "present",
        tuple(deviations),
    )
