"""Data loading and snapshot resolution for the support matrices.

Every Azure fact lives in ``data/support/`` (CSV and JSON, with ``SOURCES.md``); this module reads
those files once (cached) and resolves the ``as_of`` argument that every query takes:

- a snapshot id (``"2025-04"``, ``"2025-04b"``),
- a date (:class:`datetime.date`, ``"YYYY-MM-DD"``) or a month (``"YYYY-MM"`` that is not a
  snapshot id, read as the *last* day of that month),
- ``None``: the newest snapshot.

A date picks the latest snapshot whose effective date is on or before it; a date before the first
snapshot is a :class:`~tlkit.errors.DataError`.
"""

from __future__ import annotations

import calendar
import csv
import datetime as _dt
import io
import json
import re
from dataclasses import asdict, dataclass
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any, TypeAlias

from tlkit._data import data_cache, data_root
from tlkit.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AsOf",
    "Snapshot",
    "data_dir",
    "load_csv",
    "load_json",
    "resolve_snapshot",
    "snapshots",
    "snapshots_frame",
]


def data_dir() -> Traversable:
    """The ``data/support`` directory (see :func:`tlkit._data.data_root`; ``$TLKIT_DATA_DIR`` overrides)."""
    return data_root() / "support"


_COLUMNS: dict[str, tuple[str, ...]] = {
    "feature_keys.csv": ("feature", "aliases", "remediation"),
    "features.csv": ("snapshot", "feature", "label", "windows", "linux", "except_size_min_version", "note"),
    "gen1_upgrade.csv": ("since", "stage", "flag", "message", "ms_date", "source"),
    "image_generation.csv": (
        "publisher",
        "offer",
        "sku_regex",
        "generation",
        "architecture",
        "basis",
        "note",
    ),
    "image_offers.csv": (
        "publisher",
        "offer",
        "sku",
        "distro",
        "version_from",
        "version_regex",
        "version_template",
        "refine_from_version",
    ),
    "image_security_types.csv": ("kind", "value", "allows_trusted_launch"),
    "os_distros.csv": (
        "distro",
        "display",
        "os_type",
        "aliases",
        "gen1_upgrade",
        "gen1_upgrade_excluded_versions",
    ),
    "os_versions.csv": ("snapshot", "distro", "version", "label", "note"),
    "region_clouds.csv": ("prefix", "cloud"),
    "regions.csv": ("snapshot", "cloud", "regions", "note"),
    "size_accelerators.csv": ("token", "kind", "vendor", "model"),
    "size_families.csv": (
        "code",
        "family",
        "subfamily",
        "implied_features",
        "index_numbered_versions",
        "confidential",
        "gpu",
        "note",
    ),
    "size_cpus.csv": (
        "family",
        "features",
        "version",
        "accelerator",
        "cpu_vendor",
        "architecture",
        "cpu",
        "basis",
        "source",
    ),
    "size_features.csv": ("letter", "meaning"),
    "size_options.csv": ("token", "meaning"),
    "size_status.csv": (
        "snapshot",
        "section",
        "status",
        "kind",
        "family",
        "features",
        "version",
        "accelerator",
        "label",
        "basis",
        "note",
    ),
    "snapshots.csv": ("id", "date", "date_basis", "tag", "title", "source", "ms_date", "tlad_stage", "note"),
}
"""Columns each table must have (checked on load, so code can index rows without KeyError)."""


