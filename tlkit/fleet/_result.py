"""A simulated fleet's tables: :class:`FleetResult`, their schemas, and :func:`combine` (private).

What it does: :class:`FleetResult` holds the inventory, the aggregate tables both modes produce
(identical for the same spec and seed) and the row tables only the exact mode fills (empty frames
with the right columns in the fast mode). The ``*_COLUMNS`` mappings fix every table's columns and
dtypes (also when empty); :func:`aggregate` turns summed counts into a table (key columns sorted,
zero counts dropped). :func:`combine` merges the results of disjoint VM ranges of one spec so that
``combine(parts)`` equals the whole run (inventories and row tables concatenated, counts summed,
detections concatenated).

What it does not do: simulate, compute metrics, or read and write files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from tlkit.errors import DataError
from tlkit.fleet._process import INVENTORY_COLUMNS
from tlkit.fleet._spec import FleetSpec

__all__ = [
    "AGGREGATE_COLUMNS",
    "ALERT_COUNT_COLUMNS",
    "ATTESTATION_COLUMNS",
    "DETECTION_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_COUNT_COLUMNS",
    "INVENTORY_COLUMNS",
    "MODES",
    "RECOMMENDATION_COUNT_COLUMNS",
    "ROUND_COUNT_COLUMNS",
    "ROW_TABLES",
    "FleetResult",
    "aggregate",
    "check_spec",
    "combine",
    "empty",
    "finding_columns",
    "typed",
]

#: How a result's verdicts were obtained.
MODES: Final = ("exact", "fast")

EVENT_COUNT_COLUMNS: Final = {"day": "int64", "os": "str", "family": "str", "kind": "str", "events": "int64"}
ROUND_COUNT_COLUMNS: Final = {
    "day": "int64", "os": "str", "family": "str", "scenario": "str", "codes": "str", "passed": "bool",
    "rounds": "int64", "vm_days": "int64",
}  # fmt: skip
ALERT_COUNT_COLUMNS: Final = {
    "day": "int64", "os": "str", "family": "str", "name": "str", "cause": "str", "compromised": "bool",
    "suppressed": "bool", "alerts": "int64",
}  # fmt: skip
DETECTION_COLUMNS: Final = {
    "vm": "str", "os": "str", "family": "str", "attack": "str", "start_day": "int64",
    "detected_day": "float64",
}  # fmt: skip
RECOMMENDATION_COUNT_COLUMNS: Final = {
    "os": "str", "family": "str", "name": "str", "severity": "str", "vms": "int64",
}  # fmt: skip
EVENT_COLUMNS: Final = {
    "vm": "str", "day": "int64", "kind": "str", "scenario": "str", "ground_truth_compromised": "bool",
}  # fmt: skip
ATTESTATION_COLUMNS: Final = {
    "vm": "str", "day": "int64", "hour": "int64", "trigger": "str", "scenario": "str",
    "passed": "bool", "reasons": "str", "codes": "str",
}  # fmt: skip

#: Aggregate table → (its columns, the count columns summed by :func:`combine`).
AGGREGATE_COLUMNS: Final[Mapping[str, tuple[Mapping[str, str], tuple[str, ...]]]] = {
    "event_counts": (EVENT_COUNT_COLUMNS, ("events",)),
    "round_counts": (ROUND_COUNT_COLUMNS, ("rounds", "vm_days")),
    "alert_counts": (ALERT_COUNT_COLUMNS, ("alerts",)),
    "recommendation_counts": (RECOMMENDATION_COUNT_COLUMNS, ("vms",)),
}
#: The row tables (exact mode only).
ROW_TABLES: Final = ("events", "attestations", "findings")


def check_spec(spec: object) -> FleetSpec:
    """``spec`` if it is a :class:`~tlkit.fleet.FleetSpec`.

    Raises:
        DataError: it is not (``field="spec"``).
    """
    if not isinstance(spec, FleetSpec):
        raise DataError(f"spec must be a FleetSpec, not {type(spec).__name__}", field="spec")
    return spec


def finding_columns() -> dict[str, str]:
    """The ``findings`` table's columns: :data:`tlkit.defender.FINDING_COLUMNS` plus ``day``."""
    from tlkit.defender._assess import _COLUMNS  # noqa: PLC0415

    return {**_COLUMNS, "day": "int64"}


