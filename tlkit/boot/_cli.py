"""``tlkit boot`` sub-commands: list the named boot scenarios, simulate one into an evidence directory.

``tlkit boot scenarios [--format json]`` lists every scenario: name, whether the VM boots, the PCRs
it moves compared with the healthy scenario of its OS (``healthy-ubuntu-sb``, ``healthy-windows-vbs``),
its description.

``tlkit boot simulate --scenario NAME [--seed N] [--nonce HEX] --out DIR [--force]`` boots the
scenario and writes the files of :func:`tlkit.boot.scenario_evidence` into ``DIR`` (tpm2-tools
names: ``tpm2_checkquote -u ak.pem -m quote.msg -s quote.sig -f quote.pcrs -g sha256 -q NONCE`` and
``tpm2_eventlog eventlog.bin`` check the directory as written). The quote covers the SHA-256 bank,
PCRs 0-23. When the VM does not boot there is no quote: only ``eventlog.bin`` and ``boot.json``
(``"booted": false``) are written, and the exit code is still 0 (the simulation worked). ``boot.json``
also names the OS (``os``: type, distro, version, major, minor, build) and, for Windows, what of VBS,
HVCI and Credential Guard ran (``vbs``).

Exit codes follow :mod:`tlkit.cli`: 0 done, 2 unusable input (unknown scenario, bad nonce or seed,
an ``--out`` that is a file or a non-empty directory without ``--force``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tlkit.errors import DataError

__all__ = ["register"]

_HELP = "simulated Secure Boot and measured boot: scenarios, evidence"
_MAX_SEED = 2**32 - 1


def _seed(text: str) -> int:
    """A decimal seed in [0, 2**32)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a decimal integer: {text!r}") from None
    if not 0 <= value <= _MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed {value} is outside 0..{_MAX_SEED}")
    return value


def _nonce(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"nonce is not hex: {text!r}") from None


def register(subparsers: Any) -> None:
    """Add ``boot`` and its sub-commands to the ``tlkit`` parser."""
    p = subparsers.add_parser("boot", help=_HELP)
    sub = p.add_subparsers(dest="boot_command", required=True, metavar="SUBCOMMAND", help="action")

    s = sub.add_parser("scenarios", help="list the named boot scenarios (boots?, PCRs moved, description)")
    s.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    s.set_defaults(func=_scenarios)

    m = sub.add_parser(
        "simulate",
        help="boot a scenario and write an evidence directory (event log, quote, AK, boot.json)",
        description="Boot a named scenario and write eventlog.bin, quote.msg, quote.sig, quote.pcrs, "
        "ak.pem, nonce.hex and boot.json (tpm2-tools names). The quote covers sha256 PCRs 0-23. "
        "A VM that does not boot has no quote: eventlog.bin and boot.json only, exit 0.",
    )
    m.add_argument(
        "--scenario", required=True, metavar="NAME", help="scenario ('tlkit boot scenarios' lists them)"
    )
    m.add_argument(
        "--seed", type=_seed, default=0, metavar="N", help="key and component seed, 0..2**32-1 (default: 0)"
    )
    m.add_argument(
        "--nonce",
        type=_nonce,
        metavar="HEX",
        help="quote nonce (qualifying data) as hex (default: derived from the seed)",
    )
    m.add_argument("--out", required=True, metavar="DIR", help="evidence directory (created if missing)")
    m.add_argument(
        "--force", action="store_true", help="write into a non-empty DIR (replacing the evidence files only)"
    )
    m.set_defaults(func=_simulate)


def _scenarios(args: argparse.Namespace) -> int:
    from tlkit.boot._scenarios import scenario_table  # noqa: PLC0415 - keys and signing code on use only

    rows = scenario_table()
    if args.format == "json":
        doc = [{"name": n, "boots": b, "pcrs_moved": list(p), "description": d} for n, b, p, d in rows]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    width = max(len(n) for n, *_ in rows)
    sys.stdout.write(f"{'SCENARIO':<{width}}  BOOTS  PCRS MOVED  DESCRIPTION\n")
    for name, boots, pcrs, description in rows:
        moved = ",".join(map(str, pcrs)) or "-"
        sys.stdout.write(f"{name:<{width}}  {'yes' if boots else 'no':<5}  {moved:<10}  {description}\n")
    return 0


def _check_out(out: Path, force: bool) -> None:
    """``out`` may be written: missing, an empty directory, or a non-empty one with ``force``."""
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: --out exists and is not a directory")
    if not force and out.is_dir() and any(out.iterdir()):
        raise DataError(f"{out}: --out is not empty (use --force to write into it)")


def _write(out: Path, files: dict[str, bytes], names: tuple[str, ...]) -> None:
    """Write ``files`` into ``out`` after removing any old evidence file (``names``): no stale quote
    is left next to the log of a boot that failed."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / name).unlink(missing_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)


def _simulate(args: argparse.Namespace) -> int:
    from tlkit.boot._scenarios import EVIDENCE_FILES, scenario, scenario_evidence  # noqa: PLC0415

    scenario(args.scenario)  # unknown name: exit 2 before anything else
    out = Path(args.out)
    _check_out(out, args.force)
    files = scenario_evidence(args.scenario, args.seed, args.nonce)
    _write(out, files, EVIDENCE_FILES)
    record = json.loads(files["boot.json"])
    if record["booted"]:
        sys.stdout.write(f"{args.scenario} (seed {args.seed}): booted; quote of sha256 PCRs 0-23\n")
    else:
        why = "; ".join(f"{r['component']}: {r['reason']}" for r in record["refused"] if r["stops_boot"])
        sys.stdout.write(f"{args.scenario} (seed {args.seed}): the VM did not boot ({why}); no quote\n")
    for r in record["refused"]:
        if not r["stops_boot"]:
            sys.stdout.write(f"refused (boot went on): {r['component']}: {r['reason']}\n")
    sys.stdout.write(f"wrote {', '.join(sorted(files))} to {out}\n")
    return 0
