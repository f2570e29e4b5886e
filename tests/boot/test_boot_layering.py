"""tlkit.boot's place in ARCHITECTURE.md: plain Python below the widgets, no attestation verdicts."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO
from tests.test_layering import _imports

BOOT = REPO / "tlkit" / "boot"
FORBIDDEN = ("tlkit.lab", "tlkit.viz", "tlkit.widgets", "tlkit.attest", "tlkit.defender", "tlkit.fleet")


def test_boot_imports_no_lab_viz_widgets_or_attestation() -> None:
    for path in sorted(BOOT.glob("*.py")):
        bad = sorted(n for n in _imports(path) if n.startswith(FORBIDDEN))
        assert not bad, f"{path.name} imports {bad}"


def test_importing_boot_loads_no_pandas_matplotlib_or_jupyter() -> None:
    code = "import json, sys, tlkit.boot; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    loaded = set(json.loads(out.stdout))
    assert not loaded & {"pandas", "matplotlib", "ipywidgets", "IPython", "lief", "pefile"}
