"""``tlkit boot scenarios`` and ``tlkit boot simulate``: the evidence directory as written is checked
by tpm2-tools (``tpm2_checkquote``, ``tpm2_eventlog``) and by ``tlkit quote/eventlog verify``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.boot.conftest import SEED, require_osslsigncode
from tests.conftest import require_binaries
from tests.eventlog.test_tpm2_tools import _tool_pcrs
from tlkit.boot import EVIDENCE_FILES, SCENARIO_EFFECTS, SCENARIOS, scenario, scenario_table
from tlkit.cli import main
from tlkit.eventlog import parse

NAMES = [s.name for s in SCENARIOS]
BOOTED = [n for n in NAMES if SCENARIO_EFFECTS[n].boots]
QUOTE_FILES = {"--ak": "ak.pem", "--msg": "quote.msg", "--sig": "quote.sig", "--pcrs": "quote.pcrs"}


def _simulate(out: Path, name: str, *extra: str) -> int:
    return main(["boot", "simulate", "--scenario", name, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One evidence directory per scenario, written by the command."""
    require_osslsigncode()
    root = tmp_path_factory.mktemp("evidence")
    for name in NAMES:
        assert _simulate(root / name, name, "--seed", str(SEED)) == 0
    return {name: root / name for name in NAMES}


def test_each_directory_holds_the_documented_files(dirs: dict[str, Path]) -> None:
    for name, d in dirs.items():
        record = json.loads((d / "boot.json").read_text())
        assert (record["scenario"], record["seed"], record["booted"]) == (
            name,
            SEED,
            SCENARIO_EFFECTS[name].boots,
        )
        expected = EVIDENCE_FILES if record["booted"] else ("eventlog.bin", "boot.json")
        assert sorted(p.name for p in d.iterdir()) == sorted(expected)


def test_same_seed_same_bytes_of_every_file(dirs: dict[str, Path], tmp_path: Path) -> None:
    for name in ("kernel-update", "revoked-bootloader"):
        assert _simulate(tmp_path / name, name) == 0  # seed 0 is the default
        again = {p.name: p.read_bytes() for p in (tmp_path / name).iterdir()}
        assert again == {p.name: p.read_bytes() for p in dirs[name].iterdir()}


