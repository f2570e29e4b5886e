"""Operating systems and images: what an image is, and whether its OS is in a snapshot's table.

Inputs:

- a Marketplace image reference (:class:`MarketplaceImage`, ``"Publisher:Offer:Sku:Version"`` or an
  ARM ``imageReference`` dict), mapped to a distro and version through
  ``data/support/image_offers.csv`` (publisher / offer / sku globs + a version regex);
- an Azure Compute Gallery image (:class:`GalleryImage`) with its ``SecurityType`` feature: a
  subscription gallery id (``/subscriptions/.../providers/Microsoft.Compute/galleries/...``), a
  direct shared gallery id (``/SharedGalleries/{name}/Images/{image}[/Versions/{v}]``, ARM
  ``sharedGalleryImageId``) or a community gallery id (``/CommunityGalleries/...``, ARM
  ``communityGalleryImageId``); :attr:`GalleryImage.kind` tells them apart;
- a managed image (:class:`ManagedImage`, an id containing ``/providers/Microsoft.Compute/images/``);
- a free-form OS string (``"Ubuntu 22.04"``, ``"Windows Server 2022"``, ``"RHEL 9.4"``,
  ``"SLES 15 SP5"``), read with the aliases in ``data/support/os_distros.csv``.

Outcomes (documented choice): :func:`os_status` returns ``supported`` True/False/None.

- ``False``: a distro tlkit knows whose version is not listed, or a distro absent from that
  snapshot's table (e.g. CentOS in 2026).
- ``None`` with a reason: the answer can't be determined: a syntactically fine OS string whose
  distro tlkit doesn't know (``"FreeBSD 14"``), an image offer not in the offer table, a missing
  version, or a major version when the table lists minors (``"RHEL 9"`` vs 9.4, 9.5, ...).
- :class:`~tlkit.errors.DataError`: input that is not an OS or image at all (empty, no name token,
  a malformed URN or resource id).

Hyper-V generation (:func:`image_generation`, the one place that decides it for an image): an
explicit ``generation`` wins; otherwise the first matching SKU rule of
``data/support/image_generation.csv`` gives a guess marked ``generation_basis="sku-heuristic"``.
The rules carry their basis: ``-gen2``/``gensecond``/``-g2`` is the naming convention of reference
notes §7.1; ``arm64``, ``gen1``, Azure Edition, ``cvm`` and "no marker → Gen1" are heuristics.
The Gen1→TL upgrade leaves a stale ``imageReference``, so an image's SKU is not proof of a VM's
generation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from tlkit._data import data_cache
from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.support._snapshots import Snapshot, load_csv, resolve_snapshot, snapshots

if TYPE_CHECKING:
    import datetime as _dt

    import pandas as pd

__all__ = [
    "GalleryImage",
    "ImageGeneration",
    "ImageLike",
    "ManagedImage",
    "MarketplaceImage",
    "OsInfo",
    "OsStatus",
    "identify_os",
    "image_generation",
    "image_or_os",
    "os_status",
    "os_table",
    "parse_generation",
    "parse_image",
]


@dataclass(frozen=True)
class MarketplaceImage:
    """A Marketplace (platform image repository) image reference."""

    publisher: str
    offer: str
    sku: str
    version: str = "latest"
    security_type: str | None = None
    hyper_v_generation: int | None = None
    architecture: str | None = None

    @property
    def urn(self) -> str:
        return f"{self.publisher}:{self.offer}:{self.sku}:{self.version}"

    @property
    def kind(self) -> str:
        """Image kind: always ``"marketplace"``."""
        return "marketplace"

    def __str__(self) -> str:
        return self.urn


_SHARED_PREFIXES = {"/sharedgalleries/": "shared-gallery", "/communitygalleries/": "community-gallery"}
_SHARED_ID = re.compile(r"^/(?:sharedgalleries|communitygalleries)/[^/]+/images/[^/]+(?:/versions/[^/]+)?/?$")
_KIND_LABELS = {
    "gallery": "gallery image",
    "shared-gallery": "shared gallery image",
    "community-gallery": "community gallery image",
    "managed-image": "managed image",
}


@dataclass(frozen=True)
class GalleryImage:
    """An Azure Compute Gallery image (definition or version) with its ``SecurityType`` feature."""

    id: str
    security_type: str | None = None
    hyper_v_generation: int | None = None
    os: str | None = None
    architecture: str | None = None

    @property
    def kind(self) -> str:
        """``"gallery"`` (a subscription's gallery), ``"shared-gallery"`` (direct shared gallery,
        ``/SharedGalleries/...``) or ``"community-gallery"`` (``/CommunityGalleries/...``)."""
        low = self.id.lower()
        return next((k for p, k in _SHARED_PREFIXES.items() if low.startswith(p)), "gallery")

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class ManagedImage:
    """A managed image (``Microsoft.Compute/images``): not supported with Trusted Launch."""

    id: str
    hyper_v_generation: int | None = None
    os: str | None = None

    @property
    def kind(self) -> str:
        """Image kind: always ``"managed-image"``."""
        return "managed-image"

    def __str__(self) -> str:
        return self.id


ImageLike = MarketplaceImage | GalleryImage | ManagedImage


@dataclass(frozen=True)
class OsInfo:
    """What tlkit could tell about an OS (unverified: from names only).

    Attributes:
        distro: key in ``os_distros.csv`` (``"ubuntu"``, ``"windows-server"``), None if unknown.
        version: normalised version (``"22.04"``, ``"9.4"``, ``"15sp5"``, ``"2022-azure-edition"``,
            ``"enterprise"``), None if not determined.
        display: human-readable text.
        os_type: ``"linux"``, ``"windows"`` or None.
        generation: Hyper-V generation (1 or 2) or None.
        generation_basis: ``"explicit"``, ``"sku-heuristic"`` or None.
        architecture: ``"x64"``, ``"Arm64"`` or None.
        reason: why distro/version is None, if it is.
        architecture_basis: ``"explicit"`` (given with the image), ``"sku-heuristic"`` (a rule of
            ``data/support/image_architecture.csv`` or ``image_generation.csv``) or None.
    """

    distro: str | None
    version: str | None
    display: str
    os_type: str | None
    generation: int | None = None
    generation_basis: str | None = None
    architecture: str | None = None
    reason: str = ""
    architecture_basis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OsStatus(Verdict):
    """Whether an OS is in a snapshot's supported-OS table.

    Attributes:
        os: what was identified.
        supported: True / False / None (undetermined; see ``reason``).
        listed: the versions the table lists for that distro (empty if none).
        matched: the table versions that matched.
        reason: human-readable explanation.
        reasons: machine-readable (``"listed"``, ``"version-not-listed"``, ``"distro-not-listed"``,
            ``"distro-unknown"``, ``"version-unknown"``, ``"minor-version-ambiguous"``).
        snapshot: snapshot id.
    """

    os: OsInfo
    supported: bool | None
    listed: tuple[str, ...]
    matched: tuple[str, ...]
    reason: str
    reasons: tuple[str, ...]
    snapshot: str

    @property
    def passed(self) -> bool:
        return self.supported is True

    def to_dict(self) -> dict[str, Any]:
        return {
            "os": self.os.to_dict(),
            "supported": self.supported,
            "listed": list(self.listed),
            "matched": list(self.matched),
            "reason": self.reason,
            "reasons": list(self.reasons),
            "snapshot": self.snapshot,
        }


# ---------------------------------------------------------------------------------------------
# image references

_GEN = {"v1": 1, "v2": 2, "1": 1, "2": 2}


def parse_generation(value: object, *, record: object = None, field: str = "generation") -> int | None:
    """Hyper-V generation from ``1``/``2``/``"V1"``/``"V2"`` (None or ``""`` → None).

    Raises:
        DataError: any other value (``field`` names the input, e.g. ``"hyperVGeneration"``).
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 2):
        return value
    key = str(value).strip().lower() if isinstance(value, str) else None
    if key in _GEN:
        return _GEN[key]
    raise DataError(
        f"hyper-V generation must be 1, 2, 'V1' or 'V2', not {value!r}",
        record=record if record is not None else value,
        field=field,
    )


