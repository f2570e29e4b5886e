"""The pieces of ``tlkit attest token`` and ``tlkit attest check-token`` (wired by ``tlkit.attest._cli``).

``tlkit attest token DIR --key KEY [--issuer URL] [--at TIME] [--kid KID] [--jwks-out FILE]``:
the ``attest`` command verifies DIR and, when the evidence passed, hands the
:class:`~tlkit.attest._claims.AttestedFacts` to :func:`token_main`, which prints the signed token
(exit 0) and optionally writes the JWK set of the key. Failing evidence gets no token (exit 1, as
MAA issues none); an unreadable or unusable key is exit 2 (:func:`load_signing_key`).

``tlkit attest check-token TOKEN --jwks FILE [--issuer URL] [--at TIME] [--leeway SECONDS]
[--format json]``: :func:`check_token_main` prints the verdict (:func:`render_token_check`, or
:meth:`TokenCheck.to_dict` as JSON): exit 0 valid, 1 invalid (reasons printed; a TOKEN that is
not a JWT is the ``token-malformed`` verdict), 2 unusable input (a token file or JWK set that
cannot be read or is oversized, a JWK set that is not one, a bad ``--at`` / ``--leeway``).
TOKEN is a file path, ``-`` for standard input, or the token text itself.

Files are read through :func:`tlkit._io.read_input` with :data:`tlkit._io.SMALL_FILE_CAP`.
What it does not do: verify evidence (the ``attest`` command's verifier does) or print secrets:
the private key is never echoed; the JWK set holds public keys only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tlkit._io import SMALL_FILE_CAP, STDIN, naming, read_input, read_json
from tlkit.attest._aktrust import parse_at
from tlkit.attest._claims import AttestedFacts
from tlkit.attest._token import (
    DEFAULT_ISSUER,
    MAX_TOKEN_LENGTH,
    MIN_KEY_BITS,
    JwkSet,
    TokenCheck,
    TokenIssuer,
    check_token,
)
from tlkit.errors import DataError

__all__ = [
    "add_check_token_arguments",
    "add_token_arguments",
    "check_token_main",
    "load_jwks_file",
    "load_signing_key",
    "read_token_argument",
    "render_token_check",
    "token_main",
]

_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


def load_signing_key(path: str | Path) -> rsa.RSAPrivateKey:
    """The RSA private key in the PEM file ``path`` (unencrypted, at least 2048 bits).

    Raises:
        DataError: not a PEM private key, encrypted, not RSA or too small (the message names the file).
        OSError: the file cannot be read.
    """
    data = read_input(path, "signing key", SMALL_FILE_CAP)
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise DataError(f"{path}: the signing key is encrypted; give an unencrypted PEM key") from None
    except (ValueError, UnsupportedAlgorithm) as e:
        first = (str(e).splitlines() or ["unreadable"])[0]
        raise DataError(f"{path}: not a PEM private key ({first})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DataError(
            f"{path}: the signing key is {type(key).__name__}; tokens are signed with RSA (RS256)"
        )
    if key.key_size < MIN_KEY_BITS:
        raise DataError(f"{path}: RSA key of {key.key_size} bits; at least {MIN_KEY_BITS} are required")
    return key


def load_jwks_file(path: str | Path) -> JwkSet:
    """The JWK set in the JSON file ``path`` (see :meth:`JwkSet.from_dict`).

    Raises:
        DataError: oversized, not JSON, or not a usable JWK set (the message names the file).
        OSError: the file cannot be read.
    """
    doc = read_json(path, "JWK set", SMALL_FILE_CAP)
    with naming(path):
        return JwkSet.from_dict(doc)


def read_token_argument(arg: str) -> bytes:
    """The token named by a command-line argument: ``-`` (standard input), an existing file, or
    else the argument itself when it has a JWT's shape (three dot-separated base64url segments).

    Surrounding whitespace (a file's final newline) is removed; the bytes are not otherwise
    interpreted, so a file of garbage becomes the ``token-malformed`` verdict, not an error.

    Raises:
        DataError: the file is larger than :data:`tlkit._io.SMALL_FILE_CAP`.
        OSError: neither a readable file nor a JWT-shaped argument (e.g. a missing file).
    """
    if (
        arg != STDIN
        and not os.path.exists(arg)
        and _JWT_SHAPE.fullmatch(arg)
        and len(arg) <= MAX_TOKEN_LENGTH
    ):
        return arg.encode("ascii")
    return read_input(arg, "token", SMALL_FILE_CAP).strip()


def render_token_check(check: TokenCheck) -> str:
    """Text for a terminal: ``VALID`` / ``INVALID: reasons``, the checks that ran, the kid and,
    when valid, the claims (one per line, sorted, as JSON values)."""
    lines = ["VALID" if check.passed else "INVALID: " + ", ".join(check.reasons)]
    lines.append("checks: " + ", ".join(check.checks))
    if check.kid is not None:
        lines.append(f"kid: {check.kid}")
    if check.claims is not None:
        lines.append("claims:")
        lines.extend(f"  {name}: {json.dumps(check.claims[name])}" for name in sorted(check.claims))
    return "\n".join(lines)


# ------------------------------------------------------------------------- argparse wiring
def add_check_token_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``check-token`` (for the ``attest`` command's sub-parser)."""
    parser.add_argument(
        "token", metavar="TOKEN", help="the token: a file, '-' for standard input, or the text"
    )
    parser.add_argument(
        "--jwks", required=True, metavar="FILE", help="trusted keys: an RFC 7517 JWK set (JSON)"
    )
    parser.add_argument("--issuer", help="expected iss claim (default: not checked)")
    parser.add_argument("--at", metavar="TIME", help="judge exp/nbf at this time (ISO 8601 or POSIX seconds)")
    parser.add_argument("--leeway", type=float, default=0.0, metavar="SECONDS", help="clock skew allowed")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def check_token_main(args: argparse.Namespace) -> int:
    """Run ``check-token``; prints the verdict, returns 0 valid / 1 invalid (2: raises DataError/OSError)."""
    keys = load_jwks_file(args.jwks)
    token = read_token_argument(args.token)
    now = parse_at(args.at) if args.at else None
    with naming("--leeway"):
        check = check_token(token, keys, now=now, issuer=args.issuer, leeway=args.leeway)
    if args.format == "json":
        print(json.dumps(check.to_dict(), indent=2, sort_keys=True))
    else:
        print(render_token_check(check))
    return 0 if check.passed else 1


def add_token_arguments(parser: argparse.ArgumentParser, *, time_argument: bool = True) -> None:
    """The options of ``token`` besides DIR (the ``attest`` command adds DIR and its verify options;
    ``time_argument=False`` when those already define ``--at``, then the one time serves both)."""
    parser.add_argument("--key", required=True, metavar="KEY", help="signing key: an RSA private key (PEM)")
    parser.add_argument("--issuer", default=DEFAULT_ISSUER, help=f"iss claim (default {DEFAULT_ISSUER})")
    parser.add_argument("--kid", default="", help="header kid (default: the key's RFC 7638 thumbprint)")
    if time_argument:
        parser.add_argument(
            "--at", metavar="TIME", help="issue time (ISO 8601 or POSIX seconds, default now)"
        )
    parser.add_argument("--jwks-out", metavar="FILE", help="also write the key's JWK set (public) to FILE")


def token_main(args: argparse.Namespace, facts: AttestedFacts) -> int:
    """Print the token for ``facts`` (which the caller verified); exit 0. Writes ``--jwks-out``.

    Raises:
        DataError, OSError: an unusable key, ``--at`` or output file (exit 2).
    """
    key = load_signing_key(args.key)
    issued_at = parse_at(args.at) if args.at else datetime.now(UTC)
    issuer = TokenIssuer(key, issuer=args.issuer, kid=args.kid)
    token = issuer.issue(facts, issued_at=issued_at)
    if args.jwks_out:
        Path(args.jwks_out).write_text(json.dumps(issuer.jwks(), indent=2) + "\n", encoding="utf-8")
    print(token)
    return 0
