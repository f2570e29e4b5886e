"""Figures for Defender for Cloud findings (presentation only).

- :func:`findings_by_severity_figure`: how many findings per severity, shown vs suppressed.
- :func:`findings_by_name_figure`: how many findings per recommendation or alert name, shown vs
  suppressed.

Input is the table :func:`tlkit.defender.assess` returns (columns ``name``, ``severity``,
``suppressed``); nothing here decides or counts findings beyond grouping the rows it is given.
No function calls ``plt.show()``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["SEVERITY_COLORS", "SUPPRESSED_COLOR", "findings_by_name_figure", "findings_by_severity_figure"]

SEVERITY_COLORS: Mapping[str, str] = {"Low": "#f9a825", "Medium": "#ef6c00", "High": "#c62828"}
"""Bar colour per severity (shown findings)."""
SUPPRESSED_COLOR = "#bdbdbd"
"""Bar colour of suppressed findings (hatched)."""

_SEVERITY_ORDER = ("Low", "Medium", "High")


def _counts(findings: pd.DataFrame, by: str, order: Sequence[str]) -> pd.DataFrame:
    """Rows ``order`` x columns ``shown``/``suppressed``: the number of findings of each."""
    counts = {
        "shown": findings.loc[~findings["suppressed"], by].value_counts(),
        "suppressed": findings.loc[findings["suppressed"], by].value_counts(),
    }
    return pd.DataFrame(counts).reindex(list(order)).fillna(0).astype(int)


def _bars(ax: Axes, counts: pd.DataFrame, colours: Sequence[str], labels: Sequence[str]) -> None:
    positions = range(len(counts))
    shown, suppressed = counts["shown"].to_numpy(), counts["suppressed"].to_numpy()
    ax.barh(positions, shown, color=list(colours), label="shown")
    ax.barh(positions, suppressed, left=shown, color=SUPPRESSED_COLOR, hatch="//", label="suppressed")
    for y, (s, h) in enumerate(zip(shown, suppressed, strict=True)):
        text = f"{s}" + (f" + {h} suppressed" if h else "")
        ax.text(s + h + 0.1, y, text, va="center", fontsize=9)
    ax.set_yticks(list(positions), list(labels))
    totals = shown + suppressed
    ax.set_xlim(0, max(1, int(totals.max()) if len(totals) else 0) * 1.35 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("findings")
    ax.legend(loc="lower right", frameon=False)


def findings_by_severity_figure(findings: pd.DataFrame, *, title: str = "Findings by severity") -> Figure:
    """Horizontal bars: findings per severity (Low, Medium; High only if present: no documented Trusted
    Launch finding is High), suppressed ones stacked and hatched."""
    present = set(findings["severity"])
    counts = _counts(findings, "severity", [s for s in _SEVERITY_ORDER if s != "High" or s in present])
    fig, ax = plt.subplots(figsize=(7, 2.6), layout="constrained")
    _bars(ax, counts, [SEVERITY_COLORS[s] for s in counts.index], list(counts.index))
    ax.set_title(title)
    return fig


def findings_by_name_figure(
    findings: pd.DataFrame, *, title: str = "Findings by recommendation and alert", wrap: int = 48
) -> Figure:
    """Horizontal bars: findings per name (recommendations, then alerts; each coloured by severity),
    suppressed ones stacked and hatched. Names are wrapped at ``wrap`` characters."""
    kinds = findings.drop_duplicates("name").set_index("name")
    order = sorted(kinds.index, key=lambda n: (kinds.loc[n, "kind"] != "recommendation", n), reverse=True)
    counts = _counts(findings, "name", order)
    colours = [SEVERITY_COLORS.get(str(kinds.loc[n, "severity"]), "#757575") for n in order]
    labels = [textwrap.fill(f"{kinds.loc[n, 'kind']}: {n}", wrap) for n in order]
    fig, ax = plt.subplots(figsize=(9, 0.55 * max(len(order), 1) + 1.4), layout="constrained")
    _bars(ax, counts, colours, labels)
    ax.set_title(title)
    return fig
