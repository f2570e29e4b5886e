"""Attestation: evidence bundles, AK trust, baselines, the verifier and MAA-style tokens.

What it does: loads and saves evidence (quote + AK + nonce + optional event log, tpm2-tools file
names), decides whether the attestation key is trusted, checks evidence against a baseline
(reference state), verifies everything together with machine-readable failure reasons, and issues
and checks MAA-style ``azurevm`` JWTs whose claims come only from verified evidence.

What it does not do: generate boots (:mod:`tlkit.boot`), parse TPM structures or event logs itself
(:mod:`tlkit.tpm`, :mod:`tlkit.eventlog`), or raise Defender findings (:mod:`tlkit.defender`).
"""

__all__: list[str] = []
