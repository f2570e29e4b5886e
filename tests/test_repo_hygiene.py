"""Repository-level guards: environment files agree, notebooks were Restart & Run All'd."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb"))


def _norm(req: str) -> str:
    name = re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0]
    return name.lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_norm(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_norm(r) for r in extra}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = {
        _norm(d) for d in env["dependencies"] if isinstance(d, str) and _norm(d) not in {"python", "pip"}
    }
    assert conda == wanted, f"only in environment.yml: {conda - wanted}; only in pyproject: {wanted - conda}"
    # The same version constraints, not just the same names.
    reqs = {_norm(r): r.replace(" ", "") for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        reqs |= {_norm(r): r.replace(" ", "") for r in extra}
    for d in env["dependencies"]:
        if isinstance(d, str) and _norm(d) in reqs:
            assert d.replace(" ", "") == reqs[_norm(d)], f"constraint differs for {_norm(d)}"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no tutorial notebooks found"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_was_run_in_order(nb: Path) -> None:
    data = json.loads(nb.read_text())
    cells = [c for c in data["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{nb.name}: Restart & Run All, then commit ({counts})"
    assert data["metadata"].get("kernelspec", {}).get("name") == "python3"
    for c in cells:
        for out in c.get("outputs", []):
            assert "application/javascript" not in out.get("data", {}), f"{nb.name}: javascript output"
            assert out.get("output_type") != "error", f"{nb.name}: committed an error output"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_skeleton(nb: Path) -> None:
    data = json.loads(nb.read_text())
    text = "\n".join("".join(c["source"]) for c in data["cells"] if c["cell_type"] == "markdown")
    for heading in ("## Overview", "## Prerequisites", "## Imports", "## Summary"):
        assert heading in text, f"{nb.name}: missing '{heading}' section"
    assert "Time to learn" in text
    assert re.search(r"## Exercise", text), f"{nb.name}: no exercise section"
