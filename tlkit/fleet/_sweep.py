"""One spec field varied over values, each fleet simulated: the headline metrics per value (private).

What it does: :func:`headline` reads a :class:`~tlkit.fleet.FleetResult`'s aggregate tables (so
both modes; through :mod:`tlkit.fleet._metrics`) into the few numbers a SOC asks for (alerts per
day and per 1,000 VM-days, the false-positive share, suppressed alerts, attestation coverage, time
to detect);
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
from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._metrics import (
    alerts,
    attestation_coverage,
    false_positive_share,
    suppressed_counts,
    time_to_detect,
)
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
_SIMULATORS: Final[dict[str, Callable[[FleetSpec], FleetResult]]] = {
    "fast": simulate_fast,
    "exact": simulate_exact,
}
"""The modes :func:`sweep` runs: their simulation functions (both return the same aggregates)."""


def headline(result: FleetResult) -> dict[str, Any]:
    """The SOC's headline numbers of a simulated fleet (:data:`HEADLINE_COLUMNS`), from its aggregates
    through :mod:`tlkit.fleet._metrics`; the median time to detect is over every attack kind."""
    shown = int(alerts(result)["alerts"].sum())
    ttd = time_to_detect(result)
    attacks, detected = int(ttd["attacks"].sum()), int(ttd["detected"].sum())
    d = result.detections
    delays = (d["detected_day"] - d["start_day"]).dropna()
    return {
        "alerts": shown,
        "alerts_per_day": shown / result.spec.days,
        "alerts_per_1000_vm_days": 1000.0 * shown / result.vm_days,
        "false_positive_share": false_positive_share(result),
        "suppressed": int(suppressed_counts(result)["suppressed"].sum()),
        "coverage": attestation_coverage(result),
        "attacks": attacks,
        "detected_share": detected / attacks if attacks else math.nan,
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
        mode: ``"fast"`` (:func:`~tlkit.fleet.simulate_fast`) or ``"exact"``
            (:func:`~tlkit.fleet.simulate_exact`: the real pipeline per round, for small fleets).

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
