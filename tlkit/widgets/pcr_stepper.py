"""PCR stepper: walk through an event log one event at a time and watch the PCRs evolve.

Wiring only: the PCR values after each event come from
:meth:`tlkit.eventlog.EventLog.prefix_replays` (one replay pass), event descriptions and the payload check
(:meth:`tlkit.eventlog.Event.data_matches_digest`) from :class:`tlkit.eventlog.Event`. Handlers
write into widget values (``HTML.value``, ``Label.value``), never print. The values shown are what
the unverified log implies; they prove something only once the final ones match quoted PCRs
(:meth:`tlkit.eventlog.EventLog.verify`).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from tlkit.eventlog import EventLog, EventType
from tlkit.widgets._common import COLOURS, LABELS, WidgetApp, slider_layout

__all__ = ["PcrStepper"]

_CHANGED = f"background:{COLOURS['highlight']};color:#000;font-weight:bold"
_CHECK = {True: "yes", False: f'<b style="color:{COLOURS["bad"]}">NO</b>', None: "not derivable"}


class PcrStepper(WidgetApp):
    """A slider (and Play button) over the event index of ``log``.

    Args:
        log: a parsed event log.
        bank: the bank to replay (default: the log's :attr:`~tlkit.eventlog.EventLog.default_bank`).
        start: the event shown first (clamped to the log).

    Attributes:
        slider: the current event index (``0 .. len(log) - 1``).
        play: a Play control linked to ``slider``.
        back, step, reset: buttons: previous event, next event, back to event 0.
        status: Label ``"event N: PCR p = <hex>"`` (the PCR the event extended and its value after it),
            or ``"event N: EV_NO_ACTION, no PCR extended"``.
        event: HTML with the current event's index, PCR, type, claimed digest, description and whether
            the digest is the hash of the event data (``H(data) = digest: yes``, ``NO``, or
            ``not derivable`` for types whose digest is not defined from the data).
        table: HTML table with one row per PCR the log extends and its value after the current event;
            the row of the PCR just extended has ``class="changed"``; PCRs not extended yet show ``—``.
        widget: the assembled box to display.
    """

    def __init__(self, log: EventLog, bank: str | None = None, start: int = 0) -> None:
        self.log = log
        self.bank = bank if bank is not None else log.default_bank
        self._states = log.prefix_replays(self.bank)
        self.pcrs: tuple[int, ...] = tuple(sorted(self._states[-1])) if self._states else ()
        last = max(len(log) - 1, 0)
        first = min(max(start, 0), last)
        self.slider = w.IntSlider(
            value=first,
            min=0,
            max=last,
            description="event",
            continuous_update=True,
            layout=slider_layout(),
            style=LABELS,
        )
        self.play = w.Play(
            value=first, min=0, max=last, step=1, interval=400, description="play", style=LABELS
        )
        w.link((self.play, "value"), (self.slider, "value"))
        self.back = w.Button(description="◀ back")
        self.step = w.Button(description="step ▶")
        self.reset = w.Button(description="reset")
        self.status = w.Label()
        self.event = w.HTML()
        self.table = w.HTML()
        self.back.on_click(self._on_back)
        self.step.on_click(self._on_step)
        self.reset.on_click(self._on_reset)
        self.slider.observe(self._on_index, names="value")
        self._render(first)
        self.widget = w.VBox(
            [
                w.HBox(
                    [self.play, self.slider, self.back, self.step, self.reset],
                    layout=w.Layout(width="100%", align_items="center"),
                ),
                self.status,
                self.event,
                self.table,
            ]
        )

    def values_after(self, index: int) -> dict[int, bytes]:
        """``{pcr: value}`` after events ``0..index`` (as displayed)."""
        return dict(self._states[index])

    def _on_index(self, change: Any) -> None:
        self._render(int(change["new"]))

    def _on_back(self, _button: Any) -> None:
        self.slider.value = max(self.slider.min, self.slider.value - 1)

    def _on_step(self, _button: Any) -> None:
        self.slider.value = min(self.slider.max, self.slider.value + 1)

    def _on_reset(self, _button: Any) -> None:
        self.play.playing = False
        self.slider.value = 0

    def _render(self, index: int) -> None:
        if not len(self.log):
            self.status.value = "empty log"
            self.event.value = ""
            self.table.value = ""
            return
        e = self.log[index]
        state = self._states[index]
        extended = e.event_type != EventType.EV_NO_ACTION
        if extended:
            self.status.value = f"event {index}: PCR {e.pcr} = {state[e.pcr].hex()}"
        else:
            self.status.value = f"event {index}: EV_NO_ACTION, no PCR extended"
        digest = e.digest(self.bank)
        check = _CHECK[e.data_matches_digest(self.bank)]
        self.event.value = (
            f"<b>event {index}</b> of {len(self.log)} — PCR {e.pcr}, {html.escape(e.type_name)}<br>"
            f"claimed {html.escape(self.bank)} digest: <code>{digest.hex() if digest else '—'}</code><br>"
            f"{html.escape(e.description)}<br>"
            f"H(data) = digest: {check}"
        )
        rows = []
        for pcr in self.pcrs:
            value = state.get(pcr)
            changed = extended and pcr == e.pcr
            attrs = f' class="changed" style="{_CHANGED}"' if changed else ""
            shown = f"<code>{value.hex()}</code>" if value is not None else "—"
            rows.append(f'<tr data-pcr="{pcr}"{attrs}><td>PCR {pcr}</td><td>{shown}</td></tr>')
        self.table.value = (
            f"<table><tr><th>PCR</th><th>{html.escape(self.bank)} value after event {index}</th></tr>"
            + "".join(rows)
            + "</table>"
        )
