"""Tabular view of a log (one row per event) for notebooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from tlkit.eventlog._logdata import LogData

__all__ = ["log_to_frame"]


def log_to_frame(log: LogData) -> pd.DataFrame:
    """Columns: index, offset, pcr, type, type_name, ``digest_<bank>`` (hex) per bank, description."""
    import pandas as pd  # noqa: PLC0415 - pandas is only needed for tables

    banks = log.banks
    rows: list[dict[str, Any]] = []
    for e in log:
        row: dict[str, Any] = {
            "index": e.index,
            "offset": e.offset,
            "pcr": e.pcr,
            "type": e.event_type,
            "type_name": e.type_name,
        }
        dg = e.digests
        for b in banks:
            d = dg.get(b)
            row[f"digest_{b}"] = d.hex() if d is not None else None
        row["description"] = e.description
        rows.append(row)
    cols = ["index", "offset", "pcr", "type", "type_name", *(f"digest_{b}" for b in banks), "description"]
    return pd.DataFrame(rows, columns=cols)
