"""VM size name parser: 306 real names from public size lists, edge cases, property tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlkit.errors import DataError
from tlkit.support import SizeInfo, parse_size
from tlkit.support._snapshots import load_csv

DATA = Path(__file__).parent / "data" / "size_names.csv"
ROWS = list(csv.DictReader(DATA.open(encoding="utf-8")))


def test_corpus_is_large_and_sourced() -> None:
    assert len(ROWS) >= 300
    assert len({r["size"] for r in ROWS}) == len(ROWS)
    assert all(r["source"] for r in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r["size"] for r in ROWS])
def test_real_size_names(row: dict[str, str]) -> None:
    info = parse_size(row["size"])
    assert info.name == row["size"]
    assert info.series == row["series"]
    assert info.family == row["family"]
    # The table's vcpus column is the number in the name (the parent size of a constrained size).
    number = int(row["vcpus"]) if row["vcpus"] else None
    constrained = int(row["constrained_vcpus"]) if row["constrained_vcpus"] else None
    assert info.constrained_vcpus == constrained
    assert info.vcpus == (constrained or number)
    assert info.parent_vcpus == (number if constrained else None)
    assert info.architecture == row["architecture"]
    assert (info.accelerator or "") == row["accelerator"]
    assert info.version == (int(row["version"]) if row["version"] else None)
    assert info.promo == (row["promo"] == "yes")


def test_docs_examples_in_detail() -> None:
    d = parse_size("Standard_D4pds_v5")
    assert (d.family_letter, d.subfamily, d.features, d.cpu_vendor) == ("D", "", "pds", "Arm")
    assert d.feature_names == (
        "ARM-based processor (Ampere Altra v5 / Microsoft Cobalt 100 v6)",
        "includes local temporary disks",
        "compatible with any Premium SSD type",
    )
    nc = parse_size("Standard_NC24ads_A100_v4")
    assert (nc.family, nc.family_letter, nc.subfamily, nc.accelerator, nc.cpu_vendor) == (
        "NC",
        "N",
        "C",
        "A100",
        "AMD",
    )
    # Naming page: the constrained-vCPU number is the size's vCPU count; the parent count is kept.
    e = parse_size("Standard_E8-4ds_v5")
    assert (e.vcpus, e.parent_vcpus, e.constrained_vcpus, e.series) == (4, 8, 4, "Edsv5")
    assert (parse_size("Standard_E8ds_v5").vcpus, parse_size("Standard_E8ds_v5").parent_vcpus) == (8, None)
    m = parse_size("Standard_M128-32ms")
    assert (m.vcpus, m.parent_vcpus, m.constrained_vcpus, m.version, m.series) == (32, 128, 32, None, "Mms")
    assert m.effective_version == 1
    gb = parse_size("Standard_ND128isr_NDR_GB200_v6")
    assert gb.accelerator_tokens == ("NDR", "GB200")
    assert gb.accelerator == "GB200"
    assert gb.isolated
    assert (gb.cpu_vendor, gb.architecture) == ("NVIDIA", "Arm64")  # Grace, per the series page
    mv3 = parse_size("Standard_M48ds_1_v3")
    assert (mv3.memory_tib, mv3.series) == (1, "Mdsv3")
    cc = parse_size("Standard_DC2as_cc_v5")
    assert cc.options == ("cc",)
    assert cc.confidential
    assert cc.series == "DCasccv5"
    assert parse_size("Standard_DC2es_v6").confidential
    assert not parse_size("Standard_D2s_v5").confidential
    basic = parse_size("Basic_A0")
    assert (basic.tier, basic.vcpus, basic.size_number) == ("Basic", None, 0)


def test_lower_case_and_prefixless_input_is_canonicalised() -> None:
    assert parse_size("standard_nc24ads_a100_v4").name == "Standard_NC24ads_A100_v4"
    assert parse_size("standard_ng8ads_v620_v1").accelerator == "V620"
    assert parse_size("  D4s_v5 ").name == "Standard_D4s_v5"
    assert parse_size("STANDARD_DS11-1_V2").name == "Standard_DS11-1_v2"


def test_memoized() -> None:
    assert parse_size("Standard_D4s_v5") is parse_size("Standard_D4s_v5")


def test_to_dict_is_plain() -> None:
    d = parse_size("Standard_ND128isr_NDR_GB200_v6").to_dict()
    assert d["accelerator_tokens"] == ["NDR", "GB200"]
    assert d["series"] == "NDsrGB200v6"


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("", "size"),
        ("Standard_", "family"),
        ("Standard_4s_v5", "family"),
        ("Standard_QRST4s_v5", "family"),
        ("Standard_Ds_v5", "vcpus"),
        ("Standard_D4qs_v5", "features"),
        ("Standard_D4ss_v5", "features"),
        ("Standard_DS4s", "features"),
        ("Standard_D4-8s_v5", "constrained_vcpus"),
        ("Standard_D4-0s_v5", "constrained_vcpus"),
        ("Standard_D4s_v5_v5", "version"),
        ("Standard_D4s_foo_v5", "segment"),
        ("Standard_D4s v5", "segment"),
        ("Standard_D4s_1_A100_2_v5", "segment"),
    ],
)
def test_errors_name_the_failing_part(name: str, field: str) -> None:
    with pytest.raises(DataError) as e:
        parse_size(name)
    assert e.value.field == field
    assert e.value.record == name


def test_non_string_is_data_error() -> None:
    with pytest.raises(DataError):
        parse_size(42)  # type: ignore[arg-type]


# --- property tests -----------------------------------------------------------------------------

_FAMILIES = list(load_csv("size_families.csv"))
_LETTERS = [r["letter"] for r in load_csv("size_features.csv")]
_ACCELS = [r["token"] for r in load_csv("size_accelerators.csv") if r["kind"] != "interconnect"]


@st.composite
def size_parts(draw: st.DrawFn) -> dict[str, object]:
    fam = draw(st.sampled_from(_FAMILIES))
    implied = fam["implied_features"]
    letters = draw(
        st.lists(st.sampled_from([c for c in _LETTERS if c not in implied]), unique=True, max_size=4)
    )
    version = draw(st.one_of(st.none(), st.integers(1, 7)))
    index_numbered = str(version or 1) in fam["index_numbered_versions"].split(";")
    number = draw(st.integers(1, 999))
    constrained = None
    if number > 1 and not index_numbered and draw(st.booleans()):
        constrained = draw(st.integers(1, number - 1))
    return {
        "tier": draw(st.sampled_from(["Standard", "Basic"])),
        "code": fam["code"],
        "number": number,
        "constrained": constrained,
        "features": "".join(letters),
        "accelerator": draw(st.one_of(st.none(), st.sampled_from(_ACCELS))),
        "version": version,
        "promo": draw(st.booleans()),
        "index_numbered": index_numbered,
        "family": fam["family"] + fam["subfamily"],
    }


def _build(p: dict[str, object]) -> str:
    name = f"{p['tier']}_{p['code']}{p['number']}"
    if p["constrained"] is not None:
        name += f"-{p['constrained']}"
    name += str(p["features"])
    if p["accelerator"]:
        name += f"_{p['accelerator']}"
    if p["version"] is not None:
        name += f"_v{p['version']}"
    if p["promo"]:
        name += "_Promo"
    return name


@settings(max_examples=300, deadline=None)
@given(size_parts())
def test_generated_names_round_trip(p: dict[str, object]) -> None:
    name = _build(p)
    info = parse_size(name)
    assert isinstance(info, SizeInfo)
    assert info.name == name
    assert info.tier == p["tier"]
    assert info.spelled_family == p["code"]
    assert info.family == p["family"]
    assert info.size_number == p["number"]
    parent = None if p["index_numbered"] else p["number"]
    assert info.vcpus == (p["constrained"] or parent)
    assert info.parent_vcpus == (parent if p["constrained"] else None)
    assert info.constrained_vcpus == p["constrained"]
    assert info.features.endswith(str(p["features"]))
    assert info.accelerator == p["accelerator"]
    assert info.version == p["version"]
    assert info.promo == p["promo"]
    if info.family in {"HB", "HX", "L", "ND"}:  # series rows of size_cpus.csv decide (tested above)
        assert info.architecture in {"x64", "Arm64"}
    else:
        assert info.architecture == ("Arm64" if "p" in info.features else "x64")


_ALPHABET = "Standard_Basic_DSNCEMHXVAB0123456789-_vpadslmirtTV1A100Promo "


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.text(alphabet=_ALPHABET, max_size=30)))
def test_random_strings_raise_only_data_error(text: str) -> None:
    field: str | None = "-"
    try:
        info = parse_size(text)
    except DataError as e:
        field = e.field
    else:
        assert parse_size(info.name) == info
    assert field is not None


def test_well_formed_name_of_an_unknown_family_parses() -> None:
    info = parse_size("Standard_Q4s_v5")
    assert (info.family, info.family_letter, info.subfamily, info.family_known) == ("Q", "Q", "", False)
    assert info.series == "Qsv5"
    assert parse_size("Standard_ZX8ds_v7").subfamily == "X"
    assert parse_size("Standard_D4s_v5").family_known


def test_very_high_memory_x_letter() -> None:
    info = parse_size("Standard_M896ixds_32_v3")
    assert (info.family, info.vcpus, info.features, info.isolated, info.version) == (
        "M",
        896,
        "ixds",
        True,
        3,
    )


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("Standard_D２s_v5", "vcpus"),  # full-width digit
        ("Standard_D2s_v٥", "segment"),  # Arabic-Indic digit
        ("Standard_D" + "9" * 500 + "s_v5", "vcpus"),
        ("Standard_D" + "9" * 5000 + "s_v5", "vcpus"),
        ("Standard_E4-" + "9" * 9 + "s_v5", "constrained_vcpus"),
    ],
)
def test_non_ascii_digits_and_huge_vcpu_counts_are_rejected(name: str, field: str) -> None:
    with pytest.raises(DataError) as e:
        parse_size(name)
    assert e.value.field == field


@pytest.mark.parametrize(
    ("size", "vendor", "arch"),
    [
        ("Standard_HB60rs", "AMD", "x64"),
        ("Standard_HB120rs_v2", "AMD", "x64"),
        ("Standard_HB120rs_v3", "AMD", "x64"),
        ("Standard_HB120-16rs_v3", "AMD", "x64"),
        ("Standard_HB176rs_v4", "AMD", "x64"),
        ("Standard_HB368rs_v5", "AMD", "x64"),
        ("Standard_HX176rs", "AMD", "x64"),
        ("Standard_L8s_v2", "AMD", "x64"),
        ("Standard_L8s_v3", "Intel", "x64"),
        ("Standard_L8as_v3", "AMD", "x64"),
        ("Standard_HC44rs", "Intel", "x64"),
        ("Standard_ND128isr_NDR_GB200_v6", "NVIDIA", "Arm64"),
        ("Standard_D4pds_v5", "Arm", "Arm64"),
        ("Standard_D4s_v5", "Intel", "x64"),
    ],
)
def test_cpu_vendor_and_architecture_come_from_the_cpu_table(size: str, vendor: str, arch: str) -> None:
    """size_cpus.csv: series pages (HB/HX/Lsv2 AMD EPYC, GB200 ND v6 Grace) before the naming letters."""
    info = parse_size(size)
    assert (info.cpu_vendor, info.architecture) == (vendor, arch)
