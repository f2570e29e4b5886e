"""Voila renders the tutorial dashboards and their widgets answer the kernel in a real browser.

Expected texts are computed in this process with the same widget class and the same inputs as the page
shows, so the tests check the browser <-> kernel wiring, not the support data.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.browser.conftest import FIRST_RENDER_MS, snapshot

pytestmark = pytest.mark.browser


def html_text(value: str) -> str:
    """What a browser shows as ``textContent`` for an ``HTML`` widget value (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))


def test_compat_explorer_verdict_follows_page_inputs(voila: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.widgets.compat_explorer import CompatExplorer

    page.goto(f"{voila}/voila/render/03_support_matrix.ipynb", timeout=FIRST_RENDER_MS)
    size_label = page.locator("label.widget-label", has_text="VM size")
    box = page.locator(".widget-vbox", has=size_label).first
    expect(box).to_be_visible(timeout=FIRST_RENDER_MS)
    size = box.locator(".widget-text", has=size_label).locator("input")
    image = box.locator(".widget-text", has=page.locator("label", has_text="image / OS")).locator("input")
    generation = box.locator(".widget-dropdown", has=page.locator("label", has_text="generation")).locator(
        "select"
    )
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
