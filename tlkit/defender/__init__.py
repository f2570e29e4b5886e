"""Microsoft Defender for Cloud, modelled: Trusted Launch recommendations and alerts.

What it does: from a VM's configuration and its attestation history, derives the documented
recommendations and alerts (names and severities as data in ``data/defender/``), applies the
documented applicability and suppression rules, and returns one DataFrame row per finding.

What it does not do: touch TPM bytes or verify evidence (:mod:`tlkit.attest` does).
"""

__all__ = ()  # filled when the defender modules land
