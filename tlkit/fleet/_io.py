"""Saving and loading a simulated fleet, and its headline summary (private).

What it does: :func:`save_result` writes a :class:`~tlkit.fleet.FleetResult` to a directory as
:data:`TABLE_FILES` (one parquet file per frame, aggregates and row tables alike, written with
pyarrow so dtypes, categoricals, tz-aware times and the row order survive) plus :data:`SPEC_FILE`
(the spec's JSON; the result's ``mode`` and ``pipeline_runs`` are kept in ``inventory.parquet``'s
file metadata). :func:`load_result` reads them back into an equal result and checks every table's
columns. :func:`summary` gives the headline metrics as plain data,
:func:`summary_json` its deterministic JSON (sorted keys, floats rounded to :data:`SUMMARY_DIGITS`
places, NaN as ``null``).

What it does not do: append to or merge saved fleets, read parquet written by anything else, or
stream tables larger than memory. A missing, unreadable or malformed file raises
:class:`tlkit.errors.DataError` whose message starts with the file's path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from tlkit.errors import DataError
from tlkit.fleet._metrics import (
    alert_rates,
    alerts,
    attestation_coverage,
    false_positive_share,
    suppressed_counts,
    time_to_detect,
)
from tlkit.fleet._process import INVENTORY_COLUMNS
from tlkit.fleet._result import (
    AGGREGATE_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    MODES,
    FleetResult,
    finding_columns,
)
from tlkit.fleet._spec import FleetSpec

__all__ = [
    "SPEC_FILE",
    "SUMMARY_DIGITS",
    "SUMMARY_FILE",
    "TABLE_FILES",
    "load_result",
    "save_result",
    "summary",
    "summary_json",
]

#: Frame attribute of :class:`~tlkit.fleet.FleetResult` → its parquet file.
TABLE_FILES: Final[Mapping[str, str]] = {
    "inventory": "inventory.parquet",
    "event_counts": "event_counts.parquet",
    "round_counts": "round_counts.parquet",
    "alert_counts": "alert_counts.parquet",
    "detections": "detections.parquet",
    "recommendation_counts": "recommendation_counts.parquet",
    "events": "events.parquet",
    "attestations": "attestations.parquet",
    "findings": "findings.parquet",
}
SPEC_FILE: Final = "spec.json"
#: Written by ``tlkit fleet simulate`` next to the tables (not read back by :func:`load_result`).
SUMMARY_FILE: Final = "summary.json"
#: Decimal places every float of :func:`summary_json` is rounded to.
SUMMARY_DIGITS: Final = 6

_RUNS_KEY: Final = b"tlkit.fleet.pipeline_runs"
_MODE_KEY: Final = b"tlkit.fleet.mode"
_SPEC_CAP: Final = 1024 * 1024


def _columns(table: str) -> tuple[str, ...]:
    if table in AGGREGATE_COLUMNS:
        return tuple(AGGREGATE_COLUMNS[table][0])
    return tuple(
        {
            "inventory": INVENTORY_COLUMNS,
            "detections": DETECTION_COLUMNS,
            "events": EVENT_COLUMNS,
            "attestations": ATTESTATION_COLUMNS,
            "findings": finding_columns(),
        }[table]
    )


def save_result(result: FleetResult, directory: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``result`` to ``directory`` (created if missing) as :data:`TABLE_FILES` and :data:`SPEC_FILE`.

    Args:
        result: the simulated fleet.
        directory: where to write.
        overwrite: replace files already there (otherwise an existing one is an error).

    Returns:
        The paths written, in :data:`TABLE_FILES` order, then the spec.

    Raises:
        DataError: ``result`` is not a :class:`~tlkit.fleet.FleetResult`, ``directory`` is a file,
            or a file exists and ``overwrite`` is false.
        OSError: the directory or a file cannot be written.
    """
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    if not isinstance(result, FleetResult):
        raise DataError(f"result must be a FleetResult, not {type(result).__name__}", field="result")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: not a directory")
    paths = [out / name for name in (*TABLE_FILES.values(), SPEC_FILE)]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise DataError(f"{existing[0]}: already exists (overwrite it with --force / overwrite=True)")
    out.mkdir(parents=True, exist_ok=True)
    for attribute, name in TABLE_FILES.items():
        table = pa.Table.from_pandas(getattr(result, attribute), preserve_index=False)
        if attribute == "inventory":
            metadata = dict(table.schema.metadata or {})
            metadata[_RUNS_KEY] = str(result.pipeline_runs).encode()
            metadata[_MODE_KEY] = result.mode.encode()
            table = table.replace_schema_metadata(metadata)
        pq.write_table(table, out / name)
    (out / SPEC_FILE).write_text(result.spec.to_json(), encoding="utf-8")
    return paths


def _read_table(path: Path, table: str) -> tuple[pd.DataFrame, Mapping[bytes, bytes]]:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    if not path.is_file():
        raise DataError(f"{path}: missing (a saved fleet has {', '.join(TABLE_FILES.values())})")
    try:
        arrow = pq.read_table(path)
        frame = arrow.to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError) as e:
        raise DataError(f"{path}: not a readable parquet table ({e})") from None
    expected = _columns(table)
    if tuple(frame.columns) != expected:
        missing = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in expected]
        raise DataError(
            f"{path}: columns do not match a fleet's {table} table (missing {missing}, unexpected {extra}; "
            f"order must be {list(expected)})",
            field=str((missing or extra or [table])[0]),
        )
    return frame, arrow.schema.metadata or {}