def _features_security_type(features: object, record: object) -> str | None:
    """SecurityType from an image's ``features`` list: None if no list, ``""`` if the list lacks it."""
    if features is None:
        return None
    if not isinstance(features, list):
        raise DataError("features must be a list of {name, value}", record=record, field="features")
    for item in features:
        if not isinstance(item, Mapping):
            raise DataError("features entries must be {name, value} objects", record=record, field="features")
        if str(item.get("name", "")).lower() == "securitytype":
            value = item.get("value")
            return "" if value is None else str(value)
    return ""


def parse_image(value: str | Mapping[str, Any] | ImageLike) -> ImageLike:
    """Read an image reference: a URN ``"Publisher:Offer:Sku[:Version]"``, a gallery or managed image
    resource id, an ARM ``imageReference``-like dict, or an already-built image object.

    Dict keys understood: ``publisher``/``offer``/``sku``/``version``, or ``id`` /
    ``sharedGalleryImageId`` / ``communityGalleryImageId``; optional
    ``securityType`` (or ``features: [{name: SecurityType, value}]``), ``hyperVGeneration``,
    ``architecture`` and ``os``.

    Raises:
        DataError: not recognisable as an image reference (names the record and field).
    """
    if isinstance(value, MarketplaceImage | GalleryImage | ManagedImage):
        return value
    if isinstance(value, str):
        return _parse_image_str(value)
    if isinstance(value, Mapping):
        return _parse_image_mapping(value)
    raise DataError(
        f"image must be a URN string, a resource id or a dict, not {type(value).__name__}",
        record=value,
        field="image",
    )


