"""``tlkit eventlog show|replay|verify`` through :func:`tlkit.cli.main`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.conftest import expected_pcrs, fixture_path
from tests.eventlog.logs import GA, GT, KL
from tlkit.cli import main
from tlkit.eventlog import make_event, parse, write


def _pcrs_file(tmp_path: Path, rel: str) -> Path:
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"]
    p = tmp_path / "pcrs.json"
    p.write_text(json.dumps(table))
    return p


def _mismeasured_event_20(tmp_path: Path, rel: str) -> Path:
    """The log ``rel`` with event 20's digests replaced by those of ``b"evil"`` (its data kept)."""
    good = parse(fixture_path(rel).read_bytes())
    e = good[20]
    bad = good.replaced(20, make_event(e.pcr, e.event_type, e.data, good.banks, measured=b"evil"))
    bad_path = tmp_path / "bad.bin"
    bad_path.write_bytes(write(bad))
    return bad_path


def test_show_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["eventlog", "show", str(fixture_path(KL + "mb_log.b64"))])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out[0] == "# crypto-agile log, banks sha256, 102 events (unverified)"
    assert out[2].split()[:3] == ["0", "0", "EV_NO_ACTION"]
    assert "SecureBoot = enabled" in out[6]
    assert len(out) == 2 + 102


def test_replay_json_all_banks(capsys: pytest.CaptureFixture[str]) -> None:
    rel = GT + "rhel8-uefi.bin"
    rc = main(["eventlog", "replay", str(fixture_path(rel)), "--all-banks", "--format", "json"])
    assert rc == 0
    table = json.loads(capsys.readouterr().out)
    assert list(table) == ["sha1", "sha256", "sha384"]
    assert list(table["sha256"]) == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "14"]
    exp = expected_pcrs()["fixtures"][rel]["expected_pcrs"]
    for bank in ("sha1", "sha256"):
        assert table[bank] == exp[bank]


def test_replay_text_one_bank(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["eventlog", "replay", str(fixture_path(GT + "debian-10.bin")), "--bank", "sha1"])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert lines[0].startswith("sha1:0 ")
    assert len(lines) == 8


def test_verify_pass_and_quirk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = GT + "glinux-alex.bin"
    assert main(["eventlog", "verify", str(fixture_path(rel)), "--pcrs", str(_pcrs_file(tmp_path, rel))]) == 0
    assert "sha256: PASS" in capsys.readouterr().out
    ebs = GA + "ebs_event_missing_eventlog"
    pcrs = _pcrs_file(tmp_path, ebs)
    assert main(["eventlog", "verify", str(fixture_path(ebs)), "--pcrs", str(pcrs), "--bank", "sha1"]) == 0
    assert "quirks applied: EBS_MISSING" in capsys.readouterr().out
    rc = main(
        ["eventlog", "verify", str(fixture_path(ebs)), "--pcrs", str(pcrs), "--bank", "sha1", "--strict"]
    )
    assert rc == 1
    assert "PCR 5 (sha1) replays to" in capsys.readouterr().out


def test_verify_fails_and_explains_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = GT + "gdc-host.bin"
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"]
    table["sha256"]["4"] = "00" * 32
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(table))
    rc = main(["eventlog", "verify", str(fixture_path(rel)), "--pcrs", str(p), "--format", "json"])
    assert rc == 1
    out = json.loads(capsys.readouterr().out)
    assert out["sha256"]["passed"] is False
    assert out["sha256"]["reasons"] == ["pcr-mismatch:4", "payload-digest-mismatch:3"]
    div = out["sha256"]["divergences"][0]
    assert div["pcr"] == 4
    assert div["first_divergent_event"] == div["chain"][0]["index"]  # expected = initial value
    assert "nothing should have been extended" in div["explanation"]


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = fixture_path(KL + "create-mb-policy/binary_bios_measurements-bogus")
    assert main(["eventlog", "show", str(bogus)]) == 2
    assert "PCR index" in capsys.readouterr().err
    empty = fixture_path(KL + "create-mb-policy/binary_bios_measurements-empty")
    assert main(["eventlog", "replay", str(empty)]) == 2
    p = tmp_path / "x.json"
    p.write_text("[1, 2]")
    assert main(["eventlog", "verify", str(fixture_path(GT + "gdc-host.bin")), "--pcrs", str(p)]) == 2
    p.write_text(json.dumps({"sha1": {"0": "00" * 20}}))
    assert main(["eventlog", "verify", str(fixture_path(GT + "gdc-host.bin")), "--pcrs", str(p)]) == 2
    assert "no bank in common" in capsys.readouterr().err
    assert main(["eventlog", "replay", str(fixture_path(GT + "gdc-host.bin")), "--bank", "sha1"]) == 2


