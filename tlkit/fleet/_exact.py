"""Exact-mode fleet simulation: every attestation round runs the real boot → quote → verify →
Defender pipeline (private).

What it does: :func:`simulate_exact` walks the same process as the fast mode
(:mod:`tlkit.fleet._process`: the same blocks, seeds, draws and daily state), and for every round of
every attested VM (one after each boot, one every ``attest_every_hours``) runs
:class:`tlkit.fleet._outcomes.Pipeline`: the boot scenario's evidence over a fresh nonce (or none
during an extension outage, or a man-in-the-middle vTPM's answer) loaded and verified against the
VM's baseline (the healthy image plus the updates its baseline state accepted) with the VM's AK as
trust anchor. Defender findings come from :func:`tlkit.defender.assess` over the whole history:
alerts per period of one VM configuration (Secure Boot turned off for a driver changes it), and
recommendations for the final configurations. The row tables (``events``, ``attestations``,
``findings``) are kept, and the aggregate tables are computed *from those rows*, so comparing them
with the fast mode's (same spec and seed) checks the outcome table round by round.

Cost: about 10 ms per round on this project's shared 2-core machine, and the first boots in a
process pay the boot simulator's one-off key generation (~10 s): exact mode is for up to ~10k
rounds.

What it does not do: the vectorised mode (:mod:`tlkit.fleet._fast`), Dask, or any printing (a
``tqdm.auto`` progress bar over the VMs on request).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import numpy as np
import pandas as pd

from tlkit.fleet._outcomes import EPOCH, Pipeline, VmConfigCode, cause, outcome_table, reason_codes
from tlkit.fleet._process import (
    CONFIG_CLASSES,
    EVENT_KINDS,
    BlockProcess,
    Day,
    block_ranges,
    key_space,
    name_width,
    periodic_hours,
)
from tlkit.fleet._result import (
    AGGREGATE_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    FleetResult,
    aggregate,
    check_spec,
    empty,
    finding_columns,
    typed,
)
from tlkit.fleet._spec import FleetSpec

__all__ = ["simulate_exact"]

_ATTACKS: Final = ("infection", "mitm")


@dataclass(frozen=True)
class _Job:
    """One attestation round to run."""

    vm: str
    day: int
    hour: int
    trigger: str
    key: int
    config: int
    compromised: bool


class _Collect:
    """What the exact mode keeps of the process: event rows, rounds to run, final configurations."""

    def __init__(self, spec: FleetSpec) -> None:
        self.spec = spec
        self.width = name_width(spec.vms)
        self.hours = periodic_hours(spec)
        self.events: list[tuple[str, int, str, str, bool]] = []
        self.jobs: list[_Job] = []
        self.configs: dict[str, Any] = {}
        self.inventories: list[pd.DataFrame] = []

    def name(self, block: BlockProcess, local: int) -> str:
        return f"vm-{block.start + local:0{self.width}d}"

    def day(self, block: BlockProcess, d: Day) -> None:
        space = block.space
        for kind, vms in d.events.items():
            for v in vms.tolist():
                scenario = space.scenarios[int(d.scenario[v])] if kind == "boot" else ""
                self.events.append((self.name(block, v), d.day, kind, scenario, bool(d.compromised[v])))
        for i, v in enumerate(d.attested.tolist()):
            triggers = [(d.day * 24, "boot")] if d.booted[i] else []
            triggers += [(hour, "periodic") for hour in self.hours.get(d.day, [])]
            for hour, trigger in triggers:
                self.jobs.append(
                    _Job(self.name(block, v), d.day, hour, trigger, int(d.key[i]), int(d.config[i]),
                         bool(d.compromised[v]))
                )  # fmt: skip

    def finish(self, block: BlockProcess) -> None:
        self.inventories.append(block.inventory())
        secure_boot, by_design = block.final_config()
        flags = (block.capable, block.trusted_launch, secure_boot, block.vtpm, block.extension, by_design)
        codes = VmConfigCode.encode(block.os, flags)
        for v in range(block.n):
            self.configs[self.name(block, v)] = VmConfigCode.decode(int(codes[v]))


def _nonce(seed: int, job: _Job) -> bytes:
    return hashlib.sha256(f"tlkit.fleet nonce/{seed}/{job.vm}/{job.hour}/{job.trigger}".encode()).digest()[
        :20
    ]


def _run_rounds(
    spec: FleetSpec, pipeline: Pipeline, jobs: list[_Job], progress: bool
) -> list[dict[str, Any]]:
    by_vm: dict[str, list[_Job]] = {}
    for job in jobs:
        by_vm.setdefault(job.vm, []).append(job)
    vms: Any = sorted(by_vm)
    if progress:
        from tqdm.auto import tqdm  # noqa: PLC0415

        vms = tqdm(vms, desc="fleet (exact)", unit="VM")
    rows = []
    for vm in vms:
        for job in sorted(by_vm[vm], key=lambda j: (j.hour, j.trigger)):
            result = pipeline.verify(job.key, _nonce(spec.seed, job), EPOCH + timedelta(hours=job.hour))
            reasons = tuple(str(r) for r in result.reasons)
            rows.append(
                {"vm": vm, "day": job.day, "hour": job.hour, "trigger": job.trigger,
                 "scenario": pipeline.space.decode(job.key)[1], "passed": bool(result.passed),
                 "reasons": "; ".join(reasons), "codes": "" if result.passed else reason_codes(reasons),
                 "_reasons": reasons, "_config": job.config, "_compromised": job.compromised}
            )  # fmt: skip
    return rows


# ------------------------------------------------------------------------------------ findings
def _findings(
    spec: FleetSpec, configs: Mapping[str, VmConfigCode], rounds: list[dict[str, Any]]
) -> pd.DataFrame:
    """Alerts per configuration period (each VM in the configuration of each round), then the
    recommendations of the final configurations over the whole history."""
    from tlkit.defender import AttestationRecord, assess  # noqa: PLC0415

    def record(r: dict[str, Any]) -> Any:
        return AttestationRecord(r["vm"], EPOCH + timedelta(hours=r["hour"]), r["passed"], r["_reasons"])

    end = EPOCH + timedelta(days=spec.days) - timedelta(seconds=1)
    parts = []
    for c, (secure_boot, by_design) in enumerate(CONFIG_CLASSES):
        period = [r for r in rounds if r["_config"] == c]
        names = sorted({r["vm"] for r in period})
        vms = [_with(configs[n], secure_boot, by_design).vm_config(n) for n in names]
        found = assess(vms, [record(r) for r in period], at=end)
        parts.append(found[found["kind"] == "alert"])
    every = [configs[n].vm_config(n) for n in sorted(configs)]
    found = assess(every, [record(r) for r in rounds], at=end)
    parts.append(found[found["kind"] == "recommendation"])
    findings = pd.concat(parts, ignore_index=True)
    if findings.empty:
        return empty(finding_columns())
    findings["day"] = ((findings["time"] - pd.Timestamp(EPOCH)) // pd.Timedelta(days=1)).astype("int64")
    return _sorted_findings(findings)


def _with(code: VmConfigCode, secure_boot: bool, by_design: bool) -> VmConfigCode:
    return VmConfigCode(
        code.os, code.capable, code.trusted_launch, secure_boot, code.vtpm, code.extension, by_design
    )


def _sorted_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """In :func:`tlkit.defender.assess`'s order: VM, kind (recommendations first), time, severity
    (highest first), name, reason."""
    from tlkit.defender._data import SEVERITIES  # noqa: PLC0415

    order = findings.assign(
        _kind=findings["kind"].map({"recommendation": 0, "alert": 1}),
        _severity=-findings["severity"].map(SEVERITIES.index),
        _time=findings["time"].fillna(pd.Timestamp.min.tz_localize("UTC")),
    ).sort_values(["vm", "_kind", "_time", "_severity", "name", "reason"], kind="stable")
    return typed(order, finding_columns())


# ------------------------------------------------------------------------------------ aggregates
def _labels(frame: pd.DataFrame, inventory: pd.DataFrame) -> pd.DataFrame:
    by_vm = inventory.set_index("vm")
    return frame.assign(
        os=frame["vm"].map(by_vm["os"].astype(str)), family=frame["vm"].map(by_vm["family"].astype(str))
    )


def _aggregates(
    events: pd.DataFrame, rounds: pd.DataFrame, findings: pd.DataFrame, inventory: pd.DataFrame,
    truth: Mapping[tuple[str, int], bool],
) -> dict[str, pd.DataFrame]:  # fmt: skip
    ev = _labels(events, inventory).assign(events=1)
    att = _labels(rounds, inventory)
    grouped = att.groupby(["day", "os", "family", "scenario", "codes", "passed"], sort=True)
    round_counts = grouped.agg(rounds=("vm", "size"), vm_days=("vm", "nunique")).reset_index()
    alerts = _labels(findings[findings["kind"] == "alert"], inventory)
    alerts = alerts.assign(
        cause=alerts["codes"].map(cause),
        compromised=[truth[(v, d)] for v, d in zip(alerts["vm"], alerts["day"], strict=True)],
        alerts=1,
    )
    recs = _labels(findings[findings["kind"] == "recommendation"], inventory)
    recs = recs.groupby(["os", "family", "name", "severity"])["vm"].nunique().rename("vms").reset_index()
    return {
        "event_counts": aggregate(ev, *AGGREGATE_COLUMNS["event_counts"]),
        "round_counts": aggregate(round_counts, *AGGREGATE_COLUMNS["round_counts"]),
        "alert_counts": aggregate(alerts, *AGGREGATE_COLUMNS["alert_counts"]),
        "recommendation_counts": aggregate(recs, *AGGREGATE_COLUMNS["recommendation_counts"]),
        "detections": _detections(events, alerts, inventory),
    }


def _detections(events: pd.DataFrame, alerts: pd.DataFrame, inventory: pd.DataFrame) -> pd.DataFrame:
    attacks = _labels(events[events["kind"].isin(_ATTACKS)], inventory)
    if attacks.empty:
        return empty(DETECTION_COLUMNS)
    seen = alerts[~alerts["suppressed"]].groupby("vm")["day"].apply(lambda s: np.sort(s.unique()))
    detected = []
    for vm, start in zip(attacks["vm"], attacks["day"], strict=True):
        days = seen.get(vm, np.zeros(0, np.int64))
        later = days[days >= start]
        detected.append(float(later[0]) if len(later) else float("nan"))
    frame = attacks.assign(attack=attacks["kind"], start_day=attacks["day"], detected_day=detected)
    return typed(frame.sort_values(["vm", "start_day", "attack"], kind="stable"), DETECTION_COLUMNS)


def _event_frame(rows: list[tuple[str, int, str, str, bool]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame["_kind"] = frame["kind"].map(EVENT_KINDS.index)
    return typed(frame.sort_values(["vm", "day", "_kind"], kind="stable"), EVENT_COLUMNS)


def simulate_exact(spec: FleetSpec, *, progress: bool = False) -> FleetResult:
    """Simulate ``spec`` through the real pipeline, round by round (see the module docstring).

    Args:
        spec: the fleet.
        progress: show a ``tqdm.auto`` progress bar over the attested VMs.

    Raises:
        DataError: ``spec`` is not a :class:`~tlkit.fleet.FleetSpec`.
    """
    check_spec(spec)
    space = key_space()
    pipeline = outcome_table(space).pipeline
    collect = _Collect(spec)
    for b, start, stop in block_ranges(spec.vms):
        block = BlockProcess(spec, b, start, stop, space)
        for day in block.days():
            collect.day(block, day)
        collect.finish(block)
    inventory = pd.concat(collect.inventories, ignore_index=True)
    before = pipeline.runs
    rows = _run_rounds(spec, pipeline, collect.jobs, progress)
    runs = pipeline.runs - before
    findings = _findings(spec, collect.configs, rows)
    events = _event_frame(collect.events)
    attestations = typed(pd.DataFrame(rows, columns=[*ATTESTATION_COLUMNS]), ATTESTATION_COLUMNS)
    truth = {(j.vm, j.day): j.compromised for j in collect.jobs}
    tables = _aggregates(events, attestations, findings, inventory, truth)
    return FleetResult(
        spec, "exact", inventory,
        event_counts=tables["event_counts"], round_counts=tables["round_counts"],
        alert_counts=tables["alert_counts"], detections=tables["detections"],
        recommendation_counts=tables["recommendation_counts"],
        events=events, attestations=attestations, findings=findings, pipeline_runs=runs,
    )  # fmt: skip
