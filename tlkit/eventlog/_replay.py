"""Replaying a firmware log into PCR values (the hash chain only; verification is in ``_verify``).

Replay rules (TCG PC Client PFP 1.06, 3.3.4 "PCR usage" and 10.4.5 "EV_NO_ACTION"; TPM 2.0 Part 1,
17 "PCR" for the extend operation ``new = H(old || digest)``):

* EV_NO_ACTION events are never extended (all of them, not only the Spec ID header);
* PCR0 starts at ``0…0L`` where L is the StartupLocality event's locality, or at ``0…04`` when the log
  has an EV_EFI_HCRTM_EVENT (H-CRTM measured at locality 4);
* PCRs 17–22 (DRTM) start at ``ff…ff``; every other PCR starts at zero.

Without a bank, every function here uses the log's :attr:`~tlkit.eventlog.EventLog.default_bank`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tlkit.errors import DataError
from tlkit.eventlog._event import Record
from tlkit.eventlog._hashing import hashable_alg, hasher
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._payloads import STARTUP_LOCALITY_SIGNATURE
from tlkit.eventlog._types import EventType
from tlkit.tpm import HashAlg, hash_alg

__all__ = [
    "ChainStep",
    "chain_of",
    "initial_pcr_value",
    "log_bank",
    "prefix_replays",
    "replay_all",
    "replay_bank",
    "replay_pass",
    "replay_trace",
]

_NO_ACTION = int(EventType.EV_NO_ACTION)
_HCRTM = int(EventType.EV_EFI_HCRTM_EVENT)


def initial_pcr_value(pcr: int, size: int, locality: int = 0) -> bytes:
    """The value of a PCR after TPM2_Startup (PC Client PTP: 17–22 are ff…ff, PCR0 ends in L)."""
    if 17 <= pcr <= 22:
        return b"\xff" * size
    if pcr == 0 and locality:
        return b"\x00" * (size - 1) + bytes((locality,))
    return b"\x00" * size


def log_bank(log: LogData, bank: str | HashAlg | None) -> HashAlg:
    """The hash algorithm of ``bank`` (default: the log's :attr:`default_bank`), which the log must carry.

    Raises:
        DataError: the log has no digests for the bank.
        UnsupportedAlgorithmError: ``bank`` is not a hash algorithm tlkit knows.
    """
    alg = hash_alg(log.default_bank if bank is None else bank)
    if alg.alg_id not in {a.alg_id for a in log.algorithms}:
        raise DataError(
            f"the log has no {alg.name} digests (its banks: {', '.join(log.banks)})", field="bank"
        )
    return alg


def replay_bank(
    log: LogData, bank: str | HashAlg | None = None, *, upto: int | None = None
) -> dict[int, bytes]:
    """``{pcr: value}`` for every PCR the log extends (module rules); ``upto`` stops before that index."""
    alg = log_bank(log, bank)
    recs = log.records
    pcrs = _run(recs if upto is None else recs[:upto], alg, log, None)
    return dict(sorted(pcrs.items()))


Step = tuple[int, int, bytes, bytes]
"""One extend as :func:`replay_pass` records it: (record index, PCR, digest, PCR value after it)."""


def _run(recs: Sequence[Record], alg: HashAlg, log: LogData, steps: list[Step] | None) -> dict[int, bytes]:
    """The replay: :func:`replay_pass`, run again with the final locality when a StartupLocality /
    H-CRTM record comes after the first PCR0 extend. The one implementation behind
    :func:`replay_bank`, :func:`replay_trace` and :func:`prefix_replays`."""
    pcrs, used, final = replay_pass(recs, alg, log, None, steps)
    if used is not None and used != final:
        if steps is not None:
            steps.clear()
        pcrs, _, _ = replay_pass(recs, alg, log, final, steps)
    return pcrs


def _digest(r: Record, aid: int, index: int, alg: HashAlg) -> bytes:
    """The record's digest for ``aid`` when it is not at the header's position (slow path)."""
    flat = r.digests
    for k in range(0, len(flat), 2):
        if flat[k] == aid:
            found: bytes = flat[k + 1]
            return found
    raise DataError(f"event {index} has no {alg.name} digest; the bank cannot be replayed", record=index)


def replay_pass(
    recs: Sequence[Record],
    alg: HashAlg,
    log: LogData,
    force_loc: int | None,
    steps: list[Step] | None = None,
) -> tuple[dict[int, bytes], int | None, int]:
    """One pass over the records; returns the PCRs, the locality PCR0 was started with and the
    locality the whole log implies (H-CRTM: 4, else the first StartupLocality, else 0).

    The locality is learnt on the way (StartupLocality EV_NO_ACTION, EV_EFI_HCRTM_EVENT) unless
    ``force_loc`` is given. With ``steps``, every extend is appended to it as a :data:`Step`.
    """
    new = hasher(alg)  # the hashlib constructor itself: one call per extend
    aid = alg.alg_id
    k2 = next((2 * k for k, a in enumerate(log.algorithms) if a.alg_id == aid), 0)
    k21 = k2 + 1
    size = alg.digest_size
    loc = 0 if force_loc is None else force_loc
    seen_loc = force_loc is not None
    hcrtm = False
    used: int | None = None
    pcrs: dict[int, bytes] = {}
    for i, r in enumerate(recs):
        typ = r.event_type
        if typ == _NO_ACTION:
            if not seen_loc and _is_locality(r):
                loc, seen_loc = r.data[16], True
            continue
        hcrtm = hcrtm or (typ == _HCRTM and force_loc is None)
        flat = r.digests
        d = flat[k21] if len(flat) > k21 and flat[k2] == aid else _digest(r, aid, i, alg)
        pcr = r.pcr
        cur = pcrs.get(pcr)
        if cur is None:
            start = 4 if hcrtm else loc
            if pcr == 0:
                used = start
            cur = initial_pcr_value(pcr, size, start)
        value = pcrs[pcr] = new(cur + d).digest()
        if steps is not None:
            steps.append((i, pcr, d, value))
    return pcrs, used, 4 if hcrtm else loc


def _is_locality(r: Record) -> bool:
    return r.pcr == 0 and len(r.data) == 17 and r.data[:16] == STARTUP_LOCALITY_SIGNATURE


def _complete(log: LogData, alg_id: int) -> bool:
    """True when every extending event carries a digest for the algorithm."""
    digs = log.bank_digests(alg_id)
    if None not in digs:
        return True
    return all(d is not None or r.event_type == _NO_ACTION for r, d in zip(log.records, digs, strict=True))


def replay_all(log: LogData) -> dict[str, dict[int, bytes]]:
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


def chain_of(log: LogData, alg: HashAlg, pcr: int) -> tuple[bytes, tuple[ChainStep, ...]]:
    """The initial value of ``pcr`` and every extend of it."""
    start = initial_pcr_value(pcr, alg.digest_size, log.locality)
    return start, tuple(s for s in replay_trace(log, alg) if s.pcr == pcr)


def _steps(log: LogData, alg: HashAlg) -> list[Step]:
    steps: list[Step] = []
    _run(log.records, alg, log, steps)
    return steps


def replay_trace(log: LogData, bank: str | HashAlg | None = None) -> tuple[ChainStep, ...]:
    """Every extend of the replay in log order, with the PCR value after it (see the module rules)."""
    alg = log_bank(log, bank)
    out = []
    for i, pcr, d, value in _steps(log, alg):
        e = log[i]
        out.append(ChainStep(i, pcr, e.type_name, e.description, d, value))
    return tuple(out)


def prefix_replays(log: LogData, bank: str | HashAlg | None = None) -> list[dict[int, bytes]]:
    """``out[i]`` is ``{pcr: value}`` after events ``0..i`` (one replay pass, linear in the log;
    ``out[-1] == replay_bank(log, bank)`` up to key order). Consecutive entries may share one dict:
    treat them as read-only."""
    alg = log_bank(log, bank)
    after = {i: (pcr, value) for i, pcr, _, value in _steps(log, alg)}
    state: dict[int, bytes] = {}
    out: list[dict[int, bytes]] = []
    for i in range(len(log)):
        step = after.get(i)
        if step is not None:
            state = {**state, step[0]: step[1]}
        out.append(state)
    return out
