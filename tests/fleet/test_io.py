"""Parquet export/import of a simulated fleet (exact round trip) and its deterministic summary."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from tlkit.errors import DataError, TlkitError
from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._io import SPEC_FILE, TABLE_FILES, load_result, save_result, summary, summary_json
from tlkit.fleet._result import FleetResult
from tlkit.fleet._spec import FleetSpec

_SPEC = FleetSpec(
    vms=3,
    days=2,
    os_mix={"ubuntu": 1.0, "windows": 1.0},
    secure_boot_adoption=0.5,
    kernel_release_every_days=1,
    driver_install_rate=0.3,
    secure_boot_off_for_driver=0.5,
    infection_rate=0.2,
    mitm_rate=0.2,
    seed=5,
)


@pytest.fixture(scope="module")
def fleet() -> FleetResult:
    return simulate_exact(_SPEC)


@pytest.fixture
def saved(fleet: FleetResult, tmp_path: Path) -> Path:
    save_result(fleet, tmp_path / "out")
    return tmp_path / "out"


def test_round_trip_is_exact(fleet: FleetResult, saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == sorted([*TABLE_FILES.values(), SPEC_FILE])
    back = load_result(saved)
    assert back.spec == fleet.spec
    assert back.mode == fleet.mode == "exact"
    assert back.pipeline_runs == fleet.pipeline_runs > 0
    for attribute in TABLE_FILES:
        assert_frame_equal(getattr(back, attribute), getattr(fleet, attribute), check_exact=True)
    assert str(back.findings["time"].dtype) == "datetime64[ns, UTC]"
    assert len(back.findings) > 0
    assert len(back.events) > 0
    assert summary_json(summary(back)) == summary_json(summary(fleet))


def test_a_fast_result_round_trips_with_its_empty_row_tables(tmp_path: Path) -> None:
    fast = simulate_fast(FleetSpec.from_dict(_SPEC.to_dict() | {"vms": 200}))
    save_result(fast, tmp_path)
    back = load_result(tmp_path)
    assert back.mode == "fast"
    for attribute in TABLE_FILES:
        assert_frame_equal(
            getattr(back, attribute), getattr(fast, attribute), check_exact=True, obj=attribute
        )
    assert str(back.inventory["os"].dtype) == "category"
    assert summary_json(summary(back)) == summary_json(summary(fast))


def test_an_empty_table_round_trips_with_its_dtypes(fleet: FleetResult, tmp_path: Path) -> None:
    quiet = dataclasses.replace(
        fleet, attestations=fleet.attestations.iloc[:0], findings=fleet.findings.iloc[:0], pipeline_runs=0
    )
    save_result(quiet, tmp_path)
    back = load_result(tmp_path)
    assert_frame_equal(back.attestations, quiet.attestations)
    assert_frame_equal(back.findings, quiet.findings)


def test_saving_over_a_saved_fleet_needs_overwrite(fleet: FleetResult, saved: Path) -> None:
    with pytest.raises(DataError, match=r"inventory\.parquet: already exists"):
        save_result(fleet, saved)
    save_result(fleet, saved, overwrite=True)
    assert load_result(saved).spec == fleet.spec


@pytest.mark.parametrize("name", [*TABLE_FILES.values(), SPEC_FILE])
def test_a_missing_file_is_named(saved: Path, name: str) -> None:
    (saved / name).unlink()
    with pytest.raises(DataError, match=f"{re.escape(name)}: missing"):
        load_result(saved)


@pytest.mark.parametrize("name", [*TABLE_FILES.values(), SPEC_FILE])
def test_a_corrupt_file_is_named(saved: Path, name: str) -> None:
    (saved / name).write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match=re.escape(name)):
        load_result(saved)


def test_a_table_with_wrong_columns_names_the_file_and_column(saved: Path) -> None:
    frame = pd.read_parquet(saved / "events.parquet").drop(columns=["scenario"])
    frame.to_parquet(saved / "events.parquet")
    with pytest.raises(DataError, match=r"events\.parquet: columns") as caught:
        load_result(saved)
    assert caught.value.field == "scenario"


def test_a_bad_spec_names_the_file_and_field(saved: Path) -> None:
    spec = json.loads((saved / SPEC_FILE).read_text())
    spec["vms"] = 0
    (saved / SPEC_FILE).write_text(json.dumps(spec))
    with pytest.raises(DataError, match=r"spec\.json") as caught:
        load_result(saved)
    assert caught.value.field == "vms"


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a directory"):
        load_result(tmp_path / "nowhere")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=256), name=st.sampled_from([*TABLE_FILES.values(), SPEC_FILE]))
def test_fuzzed_files_raise_only_tlkit_errors(saved: Path, junk: bytes, name: str) -> None:
    original = (saved / name).read_bytes()
    (saved / name).write_bytes(junk)
    try:
        load_result(saved)
    except TlkitError:
        pass
    finally:
        (saved / name).write_bytes(original)


# --- summary ----------------------------------------------------------------------------------------
def test_summary_headlines_agree_with_the_tables(fleet: FleetResult) -> None:
    s = summary(fleet)
    alerts = fleet.findings[(fleet.findings["kind"] == "alert") & ~fleet.findings["suppressed"]]
    assert s["counts"]["alerts"] == len(alerts) > 0
    assert s["alerts_per_1000_vm_days"] == pytest.approx(1000 * len(alerts) / (3 * 2))
    assert set(s["alerts_per_1000_vm_days_by_os"]) == set(fleet.inventory["os"])
    assert s["counts"]["attestations"] == len(fleet.attestations)
    assert s["counts"]["events"]["boot"] == int((fleet.events["kind"] == "boot").sum())
    assert 0.0 <= s["attestation_coverage"] <= 1.0
    assert set(s["time_to_detect"]) == {"infection", "mitm"}
    assert s["mode"] == "exact"


def test_summary_json_is_sorted_rounded_and_nan_is_null() -> None:
    text = summary_json({"b": 1 / 3, "a": {"z": float("nan"), "y": [2.0000004, float("inf")]}})
    assert text == (
        '{\n  "a": {\n    "y": [\n      2.0,\n      null\n    ],\n    "z": null\n  },\n  "b": 0.333333\n}\n'
    )


def test_summary_of_a_fleet_without_alerts_has_null_false_positive_share(fleet: FleetResult) -> None:
    quiet = dataclasses.replace(fleet, alert_counts=fleet.alert_counts.iloc[:0])
    s = summary(quiet)
    assert math.isnan(s["false_positive_share"])
    assert json.loads(summary_json(s))["false_positive_share"] is None
