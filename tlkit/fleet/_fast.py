"""Fast-mode fleet simulation: the shared process, with verdicts looked up in the outcome table
(private).

What it does: :func:`simulate_fast` walks the fleet block by block (:mod:`tlkit.fleet._process`;
memory is bounded by one block of :data:`~tlkit.fleet._process.BLOCK` VMs), and per day turns
each attested VM's outcome key into counts with ``numpy.bincount`` on combined integer keys: events
per (day, OS, family, kind), rounds and attested VM-days per (day, family, key), alerts per (day,
family, key, configuration class, ground truth) — a key's verdict and alerts come from the outcome
table (:mod:`tlkit.fleet._outcomes`, computed by the real pipeline on first need) — and which VMs
raised an unsuppressed alert, for the detection delays (a backward pass over the days at the end
of a block). Recommendations come from each VM's final configuration and last verdict. Names
(OS, family, scenario, codes, alert) are attached only to the summed counts, block by block, and
the blocks are merged with :func:`~tlkit.fleet._result.combine`. ``vm_range`` runs a block-aligned
part of a fleet, so ``combine`` of the parts equals the whole (Dask partitions).

The result's row tables (``events``, ``attestations``, ``findings``) are empty frames with their
columns: the fast mode has no rows, only the aggregates (the same as the exact mode's for the same
spec and seed).

What it does not do: run the pipeline per round (:mod:`tlkit.fleet._exact` does), Dask, or print
(a ``tqdm.auto`` progress bar over blocks on request).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tlkit.errors import DataError
from tlkit.fleet._outcomes import OutcomeTable, VmConfigCode, outcome_table
from tlkit.fleet._process import (
    BLOCK,
    CONFIG_CLASSES,
    EVENT_KINDS,
    OS_NAMES,
    BlockProcess,
    Day,
    block_ranges,
    key_space,
    name_width,
    periodic_rounds,
    vm_names,
)
from tlkit.fleet._result import (
    AGGREGATE_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    FleetResult,
    aggregate,
    check_spec,
    empty,
    finding_columns,
    typed,
)
from tlkit.fleet._spec import FleetSpec

__all__ = ["check_range", "simulate_fast"]

_NC = len(CONFIG_CLASSES)


def check_range(spec: FleetSpec, vm_range: object) -> tuple[int, int]:
    """``vm_range`` checked: ``(start, stop)`` with ``0 <= start < stop <= spec.vms``, ``start`` a
    multiple of :data:`BLOCK`, ``stop`` one too or ``spec.vms``.

    Raises:
        DataError: anything else (``field="vm_range"``).
    """
    if vm_range is None:
        return 0, spec.vms
    pair = tuple(vm_range) if isinstance(vm_range, tuple | list) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise DataError(
            f"vm_range must be a pair of integers (start, stop), not {vm_range!r}", field="vm_range"
        )
    start, stop = int(pair[0]), int(pair[1])
    if not 0 <= start < stop <= spec.vms:
        raise DataError(
            f"vm_range {vm_range!r} is not within [0, {spec.vms}) and non-empty", field="vm_range"
        )
    if start % BLOCK or (stop % BLOCK and stop != spec.vms):
        raise DataError(
            f"vm_range {vm_range!r} must start on a multiple of {BLOCK} and stop on one or at {spec.vms}",
            field="vm_range",
        )
    return start, stop


def _sum_sparse(
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sparse ``(codes, counts)`` parts summed per code (codes sorted, zero sums dropped)."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes = np.concatenate([c for c, _ in parts])
    values, inverse = np.unique(codes, return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([n for _, n in parts]), minlength=len(values))
    keep = counts != 0
    return values[keep], counts[keep].astype(np.int64)


def _names(codes: NDArray[np.int64], names: tuple[str, ...]) -> NDArray[Any]:
    return np.asarray(names, dtype=object)[codes]


class _Counts:
    """The run's counts, as sparse integer-coded arrays summed over blocks (names attached at the end)."""

    def __init__(self, spec: FleetSpec, table: OutcomeTable, families: tuple[str, ...]) -> None:
        self.spec, self.table, self.families = spec, table, families
        self.nk, self.nf = table.space.size, len(families)
        self.events = np.zeros(spec.days * len(EVENT_KINDS) * len(OS_NAMES) * self.nf, np.int64)
        self.rounds: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        self.vm_days: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        self.alerts: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        self.recommendations: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
        #: (global VM indices, their OS and family codes, attack kind, start day, detection day)
        self.detections: list[
            tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], str, int, NDArray[np.float64]]
        ] = []

    def walk(self, block: BlockProcess) -> None:
        """Count one block's days."""
        walk = _BlockWalk(self, block)
        for day in block.days():
            walk.add(day)
        walk.finish()

    # --- to tables -------------------------------------------------------------------------------
    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "event_counts": self._event_frame(),
            "round_counts": self._round_frame(),
            "alert_counts": self._alert_frame(),
            "detections": self._detection_frame(),
            "recommendation_counts": self._recommendation_frame(),
        }

    def _event_frame(self) -> pd.DataFrame:
        present = np.flatnonzero(self.events)
        rest, family = np.divmod(present, self.nf)
        rest, os = np.divmod(rest, len(OS_NAMES))
        day, kind = np.divmod(rest, len(EVENT_KINDS))
        frame = pd.DataFrame(
            {"day": day, "os": _names(os, OS_NAMES), "family": _names(family, self.families),
             "kind": _names(kind, EVENT_KINDS), "events": self.events[present]}
        )  # fmt: skip
        return aggregate(frame, *AGGREGATE_COLUMNS["event_counts"])

    def _key_columns(self, keys: NDArray[np.int64]) -> dict[str, NDArray[Any]]:
        distinct, inverse = np.unique(keys, return_inverse=True)
        decoded = [self.table.space.decode(int(k)) for k in distinct]
        return {
            "os": np.asarray([d[0] for d in decoded], dtype=object)[inverse],
            "scenario": np.asarray([d[1] for d in decoded], dtype=object)[inverse],
            "codes": np.asarray([self.table.codes[int(k)] for k in distinct], dtype=object)[inverse],
            "passed": self.table.passed[keys],
        }

    def _round_frame(self) -> pd.DataFrame:
        codes, rounds = _sum_sparse(self.rounds)
        same, vm_days = _sum_sparse(self.vm_days)
        assert np.array_equal(codes, same)  # a VM-day with rounds is a VM-day
        rest, key = np.divmod(codes, self.nk)
        day, family = np.divmod(rest, self.nf)
        frame = pd.DataFrame(
            {"day": day, "family": _names(family, self.families), **self._key_columns(key),
             "rounds": rounds, "vm_days": vm_days}
        )  # fmt: skip
        return aggregate(frame, *AGGREGATE_COLUMNS["round_counts"])

    def _alert_frame(self) -> pd.DataFrame:
        codes, counts = _sum_sparse(self.alerts)
        rest, compromised = np.divmod(codes, 2)
        key_class = rest % (self.nk * _NC)
        day, family = np.divmod(rest // (self.nk * _NC), self.nf)
        # expand each (key, class) into the alerts a round of it raises (the outcome table's rows)
        distinct, inverse = np.unique(key_class, return_inverse=True)
        catalogue = [self.table.alerts[int(kc)] for kc in distinct]
        sizes = np.array([len(c) for c in catalogue], np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        flat = [a for c in catalogue for a in c]
        entry = np.repeat(np.arange(len(codes)), sizes[inverse])
        within = np.arange(len(entry)) - np.repeat(np.cumsum(sizes[inverse]) - sizes[inverse], sizes[inverse])
        alert = starts[inverse][entry] + within
        os = np.asarray(
            [OS_NAMES.index(self.table.space.decode(int(kc) // _NC)[0]) for kc in distinct], np.int64
        )
        frame = pd.DataFrame(
            {
                "day": day[entry], "os": _names(os[inverse][entry], OS_NAMES),
                "family": _names(family[entry], self.families),
                "name": np.asarray([a.name for a in flat], dtype=object)[alert],
                "cause": np.asarray([a.cause for a in flat], dtype=object)[alert],
                "compromised": compromised[entry].astype(bool),
                "suppressed": np.asarray([a.suppressed for a in flat], dtype=bool)[alert],
                "alerts": counts[entry],
            }
        )  # fmt: skip
        return aggregate(frame, *AGGREGATE_COLUMNS["alert_counts"])

    def _detection_frame(self) -> pd.DataFrame:
        if not self.detections:
            return empty(DETECTION_COLUMNS)
        rows = self.detections
        frame = pd.DataFrame(
            {
                "vm": np.concatenate([r[0] for r in rows]),
                "os": _names(np.concatenate([r[1] for r in rows]), OS_NAMES),
                "family": _names(np.concatenate([r[2] for r in rows]), self.families),
                "attack": np.concatenate([np.full(len(r[0]), r[3], dtype=object) for r in rows]),
                "start_day": np.concatenate([np.full(len(r[0]), r[4], np.int64) for r in rows]),
                "detected_day": np.concatenate([r[5] for r in rows]),
            }
        )
        frame = frame.sort_values(["vm", "start_day", "attack"], kind="stable")
        frame["vm"] = vm_names(frame["vm"].to_numpy(np.int64), name_width(self.spec.vms)).to_numpy()
        return typed(frame, DETECTION_COLUMNS)

    def _recommendation_frame(self) -> pd.DataFrame:
        codes, counts = _sum_sparse(self.recommendations)
        rows: list[tuple[Any, ...]] = []
        for value, count in zip(codes, counts, strict=True):
            rest, family = divmod(int(value), self.nf)
            config, last = divmod(rest, self.nk + 1)
            for name, severity in self.table.recommendations(config, last - 1):
                rows.append((OS_NAMES[config & 1], self.families[family], name, severity, int(count)))
        columns, summed = AGGREGATE_COLUMNS["recommendation_counts"]
        return aggregate(pd.DataFrame(rows, columns=list(columns)), columns, summed)


class _BlockWalk:
    """One block's days into :class:`_Counts`."""

    def __init__(self, counts: _Counts, block: BlockProcess) -> None:
        self.counts, self.block, self.table = counts, block, counts.table
        nk, nf = counts.nk, counts.nf
        self.nk, self.nf = nk, nf
        self.osfam = block.os * nf + block.family
        self.fam_att = block.family[block.attested] * nk
        self.events: list[NDArray[np.int64]] = []
        self.alerting: list[NDArray[np.int64]] = []
        self.attacks: list[tuple[int, str, NDArray[np.int64]]] = []
        self.last_key = np.full(block.n, -1, np.int64)
        self.periodic = periodic_rounds(block.spec)
        self.last_periodic_day = int(np.flatnonzero(self.periodic)[-1]) if self.periodic.any() else 0

    def add(self, d: Day) -> None:
        width = len(OS_NAMES) * self.nf
        for kind, vms in d.events.items():
            self.events.append((d.day * len(EVENT_KINDS) + EVENT_KINDS.index(kind)) * width + self.osfam[vms])
            if kind in ("infection", "mitm"):
                self.attacks.append((d.day, kind, vms))
        periodic = int(self.periodic[d.day])
        if periodic:  # every attested VM has rounds: no selection, and the boot rounds are few
            att, key, config, fam_key = d.attested, d.key, d.config, self.fam_att + d.key
            vm_days = np.bincount(fam_key, minlength=self.nf * self.nk)
            summed = periodic * vm_days + np.bincount(fam_key[d.booted], minlength=self.nf * self.nk)
        else:  # only the VMs that booted
            live = d.booted
            att, key, config = d.attested[live], d.key[live], d.config[live]
            fam_key = self.fam_att[live] + key
            vm_days = np.bincount(fam_key, minlength=self.nf * self.nk)
            summed = vm_days
        present = np.flatnonzero(vm_days)
        offset = d.day * self.nf * self.nk
        self.counts.vm_days.append((offset + present, vm_days[present]))
        self.counts.rounds.append((offset + present, summed[present]))
        self.table.ensure(present % self.nk)
        if d.day >= self.last_periodic_day or not periodic:  # earlier keys are overwritten there
            self.last_key[att] = key
        self._alerts(d, att, key, config, periodic)

    def _alerts(
        self, d: Day, att: NDArray[np.int64], key: NDArray[np.int64], config: NDArray[np.int64], periodic: int
    ) -> None:
        failed = np.flatnonzero(~self.table.passed[key])
        if not failed.size:
            self.alerting.append(np.zeros(0, np.int64))
            return
        vms = att[failed]
        rounds = periodic + self.booted_mask(d)[vms]
        key_class = key[failed] * _NC + config[failed]
        self.alerting.append(vms[self.table.unsuppressed[key_class]])
        index = ((self.block.family[vms] * self.nk * _NC + key_class) * 2) + d.compromised[vms]
        summed = np.bincount(index, weights=rounds, minlength=self.nf * self.nk * _NC * 2).astype(np.int64)
        present = np.flatnonzero(summed)
        self.counts.alerts.append((d.day * self.nf * self.nk * _NC * 2 + present, summed[present]))

    def booted_mask(self, d: Day) -> NDArray[np.int64]:
        """Per VM of the block: 1 if it booted on ``d`` (so has a boot round), else 0."""
        mask = np.zeros(self.block.n, np.int64)
        mask[d.events.get("boot", np.zeros(0, np.int64))] = 1
        return mask

    def finish(self) -> None:
        counts, b = self.counts, self.block
        if self.events:
            counts.events += np.bincount(np.concatenate(self.events), minlength=len(counts.events))
        self._detections()
        secure_boot, by_design = b.final_config()
        config = VmConfigCode.encode(
            b.os, (b.capable, b.trusted_launch, secure_boot, b.vtpm, b.extension, by_design)
        )
        combo = (config * (self.nk + 1) + self.last_key + 1) * self.nf + b.family
        values, n = np.unique(combo, return_counts=True)
        counts.recommendations.append((values, n.astype(np.int64)))

    def _detections(self) -> None:
        by_day: dict[int, list[tuple[str, NDArray[np.int64]]]] = {}
        for day, kind, vms in self.attacks:
            by_day.setdefault(day, []).append((kind, vms))
        next_alert = np.full(self.block.n, np.nan)
        for day in range(self.block.spec.days - 1, -1, -1):
            next_alert[self.alerting[day]] = day
            for kind, vms in by_day.get(day, []):
                b = self.block
                self.counts.detections.append(
                    (b.start + vms, b.os[vms], b.family[vms], kind, day, next_alert[vms])
                )


def _run(spec: FleetSpec, blocks: Any) -> FleetResult:
    space = key_space()
    table = outcome_table(space)
    counts: _Counts | None = None
    inventories = []
    for b, start, stop in blocks:
        process = BlockProcess(spec, b, start, stop, space)
        counts = counts or _Counts(spec, table, process.categories.family)
        counts.walk(process)
        inventories.append(process.inventory())
    assert counts is not None
    frames = counts.frames()
    return FleetResult(
        spec,
        "fast",
        pd.concat(inventories, ignore_index=True),
        event_counts=frames["event_counts"],
        round_counts=frames["round_counts"],
        alert_counts=frames["alert_counts"],
        detections=frames["detections"],
        recommendation_counts=frames["recommendation_counts"],
        events=empty(EVENT_COLUMNS),
        attestations=empty(ATTESTATION_COLUMNS),
        findings=empty(finding_columns()),
    )


def simulate_fast(
    spec: FleetSpec, *, progress: bool = False, vm_range: tuple[int, int] | None = None
) -> FleetResult:
    """Simulate ``spec`` (or its VMs ``[start, stop)``) with the outcome table (module docstring).

    Args:
        spec: the fleet.
        progress: show a ``tqdm.auto`` progress bar over the blocks.
        vm_range: ``(start, stop)``: only these VMs; ``start`` a multiple of
            :data:`~tlkit.fleet._process.BLOCK`, ``stop`` one too or ``spec.vms``.

    Raises:
        DataError: ``spec`` is not a :class:`~tlkit.fleet.FleetSpec`, or a bad ``vm_range``.
    """
    check_spec(spec)
    blocks: Any = block_ranges(spec.vms, check_range(spec, vm_range))
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        blocks = tqdm(blocks, desc="fleet (fast)", unit="block")
    return _run(spec, blocks)
