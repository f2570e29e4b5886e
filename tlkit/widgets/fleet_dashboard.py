"""Fleet dashboard: sliders for a fleet's size, adoption, update cadence, baseline lag and infection
rate; each change re-simulates the fleet in fast mode and redraws the SOC's headline and its figure.

What the dashboard shows is computed by pure functions, tested without a browser:
:func:`dashboard_spec` (slider values -> :class:`~tlkit.fleet.FleetSpec`), :func:`dashboard_view`
(spec -> simulated fleet, :func:`tlkit.fleet._sweep.headline` numbers, the headline sentence) and
:func:`headline_text`. :class:`FleetDashboard` only wires sliders to them: its handler writes the
sentence into an ``HTML`` value and the figures, rendered to PNG, into ``Image`` values (never
``print``, never an ``Output`` capture). Sliders send their value on release
(``continuous_update=False``): dragging through 100 positions would otherwise run 100 simulations.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import ipywidgets as w
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._result import FleetResult
from tlkit.fleet._spec import FleetSpec
from tlkit.fleet._sweep import headline, with_value
from tlkit.viz.fleet import dashboard_figure
from tlkit.widgets._common import LABELS, WidgetApp, slider_layout

__all__ = ["BASE_SPEC", "SLIDERS", "DashboardView", "FleetDashboard", "Slider", "dashboard_spec",
           "dashboard_view", "headline_text"]  # fmt: skip


@dataclass(frozen=True)
class Slider:
    """One dashboard control: the :class:`~tlkit.fleet.FleetSpec` field it sets and its range."""

    field: str
    description: str
    low: float
    high: float
    step: float
    integer: bool = False
    percent: bool = False


SLIDERS: Final = (
    Slider("vms", "fleet size (VMs)", 1_000, 100_000, 1_000, integer=True),
    Slider("secure_boot_adoption", "Secure Boot adoption", 0.0, 1.0, 0.05, percent=True),
    Slider("extension_adoption", "extension coverage", 0.0, 1.0, 0.05, percent=True),
    Slider("kernel_release_every_days", "kernel release every (days; 0 = never)", 0, 30, 1, integer=True),
    Slider("baseline_lag_days", "baseline lag (days; 0 = immediate)", 0, 14, 1, integer=True),
    Slider("infection_rate", "infections per 100k VM-days", 0.0, 50.0, 0.5),
)
"""The dashboard's sliders, in order. ``infection_rate`` is shown per 100,000 VM-days (a rate per
VM-day is a tiny number on a slider) and divided by 100,000 into the spec."""
_SCALE: Final = {"infection_rate": 1e-5}

BASE_SPEC: Final = FleetSpec(
    vms=20_000,
    os_mix={"ubuntu": 0.6, "windows": 0.4},
    family_mix={"Dsv5": 0.5, "Esv5": 0.3, "NCasT4_v3": 0.2},
    secure_boot_adoption=0.9,
    extension_adoption=0.8,
    kernel_release_every_days=14,
    rollout_waves=4,
    wave_spacing_days=1,
    driver_install_rate=0.0005,
    secure_boot_off_for_driver=0.5,
    infection_rate=5e-5,
    mitm_rate=1e-5,
    extension_outage_rate=0.001,
    baseline_policy="lagged",
    baseline_lag_days=3,
    days=30,
    seed=0,
)
"""The fleet the dashboard opens on: 20,000 VMs for 30 days, a kernel release every 14 days in four
daily waves, baselines updated 3 days late, some GPU VMs with Secure Boot off by design."""


def _slider_value(spec: FleetSpec, s: Slider) -> float:
    return float(getattr(spec, s.field)) / _SCALE.get(s.field, 1.0)


def dashboard_spec(base: FleetSpec, values: Mapping[str, float]) -> FleetSpec:
    """``base`` with the slider ``values`` (field -> value as the slider shows it) applied.

    Raises:
        DataError: a field that is not a slider, or a value the spec refuses (``field`` names it).
    """
    spec = base
    known = {s.field: s for s in SLIDERS}
    for field, value in values.items():
        if field not in known:
            raise DataError(f"{field!r} is not a dashboard slider; sliders: {', '.join(known)}", field=field)
        shown = round(float(value)) if known[field].integer else float(value)
        spec = with_value(spec, field, shown * _SCALE[field] if field in _SCALE else shown)
    return spec


@dataclass(frozen=True)
class DashboardView:
    """What the dashboard shows for one spec.

    Attributes:
        spec: the simulated spec.
        result: its fast-mode :class:`~tlkit.fleet.FleetResult`.
        numbers: :func:`tlkit.fleet._sweep.headline` of the result.
        headline: the sentence above the figures (:func:`headline_text`).
    """

    spec: FleetSpec
    result: FleetResult
    numbers: Mapping[str, Any]
    headline: str


def _percent(share: float) -> str:
    """A share as a percentage: one decimal below 10% (a 0.4% real share is not "0%")."""
    if math.isnan(share):
        return "—"
    return f"{100 * share:.1f}%" if 100 * share < 9.95 else f"{100 * share:.0f}%"


def headline_text(numbers: Mapping[str, Any]) -> str:
    """The SOC's sentence: expected alerts per day, the share that is real, the time to detect.

    Undefined numbers (NaN: no alerts, no attack detected) are said in words, never shown as "nan".
    """
    fp = float(numbers["false_positive_share"])
    real = "— (no alerts)" if math.isnan(fp) else _percent(1.0 - fp)
    attacks = int(numbers["attacks"])
    median = float(numbers["median_days_to_detect"])
    if not attacks:
        detect = "no attack in this run"
    elif math.isnan(median):
        detect = f"none of {attacks} attacks detected"
    else:
        detect = (
            f"time to detect: median {median:.1f} days ({_percent(float(numbers['detected_share']))} of "
            f"{attacks} attacks detected)"
        )
    return (
        f"Expected alerts per day for the SOC: {float(numbers['alerts_per_day']):.1f} "
        f"({float(numbers['alerts_per_1000_vm_days']):.2f} per 1,000 VM-days); real: {real}; {detect} "
        f"({int(numbers['suppressed'])} suppressed)"
    )


def dashboard_view(spec: FleetSpec) -> DashboardView:
    """Simulate ``spec`` in fast mode and compute the dashboard's numbers and sentence."""
    result = simulate_fast(spec)
    numbers = headline(result)
    return DashboardView(spec, result, numbers, headline_text(numbers))


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=72)
    plt.close(fig)
    return buffer.getvalue()


