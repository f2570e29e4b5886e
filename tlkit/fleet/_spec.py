"""The description of a synthetic fleet: :class:`FleetSpec` (private).

What it does: one frozen, validated dataclass saying how many VMs, their OS-image and size-family
mixes, how many adopt Secure Boot, a vTPM and the Guest Attestation extension, the daily per-VM
probabilities of kernel updates, firmware updates, unsigned (GPU/DKMS) driver installs and bootkit
infections, the baseline-update policy, the horizon, the attestation period and the seed. It round
trips through JSON and YAML (PyYAML is optional: imported only when asked for). Bad values raise
:class:`tlkit.errors.DataError` with ``field`` naming the field.

What it does not do: simulate (:mod:`tlkit.fleet._exact`), import an inventory, or model regions,
generations, rollout waves, vTPM man-in-the-middle or extension outages (later work of issue 10).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from tlkit.errors import DataError, MissingComponentError

__all__ = ["BASELINE_POLICIES", "OS_IMAGES", "FleetSpec"]

#: The OS images the simulator boots, and the :mod:`tlkit.boot` scenario of each one's healthy boot.
OS_IMAGES: Final[Mapping[str, str]] = MappingProxyType(
    {"ubuntu": "healthy-ubuntu-sb", "windows": "healthy-windows-vbs"}
)

#: ``immediate``: a legitimate update is added to the VM's baseline on the day it happens;
#: ``lagged``: ``baseline_lag_days`` later; ``never``: the baseline stays the first healthy boot.
BASELINE_POLICIES: Final = ("immediate", "lagged", "never")

_RATES: Final = ("kernel_update_rate", "firmware_update_rate", "driver_install_rate", "infection_rate")
_ADOPTIONS: Final = ("secure_boot_adoption", "vtpm_adoption", "extension_adoption")
_COUNTS: Final = {"vms": 1, "days": 1, "attest_every_hours": 1, "baseline_lag_days": 0, "seed": 0}


def _frozen(mix: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(mix))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(name: str, value: object, low: float, high: float) -> None:
    if not (_is_int(value) or isinstance(value, float)):
        raise DataError(f"{name} must be a number, not {type(value).__name__}", field=name)
    number = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(number) and low <= number <= high):
        raise DataError(f"{name} must be between {low} and {high}, not {value!r}", field=name)


def _count(name: str, value: object, low: int) -> None:
    if not _is_int(value):
        raise DataError(f"{name} must be an integer, not {type(value).__name__}", field=name)
    if value < low:  # type: ignore[operator]
        raise DataError(f"{name} must be at least {low}, not {value!r}", field=name)


def _mix(name: str, value: object, allowed: Mapping[str, str] | None) -> None:
    if not isinstance(value, Mapping) or not value:
        raise DataError(f"{name} must be a non-empty mapping of name to weight", field=name)
    for key, weight in value.items():
        if not isinstance(key, str) or not key:
            raise DataError(f"{name} keys must be non-empty strings, not {key!r}", field=name)
        if allowed is not None and key not in allowed:
            raise DataError(f"{name}: unknown OS image {key!r}; known: {', '.join(allowed)}", field=name)
        _number(name, weight, 0.0, math.inf)
    if not sum(float(w) for w in value.values()) > 0:
        raise DataError(f"{name} weights must sum to more than 0", field=name)


@dataclass(frozen=True)
class FleetSpec:
    """A synthetic fleet: composition, adoption, event rates, baseline policy, horizon and seed.

    Attributes:
        vms: fleet size (≥ 1).
        os_mix: OS image → weight (keys of :data:`OS_IMAGES`; weights ≥ 0, summing to more than 0).
        family_mix: size family → weight (free names, e.g. ``"Dsv5"``).
        secure_boot_adoption, vtpm_adoption, extension_adoption: the share of VMs with Secure Boot on,
            a vTPM, and the Guest Attestation extension (each in [0, 1], drawn independently).
        kernel_update_rate, firmware_update_rate, driver_install_rate, infection_rate: the probability,
            per VM and day, of a kernel update, a firmware update, an unsigned GPU/DKMS driver install
            and a bootkit infection (each in [0, 1]; each event reboots the VM).
        baseline_policy: one of :data:`BASELINE_POLICIES`.
        baseline_lag_days: days between an update and its baseline update (``lagged`` only; 0 otherwise).
        days: the horizon in days (≥ 1).
        attest_every_hours: the period of attestation rounds (≥ 1), besides one after every boot.
        seed: every random draw derives from it (≥ 0).

    Raises:
        DataError: a value of the wrong type or out of range; ``field`` names it.
    """

    vms: int = 100
    os_mix: Mapping[str, float] = field(default_factory=lambda: _frozen({"ubuntu": 1.0}))
    family_mix: Mapping[str, float] = field(default_factory=lambda: _frozen({"Dsv5": 1.0}))
    secure_boot_adoption: float = 1.0
    vtpm_adoption: float = 1.0
    extension_adoption: float = 1.0
    kernel_update_rate: float = 0.0
    firmware_update_rate: float = 0.0
    driver_install_rate: float = 0.0
    infection_rate: float = 0.0
    baseline_policy: str = "immediate"
    baseline_lag_days: int = 0
    days: int = 30
    attest_every_hours: int = 24
    seed: int = 0

    def __post_init__(self) -> None:
        for name, low in _COUNTS.items():
            _count(name, getattr(self, name), low)
        _mix("os_mix", self.os_mix, OS_IMAGES)
        _mix("family_mix", self.family_mix, None)
        object.__setattr__(self, "os_mix", _frozen(self.os_mix))
        object.__setattr__(self, "family_mix", _frozen(self.family_mix))
        for name in (*_ADOPTIONS, *_RATES):
            _number(name, getattr(self, name), 0.0, 1.0)
        if self.baseline_policy not in BASELINE_POLICIES:
            raise DataError(
                f"baseline_policy must be one of {BASELINE_POLICIES}, not {self.baseline_policy!r}",
                field="baseline_policy",
            )
        if self.baseline_policy != "lagged" and self.baseline_lag_days != 0:
            raise DataError(
                f"baseline_lag_days is only meaningful with baseline_policy 'lagged', "
                f"not {self.baseline_policy!r}",
                field="baseline_lag_days",
            )

    def __hash__(self) -> int:  # the mixes are read-only mappings: hash the plain data
        return hash(self.to_json())

    # --- plain data ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-able plain data (mixes as dicts)."""
        return {
            f.name: dict(v) if isinstance(v := getattr(self, f.name), Mapping) else v
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: object) -> FleetSpec:
        """A spec from plain data; missing fields take their defaults, unknown fields are an error.

        Raises:
            DataError: not a mapping, an unknown field, or a bad value (``field`` names it).
        """
        if not isinstance(data, Mapping):
            raise DataError(f"a fleet spec must be a mapping, not {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        for key in data:
            if key not in known:
                raise DataError(f"unknown fleet spec field {key!r}", field=str(key))
        return cls(**{str(k): v for k, v in data.items()})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> FleetSpec:
        """A spec from JSON text.

        Raises:
            DataError: text that is not JSON, or a bad spec.
        """
        try:
            data = json.loads(text)
        except (ValueError, TypeError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise DataError(f"a fleet spec is not valid JSON: {e}") from e
        return cls.from_dict(data)

    def to_yaml(self) -> str:
        """The spec as YAML (needs PyYAML)."""
        return str(_yaml().safe_dump(self.to_dict(), sort_keys=True))

    @classmethod
    def from_yaml(cls, text: str | bytes) -> FleetSpec:
        """A spec from YAML text (needs PyYAML).

        Raises:
            MissingComponentError: PyYAML is not installed.
            DataError: text that is not YAML, or a bad spec.
        """
        yaml = _yaml()
        try:
            data = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as e:
            raise DataError(f"a fleet spec is not valid YAML: {e}") from e
        return cls.from_dict(data)


def _yaml() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise MissingComponentError("pyyaml", "pip install pyyaml (YAML fleet specs need it)") from None
