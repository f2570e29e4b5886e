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

CPU vendor and architecture come from ``data/support/size_cpus.csv``: rows for series whose page
names another CPU (HB/HX and Lsv2: AMD EPYC; GB200 ND v6: NVIDIA Grace, Arm64) before the naming
letters (``p`` Arm, ``a`` AMD, none Intel). A constrained-vCPU size (``Standard_E8-4ds_v5``) has
``vcpus`` 4 (the active count, as the naming page defines it) and ``parent_vcpus`` 8.

This module does not decide support; it only reads names.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, NoReturn

from tlkit._data import check_data_root, data_cache
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
        vcpus: active vCPU count (``Standard_E8-4ds_v5`` → 4, as the naming page defines the
            constrained-vCPU number), or None for legacy series whose number is a size index
            (A0-A11, D1-D15, Dv2/DSv2, G/GS).
        constrained_vcpus: the constrained-vCPU number as written (``Standard_E8-4ds_v5`` → 4),
            None for a size that is not constrained.
        features: additive feature letters in written order (``"pds"``), including the implied
            ``s`` of legacy ``DS``/``GS``.
        accelerator: the accelerator model token (``"A100"``), None if absent.
        accelerator_tokens: every upper-case segment (``("NDR", "GB200")``).
        options: lower-case variant segments (``("cc",)``, ``("xl",)``).
        memory_tib: M-series memory-capacity segment (``Standard_M48ds_1_v3`` → 1).
        version: series version (``5`` for ``_v5``), None when the name has none (first version).
        promo: the ``_Promo`` suffix.
        series: compact series name (see the module docstring).
        architecture: ``"Arm64"`` or ``"x64"``, from ``size_cpus.csv`` (series whose page names the
            CPU, e.g. GB200 ND v6 → Arm64 Grace; else ``p`` → Arm64).
        cpu_vendor: from ``size_cpus.csv``: series pages first (HB/HX/Lsv2 → ``"AMD"``, GB200 ND v6
            → ``"NVIDIA"``), then the naming letters (``a`` → ``"AMD"``, ``p`` → ``"Arm"``, none →
            ``"Intel"``).
        isolated: ``i`` present.
        confidential: DC/EC/NCC family or ``e`` present.
        family_known: the family letters are in ``size_families.csv``. A well-formed name with
            unknown family letters (1-3 upper-case letters, e.g. a newer family) still parses:
            its family letter is the first letter and the rest is read as the sub-family.
        parent_vcpus: the parent size's vCPU count of a constrained size (``Standard_E8-4ds_v5``
            → 8), None otherwise.
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
    parent_vcpus: int | None = None

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


@data_cache()
def _families() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in load_csv("size_families.csv")}


@data_cache()
def _features() -> dict[str, dict[str, str]]:
    return {r["letter"]: r for r in load_csv("size_features.csv")}


@data_cache()
def _accelerators() -> dict[str, dict[str, str]]:
    return {r["token"]: r for r in load_csv("size_accelerators.csv")}


@data_cache()
def _cpu_rules() -> tuple[dict[str, str], ...]:
    return load_csv("size_cpus.csv")


@data_cache()
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
    check_data_root()
    return _parse_cached(name.strip())


