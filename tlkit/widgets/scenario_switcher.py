"""Scenario switcher: pick a named boot scenario and see whether the VM boots, what Secure Boot
refused and which PCRs moved compared with the healthy boot.

Wiring only: boots come from :func:`tlkit.boot.run_scenario` (deterministic for a seed), the tables
from :func:`tlkit.viz.boot.decision_frame` and :func:`tlkit.viz.boot.pcr_diff_frame`. Handlers write
into widget values (``HTML.value``), never print.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from tlkit.boot import SCENARIOS, BootResult, run_scenario, scenario
from tlkit.viz.boot import decision_frame, pcr_diff_frame
from tlkit.widgets._common import LABELS, WidgetApp, coloured

__all__ = ["BASELINE", "ScenarioSwitcher"]

#: The scenario every other one is compared with.
BASELINE = "healthy-ubuntu-sb"  # the scenario it opens on


class ScenarioSwitcher(WidgetApp):
    """A dropdown of :data:`tlkit.boot.SCENARIOS`; each choice is booted and compared with its baseline.

    Args:
        seed: the seed of every boot (same seed, same keys, logs and PCRs).
        start: the scenario shown first.
        bank: the PCR bank compared.

    Attributes:
        choice: the dropdown (scenario names).
        verdict: HTML: the scenario's description, ``boots: yes``/``boots: NO``, the refused components
            with their reasons (``refused: none``), and ``PCRs moved: 4, 8, 9`` (``none``).
        decisions: HTML table of the Secure Boot decisions (:func:`tlkit.viz.boot.decision_frame`).
        pcrs: HTML table of the PCRs against the healthy boot (:func:`tlkit.viz.boot.pcr_diff_frame`).
        widget: the assembled box to display.
    """

    def __init__(self, seed: int = 0, start: str = BASELINE, bank: str = "sha256") -> None:
        self.seed, self.bank = seed, bank
        self._boots: dict[str, BootResult] = {}
        self.choice = w.Dropdown(
            options=[s.name for s in SCENARIOS],
            value=scenario(start).name,
            description="scenario",
            style=LABELS,
        )
        self.verdict = w.HTML()
        self.decisions = w.HTML()
        self.pcrs = w.HTML()
        self.choice.observe(self._on_choice, names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.choice]),
                self.verdict,
                w.HTML("<b>Secure Boot decisions</b>"),
                self.decisions,
                w.HTML(f"<b>PCRs ({bank}) against the healthy boot of the same OS</b>"),
                self.pcrs,
            ]
        )
        self._render(self.choice.value)

    def boot(self, name: str) -> BootResult:
        """The boot of scenario ``name`` (booted once per switcher)."""
        if name not in self._boots:
            self._boots[name] = run_scenario(name, self.seed)
        return self._boots[name]

    def moved(self, name: str) -> tuple[int, ...]:
        """The PCRs of ``bank`` whose value differs from the scenario's baseline's (``healthy-ubuntu-sb``
        or ``healthy-windows-vbs``, :attr:`tlkit.boot.Scenario.baseline`)."""
        diff = pcr_diff_frame(self.boot(name), self.boot(scenario(name).baseline), self.bank)
        return tuple(int(p) for p in diff.loc[diff["moved"], "pcr"])

    def _on_choice(self, change: Any) -> None:
        self._render(change["new"])

    def _render(self, name: str) -> None:
        result = self.boot(name)
        refused = ", ".join(f"{d.component} ({d.reason})" for d in result.refused) or "none"
        moved = ", ".join(map(str, self.moved(name))) or "none"
        boots = coloured("ok", "boots: yes") if result.booted else coloured("bad", "boots: NO")
        self.verdict.value = (
            f"<p>{html.escape(scenario(name).description)}</p><p>{boots} · refused: {html.escape(refused)} · "
            f"PCRs moved: {moved}</p>"
        )
        self.decisions.value = decision_frame(result).to_html(index=False)
        frame = pcr_diff_frame(result, self.boot(scenario(name).baseline), self.bank)
        self.pcrs.value = frame.to_html(index=False)
