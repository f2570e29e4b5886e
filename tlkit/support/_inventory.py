"""Fleet inventory import: VM exports in, one tidy row per VM (with its Trusted Launch status) out.

Accepted shapes (detected automatically, see facts notes section 7):

- ``az vm list -o json`` (the az CLI flattens ``properties`` to the top level), with or without
  ``--show-details`` (``powerState``) and instance views (``instanceView.hyperVGeneration``);
- ARM resource JSON (``Microsoft.Compute/virtualMachines``): one resource, a list, or the REST list
  envelope ``{"value": [...]}``; the instance view is ``properties.instanceView``;
- Azure Resource Graph exports: rows as JSON (a list, or ``{"data": [...]}`` as ``az graph query``
  prints it) either un-projected (``properties`` with ``properties.extended.instanceView``) or
  projected with the columns of the facts-file query (section 7.3: ``vmSize``, ``securityType``,
  ``gen``, ...); and the same two as CSV (a ``properties`` column holds JSON text).

Normalisation rules (facts notes 7.1, 7.2):

- ``securityType`` absent, ``null``, empty or ``"Standard"`` all mean ``Standard`` (which value
  appears depends on the API version that produced the data); ``security_type_raw`` keeps the
  original (``<absent>``/``<null>`` for the first two).
- Hyper-V generation comes from the instance view, else the OS disk resource (``disks=``), else
  the security type (Trusted Launch and confidential VMs are Generation 2 by definition);
  ``generation_source`` says which. Otherwise ``generation`` is None (``tl_status``
  ``Unknown-gen`` for a non-TL VM, as in the facts 7.3 query): facts 7.1 says not to infer the
  generation from the image SKU alone. The SKU's suggestion (:func:`tlkit.support.image_generation`,
  ``data/support/image_generation.csv``) is kept apart in ``generation_guess`` with its rule in
  ``generation_guess_basis``; check_vm gets ``generation=None`` and labels its own SKU heuristic
  in ``notes``. A TL/CVM record whose instance view says V1 is flagged in ``notes``
  (``inconsistent record``).
- ``compatible`` is True / False / null (undetermined: no blocker, but something could not be
  checked; ``undetermined`` lists what) and ``verdict`` spells it out.
- CSV rows whose field count differs from the header's are reported in ``errors``; a literal
  ``null`` in a projected dynamic column (``securityType``, ``gen``, ...) means JSON null.
- A VM that is Generation 2 by instance view, disk or security type but whose Marketplace
  ``imageReference`` names a Gen1 SKU is flagged ``stale_image_reference`` (GEN1 known issue: the
  reference is not updated by a Gen1 -> Trusted Launch upgrade).

Columns (:data:`INVENTORY_COLUMNS`): the VM (``record`` = index in the export, ``name``, ``id``,
subscription, resource group, location, ``vm_size``), its image (``image_kind``, publisher / offer /
sku / version or ``image_id``, ``os_type`` and the identified ``os``), its security state
(``security_type``, ``security_type_raw``, ``secure_boot``, ``vtpm``, ``generation``,
``generation_source``, ``stale_image_reference``, ``tl_status``) and the compatibility verdict of
:func:`tlkit.support.check_vm` (``size_status``, ``os_supported``, ``compatible``, ``blockers`` as
``"; "``-joined blocker codes, ``notes`` as ``" | "``-joined texts, ``snapshot``).

Records that cannot be read (missing ``hardwareProfile``, a ``vmSize`` that is not a size name, ...)
are reported in :attr:`InventoryResult.errors` with their index and reason; they are never
dropped silently: ``records_in == len(frame) + len(errors)``.

This module does not call Azure, and it does not decide support itself: the compatibility columns
come from :func:`tlkit.support.check_vm` (memoised per size, image and ``as_of``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from tlkit._result import Verdict
from tlkit.errors import DataError, TlkitError
from tlkit.support._compat import check_vm
from tlkit.support._os import MarketplaceImage, image_generation, parse_image
from tlkit.support._sizes import parse_size
from tlkit.support._snapshots import AsOf, resolve_snapshot

__all__ = [
    "INVENTORY_COLUMNS",
    "SOURCE_FORMATS",
    "TL_STATUSES",
    "InventoryResult",
    "InventorySummary",
    "RecordIssue",
    "load_inventory",
    "normalise_security_type",
]

SOURCE_FORMATS: Final = ("az-vm-list", "arm", "resource-graph", "resource-graph-projected")
"""The export shapes :func:`load_inventory` recognises (``InventoryResult.source_format``)."""

TL_STATUSES: Final = ("TL-full", "TL-partial", "CVM", "Gen2-Standard", "Gen1", "Unknown-gen")
"""Trusted Launch status per VM, as the Resource Graph query of facts section 7.3 defines it."""

# Column name -> pandas dtype of the tidy frame, in order.
_COLUMNS: Final[dict[str, str]] = {
    "record": "int64",
    "name": "str",
    "id": "str",
    "subscription_id": "str",
    "resource_group": "str",
    "location": "str",
    "vm_size": "str",
    "os_type": "str",
    "os": "str",
    "image_kind": "str",
    "image_publisher": "str",
    "image_offer": "str",
    "image_sku": "str",
    "image_version": "str",
    "image_id": "str",
    "os_disk_id": "str",
    "power_state": "str",
    "security_type": "str",
    "security_type_raw": "str",
    "secure_boot": "boolean",
    "vtpm": "boolean",
    "generation": "str",
    "generation_source": "str",
    "generation_guess": "str",
    "generation_guess_basis": "str",
    "stale_image_reference": "bool",
    "tl_status": "str",
    "size_status": "str",
    "os_supported": "boolean",
    "compatible": "boolean",
    "verdict": "str",
    "undetermined": "str",
    "blockers": "str",
    "notes": "str",
    "snapshot": "str",
    "source_format": "str",
}
INVENTORY_COLUMNS: Final = tuple(_COLUMNS)
"""Columns of :attr:`InventoryResult.frame`, in order."""

_ABSENT: Final = object()
_VM_TYPE: Final = "microsoft.compute/virtualmachines"
# az CLI flattening puts these ``properties`` members at the top level (facts 7.1).
_AZ_KEYS: Final = frozenset(
    {
        "hardwareProfile",
        "storageProfile",
        "securityProfile",
        "osProfile",
        "vmId",
        "networkProfile",
        "provisioningState",
        "instanceView",
    }
)
_PROJECTED_KEYS: Final = frozenset({"vmSize", "securityType", "imgSku", "imgPublisher", "gen", "osType"})
_SECURITY_TYPES: Final = {
    "standard": "Standard",
    "trustedlaunch": "TrustedLaunch",
    "confidentialvm": "ConfidentialVM",
}
_RG_RE: Final = re.compile(r"/subscriptions/([^/]+)/resourcegroups/([^/]+)", re.IGNORECASE)


@dataclass(frozen=True)
class RecordIssue:
    """One input record that could not become a row.

    Attributes:
        index: position of the record in the export (0-based; CSV: data row number).
        name: the VM name if it could be read, else ``None``.
        field: the field at fault, as a path in the source shape (``"hardwareProfile.vmSize"``).
        reason: what is wrong with it.
    """

    index: int
    name: str | None
    field: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "field": self.field, "reason": self.reason}


@dataclass(frozen=True)
class InventorySummary:
    """Counts for a printed report.

    Attributes:
        records_in: records in the export; ``rows + malformed``.
        rows: VMs in the tidy frame.
        malformed: records reported in ``errors``.
        by_tl_status: VM count per :data:`TL_STATUSES` value (all keys present).
        compatible: VMs that can run Trusted Launch at their size and OS (``compatible`` true).
        compatible_share: ``compatible / rows`` (0.0 for an empty frame).
        not_compatible: VMs with at least one blocker (``compatible`` false).
        undetermined: VMs checked without a blocker where something could not be checked
            (``compatible`` null, ``verdict`` ``undetermined``); not counted as compatible.
        generation_guessed: for VMs whose generation is unknown (``Unknown-gen`` when not TL/CVM),
            the count per SKU-name guess (``V1``/``V2``/``none``): a heuristic split, reported apart.
        top_blockers: ``(blocker, count)`` pairs, most frequent first.
        stale_image_references: VMs flagged ``stale_image_reference``.
    """

    source: str
    source_format: str
    snapshot: str
    records_in: int
    rows: int
    malformed: int
    by_tl_status: Mapping[str, int]
    compatible: int
    compatible_share: float
    top_blockers: tuple[tuple[str, int], ...]
    stale_image_references: int
    not_compatible: int = 0
    undetermined: int = 0
    generation_guessed: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_format": self.source_format,
            "snapshot": self.snapshot,
            "records_in": self.records_in,
            "rows": self.rows,
            "malformed": self.malformed,
            "by_tl_status": dict(self.by_tl_status),
            "compatible": self.compatible,
            "compatible_share": round(self.compatible_share, 4),
            "top_blockers": [list(b) for b in self.top_blockers],
            "stale_image_references": self.stale_image_references,
            "not_compatible": self.not_compatible,
            "undetermined": self.undetermined,
            "generation_guessed": dict(self.generation_guessed),
        }

    def to_text(self) -> str:
        lines = [
            f"inventory: {self.source} ({self.source_format}); support matrix snapshot {self.snapshot}",
            f"records: {self.records_in} = {self.rows} VMs + {self.malformed} malformed",
            "Trusted Launch status:",
        ]
        lines += [f"  {k:<14} {v:>6}" for k, v in self.by_tl_status.items()]
        share = f"{self.compatible_share:.1%}"
        lines.append(f"compatible with Trusted Launch: {self.compatible}/{self.rows} ({share})")
        lines.append(f"not compatible (blocked): {self.not_compatible}")
        lines.append(f"undetermined (nothing blocks, something unchecked): {self.undetermined}")
        if self.generation_guessed:
            guess = ", ".join(f"{k} {v}" for k, v in self.generation_guessed.items())
            lines.append(f"generation unknown, image-SKU guess (heuristic): {guess}")
        lines.append(f"stale Gen1 imageReference after upgrade: {self.stale_image_references}")
        if self.top_blockers:
            lines.append("top blockers:")
            lines += [f"  {n:>6}  {b}" for b, n in self.top_blockers]
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class InventoryResult(Verdict):
    """The tidy inventory: one row per VM read, plus every record that could not be read.

    ``passed`` is true when no record was malformed; ``reasons`` lists ``malformed-record:<index>``
    per reported record. A VM that cannot run Trusted Launch is *not* a failure here: that is
    the ``compatible`` column.

    Attributes:
        frame: one row per VM, columns :data:`INVENTORY_COLUMNS`.
        errors: the records that could not become rows, in input order.
        source: file name (or ``"<object>"``) the records came from.
        source_format: one of :data:`SOURCE_FORMATS`.
        records_in: number of records in the export.
        snapshot: id of the support-matrix snapshot the compatibility columns were computed for
            (the one in force ``as_of`` the date asked for; the newest when none was given).
    """

    frame: pd.DataFrame
    errors: tuple[RecordIssue, ...]
    source: str
    source_format: str
    records_in: int
    snapshot: str
    reasons: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", tuple(f"malformed-record:{e.index}" for e in self.errors))

    @property
    def passed(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """The tidy frame (a copy)."""
        return self.frame.copy()

    def errors_frame(self) -> pd.DataFrame:
        """``errors`` as a frame with columns ``index, name, field, reason``."""
        return pd.DataFrame([e.to_dict() for e in self.errors], columns=["index", "name", "field", "reason"])

    def summary(self, *, top: int = 5) -> InventorySummary:
        """Counts by TL status, compatible share and the ``top`` most frequent blockers."""
        f = self.frame
        counts = f["tl_status"].value_counts()
        by_status = {s: int(counts.get(s, 0)) for s in TL_STATUSES}
        compatible = int((f["verdict"] == "compatible").sum())
        unknown_gen = f[f["generation"].isna()]
        guessed = unknown_gen["generation_guess"].fillna("none").value_counts()
        blockers: Counter[str] = Counter()
        for text in f["blockers"].dropna():
            blockers.update(b for b in str(text).split("; ") if b)
        return InventorySummary(
            source=self.source,
            source_format=self.source_format,
            snapshot=self.snapshot,
            records_in=self.records_in,
            rows=len(f),
            malformed=len(self.errors),
            by_tl_status=by_status,
            compatible=compatible,
            compatible_share=compatible / len(f) if len(f) else 0.0,
            top_blockers=tuple(blockers.most_common(top)),
            stale_image_references=int(f["stale_image_reference"].sum()),
            not_compatible=int((f["verdict"] == "not-compatible").sum()),
            undetermined=int((f["verdict"] == "undetermined").sum()),
            generation_guessed={k: int(guessed.get(k, 0)) for k in ("V1", "V2", "none") if guessed.get(k, 0)},
        )


class _RecordDefectError(Exception):
    """A record-level defect (internal: becomes a :class:`RecordIssue`)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


