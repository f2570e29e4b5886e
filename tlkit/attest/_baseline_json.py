"""The versioned JSON form of a :class:`~tlkit.attest._baseline.Baseline`, and the checks of its fields.

Document (version 1; hex is lowercase, PCR indices are decimal strings)::

    {"format": "tlkit-baseline", "version": 1, "name": "...", "bank": "sha256",
     "golden_pcrs": {"sha256": {"0": "<hex>", ...}},
     "allowed": {"4": {"application": {"<hex>": "<label>", ...}, ...}, ...},
     "accept_any": {"1": ["EV_EFI_VARIABLE_BOOT", ...]},
     "signatures": {"pk": [{"owner": "<guid>", "data": "<hex>"}], "kek": [...], "db": [...], "dbx": [...]},
     "platforms": [{"scrtm": "<hex>"|null, "firmware": ["<hex>", ...]}],
     "kernels": [{"shim": "<hex>", "grub": "<hex>", "kernel": "<hex>"|null, "initrd": ..., "vmlinuz": ...,
                  "kernel_cmdline": "<text>"|null}],
     "requirements": {"require_secure_boot": true},
     "history": [{"at": "<ISO 8601 with offset>", "reason": "...", "added": [...], "removed": [...]}]}

Every field is checked and a bad one raises :class:`tlkit.errors.DataError` naming it (e.g.
``allowed.4.application``); unknown fields are refused, never dropped. This module holds no rules
about evidence.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tlkit.attest._baseline_parts import (
    BASELINE_FORMAT,
    BASELINE_VERSION,
    SIGNATURE_DATABASES,
    BaselineChange,
    KernelChain,
    PlatformChain,
    SignatureEntry,
)
from tlkit.errors import DataError, TlkitError
from tlkit.tpm import hash_alg

if TYPE_CHECKING:
    from tlkit.attest._baseline import Baseline

__all__ = [
    "baseline_from_dict",
    "baseline_to_dict",
    "check_baseline_fields",
    "check_change",
    "difference",
    "load_json",
]

MAX_PCR = 31
_TOP = (
    "format", "version", "name", "bank", "golden_pcrs", "allowed", "accept_any", "signatures",
    "platforms", "kernels", "requirements", "history",
)  # fmt: skip
_B = TypeVar("_B", bound="Baseline")


# ------------------------------------------------------------------------------- field checks
def _digest_size(bank: object, where: str) -> int:
    if not isinstance(bank, str):
        raise DataError(f"a bank name must be a string, not {bank!r}", field=where)
    try:
        return hash_alg(bank).digest_size
    except TlkitError as e:
        raise DataError(f"unknown bank {bank!r} ({e})", field=where) from None


def _pcr(p: object, where: str) -> None:
    if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= MAX_PCR:
        raise DataError(f"a PCR index is an integer from 0 to {MAX_PCR}, not {p!r}", field=where)


def _digest(d: object, size: int, where: str) -> None:
    if not isinstance(d, bytes) or len(d) != size:
        raise DataError(f"expected a digest of {size} bytes, not {d!r}", field=where)


def _text(s: object, where: str, *, empty: bool = False) -> None:
    if not isinstance(s, str) or (not s and not empty):
        raise DataError(f"expected {'a' if empty else 'a non-empty'} string, not {s!r}", field=where)


def _mapping(m: object, where: str) -> Mapping[Any, Any]:
    if not isinstance(m, Mapping):
        raise DataError(f"expected a mapping, not {type(m).__name__}", field=where)
    return m


def _check_golden(golden: object) -> None:
    for bank, values in _mapping(golden, "golden_pcrs").items():
        size = _digest_size(bank, "golden_pcrs")
        for p, v in _mapping(values, f"golden_pcrs.{bank}").items():
            _pcr(p, f"golden_pcrs.{bank}")
            _digest(v, size, f"golden_pcrs.{bank}.{p}")


def _check_allowed(allowed: object, size: int) -> None:
    for p, kinds in _mapping(allowed, "allowed").items():
        _pcr(p, "allowed")
        for kind, digests in _mapping(kinds, f"allowed.{p}").items():
            _text(kind, f"allowed.{p}")
            for d, label in _mapping(digests, f"allowed.{p}.{kind}").items():
                _digest(d, size, f"allowed.{p}.{kind}")
                _text(label, f"allowed.{p}.{kind}.{d.hex()}", empty=True)


def _check_accept_any(accept: object) -> None:
    for p, kinds in _mapping(accept, "accept_any").items():
        _pcr(p, "accept_any")
        if isinstance(kinds, str | bytes) or not isinstance(kinds, Iterable):
            raise DataError("expected a set of kind names", field=f"accept_any.{p}")
        for k in kinds:
            _text(k, f"accept_any.{p}")


def _check_signatures(sigs: object) -> None:

    for name, entries in _mapping(sigs, "signatures").items():
        if name not in SIGNATURE_DATABASES:
            raise DataError(
                f"unknown database {name!r} (known: {', '.join(SIGNATURE_DATABASES)})", field="signatures"
            )
        for i, s in enumerate(entries if isinstance(entries, tuple | list) else [entries]):
            where = f"signatures.{name}[{i}]"
            if not isinstance(s, SignatureEntry) or not isinstance(s.data, bytes):
                raise DataError("expected a SignatureEntry (owner GUID, data bytes)", field=where)
            _guid(s.owner, f"{where}.owner")


def _guid(text: object, where: str) -> None:
    try:
        if not isinstance(text, str) or str(uuid.UUID(text)) != text:
            raise ValueError
    except ValueError:
        raise DataError(f"expected a lowercase GUID, not {text!r}", field=where) from None


def _check_chains(b: Baseline, size: int) -> None:

    for i, pc in enumerate(b.platforms):
        if not isinstance(pc, PlatformChain):
            raise DataError("expected a PlatformChain", field=f"platforms[{i}]")
        if pc.scrtm is not None:
            _digest(pc.scrtm, size, f"platforms[{i}].scrtm")
        for j, d in enumerate(pc.firmware):
            _digest(d, size, f"platforms[{i}].firmware[{j}]")
    for i, kc in enumerate(b.kernels):
        if not isinstance(kc, KernelChain):
            raise DataError("expected a KernelChain", field=f"kernels[{i}]")
        for name in ("shim", "grub", "kernel", "initrd", "vmlinuz"):
            d = getattr(kc, name)
            if d is not None or name in ("shim", "grub"):
                _digest(d, size, f"kernels[{i}].{name}")
        if kc.kernel_cmdline is not None:
            _text(kc.kernel_cmdline, f"kernels[{i}].kernel_cmdline", empty=True)


def check_change(c: object, where: str) -> None:
    """Check one history entry (a :class:`BaselineChange` with a time zone and a reason)."""

    if not isinstance(c, BaselineChange):
        raise DataError("expected a BaselineChange", field=where)
    if not isinstance(c.at, datetime) or c.at.utcoffset() is None:
        raise DataError(f"'at' must be a datetime with a time zone, not {c.at!r}", field=f"{where}.at")
    _text(c.reason, f"{where}.reason")
    for name in ("added", "removed"):
        items = getattr(c, name)
        if not isinstance(items, tuple):
            raise DataError("expected a tuple of strings", field=f"{where}.{name}")
        for s in items:
            _text(s, f"{where}.{name}")


def check_baseline_fields(b: Baseline) -> None:
    """Check every field of a baseline being built (raises :class:`DataError` naming the field)."""
    _text(b.name, "name")
    size = _digest_size(b.bank, "bank")
    _check_golden(b.golden_pcrs)
    _check_allowed(b.allowed, size)
    _check_accept_any(b.accept_any)
    _check_signatures(b.signatures)
    if not isinstance(b.platforms, tuple) or not isinstance(b.kernels, tuple):
        raise DataError("platforms and kernels must be tuples", field="platforms")
    _check_chains(b, size)
    if not isinstance(b.require_secure_boot, bool):
        raise DataError("expected true or false", field="requirements.require_secure_boot")
    if not isinstance(b.history, tuple):
        raise DataError("expected a tuple of BaselineChange", field="history")
    for i, c in enumerate(b.history):
        check_change(c, f"history[{i}]")


# ------------------------------------------------------------------------------- to JSON
def _hex(d: bytes | None) -> str | None:
    return None if d is None else d.hex()


def baseline_to_dict(b: Baseline) -> dict[str, Any]:
    """The version-1 document of ``b`` (module docstring)."""

    return {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "name": b.name,
        "bank": b.bank,
        "golden_pcrs": {
            bank: {str(p): v.hex() for p, v in vals.items()} for bank, vals in b.golden_pcrs.items()
        },
        "allowed": {
            str(p): {k: {d.hex(): label for d, label in ds.items()} for k, ds in kinds.items()}
            for p, kinds in b.allowed.items()
        },
        "accept_any": {str(p): sorted(ks) for p, ks in b.accept_any.items()},
        "signatures": {
            n: [{"owner": s.owner, "data": s.data.hex()} for s in es] for n, es in b.signatures.items()
        },
        "platforms": [
            {"scrtm": _hex(pc.scrtm), "firmware": [d.hex() for d in pc.firmware]} for pc in b.platforms
        ],
        "kernels": [
            {
                "shim": kc.shim.hex(),
                "grub": kc.grub.hex(),
                "kernel": _hex(kc.kernel),
                "initrd": _hex(kc.initrd),
                "vmlinuz": _hex(kc.vmlinuz),
                "kernel_cmdline": kc.kernel_cmdline,
            }
            for kc in b.kernels
        ],
        "requirements": {"require_secure_boot": b.require_secure_boot},
        "history": [history_entry(c) for c in b.history],
    }


# ------------------------------------------------------------------------------- from JSON
def load_json(text: str | bytes) -> object:
    """``json.loads``, with every failure a :class:`DataError`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError, TypeError) as e:
        raise DataError(f"not a JSON document: {e}", field="document") from None