@pytest.mark.tools
@pytest.mark.parametrize("name", BOOTED)
def test_tpm2_checkquote_accepts_the_directory(dirs: dict[str, Path], name: str) -> None:
    require_binaries("tpm2_checkquote")
    d = dirs[name]
    nonce = (d / "nonce.hex").read_text().strip()
    cmd = ["tpm2_checkquote", "-u", "ak.pem", "-m", "quote.msg", "-s", "quote.sig", "-f", "quote.pcrs",
           "-g", "sha256", "-q", nonce]  # fmt: skip
    ok = subprocess.run(cmd, cwd=d, capture_output=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    cmd[-1] = "00" + nonce[2:]  # another nonce: refused
    assert subprocess.run(cmd, cwd=d, capture_output=True, timeout=30, check=False).returncode != 0


@pytest.mark.tools
@pytest.mark.parametrize("name", NAMES)
def test_tpm2_eventlog_reads_the_log_to_the_same_pcrs(dirs: dict[str, Path], name: str) -> None:
    require_binaries("tpm2_eventlog")
    log = dirs[name] / "eventlog.bin"
    ours = {
        b: {p: v.hex() for p, v in pcrs.items()} for b, pcrs in parse(log.read_bytes()).replay_all().items()
    }
    assert _tool_pcrs(log) == ours


def _quote_verify(d: Path, capsys: pytest.CaptureFixture[str], nonce: str | None = None) -> tuple[int, str]:
    files = {opt: str(d / name) for opt, name in QUOTE_FILES.items()}
    nonce = nonce or (d / "nonce.hex").read_text().strip()
    rc = main(
        ["quote", "verify", *(x for kv in files.items() for x in kv), "--nonce", nonce, "--format", "json"]
    )
    return rc, capsys.readouterr().out


@pytest.mark.parametrize("name", BOOTED)
def test_tlkit_quote_and_eventlog_verify_pass_on_the_directory(
    dirs: dict[str, Path], name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d = dirs[name]
    rc, out = _quote_verify(d, capsys)
    assert rc == 0, out
    quoted = tmp_path / "quoted.json"
    quoted.write_text(out)
    assert main(["eventlog", "verify", str(d / "eventlog.bin"), "--pcrs", str(quoted), "--strict"]) == 0
    healthy = dirs[scenario(name).baseline] / "eventlog.bin"
    moved = SCENARIO_EFFECTS[name].pcrs_moved
    assert main(["eventlog", "verify", str(healthy), "--pcrs", str(quoted), "--strict"]) == (
        1 if moved else 0
    )


def test_a_wrong_nonce_fails_tlkit_quote_verify(
    dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out = _quote_verify(dirs["healthy-ubuntu-sb"], capsys, nonce="00")
    assert rc == 1
    assert json.loads(out)["passed"] is False


def test_a_vm_that_does_not_boot_says_so(dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert _simulate(dirs["bootkit"], "bootkit", "--force") == 0
    out = capsys.readouterr().out
    assert "the VM did not boot (grubx64.efi: image-digest-mismatch); no quote" in out
    record = json.loads((dirs["bootkit"] / "boot.json").read_text())
    assert record["booted"] is False
    assert record["refused"][0]["component"] == "grubx64.efi"
    assert record["quote"] is None


def test_scenarios_lists_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["boot", "scenarios", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [
        (r["name"], r["boots"], tuple(r["pcrs_moved"]), r["description"]) for r in rows
    ] == scenario_table()
    assert main(["boot", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SCENARIO", "BOOTS", "PCRS", "MOVED", "DESCRIPTION"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["healthy-ubuntu-sb", "yes", "-"],
        ["secure-boot-off", "yes", "7"],
        ["bootkit", "no", "4,5,7,8,9"],
        ["unsigned-kernel-module", "yes", "-"],
        ["revoked-bootloader", "no", "4,5,7,8,9"],
        ["kernel-update", "yes", "4,8,9"],
        ["firmware-update", "yes", "0"],
        ["dbx-update", "yes", "7"],
        ["healthy-windows-vbs", "yes", "-"],
        ["test-signing", "yes", "7,12,13"],
        ["kernel-debug", "yes", "7,12,13"],
        ["hvci-blocks-driver", "yes", "-"],
        ["windows-update", "yes", "4,12,13"],
        ["windows-firmware-update", "yes", "0"],
    ]


def test_unknown_scenario_exits_2_listing_the_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _simulate(tmp_path / "out", "kernel-debugging") == 2
    err = capsys.readouterr().err
    assert all(name in err for name in NAMES)
    assert not (tmp_path / "out").exists()


def test_a_non_empty_out_is_refused_without_force(
    dirs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_osslsigncode()
    out = tmp_path / "out"
    assert _simulate(out, "healthy-ubuntu-sb") == 0
    (out / "notes.txt").write_text("mine")
    assert _simulate(out, "bootkit") == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "quote.msg").exists()
    # --force: the old quote goes (it would vouch for another boot), other files stay
    assert _simulate(out, "bootkit", "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == ["boot.json", "eventlog.bin", "notes.txt"]
    assert (out / "eventlog.bin").read_bytes() == (dirs["bootkit"] / "eventlog.bin").read_bytes()
    (tmp_path / "file").write_text("x")
    assert _simulate(tmp_path / "file", "bootkit", "--force") == 2


def test_a_given_nonce_is_the_quotes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_osslsigncode()
    out = tmp_path / "out"
    assert _simulate(out, "firmware-update", "--nonce", "c0ffee") == 0
    assert (out / "nonce.hex").read_text() == "c0ffee\n"
    capsys.readouterr()
    assert _quote_verify(out, capsys)[0] == 0


@pytest.mark.parametrize(
    "extra", [["--nonce", "xyz"], ["--seed", "-1"], ["--seed", "ten"], ["--seed", str(2**32)]]
)
def test_bad_option_values_are_usage_errors(tmp_path: Path, extra: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _simulate(tmp_path / "out", "bootkit", *extra)
    assert info.value.code == 2
