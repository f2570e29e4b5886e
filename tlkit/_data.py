"""Where tlkit's data tables live (private).

Facts about Azure are kept as data files (``data/`` in the repository, with their sources). This
module finds that folder in every way tlkit is run:

1. ``$TLKIT_DATA_DIR`` if set (e.g. a newer snapshot of the tables);
2. the repository checkout (source tree or editable install): ``<repo>/data``;
3. an installed wheel: ``<prefix>/share/tlkit/data`` (pyproject ``[tool.setuptools.data-files]``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tlkit.errors import DataError

__all__ = ["DATA_ENV", "data_root"]

DATA_ENV = "TLKIT_DATA_DIR"


def data_root() -> Path:
    """The folder holding ``support/``, ``samples/``... (see the module docstring for the search order)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    candidates = (
        Path(__file__).resolve().parents[1] / "data",
        Path(sys.prefix) / "share" / "tlkit" / "data",
    )
    for candidate in candidates:
        if (candidate / "support").is_dir():
            return candidate
    raise DataError(
        "tlkit's data tables were not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + f"); set ${DATA_ENV} to the repository's data/ folder"
    )
