"""Compatibility report for one VM: size, image/OS, generation, features and region against a snapshot.

Decision rules (all texts and remediations come from ``data/support/messages.json``):

- size status ``not-supported`` / ``currently-not-supported`` / ``unknown`` → blocker;
- managed image → blocker (unsupported feature "Managed Image" in every snapshot);
- gallery image whose ``SecurityType`` is known and doesn't allow TL → blocker; unknown → note;
- Marketplace image whose known ``SecurityType`` lacks ``TrustedLaunch`` → blocker;
- generation 1 (explicit, or inferred from the SKU name) → blocker with the Gen1 upgrade path;
- OS ``supported=False`` → blocker; ``None`` → note (TL may still work; documented choice);
- each requested feature unsupported for the VM's OS family → blocker (preview / exempt → note);
- region outside the snapshot's list → blocker;
- image architecture known and different from the size's → blocker.

``compatible`` is True only when there is no blocker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from tlkit.errors import DataError
from tlkit.support._features import feature_key, region_status, unsupported_features
from tlkit.support._matrix import SizeStatus, size_status, supported_alternatives
from tlkit.support._os import (
    GalleryImage,
    ImageLike,
    ManagedImage,
    MarketplaceImage,
    OsInfo,
    OsStatus,
    identify_os,
    os_status,
    parse_generation,
    parse_image,
)
from tlkit.support._snapshots import Snapshot, load_csv, load_json, resolve_snapshot

if TYPE_CHECKING:
    import datetime as _dt

__all__ = ["Blocker", "CompatibilityReport", "check_vm", "tl_security_types"]


@cache
def tl_security_types(kind: str) -> frozenset[str]:
    """Lower-cased image ``SecurityType`` values that allow Trusted Launch VMs, for ``"gallery"`` or
    ``"marketplace"`` images (``data/support/image_security_types.csv``)."""
    return frozenset(
        r["value"].lower()
        for r in load_csv("image_security_types.csv")
        if r["kind"] == kind and r["allows_trusted_launch"] == "yes"
    )


@cache
def _family_rows() -> dict[str, dict[str, str]]:
    return {r["family"] + r["subfamily"]: r for r in load_csv("size_families.csv")}


@dataclass(frozen=True)
class Blocker:
    """One reason a VM can't use Trusted Launch, with what to do about it."""

    code: str
    message: str
    remediation: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": self.message,
            "remediation": self.remediation,
            "source": self.source,
        }


@dataclass(frozen=True)
class CompatibilityReport:
    """Outcome of :func:`check_vm`.

    Attributes:
        size: canonical size name.
        size_status: one of ``supported``, ``currently-not-supported``, ``not-supported``, ``unknown``.
        size_detail: the full :class:`~tlkit.support.SizeStatus`.
        os_supported: True / False / None (not given or undetermined).
        os_detail: the :class:`~tlkit.support.OsStatus`, None when no image/OS was given.
        generation: Hyper-V generation used (explicit > image > SKU heuristic), None if unknown.
        compatible: no blockers.
        blockers: every blocker found.
        notes: advisory notes (GPU drivers under Secure Boot, Gen1 upgrade issues, heuristics used).
        snapshot: snapshot id.
    """

    size: str
    size_status: str
    size_detail: SizeStatus
    os_supported: bool | None
    os_detail: OsStatus | None
    generation: int | None
    compatible: bool
    blockers: tuple[Blocker, ...]
    notes: tuple[str, ...]
    snapshot: str

    @property
    def passed(self) -> bool:
        return self.compatible

    def __bool__(self) -> bool:
        return self.compatible

    @property
    def reasons(self) -> tuple[str, ...]:
        """Blocker codes (machine-readable)."""
        return tuple(b.code for b in self.blockers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "size": self.size,
            "size_status": self.size_status,
            "series": self.size_detail.series,
            "matched_row": self.size_detail.matched_row.label if self.size_detail.matched_row else None,
            "os": self.os_detail.os.display if self.os_detail else None,
            "os_supported": self.os_supported,
            "generation": self.generation,
            "compatible": self.compatible,
            "blockers": [b.to_dict() for b in self.blockers],
            "notes": list(self.notes),
            "reasons": list(self.reasons),
            "snapshot": self.snapshot,
        }


@cache
def _msgs() -> dict[str, Any]:
    return load_json("messages.json")


def _gen1_upgrade_excluded(os_info: OsInfo) -> bool:
    """GEN1 exclusions: distros marked ``gen1_upgrade=no`` and listed excluded versions (WS2016)."""
    if os_info.distro is None:
        return False
    row = {r["distro"]: r for r in load_csv("os_distros.csv")}[os_info.distro]
    if row["gen1_upgrade"] != "yes":
        return True
    excluded = [v for v in row["gen1_upgrade_excluded_versions"].split(";") if v]
    return any((os_info.version or "").startswith(v) for v in excluded)