def _obj(x: object, where: str, keys: Iterable[str] | None = None) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise DataError(f"expected an object, not {type(x).__name__}", field=where)
    if keys is not None:
        extra = sorted(set(x) - set(keys))
        if extra:
            raise DataError(f"unknown field(s) {', '.join(map(repr, extra))}", field=where)
        missing = [k for k in keys if k not in x]
        if missing:
            raise DataError(f"missing field(s) {', '.join(map(repr, missing))}", field=where)
    return x


def _list(x: object, where: str) -> list[Any]:
    if not isinstance(x, list):
        raise DataError(f"expected a list, not {type(x).__name__}", field=where)
    return x


def _bytes(x: object, where: str) -> bytes:
    if not isinstance(x, str) or x != x.lower():
        raise DataError(f"expected lowercase hex, not {x!r}", field=where)
    try:
        return bytes.fromhex(x)
    except ValueError:
        raise DataError(f"expected lowercase hex, not {x!r}", field=where) from None


def _opt_bytes(x: object, where: str) -> bytes | None:
    return None if x is None else _bytes(x, where)


def _pcr_key(k: str, where: str) -> int:
    if not (k.isascii() and k.isdigit()) or str(int(k)) != k:
        raise DataError(f"a PCR index is a decimal string, not {k!r}", field=where)
    return int(k)


