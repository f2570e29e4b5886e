"""Trusted Launch as Default (TLaD): which security type a new deployment really gets.

Rules (constants in ``data/support/tlad.json``; reference notes §3):

1. Explicit inputs win ("This change doesn't override inputs provided as part of the deployment
   code"):

   - ``TrustedLaunch`` on a size/image that can't do TL → the documented error strings
     (Azure/azure-cli#28005) with the size/image substituted; a size or image tlkit can't classify
     (status ``unknown``, generation or gallery SecurityType not known) is accepted with a
     ``...-not-checked`` reason;
   - ``Standard`` needs the subscription flag ``UseStandardSecurityType`` where the snapshot says so
     (FAQ-2025), and API ≥ 2025-11-01 at GA; before the ``Standard`` value existed it is refused,
     and an API client sending it on an API version up to and including 2023-03-01 (whose
     ``securityType`` enum has no ``Standard``) is refused (``standard-not-in-api-version``);
     preview-era known limitation: in the **portal** with ``TrustedLaunchByDefaultPreview``
     registered, choosing Standard still deployed TL; the seed's mitigation (unregister that flag)
     makes the portal's Standard choice a Gen2 non-TL VM (``portal_standard_without_flag``);
   - ``ConfidentialVM`` is passed through unchecked (outside this matrix).

2. ``securityProfile`` absent:

   - portal / CLI / PowerShell default to TL from Nov 2023 (``tool_default``), for Marketplace
     images only (azure-cli#31191);
   - API clients (ARM, Bicep, Terraform, SDK) default when one of the snapshot's ``api_paths``
     holds: preview = flag ``TrustedLaunchByDefaultPreview`` + API ≥ 2021-11-01; GA = API ≥
     2025-11-01;
   - when a default applies, all four documented conditions must hold (image / gallery image /
     disk support TL, size supports TL); otherwise the deployment **silently** falls back to a
     non-TL VM (``silent_fallback=True``).

The rules are named data, :data:`TLAD_RULES` (one small function each, tried in order for the
requested security type; the first decision wins).

A request the platform refuses is a *verdict*, not bad input: :func:`resolve_tlad` returns a
:class:`TladDecision` with ``error`` set (documented choice). Malformed arguments raise
:class:`~tlkit.errors.DataError`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tlkit._data import data_cache
from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.support._compat import image_security_type, tl_security_types
from tlkit.support._matrix import SizeStatus, size_status
from tlkit.support._os import (
    GalleryImage,
    ImageLike,
    ManagedImage,
    MarketplaceImage,
    identify_os,
    os_status,
    parse_generation,
    parse_image,
)
from tlkit.support._snapshots import Snapshot, load_json, resolve_snapshot

__all__ = [
    "TLAD_RULES",
    "ResizeDecision",
    "TladDecision",
    "TladRule",
    "check_resize",
    "resolve_tlad",
    "tlad_rules",
]


@data_cache()
def tlad_rules() -> dict[str, Any]:
    """The TLaD constants (clients, flags, error texts, per-snapshot rules) from ``tlad.json``."""
    return load_json("tlad.json")


@dataclass(frozen=True)
class TladDecision(Verdict):
    """What a new deployment gets.

    Attributes:
        client: normalised client name.
        api_version: the API version given (None for tools without one).
        requested_security_type: ``TrustedLaunch``/``Standard``/``ConfidentialVM`` or None (absent).
        effective_security_type: what the VM gets; None when the request is refused.
        reported_security_type: how ARM reports it (``None`` for a non-TL VM on API < 2025-11-01).
        tlad_in_force: a default rule (tools or API path) was in force for this request.
        stage: ``"none"``, ``"tools"``, ``"preview"`` or ``"ga"``.
        silent_fallback: TLaD applied but a condition failed, so the VM was created without TL and
            no error was raised.
        error: the refusal message (documented text), None if accepted.
        error_code: ``"size-not-supported"``, ``"image-not-supported"``, ``"standard-needs-flag"``,
            ``"standard-needs-api"``, ``"standard-not-available"``.
        reasons: machine-readable reasons, in decision order.
        snapshot: snapshot id.
    """

    client: str
    api_version: str | None
    requested_security_type: str | None
    effective_security_type: str | None
    reported_security_type: str | None
    tlad_in_force: bool
    stage: str
    silent_fallback: bool
    error: str | None
    error_code: str | None
    reasons: tuple[str, ...]
    snapshot: str

    @property
    def passed(self) -> bool:
        """The request is accepted (no ``error``)."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "api_version": self.api_version,
            "requested_security_type": self.requested_security_type,
            "effective_security_type": self.effective_security_type,
            "reported_security_type": self.reported_security_type,
            "tlad_in_force": self.tlad_in_force,
            "stage": self.stage,
            "silent_fallback": self.silent_fallback,
            "error": self.error,
            "error_code": self.error_code,
            "reasons": list(self.reasons),
            "snapshot": self.snapshot,
        }


