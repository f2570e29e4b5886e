"""data/defender: the documented names, severities and texts, and the reason-code mapping, checked
against the documentation's own words (copied in data/defender/SOURCES.md) and against each other."""

from __future__ import annotations

import pytest

from tlkit.defender._data import (
    SEVERITIES,
    alert_reasons,
    alerts,
    parse_reason,
    reason_codes,
    recommendations,
)
from tlkit.errors import DataError

#: The verifier's reason codes as issue 9 names them (tlkit.attest); every one must be mapped.
ATTEST_CODES = (
    "signature-invalid", "ak-untrusted", "nonce-mismatch", "nonce-reused", "pcr-digest-mismatch",
    "log-replay-mismatch", "log-incomplete", "log-structure-invalid", "baseline-deviation",
    "secure-boot-disabled", "secure-boot-unknown", "no-evidence", "untrusted-kernel-module",
)  # fmt: skip


def test_recommendations_have_the_documented_names_and_severities() -> None:
    got = {r.name: r.severity for r in recommendations().values()}
    ext = "Guest Attestation extension should be installed on supported"
    assert got == {
        "Secure Boot should be enabled on supported Windows virtual machines": "Low",
        "vTPM should be enabled on supported virtual machines": "Low",
        f"{ext} Windows virtual machines": "Low",
        f"{ext} Windows virtual machine scale sets": "Low",
        f"{ext} Linux virtual machines": "Low",
        f"{ext} Linux virtual machine scale sets": "Low",
        "Virtual machines guest attestation status should be healthy": "Medium",
    }
    assert recommendations()["attestation-status"].assessment_key == "b7604066-ed76-45f9-a5c1-c97e4812dc55"


def test_alerts_have_the_documented_names_severities_and_triage() -> None:
    failed, module = alerts()["attestation-failed"], alerts()["untrusted-kernel-module"]
    assert (failed.name, failed.severity) == ("Attestation failed your virtual machine", "Medium")
    assert module.severity == "Low"
    assert module.triage[0].startswith("Which kernel driver failed?")
    assert "did the partner pass the OS compliance tests to get it signed?" in module.triage[1]
    assert module.triage_ko[0].startswith("어떤 커널 드라이버가 실패했나요?")
    assert len(module.triage) == len(module.triage_ko) == 2
    assert "you can suppress this alert to avoid false positives" in failed.scope


def test_the_two_documented_attestation_failure_reasons_are_verbatim() -> None:
    reasons = alert_reasons()
    assert reasons["boot-log-deviates"].text.startswith(
        "The attested information, which includes a boot log, deviates from a trusted baseline."
    )
    assert reasons["quote-not-from-vtpm"].text.startswith(
        "The attestation quote couldn't be verified to originate from the vTPM of the attested VM."
    )
    assert reasons["quote-not-from-vtpm"].text_ko.startswith(
        "증명된 VM의 vTPM에서 가져온 증명 견적을 확인할 수 없습니다."
    )


def test_every_attestation_code_is_mapped_and_undocumented_ones_are_named() -> None:
    codes = reason_codes()
    assert set(codes) == set(ATTEST_CODES)
    assert {c.code for c in codes.values() if not c.documented} == {
        "secure-boot-disabled",
        "secure-boot-unknown",
    }
    for c in codes.values():
        if not c.documented:
            assert c.note.startswith("no documented alert reason")
    assert codes["ak-untrusted"].alert_reason == "quote-not-from-vtpm"
    assert codes["baseline-deviation"].alert_reason == "boot-log-deviates"
    assert codes["no-evidence"].alert_reason == "extension-not-responding"
    assert codes["untrusted-kernel-module"].alert == "untrusted-kernel-module"


def test_severities_are_defender_severities() -> None:
    used = {r.severity for r in recommendations().values()} | {a.severity for a in alerts().values()}
    assert used <= set(SEVERITIES)


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        ("signature-invalid", "signature-invalid", None),
        ("ak-untrusted:leaf key is not the AK", "ak-untrusted", "leaf key is not the AK"),
        ("untrusted-kernel-module:nvidia", "untrusted-kernel-module", "nvidia"),
        ("baseline-deviation:PCR 4: grub", "baseline-deviation", "PCR 4: grub"),
    ],
)
def test_parse_reason_splits_code_and_detail(text: str, code: str, detail: str | None) -> None:
    parsed, got = parse_reason(text)
    assert (parsed.code, got) == (code, detail)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bootkit", "unknown reason code 'bootkit'"),
        ("nonce-mismatch:abc", "takes no ':detail'"),
        ("untrusted-kernel-module:", "empty detail"),
        ("Signature-Invalid", "unknown reason code"),
        (42, "must be a string"),
    ],
)
def test_parse_reason_rejects_bad_codes_naming_the_record(text: object, message: str) -> None:
    with pytest.raises(DataError, match=message) as e:
        parse_reason(text, record="vm-1@2026-11-01T00:00:00Z")
    assert "vm-1@2026-11-01T00:00:00Z" in str(e.value)
