"""The verifier end to end: every lab case gets the verdict it documents, every check runs on trusted
data only, and the result says which checks ran (real Azure evidence included)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from tests.conftest import fixture_path
from tlkit.attest._cases import LAB_CASES, case_names, run_case
from tlkit.attest._reasons import CODES, code_of
from tlkit.attest._verify import AttestationPolicy, Verifier, verify
from tlkit.boot import SCENARIOS

AZURE = "fluorite/libraries/attestation/azure-trusted-launch-attestation"
AZURE_DOC = f"{AZURE}/test_data/azure_trusted_launch_vm_attestation_document.json"
AZURE_DOC_OLD = f"{AZURE}/test_data/azure_trusted_launch_vm_attestation_document_expired.json"


@pytest.mark.parametrize("name", case_names())
def test_lab_case_gets_its_documented_verdict(name: str) -> None:
    run = run_case(name, seed=0)
    r = run.result
    assert r.passed is (not run.case.expect), (name, r.reasons)
    assert set(r.codes) == set(run.case.expect), (name, r.reasons)  # nothing missing, nothing extra
    assert all(code_of(x) in CODES for x in r.reasons)
    assert [c.name for c in r.checks][:2] == ["evidence", "quote"]
    if r.passed:
        assert {c.status for c in r.checks} <= {"passed", "skipped"}
        assert r.facts is not None
        assert r.facts.secure_boot is True
        assert r.facts.attested_pcrs == tuple(range(24))


def test_lab_cases_are_deterministic() -> None:
    a, b = run_case("dropped-pcr9-event", 3), run_case("dropped-pcr9-event", 3)
    assert a.result.to_dict() == b.result.to_dict()
    assert a.evidence.files() == b.evidence.files()


def test_mitm_is_untrusted_only_because_of_the_key() -> None:
    r = run_case("mitm-vtpm").result
    assert r.codes == ("ak-untrusted",)
    assert r.ak_trust == "untrusted"
    assert r.check("quote").status == "passed"  # the rogue quote itself is well formed and consistent
    assert r.check("log").status == "passed"


def test_without_anchors_the_ak_is_used_as_given_and_said_so() -> None:
    run = run_case("mitm-vtpm")
    r = verify(run.evidence, run.nonce, run.baseline)
    assert r.passed
    assert r.ak_trust == "unverified"
    assert r.check("ak-trust").status == "skipped"


def test_nonce_reuse_is_refused_by_the_verifier_that_accepted_it() -> None:
    run = run_case("healthy")
    v = Verifier(anchors=run.anchors, baseline=run.baseline)
    first = v.verify(run.evidence, run.nonce)
    again = v.verify(run.evidence, run.nonce)
    assert first.passed
    assert not again.passed
    assert "nonce-reused" in again.codes


def test_a_verifier_that_requires_issued_nonces_refuses_others() -> None:
    run = run_case("healthy")
    v = Verifier(anchors=run.anchors, baseline=run.baseline, seed=1, require_issued=True)
    assert v.new_nonce() == Verifier(seed=1).new_nonce()  # seeded: deterministic
    assert "nonce-mismatch" in v.verify(run.evidence, run.nonce).codes


def test_no_expected_nonce_leaves_freshness_unproven_and_says_so() -> None:
    run = run_case("healthy")
    r = verify(run.evidence, None, run.baseline)
    assert r.passed
    assert r.check("nonce").status == "skipped"
    assert "freshness" in r.check("nonce").detail
    strict = verify(run.evidence, None, run.baseline, AttestationPolicy(require_nonce=True))
    assert not strict.passed
    assert "nonce-mismatch:not-given" in strict.reasons


def test_checks_after_a_failed_quote_are_skipped_not_passed() -> None:
    run = run_case("healthy")
    sig = bytearray(run.evidence.signature)
    sig[-1] ^= 1
    r = verify(dataclasses.replace(run.evidence, signature=bytes(sig)), run.nonce, run.baseline)
    assert not r.passed
    assert r.codes[0] == "signature-invalid"
    for name in ("log", "secure-boot", "baseline"):
        assert r.check(name).status == "skipped"
    assert r.facts is None


def test_a_log_from_another_boot_is_a_replay_mismatch() -> None:
    run = run_case("healthy")
    other = run_case("kernel-update").evidence
    r = verify(dataclasses.replace(run.evidence, eventlog=other.eventlog), run.nonce)
    assert not r.passed
    assert "log-replay-mismatch" in r.codes


def test_an_unparsable_log_is_a_structure_failure() -> None:
    run = run_case("healthy")
    r = verify(dataclasses.replace(run.evidence, eventlog=run.evidence.eventlog[:-7]), run.nonce)
    assert "log-structure-invalid:unparsable" in r.reasons


def test_no_evidence_is_its_own_reason() -> None:
    r = verify(None)
    assert r.reasons == ("no-evidence",)
    assert not r.passed
    assert r.ak_trust == "not-checked"


def test_secure_boot_off_without_requirement_is_skipped_but_reported() -> None:
    run = run_case("secure-boot-off")
    r = verify(
        run.evidence, run.nonce, None, AttestationPolicy(require_secure_boot=False), anchors=run.anchors
    )
    assert r.passed
    assert r.secure_boot is False
    assert r.check("secure-boot").status == "skipped"


# ------------------------------------------------------------------------------ real Azure evidence
def _azure(path: str):
    from tlkit.attest._evidence import Evidence

    return Evidence.from_azure_document(fixture_path(path))


def _inside_leaf_validity(path: str) -> datetime:
    from tlkit.attest._evidence import Evidence

    leaf = Evidence.from_azure_document(fixture_path(path)).ak_chain[0]
    return leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2


@pytest.mark.parametrize("doc", [AZURE_DOC, AZURE_DOC_OLD])
def test_real_azure_tl_quote_verifies_to_the_azure_root_without_a_log(doc: str) -> None:
    from tlkit.attest._aktrust import azure_vtpm_anchors
    from tlkit.attest._baseline import Baseline

    ev = _azure(doc)
    at = _inside_leaf_validity(doc)
    r = verify(ev, b"", None, anchors=azure_vtpm_anchors(), at=at)
    assert r.ak_trust == "verified"
    assert r.log == "absent"
    assert r.check("quote").status == "passed"
    assert r.check("log").status == "skipped"
    # Without a log or a golden PCR 7, Secure Boot cannot be judged: it fails as unknown, never passes.
    assert r.codes == ("secure-boot-unknown",)
    golden = Baseline.from_pcrs(ev.pcrs.as_dict(), name="known-good")
    r2 = verify(ev, b"", golden, anchors=azure_vtpm_anchors(), at=at)
    assert r2.passed
    assert r2.secure_boot is True
    assert "known Secure-Boot-on value" in r2.check("secure-boot").detail
    assert r2.facts is not None
    assert r2.facts.attested_pcrs == tuple(range(24))


def test_real_azure_chain_expired_now_fails_with_its_own_reason() -> None:
    from tlkit.attest._aktrust import azure_vtpm_anchors

    r = verify(_azure(AZURE_DOC), b"", anchors=azure_vtpm_anchors(), at=datetime(2026, 12, 3, tzinfo=UTC))
    assert r.ak_trust == "untrusted"
    assert any(x.startswith("ak-untrusted:") and "expired" in x for x in r.reasons)


def test_real_azure_quote_against_the_other_vms_golden_pcrs_deviates() -> None:
    from tlkit.attest._baseline import Baseline

    a, b = _azure(AZURE_DOC), _azure(AZURE_DOC_OLD)
    r = verify(a, b"", Baseline.from_pcrs(b.pcrs.as_dict(), name="other VM"))
    assert "baseline-deviation" in r.codes


def test_reason_table_covers_the_issue_codes() -> None:
    wanted = {
        "signature-invalid", "ak-untrusted", "nonce-mismatch", "nonce-reused", "pcr-digest-mismatch",
        "log-replay-mismatch", "log-incomplete", "log-structure-invalid", "baseline-deviation",
        "secure-boot-disabled", "secure-boot-unknown", "no-evidence", "untrusted-kernel-module",
    }  # fmt: skip
    assert wanted <= set(CODES)
    assert all(c.expect == tuple(dict.fromkeys(c.expect)) for c in LAB_CASES)
    assert json.dumps(run_case("healthy").result.to_dict())  # JSON-able


# ------------------------------------------------------------------------------ other real evidence
def test_real_gce_windows_evidence_passes_and_its_sipa_flags_become_facts() -> None:
    import base64

    from tests.tpm._fixtures import WINDOWS, windows
    from tlkit.attest._evidence import Evidence
    from tlkit.tpm import PcrValues

    q = windows()
    raw = base64.b64decode(json.loads(fixture_path(WINDOWS).read_text())["Log"]["Raw"])
    ev = Evidence(q.message, bytes(q.signature), PcrValues.from_dict(q.pcrs), q.ak, q.nonce, raw)
    r = verify(ev, q.nonce)
    assert r.passed, r.reasons
    assert r.log == "replayed"
    assert r.secure_boot is True
    assert r.facts is not None
    assert (r.facts.boot_debug, r.facts.kernel_debug, r.facts.test_signing) == (False, False, False)
    assert r.facts.elam_enabled is True  # Windows Defender's ELAM driver is measured in that log
    # go-attestation's event-log disclosure: the same log with PCR 7 re-typed fails as structure
    from tlkit.eventlog import parse, write

    log = parse(raw)
    sb = next(e for e in log.events if e.pcr == 7 and e.event_type == 0x80000001)
    doctored = write(log.replaced(sb.index, dataclasses.replace(sb, event_type=0x800000E0)))
    assert "log-structure-invalid" in verify(dataclasses.replace(ev, eventlog=doctored), q.nonce).codes


def test_hyperv_firmware_log_replays_to_its_golden_pcrs_and_fails_as_secure_boot_disabled() -> None:
    from tlkit.attest._verify import check_log

    raw = fixture_path("cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin").read_bytes()
    golden_file = fixture_path("cvm-measure/tests/fixtures/golden/azure-snp-ncc40ads-h100-v5.json")
    golden = json.loads(golden_file.read_text())
    pcrs = {"sha256": {int(k): bytes.fromhex(v) for k, v in _golden_values(golden).items()}}
    only = AttestationPolicy(only=(0, 1, 2, 3, 4, 5, 6, 7, 9, 11))  # 8 is extended after the log closes
    r = check_log(raw, pcrs, policy=only)
    assert r.log == "replayed"
    assert r.codes == ("secure-boot-disabled",)  # a GPU VM run with Secure Boot off: the false-positive case
    assert r.check("quote").status == "skipped"


def _golden_values(doc: object) -> dict[str, str]:
    """``{pcr: hex}`` from cvm-measure's golden JSON (keys ``pcr0``, ``pcr1``, ...)."""
    assert isinstance(doc, dict)
    return {k.removeprefix("pcr"): v for k, v in doc.items() if k.startswith("pcr") and k[3:].isdigit()}