def typed(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``frame``'s ``columns``, in order, with their dtypes, on a fresh 0..n-1 index."""
    out = frame.reindex(columns=list(columns)).reset_index(drop=True)
    plain = {k: v for k, v in columns.items() if not v.startswith("datetime")}
    out = out.astype(plain)
    for name, dtype in columns.items():
        if dtype.startswith("datetime"):
            out[name] = pd.to_datetime(out[name], utc=True).dt.as_unit("ns")
    return out


def empty(columns: Mapping[str, str]) -> pd.DataFrame:
    """An empty table with ``columns`` and their dtypes."""
    return typed(pd.DataFrame({name: [] for name in columns}), columns)


def aggregate(frame: pd.DataFrame, columns: Mapping[str, str], counts: Sequence[str]) -> pd.DataFrame:
    """Sum ``counts`` over the other ``columns`` of ``frame``: sorted by the key columns, rows whose
    counts are all zero dropped, dtypes fixed."""
    keys = [c for c in columns if c not in counts]
    if frame.empty:
        return empty(columns)
    frame = typed(frame, columns)
    summed = frame.groupby(keys, sort=True, observed=True, dropna=False)[list(counts)].sum().reset_index()
    summed = summed[(summed[list(counts)] != 0).any(axis=1)]
    return typed(summed, columns)


@dataclass(frozen=True, eq=False)
class FleetResult:
    """A simulated fleet, as tidy DataFrames.

    Attributes:
        spec: the :class:`~tlkit.fleet.FleetSpec` simulated.
        mode: ``"exact"`` or ``"fast"`` (:data:`MODES`).
        inventory: one row per VM (:data:`~tlkit.fleet._process.INVENTORY_COLUMNS`).
        event_counts: events per day, OS, family and kind (:data:`EVENT_COUNT_COLUMNS`).
        round_counts: attestation rounds per day, OS, family, boot scenario and verdict
            (:data:`ROUND_COUNT_COLUMNS`; ``codes``: the distinct reason codes, ``""`` when passed;
            ``vm_days``: VMs attested at least once that day in the group).
        alert_counts: Defender alerts per day, OS, family, alert name, cause (reason codes,
            ``+``-joined), ground truth and suppression (:data:`ALERT_COUNT_COLUMNS`).
        detections: one row per attack (``infection`` or ``mitm``) with the first day on or after it
            with an unsuppressed alert on that VM (NaN: never) (:data:`DETECTION_COLUMNS`).
        recommendation_counts: VMs per OS, family and Defender recommendation at the end of the
            horizon (:data:`RECOMMENDATION_COUNT_COLUMNS`).
        events, attestations, findings: the exact mode's row tables (:data:`EVENT_COLUMNS`,
            :data:`ATTESTATION_COLUMNS`, :func:`finding_columns`); empty in the fast mode.
        pipeline_runs: evidence + verify rounds run for this result (0 in the fast mode, whose
            outcome table is shared by the process).
    """

    spec: FleetSpec
    mode: str
    inventory: pd.DataFrame = field(repr=False)
    event_counts: pd.DataFrame = field(repr=False)
    round_counts: pd.DataFrame = field(repr=False)
    alert_counts: pd.DataFrame = field(repr=False)
    detections: pd.DataFrame = field(repr=False)
    recommendation_counts: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    attestations: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    pipeline_runs: int = 0

    @property
    def vms(self) -> int:
        """VMs in this result (a part of a fleet has fewer than ``spec.vms``)."""
        return len(self.inventory)

    @property
    def vm_days(self) -> int:
        return self.vms * self.spec.days


def _sorted_rows(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True) if len(frame) else frame


def combine(parts: Sequence[FleetResult]) -> FleetResult:
    """One result from results of disjoint VM ranges of the same spec and mode (in any order).

    Inventories and row tables are concatenated in VM order, aggregate counts summed per key,
    detections concatenated and sorted; ``combine`` of a fleet's block-aligned parts equals the
    whole run.

    Raises:
        DataError: no parts, parts of different specs or modes, or overlapping VMs.
    """
    if not parts:
        raise DataError("combine needs at least one result", field="parts")
    first = parts[0]
    for n, part in enumerate(parts):
        if not isinstance(part, FleetResult):
            raise DataError(f"parts[{n}] is a {type(part).__name__}, not a FleetResult", field="parts")
        if part.spec != first.spec or part.mode != first.mode:
            raise DataError(f"parts[{n}] is of another spec or mode than parts[0]", field="parts")
    ordered = sorted(parts, key=lambda p: str(p.inventory["vm"].iloc[0]) if len(p.inventory) else "")
    inventory = pd.concat([p.inventory for p in ordered], ignore_index=True)
    if inventory["vm"].duplicated().any():
        raise DataError("parts overlap: a VM is in two of them", field="parts")
    tables = {
        name: aggregate(pd.concat([getattr(p, name) for p in ordered], ignore_index=True), columns, counts)
        for name, (columns, counts) in AGGREGATE_COLUMNS.items()
    }
    detections = pd.concat([p.detections for p in ordered], ignore_index=True)
    rows = {name: pd.concat([getattr(p, name) for p in ordered], ignore_index=True) for name in ROW_TABLES}
    return FleetResult(
        first.spec,
        first.mode,
        inventory,
        detections=typed(_sorted_rows(detections, ["vm", "start_day", "attack"]), DETECTION_COLUMNS),
        pipeline_runs=sum(p.pipeline_runs for p in parts),
        **tables,
        **rows,
    )
