"""Make a Restart & Run All change a notebook's file only where its outputs change.

- drops the volatile cell metadata (execution timestamps) that nbconvert adds;
- keeps the saved widget state (``metadata.widgets``, written by ``store_widget_state=True``) so
  JupyterLab draws every widget before the notebook runs, but only the models of displayed widgets,
  renamed from random ids to ids derived from the notebook's name and the models' place in the
  displayed widget trees, so a regeneration that builds the same widgets writes the same file.

Usage: python scripts/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
_MODEL_ID = re.compile(r"[0-9a-f]{32}")


def _displayed_models(nb: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """The displayed views' models and every model they reference, in a fixed order: views in output
    order, then breadth first through each model's references (its state with sorted keys)."""
    order = [
        out["data"][WIDGET_VIEW]["model_id"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if WIDGET_VIEW in out.get("data", {})
    ]
    seen = dict.fromkeys(m for m in order if m in state)
    queue = list(seen)
    while queue:
        refs = _REF.findall(json.dumps(state[queue.pop(0)]["state"], sort_keys=True))
        new = [r for r in refs if r in state and r not in seen]
        seen.update(dict.fromkeys(new))
        queue += list(dict.fromkeys(new))
    return list(seen)


def _stable_widget_state(nb: dict[str, Any], seed: str) -> dict[str, Any]:
    """``nb`` with only the displayed widgets' models saved, renamed to ids derived from ``seed`` and
    their position in :func:`_displayed_models` (models of widgets never displayed are dropped)."""
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    keep = _displayed_models(nb, state)
    mapping = {old: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:32] for n, old in enumerate(keep)}
    nb["metadata"]["widgets"][WIDGET_STATE]["state"] = {old: state[old] for old in keep}
    text = json.dumps(nb, ensure_ascii=False)
    renamed: dict[str, Any] = json.loads(_MODEL_ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), text))
    return renamed


def tidy(path: Path) -> bool:
    """Tidy ``path`` in place; return whether its text changed."""
    before = path.read_text()
    nb = json.loads(before)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    if nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state"):
        nb = _stable_widget_state(nb, path.name)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if text != before:
        path.write_text(text)
    return text != before


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if tidy(Path(arg)):
            print(f"tidied {arg}")
