"""Synthetic fleets: how many Trusted Launch attestation alerts a SOC sees, and how many are real.

What it does (so far): :class:`FleetSpec` describes a fleet (size, OS-image and size-family mixes,
Secure Boot / vTPM / Guest Attestation adoption, daily rates of kernel updates, firmware updates,
unsigned driver installs and bootkit infections, the baseline-update policy, horizon, attestation
period, seed) with JSON and YAML round trips. :func:`simulate_exact` runs it day by day through the
real pipeline (:mod:`tlkit.boot` → quote → :func:`tlkit.attest.verify` → :func:`tlkit.defender.assess`)
and returns a :class:`FleetResult` of tidy DataFrames (inventory, events with ground truth,
attestations, findings); :func:`alert_rates`, :func:`false_positive_share` and
:func:`attestation_coverage` summarise it. :func:`save_result` / :func:`load_result` write the tables
to parquet and read them back exactly; :func:`summary` gives the headline metrics
(:func:`summary_json`: deterministic JSON); ``tlkit fleet simulate`` / ``tlkit fleet report`` run them
from the command line.

What it does not do yet: a fast vectorised mode, Dask scale-out, plots or a dashboard, cloning a
fleet from an inventory, or regions, generations, rollout waves, vTPM
man-in-the-middle and extension outages. It never prints (a progress bar on request).
"""

from tlkit.fleet._exact import (
    ATTESTATION_COLUMNS,
    BOOT_SEED,
    EVENT_COLUMNS,
    EVENT_KINDS,
    INVENTORY_COLUMNS,
    SCENARIO_RULES,
    FleetResult,
    ScenarioRule,
    VmState,
    boot_scenario,
    simulate_exact,
)
from tlkit.fleet._io import (
    SPEC_FILE,
    SUMMARY_FILE,
    TABLE_FILES,
    load_result,
    save_result,
    summary,
    summary_json,
)
from tlkit.fleet._metrics import alert_rates, attestation_coverage, false_positive_share
from tlkit.fleet._spec import BASELINE_POLICIES, OS_IMAGES, FleetSpec

__all__ = [
    "ATTESTATION_COLUMNS",
    "BASELINE_POLICIES",
    "BOOT_SEED",
    "EVENT_COLUMNS",
    "EVENT_KINDS",
    "INVENTORY_COLUMNS",
    "OS_IMAGES",
    "SCENARIO_RULES",
    "SPEC_FILE",
    "SUMMARY_FILE",
    "TABLE_FILES",
    "FleetResult",
    "FleetSpec",
    "ScenarioRule",
    "VmState",
    "alert_rates",
    "attestation_coverage",
    "boot_scenario",
    "false_positive_share",
    "load_result",
    "save_result",
    "simulate_exact",
    "summary",
    "summary_json",
]
