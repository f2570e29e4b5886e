"""What Defender for Cloud looks at: a VM's configuration and its attestation history (private).

What it does: :class:`VmConfig` (one VM's Trusted Launch configuration, validated), built by hand,
from a dict, or from a :func:`tlkit.support.load_inventory` row; :class:`AttestationRecord` (one
attestation outcome as plain data: VM, time, passed, reason codes, validated against
``data/defender/reason_codes.csv``); :class:`Fleet` and :func:`load_fleet` for the JSON shape of
``data/samples/defender-demo.json`` (:func:`demo_fleet`).

What it does not do: verify evidence. An attestation record is what a verifier (``tlkit.attest`` or
Azure's) reported; this package does not import ``tlkit.attest``, and trusts the record's codes as given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

from tlkit._data import data_root
from tlkit.defender._data import parse_reason
from tlkit.errors import DataError

__all__ = [
    "DEMO_FLEET_FILE",
    "OS_TYPES",
    "SECURITY_TYPES",
    "AttestationRecord",
    "Fleet",
    "VmConfig",
    "demo_fleet",
    "load_fleet",
]

OS_TYPES: Final = ("Windows", "Linux")
SECURITY_TYPES: Final = ("TrustedLaunch", "Standard", "ConfidentialVM")
DEMO_FLEET_FILE: Final = "defender-demo.json"
"""The sample fleet, in ``data/samples/`` (see ``data/samples/README.md``)."""

_VM_FLAGS: Final = ("trusted_launch_capable", "secure_boot", "vtpm", "scale_set", "guest_attestation")


def _need(value: object, kind: type, record: object, name: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise DataError(
            f"{name} must be {kind.__name__}, not {type(value).__name__}", record=record, field=name
        )
    return value


@dataclass(frozen=True)
class VmConfig:
    """A VM's configuration as Defender for Cloud assesses it.

    Attributes:
        vm: the VM's identifier in findings (name or resource id; unique in a fleet).
        os_type: ``"Windows"`` or ``"Linux"``.
        trusted_launch_capable: the VM's size, image and generation support Trusted Launch (what
            :func:`tlkit.support.check_vm` decides; see :meth:`from_inventory_row`).
        security_type: ``"TrustedLaunch"``, ``"Standard"`` or ``"ConfidentialVM"``.
        secure_boot, vtpm: the ``uefiSettings`` flags (always False for ``Standard``).
        scale_set: a virtual machine scale set (the extension recommendation has its own name).
        guest_attestation: the Guest Attestation extension is installed.
        secure_boot_off_by_design: Secure Boot is disabled on purpose (e.g. a GPU VM whose GRID driver
            needs it off): the documented case for suppressing the attestation-failure alert.
        note: free text shown with the VM (why Secure Boot is off, the workload, ...).

    Raises:
        DataError: a value of the wrong type or outside its set, Secure Boot or vTPM on a Standard VM,
            or ``secure_boot_off_by_design`` with Secure Boot on.
    """

    vm: str
    os_type: str
    trusted_launch_capable: bool
    security_type: str = "TrustedLaunch"
    secure_boot: bool = True
    vtpm: bool = True
    scale_set: bool = False
    guest_attestation: bool = False
    secure_boot_off_by_design: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        _need(self.vm, str, self.vm, "vm")
        if not self.vm.strip():
            raise DataError("vm must not be empty", record=self.vm, field="vm")
        for name, allowed in (("os_type", OS_TYPES), ("security_type", SECURITY_TYPES)):
            if getattr(self, name) not in allowed:
                raise DataError(
                    f"{name} must be one of {allowed}, not {getattr(self, name)!r}",
                    record=self.vm,
                    field=name,
                )
        for name in (*_VM_FLAGS, "secure_boot_off_by_design"):
            _need(getattr(self, name), bool, self.vm, name)
        _need(self.note, str, self.vm, "note")
        if self.security_type == "Standard" and (self.secure_boot or self.vtpm):
            raise DataError(
                "a Standard VM has neither Secure Boot nor a vTPM", record=self.vm, field="security_type"
            )
        if self.secure_boot_off_by_design and self.secure_boot:
            raise DataError(
                "Secure Boot is on, so it is not off by design",
                record=self.vm,
                field="secure_boot_off_by_design",
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VmConfig:
        """A VM from a JSON object with the attribute names as keys (unknown keys are an error)."""
        record = data.get("vm") if isinstance(data, Mapping) else None
        if not isinstance(data, Mapping):
            raise DataError(f"a VM must be an object, not {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise DataError(f"unknown VM fields {unknown}", record=record, field=unknown[0])
        missing = [k for k in ("vm", "os_type", "trusted_launch_capable") if k not in data]
        if missing:
            raise DataError(f"missing VM fields {missing}", record=record, field=missing[0])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_inventory_row(
        cls,
        row: Mapping[str, Any],
        *,
        capable: bool | None = None,
        scale_set: bool = False,
        guest_attestation: bool = False,
        secure_boot_off_by_design: bool = False,
        note: str = "",
    ) -> VmConfig:
        """A VM from one row of ``tlkit.support.load_inventory(...).frame`` (a dict or a Series).

        ``trusted_launch_capable`` is ``capable`` when given; otherwise True for a Trusted Launch VM,
        else the row's ``compatible`` (the support-matrix verdict of :func:`tlkit.support.check_vm`
        on its size, image and generation). The inventory does not know the extension or scale-set
        membership: pass ``guest_attestation`` and ``scale_set``.

        Raises:
            DataError: no name, an unknown OS type, or an undetermined ``compatible`` without
                ``capable`` (the record index and VM name say which row).
        """
        record = f"inventory record {_plain(row.get('record'))} ({_plain(row.get('name'))})"
        name = _plain(row.get("name"))
        if not isinstance(name, str) or not name:
            raise DataError("the inventory row has no VM name", record=record, field="name")
        security_type = _plain(row.get("security_type")) or "Standard"
        if capable is None:
            compatible = _plain(row.get("compatible"))
            if security_type == "TrustedLaunch":
                capable = True
            elif isinstance(compatible, bool):
                capable = compatible
            else:
                why = _plain(row.get("undetermined")) or "no compatibility verdict"
                raise DataError(
                    f"Trusted Launch capability is undetermined ({why}); pass capable=True or False",
                    record=record,
                    field="compatible",
                )
        try:
            return cls(
                vm=name,
                os_type=_plain(row.get("os_type")),
                trusted_launch_capable=capable,
                security_type=security_type,
                secure_boot=_plain(row.get("secure_boot")) is True,
                vtpm=_plain(row.get("vtpm")) is True,
                scale_set=scale_set,
                guest_attestation=guest_attestation,
                secure_boot_off_by_design=secure_boot_off_by_design,
                note=note,
            )
        except DataError as e:
            raise DataError(e.message, record=record, field=e.field) from e


def _plain(value: Any) -> Any:
    """A pandas cell as plain Python: NA/NaN/None → None, numpy bools → bool."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ == "NAType":
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _parse_time(value: object, record: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as e:
            raise DataError(f"time {value!r} is not ISO 8601", record=record, field="time") from e
    if not isinstance(value, datetime):
        raise DataError(
            f"time must be a datetime or ISO 8601 text, not {type(value).__name__}",
            record=record,
            field="time",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise DataError(
            f"time {value.isoformat()} has no time zone (give UTC, e.g. '...Z')", record=record, field="time"
        )
    return value.astimezone(UTC)


@dataclass(frozen=True)
class AttestationRecord:
    """One attestation outcome for a VM, as plain data (e.g. a ``tlkit.attest`` result's fields).

    Attributes:
        vm: the :attr:`VmConfig.vm` it belongs to.
        time: when it ran (timezone-aware; ISO 8601 text is accepted and kept as UTC).
        passed: the verifier's verdict.
        reasons: the verifier's reason codes (``code`` or ``code:detail``; the codes are listed in
            ``data/defender/reason_codes.csv``).

    Raises:
        DataError: wrong types, a naive time, an unknown or malformed reason code, a failed record with
            no reason, or a passed record with a reason that fails attestation; the message names the
            record (``vm@time``).
    """

    vm: str
    time: datetime
    passed: bool
    reasons: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _need(self.vm, str, None, "vm")
        object.__setattr__(self, "time", _parse_time(self.time, self.vm))
        label = self.label
        _need(self.passed, bool, label, "passed")
        reasons: Any = self.reasons
        if isinstance(reasons, list):
            object.__setattr__(self, "reasons", tuple(reasons))
        _need(self.reasons, tuple, label, "reasons")
        codes = [parse_reason(r, record=label)[0] for r in self.reasons]
        fails = [c.code for c in codes if c.alert == "attestation-failed"]
        if self.passed and fails:
            raise DataError(
                f"a passed attestation cannot carry failure reasons {fails}", record=label, field="passed"
            )
        if not self.passed and not self.reasons:
            raise DataError(
                "a failed attestation must name at least one reason", record=label, field="reasons"
            )

    @property
    def label(self) -> str:
        """``vm@time`` (ISO 8601, UTC): how errors and tables name the record."""
        return f"{self.vm}@{self.time.isoformat().replace('+00:00', 'Z')}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, index: int | None = None) -> AttestationRecord:
        """A record from a JSON object (``vm``, ``time``, ``passed``, ``reasons``)."""
        where = f"attestation record {index}" if index is not None else "attestation record"
        if not isinstance(data, Mapping):
            raise DataError(f"{where} must be an object, not {type(data).__name__}", record=index)
        unknown = sorted(set(data) - {"vm", "time", "passed", "reasons"})
        missing = [k for k in ("vm", "time", "passed") if k not in data]
        if unknown or missing:
            raise DataError(f"{where}: unknown fields {unknown}, missing fields {missing}", record=index)
        try:
            reasons = data.get("reasons", [])
            return cls(
                data["vm"],
                data["time"],
                data["passed"],
                tuple(reasons) if isinstance(reasons, list) else reasons,
            )
        except DataError as e:
            raise DataError(
                f"{where}: {e.message}", record=e.record if e.record is not None else index, field=e.field
            ) from e

    def to_dict(self) -> dict[str, Any]:
        return {
            "vm": self.vm,
            "time": self.label.split("@", 1)[1],
            "passed": self.passed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class Fleet:
    """VM configurations and their attestation history (what :func:`tlkit.defender.assess` takes)."""

    vms: tuple[VmConfig, ...]
    history: tuple[AttestationRecord, ...]
    description: str = ""

    def vm(self, name: str) -> VmConfig:
        """The VM called ``name``."""
        for vm in self.vms:
            if vm.vm == name:
                return vm
        raise DataError("no such VM in the fleet", record=name, field="vm")


def _fleet_from(data: object, label: str) -> Fleet:
    if not isinstance(data, Mapping) or not isinstance(data.get("vms"), list):
        raise DataError(f"{label}: expected an object with a 'vms' list (and 'history')")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise DataError(f"{label}: 'history' must be a list")
    vms = tuple(VmConfig.from_dict(v) for v in data["vms"])
    records = tuple(AttestationRecord.from_dict(r, index=n) for n, r in enumerate(history))
    description = data.get("description", "")
    return Fleet(vms, records, description if isinstance(description, str) else "")


def load_fleet(source: str | Path | Mapping[str, Any] | Sequence[Any]) -> Fleet:
    """A fleet from a JSON file (or its parsed object): ``{"vms": [...], "history": [...]}``.

    Raises:
        DataError: unreadable or malformed JSON, or any VM or record that does not validate (the
            message names it).
    """
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise DataError(f"{path}: cannot read a fleet: {e}") from e
        return _fleet_from(data, str(path))
    return _fleet_from(source, "fleet")


def demo_fleet() -> Fleet:
    """The sample fleet of ``data/samples/defender-demo.json`` (synthetic; see ``data/samples/README.md``)."""
    text = data_root().joinpath("samples").joinpath(DEMO_FLEET_FILE).read_text(encoding="utf-8")
    return _fleet_from(json.loads(text), DEMO_FLEET_FILE)
