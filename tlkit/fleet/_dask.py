"""Fleet simulation over VM partitions: in this process, or on Dask (private).

What it does: :func:`simulate` runs a :class:`~tlkit.fleet.FleetSpec` in the exact or the fast
mode. With ``partitions`` or ``dask`` (fast mode), it splits the fleet into VM ranges made of whole
blocks (:func:`partition_ranges`; a block is :data:`~tlkit.fleet._process.BLOCK` VMs), runs each
range with :func:`~tlkit.fleet.simulate_fast` (``vm_range=``) — one after the other in this process,
or as Dask tasks on a ``distributed`` cluster — and merges them with :func:`~tlkit.fleet.combine`.
Every block draws from ``SeedSequence([spec.seed, block])`` whoever runs it, so the same spec and
seed give identical tables with one partition or many, in this process or on any cluster.

Where it runs (``dask``):

- ``None``: in this process (``partitions`` ranges one after the other);
- ``"local"``: a ``distributed.LocalCluster`` on this machine (one single-threaded worker process
  per core: numpy releases the GIL rarely in this workload), closed afterwards;
- an address such as ``"tcp://scheduler:8786"``: a running scheduler; its workers need tlkit (the
  same version) and its data files installed, e.g. ``pip install tlkit[scale]`` on each;
- a ``distributed.Client``: used as it is, left open.

The outcome table (:mod:`tlkit.fleet._outcomes`) is computed here, not on every worker: before
submitting, this process simulates the spec's first :data:`WARM_VMS` VMs in the fast mode (filling
its table with the keys a fleet of that spec reaches; nothing is kept of that run) and ships the
table with the tasks; each worker adopts it (:func:`~tlkit.fleet._outcomes.adopt_outcomes`) and
computes through the real pipeline only a key none of those VMs reached (the first such key on a
fresh worker also pays the boot simulator's key generation, seconds).

What it does not do: run the exact mode on Dask (it is for up to ~10k attestation rounds and keeps
per-round rows; it runs in this process), start a remote cluster, or print (progress bars on request:
over the partitions' completion on Dask, over the blocks in this process).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from typing import Any, Final

from tlkit.errors import DataError, MissingComponentError
from tlkit.fleet._exact import simulate_exact
from tlkit.fleet._fast import simulate_fast
from tlkit.fleet._outcomes import OutcomeTable, adopt_outcomes, outcome_table
from tlkit.fleet._process import BLOCK
from tlkit.fleet._result import MODES, FleetResult, combine
from tlkit.fleet._spec import FleetSpec

__all__ = ["CONNECT_TIMEOUT", "LOCAL", "WARM_VMS", "partition_ranges", "simulate"]

#: The ``dask`` value that starts a ``LocalCluster`` for the run.
LOCAL: Final = "local"
#: How many VMs of the spec this process simulates to fill the outcome table it ships to the workers.
WARM_VMS: Final = 4096
#: How long to try reaching a scheduler given by its address.
CONNECT_TIMEOUT = "10s"


def partition_ranges(vms: int, partitions: int) -> list[tuple[int, int]]:
    """``partitions`` VM ranges ``[start, stop)`` of whole blocks covering ``vms`` VMs.

    The blocks are shared out as evenly as possible (the first ranges get one block more); there are
    never more ranges than blocks, so fewer than ``partitions`` come back for a small fleet.

    Raises:
        DataError: ``vms`` or ``partitions`` not a positive integer.
    """
    for name, value in (("vms", vms), ("partitions", partitions)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise DataError(f"{name} must be a positive integer, not {value!r}", field=name)
    blocks = -(-vms // BLOCK)
    n = min(partitions, blocks)
    per, extra = divmod(blocks, n)
    ranges, first = [], 0
    for i in range(n):
        last = first + per + (i < extra)
        ranges.append((first * BLOCK, min(last * BLOCK, vms)))
        first = last
    return ranges


def _part(spec_json: str, vm_range: tuple[int, int], table: OutcomeTable) -> FleetResult:
    """One partition, as a Dask task runs it (the spec travels as its JSON, the client's outcome
    table with it)."""
    adopt_outcomes(table)
    return simulate_fast(FleetSpec.from_json(spec_json), vm_range=vm_range)


@contextlib.contextmanager
def _client(dask: Any) -> Iterator[Any]:
    """A ``distributed.Client`` for ``dask`` (see the module docstring), closed if made here."""
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise MissingComponentError(
            "distributed", "pip install 'tlkit[scale]' (Dask scale-out of fleets needs it)"
        ) from None
    if isinstance(dask, distributed.Client):
        yield dask
        return
    if dask == LOCAL:
        workers = max(1, min(os.cpu_count() or 1, 8))
        with (
            distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    if not isinstance(dask, str) or not dask.strip():
        raise DataError(
            f"dask must be None, {LOCAL!r}, a scheduler address or a distributed.Client, not {dask!r}",
            field="dask",
        )
    try:
        client = distributed.Client(dask, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as e:  # distributed's connect errors are OSErrors
        raise DataError(f"cannot reach the Dask scheduler at {dask!r}: {e}", field="dask") from None
    with client:
        yield client


def _on_dask(spec: FleetSpec, ranges: list[tuple[int, int]], dask: Any, progress: bool) -> FleetResult:
    simulate_fast(dataclasses.replace(spec, vms=min(spec.vms, WARM_VMS)))  # fills outcome_table()
    with _client(dask) as client:
        text = spec.to_json()
        [table] = client.scatter([outcome_table()], broadcast=True)
        futures = [client.submit(_part, text, r, table, pure=False) for r in ranges]
        done: Any = futures
        if progress:
            from distributed import as_completed  # noqa: PLC0415
            from tqdm.auto import tqdm  # noqa: PLC0415

            done = tqdm(as_completed(futures), total=len(futures), desc="fleet (dask)", unit="partition")  # type: ignore[no-untyped-call]
        for _ in done:  # wait (with the bar); the results are gathered in range order below
            pass
        parts = client.gather(futures)
    return combine(parts)


def simulate(
    spec: FleetSpec,
    *,
    mode: str = "fast",
    dask: Any = None,
    partitions: int | None = None,
    progress: bool = False,
) -> FleetResult:
    """Simulate ``spec`` in ``mode``, in this process or on Dask (see the module docstring).

    Args:
        spec: the fleet.
        mode: ``"fast"`` (default) or ``"exact"``.
        dask: None (this process), ``"local"``, a scheduler address, or a ``distributed.Client``.
        partitions: how many VM ranges (default: one in this process; on Dask, one per block). The
            tables do not depend on it.
        progress: show a ``tqdm.auto`` progress bar.

    Raises:
        DataError: a bad spec, mode, ``partitions`` or ``dask`` value, the exact mode with
            ``dask`` or ``partitions``, or an unreachable scheduler.
        MissingComponentError: ``dask`` given without the ``distributed`` package.
    """
    if not isinstance(spec, FleetSpec):
        raise DataError(f"spec must be a FleetSpec, not {type(spec).__name__}", field="spec")
    if mode not in MODES:
        raise DataError(f"mode must be one of {MODES}, not {mode!r}", field="mode")
    if mode == "exact":
        if dask is not None or partitions is not None:
            raise DataError(
                "the exact mode runs in this process (up to ~10k attestation rounds): "
                "use the fast mode with dask or partitions",
                field="dask" if dask is not None else "partitions",
            )
        return simulate_exact(spec, progress=progress)
    if partitions is None:  # on Dask one task per block, in this process one range
        partitions = -(-spec.vms // BLOCK) if dask is not None else 1
    ranges = partition_ranges(spec.vms, partitions)
    if dask is not None:
        return _on_dask(spec, ranges, dask, progress)
    if len(ranges) == 1:
        return simulate_fast(spec, progress=progress)
    return combine([simulate_fast(spec, vm_range=r, progress=progress) for r in ranges])
