"""Drop volatile cell metadata (execution timestamps) that nbconvert adds, so a Restart & Run All
changes a notebook's file only where its outputs change.

Usage: python scripts/tidy_notebooks.py notebooks/*.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def tidy(path: Path) -> bool:
    nb = json.loads(path.read_text())
    changed = False
    for cell in nb["cells"]:
        if cell.get("metadata", {}).pop("execution", None) is not None:
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        if tidy(Path(arg)):
            print(f"tidied {arg}")
