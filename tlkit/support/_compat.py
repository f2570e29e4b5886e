"""Compatibility report for one VM: size, image/OS, generation, features and region against a snapshot.

Decision rules are named data: :data:`COMPAT_RULES`, one small function per documented rule, applied
in order (all texts and remediations come from ``data/support/messages.json``):

- size status ``not-supported`` / ``currently-not-supported`` → blocker; ``unknown`` (no table row,
  e.g. the SGX DC-series after TL-2023) → undetermined (``size-unknown``) with a note, never refused;
- managed image → blocker (unsupported feature "Managed Image" in every snapshot);
- gallery image whose ``SecurityType`` is known and doesn't allow TL → blocker; unknown → note;
- Marketplace image whose known ``SecurityType`` lacks ``TrustedLaunch`` → blocker;
- generation: explicit > image (SKU rules, noted) > a TL SecurityType > a Marketplace OS name the OS
  table lists (its Gen2 image, noted); generation 1 → blocker whose remediation is the Gen1 → TL
  upgrade documented at the snapshot's date (``gen1_upgrade.csv``: preview from 11/29/2024);
- OS ``supported=False`` → blocker (only when the image has no SecurityType; a distro without a
  table row → note); ``None`` → note;
- each requested feature unsupported for the VM's OS family → blocker (preview / exempt → note);
- region outside the snapshot's list → blocker;
- image architecture (explicit, or the SKU rules of ``image_architecture.csv``: unmarked → x64,
  a labelled heuristic) different from the size's → blocker.

``compatible`` is False with a blocker, True when nothing blocks and every condition was checked,
None (``undetermined`` says why) when nothing blocks but the size's status, the generation, the
image condition (no TL ``SecurityType`` and no OS-table verdict) or an Arm64 image's architecture is
unknown. Every verdict that is not True carries ``reasons`` (blocker codes, else ``undetermined``).
Notes are kept as :class:`NoteSpec` and worded per interface (:meth:`CompatibilityReport.notes_for`).
The image condition follows FAQ-2025 (notes §1.5): an image ``SecurityType`` that allows TL
decides; the OS table is used only without one, and a distro missing from it is unknown.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from tlkit._data import check_data_root, data_cache
from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.support._features import FeatureRule, feature_key, region_status, unsupported_features
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
from tlkit.support._sizes import SizeInfo
from tlkit.support._snapshots import Snapshot, load_csv, load_json, resolve_snapshot

__all__ = [
    "COMPAT_RULES",
    "Blocker",
    "CompatRule",
    "CompatibilityReport",
    "NoteSpec",
    "check_vm",
    "gen1_upgrade_stage",
    "image_security_type",
    "tl_security_types",
]


@data_cache()
def tl_security_types(kind: str) -> frozenset[str]:
    """Lower-cased image ``SecurityType`` values that allow Trusted Launch VMs, for ``"gallery"`` or
    ``"marketplace"`` images (``data/support/image_security_types.csv``)."""
    return frozenset(
        r["value"].lower()
        for r in load_csv("image_security_types.csv")
        if r["kind"] == kind and r["allows_trusted_launch"] == "yes"
    )


@data_cache()
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
        undetermined: why ``compatible`` is None: ``size-unknown``, ``generation-unknown``,
            ``image-undetermined``
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

    note_specs: tuple[NoteSpec, ...] = field(default=(), repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.compatible is True

    def notes_for(self, interface: str = "python") -> tuple[str, ...]:
        """:attr:`notes` worded for ``interface`` (``"python"`` or ``"cli"``): the same messages,
        naming ``generation=1|2`` or ``--generation 1|2`` (``messages.json`` ``interfaces``)."""
        if not self.note_specs:
            return self.notes
        return tuple(dict.fromkeys(spec.render(interface) for spec in self.note_specs))

    @property
    def verdict(self) -> str:
        """``"compatible"``, ``"not-compatible"`` or ``"undetermined"``."""
        return {True: "compatible", False: "not-compatible", None: "undetermined"}[self.compatible]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is not True (machine-readable): the blocker codes, else the
        ``undetermined`` codes; empty only when ``compatible`` is True."""
        return tuple(b.code for b in self.blockers) or self.undetermined

    def to_dict(self, interface: str = "python") -> dict[str, Any]:
        """JSON-able summary (notes worded for ``interface``, see :meth:`notes_for`)."""
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
            "notes": list(self.notes_for(interface)),
            "reasons": list(self.reasons),
            "snapshot": self.snapshot,
        }


