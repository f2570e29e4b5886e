"""Make a Restart & Run All change a notebook's file only where its outputs change.

- drops the volatile cell metadata (execution timestamps) that nbconvert adds;
- keeps the saved widget state (``metadata.widgets``, written by ``store_widget_state=True``) so
  JupyterLab draws every widget before the notebook runs, and renames its random model ids to ids
  derived from the notebook's name and the order the models appear in, so a regeneration that
  builds the same widgets writes the same ids.

Usage: python scripts/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_MODEL_ID = re.compile(r"[0-9a-f]{32}")


def _stable_ids(text: str, ids: list[str], seed: str) -> str:
    """Replace each model id in ``ids`` (in order) by a hash of ``seed`` and its position."""
    mapping = {
        old: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()[:32] for n, old in enumerate(ids)
    }
    return _MODEL_ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


def tidy(path: Path) -> bool:
    """Tidy ``path`` in place; return whether its text changed."""
    before = path.read_text()
    nb = json.loads(before)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if state:
        # Order of first appearance in the file: the displayed views first, then the models they hold.
        ids = list(dict.fromkeys(m for m in _MODEL_ID.findall(text) if m in state))
        text = _stable_ids(text, ids, path.name)
    if text != before:
        path.write_text(text)
    return text != before


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if tidy(Path(arg)):
            print(f"tidied {arg}")