@data_cache(maxsize=4096)
def _parse_image_str(text: str) -> ImageLike:
    t = text.strip()
    low = t.lower()
    if low.startswith("/"):
        if low.startswith(tuple(_SHARED_PREFIXES)):
            if not _SHARED_ID.match(low):
                raise DataError(
                    "shared/community gallery id must be "
                    "'/SharedGalleries|CommunityGalleries/{gallery}/Images/{image}[/Versions/{version}]'",
                    record=text,
                    field="id",
                )
            return GalleryImage(id=t)
        if "/providers/microsoft.compute/galleries/" in low and "/images/" in low:
            return GalleryImage(id=t)
        if "/providers/microsoft.compute/images/" in low:
            return ManagedImage(id=t)
        raise DataError(
            "resource id is neither an Azure Compute Gallery (subscription, shared or community) image "
            "nor a managed image",
            record=text,
            field="id",
        )
    parts = t.split(":")
    if len(parts) in (3, 4) and all(p.strip() for p in parts):
        version = parts[3].strip() if len(parts) == 4 else "latest"
        return MarketplaceImage(parts[0].strip(), parts[1].strip(), parts[2].strip(), version)
    raise DataError(
        "image must be 'Publisher:Offer:Sku[:Version]' or a gallery/managed image resource id",
        record=text,
        field="image",
    )


def _parse_image_mapping(d: Mapping[str, Any]) -> ImageLike:
    keys = {str(k).lower(): v for k, v in d.items()}
    record = (
        keys.get("id")
        or keys.get("sharedgalleryimageid")
        or keys.get("communitygalleryimageid")
        or keys.get("offer")
        or dict(d)
    )
    security = keys.get("securitytype", keys.get("security_type"))
    if security is None:
        security = _features_security_type(keys.get("features"), record)
    gen = parse_generation(
        keys.get("hypervgeneration", keys.get("hyper_v_generation", keys.get("generation"))),
        record=record,
        field="hyperVGeneration",
    )
    arch = keys.get("architecture")
    os_text = keys.get("os")
    image_id = keys.get("id") or keys.get("sharedgalleryimageid") or keys.get("communitygalleryimageid")
    if image_id:
        img = _parse_image_str(str(image_id))
        if isinstance(img, GalleryImage):
            return GalleryImage(
                img.id,
                None if security is None else str(security),
                gen,
                None if os_text is None else str(os_text),
                None if arch is None else str(arch),
            )
        if isinstance(img, ManagedImage):
            return ManagedImage(img.id, gen, None if os_text is None else str(os_text))
        raise DataError("id is not a gallery or managed image id", record=record, field="id")
    missing = [k for k in ("publisher", "offer", "sku") if not keys.get(k)]
    if missing:
        raise DataError(
            f"imageReference needs publisher, offer and sku (missing {', '.join(missing)})",
            record=record,
            field=missing[0],
        )
    return MarketplaceImage(
        str(keys["publisher"]),
        str(keys["offer"]),
        str(keys["sku"]),
        str(keys.get("version") or keys.get("exactversion") or "latest"),
        None if security is None else str(security),
        gen,
        None if arch is None else str(arch),
    )


