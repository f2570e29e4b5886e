"""The tutorial notebooks as a learner meets them, checked on the committed files.

- every widget output has its state saved with the notebook (JupyterLab draws the widgets before
  anything runs, instead of ``VBox(children=(HBox(…``), and no later cell has driven a displayed widget
  away from what the text says it shows;
- the skeleton's Imports section says what the hidden code loads (Voila hides code cells);
- no MyST-only markup (Lab and Voila show it as literal text); links to notebooks resolve;
- every exercise ships unsolved: a self-check that says "not yet", and a solution in a ``<details>``
  block that makes the same self-check say "correct" (run in-process on the notebook's own cells).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
IDS = [p.name for p in NOTEBOOKS]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _src(cell: dict[str, Any]) -> str:
    return "".join(cell["source"])


def _views(nb: dict[str, Any]) -> list[str]:
    return [
        out["data"][WIDGET_VIEW]["model_id"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if WIDGET_VIEW in out.get("data", {})
    ]


def _tree(state: dict[str, Any], model_id: str) -> list[dict[str, Any]]:
    """The saved states of ``model_id`` and every model it references (children, layouts, styles)."""
    seen: dict[str, dict[str, Any]] = {}
    todo = [model_id]
    while todo:
        mid = todo.pop()
        if mid in seen:
            continue
        assert mid in state, f"model {mid} is referenced but not saved"
        seen[mid] = state[mid]
        todo += re.findall(r"IPY_MODEL_([0-9a-f]{32})", json.dumps(state[mid]["state"]))
    return list(seen.values())


def test_there_are_notebooks_with_widgets() -> None:
    assert [p.name for p in NOTEBOOKS if _views(_load(p))] == IDS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_widget_state_is_saved_for_every_widget_output(path: Path) -> None:
    nb = _load(path)
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    for view in _views(nb):
        models = _tree(state, view)
        assert any(m["model_name"] == "VBoxModel" for m in models)
        assert len(models) > 5  # the whole app, not just its outer box


def _saved_values(path: Path, model_name: str) -> list[Any]:
    nb = _load(path)
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    models = [m for view in _views(nb) for m in _tree(state, view)]
    return [m["state"].get("value") for m in models if m["model_name"] == model_name]


def test_quote_lab_is_saved_untouched() -> None:
    (verdict,) = _saved_values(NOTEBOOKS[0], "HTMLModel")
    assert "untouched quote" in verdict
    assert "none yet" in verdict


def test_stepper_shows_the_event_the_text_names() -> None:
    nb = _load(NOTEBOOKS[1])
    text = "\n".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    (named,) = re.findall(r"opens at event (\d+)", text)
    (slider,) = _saved_values(NOTEBOOKS[1], "IntSliderModel")
    (status,) = _saved_values(NOTEBOOKS[1], "LabelModel")
    assert slider == int(named)
    assert status.startswith(f"event {named}: ")


def test_explorers_are_saved_with_their_constructor_inputs() -> None:
    texts = _saved_values(NOTEBOOKS[2], "ComboboxModel") + _saved_values(NOTEBOOKS[2], "TextModel")
    assert "Standard_D4s_v5" in texts
    assert "Standard_D4ps_v5" not in texts  # the code-driven probes are not the displayed explorers
    assert not any(_saved_values(NOTEBOOKS[2], "CheckboxModel"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_renders_in_lab_and_voila(path: Path) -> None:
    nb = _load(path)
    markdown = [_src(c) for c in nb["cells"] if c["cell_type"] == "markdown"]
    (imports,) = [m for m in markdown if m.startswith("## Imports")]
    assert len(imports.split()) > 30, "say what the (hidden in Voila) imports cell loads"
    for m in markdown:
        assert ":::" not in m, "MyST directive: literal text in Lab and Voila"
        for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", m):
            assert (path.parent / target).exists(), target


def _code(cell: dict[str, Any]) -> str:
    return "\n".join(line for line in _src(cell).splitlines() if not line.startswith("%"))


def _exercise(nb: dict[str, Any]) -> tuple[int, str, int]:
    """(index of the answer cell, the solution code, index of the self-check cell)."""
    (start,) = [i for i, c in enumerate(nb["cells"]) if _src(c).startswith("## Exercise")]
    solution = re.search(r"<details>.*?```python\n(.*?)```.*?</details>", _src(nb["cells"][start]), re.S)
    assert solution, "the solution is one click away in a <details> block"
    answer, check = start + 1, start + 2
    assert "None" in _src(nb["cells"][answer]), "the answer cell ships unsolved"
    assert re.match(r"check_\w+\(", _src(nb["cells"][check])), "the self-check calls tlkit.widgets"
    return answer, solution.group(1), check


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercise_ships_unsolved_and_its_solution_passes(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = _load(path)
    answer, solution, check = _exercise(nb)
    stored = "".join(nb["cells"][check]["outputs"][0]["data"]["text/plain"])
    assert stored.startswith("not yet: ")
    monkeypatch.chdir(path.parent)
    namespace: dict[str, Any] = {}
    for cell in nb["cells"][: answer + 1]:
        if cell["cell_type"] == "code":
            exec(compile(_code(cell), f"{path.name}", "exec"), namespace)
    assert not eval(_src(nb["cells"][check]), namespace)
    exec(solution, namespace)
    result = eval(_src(nb["cells"][check]), namespace)
    assert result.passed, str(result)
    assert str(result).startswith("correct: ")
