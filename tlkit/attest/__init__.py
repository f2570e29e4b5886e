"""Attestation: evidence bundles, AK trust, baselines, the verifier and MAA-style tokens.

What it does: loads and saves evidence (quote + AK + nonce + optional event log, tpm2-tools file
names), decides whether the attestation key is trusted, checks evidence against a baseline
(reference state), verifies everything together with machine-readable failure reasons, and issues
and checks MAA-style ``azurevm`` JWTs whose claims come only from verified evidence.

What it does not do: generate boots (:mod:`tlkit.boot`), parse TPM structures or event logs itself
(:mod:`tlkit.tpm`, :mod:`tlkit.eventlog`), or raise Defender findings (:mod:`tlkit.defender`).
"""

from tlkit.attest._baseline import (
    BASELINE_FORMAT,
    BASELINE_VERSION,
    Baseline,
    BaselineChange,
    KernelChain,
    PlatformChain,
    SignatureEntry,
)
from tlkit.attest._baseline_check import BaselineCheck, Deviation, check_baseline
from tlkit.attest._claims import AttestedFacts, ClaimSpec, azurevm_claims, claim_vocabulary
from tlkit.attest._token import (
    DEFAULT_ISSUER,
    JwkSet,
    TokenCheck,
    TokenIssuer,
    check_token,
    issue_token,
    jwks,
    key_id,
    seeded_signing_key,
)

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "DEFAULT_ISSUER",
    "AttestedFacts",
    "Baseline",
    "BaselineChange",
    "BaselineCheck",
    "ClaimSpec",
    "Deviation",
    "JwkSet",
    "KernelChain",
    "PlatformChain",
    "SignatureEntry",
    "TokenCheck",
    "TokenIssuer",
    "azurevm_claims",
    "check_baseline",
    "check_token",
    "claim_vocabulary",
    "issue_token",
    "jwks",
    "key_id",
    "seeded_signing_key",
]
