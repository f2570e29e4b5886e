"""tlkit.viz.defender: the bars count what assess() found, shown and suppressed apart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.figure import Figure

from tlkit.defender._assess import assess
from tlkit.defender._model import demo_fleet
from tlkit.viz.defender import SUPPRESSED_COLOR, findings_by_name_figure, findings_by_severity_figure


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    fleet = demo_fleet()
    return assess(fleet.vms, fleet.history)


def _bars(fig: Figure) -> dict[str, list[tuple[str, float]]]:
    """Per y label: (colour, width) of each bar segment, bottom segment first."""
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_yticklabels()]
    out: dict[str, list[tuple[str, float]]] = {label: [] for label in labels}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        colour = matplotlib.colors.to_hex(patch.get_facecolor())
        out[labels[y]].append((colour, patch.get_width()))
    return out


def test_severity_bars_count_shown_and_suppressed_findings(findings: pd.DataFrame) -> None:
    bars = _bars(findings_by_severity_figure(findings))
    assert list(bars) == ["Low", "Medium"]  # no documented Trusted Launch finding is High
    for severity, segments in bars.items():
        rows = findings[findings["severity"] == severity]
        shown, hidden = segments[0][1], segments[1][1]
        assert shown == (~rows["suppressed"]).sum()
        assert hidden == rows["suppressed"].sum()
        assert segments[1][0] == SUPPRESSED_COLOR
    assert bars["Medium"][1][1] == 3  # the GPU VM's three suppressed attestation alerts


def test_name_bars_show_every_finding_name_once(findings: pd.DataFrame) -> None:
    fig = findings_by_name_figure(findings, wrap=400)
    bars = _bars(fig)
    labels = {label.split(": ", 1)[1]: label for label in bars}
    assert set(labels) == set(findings["name"])
    failed = bars[labels["Attestation failed your virtual machine"]]
    assert [w for _, w in failed] == [2, 3]
    assert labels["Untrusted Linux kernel module"].startswith("alert: ")
    assert sum(w for segs in bars.values() for _, w in segs) == len(findings)


def test_empty_findings_draw_empty_figures(findings: pd.DataFrame) -> None:
    none = findings.iloc[:0]
    assert isinstance(findings_by_severity_figure(none), Figure)
    assert _bars(findings_by_name_figure(none)) == {}