def _str(x: object, where: str) -> str:
    if not isinstance(x, str):
        raise DataError(f"expected a string, not {type(x).__name__}", field=where)
    return x


def _items(x: object, where: str, read: Callable[[Any, str], Any]) -> tuple[Any, ...]:
    return tuple(read(v, f"{where}[{i}]") for i, v in enumerate(_list(x, where)))


def _signature(x: object, where: str) -> Any:

    o = _obj(x, where, ("owner", "data"))
    return SignatureEntry(_str(o["owner"], f"{where}.owner"), _bytes(o["data"], f"{where}.data"))


def _platform(x: object, where: str) -> Any:

    o = _obj(x, where, ("scrtm", "firmware"))
    return PlatformChain(
        _opt_bytes(o["scrtm"], f"{where}.scrtm"), _items(o["firmware"], f"{where}.firmware", _bytes)
    )


_KERNEL_FIELDS = ("shim", "grub", "kernel", "initrd", "vmlinuz", "kernel_cmdline")


def _kernel(x: object, where: str) -> Any:

    o = _obj(x, where, _KERNEL_FIELDS)
    cmd = o["kernel_cmdline"]
    kernel, initrd, vmlinuz = (_opt_bytes(o[n], f"{where}.{n}") for n in ("kernel", "initrd", "vmlinuz"))
    return KernelChain(
        _bytes(o["shim"], f"{where}.shim"),
        _bytes(o["grub"], f"{where}.grub"),
        kernel,
        initrd,
        vmlinuz,
        None if cmd is None else _str(cmd, f"{where}.kernel_cmdline"),
    )


