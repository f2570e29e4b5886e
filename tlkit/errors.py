"""The one exception tree of tlkit.

Every failure of *input* that tlkit detects is raised as a subclass of :class:`TlkitError`, carrying
the data needed to find the problem (byte offset, record index, field name). A negative *verdict*
(a quote that does not verify, a log that does not replay) is not an exception: it is a result
object with ``passed`` and ``reasons``.

This module does not log, print or translate messages.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "DataError",
    "MissingComponentError",
    "ParseError",
    "PolicyError",
    "TlkitError",
    "ToolError",
    "UnsupportedAlgorithmError",
    "VerificationError",
]


class TlkitError(Exception):
    """Base of every error tlkit raises on purpose."""


class ParseError(TlkitError):
    """Binary or text input that cannot be decoded.

    Attributes:
        offset: byte offset (from the start of the input) where decoding failed, if known.
        index: record index (e.g. event number in a log), if the input is a sequence of records.
        what: the structure being decoded, e.g. ``"TPMS_ATTEST.extraData"``.
    """

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        index: int | None = None,
        what: str | None = None,
    ) -> None:
        self.message = message
        self.offset = offset
        self.index = index
        self.what = what
        where = []
        if what is not None:
            where.append(what)
        if index is not None:
            where.append(f"record {index}")
        if offset is not None:
            where.append(f"offset {offset} (0x{offset:x})")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class VerificationError(TlkitError):
    """A cryptographic check could not be carried out at all (e.g. an unusable key).

    A signature that simply does not match is reported in a result's ``reasons``, not raised.
    """


class PolicyError(TlkitError):
    """A rule or request that the modelled platform refuses (e.g. an invalid TLaD combination)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        self.message = message
        self.code = code
        super().__init__(f"{code}: {message}" if code else message)


class DataError(TlkitError):
    """Structured data (tables, exports, names) that is malformed or unknown.

    Attributes:
        record: the record (row index, VM name, size name...) at fault, if any.
        field: the field at fault, if any.
    """

    def __init__(self, message: str, *, record: object = None, field: str | None = None) -> None:
        self.message = message
        self.record = record
        self.field = field
        where = []
        if record is not None:
            where.append(f"record {record!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{message} [{', '.join(where)}]" if where else message)


class UnsupportedAlgorithmError(TlkitError):
    """A TPM algorithm identifier that tlkit recognises but cannot compute here (or does not know)."""

    def __init__(self, message: str, *, alg_id: int | None = None) -> None:
        self.message = message
        self.alg_id = alg_id
        super().__init__(message)


class MissingComponentError(TlkitError):
    """A real external component (swtpm, tpm2-tools, chromium, qemu) is not installed or not usable.

    Attributes:
        component: the binary or package that is missing, e.g. ``"swtpm"``.
        hint: how to install it.
    """

    def __init__(self, component: str, hint: str = "") -> None:
        self.component = component
        self.hint = hint
        super().__init__(f"{component} is not available" + (f"; {hint}" if hint else ""))


class ToolError(TlkitError):
    """A real component (swtpm or a tpm2-tools command) ran but failed or did not answer in time.

    Raised by the :mod:`tlkit.lab` adapters; :class:`MissingComponentError` covers "not installed".

    Attributes:
        command: the command line that failed.
        returncode: its exit status (``None`` for a timeout or a process that would not start).
        stderr: what it wrote on stderr, decoded leniently; the message shows its last
            :data:`TOOL_STDERR_TAIL` characters.
    """

    def __init__(
        self, message: str, *, command: Sequence[str] = (), returncode: int | None = None, stderr: str = ""
    ) -> None:
        self.message = message
        self.command = tuple(command)
        self.returncode = returncode
        self.stderr = stderr
        detail = f"{message} (exit status {returncode})" if returncode is not None else message
        tail = stderr.strip()[-TOOL_STDERR_TAIL:]
        super().__init__(f"{detail}: {' '.join(self.command)}" + (f"\n{tail}" if tail else ""))


#: How many trailing characters of a tool's stderr :class:`ToolError` shows in its message.
TOOL_STDERR_TAIL = 2000
