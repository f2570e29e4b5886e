"""Baselines (reference states): what a known-good boot of a VM measured, versioned, with history.

A :class:`Baseline` holds

* **golden PCR values** per bank (``{bank: {pcr: value}}``, may be empty): the Azure Trusted Launch
  shape with no firmware log, where the quoted PCRs are all there is (:meth:`Baseline.from_pcrs`,
  e.g. from a known-good VM's quote);
* **allowed event digests per PCR and kind** (``{pcr: {kind: {digest: label}}}``, kinds of
  :mod:`tlkit.attest._kinds`): the EFI applications on PCR 4 (shim, boot loaders, kernels by
  Authenticode digest), kernel command lines and GRUB commands on PCR 8, files on PCR 9, the PK, KEK,
  db and dbx variables on PCR 7 (the dbx *version* is its variable's digest)...; ``accept_any`` names
  kinds a PCR may hold with any digest (what keylime's example policy accepts without reference data);
* the **Secure Boot keys** as logged (owner GUID and data of each PK/KEK/db/dbx entry), the ordered
  **platform** (S-CRTM + firmware volumes) and **kernel chains** (shim, GRUB, kernel, initrd, command
  line) of each known-good boot — what keylime's measured-boot reference state needs
  (:mod:`tlkit.attest._keylime` exports and imports it);
* **requirements** (``require_secure_boot``) and a **history** of :class:`BaselineChange` entries.

It is built from a known-good boot (:meth:`Baseline.from_log`: digests from its events, golden PCRs
from its replay) or from PCR values, updated with a legitimate change (:meth:`Baseline.updated`, a
new object: a baseline never mutates), and stored as versioned JSON (``{"format": "tlkit-baseline",
"version": 1, ...}``, :meth:`Baseline.to_json` / :meth:`Baseline.from_json`, an exact round trip).

What it does not do: judge evidence (:func:`tlkit.attest._baseline_check.check_baseline` does, on
verified evidence only), verify quotes or replay logs against them (the verifier does), or decide
that a log *is* known-good: :meth:`Baseline.from_log` trusts the log it is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from tlkit.attest import _baseline_json as bjson
from tlkit.attest._baseline_parts import (
    BASELINE_FORMAT,
    BASELINE_VERSION,
    SIGNATURE_DATABASES,
    BaselineChange,
    KernelChain,
    PlatformChain,
    SignatureEntry,
)
from tlkit.attest._kinds import event_kind
from tlkit.errors import DataError
from tlkit.eventlog import EventLog, EventType, TextEvent, UefiVariable, secure_boot_state
from tlkit.eventlog._guid import guid_str

__all__ = [
    "BASELINE_FORMAT",
    "BASELINE_VERSION",
    "Baseline",
    "BaselineChange",
    "KernelChain",
    "PlatformChain",
    "SignatureEntry",
]

_LABEL_MAX = 160
_NO_ACTION = int(EventType.EV_NO_ACTION)

Allowed = Mapping[int, Mapping[str, Mapping[bytes, str]]]


def _freeze_allowed(allowed: Allowed) -> Allowed:
    return MappingProxyType(
        {
            p: MappingProxyType(
                {k: MappingProxyType(dict(sorted(d.items()))) for k, d in sorted(kinds.items())}
            )
            for p, kinds in sorted(allowed.items())
        }
    )


@dataclass(frozen=True)
class Baseline:
    """A reference state for one VM (or an image of them); see the module docstring.

    Attributes:
        name: what it is the baseline of.
        bank: the bank of the allowed digests and chains (the events are judged in it).
        golden_pcrs: ``{bank: {pcr: value}}``, may be empty.
        allowed: ``{pcr: {kind: {digest: label}}}``, the allowed event digests per PCR and kind.
        accept_any: ``{pcr: kinds}`` a PCR may hold with any digest.
        signatures: ``{"pk"|"kek"|"db"|"dbx"|"vendor_db": entries}`` as the known-good log held them.
        platforms, kernels: the known-good boot chains, for keylime's reference state.
        require_secure_boot: Secure Boot must be on.
        history: every change since it was built, oldest first.
    """

    name: str
    bank: str = "sha256"
    golden_pcrs: Mapping[str, Mapping[int, bytes]] = field(default_factory=dict)
    allowed: Allowed = field(default_factory=dict)
    accept_any: Mapping[int, frozenset[str]] = field(default_factory=dict)
    signatures: Mapping[str, tuple[SignatureEntry, ...]] = field(default_factory=dict, repr=False)
    platforms: tuple[PlatformChain, ...] = field(default=(), repr=False)
    kernels: tuple[KernelChain, ...] = field(default=(), repr=False)
    require_secure_boot: bool = False
    history: tuple[BaselineChange, ...] = ()

    def __post_init__(self) -> None:
        bjson.check_baseline_fields(self)
        # one canonical, read-only form, whatever mappings were given (equality and JSON rely on it)
        golden = {b: MappingProxyType(dict(sorted(v.items()))) for b, v in sorted(self.golden_pcrs.items())}
        object.__setattr__(self, "golden_pcrs", MappingProxyType(golden))
        object.__setattr__(self, "allowed", _freeze_allowed(self.allowed))
        accept = {p: frozenset(k) for p, k in sorted(self.accept_any.items()) if k}
        object.__setattr__(self, "accept_any", MappingProxyType(accept))
        sigs = {n: tuple(self.signatures[n]) for n in SIGNATURE_DATABASES if n in self.signatures}
        object.__setattr__(self, "signatures", MappingProxyType(sigs))

    # ------------------------------------------------------------------ questions
    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of :meth:`to_json`: equal for equal baselines, different when any field
        differs (the identity a verifier's log-analysis memo keys on; computed once, the baseline
        being immutable)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @property
    def event_pcrs(self) -> frozenset[int]:
        """The PCRs whose events the baseline judges (it lists allowed digests or kinds for them)."""
        return frozenset(self.allowed) | frozenset(self.accept_any)

    def allows(self, pcr: int, kind: str, digest: bytes | None) -> bool:
        """Rule: an event of ``kind`` on ``pcr`` is allowed when the kind is accepted with any digest
        there, or its digest is in the allowed list of that PCR and kind."""
        if kind in self.accept_any.get(pcr, frozenset()):
            return True
        return digest is not None and digest in self.allowed.get(pcr, {}).get(kind, {})

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_log(
        cls,
        log: EventLog,
        *,
        name: str,
        bank: str = "sha256",
        require_secure_boot: bool | None = None,
    ) -> Baseline:
        """The baseline of a known-good boot: every event digest of ``bank`` allowed on its PCR and
        kind, golden PCRs from the log's replay (every bank it can replay), the Secure Boot keys and
        the boot chains it shows.

        ``require_secure_boot`` defaults to what the log says (Secure Boot on). The log is trusted
        as given: build baselines from boots you know are good (and whose log replayed to a quote).

        Raises:
            DataError: the log has no ``bank`` digests, or ``require_secure_boot=True`` for a log
                whose Secure Boot is not on.
        """
        if bank not in log.banks:
            raise DataError(
                f"the log carries no {bank} digests (banks: {', '.join(log.banks)})", field="bank"
            )
        state = secure_boot_state(log)
        if require_secure_boot is None:
            require_secure_boot = state.enabled is True
        elif require_secure_boot and state.enabled is not True:
            raise DataError("require_secure_boot=True, but this log's Secure Boot is not on", field="log")
        return cls(
            name=name,
            bank=bank,
            golden_pcrs=log.replay_all(),
            allowed=_allowed_of(log, bank),
            signatures=_signatures_of(log),
            platforms=_platforms_of(log, bank),
            kernels=_kernels_of(log, bank, secure_boot=state.enabled is True),
            require_secure_boot=require_secure_boot,
        )

    @classmethod
    def from_pcrs(
        cls,
        values: Mapping[int, bytes] | Mapping[str, Mapping[int, bytes]],
        *,
        name: str,
        bank: str = "sha256",
        require_secure_boot: bool = False,
    ) -> Baseline:
        """A golden-PCR baseline (no log: the Azure Trusted Launch shape), e.g. from a known-good VM's
        quoted PCRs: ``{pcr: value}`` for ``bank``, or ``{bank: {pcr: value}}``.

        ``require_secure_boot=True`` asserts that those values come from a boot with Secure Boot on:
        the golden PCR 7 is then the known Secure-Boot-on value a check without a log compares with.

        Raises:
            DataError: malformed values (wrong size for the bank, PCR out of range).
        """
        return cls(
            name=name, bank=bank, golden_pcrs=_by_bank(values, bank), require_secure_boot=require_secure_boot
        )

    def updated(
        self,
        new: EventLog | Mapping[int, bytes] | Mapping[str, Mapping[int, bytes]],
        *,
        reason: str,
        at: datetime,
    ) -> Baseline:
        """A new baseline that also allows a legitimate change (a kernel update, a dbx update...).

        From a log: its event digests, keys and chains are *added*; the golden PCRs become its
        replay (a PCR holds one value). From PCR values: the golden PCRs of the banks given are
        replaced. The change (what was added and removed) is appended to :attr:`history`; this
        baseline is not changed.

        Raises:
            DataError: ``at`` without a time zone, an empty ``reason``, or malformed values.
        """
        if isinstance(new, EventLog):
            other = Baseline.from_log(new, name=self.name, bank=self.bank, require_secure_boot=False)
            merged = replace(
                self,
                golden_pcrs=_merge_golden(self.golden_pcrs, other.golden_pcrs),
                allowed=_merge_allowed(self.allowed, other.allowed),
                signatures={
                    n: _union(self.signatures.get(n, ()), other.signatures.get(n, ()))
                    for n in SIGNATURE_DATABASES
                    if n in self.signatures or n in other.signatures
                },
                platforms=_union(self.platforms, other.platforms),
                kernels=_union(self.kernels, other.kernels),
            )
        else:
            merged = replace(self, golden_pcrs=_merge_golden(self.golden_pcrs, _by_bank(new, self.bank)))
        added, removed = bjson.difference(self, merged)
        change = BaselineChange(at, reason, added, removed)
        bjson.check_change(change, "history[new]")
        return replace(merged, history=(*self.history, change))

    # ------------------------------------------------------------------ JSON (keylime: tlkit.attest._keylime)
    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``{"format": "tlkit-baseline", "version": 1, ...}``)."""
        return bjson.baseline_to_dict(self)

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text (stable: the same baseline gives the same text)."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, doc: object) -> Baseline:
        """Read a baseline document.

        Raises:
            DataError: a wrong format or version, or a malformed field (the error names it, e.g.
                ``allowed.4.application``).
        """
        return bjson.baseline_from_dict(cls, doc)

    @classmethod
    def from_json(cls, text: str | bytes) -> Baseline:
        """:meth:`from_dict` of JSON text. Raises :class:`DataError` for text that is not JSON."""
        return cls.from_dict(bjson.load_json(text))


