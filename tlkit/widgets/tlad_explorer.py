"""TLaD explorer: who deploys, with which API version, flags and securityProfile -> which VM do you get?

Wiring only: the decision comes from :func:`tlkit.support.resolve_tlad` (Trusted Launch as Default
rules, reference notes section 3); client, flag and security-type choices come from
:func:`tlkit.support.tlad_rules`. Handlers write into widget values (``HTML.value``), never print.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from tlkit.errors import TlkitError
from tlkit.support import TladDecision, resolve_tlad, tlad_rules
from tlkit.widgets._common import (
    LABELS,
    NEWEST,
    WidgetApp,
    chosen,
    coloured,
    input_error,
    snapshot_dropdown,
    text_layout,
)

__all__ = ["API_VERSIONS", "TladExplorer"]

#: Dropdown value for "no securityProfile" (see tlkit.widgets._common.NEWEST).
ABSENT = "absent"

API_VERSIONS = ("2020-12-01", "2021-07-01", "2021-11-01", "2023-03-01", "2024-07-01", "2025-11-01")
"""``Microsoft.Compute`` API versions offered (2021-11-01: TLaD preview floor; 2025-11-01: GA floor)."""


class TladExplorer(WidgetApp):
    """Change the deployment inputs; the decision updates on every change.

    Attributes:
        client: portal / cli / powershell / arm / bicep / terraform / sdk.
        api_version: API version (ignored by the portal, CLI and PowerShell).
        preview_flag: ``TrustedLaunchByDefaultPreview`` registered.
        standard_flag: ``UseStandardSecurityType`` registered.
        security_profile: ``absent`` or an explicit security type.
        size: VM size.
        image: image reference (``PUBLISHER:OFFER:SKU:VERSION`` or a resource id).
        as_of: documentation snapshot (``newest`` = the newest one).
        outcome: HTML: effective and reported security type, silent fallback, refusal message.
        reasons: HTML: the decision's machine-readable reasons, in order.
        error: HTML under the size and image fields: empty, or the input error while the inputs cannot
            be resolved; ``outcome`` and ``reasons`` then keep the last decision.
        decision: the last :class:`tlkit.support.TladDecision` of inputs that could be resolved.
        widget: the assembled box to display.
    """

    def __init__(
        self,
        client: str = "arm",
        api_version: str = "2025-11-01",
        size: str = "Standard_D4s_v5",
        image: str = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
        as_of: str | None = None,
    ) -> None:
        rules = tlad_rules()
        self._flag_names = rules["flags"]
        self.client = w.Dropdown(
            options=list(rules["clients"]), value=client, description="client", style=LABELS
        )
        self.api_version = w.Dropdown(
            options=list(API_VERSIONS), value=api_version, description="API version", style=LABELS
        )
        self.preview_flag = w.Checkbox(
            value=False, description=self._flag_names["preview"], style=LABELS, indent=False
        )
        self.standard_flag = w.Checkbox(
            value=False, description=self._flag_names["standard"], style=LABELS, indent=False
        )
        self.security_profile = w.Dropdown(
            options=[("absent", ABSENT)] + [(t, t) for t in rules["security_types"]],
            value=ABSENT,
            description="securityType",
            style=LABELS,
        )
        self.size = w.Text(value=size, description="VM size", style=LABELS, layout=text_layout(32))
        self.image = w.Text(
            value=image, description="image", style=LABELS, layout=w.Layout(width="100%", min_width="30em")
        )
        self.error = w.HTML()
        self.as_of = snapshot_dropdown(as_of)
        self.outcome = w.HTML()
        self.reasons = w.HTML()
        self.decision: TladDecision | None = None
        controls = (
            self.client,
            self.api_version,
            self.preview_flag,
            self.standard_flag,
            self.security_profile,
            self.size,
            self.image,
            self.as_of,
        )
        for control in controls:
            control.observe(self.update, names="value")
        self.update()
        self.widget = w.VBox(
            [
                w.HBox([self.client, self.api_version, self.as_of]),
                w.HBox([self.preview_flag, self.standard_flag]),
                w.HBox([self.security_profile, self.size]),
                self.image,
                self.error,
                self.outcome,
                self.reasons,
            ]
        )

    def update(self, _change: Any = None) -> None:
        """Re-run :func:`resolve_tlad` for the current inputs and write the decision into the HTML values."""
        flags = [
            name
            for box, name in ((self.preview_flag, "preview"), (self.standard_flag, "standard"))
            if box.value
        ]
        try:
            self.decision = resolve_tlad(
                client=self.client.value,
                size=self.size.value.strip(),
                image=self.image.value.strip(),
                api_version=self.api_version.value,
                flags=[self._flag_names[f] for f in flags],
                security_profile=chosen(self.security_profile.value, ABSENT),
                as_of=chosen(self.as_of.value, NEWEST),
            )
        except TlkitError as e:
            self.error.value = input_error(str(e))
            return
        self.error.value = ""
        d = self.decision
        if d.error is not None:
            self.outcome.value = (
                f"{coloured('bad', 'refused')} (<code>{html.escape(d.error_code or '')}</code>): "
                f"{html.escape(d.error)}"
            )
        else:
            reported = "null" if d.reported_security_type is None else d.reported_security_type
            extra = (
                f" {coloured('warn', 'silent fallback')}: TLaD applied but a condition failed, "
                "so the VM was created without Trusted Launch and no error was raised."
                if d.silent_fallback
                else ""
            )
            self.outcome.value = (
                f"<b>gets {html.escape(d.effective_security_type or '?')}</b> "
                f"(ARM reports securityType {html.escape(reported)}; TLaD applied: "
                f"{'yes' if d.tlad_in_force else 'no'}; stage: {html.escape(d.stage)}; "
                f"snapshot {html.escape(d.snapshot)}).{extra}"
            )
        self.reasons.value = "<b>decision path</b>: " + " → ".join(
            f"<code>{html.escape(r)}</code>" for r in d.reasons
        )
