"""A bounded memo of event-log analyses, for a verifier of a fleet of identical images.

What is memoised: the part of :func:`tlkit.attest.verify` that is a pure function of the log bytes,
the PCR values the log is checked against, the baseline and the policy — the ``log``,
``secure-boot`` and ``baseline`` checks (parse, replay of every bank, the PC Client structure and
data-vs-digest rules, the Secure Boot reading of the replayed PCR 7 events, the baseline
comparison) and the Windows boot flags read from the verified events. A thousand VMs booted from
one image send a thousand copies of one log and quote the same PCR values: the analysis is the same
every time, and :class:`LogAnalysisMemo` keeps it.

The key (:func:`analysis_key`) is exact, never a guess:

- the log bytes themselves (a hit compares them byte for byte with the analysed log's; one changed
  byte is another key: a doctored log is analysed afresh); a log over :data:`MEMO_MAX_LOG_BYTES` is
  never memoised, so the memo holds at most ``maxsize`` logs of that size;
- every quoted PCR value the log is checked against, bank by bank (a quote over other values is
  another key, so "quoted PCRs vs replayed values" is always the comparison of *these* values);
- the baseline's content fingerprint (:attr:`tlkit.attest.Baseline.fingerprint`, SHA-256 of its
  canonical JSON; a baseline that is not a :class:`~tlkit.attest.Baseline` is never memoised);
- the policy (a frozen :class:`~tlkit.attest.AttestationPolicy`, compared by value, plus the
  identity of each quirk's fix function, which value comparison ignores).

What is never memoised (computed for every evidence bundle): the quote (signature, magic, type,
pcrDigest over the quoted values), the nonce, AK trust (chain or trusted list, at the given time),
the guest-reported kernel modules, the nonce memory of a :class:`~tlkit.attest.Verifier`, and the
attested facts that come from them. A memo hit therefore still needs a quote that verifies over
exactly the PCR values of the key; when the quote fails, the log checks are skipped as always and
the memo is not consulted.

What it does not do: share anything between processes, or persist. Entries are immutable
(:class:`LogAnalysis`); the per-check ``details`` are copied out on every hit, so a caller that edits
a result's details cannot change another result. Thread-safe (one lock around the LRU).
"""

from __future__ import annotations

import marshal
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from tlkit.attest._baseline import Baseline
from tlkit.attest._policy import AttestationPolicy

__all__ = ["DEFAULT_MEMO_SIZE", "MEMO_MAX_LOG_BYTES", "LogAnalysis", "LogAnalysisMemo", "analysis_key"]

#: Entries a memo keeps by default (one per distinct image × baseline × policy in a fleet).
DEFAULT_MEMO_SIZE = 256
#: Logs longer than this are never memoised: an entry keeps its log and analysis, so the memo holds at
#: most ``maxsize`` times this (firmware and Windows boot logs are tens to hundreds of KiB).
MEMO_MAX_LOG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class LogAnalysis:
    """What the memoised checks established for one key: the check records and reasons they added,
    the ``details`` entries they wrote, and the verifier state the later steps read."""

    checks: tuple[Any, ...]
    reasons: tuple[str, ...]
    details: bytes
    state: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        checks: tuple[Any, ...],
        reasons: tuple[str, ...],
        details: dict[str, Any],
        state: Mapping[str, Any],
    ) -> LogAnalysis | None:
        """An entry (``details`` frozen as :mod:`marshal` bytes), or None when ``details`` are not
        plain JSON-like data (then nothing is memoised)."""
        try:
            frozen = marshal.dumps(details)
        except ValueError:
            return None
        return cls(checks, reasons, frozen, {k: copy_details(v) for k, v in state.items()})

    def restore_details(self) -> dict[str, Any]:
        """A new copy of the ``details`` entries (never shared with another result)."""
        out: dict[str, Any] = marshal.loads(self.details)  # bytes this module wrote
        return out


def _pcrs_key(
    pcrs: Mapping[str, Mapping[int, bytes]],
) -> tuple[tuple[str, tuple[int, ...], tuple[bytes, ...]], ...]:
    """Every bank with its PCR indices and their values, in the mapping's order: equal keys are
    equal mappings (the same values in another order only miss)."""
    return tuple((str(b), tuple(v), tuple(v.values())) for b, v in pcrs.items())


def _baseline_key(baseline: Any) -> str | None:
    """``""`` for no baseline, the content fingerprint of a :class:`Baseline`, None (do not memoise)
    for anything else."""
    if baseline is None:
        return ""
    if type(baseline) is Baseline:
        return baseline.fingerprint
    return None


def _policy_key(policy: Any) -> Hashable | None:
    """The policy (compared by value) and the identity of each quirk's fix function; None (do not
    memoise) for anything but a hashable :class:`~tlkit.attest.AttestationPolicy`."""
    if type(policy) is not AttestationPolicy:
        return None
    try:
        hash(policy)
    except TypeError:
        return None
    fixes = tuple(id(q.fix) for q in policy.quirks) if policy.quirks is not None else None
    return (policy, fixes)


def analysis_key(
    eventlog: bytes, pcrs: Mapping[str, Mapping[int, bytes]], baseline: Any, policy: Any
) -> Hashable | None:
    """The memo key of one log analysis, or None when the inputs cannot be keyed soundly (then the
    analysis is simply not memoised). See the module docstring for what the key binds."""
    if len(eventlog) > MEMO_MAX_LOG_BYTES:
        return None
    base, pol = _baseline_key(baseline), _policy_key(policy)
    if base is None or pol is None:
        return None
    return (_LogBytes(eventlog), _pcrs_key(pcrs), base, pol)


class _LogBytes:
    """The log bytes as a key part: equal exactly when the bytes are equal (compared in full), hashed
    over their length and two ends only (hashing all of a large log on every lookup costs more than
    the rest of a hit; the hash only picks the bucket, equality decides)."""

    __slots__ = ("_hash", "raw")
    _END = 512

    def __init__(self, raw: bytes) -> None:
        self.raw = raw if type(raw) is bytes else bytes(raw)  # plain bytes: plain == and hash
        self._hash = hash((len(self.raw), self.raw[: self._END], self.raw[-self._END :]))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return type(other) is _LogBytes and self.raw == other.raw


def copy_details(value: Any) -> Any:
    """A copy of a value: dicts and lists copied, everything else (immutable) shared."""
    if isinstance(value, dict):
        return {k: copy_details(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_details(v) for v in value]
    return value


class LogAnalysisMemo:
    """A bounded LRU of :class:`LogAnalysis` by :func:`analysis_key` (module docstring).

    ``maxsize`` entries at most (the least recently used goes first); :attr:`hits` and
    :attr:`misses` count lookups; :meth:`clear` empties it.
    """

    def __init__(self, maxsize: int = DEFAULT_MEMO_SIZE) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, LogAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> LogAnalysis | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: Hashable, entry: LogAnalysis) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)
