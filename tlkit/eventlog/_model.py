"""Event and EventLog objects (PC Client PFP 1.06, section 10.2 "Event Log Format").

An :class:`EventLog` stores its events compactly (one tuple each) and builds :class:`Event` objects
on demand; payloads are decoded on first access and cached. Everything here is *unverified*: it is
what the log says, until :meth:`EventLog.verify` has compared its replay with quoted PCR values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, overload

from tlkit.errors import DataError, ParseError
from tlkit.eventlog._digestcheck import data_matches_digest
from tlkit.eventlog._frame import log_to_frame
from tlkit.eventlog._payloads import (
    STARTUP_LOCALITY_SIGNATURE,
    SpecIdAlgorithm,
    SpecIdEvent,
    bank_name,
    decode_payload,
    parse_spec_id,
)
from tlkit.eventlog._replay import (
    FIRMWARE_PCRS,
    ChainStep,
    LogDiff,
    ReplayResult,
    diff_logs,
    prefix_replays,
    replay_all,
    replay_bank,
    replay_trace,
    verify_log,
)
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.tpm._alg import HashAlg, hash_alg

if TYPE_CHECKING:
    import pandas as pd

    from tlkit.eventlog._quirks import Quirk

__all__ = ["Event", "EventLog", "LogFormat", "make_event"]

LogFormat = Literal["crypto-agile", "sha1"]
FORMATS: tuple[str, ...] = ("crypto-agile", "sha1")

# (offset, pcr, event_type, flat digests (alg_id, digest, alg_id, digest, ...), data)
_Rec = tuple[int, int, int, tuple[Any, ...], bytes]


@dataclass(frozen=True)
class Event:
    """One event of a TCG firmware log, as the log states it (unverified).

    Attributes:
        index: position in the log (0 = first record; in a crypto-agile log, the Spec ID header).
        pcr: the PCR index the event claims to have extended.
        event_type: the ``TCG_EVENTTYPE`` number (see :attr:`type_name`).
        digest_list: ``(TPM_ALG_ID, digest)`` pairs in log order (exact, for writing back).
        data: the raw event data bytes.
        offset: byte offset of the event in the parsed file (``-1`` for events built in memory).
        data_offset: byte offset of :attr:`data` in the parsed file (``-1`` in memory); payload
            errors report offsets from it.
    """

    index: int
    pcr: int
    event_type: int
    digest_list: tuple[tuple[int, bytes], ...] = field(repr=False)
    data: bytes = field(repr=False)
    offset: int = -1
    data_offset: int = field(default=-1, repr=False, compare=False)

    @property
    def type_name(self) -> str:
        """PFP name of :attr:`event_type`, e.g. ``"EV_EFI_VARIABLE_DRIVER_CONFIG"``."""
        return event_type_name(self.event_type)

    @cached_property
    def digests(self) -> Mapping[str, bytes]:
        """``{bank name: digest}`` as claimed by the log (read-only)."""
        return MappingProxyType({bank_name(a): d for a, d in self.digest_list})

    @cached_property
    def _decoded(self) -> tuple[object, str | None]:
        try:
            return decode_payload(self.event_type, self.data, max(self.data_offset, 0)), None
        except ParseError as e:
            return None, str(ParseError(e.message, offset=e.offset, index=self.index, what=e.what))

    @property
    def payload(self) -> object:
        """The decoded event data (a payload object from :mod:`tlkit.eventlog`), or ``None``.

        ``None`` either means tlkit has no decoder for the type (the raw bytes are in :attr:`data`)
        or that decoding failed (see :attr:`payload_error`).
        """
        return self._decoded[0]

    @property
    def payload_error(self) -> str | None:
        """Why the payload could not be decoded (the event itself is kept), else ``None``."""
        return self._decoded[1]

    @property
    def description(self) -> str:
        """A short human description of the event (derived from the unverified payload)."""
        p = self.payload
        desc = getattr(p, "description", None)
        if isinstance(desc, str):
            return desc
        if self.payload_error is not None:
            return f"undecodable {self.type_name} ({len(self.data)} bytes)"
        return f"{len(self.data)} bytes"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary: index, offset, pcr, type, type_name, digests (hex), size, description."""
        return {
            "index": self.index,
            "offset": self.offset,
            "pcr": self.pcr,
            "type": self.event_type,
            "type_name": self.type_name,
            "digests": {b: d.hex() for b, d in self.digests.items()},
            "size": len(self.data),
            "description": self.description,
            "payload_error": self.payload_error,
        }

    def digest(self, bank: str | int | HashAlg) -> bytes | None:
        """The digest the log claims for ``bank``, or ``None`` if the event has none for it."""
        alg = bank if isinstance(bank, int) else _alg_id(bank)
        for a, d in self.digest_list:
            if a == alg:
                return d
        return None

    def data_matches_digest(self, bank: str | int | HashAlg = "sha256") -> bool | None:
        """Whether the digest the log claims for ``bank`` is the hash of this event's data.

        ``True``/``False`` for event types whose digest the PC Client PFP defines from the data
        (separators, actions, UEFI variables and authorities, GPT, S-CRTM version, GRUB/systemd-boot
        strings; the accepted forms, including two firmware/shim variants, are listed in
        ``tlkit.eventlog._digestcheck``); ``None`` when the digest is not derivable from the data
        (image loads, firmware blobs, EV_NO_ACTION...), when the event has no ``bank`` digest, or
        when this OpenSSL cannot compute the bank's hash. A ``True`` means the payload is what was
        measured; it is worth something only once the PCR itself is verified.

        Raises:
            UnsupportedAlgorithmError: ``bank`` is not a hash algorithm tlkit knows.
        """
        alg = hash_alg(bank)
        return data_matches_digest(self.event_type, self.pcr, self.data, self.digest(alg.alg_id), alg)