_UNDETERMINED = frozenset(
    {"image-generation-unknown", "gallery-security-type-unknown", "disk-generation-unknown"}
)
"""Image reasons that mean "can't tell": explicit TL is not refused on them (reported as not checked)."""

_API = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")


def _api_date(value: str | None, record: object) -> _dt.date | None:
    if value is None:
        return None
    m = _API.match(str(value).strip())
    if m is None:
        raise DataError(
            f"api_version must look like 2025-11-01 (optionally -preview), not {value!r}",
            record=record,
            field="api_version",
        )
    try:
        return _dt.date.fromisoformat(m.group(1))
    except ValueError as e:
        raise DataError(
            f"api_version {value!r} is not a valid date", record=record, field="api_version"
        ) from e


def _client(client: str) -> tuple[str, str]:
    clients: dict[str, str] = tlad_rules()["clients"]
    key = str(client).strip().lower()
    if key not in clients:
        raise DataError(
            f"unknown client {client!r} (known: {', '.join(clients)})", record=client, field="client"
        )
    return key, clients[key]


def _security_type(profile: str | Mapping[str, Any] | None) -> str | None:
    if isinstance(profile, Mapping):
        value = profile.get("securityType", profile.get("security_type"))
        if value is None:
            return None
        profile = str(value)
    if profile is None:
        return None
    if not isinstance(profile, str):
        raise DataError(
            "security_profile must be None, a security type or a securityProfile dict",
            record=profile,
            field="securityProfile.securityType",
        )
    text = profile.strip()
    if text.lower() in ("", "absent", "none", "null"):
        return None
    for t in tlad_rules()["security_types"]:
        if t.lower() == text.lower():
            return str(t)
    raise DataError(
        f"unknown securityType {profile!r} (known: {', '.join(tlad_rules()['security_types'])})",
        record=profile,
        field="securityProfile.securityType",
    )


def _flags(flags: Iterable[str]) -> frozenset[str]:
    """Registered feature flags (``Microsoft.Compute/Name`` or ``Name``); only the names in
    ``tlad.json`` ``flags`` are known, anything else is a DataError listing them."""
    if isinstance(flags, str):
        flags = [flags]
    known = sorted(str(v) for v in tlad_rules()["flags"].values())
    out = set()
    for f in flags:
        if not isinstance(f, str):
            raise DataError("flags must be feature-flag names", record=f, field="flags")
        name = f.strip().split("/")[-1]
        if name not in known:
            raise DataError(
                f"unknown feature flag {f!r} (known: {', '.join(known)})", record=f, field="flags"
            )
        out.add(name)
    return frozenset(out)