@data_cache()
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
    check_data_root()
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


@dataclass
class _Check:
    """The working state of one :func:`check_vm` call, filled by :data:`COMPAT_RULES` in order."""

    img: ImageLike | None
    os: str | None
    os_type: str | None
    generation: int | None
    features: tuple[str, ...]
    region: str | None
    snap: Snapshot
    st: SizeStatus
    os_info: OsInfo | None = None
    sec_type: str | None = None
    image_tl: bool = False
    feature_keys: list[str] = field(default_factory=list)
    gen: int | None = None
    os_st: OsStatus | None = None
    os_supported: bool | None = None
    blockers: list[Blocker] = field(default_factory=list)
    notes: list[NoteSpec] = field(default_factory=list)
    undetermined: list[str] = field(default_factory=list)

    @property
    def info(self) -> SizeInfo:
        return self.st.size

    def block(self, code: str, *, key: str | None = None, **fmt: object) -> None:
        self.blockers.append(_blocker(code, self.snap, key=key, **fmt))

    def note(self, key: str, **fmt: object) -> None:
        self.notes.append(NoteSpec(key, tuple((k, str(v)) for k, v in fmt.items())))

    def text_note(self, text: str) -> None:
        self.notes.append(NoteSpec(None, (("text", text),)))


@dataclass(frozen=True)
class NoteSpec:
    """One advisory note: a ``messages.json`` ``notes`` key and its values (``key`` None: a table's own
    text), worded per interface by :meth:`render`."""

    key: str | None
    fmt: tuple[tuple[str, str], ...]

    def render(self, interface: str = "python") -> str:
        values = dict(self.fmt)
        if self.key is None:
            return values["text"]
        words = _msgs()["interfaces"].get(interface) or _msgs()["interfaces"]["python"]
        return str(_msgs()["notes"][self.key]["text"]).format(arg=words, **values)


@dataclass(frozen=True)
class CompatRule:
    """One documented compatibility rule of :func:`check_vm` (listed in :data:`COMPAT_RULES`).

    Attributes:
        code: stable name of the rule.
        source: where the rule comes from (document tags as in ``data/support/SOURCES.md``).
        check: reads and fills the check's state: blockers, notes, ``undetermined``.
    """

    code: str
    source: str
    check: Callable[[_Check], None] = field(repr=False, compare=False)

    @property
    def description(self) -> str:
        return (self.check.__doc__ or "").strip()


def _rule_size_status(c: _Check) -> None:
    """A size the table lists as not / currently not supported blocks; an unknown size makes the
    verdict undetermined (``size-unknown``), with the table's reason and what to check."""
    st, info = c.st, c.info
    suggest = ", ".join(supported_alternatives(info, c.snap)) or "a supported family of this snapshot"
    row = st.matched_row.label if st.matched_row else ""
    if st.status == "unknown":
        c.note("size-unknown", size=info.name, series=info.series, why=st.note, suggest=suggest)
        c.undetermined.append("size-unknown")
        return
    if st.status == "supported":
        return
    code = {"not-supported": "size-not-supported", "currently-not-supported": "size-currently-not-supported"}[
        st.status
    ]
    # Size table notes: only the 'no Gen2' rows (Av2/Dv2/Dv3/Ev3/NC/NV/NP/A) carry that reason.
    no_gen2 = st.matched_row is not None and "Generation 2" in st.matched_row.note
    key = "size-not-supported-listed" if code == "size-not-supported" and not no_gen2 else code
    c.block(code, key=key, size=info.name, series=info.series, row=row, suggest=suggest, why=st.note)


