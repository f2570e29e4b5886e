"""Comparing two logs PCR by PCR: the first event where their chains of extends differ."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._replay import log_bank
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.tpm import HashAlg

__all__ = ["LogDiff", "PcrDifference", "diff_logs"]

_NO_ACTION = int(EventType.EV_NO_ACTION)


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


def diff_logs(log: LogData, other: LogData, bank: str | HashAlg | None = None) -> LogDiff:
    """Compare the per-PCR chains of extends of two logs in one bank (default: first common bank)."""
    if bank is None:
        common = [a for a in log.banks if a in other.banks]
        if not common:
            raise DataError("the two logs have no bank in common", field="bank")
        bank = common[0]
    alg = log_bank(log, bank)
    log_bank(other, alg)

    def chains(lg: LogData) -> dict[int, list[tuple[int, int, bytes | None]]]:
        out: dict[int, list[tuple[int, int, bytes | None]]] = {}
        digs = lg.bank_digests(alg.alg_id)
        for i, r in enumerate(lg.records):
            if r.event_type != _NO_ACTION:
                out.setdefault(r.pcr, []).append((i, r.event_type, digs[i]))
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