#: What the verifier answers for each boot scenario's evidence (no baseline: the scenario's own
#: documented effect is what fails it). Every scenario of tlkit.boot must be listed.
SCENARIO_VERDICTS: dict[str, tuple[str, ...]] = {
    "healthy-ubuntu-sb": (),
    "secure-boot-off": ("secure-boot-disabled",),
    "bootkit": ("no-evidence",),  # Secure Boot stopped the boot: no quote
    "unsigned-kernel-module": ("untrusted-kernel-module",),
    "revoked-bootloader": ("no-evidence",),
    "kernel-update": (),
    "firmware-update": (),
    "dbx-update": (),
    "healthy-windows-vbs": (),
    "test-signing": ("secure-boot-disabled",),  # Windows sets test signing only with Secure Boot off
    "kernel-debug": ("secure-boot-disabled",),
    "hvci-blocks-driver": (),  # HVCI refused the driver; the boot itself is what it should be
    "windows-update": (),
    "windows-firmware-update": (),
}


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_every_scenario_gets_its_documented_verdict(name: str) -> None:
    from tlkit.attest._evidence import Evidence, NoQuoteError
    from tlkit.boot import default_nonce, scenario, scenario_evidence

    try:
        evidence = Evidence.from_files(scenario_evidence(name, 0))
    except NoQuoteError:
        evidence = None
    r = verify(evidence, default_nonce(0))
    assert r.codes == SCENARIO_VERDICTS[name], r.reasons
    if evidence is not None and r.facts is not None:
        windows = scenario(name).baseline == "healthy-windows-vbs"
        assert r.facts.os_type == ("Windows" if windows else "Linux")
        assert r.facts.test_signing is ((name == "test-signing") if windows else None)
        assert r.facts.kernel_debug is ((name == "kernel-debug") if windows else None)