def _image_supports_tl(
    img: ImageLike, snap: Snapshot, generation: int | None
) -> tuple[bool, str, int | None]:
    """(supports TL, reason code, generation) for the TLaD image/disk conditions (reference notes §3.2)."""
    if isinstance(img, ManagedImage):
        return False, "image-managed", generation
    info = identify_os(img)
    gen = generation if generation is not None else info.generation
    if isinstance(img, GalleryImage):
        if img.security_type is None:
            return False, "gallery-security-type-unknown", gen
        if img.security_type.lower() not in tl_security_types("gallery"):
            return False, "gallery-image-not-tl", gen
        return True, "gallery-image-tl", gen
    # FAQ-2025 (notes §1.5): hyperVGeneration V2 and a SecurityType containing TrustedLaunch decide;
    # the OS table is consulted only without a SecurityType, and a distro with no row is unknown.
    declared_tl = image_security_type(img)[1]
    if gen is None and declared_tl and img.hyper_v_generation is None:
        gen = 2
    if gen == 1:
        return False, "image-gen1", gen
    if gen is None:
        return False, "image-generation-unknown", gen
    if img.security_type is not None:
        if not declared_tl:
            return False, "image-security-type-not-tl", gen
        return True, "image-security-type-tl", gen
    st = os_status(info, snap) if info.distro is not None else None
    if st is not None and st.supported is False and "distro-not-listed" not in st.reasons:
        return False, "image-os-not-supported", gen
    if st is None or st.supported is not True:
        return True, "image-os-unknown", gen
    return True, "image-tl", gen


def _disk_supports_tl(disk: Mapping[str, Any], generation: int | None) -> tuple[str, bool, str]:
    """(disk id for messages, supports TL, reason) for TLaD condition 3 (reference notes §3.2, §1.5)."""
    if not isinstance(disk, Mapping):
        raise DataError(
            "disk must be a dict of Microsoft.Compute/disks properties", record=disk, field="disk"
        )
    keys = {str(k).lower(): v for k, v in disk.items()}
    props = keys.get("properties")
    if isinstance(props, Mapping):
        keys = {**keys, **{str(k).lower(): v for k, v in props.items()}}
    name = str(keys.get("id") or keys.get("name") or "<disk>")
    rules = tlad_rules()["disk"]
    gen_value = generation if generation is not None else keys.get("hypervgeneration")
    gen_text = str(gen_value).strip().lower() if gen_value is not None else ""
    if gen_text not in ("", "1", "2", "v1", "v2"):
        raise DataError(
            f"disk hyperVGeneration must be V1 or V2, not {gen_value!r}",
            record=name,
            field="hyperVGeneration",
        )
    security = keys.get("securitytype")
    profile = keys.get("securityprofile")
    if security is None and isinstance(profile, Mapping):
        security = profile.get("securityType")
    option = keys.get("supportedsecurityoption")
    if gen_text in ("1", "v1"):
        return name, False, "disk-gen1"
    if security is not None and str(security) in rules["tl_security_types"]:
        return name, True, "disk-tl"
    if option is not None and str(option) in rules["tl_supported_options"]:
        return name, True, "disk-tl-supported"
    if gen_text == "":
        return name, False, "disk-generation-unknown"
    return name, False, "disk-not-tl"


def _standard_reported(snap: Snapshot, api: _dt.date | None) -> str | None:
    floor = _dt.date.fromisoformat(tlad_rules()["standard_reported_from_api"])
    return "Standard" if api is not None and api >= floor else None


@dataclass
class _Tlad:
    """The working state of one :func:`resolve_tlad` call (read by :data:`TLAD_RULES`)."""

    name: str
    kind: str
    api_version: str | None
    api: _dt.date | None
    registered: frozenset[str]
    requested: str | None
    st: SizeStatus
    img: ImageLike | str
    img_ok: bool
    img_reason: str
    snap: Snapshot
    srules: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    applied: bool = False
    stage: str = "none"

    @property
    def size_ok(self) -> bool:
        return self.st.status == "supported"

    def flag(self, which: str) -> str:
        return str(tlad_rules()["flags"][which])

    def decide(
        self,
        effective: str | None,
        *,
        applied: bool = False,
        stage: str = "none",
        fallback: bool = False,
        error: str | None = None,
        code: str | None = None,
    ) -> TladDecision:
        reported = effective
        if effective == "Standard":
            reported = _standard_reported(self.snap, self.api) if self.kind == "api" else None
        return TladDecision(
            self.name,
            self.api_version,
            self.requested,
            effective,
            reported,
            applied,
            stage,
            fallback,
            error,
            code,
            tuple(self.reasons),
            self.snap.id,
        )

    def refuse(self, code: str, **fmt: object) -> TladDecision:
        self.reasons.append(code)
        return self.decide(None, error=tlad_rules()["errors"][code].format(**fmt), code=code)