def _change(x: object, where: str) -> Any:

    o = _obj(x, where, ("at", "reason", "added", "removed"))
    try:
        at = datetime.fromisoformat(_str(o["at"], f"{where}.at"))
    except ValueError:
        raise DataError(f"not an ISO 8601 time: {o['at']!r}", field=f"{where}.at") from None
    return BaselineChange(
        at,
        _str(o["reason"], f"{where}.reason"),
        _items(o["added"], f"{where}.added", _str),
        _items(o["removed"], f"{where}.removed", _str),
    )


def _golden_from(x: object) -> dict[str, dict[int, bytes]]:
    return {
        bank: {
            _pcr_key(p, f"golden_pcrs.{bank}"): _bytes(v, f"golden_pcrs.{bank}.{p}")
            for p, v in _obj(vals, f"golden_pcrs.{bank}").items()
        }
        for bank, vals in _obj(x, "golden_pcrs").items()
    }


def _allowed_from(x: object) -> dict[int, dict[str, dict[bytes, str]]]:
    out: dict[int, dict[str, dict[bytes, str]]] = {}
    for p, kinds in _obj(x, "allowed").items():
        pcr = _pcr_key(p, "allowed")
        out[pcr] = {
            kind: {
                _bytes(d, f"allowed.{p}.{kind}"): _str(label, f"allowed.{p}.{kind}.{d}")
                for d, label in _obj(ds, f"allowed.{p}.{kind}").items()
            }
            for kind, ds in _obj(kinds, f"allowed.{p}").items()
        }
    return out


def baseline_from_dict(cls: type[_B], doc: object) -> _B:
    """Read a version-1 document (module docstring) into ``cls``."""

    d = _obj(doc, "document", _TOP)
    if d["format"] != BASELINE_FORMAT:
        raise DataError(f"not a tlkit baseline (format {d['format']!r})", field="format")
    if d["version"] != BASELINE_VERSION or isinstance(d["version"], bool):
        raise DataError(
            f"unsupported baseline version {d['version']!r} (this tlkit reads 1)", field="version"
        )
    req = _obj(d["requirements"], "requirements", ("require_secure_boot",))
    return cls(
        name=_str(d["name"], "name"),
        bank=_str(d["bank"], "bank"),
        golden_pcrs=_golden_from(d["golden_pcrs"]),
        allowed=_allowed_from(d["allowed"]),
        accept_any={
            _pcr_key(p, "accept_any"): frozenset(_items(ks, f"accept_any.{p}", _str))
            for p, ks in _obj(d["accept_any"], "accept_any").items()
        },
        signatures={
            n: _items(es, f"signatures.{n}", _signature)
            for n, es in _obj(d["signatures"], "signatures").items()
        },
        platforms=_items(d["platforms"], "platforms", _platform),
        kernels=_items(d["kernels"], "kernels", _kernel),
        require_secure_boot=req["require_secure_boot"],
        history=_items(d["history"], "history", _change),
    )


# ------------------------------------------------------------------------------- history
def _facts(b: Baseline) -> set[str]:
    """Everything a baseline allows or requires, one string each (for a change's added/removed)."""
    out = {f"golden:{bank}:pcr{p}:{v.hex()}" for bank, vals in b.golden_pcrs.items() for p, v in vals.items()}
    out |= {
        f"pcr{p}:{k}:{d.hex()} ({label})"
        for p, ks in b.allowed.items()
        for k, ds in ks.items()
        for d, label in ds.items()
    }
    out |= {f"pcr{p}:{k}:any" for p, ks in b.accept_any.items() for k in ks}
    out |= {
        f"{n}:{s.owner}:sha256={hashlib.sha256(s.data).hexdigest()}"
        for n, es in b.signatures.items()
        for s in es
    }
    out |= {
        f"platform:scrtm={_hex(pc.scrtm)}:firmware={','.join(d.hex() for d in pc.firmware)}"
        for pc in b.platforms
    }
    out |= {
        "kernel-chain:"
        + ":".join(f"{n}={_hex(getattr(kc, n))}" for n in _KERNEL_FIELDS[:-1])
        + f":cmdline={kc.kernel_cmdline}"
        for kc in b.kernels
    }
    return out


def difference(old: Baseline, new: Baseline) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(added, removed)`` from ``old`` to ``new``, sorted."""
    a, b = _facts(old), _facts(new)
    return tuple(sorted(b - a)), tuple(sorted(a - b))


def history_entry(change: BaselineChange) -> dict[str, Any]:
    """One history entry as JSON."""
    return {
        "at": change.at.isoformat(),
        "reason": change.reason,
        "added": list(change.added),
        "removed": list(change.removed),
    }
