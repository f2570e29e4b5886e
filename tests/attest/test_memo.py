"""The log-analysis memo (tlkit.attest._memo): a result never depends on whether the memo was used,
a changed byte never hits an entry, and what the memo does not cover (quote, nonce, AK trust) is
checked on every call."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest

from tests.conftest import fixture_path
from tlkit.attest._cases import _UPDATED_AT, case_names, lab_nonce, run_case
from tlkit.attest._memo import LogAnalysisMemo, analysis_key
from tlkit.attest._verify import AttestationPolicy, Verifier, check_log, verify
from tlkit.eventlog import KNOWN_QUIRKS


def _verify(run: Any, memo: LogAnalysisMemo | None, evidence: Any = None, baseline: Any = None) -> Any:
    ev = run.evidence if evidence is None else evidence
    base = run.baseline if baseline is None else baseline
    return verify(ev, run.nonce, base, anchors=run.anchors, at=_UPDATED_AT, memo=memo)


@pytest.mark.parametrize("name", case_names())
def test_lab_case_result_is_the_same_with_and_without_the_memo(name: str) -> None:
    run = run_case(name, seed=0)
    memo = LogAnalysisMemo()
    cold = _verify(run, None)
    first, second = _verify(run, memo), _verify(run, memo)
    assert cold.to_dict() == first.to_dict() == second.to_dict() == run.result.to_dict()
    assert cold.facts == first.facts == second.facts
    assert cold.passed is second.passed is (not run.case.expect)
    log_checked = (
        run.evidence is not None and bool(run.evidence.eventlog) and cold.check("quote").status == "passed"
    )
    # a second look at the same evidence is a hit exactly when the log checks ran on trusted PCRs
    assert (memo.hits, len(memo)) == ((1, 1) if log_checked else (0, 0))


def _one_image_fleet() -> tuple[Any, Any]:
    """The healthy lab case and the same VM quoting a second nonce (same log bytes)."""
    run = run_case("healthy", seed=0)
    from tlkit.attest._evidence import Evidence
    from tlkit.boot import scenario_evidence

    nonce = lab_nonce(0, round_=2)
    other = Evidence.from_files(scenario_evidence("healthy-ubuntu-sb", 0, nonce))
    assert other.eventlog == run.evidence.eventlog
    assert other.message != run.evidence.message
    return run, dataclasses.replace(run, evidence=other, nonce=nonce)


def test_a_fleet_of_one_image_hits_and_each_quote_is_still_checked() -> None:
    a, b = _one_image_fleet()
    memo = LogAnalysisMemo()
    ra, rb = _verify(a, memo), _verify(b, memo)
    assert ra.passed
    assert rb.passed
    assert (memo.misses, memo.hits) == (1, 1)
    assert rb.to_dict() == _verify(b, None).to_dict()
    assert rb.facts is not None
    assert rb.facts.nonce == b.nonce  # per-evidence facts are this quote's
    # the memo covers the log, never the quote: a forged signature, a wrong nonce, an untrusted AK
    sig = bytearray(b.evidence.signature)
    sig[-1] ^= 1
    forged = _verify(b, memo, evidence=dataclasses.replace(b.evidence, signature=bytes(sig)))
    assert not forged.passed
    assert "signature-invalid" in forged.codes
    assert forged.check("log").status == "skipped"
    stale = verify(b.evidence, a.nonce, b.baseline, anchors=b.anchors, at=_UPDATED_AT, memo=memo)
    assert stale.codes == ("nonce-mismatch",)
    rogue = run_case("mitm-vtpm", seed=0)
    assert _verify(rogue, memo).codes == ("ak-untrusted",)


def test_one_changed_byte_of_the_log_never_hits() -> None:
    run = run_case("healthy", seed=0)
    memo = LogAnalysisMemo()
    assert _verify(run, memo).passed
    raw = run.evidence.eventlog
    for pos in range(0, len(raw), max(1, len(raw) // 97)):  # ~100 positions over the whole log
        for flip in (0x01, 0x80):
            tampered = bytearray(raw)
            tampered[pos] ^= flip
            ev = dataclasses.replace(run.evidence, eventlog=bytes(tampered))
            hits = memo.hits
            with_memo = _verify(run, memo, evidence=ev)
            assert memo.hits == hits, pos  # never served from the entry of the genuine log
            # (a few bytes, e.g. the Spec ID header's PCR field, change nothing a verifier judges;
            # whatever the verdict, it is the one the log itself gets)
            assert with_memo.to_dict() == _verify(run, None, evidence=ev).to_dict(), pos
    assert analysis_key(raw, {"sha256": {}}, None, AttestationPolicy()) != analysis_key(
        raw[:-1], {"sha256": {}}, None, AttestationPolicy()
    )


def test_the_key_binds_the_quoted_values_the_baseline_and_the_policy() -> None:
    run = run_case("healthy", seed=0)
    raw, base, pol = run.evidence.eventlog, run.baseline, AttestationPolicy()
    pcrs = {"sha256": dict(run.evidence.pcrs.as_dict()["sha256"])}
    key = analysis_key(raw, pcrs, base, pol)
    other_pcrs = {"sha256": {**pcrs["sha256"], 23: b"\x01" * 32}}
    assert analysis_key(raw, other_pcrs, base, pol) != key
    assert analysis_key(raw, pcrs, None, pol) != key
    updated = base.updated(other_pcrs, reason="test", at=_UPDATED_AT)
    assert updated.fingerprint != base.fingerprint
    assert analysis_key(raw, pcrs, updated, pol) != key
    same = type(base).from_json(base.to_json())  # another object, same content: same key
    assert same is not base
    assert analysis_key(raw, pcrs, same, pol) == key
    assert analysis_key(raw, pcrs, base, AttestationPolicy(require_secure_boot=False)) != key
    # a quirk compares by name only; the key also binds its fix function
    q = KNOWN_QUIRKS[0]
    twin = dataclasses.replace(q, fix=lambda log: None)
    assert twin == q
    k1 = analysis_key(raw, pcrs, base, AttestationPolicy(quirks=(q,)))
    assert analysis_key(raw, pcrs, base, AttestationPolicy(quirks=(twin,))) != k1
    # what cannot be keyed soundly is not memoised
    assert analysis_key(raw, pcrs, object(), pol) is None
    assert analysis_key(raw, pcrs, base, object()) is None


def test_a_log_longer_than_the_cap_is_never_memoised(monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo keeps each entry's log: its size is bounded by maxsize x MEMO_MAX_LOG_BYTES."""
    run = run_case("healthy", seed=0)
    raw = run.evidence.eventlog
    pcrs = {"sha256": dict(run.evidence.pcrs.as_dict()["sha256"])}
    monkeypatch.setattr("tlkit.attest._memo.MEMO_MAX_LOG_BYTES", len(raw) - 1)
    assert analysis_key(raw, pcrs, run.baseline, AttestationPolicy()) is None
    monkeypatch.setattr("tlkit.attest._memo.MEMO_MAX_LOG_BYTES", len(raw))
    assert analysis_key(raw, pcrs, run.baseline, AttestationPolicy()) is not None


