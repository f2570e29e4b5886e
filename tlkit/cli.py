"""The ``tlkit`` command: scripting and CI access to the library's functions.

Each domain package owns its sub-commands in a private ``_cli`` module exposing
``register(subparsers)``; this module only assembles them, lazily: :data:`_COMMANDS` names each
top-level command, the module that registers it and its one-line help, so ``tlkit --help`` (and a
usage error) lists every command without importing any domain package: no pandas, no data tables.
A command line that names a command imports only that command's module.

Exit codes (also in ``tlkit --help``): 0 success / verdict passed, 1 verdict failed, 2 unusable input
(any :class:`tlkit.errors.TlkitError`, an unreadable file) or bad usage, 3 internal error (a bug:
printed as one line, never a traceback), 130 interrupted.

Everything printed while a command runs goes through :func:`tlkit._io.terminal_safe`: control
characters from untrusted input (event log strings, file names, exports) are shown escaped.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from tlkit._io import terminal_safe
from tlkit.errors import DataError, TlkitError

# Kept out of the run-time imports so that ``tlkit --help`` costs argparse and little else
# (benchmarks/bench_cli.py); command modules are imported on use (build_parser).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

__all__ = ["main"]

#: Top-level command -> (module providing ``register(subparsers)``, help shown by ``tlkit --help``).
#: The help must be the one the module registers (a test checks); order is ``--help`` order.
_COMMANDS: dict[str, tuple[str, str]] = {
    "quote": ("tlkit.tpm._cli", "TPM 2.0 quotes: verify tpm2-tools quote files"),
    "eventlog": ("tlkit.eventlog._cli", "TCG firmware event logs: show, replay, verify"),
    "boot": ("tlkit.boot._cli", "simulated Secure Boot and measured boot: scenarios, evidence"),
    "attest": ("tlkit.attest._cli", "attestation: verify evidence, baselines, azurevm tokens"),
    "fleet": ("tlkit.fleet._cli", "synthetic fleets: simulate attestation alerts, report"),
    "check": ("tlkit.support._cli", "Trusted Launch compatibility of one VM (size, image/OS, ...)"),
    "tlad": ("tlkit.support._cli", "effective security type under Trusted Launch as Default"),
    "inventory": ("tlkit.support._cli", "fleet inventories (az vm list, ARM, Resource Graph)"),
}

#: Exit codes of every command.
EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

_EPILOG = """\
exit codes:
  0  success / the verdict passed
  1  the verdict failed (reasons are printed)
  2  unusable input (unreadable, oversized or malformed file; bad option value) or bad usage
  3  internal error: a bug in tlkit, printed as one line (please report it)

Run 'tlkit COMMAND --help' for a command's options."""


def _columns() -> int:
    """Terminal width as :func:`shutil.get_terminal_size` finds it, without importing shutil (which
    pulls in bz2/lzma/zlib: a measurable share of ``tlkit --help``)."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The epilog keeps its layout; the width is found as argparse does (minus 2 columns)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``tlkit`` parser.

    With a known ``command``, the module owning it is imported and registers its real sub-parsers
    (and its sibling commands); otherwise every command is listed from :data:`_COMMANDS` with its
    help and nothing else is imported: enough for ``--help`` and usage errors.
    """
    parser = argparse.ArgumentParser(
        prog="tlkit",
        description="Learn and analyse Azure Trusted Launch: TPM quotes, event logs, support matrices.",
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="the command to run")
    if command in _COMMANDS:
        importlib.import_module(_COMMANDS[command][0]).register(sub)
    else:
        for name, (_, help_text) in _COMMANDS.items():
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


class _SafeWriter:
    """A text stream wrapper that writes :func:`terminal_safe` text (line breaks kept), with
    characters the stream's encoding lacks written as backslash escapes instead of failing."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        safe = terminal_safe(text, keep="\n")
        try:
            self._stream.write(safe)
        except UnicodeEncodeError:  # e.g. an ASCII-only terminal: "…" becomes \u2026
            encoding = getattr(self._stream, "encoding", None) or "ascii"
            self._stream.write(safe.encode(encoding, "backslashreplace").decode(encoding))
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _error(message: str) -> None:
    print(f"tlkit: error: {message}", file=sys.stderr)


def _os_error(e: OSError) -> str:
    """``PATH: reason`` for an OSError from opening or reading an input file."""
    reason = e.strerror or type(e).__name__
    return f"{e.filename}: {reason}" if e.filename is not None else str(e) or reason


def _internal_error(e: Exception) -> str:
    """One line for a bug: the exception, its first message line and the innermost code location."""
    import traceback  # noqa: PLC0415 - only on this path, never for --help

    first = (str(e).splitlines() or [""])[0]
    frames = traceback.extract_tb(e.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"tlkit: internal error: {type(e).__name__}: {first}{where} (please report)"


def _dispatch(argv: list[str]) -> int:
    for i, arg in enumerate(argv, 1):  # an OS passes C strings: a NUL can only come from a caller's list
        if "\x00" in arg:
            raise DataError(f"argument {i} contains a NUL byte")
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    rc = int(args.func(args))
    sys.stdout.flush()  # inside the handlers: a closed pipe is reported here, not at exit
    return rc


def _guarded(argv: list[str]) -> int:
    """:func:`_dispatch`, with every failure turned into an exit code and a one-line message."""
    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # Output piped into e.g. `head`: stop quietly (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except TlkitError as e:
        _error(str(e))
        return EXIT_UNUSABLE
    except OSError as e:
        _error(_os_error(e))
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as e:  # last resort: never a traceback (exit 3 says "a bug")
        print(_internal_error(e), file=sys.stderr)
        return EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (see the module docstring).

    Usage errors and ``--help`` raise ``SystemExit`` (2 / 0) from :mod:`argparse`, as usual.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeWriter(saved[0]), _SafeWriter(saved[1])
    try:
        return _guarded(list(sys.argv[1:] if argv is None else argv))
    finally:
        sys.stdout, sys.stderr = saved


if __name__ == "__main__":
    raise SystemExit(main())
