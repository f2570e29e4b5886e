"""The description of a synthetic fleet: :class:`FleetSpec` (private).

What it does: one frozen, validated dataclass saying how many VMs, their composition (independent
OS-image, size-family, region and generation mixes, or one joint ``composition`` table), how many
capable VMs are deployed as Trusted Launch and how many of those adopt Secure Boot, a vTPM and the
Guest Attestation extension, the kernel release cadence and its rollout waves, the daily per-VM
probabilities of firmware and dbx updates, unsigned (GPU/DKMS) driver installs (and of Secure Boot
being turned off for one), bootkit infections, vTPM man-in-the-middle days and extension outages,
the baseline-update policy, the horizon, the attestation period and the seed. It round trips through
JSON and YAML (PyYAML is optional: imported only when asked for). Bad values raise
:class:`tlkit.errors.DataError` with ``field`` naming the field.

What it does not do: simulate (:mod:`tlkit.fleet._process` and the two modes) or import an
inventory (``FleetSpec.from_inventory`` lives in :mod:`tlkit.fleet._inventory`).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from tlkit.errors import DataError, MissingComponentError

if TYPE_CHECKING:
    from tlkit.fleet._inventory import InventoryClone

__all__ = ["BASELINE_POLICIES", "COMPOSITION_KEYS", "GENERATIONS", "OS_IMAGES", "FleetSpec"]

#: The OS images the simulator boots, and the :mod:`tlkit.boot` scenario of each one's healthy boot.
OS_IMAGES: Final[Mapping[str, str]] = MappingProxyType(
    {"ubuntu": "healthy-ubuntu-sb", "windows": "healthy-windows-vbs"}
)

#: ``immediate``: a legitimate update is added to the VM's baseline on the day it happens;
#: ``lagged``: ``baseline_lag_days`` later; ``never``: the baseline stays the first healthy boot.
BASELINE_POLICIES: Final = ("immediate", "lagged", "never")

#: Azure VM generations; Gen1 (``V1``, BIOS) VMs cannot run Trusted Launch.
GENERATIONS: Final = ("V1", "V2")

#: The keys of one row of :attr:`FleetSpec.composition`, and the type of each value.
COMPOSITION_KEYS: Final[Mapping[str, type]] = MappingProxyType(
    {"os": str, "family": str, "region": str, "generation": str, "capable": bool, "weight": float}
)

_RATES: Final = (
    "firmware_update_rate",
    "dbx_update_rate",
    "driver_install_rate",
    "secure_boot_off_for_driver",
    "infection_rate",
    "mitm_rate",
    "extension_outage_rate",
)
_ADOPTIONS: Final = ("trusted_launch_adoption", "secure_boot_adoption", "vtpm_adoption", "extension_adoption")
_COUNTS: Final = {
    "vms": 1, "days": 1, "attest_every_hours": 1, "baseline_lag_days": 0, "seed": 0,
    "kernel_release_every_days": 0, "rollout_waves": 1, "wave_spacing_days": 0, "extension_outage_days": 1,
}  # fmt: skip
#: Mix field → the names its keys must come from (None: free names).
_MIXES: Final[Mapping[str, tuple[str, ...] | None]] = {
    "os_mix": tuple(OS_IMAGES),
    "family_mix": None,
    "region_mix": None,
    "generation_mix": GENERATIONS,
}


def _frozen(mix: Mapping[str, Any]) -> Mapping[str, Any]:
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


def _name(name: str, value: object, allowed: tuple[str, ...] | None, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise DataError(f"{name} {what} must be non-empty strings, not {value!r}", field=name)
    if allowed is not None and value not in allowed:
        raise DataError(f"{name}: unknown {what} {value!r}; known: {', '.join(allowed)}", field=name)


def _mix(name: str, value: object, allowed: tuple[str, ...] | None) -> None:
    if not isinstance(value, Mapping) or not value:
        raise DataError(f"{name} must be a non-empty mapping of name to weight", field=name)
    for key, weight in value.items():
        _name(name, key, allowed, "key")
        _number(name, weight, 0.0, math.inf)
    if not sum(float(w) for w in value.values()) > 0:
        raise DataError(f"{name} weights must sum to more than 0", field=name)


def _composition_row(n: int, row: object) -> Mapping[str, Any]:
    name = "composition"
    if not isinstance(row, Mapping):
        raise DataError(f"{name}[{n}] must be a mapping, not {type(row).__name__}", field=name)
    if set(row) != set(COMPOSITION_KEYS):
        raise DataError(
            f"{name}[{n}] must have exactly the keys {sorted(COMPOSITION_KEYS)}, not {sorted(map(str, row))}",
            field=name,
        )
    _name(f"{name}[{n}].os", row["os"], tuple(OS_IMAGES), "OS image")
    _name(f"{name}[{n}].family", row["family"], None, "family")
    _name(f"{name}[{n}].region", row["region"], None, "region")
    _name(f"{name}[{n}].generation", row["generation"], GENERATIONS, "generation")
    if not isinstance(row["capable"], bool):
        raise DataError(f"{name}[{n}].capable must be true or false, not {row['capable']!r}", field=name)
    weight = row["weight"]
    _number(f"{name}[{n}].weight", weight, 0.0, math.inf)
    if not float(weight) > 0:
        raise DataError(f"{name}[{n}].weight must be more than 0, not {weight!r}", field=name)
    return _frozen(row)


def _composition(value: object) -> tuple[Mapping[str, Any], ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise DataError(
            f"composition must be a sequence of rows, not {type(value).__name__}", field="composition"
        )
    rows = []
    for n, row in enumerate(value):
        try:
            rows.append(_composition_row(n, row))
        except DataError as e:  # the message names the row's key; the spec field is "composition"
            raise DataError(e.message, record=n, field="composition") from None
    return tuple(rows)


@dataclass(frozen=True)
class FleetSpec:
    """A synthetic fleet: composition, adoption, event rates, baseline policy, horizon and seed.

    Attributes:
        vms: fleet size (≥ 1).
        os_mix: OS image → weight (keys of :data:`OS_IMAGES`; weights ≥ 0, summing to more than 0).
        family_mix: size family → weight (free names, e.g. ``"Dsv5"``).
        region_mix: Azure region → weight (free names).
        generation_mix: VM generation (:data:`GENERATIONS`) → weight; only ``V2`` VMs are capable of
            Trusted Launch.
        composition: when non-empty, a joint distribution that replaces the four mixes: rows with the
            keys of :data:`COMPOSITION_KEYS` (``capable``: the support matrix says this size, image
            and generation can run Trusted Launch; ``weight`` > 0).
        trusted_launch_adoption: the share of capable VMs deployed as Trusted Launch; the others are
            ``Standard`` (no Secure Boot, vTPM or extension: never attested, only recommendations).
        secure_boot_adoption, vtpm_adoption, extension_adoption: the share of Trusted Launch VMs with
            Secure Boot on, a vTPM, and the Guest Attestation extension (each in [0, 1], independent).
        kernel_release_every_days: a kernel release every that many days (0: none); release ``r`` is
            installed by rollout wave ``w`` on day ``r * kernel_release_every_days + w *
            wave_spacing_days`` (within the horizon).
        rollout_waves: how many waves (≥ 1); each VM is in one, uniformly.
        wave_spacing_days: days between two waves (≥ 0).
        firmware_update_rate, dbx_update_rate, driver_install_rate, infection_rate: the probability,
            per VM and day, of a Hyper-V firmware update, a dbx (Secure Boot forbidden-signature
            database) update, an unsigned GPU/DKMS driver install and a bootkit infection (each in
            [0, 1]; each reboots the VM).
        secure_boot_off_for_driver: the probability that, after a driver install on a VM with Secure
            Boot on, the operator turns Secure Boot off on purpose (from then on the VM's Secure
            Boot is off *by design*, which Defender's suppression rule honours).
        mitm_rate: the probability, per VM and day, that the day's attestations are answered by an
            attacker's vTPM (ground truth: compromised that day).
        extension_outage_rate, extension_outage_days: the probability, per VM and day, that the
            Guest Attestation extension stops responding, and for how many days (≥ 1): no evidence,
            not a compromise.
        baseline_policy: one of :data:`BASELINE_POLICIES` (for kernel, firmware and dbx updates).
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
    region_mix: Mapping[str, float] = field(default_factory=lambda: _frozen({"eastus": 1.0}))
    generation_mix: Mapping[str, float] = field(default_factory=lambda: _frozen({"V2": 1.0}))
    composition: tuple[Mapping[str, Any], ...] = ()
    trusted_launch_adoption: float = 1.0
    secure_boot_adoption: float = 1.0
    vtpm_adoption: float = 1.0
    extension_adoption: float = 1.0
    kernel_release_every_days: int = 0
    rollout_waves: int = 1
    wave_spacing_days: int = 1
    firmware_update_rate: float = 0.0
    dbx_update_rate: float = 0.0
    driver_install_rate: float = 0.0
    secure_boot_off_for_driver: float = 0.0
    infection_rate: float = 0.0
    mitm_rate: float = 0.0
    extension_outage_rate: float = 0.0
    extension_outage_days: int = 1
    baseline_policy: str = "immediate"
    baseline_lag_days: int = 0
    days: int = 30
    attest_every_hours: int = 24
    seed: int = 0

    def __post_init__(self) -> None:
        for name, low in _COUNTS.items():
            _count(name, getattr(self, name), low)
        for name, allowed in _MIXES.items():
            _mix(name, getattr(self, name), allowed)
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "composition", _composition(self.composition))
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

    @classmethod
    def from_inventory(cls, inventory: object, *, vms: int | None = None, **options: Any) -> InventoryClone:
        """Clone a real fleet's composition and adoption from an inventory (an ``az vm list`` /
        Resource Graph export, or :func:`tlkit.support.load_inventory`'s result): the spec and every
        VM that could not be placed or was assumed; see
        :func:`tlkit.fleet._inventory.fleet_spec_from_inventory`."""
        from tlkit.fleet._inventory import fleet_spec_from_inventory  # noqa: PLC0415 (import cycle)

        return fleet_spec_from_inventory(inventory, vms=vms, **options)

    def __reduce__(self) -> tuple[Any, tuple[str]]:  # read-only mappings do not pickle: the JSON does
        return (FleetSpec.from_json, (self.to_json(),))

    # --- plain data ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-able plain data (mixes as dicts, the composition as a list of dicts)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

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


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _yaml() -> Any:
    try:
        return importlib.import_module("yaml")
    except ImportError:
        raise MissingComponentError("pyyaml", "pip install pyyaml (YAML fleet specs need it)") from None
