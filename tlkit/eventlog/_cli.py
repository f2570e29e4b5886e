"""``tlkit eventlog`` sub-commands: show, replay, verify, diff.

Exit codes follow :mod:`tlkit.cli`: 0 pass, 1 the log does not replay to the given PCRs (or an
event's data on a matched PCR is not what its digest measured: a fatal payload mismatch),
2 unusable input (a :class:`tlkit.errors.TlkitError`, or a file that cannot be read).

Every file is read through :func:`tlkit._io.read_input` with a cap (an event log
:data:`~tlkit._io.EVENT_LOG_CAP`, a PCR table :data:`~tlkit._io.SMALL_FILE_CAP`); ``-`` reads
standard input, so ``tlkit quote verify ... --format json | tlkit eventlog verify LOG --pcrs -``
checks a log against the PCR values of a quote that verified. Strings from the log are printed
through :func:`tlkit._io.terminal_safe`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import sys
from collections.abc import Mapping
from typing import Any

from tlkit._io import (
    EVENT_LOG_CAP,
    SMALL_FILE_CAP,
    naming,
    read_input,
    read_json,
    terminal_safe,
)
from tlkit.errors import DataError, ParseError
from tlkit.eventlog._model import EventLog
from tlkit.eventlog._parse import parse
from tlkit.tpm import PcrValues, parse_pcr_list

__all__ = ["register"]

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n")
_NO_PCR = 0xFFFFFFFF  # EV_NO_ACTION records outside any PCR (shown as -1)


def _load(path: str) -> EventLog:
    """Read a binary log; a file of base64 text (e.g. keylime's ``mb_log.b64``) is decoded first."""
    data = read_input(path, "event log", EVENT_LOG_CAP)
    with naming(path):
        try:
            return parse(data)
        except ParseError:
            if not data or not all(c in _B64 for c in data):
                raise
            with contextlib.suppress(binascii.Error, ValueError, ParseError):
                return parse(base64.b64decode(data, validate=False))
            raise


def _default_bank(log: EventLog, path: str) -> str:
    """The bank used when none is given: the log's own rule (:attr:`EventLog.default_bank`)."""
    if not log.banks:
        raise DataError(f"{path}: the log lists no digest algorithms (Spec ID header)", field="banks")
    return log.default_bank


def _show(args: argparse.Namespace) -> int:
    log = _load(args.file)
    if args.format == "json":
        doc = {
            "format": log.format,
            "banks": list(log.banks),
            "verified": False,
            "events": [e.to_dict() for e in log],
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return 0
    out = sys.stdout
    out.write(f"# {log.format} log, banks {', '.join(log.banks)}, {len(log)} events (unverified)\n")
    bank = args.bank or (_default_bank(log, args.file) if log.banks else "-")
    out.write(f"{'#':>4} {'PCR':>3}  {'type':<34} {terminal_safe(bank) + ' digest':<20} description\n")
    for e in log:
        d = e.digests.get(bank)
        dig = d.hex()[:16] + "…" if d is not None else "-"
        pcr = "-1" if e.pcr == _NO_PCR else str(e.pcr)
        desc = terminal_safe(e.description)
        if len(desc) > args.width:
            desc = desc[: args.width - 1] + "…"
        out.write(f"{e.index:>4} {pcr:>3}  {e.type_name:<34} {dig:<20} {desc}\n")
    return 0


def _replay(args: argparse.Namespace) -> int:
    log = _load(args.file)
    if args.all_banks:
        values = log.replay_all()
    else:
        bank = args.bank or _default_bank(log, args.file)
        values = {bank: log.replay(bank)}
    if args.format == "json":
        table = {b: {str(p): v.hex() for p, v in pcrs.items()} for b, pcrs in values.items()}
        sys.stdout.write(json.dumps(table, indent=2) + "\n")
    else:
        for b, pcrs in values.items():
            for p, v in pcrs.items():
                sys.stdout.write(f"{b}:{p:<3} {v.hex()}\n")
    return 0


def _pcr_table(path: str) -> Mapping[Any, Any]:
    """The ``{bank: {pcr: hex}}`` table of a ``--pcrs`` file, or of a ``quote verify`` JSON result.

    A quote result is accepted only if it passed: the PCR values of a quote that did not verify
    are claims, not evidence.
    """
    doc = read_json(path, "PCR values file", SMALL_FILE_CAP)
    if isinstance(doc, dict) and "passed" in doc and "pcrs" in doc:
        if doc["passed"] is not True:
            reasons = doc.get("reasons")
            why = ", ".join(map(str, reasons)) if isinstance(reasons, list) else "no reasons given"
            raise DataError(f"{path}: the quote did not verify ({why}); its PCR values are not evidence")
        doc = doc["pcrs"]
    if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
        raise DataError(f'{path}: expected {{"BANK": {{"PCR": "HEX", ...}}, ...}}', record=path)
    return doc


def _read_pcrs(path: str) -> PcrValues:
    """The PCR values of a ``--pcrs`` file, checked (known banks, decimal indices, hex of the
    bank's digest size); errors name the file."""
    table = _pcr_table(path)
    with naming(path):
        return PcrValues.from_dict(table)


_HINT = (
    "hint: a hash chain alone cannot say which event is wrong; rerun with --reference GOOD_LOG "
    "(a log of a boot of the same platform that verified) to name the first divergent event"
)


def _verify(args: argparse.Namespace) -> int:
    log = _load(args.file)
    values = _read_pcrs(args.pcrs)
    given = [a.name for a in values.selection.banks]
    banks = [args.bank] if args.bank else [b for b in log.banks if b in given]
    if not banks:
        raise DataError(
            f"no bank in common between the log ({', '.join(log.banks)}) "
            f"and {args.pcrs} ({', '.join(given)})",
            field="bank",
        )
    reference = _load(args.reference) if args.reference else None
    quirks = () if args.strict else None
    ok = True
    results = {}
    for b in banks:
        r = log.verify(
            values,
            b,
            reference=reference,
            quirks=quirks,
            check_payloads=not args.no_payload_check,
            only=args.only,
        )
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


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_LOG_HELP = "binary_bios_measurements file (raw or base64; '-' reads standard input)"
_FORMAT_HELP = "output format (default: text)"


def register(subparsers: Any) -> None:
    """Add ``eventlog`` and its sub-commands to the ``tlkit`` parser."""
    p = subparsers.add_parser("eventlog", help="TCG firmware event logs: show, replay, verify")
    sub = p.add_subparsers(dest="eventlog_command", required=True, metavar="SUBCOMMAND", help="action")

    s = sub.add_parser("show", help="list the events of a log (unverified)")
    s.add_argument("file", help=_LOG_HELP)
    s.add_argument(
        "--bank", help="bank whose digests to show (default: sha256 if logged, else the strongest bank)"
    )
    s.add_argument(
        "--width", type=_positive_int, default=90, help="description width in characters (default: 90)"
    )
    s.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format: a table, or JSON {format, banks, events: [{index, pcr, type_name, "
        "digests, description, payload_error, ...}]} (default: text)",
    )
    s.set_defaults(func=_show)

    r = sub.add_parser("replay", help="replay a log into PCR values")
    r.add_argument("file", help=_LOG_HELP)
    g = r.add_mutually_exclusive_group()
    g.add_argument("--bank", help="bank to replay (default: sha256 if logged, else the strongest bank)")
    g.add_argument("--all-banks", action="store_true", help="replay every bank of the log")
    r.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    r.set_defaults(func=_replay)

    v = sub.add_parser("verify", help="check that a log replays to given PCR values (exit 1 if not)")
    v.add_argument("file", help=_LOG_HELP)
    v.add_argument(
        "--pcrs",
        required=True,
        help='JSON file {"sha256": {"0": "hex", ...}}, or the JSON output of a quote verify that '
        "passed; '-' reads standard input",
    )
    v.add_argument("--bank", help="bank to check (default: every bank in both)")
    v.add_argument("--reference", help="known-good log used to pinpoint the first divergent event")
    v.add_argument("--strict", action="store_true", help="do not try known firmware quirks")
    v.add_argument(
        "--only",
        type=parse_pcr_list,
        metavar="PCRS",
        help="check only these PCRs, e.g. 0-9,14 (default: every PCR in --pcrs must be explained by the log)",
    )
    v.add_argument(
        "--no-payload-check",
        action="store_true",
        help="replay only: do not check that digests defined from the event data match it",
    )
    v.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    v.set_defaults(func=_verify)

    d = sub.add_parser("diff", help="first event where a log differs from a reference log (exit 1 if any)")
    d.add_argument("file", help=_LOG_HELP)
    d.add_argument("reference", help="the known-good log to compare with (raw or base64)")
    d.add_argument("--bank", help="bank to compare (default: the first both logs carry)")
    d.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    d.set_defaults(func=_diff)