# ---------------------------------------------------------------------------------------------
# OS identification


@data_cache()
def _distros() -> dict[str, dict[str, str]]:
    return {r["distro"]: r for r in load_csv("os_distros.csv")}


@data_cache()
def _aliases() -> tuple[tuple[str, str], ...]:
    pairs = [
        (alias.strip(), key)
        for key, row in _distros().items()
        for alias in row["aliases"].split(";")
        if alias.strip()
    ]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


_URN = re.compile(r"^[^\s:]+(:[^\s:]+){2,3}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ._/()+:,-]*$")
_NUM = re.compile(r"(\d+(?:\.\d+)*)")


def _normalise_version(distro: str, rest: str) -> str | None:
    """Normalised version text for ``distro`` from the words after the distro name.

    One small reader per distro's version convention (:data:`VERSION_READERS`); distros without one
    keep ``major.minor`` of the first number.
    """
    text = rest.lower().replace("(", " ").replace(")", " ").strip()
    text = re.sub(r"\b(lts|lvm|server|datacenter|standard|gen2|gen1|x64|arm64)\b", " ", text).strip()
    return VERSION_READERS.get(distro, _major_minor)(text)


def _windows_server_version(text: str) -> str | None:
    """``2019``, ``2012-r2``, ``2022-azure-edition`` (the year, R2, Azure Edition)."""
    m = re.search(r"(\d{4})(\s*r2)?", text)
    if not m:
        return None
    return m.group(1) + ("-r2" if m.group(2) else "") + ("-azure-edition" if "azure" in text else "")


def _windows_client_edition(text: str) -> str | None:
    """Windows 10/11 edition: ``enterprise-multi-session`` (multi, AVD), ``enterprise``, ``pro``."""
    if "multi" in text or "avd" in text:
        return "enterprise-multi-session"
    if "enterprise" in text or re.search(r"\bent\b", text):
        return "enterprise"
    return "pro" if "pro" in text else None


def _sles_version(text: str) -> str | None:
    """``15sp5`` from "15 SP5" / "15-sp5"; else the major version."""
    m = re.search(r"(\d+)\s*[-_ ]?\s*sp\s*(\d+)", text)
    if m:
        return f"{int(m.group(1))}sp{int(m.group(2))}"
    m = re.search(r"(\d+)", text)
    return m.group(1) if m else None


def _numeric_version(text: str, keep: int, *, pad_minor: bool = False) -> str | None:
    m = _NUM.search(text)
    if not m:
        return None
    parts = m.group(1).split(".")[:keep]
    if pad_minor and len(parts) == 2:
        parts[1] = parts[1].zfill(2)  # Ubuntu's month: 22.4 -> 22.04
    return ".".join(str(int(p)) if i == 0 else p for i, p in enumerate(parts))


def _major_minor(text: str) -> str | None:
    return _numeric_version(text, 2)


VERSION_READERS: dict[str, Callable[[str], str | None]] = {
    "windows-server": _windows_server_version,
    "windows-10": _windows_client_edition,
    "windows-11": _windows_client_edition,
    "sles": _sles_version,
    "ubuntu": lambda text: _numeric_version(text, 2, pad_minor=True),
    "debian": lambda text: _numeric_version(text, 1),
}
"""Version conventions per distro key of ``os_distros.csv`` (others: ``major.minor``)."""


def _os_type(distro: str | None) -> str | None:
    return _distros()[distro]["os_type"] if distro else None


