"""The named boot scenarios: each boots (or not) and moves exactly the PCRs its table row says; every
log replays strictly to its vTPM; the evidence files are deterministic and verify."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.attest._evidence import QUOTE_AND_LOG
from tests.boot.conftest import SEED, require_osslsigncode
from tlkit import boot
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import verify
from tlkit.boot import (
    EVIDENCE_FILES,
    SCENARIO_EFFECTS,
    SCENARIOS,
    BootResult,
    default_nonce,
    linux_chain,
    render_scenario_table,
    run_scenario,
    scenario,
    scenario_evidence,
    scenario_table,
    secure_boot_databases,
)
from tlkit.boot._scenarios import UPDATED_KERNEL
from tlkit.errors import DataError
from tlkit.eventlog import parse, secure_boot_state, write
from tlkit.eventlog._sipa import windows_boot_config
from tlkit.tpm import read_pcrs, verify_quote

NAMES = [s.name for s in SCENARIOS]
BASELINE = "healthy-ubuntu-sb"


@pytest.fixture(scope="module")
def boots() -> dict[str, BootResult]:
    require_osslsigncode()
    return {name: run_scenario(name, SEED) for name in NAMES}


@pytest.fixture(scope="module")
def evidence(boots: dict[str, BootResult]) -> dict[str, dict[str, bytes]]:
    return {name: scenario_evidence(name, SEED) for name in NAMES}


def test_registry_and_table_name_the_same_scenarios_once_each() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert list(SCENARIO_EFFECTS) == NAMES
    assert NAMES[0] == BASELINE
    for s in SCENARIOS:
        assert "\n" not in s.description
        assert len(s.description) <= 100
    assert [row[0] for row in scenario_table()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_scenario_boots_and_moves_exactly_the_documented_pcrs(
    boots: dict[str, BootResult], name: str
) -> None:
    result, base = boots[name], boots[scenario(name).baseline]
    effect = SCENARIO_EFFECTS[name]
    assert result.booted is effect.boots
    for bank in ("sha1", "sha256"):
        moved = tuple(p for p in range(24) if result.pcrs[bank][p] != base.pcrs[bank][p])
        assert moved == effect.pcrs_moved, bank
        assert result.pcrs_moved(base, bank) == moved, bank


def test_the_table_holds_for_another_seed() -> None:
    require_osslsigncode()
    runs = {name: run_scenario(name, SEED + 1) for name in NAMES}
    for name, result in runs.items():
        base = runs[scenario(name).baseline].pcrs["sha256"]
        moved = tuple(p for p in range(24) if result.pcrs["sha256"][p] != base[p])
        assert (result.booted, moved) == (SCENARIO_EFFECTS[name].boots, SCENARIO_EFFECTS[name].pcrs_moved), (
            name
        )
        # and the same Secure Boot refusals as with the first seed (every key of a boot is the seed's)
        first = run_scenario(name, SEED)
        assert [(d.component, d.reason) for d in result.refused] == [
            (d.component, d.reason) for d in first.refused
        ], name


@pytest.mark.parametrize("name", NAMES)
def test_every_scenario_log_replays_strictly_to_its_vtpm(boots: dict[str, BootResult], name: str) -> None:
    result = boots[name]
    log = parse(write(result.log))
    for bank in ("sha1", "sha256"):
        assert log.verify(dict(result.pcrs[bank]), bank, quirks=()).reasons == ()


def test_refusals_are_the_documented_ones(boots: dict[str, BootResult]) -> None:
    refused = {name: [(d.component, d.reason) for d in r.refused] for name, r in boots.items()}
    assert refused == {
        "healthy-ubuntu-sb": [],
        "secure-boot-off": [],
        "bootkit": [("grubx64.efi", "image-digest-mismatch")],
        "unsigned-kernel-module": [("nvidia.ko", "signer-unknown")],  # the DKMS key is not enrolled
        "revoked-bootloader": [("grubx64.efi", "dbx-hash")],
        "kernel-update": [],
        "firmware-update": [],
        "dbx-update": [],
        "healthy-windows-vbs": [],
        "test-signing": [],  # the test-signed driver loads: code integrity does not enforce
        "kernel-debug": [],
        "hvci-blocks-driver": [("gpudrv.sys", "unsigned")],
        "windows-update": [],
        "windows-firmware-update": [],
    }
    hvci = boots["hvci-blocks-driver"].refused[0]
    assert (hvci.verifier, hvci.stops_boot) == ("windows-hvci", False)
    assert ("testdrv.sys", "secure-boot-off") in [
        (d.component, d.reason) for d in boots["test-signing"].decisions
    ]
    assert {d.reason for d in boots["secure-boot-off"].decisions} == {"secure-boot-off"}
    assert [d.reason for d in boots["kernel-update"].decisions] == ["signature-verified"] * 4
    assert not boots["unsigned-kernel-module"].refused[0].stops_boot


def test_pcr7_shows_what_each_secure_boot_change_is(boots: dict[str, BootResult]) -> None:
    assert secure_boot_state(boots["secure-boot-off"].log).enabled is False
    dbx = secure_boot_state(boots["revoked-bootloader"].log).dbx
    assert dbx is not None
    assert dbx.hashes == (linux_chain(SEED).grub.digest("sha256"),)
    texts = [e.data.rstrip(b"\0").decode() for e in boots["kernel-update"].log if e.pcr == 8]
    assert texts[-1] == f"grub_cmd: initrd /boot/initrd.img-{UPDATED_KERNEL}"


def test_the_docstring_carries_the_rendered_table() -> None:
    doc = inspect.cleandoc(boot.__doc__ or "")
    table = render_scenario_table()
    assert "\n".join("  " + line for line in table.splitlines()) in doc
    for name, booted, pcrs, _ in scenario_table():
        assert f"{name}  " in table
        assert SCENARIO_EFFECTS[name].boots is booted
        assert SCENARIO_EFFECTS[name].pcrs_moved == pcrs


def test_unknown_scenario_lists_the_known_names() -> None:
    with pytest.raises(DataError) as info:
        scenario("kernel-debugging")
    assert all(name in str(info.value) for name in NAMES)


def test_evidence_files_are_the_documented_ones(evidence: dict[str, dict[str, bytes]]) -> None:
    for name, files in evidence.items():
        record = json.loads(files["boot.json"])
        assert (record["scenario"], record["seed"], record["booted"]) == (
            name,
            SEED,
            SCENARIO_EFFECTS[name].boots,
        )
        windows = scenario(name).baseline == "healthy-windows-vbs"
        assert record["os"] == (
            {
                "type": "Windows",
                "distro": "Microsoft",
                "version": "10.0.20348",
                "major": 10,
                "minor": 0,
                "build": "20348",
            }
            if windows
            else {
                "type": "Linux",
                "distro": "Ubuntu",
                "version": "24.04",
                "major": 24,
                "minor": 4,
                "build": "NotApplicable",
            }
        )
        if windows:
            running = name in {"healthy-windows-vbs", "hvci-blocks-driver", "windows-update",
                               "windows-firmware-update"}  # fmt: skip
            assert (
                record["vbs"]["vbs"] is record["vbs"]["hvci"] is record["vbs"]["credential_guard"] is running
            )
        else:
            assert record["vbs"] is None
        if record["booted"]:
            assert sorted(files) == sorted(EVIDENCE_FILES)
            assert record["quote"] == {"selection": "sha256:0-23", "nonce": default_nonce(SEED).hex()}
        else:
            assert sorted(files) == ["boot.json", "eventlog.bin"]
            assert record["quote"] is None
            assert [r["stops_boot"] for r in record["refused"]] == [True]


def test_same_seed_same_bytes_of_every_file(evidence: dict[str, dict[str, bytes]]) -> None:
    for name in ("healthy-ubuntu-sb", "bootkit", "kernel-update"):
        assert scenario_evidence(name, SEED) == evidence[name]
    other = scenario_evidence(BASELINE, SEED, nonce=b"other")
    assert other["eventlog.bin"] == evidence[BASELINE]["eventlog.bin"]
    assert other["quote.msg"] != evidence[BASELINE]["quote.msg"]


@pytest.mark.parametrize("name", [n for n in NAMES if SCENARIO_EFFECTS[n].boots])
def test_the_quote_and_log_of_a_booted_scenario_are_evidence(
    evidence: dict[str, dict[str, bytes]], name: str
) -> None:
    files = evidence[name]
    nonce = bytes.fromhex(files["nonce.hex"].decode())
    pcrs = read_pcrs(files["quote.pcrs"])
    assert [(a.name, p) for a, p in pcrs.selection.items()] == [("sha256", tuple(range(24)))]
    quote = verify_quote(files["quote.msg"], files["quote.sig"], pcrs, nonce, files["ak.pem"])
    assert quote.passed, quote.reasons
    own = Evidence.from_files(files)
    result = verify(own, nonce, policy=QUOTE_AND_LOG)
    assert (result.reasons, result.log) == ((), "replayed")
    # the quote vouches for its own boot only: the healthy log fails on exactly the PCRs that moved
    healthy_log = evidence[scenario(name).baseline]["eventlog.bin"]
    healthy = verify(dataclasses.replace(own, eventlog=healthy_log), nonce, policy=QUOTE_AND_LOG)
    moved = SCENARIO_EFFECTS[name].pcrs_moved
    assert healthy.reasons == tuple(f"log-replay-mismatch:sha256:pcr{p}" for p in moved)


def test_an_oversized_nonce_is_refused_even_without_a_quote() -> None:
    with pytest.raises(DataError, match="nonce"):
        scenario_evidence("bootkit", SEED, nonce=bytes(67))


@settings(max_examples=20, deadline=None)
@given(nonce=st.binary(max_size=64))
def test_any_nonce_gives_a_quote_that_verifies_with_the_log(nonce: bytes) -> None:
    require_osslsigncode()
    files = scenario_evidence("kernel-update", SEED, nonce=nonce)
    assert files["nonce.hex"] == nonce.hex().encode() + b"\n"
    result = verify(Evidence.from_files(files), nonce)
    assert result.reasons == ()
    assert result.check("log").status == result.check("secure-boot").status == "passed"
    assert json.loads(files["boot.json"])["quote"]["nonce"] == nonce.hex()


def test_the_measured_windows_configuration_is_each_scenarios(boots: dict[str, BootResult]) -> None:
    """What the attestation token's Windows claims come from: the SIPA flags each scenario measured."""
    configs = {
        n: windows_boot_config(boots[n].log) for n in ("healthy-windows-vbs", "test-signing", "kernel-debug")
    }
    healthy = configs["healthy-windows-vbs"]
    assert (healthy.vbs, healthy.hvci, healthy.credential_guard, healthy.hvci_policy) == (True, True, True, 1)
    assert (healthy.test_signing, healthy.kernel_debug, healthy.boot_debug, healthy.elam) == (
        False,
        False,
        False,
        True,
    )
    assert configs["test-signing"].test_signing is True
    assert configs["kernel-debug"].kernel_debug is True
    for name in ("test-signing", "kernel-debug"):  # Secure Boot off: VBS, so HVCI and Credential Guard, off
        assert (configs[name].vbs, configs[name].hvci_policy, configs[name].lsa_iso_config) == (
            False,
            0,
            None,
        )
        assert boots[name].vbs is not None
        assert boots[name].vbs.reasons == (
            "vbs-needs-secure-boot",
            "hvci-needs-vbs",
            "credential-guard-needs-vbs",
        )
    assert windows_boot_config(boots["healthy-ubuntu-sb"].log) == type(healthy)()


def test_secure_boot_state_reads_back_the_windows_keys_and_authority(boots: dict[str, BootResult]) -> None:
    state = secure_boot_state(parse(write(boots["healthy-windows-vbs"].log)))
    assert state.enabled is True
    assert state.anomalies == ()
    assert [a.variable for a in state.authorities] == ["db"]
    (authority,) = state.authorities
    assert authority.certificate is not None
    assert "Windows Production PCA 2011 (simulated)" in authority.certificate.subject
    dbs = secure_boot_databases(SEED)
    assert state.db is not None
    assert state.db.subjects == tuple(
        e.certificate.subject.rfc4514_string() for e in dbs.db.certificates if e.certificate
    )
