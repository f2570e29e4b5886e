"""Saving and loading a simulated fleet, and its headline summary (private).

What it does: :func:`save_result` writes a :class:`~tlkit.fleet.FleetResult` to a directory as
:data:`TABLE_FILES` (one parquet file per frame, written with pyarrow so dtypes, tz-aware times and
the row order survive) plus :data:`SPEC_FILE` (the spec's JSON; the result's ``pipeline_runs`` is
kept in ``attestations.parquet``'s file metadata). :func:`load_result` reads them back into an equal
result and checks every table's columns. :func:`summary` gives the headline metrics as plain data,
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
from tlkit.fleet._exact import ATTESTATION_COLUMNS, EVENT_COLUMNS, INVENTORY_COLUMNS, FleetResult
from tlkit.fleet._metrics import alert_rates, alerts, attestation_coverage, false_positive_share
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
_SPEC_CAP: Final = 1024 * 1024


def _columns(table: str) -> tuple[str, ...]:
    from tlkit.defender import FINDING_COLUMNS  # noqa: PLC0415

    return {
        "inventory": tuple(INVENTORY_COLUMNS),
        "events": tuple(EVENT_COLUMNS),
        "attestations": tuple(ATTESTATION_COLUMNS),
        "findings": (*FINDING_COLUMNS, "day"),
    }[table]


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
        if attribute == "attestations":
            metadata = dict(table.schema.metadata or {})
            metadata[_RUNS_KEY] = str(result.pipeline_runs).encode()
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


def _pipeline_runs(path: Path, metadata: Mapping[bytes, bytes]) -> int:
    raw = metadata.get(_RUNS_KEY)
    try:
        runs = int(raw) if raw is not None else -1
    except ValueError:
        runs = -1
    if runs < 0:
        raise DataError(f"{path}: no valid pipeline_runs in its metadata", field="pipeline_runs")
    return runs


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
    runs = 0
    for attribute, name in TABLE_FILES.items():
        frames[attribute], metadata = _read_table(root / name, attribute)
        if attribute == "attestations":
            runs = _pipeline_runs(root / name, metadata)
    return FleetResult(spec, pipeline_runs=runs, **frames)


# ------------------------------------------------------------------------------------ summary
def summary(result: FleetResult) -> dict[str, Any]:
    """The headline metrics of ``result`` as plain data.

    Keys: ``spec`` (the spec's plain data), ``vm_days``, ``pipeline_runs``, ``counts`` (VMs,
    attestation rounds and how many failed, events by kind, findings by kind, unsuppressed alerts),
    ``alerts_per_1000_vm_days`` (overall), ``alerts_per_1000_vm_days_by_os``,
    ``false_positive_share`` (NaN without alerts) and ``attestation_coverage``.
    """
    if not isinstance(result, FleetResult):
        raise DataError(f"result must be a FleetResult, not {type(result).__name__}", field="result")
    found = alerts(result)
    rates = alert_rates(result)
    by_os = rates[rates["by"] == "os"]
    att = result.attestations
    counts = {
        "vms": len(result.inventory),
        "attestations": len(att),
        "attestations_failed": int((~att["passed"]).sum()),
        "events": {str(k): int(n) for k, n in result.events.groupby("kind").size().items()},
        "findings": {str(k): int(n) for k, n in result.findings.groupby("kind").size().items()},
        "alerts": len(found),
    }
    return {
        "spec": result.spec.to_dict(),
        "vm_days": result.vm_days,
        "pipeline_runs": result.pipeline_runs,
        "counts": counts,
        "alerts_per_1000_vm_days": 1000.0 * len(found) / result.vm_days,
        "alerts_per_1000_vm_days_by_os": dict(
            zip(by_os["value"].astype(str), by_os["per_1000_vm_days"].astype(float), strict=True)
        ),
        "false_positive_share": false_positive_share(result),
        "attestation_coverage": attestation_coverage(result),
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