@data_cache(maxsize=4096)
def _identify_string(text: str) -> OsInfo:
    t = " ".join(text.split())
    if not t:
        raise DataError("empty OS string", record=text, field="os")
    if not _NAME.match(t):
        raise DataError(
            f"OS string {text!r} must start with an OS name (e.g. 'Ubuntu 22.04')", record=text, field="os"
        )
    low = t.lower()
    for alias, key in _aliases():
        if low == alias or (low.startswith(alias) and not low[len(alias)].isalpha()):
            version = _normalise_version(key, low[len(alias) :])
            display = _distros()[key]["display"] + (f" {version}" if version else "")
            reason = "" if version else f"no version in {text!r}"
            return OsInfo(key, version, display, _os_type(key), reason=reason)
    return OsInfo(None, None, t, None, reason=f"OS {t!r} is not a distro tlkit knows (os_distros.csv)")


@data_cache()
def _offers() -> tuple[dict[str, str], ...]:
    return load_csv("image_offers.csv")


@data_cache()
def _gen_rules() -> tuple[dict[str, str], ...]:
    return load_csv("image_generation.csv")


def _fill(template: str, groups: tuple[str | None, ...]) -> str:
    def sub(m: re.Match[str]) -> str:
        i = int(m.group(1))
        g = groups[i - 1] if 0 < i <= len(groups) else None
        return g or ""

    out = re.sub(r"\{(\d+)\}", sub, template)
    return out.strip(".").replace("..", ".")


@dataclass(frozen=True)
class ImageGeneration:
    """The Hyper-V generation an image implies, and on what basis.

    Attributes:
        generation: 1, 2 or None (not determined).
        basis: ``"explicit"`` (``hyperVGeneration`` given), ``"sku-heuristic"`` (a rule of
            ``image_generation.csv`` matched the SKU) or None.
        architecture: ``"x64"``/``"Arm64"`` when given or implied by the rule, else None.
        rule_basis: the matched rule's ``basis`` column (``"naming-convention"`` / ``"heuristic"``),
            ``""`` when no rule was used.
        rule: the matched rule's note (why it implies that generation), ``""`` when no rule was used.
    """

    generation: int | None
    basis: str | None
    architecture: str | None = None
    rule_basis: str = ""
    rule: str = ""


def image_generation(image: str | Mapping[str, Any] | ImageLike) -> ImageGeneration:
    """Hyper-V generation of an image: explicit ``hyperVGeneration`` first, else (Marketplace
    images) the first matching SKU rule of ``data/support/image_generation.csv``.

    Gallery and managed images have no SKU: without an explicit generation the result is None.

    Raises:
        DataError: ``image`` is not an image reference (see :func:`parse_image`).
    """
    img = parse_image(image)
    arch = img.architecture if isinstance(img, MarketplaceImage | GalleryImage) else None
    if img.hyper_v_generation is not None:
        return ImageGeneration(img.hyper_v_generation, "explicit", arch)
    if not isinstance(img, MarketplaceImage):
        return ImageGeneration(None, None, arch)
    return _sku_generation(img.publisher.lower(), img.offer.lower(), img.sku.lower(), arch)


@data_cache(maxsize=4096)
def _sku_generation(pub: str, offer: str, sku: str, arch: str | None) -> ImageGeneration:
    for rule in _gen_rules():
        if not (fnmatchcase(pub, rule["publisher"]) and fnmatchcase(offer, rule["offer"])):
            continue
        if re.search(rule["sku_regex"], sku):
            return ImageGeneration(
                int(rule["generation"]),
                "sku-heuristic",
                rule["architecture"] or arch,
                rule["basis"],
                rule["note"],
            )
    return ImageGeneration(None, None, arch)


@data_cache()
def _arch_rules() -> tuple[dict[str, str], ...]:
    return tuple(load_csv("image_architecture.csv"))


@data_cache(maxsize=4096)
def sku_architecture(publisher: str, offer: str, sku: str) -> str | None:
    """Architecture a Marketplace SKU name suggests (first matching rule of
    ``data/support/image_architecture.csv``; a heuristic: an unmarked SKU reads as x64)."""
    pub, off, sk = publisher.lower(), offer.lower(), sku.lower()
    for rule in _arch_rules():
        if (
            fnmatchcase(pub, rule["publisher"])
            and fnmatchcase(off, rule["offer"])
            and re.search(rule["sku_regex"], sk)
        ):
            return rule["architecture"]
    return None