def _rule_size_notes(c: _Check) -> None:
    """The size row's own note, GPU drivers under Secure Boot, Arm64 images."""
    if c.st.note and c.st.status != "unknown":  # an unknown size's note is in the size-unknown note
        c.text_note(c.st.note)
    if _family_rows().get(c.info.family, {}).get("gpu") == "yes" and _since(
        _msgs()["notes"]["gpu-drivers"], c.snap
    ):
        c.note("gpu-drivers")
    if c.info.architecture == "Arm64":
        c.note("arm64-images")


def _rule_identify(c: _Check) -> None:
    """The OS of the image (a gallery/managed image takes ``os`` when it has none) or of ``os``;
    an image SecurityType that allows TL on a Gen1 image is inconsistent and ignored."""
    img = c.img
    if isinstance(img, GalleryImage) and img.os is None and c.os is not None:
        img = GalleryImage(img.id, img.security_type, img.hyper_v_generation, c.os, img.architecture)
    elif isinstance(img, ManagedImage) and img.os is None and c.os is not None:
        img = ManagedImage(img.id, img.hyper_v_generation, c.os)
    c.img = img
    if img is not None or c.os is not None:
        c.os_info = identify_os(img if img is not None else c.os)  # type: ignore[arg-type]
    c.sec_type, c.image_tl = image_security_type(img)
    if c.image_tl and img is not None and img.hyper_v_generation == 1:
        c.note("image-inconsistent", security_type=c.sec_type)
        c.image_tl = False
    c.feature_keys = list(c.features)


def _rule_managed_image(c: _Check) -> None:
    """A managed image is the unsupported feature "Managed Image" (every snapshot)."""
    if isinstance(c.img, ManagedImage) and "managed-image" not in c.feature_keys:
        c.feature_keys.append("managed-image")


def _rule_gallery_image(c: _Check) -> None:
    """A gallery image's known SecurityType must allow TL (FAQ-2025, PORTAL); unknown → note."""
    img = c.img
    if not isinstance(img, GalleryImage):
        return
    if "azure-compute-gallery" not in c.feature_keys:
        c.feature_keys.append("azure-compute-gallery")
    if img.security_type is None:
        c.note("gallery-security-type-unknown")
    elif not c.image_tl and img.hyper_v_generation != 1:
        c.block("gallery-image-not-tl", security_type=img.security_type or "absent")
        if _since(_msgs()["notes"]["acg-default"], c.snap):
            c.note("acg-default")


def _rule_marketplace_security_type(c: _Check) -> None:
    """A Marketplace image's known SecurityType must contain TrustedLaunch (FAQ-2025)."""
    img = c.img
    if (
        isinstance(img, MarketplaceImage)
        and c.sec_type is not None
        and not c.image_tl
        and img.hyper_v_generation != 1
    ):
        c.block("image-not-tl", image=img.urn, security_type=c.sec_type)


def _rule_generation(c: _Check) -> None:
    """The Hyper-V generation: explicit > image (SKU rules, noted) > a TL SecurityType (Gen2) >
    a Marketplace OS name the OS table lists (its Gen2 image, noted); unknown → undetermined."""
    c.gen = c.generation
    info = c.os_info
    if c.gen is None and info is not None and info.generation is not None:
        c.gen = info.generation
        if info.generation_basis == "sku-heuristic" and isinstance(c.img, MarketplaceImage):
            c.note("generation-from-sku", generation=c.gen, sku=c.img.sku)
    if c.gen is None and c.image_tl:
        c.gen = 2
        c.note("generation-from-security-type", security_type=c.sec_type)
    if c.gen is None and c.img is None and info is not None and info.distro is not None:
        listed = os_status(info, c.snap)
        if listed.supported is True:
            c.gen = 2
            c.note("generation-from-os-name", os=info.display)
    if c.gen is None:
        c.note("generation-unknown")
        c.undetermined.append("generation-unknown")


