"""Bounded input reading and terminal-safe text, for the ``tlkit`` command line.

What it does:

- :func:`read_input` reads one input file (or ``-`` for standard input) with a size cap chosen by
  the kind of input (:data:`EVENT_LOG_CAP`, :data:`SMALL_FILE_CAP`). It reads at most ``cap + 1``
  bytes and never trusts ``stat``: ``/dev/zero``, a pipe or a growing file is refused with a
  :class:`~tlkit.errors.DataError` naming the file and the cap instead of filling memory.
- :func:`read_text` / :func:`read_json` add strict UTF-8 decoding and JSON parsing on top, turning
  every decoding failure (bad UTF-8, malformed or too deeply nested JSON, oversized integers) into
  a ``DataError`` naming the file and, where known, the byte offset / line.
- :func:`terminal_safe` makes untrusted text (strings from event logs, file names, exports) safe to
  print: every non-printable character (C0/C1 controls such as ESC, CR, BEL; format characters such
  as bidi overrides; lone surrogates; line separators) becomes a visible Python-style escape
  (``\\x1b``, ``\\u202e``, ``\\udcff``). Backslashes are left as they are (UEFI device paths are full
  of them), so the escaping is for display, not a reversible encoding.

What it does not do: it opens no file other than the one named, interprets no content and is not
a general I/O layer for the library (library functions take ``bytes``, never paths). An
``OSError`` (missing file, a directory, no permission) propagates; :func:`tlkit.cli.main` reports it
with the path.
"""

from __future__ import annotations

import sys

from tlkit.errors import DataError, TlkitError

# ``tlkit --help`` imports this module (for terminal_safe): it stays free of typing, json, pathlib
# and contextlib at run time (see benchmarks/bench_cli.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType
    from typing import Any

__all__ = [
    "EVENT_LOG_CAP",
    "SMALL_FILE_CAP",
    "STDIN",
    "naming",
    "read_input",
    "read_json",
    "read_text",
    "terminal_safe",
]

MIB = 1 << 20
#: Largest event log the CLI reads (raw or base64). Real firmware logs are tens of KiB; a log
#: with IMA-sized volume still fits. The library itself takes any ``bytes``.
EVENT_LOG_CAP = 64 * MIB
#: Largest key, quote message, signature, PCR values file or JSON PCR table the CLI reads
#: (a TPMS_ATTEST is < 2 KiB, a tpm2-tools serialized PCR file 17 KiB at most).
SMALL_FILE_CAP = 1 * MIB
#: The path that means standard input.
STDIN = "-"


def _size(n: int) -> str:
    return f"{n // MIB} MiB" if n % MIB == 0 else f"{n} bytes"


def read_input(path: str | Path, what: str, cap: int) -> bytes:
    """The bytes of ``path`` (``"-"``: standard input), at most ``cap`` of them.

    Args:
        path: the file to read; ``"-"`` reads standard input (binary).
        what: what the file is, for messages (e.g. ``"event log"``, ``"AK public key"``).
        cap: the largest size accepted, in bytes.

    Raises:
        DataError: the input holds more than ``cap`` bytes (checked by reading ``cap + 1`` bytes,
            so special files and pipes are bounded too).
        OSError: the file cannot be opened or read (missing, a directory, no permission).
    """
    if "\x00" in str(path):  # open() would raise ValueError ("embedded null byte")
        raise DataError(f"{terminal_safe(str(path))!s}: a file name cannot contain a NUL byte")
    if str(path) == STDIN:
        data = sys.stdin.buffer.read(cap + 1)
    else:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    if len(data) > cap:
        raise DataError(f"{path}: {what} is larger than the {_size(cap)} the command reads")
    return data


def read_text(path: str | Path, what: str, cap: int) -> str:
    """:func:`read_input` decoded as strict UTF-8 (a leading BOM is dropped).

    Raises:
        DataError: over the cap, or not UTF-8 (the message gives the first bad byte's offset).
    """
    data = read_input(path, what, cap)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(
            f"{path}: {what} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None


def read_json(path: str | Path, what: str, cap: int) -> Any:
    """:func:`read_text` parsed as JSON.

    Raises:
        DataError: over the cap, not UTF-8, not JSON (with line and column), nested too deeply for
            the parser, or holding a number Python refuses to convert (over 4300 digits).
    """
    import json  # noqa: PLC0415 - kept off the `tlkit --help` path (see TYPE_CHECKING above)

    text = read_text(path, what, cap)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"{path}: {what} is not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise DataError(f"{path}: {what} is nested too deeply to read") from None
    except ValueError as e:  # e.g. an integer literal longer than sys.get_int_max_str_digits()
        raise DataError(f"{path}: {what} is not usable JSON ({e})") from None


class naming:  # noqa: N801 (used as a context manager, like contextlib's lower-case helpers)
    """Prefix the message of any :class:`~tlkit.errors.TlkitError` raised inside with ``source: ``.

    The library decodes ``bytes`` and cannot know the file they came from; the command line wraps
    each decode of a file in ``with naming(path):`` so the error says which file is at fault. The
    exception keeps its class and attributes (``offset``, ``field``...); only its text changes.
    """

    def __init__(self, source: str | Path) -> None:
        self.source = source

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(e, TlkitError):
            e.args = (f"{self.source}: {e}",)


def _escape(c: str) -> str:
    o = ord(c)
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def terminal_safe(text: str, keep: str = "") -> str:
    """``text`` with every non-printable character (``str.isprintable``) escaped, except ``keep``.

    ``keep="\\n"`` lets multi-line messages keep their line breaks; everything else that could move
    the cursor, recolour or retitle a terminal, reorder text (bidi controls) or fail to encode (lone
    surrogates) is shown as an escape instead.
    """
    probe = text
    for c in keep:
        probe = probe.replace(c, "")
    if probe.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)