@dataclass(frozen=True)
class TladRule:
    """One documented TLaD rule (listed in :data:`TLAD_RULES`, tried in order).

    Attributes:
        code: stable name of the rule.
        requested: the requested ``securityType`` the rule is about (None: securityProfile absent).
        source: where the rule comes from (tags as in ``data/support/SOURCES.md``).
        check: returns the decision, or None when the rule does not decide this request.
    """

    code: str
    requested: str | None
    source: str
    check: Callable[[_Tlad], TladDecision | None] = field(repr=False, compare=False)

    @property
    def description(self) -> str:
        return (self.check.__doc__ or "").strip()


def _portal_standard_under_preview(d: _Tlad) -> TladDecision | None:
    """Preview known limitation: in the portal with the preview flag registered, choosing Standard
    still deployed TL (when the VM can have it)."""
    if not (d.name == "portal" and d.srules.get("portal_standard_ignored_with_preview")):
        return None
    if d.flag("preview") not in d.registered:
        return None
    d.reasons.append("portal-standard-ignored-under-preview")
    if d.size_ok and d.img_ok:
        return d.decide("TrustedLaunch", applied=True, stage=d.snap.tlad_stage)
    d.reasons.append(d.st.status if not d.size_ok else d.img_reason)
    return d.decide("Standard", applied=True, stage=d.snap.tlad_stage, fallback=True)


def _portal_standard_preview_unregistered(d: _Tlad) -> TladDecision | None:
    """The seed's mitigation of that limitation: with the preview flag unregistered, the portal's
    Standard choice creates a Gen2 non-TL VM (tlad.json ``portal_standard_without_flag``)."""
    if d.name != "portal" or not d.srules.get("portal_standard_without_flag"):
        return None
    d.reasons.append("portal-standard-preview-unregistered")
    return d.decide("Standard")


def _standard_not_available(d: _Tlad) -> TladDecision | None:
    """Before the snapshot's API had a Standard value it is refused (omit securityProfile instead)."""
    return None if d.srules["standard"]["accepted"] else d.refuse("standard-not-available")


def _standard_not_in_api_version(d: _Tlad) -> TladDecision | None:
    """The securityType enum of API versions up to and including 2023-03-01 has no Standard value
    (tlad.json ``standard_enum_absent_through_api``)."""
    through = _dt.date.fromisoformat(tlad_rules()["standard_enum_absent_through_api"])
    if d.kind != "api" or d.api is None or d.api > through:
        return None
    return d.refuse("standard-not-in-api-version", api_version=d.api_version, through=through.isoformat())


def _standard_needs_flag(d: _Tlad) -> TladDecision | None:
    """Standard needs the UseStandardSecurityType subscription flag where the snapshot says so (FAQ-2025)."""
    if d.srules["standard"]["requires_flag"] and d.flag("standard") not in d.registered:
        return d.refuse("standard-needs-flag")
    return None


def _standard_needs_api(d: _Tlad) -> TladDecision | None:
    """At GA, Standard needs API >= the snapshot's ``min_api`` (TL-2026)."""
    min_api = d.srules["standard"]["min_api"]
    if min_api and d.kind == "api" and d.api is not None and d.api < _dt.date.fromisoformat(min_api):
        return d.refuse("standard-needs-api", min_api=min_api, api_version=d.api_version)
    return None


def _explicit_standard(d: _Tlad) -> TladDecision:
    """Otherwise an explicit Standard is honoured."""
    d.reasons.append("explicit-standard")
    return d.decide("Standard")


