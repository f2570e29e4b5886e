"""The random process both fleet modes share: draws and the per-VM-day state machine (private).

What it does: a fleet is cut into blocks of :data:`BLOCK` VMs (block ``b`` holds VMs
``[b * BLOCK, (b + 1) * BLOCK)``); each block draws from its own generator seeded with
``numpy.random.SeedSequence([spec.seed, b])`` (spawned into one stream for the inventory and one per
drawn event kind, so changing one rate leaves every other draw as it was). :class:`BlockProcess`
draws a block's inventory (composition, Trusted Launch, Secure Boot, vTPM, extension, rollout wave)
and its events, then :meth:`BlockProcess.days` walks the days, applying each day's events to the
VMs' state (vectorised numpy over the block) and yielding a :class:`Day`: the events, which VMs
booted, and for every attested VM its **outcome key** (OS image, boot scenario, baseline state,
evidence condition; :class:`KeySpace`), its Defender configuration class, its attestation rounds
that day and the ground truth. What a key's verdict is, is not decided here: the exact mode runs
the real pipeline per round, the fast mode looks the key up in the outcome table
(:mod:`tlkit.fleet._outcomes`). So a partition of whole blocks gives the same draws whoever runs it.

How a VM's state picks its boot scenario is :data:`SCENARIO_RULES` (named data, first match wins;
each rule lists candidate :mod:`tlkit.boot` scenarios per OS image, the first one the boot
simulator has is used, else the OS image's healthy boot: so the ``dbx-update`` and Windows update
scenarios switch on by themselves when :mod:`tlkit.boot` gains them).

Draws: events are drawn sparsely. For each kind, the successes of independent Bernoulli(rate) trials
over the block's VM-days (days 1..D-1, VM-major) are the partial sums of geometric gaps, so the cost
is proportional to the number of events, not of VM-days; the inventory is one row of uniforms per
VM. Both are sequential streams, so a VM's draws do not depend on how many VMs follow it.

Simplifications (stated, not hidden):

- Day 0 is the enrolment boot the baseline comes from; events happen at the start of their day
  (hour ``24 * day``), and every event but ``mitm`` and ``extension-outage`` reboots the VM; every
  round of a day sees that day's state.
- The boot simulator boots one change at a time: a boot shows the dominant state of
  :data:`SCENARIO_RULES` (a refused bootkit over Secure Boot off over a driver over the latest
  legitimate update). Kernel releases are one ``kernel-update`` boot, but each release is a new
  kernel the baseline has not accepted until the policy adds it.
- The baseline state is which of the VM's *current* legitimate updates (kernel, firmware, dbx; one
  bit each, :data:`UPDATE_KINDS`) the baseline has accepted; a new update of a kind clears its bit
  until the policy's lag has passed. Because a simulated boot carries one update, the verifier's
  baseline for a round holds the update that boot shows, when accepted
  (:meth:`tlkit.fleet._outcomes.Pipeline.baseline`).
- A VM is infected at most once, and an infection and a driver stay. Secure Boot is turned off for
  a driver only on VMs that had it on. A man-in-the-middle day is drawn only for attested VMs (it
  attacks the attestation channel), an extension outage only for VMs with the extension; a
  man-in-the-middle day during an outage is answered by the attacker.
- Standard (non-Trusted-Launch) VMs boot and get events but are never attested.

What it does not do: obtain verdicts, aggregate, or build DataFrames beyond the inventory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tlkit.fleet._spec import GENERATIONS, OS_IMAGES, FleetSpec

__all__ = [
    "BLOCK",
    "CONDITIONS",
    "CONFIG_CLASSES",
    "DRAWN_KINDS",
    "EVENT_KINDS",
    "INVENTORY_COLUMNS",
    "OS_NAMES",
    "SCENARIO_RULES",
    "UPDATE_KINDS",
    "BlockProcess",
    "Categories",
    "Day",
    "KeySpace",
    "ScenarioRule",
    "VmStates",
    "block_ranges",
    "key_space",
]

#: VMs per block: block ``b`` holds VMs ``[b * BLOCK, (b + 1) * BLOCK)`` and draws from
#: ``SeedSequence([seed, b])``.
BLOCK: Final = 65_536
#: The OS images, in key order.
OS_NAMES: Final = tuple(OS_IMAGES)
#: Legitimate updates; bit ``i`` of a baseline state says the VM's current ``UPDATE_KINDS[i]`` is
#: in its baseline. Each one reboots the VM and goes into the baseline per the policy.
UPDATE_KINDS: Final = ("kernel-update", "firmware-update", "dbx-update")
#: Evidence conditions of a round: the VM's own evidence, none (extension outage), an attacker's.
CONDITIONS: Final = ("ok", "outage", "mitm")
#: Defender configuration classes of an attested VM: (secure_boot, secure_boot_off_by_design).
CONFIG_CLASSES: Final = ((True, False), (False, False), (False, True))
#: Event kinds; ``boot`` is every boot (day 0 and every rebooting event's day).
EVENT_KINDS: Final = (
    "boot",
    "kernel-update",
    "firmware-update",
    "dbx-update",
    "driver-install",
    "secure-boot-off",
    "infection",
    "mitm",
    "extension-outage",
)
#: Kinds drawn at a per-VM-day rate, in stream order, with their rate field.
DRAWN_KINDS: Final[Mapping[str, str]] = {
    "firmware-update": "firmware_update_rate",
    "dbx-update": "dbx_update_rate",
    "driver-install": "driver_install_rate",
    "infection": "infection_rate",
    "mitm": "mitm_rate",
    "extension-outage": "extension_outage_rate",
}
_REBOOTS: Final = frozenset(
    {"kernel-update", "firmware-update", "dbx-update", "driver-install", "secure-boot-off", "infection"}
)
_Ints = NDArray[np.integer[Any]] | int
_NEVER: Final = np.iinfo(np.int32).max
_INVENTORY_DRAWS: Final = (
    9  # uniforms per VM: composition/os, family, region, generation, TL, SB, vTPM, ext, wave
)

INVENTORY_COLUMNS: Final = {
    "vm": "str", "os": "category", "family": "category", "region": "category", "generation": "category",
    "trusted_launch": "bool", "secure_boot": "bool", "vtpm": "bool", "extension": "bool", "wave": "int64",
}  # fmt: skip
"""The inventory: one row per VM (``secure_boot`` at the start; categoricals for the names)."""


# ------------------------------------------------------------------------------------ state → scenario
@dataclass
class VmStates:
    """The state a boot depends on, one entry per VM of a block (or a subset of one).

    Attributes:
        os: index into :data:`OS_NAMES`.
        secure_boot: Secure Boot is on now.
        infected: a bootkit was installed (ground truth: compromised).
        driver: an unsigned (GPU/DKMS) driver was installed.
        update: the latest legitimate update: 0 none, else ``1 + UPDATE_KINDS.index(kind)``.
    """

    os: NDArray[np.int8]
    secure_boot: NDArray[np.bool_]
    infected: NDArray[np.bool_]
    driver: NDArray[np.bool_]
    update: NDArray[np.int8]

    def take(self, index: NDArray[np.intp]) -> VmStates:
        return VmStates(
            self.os[index],
            self.secure_boot[index],
            self.infected[index],
            self.driver[index],
            self.update[index],
        )


@dataclass(frozen=True)
class ScenarioRule:
    """One row of :data:`SCENARIO_RULES`: when it applies (vectorised), and the candidate boot
    scenarios per OS image (the first one :mod:`tlkit.boot` has, whose healthy baseline is that OS
    image's unless ``any_os``; else the OS image's healthy boot)."""

    name: str
    when: Callable[[VmStates], NDArray[np.bool_]]
    candidates: Mapping[str, tuple[str, ...]]
    note: str
    any_os: bool = False


def _bootkit_refused(s: VmStates) -> NDArray[np.bool_]:
    """A bootkit under Secure Boot: shim refuses the patched GRUB (the ``bootkit`` scenario)."""
    return s.infected & s.secure_boot


def _secure_boot_off(s: VmStates) -> NDArray[np.bool_]:
    return ~s.secure_boot


def _driver_installed(s: VmStates) -> NDArray[np.bool_]:
    return s.driver


def _updated(kind: str) -> Callable[[VmStates], NDArray[np.bool_]]:
    code = 1 + UPDATE_KINDS.index(kind)

    def when(s: VmStates) -> NDArray[np.bool_]:
        return np.equal(s.update, code)

    when.__name__ = f"_{kind.replace('-', '_')}d"
    return when


def _always(s: VmStates) -> NDArray[np.bool_]:
    return np.ones(len(s.os), dtype=bool)


SCENARIO_RULES: Final[tuple[ScenarioRule, ...]] = (
    ScenarioRule(
        "bootkit-refused", _bootkit_refused, {"ubuntu": ("bootkit",), "windows": ("bootkit",)},
        "Secure Boot refuses the patched bootloader: the VM does not boot, no quote (on any OS: a VM "
        "that does not boot measures no OS)", any_os=True,
    ),
    ScenarioRule(
        "secure-boot-off", _secure_boot_off, {"ubuntu": ("secure-boot-off",), "windows": ("test-signing",)},
        "Secure Boot off (with or without a bootkit: the simulator has no infected Secure-Boot-off boot)",
    ),
    ScenarioRule(
        "driver-install", _driver_installed,
        {"ubuntu": ("unsigned-kernel-module",), "windows": ("hvci-blocks-driver",)},
        "an unsigned GPU/DKMS driver, refused at load and recorded",
    ),
    ScenarioRule(
        "kernel-update", _updated("kernel-update"),
        {"ubuntu": ("kernel-update",), "windows": ("windows-update",)},
        "a vendor-signed kernel (Ubuntu) or cumulative (Windows) update",
    ),
    ScenarioRule(
        "firmware-update", _updated("firmware-update"),
        {"ubuntu": ("firmware-update",), "windows": ("windows-firmware-update", "firmware-update")},
        "a Hyper-V firmware update",
    ),
    ScenarioRule(
        "dbx-update", _updated("dbx-update"),
        {"ubuntu": ("dbx-update",), "windows": ("windows-dbx-update", "dbx-update")},
        "a dbx (forbidden signatures) update: PCR 7 moves",
    ),
    ScenarioRule(
        "healthy", _always, {os: (image,) for os, image in OS_IMAGES.items()}, "the image's healthy boot"
    ),
)  # fmt: skip
"""How a VM's state picks its boot scenario: the first rule whose ``when`` holds."""


