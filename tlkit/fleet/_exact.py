"""Exact-mode fleet simulation: every attestation runs the real boot → quote → verify → Defender
pipeline (private).

What it does: :func:`simulate_exact` draws a fleet from a :class:`~tlkit.fleet.FleetSpec` (OS image,
size family, Secure Boot / vTPM / extension adoption per VM), then day by day draws each VM's events
(kernel update, firmware update, unsigned driver install, bootkit infection; each one reboots the
VM). Every boot picks the :mod:`tlkit.boot` scenario that matches the VM's state by
:data:`SCENARIO_RULES` (named data, first match wins). A VM with a vTPM and the Guest Attestation
extension is attested after every boot and every ``attest_every_hours``: each round builds that
scenario's evidence over a fresh nonce (:func:`tlkit.boot.scenario_evidence`), loads it
(:meth:`tlkit.attest.Evidence.from_files`; no quote means no evidence) and verifies it
(:func:`tlkit.attest.verify`) against the VM's baseline with the VM's AK as its trust anchor, set up
as :mod:`tlkit.attest._cases` sets up a simulated VM. The baseline is the healthy boot of the VM's
OS image, updated with a legitimate update's boot log per the spec's ``baseline_policy``. Defender
findings come from :func:`tlkit.defender.assess` over the whole history. The result is
:class:`FleetResult`, four tidy DataFrames.

Determinism: every draw comes from ``numpy.random.default_rng(SeedSequence([spec.seed, vm_index]))``
(one stream per VM, so a VM's draws do not depend on the fleet size), and the boots are
deterministic; the same spec gives identical frames.

Simplifications (stated, not hidden):

- One simulated image build per OS: every VM boots :data:`BOOT_SEED`'s chain and shares its
  simulated vTPM (so its AK). A new boot seed costs seconds of key generation, and VMs of one image
  measure the same binaries anyway; what differs per VM is its nonces, events and baseline.
- The simulator boots one change at a time: the boot shows the dominant state of
  :data:`SCENARIO_RULES` (an infection over Secure Boot off over a driver over the latest update).
  The simulator has no Windows kernel or firmware update scenario: on Windows those boot as the
  healthy image (no measured change), and an infection with Secure Boot off boots as Secure Boot off.
- Events start on day 1 (day 0 is the enrolment boot the baseline comes from); an infection is
  never cleaned up; a driver stays installed.

Cost (measured with ``.venv/bin/python benchmarks/bench_fleet.py``, 20 VMs x 5 days, 112 rounds, on
this project's shared 2-core machine): about 110 attestation rounds per second (~9 ms per round),
1.2x the bare evidence + load + verify of one healthy boot; the first run in a process also pays the
boot simulator's one-off key generation (~10 s). Exact mode is for up to ~10k rounds (about 1.5 min).

What it does not do: the fast vectorised mode, Dask, parquet, or any printing (a progress bar on
request).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import pandas as pd

from tlkit.errors import DataError
from tlkit.fleet._spec import OS_IMAGES, FleetSpec

__all__ = [
    "ATTESTATION_COLUMNS",
    "BOOT_SEED",
    "EPOCH",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "INVENTORY_COLUMNS",
    "SCENARIO_RULES",
    "FleetResult",
    "ScenarioRule",
    "VmState",
    "boot_scenario",
    "simulate_exact",
]

#: The simulator seed every VM's image is built with (see the module docstring).
BOOT_SEED: Final = 0
#: Day 0, hour 0 of every simulation (fixed: the simulation is deterministic).
EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)

#: Event kinds of the ``events`` table; every kind but ``boot`` is drawn, in this order, per VM-day.
EVENT_KINDS: Final = ("boot", "kernel-update", "firmware-update", "driver-install", "infection")
_RATE_OF: Final = {
    "firmware-update": "firmware_update_rate",
    "driver-install": "driver_install_rate",
    "infection": "infection_rate",
}
_LEGITIMATE_UPDATES: Final = ("kernel-update", "firmware-update")

INVENTORY_COLUMNS: Final = {
    "vm": "str", "os": "str", "family": "str", "secure_boot": "bool", "vtpm": "bool", "extension": "bool",
}  # fmt: skip
EVENT_COLUMNS: Final = {
    "vm": "str", "day": "int64", "kind": "str", "scenario": "str", "ground_truth_compromised": "bool",
}  # fmt: skip
ATTESTATION_COLUMNS: Final = {
    "vm": "str", "day": "int64", "hour": "int64", "trigger": "str", "scenario": "str",
    "passed": "bool", "reasons": "str", "codes": "str",
}  # fmt: skip


# ------------------------------------------------------------------------------------ state → scenario
@dataclass(frozen=True)
class VmState:
    """What a VM's next boot depends on.

    Attributes:
        os: a key of :data:`~tlkit.fleet.OS_IMAGES`.
        secure_boot: Secure Boot is on.
        infected: a bootkit was installed (ground truth: compromised).
        driver: an unsigned (GPU/DKMS) driver was installed.
        update: the latest legitimate update (``kernel-update``, ``firmware-update``) or None.
    """

    os: str
    secure_boot: bool
    infected: bool = False
    driver: bool = False
    update: str | None = None


@dataclass(frozen=True)
class ScenarioRule:
    """One row of :data:`SCENARIO_RULES`: when it applies, and the boot scenario per OS image."""

    name: str
    when: Callable[[VmState], bool]
    scenarios: Mapping[str, str]
    note: str


def _bootkit_refused(s: VmState) -> bool:
    """A bootkit under Secure Boot: shim refuses the patched GRUB (the ``bootkit`` scenario)."""
    return s.infected and s.secure_boot


def _secure_boot_off(s: VmState) -> bool:
    return not s.secure_boot


def _driver_installed(s: VmState) -> bool:
    return s.driver


def _kernel_updated(s: VmState) -> bool:
    return s.update == "kernel-update"


def _firmware_updated(s: VmState) -> bool:
    return s.update == "firmware-update"


def _always(s: VmState) -> bool:
    return True


SCENARIO_RULES: Final[tuple[ScenarioRule, ...]] = (
    ScenarioRule(
        "bootkit-refused", _bootkit_refused, {"ubuntu": "bootkit", "windows": "bootkit"},
        "Secure Boot refuses the patched bootloader: the VM does not boot, no quote (on any OS)",
    ),
    ScenarioRule(
        "secure-boot-off", _secure_boot_off, {"ubuntu": "secure-boot-off", "windows": "test-signing"},
        "Secure Boot off (with or without a bootkit: the simulator has no infected Secure-Boot-off boot)",
    ),
    ScenarioRule(
        "driver-install", _driver_installed,
        {"ubuntu": "unsigned-kernel-module", "windows": "hvci-blocks-driver"},
        "an unsigned GPU/DKMS driver, refused at load and recorded",
    ),
    ScenarioRule(
        "kernel-update", _kernel_updated, {"ubuntu": "kernel-update", "windows": OS_IMAGES["windows"]},
        "a vendor-signed kernel update (no Windows update scenario: Windows boots as healthy)",
    ),
    ScenarioRule(
        "firmware-update", _firmware_updated, {"ubuntu": "firmware-update", "windows": OS_IMAGES["windows"]},
        "a Hyper-V firmware update (no Windows scenario: Windows boots as healthy)",
    ),
    ScenarioRule("healthy", _always, OS_IMAGES, "the image's healthy boot"),
)  # fmt: skip
"""How a VM's state picks its boot scenario: the first rule whose ``when`` holds."""