def _blocker(code: str, snap: Snapshot, **fmt: object) -> Blocker:
    m = _msgs()["blockers"][code]
    return Blocker(
        code, m["message"].format(**fmt), m["remediation"].format(**fmt), f"{snap.tag}: {m['source']}"
    )


def _note(key: str, **fmt: object) -> str:
    return str(_msgs()["notes"][key]["text"]).format(**fmt)


def check_vm(
    size: str,
    image: str | Mapping[str, Any] | ImageLike | None = None,
    *,
    os: str | None = None,
    os_type: str | None = None,
    generation: int | str | None = None,
    features: Iterable[str] = (),
    region: str | None = None,
    as_of: str | _dt.date | Snapshot | None = None,
) -> CompatibilityReport:
    """Check one VM against a snapshot and list every blocker with a remediation.

    Args:
        size: VM size name (``"Standard_D4s_v5"``).
        image: Marketplace URN / ``imageReference`` dict / gallery or managed image id or object.
        os: free-form OS (``"Ubuntu 22.04"``), used when no image is given or the image is a
            gallery/managed image without OS information.
        os_type: ``"Linux"`` or ``"Windows"`` (``osDisk.osType``): the OS family when the image/OS
            doesn't tell it (used by per-OS feature rules such as Linux hibernation).
        generation: Hyper-V generation 1 or 2 (``"V1"``/``"V2"`` accepted); wins over SKU heuristics.
        features: VM features in use (``"managed image"``, ``"ASR"``, ``"hibernation"``...).
        region: ARM location name.
        as_of: snapshot selector (see :func:`~tlkit.support.resolve_snapshot`).

    Raises:
        DataError: unusable input (unparseable size, malformed image, unknown feature name...).
    """
    snap = resolve_snapshot(as_of)
    if not isinstance(size, str):
        raise DataError(f"VM size must be a string, not {type(size).__name__}", record=size, field="size")
    # The memo key is built from canonical values only (parsed image object, int generation,
    # feature keys): equal-but-different inputs such as True / 1 / "V1" can't share an entry, and
    # an unhashable input can't reach the cache.
    return _check_cached(
        size,
        _image_arg(image),
        os=_text_arg(os, "os"),
        os_type=_os_type_arg(os_type),
        generation=parse_generation(generation),
        features=tuple(dict.fromkeys(feature_key(f) for f in _as_list(features))),
        region=_text_arg(region, "region"),
        snap=snap,
    )


