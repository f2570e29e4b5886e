"""Baseline: builders, the versioned JSON round trip, field errors, history; fuzzed loading."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attest._evidence import AZURE_DOCS, azure_pcrs
from tests.conftest import fixture_path
from tlkit.attest._baseline import Baseline, BaselineChange
from tlkit.attest._baseline_check import check_baseline
from tlkit.boot import run_scenario
from tlkit.errors import DataError, TlkitError
from tlkit.eventlog import parse

RHEL9 = "keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot"
CHANGE = {"at": "", "reason": "r", "added": [], "removed": []}
AT = datetime(2026, 12, 3, 9, 30, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture(scope="module")
def rhel() -> Baseline:
    return Baseline.from_log(parse(fixture_path(RHEL9).read_bytes()), name="rhel9-edk2")


def test_from_log_reads_a_real_secure_boot_log(rhel: Baseline) -> None:
    assert rhel.require_secure_boot
    assert rhel.bank == "sha256"
    apps = rhel.allowed[4]["application"]
    assert len(apps) == 3  # shim, GRUB, kernel (keylime's create_mb_refstate reads the same three)
    assert bytes.fromhex("27b12463e599b3147635f272e3722960e443def60fef088eba600697017529f2") in apps
    assert len(rhel.signatures["dbx"]) == 371
    assert len(rhel.signatures["db"]) == 4
    assert rhel.kernels[0].kernel_cmdline is not None
    assert rhel.kernels[0].kernel_cmdline.startswith("(hd0,gpt2)/vmlinuz-5.14.0-503.11.1.el9_5.x86_64 root=")
    log = parse(fixture_path(RHEL9).read_bytes())
    assert rhel.golden_pcrs["sha256"] == log.replay("sha256")
    assert rhel.event_pcrs == frozenset(e.pcr for e in log if e.type_name != "EV_NO_ACTION")


def test_json_round_trip_is_exact(rhel: Baseline) -> None:
    text = rhel.to_json()
    doc = json.loads(text)
    assert doc["format"] == "tlkit-baseline"
    assert doc["version"] == 1
    again = Baseline.from_json(text)
    assert again == rhel
    assert again.to_json() == text
    assert Baseline.from_json(text.encode()) == rhel


def test_round_trip_with_history_and_golden_pcrs() -> None:
    pcrs = azure_pcrs(AZURE_DOCS[0])
    b = Baseline.from_pcrs(pcrs, name="azure", require_secure_boot=True)
    newer = b.updated(azure_pcrs(AZURE_DOCS[1]), reason="re-imaged", at=AT)
    assert newer.golden_pcrs["sha256"] == azure_pcrs(AZURE_DOCS[1])
    [change] = newer.history
    assert [a.split(":")[2] for a in change.added] == ["pcr10", "pcr6"]
    assert len(change.removed) == 2
    again = Baseline.from_json(newer.to_json())
    assert again == newer
    assert again.history[0].at == AT
    assert again.history[0].at.utcoffset() == timedelta(hours=1)


def test_baselines_are_frozen(rhel: Baseline) -> None:
    with pytest.raises(AttributeError):
        rhel.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        rhel.allowed[4]["application"][b"x"] = "y"  # type: ignore[index]


def _doc(b: Baseline) -> dict[str, object]:
    return json.loads(b.to_json())


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(format="keylime"), "format"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(extra=1), "document"),
        (lambda d: d.pop("history"), "document"),
        (lambda d: d.update(name=""), "name"),
        (lambda d: d.update(bank="md5"), "bank"),
        (lambda d: d["golden_pcrs"]["sha256"].update({"0": "abcd"}), "golden_pcrs.sha256.0"),
        (lambda d: d["golden_pcrs"]["sha256"].update({"32": "00" * 32}), "golden_pcrs.sha256"),
        (lambda d: d["golden_pcrs"]["sha256"].update({"07": "00" * 32}), "golden_pcrs.sha256"),
        (lambda d: d["allowed"]["4"]["application"].update({"zz": "x"}), "allowed.4.application"),
        (lambda d: d["allowed"]["4"]["application"].update({"00": "x"}), "allowed.4.application"),
        (lambda d: d["signatures"]["pk"][0].update(owner="not-a-guid"), "signatures.pk[0].owner"),
        (lambda d: d["signatures"].update(mok=[]), "signatures"),
        (lambda d: d["kernels"][0].update(shim=None), "kernels[0].shim"),
        (lambda d: d["requirements"].update(require_secure_boot="yes"), "requirements.require_secure_boot"),
        (lambda d: d["history"].append({**CHANGE, "at": "2026-12-03T10:00:00"}), "history[0].at"),
        (lambda d: d["history"].append({**CHANGE, "at": "yesterday"}), "history[0].at"),
    ],
)  # fmt: skip
def test_a_bad_document_names_the_field(rhel: Baseline, edit: object, field: str) -> None:
    doc = _doc(rhel)
    edit(doc)  # type: ignore[operator]
    with pytest.raises(DataError) as err:
        Baseline.from_dict(doc)
    assert err.value.field == field


def test_not_json_is_a_data_error() -> None:
    with pytest.raises(DataError, match="not a JSON document"):
        Baseline.from_json("{")
    with pytest.raises(DataError):
        Baseline.from_json("[" * 100_000)


def test_updated_needs_a_time_zone_and_a_reason(rhel: Baseline) -> None:
    with pytest.raises(DataError, match="time zone"):
        rhel.updated({0: b"\0" * 32}, reason="x", at=datetime(2026, 1, 1))
    with pytest.raises(DataError, match="reason"):
        rhel.updated({0: b"\0" * 32}, reason="", at=AT)
    with pytest.raises(DataError):
        rhel.updated({0: b"\0" * 3}, reason="x", at=AT)


def test_history_entries_are_validated_when_built() -> None:
    with pytest.raises(DataError, match="history"):
        Baseline(name="x", history=(BaselineChange(datetime(2026, 1, 1, tzinfo=UTC), ""),))


def test_from_log_needs_the_bank() -> None:
    with pytest.raises(DataError, match="sha384"):
        Baseline.from_log(run_scenario("healthy-ubuntu-sb", seed=0).log, name="x", bank="sha384")


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 40) | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=20,
)


@given(_json)
def test_fuzz_any_json_only_tlkit_errors(doc: object) -> None:
    with contextlib.suppress(TlkitError):
        Baseline.from_dict(doc)


@given(st.sampled_from(["name", "bank", "golden_pcrs", "allowed", "accept_any", "signatures", "platforms",
                        "kernels", "requirements", "history"]), _json)  # fmt: skip
def test_fuzz_each_field_only_tlkit_errors(key: str, value: object) -> None:
    doc = {
        "format": "tlkit-baseline", "version": 1, "name": "n", "bank": "sha256", "golden_pcrs": {},
        "allowed": {}, "accept_any": {}, "signatures": {}, "platforms": [], "kernels": [],
        "requirements": {"require_secure_boot": False}, "history": [],
    }  # fmt: skip
    doc[key] = value
    try:
        b = Baseline.from_dict(doc)
    except TlkitError:
        return
    assert Baseline.from_json(b.to_json()) == b


@given(st.binary(max_size=200))
def test_fuzz_bytes_only_tlkit_errors(data: bytes) -> None:
    with contextlib.suppress(TlkitError):
        Baseline.from_json(data)


@pytest.mark.parametrize(
    "name",
    ["healthy-ubuntu-sb", "secure-boot-off", "kernel-update", "firmware-update", "dbx-update", "bootkit",
     "windows-update"],
)  # fmt: skip
def test_every_scenario_round_trips_and_passes_itself(name: str) -> None:
    boot = run_scenario(name, seed=0)
    baseline = Baseline.from_log(boot.log, name=name)
    assert Baseline.from_json(baseline.to_json()) == baseline
    pcrs = boot.pcrs["sha256"]
    events = boot.log.verified_events(boot.log.verify(pcrs))
    assert check_baseline(baseline, pcrs=pcrs, events=events).passed
