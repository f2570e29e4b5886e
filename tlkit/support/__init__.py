"""Versioned Azure Trusted Launch support matrices and Trusted-Launch-as-Default rules.

What it does:

- lists the documentation **snapshots** (2021-02 preview … 2026-07 TLaD GA) and resolves every
  query's ``as_of`` (snapshot id, ``"YYYY-MM"``, a date, or None = newest);
- parses Azure VM **size names** (:func:`parse_size`) per Microsoft's naming conventions;
- gives a size's Trusted Launch **status** in a snapshot with the deciding table row
  (:func:`size_status`);
- identifies an **OS / image** (Marketplace URN, Azure Compute Gallery image: subscription, shared
  or community gallery, managed image, free-form OS string) and checks it against the snapshot's
  OS table (:func:`os_status`); the image's Hyper-V generation comes from :func:`image_generation`
  (explicit, else the SKU rules in ``data/support/image_generation.csv``);
- builds a per-VM **compatibility report** with blockers and remediations (:func:`check_vm`);
- resolves what a deployment really gets under **TLaD** (:func:`resolve_tlad`) and whether a
  TL VM may be **resized** (:func:`check_resize`).

What it does not do: it calls no Azure API and reads no subscription; every fact comes from the
versioned tables in ``data/support/`` (sources in ``data/support/SOURCES.md``), so results are as
good as those tables. It does not model Confidential VM support. Fleet exports (``az vm list``,
ARM, Resource Graph JSON/CSV) are read into one row per VM by :func:`load_inventory`.

The decision rules are named data: :data:`COMPAT_RULES` (what :func:`check_vm` applies, in order)
and :data:`TLAD_RULES` (what :func:`resolve_tlad` tries), each rule with a code, a source and a
small check function. The tables are read once and cached; the caches follow ``$TLKIT_DATA_DIR``
(a newer snapshot of the tables), and :func:`reload_data` re-reads edited files.

Outcomes are frozen dataclasses with ``passed``/``__bool__``, ``reasons`` and ``to_dict()``;
bad input raises :class:`tlkit.errors.DataError` naming the record and field.
"""

from typing import TYPE_CHECKING, Any

from tlkit._data import reload_data
from tlkit.support._compat import COMPAT_RULES, Blocker, CompatibilityReport, CompatRule, check_vm
from tlkit.support._features import (
    FeatureRule,
    RegionStatus,
    feature_key,
    region_status,
    unsupported_features,
)
from tlkit.support._matrix import (
    STATUSES,
    MatrixRow,
    SizeStatus,
    size_status,
    size_table,
    supported_alternatives,
)
from tlkit.support._os import (
    GalleryImage,
    ImageGeneration,
    ImageLike,
    ManagedImage,
    MarketplaceImage,
    OsInfo,
    OsStatus,
    identify_os,
    image_generation,
    image_or_os,
    os_status,
    os_table,
    parse_image,
)
from tlkit.support._sizes import SizeInfo, parse_size
from tlkit.support._snapshots import AsOf, Snapshot, resolve_snapshot, snapshots, snapshots_frame
from tlkit.support._tlad import (
    TLAD_RULES,
    ResizeDecision,
    TladDecision,
    TladRule,
    check_resize,
    resolve_tlad,
    tlad_rules,
)

if TYPE_CHECKING:  # pandas-backed modules load on first use (see __getattr__): the CLI parsers stay light
    from tlkit.support._history import HISTORY_COLUMNS, size_status_history
    from tlkit.support._inventory import (
        INVENTORY_COLUMNS,
        TL_STATUSES,
        InventoryResult,
        InventorySummary,
        RecordIssue,
        load_inventory,
        normalise_security_type,
    )

_LAZY = {
    "HISTORY_COLUMNS": "tlkit.support._history",
    "size_status_history": "tlkit.support._history",
    "INVENTORY_COLUMNS": "tlkit.support._inventory",
    "TL_STATUSES": "tlkit.support._inventory",
    "InventoryResult": "tlkit.support._inventory",
    "InventorySummary": "tlkit.support._inventory",
    "RecordIssue": "tlkit.support._inventory",
    "load_inventory": "tlkit.support._inventory",
    "normalise_security_type": "tlkit.support._inventory",
}
"""Public names whose modules import pandas: imported when first used."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tlkit.support' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "COMPAT_RULES",
    "HISTORY_COLUMNS",
    "INVENTORY_COLUMNS",
    "STATUSES",
    "TLAD_RULES",
    "TL_STATUSES",
    "AsOf",
    "Blocker",
    "CompatRule",
    "CompatibilityReport",
    "FeatureRule",
    "GalleryImage",
    "ImageGeneration",
    "ImageLike",
    "InventoryResult",
    "InventorySummary",
    "ManagedImage",
    "MarketplaceImage",
    "MatrixRow",
    "OsInfo",
    "OsStatus",
    "RecordIssue",
    "RegionStatus",
    "ResizeDecision",
    "SizeInfo",
    "SizeStatus",
    "Snapshot",
    "TladDecision",
    "TladRule",
    "check_resize",
    "check_vm",
    "feature_key",
    "identify_os",
    "image_generation",
    "image_or_os",
    "load_inventory",
    "normalise_security_type",
    "os_status",
    "os_table",
    "parse_image",
    "parse_size",
    "region_status",
    "reload_data",
    "resolve_snapshot",
    "resolve_tlad",
    "size_status",
    "size_status_history",
    "size_table",
    "snapshots",
    "snapshots_frame",
    "supported_alternatives",
    "tlad_rules",
    "unsupported_features",
]