def _resolve(rule: ScenarioRule, os: str, registry: Mapping[str, str]) -> str:
    """The rule's scenario on ``os``: the first candidate the simulator has (for this OS image)."""
    for name in rule.candidates[os]:
        if name in registry and (rule.any_os or registry[name] == OS_IMAGES[os]):
            return name
    return OS_IMAGES[os]


@dataclass(frozen=True, eq=False)
class KeySpace:
    """The outcome keys: ``((os * len(scenarios) + scenario) * 8 + baseline bits) * 3 + condition``.

    Attributes:
        scenarios: every boot scenario a rule resolves to, in first-use order.
        rule_scenario: ``[rule, os]`` → index into ``scenarios``.
        update_scenario: ``[os, update kind]`` → the scenario a legitimate update boots (its log is
            what the baseline accepts).
    """

    scenarios: tuple[str, ...]
    rule_scenario: NDArray[np.int16] = field(repr=False)
    update_scenario: NDArray[np.int16] = field(repr=False)

    @property
    def size(self) -> int:
        return len(OS_NAMES) * len(self.scenarios) * (1 << len(UPDATE_KINDS)) * len(CONDITIONS)

    def encode(self, os: _Ints, scenario: _Ints, bits: _Ints, condition: _Ints) -> NDArray[np.int64]:
        base = (np.asarray(os, np.int64) * len(self.scenarios) + scenario) * (1 << len(UPDATE_KINDS))
        return np.asarray((base + bits) * len(CONDITIONS) + condition, dtype=np.int64)

    def decode(self, key: int) -> tuple[str, str, int, str]:
        """``(os, scenario, baseline bits, condition)`` of one key."""
        rest, condition = divmod(int(key), len(CONDITIONS))
        rest, bits = divmod(rest, 1 << len(UPDATE_KINDS))
        os, scenario = divmod(rest, len(self.scenarios))
        return OS_NAMES[os], self.scenarios[scenario], bits, CONDITIONS[condition]


