"""The Windows chain: decisions, the WBCL measurements, the VBS / HVCI / Credential Guard rules."""

from __future__ import annotations

import pytest

from tests.boot.conftest import SEED, require_osslsigncode
from tlkit.boot import (
    VBS_RULES,
    BootResult,
    VbsRequest,
    make_component,
    measure_windows_boot,
    vbs_outcome,
    windows_chain,
)
from tlkit.eventlog import EventType, parse, write
from tlkit.eventlog._sipa import windows_boot_config


@pytest.fixture(scope="module")
def healthy() -> BootResult:
    require_osslsigncode()
    return measure_windows_boot(seed=SEED)


def test_the_healthy_chain_boots_and_replays_in_every_bank(healthy: BootResult) -> None:
    assert healthy.booted
    assert [d.reason for d in healthy.decisions] == ["signature-verified"] * len(healthy.decisions)
    assert [d.verifier for d in healthy.decisions[:3]] == [
        "uefi-firmware", "windows-boot-manager", "windows-boot-manager",
    ]  # fmt: skip
    log = parse(write(healthy.log))
    for bank in ("sha1", "sha256"):
        assert log.verify(dict(healthy.pcrs[bank]), bank, quirks=()).reasons == ()
    assert set(log.replay_all()["sha256"]) == {0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14}


def test_pcr4_measures_bootmgfw_and_pcr7_its_db_authority(healthy: BootResult) -> None:
    chain = windows_chain(SEED)
    apps = [e for e in healthy.log if e.event_type == EventType.EV_EFI_BOOT_SERVICES_APPLICATION]
    assert [e.digests["sha256"] for e in apps] == [chain.bootmgr.digest("sha256")]
    assert apps[0].description.endswith("\\EFI\\Microsoft\\Boot\\bootmgfw.efi")
    authority = healthy.decisions[0].authority
    assert authority is not None
    assert authority.variable == "db"
    assert authority.certificate is not None
    assert "Windows Production PCA 2011" in authority.certificate.subject.rfc4514_string()


def test_the_wbcl_names_every_boot_module_with_its_hash(healthy: BootResult) -> None:
    chain = windows_chain(SEED)
    config = windows_boot_config(healthy.log)
    hashes = dict(config.loaded_modules)
    assert hashes["\\Windows\\system32\\winload.efi"] == chain.winload.digest("sha256")
    assert hashes["\\Windows\\system32\\ntoskrnl.exe"] == chain.kernel.digest("sha256")
    assert hashes["\\Windows\\system32\\drivers\\WdBoot.sys"] == chain.elam.digest("sha256")
    assert "\\Windows\\system32\\drivers\\netvsc.sys" not in hashes  # loaded after boot: not in the WBCL
    last = [(e.pcr, e.type_name, e.data) for e in healthy.log][-5:]
    assert last[:3] == [(p, "EV_SEPARATOR", b"WBCL") for p in (12, 13, 14)]


def test_a_tampered_boot_manager_stops_the_boot_before_the_wbcl() -> None:
    require_osslsigncode()
    chain = windows_chain(SEED)
    result = measure_windows_boot(windows_chain(SEED, bootmgr=chain.bootmgr.tampered()), seed=SEED)
    assert not result.booted
    assert result.reasons == ("bootmgfw.efi: image-digest-mismatch",)
    assert not [e for e in result.log if e.pcr in (11, 12, 13, 14)]


def test_a_tampered_winload_is_refused_by_the_boot_manager() -> None:
    require_osslsigncode()
    chain = windows_chain(SEED)
    result = measure_windows_boot(windows_chain(SEED, winload=chain.winload.tampered()), seed=SEED)
    assert not result.booted
    assert [(d.component, d.verifier, d.reason) for d in result.refused] == [
        ("winload.efi", "windows-boot-manager", "image-digest-mismatch")
    ]


def test_hvci_refuses_an_unsigned_driver_and_windows_boots() -> None:
    require_osslsigncode()
    chain = windows_chain(SEED)
    unsigned = make_component("gpudrv.sys", "windows-driver", seed=SEED, sbat="")
    result = measure_windows_boot(windows_chain(SEED, drivers=(*chain.drivers, unsigned)), seed=SEED)
    assert result.booted
    (refused,) = result.refused
    assert (refused.component, refused.verifier, refused.reason, refused.stops_boot) == (
        "gpudrv.sys", "windows-hvci", "unsigned", False,
    )  # fmt: skip
    no_hvci = windows_chain(SEED, drivers=(unsigned,), vbs=VbsRequest(hvci=False))
    plain = measure_windows_boot(no_hvci, seed=SEED)
    assert [(d.verifier, d.reason) for d in plain.refused] == [("windows-code-integrity", "unsigned")]
    assert windows_boot_config(plain.log).hvci_policy == 0


@pytest.mark.parametrize(
    ("request_", "running", "reasons"),
    [
        (VbsRequest(), (True, True, True), ()),
        (VbsRequest(secure_boot=False), (False, False, False),
         ("vbs-needs-secure-boot", "hvci-needs-vbs", "credential-guard-needs-vbs")),
        (VbsRequest(vtpm=False), (False, False, False),
         ("vbs-needs-vtpm", "hvci-needs-vbs", "credential-guard-needs-vbs")),
        (VbsRequest(vbs=False), (False, False, False), ("hvci-needs-vbs", "credential-guard-needs-vbs")),
        (VbsRequest(hvci=False), (True, False, True), ()),
        (VbsRequest(vbs=False, hvci=False, credential_guard=False), (False, False, False), ()),
    ],
)  # fmt: skip
def test_vbs_requirements(
    request_: VbsRequest, running: tuple[bool, bool, bool], reasons: tuple[str, ...]
) -> None:
    outcome = vbs_outcome(request_)
    assert (outcome.vbs, outcome.hvci, outcome.credential_guard) == running
    assert outcome.reasons == reasons
    assert outcome.passed is (not reasons)
    assert {r.name for r in VBS_RULES} >= set(reasons)


def test_the_measured_flags_follow_what_runs() -> None:
    require_osslsigncode()
    no_vtpm = measure_windows_boot(seed=SEED, vtpm=False)
    config = windows_boot_config(no_vtpm.log)
    assert (config.vbs, config.hvci, config.credential_guard) == (False, False, False)
    assert (config.vsm_launch_type, config.hypervisor_launch_type, config.vbs_required) == (0, 0, ())
    healthy = windows_boot_config(measure_windows_boot(seed=SEED).log)
    assert healthy.vbs_required == (
        "VbsVsmRequired", "VbsSecurebootRequired", "VbsMmioNxRequired", "VbsMsrFilteringRequired",
        "VbsMicrosoftBootChainRequired",
    )  # fmt: skip
    assert (healthy.hvci_policy, healthy.lsa_iso_config) == (1, 2)


def test_same_seed_same_bytes() -> None:
    require_osslsigncode()
    assert write(measure_windows_boot(seed=SEED).log) == write(measure_windows_boot(seed=SEED).log)
