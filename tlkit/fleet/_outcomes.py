"""The outcome table of the fast mode, computed by running the real pipeline once per key (private).

What it does: :class:`Pipeline` is what both modes run for one attestation round: the evidence of
a boot scenario (:func:`tlkit.boot.scenario_evidence` → :meth:`tlkit.attest.Evidence.from_files`;
no quote means no evidence), none during an extension outage, or a man-in-the-middle vTPM's answer
(:func:`tlkit.attest._cases.mitm_evidence`: the OS image's healthy log quoted by an attacker's vTPM
with its own AK), verified by :func:`tlkit.attest.verify` against the VM's baseline (the OS image's
healthy boot, updated with the log of the legitimate update the boot shows, when the baseline state
says it accepted it)
with the VM's AK as trust anchor, as :mod:`tlkit.attest._cases` sets up a simulated VM.

:class:`OutcomeTable` fills itself, key by key (:class:`tlkit.fleet._process.KeySpace`), on first
need: per key the verdict (``passed``, reasons, their distinct codes) from :class:`Pipeline`; per key
and Defender configuration class (:data:`~tlkit.fleet._process.CONFIG_CLASSES`) the alerts a round
raises, from :func:`tlkit.defender.assess` on a one-VM history of that round; per VM configuration
and last verdict the recommendations at the end. :func:`outcome_table` memoises one table per
process and scenario registry (:func:`clear_outcomes` forgets it). Nothing here is typed by hand:
change a scenario or the verifier and the table changes.

Simplification: the verdict of a round depends on its key only (the nonce always matches, and the
trust anchor is a trusted-AK list, so the time does not matter): the exact mode checks it round by
round, and the agreement tests compare the two.

What it does not do: draw, aggregate, or print.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from tlkit.errors import DataError
from tlkit.fleet._process import CONFIG_CLASSES, OS_NAMES, UPDATE_KINDS, KeySpace, key_space
from tlkit.fleet._spec import OS_IMAGES

__all__ = [
    "BOOT_SEED",
    "EPOCH",
    "OS_TYPE",
    "Alert",
    "OutcomeTable",
    "Pipeline",
    "VmConfigCode",
    "adopt_outcomes",
    "cause",
    "clear_outcomes",
    "outcome_table",
    "reason_codes",
]

#: The simulator seed every VM's image is built with: every VM of an image boots the same chain and
#: shares its simulated vTPM (a new seed costs seconds of key generation; VMs of one image measure
#: the same binaries anyway; what differs per VM is its nonces, events and baseline).
BOOT_SEED: Final = 0
#: Day 0, hour 0 of every simulation (fixed: the simulation is deterministic).
EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)
#: The Defender ``os_type`` of each OS image.
OS_TYPE: Final = {"ubuntu": "Linux", "windows": "Windows"}


def reason_codes(reasons: tuple[str, ...]) -> str:
    """The distinct codes of verifier reasons (``code:detail`` → ``code``), ``"; "``-joined."""
    return "; ".join(dict.fromkeys(r.split(":", 1)[0] for r in reasons))


def cause(codes: str) -> str:
    """An alert's cause: the distinct reason codes behind it (``code:detail`` → ``code``), ``+``-joined."""
    return "+".join(dict.fromkeys(c.split(":", 1)[0] for c in codes.split("; ") if c)) or "unknown"


