"""Small pieces shared by the widget apps (private)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from tlkit.support import snapshots

__all__ = ["NEWEST", "chosen", "snapshot_dropdown"]

#: Dropdown value for "the newest snapshot". A real browser shows a None-valued option as an empty
#: box (ipywidgets reads None as "nothing selected"), so "no choice" options carry named strings.
NEWEST = "newest"


def snapshot_dropdown(as_of: str | None = None) -> w.Dropdown:
    """An "as of" dropdown: ``newest`` first, then every support-matrix snapshot, newest first."""
    return w.Dropdown(
        options=[("newest", NEWEST)] + [(f"{s.id} ({s.tag})", s.id) for s in reversed(snapshots())],
        value=as_of or NEWEST,
        description="as of",
    )


def chosen(value: Any, none: str) -> Any:
    """A dropdown's value, with the named "no choice" string ``none`` turned back into ``None``."""
    return None if value == none else value
