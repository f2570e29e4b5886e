"""tlkit.defender assess(): each documented rule's outcome on a VM built for it, the false-positive
(suppression) case, bad input, and the sample fleet."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import pytest

from tlkit.defender._assess import FINDING_COLUMNS, assess, assessment_status
from tlkit.defender._model import AttestationRecord, VmConfig, demo_fleet, load_fleet
from tlkit.defender._rules import DEFAULT_SUPPRESSIONS
from tlkit.errors import DataError

SB = "Secure Boot should be enabled on supported Windows virtual machines"
VTPM = "vTPM should be enabled on supported virtual machines"
EXT_WIN_VM = "Guest Attestation extension should be installed on supported Windows virtual machines"
EXT_WIN_VMSS = (
    "Guest Attestation extension should be installed on supported Windows virtual machine scale sets"
)
EXT_LINUX_VM = "Guest Attestation extension should be installed on supported Linux virtual machines"
EXT_LINUX_VMSS = (
    "Guest Attestation extension should be installed on supported Linux virtual machine scale sets"
)
STATUS = "Virtual machines guest attestation status should be healthy"
FAILED = "Attestation failed your virtual machine"
MODULE = "Untrusted Linux kernel module"
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)

#: A healthy, fully monitored Trusted Launch VM; tests change one thing at a time.
HEALTHY = VmConfig(
    "vm-1", "Linux", trusted_launch_capable=True, secure_boot=True, vtpm=True, guest_attestation=True
)


def names(frame: pd.DataFrame) -> list[str]:
    return list(frame["name"])


def record(
    reasons: tuple[str, ...] = (), passed: bool | None = None, vm: str = "vm-1", hour: int = 0
) -> AttestationRecord:
    ok = not reasons if passed is None else passed
    return AttestationRecord(vm, T0.replace(hour=hour), ok, reasons)


# --- recommendations ------------------------------------------------------------------------------


def test_a_healthy_monitored_vm_has_no_finding() -> None:
    frame = assess([HEALTHY], [record()])
    assert frame.empty
    assert list(frame.columns) == list(FINDING_COLUMNS)


def test_secure_boot_off_on_a_windows_tl_vm_gives_the_low_recommendation() -> None:
    vm = replace(HEALTHY, os_type="Windows", secure_boot=False)
    frame = assess([vm])
    assert names(frame) == [SB]
    assert frame.loc[0, "severity"] == "Low"
    assert frame.loc[0, "kind"] == "recommendation"
    assert frame.loc[0, "reason"] == "Secure Boot is disabled"
    assert "az vm update --enable-secure-boot true" in frame.loc[0, "remediation"]


def test_a_vm_that_cannot_run_trusted_launch_gets_no_secure_boot_or_vtpm_recommendation() -> None:
    gen1 = VmConfig("gen1", "Windows", trusted_launch_capable=False, security_type="Standard",
                    secure_boot=False, vtpm=False)  # fmt: skip
    assert assess([gen1]).empty
    status = assessment_status([gen1]).set_index("recommendation")["status"]
    assert set(status) == {"not-applicable"}


def test_a_standard_vm_on_capable_hardware_gets_secure_boot_and_vtpm_recommendations() -> None:
    # TL-2026 and the seed: "only applies for VMs that support Trusted Launch" (not only TL-enabled ones).
    vm = VmConfig("gen2", "Windows", trusted_launch_capable=True, security_type="Standard",
                  secure_boot=False, vtpm=False)  # fmt: skip
    assert names(assess([vm])) == [SB, VTPM]


def test_the_secure_boot_recommendation_is_for_windows_only_as_its_name_says() -> None:
    assert assess([replace(HEALTHY, secure_boot=False)]).query("name == @SB").empty


def test_vtpm_off_gives_the_low_vtpm_recommendation_and_no_extension_recommendation() -> None:
    frame = assess([replace(HEALTHY, vtpm=False, guest_attestation=False)])
    assert names(frame) == [VTPM]
    assert frame.loc[0, "severity"] == "Low"


@pytest.mark.parametrize(
    ("os_type", "scale_set", "name"),
    [("Windows", False, EXT_WIN_VM), ("Windows", True, EXT_WIN_VMSS),
     ("Linux", False, EXT_LINUX_VM), ("Linux", True, EXT_LINUX_VMSS)],
)  # fmt: skip
def test_missing_extension_gives_the_recommendation_named_for_os_and_resource_kind(
    os_type: str, scale_set: bool, name: str
) -> None:
    frame = assess([replace(HEALTHY, os_type=os_type, scale_set=scale_set, guest_attestation=False)])
    assert names(frame) == [name]
    assert frame.loc[0, "severity"] == "Low"


def test_the_extension_recommendation_needs_secure_boot_and_vtpm() -> None:
    vm = replace(HEALTHY, os_type="Windows", secure_boot=False, guest_attestation=False)
    assert names(assess([vm])) == [SB]  # not the extension: Secure Boot is off


def test_a_failed_latest_attestation_makes_the_status_assessment_unhealthy_medium() -> None:
    history = [record(hour=1), record(("baseline-deviation:PCR 4",), hour=2)]
    frame = assess([HEALTHY], history)
    rec = frame[frame["kind"] == "recommendation"].iloc[0]
    assert (rec["name"], rec["severity"]) == (STATUS, "Medium")
    assert rec["time"] == pd.Timestamp(T0.replace(hour=2))
    assert "baseline-deviation:PCR 4" in rec["reason"]


def test_the_status_follows_the_latest_record_at_the_assessment_time() -> None:
    history = [record(("signature-invalid",), hour=1), record(hour=3)]
    assert STATUS not in names(assess([HEALTHY], history))  # healthy again at 03:00
    assert STATUS in names(assess([HEALTHY], history, at=T0.replace(hour=2)))
    status = assessment_status([HEALTHY], [], at=T0).set_index("recommendation")["status"]
    assert status[STATUS] == "no-data"


# --- alerts ---------------------------------------------------------------------------------------


def test_a_failed_attestation_raises_the_medium_alert_with_the_documented_reason() -> None:
    frame = assess([HEALTHY], [record(("log-replay-mismatch", "baseline-deviation:PCR 9 vmlinuz"))])
    alert = frame[frame["kind"] == "alert"]
    assert names(alert) == [FAILED]
    row = alert.iloc[0]
    assert row["severity"] == "Medium"
    assert row["reason"].startswith("The attested information, which includes a boot log, deviates")
    assert row["reason"].endswith("(PCR 9 vmlinuz)")
    assert row["codes"] == "log-replay-mismatch; baseline-deviation:PCR 9 vmlinuz"
    assert not row["suppressed"]


def test_quote_origin_failures_carry_the_quote_reason() -> None:
    frame = assess([HEALTHY], [record(("signature-invalid", "ak-untrusted:self-made root"))])
    (reason,) = frame.loc[frame["kind"] == "alert", "reason"]
    assert reason.startswith("The attestation quote couldn't be verified to originate from the vTPM")


def test_one_alert_per_documented_reason_of_a_record() -> None:
    frame = assess([HEALTHY], [record(("nonce-reused", "log-incomplete", "no-evidence"))])
    alert = frame[frame["kind"] == "alert"]
    assert len(alert) == 3
    starts = (
        "The attestation quote",
        "The attested information",
        "The attestation extension on the VM isn't",
    )
    assert alert["reason"].str.startswith(starts).all()


def test_alerts_need_vtpm_and_the_extension() -> None:
    failing = [record(("baseline-deviation",))]
    assert assess([replace(HEALTHY, guest_attestation=False)], failing).query("kind == 'alert'").empty
    assert assess([replace(HEALTHY, vtpm=False)], failing).query("kind == 'alert'").empty


def test_untrusted_kernel_module_gives_the_low_alert_with_the_triage_questions() -> None:
    frame = assess([HEALTHY], [record(("untrusted-kernel-module:nvidia",), passed=False)])
    assert names(frame) == [MODULE]  # not the attestation-failure alert, and the status stays healthy
    row = frame.iloc[0]
    assert (row["kind"], row["severity"]) == ("alert", "Low")
    assert row["reason"].endswith("(nvidia)")
    assert row["triage"].startswith("Which kernel driver failed? Am I familiar with the failed kernel driver")
    assert "did the partner pass the OS compliance tests" in row["triage"]
    assert "mokutil --import" in row["remediation"]


def test_one_kernel_module_alert_per_module() -> None:
    frame = assess([HEALTHY], [record(("untrusted-kernel-module:nvidia", "untrusted-kernel-module:mlx5_ib"))])
    assert sorted(frame["reason"].str.extract(r"\((\w+)\)$")[0]) == ["mlx5_ib", "nvidia"]


def test_the_kernel_module_alert_needs_secure_boot_on_linux() -> None:
    module = [record(("untrusted-kernel-module:nvidia",), passed=False)]
    assert assess([replace(HEALTHY, os_type="Windows")], module).empty


# --- suppression: the false-positive case ------------------------------------------------------------

GPU = replace(HEALTHY, vm="gpu-1", secure_boot=False, secure_boot_off_by_design=True, note="GRID driver")


def test_gpu_vm_with_secure_boot_off_by_design_is_suppressed_but_counted() -> None:
    frame = assess([GPU], [record(("secure-boot-disabled",), vm="gpu-1")])
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["name"], row["severity"], row["suppressed"]) == (FAILED, "Medium", True)
    assert row["suppressed_by"] == "secure-boot-off-by-design"
    assert row["reason"] == "no documented alert reason (secure-boot-disabled)"


def test_without_suppressions_the_same_alert_is_shown() -> None:
    frame = assess([GPU], [record(("secure-boot-disabled",), vm="gpu-1")], suppressions=())
    assert names(frame) == [FAILED]
    assert not frame.loc[0, "suppressed"]
    assert frame.loc[0, "suppressed_by"] == ""


def test_secure_boot_accidentally_off_is_not_suppressed() -> None:
    vm = replace(GPU, secure_boot_off_by_design=False)
    frame = assess([vm], [record(("secure-boot-disabled",), vm="gpu-1")])
    assert not frame["suppressed"].any()


def test_suppression_never_hides_another_reason_on_the_same_vm() -> None:
    frame = assess([GPU], [record(("secure-boot-disabled", "signature-invalid"), vm="gpu-1")])
    assert list(frame["suppressed"]) == [False, True]
    assert frame.loc[0, "reason"].startswith("The attestation quote couldn't be verified")


def test_the_secure_boot_variable_deviation_of_a_secure_boot_off_boot_is_suppressed_too() -> None:
    """What the verifier really says of a Secure-Boot-off boot checked against a Secure-Boot-on
    baseline: Secure Boot disabled, and PCR 7's SecureBoot variable deviating. Both are the Secure
    Boot state alone, so on a VM where it is off by design both alerts are suppressed (still rows);
    any other deviation beside it is not."""
    from tlkit.attest import Baseline, Evidence, TrustAnchors, verify
    from tlkit.attest._cases import lab_nonce
    from tlkit.boot import run_scenario, scenario_evidence
    from tlkit.tpm import load_public_key

    healthy = run_scenario("healthy-ubuntu-sb", 0)
    nonce = lab_nonce(0)
    result = verify(
        Evidence.from_files(scenario_evidence("secure-boot-off", 0, nonce)),
        nonce,
        Baseline.from_log(healthy.log, name="healthy"),
        anchors=TrustAnchors(trusted_aks=(load_public_key(healthy.vtpm.ak_pem),)),
    )
    assert set(result.reasons) == {"secure-boot-disabled", "baseline-deviation:pcr7:unknown-secureboot"}
    frame = assess([GPU], [record(tuple(result.reasons), vm="gpu-1")])
    assert len(frame) == 2
    assert frame["suppressed"].all()
    other = assess(
        [GPU], [record((*result.reasons, "baseline-deviation:pcr4:unknown-application"), vm="gpu-1")]
    )
    assert sorted(other["suppressed"]) == [False, True]


def test_default_suppressions_are_the_documented_one() -> None:
    assert [s.key for s in DEFAULT_SUPPRESSIONS] == ["secure-boot-off-by-design"]


# --- shape, order and bad input ----------------------------------------------------------------------


def test_empty_input_gives_an_empty_frame_with_the_columns_and_dtypes() -> None:
    empty, full = assess([]), assess([GPU], [record(("secure-boot-disabled",), vm="gpu-1")])
    assert list(empty.columns) == list(FINDING_COLUMNS)
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert str(empty["time"].dtype) == "datetime64[ns, UTC]"
    assert empty["suppressed"].dtype == bool


def test_row_order_does_not_depend_on_input_order() -> None:
    fleet = demo_fleet()
    forward = assess(fleet.vms, fleet.history)
    backward = assess(fleet.vms[::-1], fleet.history[::-1])
    pd.testing.assert_frame_equal(forward, backward)
    assert list(forward["vm"]) == sorted(forward["vm"])


def test_a_record_for_an_unknown_vm_is_an_error_naming_it() -> None:
    with pytest.raises(
        DataError, match=r"history\[1\] \(ghost@2026-11-23T00:00:00Z\) is for a VM that is not in vms"
    ):
        assess([HEALTHY], [record(), record(vm="ghost")])


def test_a_vm_listed_twice_is_an_error() -> None:
    with pytest.raises(DataError, match="listed twice"):
        assess([HEALTHY, HEALTHY])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reasons": ("bootkit",)}, "unknown reason code 'bootkit'"),
        ({"reasons": ("nonce-mismatch:x",)}, "takes no ':detail'"),
        (
            {"passed": True, "reasons": ("signature-invalid",)},
            "passed attestation cannot carry failure reasons",
        ),
        ({"passed": False, "reasons": ()}, "must name at least one reason"),
        ({"time": datetime(2026, 11, 23)}, "has no time zone"),
        ({"time": "yesterday"}, "not ISO 8601"),
    ],
)
def test_bad_records_are_errors_naming_the_record(kwargs: dict[str, object], message: str) -> None:
    args = {
        "vm": "vm-1",
        "time": "2026-11-23T06:00:00Z",
        "passed": False,
        "reasons": ("signature-invalid",),
    } | kwargs
    with pytest.raises(DataError, match=message) as e:
        AttestationRecord(**args)  # type: ignore[arg-type]
    assert "vm-1" in str(e.value)


def test_bad_vm_configs_are_errors() -> None:
    with pytest.raises(DataError, match="os_type must be one of"):
        VmConfig("x", "macOS", trusted_launch_capable=True)
    with pytest.raises(DataError, match="neither Secure Boot nor a vTPM"):
        VmConfig("x", "Linux", trusted_launch_capable=True, security_type="Standard")
    with pytest.raises(DataError, match="not off by design"):
        VmConfig("x", "Linux", trusted_launch_capable=True, secure_boot_off_by_design=True)


def test_load_fleet_names_the_bad_record() -> None:
    bad = {"vm": "vm-1", "time": "2026-11-23T07:00:00Z", "passed": False, "reasons": ["rootkit"]}
    data = {"vms": [HEALTHY.to_dict()], "history": [record().to_dict(), bad]}
    with pytest.raises(DataError, match=r"attestation record 1: unknown reason code 'rootkit'"):
        load_fleet(data)
    assert load_fleet({"vms": [HEALTHY.to_dict()], "history": [record().to_dict()]}).history == (record(),)


# --- the sample fleet (notebook 06) -------------------------------------------------------------------


def test_the_demo_fleet_holds_the_cases_the_notebook_teaches() -> None:
    fleet = demo_fleet()
    assert 6 <= len(fleet.vms) <= 10
    frame = assess(fleet.vms, fleet.history)
    by_vm = {vm: set(group["name"]) for vm, group in frame.groupby("vm")}
    gpu = frame[frame["vm"] == "gpu-nc-01"]
    assert len(gpu) == 3  # Secure Boot off by design: suppressed, and counted
    assert gpu["suppressed"].all()
    assert by_vm["ml-linux-02"] == {MODULE}  # the DKMS nvidia module
    assert by_vm["db-linux-01"] == {EXT_LINUX_VM}  # no extension
    assert by_vm["vmss-win-web"] == {EXT_WIN_VMSS}
    assert by_vm["app-win-02"] == {SB}
    assert by_vm["api-linux-03"] == {VTPM}
    assert by_vm["edge-linux-04"] == {STATUS, FAILED}
    assert "legacy-gen1-01" not in by_vm
    assert not fleet.vm("legacy-gen1-01").trusted_launch_capable
    assert "web-win-01" not in by_vm