def _explicit_trusted_launch(d: _Tlad) -> TladDecision:
    """Explicit TrustedLaunch: refused with the documented texts (azure-cli#28005) on a size or
    image that can't have it; what tlkit can't classify is accepted as not checked."""
    d.reasons.append("explicit-trusted-launch")
    error: TladDecision | None = None
    if d.st.status == "unknown":
        d.reasons.append("size-unknown-not-checked")
    elif not d.size_ok:
        d.reasons.append(f"size-{d.st.status}")
        error_code, fmt = "size-not-supported", {"size": d.st.size.name}
        error = d.decide(None, error=tlad_rules()["errors"][error_code].format(**fmt), code=error_code)
    if not d.img_ok and d.img_reason in _UNDETERMINED:
        d.reasons.append(f"{d.img_reason}-not-checked")
    elif not d.img_ok:
        d.reasons.append(d.img_reason)
        if error is None:
            msg = tlad_rules()["errors"]["image-not-supported"].format(image=str(d.img))
            return d.decide(None, error=msg, code="image-not-supported")
    if error is not None:
        return d.decide(None, error=error.error, code=error.error_code)
    return d.decide("TrustedLaunch")


def _explicit_confidential(d: _Tlad) -> TladDecision:
    """ConfidentialVM is passed through unchecked (outside this matrix)."""
    d.reasons.append("explicit-confidential-vm-not-checked")
    return d.decide("ConfidentialVM")


def _tool_default(d: _Tlad) -> TladDecision | None:
    """Portal / CLI / PowerShell default to TL from Nov 2023, Marketplace images only (azure-cli#31191)."""
    if d.kind != "tool":
        return None
    d.reasons.append("security-profile-absent")
    if not d.srules["tool_default"]:
        d.reasons.append("no-tool-default-in-snapshot")
    elif (
        not isinstance(d.img, MarketplaceImage)
        or "marketplace" not in tlad_rules()["tool_default_image_kinds"]
    ):
        d.reasons.append("tool-default-marketplace-images-only")
    else:
        d.applied, d.stage = True, "tools"
        d.reasons.append("tool-default")
    return None


def _api_default(d: _Tlad) -> TladDecision | None:
    """API clients default when one of the snapshot's ``api_paths`` holds (preview: flag + API >=
    2021-11-01; GA: API >= 2025-11-01)."""
    if d.kind == "tool":
        return None
    d.reasons.append("security-profile-absent")
    paths = d.srules["api_paths"]
    if not paths:
        d.reasons.append("no-api-default-in-snapshot")
    for path in paths:
        if d.api is not None and d.api < _dt.date.fromisoformat(path["min_api"]):
            d.reasons.append(f"api-version-below-{path['min_api']}")
        elif path["flag"] and path["flag"] not in d.registered:
            d.reasons.append(f"flag-not-registered-{path['flag']}")
        else:
            d.applied, d.stage = True, path["stage"]
            d.reasons.append(f"api-default-{path['stage']}" + ("-inferred" if path.get("inferred") else ""))
            break
    return None


def _legacy_default(d: _Tlad) -> TladDecision | None:
    """No default in force: the legacy non-TL deployment."""
    if d.applied:
        return None
    d.reasons.append("legacy-non-tl-default")
    return d.decide("Standard", stage=d.stage)


def _default_conditions(d: _Tlad) -> TladDecision:
    """A default in force needs all four documented conditions (image / gallery image / disk, size);
    otherwise the VM is silently created without TL (reference notes §3.2)."""
    failed = ([] if d.img_ok else [d.img_reason]) + ([] if d.size_ok else [f"size-{d.st.status}"])
    if failed:
        d.reasons.extend([*failed, "silent-fallback"])
        return d.decide("Standard", applied=True, stage=d.stage, fallback=True)
    if d.img_reason in {"image-security-type-tl", "image-os-unknown"}:
        d.reasons.append(d.img_reason)
    d.reasons.append("all-conditions-met")
    return d.decide("TrustedLaunch", applied=True, stage=d.stage)


