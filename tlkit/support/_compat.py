"""Compatibility report for one VM: size, image/OS, generation, features and region against a snapshot.

Decision rules (all texts and remediations come from ``data/support/messages.json``):

- size status ``not-supported`` / ``currently-not-supported`` / ``unknown`` → blocker;
- managed image → blocker (unsupported feature "Managed Image" in every snapshot);
- gallery image whose ``SecurityType`` is known and doesn't allow TL → blocker; unknown → note;
- Marketplace image whose known ``SecurityType`` lacks ``TrustedLaunch`` → blocker;
- generation 1 (explicit, or inferred from the SKU name) → blocker with the Gen1 upgrade path;
- OS ``supported=False`` → blocker (only when the image has no SecurityType; a distro without a
  table row → note); ``None`` → note;
- each requested feature unsupported for the VM's OS family → blocker (preview / exempt → note);
- region outside the snapshot's list → blocker;
- image architecture (explicit, or the SKU rules of ``image_architecture.csv``: unmarked → x64,
  a labelled heuristic) different from the size's → blocker.

``compatible`` is False with a blocker, True when nothing blocks and every condition was checked,
None (``undetermined`` says why) when nothing blocks but the generation, the image condition (no
TL ``SecurityType`` and no OS-table verdict) or an Arm64 image's architecture is unknown.
The image condition follows FAQ-2025 (notes §1.5): an image ``SecurityType`` that allows TL
decides; the OS table is used only without one, and a distro missing from it is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from tlkit._result import Verdict
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
    image_generation,
    os_status,
    parse_generation,
    parse_image,
)
from tlkit.support._snapshots import Snapshot, load_csv, load_json, resolve_snapshot

if TYPE_CHECKING:
    import datetime as _dt

__all__ = ["Blocker", "CompatibilityReport", "check_vm", "image_security_type", "tl_security_types"]


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
class CompatibilityReport(Verdict):
    """Outcome of :func:`check_vm`.

    Attributes:
        size: canonical size name.
        size_status: one of ``supported``, ``currently-not-supported``, ``not-supported``, ``unknown``.
        size_detail: the full :class:`~tlkit.support.SizeStatus`.
        os_supported: True / False / None (not given or undetermined).
        os_detail: the :class:`~tlkit.support.OsStatus`, None when no image/OS was given.
        generation: Hyper-V generation used (explicit > image > SKU heuristic), None if unknown.
        compatible: three-valued verdict: ``False`` when there is a blocker, ``True`` when there is
            none and every condition could be checked, ``None`` (undetermined) when there is no
            blocker but something could not be checked (see ``undetermined``).
        blockers: every blocker found.
        notes: advisory notes (GPU drivers under Secure Boot, Gen1 upgrade issues, heuristics used).
        snapshot: snapshot id.
        undetermined: why ``compatible`` is None: ``generation-unknown``, ``image-undetermined``
            (no TL SecurityType and no OS table verdict), ``architecture-unknown`` (Arm64 size),
            ``feature-os-family-unknown:<feature>``; empty when ``compatible`` is not None.
        image_security_type: the image's own ``SecurityType`` feature, if given.
    """

    size: str
    size_status: str
    size_detail: SizeStatus
    os_supported: bool | None
    os_detail: OsStatus | None
    generation: int | None
    compatible: bool | None
    blockers: tuple[Blocker, ...]
    notes: tuple[str, ...]
    snapshot: str
    undetermined: tuple[str, ...] = ()
    image_security_type: str | None = None

    @property
    def passed(self) -> bool:
        return self.compatible is True

    @property
    def verdict(self) -> str:
        """``"compatible"``, ``"not-compatible"`` or ``"undetermined"``."""
        return {True: "compatible", False: "not-compatible", None: "undetermined"}[self.compatible]

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
            "verdict": self.verdict,
            "undetermined": list(self.undetermined),
            "image_security_type": self.image_security_type,
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


def _blocker(code: str, snap: Snapshot, *, key: str | None = None, **fmt: object) -> Blocker:
    m = _msgs()["blockers"][key or code]
    source = str(m["source"])
    quote_since = m.get("source_quote_since_snapshot")
    if m.get("source_quote") and (quote_since is None or snap.date >= resolve_snapshot(quote_since).date):
        source = f"{source}: {m['source_quote']}"  # the quote only where that snapshot's text has it
    return Blocker(code, m["message"].format(**fmt), m["remediation"].format(**fmt), f"{snap.tag}: {source}")


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


def image_security_type(img: ImageLike | None) -> tuple[str | None, bool]:
    """(the image's own ``SecurityType``, whether it allows Trusted Launch) (FAQ-2025, notes §1.5).

    Gallery values are looked up in ``data/support/image_security_types.csv``; for a Marketplace
    image FAQ-2025's rule applies: the value *contains* ``TrustedLaunch``.
    """
    if isinstance(img, GalleryImage) and img.security_type is not None:
        return img.security_type, img.security_type.lower() in tl_security_types("gallery")
    if isinstance(img, MarketplaceImage) and img.security_type is not None:
        return img.security_type, "trustedlaunch" in img.security_type.lower()
    return None, False


def _since(entry: Mapping[str, Any], snap: Snapshot) -> bool:
    """Whether a messages.json entry with an optional ``since_snapshot`` applies in ``snap``."""
    since = entry.get("since_snapshot")
    return since is None or snap.date >= resolve_snapshot(str(since)).date


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
    undetermined: list[str] = []

    if st.status != "supported":
        code = {
            "not-supported": "size-not-supported",
            "currently-not-supported": "size-currently-not-supported",
            "unknown": "size-unknown",
        }[st.status]
        suggest = ", ".join(supported_alternatives(info, snap)) or "a supported family of this snapshot"
        row = st.matched_row.label if st.matched_row else ""
        # Size table notes: only the 'no Gen2' rows (Av2/Dv2/Dv3/Ev3/NC/NV/NP/A) carry that reason.
        no_gen2 = st.matched_row is not None and "Generation 2" in st.matched_row.note
        key = "size-not-supported-listed" if code == "size-not-supported" and not no_gen2 else code
        blockers.append(
            _blocker(
                code, snap, key=key, size=info.name, series=info.series, row=row, suggest=suggest, why=st.note
            )
        )
    if st.note and st.status != "unknown":  # an unknown size's note is the blocker message's reason
        notes.append(st.note)
    if _family_rows().get(info.family, {}).get("gpu") == "yes" and _since(
        _msgs()["notes"]["gpu-drivers"], snap
    ):
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

    sec_type, image_tl = image_security_type(img)
    if image_tl and img is not None and img.hyper_v_generation == 1:
        notes.append(_note("image-inconsistent", security_type=sec_type))
        image_tl = False

    feature_keys: list[str] = list(features)
    if isinstance(img, ManagedImage) and "managed-image" not in feature_keys:
        feature_keys.append("managed-image")
    if isinstance(img, GalleryImage):
        if "azure-compute-gallery" not in feature_keys:
            feature_keys.append("azure-compute-gallery")
        if img.security_type is None:
            notes.append(_note("gallery-security-type-unknown"))
        elif not image_tl and img.hyper_v_generation != 1:
            blockers.append(
                _blocker("gallery-image-not-tl", snap, security_type=img.security_type or "absent")
            )
            if _since(_msgs()["notes"]["acg-default"], snap):
                notes.append(_note("acg-default"))
    if (
        isinstance(img, MarketplaceImage)
        and sec_type is not None
        and not image_tl
        and img.hyper_v_generation != 1
    ):
        blockers.append(_blocker("image-not-tl", snap, image=img.urn, security_type=sec_type))

    gen = generation
    if gen is None and os_info is not None and os_info.generation is not None:
        gen = os_info.generation
        if os_info.generation_basis == "sku-heuristic" and isinstance(img, MarketplaceImage):
            notes.append(_note("generation-from-sku", generation=gen, sku=img.sku))
    if gen is None and image_tl:
        gen = 2
        notes.append(_note("generation-from-security-type", security_type=sec_type))
    if gen == 1:
        upgrade = _since(_msgs()["blockers"]["gen1"], snap)
        b = _blocker("gen1", snap, key="gen1" if upgrade else "gen1-redeploy")
        excluded = upgrade and os_info is not None and _gen1_upgrade_excluded(os_info)
        if excluded and os_info is not None:
            x = _blocker("gen1-upgrade-not-supported", snap, os=os_info.display)
            b = Blocker(b.code, f"{b.message}; {x.message}", x.remediation, b.source)
        blockers.append(b)
        if _since(_msgs()["notes"]["gen1-upgrade"], snap):
            notes.append(_note("gen1-upgrade"))
    elif gen is None:
        notes.append(_note("generation-unknown"))
        undetermined.append("generation-unknown")

    # Image condition (FAQ-2025, notes §1.5): the image's own SecurityType decides; the OS table
    # is consulted only without one, and a distro with no table row is "unknown", not a failure.
    os_st: OsStatus | None = None
    os_supported: bool | None = None
    if os_info is not None:
        os_st = os_status(os_info, snap)
        os_supported = os_st.supported
        if image_tl:
            if os_st.supported is not True:
                notes.append(
                    _note("image-security-type-decides", security_type=sec_type, reason=os_st.reason)
                )
        elif os_st.supported is False and "distro-not-listed" in os_st.reasons:
            os_supported = None
            notes.append(_note("os-row-missing", os=os_info.display, tag=snap.tag))
        elif os_st.supported is False:
            listed = ", ".join(os_st.listed) if os_st.listed else "none for this distro"
            blockers.append(_blocker("os-not-supported", snap, os=os_info.display, listed=listed))
        elif os_st.supported is None:
            notes.append(_note("os-unknown", reason=os_st.reason))
    else:
        notes.append(_note("os-unknown", reason="no image or OS given"))
    if not image_tl and os_supported is None and sec_type is None:
        undetermined.append("image-undetermined")

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
            undetermined.append(f"feature-os-family-unknown:{key}")
        elif "preview" in states:
            notes.append(_note("feature-preview", label=rule.label, os_family=os_family or "one OS family"))

    if region is not None:
        rs = region_status(region, snap)
        if rs.supported is not True:
            blockers.append(
                _blocker(
                    "region-not-supported",
                    snap,
                    region=rs.region,
                    cloud=rs.cloud,
                    listed=rs.listed or rs.reason,
                )
            )
        elif rs.listed == "*":
            notes.append(_note("region-not-validated", region=rs.region, tag=snap.tag, cloud=rs.cloud))

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
    heuristic = os_info is not None and os_info.architecture_basis == "sku-heuristic"
    if img_arch is not None and heuristic and (img_arch != info.architecture or img_arch == "Arm64"):
        if isinstance(img, MarketplaceImage):
            notes.append(
                _note(
                    "architecture-heuristic", arch=img_arch, sku=img.sku, rule=_arch_rule_note(img, img_arch)
                )
            )
    elif img_arch is None and img is not None:
        notes.append(_note("architecture-unknown", size=info.name, size_arch=info.architecture))
        if info.architecture == "Arm64":
            undetermined.append("architecture-unknown")

    verdict: bool | None = False if blockers else (None if undetermined else True)
    return CompatibilityReport(
        size=info.name,
        size_status=st.status,
        size_detail=st,
        os_supported=os_supported,
        os_detail=os_st,
        generation=gen,
        compatible=verdict,
        blockers=tuple(blockers),
        notes=tuple(dict.fromkeys(notes)),
        snapshot=snap.id,
        undetermined=tuple(dict.fromkeys(undetermined)) if not blockers else (),
        image_security_type=sec_type,
    )


def _arch_rule_note(img: MarketplaceImage, arch: str) -> str:
    """The note of the SKU rule that gave ``arch`` (``image_architecture.csv``/``image_generation.csv``)."""
    g = image_generation(img)
    if g.architecture == arch and g.rule:
        return g.rule
    for rule in load_csv("image_architecture.csv"):
        if rule["architecture"] == arch:
            return rule["note"]
    return "SKU rule"


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
