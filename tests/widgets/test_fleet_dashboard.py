"""tlkit.widgets.fleet_dashboard: the pure functions, then the widget driven by its sliders."""

from __future__ import annotations

import dataclasses
import math

import pytest

from tlkit.errors import DataError
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._spec import FleetSpec
from tlkit.fleet._sweep import headline
from tlkit.widgets.fleet_dashboard import (
    BASE_SPEC,
    SLIDERS,
    FleetDashboard,
    dashboard_spec,
    dashboard_view,
    headline_text,
)

SMALL = FleetSpec(
    vms=1_000,
    os_mix={"ubuntu": 0.6, "windows": 0.4},
    kernel_release_every_days=7,
    rollout_waves=2,
    infection_rate=4e-4,
    baseline_policy="lagged",
    baseline_lag_days=2,
    days=20,
    seed=5,
)


def test_sliders_cover_the_base_fleet_and_a_100k_fleet() -> None:
    fields = [s.field for s in SLIDERS]
    assert fields == [
        "vms",
        "secure_boot_adoption",
        "extension_adoption",
        "kernel_release_every_days",
        "baseline_lag_days",
        "infection_rate",
    ]
    vms = SLIDERS[0]
    assert vms.high >= 100_000
    for s in SLIDERS:
        shown = getattr(BASE_SPEC, s.field) / (1e-5 if s.field == "infection_rate" else 1)
        assert s.low <= shown <= s.high, s.field


def test_dashboard_spec_maps_slider_values_to_the_spec() -> None:
    spec = dashboard_spec(SMALL, {"vms": 50_000, "infection_rate": 2.5, "baseline_lag_days": 0})
    assert spec.vms == 50_000
    assert spec.infection_rate == pytest.approx(2.5e-5)  # the slider shows per 100,000 VM-days
    assert (spec.baseline_policy, spec.baseline_lag_days) == ("immediate", 0)
    later = dashboard_spec(SMALL, {"baseline_lag_days": 9.0, "secure_boot_adoption": 0.25})
    assert (later.baseline_policy, later.baseline_lag_days) == ("lagged", 9)
    assert isinstance(later.baseline_lag_days, int)
    assert later.secure_boot_adoption == 0.25
    assert later.seed == SMALL.seed
    with pytest.raises(DataError) as e:
        dashboard_spec(SMALL, {"seed": 3})
    assert e.value.field == "seed"
    with pytest.raises(DataError) as e:
        dashboard_spec(SMALL, {"secure_boot_adoption": 1.5})
    assert e.value.field == "secure_boot_adoption"


def test_headline_text_says_volume_reality_and_detection() -> None:
    numbers = {
        "alerts_per_day": 12.34,
        "alerts_per_1000_vm_days": 0.617,
        "false_positive_share": 0.9,
        "suppressed": 17,
        "attacks": 8,
        "detected_share": 0.75,
        "median_days_to_detect": 1.0,
    }
    assert headline_text(numbers) == (
        "Expected alerts per day for the SOC: 12.3 (0.62 per 1,000 VM-days); real: 10%; "
        "time to detect: median 1.0 days (75% of 8 attacks detected) (17 suppressed)"
    )
    unseen = {**numbers, "detected_share": 0.0, "median_days_to_detect": math.nan}
    assert "none of 8 attacks detected" in headline_text(unseen)
    rare = {**numbers, "false_positive_share": 0.996}
    assert "real: 0.4%;" in headline_text(rare)
    quiet = {**unseen, "alerts_per_day": 0.0, "false_positive_share": math.nan, "attacks": 0}
    assert "real: — (no alerts); no attack in this run" in headline_text(quiet)
    assert "nan" not in headline_text(quiet)


def test_view_is_the_fast_simulation_and_its_headline() -> None:
    view = dashboard_view(SMALL)
    result = simulate_fast(SMALL)
    assert view.numbers == pytest.approx(headline(result), nan_ok=True)
    shown = result.alert_counts.loc[~result.alert_counts["suppressed"], "alerts"].sum()
    assert f"for the SOC: {shown / SMALL.days:.1f} " in view.headline
    assert view.headline == headline_text(view.numbers)


def test_a_base_value_beyond_a_slider_shows_the_clamped_fleet() -> None:
    app = FleetDashboard(dataclasses.replace(SMALL, vms=150))
    assert app.sliders["vms"].value == 1_000
    assert app.view.spec.vms == 1_000  # what the headline describes is what the slider says


def test_moving_a_slider_resimulates_and_redraws() -> None:
    app = FleetDashboard(SMALL)
    assert all(not s.continuous_update for s in app.sliders.values())
    assert app.headline.value == f"<p><b>{dashboard_view(SMALL).headline}</b></p>"
    assert bytes(app.figure.value).startswith(b"\x89PNG")
    before, figure = app.headline.value, app.figure.value
    app.sliders["baseline_lag_days"].value = 10
    want = dashboard_view(dashboard_spec(SMALL, app.values()))
    assert app.view.spec.baseline_lag_days == 10
    assert app.headline.value == f"<p><b>{want.headline}</b></p>"
    assert app.headline.value != before  # ten days behind: more false positives
    assert app.view.numbers["alerts"] > dashboard_view(SMALL).numbers["alerts"]
    assert bytes(app.figure.value) != bytes(figure)
    app.sliders["vms"].value = 100_000
    assert app.view.spec.vms == 100_000
    assert len(app.view.result.inventory) == 100_000


def test_reset_brings_back_the_base_fleet_in_one_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    import tlkit.widgets.fleet_dashboard as dashboard

    app = FleetDashboard(SMALL)
    first = app.headline.value
    app.sliders["baseline_lag_days"].value = 9
    app.sliders["secure_boot_adoption"].value = 0.5
    assert app.headline.value != first
    runs: list[FleetSpec] = []
    real = dashboard.dashboard_view
    monkeypatch.setattr(dashboard, "dashboard_view", lambda spec: runs.append(spec) or real(spec))
    app.reset.click()
    assert runs == [dashboard_spec(SMALL, app.values())]
    assert runs[0].baseline_lag_days == SMALL.baseline_lag_days
    assert runs[0].secure_boot_adoption == SMALL.secure_boot_adoption
    assert app.headline.value == first


def test_text_plain_says_how_to_get_the_widget() -> None:
    app = FleetDashboard(SMALL)
    assert app._repr_mimebundle_()["text/plain"].startswith("FleetDashboard: an interactive widget")