# --- small typed accessors ---------------------------------------------------------------------------


def _obj(value: Any, field: str, *, required: bool = False) -> Mapping[str, Any] | None:
    """A JSON object member; absent/null -> None (or a problem when ``required``)."""
    if value is _ABSENT or value is None:
        if required:
            raise _RecordDefectError(field, "missing" if value is _ABSENT else "null")
        return None
    if not isinstance(value, Mapping):
        raise _RecordDefectError(field, f"expected an object, got {type(value).__name__}")
    return value


def _get(obj: Mapping[str, Any] | None, key: str) -> Any:
    if obj is None:
        return _ABSENT
    return obj.get(key, _ABSENT)


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    """A string member; absent/null/empty -> None (or a problem when ``required``)."""
    if value is _ABSENT or value is None or value == "":
        if required:
            raise _RecordDefectError(
                field, "missing" if value is _ABSENT else ("null" if value is None else "empty")
            )
        return None
    if not isinstance(value, str):
        raise _RecordDefectError(field, f"expected a string, got {type(value).__name__} {value!r:.40}")
    _check_unicode(value, field)
    return value


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _check_unicode(value: str, field: str) -> None:
    """A lone UTF-16 surrogate (JSON ``"\\ud800"``) is not text: the record is reported, the file kept."""
    m = _SURROGATE.search(value)
    if m is not None:
        raise _RecordDefectError(
            field,
            f"contains a lone surrogate U+{ord(m.group()):04X} at character {m.start()} (not valid Unicode)",
        )


