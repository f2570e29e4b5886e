"""Clone a real fleet's composition into a :class:`FleetSpec`: ``FleetSpec.from_inventory`` (private).

What it does: reads an ``az vm list`` / ARM / Resource Graph export with
:func:`tlkit.support.load_inventory` (or takes its :class:`~tlkit.support.InventoryResult` or tidy
frame) and turns it into a spec whose joint ``composition`` has one row per distinct
(OS image, size family, region, generation, capable) with ``weight`` = the number of VMs, whose
``vms`` is the number of VMs placed (or the size the caller scales it to), and whose adoption
fields say what the estate does today:

- **OS image**: the simulator boots two images (:data:`tlkit.fleet.OS_IMAGES`), so the export's OS
  *type* decides: ``Windows`` → ``"windows"``, ``Linux`` → ``"ubuntu"`` (:data:`OS_TYPE_IMAGES`).
  The real distro (RHEL, SLES, Debian, ...) is kept nowhere in the spec.
- **size family**: :func:`tlkit.support.parse_size` on ``vm_size``; by default its ``series``
  (``Standard_D4s_v5`` → ``"Dsv5"``, the names ``FleetSpec.family_mix`` uses), with
  ``family_by="family"`` the support tables' family code (``"D"``).
- **region**: ``location`` lower-cased without spaces (``"East US"`` → ``"eastus"``).
- **capable** (:data:`CAPABILITY_RULES`, first rule that decides): a Trusted Launch VM is capable;
  else the row's ``compatible`` verdict from :func:`tlkit.support.check_vm`. An *undetermined*
  verdict is never dropped: by default (``undetermined="not-capable"``) the VM counts as not capable
  and is listed in :attr:`InventoryClone.assumed` (code ``capability-undetermined``);
  ``"capable"`` counts it as capable (also listed); ``"error"`` raises a DataError naming the record.
- **generation** (:data:`GENERATION_RULES`): the generation ``load_inventory`` recorded (instance
  view, OS disk or security type; a capable VM recorded V1, an inconsistent record, counts as V2);
  else ``V2`` for a capable VM (Generation 1 VMs can't run Trusted Launch, so check_vm found
  Generation 2); else the image SKU's naming rule (``generation_guess``, a heuristic). All but the
  recorded generation are listed in ``assumed``. A VM with none of these is skipped
  (``generation-unknown``).
- **adoption**: ``trusted_launch_adoption`` = Trusted Launch VMs / capable VMs;
  ``secure_boot_adoption`` and ``vtpm_adoption`` = shares among Trusted Launch VMs (a flag the export
  lacks counts as off, as :meth:`tlkit.defender.VmConfig.from_inventory_row` reads it, and is listed).
  With no capable VM the Trusted Launch share is 0.0; with no Trusted Launch VM the two shares keep
  the spec defaults. ``extension_adoption`` has no inventory column: the spec default.
- the four independent mixes (``os_mix``, ``family_mix``, ``region_mix``, ``generation_mix``) are set
  to the composition's marginals, for reading only: the composition replaces them.

The result is an :class:`InventoryClone` (``.spec``, ``.composition``, ``.skipped``, ``.assumed``),
not a bare spec, so that nothing is dropped out of sight: every record that is not in the
composition is in :attr:`InventoryClone.skipped` with a reason code
(records ``load_inventory`` could not read: ``unreadable``), so
``records_in == vms placed + len(skipped)``. Keyword overrides win over everything derived, except
the fields the inventory defines (``composition`` and the four mixes), which are refused naming the
field; an unknown field is refused the same way.

What it does not do: call Azure, decide support itself (that is :func:`tlkit.support.check_vm`, via
the inventory's columns), model distros, confidential VMs (counted by their verdict: not capable, and
listed) or the Guest Attestation extension's presence, or simulate anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import pandas as pd

from tlkit._result import Verdict
from tlkit.errors import DataError, TlkitError
from tlkit.fleet._spec import GENERATIONS, FleetSpec
from tlkit.support._inventory import InventoryResult, load_inventory
from tlkit.support._sizes import parse_size
from tlkit.support._snapshots import AsOf

__all__ = [
    "CAPABILITY_RULES",
    "COMPOSITION_COLUMNS",
    "FAMILY_LEVELS",
    "GENERATION_RULES",
    "NOTE_CODES",
    "OS_TYPE_IMAGES",
    "UNDETERMINED_POLICIES",
    "CloneNote",
    "CloneRule",
    "InventoryClone",
    "fleet_spec_from_inventory",
]

#: The export's OS type (lower-cased) → the simulator's image (:data:`tlkit.fleet.OS_IMAGES` key).
OS_TYPE_IMAGES: Final[Mapping[str, str]] = MappingProxyType({"windows": "windows", "linux": "ubuntu"})

#: What an undetermined ``compatible`` verdict counts as: ``not-capable`` / ``capable`` (the VM is
#: listed in ``assumed`` either way), or ``error`` (a DataError naming the first such record).
UNDETERMINED_POLICIES: Final[Mapping[str, bool | None]] = MappingProxyType(
    {"not-capable": False, "capable": True, "error": None}
)

#: Which :class:`tlkit.support.SizeInfo` attribute names the size family: ``series`` (``"Dsv5"``) or
#: ``family`` (``"D"``).
FAMILY_LEVELS: Final = ("series", "family")

#: Columns of :attr:`InventoryClone.composition` (``weight``: VMs in the inventory, int64).
COMPOSITION_COLUMNS: Final = ("os", "family", "region", "generation", "capable", "weight")

#: Note code → (is the VM in the composition?, meaning).
NOTE_CODES: Final[Mapping[str, tuple[bool, str]]] = MappingProxyType(
    {
        "unreadable": (False, "load_inventory could not read the record (detail: field: reason)"),
        "os-type-unknown": (False, "no Windows/Linux OS type: no simulator image to map it to"),
        "size-unreadable": (False, "vm_size is not a size name parse_size reads"),
        "region-unknown": (False, "no location"),
        "generation-unknown": (False, "no recorded generation, not capable, and no SKU guess"),
        "capability-undetermined": (True, "check_vm's verdict is undetermined: counted per `undetermined`"),
        "generation-from-verdict": (True, "no recorded generation; capable, so Generation 2"),
        "generation-from-sku": (True, "generation from the image SKU's naming rule (a heuristic)"),
        "generation-inconsistent": (True, "recorded V1 but capable (Trusted Launch): counted as V2"),
        "uefi-setting-unknown": (True, "Trusted Launch VM without a Secure Boot/vTPM flag: counted as off"),
        "confidential-vm": (True, "a confidential VM: counted by its verdict; the simulator has none"),
    }
)

_DERIVED: Final = ("composition", "os_mix", "family_mix", "region_mix", "generation_mix")
_STR_COLUMNS: Final = ("vm_size", "os_type", "location", "security_type", "generation", "generation_guess")
_BOOL_COLUMNS: Final = ("secure_boot", "vtpm", "compatible")
_MIX_OF: Final = {
    "os_mix": "os",
    "family_mix": "family",
    "region_mix": "region",
    "generation_mix": "generation",
}


@dataclass(frozen=True)
class CloneRule:
    """One rule deciding a column of the clone: the value per row, NA where it does not decide.

    Attributes:
        code: the rule's name; when ``assumption`` it is also the note code of the rows it decides.
        assumption: rows decided by this rule are listed in :attr:`InventoryClone.assumed`.
        source: where the rule comes from.
        decide: frame (with the columns decided so far) → a Series aligned to it.
    """

    code: str
    assumption: bool
    source: str
    decide: Callable[[pd.DataFrame], pd.Series]


def _decided(mask: pd.Series, value: object) -> pd.Series:
    return pd.Series(value, index=mask.index, dtype="object").where(mask.fillna(False).astype(bool))


#: ``capable``, in order (the undetermined rest follows the ``undetermined`` policy).
CAPABILITY_RULES: Final = (
    CloneRule(
        "trusted-launch", False, "a VM running Trusted Launch can run it", lambda f: _decided(f["tl"], True)
    ),
    CloneRule(
        "check-vm",
        False,
        "tlkit.support.check_vm's verdict on size, image and generation (inventory column compatible)",
        lambda f: f["compatible"].astype("object").where(f["compatible"].notna()),
    ),
)

#: ``generation``, in order (a VM none decides is skipped: ``generation-unknown``).
GENERATION_RULES: Final = (
    CloneRule(
        "generation-inconsistent",
        True,
        "Trusted Launch VMs are Generation 2: a capable VM recorded as V1 counts as V2 "
        "(load_inventory flags such a record 'inconsistent record' in its notes)",
        lambda f: _decided((f["capable"] == True) & (f["generation"] == "V1"), "V2"),  # noqa: E712
    ),
    CloneRule(
        "recorded",
        False,
        "load_inventory: instance view, else OS disk, else security type (facts 7.1)",
        lambda f: f["generation"].astype("object").where(f["generation"].notna()),
    ),
    CloneRule(
        "generation-from-verdict",
        True,
        "Generation 1 VMs cannot run Trusted Launch, so a capable VM is Generation 2 (for a check_vm "
        "verdict without a recorded generation, check_vm read it from the image, noted in the row)",
        lambda f: _decided(f["capable"] == True, "V2"),  # noqa: E712 (object column)
    ),
    CloneRule(
        "generation-from-sku",
        True,
        "the image SKU's naming rule (load_inventory generation_guess, data/support/image_generation.csv)",
        lambda f: f["generation_guess"].astype("object").where(f["generation_guess"].notna()),
    ),
)


@dataclass(frozen=True)
class CloneNote:
    """One VM (or unreadable record) the clone skipped, or placed on an assumption.

    Attributes:
        record: the record's index in the export (``InventoryResult.frame["record"]``).
        name: the VM name, if known.
        code: a key of :data:`NOTE_CODES`.
        detail: the value or reason behind it.
    """

    record: int
    name: str | None
    code: str
    detail: str

    @property
    def placed(self) -> bool:
        """The VM is in the composition (an assumption), not skipped."""
        return NOTE_CODES[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        return {"record": self.record, "name": self.name, "code": self.code, "detail": self.detail}


@dataclass(frozen=True, eq=False)
class InventoryClone(Verdict):
    """What :func:`fleet_spec_from_inventory` returns: the spec, and what the clone could not place.

    ``passed`` is true when every record was placed without an assumption; ``reasons`` lists the
    distinct note codes (of ``skipped`` and ``assumed``), sorted.

    Attributes:
        spec: the cloned :class:`FleetSpec` (composition weights = VM counts).
        composition: the same composition as a frame, columns :data:`COMPOSITION_COLUMNS`, sorted.
        skipped: records not in the composition, with reason codes (records in export order).
        assumed: VMs in the composition whose row rests on an assumption (undetermined capability,
            a SKU-guessed generation, ...): one note per VM and assumption.
        source, source_format, snapshot: as in :class:`tlkit.support.InventoryResult`.
        records_in: records in the export: ``vms_placed + len(skipped)``.
    """

    spec: FleetSpec
    composition: pd.DataFrame
    skipped: tuple[CloneNote, ...]
    assumed: tuple[CloneNote, ...]
    source: str
    source_format: str
    snapshot: str
    records_in: int
    reasons: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        codes = sorted({n.code for n in (*self.skipped, *self.assumed)})
        object.__setattr__(self, "reasons", tuple(codes))

    @property
    def passed(self) -> bool:
        return not self.skipped and not self.assumed

    @property
    def vms_placed(self) -> int:
        """VMs of the inventory in the composition."""
        return int(self.composition["weight"].sum())

    def notes_frame(self) -> pd.DataFrame:
        """``skipped`` then ``assumed`` as a frame: record, name, code, placed, detail."""
        rows = [{**n.to_dict(), "placed": n.placed} for n in (*self.skipped, *self.assumed)]
        return pd.DataFrame(rows, columns=["record", "name", "code", "placed", "detail"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the spec, the notes, and the counts."""
        return {
            "source": self.source,
            "source_format": self.source_format,
            "snapshot": self.snapshot,
            "records_in": self.records_in,
            "vms_placed": self.vms_placed,
            "spec": self.spec.to_dict(),
            "skipped": [n.to_dict() for n in self.skipped],
            "assumed": [n.to_dict() for n in self.assumed],
            "reasons": list(self.reasons),
        }


