"""Every tutorial notebook is listed wherever the repository lists notebooks.

A list of notebooks is any tuple or list literal in the tests and scripts whose elements are all
notebook file names (``NN_name.ipynb``), at least two of them: the browser tests' Voila pages and
JupyterLab saved-widget checks, for example. Each such list must name every notebook in
``notebooks/`` (a new notebook that a list forgets is then never checked there). The Makefile and
nbval use a glob (``[0-9]*.ipynb``), which needs no list.
"""

from __future__ import annotations

import ast
import re

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NAME = re.compile(r"^\d\d_\w+\.ipynb$")


def _lists() -> list[tuple[str, int, list[str]]]:
    found = []
    for path in sorted([*(REPO / "tests").rglob("*.py"), *(REPO / "scripts").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Tuple | ast.List) or len(node.elts) < 2:
                continue
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) == len(node.elts) and all(NAME.match(v) for v in values):
                found.append((str(path.relative_to(REPO)), node.lineno, values))
    return found


LISTS = _lists()


def test_the_scan_finds_the_known_lists() -> None:
    files = {f for f, _, _ in LISTS}
    assert {"tests/browser/test_voila_dashboards.py", "tests/browser/test_lab_widgets.py"} <= files


@pytest.mark.parametrize(("path", "line", "names"), LISTS, ids=[f"{f}:{n}" for f, n, _ in LISTS])
def test_every_notebook_is_in_every_list(path: str, line: int, names: list[str]) -> None:
    missing = sorted(set(NOTEBOOKS) - set(names))
    assert not missing, f"{path}:{line} lists notebooks but not {missing}"
    unknown = sorted(set(names) - set(NOTEBOOKS))
    assert not unknown, f"{path}:{line} lists notebooks that do not exist: {unknown}"
