"""Small pieces shared by the widget apps (private): snapshot choice, colours, sizes, verdict lines."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from tlkit.support import snapshots

__all__ = [
    "COLOURS",
    "LABELS",
    "NEWEST",
    "WidgetApp",
    "chosen",
    "coloured",
    "input_error",
    "slider_layout",
    "snapshot_dropdown",
    "text_layout",
]

#: Dropdown value for "the newest snapshot". A real browser shows a None-valued option as an empty
#: box (ipywidgets reads None as "nothing selected"), so "no choice" options carry named strings.
NEWEST = "newest"

COLOURS: Mapping[str, str] = {
    "ok": "#2e7d32",
    "bad": "#c62828",
    "warn": "#9a4d00",
    "highlight": "#ffe08a",
}
"""Text colours of verdicts ("ok", "bad", "warn") and the background of a highlighted row.

Every text colour has a contrast ratio of at least 4.5:1 on white (WCAG 2.x, 1.4.3 AA for normal
text), and black text on ``highlight`` too; ``tests/widgets`` computes the ratios.
"""

LABELS: dict[str, str] = {"description_width": "initial"}
"""Widget ``style``: the description label takes the width of its text (never "securityTy…")."""


def slider_layout() -> w.Layout:
    """A slider that grows with its box and keeps at least 400 px for its track (one step of an 83-event
    log or a 256-byte field is then a few pixels, not a fraction of one)."""
    return w.Layout(width="100%", min_width="400px", flex="1 1 auto")


def text_layout(chars: int) -> w.Layout:
    """A text box wide enough for ``chars`` characters plus its label, shrinking on narrow pages."""
    return w.Layout(width=f"{chars + 2}ch", max_width="100%")


def snapshot_dropdown(as_of: str | None = None) -> w.Dropdown:
    """An "as of" dropdown: ``newest`` first, then every support-matrix snapshot, newest first."""
    return w.Dropdown(
        options=[("newest", NEWEST)] + [(f"{s.id} ({s.tag})", s.id) for s in reversed(snapshots())],
        value=as_of or NEWEST,
        description="as of",
        style=LABELS,
    )


def chosen(value: Any, none: str) -> Any:
    """A dropdown's value, with the named "no choice" string ``none`` turned back into ``None``."""
    return None if value == none else value


def coloured(kind: str, text: str) -> str:
    """``text`` (HTML-escaped) in bold, in the :data:`COLOURS` colour ``kind``."""
    return f"<b style='color:{COLOURS[kind]}'>{html.escape(text)}</b>"


def input_error(message: str) -> str:
    """The HTML shown beside the inputs when they cannot be checked: the error, and that the verdict
    below is still the one for the last input that could be checked."""
    return (
        f"<span role='alert' style='color:{COLOURS['bad']}'>⚠ {html.escape(message)}</span> "
        "<i>(the result below is for the last input that could be checked)</i>"
    )


class WidgetApp:
    """Base of the widget apps: an app displays as its ``widget`` box.

    The display's ``text/plain`` (what a notebook shows where the widget cannot be drawn: an untrusted
    notebook in JupyterLab, a terminal, nbval's comparison) names the app and says how to get the live
    widget, instead of the box's long ``VBox(children=(HBox(…`` repr.
    """

    widget: w.Box

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs))
        data["text/plain"] = (
            f"{type(self).__name__}: an interactive widget. Run the notebook, or open it trusted "
            "(make lab trusts the tutorial notebooks), to use it."
        )
        return data