# ---------------------------------------------------------------------------------------- builders
def _by_bank(values: Mapping[Any, Any], bank: str) -> dict[str, Mapping[int, bytes]]:
    if not isinstance(values, Mapping):
        raise DataError("PCR values must be a mapping", field="values")
    if values and all(isinstance(k, str) for k in values):
        return {str(b): v for b, v in values.items()}
    return {bank: values}


def _merge_golden(
    old: Mapping[str, Mapping[int, bytes]], new: Mapping[str, Mapping[int, bytes]]
) -> dict[str, dict[int, bytes]]:
    """``old`` with the values of ``new`` in their place (PCR by PCR, bank by bank)."""
    out = {b: dict(v) for b, v in old.items()}
    for b, v in new.items():
        if not isinstance(v, Mapping):
            raise DataError("PCR values of a bank must be a mapping {pcr: value}", field=f"values.{b}")
        out.setdefault(b, {}).update(v)
    return out


def _label(text: str) -> str:
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1] + "…"


def _allowed_of(log: EventLog, bank: str) -> dict[int, dict[str, dict[bytes, str]]]:
    out: dict[int, dict[str, dict[bytes, str]]] = {}
    for e in log:
        d = e.digest(bank)
        if e.event_type == _NO_ACTION or d is None:
            continue
        out.setdefault(e.pcr, {}).setdefault(event_kind(e), {}).setdefault(d, _label(e.description))
    return out


