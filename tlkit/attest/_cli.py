"""``tlkit attest`` sub-commands: verify evidence, build a baseline, issue and check tokens.

``tlkit attest verify PATH [--nonce HEX] [--baseline FILE] [--trusted-ak FILE | --ak-roots FILE]
[--ak-intermediates FILE] [--at TIME] [--allow-secure-boot-off] [--require-log] [--format json]``
verifies an evidence directory (tpm2-tools names, e.g. what ``tlkit boot simulate`` writes; a
directory without ``eventlog.bin`` is the Azure shape) or a real Azure Trusted Launch attestation
document (a ``.json`` file): exit 0 pass, 1 fail (``no-evidence`` for a directory without a quote),
2 unusable input. JSON output: ``passed``, ``reasons``, ``ak_trust``, ``log``, ``checks``,
``claims`` (the ``azurevm`` claims a token would carry; ``null`` on failure).

``tlkit attest baseline PATH --out FILE [--name NAME] [--nonce HEX] [--keylime]`` verifies the
quote first (a baseline is only built from evidence whose quote verifies; its log must replay),
then writes a baseline from the log (allowed digests per PCR) or, without a log, from the quoted
PCRs (golden values); ``--keylime`` writes keylime's measured-boot reference state instead.

``tlkit attest token PATH --key KEY [...verify options] [--issuer URL] [--kid KID] [--jwks-out FILE]``
verifies, then prints an RS256 ``azurevm`` token whose claims come from the verified evidence only
(exit 1 and no token when the attestation fails). ``tlkit attest check-token TOKEN --jwks FILE``
checks one (exit 0 valid, 1 invalid).

``tlkit attest cases`` lists the attestation lab cases (:data:`tlkit.attest.LAB_CASES`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tlkit.errors import DataError

__all__ = ["register"]

_HELP = "attestation: verify evidence, baselines, azurevm tokens"


def _nonce(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"nonce is not hex: {text!r}") from None


def _add_verify_arguments(p: argparse.ArgumentParser) -> None:
    from tlkit.attest._aktrust import add_trust_arguments  # noqa: PLC0415

    p.add_argument(
        "path", metavar="PATH", help="evidence directory, or an Azure TL attestation document (.json)"
    )
    p.add_argument(
        "--nonce", type=_nonce, metavar="HEX", help="the nonce you issued (default: freshness unproven)"
    )
    p.add_argument("--baseline", metavar="FILE", help="a baseline (tlkit JSON, or a keylime reference state)")
    add_trust_arguments(p)
    p.add_argument(
        "--allow-secure-boot-off", action="store_true", help="do not fail when Secure Boot is off or unknown"
    )
    p.add_argument("--require-log", action="store_true", help="fail evidence without an event log")


def register(subparsers: Any) -> None:
    """Add ``attest`` and its sub-commands to the ``tlkit`` parser."""
    from tlkit.attest._token_cli import add_check_token_arguments, add_token_arguments  # noqa: PLC0415

    p = subparsers.add_parser("attest", help=_HELP)
    sub = p.add_subparsers(dest="attest_command", required=True, metavar="SUBCOMMAND", help="action")

    v = sub.add_parser("verify", help="verify evidence: quote, AK trust, log replay, Secure Boot, baseline")
    _add_verify_arguments(v)
    v.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    v.set_defaults(func=_verify)

    b = sub.add_parser("baseline", help="build a baseline from evidence whose quote verifies")
    b.add_argument(
        "path", metavar="PATH", help="evidence directory, or an Azure TL attestation document (.json)"
    )
    b.add_argument("--out", required=True, metavar="FILE", help="where to write the baseline JSON")
    b.add_argument("--name", help="the baseline's name (default: the evidence path)")
    b.add_argument("--nonce", type=_nonce, metavar="HEX", help="the nonce you issued")
    b.add_argument("--keylime", action="store_true", help="write keylime's measured-boot reference state")
    b.set_defaults(func=_baseline)

    t = sub.add_parser("token", help="verify evidence, then issue an azurevm token (RS256) from it")
    _add_verify_arguments(t)
    add_token_arguments(t, time_argument=False)
    t.set_defaults(func=_token)

    c = sub.add_parser("check-token", help="check an azurevm token against a JWK set")
    add_check_token_arguments(c)
    c.set_defaults(func=_check_token)

    k = sub.add_parser("cases", help="list the attestation lab cases (scenarios and doctorings)")
    k.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    k.set_defaults(func=_cases)


# ------------------------------------------------------------------------------------- handlers
def _load(path: str) -> Any:
    """The evidence at ``path``; None for a directory without a quote (verified as ``no-evidence``)."""
    from tlkit.attest._evidence import NoQuoteError, load_evidence  # noqa: PLC0415

    try:
        return load_evidence(path)
    except NoQuoteError:
        return None


def _load_baseline(path: str | None) -> Any:
    from tlkit._io import SMALL_FILE_CAP, read_text  # noqa: PLC0415
    from tlkit.attest._baseline import Baseline  # noqa: PLC0415
    from tlkit.attest._keylime import from_keylime_refstate  # noqa: PLC0415

    if path is None:
        return None
    text = read_text(path, "baseline", SMALL_FILE_CAP)
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise DataError(f"{path}: the baseline is not JSON ({e})") from None
    if isinstance(doc, dict) and doc.get("format") != "tlkit-baseline" and "kernels" in doc:
        return from_keylime_refstate(doc, name=Path(path).name)
    return Baseline.from_json(text)


def _run_verify(args: argparse.Namespace) -> Any:
    from tlkit.attest._aktrust import anchors_from_args  # noqa: PLC0415
    from tlkit.attest._verify import AttestationPolicy, verify  # noqa: PLC0415

    anchors, at = anchors_from_args(args)
    baseline = _load_baseline(args.baseline)
    policy = AttestationPolicy(
        require_secure_boot=not args.allow_secure_boot_off, require_log=args.require_log
    )
    return verify(_load(args.path), args.nonce, baseline, policy, anchors=anchors, at=at)


def _claims(result: Any) -> dict[str, Any] | None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from tlkit.attest._claims import azurevm_claims  # noqa: PLC0415
    from tlkit.attest._token import DEFAULT_ISSUER  # noqa: PLC0415

    if not result.passed or result.facts is None:
        return None
    return azurevm_claims(result.facts, issuer=DEFAULT_ISSUER, issued_at=datetime.now(UTC))


def _verify(args: argparse.Namespace) -> int:
    from tlkit._io import terminal_safe  # noqa: PLC0415

    result = _run_verify(args)
    if args.format == "json":
        doc = result.to_dict() | {"claims": _claims(result)}
        print(json.dumps(doc, indent=2, default=str))
    else:
        print(terminal_safe(result.explain(), keep="\n"))
    return 0 if result.passed else 1


def _baseline(args: argparse.Namespace) -> int:
    from tlkit.attest._baseline import Baseline  # noqa: PLC0415
    from tlkit.attest._keylime import to_keylime_refstate  # noqa: PLC0415
    from tlkit.attest._verify import AttestationPolicy, verify  # noqa: PLC0415
    from tlkit.eventlog import parse  # noqa: PLC0415

    evidence = _load(args.path)
    result = verify(evidence, args.nonce, None, AttestationPolicy(require_secure_boot=False))
    if not result.passed:
        print(f"no baseline: the evidence does not verify ({', '.join(result.reasons)})")
        return 1
    name = args.name or str(args.path)
    if evidence.eventlog:
        baseline = Baseline.from_log(parse(evidence.eventlog), name=name)
    else:  # golden PCRs: the caller vouches that this known-good boot had Secure Boot on
        baseline = Baseline.from_pcrs(evidence.pcrs.as_dict(), name=name, require_secure_boot=True)
        print(
            "note: no event log: the quoted PCRs are the golden values, PCR 7 the known Secure-Boot-on value"
        )
    text = json.dumps(to_keylime_refstate(baseline), indent=2) + "\n" if args.keylime else baseline.to_json()
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({'keylime reference state' if args.keylime else 'tlkit baseline'}, {name})")
    return 0


def _token(args: argparse.Namespace) -> int:
    from tlkit.attest._token_cli import token_main  # noqa: PLC0415

    result = _run_verify(args)
    if not result.passed or result.facts is None:
        print(f"no token: the attestation failed ({', '.join(result.reasons)})")
        return 1
    return token_main(args, result.facts)


def _check_token(args: argparse.Namespace) -> int:
    from tlkit.attest._token_cli import check_token_main  # noqa: PLC0415

    return check_token_main(args)


def _cases(args: argparse.Namespace) -> int:
    from tlkit.attest._cases import LAB_CASES  # noqa: PLC0415

    rows = [
        {"case": c.name, "expect": list(c.expect) or ["pass"], "description": c.description}
        for c in LAB_CASES
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["case"]) for r in rows)
    for r in rows:
        print(f"{r['case']:<{width}}  {', '.join(r['expect']):<40}  {r['description']}")
    return 0