def _check(
    size: str,
    img: ImageLike | None,
    *,
    os: str | None,
    os_type: str | None,
    generation: int | None,
    features: tuple[str, ...],
    region: str | None,
    snap: Snapshot,
) -> CompatibilityReport:
    st = size_status(size, snap)
    info = st.size
    blockers: list[Blocker] = []
    notes: list[str] = []

    if st.status != "supported":
        code = {
            "not-supported": "size-not-supported",
            "currently-not-supported": "size-currently-not-supported",
            "unknown": "size-unknown",
        }[st.status]
        suggest = ", ".join(supported_alternatives(info, snap)) or "a supported family of this snapshot"
        row = st.matched_row.label if st.matched_row else ""
        blockers.append(
            _blocker(code, snap, size=info.name, series=info.series, row=row, suggest=suggest, why=st.note)
        )
    if st.note and st.status != "unknown":  # an unknown size's note is the blocker message's reason
        notes.append(st.note)
    if _family_rows().get(info.family, {}).get("gpu") == "yes":
        notes.append(_note("gpu-drivers"))
    if info.architecture == "Arm64":
        notes.append(_note("arm64-images"))

    os_info: OsInfo | None = None
    if img is not None:
        if isinstance(img, GalleryImage | ManagedImage) and img.os is None and os is not None:
            img = (
                GalleryImage(img.id, img.security_type, img.hyper_v_generation, os, img.architecture)
                if isinstance(img, GalleryImage)
                else ManagedImage(img.id, img.hyper_v_generation, os)
            )
        os_info = identify_os(img)
    elif os is not None:
        os_info = identify_os(os)

    feature_keys: list[str] = list(features)
    if isinstance(img, ManagedImage) and "managed-image" not in feature_keys:
        feature_keys.append("managed-image")
    if isinstance(img, GalleryImage):
        if "azure-compute-gallery" not in feature_keys:
            feature_keys.append("azure-compute-gallery")
        if img.security_type is None:
            notes.append(_note("gallery-security-type-unknown"))
        elif img.security_type.lower() not in tl_security_types("gallery"):
            blockers.append(
                _blocker("gallery-image-not-tl", snap, security_type=img.security_type or "absent")
            )
            since = _msgs()["notes"]["acg-default"]["since_snapshot"]
            if snap.date >= resolve_snapshot(since).date:
                notes.append(_note("acg-default"))
    if (
        isinstance(img, MarketplaceImage)
        and img.security_type is not None
        and "trustedlaunch" not in img.security_type.lower()
    ):
        blockers.append(
            _blocker("image-not-tl", snap, image=img.urn, security_type=img.security_type or "absent")
        )

    gen = generation
    if gen is None and os_info is not None and os_info.generation is not None:
        gen = os_info.generation
        if os_info.generation_basis == "sku-heuristic" and isinstance(img, MarketplaceImage):
            notes.append(_note("generation-from-sku", generation=gen, sku=img.sku))
    if gen == 1:
        b = _blocker("gen1", snap)
        excluded = os_info is not None and _gen1_upgrade_excluded(os_info)
        if excluded and os_info is not None:
            x = _blocker("gen1-upgrade-not-supported", snap, os=os_info.display)
            b = Blocker(b.code, f"{b.message}; {x.message}", x.remediation, b.source)
        blockers.append(b)
        notes.append(_note("gen1-upgrade"))
    elif gen is None:
        notes.append(_note("generation-unknown"))

    os_st: OsStatus | None = None
    if os_info is not None:
        os_st = os_status(os_info, snap)
        if os_st.supported is False:
            listed = ", ".join(os_st.listed) if os_st.listed else "none for this distro"
            blockers.append(_blocker("os-not-supported", snap, os=os_info.display, listed=listed))
        elif os_st.supported is None:
            notes.append(_note("os-unknown", reason=os_st.reason))
    else:
        notes.append(_note("os-unknown", reason="no image or OS given"))

    os_family = os_info.os_type if os_info is not None and os_info.os_type else os_type
    rules = {r.feature: r for r in unsupported_features(snap)}
    for key in feature_keys:
        rule = rules.get(key)
        if rule is None:
            continue
        per_os = {"windows": rule.windows, "linux": rule.linux}
        states = [per_os[os_family]] if os_family in per_os else list(per_os.values())
        if (
            rule.except_size_min_version is not None
            and info.effective_version >= rule.except_size_min_version
        ):
            notes.append(_note("nested-virtualization-v5", label=rule.label, version=info.effective_version))
            continue
        if "unsupported" in states and (os_family is not None or all(s == "unsupported" for s in states)):
            code = "managed-image" if key == "managed-image" else "feature-not-supported"
            blockers.append(_blocker(code, snap, label=rule.label, remediation=rule.remediation))
        elif "unsupported" in states:
            notes.append(_note("feature-os-family-unknown", label=rule.label, tag=snap.tag))
        elif "preview" in states:
            notes.append(_note("feature-preview", label=rule.label, os_family=os_family or "one OS family"))

    if region is not None:
        rs = region_status(region, snap)
        if rs.supported is not True:
            blockers.append(
                _blocker(
                    "region-not-supported", snap, region=rs.region, cloud=rs.cloud, listed=rs.listed or "none"
                )
            )

    img_arch = os_info.architecture if os_info is not None else None
    if img_arch is not None and img_arch != info.architecture:
        blockers.append(
            _blocker(
                "architecture-mismatch",
                snap,
                image_arch=img_arch,
                size=info.name,
                size_arch=info.architecture,
            )
        )

    return CompatibilityReport(
        size=info.name,
        size_status=st.status,
        size_detail=st,
        os_supported=os_st.supported if os_st is not None else None,
        os_detail=os_st,
        generation=gen,
        compatible=not blockers,
        blockers=tuple(blockers),
        notes=tuple(dict.fromkeys(notes)),
        snapshot=snap.id,
    )


_check_cached = lru_cache(maxsize=65536, typed=True)(_check)
"""``_check`` memoized on canonical arguments (a fleet report calls check_vm once per VM)."""


def _image_arg(image: str | Mapping[str, Any] | ImageLike | None) -> ImageLike | None:
    """The parsed image, its ``hyper_v_generation`` validated (1, 2 or None; never ``True``)."""
    if image is None:
        return None
    img = parse_image(image)
    g = img.hyper_v_generation
    if g is not None and type(g) is not int:
        img = replace(img, hyper_v_generation=parse_generation(g, record=str(img), field="hyperVGeneration"))
    elif g is not None and g not in (1, 2):
        parse_generation(g, record=str(img), field="hyperVGeneration")
    return img


def _text_arg(value: object, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise DataError(f"{field} must be a string, not {type(value).__name__}", record=value, field=field)


def _as_list(features: Iterable[str]) -> list[str]:
    if isinstance(features, str):
        return [features]
    try:
        return list(features)
    except TypeError as e:
        raise DataError("features must be a list of names", record=features, field="features") from e


def _os_type_arg(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    key = str(value).strip().lower()
    if key not in ("linux", "windows"):
        raise DataError(f"os_type must be 'Linux' or 'Windows', not {value!r}", record=value, field="osType")
    return key