TLAD_RULES: tuple[TladRule, ...] = (
    TladRule(
        "portal-standard-under-preview",
        "Standard",
        "TL-2025a/b known limitations",
        _portal_standard_under_preview,
    ),
    TladRule(
        "portal-standard-preview-unregistered",
        "Standard",
        "Korean seed (TL-2025a): unregister TrustedLaunchByDefaultPreview",
        _portal_standard_preview_unregistered,
    ),
    TladRule(
        "standard-not-available",
        "Standard",
        "hashicorp/pandora Constant-SecurityTypes.cs",
        _standard_not_available,
    ),
    TladRule(
        "standard-not-in-api-version",
        "Standard",
        "hashicorp/pandora Constant-SecurityTypes.cs",
        _standard_not_in_api_version,
    ),
    TladRule("standard-needs-flag", "Standard", "FAQ-2025", _standard_needs_flag),
    TladRule("standard-needs-api", "Standard", "TL-2026", _standard_needs_api),
    TladRule("explicit-standard", "Standard", "FAQ-2025", _explicit_standard),
    TladRule("explicit-trusted-launch", "TrustedLaunch", "Azure/azure-cli#28005", _explicit_trusted_launch),
    TladRule("explicit-confidential-vm", "ConfidentialVM", "outside this matrix", _explicit_confidential),
    TladRule(
        "tool-default", None, "Azure/azure-cli PR #26892, #31191; azure-powershell PR #22974", _tool_default
    ),
    TladRule("api-default", None, "FAQ-2025 (preview); TL-2026 (GA)", _api_default),
    TladRule("legacy-default", None, "reference notes §3", _legacy_default),
    TladRule("default-conditions", None, "reference notes §3.2", _default_conditions),
)
"""The TLaD rules, tried in order for the requested security type; the first decision wins."""


def resolve_tlad(
    *,
    client: str,
    size: str,
    image: str | Mapping[str, Any] | ImageLike | None = None,
    disk: Mapping[str, Any] | None = None,
    api_version: str | None = None,
    flags: Iterable[str] = (),
    security_profile: str | Mapping[str, Any] | None = None,
    generation: int | str | None = None,
    as_of: str | _dt.date | Snapshot | None = None,
) -> TladDecision:
    """Effective security type of a new VM/VMSS deployment (see the module docstring for the rules).

    Args:
        client: ``portal``, ``cli``, ``powershell``, ``arm``, ``bicep``, ``terraform`` or ``sdk``.
        size: VM size name.
        image: image reference (URN, dict, gallery/managed id or object).
        disk: source OS disk instead of an image (``Microsoft.Compute/disks`` properties:
            ``id``, ``hyperVGeneration``, ``supportedSecurityOption``, ``securityType`` or
            ``securityProfile.securityType``). One of ``image`` / ``disk`` is required.
        api_version: ``Microsoft.Compute`` API version (required for API clients).
        flags: registered subscription features (``TrustedLaunchByDefaultPreview``,
            ``UseStandardSecurityType``; ``Microsoft.Compute/`` prefix accepted).
        security_profile: None/"absent", a security type, or a ``securityProfile`` dict.
        generation: explicit Hyper-V generation of the image (wins over SKU heuristics).
        as_of: snapshot selector.

    Raises:
        DataError: unknown client or security type, malformed API version, size or image.
    """
    snap = resolve_snapshot(as_of)
    srules = tlad_rules()["snapshots"].get(snap.id)
    if srules is None:
        raise DataError(f"tlad.json has no rules for snapshot {snap.id}", record=snap.id, field="snapshots")
    name, kind = _client(client)
    api = _api_date(api_version, client)
    if kind == "api" and api is None:
        raise DataError(
            f"client {name!r} needs api_version (e.g. 2025-11-01)", record=client, field="api_version"
        )
    registered = _flags(flags)
    gen = parse_generation(generation)
    requested = _security_type(security_profile)
    st: SizeStatus = size_status(size, snap)
    if (image is None) == (disk is None):
        raise DataError(
            "give exactly one of image or disk", record=image if disk is None else disk, field="image"
        )
    img: ImageLike | str
    if disk is not None:
        img, img_ok, img_reason = _disk_supports_tl(disk, gen)
    else:
        img = parse_image(image)  # type: ignore[arg-type]
        img_ok, img_reason, _gen = _image_supports_tl(img, snap, gen)
    d = _Tlad(name, kind, api_version, api, registered, requested, st, img, img_ok, img_reason, snap, srules)
    for rule in TLAD_RULES:
        if rule.requested == requested:
            decision = rule.check(d)
            if decision is not None:
                return decision
    raise DataError(f"no TLaD rule decided securityType {requested!r}", field="securityProfile.securityType")


