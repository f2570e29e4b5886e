"""One verdict for a quote plus an event log: the quote is authentic AND the log replays to it.

The quote check is :func:`tlkit.tpm.verify_quote` (TPM 2.0 Part 3, 18.4); the log check is
:meth:`EventLog.verify` on the very PCR values the quote's digest covers, one bank at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tlkit._result import Verdict
from tlkit.errors import ParseError
from tlkit.eventlog._parse import parse
from tlkit.eventlog._verify import ReplayResult, normalise_pcrs

if TYPE_CHECKING:
    from tlkit.eventlog._model import EventLog
    from tlkit.eventlog._quirks import Quirk
    from tlkit.tpm import QuoteVerification

__all__ = ["EvidenceResult", "check_evidence"]


@dataclass(frozen=True)
class EvidenceResult(Verdict):
    """Outcome of :func:`check_evidence`.

    Attributes:
        passed: the quote verified, the log parsed, at least one bank was checked and every
            :class:`ReplayResult` in :attr:`replays` passed. Nothing else decides it.
        reasons: ``quote:<reason>`` from :func:`tlkit.tpm.verify_quote` and ``log:<bank>:<reason>``
            from :meth:`EventLog.verify`, plus ``log:unparsable`` / ``log:no-common-bank``.
            The only reason a passing result may carry is ``log:<bank>:quirk-applied:...``
            (informational); every other reason fails it.
        quote: the quote verification result.
        replays: ``{bank: ReplayResult}`` for each bank both the quote and the log carry.
    """

    passed: bool
    reasons: tuple[str, ...]
    quote: QuoteVerification = field(repr=False)
    replays: Mapping[str, ReplayResult] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "quote": self.quote.to_dict(),
            "replays": {b: r.to_dict() for b, r in self.replays.items()},
        }


def check_evidence(
    log: EventLog | bytes,
    *,
    message: bytes,
    signature: Any,
    pcrs: Any,
    nonce: bytes,
    ak: Any,
    banks: Sequence[str] | None = None,
    reference: EventLog | None = None,
    quirks: Sequence[Quirk] | None = None,
    only: Iterable[int] | None = None,
) -> EvidenceResult:
    """Verify a quote and replay a log against the quoted PCR values.

    Args:
        log: the event log (parsed, or raw bytes: a log that does not parse is a ``log:unparsable``
            reason, not an exception, since it is part of the evidence).
        message, signature, pcrs, nonce, ak: as for :func:`tlkit.tpm.verify_quote`.
        banks: banks to replay (default: every bank present in both ``pcrs`` and the log).
        reference: known-good log used to explain mismatches.
        quirks, only: as for :meth:`EventLog.verify`: every quoted PCR (or each of ``only``) must be
            explained by the log under the evidence policy (``tlkit.eventlog._policy``), e.g.
            ``pcr-not-covered:N`` for a quoted PCR the log has no event for.
    """
    from tlkit.tpm import verify_quote  # noqa: PLC0415 - the quote layer is loaded only when used

    q = verify_quote(message, signature, pcrs, nonce, ak)
    reasons = [f"quote:{r}" for r in q.reasons]
    replays: dict[str, ReplayResult] = {}
    parsed: EventLog | None
    if isinstance(log, (bytes, bytearray, memoryview)):
        try:
            parsed = parse(log)
        except ParseError:
            parsed = None
            reasons.append("log:unparsable")
    else:
        parsed = log
    if parsed is not None:
        table = pcrs.as_dict() if callable(getattr(pcrs, "as_dict", None)) else pcrs
        given = [str(b) for b in table] if isinstance(table, Mapping) else []
        wanted = [b for b in (banks or given) if b in parsed.banks and b in given]
        if not wanted:
            reasons.append("log:no-common-bank")
        for b in wanted:
            r = parsed.verify(normalise_pcrs(table, b), b, reference=reference, quirks=quirks, only=only)
            replays[b] = r
            reasons += [f"log:{b}:{x}" for x in r.reasons]
    passed = q.passed and parsed is not None and bool(replays) and all(r.passed for r in replays.values())
    return EvidenceResult(passed, tuple(reasons), q, replays)