@data_cache(maxsize=65536, checked=False)  # parse_size checks the data root
def _parse_cached(text: str) -> SizeInfo:
    """The name's parts, one small reader per part of the naming convention (see the module docstring)."""
    if not text:
        raise DataError("empty VM size name", record=text, field="size")
    tier, body = _split_tier(text)
    bm = _BODY.match(body)
    if bm is None:
        _explain_body_failure(text, body)
    head = bm.group("head").upper()
    fam, family_known = _family_row(head, text)
    _check_digit_counts(bm, text)
    number = int(bm.group("num"))
    constrained = int(bm.group("con")) if bm.group("con") is not None else None
    written = bm.group("feat").lower()
    features = _read_features(fam["implied_features"] + written, bm.group("feat"), text)
    seg = _read_segments(bm.group("rest"), text)
    eff_family = fam["family"] + fam["subfamily"]
    vcpus, parent = _vcpu_counts(fam, seg.version, number, constrained, text)
    cpu = _cpu_rule(eff_family, features, seg.version, seg.accel_tokens)
    return SizeInfo(
        name=_canonical(
            tier,
            head,
            number,
            constrained=constrained,
            written=written,
            segments=seg.others,
            version=seg.version,
            promo=seg.promo,
        ),
        tier=tier,
        family=eff_family,
        family_letter=fam["family"],
        subfamily=fam["subfamily"],
        spelled_family=head,
        size_number=number,
        vcpus=vcpus,
        constrained_vcpus=constrained,
        features=features,
        accelerator=seg.accelerator,
        accelerator_tokens=seg.accel_tokens,
        options=seg.options,
        memory_tib=seg.memory_tib,
        version=seg.version,
        promo=seg.promo,
        series=eff_family
        + features.replace("i", "")
        + "".join(seg.options)
        + seg.series_tokens
        + (f"v{seg.version}" if seg.version is not None else ""),
        architecture=cpu["architecture"],
        cpu_vendor=cpu["cpu_vendor"],
        isolated="i" in features,
        confidential=fam["confidential"] == "yes" or "e" in features,
        family_known=family_known,
        parent_vcpus=parent,
    )


def _split_tier(text: str) -> tuple[str, str]:
    """(tier, the name after ``Standard_``/``Basic_``); no prefix reads as Standard."""
    m = _PREFIX.match(text)
    if m is None:
        return "Standard", text
    return ("Basic" if m.group(1).lower() == "basic" else "Standard"), text[m.end() :]


def _family_row(head: str, text: str) -> tuple[dict[str, str], bool]:
    """The ``size_families.csv`` row of the family letters; an unknown 1-3 letter family still parses."""
    fam = _families().get(head)
    if fam is not None:
        return fam, True
    if len(head) > _MAX_FAMILY_LETTERS:
        raise DataError(
            f"VM size family {head!r} in {text!r} is not 1-{_MAX_FAMILY_LETTERS} letters "
            f"(known: {', '.join(sorted(_families()))})",
            record=text,
            field="family",
        )
    unknown = {"code": head, "family": head[0], "subfamily": head[1:]}
    return {**unknown, "implied_features": "", "index_numbered_versions": "", "confidential": ""}, False


def _check_digit_counts(bm: re.Match[str], text: str) -> None:
    for part, field in ((bm.group("num"), "vcpus"), (bm.group("con") or "", "constrained_vcpus")):
        if len(part) > _MAX_VCPU_DIGITS:
            raise DataError(
                f"VM size {text[:40]!r}... has a {len(part)}-digit vCPU count (at most {_MAX_VCPU_DIGITS})",
                record=text[:80],
                field=field,
            )


def _read_features(features: str, written: str, text: str) -> str:
    """The additive feature letters, each known (``size_features.csv``) and written once."""
    table = _features()
    for i, c in enumerate(features):
        if c not in table:
            raise DataError(
                f"unknown additive feature letter {c!r} in {written!r}", record=text, field="features"
            )
        if c in features[:i]:
            raise DataError(f"feature letter {c!r} repeated in {written!r}", record=text, field="features")
    return features


@dataclass(frozen=True)
class _Segments:
    """The ``_``-separated segments after the feature letters, classified."""

    promo: bool
    version: int | None
    others: list[str]
    accel_tokens: tuple[str, ...]
    options: tuple[str, ...]
    memory_tib: int | None

    @property
    def gpu_tokens(self) -> tuple[str, ...]:
        accels = _accelerators()
        return tuple(t for t in self.accel_tokens if accels.get(t, {}).get("kind", "gpu") != "interconnect")

    @property
    def accelerator(self) -> str | None:
        """The last non-interconnect accelerator token (``GB200`` of ``_NDR_GB200``)."""
        return self.gpu_tokens[-1] if self.gpu_tokens else None

    @property
    def series_tokens(self) -> str:
        return "".join(self.gpu_tokens)


