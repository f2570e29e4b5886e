"""The assembled ``tlkit`` command: every domain registers its sub-commands; pipes close quietly."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tlkit.cli import _COMMAND_MODULES, build_parser, main


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if a.dest == "command")
    return set(sub.choices)  # type: ignore[arg-type]


def test_every_domain_registers_its_commands() -> None:
    assert _commands(build_parser()) == {"quote", "eventlog", "check", "tlad", "inventory"}


@pytest.mark.parametrize(("module", "commands"), list(_COMMAND_MODULES.items()))
def test_command_map_matches_what_each_module_registers(module: str, commands: tuple[str, ...]) -> None:
    parser = argparse.ArgumentParser()
    importlib.import_module(module).register(parser.add_subparsers(dest="command"))
    assert _commands(parser) == set(commands)
    for command in commands:
        assert _commands(build_parser(command)) == set(commands)


def test_eventlog_and_quote_commands_do_not_load_pandas() -> None:
    code = (
        "import sys; from tlkit.cli import main; rc = main(['eventlog', 'replay', "
        "'data/fixtures/go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin']); "
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


def test_closed_pipe_is_not_an_error() -> None:
    """Like `tlkit inventory report X | head -0`: the reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tlkit.cli", "inventory", "report", "data/samples/resource-graph.csv"],
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
