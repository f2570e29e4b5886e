"""Attestation: evidence bundles, AK trust, baselines, the verifier and MAA-style tokens.

What it does: loads and saves evidence (quote + AK + nonce + optional event log, tpm2-tools file
names), decides whether the attestation key is trusted, checks evidence against a baseline
(reference state), verifies everything together with machine-readable failure reasons, and issues
and checks MAA-style ``azurevm`` JWTs whose claims come only from verified evidence.

What it does not do: generate boots (:mod:`tlkit.boot`), parse TPM structures or event logs itself
(:mod:`tlkit.tpm`, :mod:`tlkit.eventlog`), or raise Defender findings (:mod:`tlkit.defender`).
"""

from tlkit.attest._aktrust import (
    REASONS as AK_TRUST_REASONS,
)
from tlkit.attest._aktrust import (
    AkTrust,
    TrustAnchors,
    azure_vtpm_anchors,
    check_ak_trust,
    parse_at,
)
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
from tlkit.attest._cases import (
    LAB_CASES,
    CaseRun,
    LabCase,
    case_names,
    claims_for,
    lab_case,
    lab_nonce,
    run_case,
)
from tlkit.attest._claims import AttestedFacts, ClaimSpec, azurevm_claims, claim_vocabulary
from tlkit.attest._evidence import (
    NO_EVIDENCE,
    Evidence,
    NoQuoteError,
    has_quote,
    load_ak_chain,
    load_evidence,
)
from tlkit.attest._reasons import CODES, code_of
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
from tlkit.attest._verify import (
    CHECKS,
    DEFAULT_POLICY,
    AttestationPolicy,
    AttestationResult,
    Check,
    Verifier,
    verify,
)

__all__ = [
    "AK_TRUST_REASONS",
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "CHECKS",
    "CODES",
    "DEFAULT_ISSUER",
    "DEFAULT_POLICY",
    "LAB_CASES",
    "NO_EVIDENCE",
    "AkTrust",
    "AttestationPolicy",
    "AttestationResult",
    "AttestedFacts",
    "Baseline",
    "BaselineChange",
    "BaselineCheck",
    "CaseRun",
    "Check",
    "ClaimSpec",
    "Deviation",
    "Evidence",
    "JwkSet",
    "KernelChain",
    "LabCase",
    "NoQuoteError",
    "PlatformChain",
    "SignatureEntry",
    "TokenCheck",
    "TokenIssuer",
    "TrustAnchors",
    "Verifier",
    "azure_vtpm_anchors",
    "azurevm_claims",
    "case_names",
    "check_ak_trust",
    "check_baseline",
    "check_token",
    "claim_vocabulary",
    "claims_for",
    "code_of",
    "has_quote",
    "issue_token",
    "jwks",
    "key_id",
    "lab_case",
    "lab_nonce",
    "load_ak_chain",
    "load_evidence",
    "parse_at",
    "run_case",
    "seeded_signing_key",
    "verify",
]
