"""Support-history table and the support figures (values drawn, not pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from tests.conftest import REPO
from tlkit.errors import DataError
from tlkit.support import HISTORY_COLUMNS, load_inventory, size_status_history
from tlkit.viz.support import (
    blockers_figure,
    compatible_share_figure,
    support_heatmap,
    tl_status_by_os_figure,
)

SAMPLES = REPO / "data" / "samples"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return load_inventory(SAMPLES / "az-vm-list.json", disks=SAMPLES / "disks.json").frame


def test_size_status_history() -> None:
    h = size_status_history({"M": "Standard_M64s", "Dpsv6": "Standard_D4ps_v6"}, as_of=["2025-04", "2026-07"])
    assert list(h.columns) == list(HISTORY_COLUMNS)
    got = {(r.label, r.snapshot): r.status for r in h.itertuples()}
    assert got == {
        ("M", "2025-04"): "currently-not-supported",
        ("M", "2026-07"): "not-supported",
        ("Dpsv6", "2025-04"): "unknown",
        ("Dpsv6", "2026-07"): "supported",
    }
    every = size_status_history(["Standard_B2s"])
    assert every["snapshot"].tolist()[-1] == "2026-07"
    assert every["date"].is_monotonic_increasing
    with pytest.raises(DataError):
        size_status_history(["XL"])


def test_support_heatmap_cells() -> None:
    h = size_status_history({"M": "Standard_M64s", "B": "Standard_B2s"}, as_of=["2025-04", "2026-07"])
    fig = support_heatmap(h)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["M", "B"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025-04", "2026-07"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["supported", "currently-not-supported", "not-supported"]
    plt.close(fig)


def test_inventory_figures(frame: pd.DataFrame) -> None:
    fig = compatible_share_figure(frame)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert sum(heights) == len(frame)
    assert "60% of 315 VMs compatible, 22 undetermined" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "compatible",
        "blocked",
        "undetermined",
    ]
    plt.close(fig)
    summary = load_inventory(SAMPLES / "az-vm-list.json", disks=SAMPLES / "disks.json").summary(top=3)
    fig = blockers_figure(summary)
    assert [p.get_width() for p in fig.axes[0].patches] == [n for _, n in summary.top_blockers][::-1]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "gen1"
    assert len(labels) == 3
    plt.close(fig)
    fig = tl_status_by_os_figure(frame)
    labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert "Ubuntu Server 22.04" in labels
    assert {"gallery image (OS unknown)", "managed image (OS unknown)"} <= labels
    assert sum(p.get_width() for p in fig.axes[0].patches) == len(frame)
    plt.close(fig)


def test_blockers_figure_without_blockers(frame: pd.DataFrame) -> None:
    fig = blockers_figure([])
    assert fig.axes[0].texts[0].get_text() == "no blockers"
    plt.close(fig)


def test_tl_status_by_os_without_identified_os() -> None:
    unchecked = load_inventory(SAMPLES / "az-vm-list.json", check=False).frame
    fig = tl_status_by_os_figure(unchecked)
    labels = {t.get_text() for t in fig.axes[0].get_yticklabels()}
    assert labels == {"Linux (not identified)", "Windows (not identified)"}
    plt.close(fig)