@data_cache()
def load_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/support/<name>`` as dicts of stripped strings (read once, cached).

    Raises:
        DataError: unreadable file, a required column missing, or a row with the wrong number of
            fields (``record`` = ``"<file>:<line>"``).
    """
    path = data_dir() / name
    try:
        text = path.read_text(encoding="utf-8")  # a Traversable: also inside a zip install
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"cannot read support data file {path}: {e}", record=name) from e
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or ()]
    missing = [c for c in _COLUMNS.get(name, ()) if c not in header]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", record=name, field=missing[0])
    rows = []
    for i, row in enumerate(reader):
        if None in row or any(v is None for v in row.values()):
            raise DataError("row has a wrong number of fields", record=f"{name}:{i + 2}")
        rows.append({k.strip(): v.strip() for k, v in row.items()})
    return tuple(rows)


@data_cache()
def load_json(name: str) -> dict[str, Any]:
    """``data/support/<name>`` parsed as a JSON object (read once, cached)."""
    path = data_dir() / name
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"cannot read support data file {path}: {e}", record=name) from e
    if not isinstance(value, dict):
        raise DataError("expected a JSON object", record=name)
    return value


@dataclass(frozen=True)
class Snapshot:
    """One dated version of the Trusted Launch documentation.

    Attributes:
        id: short id used in data files and ``as_of`` (``"2025-04"``).
        date: effective date (the page's ms.date unless ``date_basis`` says otherwise).
        date_basis: ``"ms.date"`` or ``"inferred"``.
        tag: the reference notes' version tag (``"TL-2025a"``).
        title: one-line description.
        source: repository/path/commit or URL of the text the tables were taken from.
        ms_date: the page's front-matter date as written.
        tlad_stage: ``"none"``, ``"tools"`` (portal/CLI/PowerShell default), ``"preview"`` or ``"ga"``.
        note: caveats.
    """

    id: str
    date: _dt.date
    date_basis: str
    tag: str
    title: str
    source: str
    ms_date: str
    tlad_stage: str
    note: str

    def to_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["date"] = self.date.isoformat()
        return d


AsOf: TypeAlias = str | _dt.date | Snapshot | None
"""What every query's ``as_of`` accepts: snapshot id, date, ``"YYYY-MM"``, a Snapshot, or None (newest)."""


@data_cache()
def snapshots() -> tuple[Snapshot, ...]:
    """All snapshots, oldest first."""
    out = []
    for i, row in enumerate(load_csv("snapshots.csv")):
        try:
            date = _dt.date.fromisoformat(row["date"])
        except ValueError as e:
            raise DataError(
                f"bad snapshot date {row['date']!r}", record=f"snapshots.csv:{i + 2}", field="date"
            ) from e
        out.append(
            Snapshot(
                row["id"],
                date,
                row["date_basis"],
                row["tag"],
                row["title"],
                row["source"],
                row["ms_date"],
                row["tlad_stage"],
                row["note"],
            )
        )
    out.sort(key=lambda s: s.date)
    return tuple(out)


def snapshots_frame() -> pd.DataFrame:
    """:func:`snapshots` as a DataFrame (one row per snapshot)."""
    import pandas as pd  # noqa: PLC0415 (lazy: importing tlkit stays light)

    return pd.DataFrame([s.to_dict() for s in snapshots()])


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def resolve_snapshot(as_of: str | _dt.date | Snapshot | None = None) -> Snapshot:
    """The snapshot that applies ``as_of`` (see the module docstring for the accepted forms)."""
    all_snaps = snapshots()
    if as_of is None:
        return all_snaps[-1]
    if isinstance(as_of, Snapshot):
        return as_of
    return _resolve_cached(as_of)


@data_cache()
def _resolve_cached(as_of: str | _dt.date) -> Snapshot:
    all_snaps = snapshots()
    if isinstance(as_of, _dt.datetime):
        day = as_of.date()
    elif isinstance(as_of, _dt.date):
        day = as_of
    elif isinstance(as_of, str):
        text = as_of.strip()
        for s in all_snaps:
            if s.id == text or s.tag.lower() == text.lower():
                return s
        m = _MONTH.match(text)
        try:
            if m:
                year, month = int(m.group(1)), int(m.group(2))
                day = _dt.date(year, month, calendar.monthrange(year, month)[1])
            else:
                day = _dt.date.fromisoformat(text)
        except (ValueError, calendar.IllegalMonthError) as e:
            raise DataError(
                f"as_of {as_of!r} is not a snapshot id, YYYY-MM or YYYY-MM-DD date", field="as_of"
            ) from e
    else:
        raise DataError(
            f"as_of must be a date, 'YYYY-MM', a snapshot id or None, not {type(as_of).__name__}",
            field="as_of",
        )
    chosen = None
    for s in all_snaps:
        if s.date <= day:
            chosen = s
    if chosen is None:
        raise DataError(
            f"as_of {day.isoformat()} is before the first snapshot "
            f"({all_snaps[0].id}, {all_snaps[0].date.isoformat()})",
            field="as_of",
        )
    return chosen