# ------------------------------------------------------------------------------------ the pipeline
class Pipeline:
    """One attestation round through the real pipeline; boots, baselines and anchors memoised."""

    def __init__(self, space: KeySpace) -> None:
        self.space = space
        self.runs = 0

    @functools.cache  # noqa: B019 - one Pipeline per key space, kept for the process
    def baseline(self, os: str, bits: int, scenario: str) -> Any:
        """The OS image's healthy baseline, updated with the boot log of the update ``scenario``
        shows when the baseline state ``bits`` accepted it.

        Simplification: the boot simulator boots one change at a time, so a kernel update's boot
        does not also carry an earlier firmware or dbx update. A baseline that accepted those too
        would flag the simulated boot for lacking them (a dbx entry missing is a rollback to the
        verifier), which a real VM carrying every update would not show. So the baseline accepts
        the updates the shown boot carries: its own, when the state says it was accepted.
        """
        from tlkit.attest import Baseline  # noqa: PLC0415
        from tlkit.boot import run_scenario  # noqa: PLC0415

        image = OS_IMAGES[os]
        baseline = Baseline.from_log(run_scenario(image, BOOT_SEED).log, name=f"{image} (seed {BOOT_SEED})")
        o = OS_NAMES.index(os)
        for i, kind in enumerate(UPDATE_KINDS):
            update = self.space.scenarios[self.space.update_scenario[o, i]]
            if bits >> i & 1 and update == scenario and update != image:
                log = run_scenario(update, BOOT_SEED).log
                baseline = baseline.updated(log, reason=f"legitimate {kind}", at=EPOCH)
        return baseline

    @functools.cache  # noqa: B019
    def anchors(self, os: str) -> Any:
        from tlkit.attest import TrustAnchors  # noqa: PLC0415
        from tlkit.boot import run_scenario  # noqa: PLC0415
        from tlkit.tpm import load_public_key  # noqa: PLC0415

        return TrustAnchors(
            trusted_aks=(load_public_key(run_scenario(OS_IMAGES[os], BOOT_SEED).vtpm.ak_pem),)
        )

    def evidence(self, os: str, scenario: str, condition: str, nonce: bytes) -> Any:
        """The evidence the verifier receives (None: nothing arrives)."""
        from tlkit.attest import Evidence, NoQuoteError  # noqa: PLC0415
        from tlkit.attest._cases import mitm_evidence  # noqa: PLC0415
        from tlkit.boot import scenario_evidence  # noqa: PLC0415

        if condition == "outage":
            return None
        if condition == "mitm":
            return mitm_evidence(OS_IMAGES[os], BOOT_SEED, nonce)
        try:
            return Evidence.from_files(scenario_evidence(scenario, BOOT_SEED, nonce), source=scenario)
        except NoQuoteError:
            return None

    def verify(self, key: int, nonce: bytes, at: datetime) -> Any:
        """The :class:`~tlkit.attest.AttestationResult` of one round of ``key``."""
        from tlkit.attest import verify  # noqa: PLC0415

        os, scenario, bits, condition = self.space.decode(key)
        evidence = self.evidence(os, scenario, condition, nonce)
        self.runs += 1
        return verify(evidence, nonce, self.baseline(os, bits, scenario), anchors=self.anchors(os), at=at)


# ------------------------------------------------------------------------------------ Defender
@dataclass(frozen=True)
class Alert:
    """One alert a failed round raises: the Defender alert's name, severity, cause, suppression."""

    name: str
    severity: str
    cause: str
    suppressed: bool


@dataclass(frozen=True)
class VmConfigCode:
    """A VM's Defender configuration as a small integer (bits, see :meth:`encode`)."""

    os: int
    capable: bool
    trusted_launch: bool
    secure_boot: bool
    vtpm: bool
    extension: bool
    by_design: bool

    FIELDS = ("capable", "trusted_launch", "secure_boot", "vtpm", "extension", "by_design")

    @staticmethod
    def encode(os: NDArray[np.integer], flags: tuple[NDArray[np.bool_], ...]) -> NDArray[np.int64]:
        """``os | flag_i << (1 + i)`` for the flags in :attr:`FIELDS` order."""
        code = np.asarray(os, np.int64).copy()
        for i, flag in enumerate(flags):
            code |= np.asarray(flag, np.int64) << (1 + i)
        return code

    @classmethod
    def decode(cls, code: int) -> VmConfigCode:
        flags = [bool(code >> (1 + i) & 1) for i in range(len(cls.FIELDS))]
        return cls(code & 1, *flags)

    def vm_config(self, name: str) -> Any:
        from tlkit.defender import VmConfig  # noqa: PLC0415

        return VmConfig(
            name, OS_TYPE[OS_NAMES[self.os]], self.capable,
            "TrustedLaunch" if self.trusted_launch else "Standard",
            self.secure_boot, self.vtpm, guest_attestation=self.extension,
            secure_boot_off_by_design=self.by_design,
        )  # fmt: skip


