"""Adapters for real components: swtpm + tpm2-tools (and, later, QEMU + OVMF).

Nothing in the core packages imports this package. Each adapter says clearly when a binary is
missing (:class:`tlkit.errors.MissingComponentError`); tests turn that into a skip on a user's machine
and into a failure when ``CI=true``.
"""