def _alg_id(bank: str | HashAlg) -> int:
    if isinstance(bank, HashAlg):
        return bank.alg_id
    if bank.startswith("alg_0x"):
        try:
            return int(bank[6:], 16)
        except ValueError:
            pass
    return hash_alg(bank).alg_id


def _records(events: Iterable[Event]) -> list[_Rec]:
    """The records an :class:`EventLog` stores for ``events`` (digest pairs flattened)."""
    return [
        (e.offset, e.pcr, e.event_type, tuple(x for pair in e.digest_list for x in pair), e.data)
        for e in events
    ]


def make_event(
    pcr: int,
    event_type: int | EventType,
    data: bytes,
    banks: Sequence[str | HashAlg] = ("sha256",),
    *,
    measured: bytes | None = None,
    digests: Mapping[str, bytes] | None = None,
    index: int = -1,
) -> Event:
    """Build an event in memory, e.g. to append to a log or to tamper with one in an exercise.

    Args:
        pcr: PCR index.
        event_type: event type number.
        data: event data.
        banks: banks to compute digests for (ignored for banks given in ``digests``).
        measured: the bytes whose hash is the digest (default: ``data``), e.g. a PE image.
        digests: explicit ``{bank: digest}`` values, used as given.
        index: position (the log renumbers events it is built from).
    """
    given = dict(digests or {})
    dl: list[tuple[int, bytes]] = []
    for b in banks:
        alg = hash_alg(b)
        dl.append(
            (alg.alg_id, given.pop(alg.name, b"") or alg.digest(data if measured is None else measured))
        )
    for name, d in given.items():
        dl.append((_alg_id(name), bytes(d)))
    return Event(index, int(pcr), int(event_type), tuple(dl), bytes(data), -1)