def _read_segments(rest: str, text: str) -> _Segments:
    segments = [s for s in rest.split("_") if s != ""]
    promo = bool(segments) and segments[-1].lower() == "promo"
    if promo:
        segments.pop()
    version = _take_version(segments, text)
    accel: list[str] = []
    options: list[str] = []
    memory: list[int] = []
    for seg in segments:
        _classify_segment(seg, text, accel, options, memory)
    return _Segments(promo, version, segments, tuple(accel), tuple(options), memory[0] if memory else None)


def _take_version(segments: list[str], text: str) -> int | None:
    """Pop and return the trailing ``vN`` segment (not an accelerator token spelled like one)."""
    if not segments:
        return None
    vm = _VERSION.match(segments[-1])
    if vm is None or segments[-1].upper() in _accelerators():
        return None
    version = int(vm.group(1))
    if version < 1:
        raise DataError(f"version {segments[-1]!r} must be v1 or later", record=text, field="version")
    segments.pop()
    return version


def _classify_segment(seg: str, text: str, accel: list[str], options: list[str], memory: list[int]) -> None:
    """One middle segment: memory capacity (a number, first), an option (``cc``, ``xl``) or an accelerator."""
    if seg.isdigit():
        if memory or accel or options:
            raise DataError(f"unexpected number segment {seg!r}", record=text, field="segment")
        memory.append(int(seg))
    elif seg.lower() in _options() and (seg.islower() or seg.isupper()):
        options.append(seg.lower())
    elif seg.upper() in _accelerators() or _ACCEL_SHAPE.match(seg.upper()):
        if _VERSION.match(seg) and seg.upper() not in _accelerators():
            raise DataError(f"version segment {seg!r} must be the last segment", record=text, field="version")
        accel.append(seg.upper())
    else:
        raise DataError(
            f"unknown size name segment {seg!r} (expected an accelerator such as A100, "
            f"an option ({', '.join(sorted(_options()))}), a memory size or vN)",
            record=text,
            field="segment",
        )


def _vcpu_counts(
    fam: dict[str, str], version: int | None, number: int, constrained: int | None, text: str
) -> tuple[int | None, int | None]:
    """(active vCPUs, parent vCPUs of a constrained size).

    The naming page: the constrained-vCPU number "denotes the number of vCPUs for the constrained
    vCPU capable size", so ``Standard_E8-4ds_v5`` has 4 active vCPUs on a parent size of 8. Legacy
    index-numbered series have no vCPU count in the name (None).
    """
    index_versions = {v for v in fam["index_numbered_versions"].split(";") if v}
    parent = None if str(version if version is not None else 1) in index_versions else number
    if constrained is None:
        return parent, None
    if constrained < 1 or (parent is not None and constrained >= parent):
        limit = f"between 1 and {parent - 1}" if parent is not None else "at least 1"
        raise DataError(
            f"constrained vCPU count {constrained} must be {limit}", record=text, field="constrained_vcpus"
        )
    return constrained, parent


def _cpu_rule(
    family: str, features: str, version: int | None, accel_tokens: tuple[str, ...]
) -> dict[str, str]:
    """The first ``size_cpus.csv`` row that matches: series pages first, then the naming letters."""
    eff_version = str(version if version is not None else 1)
    for row in _cpu_rules():
        if (
            row["family"] in ("*", family)
            and set(row["features"]) <= set(features)
            and row["version"] in ("*", eff_version)
            and (not row["accelerator"] or row["accelerator"] in accel_tokens)
        ):
            return row
    raise DataError("size_cpus.csv has no catch-all row", record="size_cpus.csv", field="family")


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
