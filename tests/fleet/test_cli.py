"""``tlkit fleet simulate`` and ``tlkit fleet report``: determinism, round trip, exit codes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from tlkit.cli import main
from tlkit.fleet._io import SPEC_FILE, SUMMARY_FILE, TABLE_FILES, load_result
from tlkit.fleet._spec import FleetSpec

_SPEC = FleetSpec(
    vms=3,
    days=2,
    os_mix={"ubuntu": 1.0, "windows": 1.0},
    driver_install_rate=0.4,
    infection_rate=0.2,
    mitm_rate=0.2,
)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse usage errors
            rc = e.code if isinstance(e.code, int) else 2
    assert "Traceback" not in err.getvalue()
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "fleet.json"
    path.write_text(_SPEC.to_json())
    return path


def _exact(spec_file: Path, out: Path) -> list[str]:
    """``tlkit fleet simulate`` of the spec file at seed 3 in the exact mode into ``out``."""
    return [
        "fleet",
        "simulate",
        "--spec",
        str(spec_file),
        "--seed",
        "3",
        "--mode",
        "exact",
        "--out",
        str(out),
    ]


@pytest.fixture(scope="module")
def simulated(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    rc, stdout, _ = _run(_exact(spec_file, out))
    assert rc == 0
    assert "3 VMs x 2 days (exact mode)" in stdout
    return out


def test_simulate_writes_the_tables_spec_and_summary(simulated: Path) -> None:
    names = {p.name for p in simulated.iterdir()}
    assert names == {*TABLE_FILES.values(), SPEC_FILE, SUMMARY_FILE}
    result = load_result(simulated)
    assert result.spec.seed == 3  # --seed overrides the file's seed
    assert result.spec.vms == _SPEC.vms
    assert len(result.inventory) == 3


def test_same_spec_and_seed_give_a_byte_identical_summary(
    spec_file: Path, simulated: Path, tmp_path: Path
) -> None:
    rc, _, _ = _run(_exact(spec_file, tmp_path))
    assert rc == 0
    assert (tmp_path / SUMMARY_FILE).read_bytes() == (simulated / SUMMARY_FILE).read_bytes()


def test_the_fast_mode_is_the_default_and_deterministic(spec_file: Path, tmp_path: Path) -> None:
    for out in ("a", "b"):
        rc, stdout, _ = _run(["fleet", "simulate", "--spec", str(spec_file), "--out", str(tmp_path / out)])
        assert rc == 0
        assert "(fast mode)" in stdout
    assert (tmp_path / "a" / SUMMARY_FILE).read_bytes() == (tmp_path / "b" / SUMMARY_FILE).read_bytes()
    assert load_result(tmp_path / "a").mode == "fast"


def test_report_reads_what_simulate_wrote(simulated: Path) -> None:
    rc, stdout, _ = _run(["fleet", "report", str(simulated), "--format", "json"])
    assert rc == 0
    assert stdout == (simulated / SUMMARY_FILE).read_text()
    rc, text, _ = _run(["fleet", "report", str(simulated)])
    assert rc == 0
    summary = json.loads(stdout)
    assert f"alerts: {summary['counts']['alerts']} " in text
    assert "fleet: 3 VMs x 2 days (6 VM-days), seed 3, exact mode" in text
    assert "false-positive share:" in text
    assert "infection: " in text


def test_vms_and_days_simulate_the_default_spec(tmp_path: Path) -> None:
    rc, _, _ = _run(["fleet", "simulate", "--vms", "1", "--days", "1", "--seed", "0", "--out", str(tmp_path)])
    assert rc == 0
    assert load_result(tmp_path).spec == FleetSpec(vms=1, days=1, seed=0)


def test_an_existing_saved_fleet_needs_force(simulated: Path, spec_file: Path) -> None:
    argv = ["fleet", "simulate", "--spec", str(spec_file), "--seed", "3", "--out", str(simulated)]
    rc, _, err = _run(argv)
    assert rc == 2
    assert "--force" in err
    rc, _, _ = _run([*argv, "--force"])
    assert rc == 0


def test_a_bad_spec_file_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_SPEC.to_dict() | {"infection_rate": 2.0}))
    rc, _, err = _run(["fleet", "simulate", "--spec", str(bad), "--out", str(tmp_path / "out")])
    assert rc == 2
    assert "infection_rate" in err
    assert str(bad) in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["fleet", "simulate", "--vms", "0", "--days", "1"],
        ["fleet", "simulate", "--vms", "2"],
        ["fleet", "simulate", "--spec", "nowhere.json"],
        ["fleet", "simulate", "--vms", "1", "--days", "1", "--mode", "slow"],
        ["fleet", "simulate", "--vms", "-1", "--days", "1"],
        ["fleet", "simulate", "--out-of-nothing"],
        ["fleet", "simulate", "--vms", "2", "--days", "1", "--mode", "exact", "--dask"],
        ["fleet", "simulate", "--vms", "2", "--days", "1", "--partitions", "0"],
        ["fleet", "simulate", "--inventory", "nowhere.json"],
    ],
)
def test_unusable_simulate_input_exits_2(argv: list[str], tmp_path: Path) -> None:
    rc, _, err = _run([*argv, "--out", str(tmp_path / "out")])
    assert rc == 2
    assert err.strip()


def test_report_on_a_missing_or_broken_fleet_exits_2_naming_the_file(simulated: Path, tmp_path: Path) -> None:
    rc, _, err = _run(["fleet", "report", str(tmp_path / "nowhere")])
    assert rc == 2
    assert "not a directory" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in simulated.iterdir():
        (broken / item.name).write_bytes(item.read_bytes())
    (broken / "findings.parquet").write_bytes(b"junk")
    rc, _, err = _run(["fleet", "report", str(broken)])
    assert rc == 2
    assert "findings.parquet" in err


def test_partitions_give_the_same_summary(spec_file: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps(_SPEC.to_dict() | {"vms": 70_000, "days": 2}))
    runs = {}
    for parts in ("1", "2"):
        out = tmp_path / parts
        rc, _, err = _run(["fleet", "simulate", "--spec", str(big), "--partitions", parts, "--out", str(out)])
        assert (rc, err) == (0, "")
        runs[parts] = (out / SUMMARY_FILE).read_bytes()
    assert runs["1"] == runs["2"]


def test_an_unreachable_dask_scheduler_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("tlkit.fleet._dask.CONNECT_TIMEOUT", "1s")
    argv = [
        "fleet",
        "simulate",
        "--vms",
        "2",
        "--days",
        "1",
        "--dask",
        "tcp://127.0.0.1:9",
        "--out",
        str(tmp_path),
    ]
    rc, _, err = _run(argv)
    assert rc == 2
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err


def test_a_fleet_cloned_from_the_sample_inventory(tmp_path: Path) -> None:
    """The sample ``az vm list`` export: 320 records, 314 placed (5 unreadable, 1 generation unknown);
    every skipped or assumed record is counted on stderr."""
    from tests.conftest import REPO

    inventory = REPO / "data" / "samples" / "az-vm-list.json"
    argv = [
        "fleet",
        "simulate",
        "--inventory",
        str(inventory),
        "--days",
        "3",
        "--seed",
        "1",
        "--out",
        str(tmp_path),
    ]
    rc, stdout, err = _run(argv)
    assert rc == 0
    assert f"{inventory}: cloned 314 of 320 records (6 skipped," in err
    assert "unreadable 5" in err
    assert "314 VMs x 3 days" in stdout
    result = load_result(tmp_path)
    assert result.spec.composition
    assert len(result.inventory) == 314
