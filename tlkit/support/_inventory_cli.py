"""``tlkit inventory report EXPORT``: the fleet Trusted Launch report on the command line.

The parser is built without pandas (the inventory reader is imported when the command runs).

Exit codes: 0 when the export was read (even if VMs are incompatible or some records are
malformed: those are reported), 2 when the file is unusable (raised :class:`tlkit.errors.DataError`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tlkit.errors import DataError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``inventory report`` to the ``tlkit`` command."""
    inv = subparsers.add_parser(
        "inventory",
        help="fleet inventories (az vm list, ARM, Resource Graph)",
        description="Fleet inventories: read VM exports and report Trusted Launch status.",
    )
    inv_sub = inv.add_subparsers(
        dest="inventory_command", required=True, metavar="ACTION", help="report: summarise a VM export"
    )
    rep = inv_sub.add_parser(
        "report",
        help="read a VM export and summarise Trusted Launch status and compatibility",
        description="Read an az vm list / ARM / Resource Graph export (JSON or CSV; shape detected) and "
        "print counts by TL status, the compatible share, top blockers and malformed records.",
    )
    rep.add_argument(
        "export", type=Path, help="the VM export file (.json or .csv; a disk export goes to --disks)"
    )
    rep.add_argument(
        "--as-of", default=None, help="support-matrix snapshot: id, YYYY-MM or YYYY-MM-DD (default: newest)"
    )
    rep.add_argument(
        "--disks",
        type=Path,
        default=None,
        help="optional az disk list JSON, for the generation of VMs without instance view",
    )
    rep.add_argument("--out", type=Path, default=None, help="write the per-VM table (.csv or .parquet)")
    rep.add_argument("--format", choices=("text", "json"), default="text", help="summary format")
    rep.add_argument("--top", type=int, default=5, help="how many blockers to list")
    rep.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from tlkit.support._inventory import DISKS_EXPORT_FIELD, load_inventory  # noqa: PLC0415 (pandas)

    try:
        result = load_inventory(args.export, as_of=args.as_of, disks=args.disks)
    except DataError as err:
        if err.field != DISKS_EXPORT_FIELD:
            raise
        raise DataError(
            f"{args.export.name} is a disk export (az disk list), not a VM export; pass it with --disks "
            f"beside the VM export: tlkit inventory report VMS.json --disks {args.export.name}",
            record=args.export.name,
        ) from None
    if args.out is not None:
        suffix = args.out.suffix.lower()
        if suffix == ".csv":
            result.frame.to_csv(args.out, index=False, lineterminator="\n")
        elif suffix == ".parquet":
            result.frame.to_parquet(args.out, index=False)
        else:
            raise DataError(f"--out must end in .csv or .parquet, got {args.out.name!r}", field="--out")
    summary = result.summary(top=args.top)
    if args.format == "json":
        doc = summary.to_dict()
        doc["as_of"] = args.as_of
        doc["malformed_records"] = [e.to_dict() for e in result.errors]
        print(json.dumps(doc, indent=2))
    else:
        print(summary.to_text())
        if result.errors:
            print("malformed records (not in the table):")
            for e in result.errors:
                print(f"  #{e.index} {e.name or '?'}: {e.field}: {e.reason}")
        if args.out is not None:
            print(f"per-VM table: {args.out.name} ({len(result.frame)} rows)")
    return 0