def key_space() -> KeySpace:
    """The key space for the scenarios :mod:`tlkit.boot` has now (memoised on its registry)."""
    from tlkit.boot import SCENARIOS  # noqa: PLC0415

    return _key_space(tuple((s.name, s.baseline) for s in SCENARIOS))


@functools.lru_cache(maxsize=4)
def _key_space(registry_items: tuple[tuple[str, str], ...]) -> KeySpace:
    registry = dict(registry_items)
    names: dict[str, int] = {}
    table = np.zeros((len(SCENARIO_RULES), len(OS_NAMES)), np.int16)
    for r, rule in enumerate(SCENARIO_RULES):
        for o, os in enumerate(OS_NAMES):
            table[r, o] = names.setdefault(_resolve(rule, os, registry), len(names))
    rule_index = {rule.name: r for r, rule in enumerate(SCENARIO_RULES)}
    updates = np.array(
        [[table[rule_index[k], o] for k in UPDATE_KINDS] for o in range(len(OS_NAMES))], np.int16
    )
    return KeySpace(tuple(names), table, updates)


def rule_of(states: VmStates) -> NDArray[np.intp]:
    """Per VM, the index of the first rule of :data:`SCENARIO_RULES` that holds."""
    out = np.full(len(states.os), len(SCENARIO_RULES) - 1, dtype=np.intp)
    for r in range(len(SCENARIO_RULES) - 2, -1, -1):  # last match written first: the first rule wins
        out[SCENARIO_RULES[r].when(states)] = r
    return out


