"""The verifier's reason codes, and how lower layers' findings map onto them (data, private).

A reason is ``code`` or ``code:detail`` (e.g. ``log-incomplete:pcr9``). The codes are the ones
issue-9 names after the seed document's failure reasons (azure-trusted-launch-facts.md §5.5: "the
boot log deviates from the trusted baseline", "the quote could not be verified to originate from the
attested VM's vTPM", "the extension is not responding", "Secure Boot is disabled"), plus
``quote-invalid`` for a signed structure that is not a TPM2 quote at all.

What it does not do: decide anything. :mod:`tlkit.attest._verify` runs the checks; this module only
names their outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CODES", "LOG_REASON_CODES", "QUOTE_REASON_CODES", "code_of", "log_reason", "quote_reason"]

#: Every code :func:`tlkit.attest.verify` can report, with what it means. Each fails the result.
CODES: Mapping[str, str] = {
    "no-evidence": (
        "no quote to check (the VM did not boot, or the Guest Attestation extension is not responding)"
    ),
    "signature-invalid": (
        "the quote's signature does not verify with the attestation key (or uses a scheme tlkit cannot check)"
    ),
    "quote-invalid": "the signed structure is not a TPM2 quote (magic, type or PCR bank)",
    "ak-untrusted": (
        "the quote could not be verified to originate from the attested VM's vTPM (AK not trusted)"
    ),
    "nonce-mismatch": "the quote's extraData is not the verifier's nonce",
    "nonce-reused": "this verifier already accepted a quote over this nonce (a replayed quote)",
    "pcr-digest-mismatch": "the PCR values given are not the values the quote's pcrDigest covers",
    "log-replay-mismatch": (
        "the event log was doctored or belongs to another boot: it does not replay to the quoted "
        "PCRs, or an event's data is not what its digest measured"
    ),
    "log-incomplete": "a quoted PCR that the log does not explain (or a log the policy requires is absent)",
    "log-structure-invalid": (
        "event types or order the PC Client profile forbids on a PCR, or a log that does not parse"
    ),
    "baseline-deviation": "the boot log or PCR values deviate from the trusted baseline",
    "secure-boot-disabled": "Secure Boot was off during the boot",
    "secure-boot-unknown": "the verified evidence does not show whether Secure Boot was on",
    "untrusted-kernel-module": (
        "the guest refused a kernel module that failed signature validation (guest-reported)"
    ),
}

#: :func:`tlkit.tpm.verify_quote` reason -> attestation reason.
QUOTE_REASON_CODES: Mapping[str, str] = {
    "signature-invalid": "signature-invalid",
    "unsupported-signature-scheme": "signature-invalid:unsupported-scheme",
    "not-a-quote": "quote-invalid:not-a-quote",
    "bad-magic": "quote-invalid:bad-magic",
    "unsupported-pcr-bank": "quote-invalid:unsupported-pcr-bank",
    "nonce-mismatch": "nonce-mismatch",
    "pcr-selection-mismatch": "pcr-digest-mismatch:selection",
    "pcr-digest-mismatch": "pcr-digest-mismatch",
}

#: :class:`tlkit.eventlog.ReplayResult` reason kind (before its ``:N``) -> attestation code.
#: ``quirk-applied`` is informational and maps to nothing (it goes to the result's details).
LOG_REASON_CODES: Mapping[str, str] = {
    "pcr-mismatch": "log-replay-mismatch",
    "payload-digest-mismatch": "log-replay-mismatch",
    "pcr-not-covered": "log-incomplete",
    "no-pcr-covered": "log-incomplete",
    "event-type-not-allowed": "log-structure-invalid",
    "event-order-invalid": "log-structure-invalid",
    "event-data-undecodable": "log-structure-invalid",
    "secureboot-variable-missing": "log-structure-invalid",
}

#: Log reason kinds whose ``:N`` is an event index (else it is a PCR index).
_EVENT_INDEXED = frozenset(
    {"payload-digest-mismatch", "event-type-not-allowed", "event-order-invalid", "event-data-undecodable"}
)


def code_of(reason: str) -> str:
    """The code of a reason (``"log-incomplete:pcr9"`` -> ``"log-incomplete"``)."""
    return reason.split(":", 1)[0]


def quote_reason(reason: str) -> str:
    """The attestation reason for one :func:`tlkit.tpm.verify_quote` reason."""
    return QUOTE_REASON_CODES.get(reason, f"quote-invalid:{reason}")


def log_reason(reason: str, bank: str) -> str | None:
    """The attestation reason for one replay reason of ``bank`` (``None``: informational)."""
    kind, _, where = reason.partition(":")
    if kind == "quirk-applied":
        return None
    code = LOG_REASON_CODES.get(kind, "log-structure-invalid")
    if not where:
        return f"{code}:{kind}"
    place = f"event{where}" if kind in _EVENT_INDEXED else f"pcr{where}"
    detail = "" if kind in {"pcr-mismatch", "pcr-not-covered"} else f"{kind}:"
    return f"{code}:{detail}{bank}:{place}"