@data_cache(maxsize=4096)
def _identify_marketplace(img: MarketplaceImage) -> OsInfo:
    g = image_generation(img)
    gen, basis, arch = g.generation, g.basis, g.architecture
    arch_basis: str | None = None
    if img.architecture is not None:
        arch_basis = "explicit"
    elif arch is not None:
        arch_basis = "sku-heuristic"
    else:
        arch = sku_architecture(img.publisher, img.offer, img.sku)
        arch_basis = "sku-heuristic" if arch is not None else None
    pub, offer, sku = img.publisher.lower(), img.offer.lower(), img.sku.lower()
    for row in _offers():
        if not (
            fnmatchcase(pub, row["publisher"])
            and fnmatchcase(offer, row["offer"])
            and fnmatchcase(sku, row["sku"])
        ):
            continue
        distro = offer if row["distro"] == "*" else row["distro"]
        if distro not in _distros():
            raise DataError(
                f"image_offers.csv maps to unknown distro {distro!r}", record=img.urn, field="distro"
            )
        if row["version_from"] == "const":
            version: str | None = row["version_template"]
        else:
            source = {"sku": img.sku, "offer": img.offer, "version": img.version}[row["version_from"]]
            m = re.search(row["version_regex"], source, re.IGNORECASE)
            if m is None:
                continue
            version = _fill(row["version_template"], m.groups()).lower() or None
        if version and row["refine_from_version"] == "yes" and "." not in version:
            vm = re.match(r"^(\d+)\.(\d+)\.", img.version)
            if vm and vm.group(1) == version:
                version = f"{vm.group(1)}.{vm.group(2)}"
        display = _distros()[distro]["display"] + (f" {version}" if version else "")
        return OsInfo(
            distro,
            version,
            display,
            _os_type(distro),
            gen,
            basis,
            arch,
            "" if version else f"no version derivable from {img.urn}",
            arch_basis,
        )
    return OsInfo(
        None,
        None,
        img.urn,
        None,
        gen,
        basis,
        arch,
        reason=f"image offer {img.publisher}:{img.offer} is not in image_offers.csv",
        architecture_basis=arch_basis,
    )


