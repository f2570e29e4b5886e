"""Defender triage board: a fleet's Defender for Cloud findings, filtered by VM and by suppression.

Wiring only: the findings come from :func:`tlkit.defender.assess` (run once per board), the VM facts
from the fleet's :class:`~tlkit.defender.VmConfig`; handlers write into widget values
(``HTML.value``), never print.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Final

import ipywidgets as w
import pandas as pd

from tlkit.defender._assess import assess
from tlkit.defender._data import alerts
from tlkit.defender._model import Fleet
from tlkit.defender._rules import DEFAULT_SUPPRESSIONS, SuppressionRule
from tlkit.widgets._common import LABELS, WidgetApp, coloured

__all__ = ["ALL_VMS", "SHOW", "DefenderTriage"]

ALL_VMS: Final = "all VMs"
"""The VM dropdown's first option: every VM of the fleet."""
SHOW: Final = ("all findings", "shown only", "suppressed only")
"""The options of the suppression filter."""

_TABLE_COLUMNS: Final = ["vm", "kind", "name", "severity", "reason", "time", "suppressed"]


class DefenderTriage(WidgetApp):
    """Pick a VM (or all) and which findings to list; see the counts, the table and the triage text.

    Args:
        fleet: the VMs and their attestation history.
        at: the assessment time (see :func:`tlkit.defender.assess`).
        suppressions: the suppression rules applied.
        start: the VM shown first (default: all VMs).

    Attributes:
        findings: the whole fleet's findings (the DataFrame of :func:`tlkit.defender.assess`).
        vm: dropdown of :data:`ALL_VMS` and the fleet's VMs.
        show: dropdown of :data:`SHOW`.
        summary: HTML: ``N findings (S suppressed) · Low: a · Medium: b`` for the selection.
        facts: HTML: the chosen VM's configuration (empty for all VMs).
        table: HTML table of the selected findings (or ``no findings``).
        triage: HTML: the documented triage questions of the alerts in the selection (or nothing).
        widget: the assembled box to display.
    """

    def __init__(
        self,
        fleet: Fleet,
        *,
        at: datetime | str | None = None,
        suppressions: tuple[SuppressionRule, ...] = DEFAULT_SUPPRESSIONS,
        start: str = ALL_VMS,
    ) -> None:
        self.fleet = fleet
        self.findings = assess(fleet.vms, fleet.history, at=at, suppressions=suppressions)
        self.vm = w.Dropdown(
            options=[ALL_VMS, *sorted(v.vm for v in fleet.vms)], value=start, description="VM", style=LABELS
        )
        self.show = w.Dropdown(options=list(SHOW), value=SHOW[0], description="findings", style=LABELS)
        self.summary, self.facts, self.table, self.triage = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        for control in (self.vm, self.show):
            control.observe(self._on_change, names="value")
        self.widget = w.VBox(
            [w.HBox([self.vm, self.show]), self.summary, self.facts, self.table, self.triage]
        )
        self._render()

    def selected(self) -> pd.DataFrame:
        """The findings the two dropdowns select."""
        rows = self.findings
        if self.vm.value != ALL_VMS:
            rows = rows[rows["vm"] == self.vm.value]
        if self.show.value == SHOW[1]:
            rows = rows[~rows["suppressed"]]
        elif self.show.value == SHOW[2]:
            rows = rows[rows["suppressed"]]
        return rows

    def _on_change(self, change: Any) -> None:
        self._render()

    def _render(self) -> None:
        rows = self.selected()
        by_severity = rows["severity"].value_counts()
        counts = " · ".join(f"{s}: {n}" for s, n in sorted(by_severity.items()))
        suppressed = int(rows["suppressed"].sum())
        self.summary.value = (
            f"<p><b>{len(rows)} findings</b> ({suppressed} suppressed)"
            + (f" · {counts}" if counts else "")
            + "</p>"
        )
        self.facts.value = self._facts()
        if rows.empty:
            self.table.value = "<p><i>no findings</i></p>"
        else:
            shown = rows[_TABLE_COLUMNS].assign(time=rows["time"].dt.strftime("%Y-%m-%d %H:%M").fillna(""))
            self.table.value = shown.to_html(index=False)
        self.triage.value = self._triage(rows)

    def _facts(self) -> str:
        if self.vm.value == ALL_VMS:
            return ""
        vm = self.fleet.vm(self.vm.value)
        flags = [
            ("Trusted Launch capable", vm.trusted_launch_capable),
            ("Secure Boot", vm.secure_boot),
            ("vTPM", vm.vtpm),
            ("Guest Attestation extension", vm.guest_attestation),
        ]
        parts = [coloured("ok" if on else "warn", f"{label}: {'yes' if on else 'no'}") for label, on in flags]
        extra = " · Secure Boot off by design" if vm.secure_boot_off_by_design else ""
        kind = "scale set" if vm.scale_set else "VM"
        return (
            f"<p>{html.escape(vm.os_type)} {kind}, {html.escape(vm.security_type)}{extra}: "
            f"{html.escape(vm.note)}</p><p>{' · '.join(parts)}</p>"
        )

    def _triage(self, rows: pd.DataFrame) -> str:
        names = set(rows.loc[rows["kind"] == "alert", "name"])
        blocks = [
            f"<p><b>Triage: {html.escape(a.name)}</b></p><ul>"
            + "".join(f"<li>{html.escape(q)}</li>" for q in a.triage)
            + "</ul>"
            for a in alerts().values()
            if a.name in names and a.triage
        ]
        return "".join(blocks)