def _check_row_text(row: Mapping[str, Any]) -> None:
    """Every text cell of a finished row is valid Unicode (the table is written by pyarrow)."""
    for column, value in row.items():
        if isinstance(value, str):
            _check_unicode(value, column)


def _flag(value: Any, field: str) -> bool | None:
    """A boolean member; CSV text ``true``/``false`` accepted; absent/null/empty -> None."""
    if value is _ABSENT or value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise _RecordDefectError(field, f"expected a boolean, got {type(value).__name__} {value!r:.40}")


def normalise_security_type(value: object) -> tuple[str, str]:
    """``(security_type, security_type_raw)`` for a ``securityProfile.securityType`` value.

    ``None`` (JSON null, raw ``"<null>"``), ``""`` and ``"Standard"`` normalise to ``"Standard"``
    (facts 7.1: which one appears depends on the API version); inside :func:`load_inventory` an
    absent member does too (raw ``"<absent>"``). ``TrustedLaunch`` and ``ConfidentialVM`` are kept.
    Matching is case-insensitive.

    Raises:
        DataError: any other value (not a string, or an unknown security type).
    """
    if value is _ABSENT:
        return "Standard", "<absent>"
    if value is None:
        return "Standard", "<null>"
    if not isinstance(value, str):
        raise DataError(f"securityType must be a string, got {type(value).__name__}", field="securityType")
    norm = _SECURITY_TYPES.get(value.strip().lower()) if value.strip() else "Standard"
    if norm is None:
        raise DataError(f"unknown securityType {value!r}", field="securityType")
    return norm, value


def _generation(value: Any, field: str) -> str | None:
    text = _text(value, field)
    if text is None:
        return None
    g = text.strip().upper()
    if g not in {"V1", "V2"}:
        raise _RecordDefectError(field, f"expected V1 or V2, got {text!r:.40}")
    return g


def _power_state(value: str | None) -> str | None:
    """``"VM running"`` / ``"PowerState/running"`` -> ``"running"``."""
    if not value:
        return None
    return value.removeprefix("PowerState/").removeprefix("VM ").strip().lower() or None


# --- one VM, read from any shape ----------------------------------------------------------------------


@dataclass
class _Vm:
    name: str | None = None
    id: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    location: str | None = None
    vm_size: str | None = None
    os_type: str | None = None
    image_publisher: str | None = None
    image_offer: str | None = None
    image_sku: str | None = None
    image_version: str | None = None
    image_id: str | None = None
    os_disk_id: str | None = None
    power_state: str | None = None
    security_type: str = "Standard"
    security_type_raw: str = "<absent>"
    secure_boot: bool | None = None
    vtpm: bool | None = None
    view_generation: str | None = None
    size_field: str = "hardwareProfile.vmSize"
    image_field: str = "storageProfile.imageReference"
    os_type_field: str = "storageProfile.osDisk.osType"


