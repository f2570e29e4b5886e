"""Voila renders the tutorial dashboards offline, and their widgets answer the kernel in a real browser.

Expected texts are computed in this process with the same widget class and the same inputs as the page
shows, so the tests check the browser <-> kernel wiring and what a learner sees, not the support data.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.browser.conftest import assert_offline_and_quiet, open_voila, snapshot, timed
from tests.conftest import fixture_path

pytestmark = pytest.mark.browser

NOTEBOOK_01_NONCE = "db1db298db6d60e6385b7231743e9c3056a18003"
"""The verifier nonce notebook 01 passes to its QuoteLab (keylime's test quote)."""
NOTEBOOKS = (
    "01_vtpm_and_quotes.ipynb",
    "02_event_logs.ipynb",
    "03_support_matrix.ipynb",
    "04_secure_boot_and_measured_boot.ipynb",
    "05_attestation.ipynb",
    "06_defender.ipynb",
    "08_fleet_alert_rates.ipynb",
)

CUT_OFF = """root => [...root.querySelectorAll('input, .widget-label')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => (e.value || e.textContent).trim())"""
"""Visible inputs and widget labels whose content is wider than their box (clipped or ellipsised)."""


def html_text(value: str) -> str:
    """The ``textContent`` a browser shows for an ``HTML`` widget value (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", value))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_page_is_offline_quiet_and_reads_as_a_page(voila: str, page: Any, notebook: str) -> None:
    from playwright.sync_api import expect

    widgets = page.locator(".widget-vbox").first
    open_voila(page, f"{voila}/voila/render/{notebook}", widgets)
    expect(page.locator(".widget-vbox .widget-html, .widget-vbox .widget-label").first).to_be_visible()
    text = page.locator("body").inner_text()
    # Imports: prose under the heading (Voila hides the code cell); no MyST markup shown as text.
    assert re.search(r"Imports\s+One cell loads everything", text)
    assert ":::" not in text
    assert "VBox(children=" not in text
    # The exercise: a self-check saying "not yet", the solution one click away.
    expect(page.get_by_text("✎ not yet")).to_be_visible()
    solution = page.locator("details", has=page.locator("summary", has_text="Solution"))
    expect(solution.locator("pre, code").first).to_be_hidden()
    solution.locator("summary").click()
    expect(solution.locator("pre, code").first).to_be_visible()
    # Widgets sized for their content: no clipped label or input, sliders with room for their range.
    assert page.locator(".widget-vbox").first.evaluate(CUT_OFF) == []
    for track in page.locator(".widget-slider .noUi-target").all():
        assert track.bounding_box()["width"] >= 350
    watch = assert_offline_and_quiet(page)
    assert watch.requests  # the recorder saw the page's own requests
    snapshot(page, f"voila-{notebook.removesuffix('.ipynb')}")


def test_event_table_fits_and_stepper_matches_the_text(voila: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.eventlog import parse
    from tlkit.widgets.pcr_stepper import PcrStepper

    stepper = page.locator(".widget-vbox", has=page.get_by_role("button", name="reset")).last
    open_voila(page, f"{voila}/voila/render/02_event_logs.ipynb", stepper)
    (named,) = re.findall(r"opens at event (\d+)", page.locator("body").inner_text())
    status = stepper.locator(":scope > .widget-label")
    local = PcrStepper(
        parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())
    )
    local.slider.value = int(named)
    expect(status).to_have_text(local.status.value)
    table = page.locator(".jp-OutputArea-output table", has_text="sha256 digest")
    width, room = table.evaluate("t => [t.getBoundingClientRect().width, t.parentElement.clientWidth]")
    assert width <= room, f"event table {width}px in {room}px"
    assert "NaN" not in table.inner_text()
    expect(table.locator("td", has_text="— not extended").first).to_be_visible()
    timed(
        "voila 02 stepper: step ▶",
        lambda: stepper.get_by_role("button", name="step ▶").click(),
        lambda: expect(status).to_have_text(re.compile(rf"^event {int(named) + 1}: ")),
    )
    assert_offline_and_quiet(page)


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
    # CompatExplorer.widget = VBox([HBox, error, HBox, HBox, verdict, reasons, remediations, notes])
    error = box.locator(":scope > .widget-html").nth(0).locator(".widget-html-content")
    verdict = box.locator(":scope > .widget-html").nth(1).locator(".widget-html-content")
    blockers = box.locator(":scope > .widget-html").nth(2).locator(".widget-html-content")

    local = CompatExplorer(size=size.input_value(), image=image.input_value())
    local.generation.label = generation.input_value() or None
    local.as_of.label = as_of.input_value() or None
    expect(verdict).to_have_text(html_text(local.verdict.value))
    expect(blockers).to_have_text(html_text(local.reasons.value))
    seen = {html_text(local.verdict.value)}

    # Typed into the comboboxes: each change goes to the kernel, which rewrites the verdict HTML.
    local.size.value = "Standard_D4s_v5"
    local.image.value = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"
    size.fill(local.size.value)
    timed(
        "voila 03 compat explorer: image typed -> verdict",
        lambda: image.fill(local.image.value),
        lambda: expect(verdict).to_have_text(html_text(local.verdict.value)),
    )
    assert local.report is not None
    assert local.report.compatible
    expect(blockers).to_have_text("blockers: none")

    # Half-typed size: the error appears beside the fields, the verdict stays.
    before = verdict.inner_text()
    local.size.value = "Standard_D4s_v"
    timed(
        "voila 03 compat explorer: invalid size typed -> input error",
        lambda: size.fill(local.size.value),
        lambda: expect(error).to_have_text(html_text(local.error.value)),
    )
    assert "VM size" in error.inner_text() or "size" in error.inner_text()
    expect(verdict).to_have_text(before)
    local.size.value = "Standard_D4s_v5"
    size.fill(local.size.value)
    expect(error).to_have_text("")

    # A dropdown choice: Gen1 blocks Trusted Launch on the same size and image.
    local.generation.label = "Gen1"
    timed(
        "voila 03 compat explorer: generation chosen -> verdict",
        lambda: generation.select_option("Gen1"),
        lambda: expect(verdict).to_have_text(html_text(local.verdict.value)),
    )
    assert not local.report.compatible
    expect(blockers).to_have_text(html_text(local.reasons.value))
    seen.add(html_text(local.verdict.value))
    assert len(seen) >= 2
    snapshot(box, "voila-03-compat-explorer")
    assert_offline_and_quiet(page)


def test_quote_lab_shows_the_untouched_verdict_then_the_flip(voila: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.tpm import read_pcrs
    from tlkit.widgets.quote_lab import QuoteLab

    def read(name: str) -> bytes:
        return fixture_path(f"keylime/test-data/files/{name}").read_bytes()

    local = QuoteLab(
        read("quote.out"),
        read("quotesig.out"),
        read_pcrs(read("quotepcr.out")),
        bytes.fromhex(NOTEBOOK_01_NONCE),
        read("akpub.pem"),
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
    expect(verdict).to_have_text(html_text(local.verdict.value))  # untouched, nothing flipped yet
    assert "untouched quote: passed" in verdict.inner_text()

    # Part -> the kernel replaces the field choices in the page.
    local.part.value = "signature"
    timed(
        "voila 01 quote lab: part chosen -> field options",
        lambda: part.select_option("signature"),
        lambda: expect(field.locator("option")).to_have_text([str(o) for o in local.field.options]),
    )

    # Field -> the kernel resets the byte slider to 0 and sets its range.
    first_max = local.position.max
    chosen = next(f for f in local.field.options if _set_field(local, f) not in {0, 1, first_max})
    field.select_option(chosen)
    expect(handle).to_have_attribute("aria-valuemax", re.compile(rf"^{local.position.max}(\.0+)?$"))
    expect(readout).to_have_text("0")
    track = box.locator(".widget-slider .noUi-target").bounding_box()
    assert track["width"] >= 350, f"a {local.position.max + 1}-byte slider {track['width']}px wide"

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
    timed(
        "voila 01 quote lab: Flip and verify -> verdict",
        flip.click,
        lambda: expect(verdict).to_have_text(html_text(local.verdict.value)),
    )
    snapshot(box, "voila-01-quote-lab")
    assert_offline_and_quiet(page)


def _set_field(lab: Any, name: str) -> int:
    """Select ``name`` in ``lab`` and return the byte slider's new maximum."""
    lab.field.value = name
    return int(lab.position.max)


def test_fleet_dashboard_headline_follows_the_lag_slider(voila: str, page: Any) -> None:
    """Notebook 08's dashboard: a key on the baseline-lag slider re-simulates the fleet in the kernel, and
    the page shows the headline :func:`tlkit.widgets.fleet_dashboard.dashboard_view` computes here."""
    from playwright.sync_api import expect

    from tlkit.widgets.fleet_dashboard import BASE_SPEC, dashboard_spec, dashboard_view

    lag_label = page.locator("label.widget-label", has_text=re.compile(r"^baseline lag"))
    # FleetDashboard.widget = VBox([*sliders, HBox([reset, headline]), figure])
    box = page.locator(".widget-vbox", has=lag_label).filter(has=page.locator(".widget-image")).last
    open_voila(page, f"{voila}/voila/render/08_fleet_alert_rates.ipynb", box)
    headline = box.locator(":scope > .widget-hbox > .widget-html .widget-html-content")
    expect(headline).to_have_text(dashboard_view(BASE_SPEC).headline)
    lag = box.locator(".widget-slider", has=lag_label)
    handle = lag.locator(".noUi-handle")
    readout = lag.locator(".widget-readout")
    expect(readout).to_have_text(str(BASE_SPEC.baseline_lag_days))
    want = dashboard_view(dashboard_spec(BASE_SPEC, {"baseline_lag_days": BASE_SPEC.baseline_lag_days + 1}))
    assert want.headline != dashboard_view(BASE_SPEC).headline
    handle.focus()
    timed(
        "voila 08 fleet dashboard: lag slider key -> re-simulated headline",
        lambda: handle.press("ArrowRight"),
        lambda: expect(headline).to_have_text(want.headline),
    )
    expect(readout).to_have_text(str(BASE_SPEC.baseline_lag_days + 1))
    image = box.locator(".widget-image")
    expect(image).to_have_count(1)
    assert image.bounding_box()["width"] > 300  # the figure is drawn, not an empty box
    snapshot(box, "voila-08-fleet-dashboard")
    assert_offline_and_quiet(page)
