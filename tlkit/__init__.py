"""tlkit: a toolkit for learning and analysing Azure Trusted Launch.

Sub-packages (see ARCHITECTURE in the repository):

- :mod:`tlkit.tpm`: TPM 2.0 wire structures, PCR banks, a virtual TPM, quote verification.
- :mod:`tlkit.eventlog`: TCG PC Client event logs: parse, write, replay, explain.
- :mod:`tlkit.support`: versioned Trusted Launch support matrices, TLaD rules, fleet inventories.
- :mod:`tlkit.lab`: adapters for real components (swtpm + tpm2-tools).
- :mod:`tlkit.viz` / :mod:`tlkit.widgets`: figures and notebook apps on top of the above.

Importing :mod:`tlkit` imports nothing heavy; import the sub-package you need.
"""

from tlkit.errors import DataError, ParseError, PolicyError, TlkitError, VerificationError

__version__ = "0.1.0"

__all__ = ["DataError", "ParseError", "PolicyError", "TlkitError", "VerificationError", "__version__"]