# ------------------------------------------------------------------------------------ inventory
@dataclass(frozen=True)
class Categories:
    """The names of the fleet's OS images, families, regions and generations (categorical codes), and
    the composition rows drawn from (each: os, family, region, generation codes, capable, weight)."""

    os: tuple[str, ...]
    family: tuple[str, ...]
    region: tuple[str, ...]
    generation: tuple[str, ...]
    rows: NDArray[np.int64] = field(repr=False)  # (row, [os, family, region, generation, capable])
    weights: NDArray[np.float64] = field(repr=False)

    @classmethod
    def of(cls, spec: FleetSpec) -> Categories:
        return _categories(spec)


@functools.lru_cache(maxsize=16)
def _categories(spec: FleetSpec) -> Categories:
    if spec.composition:
        family = tuple(sorted({str(r["family"]) for r in spec.composition}))
        region = tuple(sorted({str(r["region"]) for r in spec.composition}))
        rows = np.array(
            [
                [OS_NAMES.index(r["os"]), family.index(r["family"]), region.index(r["region"]),
                 GENERATIONS.index(r["generation"]), int(r["capable"])]
                for r in spec.composition
            ],
            np.int64,
        )  # fmt: skip
        weights = np.array([float(r["weight"]) for r in spec.composition])
        return Categories(OS_NAMES, family, region, GENERATIONS, rows, weights)
    family, region = tuple(sorted(spec.family_mix)), tuple(sorted(spec.region_mix))
    return Categories(OS_NAMES, family, region, GENERATIONS, np.zeros((0, 5), np.int64), np.zeros(0))


