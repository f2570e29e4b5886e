"""PCR banks and PCR value sets.

Extend is ``PCR_new = H(PCR_old || digest)`` (TPM 2.0 Part 1, 17.2 "PCR Extend"). Initial values
follow the TCG PC Client Platform TPM Profile (PTP) 1.05, 4.6.2 "PCR Attributes" table: PCR 0-16
and 23 start at zero, PCR 17-22 (DRTM) start at all ones until a dynamic launch resets them; the
last byte of PCR 0 carries the startup locality (TPM 2.0 Part 1, 34.3 and PC Client PFP 1.05,
10.4.5.3 "StartupLocality event").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tlkit.errors import DataError, PolicyError
from tlkit.tpm._alg import HashAlg
from tlkit.tpm._selection import PcrSelection, _bank, as_selection

__all__ = ["PCR_COUNT", "ExtendStep", "ExtendTrace", "PcrBanks", "PcrValues", "extend_steps"]

PCR_COUNT = 24
#: PCRs that start at all ones (DRTM, PC Client PTP 4.6.2).
DRTM_PCRS = range(17, 23)
STARTUP_LOCALITIES = (0, 3, 4)
LOCALITIES = (0, 1, 2, 3, 4)
#: Localities (bit ``L`` = locality ``L``) from which TPM2_PCR_Reset / TPM2_PCR_Extend of each PCR
#: is allowed: the PC Client PTP "PCR Attributes" table as the TPM 2.0 reference implementation
#: (and libtpms, hence swtpm) encodes it in ``PCR.c`` ``s_initAttributes``. At locality 0 the DRTM
#: PCRs 17-22 can be neither reset nor extended.
_RESET_LOCALITIES: dict[int, int] = {
    16: 0x0F,
    17: 0x10,
    18: 0x10,
    19: 0x10,
    20: 0x14,
    21: 0x14,
    22: 0x14,
    23: 0x0F,
}
_EXTEND_LOCALITIES: dict[int, int] = {17: 0x1C, 18: 0x1C, 19: 0x0C, 20: 0x0E, 21: 0x04, 22: 0x04}
_ALL_LOCALITIES = 0x1F
_new_object = object.__new__
_MAX_PCR_INDEX = 8 * 255  # a pcrSelect bit map has at most 255 bytes (Part 2, 10.6.2)


def _allowed(mask: int) -> str:
    return ", ".join(str(loc) for loc in LOCALITIES if mask >> loc & 1)


def check_pcr_index(pcr: object) -> int:
    """``pcr`` if it is a PCR index 0..23 (PC Client PTP: 24 PCRs), else a DataError."""
    if isinstance(pcr, bool) or not isinstance(pcr, int) or not 0 <= pcr < PCR_COUNT:
        raise DataError(f"PCR index {pcr!r} out of range 0..{PCR_COUNT - 1}", record=pcr, field="pcr")
    return pcr


def _check_locality(locality: int) -> None:
    if isinstance(locality, bool) or locality not in LOCALITIES:
        raise DataError(f"locality must be one of {LOCALITIES}, got {locality!r}", field="locality")


@dataclass(frozen=True)
class PcrValues:
    """PCR values for a selection, in selection order (what a quote covers).

    Attributes:
        selection: the banks and PCRs, in wire order.
        values: one digest per selected PCR, flattened in selection order.
    """

    selection: PcrSelection
    values: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(self.selection):
            raise DataError(
                f"{len(self.values)} PCR values for a selection of {len(self.selection)}", field="values"
            )
        i = 0
        for alg, pcrs in self.selection.items():
            for p in pcrs:
                v = self.values[i]
                if not isinstance(v, bytes) or len(v) != alg.digest_size:
                    raise DataError(
                        f"{alg.name} PCR {p} value must be {alg.digest_size} bytes", record=p, field=alg.name
                    )
                i += 1

    @classmethod
    def _parsed(cls, selection: PcrSelection, values: tuple[bytes, ...]) -> PcrValues:
        """Values a decoder read and checked against ``selection`` (valid by construction)."""
        obj = _new_object(cls)
        fields = obj.__dict__
        fields["selection"] = selection
        fields["values"] = values
        return obj

    @classmethod
    def from_dict(
        cls,
        banks: Mapping[Any, Mapping[Any, bytes | str]],
        selection: PcrSelection | None = None,
    ) -> PcrValues:
        """Build from ``{bank: {pcr: value}}``.

        PCR indices are ints (or decimal strings such as ``"7"``, as JSON keys are); values are
        ``bytes`` / ``bytearray`` / ``memoryview`` or hex strings. Anything else (an ``int`` value,
        ``None``, a float index) raises :class:`DataError`, as does a value of the wrong length.

        With ``selection`` the values are taken in that selection's order (extra values are
        ignored, missing ones raise :class:`DataError`); otherwise banks keep the mapping's order
        and PCRs are sorted.
        """
        if not isinstance(banks, Mapping):
            raise DataError(
                f"PCR values must be a {{bank: {{pcr: value}}}} mapping, not {type(banks).__name__}",
                field="pcrs",
            )
        table: dict[str, dict[int, bytes]] = {}
        for key, entries in banks.items():
            alg = _bank(key)
            if not isinstance(entries, Mapping):
                raise DataError(
                    f"{alg.name} PCR values must be a {{pcr: value}} mapping, not {type(entries).__name__}",
                    record=alg.name,
                    field="pcrs",
                )
            bank = table.setdefault(alg.name, {})
            for idx, val in entries.items():
                bank[_pcr_index(idx, alg)] = _pcr_value(idx, val, alg)
        if selection is None:
            selection = PcrSelection.of({name: list(regs) for name, regs in table.items()})
        out: list[bytes] = []
        for alg, pcrs in selection.items():
            bank = table.get(alg.name, {})
            for p in pcrs:
                if p not in bank:
                    raise DataError(f"no {alg.name} value for PCR {p}", record=p, field=alg.name)
                out.append(bank[p])
        return cls(selection, tuple(out))

    def get(self, bank: int | str | HashAlg, pcr: int) -> bytes:
        """One PCR value; :class:`DataError` if it is not in the set."""
        alg = _bank(bank)
        i = 0
        for a, pcrs in self.selection.items():
            for p in pcrs:
                if a == alg and p == pcr:
                    return self.values[i]
                i += 1
        raise DataError(f"{alg.name} PCR {pcr} is not in this set", record=pcr, field=alg.name)

    def items(self) -> Iterator[tuple[HashAlg, int, bytes]]:
        """``(bank, pcr, value)`` in selection order."""
        it = iter(self.values)
        for alg, pcrs in self.selection.items():
            for p in pcrs:
                yield alg, p, next(it)

    def as_dict(self) -> dict[str, dict[int, bytes]]:
        out: dict[str, dict[int, bytes]] = {}
        i, values = 0, self.values
        for alg, pcrs in self.selection.items():  # one slice per bank (the values are in this order)
            out.setdefault(alg.name, {}).update(zip(pcrs, values[i : i + len(pcrs)], strict=True))
            i += len(pcrs)
        return out

    def to_hex_dict(self) -> dict[str, dict[int, str]]:
        return {b: {p: v.hex() for p, v in pcrs.items()} for b, pcrs in self.as_dict().items()}

    def digest(self, alg: int | str | HashAlg) -> bytes:
        """``H(value_1 || ... || value_n)`` in selection order: TPMS_QUOTE_INFO.pcrDigest (Part 3, 18.4).

        Use the signing scheme's hash, not the banks' (Part 3, 18.4.1: "digest of the selected PCR
        using the hash of the signing key").
        """
        h = alg if type(alg) is HashAlg else _bank(alg)
        return bytes(h._ctor()(b"".join(self.values)).digest())

    def __len__(self) -> int:
        return len(self.values)


def _pcr_index(idx: object, alg: HashAlg) -> int:
    """A PCR index from a mapping key: an int (not bool) or a decimal string."""
    if isinstance(idx, str) and idx.strip().isdecimal() and idx.strip().isascii() and len(idx.strip()) <= 4:
        idx = int(idx.strip())
    if isinstance(idx, int) and not isinstance(idx, bool):
        if 0 <= idx < _MAX_PCR_INDEX:
            return idx
        raise DataError(
            f"{alg.name} PCR index {idx} out of range 0..{_MAX_PCR_INDEX - 1}", record=idx, field=alg.name
        )
    raise DataError(
        f"{alg.name} PCR index {idx!r:.40} is not an integer", record=repr(idx)[:40], field=alg.name
    )


def _pcr_value(idx: object, val: object, alg: HashAlg) -> bytes:
    """A PCR value: bytes-like or a hex string; never an int (``bytes(32)`` would be 32 zero bytes)."""
    if isinstance(val, (bytes, bytearray, memoryview)):
        return bytes(val)
    if isinstance(val, str):
        try:
            return bytes.fromhex(val)
        except ValueError:
            raise DataError(
                f"{alg.name} PCR {idx!r:.40} value is not hex", record=idx, field=alg.name
            ) from None
    raise DataError(
        f"{alg.name} PCR {idx!r} value must be bytes or a hex string, not {type(val).__name__}",
        record=idx,
        field=alg.name,
    )


class PcrBanks:
    """The PCRs of a TPM: 24 PCRs in each allocated bank.

    Args:
        banks: allocated banks, e.g. ``("sha1", "sha256")``.
        locality: startup locality (0, 3 or 4); PCR 0 starts at ``00..0L``.
    """

    __slots__ = ("_banks", "locality")

    def __init__(self, banks: Iterable[int | str | HashAlg] = ("sha1", "sha256"), locality: int = 0) -> None:
        if locality not in STARTUP_LOCALITIES:
            raise DataError(f"startup locality must be one of {STARTUP_LOCALITIES}", field="locality")
        self.locality = locality
        self._banks: dict[str, list[bytes]] = {}
        for key in banks:
            alg = _bank(key)
            self._banks[alg.name] = [self._initial(alg, i) for i in range(PCR_COUNT)]
        if not self._banks:
            raise DataError("at least one PCR bank is needed", field="banks")

    def _initial(self, alg: HashAlg, pcr: int) -> bytes:
        if pcr in DRTM_PCRS:
            return b"\xff" * alg.digest_size
        if pcr == 0:
            return alg.zero[:-1] + bytes((self.locality,))
        return alg.zero

    @property
    def banks(self) -> tuple[HashAlg, ...]:
        return tuple(_bank(n) for n in self._banks)

    def _slot(self, pcr: int, bank: int | str | HashAlg) -> tuple[HashAlg, list[bytes]]:
        alg = _bank(bank)
        regs = self._banks.get(alg.name)
        if regs is None:
            raise DataError(f"bank {alg.name} is not allocated", field="bank")
        check_pcr_index(pcr)
        return alg, regs

    def extend(self, pcr: int, digest: bytes, bank: int | str | HashAlg, *, locality: int = 0) -> bytes:
        """TPM2_PCR_Extend of one bank (Part 3, 22.2) issued at ``locality``; returns the new value.

        Raises:
            PolicyError: code ``"pcr-locality"``: the PCR is not extendable from ``locality``
                (PCR 17-22 at locality 0; see :data:`_EXTEND_LOCALITIES`).
            DataError: unknown bank, PCR index or digest size, or a locality outside 0..4.
        """
        alg, regs = self._slot(pcr, bank)
        _check_locality(locality)
        mask = _EXTEND_LOCALITIES.get(pcr, _ALL_LOCALITIES)
        if not mask >> locality & 1:
            raise PolicyError(
                f"PCR {pcr} is not extendable from locality {locality} (only from {_allowed(mask)})",
                code="pcr-locality",
            )
        if len(digest) != alg.digest_size:
            raise DataError(
                f"{alg.name} digest must be {alg.digest_size} bytes, got {len(digest)}",
                record=pcr,
                field="digest",
            )
        regs[pcr] = alg.digest(regs[pcr] + bytes(digest))
        return regs[pcr]

    def extend_data(
        self,
        pcr: int,
        data: bytes,
        banks: Iterable[int | str | HashAlg] | None = None,
        *,
        locality: int = 0,
    ) -> dict[str, bytes]:
        """Hash ``data`` with each bank's algorithm and extend it, like TPM2_PCR_Event (Part 3, 22.3)."""
        out: dict[str, bytes] = {}
        for key in self._banks if banks is None else banks:
            alg = _bank(key)
            out[alg.name] = self.extend(pcr, alg.digest(bytes(data)), alg, locality=locality)
        return out

    def read(self, pcr: int, bank: int | str | HashAlg) -> bytes:
        """Current value of one PCR."""
        _, regs = self._slot(pcr, bank)
        return regs[pcr]

    def read_hex(self, pcr: int, bank: int | str | HashAlg) -> str:
        return self.read(pcr, bank).hex()

    def reset(self, pcr: int, *, locality: int = 0) -> None:
        """TPM2_PCR_Reset (Part 3, 22.4) issued at ``locality``, in every bank: the PCR becomes zero.

        Raises:
            PolicyError: code ``"pcr-not-resettable"`` for PCR 0-15 (only :meth:`startup` resets
                them); code ``"pcr-locality"`` when the PCR is not resettable from ``locality``
                (PCR 17-22 at locality 0: use :meth:`dynamic_launch`).
            DataError: a PCR index outside 0..23 or a locality outside 0..4.
        """
        check_pcr_index(pcr)
        _check_locality(locality)
        mask = _RESET_LOCALITIES.get(pcr)
        if mask is None:
            raise PolicyError(f"PCR {pcr} is not resettable", code="pcr-not-resettable")
        if not mask >> locality & 1:
            raise PolicyError(
                f"PCR {pcr} is not resettable from locality {locality} (only from {_allowed(mask)})",
                code="pcr-locality",
            )
        for name, regs in self._banks.items():
            regs[pcr] = _bank(name).zero

    def dynamic_launch(self, data: bytes | None = None) -> None:
        """A dynamic launch (DRTM, ``_TPM_Hash_Start``): PCR 17-22 become zero in every bank.

        With ``data`` the launch measures it too, as ``_TPM_Hash_Data`` / ``_TPM_Hash_End`` do:
        PCR 17 := H(0...0 || H(data)) in each bank (TPM 2.0 Part 1, "Dynamic Root of Trust
        Measurement"; PC Client PTP "PCR Attributes": 17-22 reset by the DRTM event).
        """
        for name, regs in self._banks.items():
            alg = _bank(name)
            for pcr in DRTM_PCRS:
                regs[pcr] = alg.zero
            if data is not None:
                regs[17] = alg.digest(alg.zero + alg.digest(bytes(data)))

    def startup(self, locality: int | None = None) -> None:
        """TPM2_Startup(CLEAR) after a TPM reset: every PCR back to its initial value."""
        if locality is not None:
            if locality not in STARTUP_LOCALITIES:
                raise DataError(f"startup locality must be one of {STARTUP_LOCALITIES}", field="locality")
            self.locality = locality
        for name, regs in self._banks.items():
            alg = _bank(name)
            regs[:] = [self._initial(alg, i) for i in range(PCR_COUNT)]

    def values(self, selection: PcrSelection | Mapping[Any, Iterable[int]] | str) -> PcrValues:
        """The current values of a selection, in selection order."""
        sel = as_selection(selection)
        out: list[bytes] = []
        for alg, pcrs in sel.items():
            for p in pcrs:
                _, regs = self._slot(p, alg)
                out.append(regs[p])
        return PcrValues(sel, tuple(out))

    def as_dict(self) -> dict[str, dict[int, bytes]]:
        return {name: dict(enumerate(regs)) for name, regs in self._banks.items()}

    def copy(self) -> PcrBanks:
        new = PcrBanks.__new__(PcrBanks)
        new.locality = self.locality
        new._banks = {name: list(regs) for name, regs in self._banks.items()}
        return new

    def __repr__(self) -> str:
        return f"PcrBanks(banks={tuple(self._banks)!r}, locality={self.locality})"


@dataclass(frozen=True, slots=True)
class ExtendStep:
    """One row of :func:`extend_steps`.

    Attributes:
        step: 0 for the startup value, then 1, 2, ... per measurement.
        label: the measurement as given (text), or its hex (bytes); ``"(startup)"`` for step 0.
        data: the measured bytes (``b""`` for step 0).
        digest: ``H(data)`` with the bank's hash (``b""`` for step 0).
        value: the PCR after this step.
    """

    step: int
    label: str
    data: bytes
    digest: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class ExtendTrace:
    """The values one PCR takes while a sequence of measurements is extended into it.

    Attributes:
        pcr: the PCR index.
        bank: the bank's hash algorithm.
        steps: the startup value, then one :class:`ExtendStep` per measurement.
    """

    pcr: int
    bank: HashAlg
    steps: tuple[ExtendStep, ...]

    def __iter__(self) -> Iterator[ExtendStep]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def final(self) -> bytes:
        """The PCR value after the last measurement."""
        return self.steps[-1].value

    def to_rows(self) -> list[dict[str, object]]:
        """One record per step: ``step``, ``measurement`` (label), ``digest`` and ``pcr`` (hex)."""
        return [
            {"step": s.step, "measurement": s.label, "digest": s.digest.hex(), "pcr": s.value.hex()}
            for s in self.steps
        ]


def extend_steps(
    measurements: Iterable[bytes | str],
    *,
    pcr: int = 23,
    bank: int | str | HashAlg = "sha256",
    locality: int = 0,
) -> ExtendTrace:
    """Extend measurements one by one into a fresh PCR, like ``TPM2_PCR_Event`` (Part 3, 22.3).

    Each measurement (text is UTF-8 encoded) is hashed with the bank's algorithm and extended:
    ``PCR := H(PCR || H(data))``. The PCR starts at its startup value (:class:`PcrBanks` with
    ``locality``), which is step 0.
    """
    alg = _bank(bank)
    banks = PcrBanks(banks=(alg,), locality=locality)
    steps = [ExtendStep(0, "(startup)", b"", b"", banks.read(pcr, alg))]
    for i, m in enumerate(measurements, start=1):
        data = m.encode() if isinstance(m, str) else bytes(m)
        digest = alg.digest(data)
        value = banks.extend(pcr, digest, alg)
        steps.append(ExtendStep(i, m if isinstance(m, str) else data.hex(), data, digest, value))
    return ExtendTrace(pcr, alg, tuple(steps))