def _merge_allowed(a: Allowed, b: Allowed) -> dict[int, dict[str, dict[bytes, str]]]:
    out: dict[int, dict[str, dict[bytes, str]]] = {
        p: {k: dict(d) for k, d in ks.items()} for p, ks in a.items()
    }
    for p, ks in b.items():
        for k, d in ks.items():
            target = out.setdefault(p, {}).setdefault(k, {})
            for digest, label in d.items():
                target.setdefault(digest, label)
    return out


def _union(a: Sequence[Any], b: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys((*a, *b)))


def _signatures_of(log: EventLog) -> dict[str, tuple[SignatureEntry, ...]]:
    """The PK/KEK/db/dbx entries as logged (keylime's ``get_keys``) and shim's vendor_db authorities."""
    state = secure_boot_state(log)
    out: dict[str, tuple[SignatureEntry, ...]] = {}
    for name, db in (("pk", state.pk), ("kek", state.kek), ("db", state.db), ("dbx", state.dbx)):
        if db is not None:
            out[name] = tuple(SignatureEntry(o, d) for sl in db.lists for o, d in sl.entries)
    vendor = []
    for e in log:
        p = e.payload
        authority = e.event_type == EventType.EV_EFI_VARIABLE_AUTHORITY and isinstance(p, UefiVariable)
        if authority and isinstance(p, UefiVariable) and p.name == "vendor_db" and len(p.data) > 16:
            vendor.append(SignatureEntry(guid_str(p.data[:16]), p.data[16:]))
    if vendor:
        out["vendor_db"] = tuple(vendor)
    return out


