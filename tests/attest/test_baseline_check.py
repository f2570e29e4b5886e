"""check_baseline on simulated boots (healthy, kernel update, Secure Boot off) and on the two real
Azure Trusted Launch documents (golden PCRs, no log)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.attest._evidence import AZURE_DOCS, azure_pcrs, verified
from tlkit.attest._baseline import Baseline
from tlkit.attest._baseline_check import RULES, check_baseline
from tlkit.boot import run_scenario
from tlkit.errors import DataError

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def healthy() -> Baseline:
    return Baseline.from_log(run_scenario("healthy-ubuntu-sb", seed=0).log, name="ubuntu-healthy")


def test_healthy_boot_passes_its_own_baseline(healthy: Baseline) -> None:
    pcrs, events = verified(run_scenario("healthy-ubuntu-sb", seed=0))
    result = check_baseline(healthy, pcrs=pcrs, events=events)
    assert result.passed
    assert bool(result)
    assert result.checked == ("events", "secure-boot", "secure-boot-keys")
    assert result.log == "present"
    assert result.deviations == ()
    assert healthy.require_secure_boot


def test_kernel_update_fails_naming_the_kernel(healthy: Baseline) -> None:
    pcrs, events = verified(run_scenario("kernel-update", seed=0))
    result = check_baseline(healthy, pcrs=pcrs, events=events)
    assert not result.passed
    assert {d.pcr for d in result.deviations} == {4, 8, 9}  # the scenario's documented PCRs
    assert result.reasons[0] == "baseline-deviation:pcr4:unknown-application"
    [app] = [d for d in result.deviations if d.pcr == 4]
    assert app.event_type == "EV_EFI_BOOT_SERVICES_APPLICATION"
    assert app.index is not None
    # the kernel image has no device path: the deviation names the file GRUB read before loading it
    assert app.description is not None
    assert "vmlinuz-6.8.0-1016-azure" in app.description
    assert "Authenticode digest in the allowed list" in app.expected
    named = {d.code: d.description for d in result.deviations}
    assert "vmlinuz-6.8.0-1016-azure" in named["baseline-deviation:pcr8:unknown-kernel-cmdline"]
    assert "vmlinuz-6.8.0-1016-azure" in named["baseline-deviation:pcr9:unknown-kernel-file"]
    assert "initrd.img-6.8.0-1016-azure" in named["baseline-deviation:pcr9:unknown-initrd-file"]
    doc = result.to_dict()
    assert doc["passed"] is False
    assert doc["deviations"][0]["code"] == result.reasons[0]


def test_updated_baseline_accepts_the_kernel_update(healthy: Baseline) -> None:
    update = run_scenario("kernel-update", seed=0)
    newer = healthy.updated(update.log, reason="kernel 6.8.0-1016", at=AT)
    assert healthy.history == ()
    assert len(newer.history) == 1  # never mutates
    change = newer.history[0]
    assert change.reason == "kernel 6.8.0-1016"
    assert change.at == AT
    assert any(a.startswith("pcr4:application:") for a in change.added)
    assert any("kernel_cmdline: /boot/vmlinuz-6.8.0-1016-azure" in a for a in change.added)
    # digests are added, not replaced; the golden PCRs are the new boot's
    assert not any(r.startswith("pcr") for r in change.removed)
    assert {r.split(":")[2] for r in change.removed} == {"pcr4", "pcr8", "pcr9"}
    for boot in (update, run_scenario("healthy-ubuntu-sb", seed=0)):
        pcrs, events = verified(boot)
        assert check_baseline(newer, pcrs=pcrs, events=events).passed
    assert Baseline.from_json(newer.to_json()) == newer


def test_secure_boot_off_fails_the_requirement(healthy: Baseline) -> None:
    pcrs, events = verified(run_scenario("secure-boot-off", seed=0))
    result = check_baseline(healthy, pcrs=pcrs, events=events)
    assert "baseline-deviation:pcr7:secure-boot-disabled" in result.reasons
    # also without a log: PCR 7 is not the known Secure-Boot-on value
    no_log = check_baseline(healthy, pcrs=pcrs, events=None)
    assert no_log.log == "absent"
    assert "events" not in no_log.checked
    assert "baseline-deviation:pcr7:secure-boot-unknown" in no_log.reasons
    assert "baseline-deviation:pcr7:golden-mismatch" in no_log.reasons


def test_secure_boot_off_baseline_does_not_require_it() -> None:
    boot = run_scenario("secure-boot-off", seed=0)
    baseline = Baseline.from_log(boot.log, name="sb-off")
    assert not baseline.require_secure_boot
    pcrs, events = verified(boot)
    result = check_baseline(baseline, pcrs=pcrs, events=events)
    assert result.passed
    assert "secure-boot" not in result.checked
    with pytest.raises(DataError, match="Secure Boot is not on"):
        Baseline.from_log(boot.log, name="sb-off", require_secure_boot=True)


@pytest.mark.parametrize("doc", [0, 1])
def test_azure_golden_pcrs_pass_for_their_own_document(doc: int) -> None:
    pcrs = azure_pcrs(AZURE_DOCS[doc])
    baseline = Baseline.from_pcrs(pcrs, name=f"azure-tl-{doc}", require_secure_boot=True)
    result = check_baseline(baseline, pcrs=pcrs, events=None)
    assert result.passed
    assert result.checked == ("golden-pcrs", "secure-boot")
    assert result.log == "absent"
    assert result.to_dict()["log"] == "absent"


@pytest.mark.parametrize(("mine", "other"), [(0, 1), (1, 0)])
def test_azure_golden_pcrs_fail_naming_pcrs_for_the_other_document(mine: int, other: int) -> None:
    baseline = Baseline.from_pcrs(azure_pcrs(AZURE_DOCS[mine]), name="azure-tl", require_secure_boot=True)
    result = check_baseline(baseline, pcrs=azure_pcrs(AZURE_DOCS[other]), events=None)
    assert not result.passed
    # the two real VMs differ on PCRs 6 and 10 (same firmware and Secure Boot policy: PCR 7 agrees)
    assert result.reasons == (
        "baseline-deviation:pcr6:golden-mismatch",
        "baseline-deviation:pcr10:golden-mismatch",
    )
    assert [d.pcr for d in result.deviations] == [6, 10]
    assert "secure-boot" in result.checked


def test_without_log_nothing_a_log_shows_is_claimed(healthy: Baseline) -> None:
    pcrs, _ = verified(run_scenario("healthy-ubuntu-sb", seed=0))
    result = check_baseline(healthy, pcrs=pcrs, events=None)
    assert result.passed
    assert result.checked == ("golden-pcrs", "secure-boot")
    assert "events" not in result.checked
    assert "secure-boot-keys" not in result.checked


def test_a_golden_pcr_the_quote_does_not_cover_fails() -> None:
    pcrs = azure_pcrs(AZURE_DOCS[0])
    baseline = Baseline.from_pcrs(pcrs, name="azure")
    partial = {p: v for p, v in pcrs.items() if p != 4}
    assert check_baseline(baseline, pcrs=partial, events=None).reasons == (
        "baseline-deviation:pcr4:not-quoted",
    )


def test_secure_boot_unknown_without_a_known_value() -> None:
    pcrs = azure_pcrs(AZURE_DOCS[0])
    baseline = Baseline.from_pcrs(
        {p: v for p, v in pcrs.items() if p != 7}, name="x", require_secure_boot=True
    )
    assert check_baseline(baseline, pcrs=pcrs, events=None).reasons == (
        "baseline-deviation:pcr7:secure-boot-unknown",
    )


def test_nothing_checked_never_passes(healthy: Baseline) -> None:
    empty = Baseline(name="empty")
    result = check_baseline(empty, pcrs=None, events=None)
    assert not result.passed
    assert result.checked == ()
    assert result.reasons == ("baseline-deviation:nothing-checked",)
    # a log-derived baseline given neither PCRs nor events: only the Secure Boot rule runs, and fails
    only = check_baseline(healthy, pcrs=None, events=None)
    assert only.checked == ("secure-boot",)
    assert not only.passed


def test_events_of_a_pcr_the_evidence_does_not_cover_are_missing(healthy: Baseline) -> None:
    boot = run_scenario("healthy-ubuntu-sb", seed=0)
    pcrs, events = verified(boot)
    without_9 = [e for e in events if e.pcr != 9]
    result = check_baseline(healthy, pcrs=pcrs, events=without_9)
    assert result.reasons == ("baseline-deviation:pcr9:not-evidenced",)


def test_a_dbx_update_is_named_as_the_dbx_version() -> None:
    from tests.attest._evidence import with_dbx

    baseline = Baseline.from_log(run_scenario("healthy-ubuntu-sb", seed=0).log, name="empty-dbx")
    pcrs, events = verified(with_dbx())
    result = check_baseline(baseline, pcrs=pcrs, events=events)
    assert "baseline-deviation:pcr7:unknown-dbx" in result.reasons
    [dbx] = [d for d in result.deviations if d.code.endswith("unknown-dbx")]
    assert "dbx version" in dbx.expected
    assert dbx.description.startswith("dbx:")
    # the other way round the newer baseline's dbx entries are missing from the older dbx
    newer = Baseline.from_log(with_dbx().log, name="dbx")
    pcrs, events = verified(run_scenario("healthy-ubuntu-sb", seed=0))
    assert (
        "baseline-deviation:pcr7:dbx-entry-missing" in check_baseline(newer, pcrs=pcrs, events=events).reasons
    )


def test_bad_input_is_a_data_error(healthy: Baseline) -> None:
    pcrs, events = verified(run_scenario("healthy-ubuntu-sb", seed=0))
    with pytest.raises(DataError, match="pcrs"):
        check_baseline(healthy, pcrs={0: b"short"}, events=None)
    with pytest.raises(DataError, match="events"):
        check_baseline(healthy, pcrs=pcrs, events=["not an event"])  # type: ignore[list-item]
    with pytest.raises(DataError, match="sha256"):
        check_baseline(healthy, pcrs=None, events=events, bank="sha1")


def test_rules_are_named_data() -> None:
    assert [r.part for r in RULES] == ["events", "golden-pcrs", "secure-boot", "secure-boot-keys"]
