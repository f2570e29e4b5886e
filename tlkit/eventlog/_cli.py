"""``tlkit eventlog`` sub-commands: show, replay, verify, diff.

Exit codes follow :mod:`tlkit.cli`: 0 pass, 1 the log does not replay to the given PCRs (or an
event's data on a matched PCR is not what its digest measured: a fatal payload mismatch),
2 unusable input (a :class:`tlkit.errors.TlkitError`).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from tlkit.errors import DataError, ParseError
from tlkit.eventlog._model import EventLog
from tlkit.eventlog._parse import parse

__all__ = ["register"]

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")


def _load(path: str) -> EventLog:
    """Read a binary log; a file of base64 text (e.g. keylime's ``mb_log.b64``) is decoded first."""
    data = Path(path).read_bytes()
    try:
        return parse(data)
    except ParseError:
        if not data or not all(c in _B64 for c in data):
            raise
        with contextlib.suppress(binascii.Error, ValueError, ParseError):
            return parse(base64.b64decode(data, validate=False))
        raise


def _show(args: argparse.Namespace) -> int:
    log = _load(args.file)
    out = sys.stdout
    out.write(f"# {log.format} log, banks {', '.join(log.banks)}, {len(log)} events (unverified)\n")
    bank = args.bank or (log.banks[0] if log.banks else "sha1")
    out.write(f"{'#':>4} {'PCR':>3}  {'type':<34} {bank + ' digest':<20} description\n")
    for e in log:
        d = e.digests.get(bank)
        dig = d.hex()[:16] + "…" if d is not None else "-"
        pcr = "-1" if e.pcr == 0xFFFFFFFF else str(e.pcr)
        desc = e.description.replace("\n", " ")
        if len(desc) > args.width:
            desc = desc[: args.width - 1] + "…"
        out.write(f"{e.index:>4} {pcr:>3}  {e.type_name:<34} {dig:<20} {desc}\n")
    return 0


def _replay(args: argparse.Namespace) -> int:
    log = _load(args.file)
    if args.all_banks:
        values = log.replay_all()
    else:
        bank = args.bank or ("sha256" if "sha256" in log.banks else log.banks[0])
        values = {bank: log.replay(bank)}
    if args.format == "json":
        table = {b: {str(p): v.hex() for p, v in pcrs.items()} for b, pcrs in values.items()}
        sys.stdout.write(json.dumps(table, indent=2) + "\n")
    else:
        for b, pcrs in values.items():
            for p, v in pcrs.items():
                sys.stdout.write(f"{b}:{p:<3} {v.hex()}\n")
    return 0


def _read_pcrs(path: str) -> dict[str, Any]:
    try:
        table = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: not JSON ({e.msg})", record=path) from None
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise DataError(f"{path}: expected {{bank: {{pcr: hex}}}}", record=path)
    return table


_HINT = (
    "hint: a hash chain alone cannot say which event is wrong; rerun with --reference GOOD_LOG "
    "(a log of a boot of the same platform that verified) to name the first divergent event"
)


def _verify(args: argparse.Namespace) -> int:
    log = _load(args.file)
    table = _read_pcrs(args.pcrs)
    banks = [args.bank] if args.bank else [b for b in log.banks if b in table]
    if not banks:
        raise DataError(
            f"no bank in common between the log ({', '.join(log.banks)}) "
            f"and {args.pcrs} ({', '.join(table)})",
            field="bank",
        )
    reference = _load(args.reference) if args.reference else None
    quirks = () if args.strict else None
    ok = True
    results = {}
    for b in banks:
        r = log.verify(table, b, reference=reference, quirks=quirks, check_payloads=not args.no_payload_check)
        results[b] = r
        ok = ok and r.passed
    if args.format == "json":
        sys.stdout.write(json.dumps({b: r.to_dict() for b, r in results.items()}, indent=2) + "\n")
    else:
        for r in results.values():
            sys.stdout.write(r.explain() + "\n")
        if reference is None and any(
            d.first_divergent_event is None for r in results.values() for d in r.divergences
        ):
            sys.stdout.write(_HINT + "\n")
    return 0 if ok else 1


def _diff(args: argparse.Namespace) -> int:
    log, ref = _load(args.file), _load(args.reference)
    d = log.diff(ref, args.bank)
    if args.format == "json":
        sys.stdout.write(json.dumps(d.to_dict(), indent=2) + "\n")
    elif d.passed:
        sys.stdout.write(f"{d.bank}: identical chains of extends\n")
    else:
        sys.stdout.write(f"{d.bank}: first divergent event {d.first_divergent_event}\n")
        for x in d.differences:
            sys.stdout.write(f"  {x.explanation}\n")
    return 0 if d.passed else 1


def register(subparsers: Any) -> None:
    """Add ``eventlog`` and its sub-commands to the ``tlkit`` parser."""
    p = subparsers.add_parser("eventlog", help="TCG firmware event logs: show, replay, verify")
    sub = p.add_subparsers(dest="eventlog_command", required=True, metavar="SUBCOMMAND")

    s = sub.add_parser("show", help="list the events of a log (unverified)")
    s.add_argument("file", help="binary_bios_measurements file (raw or base64)")
    s.add_argument("--bank", help="bank whose digests to show (default: the log's first)")
    s.add_argument("--width", type=int, default=90, help="description width")
    s.set_defaults(func=_show)

    r = sub.add_parser("replay", help="replay a log into PCR values")
    r.add_argument("file")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--bank", help="bank to replay (default sha256, else the log's first)")
    g.add_argument("--all-banks", action="store_true", help="replay every bank of the log")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.set_defaults(func=_replay)

    v = sub.add_parser("verify", help="check that a log replays to given PCR values (exit 1 if not)")
    v.add_argument("file")
    v.add_argument("--pcrs", required=True, help='JSON file {"sha256": {"0": "hex", ...}}')
    v.add_argument("--bank", help="bank to check (default: every bank in both)")
    v.add_argument("--reference", help="known-good log used to pinpoint the first divergent event")
    v.add_argument("--strict", action="store_true", help="do not try known firmware quirks")
    v.add_argument(
        "--no-payload-check",
        action="store_true",
        help="replay only: do not check that digests defined from the event data match it",
    )
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.set_defaults(func=_verify)

    d = sub.add_parser("diff", help="first event where a log differs from a reference log (exit 1 if any)")
    d.add_argument("file")
    d.add_argument("reference")
    d.add_argument("--bank", help="bank to compare (default: the first both logs carry)")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.set_defaults(func=_diff)