class FleetDashboard(WidgetApp):
    """Sliders (:data:`SLIDERS`) over a fleet; every change re-simulates it (fast mode) and redraws.

    Args:
        base: the fleet the sliders start from and modify (default :data:`BASE_SPEC`); a value outside a
            slider's range is clamped by the slider, and the fleet shown is the sliders' one.

    Attributes:
        sliders: field -> slider, in :data:`SLIDERS` order.
        reset: Button: every slider back to ``base`` (one re-simulation).
        headline: HTML: the sentence of :func:`headline_text` for the current fleet.
        figure: Image: :func:`tlkit.viz.fleet.dashboard_figure` (daily rates, causes per OS) as PNG.
        view: the current :class:`DashboardView`.
        widget: the assembled box to display.
    """

    def __init__(self, base: FleetSpec = BASE_SPEC) -> None:
        self.base = base
        self.sliders: dict[str, w.FloatSlider | w.IntSlider] = {}
        for s in SLIDERS:
            kind = w.IntSlider if s.integer else w.FloatSlider
            extra = {"readout_format": ".0%"} if s.percent else {}
            slider = kind(
                value=_slider_value(base, s), min=s.low, max=s.high, step=s.step, description=s.description,
                continuous_update=False, style=LABELS, layout=slider_layout(), **extra,
            )  # fmt: skip
            slider.observe(self._on_change, names="value")
            self.sliders[s.field] = slider
        self.headline = w.HTML()
        self.reset = w.Button(description="reset", tooltip="the sliders back to the base fleet")
        self.reset.on_click(self._on_reset)
        self.figure = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.widget = w.VBox([*self.sliders.values(), w.HBox([self.reset, self.headline]), self.figure])
        self._holding = False
        self._on_change(None)  # the sliders' own values: a base value outside a range shows clamped

    def values(self) -> dict[str, float]:
        """The sliders' values, field -> value as shown."""
        return {field: slider.value for field, slider in self.sliders.items()}

    def _on_change(self, change: Any) -> None:
        if self._holding:
            return
        self.view = dashboard_view(dashboard_spec(self.base, self.values()))
        self._render()

    def _on_reset(self, button: Any) -> None:
        """Every slider back to the base fleet's value, then one re-simulation (not one per slider)."""
        self._holding = True
        try:
            for s in SLIDERS:
                self.sliders[s.field].value = _slider_value(self.base, s)
        finally:
            self._holding = False
        self._on_change(None)

    def _render(self) -> None:
        self.headline.value = f"<p><b>{html.escape(self.view.headline)}</b></p>"
        self.figure.value = _png(dashboard_figure(self.view.result))