def boot_scenario(state: VmState) -> str:
    """The :mod:`tlkit.boot` scenario a VM in ``state`` boots (:data:`SCENARIO_RULES`)."""
    rule = next(r for r in SCENARIO_RULES if r.when(state))
    return rule.scenarios[state.os]


# ------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class FleetResult:
    """A simulated fleet, as tidy DataFrames.

    Attributes:
        spec: the :class:`~tlkit.fleet.FleetSpec` simulated.
        inventory: one row per VM (:data:`INVENTORY_COLUMNS`).
        events: one row per boot and per drawn event (:data:`EVENT_COLUMNS`); ``scenario`` is the
            boot scenario of ``boot`` rows (empty otherwise); ``ground_truth_compromised`` says whether
            the VM was infected after the event.
        attestations: one row per attestation round of an attested VM (:data:`ATTESTATION_COLUMNS`);
            ``reasons`` is the verifier's reasons ``"; "``-joined, ``codes`` their distinct codes.
        findings: :func:`tlkit.defender.assess` over the whole history
            (:data:`tlkit.defender.FINDING_COLUMNS`) plus ``day``.
        pipeline_runs: how many evidence + verify rounds ran.
    """

    spec: FleetSpec
    inventory: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)
    attestations: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    pipeline_runs: int = 0

    @property
    def vm_days(self) -> int:
        return self.spec.vms * self.spec.days


# ------------------------------------------------------------------------------------ the run
def _weighted(rng: np.random.Generator, mix: Mapping[str, float]) -> str:
    names = sorted(mix)
    weights = np.array([float(mix[n]) for n in names])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


