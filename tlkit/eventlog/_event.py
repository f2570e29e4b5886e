"""One event of a TCG PC Client firmware log (PFP 1.06, 10.2 "Event Log Format"), and its storage record.

:class:`Event` is what a log *says* about one extend (unverified); :class:`Record` is the compact form
an :class:`~tlkit.eventlog.EventLog` keeps per event; :func:`make_event` builds one in memory and
validates the fields a log tlkit writes must hold (TCG_PCR_EVENT2 field sizes, PFP 10.2.2).
It does not replay, verify or parse bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple

from tlkit.errors import DataError, ParseError
from tlkit.eventlog._digestcheck import data_matches_digest
from tlkit.eventlog._hashing import BY_ID, bank_name
from tlkit.eventlog._payloads import decode_payload
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.tpm import HashAlg, hash_alg

__all__ = ["MAX_PCR", "NO_PCR", "UINT32_MAX", "Event", "Record", "make_event", "records_of"]

UINT32_MAX = 0xFFFFFFFF
"""PCR index, event type and data size are UINT32 fields of TCG_PCR_EVENT2 (PFP 1.06, 10.2.2)."""
MAX_PCR = 31
"""PC Client PCRs are 0–23 (PTP); an index past 31 is not a firmware event log's..."""
NO_PCR = 0xFFFFFFFF
"""...except -1 (0xFFFFFFFF), which Windows uses for records that extend nothing (EV_NO_ACTION)."""


class Record(NamedTuple):
    """The compact form of one event inside a log (what the parser stores; events are built from it).

    ``digests`` is flat: ``(alg_id, digest, alg_id, digest, ...)`` in log order.
    """

    offset: int
    pcr: int
    event_type: int
    digests: tuple[Any, ...]
    data: bytes


def _pcr_index(value: object) -> int:
    pcr = _uint32(value, "pcr")
    if pcr > MAX_PCR and pcr != NO_PCR:
        raise DataError(
            f"pcr {pcr} is not a PCR index a log can hold (0 to {MAX_PCR}, or 0xFFFFFFFF)", field="pcr"
        )
    return pcr


def _uint32(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT32_MAX:
        raise DataError(
            f"{what} must be an integer from 0 to 0xFFFFFFFF (a UINT32), not {value!r}", field=what
        )
    return value


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

    def __post_init__(self) -> None:
        # PFP 1.06, 10.2.2: pcrIndex and eventType are UINT32 (a log could not hold anything else)
        _pcr_index(self.pcr)
        _uint32(self.event_type, "event_type")
        if not isinstance(self.data, bytes) or len(self.data) > UINT32_MAX:
            raise DataError("event data must be bytes of at most 0xFFFFFFFF bytes", field="data")

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
        known = self._digest_checks  # one computation per bank: the event is immutable
        if alg.alg_id not in known:
            digest = self.digest(alg.alg_id)
            known[alg.alg_id] = data_matches_digest(self.event_type, self.pcr, self.data, digest, alg)
        return known[alg.alg_id]

    @cached_property
    def _digest_checks(self) -> dict[int, bool | None]:
        """:meth:`data_matches_digest` verdicts computed so far, by TPM_ALG_ID."""
        return {}


def _alg_id(bank: str | HashAlg) -> int:
    if isinstance(bank, HashAlg):
        return bank.alg_id
    if bank.startswith("alg_0x"):
        try:
            return int(bank[6:], 16)
        except ValueError:
            pass
    return hash_alg(bank).alg_id


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

    Raises:
        DataError: ``pcr`` is not 0–31 or 0xFFFFFFFF (what :func:`parse` accepts), ``event_type`` is
            not a UINT32 (PFP 1.06, 10.2.2), or a digest given
            for a known bank has the wrong size (the log could not be written).
        UnsupportedAlgorithmError: a bank tlkit does not know.
    """
    _pcr_index(pcr)
    _uint32(int(event_type) if isinstance(event_type, EventType) else event_type, "event_type")
    given = dict(digests or {})
    dl: list[tuple[int, bytes]] = []
    for b in banks:
        alg = hash_alg(b)
        dl.append(
            (alg.alg_id, given.pop(alg.name, b"") or alg.digest(data if measured is None else measured))
        )
    for name, d in given.items():
        dl.append((_alg_id(name), bytes(d)))
    for alg_id, d in dl:
        known = BY_ID.get(alg_id)
        if known is not None and len(d) != known.digest_size:
            raise DataError(
                f"a {known.name} digest has {known.digest_size} bytes, not {len(d)}", field="digests"
            )
    return Event(index, int(pcr), int(event_type), tuple(dl), bytes(data), -1)


def records_of(events: Iterable[Event]) -> list[Record]:
    """The records a log stores for ``events`` (digest pairs flattened)."""
    return [
        Record(e.offset, e.pcr, e.event_type, tuple(x for pair in e.digest_list for x in pair), e.data)
        for e in events
    ]
