"""Voila renders the tutorial dashboards and their widgets answer the kernel in a real browser.

Expected texts are computed in this process with the same widget class and the same inputs as the page
shows, so the tests check the browser <-> kernel wiring, not the support data.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.browser.conftest import open_voila, snapshot
from tests.conftest import REPO

pytestmark = pytest.mark.browser

NOTEBOOK_01_NONCE = "db1db298db6d60e6385b7231743e9c3056a18003"
"""The verifier nonce notebook 01 passes to its QuoteLab (keylime's test quote)."""


def html_text(value: str) -> str:
    """The ``textContent`` a browser shows for an ``HTML`` widget value (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))


def test_compat_explorer_verdict_follows_page_inputs(voila: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.widgets.compat_explorer import CompatExplorer

    size_label = page.locator("label.widget-label", has_text=re.compile(r"^VM size$"))
    generation_label = page.locator("label.widget-label", has_text=re.compile(r"^generation$"))
    # The innermost box holding both (the notebook's TladExplorer also has a "VM size").
    box = page.locator(".widget-vbox").filter(has=size_label).filter(has=generation_label).last
    open_voila(page, f"{voila}/voila/render/03_support_matrix.ipynb", box)
    size = box.locator(".widget-text", has=size_label).locator("input")
    image = box.locator(".widget-text", has=page.locator("label", has_text="image / OS")).locator("input")
    generation = box.locator(".widget-dropdown", has=generation_label).locator("select")
    as_of = box.locator(".widget-dropdown", has=page.locator("label", has_text="as of")).locator("select")
    # CompatExplorer.widget = VBox([HBox, HBox, verdict, reasons, remediations, notes])
    verdict = box.locator(":scope > .widget-html").nth(0).locator(".widget-html-content")
    blockers = box.locator(":scope > .widget-html").nth(1).locator(".widget-html-content")

    local = CompatExplorer(size=size.input_value(), image=image.input_value())
    # A Dropdown whose value is None shows no selection (ipywidgets: None means "nothing selected"), so
    # the page's "" stands for the explorer's default (auto / newest).
    local.generation.label = generation.input_value() or None
    local.as_of.label = as_of.input_value() or None
    expect(verdict).to_have_text(html_text(local.verdict.value))
    expect(blockers).to_have_text(html_text(local.reasons.value))
    seen = {html_text(local.verdict.value)}

    # Typed into the comboboxes: each change goes to the kernel, which rewrites the verdict HTML.
    local.size.value = "Standard_D4s_v5"
    local.image.value = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"
    size.fill(local.size.value)
    image.fill(local.image.value)
    assert local.report is not None
    assert local.report.compatible
    expect(verdict).to_have_text(html_text(local.verdict.value))
    expect(blockers).to_have_text("blockers: none")
    seen.add(html_text(local.verdict.value))

    # A dropdown choice: Gen1 blocks Trusted Launch on the same size and image.
    generation.select_option("Gen1")
    local.generation.label = "Gen1"
    assert not local.report.compatible
    expect(verdict).to_have_text(html_text(local.verdict.value))
    expect(blockers).to_have_text(html_text(local.reasons.value))
    seen.add(html_text(local.verdict.value))

    assert len(seen) >= 2
    snapshot(box, "voila-03-compat-explorer")


def test_quote_lab_flip_follows_page_inputs(voila: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.tpm import read_pcrs
    from tlkit.widgets.quote_lab import QuoteLab

    quotes = REPO / "data" / "fixtures" / "quotes" / "keylime"
    local = QuoteLab(
        (quotes / "quote.out").read_bytes(),
        (quotes / "quotesig.out").read_bytes(),
        read_pcrs((quotes / "quotepcr.out").read_bytes()),
        bytes.fromhex(NOTEBOOK_01_NONCE),
        (quotes / "akpub.pem").read_bytes(),
    )

    flip = page.get_by_role("button", name="Flip and verify")
    open_voila(page, f"{voila}/voila/render/01_vtpm_and_quotes.ipynb", flip)
    # QuoteLab.widget = VBox([HBox([part, field]), HBox([position, mask]), flip, verdict])
    box = page.locator(".widget-vbox", has=flip).last
    part = box.locator(".widget-dropdown", has=page.locator("label", has_text="part")).locator("select")
    field = box.locator(".widget-dropdown", has=page.locator("label", has_text="field")).locator("select")
    handle = box.locator(".widget-slider .noUi-handle")
    readout = box.locator(".widget-slider .widget-readout")
    mask = box.locator(".widget-text", has=page.locator("label", has_text="XOR mask")).locator("input")
    verdict = box.locator(":scope > .widget-html .widget-html-content")

    # Part -> the kernel replaces the field choices in the page.
    part.select_option("signature")
    local.part.value = "signature"
    expect(field.locator("option")).to_have_text([str(o) for o in local.field.options])

    # Field -> the kernel resets the byte slider to 0 and sets its range (a range that differs from the
    # first field's, so the wait below cannot pass before the kernel has answered).
    first_max = local.position.max
    chosen = next(f for f in local.field.options if _set_field(local, f) not in {0, 1, first_max})
    field.select_option(chosen)
    expect(handle).to_have_attribute("aria-valuemax", re.compile(rf"^{local.position.max}(\.0+)?$"))
    expect(readout).to_have_text("0")

    # Slider keys, a typed mask, then the button: the verdict comes back from tamper_quote.
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    expect(readout).to_have_text("2")
    mask.fill("5")
    mask.press("Tab")
    local.position.value = 2
    local.mask.value = 5
    local.flip.click()
    assert "signature" in local.verdict.value
    flip.click()
    expect(verdict).to_have_text(html_text(local.verdict.value))
    snapshot(box, "voila-01-quote-lab")


def _set_field(lab: Any, name: str) -> int:
    """Select ``name`` in ``lab`` and return the byte slider's new maximum."""
    lab.field.value = name
    return int(lab.position.max)