@dataclass
class _Vm:
    """One VM during a run (mutable: the simulation's own bookkeeping)."""

    name: str
    rng: np.random.Generator
    state: VmState
    vtpm: bool
    extension: bool
    family: str
    baseline: Any = None
    pending: list[tuple[int, str, str]] = field(default_factory=list)  # (effective day, scenario, kind)

    @property
    def attested(self) -> bool:
        return self.vtpm and self.extension


class _Run:
    """One simulation: the boots memoised per (scenario, seed) for this run only."""

    def __init__(self, spec: FleetSpec) -> None:
        self.spec = spec
        self._boots: dict[tuple[str, int], Any] = {}
        self._baselines: dict[str, Any] = {}
        self._anchors: dict[str, Any] = {}
        self.runs = 0

    def boot(self, scenario: str) -> Any:
        from tlkit.boot import run_scenario  # noqa: PLC0415

        key = (scenario, BOOT_SEED)
        if key not in self._boots:
            self._boots[key] = run_scenario(scenario, BOOT_SEED)
        return self._boots[key]

    def healthy_baseline(self, os: str) -> Any:
        from tlkit.attest import Baseline  # noqa: PLC0415

        if os not in self._baselines:
            image = OS_IMAGES[os]
            self._baselines[os] = Baseline.from_log(self.boot(image).log, name=f"{image} (seed {BOOT_SEED})")
        return self._baselines[os]

    def anchors(self, os: str) -> Any:
        from tlkit.attest import TrustAnchors  # noqa: PLC0415
        from tlkit.tpm import load_public_key  # noqa: PLC0415

        if os not in self._anchors:
            ak = self.boot(OS_IMAGES[os]).vtpm.ak_pem
            self._anchors[os] = TrustAnchors(trusted_aks=(load_public_key(ak),))
        return self._anchors[os]

    def attest(self, vm: _Vm, scenario: str, hour: int) -> Any:
        from tlkit.attest import Evidence, NoQuoteError, verify  # noqa: PLC0415
        from tlkit.boot import scenario_evidence  # noqa: PLC0415

        nonce = _nonce(self.spec.seed, vm.name, hour, self.runs)
        try:
            evidence = Evidence.from_files(
                scenario_evidence(scenario, BOOT_SEED, nonce), source=f"{vm.name} hour {hour}"
            )
        except NoQuoteError:
            evidence = None
        self.runs += 1
        when = EPOCH + timedelta(hours=hour)
        return verify(evidence, nonce, vm.baseline, anchors=self.anchors(vm.state.os), at=when)


def _nonce(seed: int, vm: str, hour: int, n: int) -> bytes:
    return hashlib.sha256(f"tlkit.fleet nonce/{seed}/{vm}/{hour}/{n}".encode()).digest()[:20]


def _draw_vm(spec: FleetSpec, index: int, width: int) -> _Vm:
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, index]))
    os = _weighted(rng, spec.os_mix)
    family = _weighted(rng, spec.family_mix)
    sb, vtpm, ext = rng.random(3) < [spec.secure_boot_adoption, spec.vtpm_adoption, spec.extension_adoption]
    return _Vm(f"vm-{index:0{width}d}", rng, VmState(os, bool(sb)), bool(vtpm), bool(ext), family)


def _apply(vm: _Vm, kind: str, day: int, spec: FleetSpec) -> None:
    """Change the VM's state for one drawn event, and schedule its baseline update if legitimate."""
    s = vm.state
    if kind == "infection":
        vm.state = replace(s, infected=True)
    elif kind == "driver-install":
        vm.state = replace(s, driver=True)
    else:
        vm.state = replace(s, update=kind)
        lag = {"immediate": 0, "lagged": spec.baseline_lag_days}.get(spec.baseline_policy)
        if lag is not None:
            vm.pending.append((day + lag, boot_scenario(VmState(s.os, True, update=kind)), kind))


def _update_baseline(run: _Run, vm: _Vm, day: int) -> None:
    due = [p for p in vm.pending if p[0] <= day]
    vm.pending = [p for p in vm.pending if p[0] > day]
    for effective, scenario, kind in due:
        at = EPOCH + timedelta(days=effective)
        vm.baseline = vm.baseline.updated(run.boot(scenario).log, reason=f"legitimate {kind}", at=at)