def _fill_envelope(vm: _Vm, rec: Mapping[str, Any]) -> None:
    """name, id, location, resource group, subscription; rejects non-VM resource types."""
    rtype = _text(_get(rec, "type"), "type")
    vm.name = _text(_get(rec, "name"), "name")
    vm.id = _text(_get(rec, "id"), "id")
    if rtype is not None and rtype.lower() != _VM_TYPE:
        raise _RecordDefectError("type", f"not a virtual machine: {rtype!r:.60}")
    if vm.name is None and vm.id is None:
        raise _RecordDefectError("name", "record has neither name nor id")
    if vm.name is None and vm.id is not None:
        vm.name = vm.id.rstrip("/").rsplit("/", 1)[-1]
    vm.location = _text(_get(rec, "location"), "location")
    vm.resource_group = _text(_get(rec, "resourceGroup"), "resourceGroup")
    vm.subscription_id = _text(_get(rec, "subscriptionId"), "subscriptionId")
    m = _RG_RE.search(vm.id or "")
    if m:
        vm.subscription_id = vm.subscription_id or m.group(1)
        vm.resource_group = vm.resource_group or m.group(2)


def _size(value: Any, field: str) -> str:
    size = _text(value, field, required=True)
    assert size is not None
    return size.strip()


def _fill_security(vm: _Vm, sec_type: Any, sb: Any, vtpm: Any, prefix: str) -> None:
    try:
        vm.security_type, vm.security_type_raw = normalise_security_type(sec_type)
    except DataError as e:
        raise _RecordDefectError(f"{prefix}securityType", e.message) from None
    vm.secure_boot = _flag(sb, f"{prefix}uefiSettings.secureBootEnabled")
    vm.vtpm = _flag(vtpm, f"{prefix}uefiSettings.vTpmEnabled")


def _read_properties(vm: _Vm, props: Mapping[str, Any], view: Mapping[str, Any] | None, prefix: str) -> None:
    """Fields under ``properties`` (ARM, Resource Graph) or the flattened top level (az CLI)."""
    vm.size_field = f"{prefix}hardwareProfile.vmSize"
    vm.image_field = f"{prefix}storageProfile.imageReference"
    vm.os_type_field = f"{prefix}storageProfile.osDisk.osType"
    hw = _obj(_get(props, "hardwareProfile"), f"{prefix}hardwareProfile", required=True)
    vm.vm_size = _size(_get(hw, "vmSize"), f"{prefix}hardwareProfile.vmSize")
    storage = _obj(_get(props, "storageProfile"), f"{prefix}storageProfile")
    img = _obj(_get(storage, "imageReference"), f"{prefix}storageProfile.imageReference")
    ip = f"{prefix}storageProfile.imageReference."
    vm.image_publisher = _text(_get(img, "publisher"), ip + "publisher")
    vm.image_offer = _text(_get(img, "offer"), ip + "offer")
    vm.image_sku = _text(_get(img, "sku"), ip + "sku")
    vm.image_version = _text(_get(img, "exactVersion"), ip + "exactVersion") or _text(
        _get(img, "version"), ip + "version"
    )
    vm.image_id = (
        _text(_get(img, "id"), ip + "id")
        or _text(_get(img, "sharedGalleryImageId"), ip + "sharedGalleryImageId")
        or _text(_get(img, "communityGalleryImageId"), ip + "communityGalleryImageId")
    )
    disk = _obj(_get(storage, "osDisk"), f"{prefix}storageProfile.osDisk")
    vm.os_type = _text(_get(disk, "osType"), f"{prefix}storageProfile.osDisk.osType")
    managed = _obj(_get(disk, "managedDisk"), f"{prefix}storageProfile.osDisk.managedDisk")
    disk_id = _text(_get(managed, "id"), f"{prefix}storageProfile.osDisk.managedDisk.id")
    vm.os_disk_id = disk_id.lower() if disk_id else None
    sec = _obj(_get(props, "securityProfile"), f"{prefix}securityProfile")
    uefi = _obj(_get(sec, "uefiSettings"), f"{prefix}securityProfile.uefiSettings")
    _fill_security(
        vm,
        _get(sec, "securityType"),
        _get(uefi, "secureBootEnabled"),
        _get(uefi, "vTpmEnabled"),
        f"{prefix}securityProfile.",
    )
    if view is not None:
        vm.view_generation = _generation(_get(view, "hyperVGeneration"), "instanceView.hyperVGeneration")
        ps = _get(view, "powerState")
        if isinstance(ps, Mapping):  # Resource Graph: extended.instanceView.powerState.code
            vm.power_state = _power_state(_text(ps.get("code"), "instanceView.powerState.code"))
        statuses = _get(view, "statuses")
        if vm.power_state is None and isinstance(statuses, list):
            codes = [s.get("code") for s in statuses if isinstance(s, Mapping)]
            vm.power_state = next(
                (_power_state(c) for c in codes if isinstance(c, str) and c.startswith("PowerState/")), None
            )


def _read_az(vm: _Vm, rec: Mapping[str, Any]) -> None:
    _fill_envelope(vm, rec)
    view = _obj(_get(rec, "instanceView"), "instanceView")
    _read_properties(vm, rec, view, "")
    ps = _text(_get(rec, "powerState"), "powerState")
    vm.power_state = _power_state(ps) or vm.power_state


def _read_resource(vm: _Vm, rec: Mapping[str, Any]) -> None:
    _fill_envelope(vm, rec)
    raw = _get(rec, "properties")
    if isinstance(raw, str):  # Resource Graph CSV download: dynamic columns are JSON text
        try:
            raw = json.loads(raw) if raw.strip() else _ABSENT
        except ValueError as e:
            raise _RecordDefectError("properties", f"not valid JSON: {e}") from None
        except RecursionError:
            raise _RecordDefectError("properties", "not usable JSON: nested too deeply") from None
    props = _obj(raw, "properties", required=True)
    assert props is not None
    view = _obj(_get(props, "instanceView"), "properties.instanceView")
    ext = _obj(_get(props, "extended"), "properties.extended")
    view = _obj(_get(ext, "instanceView"), "properties.extended.instanceView") or view
    _read_properties(vm, props, view, "properties.")


