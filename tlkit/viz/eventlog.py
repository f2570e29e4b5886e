"""Tables and figures that explain a TCG firmware event log (presentation only).

- :func:`event_table`: the events as a table that fits a page: short digests, ``not extended`` for
  EV_NO_ACTION records (never a ``NaN``), long descriptions shortened.
- :func:`event_group`: the colour family of an event type (firmware code, configuration, authority,
  image load, separator, action, bootloader, not extended).
- :func:`pcr_timeline_figure`: an event-index × PCR map of which PCRs each stage touches, on the
  bands of :func:`tlkit.eventlog.boot_stages`.
- :func:`secure_boot_frame`: :meth:`tlkit.eventlog.SecureBootState.to_frame` with the subjects
  shortened to their common names.

Nothing here parses, replays, verifies or cuts stages: events, stages
(:func:`tlkit.eventlog.boot_stages`) and PCR values (:meth:`tlkit.eventlog.EventLog.prefix_replays`)
come from :mod:`tlkit.eventlog`, whose results are unverified until compared with quoted PCRs.
No ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tlkit.eventlog import EventLog, EventType, SecureBootState, boot_stages

__all__ = [
    "GROUP_COLOURS",
    "NOT_EXTENDED",
    "event_group",
    "event_table",
    "pcr_timeline_figure",
    "secure_boot_frame",
]

T = EventType

_GROUPS: dict[int, str] = {
    **dict.fromkeys(
        (
            T.EV_S_CRTM_VERSION,
            T.EV_S_CRTM_CONTENTS,
            T.EV_POST_CODE,
            T.EV_POST_CODE2,
            T.EV_CPU_MICROCODE,
            T.EV_NONHOST_CODE,
            T.EV_NONHOST_CONFIG,
            T.EV_NONHOST_INFO,
            T.EV_TABLE_OF_DEVICES,
            T.EV_EFI_PLATFORM_FIRMWARE_BLOB,
            T.EV_EFI_PLATFORM_FIRMWARE_BLOB2,
            T.EV_EFI_HANDOFF_TABLES,
            T.EV_EFI_HANDOFF_TABLES2,
            T.EV_EFI_HCRTM_EVENT,
            T.EV_EFI_SPDM_FIRMWARE_BLOB,
            T.EV_EFI_SPDM_FIRMWARE_CONFIG,
        ),
        "firmware",
    ),
    **dict.fromkeys(
        (
            T.EV_EFI_VARIABLE_DRIVER_CONFIG,
            T.EV_EFI_VARIABLE_BOOT,
            T.EV_EFI_VARIABLE_BOOT2,
            T.EV_EFI_GPT_EVENT,
            T.EV_EFI_GPT_EVENT2,
            T.EV_PLATFORM_CONFIG_FLAGS,
            T.EV_OMIT_BOOT_DEVICE_EVENTS,
        ),
        "configuration",
    ),
    **dict.fromkeys(
        (T.EV_EFI_VARIABLE_AUTHORITY, T.EV_EFI_SPDM_DEVICE_AUTHORITY, T.EV_EFI_SPDM_DEVICE_POLICY),
        "authority",
    ),
    **dict.fromkeys(
        (
            T.EV_EFI_BOOT_SERVICES_APPLICATION,
            T.EV_EFI_BOOT_SERVICES_DRIVER,
            T.EV_EFI_RUNTIME_SERVICES_DRIVER,
        ),
        "image load",
    ),
    int(T.EV_SEPARATOR): "separator",
    int(T.EV_EFI_ACTION): "action",
    int(T.EV_ACTION): "action",
    **dict.fromkeys((T.EV_IPL, T.EV_IPL_PARTITION_DATA, T.EV_EVENT_TAG, T.EV_COMPACT_HASH), "bootloader"),
    int(T.EV_NO_ACTION): "not extended",
}

GROUP_COLOURS: dict[str, str] = {
    "firmware": "#4c72b0",
    "configuration": "#55a868",
    "authority": "#c44e52",
    "image load": "#8172b2",
    "separator": "#222222",
    "action": "#dd8452",
    "bootloader": "#937860",
    "other": "#8c8c8c",
    "not extended": "#bbbbbb",
}
"""Colour per :func:`event_group` value (also the legend order)."""


NOT_EXTENDED = "— not extended"
"""The digest cell of an EV_NO_ACTION record in :func:`event_table` (such records extend no PCR)."""


def _shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def event_table(
    log: EventLog, bank: str = "sha256", *, digest_chars: int = 16, description_chars: int = 56
) -> pd.DataFrame:
    """One row per event, indexed by ``event`` (its index in the log): ``pcr``, ``type``,
    ``<bank> digest`` and ``description``, sized to fit a notebook page.

    The digest shows its first ``digest_chars`` hex digits and ``…`` (``log.to_frame()`` has the full
    values); an EV_NO_ACTION record shows :data:`NOT_EXTENDED`, and an event without a digest in
    ``bank`` shows ``—``. Descriptions longer than ``description_chars`` end in ``…``.
    """
    rows = []
    for e in log:
        digest = e.digest(bank)
        if e.event_type == EventType.EV_NO_ACTION:
            shown = NOT_EXTENDED
        elif digest is None:
            shown = "—"
        else:
            shown = _shorten(digest.hex(), digest_chars + 1)
        rows.append((e.index, e.pcr, e.type_name, shown, _shorten(e.description, description_chars)))
    columns = ["event", "pcr", "type", f"{bank} digest", "description"]
    return pd.DataFrame(rows, columns=columns).set_index("event")


def event_group(event_type: int) -> str:
    """The colour family of an event type: one of the keys of :data:`GROUP_COLOURS`."""
    return _GROUPS.get(int(event_type), "other")


def pcr_timeline_figure(
    log: EventLog,
    *,
    highlight: int | None = None,
    title: str | None = None,
    pcrs: Sequence[int] | None = None,
) -> Figure:
    """Event index (x) × PCR (y): one marker per event, coloured by :func:`event_group`, on shaded
    :func:`tlkit.eventlog.boot_stages` bands. EV_NO_ACTION events are drawn as hollow markers
    (never extended).

    Args:
        log: the event log.
        highlight: an event index to mark with a vertical line.
        title: the axes title (default: the log's format, banks and event count).
        pcrs: the PCR rows to draw (default: every PCR an event names).

    Returns:
        a Figure with one Axes: x label ``event index``, y label ``PCR``, y tick labels ``PCR n``.
    """
    rows = sorted(set(pcrs) if pcrs is not None else {e.pcr for e in log})
    ypos = {p: k for k, p in enumerate(rows)}
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(rows) + 1.8), layout="constrained")
    stages = boot_stages(log)
    spans = [(s.first, s.last) for s in stages]
    for k, (first, last) in enumerate(spans):
        ax.axvspan(first - 0.5, last + 0.5, color="#eeeeee" if k % 2 else "#ffffff", zorder=0)
    top = ax.secondary_xaxis("top")
    top.set_xticks(
        [(a + b) / 2 for a, b in spans],
        [s.stage for s in stages],
        rotation=30,
        ha="left",
        fontsize=8,
    )
    top.tick_params(length=0)
    groups_seen: list[str] = []
    for group, colour in GROUP_COLOURS.items():
        xs = [e.index for e in log if event_group(e.event_type) == group and e.pcr in ypos]
        if not xs:
            continue
        ys = [ypos[log[i].pcr] for i in xs]
        hollow = group == "not extended"
        ax.scatter(
            xs,
            ys,
            s=36,
            marker="o",
            facecolors="none" if hollow else colour,
            edgecolors=colour,
            linewidths=1.2,
            zorder=3,
        )
        groups_seen.append(group)
    if highlight is not None:
        ax.axvline(highlight, color="#e8a000", linewidth=2, zorder=2)
    ax.set_yticks(range(len(rows)), [f"PCR {p}" for p in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(-1, max(len(log), 1))
    ax.set_xlabel("event index")
    ax.set_ylabel("PCR")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=1)
    ax.set_title(
        title if title is not None else f"{log.format} log, banks {', '.join(log.banks)}: {len(log)} events"
    )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="none" if g == "not extended" else GROUP_COLOURS[g],
            markeredgecolor=GROUP_COLOURS[g],
            label=g,
        )
        for g in groups_seen
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def secure_boot_frame(state: SecureBootState) -> pd.DataFrame:
    """:meth:`SecureBootState.to_frame` (one row per PK, KEK, db, dbx as the log claims it) with
    ``subjects`` shortened to the certificates' common names (:attr:`CertificateInfo.common_name`;
    the full subject when a certificate has none), ``"; "``-joined (the full subjects are in
    ``state.<db>.subjects``)."""
    frame = state.to_frame()
    short = []
    for name in frame["variable"]:
        db = {"PK": state.pk, "KEK": state.kek, "db": state.db, "dbx": state.dbx}[str(name)]
        names = (
            ()
            if db is None
            else (c.common_name or s for c, s in zip(db.certificates, db.subjects, strict=True))
        )
        short.append("; ".join(names))
    frame["subjects"] = short
    return frame