def _rule_gen1(c: _Check) -> None:
    """Generation 1 blocks; the remediation is the Gen1 upgrade the snapshot's date had documented
    (``gen1_upgrade.csv``: preview from 11/29/2024, GEN1 03/09/2026), else redeploy."""
    if c.gen != 1:
        return
    stage = gen1_upgrade_stage(c.snap)
    key = stage["message"] if stage else "gen1-redeploy"
    b = _blocker("gen1", c.snap, key=key, flag=stage["flag"] if stage else "")
    if stage and c.os_info is not None and _gen1_upgrade_excluded(c.os_info):
        x = _blocker("gen1-upgrade-not-supported", c.snap, os=c.os_info.display)
        b = Blocker(b.code, f"{b.message}; {x.message}", x.remediation, b.source)
    c.blockers.append(b)
    if _since(_msgs()["notes"]["gen1-upgrade"], c.snap):
        c.note("gen1-upgrade")


def _rule_os(c: _Check) -> None:
    """Image condition (FAQ-2025, notes §1.5): an image SecurityType that allows TL decides; the OS
    table is consulted only without one, and a distro with no table row is unknown, not a failure."""
    if c.os_info is None:
        c.note("os-unknown", reason="no image or OS given")
    else:
        st = c.os_st = os_status(c.os_info, c.snap)
        c.os_supported = st.supported
        if c.image_tl:
            if st.supported is not True:
                c.note("image-security-type-decides", security_type=c.sec_type, reason=st.reason)
        elif st.supported is False and "distro-not-listed" in st.reasons:
            c.os_supported = None
            c.note("os-row-missing", os=c.os_info.display, tag=c.snap.tag)
        elif st.supported is False:
            listed = ", ".join(st.listed) if st.listed else "none for this distro"
            c.block("os-not-supported", os=c.os_info.display, listed=listed)
        elif st.supported is None:
            c.note("os-unknown", reason=st.reason)
    if not c.image_tl and c.os_supported is None and c.sec_type is None:
        c.undetermined.append("image-undetermined")


def _rule_features(c: _Check) -> None:
    """Each feature in use that the snapshot lists as unsupported for the VM's OS family blocks;
    preview → note; an OS family that decides it but is unknown → undetermined."""
    os_family = c.os_info.os_type if c.os_info is not None and c.os_info.os_type else c.os_type
    rules = {r.feature: r for r in unsupported_features(c.snap)}
    for key in c.feature_keys:
        rule = rules.get(key)
        if rule is not None:
            _feature_rule(c, key, rule, os_family)


def _feature_rule(c: _Check, key: str, rule: FeatureRule, os_family: str | None) -> None:
    per_os = {"windows": rule.windows, "linux": rule.linux}
    states = [per_os[os_family]] if os_family in per_os else list(per_os.values())
    if rule.except_size_min_version is not None and c.info.effective_version >= rule.except_size_min_version:
        c.note("nested-virtualization-v5", label=rule.label, version=c.info.effective_version)
    elif "unsupported" in states and (os_family is not None or all(s == "unsupported" for s in states)):
        code = "managed-image" if key == "managed-image" else "feature-not-supported"
        c.block(code, label=rule.label, remediation=rule.remediation)
    elif "unsupported" in states:
        c.note("feature-os-family-unknown", label=rule.label, tag=c.snap.tag)
        c.undetermined.append(f"feature-os-family-unknown:{key}")
    elif "preview" in states:
        c.note("feature-preview", label=rule.label, os_family=os_family or "one OS family")


def _rule_region(c: _Check) -> None:
    """A region outside the snapshot's list blocks; a cloud listed as "all regions" is noted."""
    if c.region is None:
        return
    rs = region_status(c.region, c.snap)
    if rs.supported is not True:
        c.block("region-not-supported", region=rs.region, cloud=rs.cloud, listed=rs.listed or rs.reason)
    elif rs.listed == "*":
        c.note("region-not-validated", region=rs.region, tag=c.snap.tag, cloud=rs.cloud)


