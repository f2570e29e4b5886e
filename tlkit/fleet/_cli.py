"""``tlkit fleet`` sub-commands: simulate a synthetic fleet, and report on a saved one.

``tlkit fleet simulate (--spec FILE | --vms N --days D) [--seed S] [--mode fast|exact] --out DIR
[--force] [--progress]`` simulates a :class:`~tlkit.fleet.FleetSpec` (a JSON or, with PyYAML, a
``.yaml`` / ``.yml`` file; or the default spec with ``--vms`` and ``--days``) in the fast mode
(:func:`~tlkit.fleet.simulate_fast`, the default) or through the real pipeline round by round
(:func:`~tlkit.fleet.simulate_exact`, ``--mode exact``) and writes the parquet tables, ``spec.json``
(:func:`~tlkit.fleet._io.save_result`) and ``summary.json`` (:func:`~tlkit.fleet._io.summary_json`:
byte-identical for the same spec, seed and mode) into ``DIR``. ``--seed`` overrides the spec file's
seed.

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


def register(subparsers: Any) -> None:
    """Add ``fleet`` and its sub-commands to the ``tlkit`` parser."""
    p = subparsers.add_parser("fleet", help=_HELP)
    sub = p.add_subparsers(dest="fleet_command", required=True, metavar="SUBCOMMAND", help="action")

    s = sub.add_parser("simulate", help="simulate a fleet and write its tables and summary.json")
    spec = s.add_mutually_exclusive_group(required=True)
    spec.add_argument("--spec", metavar="FILE", help="a fleet spec (JSON, or YAML: .yaml/.yml)")
    spec.add_argument("--vms", type=_nonnegative, metavar="N", help="fleet size (default spec otherwise)")
    s.add_argument("--days", type=_nonnegative, metavar="D", help="horizon in days (with --vms)")
    s.add_argument("--seed", type=_nonnegative, metavar="S", help="random seed (overrides the spec's)")
    s.add_argument(
        "--mode",
        choices=_MODES,
        default="fast",
        help="simulation mode: 'fast' (vectorised, verdicts from an outcome table the real pipeline "
        "computes; the default) or 'exact' (every attestation round through the real pipeline)",
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

    if args.spec is None:
        if args.days is None:
            raise DataError("--vms needs --days", field="days")
        spec = FleetSpec(vms=args.vms, days=args.days)
    else:
        if args.days is not None:
            raise DataError("--days goes with --vms, not with --spec (set days in the spec)", field="days")
        text = read_text(args.spec, "fleet spec", SMALL_FILE_CAP)
        with naming(args.spec):
            is_yaml = Path(args.spec).suffix.lower() in (".yaml", ".yml")
            spec = FleetSpec.from_yaml(text) if is_yaml else FleetSpec.from_json(text)
    return spec if args.seed is None else dataclasses.replace(spec, seed=args.seed)


def _simulate(args: argparse.Namespace) -> int:
    from tlkit.fleet._exact import simulate_exact  # noqa: PLC0415
    from tlkit.fleet._fast import simulate_fast  # noqa: PLC0415
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
        simulate = simulate_exact if args.mode == "exact" else simulate_fast
        result = simulate(spec, progress=args.progress)
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
