"""tlkit.viz.boot: tables and the chain-of-trust figure, on simulated boots (real keys, real signatures)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.figure import Figure

from tlkit.boot import BootResult, run_scenario
from tlkit.viz.boot import chain_of_trust_figure, decision_frame, pcr_diff_frame


@pytest.fixture(scope="module")
def healthy() -> BootResult:
    return run_scenario("healthy-ubuntu-sb")


def test_decision_frame_names_the_key_that_verified_each_component(healthy: BootResult) -> None:
    frame = decision_frame(healthy).set_index("component")
    assert list(frame.index) == ["shimx64.efi", "grubx64.efi", "vmlinuz", "hv_netvsc.ko"]
    assert frame.loc["shimx64.efi", "key"] == "db: Microsoft Corporation UEFI CA 2011 (simulated)"
    assert frame.loc["grubx64.efi", "key"].startswith("Shim: Canonical Ltd. Master Certificate Authority")
    assert frame.loc["vmlinuz", "verifier"] == "shim"
    assert frame.loc["hv_netvsc.ko", "key"].startswith("builtin: ")
    assert frame["loaded"].all()


def test_decision_frame_shows_the_refused_driver_without_a_key() -> None:
    frame = decision_frame(run_scenario("unsigned-kernel-module")).set_index("component")
    assert not frame.loc["nvidia.ko", "loaded"]
    assert frame.loc["nvidia.ko", "key"] == "—"
    assert frame.loc["nvidia.ko", "reason"] == "signer-unknown"


@pytest.mark.parametrize(
    ("name", "moved"), [("healthy-ubuntu-sb", []), ("kernel-update", [4, 8, 9]), ("firmware-update", [0])]
)
def test_pcr_diff_matches_the_documented_effects(healthy: BootResult, name: str, moved: list[int]) -> None:
    frame = pcr_diff_frame(run_scenario(name), healthy)
    assert list(frame.loc[frame["moved"], "pcr"]) == moved
    assert {0, 4, 7, 8, 9, 14} <= set(frame["pcr"])
    assert 17 not in set(frame["pcr"])  # never extended by the log: not listed


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_chain_of_trust_draws_keys_components_and_verifiers(healthy: BootResult) -> None:
    fig = chain_of_trust_figure(healthy)
    texts = _texts(fig)
    assert any(t.startswith("PK\nMicrosoft Hyper-V Firmware PK") for t in texts)
    assert any(t.startswith("KEK\nMicrosoft Corporation KEK CA 2011") for t in texts)
    assert any(t.startswith("Shim\nCanonical Ltd. Master Certificate Authority") for t in texts)
    assert "grubx64.efi (bootloader)\nloaded" in texts
    assert texts.count("shim") == 2  # shim verified GRUB and the kernel
    assert texts.count("uefi-firmware") == 1
    assert "booted" in fig.axes[0].get_title()


def test_chain_of_trust_marks_the_refusal() -> None:
    texts = _texts(chain_of_trust_figure(run_scenario("bootkit")))
    assert "grubx64.efi (bootloader)\nREFUSED: image-digest-mismatch" in texts
    assert "vmlinuz (kernel)\nloaded" not in texts
