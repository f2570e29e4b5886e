"""Synthetic fleets: how many Trusted Launch attestation alerts a SOC sees, and how many are real.

What it does: :class:`FleetSpec` describes a fleet (size; OS-image, size-family, region and
generation mixes or a joint composition; Trusted Launch, Secure Boot, vTPM and Guest Attestation
adoption; kernel releases in rollout waves; daily rates of firmware and dbx updates, unsigned driver
installs (and Secure Boot turned off for them), bootkit infections, vTPM man-in-the-middle days and
extension outages; the baseline-update policy; horizon, attestation period, seed) with JSON and YAML
round trips. Both modes walk one random process (blocks of :data:`BLOCK` VMs, each seeded from the
spec's seed and its index) and return a :class:`FleetResult` with the same aggregate tables for the
same spec and seed: :func:`simulate_exact` runs every attestation round through the real pipeline
(:mod:`tlkit.boot` → quote → :func:`tlkit.attest.verify` → :func:`tlkit.defender.assess`) and keeps
the row tables; :func:`simulate_fast` looks each round up in an outcome table computed by that same
pipeline on first need, vectorised with numpy (1M VMs x 90 days in seconds); ``vm_range`` runs a
block-aligned part and :func:`combine` merges parts. :func:`alert_rates`,
:func:`false_positive_share`, :func:`time_to_detect`, :func:`attestation_coverage` and
:func:`suppressed_counts` read only the aggregates. :func:`save_result` / :func:`load_result` write
every table to parquet and read it back exactly; :func:`summary` gives the headline metrics
(:func:`summary_json`: deterministic JSON); ``tlkit fleet simulate`` / ``tlkit fleet report`` run
them from the command line. :func:`simulate` runs either mode, and the fast mode over block-aligned
VM partitions in this process or on Dask (a ``LocalCluster``, a scheduler address or a ``Client``),
with tables identical to one partition's. ``FleetSpec.from_inventory`` (:func:`fleet_spec_from_inventory`)
clones the composition and adoption of a real ``az vm list`` / Resource Graph export, with the support
matrix deciding who can have Trusted Launch, and lists every VM it could not place. :func:`sweep` runs
one spec field over values into :func:`headline` rows (what the dashboard and the lag figure show).

What it does not do: plots or a dashboard (:mod:`tlkit.viz.fleet`, :mod:`tlkit.widgets.fleet_dashboard`),
or start a remote cluster. It never prints (a progress bar on request).
"""

from tlkit.fleet._dask import partition_ranges, simulate
from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._inventory import CloneNote, InventoryClone, fleet_spec_from_inventory
from tlkit.fleet._io import (
    SPEC_FILE,
    SUMMARY_FILE,
    TABLE_FILES,
    load_result,
    save_result,
    summary,
    summary_json,
)
from tlkit.fleet._metrics import (
    alert_rates,
    attestation_coverage,
    false_positive_share,
    suppressed_counts,
    time_to_detect,
)
from tlkit.fleet._outcomes import BOOT_SEED, EPOCH, OutcomeTable, clear_outcomes, outcome_table
from tlkit.fleet._process import (
    BLOCK,
    CONDITIONS,
    EVENT_KINDS,
    INVENTORY_COLUMNS,
    SCENARIO_RULES,
    UPDATE_KINDS,
    ScenarioRule,
)
from tlkit.fleet._result import (
    ALERT_COUNT_COLUMNS,
    ATTESTATION_COLUMNS,
    DETECTION_COLUMNS,
    EVENT_COLUMNS,
    EVENT_COUNT_COLUMNS,
    MODES,
    RECOMMENDATION_COUNT_COLUMNS,
    ROUND_COUNT_COLUMNS,
    FleetResult,
    combine,
)
from tlkit.fleet._spec import BASELINE_POLICIES, COMPOSITION_KEYS, GENERATIONS, OS_IMAGES, FleetSpec
from tlkit.fleet._sweep import HEADLINE_COLUMNS, SWEEP_COLUMNS, headline, sweep, with_value

__all__ = [
    "ALERT_COUNT_COLUMNS",
    "ATTESTATION_COLUMNS",
    "BASELINE_POLICIES",
    "BLOCK",
    "BOOT_SEED",
    "COMPOSITION_KEYS",
    "CONDITIONS",
    "DETECTION_COLUMNS",
    "EPOCH",
    "EVENT_COLUMNS",
    "EVENT_COUNT_COLUMNS",
    "EVENT_KINDS",
    "GENERATIONS",
    "HEADLINE_COLUMNS",
    "INVENTORY_COLUMNS",
    "MODES",
    "OS_IMAGES",
    "RECOMMENDATION_COUNT_COLUMNS",
    "ROUND_COUNT_COLUMNS",
    "SCENARIO_RULES",
    "SPEC_FILE",
    "SUMMARY_FILE",
    "SWEEP_COLUMNS",
    "TABLE_FILES",
    "UPDATE_KINDS",
    "CloneNote",
    "FleetResult",
    "FleetSpec",
    "InventoryClone",
    "OutcomeTable",
    "ScenarioRule",
    "alert_rates",
    "attestation_coverage",
    "clear_outcomes",
    "combine",
    "false_positive_share",
    "fleet_spec_from_inventory",
    "headline",
    "load_result",
    "outcome_table",
    "partition_ranges",
    "save_result",
    "simulate",
    "simulate_exact",
    "simulate_fast",
    "summary",
    "summary_json",
    "suppressed_counts",
    "sweep",
    "time_to_detect",
    "with_value",
]
