"""Azure VM size name parser.

Implements Microsoft's "Azure VM sizes naming conventions" (azure-compute-docs
``articles/virtual-machines/vm-naming-conventions.md``)::

    [Family] + [Sub-family*] + [# of vCPUs] + [Constrained vCPUs*] + [Additive Features]
             + [Accelerator Type*] + [Memory Capacity*] + [Version]

with the tier prefix (``Standard_`` / ``Basic_``) and the ``_Promo`` suffix. The letters, families
and accelerator tokens it accepts come from ``data/support/size_*.csv``.

Series spelling (documented choice): :attr:`SizeInfo.series` is the compact docs spelling
``family + feature letters + accelerator + "v" + version`` with no separators, e.g.
``Standard_D4pds_v5`` → ``"Dpdsv5"``, ``Standard_NC24ads_A100_v4`` → ``"NCadsA100v4"``,
``Standard_E8-4ds_v5`` → ``"Edsv5"``. The isolated letter ``i`` is dropped (``Standard_E64is_v3``
belongs to ``Esv3``), the memory-capacity segment is dropped (``Standard_M48ds_1_v3`` → ``"Mdsv3"``),
interconnect tokens are dropped (``NDR``), and legacy ``DS``/``GS`` heads are read as ``D``/``G``
plus ``s`` (``Standard_DS2_v2`` → ``"Dsv2"``). GPU and HPC docs often spell a series without its
feature letters ("NC_A100_v4", "HBv3"); the support tables match those by family + version +
accelerator instead of by this string (see :mod:`tlkit.support._matrix`).

Lower-case input (``standard_d4pds_v5``, as some exports write it) is canonicalised: the letters
before the vCPU count are the family, the letters after it are features.

This module does not decide support; it only reads names.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from typing import Any, NoReturn

from tlkit.errors import DataError
from tlkit.support._snapshots import load_csv

__all__ = ["SizeInfo", "parse_size"]


@dataclass(frozen=True)
class SizeInfo:
    """The parts of one VM size name (unverified: the name may not exist in any region).

    Attributes:
        name: canonical spelling (``"Standard_D4pds_v5"``).
        tier: ``"Standard"`` or ``"Basic"``.
        family: family code used by the support tables: family letter + sub-family
            (``"D"``, ``"DC"``, ``"NC"``, ``"FX"``, ``"HB"``).
        family_letter: ``"D"``, ``"N"``...
        subfamily: ``""``, ``"C"``, ``"X"``, ``"CC"``...
        spelled_family: the letters as written (``"DS"`` for ``Standard_DS2_v2``).
        size_number: the number after the family letters.
        vcpus: vCPU count, or None for legacy series whose number is a size index
            (A0-A11, D1-D15, Dv2/DSv2, G/GS).
        constrained_vcpus: active vCPUs of a constrained size (``Standard_E8-4ds_v5`` → 4).
        features: additive feature letters in written order (``"pds"``), including the implied
            ``s`` of legacy ``DS``/``GS``.
        accelerator: the accelerator model token (``"A100"``), None if absent.
        accelerator_tokens: every upper-case segment (``("NDR", "GB200")``).
        options: lower-case variant segments (``("cc",)``, ``("xl",)``).
        memory_tib: M-series memory-capacity segment (``Standard_M48ds_1_v3`` → 1).
        version: series version (``5`` for ``_v5``), None when the name has none (first version).
        promo: the ``_Promo`` suffix.
        series: compact series name (see the module docstring).
        architecture: ``"Arm64"`` when ``p`` is present, else ``"x64"``.
        cpu_vendor: ``"AMD"`` (``a``), ``"Arm"`` (``p``) or ``"Intel"`` (no CPU letter, per the docs).
        isolated: ``i`` present.
        confidential: DC/EC/NCC family or ``e`` present.
        family_known: the family letters are in ``size_families.csv``. A well-formed name with
            unknown family letters (1-3 upper-case letters, e.g. a newer family) still parses:
            its family letter is the first letter and the rest is read as the sub-family.
    """

    name: str
    tier: str
    family: str
    family_letter: str
    subfamily: str
    spelled_family: str
    size_number: int
    vcpus: int | None
    constrained_vcpus: int | None
    features: str
    accelerator: str | None
    accelerator_tokens: tuple[str, ...]
    options: tuple[str, ...]
    memory_tib: int | None
    version: int | None
    promo: bool
    series: str
    architecture: str
    cpu_vendor: str
    isolated: bool
    confidential: bool
    family_known: bool = True

    @property
    def effective_version(self) -> int:
        """``version`` with the implicit first version as 1."""
        return self.version if self.version is not None else 1

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Meanings of :attr:`features`, from ``size_features.csv``."""
        table = _features()
        return tuple(table[c]["meaning"] for c in self.features)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["accelerator_tokens"] = list(self.accelerator_tokens)
        d["options"] = list(self.options)
        return d