class EventLog(Sequence[Event]):
    """A parsed (or built) TCG PC Client firmware event log. The content is unverified.

    Use :func:`tlkit.eventlog.parse` to read one and :func:`tlkit.eventlog.write` to serialise it.
    ``log[i]`` / iteration give :class:`Event` objects; :meth:`replay` computes PCR values;
    :meth:`verify` compares them with quoted PCRs; :meth:`diff` compares two logs.

    Attributes:
        format: ``"crypto-agile"`` (Spec ID Event03 header, TCG_PCR_EVENT2) or ``"sha1"``
            (TCG_PCClientPCREvent only).
        spec_id: the Spec ID header of a crypto-agile log, else ``None``.
        algorithms: the banks the log carries, in header order.
    """

    def __init__(
        self,
        recs: list[_Rec],
        *,
        format: LogFormat,
        spec_id: SpecIdEvent | None,
        trailer: bytes = b"",
    ) -> None:
        self._recs = recs
        self.format: LogFormat = format
        self.spec_id = spec_id
        self.trailer = trailer
        self.algorithms: tuple[SpecIdAlgorithm, ...] = (
            spec_id.algorithms if spec_id is not None else (SpecIdAlgorithm(0x0004, "sha1", 20),)
        )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_events(
        cls,
        events: Sequence[Event],
        *,
        format: LogFormat | None = None,
        spec_id: SpecIdEvent | None = None,
        banks: Sequence[str] | None = None,
        trailer: bytes = b"",
    ) -> EventLog:
        """Build a log from events (renumbered from 0; offsets are kept only for display).

        For a crypto-agile log, ``events[0]`` must be the Spec ID EV_NO_ACTION event, or pass
        ``spec_id=``/``banks=`` to have the header built (then ``events`` are the records after it).
        """
        fmt: LogFormat = format or ("crypto-agile" if spec_id is not None or banks is not None else "sha1")
        evs = list(events)
        if fmt == "crypto-agile":
            if (
                spec_id is None
                and evs
                and evs[0].event_type == EventType.EV_NO_ACTION
                and evs[0].data.startswith(b"Spec ID Event03")
            ):
                spec_id = parse_spec_id(evs[0].data)
            else:
                if spec_id is None:
                    algs = [hash_alg(b) for b in (banks or ("sha256",))]
                    spec_id = SpecIdEvent.for_algorithms(
                        [SpecIdAlgorithm(a.alg_id, a.name, a.digest_size) for a in algs]
                    )
                header = Event(
                    0, 0, EventType.EV_NO_ACTION, ((0x0004, b"\x00" * 20),), spec_id.to_bytes(), -1
                )
                evs.insert(0, header)
        else:
            spec_id = None
        return cls(_records(evs), format=fmt, spec_id=spec_id, trailer=trailer)

    # ------------------------------------------------------------------ sequence protocol
    def __len__(self) -> int:
        return len(self._recs)

    @overload
    def __getitem__(self, i: int) -> Event: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Event]: ...

    def __getitem__(self, i: int | slice) -> Event | Sequence[Event]:
        return self.events[i]

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __repr__(self) -> str:
        return f"<EventLog {self.format} banks={','.join(self.banks)} events={len(self)}>"

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """All events (built on first access)."""
        out = []
        sha1_fmt = self.format == "sha1"
        for i, (off, pcr, typ, flat, data) in enumerate(self._recs):
            dl = tuple(zip(flat[0::2], flat[1::2], strict=True))
            if off < 0:
                doff = -1
            elif sha1_fmt or i == 0:
                doff = off + 32
            else:
                doff = off + 16 + sum(2 + len(d) for _, d in dl)
            out.append(Event(i, pcr, typ, dl, data, off, doff))
        return tuple(out)

    @property
    def banks(self) -> tuple[str, ...]:
        """Bank names the log carries digests for (Spec ID order; ``("sha1",)`` for SHA1-format)."""
        return tuple(a.bank for a in self.algorithms)

    @property
    def startup_locality(self) -> int | None:
        """Locality of the StartupLocality EV_NO_ACTION event (PFP 1.06, 10.4.5.3), if the log has one."""
        for _, pcr, typ, _, data in self._recs:
            if (
                typ == EventType.EV_NO_ACTION
                and pcr == 0
                and len(data) == 17
                and data[:16] == STARTUP_LOCALITY_SIGNATURE
            ):
                return data[16]
        return None

    @property
    def has_hcrtm(self) -> bool:
        """True when the log has an EV_EFI_HCRTM_EVENT (PCR0 then starts at 0…04)."""
        return any(r[2] == EventType.EV_EFI_HCRTM_EVENT for r in self._recs)

    def _bank_digests(self, alg_id: int) -> list[bytes | None]:
        cache: dict[int, list[bytes | None]] = self.__dict__.setdefault("_bank_cache", {})
        got = cache.get(alg_id)
        if got is None:
            got = []
            append = got.append
            k2 = next((2 * k for k, a in enumerate(self.algorithms) if a.alg_id == alg_id), 0)
            for r in self._recs:
                flat = r[3]
                if len(flat) > k2 and flat[k2] == alg_id:
                    append(flat[k2 + 1])
                    continue
                d = None
                for k in range(0, len(flat), 2):
                    if flat[k] == alg_id:
                        d = flat[k + 1]
                        break
                append(d)
            cache[alg_id] = got
        return got

    # ------------------------------------------------------------------ derived logs
    def with_events(self, events: Sequence[Event]) -> EventLog:
        """A new log of the same format and header with ``events`` (which include the header for
        crypto-agile logs, as ``list(log)`` does)."""
        return EventLog(_records(events), format=self.format, spec_id=self.spec_id, trailer=self.trailer)

    def appended(self, *events: Event) -> EventLog:
        """A copy with ``events`` added at the end."""
        return self.with_events([*self.events, *events])

    def replaced(self, index: int, event: Event) -> EventLog:
        """A copy with the event at ``index`` replaced (e.g. a tampered digest)."""
        evs = list(self.events)
        if not -len(evs) <= index < len(evs):
            raise DataError(f"no event {index} in a log of {len(evs)} events", field="index")
        evs[index] = event
        return self.with_events(evs)

    # ------------------------------------------------------------------ replay and verification
    def replay(self, bank: str | HashAlg = "sha256", *, upto: int | None = None) -> dict[int, bytes]:
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

    def replay_trace(self, bank: str | HashAlg = "sha256") -> tuple[ChainStep, ...]:
        """Every extend in log order as a :class:`ChainStep` (index, pcr, type, description,
        digest, PCR value after it): the replay step by step, for teaching and plots."""
        return replay_trace(self, bank)

    def prefix_replays(self, bank: str | HashAlg = "sha256") -> list[dict[int, bytes]]:
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
        bank: str | HashAlg = "sha256",
        *,
        reference: EventLog | None = None,
        quirks: Sequence[Quirk] | None = None,
        check_payloads: bool = True,
        required: Iterable[int] = FIRMWARE_PCRS,
    ) -> ReplayResult:
        """Compare this log's replay with PCR values (typically from a verified quote).

        Args:
            pcrs: ``{pcr: value}`` for ``bank`` (or ``{bank: {pcr: value}}`` / a ``PcrValues``).
            bank: the bank to replay.
            reference: a known-good log (same platform, a boot that verified). With it, each
                mismatched PCR's :attr:`Divergence.first_divergent_event` is the first event whose
                digest, type or count differs from the reference's.
            quirks: firmware quirks to try when a PCR fails (default: every known quirk); pass
                ``()`` for strict replay.
            check_payloads: also check, for every event type whose digest is defined as the hash of
                its data, that it is (:meth:`Event.data_matches_digest`); mismatches are listed in
                ``payload_mismatches`` and fail the result when fatal (see :class:`PayloadMismatch`).
                ``False`` skips the check (replay only).
            required: PCRs the log must account for (default :data:`FIRMWARE_PCRS`, 0–7): a given
                value that is not the PCR's initial value while the log has no event for that PCR
                fails the result (``pcr-not-replayed:N``, :attr:`ReplayResult.not_replayed`) —
                otherwise a log could drop a whole PCR and still pass. Other PCRs (IMA's 10,
                runtime 11–16, 23) are merely ``not_covered``. Pass ``()`` to allow partial logs.

        Returns:
            a :class:`ReplayResult`: ``passed`` when every PCR the log covers and ``pcrs`` gives
            matches (PCRs the log does not cover are listed as ``not_covered``, never as matched),
            no required PCR is missing from the log and no fatal payload mismatch was found.

        Which event is wrong: without ``reference``, :attr:`Divergence.first_divergent_event` is
        usually ``None``. A hash chain only says that the final value differs, not where: the
        log alone locates the divergence only when the expected value equals the PCR's initial
        value or the value after one of its events (later events logged but not extended); the
        explanation may still name a startup locality that would make PCR 0 match. With
        ``reference=`` a known-good log, the first event that differs from it is named whenever
        the two logs differ on that PCR (the CLI: ``tlkit eventlog verify --reference GOOD_LOG``).
        """
        return verify_log(
            self,
            pcrs,
            bank,
            reference=reference,
            quirks=quirks,
            check_payloads=check_payloads,
            required=required,
        )

    def verified_events(self, result: ReplayResult) -> tuple[Event, ...]:
        """The events of the PCRs ``result`` matched — the only ones a verifier may rely on.

        Even these are trustworthy only as far as the extend covers them: the digest is verified,
        the event type and (for many types) the event data are not (go-attestation,
        docs/event-log-disclosure.md). ``result`` must come from :meth:`verify` on this log; events of
        a PCR matched only through a quirk are included (the quirk is named in ``result``). Events in
        ``result.payload_mismatches`` are left out: their data is not what was measured.
        """
        ok = set(result.matched)
        bad = {m.index for m in result.payload_mismatches}
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
