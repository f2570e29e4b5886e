"""Adapters for real components: swtpm + tpm2-tools (and, later, QEMU + OVMF).

What it does: :class:`SwtpmSession` runs a private software TPM (``swtpm socket --tpm2``) and drives it
with tpm2-tools (PCR extend/read, EK and AK creation, quotes), so that tlkit's own TPM code can be
checked against a real TPM implementation.

What it does not do: parse or verify TPM structures (that is :mod:`tlkit.tpm`), talk to a hardware
TPM, or get imported by the core packages. Each adapter says clearly when a binary is missing
(:class:`tlkit.errors.MissingComponentError`; tests turn that into a skip on a user's machine and
into a failure when ``CI=true``) and when a command fails (:class:`tlkit.errors.ToolError`, with the
command, exit status and stderr; re-exported here).
"""

from tlkit.errors import ToolError
from tlkit.lab._swtpm import SwtpmKey, SwtpmQuote, SwtpmSession, pcr_spec

__all__ = ["SwtpmKey", "SwtpmQuote", "SwtpmSession", "ToolError", "pcr_spec"]
