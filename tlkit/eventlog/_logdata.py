"""The content of an event log: its records, format, header and banks (no replay, no verification).

:class:`LogData` is the base of :class:`~tlkit.eventlog.EventLog`: it holds the records the parser
produced (:class:`~tlkit.eventlog._event.Record`), builds :class:`Event` objects on demand, names the
log's banks and its one default bank (:attr:`LogData.default_bank`), and derives tampered or
corrected copies. The replay, verification, policy and quirk modules work on it, and
:class:`EventLog` adds them as methods, so the modules depend on each other in one direction only::

    _event ─► _logdata ─► _replay / _policy / _quirks / _frame / _secureboot ─► _model (EventLog)

Everything here is *unverified*: it is what the log says.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any, Literal, TypeVar, overload

from tlkit.errors import DataError
from tlkit.eventlog._event import Event, Record, records_of
from tlkit.eventlog._hashing import hashable_alg
from tlkit.eventlog._payloads import (
    STARTUP_LOCALITY_SIGNATURE,
    SpecIdAlgorithm,
    SpecIdEvent,
    parse_spec_id,
)
from tlkit.eventlog._types import EventType
from tlkit.tpm import hash_alg

__all__ = ["FORMATS", "LogData", "LogFormat"]

LogFormat = Literal["crypto-agile", "sha1"]
FORMATS: tuple[str, ...] = ("crypto-agile", "sha1")

_L = TypeVar("_L", bound="LogData")
_NO_ACTION = int(EventType.EV_NO_ACTION)
_HCRTM = int(EventType.EV_EFI_HCRTM_EVENT)
_PREFERRED_BANK = "sha256"


class LogData(Sequence[Event]):
    """A TCG firmware log's content (see the module docstring); use :class:`EventLog`."""

    def __init__(
        self,
        recs: list[Record],
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
        if not self.algorithms:
            raise DataError(
                "a crypto-agile log's Spec ID header must name at least one bank", field="spec_id"
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_events(
        cls: type[_L],
        events: Sequence[Event],
        *,
        format: LogFormat | None = None,
        spec_id: SpecIdEvent | None = None,
        banks: Sequence[str] | None = None,
        trailer: bytes = b"",
    ) -> _L:
        """Build a log from events (renumbered from 0; offsets are kept only for display).

        For a crypto-agile log, ``events[0]`` must be the Spec ID EV_NO_ACTION event, or pass
        ``spec_id=``/``banks=`` to have the header built (then ``events`` are the records after it).
        """
        fmt: LogFormat = format or ("crypto-agile" if spec_id is not None or banks is not None else "sha1")
        evs = list(events)
        if fmt != "crypto-agile":
            return cls(records_of(evs), format=fmt, spec_id=None, trailer=trailer)
        if spec_id is None and evs and _is_spec_id(evs[0]):
            spec_id = parse_spec_id(evs[0].data)
        else:
            if spec_id is None:
                algs = [hash_alg(b) for b in (banks or (_PREFERRED_BANK,))]
                spec_id = SpecIdEvent.for_algorithms(
                    [SpecIdAlgorithm(a.alg_id, a.name, a.digest_size) for a in algs]
                )
            evs.insert(0, Event(0, 0, _NO_ACTION, ((0x0004, b"\x00" * 20),), spec_id.to_bytes(), -1))
        return cls(records_of(evs), format=fmt, spec_id=spec_id, trailer=trailer)

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

    @property
    def records(self) -> Sequence[Record]:
        """The stored records, one per event (read-only use: the replay's fast path)."""
        return self._recs

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """All events (built on first access)."""
        out = []
        sha1_fmt = self.format == "sha1"
        for i, r in enumerate(self._recs):
            flat = r.digests
            dl = tuple(zip(flat[0::2], flat[1::2], strict=True))
            if r.offset < 0:
                doff = -1
            elif sha1_fmt or i == 0:
                doff = r.offset + 32
            else:
                doff = r.offset + 16 + sum(2 + len(d) for _, d in dl)
            out.append(Event(i, r.pcr, r.event_type, dl, r.data, r.offset, doff))
        return tuple(out)

    @property
    def banks(self) -> tuple[str, ...]:
        """Bank names the log carries digests for (Spec ID order; ``("sha1",)`` for SHA1-format)."""
        return tuple(a.bank for a in self.algorithms)

    @property
    def default_bank(self) -> str:
        """The bank :meth:`EventLog.replay`, :meth:`EventLog.verify` and the CLI use when none is given.

        The one rule: ``sha256`` when the log carries it (the bank PC Client quotes and tools use
        most); otherwise the strongest bank this Python can hash (largest digest: sha512, sha384,
        sm3_256, sha1); otherwise the log's first bank. A SHA1-format log's default is ``sha1``.
        """
        banks = self.banks
        if _PREFERRED_BANK in banks:
            return _PREFERRED_BANK
        hashable = [h for h in (hashable_alg(a.alg_id) for a in self.algorithms) if h is not None]
        if hashable:
            return max(hashable, key=lambda h: h.digest_size).name
        return banks[0]

    @cached_property
    def verdict_cache(self) -> dict[Any, Any]:
        """Results of pure functions of this log, by key (the structure rules per set of checked
        PCRs: one evaluation per log however many banks are replayed). The log is immutable once
        built, like its cached :attr:`events` and :attr:`fingerprint`."""
        return {}

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) over the format and every record's PCR, type, digests and data: the identity
        a :class:`ReplayResult` is bound to (equal for a log and its byte-identical re-parse)."""
        pack3, pack_h, pack_i = struct.Struct("<III").pack, struct.Struct("<H").pack, struct.Struct("<I").pack
        parts = [self.format.encode()]  # hashed in one call: the same digest as one update per part
        add = parts.append
        for r in self._recs:
            flat = r.digests
            add(pack3(r.pcr, r.event_type, len(flat) // 2))
            for k in range(0, len(flat), 2):
                add(pack_h(flat[k]))
                add(pack_i(len(flat[k + 1])))
                add(flat[k + 1])
            add(pack_i(len(r.data)))
            add(r.data)
        return hashlib.sha256(b"".join(parts)).hexdigest()

    @property
    def startup_locality(self) -> int | None:
        """Locality of the StartupLocality EV_NO_ACTION event (PFP 1.06, 10.4.5.3), if the log has one."""
        for r in self._recs:
            if (
                r.event_type == _NO_ACTION
                and r.pcr == 0
                and len(r.data) == 17
                and r.data[:16] == STARTUP_LOCALITY_SIGNATURE
            ):
                return r.data[16]
        return None

    @property
    def has_hcrtm(self) -> bool:
        """True when the log has an EV_EFI_HCRTM_EVENT (PCR0 then starts at 0…04)."""
        return any(r.event_type == _HCRTM for r in self._recs)

    @property
    def locality(self) -> int:
        """The locality PCR 0 starts from: 4 with an H-CRTM event, else the StartupLocality, else 0."""
        if self.has_hcrtm:
            return 4
        return self.startup_locality or 0

    def bank_digests(self, alg_id: int) -> list[bytes | None]:
        """Each record's digest for the algorithm (``None`` where a record has none); cached."""
        cache: dict[int, list[bytes | None]] = self.__dict__.setdefault("_bank_cache", {})
        got = cache.get(alg_id)
        if got is None:
            # the usual record carries the bank at its header position: check there first
            k2 = next((2 * k for k, a in enumerate(self.algorithms) if a.alg_id == alg_id), 0)
            k21 = k2 + 1
            got = [
                r.digests[k21]
                if len(r.digests) > k21 and r.digests[k2] == alg_id
                else _digest_of(r.digests, alg_id)
                for r in self._recs
            ]
            cache[alg_id] = got
        return got

    # ------------------------------------------------------------------ derived logs
    def with_events(self: _L, events: Sequence[Event]) -> _L:
        """A new log of the same format and header with ``events`` (which include the header for
        crypto-agile logs, as ``list(log)`` does)."""
        return type(self)(records_of(events), format=self.format, spec_id=self.spec_id, trailer=self.trailer)

    def appended(self: _L, *events: Event) -> _L:
        """A copy with ``events`` added at the end."""
        return self.with_events([*self.events, *events])

    def replaced(self: _L, index: int, event: Event) -> _L:
        """A copy with the event at ``index`` replaced (e.g. a tampered digest)."""
        evs = list(self.events)
        if not -len(evs) <= index < len(evs):
            raise DataError(f"no event {index} in a log of {len(evs)} events", field="index")
        evs[index] = event
        return self.with_events(evs)


def _is_spec_id(e: Event) -> bool:
    return e.event_type == _NO_ACTION and e.data.startswith(b"Spec ID Event03")


def _digest_of(flat: tuple[object, ...], alg_id: int) -> bytes | None:
    for k in range(0, len(flat), 2):
        if flat[k] == alg_id:
            d = flat[k + 1]
            return d if isinstance(d, bytes) else None
    return None
