"""One spec field varied over values, each fleet simulated: the headline metrics per value (private).

What it does: :func:`headline` reads a :class:`~tlkit.fleet.FleetResult`'s aggregate tables (so
both modes) into the few numbers a SOC asks for (alerts per day and per 1,000
VM-days, the share that is false positive, suppressed alerts, attestation coverage, time to detect);
:func:`sweep` simulates one spec per value of one field (fast mode by default) and returns one
:func:`headline` row per value. :func:`with_value` sets a field, and for ``baseline_lag_days`` the
policy that goes with it (0 = ``immediate``, more = ``lagged``), so a lag sweep needs no second field.

Determinism: every run keeps the spec's seed, so the same spec and values give the same table, and
two values differ only by the field (common random numbers: the differences between rows are not
sampling noise of separate seeds).

What it does not do: plot (:func:`tlkit.viz.fleet.lag_figure`), vary two fields at once, or run in
parallel (one simulation after another).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from typing import Any, Final

import pandas as pd

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._result import FleetResult
from tlkit.fleet._spec import FleetSpec

__all__ = ["HEADLINE_COLUMNS", "SWEEP_COLUMNS", "headline", "sweep", "with_value"]

HEADLINE_COLUMNS: Final = {
    "alerts": "int64",
    "alerts_per_day": "float64",
    "alerts_per_1000_vm_days": "float64",
    "false_positive_share": "float64",
    "suppressed": "int64",
    "coverage": "float64",
    "attacks": "int64",
    "detected_share": "float64",
    "median_days_to_detect": "float64",
}
"""The numbers of :func:`headline` and their dtypes. ``alerts`` are the unsuppressed alerts (what the SOC
sees), ``suppressed`` the suppressed ones (counted, not shown); ``false_positive_share``,
``detected_share`` and ``median_days_to_detect`` are NaN when there is nothing to take a share of."""
SWEEP_COLUMNS: Final = {"value": "object", **HEADLINE_COLUMNS}
"""The columns of :func:`sweep`: the field's ``value``, then :data:`HEADLINE_COLUMNS`."""
_SIMULATORS: Final[dict[str, Callable[[FleetSpec], FleetResult]]] = {"fast": simulate_fast}
"""The modes :func:`sweep` runs (the exact mode joins when it returns the aggregate tables)."""


def headline(result: FleetResult) -> dict[str, Any]:
    """The SOC's headline numbers of a simulated fleet (:data:`HEADLINE_COLUMNS`), from its aggregates.

    Coverage is the attested VM-days (``round_counts.vm_days``: every attested VM-day is in one group)
    over all VM-days; the time to detect is ``detected_day - start_day`` over the detected attacks.
    """
    a, d = result.alert_counts, result.detections
    shown = a.loc[~a["suppressed"], ["compromised", "alerts"]]
    alerts = int(shown["alerts"].sum())
    real = int(shown.loc[shown["compromised"], "alerts"].sum())
    vm_days = len(result.inventory) * result.spec.days
    delays = (d["detected_day"] - d["start_day"]).dropna()
    return {
        "alerts": alerts,
        "alerts_per_day": alerts / result.spec.days,
        "alerts_per_1000_vm_days": 1000.0 * alerts / vm_days,
        "false_positive_share": 1.0 - real / alerts if alerts else math.nan,
        "suppressed": int(a.loc[a["suppressed"], "alerts"].sum()),
        "coverage": float(result.round_counts["vm_days"].sum()) / vm_days,
        "attacks": len(d),
        "detected_share": len(delays) / len(d) if len(d) else math.nan,
        "median_days_to_detect": float(delays.median()) if len(delays) else math.nan,
    }


def with_value(spec: FleetSpec, field: str, value: object) -> FleetSpec:
    """``spec`` with ``field`` set to ``value`` (validated by :class:`~tlkit.fleet.FleetSpec`).

    ``baseline_lag_days`` also sets ``baseline_policy``: ``immediate`` for 0, ``lagged`` otherwise.

    Raises:
        DataError: ``field`` is not a spec field, or the value is bad for it (``field`` names it).
    """
    if field not in {f.name for f in dataclasses.fields(FleetSpec)} or field == "seed":
        raise DataError(f"cannot sweep {field!r}: not a fleet spec field (or the seed)", field=field)
    changes: dict[str, Any] = {field: value}
    if field == "baseline_lag_days":
        changes["baseline_policy"] = "immediate" if value == 0 else "lagged"
    return dataclasses.replace(spec, **changes)


def sweep(spec: FleetSpec, field: str, values: Iterable[object], *, mode: str = "fast") -> pd.DataFrame:
    """Simulate ``spec`` once per value of ``field`` (same seed) and tabulate :func:`headline`.

    Args:
        spec: the fleet every run starts from.
        field: a :class:`~tlkit.fleet.FleetSpec` field (not ``seed``), e.g. ``"baseline_lag_days"``.
        values: the values to try, in the order of the rows.
        mode: a key of :data:`_SIMULATORS`: ``"fast"`` (:func:`~tlkit.fleet._fast.simulate_fast`).

    Returns:
        One row per value, columns :data:`SWEEP_COLUMNS` (an empty ``values`` gives an empty table).

    Raises:
        DataError: a bad field, value or mode, before anything is simulated (``field`` names it).
    """
    if mode not in _SIMULATORS:
        raise DataError(f"mode must be one of {', '.join(_SIMULATORS)}, not {mode!r}", field="mode")
    specs = [(value, with_value(spec, field, value)) for value in values]
    rows = [{"value": value, **headline(_SIMULATORS[mode](s))} for value, s in specs]
    return pd.DataFrame(rows, columns=list(SWEEP_COLUMNS)).astype(SWEEP_COLUMNS)