def _pick(u: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Categorical draws by inversion: ``u`` in [0, 1) → index with probability ∝ ``weights``."""
    cumulative = np.cumsum(weights)
    picked = np.searchsorted(cumulative, u * cumulative[-1], side="right")
    out: NDArray[np.int64] = np.minimum(picked, len(weights) - 1).astype(np.int64)
    return out


def _mix_pick(u: NDArray[np.float64], mix: Mapping[str, float], names: tuple[str, ...]) -> NDArray[np.int64]:
    present = sorted(mix)
    codes = np.array([names.index(n) for n in present], np.int64)
    return codes[_pick(u, np.array([float(mix[n]) for n in present]))]


def vm_names(index: NDArray[np.int64], width: int) -> pd.Series:
    """``vm-0…0N`` for every N of ``index``, zero-padded to ``width`` digits (built as Arrow buffers)."""
    import pyarrow as pa  # noqa: PLC0415

    index = np.asarray(index, np.int64)
    n = len(index)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    chars = np.empty((n, width + 3), np.uint8)
    chars[:, :3] = np.frombuffer(b"vm-", np.uint8)
    chars[:, 3:] = (index[:, None] // powers) % 10 + ord("0")
    offsets = np.arange(n + 1, dtype=np.int32) * (width + 3)
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))
    return pd.Series(array.to_pandas(), name="vm").astype("str")


def name_width(vms: int) -> int:
    """Digits of the largest VM index of a fleet of ``vms``."""
    return len(str(vms - 1))


# ------------------------------------------------------------------------------------ events
def bernoulli_cells(rng: np.random.Generator, p: float, cells: int) -> NDArray[np.int64]:
    """The indices in ``[0, cells)`` where independent Bernoulli(``p``) trials succeed, drawn as
    partial sums of geometric gaps (cost ∝ successes; the stream is sequential, so the successes
    below any index do not depend on ``cells``)."""
    if p <= 0.0 or cells <= 0:
        return np.zeros(0, np.int64)
    if p >= 1.0:
        return np.arange(cells, dtype=np.int64)
    chunk = max(256, int(p * cells * 1.05) + 64)
    parts, last = [], -1
    while last < cells:
        gaps = rng.geometric(p, chunk)
        positions = last + np.cumsum(gaps, dtype=np.int64)
        parts.append(positions)
        last = int(positions[-1])
    found = np.concatenate(parts)
    return found[found < cells]


@dataclass(frozen=True)
class _Drawn:
    """One kind's events of a block, sorted by day: VM indices and the slice of each day."""

    vms: NDArray[np.int64]
    bounds: NDArray[np.int64]  # day d's events are vms[bounds[d]:bounds[d + 1]]
    order: NDArray[np.int64]  # position in the VM-major draw of each sorted event

    def on(self, day: int) -> NDArray[np.int64]:
        return self.vms[self.bounds[day] : self.bounds[day + 1]]

    @classmethod
    def of(cls, cells: NDArray[np.int64], days: int) -> _Drawn:
        per_vm = max(days - 1, 1)
        vm, day = np.divmod(cells, per_vm)
        day += 1
        order = np.argsort(day, kind="stable")
        bounds = np.searchsorted(day[order], np.arange(days + 1))
        return cls(vm[order], bounds.astype(np.int64), order.astype(np.int64))


def periodic_rounds(spec: FleetSpec) -> NDArray[np.int64]:
    """Periodic attestation rounds per day (hours ``k, 2k, ... < 24 * days``), besides boot rounds."""
    hours = np.arange(spec.attest_every_hours, spec.days * 24, spec.attest_every_hours)
    return np.bincount(hours // 24, minlength=spec.days).astype(np.int64)


def periodic_hours(spec: FleetSpec) -> dict[int, list[int]]:
    """The periodic attestation hours, by day."""
    out: dict[int, list[int]] = {}
    for hour in range(spec.attest_every_hours, spec.days * 24, spec.attest_every_hours):
        out.setdefault(hour // 24, []).append(hour)
    return out


def block_ranges(vms: int, vm_range: tuple[int, int] | None = None) -> list[tuple[int, int, int]]:
    """``(block, start, stop)`` of every block in ``vm_range`` (default: the whole fleet)."""
    start, stop = (0, vms) if vm_range is None else vm_range
    return [(b, b * BLOCK, min((b + 1) * BLOCK, stop)) for b in range(start // BLOCK, -(-stop // BLOCK))]


# ------------------------------------------------------------------------------------ one block
@dataclass(frozen=True)
class Day:
    """One day of a block, as :meth:`BlockProcess.days` yields it (arrays are valid until the next day).

    Attributes:
        day: the day.
        events: event kind → the block-local indices of the VMs it happened to (``boot``: every VM
            that booted; kinds with no event that day are absent).
        compromised: ground truth per VM of the block (infected, or a man-in-the-middle day).
        scenario: per VM of the block, the index (:attr:`KeySpace.scenarios`) of its boot scenario.
        attested: block-local indices of the attested VMs (fixed for the block).
        key: per attested VM, its outcome key (:class:`KeySpace`) today.
        config: per attested VM, its :data:`CONFIG_CLASSES` index today.
        rounds: per attested VM, its attestation rounds today.
        booted: per attested VM, whether it booted today (then one of its rounds is the boot round).
    """

    day: int
    events: Mapping[str, NDArray[np.int64]]
    compromised: NDArray[np.bool_]
    scenario: NDArray[np.int64]
    attested: NDArray[np.int64]
    key: NDArray[np.int64]
    config: NDArray[np.int64]
    rounds: NDArray[np.int64]
    booted: NDArray[np.bool_]


class BlockProcess:
    """Block ``block`` of ``spec``'s fleet, VMs ``[start, stop)``: its inventory (drawn on creation)
    and :meth:`days` (the state machine; may be walked once)."""

    def __init__(self, spec: FleetSpec, block: int, start: int, stop: int, space: KeySpace) -> None:
        self.spec, self.block, self.start, self.stop, self.space = spec, block, start, stop, space
        self.n = n = stop - start
        streams = np.random.SeedSequence([spec.seed, block]).spawn(1 + len(DRAWN_KINDS) + 1)
        self._rngs = [np.random.default_rng(s) for s in streams]
        u = self._rngs[0].random((n, _INVENTORY_DRAWS))
        cats = Categories.of(spec)
        self.categories = cats
        self._draw_composition(u, cats)
        tl = self.capable & (u[:, 4] < spec.trusted_launch_adoption)
        self.trusted_launch = tl
        self.secure_boot0 = tl & (u[:, 5] < spec.secure_boot_adoption)
        self.vtpm = tl & (u[:, 6] < spec.vtpm_adoption)
        self.extension = tl & (u[:, 7] < spec.extension_adoption)
        self.wave = np.minimum((u[:, 8] * spec.rollout_waves).astype(np.int64), spec.rollout_waves - 1)
        self.attested = np.flatnonzero(self.vtpm & self.extension).astype(np.int64)

    def _draw_composition(self, u: NDArray[np.float64], cats: Categories) -> None:
        spec = self.spec
        if spec.composition:
            rows = cats.rows[_pick(u[:, 0], cats.weights)]
            self.os, self.family, self.region, self.generation = (rows[:, i] for i in range(4))
            self.capable = rows[:, 4].astype(bool)
            return
        self.os = _mix_pick(u[:, 0], spec.os_mix, cats.os)
        self.family = _mix_pick(u[:, 1], spec.family_mix, cats.family)
        self.region = _mix_pick(u[:, 2], spec.region_mix, cats.region)
        self.generation = _mix_pick(u[:, 3], spec.generation_mix, cats.generation)
        self.capable = self.generation == GENERATIONS.index("V2")

    def inventory(self) -> pd.DataFrame:
        """The block's rows of the inventory (:data:`INVENTORY_COLUMNS`)."""
        cats = self.categories

        def categorical(codes: NDArray[np.int64], names: tuple[str, ...]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype="str"))

        return pd.DataFrame(
            {
                "vm": vm_names(np.arange(self.start, self.stop), name_width(self.spec.vms)),
                "os": categorical(self.os, cats.os),
                "family": categorical(self.family, cats.family),
                "region": categorical(self.region, cats.region),
                "generation": categorical(self.generation, cats.generation),
                "trusted_launch": self.trusted_launch,
                "secure_boot": self.secure_boot0,
                "vtpm": self.vtpm,
                "extension": self.extension,
                "wave": self.wave,
            }
        )

    # --- the walk ------------------------------------------------------------------------------
    def _draw_events(self) -> dict[str, _Drawn]:
        cells = self.n * max(self.spec.days - 1, 0)
        return {
            kind: _Drawn.of(
                bernoulli_cells(self._rngs[1 + i], float(getattr(self.spec, rate)), cells), self.spec.days
            )
            for i, (kind, rate) in enumerate(DRAWN_KINDS.items())
        }

    def _kernel_waves(self) -> list[NDArray[np.int64]]:
        order = np.argsort(self.wave, kind="stable")
        bounds = np.searchsorted(self.wave[order], np.arange(self.spec.rollout_waves + 1))
        return [order[bounds[w] : bounds[w + 1]].astype(np.int64) for w in range(self.spec.rollout_waves)]

    def _kernel_today(self, day: int, waves: list[NDArray[np.int64]]) -> NDArray[np.int64] | None:
        every, spacing = self.spec.kernel_release_every_days, self.spec.wave_spacing_days
        if every <= 0:
            return None
        hit = [
            w for w in range(len(waves)) if day - w * spacing >= every and (day - w * spacing) % every == 0
        ]
        return np.concatenate([waves[w] for w in hit]) if hit else None

    def days(self) -> Iterator[Day]:
        """The days of the block, in order (see :class:`Day`); then :meth:`final_config` holds."""
        walk = _Walk(self)
        for day in range(self.spec.days):
            yield walk.step(day)
        self._final = (walk.states.secure_boot, walk.by_design)

    def final_config(self) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Secure Boot and off-by-design per VM at the end of :meth:`days`."""
        return self._final


class _Walk:
    """The mutable state of one block's walk through the days.

    Kept incrementally: a VM's outcome-key parts (scenario, baseline bits, condition), configuration
    class and ground truth change only on its event days and on the days scheduled by them (a
    lagged baseline update, the end of an outage, the day after a man-in-the-middle day), so each
    day recomputes only the VMs touched that day; the rest is a handful of whole-block operations.
    """

    def __init__(self, block: BlockProcess) -> None:
        spec, n = block.spec, block.n
        self.block, self.spec, self.space = block, spec, block.space
        self.states = VmStates(
            block.os.astype(np.int8), block.secure_boot0.copy(), np.zeros(n, bool), np.zeros(n, bool),
            np.zeros(n, np.int8),
        )  # fmt: skip
        self.by_design = np.zeros(n, bool)
        self.accepted = np.full((len(UPDATE_KINDS), n), _NEVER, np.int64)  # day the current update is in
        self.outage_until = np.zeros(n, np.int64)
        self.scenario = np.zeros(n, np.int64)
        self.bits = np.zeros(n, np.int64)
        self.condition = np.zeros(n, np.int64)
        self.compromised = np.zeros(n, bool)
        self.config = np.where(block.secure_boot0, 0, 1).astype(np.int64)
        self.key = np.zeros(n, np.int64)
        self.lag = {"immediate": 0, "lagged": spec.baseline_lag_days}.get(spec.baseline_policy)
        self.drawn = block._draw_events()
        self.waves = block._kernel_waves()
        self.off_draws = block._rngs[-1].random(len(self.drawn["driver-install"].vms))
        self.periodic = periodic_rounds(spec)
        self.attested = block.attested
        self._whole = block.attested.size == n  # every VM attested: no gathers needed
        self._position = np.full(n, -1, np.int64)  # VM → its index in attested
        self._position[block.attested] = np.arange(block.attested.size)
        self._extension = block.extension
        self._scheduled: dict[int, list[NDArray[np.int64]]] = {}  # day → VMs to recompute then
        self._mitm_yesterday = np.zeros(0, np.int64)

    def _schedule(self, day: int, vms: NDArray[np.int64]) -> None:
        if day < self.spec.days and vms.size:
            self._scheduled.setdefault(day, []).append(vms)

    # --- applying events ------------------------------------------------------------------------
    def _update(self, kind: str, vms: NDArray[np.int64], day: int) -> None:
        i = UPDATE_KINDS.index(kind)
        self.states.update[vms] = 1 + i
        self.accepted[i, vms] = _NEVER if self.lag is None else day + self.lag
        if self.lag:
            self._schedule(day + self.lag, vms)

    def _driver(self, vms: NDArray[np.int64], day: int) -> NDArray[np.int64]:
        """Install drivers; return the VMs whose operator turns Secure Boot off for it."""
        self.states.driver[vms] = True
        d = self.drawn["driver-install"]
        draws = self.off_draws[d.order[d.bounds[day] : d.bounds[day + 1]]]
        off = vms[(draws < self.spec.secure_boot_off_for_driver) & self.states.secure_boot[vms]]
        self.states.secure_boot[off] = False
        self.by_design[off] = True
        self.config[off] = 2
        return off

    def _events(self, day: int) -> dict[str, NDArray[np.int64]]:
        events: dict[str, NDArray[np.int64]] = {}
        kernel = self.block._kernel_today(day, self.waves)
        if kernel is not None:
            events["kernel-update"] = kernel
            self._update("kernel-update", kernel, day)
        for kind in ("firmware-update", "dbx-update"):
            if (vms := self.drawn[kind].on(day)).size:
                events[kind] = vms
                self._update(kind, vms, day)
        if (vms := self.drawn["driver-install"].on(day)).size:
            events["driver-install"] = vms
            if (off := self._driver(vms, day)).size:
                events["secure-boot-off"] = off
        vms = self.drawn["infection"].on(day)
        if (vms := vms[~self.states.infected[vms]]).size:
            events["infection"] = vms
            self.states.infected[vms] = True
        vms = self.drawn["mitm"].on(day)
        if (vms := vms[self._position[vms] >= 0]).size:
            events["mitm"] = vms
        vms = self.drawn["extension-outage"].on(day)
        if (vms := vms[self._extension[vms]]).size:
            events["extension-outage"] = vms
            self.outage_until[vms] = np.maximum(self.outage_until[vms], day + self.spec.extension_outage_days)
            self._schedule(day + self.spec.extension_outage_days, vms)
        return events

    # --- one day --------------------------------------------------------------------------------
    def _union(self, parts: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        """The distinct VMs of ``parts`` (each distinct already; a mask: linear, no sort)."""
        parts = [p for p in parts if p.size]
        if len(parts) <= 1:
            return parts[0] if parts else np.zeros(0, np.int64)
        mask = np.zeros(self.block.n, bool)
        for p in parts:
            mask[p] = True
        return np.flatnonzero(mask).astype(np.int64)

    def _booted(self, day: int, events: Mapping[str, NDArray[np.int64]]) -> NDArray[np.int64]:
        if day == 0:
            return np.arange(self.block.n, dtype=np.int64)
        return self._union([vms for kind, vms in events.items() if kind in _REBOOTS])

    def _touched(self, day: int, events: Mapping[str, NDArray[np.int64]]) -> NDArray[np.int64]:
        if day == 0:
            return np.arange(self.block.n, dtype=np.int64)
        return self._union([*events.values(), *self._scheduled.pop(day, []), self._mitm_yesterday])

    def _refresh(self, day: int, vms: NDArray[np.int64], mitm: NDArray[np.int64]) -> None:
        """Recompute the outcome-key parts and the ground truth of ``vms`` for ``day``."""
        bits = np.zeros(vms.size, np.int64)
        for i in range(len(UPDATE_KINDS)):
            bits |= (self.accepted[i, vms] <= day).astype(np.int64) << i
        self.bits[vms] = bits
        self.condition[vms] = np.where(self.outage_until[vms] > day, 1, 0)
        self.condition[mitm] = 2
        self.compromised[vms] = self.states.infected[vms]
        self.compromised[mitm] = True
        self.key[vms] = self.space.encode(
            self.states.os[vms], self.scenario[vms], self.bits[vms], self.condition[vms]
        )

    def step(self, day: int) -> Day:
        events = self._events(day) if day else {}
        booted = self._booted(day, events)
        if booted.size:
            events = {"boot": booted, **events}
            rules = rule_of(self.states.take(booted))
            self.scenario[booted] = self.space.rule_scenario[rules, self.states.os[booted]]
        mitm = events.get("mitm", np.zeros(0, np.int64))
        touched = self._touched(day, events)
        if touched.size:
            self._refresh(day, touched, mitm)
        self._mitm_yesterday = mitm
        att = self.attested
        booted_att = np.zeros(att.size, bool)
        booted_att[self._position[booted][self._position[booted] >= 0]] = True
        rounds = self.periodic[day] + booted_att.astype(np.int64)
        key, config = (self.key, self.config) if self._whole else (self.key[att], self.config[att])
        return Day(day, events, self.compromised, self.scenario, att, key, config, rounds, booted_att)