@cache
def _families() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in load_csv("size_families.csv")}


@cache
def _features() -> dict[str, dict[str, str]]:
    return {r["letter"]: r for r in load_csv("size_features.csv")}


@cache
def _accelerators() -> dict[str, dict[str, str]]:
    return {r["token"]: r for r in load_csv("size_accelerators.csv")}


@cache
def _options() -> frozenset[str]:
    return frozenset(r["token"] for r in load_csv("size_options.csv"))


_MAX_FAMILY_LETTERS = 3
# re.ASCII: \d must not match other scripts' digits (full-width "２", Arabic-Indic "٥").
_PREFIX = re.compile(r"^(standard|basic)_", re.IGNORECASE | re.ASCII)
_BODY = re.compile(
    r"^(?P<head>[A-Za-z]+)(?P<num>\d+)(?:-(?P<con>\d+))?(?P<feat>[A-Za-z]*)(?P<rest>(?:_[A-Za-z0-9]+)*)$",
    re.ASCII,
)
_VERSION = re.compile(r"^[vV](\d{1,2})$", re.ASCII)
_ACCEL_SHAPE = re.compile(r"^[A-Z]+\d+[A-Z0-9]*$", re.ASCII)
_MAX_VCPU_DIGITS = 5
"""The largest sizes have 4-digit vCPU counts (M1792ixds_32_v3); more than 5 digits is not a size."""


def parse_size(name: str) -> SizeInfo:
    """Parse an Azure VM size name such as ``"Standard_D4pds_v5"`` (memoized).

    Raises:
        DataError: the name does not follow the naming convention; ``field`` names the part that
            failed (``"prefix"``, ``"family"``, ``"vcpus"``, ``"features"``, ``"segment"``,
            ``"version"``) and ``record`` is the name.
    """
    if not isinstance(name, str):
        raise DataError(f"VM size must be a string, not {type(name).__name__}", record=name, field="size")
    return _parse_cached(name.strip())


