"""Widget presentation rules: readable colours, labels and fields sized for their content, input errors
that keep the last verdict."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets as w
import pytest

from tests.conftest import fixture_path
from tlkit.eventlog import parse
from tlkit.tpm import read_pcrs
from tlkit.widgets._common import COLOURS, WidgetApp
from tlkit.widgets.compat_explorer import CompatExplorer
from tlkit.widgets.pcr_stepper import PcrStepper
from tlkit.widgets.quote_lab import QuoteLab
from tlkit.widgets.tlad_explorer import TladExplorer

WIDGETS = Path(__file__).resolve().parents[2] / "tlkit" / "widgets"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_meet_wcag_aa_on_white() -> None:
    for kind in ("ok", "bad", "warn"):
        assert contrast(COLOURS[kind], "#ffffff") >= 4.5, kind
    assert contrast("#000000", COLOURS["highlight"]) >= 4.5


def test_no_colour_literal_outside_the_palette() -> None:
    allowed = {c.lower() for c in COLOURS.values()} | {"#000"}
    for path in WIDGETS.glob("*.py"):
        found = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b|#000\b", path.read_text())}
        assert found <= allowed, f"{path.name}: {found - allowed}"


def _all(widget: w.Widget) -> list[w.Widget]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _all(child)
    return out


def _apps() -> list[WidgetApp]:
    d = "keylime/test-data/files/"
    log = parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())
    lab = QuoteLab(
        fixture_path(d + "quote.out").read_bytes(),
        fixture_path(d + "quotesig.out").read_bytes(),
        read_pcrs(fixture_path(d + "quotepcr.out").read_bytes()),
        bytes.fromhex("db1db298db6d60e6385b7231743e9c3056a18003"),
        fixture_path(d + "akpub.pem").read_bytes(),
    )
    return [lab, PcrStepper(log), CompatExplorer(), TladExplorer()]


@pytest.mark.parametrize("index", range(4), ids=["quote-lab", "pcr-stepper", "compat", "tlad"])
def test_labels_take_their_text_width_and_sliders_their_range(index: int) -> None:
    for widget in _all(_apps()[index].widget):
        if getattr(widget, "description", "") and hasattr(widget.style, "description_width"):
            assert widget.style.description_width == "initial", widget.description
        if isinstance(widget, w.IntSlider):
            assert widget.layout.min_width == "400px"
            assert widget.layout.width == "100%"


def test_long_image_names_fit() -> None:
    explorer = CompatExplorer()
    assert (
        explorer.image.layout.min_width == "30em"
    )  # "Canonical:ubuntu-24_04-lts:server-arm64:latest" is 46 ch
    assert explorer.size.layout.width.endswith("ch")


@pytest.mark.parametrize("typed", ["Standard_D4s_v", "", "Standard_"])
def test_compat_input_error_keeps_the_last_verdict(typed: str) -> None:
    explorer = CompatExplorer(size="Standard_D4s_v5")
    verdict, reasons, report = explorer.verdict.value, explorer.reasons.value, explorer.report
    explorer.size.value = typed
    assert explorer.error.value
    assert "⚠" in explorer.error.value
    assert (explorer.verdict.value, explorer.reasons.value, explorer.report) == (verdict, reasons, report)
    explorer.size.value = "Standard_M64s"
    assert explorer.error.value == ""
    assert explorer.report is not None
    assert not explorer.report.compatible


def test_tlad_input_error_keeps_the_last_decision() -> None:
    tlad = TladExplorer()
    outcome, decision = tlad.outcome.value, tlad.decision
    tlad.image.value = "Canonical:"
    assert "⚠" in tlad.error.value
    assert (tlad.outcome.value, tlad.decision) == (outcome, decision)


@pytest.mark.parametrize("index", range(4), ids=["quote-lab", "pcr-stepper", "compat", "tlad"])
def test_apps_display_as_their_box_with_a_short_text(index: int) -> None:
    app = _apps()[index]
    bundle = app._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == app.widget.model_id
    assert bundle["text/plain"].startswith(f"{type(app).__name__}: an interactive widget.")