@dataclass(frozen=True)
class ResizeDecision(Verdict):
    """Whether a VM of a given security type can be resized to a target size.

    ``allowed`` is True/False, or None when the target's status is unknown or the security type is
    outside this matrix. ``rollback_steps`` lists the documented path when refused.
    """

    current_security_type: str
    target_size: str
    target_status: str
    allowed: bool | None
    message: str
    rollback_steps: tuple[str, ...]
    reasons: tuple[str, ...]
    snapshot: str

    @property
    def passed(self) -> bool:
        return self.allowed is True

    def to_dict(self) -> dict[str, Any]:
        return {
            "current_security_type": self.current_security_type,
            "target_size": self.target_size,
            "target_status": self.target_status,
            "allowed": self.allowed,
            "message": self.message,
            "rollback_steps": list(self.rollback_steps),
            "reasons": list(self.reasons),
            "snapshot": self.snapshot,
        }


def check_resize(
    current_security_type: str | None, target_size: str, as_of: str | _dt.date | Snapshot | None = None
) -> ResizeDecision:
    """Resize check: a Trusted Launch VM can't move to a size family without TL support.

    ``current_security_type`` None/"absent" means Standard (a non-TL VM shows up as absent, null or
    "Standard" depending on the API version).
    """
    rules = tlad_rules()
    snap = resolve_snapshot(as_of)
    current = _security_type(current_security_type) or "Standard"
    st = size_status(target_size, snap)
    if current != "TrustedLaunch":
        if current == "ConfidentialVM":
            return ResizeDecision(
                current,
                st.size.name,
                st.status,
                None,
                "ConfidentialVM resizes are outside this Trusted Launch matrix",
                (),
                ("confidential-vm-not-checked",),
                snap.id,
            )
        return ResizeDecision(
            current,
            st.size.name,
            st.status,
            True,
            "Standard VMs are not limited by Trusted "
            "Launch size support (generation constraints not checked)",
            (),
            ("standard-vm",),
            snap.id,
        )
    if st.status == "supported":
        return ResizeDecision(
            current,
            st.size.name,
            st.status,
            True,
            "target size supports Trusted Launch",
            (),
            ("target-supported",),
            snap.id,
        )
    standard = rules["snapshots"].get(snap.id, {}).get("standard", {})
    min_api = standard.get("min_api")
    clause = rules["resize"]["api_clause_min_api"].format(min_api=min_api) if min_api else ""
    # The Standard rollback (UseStandardSecurityType) is documented only where the snapshot's
    # tlad.json 'standard' entry requires that flag (FAQ-2025 / TL-2025a onward, notes §3.3-3.4).
    documented = bool(standard.get("requires_flag"))
    steps = (
        tuple(s.format(api_clause=clause) for s in rules["resize"]["rollback_steps"])
        if documented
        else (rules["resize"]["no_rollback_step"].format(tag=snap.tag),)
    )
    if st.status == "unknown":
        return ResizeDecision(
            current,
            st.size.name,
            st.status,
            None,
            f"target size {st.size.name} is not covered by {snap.tag}'s size table",
            steps,
            ("target-unknown",),
            snap.id,
        )
    return ResizeDecision(
        current,
        st.size.name,
        st.status,
        False,
        rules["resize"]["refused_message"]
        if documented
        else f"target size {st.size.name} is {st.status} for Trusted Launch in {snap.tag}",
        steps,
        (f"target-{st.status}",) if documented else (f"target-{st.status}", "rollback-not-documented"),
        snap.id,
    )