# --- input ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    frame: pd.DataFrame
    unreadable: tuple[CloneNote, ...]
    source: str
    source_format: str
    snapshot: str
    records_in: int


def _read(inventory: object, as_of: AsOf) -> _Source:
    """The tidy frame (validated) and the records load_inventory could not read."""
    if isinstance(inventory, pd.DataFrame) and "vm_size" in inventory.columns:
        if as_of is not None:
            raise DataError("as_of applies only to an export read here, not to a tidy frame", field="as_of")
        frame = _checked_frame(inventory)
        return _Source(
            frame, (), "<frame>", _single(frame, "source_format"), _single(frame, "snapshot"), len(frame)
        )
    if isinstance(inventory, InventoryResult):
        if as_of is not None:
            raise DataError(
                f"as_of applies only to an export read here; {inventory.source} was read for "
                f"snapshot {inventory.snapshot}",
                field="as_of",
            )
        result = inventory
    else:
        result = load_inventory(inventory, as_of=as_of)
    unreadable = tuple(
        CloneNote(e.index, e.name, "unreadable", f"{e.field}: {e.reason}") for e in result.errors
    )
    return _Source(
        _checked_frame(result.frame),
        unreadable,
        result.source,
        result.source_format,
        result.snapshot,
        result.records_in,
    )


