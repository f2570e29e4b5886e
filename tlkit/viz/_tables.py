"""Result objects as DataFrames (presentation only).

Domain packages that must not depend on pandas (e.g. :mod:`tlkit.tpm`) give their results a
``to_rows()`` method returning plain records; :func:`table` turns any such object into a DataFrame
with the columns in record order.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

__all__ = ["SupportsRows", "table"]


class SupportsRows(Protocol):
    def to_rows(self) -> list[dict[str, object]]: ...


def table(result: SupportsRows) -> pd.DataFrame:
    """``result.to_rows()`` as a DataFrame (an empty result keeps no columns)."""
    return pd.DataFrame.from_records(result.to_rows())
