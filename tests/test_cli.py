"""The assembled ``tlkit`` command: every domain registers its sub-commands; pipes close quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tlkit.cli import build_parser, main


def test_every_domain_registers_its_commands() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"quote", "eventlog", "check", "tlad", "inventory"} <= set(sub.choices)  # type: ignore[arg-type]


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
