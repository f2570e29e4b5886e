"""Partitions and Dask: the same spec and seed give identical tables with one VM range or many, in
this process, on threads behind a Dask scheduler and on a LocalCluster of worker processes."""

from __future__ import annotations

import itertools
import pickle

import pandas as pd
import pytest

from tlkit.errors import DataError
from tlkit.fleet._dask import partition_ranges, simulate
from tlkit.fleet._process import BLOCK
from tlkit.fleet._spec import FleetSpec

distributed = pytest.importorskip("distributed")

TABLES = ("inventory", "event_counts", "round_counts", "alert_counts", "detections", "recommendation_counts")

#: Three blocks (the last a short one), every kind of event, both OS images, a few days.
SPEC = FleetSpec.from_dict(
    {
        "vms": 2 * BLOCK + 777,
        "days": 4,
        "os_mix": {"ubuntu": 2, "windows": 1},
        "family_mix": {"Dsv5": 3, "NCasT4v3": 1},
        "secure_boot_adoption": 0.9,
        "kernel_release_every_days": 2,
        "rollout_waves": 2,
        "firmware_update_rate": 0.01,
        "dbx_update_rate": 0.01,
        "driver_install_rate": 0.02,
        "secure_boot_off_for_driver": 0.5,
        "infection_rate": 0.005,
        "mitm_rate": 0.002,
        "extension_outage_rate": 0.01,
        "baseline_policy": "lagged",
        "baseline_lag_days": 1,
        "seed": 11,
    }
)


def assert_same(a: object, b: object) -> None:
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        if not (x.dtypes.equals(y.dtypes) and x.equals(y)):  # fast; assert_frame_equal says where
            pd.testing.assert_frame_equal(x, y, obj=name)


@pytest.fixture(scope="module")
def whole() -> object:
    return simulate(SPEC)


# ------------------------------------------------------------------------------------ ranges
@pytest.mark.parametrize(("vms", "partitions"), [(1, 1), (BLOCK, 3), (2 * BLOCK + 1, 2), (10 * BLOCK - 5, 3)])
def test_partition_ranges_cover_the_fleet_in_whole_blocks(vms: int, partitions: int) -> None:
    ranges = partition_ranges(vms, partitions)
    blocks = -(-vms // BLOCK)
    assert len(ranges) == min(partitions, blocks)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == vms
    for (_, stop), (start, _) in itertools.pairwise(ranges):
        assert stop == start
        assert start % BLOCK == 0
    sizes = [-(-(stop - start) // BLOCK) for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1
    assert sum(sizes) == blocks


@pytest.mark.parametrize(("vms", "partitions"), [(0, 1), (10, 0), (True, 1), (10, 2.0)])
def test_partition_ranges_refuse_bad_values(vms: object, partitions: object) -> None:
    with pytest.raises(DataError) as e:
        partition_ranges(vms, partitions)  # type: ignore[arg-type]
    assert e.value.field in ("vms", "partitions")


# ------------------------------------------------------------------------------------ identity
def test_many_partitions_in_process_equal_one(whole: object) -> None:
    assert_same(whole, simulate(SPEC, partitions=3))
    assert_same(whole, simulate(SPEC, partitions=2))


def test_a_dask_client_on_threads_gives_the_same_tables(whole: object) -> None:
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as c:
        assert_same(whole, simulate(SPEC, dask=c))
        assert_same(whole, simulate(SPEC, dask=c, partitions=2))
        assert c.status == "running"  # a client given is left open


def test_a_local_cluster_of_worker_processes_gives_the_same_tables(whole: object) -> None:
    """The real thing: specs and results cross process boundaries (pickled), each worker builds its
    own outcome table from the pipeline; the tables are still identical."""
    assert_same(whole, simulate(SPEC, dask="local"))


def test_the_spec_pickles_as_its_json() -> None:
    again = pickle.loads(pickle.dumps(SPEC))
    assert again == SPEC
    assert again.to_json() == SPEC.to_json()


# ------------------------------------------------------------------------------------ errors
def test_the_exact_mode_stays_in_process() -> None:
    with pytest.raises(DataError) as e:
        simulate(SPEC, mode="exact", dask="local")
    assert e.value.field == "dask"
    with pytest.raises(DataError) as e:
        simulate(SPEC, mode="exact", partitions=2)
    assert e.value.field == "partitions"


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"mode": "slow"}, "mode"), ({"dask": 3}, "dask"), ({"dask": " "}, "dask")]
)
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DataError) as e:
        simulate(SPEC, **kwargs)  # type: ignore[arg-type]
    assert e.value.field == field


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tlkit.fleet._dask.CONNECT_TIMEOUT", "1s")
    with pytest.raises(DataError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'") as e:
        simulate(SPEC, dask="tcp://127.0.0.1:9")
    assert e.value.field == "dask"


def test_not_a_spec_is_refused() -> None:
    with pytest.raises(DataError) as e:
        simulate({"vms": 3})  # type: ignore[arg-type]
    assert e.value.field == "spec"


# ------------------------------------------------------------------------------------ shipped outcomes
def test_a_worker_adopts_the_clients_outcome_table(whole: object) -> None:
    """What a Dask worker does with the table the client ships: it takes every computed key (the
    pipeline's verdicts and alerts) and recommendation, and computes nothing itself."""
    from tlkit.fleet._outcomes import OutcomeTable, outcome_table

    client = outcome_table()
    worker = OutcomeTable(client.space)
    assert worker.adopt(client) == int(client.known.sum()) > 0
    assert (worker.known == client.known).all()
    assert (worker.passed == client.passed).all()
    assert worker.reasons == client.reasons
    assert worker.alerts == client.alerts
    assert worker.pipeline.runs == 0
    assert worker.adopt(client) == 0  # nothing new the second time


def test_an_outcome_table_of_another_key_space_is_refused() -> None:
    """A table from a tlkit with other scenarios (keys meaning other things) is never adopted."""
    import dataclasses

    from tlkit.fleet._outcomes import OutcomeTable, outcome_table

    here = outcome_table()
    other = OutcomeTable(dataclasses.replace(here.space, scenarios=here.space.scenarios[::-1]))
    other.known[:] = True
    for bad in (other, object()):
        with pytest.raises(DataError) as e:
            here.adopt(bad)  # type: ignore[arg-type]
        assert e.value.field == "outcomes"
    assert here.adopt(pickle.loads(pickle.dumps(here))) == 0  # the same keys, another object: fine


def test_a_shipped_copy_of_the_table_is_adopted_into_this_process_table() -> None:
    """A worker receives a pickled copy (another key-space object with the same keys)."""
    from tlkit.fleet._outcomes import adopt_outcomes, outcome_table

    copy = pickle.loads(pickle.dumps(outcome_table()))
    assert copy.space is not outcome_table().space
    assert adopt_outcomes(copy) == 0  # same process: every key is already known here