def test_diff_and_verify_with_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = GT + "rhel8-uefi.bin"
    bad_path = _mismeasured_event_20(tmp_path, rel)
    assert main(["eventlog", "diff", str(fixture_path(rel)), str(fixture_path(rel))]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["eventlog", "diff", str(bad_path), str(fixture_path(rel))]) == 1
    out = capsys.readouterr().out
    assert out.startswith("sha1: first divergent event 20\n")
    rc = main(
        [
            "eventlog",
            "verify",
            str(bad_path),
            "--pcrs",
            str(_pcrs_file(tmp_path, rel)),
            "--bank",
            "sha256",
            "--reference",
            str(fixture_path(rel)),
            "--format",
            "json",
        ]
    )
    assert rc == 1
    div = json.loads(capsys.readouterr().out)["sha256"]["divergences"][0]
    assert (div["pcr"], div["first_divergent_event"]) == (6, 20)  # rhel8 event 20 extends PCR 6


def test_verify_fails_on_an_edited_secure_boot_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = GT + "rhel8-uefi.bin"
    log = parse(fixture_path(rel).read_bytes())
    e = log[3]
    edited = log.replaced(3, dataclasses.replace(e, data=e.data[:-1] + b"\x00"))
    f = tmp_path / "edited.bin"
    f.write_bytes(write(edited))
    pcrs = _pcrs_file(tmp_path, rel)
    rc = main(["eventlog", "verify", str(f), "--pcrs", str(pcrs), "--bank", "sha256", "--format", "json"])
    assert rc == 1
    out = json.loads(capsys.readouterr().out)
    assert out["sha256"]["reasons"] == ["payload-digest-mismatch:3"]
    assert out["sha256"]["payload_mismatches"][0]["fatal"] is True
    rc = main(["eventlog", "verify", str(f), "--pcrs", str(pcrs), "--bank", "sha256", "--no-payload-check"])
    assert rc == 0
    assert "PASS" in capsys.readouterr().out


def test_verify_hints_at_reference_only_when_no_divergent_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = GT + "rhel8-uefi.bin"
    bad_path = _mismeasured_event_20(tmp_path, rel)
    args = ["eventlog", "verify", str(bad_path), "--pcrs", str(_pcrs_file(tmp_path, rel)), "--bank", "sha256"]
    assert main(args) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == (
        "hint: a hash chain alone cannot say which event is wrong; rerun with --reference GOOD_LOG "
        "(a log of a boot of the same platform that verified) to name the first divergent event"
    )
    assert main([*args, "--reference", str(fixture_path(rel))]) == 1
    assert "hint:" not in capsys.readouterr().out
    # a passing log, and a failure whose divergent event the chain itself locates, get no hint
    assert main(["eventlog", "verify", str(fixture_path(rel)), "--pcrs", str(_pcrs_file(tmp_path, rel))]) == 0
    assert "hint:" not in capsys.readouterr().out
    table = expected_pcrs()["fixtures"][rel]["expected_pcrs"]
    table["sha256"]["4"] = "00" * 32
    p = tmp_path / "initial4.json"
    p.write_text(json.dumps(table))
    assert main(["eventlog", "verify", str(fixture_path(rel)), "--pcrs", str(p), "--bank", "sha256"]) == 1
    assert "hint:" not in capsys.readouterr().out


