"""Compatibility explorer: a VM size, an image or OS and a documentation date -> can it run Trusted Launch?

Wiring only: the verdict, blockers, remediations and notes come from :func:`tlkit.support.check_vm`;
the date choices from :func:`tlkit.support.snapshots`. Handlers write into widget values
(``HTML.value``), never print, so the app is testable by setting ``.value``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from tlkit.errors import TlkitError
from tlkit.support import CompatibilityReport, check_vm, image_or_os, snapshots, unsupported_features
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

__all__ = ["EXAMPLE_IMAGES", "EXAMPLE_SIZES", "CompatExplorer"]

#: Dropdown value for "generation not given" (see tlkit.widgets._common.NEWEST).
AUTO = "auto"

EXAMPLE_SIZES = (
    "Standard_D4s_v5",
    "Standard_B2s",
    "Standard_D2s_v3",
    "Standard_D4_v3",
    "Standard_D4ps_v5",
    "Standard_D4ps_v6",
    "Standard_E8ds_v5",
    "Standard_M64s",
    "Standard_NC24ads_A100_v4",
    "Standard_NV6",
    "Standard_DC4ads_v5",
    "Standard_A2_v2",
    "Standard_HB176rs_v4",
)
"""Suggested sizes (any size name can be typed)."""

EXAMPLE_IMAGES = (
    "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
    "Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest",
    "Canonical:ubuntu-24_04-lts:server-arm64:latest",
    "MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest",
    "MicrosoftWindowsServer:WindowsServer:2016-Datacenter:latest",
    "RedHat:RHEL:94_gen2:latest",
    "Ubuntu 22.04",
    "Windows Server 2025",
    "SLES 15 SP5",
    "CentOS 8.4",
    "/subscriptions/0000/resourceGroups/img/providers/Microsoft.Compute/images/golden",
)
"""Suggested images (``PUBLISHER:OFFER:SKU:VERSION`` or a resource id) and free-form OS names."""


def _items(title: str, items: list[str]) -> str:
    if not items:
        return f"<b>{html.escape(title)}</b>: none"
    body = "".join(f"<li>{i}</li>" for i in items)
    return f"<b>{html.escape(title)}</b><ul>{body}</ul>"


class CompatExplorer(WidgetApp):
    """Pick a size, an image/OS, a generation and a snapshot; the verdict updates on every change.

    Attributes:
        size: VM size (combobox: suggestions, any text).
        image: image reference or OS name (combobox).
        generation: ``auto`` (from the image name), 1 or 2.
        as_of: documentation snapshot (``newest`` = the newest one).
        features: VM features in use (SelectMultiple over the keys of every snapshot's
            unsupported-features list, :func:`tlkit.support.unsupported_features`).
        region: ARM location name (empty = not checked).
        verdict: HTML: compatible / NOT compatible / undetermined, size status, OS status, snapshot.
        reasons: HTML list of blockers (machine code + message).
        remediations: HTML list of what to do about each blocker.
        notes: HTML list of advisory notes.
        error: HTML under the size and image fields: empty, or the input error (naming the field) while
            the inputs cannot be checked; the verdict, blockers and notes then keep showing the last
            input that could be checked (typing a size letter by letter never wipes them).
        report: the last :class:`tlkit.support.CompatibilityReport` of an input that could be checked.
        widget: the assembled box to display.
    """

    def __init__(
        self,
        size: str = "Standard_D4s_v5",
        image: str = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
        as_of: str | None = None,
    ) -> None:
        self.size = w.Combobox(
            value=size,
            options=list(EXAMPLE_SIZES),
            description="VM size",
            style=LABELS,
            layout=text_layout(max(map(len, EXAMPLE_SIZES)) + len("VM size")),
        )
        self.image = w.Combobox(
            value=image,
            options=list(EXAMPLE_IMAGES),
            description="image / OS",
            style=LABELS,
            layout=w.Layout(flex="1 1 auto", min_width="30em"),
        )
        self.generation = w.Dropdown(
            options=[("auto", AUTO), ("Gen1", 1), ("Gen2", 2)],
            value=AUTO,
            description="generation",
            style=LABELS,
        )
        self.as_of = snapshot_dropdown(as_of)
        keys: dict[str, str] = {}
        for snap in snapshots():
            for rule in unsupported_features(snap):
                keys.setdefault(rule.feature, rule.label)
        self.features = w.SelectMultiple(
            options=[(label, key) for key, label in sorted(keys.items(), key=lambda kv: kv[1].lower())],
            value=(),
            description="features",
            rows=4,
            style=LABELS,
            layout=w.Layout(width="auto", min_width="28em"),
        )
        self.region = w.Text(value="", placeholder="e.g. westeurope", description="region", style=LABELS)
        self.error = w.HTML()
        self.verdict = w.HTML()
        self.reasons = w.HTML()
        self.remediations = w.HTML()
        self.notes = w.HTML()
        self.report: CompatibilityReport | None = None
        for control in (self.size, self.image, self.generation, self.as_of, self.features, self.region):
            control.observe(self.update, names="value")
        self.update()
        self.widget = w.VBox(
            [
                w.HBox([self.size, self.image], layout=w.Layout(width="100%")),
                self.error,
                w.HBox([self.generation, self.as_of]),
                w.HBox([self.features, self.region]),
                self.verdict,
                self.reasons,
                self.remediations,
                self.notes,
            ]
        )

    def update(self, _change: Any = None) -> None:
        """Re-run :func:`check_vm` for the current inputs and write the results into the HTML values."""
        text = self.image.value.strip()
        is_image = bool(text) and image_or_os(text) == "image"
        try:
            self.report = check_vm(
                self.size.value.strip(),
                text if is_image else None,
                os=text if text and not is_image else None,
                generation=chosen(self.generation.value, AUTO),
                features=tuple(self.features.value),
                region=self.region.value.strip() or None,
                as_of=chosen(self.as_of.value, NEWEST),
            )
        except TlkitError as e:
            self.error.value = input_error(str(e))
            return
        self.error.value = ""
        r = self.report
        os_text = {True: "listed", False: "not listed", None: "not determined"}[r.os_supported]
        kind, head = {
            True: ("ok", "compatible with Trusted Launch"),
            False: ("bad", "NOT compatible with Trusted Launch"),
            None: ("warn", "undetermined: " + ", ".join(r.undetermined)),
        }[r.compatible]
        self.verdict.value = (
            f"{coloured(kind, head)} "
            f"(size {html.escape(r.size)}: {html.escape(r.size_status)}; OS: {os_text}; "
            f"generation: {r.generation or 'unknown'}; snapshot {html.escape(r.snapshot)})"
        )
        self.reasons.value = _items(
            "blockers", [f"<code>{html.escape(b.code)}</code>: {html.escape(b.message)}" for b in r.blockers]
        )
        self.remediations.value = _items("remediations", [html.escape(b.remediation) for b in r.blockers])
        self.notes.value = _items("notes", [html.escape(n) for n in r.notes])
