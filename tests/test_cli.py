"""The assembled ``tlkit`` command: lazy registration, help, exit codes, no tracebacks, safe output."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, fixture_path
from tlkit.cli import _COMMANDS, build_parser, main

HEAVY = ("pandas", "numpy", "matplotlib", "pyarrow", "tlkit.support", "tlkit._data")


def _sub_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _commands(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    """``{command: help}`` as ``--help`` lists them."""
    return {a.dest: a.help for a in _sub_action(parser)._choices_actions}


def test_help_lists_every_command_from_the_table() -> None:
    assert _commands(build_parser()) == {name: h for name, (_, h) in _COMMANDS.items()}
    assert list(_commands(build_parser())) == [
        "quote",
        "eventlog",
        "boot",
        "attest",
        "fleet",
        "check",
        "tlad",
        "inventory",
    ]


@pytest.mark.parametrize("module", sorted({m for m, _ in _COMMANDS.values()}))
def test_command_table_matches_what_each_module_registers(module: str) -> None:
    """The lazy table lists each command with exactly the help its module registers."""
    parser = argparse.ArgumentParser()
    importlib.import_module(module).register(parser.add_subparsers(dest="command"))
    table = {name: h for name, (m, h) in _COMMANDS.items() if m == module}
    assert _commands(parser) == table
    for command in table:
        assert _commands(build_parser(command)) == table


def _walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
    """Every option, positional and sub-command under ``parser`` that has no help text."""
    missing = []
    for action in parser._actions:
        where = f"{path} {'/'.join(action.option_strings) or action.dest}"
        if not action.help or action.help == argparse.SUPPRESS:
            missing.append(where)
        if isinstance(action, argparse._SubParsersAction):
            missing += [f"{path} {a.dest}" for a in action._choices_actions if not a.help]
            for name, child in action.choices.items():
                missing += _walk(child, f"{path} {name}")
    return missing


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_every_option_and_positional_has_help(command: str) -> None:
    parser = build_parser(command)
    child = _sub_action(parser).choices[command]
    assert _walk(child, f"tlkit {command}") == []


def _run(
    args: list[str], env: dict[str, str] | None = None, **kw: object
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "tlkit.cli", *args],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
        **kw,  # type: ignore[arg-type]
    )


def test_help_is_light_and_reads_no_data(tmp_path: Path) -> None:
    """``tlkit --help`` imports no pandas/numpy/matplotlib nor the support tables, and works with
    TLKIT_DATA_DIR pointing nowhere (it reads no data file)."""
    proc = _run(["--help"], env={"TLKIT_DATA_DIR": str(tmp_path / "none"), "PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for name, (_, help_text) in _COMMANDS.items():
        assert name in out
        assert help_text in out
    assert "exit codes:" in out
    assert "3  internal error" in out
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "tlkit.errors" in imported  # the import profile was recorded
    assert "argparse" in imported
    for heavy in HEAVY:
        assert heavy not in imported, f"tlkit --help imports {heavy}"


def test_help_of_the_console_script_in_process_modules() -> None:
    code = (
        "import sys, json\nfrom tlkit.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    rc = e.code\n"
        "print(json.dumps([rc, sorted(sys.modules)]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    rc, modules = json.loads(proc.stdout.splitlines()[-1])
    assert rc == 0
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_eventlog_and_quote_commands_do_not_load_pandas() -> None:
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    code = (
        "import sys; from tlkit.cli import main; "
        f"rc = main(['eventlog', 'replay', {str(log)!r}]); "
        "assert 'pandas' not in sys.modules, 'pandas loaded'; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sha256:0 ")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["no-such-command"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_closed_pipe_is_not_an_error() -> None:
    """Like `tlkit eventlog show X | head -0`: the reader is gone before the first write."""
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tlkit.cli", "eventlog", "show", str(log)],
            cwd=REPO,
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""


# ------------------------------------------------------------------------- exit codes and messages
def test_a_bug_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(data: bytes) -> None:
        raise RuntimeError("unexpected state\nsecond line")

    monkeypatch.setattr("tlkit.eventlog._cli.parse", boom)
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    assert main(["eventlog", "show", str(log)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("tlkit: internal error: RuntimeError: unexpected state at test_cli.py:")
    assert err.endswith(" (please report)\n")
    assert "Traceback" not in err


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(data: bytes) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("tlkit.eventlog._cli.parse", interrupted)
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    assert main(["eventlog", "show", str(log)]) == 130
    assert capsys.readouterr().err == "tlkit: error: interrupted\n"


def test_unreadable_files_exit_2_naming_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.bin"
    assert main(["eventlog", "show", str(missing)]) == 2
    assert capsys.readouterr().err == f"tlkit: error: {missing}: No such file or directory\n"
    assert main(["eventlog", "replay", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"tlkit: error: {tmp_path}: Is a directory\n"


def test_error_text_from_a_file_name_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = tmp_path / "a\x1b[2Jb\rc"
    assert main(["eventlog", "show", str(evil)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\r" not in err
    assert "a\\x1b[2Jb\\x0dc: No such file or directory" in err


def test_a_data_error_at_parser_construction_is_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command module that fails while registering (e.g. a data table it needs is missing)."""
    from tlkit.errors import DataError

    def register(subparsers: object) -> None:
        raise DataError("table missing", field="tlad.json")

    monkeypatch.setattr("tlkit.eventlog._cli.register", register)
    assert main(["eventlog", "--help"]) == 2
    assert capsys.readouterr().err == "tlkit: error: table missing [field 'tlad.json']\n"