@lru_cache(maxsize=65536)
def _parse_cached(text: str) -> SizeInfo:
    if not text:
        raise DataError("empty VM size name", record=text, field="size")
    m = _PREFIX.match(text)
    tier = "Standard"
    body = text
    if m:
        tier = "Basic" if m.group(1).lower() == "basic" else "Standard"
        body = text[m.end() :]
    bm = _BODY.match(body)
    if bm is None:
        _explain_body_failure(text, body)
    head = bm.group("head").upper()
    fam = _families().get(head)
    family_known = fam is not None
    if fam is None:
        if len(head) > _MAX_FAMILY_LETTERS:
            raise DataError(
                f"VM size family {head!r} in {text!r} is not 1-{_MAX_FAMILY_LETTERS} letters "
                f"(known: {', '.join(sorted(_families()))})",
                record=text,
                field="family",
            )
        fam = {
            "code": head,
            "family": head[0],
            "subfamily": head[1:],
            "implied_features": "",
            "index_numbered_versions": "",
            "confidential": "",
        }
    for part, field in ((bm.group("num"), "vcpus"), (bm.group("con") or "", "constrained_vcpus")):
        if len(part) > _MAX_VCPU_DIGITS:
            raise DataError(
                f"VM size {text[:40]!r}... has a {len(part)}-digit vCPU count (at most {_MAX_VCPU_DIGITS})",
                record=text[:80],
                field=field,
            )
    number = int(bm.group("num"))
    constrained = int(bm.group("con")) if bm.group("con") is not None else None
    written = bm.group("feat").lower()
    features = fam["implied_features"] + written
    table = _features()
    seen: set[str] = set()
    for c in features:
        if c not in table:
            raise DataError(
                f"unknown additive feature letter {c!r} in {bm.group('feat')!r}",
                record=text,
                field="features",
            )
        if c in seen:
            raise DataError(
                f"feature letter {c!r} repeated in {bm.group('feat')!r}", record=text, field="features"
            )
        seen.add(c)

    segments = [s for s in bm.group("rest").split("_") if s != ""]
    promo = False
    if segments and segments[-1].lower() == "promo":
        promo = True
        segments.pop()
    version: int | None = None
    if segments:
        vm = _VERSION.match(segments[-1])
        if vm is not None and segments[-1].upper() not in _accelerators():
            version = int(vm.group(1))
            if version < 1:
                raise DataError(f"version {segments[-1]!r} must be v1 or later", record=text, field="version")
            segments.pop()
    accel_tokens: list[str] = []
    options: list[str] = []
    memory_tib: int | None = None
    for seg in segments:
        if seg.isdigit():
            if memory_tib is not None or accel_tokens or options:
                raise DataError(f"unexpected number segment {seg!r}", record=text, field="segment")
            memory_tib = int(seg)
        elif seg.lower() in _options() and (seg.islower() or seg.isupper()):
            options.append(seg.lower())
        elif seg.upper() in _accelerators() or _ACCEL_SHAPE.match(seg.upper()):
            if _VERSION.match(seg) and seg.upper() not in _accelerators():
                raise DataError(
                    f"version segment {seg!r} must be the last segment", record=text, field="version"
                )
            accel_tokens.append(seg.upper())
        else:
            raise DataError(
                f"unknown size name segment {seg!r} (expected an accelerator such as A100, "
                f"an option ({', '.join(sorted(_options()))}), a memory size or vN)",
                record=text,
                field="segment",
            )
    accels = _accelerators()
    accelerator = None
    for tok in accel_tokens:
        if accels.get(tok, {}).get("kind", "gpu") != "interconnect":
            accelerator = tok
    eff_family = fam["family"] + fam["subfamily"]
    index_versions = {v for v in fam["index_numbered_versions"].split(";") if v}
    eff_version = version if version is not None else 1
    vcpus = None if str(eff_version) in index_versions else number
    if constrained is not None and (constrained < 1 or (vcpus is not None and constrained >= vcpus)):
        limit = f"between 1 and {vcpus - 1}" if vcpus is not None else "at least 1"
        raise DataError(
            f"constrained vCPU count {constrained} must be {limit}", record=text, field="constrained_vcpus"
        )
    series_tokens = "".join(t for t in accel_tokens if accels.get(t, {}).get("kind", "gpu") != "interconnect")
    series = (
        eff_family
        + features.replace("i", "")
        + "".join(options)
        + series_tokens
        + (f"v{version}" if version is not None else "")
    )
    canonical = _canonical(
        tier,
        head,
        number,
        constrained=constrained,
        written=written,
        segments=segments,
        version=version,
        promo=promo,
    )
    vendor = "AMD" if "a" in features else "Arm" if "p" in features else "Intel"
    return SizeInfo(
        name=canonical,
        tier=tier,
        family=eff_family,
        family_letter=fam["family"],
        subfamily=fam["subfamily"],
        spelled_family=head,
        size_number=number,
        vcpus=vcpus,
        constrained_vcpus=constrained,
        features=features,
        accelerator=accelerator,
        accelerator_tokens=tuple(accel_tokens),
        options=tuple(options),
        memory_tib=memory_tib,
        version=version,
        promo=promo,
        series=series,
        architecture="Arm64" if "p" in features else "x64",
        cpu_vendor=vendor,
        isolated="i" in features,
        confidential=fam["confidential"] == "yes" or "e" in features,
        family_known=family_known,
    )


def _canonical(
    tier: str,
    head: str,
    number: int,
    *,
    constrained: int | None,
    written: str,
    segments: list[str],
    version: int | None,
    promo: bool,
) -> str:
    """Canonical spelling, keeping the written segment order (``_xl_RTXPRO6000BSE``, ``_NDR_GB200``)."""
    parts = [f"{tier}_{head}{number}" + (f"-{constrained}" if constrained is not None else "") + written]
    for seg in segments:
        if seg.isdigit() or seg.lower() in _options():
            parts.append(seg.lower())
        else:
            parts.append(seg.upper())
    if version is not None:
        parts.append(f"v{version}")
    if promo:
        parts.append("Promo")
    return "_".join(parts)


def _explain_body_failure(text: str, body: str) -> NoReturn:
    """Raise the most specific DataError for a name whose body does not match the convention."""
    if not body:
        raise DataError(f"VM size {text!r} has nothing after the tier prefix", record=text, field="family")
    if not body[0].isalpha():
        raise DataError(
            f"VM size {text!r} must start with family letters (e.g. 'D' in Standard_D4s_v5)",
            record=text,
            field="family",
        )
    letters = re.match(r"^[A-Za-z]+", body, re.ASCII)
    rest = body[letters.end() :] if letters else body
    if not rest or not ("0" <= rest[0] <= "9"):
        raise DataError(
            f"VM size {text!r} has no vCPU count after the family letters", record=text, field="vcpus"
        )
    raise DataError(
        f"VM size {text!r} has characters outside the naming convention after the vCPU count "
        "(expected [-constrained][features][_ACCELERATOR][_memory][_vN][_Promo])",
        record=text,
        field="segment",
    )