def _read_projected(vm: _Vm, rec: Mapping[str, Any]) -> None:
    vm.size_field, vm.image_field, vm.os_type_field = "vmSize", "imgSku", "osType"
    _fill_envelope(vm, rec)
    vm.vm_size = _size(_get(rec, "vmSize"), "vmSize")
    vm.os_type = _text(_get(rec, "osType"), "osType")
    vm.view_generation = _generation(_csv_null(_get(rec, "gen")), "gen")
    _fill_security(
        vm,
        _csv_null(_get(rec, "securityType")),
        _csv_null(_get(rec, "secureBoot")),
        _csv_null(_get(rec, "vTpm")),
        "",
    )
    if vm.security_type_raw == "":
        vm.security_type_raw = "<empty>"
    vm.image_publisher = _text(_get(rec, "imgPublisher"), "imgPublisher")
    vm.image_offer = _text(_get(rec, "imgOffer"), "imgOffer")
    vm.image_sku = _text(_get(rec, "imgSku"), "imgSku")
    vm.image_version = _text(_get(rec, "imgVersion"), "imgVersion")
    vm.image_id = _text(_get(rec, "imgId"), "imgId")
    disk_id = _text(_get(rec, "osDiskId"), "osDiskId")
    vm.os_disk_id = disk_id.lower() if disk_id else None
    vm.power_state = _power_state(_text(_get(rec, "powerState"), "powerState"))


def _csv_null(value: Any) -> Any:
    """A dynamic column exported as the literal text ``null`` (Resource Graph CSV) means JSON null."""
    return None if isinstance(value, str) and value.strip().lower() == "null" else value


_READERS: Final[dict[str, Callable[[_Vm, Mapping[str, Any]], None]]] = {
    "az-vm-list": _read_az,
    "arm": _read_resource,
    "resource-graph": _read_resource,
    "resource-graph-projected": _read_projected,
}


# --- container and format detection ---------------------------------------------------------------


def _shape_of(rec: object) -> str | None:
    """Which reader a record looks written for (``None``: no VM shape)."""
    if not isinstance(rec, Mapping):
        return None
    if "properties" in rec:
        return "resource-graph" if "subscriptionId" in rec or "resourceGroup" in rec else "arm"
    if _AZ_KEYS & rec.keys():
        return "az-vm-list"
    if _PROJECTED_KEYS & rec.keys():
        return "resource-graph-projected"
    return None


def _records_from_json(obj: object, source: str) -> tuple[list[Any], str | None]:
    """The record list of a parsed JSON export, and the shape its envelope implies."""
    if isinstance(obj, Mapping):
        data, value = obj.get("data", _ABSENT), obj.get("value", _ABSENT)
        if isinstance(data, list) and "properties" not in obj:
            return data, "resource-graph"
        if isinstance(value, list) and "properties" not in obj:
            return value, "arm"
        if _shape_of(obj) is not None:
            return [obj], None
        raise DataError(
            f"{source}: a JSON object that is neither a VM resource nor a "
            "{'value': [...]} / {'data': [...]} list",
            record=source,
        )
    if isinstance(obj, list):
        return obj, None
    raise DataError(
        f"{source}: expected a JSON list or object of VM records, got {type(obj).__name__}", record=source
    )


def _is_disk(rec: object) -> bool:
    """A ``Microsoft.Compute/disks`` resource (``az disk list``, ARM or Resource Graph)."""
    if not isinstance(rec, Mapping):
        return False
    kind, rid = rec.get("type"), rec.get("id")
    if isinstance(kind, str) and kind.lower() == "microsoft.compute/disks":
        return True
    return isinstance(rid, str) and "/providers/microsoft.compute/disks/" in rid.lower()


DISKS_EXPORT_FIELD: Final = "disks-export"
"""``DataError.field`` when a disk export is given as the VM export (the CLI words its own hint)."""


def _detect(records: Sequence[Any], hint: str | None, source: str) -> str:
    disks = sum(map(_is_disk, records))
    if records and disks * 2 > len(records):
        raise DataError(
            f"{source} is a disk export ({disks} of {len(records)} records are Microsoft.Compute/disks "
            "resources), not a VM export: pass it as disks= beside the VM export",
            record=source,
            field=DISKS_EXPORT_FIELD,
        )
    votes = Counter(s for s in map(_shape_of, records) if s is not None)
    if not votes:
        if not records:
            return hint or "az-vm-list"
        raise DataError(
            f"{source}: no record looks like a VM in any supported shape (az vm list, ARM, Resource Graph)",
            record=source,
        )
    shape = votes.most_common(1)[0][0]
    if hint == "resource-graph" and shape == "arm":
        return "resource-graph"
    if hint == "arm" and shape == "resource-graph":
        return "arm"
    return shape


def _read_csv(text: str, source: str) -> tuple[list[Any], str]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        rows: list[Any] = [dict(r) for r in reader]
    except csv.Error as e:
        raise DataError(f"{source}: unreadable CSV: {e}", record=source) from None
    cols = set(header)
    if "properties" in cols:
        shape = "resource-graph"
    elif "vmSize" in cols:
        shape = "resource-graph-projected"
    else:
        raise DataError(
            f"{source}: CSV has neither a 'vmSize' nor a 'properties' column "
            f"(columns: {', '.join(header[:12]) or 'none'})",
            record=source,
        )
    for r in rows:  # a row longer than the header carries its surplus under the None key,
        n = len(r) - 1 + len(r[None]) if None in r else sum(v is not None for v in r.values())
        if None in r:  # a shorter one has None values (DictReader restval)
            r["__surplus__"] = r.pop(None)
        if n != len(header):
            r[_FIELD_COUNT] = f"CSV row has {n} fields, the header has {len(header)}"
    return rows, shape


