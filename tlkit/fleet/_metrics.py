"""Headline metrics of a simulated fleet, from its aggregate tables only (private).

What it does: every function reads a :class:`~tlkit.fleet.FleetResult`'s aggregates (and the
inventory's sizes), so it works the same for the exact and the fast mode and for combined parts.
:func:`alert_rates`: Defender alerts per 1,000 VM-days by any of OS image, family, day, alert name,
cause (the distinct reason codes behind an alert, ``+``-joined) and ground truth; the VM-days are
those of the population the grouping selects (an OS image's or family's VMs, a day's fleet; causes,
names and ground truth split alerts, not VMs). :func:`false_positive_share`: the share of alerts on
VMs not compromised that day (the simulation's ground truth). :func:`time_to_detect`: per attack kind,
how many were detected (an unsuppressed alert on that VM on or after the attack's day) and after how
many days. :func:`attestation_coverage`: the share of VM-days with at least one verdict.
:func:`suppressed_counts`: alerts a suppression rule hid, by name and cause. Alerts are the
unsuppressed ones everywhere except :func:`suppressed_counts` (and ``include_suppressed``).

What it does not do: plots (:mod:`tlkit.viz`), confidence intervals, or read the row tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from tlkit.errors import DataError
from tlkit.fleet._result import FleetResult

__all__ = [
    "RATE_BY",
    "alert_rates",
    "alerts",
    "attestation_coverage",
    "false_positive_share",
    "suppressed_counts",
    "time_to_detect",
]

#: What :func:`alert_rates` can group by; ``os``, ``family`` and ``day`` also select the VM-days.
RATE_BY: Final = ("os", "family", "day", "name", "cause", "compromised")
_POPULATION: Final = ("os", "family", "day")
TTD_COLUMNS: Final = ("attack", "attacks", "detected", "detected_share", "median_days", "mean_days")


def _check(result: object) -> FleetResult:
    if not isinstance(result, FleetResult):
        raise DataError(f"result must be a FleetResult, not {type(result).__name__}", field="result")
    return result


def alerts(result: FleetResult, *, include_suppressed: bool = False) -> pd.DataFrame:
    """The ``alert_counts`` rows that count as alerts (unsuppressed unless ``include_suppressed``)."""
    counts = _check(result).alert_counts
    return counts if include_suppressed else counts[~counts["suppressed"]]


def _vm_days(result: FleetResult, population: list[str]) -> pd.DataFrame:
    """VM-days per group of the population columns (``os``/``family`` from the inventory, ``day``)."""
    inventory = result.inventory
    static = [c for c in population if c != "day"]
    if static:
        vms = inventory.groupby(static, observed=True).size().rename("vms").reset_index()
        for c in static:
            vms[c] = vms[c].astype(str)
    else:
        vms = pd.DataFrame({"vms": [len(inventory)]})
    if "day" in population:
        days = pd.DataFrame({"day": np.arange(result.spec.days, dtype=np.int64)})
        vms = vms.merge(days, how="cross")
        vms["vm_days"] = vms["vms"].astype("int64")
    else:
        vms["vm_days"] = (vms["vms"] * result.spec.days).astype("int64")
    return vms.drop(columns="vms")


def alert_rates(
    result: FleetResult, by: str | Sequence[str] = ("os",), *, include_suppressed: bool = False
) -> pd.DataFrame:
    """Alerts per 1,000 VM-days grouped ``by`` (columns of :data:`RATE_BY`).

    Returns:
        The ``by`` columns, ``alerts``, ``vm_days`` and ``per_1000_vm_days``, sorted by ``by``. Groups
        of the population (OS images and families of the inventory, days) appear with zero alerts
        when ``by`` has only population columns.

    Raises:
        DataError: a ``by`` column not in :data:`RATE_BY`, or not a result.
    """
    columns = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in columns if c not in RATE_BY]
    if unknown or not columns:
        raise DataError(f"alert_rates by must be some of {RATE_BY}, not {by!r}", field="by")
    found = alerts(result, include_suppressed=include_suppressed)
    summed = found.groupby(columns, sort=True)["alerts"].sum().reset_index()
    population = [c for c in columns if c in _POPULATION]
    vm_days = _vm_days(result, population)
    if population:
        every_group = len(population) == len(columns)
        frame = summed.merge(vm_days, on=population, how="right" if every_group else "left")
    else:
        frame = summed.assign(vm_days=int(vm_days["vm_days"].iloc[0]))
    frame["alerts"] = frame["alerts"].fillna(0).astype("int64")
    frame["vm_days"] = frame["vm_days"].astype("int64")
    frame["per_1000_vm_days"] = (1000.0 * frame["alerts"] / frame["vm_days"]).astype("float64")
    return (
        frame[[*columns, "alerts", "vm_days", "per_1000_vm_days"]].sort_values(columns).reset_index(drop=True)
    )


def false_positive_share(result: FleetResult) -> float:
    """The share of (unsuppressed) alerts on VMs not compromised that day (NaN without alerts)."""
    found = alerts(result)
    total = int(found["alerts"].sum())
    return float("nan") if total == 0 else float(found.loc[~found["compromised"], "alerts"].sum() / total)


def time_to_detect(result: FleetResult) -> pd.DataFrame:
    """Per attack kind (``infection``, ``mitm``): attacks, detected, their share, and the median and
    mean days from the attack to its first unsuppressed alert (NaN when none was detected)."""
    d = _check(result).detections
    rows = []
    for attack in ("infection", "mitm"):
        mine = d[d["attack"] == attack]
        delay = (mine["detected_day"] - mine["start_day"]).dropna()
        n = len(mine)
        rows.append(
            (attack, n, len(delay), len(delay) / n if n else float("nan"),
             float(delay.median()) if len(delay) else float("nan"),
             float(delay.mean()) if len(delay) else float("nan"))
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(TTD_COLUMNS))
    return frame.astype({"attacks": "int64", "detected": "int64", "attack": "str"})


def attestation_coverage(result: FleetResult) -> float:
    """The share of VM-days with at least one attestation verdict (a failure counts: it is a verdict)."""
    r = _check(result)
    return int(r.round_counts["vm_days"].sum()) / r.vm_days


def suppressed_counts(result: FleetResult) -> pd.DataFrame:
    """Per alert name and cause: alerts raised, how many a suppression rule hid, and their share."""
    found = alerts(result, include_suppressed=True)
    frame = (
        found.assign(suppressed_alerts=found["alerts"].where(found["suppressed"], 0))
        .groupby(["name", "cause"], sort=True)[["alerts", "suppressed_alerts"]]
        .sum()
        .reset_index()
        .rename(columns={"suppressed_alerts": "suppressed"})
    )
    frame = frame.astype({"name": "str", "cause": "str", "alerts": "int64", "suppressed": "int64"})
    frame["suppressed_share"] = (frame["suppressed"] / frame["alerts"]).astype("float64")
    return frame