def _single(frame: pd.DataFrame, column: str) -> str:
    """The one value of an optional text column (``""`` when absent, mixed or empty)."""
    if column not in frame.columns:
        return ""
    values = {v for v in frame[column].tolist() if isinstance(v, str)}
    return values.pop() if len(values) == 1 else ""


def _checked_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the clone reads, as plain objects; a missing column or a wrong-typed cell is a
    DataError naming the column (and the record)."""
    if not frame.columns.is_unique:
        twice = str(frame.columns[frame.columns.duplicated()][0])
        raise DataError(f"not an inventory frame: column {twice!r} appears twice", field=twice)
    missing = [c for c in (*_STR_COLUMNS, *_BOOL_COLUMNS) if c not in frame.columns]
    if missing:
        raise DataError(f"not an inventory frame: no column {missing[0]!r}", field=missing[0])
    n = len(frame)
    columns: dict[str, list[Any]] = {
        "record": frame["record"].tolist() if "record" in frame.columns else list(range(n)),
        **{c: frame[c].tolist() if c in frame.columns else [None] * n for c in ("name", "undetermined")},
        **{c: frame[c].tolist() for c in (*_STR_COLUMNS, *_BOOL_COLUMNS)},
    }
    out = pd.DataFrame({c: pd.Series([_cell(v) for v in vs], dtype="object") for c, vs in columns.items()})
    checks: dict[str, Callable[[object], bool]] = {
        "record": lambda v: isinstance(v, int) and not isinstance(v, bool),
        **dict.fromkeys(("name", "undetermined", *_STR_COLUMNS), lambda v: v is None or isinstance(v, str)),
        **dict.fromkeys(
            ("generation", "generation_guess"),
            lambda v: v is None or (isinstance(v, str) and v in GENERATIONS),
        ),
        **dict.fromkeys(_BOOL_COLUMNS, lambda v: v is None or isinstance(v, bool)),
    }
    for column, ok in checks.items():
        for i, value in enumerate(out[column]):
            if not ok(value):
                raise DataError(
                    f"inventory column {column} holds {type(value).__name__} {value!r:.40}",
                    record=out["record"][i] if column != "record" else i,
                    field=column,
                )
    return out


def _missing(value: object) -> bool:
    """A pandas missing cell (None, NaN, NA); numpy scalars become Python values elsewhere."""
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # a list or array cell: not missing, and not a valid value
        return False


def _cell(value: object) -> object:
    """A cell as a plain Python value: missing → None, a numpy scalar → its Python value."""
    if _missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


# --- the clone ------------------------------------------------------------------------------------


def _apply_rules(frame: pd.DataFrame, rules: tuple[CloneRule, ...]) -> tuple[pd.Series, pd.Series]:
    """(value, code of the deciding rule) per row; NA/None where no rule decides."""
    value = pd.Series(None, index=frame.index, dtype="object")
    code = pd.Series(None, index=frame.index, dtype="object")
    for rule in rules:
        open_ = value.isna()
        decided = rule.decide(frame).reindex(frame.index)
        take = open_ & decided.notna()
        value = value.where(~take, decided)
        code = code.where(~take, rule.code)
    return value, code


def _families(sizes: pd.Series, family_by: str) -> pd.Series:
    """Size family per row (None where the size does not parse)."""
    names: dict[str, str | None] = {}
    for size in sizes.dropna().unique():
        try:
            names[size] = str(getattr(parse_size(size), family_by))
        except TlkitError:
            names[size] = None
    return sizes.map(lambda s: names.get(s) if s is not None else None)


def _region(location: object) -> str | None:
    if not isinstance(location, str):
        return None
    return "".join(location.split()).lower() or None


def _notes(frame: pd.DataFrame, mask: pd.Series, code: str, detail: pd.Series | str) -> list[CloneNote]:
    details = detail if isinstance(detail, pd.Series) else pd.Series(detail, index=frame.index)
    return [
        CloneNote(int(r), n, code, str(d))
        for r, n, d in zip(frame["record"][mask], frame["name"][mask], details[mask], strict=True)
    ]


_Check = tuple[str, Callable[[pd.DataFrame], pd.Series], Callable[[pd.DataFrame], "pd.Series | str"]]

#: (note code, rows, detail) of the VMs that cannot be placed before capability is decided: the first
#: that applies names the reason.
_SKIP_CHECKS: Final[tuple[_Check, ...]] = (
    ("os-type-unknown", lambda f: f["os"].isna(), lambda f: f["os_type"].map(lambda v: f"os_type {v!r}")),
    ("size-unreadable", lambda f: f["family"].isna(), lambda f: f["vm_size"].map(lambda v: f"vm_size {v!r}")),
    ("region-unknown", lambda f: f["region"].isna(), lambda f: "no location"),
)

#: (note code, rows, detail) of placed VMs modelled with a simplification (besides the rules' own).
_MODEL_CHECKS: Final[tuple[_Check, ...]] = (
    (
        "uefi-setting-unknown",
        lambda f: f["tl"] & (f["secure_boot"].isna() | f["vtpm"].isna()),
        lambda f: f["secure_boot"].map(lambda v: f"secure_boot={v}") + f["vtpm"].map(lambda v: f", vtpm={v}"),
    ),
    (
        "confidential-vm",
        lambda f: f["security_type"] == "ConfidentialVM",
        lambda f: f["capable"].map(lambda c: f"capable={c}"),
    ),
)


def _check_notes(
    f: pd.DataFrame, checks: tuple[_Check, ...], among: pd.Series
) -> tuple[pd.Series, list[CloneNote]]:
    """Apply ``checks`` to the rows ``among``: the code of the first check each row meets, and notes."""
    hit = pd.Series(None, index=f.index, dtype="object")
    notes: list[CloneNote] = []
    for code, rows, detail in checks:
        mask = among & hit.isna() & rows(f).fillna(False).astype(bool)
        notes += _notes(f, mask, code, detail(f))
        hit = hit.where(~mask, code)
    return hit, notes


def _resolve(frame: pd.DataFrame, family_by: str, undetermined: str) -> tuple[pd.DataFrame, list[CloneNote]]:
    """Add os, family, region, tl, capable, generation; return the frame and every note, skipped
    rows marked by ``skip`` (a note code) in the frame."""
    f = frame.copy()
    f["os"] = f["os_type"].map(
        lambda v: OS_TYPE_IMAGES.get(v.strip().lower()) if isinstance(v, str) else None
    )
    f["family"] = _families(f["vm_size"], family_by)
    f["region"] = f["location"].map(_region)
    f["tl"] = f["security_type"] == "TrustedLaunch"
    everyone = pd.Series(True, index=f.index)
    f["skip"], notes = _check_notes(f, _SKIP_CHECKS, everyone)
    capable, _ = _apply_rules(f, CAPABILITY_RULES)
    open_ = capable.isna() & f["skip"].isna()
    policy = UNDETERMINED_POLICIES[undetermined]
    if policy is None and open_.any():
        first = f[open_].iloc[0]
        raise DataError(
            f"Trusted Launch capability is undetermined for {int(open_.sum())} VM(s), first "
            f"{first['name']!r} ({first['undetermined'] or 'no verdict'}); pass undetermined="
            "'not-capable' or 'capable'",
            record=first["record"],
            field="compatible",
        )
    why = f["undetermined"].map(lambda v: v or "no compatibility verdict")
    notes += _notes(f, open_, "capability-undetermined", why + f" -> counted {undetermined}")
    f["capable"] = capable.where(capable.notna(), bool(policy))
    generation, by = _apply_rules(f, GENERATION_RULES)
    lost = generation.isna() & f["skip"].isna()
    notes += _notes(f, lost, "generation-unknown", "no recorded generation and no SKU guess")
    f.loc[lost, "skip"] = "generation-unknown"
    placed = f["skip"].isna()
    was = f["generation"].map(lambda g: f"recorded {g}" if g else "not recorded")
    for rule in GENERATION_RULES:
        if rule.assumption:
            notes += _notes(f, placed & (by == rule.code), rule.code, was + " -> " + generation.fillna(""))
    f["generation"] = generation
    notes += _check_notes(f, _MODEL_CHECKS, placed)[1]
    return f, notes


def _adoption(placed: pd.DataFrame) -> dict[str, float]:
    """Trusted Launch share among capable VMs; Secure Boot and vTPM shares among Trusted Launch VMs."""
    capable = int((placed["capable"] == True).sum())  # noqa: E712
    tl = placed[placed["tl"]]
    shares = {"trusted_launch_adoption": len(tl) / capable if capable else 0.0}
    if len(tl):
        for flag in ("secure_boot", "vtpm"):
            shares[f"{flag}_adoption"] = int((tl[flag] == True).sum()) / len(tl)  # noqa: E712
    return shares


def _composition(placed: pd.DataFrame) -> pd.DataFrame:
    keys = list(COMPOSITION_COLUMNS[:-1])
    grouped = placed.assign(capable=placed["capable"].astype(bool)).groupby(keys, sort=True).size()
    comp = grouped.rename("weight").reset_index()
    return comp.astype({"os": "str", "family": "str", "region": "str", "generation": "str",
                        "capable": "bool", "weight": "int64"})  # fmt: skip


def _check_overrides(overrides: Mapping[str, Any]) -> None:
    known = {f.name for f in dataclasses.fields(FleetSpec)}
    for name in overrides:
        if name in _DERIVED:
            raise DataError(
                f"{name} comes from the inventory and cannot be overridden (build a FleetSpec directly "
                "for a hand-made composition)",
                field=name,
            )
        if name not in known:
            raise DataError(f"unknown fleet spec field {name!r}", field=name)


def _option(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise DataError(f"{name} must be one of {allowed}, not {value!r}", field=name)


def fleet_spec_from_inventory(
    inventory: object,
    *,
    vms: int | None = None,
    undetermined: str = "not-capable",
    family_by: str = "series",
    as_of: AsOf = None,
    **overrides: Any,
) -> InventoryClone:
    """Clone an inventory's composition and current adoption into a :class:`FleetSpec`.

    The rules are in the module docstring (OS type → simulator image, size family, region,
    :data:`CAPABILITY_RULES`, :data:`GENERATION_RULES`, adoption shares).

    Args:
        inventory: a :class:`tlkit.support.InventoryResult`, its tidy frame, or anything
            :func:`tlkit.support.load_inventory` reads (a path, JSON/CSV text or bytes, parsed JSON,
            a frame of Resource Graph rows).
        vms: the fleet size (default: the VMs placed in the composition); scale it up keeping the
            composition, e.g. ``vms=100_000``.
        undetermined: a key of :data:`UNDETERMINED_POLICIES` (what an undetermined compatibility
            verdict counts as; the VMs are listed in ``assumed`` either way).
        family_by: one of :data:`FAMILY_LEVELS`.
        as_of: support-matrix snapshot for reading an export here (not with an already read one).
        **overrides: any other :class:`FleetSpec` field (adoption, rates, days, seed...): wins over
            the derived value.

    Returns:
        An :class:`InventoryClone`: ``.spec``, ``.composition``, ``.skipped``, ``.assumed``.

    Raises:
        DataError: an unusable source or frame (naming the column and record), an override of an
            unknown or inventory-defined field or a bad value (``field`` names it), no VM that can
            be placed, or an undetermined verdict with ``undetermined="error"`` (naming the record).
    """
    _option("undetermined", undetermined, tuple(UNDETERMINED_POLICIES))
    _option("family_by", family_by, FAMILY_LEVELS)
    _check_overrides(overrides)
    src = _read(inventory, as_of)
    frame, notes = _resolve(src.frame, family_by, undetermined)
    placed = frame[frame["skip"].isna()]
    if placed.empty:
        raise DataError(
            f"{src.source}: no VM of the inventory can be placed in a composition "
            f"({len(src.unreadable)} unreadable, {len(frame)} skipped: "
            f"{', '.join(sorted(set(frame['skip'].dropna()))) or 'no rows'})",
            record=src.source,
        )
    comp = _composition(placed)
    fields: dict[str, Any] = {
        "vms": int(comp["weight"].sum()) if vms is None else vms,
        "composition": tuple({**r, "weight": float(r["weight"])} for r in comp.to_dict("records")),
        **{mix: _marginal(comp, column) for mix, column in _MIX_OF.items()},
        **_adoption(placed),
        **overrides,
    }
    spec = FleetSpec(**fields)
    order = {c: i for i, c in enumerate(NOTE_CODES)}
    ordered = sorted(notes, key=lambda n: (order[n.code], n.record))
    skipped = tuple(src.unreadable) + tuple(n for n in ordered if not n.placed)
    return InventoryClone(
        spec=spec,
        composition=comp,
        skipped=tuple(sorted(skipped, key=lambda n: n.record)),
        assumed=tuple(n for n in ordered if n.placed),
        source=src.source,
        source_format=src.source_format,
        snapshot=src.snapshot,
        records_in=src.records_in,
    )


def _marginal(comp: pd.DataFrame, column: str) -> dict[str, float]:
    sums = comp.groupby(column, sort=True)["weight"].sum()
    return {str(k): float(v) for k, v in sums.items()}
