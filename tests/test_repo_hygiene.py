"""Repository-level guards: environment files agree, notebooks were Restart & Run All'd, and the
repository is self-contained (no sibling shared folder; every fixture a test names ships in it)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, REPO

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


# Written so that this file does not match itself.
OUTSIDE_READS = re.compile(r"\.\./shared|TLKIT_SHARE[D]")
#: build products and caches a checkout grows; never part of the repository
NOT_SOURCE = {
    ".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis",
    ".ipynb_checkpoints", "build", "dist",
}  # fmt: skip
FIXTURE_IN_REPO = re.compile(r"(?:\.\./)?(data/fixtures/[\w.+/-]*\w)")


def _repo_files() -> list[Path]:
    """The repository's files: ``git ls-files`` in a checkout; in a plain copy (how ``.ci/run`` tests),
    every file except build products and caches."""
    if (REPO / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
        return [REPO / n for n in out.decode().split("\0") if n]
    files = []
    for root, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCE and not d.endswith(".egg-info")]
        files += [Path(root) / n for n in names]
    return files


def test_nothing_reads_outside_the_repository() -> None:
    files = _repo_files()
    assert any(p.name == "conftest.py" for p in files), "the file list is empty or wrong"
    offenders = []
    for p in files:
        if p.suffix == ".md" or p.is_relative_to(FIXTURES):
            continue  # prose may tell the history; fixtures are verbatim upstream data
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError):
            continue  # binary (or deleted in the working tree)
        offenders += [
            f"{p.relative_to(REPO)}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if OUTSIDE_READS.search(line)
        ]
    assert not offenders, f"these read a folder a clone does not have: {offenders}"


def _string_constants(tree: ast.Module, names: dict[str, str]) -> Iterator[str]:
    """Every string a module spells: literals, and ``PREFIX + "literal"`` with PREFIX a known constant."""

    def value(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name | ast.Attribute):
            return names.get(node.id if isinstance(node, ast.Name) else node.attr)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = value(node.left), value(node.right)
            return None if left is None or right is None else left + right
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and (text := value(node)) is not None:
            yield text


def _fixture_references() -> set[Path]:
    """Every fixture path the tests and benchmarks spell (relative to data/fixtures, or to the
    repository when spelled ``data/fixtures/...``) and every ``data/fixtures/...`` a notebook names."""
    sources = sorted((REPO / "tests").rglob("*.py")) + sorted((REPO / "benchmarks").glob("*.py"))
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sources]
    seen: dict[str, set[str]] = {}
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        seen.setdefault(target.id, set()).add(node.value.value)
    names = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}  # ambiguous names are left out
    tops = {p.name for p in FIXTURES.iterdir()}
    refs: set[Path] = set()
    texts = [t for tree in trees for t in _string_constants(tree, names)]
    for nb in NOTEBOOKS:
        texts += ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"]]
    for text in texts:
        refs |= {REPO / m for m in FIXTURE_IN_REPO.findall(text)}
        if "/" in text and text.split("/", 1)[0] in tops and "\n" not in text:
            refs.add(FIXTURES / text)
    return refs


def test_every_fixture_a_test_names_ships_with_the_repository() -> None:
    refs = _fixture_references()
    assert len(refs) >= 40, f"the scan found too few fixture references to be working: {sorted(refs)}"
    missing = []
    for p in sorted(refs):
        found = any(p.parent.glob(p.name)) if any(c in p.name for c in "*?[") else p.exists()
        if not found:
            missing.append(str(p.relative_to(REPO)))
    assert not missing, f"named by tests, benchmarks or notebooks but not in the repository: {missing}"


def test_every_fixture_file_is_documented_in_sources() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and p.name != "SOURCES.md"]
    assert len(files) > 100
    undocumented = sorted(str(p.relative_to(FIXTURES)) for p in files if p.name not in sources)
    assert not undocumented, f"not described in data/fixtures/SOURCES.md: {undocumented}"
