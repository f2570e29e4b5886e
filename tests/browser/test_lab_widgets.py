"""JupyterLab draws the saved widgets before anything runs; it runs the event-log notebook and the PCR
stepper answers buttons and keys in a real browser.

The notebook leaves the stepper at some event; the test first presses ``reset`` (the kernel handles it
after every cell has run), so each later state is known: expected labels come from a
:class:`tlkit.widgets.pcr_stepper.PcrStepper` built in this process over the same log.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import (
    FIRST_RENDER_MS,
    assert_offline_and_quiet,
    fail_on_tracebacks,
    snapshot,
    timed,
)
from tests.conftest import REPO, fixture_path

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/02_event_logs.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LOG = "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin"
"""The log the notebook's stepper walks (its ``log`` cell)."""

RUN_ALL = """async () => {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('run-all-cells still running after %d ms')), %d));
  return await Promise.race([window.jupyterapp.commands.execute('notebook:run-all-cells'), timeout]);
}"""


KERNEL_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return !!kernel && panel.context.isReady && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle';
}"""


def run_all_cells(page: Any, timeout_ms: int) -> None:
    """Run every cell through JupyterLab's command and wait until the last one has finished."""
    page.evaluate(RUN_ALL % (timeout_ms, timeout_ms))


@pytest.mark.parametrize(
    "notebook",
    [
        "01_vtpm_and_quotes.ipynb",
        "02_event_logs.ipynb",
        "03_support_matrix.ipynb",
        "04_secure_boot_and_measured_boot.ipynb",
        "05_attestation.ipynb",
        "06_defender.ipynb",
        "08_fleet_alert_rates.ipynb",
    ],
)
def test_saved_widgets_are_drawn_before_running(lab: str, page: Any, notebook: str) -> None:
    """Opened, not run: every widget cell shows the widget (from the saved state), not its text repr."""
    from playwright.sync_api import expect

    # A workspace of its own per notebook (?reset): no tab of an earlier test is restored beside it.
    page.goto(
        f"{lab}/lab/workspaces/saved-{notebook[:2]}/tree/notebooks/{notebook}?reset", timeout=FIRST_RENDER_MS
    )
    panel = page.locator(".jp-NotebookPanel").filter(visible=True)
    outputs = panel.locator(".jp-OutputArea-output")
    expect(outputs.first).to_be_visible(timeout=FIRST_RENDER_MS)
    cells = json.loads((REPO / "notebooks" / notebook).read_text())["cells"]
    saved = sum(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c.get("outputs", []))
    drawn = outputs.filter(has=page.locator(".widget-vbox"))
    expect(drawn).to_have_count(saved, timeout=FIRST_RENDER_MS)
    for k in range(saved):
        expect(drawn.nth(k).locator(".widget-hbox").first).to_be_visible()
    expect(outputs.filter(has_text="an interactive widget")).to_have_count(0)
    if notebook.startswith("02"):
        expect(panel.locator(".widget-vbox > .widget-label").first).to_have_text(
            re.compile(r"^event 26: PCR 4 = ")
        )
    snapshot(page, f"lab-{notebook.removesuffix('.ipynb')}-before-run")
    assert_offline_and_quiet(page)


