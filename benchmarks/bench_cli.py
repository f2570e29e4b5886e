"""Start-up cost of the ``tlkit`` command: ``tlkit --help`` against bare interpreter start-ups.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--runs 21]``

Each command is run as a fresh process ``--runs`` times, the commands interleaved round by round
(so a busy machine slows them alike); printed per command: the median wall time in ms and its
ratio to the two references measured in the same run, ``python -c pass`` and
``python -c "import cryptography"`` (the library every tlkit command needs). The target of issue 7:
``tlkit --help`` within 2x of ``python -c "import cryptography"``. ``tlkit`` is the console script
installed beside this interpreter (else ``python -m tlkit.cli``). ``tlkit eventlog --help`` (one
domain module imported) and ``tlkit check --help`` (the support tables and pandas) are shown for
scale.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 2.0  # tlkit --help / python -c "import cryptography"


def _tlkit() -> list[str]:
    script = Path(sys.executable).parent / "tlkit"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tlkit.cli"]


def _commands() -> dict[str, list[str]]:
    tlkit = _tlkit()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import cryptography'": [sys.executable, "-c", "import cryptography"],
        "tlkit --help": [*tlkit, "--help"],
        "tlkit eventlog --help": [*tlkit, "eventlog", "--help"],
        "tlkit check --help": [*tlkit, "check", "--help"],
    }


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21, help="processes per command (median reported)")
    args = ap.parse_args()
    os.environ.pop("PYTHONPROFILEIMPORTTIME", None)
    commands = _commands()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the file cache once
        _once(argv)
    for _ in range(args.runs):
        for name, argv in commands.items():
            times[name].append(_once(argv))
    median = {name: statistics.median(t) for name, t in times.items()}
    bare, crypto = median["python -c pass"], median["python -c 'import cryptography'"]
    print(f"median of {args.runs} runs each ({sys.executable})")
    print(f"{'command':<34} {'ms':>8} {'x pass':>8} {'x crypto':>9}")
    for name, t in median.items():
        print(f"{name:<34} {t * 1000:>8.1f} {t / bare:>8.2f} {t / crypto:>9.2f}")
    ratio = median["tlkit --help"] / crypto
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(
        f"tlkit --help is {ratio:.2f}x python -c 'import cryptography' ({verdict} the {TARGET:.0f}x target)"
    )


if __name__ == "__main__":
    main()