def _rule_architecture(c: _Check) -> None:
    """The image's architecture (explicit, else the SKU rules) must be the size's (TL-2025b/TL-2026
    Arm64 note); an unknown image architecture on an Arm64 size is undetermined."""
    info, img = c.info, c.img
    img_arch = c.os_info.architecture if c.os_info is not None else None
    if img_arch is not None and img_arch != info.architecture:
        c.block("architecture-mismatch", image_arch=img_arch, size=info.name, size_arch=info.architecture)
    heuristic = c.os_info is not None and c.os_info.architecture_basis == "sku-heuristic"
    if img_arch is not None and heuristic and (img_arch != info.architecture or img_arch == "Arm64"):
        if isinstance(img, MarketplaceImage):
            c.note("architecture-heuristic", arch=img_arch, sku=img.sku, rule=_arch_rule_note(img, img_arch))
    elif img_arch is None and img is not None:
        c.note("architecture-unknown", size=info.name, size_arch=info.architecture)
        if info.architecture == "Arm64":
            c.undetermined.append("architecture-unknown")


COMPAT_RULES: tuple[CompatRule, ...] = (
    CompatRule("size-status", "size table (every snapshot)", _rule_size_status),
    CompatRule("size-notes", "size table notes; TL-2025b/TL-2026 Arm64 note", _rule_size_notes),
    CompatRule("identify-image", "reference notes §1.5, §7.1", _rule_identify),
    CompatRule("managed-image", "unsupported features list (Managed Image)", _rule_managed_image),
    CompatRule("gallery-image", "FAQ-2025 / PORTAL (ACG SecurityType)", _rule_gallery_image),
    CompatRule("marketplace-security-type", "FAQ-2025 (az vm image show)", _rule_marketplace_security_type),
    CompatRule("generation", "reference notes §7.1-7.2", _rule_generation),
    CompatRule("gen1", "size/OS tables (TL requires Gen2); gen1_upgrade.csv", _rule_gen1),
    CompatRule("os", "supported operating systems table; FAQ-2025", _rule_os),
    CompatRule("features", "unsupported features list", _rule_features),
    CompatRule("region", "regions list", _rule_region),
    CompatRule("architecture", "TL-2025b/TL-2026 Arm64 note", _rule_architecture),
)
"""The rules :func:`check_vm` applies, in order (each one's docstring says what it decides)."""


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
    c = _Check(img, os, os_type, generation, features, region, snap, size_status(size, snap))
    for rule in COMPAT_RULES:
        rule.check(c)
    verdict: bool | None = False if c.blockers else (None if c.undetermined else True)
    specs = tuple(dict.fromkeys(c.notes))
    return CompatibilityReport(
        size=c.info.name,
        size_status=c.st.status,
        size_detail=c.st,
        os_supported=c.os_supported,
        os_detail=c.os_st,
        generation=c.gen,
        compatible=verdict,
        blockers=tuple(c.blockers),
        notes=tuple(dict.fromkeys(spec.render() for spec in specs)),
        snapshot=snap.id,
        undetermined=tuple(dict.fromkeys(c.undetermined)) if not c.blockers else (),
        image_security_type=c.sec_type,
        note_specs=specs,
    )


@data_cache()
def _gen1_stages() -> tuple[dict[str, str], ...]:
    return load_csv("gen1_upgrade.csv")


def gen1_upgrade_stage(snap: Snapshot) -> dict[str, str] | None:
    """The ``gen1_upgrade.csv`` row in force at the snapshot's date (the latest ``since`` on or
    before it), None before the first documented Gen1 → Trusted Launch upgrade."""
    chosen = None
    for row in _gen1_stages():
        if _dt.date.fromisoformat(row["since"]) <= snap.date:
            chosen = row
    return chosen


def _arch_rule_note(img: MarketplaceImage, arch: str) -> str:
    """The note of the SKU rule that gave ``arch`` (``image_architecture.csv``/``image_generation.csv``)."""
    g = image_generation(img)
    if g.architecture == arch and g.rule:
        return g.rule
    for rule in load_csv("image_architecture.csv"):
        if rule["architecture"] == arch:
            return rule["note"]
    return "SKU rule"


_check_cached = data_cache(maxsize=65536, typed=True, checked=False)(_check)
"""``_check`` memoized on canonical arguments (a fleet report calls check_vm once per VM); check_vm
checks the data root first."""


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
