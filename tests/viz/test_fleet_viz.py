"""tlkit.viz.fleet: what the figures draw is the aggregates, divided by the right VM-days.

The fleet is hand-made (aggregate tables as the design contract fixes them), so every expected number
below is worked out by hand; ``test_a_simulated_fleet_draws_its_own_aggregates`` repeats the
read-back on a fast-mode simulation.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tlkit.attest import CODES
from tlkit.errors import DataError
from tlkit.fleet import FleetSpec
from tlkit.fleet._result import (
    AGGREGATE_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    FleetResult,
    empty,
    finding_columns,
)
from tlkit.viz.fleet import (
    SUPPRESSED,
    SUPPRESSED_COLOR,
    alert_rate_figure,
    cause_colours,
    cause_figure,
    cause_table,
    daily_alert_rates,
    dashboard_figure,
    family_os_heatmap,
    family_os_rates,
    lag_figure,
)

ALERT = "Attestation failed your virtual machine"
ALERT_COLUMNS = ["day", "os", "family", "name", "cause", "compromised", "suppressed", "alerts"]


def _fleet(rows: list[tuple[Any, ...]]) -> FleetResult:
    """10 VMs over 5 days: 6 ubuntu/Dsv5, 3 windows/Dsv5, 1 windows/NCv3 (no ubuntu/NCv3); the
    aggregate tables the figures do not read are empty."""
    kinds = [("ubuntu", "Dsv5")] * 6 + [("windows", "Dsv5")] * 3 + [("windows", "NCv3")]
    inventory = pd.DataFrame(
        {
            "vm": [f"vm-{i:02d}" for i in range(10)],
            "os": [o for o, _ in kinds],
            "family": [f for _, f in kinds],
        },
    )
    alerts = pd.DataFrame(rows, columns=ALERT_COLUMNS).astype(
        {"day": "int64", "compromised": "bool", "suppressed": "bool", "alerts": "int64"}
    )
    tables = {name: empty(columns) for name, (columns, _) in AGGREGATE_COLUMNS.items()}
    rows_tables = {"events": empty(EVENT_COLUMNS), "attestations": empty(ATTESTATION_COLUMNS)}
    return FleetResult(
        FleetSpec(vms=10, days=5),
        "fast",
        inventory,
        **(tables | {"alert_counts": alerts}),
        detections=empty(DETECTION_COLUMNS),
        findings=empty(finding_columns()),
        **rows_tables,
    )


@pytest.fixture
def fleet() -> FleetResult:
    return _fleet(
        [
            (1, "ubuntu", "Dsv5", ALERT, "pcr-mismatch", False, False, 3),  # a kernel update, baseline behind
            (1, "windows", "NCv3", ALERT, "secure-boot-disabled", False, True, 1),  # GPU VM, suppressed
            (2, "ubuntu", "Dsv5", ALERT, "pcr-mismatch", False, False, 1),
            (2, "windows", "Dsv5", ALERT, "ak-untrusted", True, False, 2),  # a vTPM man in the middle
            (4, "windows", "Dsv5", ALERT, "pcr-mismatch", True, False, 1),  # a bootkit
            (4, "windows", "NCv3", ALERT, "secure-boot-disabled", False, True, 1),
        ]
    )


def test_daily_rates_split_real_from_false_positives(fleet: FleetResult) -> None:
    rates = daily_alert_rates(fleet, "truth")
    assert list(rates.index) == [0, 1, 2, 3, 4]  # quiet days are zeros, not missing
    # 10 VMs a day: one alert = 100 per 1,000 VM-days; suppressed alerts are not what the SOC sees
    assert rates["all alerts"].tolist() == [0.0, 300.0, 300.0, 0.0, 100.0]
    assert rates["real"].tolist() == [0.0, 0.0, 200.0, 0.0, 100.0]
    assert rates["false positive"].tolist() == [0.0, 300.0, 100.0, 0.0, 0.0]
    assert daily_alert_rates(fleet, None).columns.tolist() == ["all alerts"]
    causes = daily_alert_rates(fleet, "cause")
    assert causes.columns.tolist() == ["ak-untrusted", "pcr-mismatch"]
    assert causes["pcr-mismatch"].tolist() == [0.0, 300.0, 100.0, 0.0, 100.0]


def test_rate_figure_draws_the_daily_rates(fleet: FleetResult) -> None:
    fig = alert_rate_figure(fleet)
    top, bottom = fig.axes
    drawn = {line.get_label(): line.get_ydata() for line in top.get_lines()}
    truth = daily_alert_rates(fleet, "truth")
    assert set(drawn) == {"all alerts", "real", "false positive"}
    for name, values in drawn.items():
        np.testing.assert_array_equal(values, truth[name].to_numpy())
    by_cause = {line.get_label(): line.get_ydata() for line in bottom.get_lines()}
    causes = daily_alert_rates(fleet, "cause")
    assert set(by_cause) == set(causes.columns)
    for name, values in by_cause.items():
        np.testing.assert_array_equal(values, causes[name].to_numpy())
    np.testing.assert_array_equal(top.get_lines()[0].get_xdata(), [0, 1, 2, 3, 4])
    logged, logged_causes = alert_rate_figure(fleet, log=True).axes
    assert logged.get_yscale() == logged_causes.get_yscale() == "symlog"
    np.testing.assert_array_equal(logged.get_lines()[1].get_ydata(), truth["real"].to_numpy())


def test_cause_table_keeps_suppressed_apart(fleet: FleetResult) -> None:
    days = cause_table(fleet, "day")
    assert days.columns.tolist() == ["ak-untrusted", "pcr-mismatch", SUPPRESSED]
    assert days[SUPPRESSED].tolist() == [0.0, 100.0, 0.0, 0.0, 100.0]
    # every alert, shown or suppressed, is in exactly one segment
    assert days.to_numpy().sum() * 10 / 1000 == fleet.alert_counts["alerts"].sum()
    oses = cause_table(fleet, "os")
    # ubuntu: 6 VMs x 5 days = 30 VM-days, 4 pcr-mismatch alerts; windows: 20 VM-days
    assert oses.loc["ubuntu", "pcr-mismatch"] == pytest.approx(1000 * 4 / 30)
    assert oses.loc["windows"].tolist() == pytest.approx([1000 * 2 / 20, 1000 * 1 / 20, 1000 * 2 / 20])
    with pytest.raises(DataError, match="by must be"):
        cause_table(fleet, "region")


def _stacks(fig: Figure) -> dict[tuple[float, str], float]:
    """(bar position, colour) -> height, for every bar segment drawn."""
    (ax,) = [a for a in fig.axes if a.patches]
    return {
        (round(p.get_x() + p.get_width() / 2, 6), matplotlib.colors.to_hex(p.get_facecolor())): p.get_height()
        for p in ax.patches
    }


def test_cause_bars_are_the_cause_table(fleet: FleetResult) -> None:
    for by in ("day", "os"):
        fig = cause_figure(fleet, by)
        table = cause_table(fleet, by)
        (ax,) = fig.axes
        heights = np.array([p.get_height() for p in ax.patches]).reshape(len(table.columns), len(table))
        np.testing.assert_allclose(heights, table.to_numpy().T)  # one bar series per column, in order
        tops = np.array([p.get_y() + p.get_height() for p in ax.patches]).reshape(heights.shape)[-1]
        np.testing.assert_allclose(tops, table.sum(axis=1).to_numpy())  # stacked, not overlaid
        suppressed = [h for (_, colour), h in _stacks(fig).items() if colour == SUPPRESSED_COLOR]
        assert sum(suppressed) == pytest.approx(table[SUPPRESSED].sum())
        assert ax.patches[-1].get_hatch() == "//"
    ticks = cause_figure(fleet, "os").axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks] == ["ubuntu", "windows"]


def test_dashboard_figure_puts_rates_beside_causes(fleet: FleetResult) -> None:
    rates, causes = dashboard_figure(fleet).axes
    assert rates.get_yscale() == "symlog"  # real alerts visible beside a hundred times more false ones
    truth = daily_alert_rates(fleet, "truth")
    drawn = {line.get_label(): line.get_ydata() for line in rates.get_lines()}
    assert set(drawn) == set(truth.columns)
    for name, values in drawn.items():
        np.testing.assert_array_equal(values, truth[name].to_numpy())
    table = cause_table(fleet, "os")
    heights = np.array([p.get_height() for p in causes.patches]).reshape(len(table.columns), len(table))
    np.testing.assert_allclose(heights, table.to_numpy().T)


def test_a_code_has_one_colour_in_every_figure() -> None:
    alone = cause_colours(["baseline-deviation"])
    mixed = cause_colours(["ak-untrusted", "baseline-deviation", "x+y", "z"])
    assert alone["baseline-deviation"] == mixed["baseline-deviation"]
    assert len(set(mixed.values())) == 4  # a cause that is no code takes a colour no code here uses
    everything = cause_colours(list(CODES))
    assert len(set(everything.values())) == len(CODES)


def test_heatmap_shows_rates_per_family_and_os(fleet: FleetResult) -> None:
    rates = family_os_rates(fleet)
    assert rates.index.tolist() == ["Dsv5", "NCv3"]
    assert rates.columns.tolist() == ["ubuntu", "windows"]
    assert rates.loc["Dsv5", "ubuntu"] == pytest.approx(1000 * 4 / 30)
    assert rates.loc["Dsv5", "windows"] == pytest.approx(1000 * 3 / 15)
    assert rates.loc["NCv3", "windows"] == 0.0  # its two alerts are suppressed
    assert np.isnan(rates.loc["NCv3", "ubuntu"])  # no such VM: no rate, not zero
    fig = family_os_heatmap(fleet)
    ax = fig.axes[0]
    (image,) = ax.get_images()
    drawn = image.get_array()
    np.testing.assert_allclose(drawn.filled(np.nan), rates.to_numpy(), equal_nan=True)
    assert drawn.mask[1, 0]
    assert sorted(t.get_text() for t in ax.texts) == sorted(["133.33", "200.00", "—", "0.00"])


def test_lag_figure_draws_the_sweep_table() -> None:
    table = pd.DataFrame(
        {
            "value": [7, 0, 3],
            "alerts_per_1000_vm_days": [9.0, 1.0, 4.5],
            "false_positive_share": [0.9, 0.0, 0.75],
        }
    )
    fig = lag_figure(table)
    share_ax, rate_ax = fig.axes
    (share,) = share_ax.get_lines()
    (rate,) = rate_ax.get_lines()
    np.testing.assert_array_equal(share.get_xdata(), [0, 3, 7])
    np.testing.assert_allclose(share.get_ydata(), [0.0, 75.0, 90.0])
    np.testing.assert_allclose(rate.get_ydata(), [1.0, 4.5, 9.0])


def test_a_fleet_without_alerts_draws_zeros() -> None:
    quiet = _fleet([])
    assert daily_alert_rates(quiet, "truth").to_numpy().sum() == 0
    fig = alert_rate_figure(quiet)
    assert "no alerts" in [t.get_text() for t in fig.axes[1].texts]
    assert cause_table(quiet, "day").columns.tolist() == [SUPPRESSED]
    assert _stacks(cause_figure(quiet, "os"))
    heat = family_os_rates(quiet)
    assert heat.fillna(0).to_numpy().sum() == 0
    assert isinstance(family_os_heatmap(quiet), Figure)


def test_a_simulated_fleet_draws_the_metrics_rates() -> None:
    """On a fast-mode fleet, the figures' numbers are :func:`tlkit.fleet.alert_rates`' (one definition of
    "per 1,000 VM-days", whichever module divides)."""
    from tlkit.fleet._fast import simulate_fast
    from tlkit.fleet._metrics import alert_rates
    from tlkit.fleet._spec import FleetSpec

    spec = FleetSpec(
        vms=600, os_mix={"ubuntu": 0.5, "windows": 0.5}, family_mix={"Dsv5": 0.7, "NCasT4_v3": 0.3},
        kernel_release_every_days=4, baseline_policy="lagged", baseline_lag_days=2, infection_rate=0.002,
        driver_install_rate=0.01, secure_boot_off_for_driver=0.5, days=12, seed=4,
    )  # fmt: skip
    result = simulate_fast(spec)
    by_day = alert_rates(result, ["day", "compromised"])
    real = by_day[by_day["compromised"]].set_index("day")["per_1000_vm_days"]
    truth = daily_alert_rates(result, "truth")
    np.testing.assert_allclose(truth["real"].loc[real.index], real)
    np.testing.assert_allclose(truth["all alerts"], alert_rates(result, "day")["per_1000_vm_days"])
    cells = alert_rates(result, ["family", "os"]).set_index(["family", "os"])["per_1000_vm_days"]
    np.testing.assert_allclose(family_os_rates(result).stack().sort_index(), cells.sort_index())
    per_os = alert_rates(result, ["os", "cause"]).set_index(["os", "cause"])["per_1000_vm_days"]
    table = cause_table(result, "os").drop(columns=SUPPRESSED).stack()
    np.testing.assert_allclose(table[table > 0].sort_index(), per_os.sort_index())
    (image,) = family_os_heatmap(result).axes[0].get_images()
    np.testing.assert_allclose(image.get_array().filled(np.nan), family_os_rates(result).to_numpy())
