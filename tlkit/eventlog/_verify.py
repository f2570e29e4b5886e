"""Verifying a firmware log against PCR values: replay, coverage, data and structure rules.

The rules and their reason codes are listed in one place, :mod:`tlkit.eventlog._policy`; this module
applies them (:func:`verify_log`, behind :meth:`EventLog.verify`) and explains a mismatched PCR
(:class:`Divergence`). It does not verify quotes (:func:`tlkit.attest.verify` does).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tlkit._result import Verdict
from tlkit.errors import DataError, VerificationError
from tlkit.eventlog._diff import diff_logs
from tlkit.eventlog._digestcheck import DERIVABLE_TYPES, WHOLE_DATA_TYPES, data_matches_digest, grub_text
from tlkit.eventlog._hashing import hasher
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._policy import PolicyViolation, check_policy
from tlkit.eventlog._quirks import KNOWN_QUIRKS, Quirk
from tlkit.eventlog._replay import ChainStep, chain_of, initial_pcr_value, log_bank, replay_bank, replay_pass
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.tpm import HashAlg

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Divergence",
    "PayloadMismatch",
    "ReplayResult",
    "normalise_pcrs",
    "payload_mismatches",
    "verify_log",
]

_IPL = int(EventType.EV_IPL)


@dataclass(frozen=True)
class Divergence:
    """Why one PCR does not replay to the expected value.

    Attributes:
        pcr: the PCR.
        expected: the value given (e.g. quoted).
        replayed: what the log replays to.
        last_event: index of the last event that extended the PCR (``None`` if none).
        first_divergent_event: the earliest event known to be wrong: from the reference log when one
            was given, else the event after which the chain stops matching the expected value when
            an intermediate value equals it; ``None`` when the log alone cannot tell.
        chain: every extend of this PCR, in order.
        explanation: a human sentence with the same facts.
    """

    pcr: int
    expected: bytes
    replayed: bytes
    last_event: int | None
    first_divergent_event: int | None
    chain: tuple[ChainStep, ...] = field(repr=False)
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "pcr": self.pcr,
            "expected": self.expected.hex(),
            "replayed": self.replayed.hex(),
            "last_event": self.last_event,
            "first_divergent_event": self.first_divergent_event,
            "explanation": self.explanation,
            "chain": [
                {
                    "index": s.index,
                    "type": s.type_name,
                    "description": s.description,
                    "digest": s.digest.hex(),
                    "value_after": s.value_after.hex(),
                }
                for s in self.chain
            ],
        }


@dataclass(frozen=True)
class PayloadMismatch:
    """An event on a checked PCR whose claimed digest is not the hash of its data, for a type where it
    must be (``tlkit.eventlog._policy``, rule "data vs digest"): the data is not what was measured,
    and the result fails.

    Attributes:
        index: event index.
        pcr: the PCR the event extends.
        type_name: its event type.
        bank: the bank whose digest was checked.
        fatal: always ``True``: every mismatch on a checked PCR fails the result (kept so that
            ``to_dict()`` readers of earlier versions still find it).
    """

    index: int
    pcr: int
    type_name: str
    bank: str
    fatal: bool = True


#: :attr:`ReplayResult.skipped_checks` code of the data-vs-digest check, and its wording.
PAYLOAD_CHECK = "payload-digest"
_SKIPPED = {PAYLOAD_CHECK: "event data against the digests derived from it (check_payloads=False)"}


@dataclass(frozen=True)
class ReplayResult(Verdict):
    """Outcome of :meth:`EventLog.verify` for one bank (the rules: :mod:`tlkit.eventlog._policy`).

    Attributes:
        passed: at least one given PCR is extended by the log and every given PCR is explained: it
            replays to the value (possibly thanks to a named quirk) or, with no event in the log, the
            value is its reset value; and no event on those PCRs breaks a rule of the policy (data
            that is not what its digest measured, a type the PFP does not allow there, PCR 7 out of
            order or without its SecureBoot variable). Nothing else decides it.
        reasons: machine-readable strings: ``pcr-mismatch:N``, ``pcr-not-covered:N``, ``no-pcr-covered``,
            ``payload-digest-mismatch:I``, ``event-type-not-allowed:I``, ``event-order-invalid:I``,
            ``event-data-undecodable:I``, ``secureboot-variable-missing`` (each fails the result) and
            ``quirk-applied:NAME:N`` (informational, present also when passed).
        bank: the bank replayed.
        matched: PCRs that replay to the given value.
        mismatched: PCRs that do not.
        not_covered: PCRs given whose value is not their :func:`initial_pcr_value` but that the log
            has no event for: the log does not explain what was quoted (``pcr-not-covered:N``, fails).
            Narrow what is checked with ``only=`` when a PCR belongs to another log (IMA's 10).
        at_reset: PCRs given with no event in the log and at their reset value (explained).
        unchecked: PCRs the log extends but that were not checked (no value given, or not in ``only``).
        quirks_applied: names of the quirks that made a PCR match.
        divergences: one :class:`Divergence` per mismatched PCR.
        replayed: the replayed values (after quirks) for every PCR the log covers.
        expected: the values that were checked.
        payload_mismatches: events on checked PCRs whose data is not what their digest hashed.
        violations: :class:`PolicyViolation` per event (or PCR) breaking a structural rule.
        log_fingerprint: :attr:`EventLog.fingerprint` of the log verified (binds the result to it:
            :meth:`EventLog.verified_events` refuses a result of another log).
        skipped_checks: checks the caller switched off (``"payload-digest"`` with
            ``check_payloads=False``): a pass says nothing about them.
    """

    passed: bool
    reasons: tuple[str, ...]
    bank: str
    matched: tuple[int, ...]
    mismatched: tuple[int, ...]
    not_covered: tuple[int, ...]
    unchecked: tuple[int, ...]
    quirks_applied: tuple[str, ...]
    divergences: tuple[Divergence, ...] = field(repr=False)
    replayed: Mapping[int, bytes] = field(repr=False, compare=False)
    expected: Mapping[int, bytes] = field(repr=False, compare=False)
    payload_mismatches: tuple[PayloadMismatch, ...] = ()
    at_reset: tuple[int, ...] = ()
    violations: tuple[PolicyViolation, ...] = ()
    log_fingerprint: str = ""
    skipped_checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # the one invariant the JSON must never break: a pass has no failing reason beside it
        if self.passed and any(not r.startswith("quirk-applied:") for r in self.reasons):
            raise VerificationError(f"a passing ReplayResult cannot carry failing reasons {self.reasons}")

    def explain(self) -> str:
        """Human-readable multi-line summary."""
        lines = [f"{self.bank}: {'PASS' if self.passed else 'FAIL'}; matched {list(self.matched)}"]
        if self.quirks_applied:
            lines.append(f"  quirks applied: {', '.join(self.quirks_applied)}")
        lines += [
            f"  PCR {p} is not at its reset value but the log has no event for it (not covered)"
            for p in self.not_covered
        ]
        lines += [f"  {d.explanation}" for d in self.divergences]
        lines += [
            f"  event {m.index} ({m.type_name}, PCR {m.pcr}): its {m.bank} digest is not the hash of its data"
            for m in self.payload_mismatches
        ]
        lines += [f"  {v.reason}: {v.detail}" for v in self.violations]
        lines += [f"  NOT CHECKED: {_SKIPPED[c]}" for c in self.skipped_checks]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "bank": self.bank,
            "matched": list(self.matched),
            "mismatched": list(self.mismatched),
            "not_covered": list(self.not_covered),
            "at_reset": list(self.at_reset),
            "unchecked": list(self.unchecked),
            "quirks_applied": list(self.quirks_applied),
            "divergences": [d.to_dict() for d in self.divergences],
            "payload_mismatches": [dict(m.__dict__) for m in self.payload_mismatches],
            "violations": [{**v.__dict__, "reason": v.reason} for v in self.violations],
            "log_fingerprint": self.log_fingerprint,
            "skipped_checks": list(self.skipped_checks),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per PCR: pcr, status (match/mismatch/not-covered/at-reset/unchecked), expected,
        replayed."""
        import pandas as pd  # noqa: PLC0415 - pandas is only needed for tables

        status = {
            **dict.fromkeys(self.unchecked, "unchecked"),
            **dict.fromkeys(self.at_reset, "at-reset"),
            **dict.fromkeys(self.not_covered, "not-covered"),
            **dict.fromkeys(self.mismatched, "mismatch"),
            **dict.fromkeys(self.matched, "match"),
        }
        rows = []
        for pcr in sorted(set(self.expected) | set(self.replayed)):
            e, r = self.expected.get(pcr), self.replayed.get(pcr)
            rows.append(
                {
                    "pcr": pcr,
                    "status": status.get(pcr, "unchecked"),
                    "expected": e.hex() if e else None,
                    "replayed": r.hex() if r else None,
                }
            )
        return pd.DataFrame(rows, columns=["pcr", "status", "expected", "replayed"])


def _to_bytes(v: object, pcr: int) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        try:
            return bytes.fromhex(v.removeprefix("0x"))
        except ValueError:
            raise DataError(f"PCR {pcr} value is not hex", record=pcr) from None
    raise DataError(f"PCR {pcr} value must be bytes or hex, not {type(v).__name__}", record=pcr)


def _bank_table(pcrs: object, bank: str) -> Mapping[Any, Any]:
    as_dict = getattr(pcrs, "as_dict", None)
    if callable(as_dict):
        pcrs = as_dict()
    if not isinstance(pcrs, Mapping):
        raise DataError(f"PCR values must be a mapping, not {type(pcrs).__name__}", field="pcrs")
    if pcrs and all(isinstance(k, str) and not k.isdigit() for k in pcrs):
        sub = pcrs.get(bank)
        if sub is None:
            raise DataError(f"no {bank} values among the given banks {sorted(pcrs)}", field="pcrs")
        if not isinstance(sub, Mapping):
            raise DataError("PCR values must be a mapping", field="pcrs")
        return sub
    return pcrs


def normalise_pcrs(pcrs: object, bank: str) -> dict[int, bytes]:
    """Accept ``{pcr: bytes|hex}``, ``{bank: {pcr: ...}}`` or a ``PcrValues``-like object."""
    out = {}
    for k, v in _bank_table(pcrs, bank).items():
        try:
            pcr = int(k)
        except (TypeError, ValueError):
            raise DataError(f"PCR index {k!r} is not an integer", field="pcrs") from None
        out[pcr] = _to_bytes(v, pcr)
    return out


def _given(pcrs: object, alg: HashAlg, only: Iterable[int] | None) -> dict[int, bytes]:
    """The values to check: ``pcrs`` for the bank, narrowed to ``only`` (each of which must be given)."""
    expected = normalise_pcrs(pcrs, alg.name)
    for p, v in expected.items():
        if len(v) != alg.digest_size:
            raise DataError(f"PCR {p} value has {len(v)} bytes; {alg.name} needs {alg.digest_size}", record=p)
    if only is None:
        return expected
    wanted = sorted(set(only))
    missing = [p for p in wanted if p not in expected]
    if missing:
        raise DataError(
            f"PCRs {missing} were asked about (only=) but no {alg.name} value was given", field="only"
        )
    return {p: expected[p] for p in wanted}


# ------------------------------------------------------------------------------ explaining a mismatch
def _against_reference(log: LogData, reference: LogData, alg: HashAlg, pcr: int) -> tuple[int | None, str]:
    for pd_ in diff_logs(log, reference, alg.name).differences:
        if pd_.pcr == pcr:
            return pd_.index, f"Against the reference log: {pd_.explanation}"
    return None, "The reference log extends this PCR with the same digests."


def _from_chain(start: bytes, chain: tuple[ChainStep, ...], expected: bytes) -> tuple[int | None, str | None]:
    if expected == start:
        first = chain[0].index if chain else None
        return first, "The expected value is the PCR's initial value: nothing should have been extended."
    for k, s in enumerate(chain[:-1]):
        if s.value_after == expected:
            first = chain[k + 1].index
            return first, (
                f"The expected value equals the value after event {s.index}: events from {first} on "
                "were logged but not extended (or the PCR was read earlier)."
            )
    return None, None


def _locality_hint(log: LogData, alg: HashAlg, expected: bytes) -> str | None:
    for loc in (0, 1, 2, 3, 4):
        v = replay_pass(log.records, alg, log, loc)[0].get(0)
        if v == expected and loc != log.locality:
            return f"PCR0 would match with startup locality {loc} (a missing or wrong locality event)."
    return None


def _explain(
    log: LogData, alg: HashAlg, pcr: int, values: tuple[bytes, bytes], reference: LogData | None
) -> Divergence:
    expected, replayed = values
    start, chain = chain_of(log, alg, pcr)
    last = chain[-1] if chain else None
    first: int | None = None
    parts = [f"PCR {pcr} ({alg.name}) replays to {replayed.hex()} but {expected.hex()} was expected."]
    if last is not None:
        parts.append(
            f"The last of its {len(chain)} extends is event {last.index} {last.type_name} "
            f"({last.description!r}) claiming {last.digest.hex()}."
        )
    if reference is not None:
        first, text = _against_reference(log, reference, alg, pcr)
        parts.append(text)
    if first is None:
        first, found = _from_chain(start, chain, expected)
        parts += [found] if found else []
    hint = _locality_hint(log, alg, expected) if first is None and pcr == 0 else None
    parts += [hint] if hint else []
    if first is None and reference is None:
        parts.append(
            "A hash chain cannot say which event is wrong; compare with a known-good log (reference=)."
        )
    return Divergence(pcr, expected, replayed, last.index if last else None, first, chain, " ".join(parts))


# ------------------------------------------------------------------------------------ the rules
@dataclass
class _Coverage:
    """Each given PCR sorted by the replay and coverage rules (``_policy`` table rows 1–3)."""

    matched: list[int] = field(default_factory=list)
    mismatched: list[int] = field(default_factory=list)
    not_covered: list[int] = field(default_factory=list)
    at_reset: list[int] = field(default_factory=list)


def _cover(
    expected: Mapping[int, bytes], replayed: Mapping[int, bytes], alg: HashAlg, locality: int
) -> _Coverage:
    """Rules "replayed digest" and "coverage": compare each given PCR with the log's replay."""
    c = _Coverage()
    for pcr in sorted(expected):
        if pcr in replayed:
            (c.matched if replayed[pcr] == expected[pcr] else c.mismatched).append(pcr)
        elif expected[pcr] == initial_pcr_value(pcr, alg.digest_size, locality):
            c.at_reset.append(pcr)
        else:
            c.not_covered.append(pcr)
    return c


def _apply_quirks(
    log: LogData,
    alg: HashAlg,
    expected: Mapping[int, bytes],
    cover: _Coverage,
    quirks: Sequence[Quirk],
) -> tuple[dict[int, bytes], list[str], list[str]]:
    """Rule "quirk": try each quirk on the mismatched PCRs it concerns; a PCR it fixes moves to
    ``matched``. Returns the replay values after quirks, the quirk names used and their reasons."""
    final: dict[int, bytes] = {}
    applied: list[str] = []
    reasons: list[str] = []
    for q in quirks:
        targets = [p for p in cover.mismatched if p in q.pcrs]
        fixed = q.apply(log) if targets else None
        if fixed is None:
            continue
        again = replay_bank(fixed, alg)
        for p in (p for p in targets if again.get(p) == expected[p]):
            cover.mismatched.remove(p)
            cover.matched.append(p)
            final[p] = again[p]
            applied += [] if q.name in applied else [q.name]
            reasons.append(f"quirk-applied:{q.name}:{p}")
    cover.matched.sort()
    return final, applied, reasons


def payload_mismatches(log: LogData, alg: HashAlg, checked: Collection[int]) -> tuple[PayloadMismatch, ...]:
    """Rule "data vs digest": every event on a ``checked`` PCR whose ``alg`` digest should be, and is
    not, the hash of its data (module ``_digestcheck``); each fails the result."""
    if not alg.available:
        return ()
    digs = log.bank_digests(alg.alg_id)
    new = hasher(alg)
    out = []
    for i, r in enumerate(log.records):
        d = digs[i]
        if r.event_type not in DERIVABLE_TYPES or d is None or r.pcr not in checked:
            continue
        if r.event_type in WHOLE_DATA_TYPES:
            if new(r.data).digest() == d:  # inlined: the common case
                continue
        elif _grub_fast(r.event_type, r.pcr, r.data, d, new):
            continue
        if data_matches_digest(r.event_type, r.pcr, r.data, d, alg) is False:
            out.append(PayloadMismatch(i, r.pcr, event_type_name(r.event_type), alg.name))
    return tuple(out)


def _grub_fast(typ: int, pcr: int, data: bytes, d: bytes, new: Any) -> bool:
    """GRUB's usual form (the text after the first space, no NUL): the other forms via
    ``data_matches_digest``."""
    if typ != _IPL or pcr != 8:
        return False
    text = grub_text(data)
    return text is not None and new(text).digest() == d


def _reasons(
    cover: _Coverage,
    payload: Sequence[PayloadMismatch],
    violations: Sequence[PolicyViolation],
    quirk_reasons: Sequence[str],
) -> tuple[str, ...]:
    reasons = (
        [f"pcr-mismatch:{p}" for p in cover.mismatched]
        + [f"pcr-not-covered:{p}" for p in cover.not_covered]
        + [f"payload-digest-mismatch:{m.index}" for m in payload]
        + [v.reason for v in violations]
        + list(quirk_reasons)
    )
    if not cover.matched and not cover.mismatched and not cover.not_covered:
        reasons.insert(0, "no-pcr-covered")
    return tuple(reasons)


def verify_log(
    log: LogData,
    pcrs: object,
    bank: str | HashAlg | None = None,
    *,
    reference: LogData | None = None,
    quirks: Sequence[Quirk] | None = None,
    check_payloads: bool = True,
    only: Iterable[int] | None = None,
) -> ReplayResult:
    """See :meth:`EventLog.verify` (the rules: :mod:`tlkit.eventlog._policy`)."""
    alg = log_bank(log, bank)
    expected = _given(pcrs, alg, only)
    replayed = replay_bank(log, alg)
    cover = _cover(expected, replayed, alg, log.locality)
    fixed, applied, quirk_reasons = _apply_quirks(
        log, alg, expected, cover, KNOWN_QUIRKS if quirks is None else quirks
    )
    checked = {*cover.matched, *cover.mismatched}
    payload = payload_mismatches(log, alg, checked) if check_payloads else ()
    violations = check_policy(log, checked)
    reasons = _reasons(cover, payload, violations, quirk_reasons)
    passed = bool(cover.matched) and not (cover.mismatched or cover.not_covered or payload or violations)
    return ReplayResult(
        passed=passed,
        reasons=reasons,
        bank=alg.name,
        matched=tuple(cover.matched),
        mismatched=tuple(cover.mismatched),
        not_covered=tuple(cover.not_covered),
        unchecked=tuple(p for p in replayed if p not in expected),
        quirks_applied=tuple(applied),
        divergences=tuple(
            _explain(log, alg, p, (expected[p], replayed[p]), reference) for p in cover.mismatched
        ),
        replayed={**replayed, **fixed},
        expected=expected,
        payload_mismatches=payload,
        at_reset=tuple(cover.at_reset),
        violations=violations,
        log_fingerprint=log.fingerprint,
        skipped_checks=() if check_payloads else (PAYLOAD_CHECK,),
    )
