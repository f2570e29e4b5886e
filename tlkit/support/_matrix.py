"""Size-support matrix: which Trusted Launch status a VM size has in a snapshot.

Rows live in ``data/support/size_status.csv``, one per table cell entry of a documented version:

- ``kind=family``: a family-level row ("D-family", "Eb-family": family code + required feature
  letters),
- ``kind=series``: a series-level row ("Dpsv5", "NC_A100_v4", "HBv3": family + exact feature letters
  or ``*`` + version + accelerator token, ``""`` for none or ``*``),
- ``kind=any``: a catch-all (the 2021 preview's allow-list: everything else was not supported).

The most specific matching row wins (series with exact features and accelerator > series >
family with required features > family > any); ties go to the first row in the file. A size no
row matches is ``"unknown"`` with a reason, never an exception. One documented rule sits on top
of the table: an Arm64 size matched only by a *family* row marked supported is ``"unknown"``
(reason ``arm64-series-not-listed``), because Trusted Launch on Arm64 is documented only for the
Arm64 series the table lists (TL-2025b/TL-2026: Dpsv6, Dplsv6, Epsv6). The same-generation
local-disk series (Dpdsv6, Dpldsv6, Epdsv6) are not listed in the recorded sources, so they stay
``"unknown"``; the note names the snapshot's listed Arm64 series.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from tlkit._data import check_data_root, data_cache
from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.support._sizes import SizeInfo, parse_size
from tlkit.support._snapshots import Snapshot, load_csv, load_json, resolve_snapshot, snapshots

if TYPE_CHECKING:
    import datetime as _dt

    import pandas as pd

__all__ = [
    "STATUSES",
    "MatrixRow",
    "SizeStatus",
    "size_status",
    "size_table",
    "supported_alternatives",
]

STATUSES = ("supported", "currently-not-supported", "not-supported", "unknown")
"""The four size statuses, in the order the documentation's columns use (plus ``unknown``)."""

_KINDS = ("family", "series", "any")