# ------------------------------------------------------------------- the real entry point, in a process
def _zero_bank_log(tmp_path: Path) -> Path:
    import struct

    spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 0) + b"\0"
    p = tmp_path / "zero-banks.bin"
    p.write_bytes(struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec)
    return p


def _files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "latin1.json").write_bytes(b'{"sha256": {"0": "\xe9"}}')
    (tmp_path / "deep.json").write_text("[" * 100_000)
    return {
        "latin1": tmp_path / "latin1.json",
        "deep": tmp_path / "deep.json",
        "zero": _zero_bank_log(tmp_path),
    }


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("show-dev-zero", "/dev/zero: event log is larger than the 64 MiB the command reads"),
        ("ak-dev-zero", "/dev/zero: AK public key is larger than the 1 MiB the command reads"),
        ("pcrs-latin1", "latin1.json: PCR values file is not UTF-8 text (byte 0xe9 at offset 18)"),
        ("pcrs-deep", "deep.json: PCR values file is nested too deeply to read"),
        ("replay-zero-banks", "zero-banks.bin: "),
        ("nonce-not-utf8", "--nonce-text is not valid text"),
    ],
)
def test_reproduced_escapes_exit_2_in_a_process(tmp_path: Path, case: str, expect: str) -> None:
    """Each input that once escaped as a traceback, through ``python -m tlkit.cli``."""
    log = str(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin"))
    kl = fixture_path("keylime/test-data/files")
    f = _files(tmp_path)
    quote = ["quote", "verify", "--ak", str(kl / "akpub.pem"), "--msg", str(kl / "quote.out"),
             "--sig", str(kl / "quotesig.out"), "--pcrs", str(kl / "quotepcr.out")]  # fmt: skip
    argv: list[str | bytes] = {
        "show-dev-zero": ["eventlog", "show", "/dev/zero"],
        "ak-dev-zero": [*quote[:3], "/dev/zero", *quote[4:]],
        "pcrs-latin1": ["eventlog", "verify", log, "--pcrs", str(f["latin1"])],
        "pcrs-deep": ["eventlog", "verify", log, "--pcrs", str(f["deep"])],
        "replay-zero-banks": ["eventlog", "replay", str(f["zero"])],
        "nonce-not-utf8": [*quote, "--nonce-text", b"chall\xffenge"],
    }[case]
    proc = _run(argv)  # type: ignore[arg-type]
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.startswith("tlkit: error: ")
    assert expect in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


# ------------------------------------------------------------------------ quote verify | eventlog verify
def _quote_of_the_log(tmp_path: Path, log_path: Path) -> list[str]:
    """A virtual TPM whose PCRs went through the events of ``log_path``, quoted over every PCR the
    log extends; returns the ``quote verify`` arguments for its files."""
    from tlkit.eventlog import EventType, parse
    from tlkit.tpm import VirtualTpm

    log = parse(log_path.read_bytes())
    vtpm = VirtualTpm(seed=11, banks=("sha256",))
    for e in log:
        if e.event_type != EventType.EV_NO_ACTION:
            vtpm.pcrs.extend(e.pcr, e.digests["sha256"], "sha256")
    files = vtpm.quote({"sha256": [*range(10), 14]}, b"fresh").write(tmp_path)
    (tmp_path / "ak.pem").write_bytes(vtpm.ak_pem)
    return ["quote", "verify", "--ak", str(tmp_path / "ak.pem"), "--msg", str(files["msg"]),
            "--sig", str(files["sig"]), "--pcrs", str(files["pcrs"]), "--nonce-text", "fresh"]  # fmt: skip


def test_quote_json_pipes_into_eventlog_verify(tmp_path: Path) -> None:
    """``tlkit quote verify ... --format json | tlkit eventlog verify LOG --pcrs -``: real processes."""
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    quote = _quote_of_the_log(tmp_path, log)
    cli = [sys.executable, "-m", "tlkit.cli"]
    first = subprocess.run([*cli, *quote, "--format", "json"], cwd=REPO, capture_output=True, check=False)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert sorted(doc["pcrs"]["sha256"], key=int) == ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "14"]
    second = subprocess.run(
        [*cli, "eventlog", "verify", str(log), "--pcrs", "-", "--format", "json"],
        input=first.stdout, cwd=REPO, capture_output=True, check=False,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    assert list(result) == ["sha256"]
    assert result["sha256"]["passed"] is True
    assert result["sha256"]["matched"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14]
    # the same document from a file; and a quote that failed is refused as evidence
    saved = tmp_path / "quote.json"
    saved.write_bytes(first.stdout)
    assert main(["eventlog", "verify", str(log), "--pcrs", str(saved)]) == 0
    failed = _run([*quote[:-1], "stale", "--format", "json"])
    assert failed.returncode == 1
    saved.write_bytes(failed.stdout)
    assert main(["eventlog", "verify", str(log), "--pcrs", str(saved)]) == 2


def test_an_ascii_only_terminal_gets_escapes_not_a_crash() -> None:
    log = fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")
    proc = _run(["eventlog", "show", str(log)], env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert b"d0fcf11a32a8fbf5\\u2026    GCE Virtual Firmware v1" in proc.stdout