def _platforms_of(log: EventLog, bank: str) -> tuple[PlatformChain, ...]:
    scrtm = [e.digest(bank) for e in log if e.pcr == 0 and event_kind(e) == "scrtm"]
    fw = tuple(d for e in log if e.pcr == 0 and event_kind(e) == "firmware" for d in [e.digest(bank)] if d)
    if not scrtm and not fw:
        return ()
    return (PlatformChain(scrtm[0] if scrtm else None, fw),)


def _first(log: EventLog, pcr: int, kind: str, bank: str) -> tuple[bytes | None, str | None]:
    for e in log:
        if e.pcr == pcr and event_kind(e) == kind:
            p = e.payload
            return e.digest(bank), p.text if isinstance(p, TextEvent) else None
    return None, None


_CMDLINE_PREFIX = "kernel_cmdline: "


def _kernels_of(log: EventLog, bank: str, *, secure_boot: bool) -> tuple[KernelChain, ...]:
    """The shim → GRUB → kernel chain the way keylime's create_mb_refstate reads it: the PCR 4
    applications in order (firmware applications left out), the first initrd and kernel image GRUB
    read (PCR 9) and the first kernel command line (PCR 8). No chain when fewer than two
    applications (three with Secure Boot on) were loaded: not a shim + GRUB boot."""
    apps = [d for e in log if e.pcr == 4 and event_kind(e) == "application" for d in [e.digest(bank)] if d]
    if len(apps) < (3 if secure_boot else 2):
        return ()
    initrd, _ = _first(log, 9, "initrd-file", bank)
    vmlinuz, _ = _first(log, 9, "kernel-file", bank)
    _, text = _first(log, 8, "kernel-cmdline", bank)
    cmdline = text[len(_CMDLINE_PREFIX) :] if text is not None and text.startswith(_CMDLINE_PREFIX) else None
    return (KernelChain(apps[0], apps[1], apps[2] if len(apps) > 2 else None, initrd, vmlinuz, cmdline),)