def image_or_os(text: str) -> str:
    """Whether a free-form input names an image (``"image"``: a Marketplace URN
    ``Publisher:Offer:Sku[:Version]`` without blanks, or a resource id starting with ``/``) or an
    OS (``"os"``: anything else, e.g. ``"Windows Server 2025 Datacenter: Azure Edition"``).

    Raises:
        DataError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise DataError(
            f"expected an image or OS string, not {type(text).__name__}", record=text, field="image"
        )
    t = text.strip()
    return "image" if _URN.match(t) or t.startswith("/") else "os"


def identify_os(value: str | Mapping[str, Any] | ImageLike | OsInfo) -> OsInfo:
    """Identify the OS of a free-form OS string, an image reference or an image object.

    A string shaped like a URN (``a:b:c[:d]``, no spaces) or starting with ``/`` is read as an image
    reference; other strings as free-form OS names. Gallery/managed images use their ``os`` text when
    given; without it ``distro`` is None and ``display`` names the image kind
    (``"gallery image (OS unknown)"``, ``"shared gallery image (OS unknown)"``,
    ``"community gallery image (OS unknown)"``, ``"managed image (OS unknown)"``).
    """
    if isinstance(value, OsInfo):
        return value
    if isinstance(value, str) and image_or_os(value) == "image":
        value = parse_image(value)
    if isinstance(value, str):
        return _identify_string(value)
    img = parse_image(value)
    if isinstance(img, MarketplaceImage):
        return _identify_marketplace(img)
    g = image_generation(img)
    if img.os:
        base = _identify_string(img.os)
        return OsInfo(
            base.distro,
            base.version,
            base.display,
            base.os_type,
            g.generation,
            g.basis,
            g.architecture,
            base.reason,
            "explicit" if g.architecture else None,
        )
    label = _KIND_LABELS[img.kind]
    return OsInfo(
        None,
        None,
        f"{label} (OS unknown)",
        None,
        g.generation,
        g.basis,
        g.architecture,
        reason=f"{label} OS not given (pass os='Ubuntu 22.04' or similar)",
        architecture_basis="explicit" if g.architecture else None,
    )


# ---------------------------------------------------------------------------------------------
# the OS table


@data_cache()
def _os_rows() -> dict[str, dict[str, tuple[str, ...]]]:
    known = {s.id for s in snapshots()}
    out: dict[str, dict[str, list[str]]] = {s: {} for s in known}
    for i, row in enumerate(load_csv("os_versions.csv")):
        if row["snapshot"] not in known:
            raise DataError(
                f"unknown snapshot {row['snapshot']!r}", record=f"os_versions.csv:{i + 2}", field="snapshot"
            )
        if row["distro"] not in _distros():
            raise DataError(
                f"unknown distro {row['distro']!r}", record=f"os_versions.csv:{i + 2}", field="distro"
            )
        out[row["snapshot"]].setdefault(row["distro"], []).append(row["version"])
    return {s: {d: tuple(v) for d, v in m.items()} for s, m in out.items()}


def _num(v: str) -> tuple[int, ...] | None:
    m = re.fullmatch(r"(\d+)(?:sp|\.)?(\d+)?(?:\.(\d+))?", v)
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def _match_versions(
    distro: str, version: str | None, listed: tuple[str, ...]
) -> tuple[bool | None, tuple[str, ...], str]:
    if "*" in listed:
        return True, ("*",), "listed (variations of this OS are supported)"
    if version is None:
        return None, (), "version not determined"
    if version in listed:
        return True, (version,), "listed"
    q = _num(version)
    if q is None or distro.startswith("windows"):
        return False, (), "version not listed"
    matched = []
    same_major = []
    for t in listed:
        tv = _num(t)
        if tv is None:
            continue
        if (len(tv) == 1 and tv[0] == q[0]) or q[: len(tv)] == tv:
            matched.append(t)
        elif len(q) == 1 and tv[0] == q[0]:
            same_major.append(t)
    if matched:
        return True, tuple(matched), "listed"
    if same_major:
        if all(_num(t) == (q[0], 0) for t in same_major):
            return True, tuple(same_major), "listed"
        return None, tuple(same_major), "minor version ambiguous"
    return False, (), "version not listed"


def os_status(
    os: str | Mapping[str, Any] | ImageLike | OsInfo, as_of: str | _dt.date | Snapshot | None = None
) -> OsStatus:
    """Whether an OS (string, image reference or :class:`OsInfo`) is in a snapshot's OS table."""
    info = identify_os(os)
    snap = resolve_snapshot(as_of)
    table = _os_rows()[snap.id]
    if info.distro is None:
        return OsStatus(info, None, (), (), info.reason, ("distro-unknown",), snap.id)
    listed = table.get(info.distro, ())
    name = _distros()[info.distro]["display"]
    if not listed:
        return OsStatus(
            info,
            False,
            (),
            (),
            f"{name} is not in {snap.tag}'s supported OS table",
            ("distro-not-listed",),
            snap.id,
        )
    ok, matched, why = _match_versions(info.distro, info.version, listed)
    shown = ", ".join(listed)
    if ok is True:
        return OsStatus(
            info, True, listed, matched, f"{info.display}: {why} in {snap.tag}", ("listed",), snap.id
        )
    if ok is False:
        return OsStatus(
            info,
            False,
            listed,
            (),
            f"{info.display} is not listed in {snap.tag} ({name}: {shown})",
            ("version-not-listed",),
            snap.id,
        )
    code = "minor-version-ambiguous" if matched else "version-unknown"
    detail = (
        f"{info.display}: give the minor version; {snap.tag} lists {name} {', '.join(matched)}"
        if matched
        else f"{info.reason or 'version not determined'}; {snap.tag} lists {name} {shown}"
    )
    return OsStatus(info, None, listed, (), detail, (code,), snap.id)


def os_table(as_of: str | _dt.date | Snapshot | None = None) -> pd.DataFrame:
    """One snapshot's supported-OS rows as a DataFrame (distro, version, label, note)."""
    import pandas as pd  # noqa: PLC0415 (lazy: importing tlkit stays light)

    snap = resolve_snapshot(as_of)
    rows = [r for r in load_csv("os_versions.csv") if r["snapshot"] == snap.id]
    return pd.DataFrame(rows, columns=["snapshot", "distro", "version", "label", "note"])
