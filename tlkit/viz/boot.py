"""Tables and figures that explain a simulated Secure Boot / measured boot (presentation only).

- :func:`decision_frame`: one row per Secure Boot decision of a :class:`tlkit.boot.BootResult`: the
  component, who verified it, whether it loaded and why, and the key (database entry) that verified it.
- :func:`chain_of_trust_figure`: the chain of trust of one boot, drawn from the boot's own data: PK,
  KEK and db as PCR 7's events give them (:func:`tlkit.eventlog.secure_boot_state`), then every
  component joined to the database entry that verified it (:attr:`tlkit.boot.LoadDecision.authority`).
- :func:`pcr_diff_frame`: which PCRs of a boot differ from a baseline boot, bank by bank.

Nothing here decides a Secure Boot question or measures anything: decisions come from
:func:`tlkit.boot.measure_linux_boot` (``decide``), the databases from the boot's event log.
No ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from cryptography.x509.oid import NameOID
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from tlkit.boot import BootResult, DbEntry
from tlkit.eventlog import SecureBootState, secure_boot_state

__all__ = ["EMBEDDED_BY", "chain_of_trust_figure", "decision_frame", "pcr_diff_frame"]

#: Which component kind carries the keys a verifier checks with (shim embeds its vendor
#: certificate and reads MokList; the kernel embeds its build-time module key). The firmware's keys
#: are the UEFI databases themselves.
EMBEDDED_BY: dict[str, str] = {"shim": "shim", "linux-kernel": "kernel"}

_KEY_COLOUR = "#e3ecf7"
_LOADED_COLOUR = "#e6f2e7"
_REFUSED_COLOUR = "#fbe3e3"


def _common_name(entry: DbEntry | None) -> str:
    if entry is None:
        return "—"
    cert = entry.certificate
    if cert is None:
        return f"sha256 {entry.data.hex()[:16]}…"
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def decision_frame(result: BootResult) -> pd.DataFrame:
    """One row per decision, in boot order: ``component``, ``kind``, ``verifier``, ``loaded``,
    ``reason``, ``key`` (the verifying entry as ``variable: common name``, ``—`` when none did)."""
    rows = [
        {
            "component": d.component,
            "kind": d.kind,
            "verifier": d.verifier,
            "loaded": d.loaded,
            "reason": d.reason,
            "key": "—" if d.authority is None else f"{d.authority.variable}: {_common_name(d.authority)}",
        }
        for d in result.decisions
    ]
    return pd.DataFrame(rows, columns=["component", "kind", "verifier", "loaded", "reason", "key"])


def pcr_diff_frame(result: BootResult, baseline: BootResult, bank: str = "sha256") -> pd.DataFrame:
    """Every PCR either boot's event log extends in ``bank``: its value in ``baseline`` and in ``result``
    (first 16 hex digits) and ``moved`` (the full values differ)."""
    mine, base = result.pcrs[bank], baseline.pcrs[bank]
    zero = bytes(len(next(iter(base.values()))))
    pcrs = sorted(set(result.log.replay(bank)) | set(baseline.log.replay(bank)))
    moved = set(result.pcrs_moved(baseline, bank))
    rows = [
        {
            "pcr": p,
            "baseline": base.get(p, zero).hex()[:16] + "…",
            "this boot": mine.get(p, zero).hex()[:16] + "…",
            "moved": p in moved,
        }
        for p in pcrs
    ]
    return pd.DataFrame(rows, columns=["pcr", "baseline", "this boot", "moved"])


def _databases(state: SecureBootState) -> list[tuple[str, str]]:
    """(label, text) of PK, KEK and db as the log's PCR 7 events give them."""
    out = []
    for label, db in (("PK", state.pk), ("KEK", state.kek), ("db", state.db)):
        names = (
            []
            if db is None
            else [c.common_name or s for c, s in zip(db.certificates, db.subjects, strict=True)]
        )
        out.append((label, "\n".join(names) or "(absent)"))
    return out


def _box(ax: Axes, x: float, y: float, text: str, colour: str) -> None:
    ax.add_patch(
        FancyBboxPatch((x - 2.3, y - 0.38), 4.6, 0.76, boxstyle="round,pad=0.05", fc=colour, ec="#555")
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5)


def _arrow(
    ax: Axes, start: tuple[float, float], end: tuple[float, float], label: str, dashed: bool = False
) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "->", "color": "#333", "linestyle": "--" if dashed else "-", "lw": 1},
    )
    mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    ax.text(
        *mid,
        label,
        fontsize=6.5,
        color="#333",
        ha="center",
        va="bottom",
        bbox={"fc": "white", "ec": "none", "pad": 0.5},
    )


def chain_of_trust_figure(result: BootResult) -> Figure:
    """The chain of trust of ``result``: left, the keys (PK → KEK → db from the log's PCR 7 events,
    then every other entry a decision used: shim's vendor certificate, MokList, the kernel's built-in
    key); right, the components in boot order (green loaded, red refused, with the reason). An arrow
    joins the entry that verified a component to it, labelled with the verifier; a dashed arrow joins a
    component to the keys it carries (:data:`EMBEDDED_BY`)."""
    state = secure_boot_state(result.log)
    keys: dict[str, tuple[float, float]] = {}
    rows = _databases(state)
    extra: list[str] = []
    for d in result.decisions:
        if d.authority is not None and d.authority.variable not in ("db", *extra):
            extra.append(d.authority.variable)
    height = max(len(rows) + len(extra), len(result.decisions))
    fig, ax = plt.subplots(figsize=(10, 0.9 * height + 0.6))
    ax.set_xlim(-3, 11)
    ax.set_ylim(-height + 0.4, 0.8)
    ax.axis("off")
    for i, (label, text) in enumerate(rows):
        keys[label] = (0.0, -float(i))
        _box(ax, 0, -i, f"{label}\n{text}", _KEY_COLOUR)
        if i:
            _arrow(ax, (0, -i + 0.62), (0, -i + 0.4), "")
    for j, variable in enumerate(extra):
        y = -float(len(rows) + j)
        entry = next(
            d.authority for d in result.decisions if d.authority and d.authority.variable == variable
        )
        keys[variable] = (0.0, y)
        _box(ax, 0, y, f"{variable}\n{_common_name(entry)}", _KEY_COLOUR)
    comps: dict[str, tuple[float, float]] = {}
    for k, d in enumerate(result.decisions):
        y = -float(k)
        comps.setdefault(d.kind, (8.0, y))
        status = "loaded" if d.loaded else f"REFUSED: {d.reason}"
        _box(ax, 8, y, f"{d.component} ({d.kind})\n{status}", _LOADED_COLOUR if d.loaded else _REFUSED_COLOUR)
        if d.authority is not None:
            kx, ky = keys[d.authority.variable if d.authority.variable in keys else "db"]
            _arrow(ax, (kx + 2.35, ky), (8 - 2.35, y), d.verifier)
    for variable in extra:
        verifier = next(
            d.verifier for d in result.decisions if d.authority and d.authority.variable == variable
        )
        carrier = comps.get(EMBEDDED_BY.get(verifier, ""))
        if carrier is not None:
            _arrow(ax, (8 - 2.35, carrier[1] - 0.2), (2.35, keys[variable][1] + 0.2), "carries", dashed=True)
    ax.set_title(
        f"Chain of trust ({'booted' if result.booted else 'did not boot'}; "
        f"Secure Boot {'on' if result.secure_boot else 'off'})",
        fontsize=10,
        color="#2e7d32" if result.booted else "#c62828",
    )
    fig.tight_layout()
    return fig
