"""VM features not supported with Trusted Launch, and Trusted Launch regions, per snapshot.

Data: ``data/support/features.csv`` (verbatim labels, Windows/Linux status, the "v5 sizes
supported" exception of nested virtualization), ``feature_keys.csv`` (names users type and the
remediation), ``regions.csv`` and ``region_clouds.csv`` (which cloud a region name belongs to).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from tlkit._data import data_cache
from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.support._snapshots import Snapshot, load_csv, resolve_snapshot, snapshots

if TYPE_CHECKING:
    import datetime as _dt

__all__ = [
    "FeatureRule",
    "RegionStatus",
    "feature_key",
    "region_status",
    "unsupported_features",
]


@dataclass(frozen=True)
class FeatureRule:
    """One entry of a snapshot's "not supported" features list.

    Attributes:
        feature: tlkit key (``"managed-image"``).
        label: the documentation's wording.
        windows / linux: ``"unsupported"``, ``"preview"`` or ``"supported"`` for that OS family.
        except_size_min_version: sizes of this version or newer are exempt (nested virtualization:
            "most v5 VM sizes supported"), None if no exemption.
        remediation: what to do instead.
        note: caveat.
    """

    snapshot: str
    feature: str
    label: str
    windows: str
    linux: str
    except_size_min_version: int | None
    remediation: str
    note: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@data_cache()
def _keys() -> dict[str, dict[str, str]]:
    return {r["feature"]: r for r in load_csv("feature_keys.csv")}


@data_cache()
def _alias_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for key, row in _keys().items():
        out[key] = key
        for alias in row["aliases"].split(";"):
            if alias.strip():
                out[alias.strip().lower()] = key
    return out


def feature_key(name: str) -> str:
    """The tlkit key of a feature name (``"ASR"`` → ``"azure-site-recovery"``).

    Raises:
        DataError: a name tlkit doesn't know (lists the known keys).
    """
    if not isinstance(name, str):
        raise DataError(f"feature must be a string, not {type(name).__name__}", record=name, field="features")
    norm = " ".join(name.strip().lower().replace("_", " ").split())
    key = _alias_map().get(norm) or _alias_map().get(norm.replace(" ", "-"))
    if key is None:
        raise DataError(
            f"unknown VM feature {name!r} (known: {', '.join(sorted(_keys()))})",
            record=name,
            field="features",
        )
    return key


@data_cache()
def _rules() -> dict[str, tuple[FeatureRule, ...]]:
    known = {s.id for s in snapshots()}
    out: dict[str, list[FeatureRule]] = {s: [] for s in known}
    for i, row in enumerate(load_csv("features.csv")):
        where = f"features.csv:{i + 2}"
        if row["snapshot"] not in known:
            raise DataError(f"unknown snapshot {row['snapshot']!r}", record=where, field="snapshot")
        if row["feature"] not in _keys():
            raise DataError(
                f"feature {row['feature']!r} missing from feature_keys.csv", record=where, field="feature"
            )
        for col in ("windows", "linux"):
            if row[col] not in ("unsupported", "preview", "supported"):
                raise DataError(f"bad {col} status {row[col]!r}", record=where, field=col)
        min_v = int(row["except_size_min_version"]) if row["except_size_min_version"] else None
        out[row["snapshot"]].append(
            FeatureRule(
                row["snapshot"],
                row["feature"],
                row["label"],
                row["windows"],
                row["linux"],
                min_v,
                _keys()[row["feature"]]["remediation"],
                row["note"],
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def unsupported_features(as_of: str | _dt.date | Snapshot | None = None) -> tuple[FeatureRule, ...]:
    """The snapshot's "not supported with Trusted Launch" features list."""
    return _rules()[resolve_snapshot(as_of).id]


@dataclass(frozen=True)
class RegionStatus(Verdict):
    """Whether a region is in a snapshot's Trusted Launch regions.

    ``supported`` is True/False, or None when the snapshot lists no rule for that cloud.
    """

    region: str
    cloud: str
    supported: bool | None
    listed: str
    reason: str
    snapshot: str

    @property
    def passed(self) -> bool:
        return self.supported is True

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _cloud(region: str) -> str:
    for row in load_csv("region_clouds.csv"):
        if region.startswith(row["prefix"]):
            return row["cloud"]
    return "public"


def region_status(region: str, as_of: str | _dt.date | Snapshot | None = None) -> RegionStatus:
    """Region check: the region's cloud (public / government / china, by name prefix) against the
    snapshot's list ("all public regions" or an explicit preview list).

    Raises:
        DataError: not a region name (letters and digits only, e.g. ``"westeurope"``).
    """
    if not isinstance(region, str) or not region.strip():
        raise DataError("region must be a non-empty string", record=region, field="region")
    name = region.strip().lower().replace(" ", "")
    if not name.isalnum():
        raise DataError(
            f"region {region!r} must be an ARM location name such as 'westeurope'",
            record=region,
            field="region",
        )
    snap = resolve_snapshot(as_of)
    cloud = _cloud(name)
    rows = [r for r in load_csv("regions.csv") if r["snapshot"] == snap.id]
    clouds = sorted({r["cloud"] for r in rows})
    for r in rows:
        if r["cloud"] != cloud:
            continue
        listed = r["regions"]
        if listed == "*":
            return RegionStatus(name, cloud, True, listed, r["note"], snap.id)
        allowed = [x for x in listed.split(";") if x]
        ok = name in allowed
        why = f"{name} is {'in' if ok else 'not in'} {snap.tag}'s list ({', '.join(allowed)}); {r['note']}"
        return RegionStatus(name, cloud, ok, listed, why, snap.id)
    return RegionStatus(
        name, cloud, False, "", f"{snap.tag} lists regions only for: {', '.join(clouds)}", snap.id
    )
