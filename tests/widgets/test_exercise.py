"""tlkit.widgets self-checks: "not yet" (never an exception) until the answer is right, on real data."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import fixture_path
from tlkit.eventlog import EventLog, EventType, parse
from tlkit.widgets import NOT_ANSWERED, SelfCheck, check_extend_order, check_pcr_value, check_vm_fix
from tlkit.widgets._common import COLOURS

TARGET = "6d7ca9b6d44e3720c1e11015b1437975a35a76194a3696de7a368c527637eea0"
"""Notebook 01's golden PCR 23."""


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())


def test_extend_order() -> None:
    assert check_extend_order(None, TARGET).reasons == (NOT_ANSWERED,)
    assert check_extend_order("firmware", TARGET).reasons == ("wrong-type",)
    wrong = check_extend_order(["firmware", "shim", "grub", "vmlinuz"], TARGET)
    assert not wrong
    assert wrong.reasons == ("wrong-answer",)
    assert TARGET[:16] in wrong.message
    right = check_extend_order(["firmware", "shim", "vmlinuz", "grub"], TARGET)
    assert right
    assert right.passed
    assert right.reasons == ()
    assert str(right).startswith("correct: ")
    assert str(wrong).startswith("not yet: ")


def test_pcr_value_against_a_hand_replay(rhel8: EventLog) -> None:
    value = bytes(32)
    for e in rhel8:
        if e.pcr == 9 and e.event_type != EventType.EV_NO_ACTION:
            digest = e.digest("sha256")
            assert digest is not None
            value = hashlib.sha256(value + digest).digest()
    assert check_pcr_value(rhel8, 9, value).passed
    assert check_pcr_value(rhel8, 9, None).reasons == (NOT_ANSWERED,)
    assert check_pcr_value(rhel8, 9, value.hex()).reasons == ("wrong-type",)
    assert "32" in check_pcr_value(rhel8, 9, value[:20]).message
    assert not check_pcr_value(rhel8, 9, bytes(32))
    assert "never extends" in check_pcr_value(rhel8, 15, bytes(32)).message


def test_vm_fix_never_raises() -> None:
    gen2 = "MicrosoftWindowsServer:WindowsServer:2019-datacenter-gensecond:latest"
    assert check_vm_fix(None, None, min_vcpus=64).reasons == (NOT_ANSWERED,)
    assert check_vm_fix("Standard_E64s_v", gen2, min_vcpus=64).reasons == ("input-error",)
    blocked = check_vm_fix(
        "Standard_M64s", "MicrosoftWindowsServer:WindowsServer:2019-Datacenter:latest", min_vcpus=64
    )
    assert blocked.reasons == ("wrong-answer",)
    assert "size-not-supported" in blocked.message
    assert "8 vCPUs" in check_vm_fix("Standard_E8s_v5", gen2, min_vcpus=64).message
    assert check_vm_fix("Standard_E64s_v5", gen2, min_vcpus=64).passed


def test_html_says_the_same_as_the_text() -> None:
    done, todo = SelfCheck(True, (), "ok <b>"), SelfCheck(False, ("wrong-answer",), "try again")
    assert COLOURS["ok"] in done._repr_html_()
    assert "&lt;b&gt;" in done._repr_html_()
    assert "not yet" in todo._repr_html_()
    assert COLOURS["warn"] in todo._repr_html_()


def test_scenario_effect() -> None:
    from tlkit.widgets import check_scenario_effect

    assert check_scenario_effect("kernel-update", None, None).reasons == (NOT_ANSWERED,)
    assert check_scenario_effect("kernel-update", "4, 8, 9", True).reasons == ("wrong-type",)
    assert check_scenario_effect("kernel-update", [4, 8, 9], "yes").reasons == ("wrong-type",)
    assert check_scenario_effect("no-such-boot", [4], True).reasons == ("input-error",)
    wrong = check_scenario_effect("kernel-update", [4], False)
    assert wrong.reasons == ("wrong-answer",)
    assert "refusal" in wrong.message
    assert "3 PCRs move" in wrong.message
    right = check_scenario_effect("kernel-update", [9, 8, 4], True)
    assert right.passed
    assert str(right) == "correct: kernel-update moves PCRs 4, 8, 9 and the VM boots"
    assert check_scenario_effect("bootkit", [4, 5, 7, 8, 9], False).passed
    assert check_scenario_effect("unsigned-kernel-module", [], True).passed


def test_soc_alerts_per_day() -> None:
    from tlkit.fleet._fast import simulate_fast
    from tlkit.fleet._spec import FleetSpec
    from tlkit.widgets import check_soc_alerts_per_day

    spec = FleetSpec(
        vms=2_000, kernel_release_every_days=5, driver_install_rate=0.01, secure_boot_off_for_driver=1.0,
        baseline_policy="lagged", baseline_lag_days=3, infection_rate=0.001, days=20, seed=2,
    )  # fmt: skip
    a = simulate_fast(spec).alert_counts
    shown = int(a.loc[~a["suppressed"], "alerts"].sum())
    assert a["suppressed"].any()
    assert check_soc_alerts_per_day(spec, None).reasons == (NOT_ANSWERED,)
    assert check_soc_alerts_per_day(spec, "12").reasons == ("wrong-type",)
    assert check_soc_alerts_per_day(spec, True).reasons == ("wrong-type",)
    right = check_soc_alerts_per_day(spec, shown / 20)
    assert right.passed, right.message
    assert str(right).startswith(f"correct: {shown / 20:.1f} alerts a day for the SOC")
    assert "leave out the suppressed" in check_soc_alerts_per_day(spec, a["alerts"].sum() / 20).message
    assert "divide by the days" in check_soc_alerts_per_day(spec, shown).message
    assert check_soc_alerts_per_day(spec, 10 * shown).reasons == ("wrong-answer",)
    assert check_soc_alerts_per_day(FleetSpec(vms=10), 0.0).reasons in {(), ("wrong-answer",)}