def _run_facts(path: Path, metadata: Mapping[bytes, bytes]) -> tuple[str, int]:
    """The result's ``mode`` and ``pipeline_runs`` from the inventory's metadata."""
    raw = metadata.get(_RUNS_KEY)
    try:
        runs = int(raw) if raw is not None else -1
    except ValueError:
        runs = -1
    if runs < 0:
        raise DataError(f"{path}: no valid pipeline_runs in its metadata", field="pipeline_runs")
    mode = metadata.get(_MODE_KEY, b"").decode("utf-8", "replace")
    if mode not in MODES:
        raise DataError(f"{path}: no valid mode in its metadata (one of {MODES})", field="mode")
    return mode, runs


def _read_spec(path: Path) -> FleetSpec:
    from tlkit._io import naming, read_text  # noqa: PLC0415

    if not path.is_file():
        raise DataError(f"{path}: missing (a saved fleet has {SPEC_FILE})")
    try:
        text = read_text(path, "fleet spec", _SPEC_CAP)
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
    with naming(str(path)):
        return FleetSpec.from_json(text)


def load_result(directory: str | Path) -> FleetResult:
    """The :class:`~tlkit.fleet.FleetResult` :func:`save_result` wrote to ``directory``.

    Raises:
        DataError: the directory or one of its files is missing, unreadable, not parquet / JSON, or a
            table's columns are not the fleet's (the message starts with the file's path; ``field``
            names a column or spec field at fault).
    """
    root = Path(directory)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory holding a saved fleet")
    spec = _read_spec(root / SPEC_FILE)
    frames: dict[str, pd.DataFrame] = {}
    mode, runs = "fast", 0
    for attribute, name in TABLE_FILES.items():
        frames[attribute], metadata = _read_table(root / name, attribute)
        if attribute == "inventory":
            mode, runs = _run_facts(root / name, metadata)
    return FleetResult(spec, mode, pipeline_runs=runs, **frames)


# ------------------------------------------------------------------------------------ summary
def _by(result: FleetResult, column: str) -> dict[str, float]:
    rates = alert_rates(result, column)
    return dict(zip(rates[column].astype(str), rates["per_1000_vm_days"].astype(float), strict=True))


def summary(result: FleetResult) -> dict[str, Any]:
    """The headline metrics of ``result`` as plain data (from the aggregates: the same in both modes
    but for ``mode`` and ``pipeline_runs``).

    Keys: ``spec`` (the spec's plain data), ``mode``, ``vm_days``, ``pipeline_runs``, ``counts``
    (VMs, attestation rounds and how many failed, events by kind, alerts, suppressed alerts,
    recommendations by name), ``alerts_per_1000_vm_days`` (overall) and ``..._by_os``, ``_by_family``,
    ``_by_cause``, ``false_positive_share`` (NaN without alerts), ``attestation_coverage``,
    ``time_to_detect`` (per attack kind: attacks, detected, detected_share, median_days, mean_days)
    and ``suppressed`` (per alert cause: suppressed alerts).
    """
    if not isinstance(result, FleetResult):
        raise DataError(f"result must be a FleetResult, not {type(result).__name__}", field="result")
    found = int(alerts(result)["alerts"].sum())
    rounds = result.round_counts
    recs = result.recommendation_counts.groupby("name")["vms"].sum()
    suppressed = suppressed_counts(result)
    counts = {
        "vms": result.vms,
        "attestations": int(rounds["rounds"].sum()),
        "attestations_failed": int(rounds.loc[~rounds["passed"], "rounds"].sum()),
        "events": {str(k): int(n) for k, n in result.event_counts.groupby("kind")["events"].sum().items()},
        "alerts": found,
        "alerts_suppressed": int(suppressed["suppressed"].sum()),
        "recommendations": {str(k): int(n) for k, n in recs.items()},
    }
    ttd = time_to_detect(result).set_index("attack")
    by_cause = suppressed.groupby("cause")["suppressed"].sum()
    return {
        "spec": result.spec.to_dict(),
        "mode": result.mode,
        "vm_days": result.vm_days,
        "pipeline_runs": result.pipeline_runs,
        "counts": counts,
        "alerts_per_1000_vm_days": 1000.0 * found / result.vm_days,
        "alerts_per_1000_vm_days_by_os": _by(result, "os"),
        "alerts_per_1000_vm_days_by_family": _by(result, "family"),
        "alerts_per_1000_vm_days_by_cause": _by(result, "cause"),
        "false_positive_share": false_positive_share(result),
        "attestation_coverage": attestation_coverage(result),
        "time_to_detect": {
            str(k): {
                str(c): (float(v) if str(c).endswith(("share", "days")) else int(v)) for c, v in row.items()
            }
            for k, row in ttd.iterrows()
        },
        "suppressed": {str(k): int(v) for k, v in by_cause.items() if v},
    }


def _plain(value: Any) -> Any:
    """``value`` with floats rounded (NaN/inf → None) and mappings/sequences made plain, recursively."""
    if isinstance(value, float):
        return round(value, SUMMARY_DIGITS) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def summary_json(data: Mapping[str, Any]) -> str:
    """``data`` (e.g. :func:`summary`'s) as deterministic JSON: sorted keys, 2-space indent, floats
    rounded to :data:`SUMMARY_DIGITS` places, NaN and infinities as ``null``, a final newline."""
    return json.dumps(_plain(data), indent=2, sort_keys=True, allow_nan=False) + "\n"