#: The one VM of the outcome table's Defender histories.
_VM: Final = "vm"


def attested_config(os: str, config_class: int, name: str = _VM) -> Any:
    """The :class:`~tlkit.defender.VmConfig` of an attested VM of ``os`` in ``config_class``."""
    secure_boot, by_design = CONFIG_CLASSES[config_class]
    code = VmConfigCode(OS_NAMES.index(os), True, True, secure_boot, True, True, by_design)
    return code.vm_config(name)


# ------------------------------------------------------------------------------------ the table
def _nonce(key: int) -> bytes:
    return hashlib.sha256(f"tlkit.fleet outcome nonce/{key}".encode()).digest()[:20]


class OutcomeTable:
    """Verdicts and Defender findings per outcome key, filled on first need (see the module docstring).

    Attributes:
        space: the key space.
        known, passed: per key, computed yet; the verdict passed.
        reasons, codes: per key, the verifier's reasons and their distinct codes (``"; "``-joined).
        alerts: per ``key * len(CONFIG_CLASSES) + class``, the :class:`Alert` rows a round raises.
        unsuppressed: per ``key * len(CONFIG_CLASSES) + class``, a round raises an unsuppressed alert.
        pipeline: the :class:`Pipeline` it runs.
    """

    def __init__(self, space: KeySpace) -> None:
        self.space = space
        self.pipeline = Pipeline(space)
        self.known = np.zeros(space.size, bool)
        self.passed = np.zeros(space.size, bool)
        self.reasons: list[tuple[str, ...]] = [()] * space.size
        self.codes: list[str] = [""] * space.size
        self.alerts: list[tuple[Alert, ...]] = [()] * (space.size * len(CONFIG_CLASSES))
        self.unsuppressed = np.zeros(space.size * len(CONFIG_CLASSES), bool)
        self._recommendations: dict[tuple[int, int], tuple[tuple[str, str], ...]] = {}

    def ensure(self, keys: NDArray[np.integer]) -> None:
        """Compute every key of ``keys`` not computed yet."""
        keys = np.asarray(keys, np.int64)
        for key in np.unique(keys[~self.known[keys]]):
            self._compute(int(key))

    def _compute(self, key: int) -> None:
        result = self.pipeline.verify(key, _nonce(key), EPOCH)
        reasons = tuple(str(r) for r in result.reasons)
        self.passed[key] = bool(result.passed)
        self.reasons[key] = reasons
        self.codes[key] = "" if result.passed else reason_codes(reasons)
        if not result.passed:
            for c, alerts in enumerate(self._alerts(key)):
                self.alerts[key * len(CONFIG_CLASSES) + c] = alerts
                self.unsuppressed[key * len(CONFIG_CLASSES) + c] = any(not a.suppressed for a in alerts)
        self.known[key] = True

    def _alerts(self, key: int) -> list[tuple[Alert, ...]]:
        """Per configuration class, the alerts of one round of ``key``: one :func:`tlkit.defender.assess`
        over one VM per class, each with that round as its whole history."""
        from tlkit.defender import AttestationRecord, assess  # noqa: PLC0415

        os = self.space.decode(key)[0]
        names = [f"{_VM}-{c}" for c in range(len(CONFIG_CLASSES))]
        vms = [attested_config(os, c, name) for c, name in enumerate(names)]
        history = [AttestationRecord(n, EPOCH, bool(self.passed[key]), self.reasons[key]) for n in names]
        found = assess(vms, history, at=EPOCH)
        found = found[found["kind"] == "alert"]
        return [
            tuple(
                Alert(str(r.name), str(r.severity), cause(str(r.codes)), bool(r.suppressed))
                for r in found[found["vm"] == name].itertuples(index=False)
            )
            for name in names
        ]

    def adopt(self, other: OutcomeTable) -> int:
        """Take the keys and recommendations ``other`` (a table of the same key space, e.g. one a Dask
        client computed and shipped to a worker) has computed and this one has not; returns how many
        keys were taken. The verdicts are the pipeline's either way: this only spares recomputing them.

        Raises:
            DataError: ``other`` is not an :class:`OutcomeTable` of the same key space.
        """
        if not isinstance(other, OutcomeTable) or not _same_space(other.space, self.space):
            raise DataError("an outcome table can only adopt a table of the same key space", field="outcomes")
        n = len(CONFIG_CLASSES)
        new = np.flatnonzero(other.known & ~self.known)
        for key in new.tolist():
            self.passed[key] = other.passed[key]
            self.reasons[key] = other.reasons[key]
            self.codes[key] = other.codes[key]
            self.alerts[key * n : (key + 1) * n] = other.alerts[key * n : (key + 1) * n]
            self.unsuppressed[key * n : (key + 1) * n] = other.unsuppressed[key * n : (key + 1) * n]
            self.known[key] = True
        for memo, found in other._recommendations.items():
            self._recommendations.setdefault(memo, found)
        return len(new)

    def recommendations(self, config: int, last_key: int) -> tuple[tuple[str, str], ...]:
        """``(name, severity)`` of every recommendation a VM of configuration code ``config``
        (:class:`VmConfigCode`) whose last round had ``last_key`` (-1: never attested) gets."""
        memo = (config, last_key)
        if memo not in self._recommendations:
            self._recommendations[memo] = self._compute_recommendations(config, last_key)
        return self._recommendations[memo]

    def _compute_recommendations(self, config: int, last_key: int) -> tuple[tuple[str, str], ...]:
        from tlkit.defender import AttestationRecord, assess  # noqa: PLC0415

        history = []
        if last_key >= 0:
            self.ensure(np.array([last_key]))
            history.append(AttestationRecord(_VM, EPOCH, bool(self.passed[last_key]), self.reasons[last_key]))
        found = assess([VmConfigCode.decode(config).vm_config(_VM)], history, at=EPOCH)
        found = found[found["kind"] == "recommendation"]
        return tuple((str(r.name), str(r.severity)) for r in found.itertuples(index=False))


