"""Attestation: evidence bundles, AK trust, baselines, the verifier and MAA-style tokens.

What it does:

* :class:`Evidence`: quote + signature + PCR values + AK (+ nonce, event log, AK certificate chain,
  guest report) loaded from and saved to a directory with tpm2-tools file names, or read from a real
  Azure Trusted Launch attestation document; nothing in it is trusted.
* :func:`check_ak_trust`: whether the AK belongs to a trusted vTPM: a trusted-AK list, or a certificate
  chain checked with ``cryptography`` to a root (:func:`azure_vtpm_anchors`: the real Azure vTPM root).
* :class:`Baseline`: a reference state (golden PCRs, allowed event digests per PCR, Secure Boot
  requirement and keys) built from a known-good boot, updated with history, read and written in
  keylime's measured-boot reference-state format too; :func:`check_baseline` names each deviation.
* :func:`verify` / :class:`Verifier` (nonce memory) / :func:`check_log`: every check in order
  (:data:`CHECKS`), each passed, failed or skipped with a sentence, failures as the codes of
  :data:`CODES`; later checks run on quote-verified data only.
* :data:`LAB_CASES` / :func:`run_case`: boot scenarios and doctorings with the verdict each must get.
* :class:`TokenIssuer` / :func:`check_token`: MAA-style ``azurevm`` JWTs (RS256) whose claims come
  only from :class:`AttestedFacts` the verifier established.

Quick start::

    from tlkit.attest import Evidence, Baseline, TrustAnchors, verify
    evidence = Evidence.load("evidence/")               # as `tlkit boot simulate --out` writes it
    result = verify(evidence, expected_nonce, Baseline.from_json(open("baseline.json").read()),
                    anchors=TrustAnchors.from_files(trusted_ak="ak.pem"))
    result.passed, result.reasons, result.check("log").detail

What it does not do: simulate boots (the lab cases ask :mod:`tlkit.boot` for them), parse TPM
structures or event logs itself (:mod:`tlkit.tpm`, :mod:`tlkit.eventlog`), check revocation of AK
certificates, or raise Defender findings (:mod:`tlkit.defender`).
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
from tlkit.attest._keylime import from_keylime_refstate, to_keylime_refstate
from tlkit.attest._memo import LogAnalysisMemo
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
    "LogAnalysisMemo",
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
    "from_keylime_refstate",
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
    "to_keylime_refstate",
    "verify",
]
