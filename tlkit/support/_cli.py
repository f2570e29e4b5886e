"""``tlkit check`` and ``tlkit tlad``: the support functions on the command line.

Exit codes: 0 compatible / accepted, 1 not compatible, undetermined or refused, 2 unusable input (a
:class:`~tlkit.errors.TlkitError` raised here is printed by :mod:`tlkit.cli`).

``tlkit inventory ...`` lives in :mod:`tlkit.support._inventory_cli`; :func:`register` adds it too.

Building the parsers reads no data table and imports no pandas: choices that come from
``data/support/tlad.json`` are read only when an argument is checked or a sub-command's own
``--help`` lists them (:class:`_DataChoices`), so ``tlkit --help`` never touches the data.
Notes are worded for the command line (``--generation 1|2``, see
:meth:`~tlkit.support.CompatibilityReport.notes_for`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from tlkit.support import _inventory_cli
from tlkit.support._compat import check_vm
from tlkit.support._tlad import resolve_tlad, tlad_rules

__all__ = ["register"]


class _DataChoices:
    """argparse ``choices`` read from ``tlad.json`` on first use (membership test or listing)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def _values(self) -> list[str]:
        return [str(v) for v in tlad_rules()[self.key]]

    def __contains__(self, value: object) -> bool:
        return value in self._values()

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``check``, ``tlad`` and the ``inventory`` commands."""
    p = subparsers.add_parser(
        "check",
        help="Trusted Launch compatibility of one VM (size, image/OS, ...)",
        description="Check one VM against a Trusted Launch support snapshot. "
        "Exit 0 compatible, 1 not compatible or undetermined, 2 bad input. JSON: 'compatible' is "
        "true, false or null (undetermined: nothing blocks but something could not be checked; "
        "'undetermined' lists what), 'verdict' is compatible / not-compatible / undetermined.",
    )
    p.add_argument("--size", required=True, help="VM size, e.g. Standard_D4s_v5")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--image", help="PUBLISHER:OFFER:SKU[:VERSION], or a gallery/managed image resource id")
    src.add_argument(
        "--os",
        help='free-form OS, e.g. "Ubuntu 22.04" (a Marketplace OS the OS table lists implies its Gen2 '
        "image unless --generation says otherwise)",
    )
    p.add_argument("--image-os", help='OS of a gallery/managed --image (free-form, e.g. "Ubuntu 22.04")')
    p.add_argument(
        "--generation",
        choices=["1", "2"],
        help="Hyper-V generation of the image/VM (wins over SKU heuristics and over the Gen2 image a "
        "Marketplace OS name implies)",
    )
    p.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="NAME",
        help="VM feature in use (repeatable), e.g. 'managed image', ASR, hibernation",
    )
    p.add_argument("--region", help="ARM location, e.g. westeurope")
    p.add_argument("--as-of", help="snapshot id, YYYY-MM or YYYY-MM-DD (default: newest)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    p.set_defaults(func=_run_check)

    t = subparsers.add_parser(
        "tlad",
        help="effective security type under Trusted Launch as Default",
        description="Resolve what a new deployment gets under TLaD. "
        "Exit 0 accepted, 1 refused by the platform, 2 bad input.",
    )
    t.add_argument(
        "--client",
        required=True,
        choices=_DataChoices("clients"),
        metavar="CLIENT",
        help="who deploys: a tool (portal, CLI, PowerShell) or an API client; one of %(choices)s",
    )
    t.add_argument("--api-version", help="Microsoft.Compute API version, e.g. 2025-11-01")
    sp = t.add_mutually_exclusive_group()
    sp.add_argument("--no-security-profile", action="store_true", help="securityProfile absent (default)")
    sp.add_argument(
        "--security-type",
        choices=_DataChoices("security_types"),
        metavar="TYPE",
        help="securityProfile.securityType sent with the request: one of %(choices)s",
    )
    t.add_argument(
        "--flag",
        action="append",
        default=[],
        metavar="NAME",
        help="registered Microsoft.Compute feature flag (repeatable)",
    )
    t.add_argument("--size", required=True, help="VM size, e.g. Standard_D4s_v5")
    t.add_argument("--image", required=True, help="PUBLISHER:OFFER:SKU[:VERSION] or image resource id")
    t.add_argument(
        "--generation", choices=["1", "2"], help="Hyper-V generation of the image (wins over SKU heuristics)"
    )
    t.add_argument("--as-of", help="snapshot id, YYYY-MM or YYYY-MM-DD (default: newest)")
    t.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    t.set_defaults(func=_run_tlad)

    _inventory_cli.register(subparsers)


def _emit(data: dict[str, Any], fmt: str, lines: list[str]) -> None:
    if fmt == "json":
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(lines) + "\n")


def _run_check(args: argparse.Namespace) -> int:
    image: str | dict[str, Any] | None = args.image
    if args.image and args.image_os:
        image = {"id": args.image, "os": args.image_os} if args.image.startswith("/") else args.image
    report = check_vm(
        args.size,
        image,
        os=args.os,
        generation=args.generation,
        features=args.feature,
        region=args.region,
        as_of=args.as_of,
    )
    lines = [
        f"snapshot: {report.snapshot}",
        f"size: {report.size} ({report.size_detail.series}): {report.size_status}",
        f"os_supported: {report.os_supported}"
        + (f" ({report.os_detail.reason})" if report.os_detail else ""),
        f"compatible: {report.verdict}"
        + (f" ({', '.join(report.undetermined)})" if report.undetermined else ""),
    ]
    for b in report.blockers:
        lines.append(f"BLOCKER {b.code}: {b.message}\n  remediation: {b.remediation}\n  source: {b.source}")
    lines.extend(f"note: {n}" for n in report.notes_for("cli"))
    _emit(report.to_dict(interface="cli"), args.format, lines)
    return 0 if report.compatible is True else 1


def _run_tlad(args: argparse.Namespace) -> int:
    decision = resolve_tlad(
        client=args.client,
        api_version=args.api_version,
        flags=args.flag,
        security_profile=args.security_type,
        size=args.size,
        image=args.image,
        generation=int(args.generation) if args.generation else None,
        as_of=args.as_of,
    )
    lines = [
        f"snapshot: {decision.snapshot}",
        f"effective_security_type: {decision.effective_security_type}",
        f"tlad_in_force: {decision.tlad_in_force} (stage {decision.stage})",
        f"silent_fallback: {decision.silent_fallback}",
        f"reasons: {', '.join(decision.reasons)}",
    ]
    if decision.error:
        lines.append(f"ERROR {decision.error_code}: {decision.error}")
    _emit(decision.to_dict(), args.format, lines)
    return 0 if decision.passed else 1
