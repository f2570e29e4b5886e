"""The ``tlkit`` command: scripting and CI access to the library's functions.

Each domain package owns its sub-commands in a private ``_cli`` module exposing
``register(subparsers)``; this module only assembles them. Exit codes: 0 success / verdict passed,
1 verdict failed, 2 unusable input (any :class:`tlkit.errors.TlkitError`) or bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from tlkit.errors import TlkitError

__all__ = ["main"]

# Module providing ``register(subparsers)`` -> the top-level commands it adds, in ``--help`` order.
# A command line naming one of these imports only its module (``tlkit eventlog ...`` does not load
# pandas for the support tables); ``tlkit --help`` and unknown commands import them all.
_COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "tlkit.tpm._cli": ("quote",),
    "tlkit.eventlog._cli": ("eventlog",),
    "tlkit.support._cli": ("check", "tlad", "inventory"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``tlkit`` parser; with ``command``, only the module that owns that command is imported."""
    parser = argparse.ArgumentParser(
        prog="tlkit",
        description="Learn and analyse Azure Trusted Launch: TPM quotes, event logs, support matrices.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    owners = [m for m, commands in _COMMAND_MODULES.items() if command in commands]
    for name in owners or _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except TlkitError as e:
        print(f"tlkit: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"tlkit: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
