"""Figures of a simulated fleet's alert rates (presentation only).

- :func:`alert_rate_figure`: alerts per 1,000 VM-days, day by day: all alerts the SOC sees, the real
  ones (the VM was compromised that day) and the false positives; below, the same by cause.
- :func:`cause_figure`: one bar per day (or per OS image), stacked by cause, with the suppressed
  alerts as a hatched segment of their own on top (counted, never shown to the SOC).
- :func:`family_os_heatmap`: alerts per 1,000 VM-days for every size family x OS image, annotated.
- :func:`dashboard_figure`: the daily rates and the causes per OS side by side, drawn fast (the fleet
  dashboard redraws it on every change).
- :func:`lag_figure`: false-positive share (and alert rate) against the baseline-update lag, from a
  :func:`tlkit.fleet._sweep.sweep` table over ``baseline_lag_days``.

The ``*_rates`` / ``*_table`` functions return the numbers each figure draws, so a notebook can show
the table beside the figure and a test can compare the drawing with them. Everything here reads only
the aggregate tables of a :class:`~tlkit.fleet.FleetResult` (``alert_counts`` and ``inventory``),
which both simulation modes fill, never the exact mode's row tables; nothing here simulates, decides
an alert or a cause, or counts VM-days: every rate is :func:`tlkit.fleet.alert_rates`', reshaped.
"Alerts" are the unsuppressed ones (what the SOC sees) unless a function says otherwise. No
function calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from tlkit.attest import CODES
from tlkit.errors import DataError
from tlkit.fleet._metrics import alert_rates
from tlkit.fleet._result import FleetResult

__all__ = [
    "CAUSE_COLORS",
    "SUPPRESSED",
    "SUPPRESSED_COLOR",
    "TRUTH_COLORS",
    "FleetResult",
    "alert_rate_figure",
    "cause_colours",
    "cause_figure",
    "cause_table",
    "daily_alert_rates",
    "dashboard_figure",
    "family_os_heatmap",
    "family_os_rates",
    "lag_figure",
]

SUPPRESSED: Final = "suppressed"
"""The column / segment of :func:`cause_table` and :func:`cause_figure` holding suppressed alerts."""
SUPPRESSED_COLOR: Final = "#bdbdbd"
"""Colour of suppressed alerts (hatched), as in :mod:`tlkit.viz.defender`."""
TRUTH_COLORS: Mapping[str, str] = {"all alerts": "#212121", "real": "#c62828", "false positive": "#ef6c00"}
"""Line colours of :func:`alert_rate_figure`'s top panel."""
CAUSE_COLORS: Final = (
    "#6d4c41", "#ad1457", "#8e24aa", "#c0ca33", "#00838f", "#5e35b1", "#f9a825", "#2e7d32", "#3949ab",
    "#757575", "#1565c0", "#e53935", "#d81b60", "#00897b", "#43a047", "#1e88e5",
)  # fmt: skip
"""The palette of causes: a verifier code (:data:`tlkit.attest.CODES`, in its order) always gets the
same colour in every figure; other causes (e.g. ``a+b``) take the colours no code of the figure uses."""


def _wide(rates: pd.DataFrame, index: str, columns: str) -> pd.DataFrame:
    """:func:`tlkit.fleet.alert_rates` rows as an ``index`` x ``columns`` table of per-1,000 rates."""
    wide = rates.pivot_table(index=index, columns=columns, values="per_1000_vm_days", aggfunc="sum")
    wide.columns = [str(c) for c in wide.columns]
    return wide.fillna(0.0).astype("float64")


def _days(result: FleetResult) -> pd.Index:
    return pd.RangeIndex(int(result.spec.days), name="day")


def daily_alert_rates(result: FleetResult, by: str | None = "truth") -> pd.DataFrame:
    """Unsuppressed alerts per 1,000 VM-days on each day (rows ``0 .. days-1``, zero days included),
    from :func:`tlkit.fleet.alert_rates`.

    Args:
        by: ``None``: one column ``all alerts``; ``"truth"``: ``all alerts``, ``real`` (the VM was
            compromised that day) and ``false positive``; ``"cause"``: one column per cause (sorted).
    """
    if by == "cause":
        return _wide(alert_rates(result, ["day", "cause"]), "day", "cause").reindex(
            _days(result), fill_value=0.0
        )
    if by not in (None, "truth"):
        raise DataError(f"by must be None, 'truth' or 'cause', not {by!r}", field="by")
    rates = alert_rates(result, ["day", "compromised"])
    rates["truth"] = np.where(rates["compromised"], "real", "false positive")
    wide = _wide(rates, "day", "truth").reindex(index=_days(result), columns=["real", "false positive"])
    wide = wide.fillna(0.0)
    wide.insert(0, "all alerts", wide.sum(axis=1))
    return wide if by == "truth" else wide[["all alerts"]]