@dataclass(frozen=True)
class MatrixRow:
    """One row of ``size_status.csv`` (what a documented table says about a family or series)."""

    snapshot: str
    section: str
    status: str
    kind: str
    family: str
    features: str
    version: str
    accelerator: str
    label: str
    basis: str
    note: str

    def specificity(self) -> int:
        """Ranking used to pick the most specific matching row."""
        if self.kind == "any":
            return 0
        if self.kind == "family":
            return 2 if self.features else 1
        score = 3
        if self.features != "*":
            score += 1
        if self.accelerator != "*":
            score += 1
        if self.version != "*":
            score += 1
        return score

    def matches(self, info: SizeInfo) -> bool:
        """Whether this row covers the parsed size."""
        if self.kind == "any":
            return True
        if info.family != self.family:
            return False
        feats = frozenset(info.features) - {"i"}
        if self.kind == "family":
            if "|" in self.features:  # any one of the alternatives (DC/EC-Confidential: a or e)
                return any(frozenset(alt) <= feats for alt in self.features.split("|"))
            return frozenset(self.features) <= feats
        if self.version != "*" and int(self.version) != info.effective_version:
            return False
        if self.features != "*" and frozenset(self.features) != feats:
            return False
        if self.accelerator == "*":
            return True
        if self.accelerator == "":
            return info.accelerator is None
        return self.accelerator in info.accelerator_tokens

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class SizeStatus(Verdict):
    """Trusted Launch status of one VM size in one snapshot, with the row that decided it.

    Attributes:
        size: the parsed size.
        status: one of :data:`STATUSES`.
        series: compact series name (``"Dpdsv5"``).
        family: family code (``"D"``, ``"NC"``).
        matched_row: the deciding row, or None when no row matched.
        source: the snapshot's tag and source text.
        snapshot: the snapshot id.
        note: the row's note plus any rule applied, human-readable.
        reasons: machine-readable reasons (``"matched-series-row"``, ``"matched-family-row"``,
            ``"matched-any-row"``, ``"no-matching-row"``, ``"no-size-table"``, ``"arm64-series-not-listed"``,
            ``"m-family-no-tl"``, ``"basis-inferred"``, ``"family-unknown-to-parser"``).
    """

    size: SizeInfo
    status: str
    series: str
    family: str
    matched_row: MatrixRow | None
    source: str
    snapshot: str
    note: str
    reasons: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True only for ``status == "supported"``."""
        return self.status == "supported"

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": self.size.name,
            "status": self.status,
            "series": self.series,
            "family": self.family,
            "matched_row": self.matched_row.to_dict() if self.matched_row else None,
            "source": self.source,
            "snapshot": self.snapshot,
            "note": self.note,
            "reasons": list(self.reasons),
        }


@data_cache()
def _rows() -> dict[str, tuple[MatrixRow, ...]]:
    known = {s.id for s in snapshots()}
    out: dict[str, list[MatrixRow]] = {s: [] for s in known}
    for i, raw in enumerate(load_csv("size_status.csv")):
        where = f"size_status.csv:{i + 2}"
        row = MatrixRow(**{k: raw[k] for k in MatrixRow.__dataclass_fields__})
        if row.snapshot not in known:
            raise DataError(f"unknown snapshot {row.snapshot!r}", record=where, field="snapshot")
        if row.status not in STATUSES[:3]:
            raise DataError(f"bad status {row.status!r}", record=where, field="status")
        if row.kind not in _KINDS:
            raise DataError(f"bad kind {row.kind!r}", record=where, field="kind")
        if row.kind == "series" and row.version != "*" and not row.version.isdigit():
            raise DataError(f"bad version {row.version!r}", record=where, field="version")
        out[row.snapshot].append(row)
    return {k: tuple(v) for k, v in out.items()}


@data_cache()
def _family_notes() -> dict[str, str]:
    return {r["family"] + r["subfamily"]: r["note"] for r in load_csv("size_families.csv") if r["note"]}


def _family_note(family: str) -> str:
    """Per-family note key from ``size_families.csv`` (``"m-family"``: treat as no TL in every version)."""
    return _family_notes().get(family, "")


def rows_for(snapshot: Snapshot) -> tuple[MatrixRow, ...]:
    """The size rows of one snapshot, in file order."""
    return _rows().get(snapshot.id, ())


def _row_series(row: MatrixRow) -> str:
    """Compact series name of a series row (``"Dpsv6"``): family + feature letters + ``v<N>``."""
    version = "" if row.version in ("", "*", "1") else f"v{row.version}"
    return f"{row.family}{row.features.replace('*', '')}{version}"


@data_cache()
def _arm64_series(snap: Snapshot) -> tuple[str, ...]:
    """Supported Arm64 series rows of a snapshot (``p`` = Arm in the size naming convention)."""
    return tuple(
        _row_series(r)
        for r in rows_for(snap)
        if r.kind == "series" and r.status == "supported" and "p" in r.features
    )


def _arm64_note(snap: Snapshot) -> str:
    msgs = load_json("messages.json")["notes"]
    listed = _arm64_series(snap)
    if listed:
        return str(msgs["arm64-series-not-listed"]["text"]).format(tag=snap.tag, series=", ".join(listed))
    return str(msgs["arm64-series-none-listed"]["text"]).format(tag=snap.tag)


def _source_text(snap: Snapshot) -> str:
    return f"{snap.tag} (ms.date {snap.ms_date}): {snap.source}"


def size_status(size: str | SizeInfo, as_of: str | _dt.date | Snapshot | None = None) -> SizeStatus:
    """Trusted Launch status of ``size`` as of a snapshot (memoized per size and snapshot).

    Raises:
        DataError: the size name can't be parsed or ``as_of`` is unusable. A well-formed size of an
            unlisted family is not an error: it gets ``status="unknown"`` with a reason.
    """
    info = size if isinstance(size, SizeInfo) else parse_size(size)
    snap = resolve_snapshot(as_of)
    check_data_root()
    return _status_cached(info, snap)


@data_cache(maxsize=65536, checked=False)  # size_status checks the data root
def _status_cached(info: SizeInfo, snap: Snapshot) -> SizeStatus:
    msgs = load_json("messages.json")["notes"]
    rows = rows_for(snap)
    source = _source_text(snap)
    notes: list[str] = []
    reasons: list[str] = []
    if not info.family_known:
        reasons.append("family-unknown-to-parser")
    note_key = _family_note(info.family)
    if note_key:
        notes.append(msgs[note_key]["text"])
        reasons.append(f"{note_key}-no-tl")
    best: MatrixRow | None = None
    for row in rows:
        if row.matches(info) and (best is None or row.specificity() > best.specificity()):
            best = row
    if best is None:
        if rows:
            reason = "no-matching-row"
            why = f"no {snap.tag} row covers family {info.family} / series {info.series}"
        else:
            reason = "no-size-table"
            why = f"{snap.tag} has no size table in the recorded sources"
        return SizeStatus(
            info,
            "unknown",
            info.series,
            info.family,
            None,
            source,
            snap.id,
            "; ".join([why, *notes]),
            (reason, *reasons),
        )
    reasons.insert(0, f"matched-{best.kind}-row")
    if best.basis != "table":
        reasons.append("basis-inferred")
    if best.note:
        notes.insert(0, f"{best.label}: {best.note}")
    status = best.status
    if best.kind == "family" and info.architecture == "Arm64" and status == "supported":
        status = "unknown"
        reasons.append("arm64-series-not-listed")
        notes.append(_arm64_note(snap))
    return SizeStatus(
        info, status, info.series, info.family, best, source, snap.id, "; ".join(notes), tuple(reasons)
    )


def supported_alternatives(
    info: SizeInfo, as_of: str | _dt.date | Snapshot | None = None, limit: int = 6
) -> tuple[str, ...]:
    """Labels of supported rows to suggest for a resize: same family first, then same section.

    Raises:
        DataError: ``limit`` is not a non-negative integer.
    """
    if type(limit) is not int or limit < 0:
        raise DataError(f"limit must be a non-negative int, not {limit!r}", record=limit, field="limit")
    return _alternatives(info, resolve_snapshot(as_of), limit)


@data_cache(maxsize=4096)
def _alternatives(info: SizeInfo, snap: Snapshot, limit: int) -> tuple[str, ...]:
    arm = info.architecture == "Arm64"
    rows = [
        r
        for r in rows_for(snap)
        if r.status == "supported" and r.kind != "any" and (r.kind == "family" or ("p" in r.features) == arm)
    ]
    status = _status_cached(info, snap)
    section = status.matched_row.section if status.matched_row else ""
    same_family = [r.label for r in rows if r.family == info.family]
    same_letter = [r.label for r in rows if r.family[:1] == info.family_letter and r.label not in same_family]
    same_section = [
        r.label for r in rows if r.section == section and r.label not in same_family + same_letter
    ]
    out = [*same_family, *same_letter, *same_section]
    return tuple(out[:limit])


def size_table(as_of: str | _dt.date | Snapshot | None = None) -> pd.DataFrame:
    """The size rows of one snapshot as a DataFrame (columns as in ``size_status.csv``)."""
    import pandas as pd  # noqa: PLC0415 (lazy: importing tlkit stays light)

    snap = resolve_snapshot(as_of)
    return pd.DataFrame([r.to_dict() for r in rows_for(snap)], columns=list(MatrixRow.__dataclass_fields__))
