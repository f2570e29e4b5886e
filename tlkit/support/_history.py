"""How the Trusted Launch status of chosen VM sizes changed across documentation snapshots.

:func:`size_status_history` asks :func:`tlkit.support.size_status` once per (size, snapshot) and
returns a long table for plotting (``tlkit.viz.support.support_heatmap``) or pivoting. It holds no
support data of its own: every status comes from the versioned tables in ``data/support/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from tlkit.support._matrix import size_status
from tlkit.support._snapshots import Snapshot, resolve_snapshot, snapshots

if TYPE_CHECKING:
    import datetime as _dt

__all__ = ["HISTORY_COLUMNS", "size_status_history"]

HISTORY_COLUMNS = ("label", "size", "snapshot", "tag", "date", "status", "matched_row", "reasons")
"""Columns of :func:`size_status_history`, in order."""


def size_status_history(
    sizes: Mapping[str, str] | Iterable[str],
    as_of: Iterable[str | _dt.date | Snapshot] | None = None,
) -> pd.DataFrame:
    """One row per (size, snapshot): the size's status in that snapshot and the row that decided it.

    Args:
        sizes: size names, or ``{label: size name}`` (e.g. ``{"Dv5": "Standard_D4s_v5"}``) to name
            each row after the family or series it stands for.
        as_of: snapshots to ask (ids, dates or :class:`Snapshot`); default: every snapshot, oldest first.

    Raises:
        DataError: a size name can't be parsed, or an ``as_of`` value is unusable.
    """
    pairs = list(sizes.items()) if isinstance(sizes, Mapping) else [(s, s) for s in sizes]
    snaps = list(snapshots()) if as_of is None else [resolve_snapshot(a) for a in as_of]
    rows = []
    for label, size in pairs:
        for snap in snaps:
            st = size_status(size, snap)
            rows.append(
                {
                    "label": label,
                    "size": st.size.name,
                    "snapshot": snap.id,
                    "tag": snap.tag,
                    "date": snap.date.isoformat(),
                    "status": st.status,
                    "matched_row": st.matched_row.label if st.matched_row else None,
                    "reasons": "; ".join(st.reasons),
                }
            )
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