def cause_table(result: FleetResult, by: str = "day") -> pd.DataFrame:
    """Alerts per 1,000 VM-days per ``by`` (``"day"`` or ``"os"``) and cause, plus a last column
    :data:`SUPPRESSED` (suppressed alerts of every cause), from :func:`tlkit.fleet.alert_rates`. Days
    run ``0 .. days-1``; OS images are those of the inventory (an OS without alerts is a row of zeros)."""
    if by not in ("day", "os"):
        raise DataError(f"by must be 'day' or 'os', not {by!r}", field="by")
    shown = _wide(alert_rates(result, [by, "cause"]), by, "cause")
    every = alert_rates(result, by, include_suppressed=True).set_index(by)["per_1000_vm_days"]
    visible = alert_rates(result, by).set_index(by)["per_1000_vm_days"]
    groups = _days(result) if by == "day" else every.index
    table = shown.reindex(index=groups, columns=sorted(shown.columns), fill_value=0.0).fillna(0.0)
    table[SUPPRESSED] = (every - visible).reindex(groups, fill_value=0.0).clip(lower=0.0)
    table.index.name = by
    return table.astype("float64")


def family_os_rates(result: FleetResult) -> pd.DataFrame:
    """Unsuppressed alerts per 1,000 VM-days, size family (rows, sorted) x OS image (columns, sorted),
    from :func:`tlkit.fleet.alert_rates`; NaN where the fleet has no VM of that family and OS."""
    rates = alert_rates(result, ["family", "os"]).set_index(["family", "os"])["per_1000_vm_days"]
    return rates.unstack("os").sort_index().sort_index(axis=1)


def cause_colours(causes: Sequence[str]) -> dict[str, str]:
    """The colour of each of ``causes`` (see :data:`CAUSE_COLORS`)."""
    codes = list(CODES)
    out = {c: CAUSE_COLORS[codes.index(c) % len(CAUSE_COLORS)] for c in causes if c in CODES}
    free = [c for c in CAUSE_COLORS if c not in out.values()] or list(CAUSE_COLORS)
    others = [c for c in causes if c not in CODES]
    out.update({c: free[k % len(free)] for k, c in enumerate(others)})
    return out


def _finish(ax: Axes, ylabel: str, legend: Mapping[str, Any]) -> None:
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**{"fontsize": 8, "frameon": False, **legend})


def _log(ax: Axes) -> None:
    """Symmetric-log y (linear below 0.1, so zero days still show), with room above for the legend."""
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylim(0, max(10 * ax.get_ylim()[1], 1.0))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # plain text: no mathtext to lay out
    ax.yaxis.set_minor_locator(NullLocator())


def _truth_lines(ax: Axes, result: FleetResult, log: bool) -> None:
    truth = daily_alert_rates(result, "truth")
    for name, colour in TRUTH_COLORS.items():
        style = "-" if name == "all alerts" else "--"
        ax.plot(truth.index, truth[name], style, color=colour, label=name, lw=1.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _finish(ax, "alerts per 1,000 VM-days", {"loc": "upper left", "ncol": 3})
    ax.set_ylim(0, 1.3 * float(truth.to_numpy().max(initial=0.0)) or 1.0)  # room for the legend
    if log:
        _log(ax)


def _cause_bars(ax: Axes, result: FleetResult, by: str) -> None:
    table = cause_table(result, by)
    positions = [float(p) for p in range(len(table))]
    bottom, width = np.zeros(len(table)), 0.9 if by == "day" else 0.6
    colours = cause_colours([str(c) for c in table.columns if c != SUPPRESSED])
    for column in table.columns:
        values = table[column].to_numpy()
        if column == SUPPRESSED:
            ax.bar(positions, values, width, bottom=bottom, color=SUPPRESSED_COLOR, hatch="//", label=column)
        else:
            ax.bar(positions, values, width, bottom=bottom, color=colours[column], label=column)
        bottom = bottom + values
    if by == "os":
        ax.set_xticks(positions, [str(i) for i in table.index])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("day" if by == "day" else "OS image")
    _finish(ax, "alerts per 1,000 VM-days", {"loc": "upper left", "bbox_to_anchor": (1.01, 1)})


def alert_rate_figure(
    result: FleetResult, *, log: bool = False, title: str = "Alerts the SOC sees, per day"
) -> Figure:
    """Two panels over the days: top, all unsuppressed alerts, the real ones and the false positives
    (:func:`daily_alert_rates` ``by="truth"``); bottom, one line per cause (``by="cause"``). The
    y axes are alerts per 1,000 VM-days; ``log`` makes them symmetric-log (linear below 0.1, so zero
    days still show), for real alerts a thousand times rarer than false positives."""
    causes = daily_alert_rates(result, "cause")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.6), sharex=True, layout="constrained")
    _truth_lines(top, result, log)
    colours = cause_colours(list(causes.columns))
    for cause in causes.columns:
        bottom.plot(causes.index, causes[cause], color=colours[cause], label=cause, lw=1.3)
    top.set_title(title)
    _finish(bottom, "by cause", {"loc": "upper left", "ncol": 2})
    bottom.set_xlabel("day")
    if not len(causes.columns):
        bottom.text(0.5, 0.5, "no alerts", transform=bottom.transAxes, ha="center", color="#616161")
    if log:
        _log(bottom)
    return fig


def cause_figure(result: FleetResult, by: str = "day", *, title: str | None = None) -> Figure:
    """Bars of alerts per 1,000 VM-days per day (``by="day"``) or per OS image (``by="os"``), stacked
    by cause (:func:`cause_table`); the suppressed alerts are the hatched grey segment on top."""
    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    _cause_bars(ax, result, by)
    ax.set_title(title or f"Alerts by cause, per {'day' if by == 'day' else 'OS image'} (suppressed apart)")
    return fig


def dashboard_figure(result: FleetResult) -> Figure:
    """The dashboard's one figure: left, the daily rates of :func:`alert_rate_figure`'s top panel
    (symmetric-log: real alerts are often a hundred times rarer); right, :func:`cause_figure` per OS
    image. Fixed margins instead of a layout engine: drawn on every slider change, it must render fast."""
    fig, (rates, causes) = plt.subplots(1, 2, figsize=(11, 3.4), width_ratios=(3, 2))
    fig.subplots_adjust(left=0.08, right=0.82, bottom=0.15, top=0.9, wspace=0.22)
    _truth_lines(rates, result, log=True)
    rates.set_xlabel("day")
    rates.set_title("Alerts the SOC sees, per day", fontsize=10)
    _cause_bars(causes, result, "os")
    causes.set_ylabel("")
    causes.set_title("By cause and OS (suppressed apart)", fontsize=10)
    return fig


def family_os_heatmap(
    result: FleetResult, *, title: str = "Alerts per 1,000 VM-days by size family and OS"
) -> Figure:
    """A heatmap of :func:`family_os_rates`, each cell annotated with its value (``—``: no such VMs)."""
    rates = family_os_rates(result)
    values = rates.to_numpy(dtype="float64")
    fig, ax = plt.subplots(
        figsize=(1.6 * max(len(rates.columns), 1) + 3, 0.5 * max(len(rates), 1) + 1.6), layout="constrained"
    )
    finite = values[np.isfinite(values)]
    top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    image = ax.imshow(np.ma.masked_invalid(values), cmap="OrRd", vmin=0.0, vmax=top, aspect="auto")
    ax.set_xticks(range(len(rates.columns)), [str(c) for c in rates.columns])
    ax.set_yticks(range(len(rates.index)), [str(i) for i in rates.index])
    for (y, x), v in np.ndenumerate(values):
        text = "—" if not np.isfinite(v) else f"{v:.2f}"
        ax.text(x, y, text, ha="center", va="center", fontsize=8, color="white" if v > 0.6 * top else "black")
    fig.colorbar(image, ax=ax, label="alerts per 1,000 VM-days")
    ax.set_xlabel("OS image")
    ax.set_ylabel("size family")
    ax.set_title(title)
    return fig


def lag_figure(
    sweep_table: pd.DataFrame, *, title: str = "False positives against the baseline-update lag"
) -> Figure:
    """False-positive share (left axis, %) and alerts per 1,000 VM-days (right axis, dashed) against
    the baseline-update lag in days: ``sweep_table`` is :func:`tlkit.fleet._sweep.sweep` over
    ``baseline_lag_days`` (columns ``value``, ``false_positive_share``, ``alerts_per_1000_vm_days``)."""
    table = sweep_table.sort_values("value")
    lags = table["value"].to_numpy(dtype="float64")
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    ax.plot(lags, 100.0 * table["false_positive_share"].to_numpy(dtype="float64"), "o-",
            color=TRUTH_COLORS["false positive"], label="false-positive share")  # fmt: skip
    ax.set_ylim(top=min(100.0, ax.get_ylim()[1]))  # zoomed to the data: the axis says where it starts
    ax.set_xlabel("baseline-update lag (days; 0 = immediate)")
    ax.set_ylabel("false-positive share (%)")
    rate = ax.twinx()
    rate.plot(lags, table["alerts_per_1000_vm_days"].to_numpy(dtype="float64"), "s--",
              color=TRUTH_COLORS["all alerts"], label="alerts per 1,000 VM-days")  # fmt: skip
    rate.set_ylim(bottom=0)
    rate.set_ylabel("alerts per 1,000 VM-days")
    handles = ax.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    return fig
