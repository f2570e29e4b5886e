"""Fidelity to real boots: the simulated logs have the (PCR, event type) sequence of real ones, but for
the differences named in ``tlkit.boot._fidelity.STRUCTURE_DIFFERENCES``."""

from __future__ import annotations

import base64
import json

import pytest

from tests.boot.conftest import SEED, require_osslsigncode
from tests.conftest import fixture_path
from tlkit.boot import BootResult, run_scenario, scenario
from tlkit.boot._fidelity import REAL_LOGS, STRUCTURE_DIFFERENCES, structure, structure_after_differences
from tlkit.eventlog import EventLog, parse

HYPERV = "cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin"
#: Scenarios that change contents only: their logs are compared with the real logs of their baseline.
SAME_STRUCTURE = ("kernel-update", "firmware-update", "dbx-update", "windows-update",
                  "windows-firmware-update")  # fmt: skip


def _real(path: str) -> EventLog:
    raw = fixture_path(path).read_bytes()
    if path.endswith(".json"):
        raw = base64.b64decode(json.loads(raw)["Log"]["Raw"])
    return parse(raw)


@pytest.fixture(scope="module")
def boots() -> dict[str, BootResult]:
    require_osslsigncode()
    return {name: run_scenario(name, SEED) for name in {r.scenario for r in REAL_LOGS}}


@pytest.mark.parametrize("key", [r.key for r in REAL_LOGS])
def test_the_structure_is_the_real_logs_but_for_named_differences(
    boots: dict[str, BootResult], key: str
) -> None:
    spec = next(r for r in REAL_LOGS if r.key == key)
    real, simulated = structure_after_differences(_real(spec.path), boots[spec.scenario].log, key)
    assert simulated == real


@pytest.mark.parametrize(
    ("key", "name"),
    [(r.key, n) for r in REAL_LOGS for n in SAME_STRUCTURE if scenario(n).baseline == r.scenario],
)
def test_an_update_keeps_the_real_logs_structure(key: str, name: str) -> None:
    """An update changes digests and data, never the sequence: no difference of its own to name."""
    require_osslsigncode()
    spec = next(r for r in REAL_LOGS if r.key == key)
    real, simulated = structure_after_differences(_real(spec.path), run_scenario(name, SEED).log, key)
    assert simulated == real


def test_every_named_difference_is_real_and_explained() -> None:
    keys = {r.key for r in REAL_LOGS}
    for d in STRUCTURE_DIFFERENCES:
        assert d.log in keys
        assert d.side in ("real", "simulated", "order")
        assert d.count >= 1 or d.side == "order"
        assert len(d.why) > 20


def test_the_firmware_part_is_hyperv_event_for_event(boots: dict[str, BootResult]) -> None:
    """Up to the first boot application, both chains log exactly what Azure's Hyper-V UEFI logged."""
    real = _real(HYPERV)
    cut = next(e.index for e in real if e.type_name == "EV_EFI_GPT_EVENT")
    expected = structure([e for e in real if e.index < cut], range(8))
    for name in ("healthy-ubuntu-sb", "healthy-windows-vbs"):
        log = boots[name].log
        first_authority = next(e.index for e in log if e.type_name == "EV_EFI_VARIABLE_AUTHORITY")
        assert structure([e for e in log if e.index < first_authority], range(8)) == expected
        scrtm = next(e for e in log if e.type_name == "EV_S_CRTM_VERSION")
        real_scrtm = next(e for e in real if e.type_name == "EV_S_CRTM_VERSION")
        assert scrtm.data == real_scrtm.data == b"\x00\x00"  # empty, as Hyper-V logs it
        uuid = next(e for e in log if e.pcr == 6 and e.type_name == "EV_COMPACT_HASH")
        real_uuid = next(e for e in real if e.pcr == 6 and e.type_name == "EV_COMPACT_HASH")
        assert (uuid.data[:6], len(uuid.data)) == (real_uuid.data[:6], len(real_uuid.data)) == (b"UUID: ", 42)
        assert uuid.data_matches_digest("sha256") is real_uuid.data_matches_digest("sha256") is True


def test_the_windows_wbcl_has_the_real_logs_tags_in_the_real_order(boots: dict[str, BootResult]) -> None:
    """Each trust boundary's records, runs (loaded modules, signer keys) folded, as the GCE Windows log
    has them (but for the VBS / Credential Guard records, which that VM did not have)."""
    vbs_only = {"VbsVsmRequired", "VbsSecurebootRequired", "VbsMmioNxRequired", "VbsMsrFilteringRequired",
                "VbsHvciPolicy", "VbsMicrosoftBootChainRequired", "LsaIsoConfig"}  # fmt: skip

    def names(log: EventLog) -> list[tuple[int, list[str]]]:
        out = []
        for e in log:
            if e.type_name != "EV_EVENT_TAG":
                continue
            top = e.payload.events
            kids = top[0].children if top[0].name == "TrustBoundary" else top
            seq = [k.name for k in kids if k.name not in vbs_only]
            folded = [n for i, n in enumerate(seq) if not (i and seq[i - 1] == n)]  # runs: modules, signers
            out.append((e.pcr, folded))
        return out

    real = names(_real("go-attestation/attest/testdata/windows_gcp_shielded_vm.json"))
    assert names(boots["healthy-windows-vbs"].log) == real
