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

# (package providing ``_cli.register``) in the order they appear in ``tlkit --help``.
_COMMAND_MODULES = (
    "tlkit.tpm._cli",
    "tlkit.eventlog._cli",
    "tlkit.support._cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tlkit",
        description="Learn and analyse Azure Trusted Launch: TPM quotes, event logs, support matrices.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
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
