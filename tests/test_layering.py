"""The layering of ARCHITECTURE.md, checked: what each package may (not) import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TLKIT = REPO / "tlkit"


def _modules_after_import(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", ["tlkit", "tlkit.tpm", "tlkit.errors"])
def test_tpm_core_needs_no_pandas_matplotlib_or_jupyter(module: str) -> None:
    loaded = _modules_after_import(module)
    for heavy in ("pandas", "matplotlib", "ipywidgets", "IPython"):
        assert heavy not in loaded, f"importing {module} pulls in {heavy}"


@pytest.mark.parametrize("module", ["tlkit.eventlog", "tlkit.support", "tlkit.cli"])
def test_domain_packages_need_no_jupyter(module: str) -> None:
    loaded = _modules_after_import(module)
    assert "ipywidgets" not in loaded
    assert "matplotlib" not in loaded


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


CORE = ["tpm", "eventlog", "support"]
FORBIDDEN_IN_CORE = (["tlkit", "lab"], ["tlkit", "viz"], ["tlkit", "widgets"])


@pytest.mark.parametrize("package", CORE)
def test_core_packages_do_not_import_lab_viz_or_widgets(package: str) -> None:
    for path in sorted((TLKIT / package).glob("*.py")):
        bad = {m for m in _imports(path) if m.split(".")[:2] in FORBIDDEN_IN_CORE}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_tpm_knows_nothing_of_event_logs_or_azure() -> None:
    for path in sorted((TLKIT / "tpm").glob("*.py")):
        bad = {m for m in _imports(path) if m.startswith(("tlkit.eventlog", "tlkit.support"))}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_every_package_facade_declares_all() -> None:
    for init in sorted(TLKIT.glob("*/__init__.py")):
        tree = ast.parse(init.read_text())
        declared = any(
            isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in n.targets)
            for n in tree.body
        )
        if init.parent.name in {"widgets"}:
            continue  # widget apps are imported from their modules
        assert declared, f"{init.relative_to(REPO)} has no __all__"
        assert ast.get_docstring(tree), f"{init.relative_to(REPO)} has no docstring"