def test_pcr_stepper_follows_buttons_and_keys(lab: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tlkit.eventlog import parse
    from tlkit.widgets.pcr_stepper import PcrStepper

    local = PcrStepper(parse(fixture_path(LOG).read_bytes()), bank="sha256")

    def status_at(index: int) -> str:
        local.slider.value = index
        return local.status.value

    page.goto(f"{lab}/lab/workspaces/run-all/tree/{NOTEBOOK}?reset", timeout=FIRST_RENDER_MS)
    # Run-all before the kernel is connected would open a "Select Kernel" dialog instead.
    page.wait_for_function(KERNEL_READY, timeout=FIRST_RENDER_MS)
    run_all_cells(page, 2 * FIRST_RENDER_MS)
    fail_on_tracebacks(page, NOTEBOOK)

    # PcrStepper.widget = VBox([HBox([play, slider, back, step, reset]), status, event, table])
    panel = page.locator(".jp-NotebookPanel").filter(visible=True)
    controls = page.locator(".widget-hbox", has=page.locator(".widget-slider")).filter(
        has=page.get_by_role("button", name="reset")
    )
    stepper = panel.locator(".widget-vbox", has=controls).last
    status = stepper.locator(":scope > .widget-label")
    event = stepper.locator(":scope > .widget-html").nth(0)
    expect(status).to_have_text(re.compile(r"^event \d+: "), timeout=FIRST_RENDER_MS)

    stepper.get_by_role("button", name="reset").click()
    expect(status).to_have_text(status_at(0))
    expect(event).to_contain_text(f"event 0 of {len(local.log)}")

    timed(
        "lab 02 stepper: step ▶",
        lambda: stepper.get_by_role("button", name="step ▶").click(),
        lambda: expect(status).to_have_text(status_at(1)),
    )
    stepper.get_by_role("button", name="step ▶").click()
    expect(status).to_have_text(status_at(2))
    stepper.get_by_role("button", name="◀ back").click()
    expect(status).to_have_text(status_at(1))

    # The slider is a noUiSlider: keys on its handle change the value in the page, the kernel's
    # observer rewrites the label.
    handle = stepper.locator(".widget-slider .noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    expect(status).to_have_text(status_at(2))
    last = len(local.log) - 1
    timed(
        "lab 02 stepper: End key on the slider",
        lambda: handle.press("End"),
        lambda: expect(status).to_have_text(status_at(last)),
    )
    expect(stepper.locator(".widget-slider .widget-readout")).to_have_text(str(last))

    snapshot(stepper, "lab-02-pcr-stepper")


def test_scenario_switcher_follows_the_dropdown(lab: str, page: Any) -> None:
    """Notebook 04's scenario switcher: choosing a scenario in the page boots it in the kernel and the
    verdict (boots?, refused, PCRs moved) is the one a switcher built in this process shows."""
    from playwright.sync_api import expect

    from tlkit.widgets.scenario_switcher import ScenarioSwitcher

    nb = "notebooks/04_secure_boot_and_measured_boot.ipynb"
    local = ScenarioSwitcher(seed=0)

    page.goto(f"{lab}/lab/workspaces/run-04/tree/{nb}?reset", timeout=FIRST_RENDER_MS)
    page.wait_for_function(KERNEL_READY, timeout=FIRST_RENDER_MS)
    run_all_cells(page, 4 * FIRST_RENDER_MS)
    fail_on_tracebacks(page, nb)

    # ScenarioSwitcher.widget = VBox([HBox([choice]), verdict, title, decisions, title, pcrs])
    panel = page.locator(".jp-NotebookPanel").filter(visible=True)
    switcher = panel.locator(".widget-vbox", has=page.locator(".widget-dropdown select")).last
    select = switcher.locator(".widget-dropdown select")
    verdict = switcher.locator(":scope > .widget-html").first
    cases = (
        ("secure-boot-off", "boots: yes", "PCRs moved: 7"),
        ("bootkit", "boots: NO", "PCRs moved: 4, 5, 7, 8, 9"),
    )
    for name, boots, moved in cases:
        local.choice.value = name
        assert boots in local.verdict.value  # what the page must show
        assert moved in local.verdict.value
        timed(
            f"lab 04 switcher: choose {name}",
            lambda name=name: select.select_option(name),
            lambda boots=boots: expect(verdict).to_contain_text(boots, timeout=FIRST_RENDER_MS),
        )
        expect(verdict).to_contain_text(moved)
        last = local.boot(name).decisions[-1]
        expect(switcher.locator("table").first).to_contain_text(last.component)
    snapshot(switcher, "lab-04-scenario-switcher")


def test_fleet_dashboard_follows_its_lag_slider(lab: str, page: Any) -> None:
    """Notebook 08 run in JupyterLab: a key on the dashboard's baseline-lag slider re-simulates the fleet
    in the kernel, and the headline becomes what :func:`tlkit.widgets.fleet_dashboard.dashboard_view`
    computes here for the sliders' new values."""
    from playwright.sync_api import expect

    from tlkit.widgets.fleet_dashboard import BASE_SPEC, dashboard_spec, dashboard_view

    nb = "notebooks/08_fleet_alert_rates.ipynb"
    page.goto(f"{lab}/lab/workspaces/run-08/tree/{nb}?reset", timeout=FIRST_RENDER_MS)
    page.wait_for_function(KERNEL_READY, timeout=FIRST_RENDER_MS)
    run_all_cells(page, 4 * FIRST_RENDER_MS)
    fail_on_tracebacks(page, nb)

    # FleetDashboard.widget = VBox([*sliders, HBox([reset, headline]), figure])
    panel = page.locator(".jp-NotebookPanel").filter(visible=True)
    lag_label = page.locator("label.widget-label", has_text=re.compile(r"^baseline lag"))
    box = panel.locator(".widget-vbox", has=lag_label).filter(has=page.locator(".widget-image")).last
    headline = box.locator(":scope > .widget-hbox > .widget-html .widget-html-content")
    lag = box.locator(".widget-slider", has=lag_label)
    expect(headline).to_have_text(dashboard_view(BASE_SPEC).headline, timeout=FIRST_RENDER_MS)
    want = dashboard_view(dashboard_spec(BASE_SPEC, {"baseline_lag_days": BASE_SPEC.baseline_lag_days - 1}))
    handle = lag.locator(".noUi-handle")
    handle.focus()
    timed(
        "lab 08 fleet dashboard: lag slider key -> re-simulated headline",
        lambda: handle.press("ArrowLeft"),
        lambda: expect(headline).to_have_text(want.headline),
    )
    box.get_by_role("button", name="reset").click()
    expect(headline).to_have_text(dashboard_view(BASE_SPEC).headline)
    expect(lag.locator(".widget-readout")).to_have_text(str(BASE_SPEC.baseline_lag_days))
    snapshot(box, "lab-08-fleet-dashboard")
