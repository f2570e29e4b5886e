"""Headline metrics of a simulated fleet (private).

What it does: from a :class:`~tlkit.fleet.FleetResult`, :func:`alert_rates` (Defender alerts per
1,000 VM-days, by OS image and by cause), :func:`false_positive_share` (the share of alerts raised on
a VM that was not compromised at the time, per the simulation's ground truth) and
:func:`attestation_coverage` (the share of VM-days with at least one attestation verdict). Alerts are
the unsuppressed ``alert`` rows of ``findings``; suppressed ones are left out of every metric here.

What it does not do: time to detect, suppression counts, per-family or per-day curves, plots (later
work of issue 10).
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from tlkit.fleet._exact import FleetResult

__all__ = ["RATE_COLUMNS", "alert_rates", "alerts", "attestation_coverage", "false_positive_share"]

RATE_COLUMNS: Final = ("by", "value", "alerts", "vm_days", "per_1000_vm_days")


def _cause(codes: str) -> str:
    """An alert's cause: the distinct reason codes behind it (``code:detail`` → ``code``), ``+``-joined."""
    return "+".join(dict.fromkeys(c.split(":", 1)[0] for c in codes.split("; ") if c)) or "unknown"


def alerts(result: FleetResult) -> pd.DataFrame:
    """The unsuppressed alert findings, with the VM's ``os``, the ``cause`` and ``compromised``
    (the VM had been infected on or before the alert's day)."""
    f = result.findings
    found = f[(f["kind"] == "alert") & ~f["suppressed"]].copy()
    found["os"] = found["vm"].map(result.inventory.set_index("vm")["os"])
    found["cause"] = found["codes"].map(_cause)
    ev = result.events
    infected = ev[ev["kind"] == "infection"].groupby("vm")["day"].min().to_dict()
    since = found["vm"].map(infected).astype("float64")  # NaN: never infected
    found["compromised"] = (since.notna() & (since <= found["day"])).astype(bool)
    return found.reset_index(drop=True)


def alert_rates(result: FleetResult) -> pd.DataFrame:
    """Alerts per 1,000 VM-days by OS image (every OS of the inventory, zero included; its VM-days
    are its VMs × days) and by cause (over the whole fleet's VM-days).

    Returns:
        Columns :data:`RATE_COLUMNS`: ``by`` (``"os"`` or ``"cause"``), ``value``, ``alerts``,
        ``vm_days``, ``per_1000_vm_days``; OS rows first, each group sorted by value.
    """
    found = alerts(result)
    days = result.spec.days
    rows = []
    for os, vms in result.inventory.groupby("os")["vm"].size().sort_index().items():
        rows.append(("os", str(os), int((found["os"] == os).sum()), int(vms) * days))
    for cause, n in found.groupby("cause").size().sort_index().items():
        rows.append(("cause", str(cause), int(n), result.vm_days))
    frame = pd.DataFrame(rows, columns=list(RATE_COLUMNS[:4])).astype(
        {"by": "str", "value": "str", "alerts": "int64", "vm_days": "int64"}
    )
    frame["per_1000_vm_days"] = (1000.0 * frame["alerts"] / frame["vm_days"]).astype("float64")
    return frame


def false_positive_share(result: FleetResult) -> float:
    """The share of alerts on VMs not compromised at the alert's day (NaN when there is no alert)."""
    found = alerts(result)
    return float("nan") if found.empty else float((~found["compromised"]).mean())


def attestation_coverage(result: FleetResult) -> float:
    """The share of VM-days with at least one attestation verdict (a failure counts: it is a verdict)."""
    covered = result.attestations[["vm", "day"]].drop_duplicates()
    return len(covered) / result.vm_days