def _rounds(spec: FleetSpec) -> dict[int, list[int]]:
    """Periodic attestation hours, by day."""
    out: dict[int, list[int]] = {}
    for hour in range(spec.attest_every_hours, spec.days * 24, spec.attest_every_hours):
        out.setdefault(hour // 24, []).append(hour)
    return out


def _simulate_vm(run: _Run, vm: _Vm, rounds: Mapping[int, list[int]]) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = run.spec
    kinds = ["kernel-update", *_RATE_OF]
    rates = np.array([0.0] + [getattr(spec, _RATE_OF[k]) for k in kinds[1:]])
    drawn = vm.rng.random((max(spec.days - 1, 0), len(kinds))) < rates  # events on days 1..days-1
    every = spec.kernel_release_every_days
    drawn[:, 0] = [every > 0 and (d + 1) % every == 0 for d in range(drawn.shape[0])]
    vm.baseline = run.healthy_baseline(vm.state.os)
    for day in range(spec.days):
        happened = [k for k, hit in zip(kinds, drawn[day - 1], strict=True) if hit] if day else []
        for kind in happened:
            _apply(vm, kind, day, spec)
            yield "event", {"vm": vm.name, "day": day, "kind": kind, "scenario": "",
                            "ground_truth_compromised": vm.state.infected}  # fmt: skip
        _update_baseline(run, vm, day)
        scenario = boot_scenario(vm.state)
        if day == 0 or happened:
            yield "event", {"vm": vm.name, "day": day, "kind": "boot", "scenario": scenario,
                            "ground_truth_compromised": vm.state.infected}  # fmt: skip
            if vm.attested:
                yield "attestation", _round(run, vm, scenario, hour=day * 24, trigger="boot")
        for hour in rounds.get(day, []) if vm.attested else []:
            yield "attestation", _round(run, vm, scenario, hour=hour, trigger="periodic")


def _round(run: _Run, vm: _Vm, scenario: str, *, hour: int, trigger: str) -> dict[str, Any]:
    """One attestation round's row (``_reasons``: the reasons as a tuple, for the Defender history)."""
    result = run.attest(vm, scenario, hour)
    reasons: tuple[str, ...] = tuple(result.reasons)
    codes = dict.fromkeys(r.split(":", 1)[0] for r in reasons)
    return {"vm": vm.name, "day": hour // 24, "hour": hour, "trigger": trigger, "scenario": scenario,
            "passed": bool(result.passed), "reasons": "; ".join(reasons), "codes": "; ".join(codes),
            "_reasons": reasons}  # fmt: skip


def _frame(rows: list[dict[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns)).astype(dict(columns))


#: The Defender ``os_type`` of each OS image.
_OS_TYPE: Final = {"ubuntu": "Linux", "windows": "Windows"}


def _findings(spec: FleetSpec, inventory: list[dict[str, Any]], rounds: list[dict[str, Any]]) -> pd.DataFrame:
    from tlkit.defender import AttestationRecord, VmConfig, assess  # noqa: PLC0415

    vms = [
        VmConfig(v["vm"], _OS_TYPE[v["os"]], True, "TrustedLaunch", v["secure_boot"], v["vtpm"],
                 guest_attestation=v["extension"])
        for v in inventory
    ]  # fmt: skip
    history = [
        AttestationRecord(r["vm"], EPOCH + timedelta(hours=r["hour"]), r["passed"], r["_reasons"])
        for r in rounds
    ]
    end = EPOCH + timedelta(days=spec.days) - timedelta(seconds=1)
    findings = assess(vms, history, at=end)
    findings["day"] = ((findings["time"] - pd.Timestamp(EPOCH)) // pd.Timedelta(days=1)).astype("int64")
    return findings


def simulate_exact(spec: FleetSpec, *, progress: bool = False) -> FleetResult:
    """Simulate ``spec`` through the real pipeline (see the module docstring).

    Args:
        spec: the fleet.
        progress: show a ``tqdm.auto`` progress bar over the VMs.

    Raises:
        DataError: ``spec`` is not a :class:`~tlkit.fleet.FleetSpec`.
    """
    if not isinstance(spec, FleetSpec):
        raise DataError(f"spec must be a FleetSpec, not {type(spec).__name__}", field="spec")
    run = _Run(spec)
    rounds = _rounds(spec)
    width = len(str(spec.vms - 1))
    indices: Any = range(spec.vms)
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        indices = tqdm(indices, desc="fleet (exact)", unit="VM")
    inventory: list[dict[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {"event": [], "attestation": []}
    for index in indices:
        vm = _draw_vm(spec, index, width)
        inventory.append({"vm": vm.name, "os": vm.state.os, "family": vm.family,
                          "secure_boot": vm.state.secure_boot, "vtpm": vm.vtpm,
                          "extension": vm.extension})  # fmt: skip
        for table, row in _simulate_vm(run, vm, rounds):
            tables[table].append(row)
    return FleetResult(
        spec,
        _frame(inventory, INVENTORY_COLUMNS),
        _frame(tables["event"], EVENT_COLUMNS),
        _frame(tables["attestation"], ATTESTATION_COLUMNS),
        _findings(spec, inventory, tables["attestation"]),
        run.runs,
    )
