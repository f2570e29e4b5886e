"""Figures for Trusted Launch support matrices and fleet inventories (presentation only).

- :func:`support_heatmap`: size families x support-matrix snapshots, coloured by status.
- :func:`compatible_share_figure`: how much of a fleet can run Trusted Launch, per TL status
  (compatible / blocked / undetermined).
- :func:`blockers_figure`: what keeps VMs from Trusted Launch, by cause (the counts of
  :meth:`tlkit.support.InventoryResult.summary`).
- :func:`tl_status_by_os_figure`: TL status counts per operating system.

Inputs are tables computed by :mod:`tlkit.support` (``size_status_history(...)``,
``load_inventory(...).frame`` and its ``summary()``); nothing here decides or counts support.
No function calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = [
    "STATUS_COLORS",
    "TL_STATUS_COLORS",
    "blockers_figure",
    "compatible_share_figure",
    "support_heatmap",
    "tl_status_by_os_figure",
]

STATUS_COLORS: Mapping[str, str] = {
    "supported": "#2e7d32",
    "currently-not-supported": "#f9a825",
    "not-supported": "#c62828",
    "unknown": "#bdbdbd",
}
"""Colour per size support status; statuses not listed are drawn grey."""

TL_STATUS_COLORS: Mapping[str, str] = {
    "TL-full": "#2e7d32",
    "TL-partial": "#9ccc65",
    "CVM": "#1565c0",
    "Gen2-Standard": "#f9a825",
    "Gen1": "#c62828",
    "Unknown-gen": "#bdbdbd",
}
"""Colour per Trusted Launch status (facts section 7.3 categories)."""

_OTHER = "#757575"


def support_heatmap(
    history: pd.DataFrame,
    *,
    row: str = "label",
    column: str = "snapshot",
    status: str = "status",
    title: str = "Trusted Launch size support across documentation snapshots",
) -> Figure:
    """Rows (size families) x columns (snapshots) coloured by support status.

    Args:
        history: long table with one row per (``row``, ``column``) and its ``status``; the row and
            column orders are those of first appearance.
    """
    rows = list(dict.fromkeys(history[row].astype(str)))
    cols = list(dict.fromkeys(history[column].astype(str)))
    statuses = list(dict.fromkeys([*STATUS_COLORS, *history[status].astype(str)]))
    code = {s: i for i, s in enumerate(statuses)}
    grid = np.full((len(rows), len(cols)), code.get("unknown", 0), dtype=float)
    r_ix = {r: i for i, r in enumerate(rows)}
    c_ix = {c: i for i, c in enumerate(cols)}
    for r, c, s in zip(
        history[row].astype(str), history[column].astype(str), history[status].astype(str), strict=True
    ):
        grid[r_ix[r], c_ix[c]] = code[s]
    cmap = ListedColormap([STATUS_COLORS.get(s, _OTHER) for s in statuses])
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * max(len(cols), 1), 0.8 + 0.32 * max(len(rows), 1)))
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(statuses) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(cols)), cols, rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xticks(np.arange(-0.5, len(cols)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.set_title(title)
    used = [s for s in statuses if s in set(history[status].astype(str))]
    ax.legend(
        handles=[Patch(color=STATUS_COLORS.get(s, _OTHER), label=s) for s in used],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )
    fig.tight_layout()
    return fig


def compatible_share_figure(frame: pd.DataFrame) -> Figure:
    """Stacked bars per TL status from the ``verdict`` column: compatible, blocked, and undetermined
    (nothing blocks but something could not be checked) drawn apart; unchecked rows count as
    undetermined."""
    order = [s for s in TL_STATUS_COLORS if s in set(frame["tl_status"])]
    verdict = frame["verdict"].astype("string").fillna("undetermined")
    fig, ax = plt.subplots(figsize=(7, 3.8))
    x = np.arange(len(order))
    bottom = np.zeros(len(order))
    for key, colour, label in (
        ("compatible", "#2e7d32", "compatible"),
        ("not-compatible", "#c62828", "blocked"),
        ("undetermined", "#ef6c00", "undetermined"),
    ):
        vals = np.array([int(((verdict == key) & (frame["tl_status"] == s)).sum()) for s in order])
        ax.bar(x, vals, bottom=bottom, color=colour, label=label)
        bottom += vals
    ax.set_xticks(x, order)
    ax.set_ylabel("VMs")
    n = len(frame)
    share = float((verdict == "compatible").mean()) if n else 0.0
    und = int((verdict == "undetermined").sum())
    ax.set_title(
        f"Trusted Launch compatibility by current status ({share:.0%} of {n} VMs compatible, "
        f"{und} undetermined)"
    )
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


class _HasTopBlockers(Protocol):
    @property
    def top_blockers(self) -> tuple[tuple[str, int], ...]: ...


def blockers_figure(counts: _HasTopBlockers | Sequence[tuple[str, int]], *, top: int = 10) -> Figure:
    """Horizontal bars: how many VMs each blocker affects.

    Args:
        counts: an :class:`~tlkit.support.InventorySummary` (its ``top_blockers``; ask
            ``result.summary(top=...)`` for more) or ``(blocker, count)`` pairs, most frequent first.
        top: at most this many bars.
    """
    pairs = counts.top_blockers if hasattr(counts, "top_blockers") else counts
    items = [(str(b), int(n)) for b, n in pairs][:top][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.9 + 0.4 * max(len(items), 1)))
    if items:
        ax.barh([b for b, _ in items], [n for _, n in items], color="#c62828")
        for i, (_, n) in enumerate(items):
            ax.text(n, i, f" {n}", va="center")
    else:
        ax.text(0.5, 0.5, "no blockers", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("VMs")
    ax.set_title("What keeps VMs from Trusted Launch")
    fig.tight_layout()
    return fig


def tl_status_by_os_figure(frame: pd.DataFrame, *, by: str = "os") -> Figure:
    """Stacked horizontal bars: TL status counts per operating system (column ``by``).

    Gallery and managed images without OS details appear under the image kind
    (``"gallery image (OS unknown)"``, the :class:`~tlkit.support.OsInfo` display); VMs with no
    image at all (``by`` empty: attached OS disk, or ``check=False``) are grouped as
    ``"<os_type> (not identified)"``.
    """
    fallback = frame["os_type"].astype("string").fillna("OS") + " (not identified)"
    labels = frame[by].astype("string").fillna(fallback)
    table = pd.crosstab(labels, frame["tl_status"])
    table = table.loc[table.sum(axis=1).sort_values().index]
    order = [s for s in TL_STATUS_COLORS if s in table.columns]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.35 * max(len(table), 1)))
    left = np.zeros(len(table))
    for s in order:
        vals = table[s].to_numpy()
        ax.barh(table.index.astype(str), vals, left=left, color=TL_STATUS_COLORS[s], label=s)
        left += vals
    ax.set_xlabel("VMs")
    ax.set_title("Trusted Launch status by operating system")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig
