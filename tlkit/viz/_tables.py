"""Result objects and mappings as DataFrames (presentation only).

Domain packages that must not depend on pandas (e.g. :mod:`tlkit.tpm`) give their results a
``to_rows()`` method returning plain records; :func:`table` turns any such object into a DataFrame
with the columns in record order. :func:`fields` shows a (nested) mapping, such as a result's
``to_dict()``, as a two-column table a learner can read, instead of a dict or Series repr.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

import pandas as pd

__all__ = ["SupportsRows", "fields", "table"]


class SupportsRows(Protocol):
    def to_rows(self) -> list[dict[str, object]]: ...


def table(result: SupportsRows) -> pd.DataFrame:
    """``result.to_rows()`` as a DataFrame (an empty result keeps no columns)."""
    return pd.DataFrame.from_records(result.to_rows())


def _cell(value: object) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(map(str, value)) if value else "—"
    if isinstance(value, bytes):
        return value.hex()
    return "—" if value is None else str(value)


def _flatten(mapping: Mapping[object, object], prefix: str) -> Iterator[tuple[str, str]]:
    for k, v in mapping.items():
        name = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            yield from _flatten(v, f"{name}.")
        else:
            yield name, _cell(v)


def fields(mapping: Mapping[object, object], *, key: str = "field", value: str = "value") -> pd.DataFrame:
    """A mapping as a table with columns ``key`` and ``value``, one row per entry in order.

    Nested mappings become rows with dotted names (``attest.pcr_digest``); sequences are joined with
    ``", "`` (an empty one, like ``None``, shows ``—``); bytes show as hex. Every value is a string,
    so the table prints the same under any pandas version.
    """
    return pd.DataFrame(list(_flatten(mapping, "")), columns=[key, value])
