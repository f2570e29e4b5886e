"""EventLog: a TCG PC Client firmware event log with replay and verification (PC Client PFP 1.06, 10.2).

:class:`EventLog` is :class:`~tlkit.eventlog._logdata.LogData` (the records, header and banks) plus
the operations of the modules below it — replay (``_replay``), verification under the evidence
policy (``_verify``, ``_policy``), comparison (``_diff``) and tables (``_frame``) — so those modules
never import this one. Everything here is *unverified* until :meth:`EventLog.verify` has compared the
replay with quoted PCR values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tlkit.errors import DataError
from tlkit.eventlog._diff import LogDiff, diff_logs
from tlkit.eventlog._event import Event, make_event
from tlkit.eventlog._frame import log_to_frame
from tlkit.eventlog._logdata import FORMATS, LogData, LogFormat
from tlkit.eventlog._replay import ChainStep, prefix_replays, replay_all, replay_bank, replay_trace
from tlkit.eventlog._types import EventType
from tlkit.eventlog._verify import ReplayResult, verify_log
from tlkit.tpm import HashAlg

if TYPE_CHECKING:
    import pandas as pd

    from tlkit.eventlog._quirks import Quirk

__all__ = ["FORMATS", "Event", "EventLog", "LogFormat", "make_event"]


class EventLog(LogData):
    """A parsed (or built) TCG PC Client firmware event log. The content is unverified.

    Use :func:`tlkit.eventlog.parse` to read one and :func:`tlkit.eventlog.write` to serialise it.
    ``log[i]`` / iteration give :class:`Event` objects; :meth:`replay` computes PCR values;
    :meth:`verify` compares them with quoted PCRs; :meth:`diff` compares two logs.

    Attributes:
        format: ``"crypto-agile"`` (Spec ID Event03 header, TCG_PCR_EVENT2) or ``"sha1"``
            (TCG_PCClientPCREvent only).
        spec_id: the Spec ID header of a crypto-agile log, else ``None``.
        algorithms: the banks the log carries, in header order.

    Every method taking ``bank`` defaults to :attr:`default_bank` (sha256 when the log has it, else
    its strongest bank).
    """

    def replay(self, bank: str | HashAlg | None = None, *, upto: int | None = None) -> dict[int, bytes]:
        """Replay the log into one bank: ``{pcr: value}`` for every PCR the log extends.

        Rules (PC Client PFP 1.06, 3.3.4 and 10.4.5): every EV_NO_ACTION is skipped; PCR0 starts
        at 0…0L for a StartupLocality L event, or 0…04 when the log has an EV_EFI_HCRTM_EVENT;
        PCRs 17–22 start at ff…ff; all other PCRs start at zero.

        The values are what the log *implies*; they mean something only once compared with quoted
        PCRs (:meth:`verify`). ``upto=i`` replays events ``0..i-1`` only.

        Raises:
            DataError: the log has no digests for ``bank`` (or an event lacks one).
            UnsupportedAlgorithmError: ``bank`` is not a hash algorithm tlkit knows.
        """
        return replay_bank(self, bank, upto=upto)

    def replay_trace(self, bank: str | HashAlg | None = None) -> tuple[ChainStep, ...]:
        """Every extend in log order as a :class:`ChainStep` (index, pcr, type, description,
        digest, PCR value after it): the replay step by step, for teaching and plots."""
        return replay_trace(self, bank)

    def prefix_replays(self, bank: str | HashAlg | None = None) -> list[dict[int, bytes]]:
        """``out[i]`` is ``{pcr: value}`` after events ``0..i``: the replay step by step, from the
        same single pass as :meth:`replay_trace` (linear in the log; ``out[-1] == replay(bank)``).
        Consecutive entries may share one dict: treat them as read-only. Unverified, like
        :meth:`replay`; raises what it raises."""
        return prefix_replays(self, bank)

    def replay_all(self) -> dict[str, dict[int, bytes]]:
        """:meth:`replay` for every bank the log carries (skipping banks this OpenSSL cannot hash
        and banks some extending event has no digest for)."""
        return replay_all(self)

    def verify(
        self,
        pcrs: Mapping[int, bytes] | Mapping[str, Mapping[int, bytes]] | Any,
        bank: str | HashAlg | None = None,
        *,
        reference: EventLog | None = None,
        quirks: Sequence[Quirk] | None = None,
        check_payloads: bool = True,
        only: Iterable[int] | None = None,
    ) -> ReplayResult:
        """Check that this log explains PCR values (typically from a verified quote).

        Every rule and its reason code is listed in :mod:`tlkit.eventlog._policy`: each given PCR must
        replay to its value, or be at its reset value with no event in the log (else
        ``pcr-not-covered:N``); events on the checked PCRs must have the types the PC Client PFP allows
        there, in its order (PCR 7: Secure Boot variables, separator, authorities), and data that is
        what their digest measured wherever the digest is derivable from it.

        Args:
            pcrs: ``{pcr: value}`` for ``bank`` (or ``{bank: {pcr: value}}`` / a ``PcrValues``).
            bank: the bank to replay (default :attr:`default_bank`).
            reference: a known-good log (same platform, a boot that verified). With it, each
                mismatched PCR's :attr:`Divergence.first_divergent_event` is the first event whose
                digest, type or count differs from the reference's.
            quirks: firmware quirks to try when a PCR fails (default: every known quirk); pass
                ``()`` for strict replay.
            check_payloads: check data against digests (default). ``False`` skips that rule only
                (replay, coverage and structure are always checked).
            only: check only these PCRs of ``pcrs`` (each must be given), e.g. ``range(10)`` when PCR 10
                belongs to IMA; the others are ignored, neither passed nor failed.

        Returns:
            a :class:`ReplayResult`; ``bool(result)`` is ``result.passed``.

        Raises:
            DataError: malformed ``pcrs``, a value of the wrong size, an ``only`` PCR not given, or a
                bank the log does not carry.

        Which event is wrong: without ``reference``, :attr:`Divergence.first_divergent_event` is
        usually ``None``. A hash chain only says that the final value differs, not where: the
        log alone locates the divergence only when the expected value equals the PCR's initial
        value or the value after one of its events (later events logged but not extended); the
        explanation may still name a startup locality that would make PCR 0 match. With
        ``reference=`` a known-good log, the first event that differs from it is named whenever
        the two logs differ on that PCR (the CLI: ``tlkit eventlog verify --reference GOOD_LOG``).
        """
        return verify_log(
            self, pcrs, bank, reference=reference, quirks=quirks, check_payloads=check_payloads, only=only
        )

    def verified_events(self, result: ReplayResult) -> tuple[Event, ...]:
        """The events of the PCRs ``result`` matched — the only ones a verifier may rely on.

        Even these are trustworthy only as far as the extend and the policy cover them: the digest is
        verified, the type is one the PFP allows there, and the data is checked where the digest is
        derivable from it (go-attestation, docs/event-log-disclosure.md). Events of a PCR matched only
        through a quirk are included (the quirk is named in ``result``); events named by a payload
        mismatch or a policy violation are left out.

        Raises:
            DataError: ``result`` was computed from another log (its :attr:`ReplayResult.log_fingerprint`
                is not this log's :attr:`fingerprint`).
        """
        if result.log_fingerprint != self.fingerprint:
            raise DataError(
                "this ReplayResult was computed from another log (fingerprint "
                f"{result.log_fingerprint[:16] or 'none'}…, this log {self.fingerprint[:16]}…)",
                field="result",
            )
        ok = set(result.matched)
        bad = {m.index for m in result.payload_mismatches} | {v.index for v in result.violations}
        return tuple(
            e
            for e in self.events
            if e.pcr in ok and e.event_type != EventType.EV_NO_ACTION and e.index not in bad
        )

    def diff(self, other: EventLog, bank: str | HashAlg | None = None) -> LogDiff:
        """Per PCR, the first event where this log and ``other`` disagree (digest, type or count)."""
        return diff_logs(self, other, bank)

    def to_frame(self) -> pd.DataFrame:
        """One row per event: index, offset, pcr, type, ``digest_<bank>`` hex per bank, description."""
        return log_to_frame(self)