def _load_source(source: object) -> tuple[list[Any], str, str]:
    """(records, shape, source label) for a path, JSON text/bytes or already-parsed object."""
    if isinstance(source, pd.DataFrame):
        rows = source.astype(object).where(source.notna(), None).to_dict(orient="records")
        cols = set(source.columns)
        shape = "resource-graph" if "properties" in cols else "resource-graph-projected"
        return rows, shape, "<DataFrame>"
    if isinstance(source, str) and not source.strip():
        raise DataError("empty source: neither export text nor a file path", record=source)
    if isinstance(source, str) and _is_text(source):
        return _parse_text(source.lstrip("\ufeff"), "<text>", kind=None)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return _parse_bytes(
            _read_file(path), _printable(path.name or str(path)), kind=_SUFFIX_KINDS.get(path.suffix.lower())
        )
    if isinstance(source, (bytes, bytearray)):
        return _parse_bytes(bytes(source), "<text>", kind=None)
    records, hint = _records_from_json(source, "<object>")
    return records, _detect(records, hint, "<object>"), "<object>"


_SUFFIX_KINDS: Final = {".csv": "csv", ".json": "json"}
_FIELD_COUNT: Final = "__field_count__"


def _is_text(source: str) -> bool:
    """A ``str`` source is export *text* when it holds a line break or starts (after blanks and a
    BOM) with ``[`` or ``{``; any other string is a file path. The rule looks only at the string,
    never at the file system."""
    return "\n" in source or "\r" in source or source.lstrip("\ufeff \t")[:1] in {"[", "{"}


def _read_file(path: Path) -> bytes:
    """The bytes of a regular file; anything else (missing, a directory, a device or FIFO such as
    ``/dev/zero`` or ``/dev/stdin``, an unusable path) is a DataError naming the path."""
    label = _printable(path.name or str(path))
    try:
        if path.is_file():
            return path.read_bytes()
        what = "no such file"
        if path.is_dir():
            what = "is a directory"
        elif path.exists():
            what = "not a regular file"
    except OSError as e:
        what = str(e.strerror or e)
    except ValueError as e:  # e.g. an embedded NUL in the path
        raise DataError(f"{label!r}: not a usable path: {e}", record=label) from None
    raise DataError(f"{label}: cannot read: {what}", record=label)


_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32 BE"),
    (b"\xff\xfe", "utf-16", "UTF-16 LE"),
    (b"\xfe\xff", "utf-16", "UTF-16 BE"),
)
"""Byte-order marks, longest first (a UTF-32 LE BOM starts with the UTF-16 LE one)."""

_NUL_PATTERNS: Final = (
    (re.compile(rb"^[^\x00]\x00\x00\x00"), "utf-32-le", "UTF-32 LE"),
    (re.compile(rb"^\x00\x00\x00[^\x00]"), "utf-32-be", "UTF-32 BE"),
    (re.compile(rb"^[^\x00]\x00[^\x00]\x00"), "utf-16-le", "UTF-16 LE"),
    (re.compile(rb"^\x00[^\x00]\x00[^\x00]"), "utf-16-be", "UTF-16 BE"),
)
"""Without a BOM, an ASCII first character ('[', '{', a CSV header) shows the code-unit width."""


