"""Quote lab: change one byte of a TPM quote and see which check of ``verify_quote`` catches it.

Wiring only: the field map comes from :meth:`tlkit.tpm.Attest.layout` /
:meth:`tlkit.tpm.Signature.layout`, the change and its verdict from :func:`tlkit.tpm.tamper_quote`
(the untouched quote's from :func:`tlkit.tpm.verify_quote`). Handlers write into widget values
(``HTML.value``), never print.
"""

from __future__ import annotations

import html
from typing import Any, Literal

import ipywidgets as w

from tlkit.tpm import Attest, Signature, tamper_quote, verify_quote
from tlkit.widgets._common import LABELS, WidgetApp, coloured, slider_layout

__all__ = ["NO_CHANGE_YET", "QuoteLab"]


NO_CHANGE_YET = "your change: none yet (pick a field, a byte and a mask, then press <i>Flip and verify</i>)"
"""The second verdict line before the first experiment."""


def _verdict(passed: bool, reasons: tuple[str, ...]) -> str:
    """``passed`` (green) or ``FAILED: reason, reason`` (red), HTML-escaped."""
    return coloured("ok", "passed") if passed else coloured("bad", "FAILED: " + ", ".join(reasons))


class QuoteLab(WidgetApp):
    """Pick a part (message or signature), a field, a byte inside it and an XOR mask; press the button.

    Args:
        message: TPMS_ATTEST bytes of a quote.
        signature: TPMT_SIGNATURE bytes or a :class:`tlkit.tpm.Signature`.
        pcrs: PCR values claimed for the quote (as :func:`tlkit.tpm.verify_quote` accepts them).
        nonce: the verifier's nonce.
        ak: the attestation key (as :func:`tlkit.tpm.verify_quote` accepts it).

    Attributes:
        part, field: dropdowns; ``field`` options follow ``part``.
        position: byte index inside the field; its range follows ``field``.
        mask: the XOR mask applied to that byte (1..255).
        flip: the button that runs the experiment.
        untouched: HTML line with the untouched quote's verdict (:func:`tlkit.tpm.verify_quote`).
        verdict: HTML, two lines: the untouched quote's verdict (always shown, so the learner sees
            what a genuine quote gives), then the last change (offset, byte before/after, verdict),
            :data:`NO_CHANGE_YET` before the first one.
        widget: the assembled box to display.
    """

    def __init__(
        self, message: bytes, signature: bytes | Signature, pcrs: Any, nonce: bytes, ak: Any
    ) -> None:
        self.message, self.signature, self.pcrs, self.nonce, self.ak = message, signature, pcrs, nonce, ak
        sig_bytes = signature.to_bytes() if isinstance(signature, Signature) else signature
        self._fields: dict[str, dict[str, tuple[int, int]]] = {
            part: {s.field: (s.offset, s.size) for s in layout if s.size > 0}
            for part, layout in (
                ("message", Attest.layout(message)),
                ("signature", Signature.layout(sig_bytes)),
            )
        }
        self.part = w.Dropdown(
            options=["message", "signature"], value="message", description="part", style=LABELS
        )
        self.field = w.Dropdown(
            options=list(self._fields["message"]),
            description="field",
            style=LABELS,
            layout=w.Layout(width="auto", min_width="22em"),
        )
        self.position = w.IntSlider(
            value=0, min=0, max=0, description="byte", layout=slider_layout(), style=LABELS
        )
        self.mask = w.BoundedIntText(
            value=1, min=1, max=255, description="XOR mask", style=LABELS, layout=w.Layout(width="12em")
        )
        self.flip = w.Button(description="Flip and verify", button_style="primary")
        self.untouched = self._baseline()
        self.verdict = w.HTML(value=f"{self.untouched}<br>{NO_CHANGE_YET}")
        self.part.observe(self._on_part, names="value")
        self.field.observe(self._on_field, names="value")
        self.flip.on_click(self._on_flip)
        self._on_field(None)
        self.widget = w.VBox(
            [
                w.HBox([self.part, self.field]),
                w.HBox([self.position, self.mask], layout=w.Layout(width="100%", align_items="center")),
                self.flip,
                self.verdict,
            ]
        )

    def _baseline(self) -> str:
        result = verify_quote(self.message, self.signature, self.pcrs, self.nonce, self.ak)
        return f"<b>untouched quote</b>: {_verdict(result.passed, result.reasons)}"

    def _on_part(self, _change: Any) -> None:
        self.field.options = list(self._fields[self.part.value])
        self._on_field(None)

    def _on_field(self, _change: Any) -> None:
        _, size = self._fields[self.part.value][self.field.value]
        self.position.value = 0
        self.position.max = size - 1
        self.position.disabled = size == 1

    @property
    def offset(self) -> int:
        """Absolute offset of the selected byte within the selected part."""
        start, _ = self._fields[self.part.value][self.field.value]
        return start + int(self.position.value)

    def _on_flip(self, _button: Any) -> None:
        part: Literal["message", "signature"] = "message" if self.part.value == "message" else "signature"
        report = tamper_quote(
            self.message,
            self.signature,
            self.pcrs,
            self.nonce,
            self.ak,
            positions=[(part, self.offset, int(self.mask.value))],
        )
        (o,) = report.outcomes
        self.verdict.value = (
            f"{self.untouched}<br>your change: {html.escape(o.part)} byte {o.offset} "
            f"({html.escape(o.field)}): 0x{o.before:02x} → 0x{o.after:02x} — {_verdict(o.passed, o.reasons)}"
        )