# --------------------------------------------------------------------------- JSON, escaping, bad input
def test_show_json_is_one_object_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    rel = GT + "rhel8-uefi.bin"
    assert main(["eventlog", "show", str(fixture_path(rel)), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    log = parse(fixture_path(rel).read_bytes())
    assert (doc["format"], doc["banks"], doc["verified"]) == (
        "crypto-agile",
        ["sha1", "sha256", "sha384"],
        False,
    )
    assert len(doc["events"]) == len(log)
    for got, e in zip(doc["events"], log, strict=True):
        assert (got["index"], got["pcr"], got["type_name"]) == (e.index, e.pcr, e.type_name)
        assert got["digests"] == {b: d.hex() for b, d in e.digests.items()}
        assert (got["description"], got["payload_error"]) == (e.description, e.payload_error)
    assert doc["events"][4]["description"] == log[4].description


def _log_with_control_characters(tmp_path: Path) -> Path:
    """rhel8 plus a UTF-16 GRUB string and a variable whose name carry ESC/CR/BEL/LF sequences."""
    import struct
    import uuid

    from tlkit.eventlog import EventType

    grub = make_event(
        8, EventType.EV_IPL, "grub_cmd: a\x1b[31mRED\r\x07 b\n".encode("utf-16-le"), ("sha256",)
    )
    name = "Secure\x1b]0;pwned\x07Boot"
    guid = uuid.UUID("8be4df61-93ca-11d2-aa0d-00e098032b8c").bytes_le
    var = guid + struct.pack("<QQ", len(name), 1) + name.encode("utf-16-le") + b"\x01"
    variable = make_event(7, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, var, ("sha256",))
    p = tmp_path / "controls.bin"
    p.write_bytes(write(parse(fixture_path(GT + "rhel8-uefi.bin").read_bytes()).appended(grub, variable)))
    return p


def test_show_escapes_control_characters_from_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _log_with_control_characters(tmp_path)
    assert main(["eventlog", "show", str(log), "--width", "200"]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\r", "\x07"):
        assert raw not in out
    lines = out.splitlines()
    assert len(lines) == 2 + 85  # no line break from the log's strings
    assert lines[-2].endswith("grub_cmd: a\\x1b[31mRED\\x0d\\x07 b\\x0a")
    assert lines[-1].endswith("Secure\\x1b]0;pwned\\x07Boot (1 bytes)")
    assert main(["eventlog", "show", str(log), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)  # JSON escapes them itself and keeps the text exact
    assert doc["events"][-1]["description"] == "Secure\x1b]0;pwned\x07Boot (1 bytes)"


def test_a_log_with_no_banks_is_unusable_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import struct

    spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 0) + b"\0"
    p = tmp_path / "zero-banks.bin"
    p.write_bytes(struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec)
    pcrs = tmp_path / "pcrs.json"
    pcrs.write_text(json.dumps({"sha256": {"0": "00" * 32}}))
    for argv in (["replay", str(p)], ["verify", str(p), "--pcrs", str(pcrs)], ["diff", str(p), str(p)]):
        assert main(["eventlog", *argv]) in (1, 2)  # diff of a log with itself has no bank to compare
        err = capsys.readouterr().err
        assert "Traceback" not in err
    assert main(["eventlog", "replay", str(p)]) == 2
    assert f"{p}: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text (byte 0xff at offset 0)"),
        (b"[" * 100_000, "is nested too deeply to read"),
        (b'{"sha256": {"0": ' + b"1" * 5000 + b"}}", "is not usable JSON"),
        (b"{", "is not JSON (Expecting property name"),
        (b'{"sha256": {"0": "zz"}}', "sha256 PCR '0' value is not hex"),
        (b'{"sha256": {"x": "' + b"00" * 32 + b'"}}', "PCR index 'x' is not an integer"),
        (b'{"sha999": {"0": "00"}}', "sha999"),
        (b'{"sha256": 5}', 'expected {"BANK": {"PCR": "HEX", ...}, ...}'),
        (
            b'{"passed": false, "reasons": ["nonce-mismatch"], "pcrs": {}}',
            "the quote did not verify (nonce-mismatch)",
        ),
    ],
)
def test_bad_pcr_tables_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    p = tmp_path / "pcrs.json"
    p.write_bytes(content)
    assert main(["eventlog", "verify", str(fixture_path(GT + "rhel8-uefi.bin")), "--pcrs", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tlkit: error: {p}: ")
    assert message in err


def test_pcrs_from_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    rel = GT + "rhel8-uefi.bin"
    table = json.dumps(expected_pcrs()["fixtures"][rel]["expected_pcrs"]).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(table)))
    assert main(["eventlog", "verify", str(fixture_path(rel)), "--pcrs", "-", "--bank", "sha256"]) == 0
    assert "sha256: PASS" in capsys.readouterr().out


def test_bad_width_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["eventlog", "show", str(fixture_path(GT + "rhel8-uefi.bin")), "--width", "0"])
    assert e.value.code == 2
    assert "--width" in capsys.readouterr().err
