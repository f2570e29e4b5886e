"""tlkit.viz.eventlog: the PCR timeline figure and the Secure Boot table on real logs (stages and
prefix replays are tlkit.eventlog's: tests/eventlog/test_stages.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

import tlkit.viz.eventlog as viz_eventlog
from tests.conftest import fixture_path
from tlkit.eventlog import EventLog, EventType, boot_stages, parse, secure_boot_state
from tlkit.viz.eventlog import (
    GROUP_COLOURS,
    event_group,
    pcr_timeline_figure,
    secure_boot_frame,
)


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(fixture_path("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin").read_bytes())


@pytest.fixture(scope="module")
def ebs() -> EventLog:
    return parse(fixture_path("go-attestation/attest/testdata/ebs_event_missing_eventlog").read_bytes())


def test_viz_is_plotting_only() -> None:
    """Stages and prefix replays are domain results: they live in tlkit.eventlog, not here."""
    assert set(viz_eventlog.__all__) == {
        "GROUP_COLOURS",
        "NOT_EXTENDED",
        "event_table",
        "event_group",
        "pcr_timeline_figure",
        "secure_boot_frame",
    }
    assert not hasattr(viz_eventlog, "prefix_replays")
    assert viz_eventlog.boot_stages is boot_stages  # imported for the figure, not defined here


def test_event_groups() -> None:
    assert event_group(EventType.EV_NO_ACTION) == "not extended"
    assert event_group(EventType.EV_EFI_VARIABLE_AUTHORITY) == "authority"
    assert event_group(EventType.EV_EFI_BOOT_SERVICES_APPLICATION) == "image load"
    assert event_group(EventType.EV_IPL) == "bootloader"
    assert event_group(0x12345678) == "other"
    assert set(GROUP_COLOURS) >= {"firmware", "configuration", "separator", "action", "other"}


def test_timeline_figure_axes(rhel8: EventLog) -> None:
    fig = pcr_timeline_figure(rhel8, highlight=26)
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_xlabel() == "event index"
        assert ax.get_ylabel() == "PCR"
        assert ax.get_title() == "crypto-agile log, banks sha1, sha256, sha384: 83 events"
        assert [t.get_text() for t in ax.get_yticklabels()] == [
            f"PCR {p}" for p in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14)
        ]
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == [
            "firmware",
            "configuration",
            "authority",
            "image load",
            "separator",
            "action",
            "bootloader",
            "not extended",
        ]
        assert sum(len(c.get_offsets()) for c in ax.collections) == len(rhel8)
        assert [line.get_xdata()[0] for line in ax.get_lines()] == [26]
        top = [t.get_text() for t in ax.child_axes[0].get_xticklabels()]
        assert top == ["firmware", "shimx64.efi", "grubx64.efi", "image #77", "ExitBootServices"]
    finally:
        plt.close(fig)


def test_timeline_figure_selected_pcrs(ebs: EventLog) -> None:
    fig = pcr_timeline_figure(ebs, pcrs=[4, 5], title="PCR 4 and 5")
    try:
        ax = fig.axes[0]
        assert ax.get_title() == "PCR 4 and 5"
        assert [t.get_text() for t in ax.get_yticklabels()] == ["PCR 4", "PCR 5"]
        assert sum(len(c.get_offsets()) for c in ax.collections) == sum(1 for e in ebs if e.pcr in (4, 5))
        assert ax.get_lines() == []
    finally:
        plt.close(fig)


def test_secure_boot_frame_rhel8(rhel8: EventLog) -> None:
    frame = secure_boot_frame(secure_boot_state(rhel8))
    assert frame.to_dict("records") == [
        {"variable": "PK", "event": 4, "certificates": 1, "hashes": 0, "subjects": "newpk"},
        {
            "variable": "KEK",
            "event": 5,
            "certificates": 1,
            "hashes": 0,
            "subjects": "Microsoft Corporation KEK CA 2011",
        },
        {
            "variable": "db",
            "event": 6,
            "certificates": 2,
            "hashes": 0,
            "subjects": "Microsoft Corporation UEFI CA 2011; Microsoft Windows Production PCA 2011",
        },
        {
            "variable": "dbx",
            "event": 7,
            "certificates": 3,
            "hashes": 183,
            "subjects": "Canonical Ltd. Secure Boot Signing; Virtual UEFI SubCA; Debian Secure Boot Signer",
        },
    ]


def test_secure_boot_frame_escaped_comma_and_missing_db(rhel8: EventLog) -> None:
    sb = secure_boot_state(rhel8)
    assert sb.authorities[1].certificate is not None
    subject = sb.authorities[1].certificate.subject or ""
    assert "Red Hat\\, Inc." in subject
    assert sb.authorities[1].certificate.common_name == "Red Hat Secure Boot CA 5"
    empty = secure_boot_state(rhel8.with_events(list(rhel8)[:3]))
    frame = secure_boot_frame(empty)
    assert list(frame["certificates"]) == [0, 0, 0, 0]
    assert list(frame["subjects"]) == ["", "", "", ""]
    assert frame["event"].isna().all()


def test_secure_boot_frame_is_to_frame_with_common_names(rhel8: EventLog) -> None:
    sb = secure_boot_state(rhel8)
    full, short_names = sb.to_frame(), secure_boot_frame(sb)
    assert full.drop(columns="subjects").equals(short_names.drop(columns="subjects"))
    assert full["subjects"][0] == "CN=newpk"
    assert short_names["subjects"][0] == "newpk"


def test_event_table_fits_a_page(rhel8: EventLog) -> None:
    table = viz_eventlog.event_table(rhel8, "sha256", digest_chars=16, description_chars=56)
    assert list(table.columns) == ["pcr", "type", "sha256 digest", "description"]
    assert table.index.name == "event"
    assert len(table) == len(rhel8)
    no_action = [e.index for e in rhel8 if e.event_type == EventType.EV_NO_ACTION]
    assert no_action
    assert set(table.loc[no_action, "sha256 digest"]) == {viz_eventlog.NOT_EXTENDED}
    assert not table.isna().any().any()
    digest = rhel8[26].digest("sha256")
    assert digest is not None
    assert table.loc[26, "sha256 digest"] == digest.hex()[:16] + "…"
    assert table["description"].str.len().max() <= 56
    assert table.loc[26, "description"] == rhel8[26].description  # short ones are kept whole