def _encoding_of(raw: bytes) -> tuple[str, str]:
    """(codec, name) of an export's bytes: a BOM decides (Windows tools such as PowerShell 5
    ``Out-File`` write UTF-16 LE), else the NUL pattern of the first characters, else UTF-8."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            return codec, name
    for pattern, codec, name in _NUL_PATTERNS:
        if pattern.match(raw):
            return codec, name
    return "utf-8-sig", "UTF-8"


def _parse_bytes(raw: bytes, label: str, *, kind: str | None) -> tuple[list[Any], str, str]:
    """Decode (see :func:`_encoding_of`), then parse as JSON or CSV."""
    codec, name = _encoding_of(raw)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as e:
        raise DataError(f"{label}: not {name} text (byte {e.start})", record=label) from None
    return _parse_text(text.lstrip("\ufeff"), label, kind=kind)


def _parse_text(text: str, label: str, *, kind: str | None) -> tuple[list[Any], str, str]:
    """Parse JSON or CSV text; ``kind`` from the file suffix, else sniffed from the first character."""
    if not text.strip():
        raise DataError(f"{label}: empty file", record=label)
    head = text.lstrip()[:1]
    if kind == "json" or (kind is None and head in {"[", "{"}):
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise DataError(f"{label}: not valid JSON: {e}", record=label) from None
        except RecursionError:
            raise DataError(f"{label}: not usable JSON: nested too deeply", record=label) from None
        records, hint = _records_from_json(obj, label)
        return records, _detect(records, hint, label), label
    rows, shape = _read_csv(text, label)
    return rows, shape, label


def _load_disks(disks: object) -> dict[str, str]:
    """Lower-cased OS disk id -> ``hyperVGeneration`` from an ``az disk list`` / ARM / ARG export."""
    if disks is None:
        return {}
    envelope = {"value", "data", "id"}
    if (
        isinstance(disks, Mapping)
        and not envelope & disks.keys()
        and all(isinstance(v, str) for v in disks.values())
    ):
        return {str(k).lower(): v.upper() for k, v in disks.items()}
    if isinstance(disks, (str, os.PathLike)):
        path = Path(disks)
        label = _printable(path.name or str(path))
        try:
            obj = json.loads(_read_file(path).decode("utf-8-sig"))
        except DataError as e:
            raise DataError(f"unusable disk export: {e.message}", record=label) from None
        except ValueError as e:
            raise DataError(f"{label}: unusable disk export: {e}", record=label) from None
        except RecursionError:
            raise DataError(f"{label}: unusable disk export: nested too deeply", record=label) from None
    else:
        obj, label = disks, "<disks>"
    if isinstance(obj, Mapping):
        obj = obj.get("value", obj.get("data", [obj]))
    if not isinstance(obj, list):
        raise DataError(f"{label}: expected a list of disk resources", record=label)
    out: dict[str, str] = {}
    for rec in obj:
        if not isinstance(rec, Mapping) or not isinstance(rec.get("id"), str):
            continue
        props = rec.get("properties") if isinstance(rec.get("properties"), Mapping) else rec
        gen = props.get("hyperVGeneration") if isinstance(props, Mapping) else None
        if isinstance(gen, str) and gen.upper() in {"V1", "V2"}:
            out[rec["id"].lower()] = gen.upper()
    return out


# --- compatibility (tlkit.support.check_vm, memoised) ---------------------------------------------------

_Compat = tuple[str | None, str | None, bool | None, bool | None, str | None, str, str, str, str | None]
_NO_CHECK: Final[_Compat] = (None, None, None, None, None, "", "", "", None)


class _Support:
    """Memoised bridge to :mod:`tlkit.support` for one import: sizes, SKU generations, check_vm."""

    def __init__(self, as_of: AsOf, *, check: bool) -> None:
        self._check = check
        self.snapshot = resolve_snapshot(as_of).id  # DataError here: as_of is unusable for the whole file
        self._sizes: dict[str, str | None] = {}
        self._gens: dict[tuple[str, str, str], str | None] = {}
        self._reports: dict[tuple[Any, ...], _Compat | _RecordDefectError] = {}

    def validate_size(self, size: str, field: str) -> None:
        """Raise a record defect unless ``size`` is a VM size name :func:`parse_size` accepts."""
        if size not in self._sizes:
            try:
                parse_size(size)
                self._sizes[size] = None
            except TlkitError as e:
                self._sizes[size] = str(e)
        err = self._sizes[size]
        if err is not None:
            raise _RecordDefectError(field, err)

    def sku_generation(self, publisher: str | None, offer: str | None, sku: str | None) -> str | None:
        """``"V1"``/``"V2"`` a Marketplace SKU name suggests (:func:`tlkit.support.image_generation`,
        rules in ``data/support/image_generation.csv``); ``None`` without a Marketplace image."""
        if not (publisher and offer and sku):
            return None
        key = (publisher, offer, sku)
        if key not in self._gens:
            gen = image_generation(MarketplaceImage(publisher, offer, sku)).generation
            self._gens[key] = None if gen is None else f"V{gen}"
        return self._gens[key]

    def sku_generation_basis(self, publisher: str | None, offer: str | None, sku: str | None) -> str | None:
        """The basis of :meth:`sku_generation`'s guess: the matched rule's ``basis`` column and note
        (``"naming-convention: ..."`` / ``"heuristic: ..."``); None without a guess."""
        if not (publisher and offer and sku):
            return None
        g = image_generation(MarketplaceImage(publisher, offer, sku))
        return f"{g.rule_basis}: {g.rule}" if g.generation is not None else None

    def compat(self, vm: _Vm, generation: str | None) -> _Compat:
        """``(os, size_status, os_supported, compatible, verdict, undetermined, blockers, notes,
        snapshot)`` from check_vm."""
        if not self._check:
            return _NO_CHECK
        assert vm.vm_size is not None
        key = (
            vm.vm_size,
            vm.image_publisher,
            vm.image_offer,
            vm.image_sku,
            vm.image_id,
            vm.os_type,
            generation,
        )
        hit = self._reports.get(key)
        if hit is None:
            image: dict[str, str | None] | None = None
            kind = _image_kind(vm)
            if kind in _ID_KINDS:
                image = {"id": vm.image_id}
            elif kind == "marketplace":
                image = {
                    "publisher": vm.image_publisher,
                    "offer": vm.image_offer,
                    "sku": vm.image_sku,
                    "version": "latest",
                }
            try:
                rep = check_vm(
                    vm.vm_size, image, os_type=vm.os_type, generation=generation, as_of=self.snapshot
                )
                hit = (
                    rep.os_detail.os.display if rep.os_detail is not None else None,
                    rep.size_status,
                    rep.os_supported,
                    rep.compatible,
                    rep.verdict,
                    "; ".join(rep.undetermined),
                    "; ".join(b.code for b in rep.blockers),
                    " | ".join(rep.notes),
                    rep.snapshot,
                )
            except TlkitError as e:
                field = vm.os_type_field if getattr(e, "field", None) == "osType" else vm.image_field
                hit = _RecordDefectError(field, str(e))
            self._reports[key] = hit
        if isinstance(hit, _RecordDefectError):
            raise hit
        return hit


_ID_KINDS: Final = frozenset({"gallery", "shared-gallery", "community-gallery", "managed-image"})


def _image_kind(vm: _Vm) -> str:
    """The image's ``kind`` as :func:`tlkit.support.parse_image` reads it (``marketplace``, ``gallery``,
    ``shared-gallery``, ``community-gallery``, ``managed-image``), ``other`` (an id or a partial
    reference that is not an image reference) or ``none`` (no imageReference: attached disk).

    Only ``other`` and ``none`` are not passed to :func:`check_vm`; for them the OS is not
    identified (a note in the report), never a record error.
    """
    if vm.image_id:
        if not vm.image_id.startswith("/"):
            return "other"
        try:
            return parse_image(vm.image_id).kind
        except TlkitError:
            return "other"
    if vm.image_publisher and vm.image_offer and vm.image_sku:
        return "marketplace"
    return "other" if vm.image_publisher or vm.image_offer or vm.image_sku else "none"


def _tl_status(security_type: str, secure_boot: bool | None, vtpm: bool | None, gen: str | None) -> str:
    """Facts 7.3 ``tlStatus``: TL-full / TL-partial / CVM / Gen2-Standard / Gen1 / Unknown-gen."""
    if security_type == "TrustedLaunch":
        return "TL-full" if secure_boot and vtpm else "TL-partial"
    if security_type == "ConfidentialVM":
        return "CVM"
    return {"V2": "Gen2-Standard", "V1": "Gen1"}.get(gen or "", "Unknown-gen")


def _row(index: int, vm: _Vm, fmt: str, disk_gen: Mapping[str, str], support: _Support) -> dict[str, Any]:
    assert vm.vm_size is not None
    support.validate_size(vm.vm_size, vm.size_field)
    sku_gen = support.sku_generation(vm.image_publisher, vm.image_offer, vm.image_sku)
    if vm.view_generation:
        gen, gen_source = vm.view_generation, "instance-view"
    elif vm.os_disk_id and vm.os_disk_id in disk_gen:
        gen, gen_source = disk_gen[vm.os_disk_id], "os-disk"
    elif vm.security_type in {"TrustedLaunch", "ConfidentialVM"}:
        gen, gen_source = "V2", "security-type"
    else:  # facts 7.1: "Do not infer generation from the image SKU alone" (7.3: Unknown-gen)
        gen, gen_source = None, "unknown"
    stale = sku_gen == "V1" and gen == "V2"
    kind = _image_kind(vm)
    os_name, size_status, os_ok, ok, verdict, undetermined, blockers, notes, snapshot = support.compat(
        vm, gen
    )
    if vm.security_type in {"TrustedLaunch", "ConfidentialVM"} and vm.view_generation == "V1":
        issue = (
            f"inconsistent record: securityType {vm.security_type} with hyperVGeneration V1 "
            "(Trusted Launch and confidential VMs are Generation 2)"
        )
        notes = f"{issue} | {notes}" if notes else issue
    return {
        "record": index,
        "name": vm.name,
        "id": vm.id,
        "subscription_id": vm.subscription_id,
        "resource_group": vm.resource_group,
        "location": vm.location,
        "vm_size": vm.vm_size,
        "os_type": vm.os_type,
        "os": os_name,
        "image_kind": kind,
        "image_publisher": vm.image_publisher,
        "image_offer": vm.image_offer,
        "image_sku": vm.image_sku,
        "image_version": vm.image_version,
        "image_id": vm.image_id,
        "os_disk_id": vm.os_disk_id,
        "power_state": vm.power_state,
        "security_type": vm.security_type,
        "security_type_raw": vm.security_type_raw,
        "secure_boot": vm.secure_boot,
        "vtpm": vm.vtpm,
        "generation": gen,
        "generation_source": gen_source,
        "generation_guess": sku_gen,
        "generation_guess_basis": support.sku_generation_basis(
            vm.image_publisher, vm.image_offer, vm.image_sku
        ),
        "stale_image_reference": stale,
        "tl_status": _tl_status(vm.security_type, vm.secure_boot, vm.vtpm, gen),
        "size_status": size_status,
        "os_supported": os_ok,
        "compatible": ok,
        "verdict": verdict,
        "undetermined": undetermined,
        "blockers": blockers,
        "notes": notes,
        "snapshot": snapshot or support.snapshot,
        "source_format": fmt,
    }


def _frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=list(INVENTORY_COLUMNS))
    return df.astype(_COLUMNS)


def load_inventory(
    source: object, *, as_of: AsOf = None, disks: object = None, check: bool = True
) -> InventoryResult:
    """Read a VM export into one tidy row per VM, with Trusted Launch status and compatibility.

    Args:
        source: a path (``.json`` or ``.csv``; only regular files are read), JSON/CSV text or
            bytes, an already-parsed JSON object (list, single resource, ``{"value": [...]}``,
            ``{"data": [...]}``) or a DataFrame of Resource Graph rows. A ``str`` is text when it
            holds a line break or starts with ``[``/``{``, otherwise a path (decided by its shape,
            never by what exists on disk). The shape is detected (see the module docstring).
        as_of: support-matrix snapshot for the compatibility columns (id, ``"YYYY-MM"``, date or
            :class:`~tlkit.support.Snapshot`; ``None``: the newest),
            passed to :func:`tlkit.support.check_vm`.
        disks: optional OS disk export (``az disk list -o json`` path/object, ARM or Resource Graph
            disk rows) or a mapping ``disk id -> "V1"/"V2"``; used for ``generation`` when a VM has
            no instance view.
        check: compute the compatibility columns (``False``: leave them empty, import only).

    Returns:
        An :class:`InventoryResult`; records that cannot be read are in ``errors``, never dropped.

    Raises:
        DataError: the source as a whole is unusable (unreadable, not JSON/CSV, no VM shape), naming
            the file and why.
    """
    try:
        records, fmt, label = _load_source(source)
        disk_gen = _load_disks(disks)
    except DataError as e:  # a message quoting the input may hold lone surrogates: keep it printable
        printable = _printable(e.message)
        if printable == e.message:
            raise
        raise DataError(printable, record=e.record, field=e.field) from None
    support = _Support(as_of, check=check)
    reader = _READERS[fmt]
    rows: list[dict[str, Any]] = []
    issues: list[RecordIssue] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            issues.append(RecordIssue(i, None, "<record>", f"expected an object, got {type(rec).__name__}"))
            continue
        if _FIELD_COUNT in rec:
            issues.append(RecordIssue(i, _safe_name(rec), "<row>", str(rec[_FIELD_COUNT])))
            continue
        vm = _Vm()
        try:
            reader(vm, rec)
            row = _row(i, vm, fmt, disk_gen, support)
            _check_row_text(row)
            rows.append(row)
        except _RecordDefectError as p:
            name = vm.name or _safe_name(rec)
            issues.append(RecordIssue(i, name, p.field, p.reason))
    return InventoryResult(
        frame=_frame(rows),
        errors=tuple(issues),
        source=label,
        source_format=fmt,
        records_in=len(records),
        snapshot=support.snapshot,
    )


def _safe_name(rec: Mapping[str, Any]) -> str | None:
    """The record's name for an issue, lone surrogates escaped (``\\ud800``) so the report can show it."""
    name = rec.get("name")
    if not isinstance(name, str) or not name:
        return None
    return _printable(name)


def _printable(text: str) -> str:
    """``text`` with lone surrogates escaped (``\\ud800``): safe to print, encode or store."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