def test_results_served_from_the_memo_share_no_mutable_details() -> None:
    a, b = _one_image_fleet()
    memo = LogAnalysisMemo()
    ra = _verify(a, memo)
    rb = _verify(b, memo)
    rb.details["log"]["sha256"]["reasons"].append("edited by a caller")
    rb.details["baseline"]["checked"].clear()
    rc = _verify(a, memo)
    assert memo.hits == 2
    assert rc.to_dict() == ra.to_dict()


def test_the_memo_is_bounded_and_clears() -> None:
    memo = LogAnalysisMemo(maxsize=2)
    runs = [run_case(n, seed=0) for n in ("healthy", "retyped-pcr7-event", "dropped-pcr9-event")]
    for r in runs:
        _verify(r, memo)
    assert (len(memo), memo.misses) == (2, 3)
    _verify(runs[0], memo)  # the oldest went first
    assert (memo.hits, memo.misses) == (0, 4)
    _verify(runs[2], memo)
    assert memo.hits == 1
    memo.clear()
    assert (len(memo), memo.hits, memo.misses) == (0, 0, 0)
    with pytest.raises(ValueError, match="maxsize"):
        LogAnalysisMemo(maxsize=0)


def test_a_verifier_keeps_a_memo_unless_told_not_to() -> None:
    a, b = _one_image_fleet()
    v = Verifier(anchors=a.anchors, baseline=a.baseline)
    assert v.memo is not None
    assert v.verify(a.evidence, a.nonce, at=_UPDATED_AT).passed
    assert v.verify(b.evidence, b.nonce, at=_UPDATED_AT).passed
    assert v.memo.hits == 1
    again = v.verify(b.evidence, b.nonce, at=_UPDATED_AT)  # a replayed quote: memo or not, refused
    assert "nonce-reused" in again.codes
    assert Verifier(memo=False).memo is None
    shared = LogAnalysisMemo()
    assert Verifier(memo=shared).memo is shared


def test_real_gce_windows_evidence_is_the_same_with_the_memo() -> None:
    from tests.tpm._fixtures import WINDOWS, windows
    from tlkit.attest._evidence import Evidence
    from tlkit.tpm import PcrValues

    q = windows()
    raw = base64.b64decode(json.loads(fixture_path(WINDOWS).read_text())["Log"]["Raw"])
    ev = Evidence(q.message, bytes(q.signature), PcrValues.from_dict(q.pcrs), q.ak, q.nonce, raw)
    memo = LogAnalysisMemo()
    cold = verify(ev, q.nonce, at=_UPDATED_AT)  # a fixed time: the AK-trust detail names it
    warm = [verify(ev, q.nonce, at=_UPDATED_AT, memo=memo) for _ in range(2)]
    assert cold.passed
    assert memo.hits == 1
    assert cold.to_dict() == warm[0].to_dict() == warm[1].to_dict()
    assert cold.facts == warm[1].facts  # the SIPA boot flags come through the memo too


def test_real_hyperv_log_check_is_the_same_with_the_memo() -> None:
    raw = fixture_path("cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin").read_bytes()
    golden = json.loads(
        fixture_path("cvm-measure/tests/fixtures/golden/azure-snp-ncc40ads-h100-v5.json").read_text()
    )
    pcrs = {
        "sha256": {
            int(k[3:]): bytes.fromhex(v) for k, v in golden.items() if k.startswith("pcr") and k[3:].isdigit()
        }
    }
    only = AttestationPolicy(only=(0, 1, 2, 3, 4, 5, 6, 7, 9, 11))
    memo = LogAnalysisMemo()
    cold = check_log(raw, pcrs, policy=only)
    warm = [check_log(raw, pcrs, policy=only, memo=memo) for _ in range(2)]
    assert memo.hits == 1
    assert cold.codes == ("secure-boot-disabled",)
    assert cold.to_dict() == warm[0].to_dict() == warm[1].to_dict()
