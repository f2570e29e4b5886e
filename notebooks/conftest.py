"""nbval settings for the tutorial notebooks (nbval's documented per-directory recipe).

stderr (warnings, progress bars) and text/html (pandas markup changes across versions) are not
compared; text/plain, including DataFrame reprs and PCR values, is.
"""

from __future__ import annotations

from typing import Any


def pytest_collectstart(collector: Any) -> None:
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "application/javascript", "stderr")
