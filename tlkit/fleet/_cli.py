"""``tlkit fleet`` sub-commands: simulate a synthetic fleet, and report on a saved one.

``tlkit fleet simulate (--spec FILE | --inventory FILE [--vms N] [--days D] | --vms N --days D)
[--seed S] [--mode fast|exact] [--dask [ADDRESS]] [--partitions N] --out DIR [--force] [--progress]``
simulates a :class:`~tlkit.fleet.FleetSpec` (a JSON or, with PyYAML, a ``.yaml`` / ``.yml`` file; a
fleet cloned from an ``az vm list`` / Resource Graph export with ``FleetSpec.from_inventory``, whose
skipped and assumed records are counted on stderr; or the default spec with ``--vms`` and ``--days``)
in the fast mode (:func:`~tlkit.fleet.simulate_fast`, the default; with ``--dask`` on a
``LocalCluster`` or the scheduler at ADDRESS, over ``--partitions`` VM ranges: the same tables) or
through the real pipeline round by round (:func:`~tlkit.fleet.simulate_exact`, ``--mode exact``) and
writes the parquet tables, ``spec.json`` (:func:`~tlkit.fleet._io.save_result`) and ``summary.json``
(:func:`~tlkit.fleet._io.summary_json`: byte-identical for the same spec, seed and mode) into ``DIR``.
``--seed`` overrides the spec file's seed.

``tlkit fleet report DIR [--format text|json]`` loads a saved fleet and prints its headline metrics.

Exit codes follow :mod:`tlkit.cli`: 0 done, 2 unusable input (a bad spec, naming the field; an
``--out`` that is a file or holds a saved fleet without ``--force``; a missing or malformed saved
fleet, naming the file).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path
from typing import Any

from tlkit.errors import DataError

__all__ = ["register"]

_HELP = "synthetic fleets: simulate attestation alerts, report"
_MODES = ("fast", "exact")


def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, not {value}")
    return value


def _positive(text: str) -> int:
    value = _nonnegative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def register(subparsers: Any) -> None:
    """Add ``fleet`` and its sub-commands to the ``tlkit`` parser."""
    p = subparsers.add_parser("fleet", help=_HELP)
    sub = p.add_subparsers(dest="fleet_command", required=True, metavar="SUBCOMMAND", help="action")

    s = sub.add_parser("simulate", help="simulate a fleet and write its tables and summary.json")
    spec = s.add_mutually_exclusive_group()
    spec.add_argument("--spec", metavar="FILE", help="a fleet spec (JSON, or YAML: .yaml/.yml)")
    spec.add_argument(
        "--inventory",
        metavar="FILE",
        help="clone the composition and adoption of an az vm list / Resource Graph export (JSON or CSV)",
    )
    s.add_argument(
        "--vms",
        type=_positive,
        metavar="N",
        help="fleet size (the default spec, or the cloned inventory scaled)",
    )
    s.add_argument("--days", type=_positive, metavar="D", help="horizon in days (with --vms or --inventory)")
    s.add_argument("--seed", type=_nonnegative, metavar="S", help="random seed (overrides the spec's)")
    s.add_argument(
        "--mode",
        choices=_MODES,
        default="fast",
        help="simulation mode: 'fast' (vectorised, verdicts from an outcome table the real pipeline "
        "computes; the default) or 'exact' (every attestation round through the real pipeline)",
    )
    s.add_argument(
        "--dask",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="fast mode on Dask: a LocalCluster of this machine's cores without ADDRESS, or the scheduler "
        "at ADDRESS (tcp://host:8786; its workers need tlkit[scale] installed); same tables either way",
    )
    s.add_argument(
        "--partitions",
        type=_positive,
        metavar="N",
        help="VM partitions (whole blocks of 65,536 VMs; default: one per block on Dask)",
    )
    s.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    s.add_argument("--force", action="store_true", help="replace a fleet already saved in DIR")
    s.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    s.set_defaults(func=_simulate)

    r = sub.add_parser("report", help="print the headline metrics of a saved fleet")
    r.add_argument("dir", metavar="DIR", help="a directory written by 'tlkit fleet simulate'")
    r.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    r.set_defaults(func=_report)


# ------------------------------------------------------------------------------------- handlers
def _load_spec(args: argparse.Namespace) -> Any:
    from tlkit._io import SMALL_FILE_CAP, naming, read_text  # noqa: PLC0415
    from tlkit.fleet._spec import FleetSpec  # noqa: PLC0415

    if args.inventory is not None:
        spec = _clone(args)
    elif args.spec is None:
        if args.vms is None or args.days is None:
            raise DataError("give --spec FILE, --inventory FILE, or --vms N with --days D", field="vms")
        spec = FleetSpec(vms=args.vms, days=args.days)
    else:
        for flag in ("vms", "days"):
            if getattr(args, flag) is not None:
                raise DataError(
                    f"--{flag} goes with --vms or --inventory, not with --spec (set it in the spec)",
                    field=flag,
                )
        text = read_text(args.spec, "fleet spec", SMALL_FILE_CAP)
        with naming(args.spec):
            is_yaml = Path(args.spec).suffix.lower() in (".yaml", ".yml")
            spec = FleetSpec.from_yaml(text) if is_yaml else FleetSpec.from_json(text)
    return spec if args.seed is None else dataclasses.replace(spec, seed=args.seed)


def _clone(args: argparse.Namespace) -> Any:
    """The spec cloned from ``--inventory`` (``--vms`` and ``--days`` applied); what could not be placed
    or was assumed is counted on stderr, never dropped silently."""
    from tlkit.fleet._inventory import fleet_spec_from_inventory  # noqa: PLC0415
    from tlkit.support import load_inventory  # noqa: PLC0415

    overrides = {} if args.days is None else {"days": args.days}
    clone = fleet_spec_from_inventory(load_inventory(args.inventory), vms=args.vms, **overrides)
    codes = ", ".join(f"{code} {n}" for code, n in clone.notes_frame().groupby("code").size().items())
    print(
        f"{args.inventory}: cloned {clone.vms_placed} of {clone.records_in} records"
        + (f" ({len(clone.skipped)} skipped, {len(clone.assumed)} assumed: {codes})" if codes else ""),
        file=sys.stderr,
    )
    return clone.spec


def _simulate(args: argparse.Namespace) -> int:
    from tlkit.fleet._dask import simulate  # noqa: PLC0415
    from tlkit.fleet._io import SUMMARY_FILE, save_result, summary, summary_json  # noqa: PLC0415

    spec = _load_spec(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: --out exists and is not a directory")
    if not args.force and (out / SUMMARY_FILE).exists():
        raise DataError(f"{out / SUMMARY_FILE}: already exists (use --force to replace the saved fleet)")
    # tqdm redraws with carriage returns, which tlkit.cli's escaping stderr would show as \x0d: the
    # bar (tqdm's own text, no untrusted input) goes to the real stderr.
    bar = sys.__stderr__ if args.progress and sys.__stderr__ is not None else sys.stderr
    with contextlib.redirect_stderr(bar):
        result = simulate(
            spec, mode=args.mode, dask=args.dask, partitions=args.partitions, progress=args.progress
        )
    save_result(result, out, overwrite=args.force)
    (out / SUMMARY_FILE).write_text(summary_json(summary(result)), encoding="utf-8")
    rounds = int(result.round_counts["rounds"].sum())
    print(f"wrote {out}: {spec.vms} VMs x {spec.days} days ({args.mode} mode), {rounds} attestation rounds")
    return 0


def _text(data: dict[str, Any]) -> str:
    spec, counts = data["spec"], data["counts"]

    def number(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    lines = [
        f"fleet: {spec['vms']} VMs x {spec['days']} days ({data['vm_days']} VM-days), seed {spec['seed']}, "
        f"{data['mode']} mode",
        f"attestation rounds: {counts['attestations']} ({counts['attestations_failed']} failed), "
        f"coverage {number(data['attestation_coverage'])} of VM-days",
        "events: " + (", ".join(f"{k} {n}" for k, n in counts["events"].items()) or "none"),
        f"alerts: {counts['alerts']} ({number(data['alerts_per_1000_vm_days'])} per 1,000 VM-days)",
    ]
    for by in ("os", "family", "cause"):
        rates = data[f"alerts_per_1000_vm_days_by_{by}"]
        lines += [f"  {by} {name}: {number(rate)} per 1,000 VM-days" for name, rate in rates.items()]
    lines.append(f"false-positive share: {number(data['false_positive_share'])}")
    for attack, t in data["time_to_detect"].items():
        lines.append(
            f"{attack}: {t['detected']} of {t['attacks']} detected, median {number(t['median_days'])} days"
        )
    suppressed = data["suppressed"]
    lines.append(
        f"suppressed alerts: {counts['alerts_suppressed']}" + (f" ({suppressed})" if suppressed else "")
    )
    return "\n".join(lines) + "\n"


def _report(args: argparse.Namespace) -> int:
    import json  # noqa: PLC0415

    from tlkit.fleet._io import load_result, summary, summary_json  # noqa: PLC0415

    document = summary_json(summary(load_result(args.dir)))
    sys.stdout.write(document if args.format == "json" else _text(json.loads(document)))
    return 0
