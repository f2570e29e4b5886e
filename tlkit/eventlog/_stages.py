"""The log cut into boot stages: a reading aid for the order in which boot components ran.

A stage starts at every EV_EFI_BOOT_SERVICES_APPLICATION (an EFI application load, PC Client PFP
1.06, 10.4.4 / 3.3.4.5) and at the PCR 5 "Exit Boot Services Invocation" EV_EFI_ACTION
(10.4.4, "UEFI ExitBootServices"); everything before the first application is ``firmware``. The cut
is a heuristic on the unverified event types, not a claim about what ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tlkit.eventlog._payloads import ImageLoad
from tlkit.eventlog._quirks import EBS_INVOCATION
from tlkit.eventlog._types import EventType as T

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pandas as pd

    from tlkit.eventlog._model import EventLog

__all__ = ["BootStage", "BootStages", "boot_stages"]

_EBS = EBS_INVOCATION.encode()
_COLUMNS = ["stage", "first", "last", "events", "pcrs"]


@dataclass(frozen=True)
class BootStage:
    """One stage: its name, the first and last event index (inclusive), the number of events and
    the sorted PCRs its events extend (EV_NO_ACTION is not an extend)."""

    stage: str
    first: int
    last: int
    events: int
    pcrs: tuple[int, ...]


@dataclass(frozen=True)
class BootStages:
    """The stages of a log, in order (iterable, indexable); :meth:`to_rows` / :meth:`to_frame`."""

    stages: tuple[BootStage, ...]

    def __iter__(self) -> Iterator[BootStage]:
        return iter(self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __getitem__(self, i: int) -> BootStage:
        return self.stages[i]

    def to_rows(self) -> list[dict[str, Any]]:
        """One record per stage: ``stage``, ``first``, ``last``, ``events``, ``pcrs``."""
        return [{c: getattr(s, c) for c in _COLUMNS} for s in self.stages]

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_rows` as a DataFrame with those columns."""
        import pandas as pd  # noqa: PLC0415 - pandas is only needed for tables

        return pd.DataFrame(self.to_rows(), columns=_COLUMNS)


def _image_name(log: EventLog, index: int) -> str:
    payload = log[index].payload
    text = payload.device_path.text if isinstance(payload, ImageLoad) else ""
    name = text.replace("\\", "/").rsplit("/", 1)[-1] if text else ""
    return name if name and "(" not in name else f"image #{index}"


def boot_stages(log: EventLog) -> BootStages:
    """The log cut into stages (module rules): ``firmware`` up to the first EFI application load, one
    stage per EV_EFI_BOOT_SERVICES_APPLICATION (named after its file, e.g. ``shimx64.efi``, or
    ``image #N`` when its device path names no file), and ``ExitBootServices`` from the "Exit Boot
    Services Invocation" action on. The stages cover every event exactly once."""
    starts: list[tuple[int, str]] = [(0, "firmware")]
    for e in log:
        if e.event_type == T.EV_EFI_BOOT_SERVICES_APPLICATION:
            starts.append((e.index, _image_name(log, e.index)))
        elif e.event_type == T.EV_EFI_ACTION and e.data.rstrip(b"\x00") == _EBS:
            starts.append((e.index, "ExitBootServices"))
    if len(starts) > 1 and starts[1][0] == 0:
        starts.pop(0)
    out = []
    for k, (first, name) in enumerate(starts):
        last = starts[k + 1][0] - 1 if k + 1 < len(starts) else len(log) - 1
        pcrs = tuple(sorted({e.pcr for e in log[first : last + 1] if e.event_type != T.EV_NO_ACTION}))
        out.append(BootStage(name, first, last, last - first + 1, pcrs))
    return BootStages(tuple(out))
