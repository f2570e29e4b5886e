"""Replaying a firmware log into PCR values, verifying it against PCRs, and comparing two logs.

Replay rules (TCG PC Client PFP 1.06, 3.3.4 "PCR usage" and 10.4.5 "EV_NO_ACTION"; TPM 2.0 Part 1,
17 "PCR" for the extend operation ``new = H(old || digest)``):

* EV_NO_ACTION events are never extended (all of them, not only the Spec ID header);
* PCR0 starts at ``0…0L`` where L is the StartupLocality event's locality, or at ``0…04`` when the log
  has an EV_EFI_HCRTM_EVENT (H-CRTM measured at locality 4);
* PCRs 17–22 (DRTM) start at ``ff…ff``; every other PCR starts at zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.eventlog._digestcheck import (
    DERIVABLE_TYPES,
    INTERPRETED_TYPES,
    WHOLE_DATA_TYPES,
    data_matches_digest,
    grub_text,
)
from tlkit.eventlog._payloads import STARTUP_LOCALITY_SIGNATURE, hashable_alg
from tlkit.eventlog._quirks import KNOWN_QUIRKS, Quirk
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.tpm._alg import HashAlg, hash_alg

if TYPE_CHECKING:
    import pandas as pd

    from tlkit.eventlog._model import EventLog

__all__ = [
    "FIRMWARE_PCRS",
    "ChainStep",
    "Divergence",
    "LogDiff",
    "PayloadMismatch",
    "PcrDifference",
    "ReplayResult",
    "diff_logs",
    "initial_pcr_value",
    "prefix_replays",
    "replay_all",
    "replay_bank",
    "replay_trace",
    "verify_log",
]

FIRMWARE_PCRS: tuple[int, ...] = tuple(range(8))
"""PCRs 0–7, which PC Client firmware extends and logs (PFP 1.06, 3.3.4): by default a verification
fails when one of them holds an extended value but the log has no event for it."""

_NO_ACTION = int(EventType.EV_NO_ACTION)
_HCRTM = int(EventType.EV_EFI_HCRTM_EVENT)


def initial_pcr_value(pcr: int, size: int, locality: int = 0) -> bytes:
    """The value of a PCR after TPM2_Startup (PC Client PTP: 17–22 are ff…ff, PCR0 ends in L)."""
    if 17 <= pcr <= 22:
        return b"\xff" * size
    if pcr == 0 and locality:
        return b"\x00" * (size - 1) + bytes((locality,))
    return b"\x00" * size


def _locality(log: EventLog) -> int:
    if log.has_hcrtm:
        return 4
    return log.startup_locality or 0


def _bank(log: EventLog, bank: str | HashAlg) -> HashAlg:
    alg = hash_alg(bank)
    if alg.alg_id not in {a.alg_id for a in log.algorithms}:
        raise DataError(
            f"the log has no {alg.name} digests (its banks: {', '.join(log.banks)})", field="bank"
        )
    return alg


def replay_bank(log: EventLog, bank: str | HashAlg, *, upto: int | None = None) -> dict[int, bytes]:
    """``{pcr: value}`` for every PCR the log extends (module rules); ``upto`` stops before that index."""
    alg = _bank(log, bank)
    pcrs = _run(log._recs if upto is None else log._recs[:upto], alg, log.algorithms, None)
    return dict(sorted(pcrs.items()))


Step = tuple[int, int, bytes, bytes]
"""One extend as ``_replay_pass`` records it: (record index, PCR, digest, PCR value after it)."""


def _run(
    recs: Sequence[Any], alg: HashAlg, algorithms: Sequence[Any], steps: list[Step] | None
) -> dict[int, bytes]:
    """The replay: :func:`_replay_pass`, run again with the final locality when a StartupLocality /
    H-CRTM record comes after the first PCR0 extend. The one implementation behind
    :func:`replay_bank`, :func:`replay_trace` and :func:`prefix_replays`."""
    pcrs, used, final = _replay_pass(recs, alg, algorithms, None, steps)
    if used is not None and used != final:
        if steps is not None:
            steps.clear()
        pcrs, _, _ = _replay_pass(recs, alg, algorithms, final, steps)
    return pcrs


def _replay_pass(
    recs: Sequence[Any],
    alg: HashAlg,
    algorithms: Sequence[Any],
    force_loc: int | None,
    steps: list[Step] | None = None,
) -> tuple[dict[int, bytes], int | None, int]:
    """One pass over the records; returns the PCRs, the locality PCR0 was started with and the
    locality the whole log implies (H-CRTM: 4, else the first StartupLocality, else 0).

    The locality is learnt on the way (StartupLocality EV_NO_ACTION, EV_EFI_HCRTM_EVENT) unless
    ``force_loc`` is given. With ``steps``, every extend is appended to it as a :data:`Step`.
    """
    new = alg._ctor()  # the hashlib constructor itself: one call per extend
    aid = alg.alg_id
    k2 = next((2 * k for k, a in enumerate(algorithms) if a.alg_id == aid), 0)
    size = alg.digest_size
    loc = 0 if force_loc is None else force_loc
    seen_loc = force_loc is not None
    hcrtm = False
    used: int | None = None
    pcrs: dict[int, bytes] = {}
    get = pcrs.get
    k21 = k2 + 1
    no_action, hcrtm_type = _NO_ACTION, _HCRTM
    for i, (_, pcr, typ, flat, data) in enumerate(recs):
        if typ == no_action:
            if not seen_loc and pcr == 0 and len(data) == 17 and data[:16] == STARTUP_LOCALITY_SIGNATURE:
                loc = data[16]
                seen_loc = True
            continue
        if typ == hcrtm_type and force_loc is None:
            hcrtm = True
        try:
            d = flat[k21] if flat[k2] == aid else None
        except IndexError:
            d = None
        if d is None:
            d = next((flat[k + 1] for k in range(0, len(flat), 2) if flat[k] == aid), None)
            if d is None:
                raise DataError(f"event {i} has no {alg.name} digest; the bank cannot be replayed", record=i)
        cur = get(pcr)
        if cur is None:
            start = 4 if hcrtm else loc
            if pcr == 0:
                used = start
            cur = initial_pcr_value(pcr, size, start)
        value = pcrs[pcr] = new(cur + d).digest()
        if steps is not None:
            steps.append((i, pcr, d, value))
    return pcrs, used, 4 if hcrtm else loc


def _complete(log: EventLog, alg_id: int) -> bool:
    """True when every extending event carries a digest for the algorithm."""
    digs = log._bank_digests(alg_id)
    return all(d is not None or r[2] == _NO_ACTION for r, d in zip(log._recs, digs, strict=True))


def replay_all(log: EventLog) -> dict[str, dict[int, bytes]]:
    """``{bank: {pcr: value}}`` for every bank of the log that this Python can hash and that every
    extending event carries (a header may announce banks the events omit)."""
    return {
        a.bank: replay_bank(log, a.bank)
        for a in log.algorithms
        if hashable_alg(a.alg_id) and _complete(log, a.alg_id)
    }


@dataclass(frozen=True)
class ChainStep:
    """One extend of a PCR during replay: event index, PCR, type, claimed digest, PCR value after it."""

    index: int
    pcr: int
    type_name: str
    description: str
    digest: bytes
    value_after: bytes


def _chain(log: EventLog, alg: HashAlg, pcr: int) -> tuple[bytes, tuple[ChainStep, ...]]:
    start = initial_pcr_value(pcr, alg.digest_size, _locality(log))
    return start, tuple(s for s in replay_trace(log, alg) if s.pcr == pcr)


def _steps(log: EventLog, alg: HashAlg) -> list[Step]:
    steps: list[Step] = []
    _run(log._recs, alg, log.algorithms, steps)
    return steps


def replay_trace(log: EventLog, bank: str | HashAlg) -> tuple[ChainStep, ...]:
    """Every extend of the replay in log order, with the PCR value after it (see the module rules)."""
    alg = _bank(log, bank)
    out = []
    for i, pcr, d, value in _steps(log, alg):
        e = log[i]
        out.append(ChainStep(i, pcr, e.type_name, e.description, d, value))
    return tuple(out)


def prefix_replays(log: EventLog, bank: str | HashAlg) -> list[dict[int, bytes]]:
    """``out[i]`` is ``{pcr: value}`` after events ``0..i`` (one replay pass, linear in the log;
    ``out[-1] == replay_bank(log, bank)`` up to key order). Consecutive entries may share one dict:
    treat them as read-only."""
    alg = _bank(log, bank)
    after = {i: (pcr, value) for i, pcr, _, value in _steps(log, alg)}
    state: dict[int, bytes] = {}
    out: list[dict[int, bytes]] = []
    for i in range(len(log)):
        step = after.get(i)
        if step is not None:
            state = {**state, step[0]: step[1]}
        out.append(state)
    return out


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
    """An event whose claimed digest is not the hash of its data, for a type where it must be.

    Attributes:
        index: event index.
        pcr: the PCR the event extends.
        type_name: its event type.
        bank: the bank whose digest was checked.
        fatal: the event is on a matched PCR and its payload is one tlkit interprets (a UEFI variable
            or authority, a separator, an action) or it is on PCR 7: the result does not pass.
            Non-fatal mismatches (e.g. a systemd-boot EV_IPL string, gdc-host's S-CRTM version) are
            reported in ``reasons`` only.
    """

    index: int
    pcr: int
    type_name: str
    bank: str
    fatal: bool


@dataclass(frozen=True)
class ReplayResult(Verdict):
    """Outcome of :meth:`EventLog.verify` for one bank.

    Attributes:
        passed: every PCR both covered by the log and given matched (possibly thanks to a named
            quirk), at least one did, no required PCR was left out of the log
            (:attr:`not_replayed`) and no payload mismatch is fatal.
        reasons: machine-readable strings: ``pcr-mismatch:N``, ``pcr-not-replayed:N``, ``no-pcr-covered``,
            ``quirk-applied:NAME:N`` (informational, present also when passed),
            ``payload-digest-mismatch:I`` for every event in :attr:`payload_mismatches` (fatal or not).
        bank: the bank replayed.
        matched: PCRs that replay to the given value.
        mismatched: PCRs that do not.
        not_covered: PCRs given but never extended by the log (e.g. 10 for IMA, 11–15, 23); they are
            neither matched nor failed. A PCR of ``required`` (default the firmware PCRs 0–7) whose
            given value is not its :func:`initial_pcr_value` is not here but in :attr:`not_replayed`.
        not_replayed: required PCRs that were extended (their value is not the initial one) but that
            the log has no event for: the log omits what was measured, the result fails
            (``pcr-not-replayed:N``).
        unchecked: PCRs the log extends but for which no value was given.
        quirks_applied: names of the quirks that made a PCR match.
        divergences: one :class:`Divergence` per mismatched PCR.
        replayed: the replayed values (after quirks) for every PCR the log covers.
        expected: the values that were given.
        payload_mismatches: events whose digest should be, but is not, the hash of their data
            (:meth:`Event.data_matches_digest` is ``False`` for :attr:`bank`). A matching replay proves
            the digests, not the data: an edited ``SecureBoot`` byte still replays, and is caught
            here. ``passed`` is False when any of them is :attr:`PayloadMismatch.fatal`.
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
    not_replayed: tuple[int, ...] = ()

    def explain(self) -> str:
        """Human-readable multi-line summary."""
        lines = [f"{self.bank}: {'PASS' if self.passed else 'FAIL'}; matched {list(self.matched)}"]
        if self.quirks_applied:
            lines.append(f"  quirks applied: {', '.join(self.quirks_applied)}")
        if self.not_covered:
            lines.append(f"  not covered by the log: {list(self.not_covered)}")
        lines += [
            f"  PCR {p} was extended (its value is not the initial one) but the log has no event for it"
            for p in self.not_replayed
        ]
        lines += [f"  {d.explanation}" for d in self.divergences]
        lines += [
            f"  event {m.index} ({m.type_name}, PCR {m.pcr}): its {m.bank} digest is not the hash of its "
            f"data ({'fatal' if m.fatal else 'informational'})"
            for m in self.payload_mismatches
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "bank": self.bank,
            "matched": list(self.matched),
            "mismatched": list(self.mismatched),
            "not_covered": list(self.not_covered),
            "not_replayed": list(self.not_replayed),
            "unchecked": list(self.unchecked),
            "quirks_applied": list(self.quirks_applied),
            "divergences": [d.to_dict() for d in self.divergences],
            "payload_mismatches": [dict(m.__dict__) for m in self.payload_mismatches],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per PCR: pcr, status (match/mismatch/not-replayed/not-covered/unchecked), expected,
        replayed."""
        import pandas as pd  # noqa: PLC0415 - pandas is only needed for tables

        rows = []
        for pcr in sorted(set(self.expected) | set(self.replayed)):
            if pcr in self.matched:
                status = "match"
            elif pcr in self.mismatched:
                status = "mismatch"
            elif pcr in self.not_replayed:
                status = "not-replayed"
            elif pcr in self.not_covered:
                status = "not-covered"
            else:
                status = "unchecked"
            e, r = self.expected.get(pcr), self.replayed.get(pcr)
            rows.append(
                {
                    "pcr": pcr,
                    "status": status,
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


def normalise_pcrs(pcrs: object, bank: str) -> dict[int, bytes]:
    """Accept ``{pcr: bytes|hex}``, ``{bank: {pcr: ...}}`` or a ``PcrValues``-like object."""
    as_dict = getattr(pcrs, "as_dict", None)
    if callable(as_dict):
        pcrs = as_dict()
    if not isinstance(pcrs, Mapping):
        raise DataError(f"PCR values must be a mapping, not {type(pcrs).__name__}", field="pcrs")
    if pcrs and all(isinstance(k, str) and not k.isdigit() for k in pcrs):
        sub = pcrs.get(bank)
        if sub is None:
            raise DataError(f"no {bank} values among the given banks {sorted(pcrs)}", field="pcrs")
        pcrs = sub
        if not isinstance(pcrs, Mapping):
            raise DataError("PCR values must be a mapping", field="pcrs")
    out = {}
    for k, v in pcrs.items():
        try:
            pcr = int(k)
        except (TypeError, ValueError):
            raise DataError(f"PCR index {k!r} is not an integer", field="pcrs") from None
        out[pcr] = _to_bytes(v, pcr)
    return out


def _explain(
    log: EventLog, alg: HashAlg, pcr: int, values: tuple[bytes, bytes], reference: EventLog | None
) -> Divergence:
    expected, replayed = values
    start, chain = _chain(log, alg, pcr)
    last = chain[-1] if chain else None
    first: int | None = None
    parts = [f"PCR {pcr} ({alg.name}) replays to {replayed.hex()} but {expected.hex()} was expected."]
    if last is not None:
        parts.append(
            f"The last of its {len(chain)} extends is event {last.index} {last.type_name} "
            f"({last.description!r}) claiming {last.digest.hex()}."
        )
    if reference is not None:
        d = diff_logs(log, reference, alg.name)
        for pd_ in d.differences:
            if pd_.pcr == pcr:
                first = pd_.index
                parts.append(f"Against the reference log: {pd_.explanation}")
                break
        else:
            parts.append("The reference log extends this PCR with the same digests.")
    if first is None:
        if expected == start:
            parts.append("The expected value is the PCR's initial value: nothing should have been extended.")
            first = chain[0].index if chain else None
        else:
            for k, s in enumerate(chain[:-1]):
                if s.value_after == expected:
                    first = chain[k + 1].index
                    parts.append(
                        f"The expected value equals the value after event {s.index}: events from {first} on "
                        "were logged but not extended (or the PCR was read earlier)."
                    )
                    break
    if first is None and pcr == 0:
        for loc in (0, 1, 2, 3, 4):
            v = _replay_pass(log._recs, alg, log.algorithms, loc)[0].get(0)
            if v == expected and loc != _locality(log):
                parts.append(
                    f"PCR0 would match with startup locality {loc} (a missing or wrong locality event)."
                )
                break
    if first is None and reference is None:
        parts.append(
            "A hash chain cannot say which event is wrong; compare with a known-good log (reference=)."
        )
    return Divergence(pcr, expected, replayed, last.index if last else None, first, chain, " ".join(parts))


def verify_log(
    log: EventLog,
    pcrs: object,
    bank: str | HashAlg = "sha256",
    *,
    reference: EventLog | None = None,
    quirks: Sequence[Quirk] | None = None,
    check_payloads: bool = True,
    required: Iterable[int] = FIRMWARE_PCRS,
) -> ReplayResult:
    """See :meth:`EventLog.verify`."""
    alg = _bank(log, bank)
    expected = normalise_pcrs(pcrs, alg.name)
    for p, v in expected.items():
        if len(v) != alg.digest_size:
            raise DataError(f"PCR {p} value has {len(v)} bytes; {alg.name} needs {alg.digest_size}", record=p)
    replayed = replay_bank(log, alg)
    must = set(required)
    loc = _locality(log)
    matched, mismatched, not_covered, not_replayed = [], [], [], []
    for pcr in sorted(expected):
        if pcr not in replayed:
            if pcr in must and expected[pcr] != initial_pcr_value(pcr, alg.digest_size, loc):
                not_replayed.append(pcr)
            else:
                not_covered.append(pcr)
        elif replayed[pcr] == expected[pcr]:
            matched.append(pcr)
        else:
            mismatched.append(pcr)
    applied: list[str] = []
    reasons: list[str] = []
    final = dict(replayed)
    for q in KNOWN_QUIRKS if quirks is None else quirks:
        targets = [p for p in mismatched if p in q.pcrs]
        if not targets:
            continue
        fixed = q.apply(log)
        if fixed is None:
            continue
        again = replay_bank(fixed, alg)
        for p in targets:
            if again.get(p) == expected[p]:
                mismatched.remove(p)
                matched.append(p)
                final[p] = again[p]
                if q.name not in applied:
                    applied.append(q.name)
                reasons.append(f"quirk-applied:{q.name}:{p}")
    matched.sort()
    divergences = tuple(_explain(log, alg, p, (expected[p], replayed[p]), reference) for p in mismatched)
    payload = payload_mismatches(log, alg, set(matched)) if check_payloads else ()
    reasons = (
        [f"pcr-mismatch:{p}" for p in mismatched]
        + [f"pcr-not-replayed:{p}" for p in not_replayed]
        + [f"payload-digest-mismatch:{m.index}" for m in payload]
        + reasons
    )
    if not matched and not mismatched and not not_replayed:
        reasons.insert(0, "no-pcr-covered")
    unchecked = tuple(p for p in replayed if p not in expected)
    return ReplayResult(
        passed=bool(matched) and not mismatched and not not_replayed and not any(m.fatal for m in payload),
        reasons=tuple(reasons),
        bank=alg.name,
        matched=tuple(matched),
        mismatched=tuple(mismatched),
        not_covered=tuple(not_covered),
        unchecked=unchecked,
        quirks_applied=tuple(applied),
        divergences=divergences,
        replayed=final,
        expected=expected,
        payload_mismatches=payload,
        not_replayed=tuple(not_replayed),
    )


def payload_mismatches(log: EventLog, alg: HashAlg, matched: set[int]) -> tuple[PayloadMismatch, ...]:
    """Every event whose ``alg`` digest should be, and is not, the hash of its data (see
    :class:`PayloadMismatch` for which are fatal)."""
    out = []
    if not alg.available:
        return ()
    digs = log._bank_digests(alg.alg_id)
    new = alg._ctor()
    whole, ipl = WHOLE_DATA_TYPES, int(EventType.EV_IPL)
    for i, (_, pcr, typ, _, data) in enumerate(log._recs):
        if typ not in DERIVABLE_TYPES:
            continue
        d = digs[i]
        if d is None:
            continue
        if typ in whole:
            ok: bool | None = new(data).digest() == d  # inlined: the common cases
        elif typ == ipl and pcr == 8 and (text := grub_text(data)) is not None and new(text).digest() == d:
            continue  # GRUB's usual form (the text, no NUL); the other forms via data_matches_digest
        else:
            ok = data_matches_digest(typ, pcr, data, d, alg)
        if ok is False:
            fatal = pcr in matched and (typ in INTERPRETED_TYPES or pcr == 7)
            out.append(PayloadMismatch(i, pcr, event_type_name(typ), alg.name, fatal))
    return tuple(out)


# ------------------------------------------------------------------------------------------ diff
@dataclass(frozen=True)
class PcrDifference:
    """The first point where two logs disagree about one PCR.

    ``position`` counts extends of this PCR (0 = first); ``index``/``other_index`` are event indices
    in each log (``None`` when that log has no event there: an extra or missing event).
    """

    pcr: int
    position: int
    index: int | None
    other_index: int | None
    kind: str  # "digest", "type", "extra-event", "missing-event"
    explanation: str


@dataclass(frozen=True)
class LogDiff(Verdict):
    """Outcome of :meth:`EventLog.diff`: ``passed`` when every PCR's chain of extends is identical.

    ``reasons`` holds ``pcr-differs:N``; ``first_divergent_event`` is the earliest event index (in
    this log) at which any PCR differs.
    """

    passed: bool
    reasons: tuple[str, ...]
    bank: str
    differences: tuple[PcrDifference, ...]

    @property
    def first_divergent_event(self) -> int | None:
        idx = [d.index for d in self.differences if d.index is not None]
        return min(idx) if idx else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "bank": self.bank,
            "differences": [d.__dict__.copy() for d in self.differences],
        }


def diff_logs(log: EventLog, other: EventLog, bank: str | HashAlg | None = None) -> LogDiff:
    """Compare the per-PCR chains of extends of two logs in one bank (default: first common bank)."""
    if bank is None:
        common = [a for a in log.banks if a in other.banks]
        if not common:
            raise DataError("the two logs have no bank in common", field="bank")
        bank = common[0]
    alg = _bank(log, bank)
    _bank(other, alg)

    def chains(lg: EventLog) -> dict[int, list[tuple[int, int, bytes | None]]]:
        out: dict[int, list[tuple[int, int, bytes | None]]] = {}
        digs = lg._bank_digests(alg.alg_id)
        for i, r in enumerate(lg._recs):
            if r[2] != _NO_ACTION:
                out.setdefault(r[1], []).append((i, r[2], digs[i]))
        return out

    a, b = chains(log), chains(other)
    diffs = []
    for pcr in sorted(set(a) | set(b)):
        ca, cb = a.get(pcr, []), b.get(pcr, [])
        for k in range(max(len(ca), len(cb))):
            x = ca[k] if k < len(ca) else None
            y = cb[k] if k < len(cb) else None
            if x is not None and y is not None and x[1:] == y[1:]:
                continue
            if x is None and y is not None:
                kind, expl = (
                    "missing-event",
                    (
                        f"PCR {pcr}: this log lacks extend #{k} "
                        f"(reference event {y[0]} {event_type_name(y[1])})"
                    ),
                )
            elif y is None and x is not None:
                kind, expl = (
                    "extra-event",
                    (
                        f"PCR {pcr}: event {x[0]} {event_type_name(x[1])} is an extra extend #{k} "
                        "not in the reference"
                    ),
                )
            elif x is not None and y is not None and x[2] != y[2]:
                kind = "digest"
                expl = (
                    f"PCR {pcr}: event {x[0]} {event_type_name(x[1])} claims {(x[2] or b'').hex()} where the "
                    f"reference's event {y[0]} has {(y[2] or b'').hex()}"
                )
            else:
                assert x is not None
                assert y is not None
                kind = "type"
                expl = (
                    f"PCR {pcr}: event {x[0]} is {event_type_name(x[1])} where the reference's "
                    f"event {y[0]} is {event_type_name(y[1])} "
                    "(same digest: the type is not covered by the PCR)"
                )
            diffs.append(PcrDifference(pcr, k, x[0] if x else None, y[0] if y else None, kind, expl))
            break
    return LogDiff(not diffs, tuple(f"pcr-differs:{d.pcr}" for d in diffs), alg.name, tuple(diffs))