@functools.lru_cache(maxsize=4)
def _table(space: KeySpace) -> OutcomeTable:
    return OutcomeTable(space)


def outcome_table(space: KeySpace | None = None) -> OutcomeTable:
    """The process's outcome table for ``space`` (default: the scenarios :mod:`tlkit.boot` has now)."""
    return _table(key_space() if space is None else space)


def _same_space(a: KeySpace, b: KeySpace) -> bool:
    """The same keys (key spaces compare by identity; one shipped from another process is a copy)."""
    return (
        a.scenarios == b.scenarios
        and np.array_equal(a.rule_scenario, b.rule_scenario)
        and np.array_equal(a.update_scenario, b.update_scenario)
    )


def adopt_outcomes(table: OutcomeTable) -> int:
    """Merge ``table``'s computed keys into this process's table (:func:`outcome_table`, the key space
    of the scenarios :mod:`tlkit.boot` has here) with :meth:`OutcomeTable.adopt`; returns how many keys
    were new here.

    Raises:
        DataError: ``table`` is of another key space (e.g. shipped from a tlkit with other scenarios).
    """
    return outcome_table().adopt(table)


def clear_outcomes() -> None:
    """Forget every memoised outcome table (the next use recomputes from the pipeline)."""
    _table.cache_clear()
