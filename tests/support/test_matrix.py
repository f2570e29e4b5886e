"""Size status per snapshot: the documented cases, row specificity, unknowns."""

from __future__ import annotations

import dataclasses

import pytest

from tlkit.errors import DataError
from tlkit.support import (
    STATUSES,
    SizeStatus,
    check_vm,
    parse_size,
    size_status,
    size_table,
    snapshots,
    supported_alternatives,
)

S, C, N, U = STATUSES


@pytest.mark.parametrize(
    ("size", "as_of", "status", "row"),
    [
        # M-family: no TL in every version; Mbdsv4 preview in 2026
        ("Standard_M128ms", "2021-02", C, "M"),
        ("Standard_M128ms", "2023-04", C, "M"),
        ("Standard_M208ms_v2", "2023-11", C, "Msv2 and Mdsv2 Medium Memory, Mv2"),
        ("Standard_M128ms", "2025-04", C, "M-family"),
        ("Standard_M128ms", "2026-07", N, "M-family except Mbdsv4 (Preview)"),
        ("Standard_M48ds_1_v3", "2026-07", N, "M-family except Mbdsv4 (Preview)"),
        ("Standard_M16bds_v4", "2026-07", C, "Mbdsv4 sizes series (Preview)"),
        # Arm64 Ampere v5: currently not supported
        ("Standard_D4ps_v5", "2023-04", C, "Dpsv5"),
        ("Standard_D4pds_v5", "2025-04", C, "Dpdsv5-series"),
        ("Standard_D4pls_v5", "2026-07", C, "Dplsv5"),
        ("Standard_D4plds_v5", "2026-07", C, "Dpldsv5"),
        ("Standard_E4ps_v5", "2023-04", C, "Epsv5"),
        ("Standard_E4pds_v5", "2026-07", C, "Epdsv5"),
        # Cobalt 100 v6: supported from the 2025 Arm64 variant
        ("Standard_D4ps_v6", "2025-04b", S, "Dpsv6-series"),
        ("Standard_D4pls_v6", "2026-07", S, "Dplsv6-series"),
        ("Standard_E4ps_v6", "2026-07", S, "Epsv6-series"),
        # Confidential families
        ("Standard_DC4as_v5", "2025-04", N, "DC-Confidential-family"),
        ("Standard_DC2es_v6", "2026-07", N, "DC-Confidential-family"),
        ("Standard_EC4ads_v5", "2026-07", N, "EC-Confidential-family"),
        ("Standard_DC2s_v2", "2023-04", S, "DCsv2"),
        # GPU: old series not supported, newer NC/ND/NV families supported
        ("Standard_NC6", "2023-11", N, "NC"),
        ("Standard_NC24r", "2026-07", N, "NC-series"),
        ("Standard_NV12", "2026-07", N, "NV-series"),
        ("Standard_NP10s", "2025-04", N, "NP-series"),
        ("Standard_NC24ads_A100_v4", "2023-04", S, "NC_A100_v4"),
        ("Standard_NC4as_T4_v3", "2023-04", S, "NCasT4_v3"),
        ("Standard_NC6s_v3", "2023-04", S, "NCv3"),
        ("Standard_NC24ads_A100_v4", "2026-07", S, "NC-family"),
        ("Standard_ND96asr_v4", "2025-04", C, "NDasrA100_v4-series"),
        ("Standard_ND96asr_v4", "2026-07", S, "NDasrA100_v4-series"),
        ("Standard_ND96amsr_A100_v4", "2025-04", C, "NDm_A100_v4-series"),
        ("Standard_ND96amsr_A100_v4", "2026-07", S, "NDm_A100_v4-series"),
        ("Standard_ND40rs_v2", "2023-04", S, "NDv2"),
        # No Gen2: Av2, Dv2, Dv3, Ev3
        ("Standard_A2_v2", "2023-11", N, "Av2"),
        ("Standard_A2m_v2", "2026-07", N, "A-family"),
        ("Standard_D2_v2", "2025-04", N, "Dv2-series"),
        ("Standard_D11_v2", "2026-07", N, "Dv2-series"),
        ("Standard_D2_v3", "2023-11", N, "Dv3"),
        ("Standard_D2_v3", "2026-07", N, "Dv3-series"),
        ("Standard_E2_v3", "2023-11", N, "Ev3"),
        ("Standard_E64i_v3", "2026-07", N, "Ev3"),
        # ... while their premium-storage siblings are supported (family row)
        ("Standard_D2s_v3", "2023-04", S, "Dsv3"),
        ("Standard_D2s_v3", "2026-07", S, "D-family"),
        ("Standard_DS2_v2", "2026-07", S, "D-family"),
        ("Standard_E64is_v3", "2023-04", S, "Esv3"),
        ("Standard_E2s_v3", "2026-07", S, "E-family"),
        ("Standard_E96bds_v5", "2023-04", C, "Ebdsv5"),
        ("Standard_E96bds_v5", "2023-11", S, "Ebdsv5"),
        ("Standard_E96bds_v5", "2026-07", S, "Eb-family"),
        ("Standard_FX4mds", "2026-07", S, "Fx-family"),
        ("Standard_L8s_v3", "2025-04", S, "L-family"),
        # HPC
        ("Standard_HB120rs_v3", "2025-04", S, "HBv3-series"),
        ("Standard_HB120-16rs_v3", "2026-07", S, "HBv3"),
        ("Standard_HC44-16rs", "2026-07", S, "HC"),
        ("Standard_HX176rs", "2023-04", S, "HX"),
        # 2022 "Limitations: VM size support" allow-list
        ("Standard_E2s_v5", "2022-05", S, "Esv5-series"),
        ("Standard_NV36ads_A10_v5", "2022-05", S, "NVadsA10 v5-series"),
        ("Standard_NC4as_T4_v3", "2022-05", S, "NCasT4_v3-series"),
        ("Standard_NC6s_v3", "2022-05", C, "sizes outside the TL-2022 'VM size support' list"),
        ("Standard_M128ms", "2022-05", C, "sizes outside the TL-2022 'VM size support' list"),
        # 2021 preview allow-list
        ("Standard_D2s_v4", "2021-02", S, "Dsv4"),
        ("Standard_L8s_v2", "2021-02", S, "Lsv2"),
        ("Standard_D2s_v5", "2021-02", C, "sizes outside the preview allow-list"),
    ],
)
def test_documented_cases(size: str, as_of: str, status: str, row: str) -> None:
    st = size_status(size, as_of=as_of)
    assert st.status == status
    assert st.matched_row is not None
    assert st.matched_row.label == row
    assert st.matched_row.snapshot == st.snapshot


def test_result_fields() -> None:
    st = size_status("Standard_D4pds_v5", as_of="2025-04")
    assert isinstance(st, SizeStatus)
    assert (st.series, st.family, st.snapshot) == ("Dpdsv5", "D", "2025-04")
    assert st.source.startswith("TL-2025a (ms.date 04/21/2025): ")
    assert st.reasons == ("matched-series-row",)
    assert "Arm64 (Ampere Altra)" in st.note
    assert not st
    assert size_status("Standard_D4s_v5")
    d = st.to_dict()
    assert d["matched_row"]["label"] == "Dpdsv5-series"
    assert d["status"] == C


def test_m_family_always_carries_the_no_tl_reason() -> None:
    for snap in ("2021-02", "2023-04", "2025-04", "2026-07"):
        st = size_status("Standard_M64s", as_of=snap)
        assert "m-family-no-tl" in st.reasons
        assert st.status != S


def test_inferred_rows_say_so() -> None:
    st = size_status("Standard_E2_v3", as_of="2026-07")
    assert "basis-inferred" in st.reasons
    assert "ev3-esv3-series" in st.note


def test_unknown_is_a_status_not_an_exception() -> None:
    h = size_status("Standard_H16r", as_of="2026-07")
    assert (h.status, h.matched_row, h.reasons) == (U, None, ("no-matching-row",))
    assert "no TL-2026 row covers family H" in h.note
    ncc = size_status("Standard_NCC40ads_H100_v5", as_of="2026-07")
    assert ncc.status == U
    ev5 = size_status("Standard_E2s_v5", as_of="2023-04")
    assert ev5.status == U  # TL-2023 lists Esv4, Edsv5 ... but not Esv5
    bare = dataclasses.replace(snapshots()[0], id="no-rows", tag="TL-none")
    table = size_status("Standard_D2s_v5", as_of=bare)
    assert (table.status, table.reasons) == (U, ("no-size-table",))
    assert "TL-none has no size table" in table.note


def test_arm64_on_family_row_is_unknown() -> None:
    st = size_status("Standard_B2pts_v2", as_of="2026-07")
    assert st.status == U
    assert st.reasons == ("matched-family-row", "arm64-series-not-listed")
    assert st.matched_row is not None
    assert st.matched_row.label == "B-family"
    # before the Arm64 rows existed, Cobalt sizes were not documented either
    early = size_status("Standard_D4ps_v6", as_of="2025-04")
    assert (early.status, early.note) == (
        U,
        "Arm64 size whose series is not listed; TL-2025a lists no supported Arm64 series",
    )


@pytest.mark.parametrize("size", ["Standard_D8pds_v6", "Standard_D16plds_v6", "Standard_E8pds_v6"])
@pytest.mark.parametrize(("as_of", "tag"), [("2025-04b", "TL-2025b"), ("2026-07", "TL-2026")])
def test_cobalt_local_disk_series_are_not_listed(size: str, as_of: str, tag: str) -> None:
    """Dpdsv6/Dpldsv6/Epdsv6: the reference notes list only Dpsv6, Dplsv6, Epsv6 (no support invented)."""
    st = size_status(size, as_of=as_of)
    assert (st.status, st.reasons) == (U, ("matched-family-row", "arm64-series-not-listed"))
    why = f"Arm64 size whose series is not listed; {tag} lists only Dpsv6, Dplsv6, Epsv6"
    assert st.note == f"{why} as supported Arm64 series"
    rep = check_vm(size, "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64", as_of=as_of)
    assert (rep.compatible, rep.reasons) == (None, ("size-unknown",))
    assert any(
        n.startswith(
            f"VM size {size} ({st.series}) has no Trusted Launch status in this snapshot's size table "
            f"({st.note})"
        )
        for n in rep.notes
    )
    assert st.note not in rep.notes
    # the listed series themselves are supported
    listed = size.replace("pds", "ps").replace("plds", "pls")
    assert size_status(listed, as_of=as_of).status == "supported"


def test_most_specific_row_wins_and_order_does_not_matter() -> None:
    st = size_status("Standard_D2_v3", as_of="2026-07")
    assert st.matched_row is not None
    assert st.matched_row.kind == "series"
    st = size_status("Standard_M16bds_v4", as_of="2026-07")
    assert st.matched_row is not None
    assert st.matched_row.label.startswith("Mbdsv4")


def test_memoized_per_size_and_snapshot() -> None:
    assert size_status("Standard_D4s_v5", "2025-04") is size_status("Standard_D4s_v5", "2025-04")
    info = parse_size("Standard_D4s_v5")
    assert size_status(info, "2025-04") is size_status("Standard_D4s_v5", "2025-04")


def test_size_table_frame() -> None:
    df = size_table("2026-07")
    assert {"status", "kind", "family", "label", "basis"} <= set(df.columns)
    assert set(df["status"]) <= set(STATUSES)
    assert "Mbdsv4 sizes series (Preview)" in set(df["label"])


def test_supported_alternatives_stay_in_family_and_architecture() -> None:
    alts = supported_alternatives(parse_size("Standard_D2_v3"), "2026-07")
    assert alts[0] == "D-family"
    assert "Dpsv6-series" not in alts
    arm = supported_alternatives(parse_size("Standard_D4ps_v5"), "2026-07")
    assert "Dpsv6-series" in arm


def test_unknown_family_is_unknown_status() -> None:
    st = size_status("Standard_Q4s_v5", "2026-07")
    assert st.status == U
    assert st.reasons == ("no-matching-row", "family-unknown-to-parser")


@pytest.mark.parametrize("limit", [True, 1.0, -1, "2"])
def test_supported_alternatives_limit_must_be_an_int(limit: object) -> None:
    info = parse_size("Standard_D2_v3")
    assert len(supported_alternatives(info, "2026-07", limit=1)) == 1
    with pytest.raises(DataError) as ei:
        supported_alternatives(info, "2026-07", limit=limit)  # type: ignore[arg-type]
    assert ei.value.field == "limit"


@pytest.mark.parametrize("size", ["Standard_DC2s_v2", "Standard_DC4s_v3", "Standard_DC2ds_v3"])
def test_sgx_dc_sizes_are_not_read_as_dc_confidential(size: str) -> None:
    assert size_status(size, "2023-04").status == "supported"  # listed by series in TL-2023
    for as_of in ("2025-04", "2025-04b", "2026-07"):
        st = size_status(size, as_of)
        assert (st.status, st.matched_row) == ("unknown", None), as_of
        assert "row covers family DC" in st.note


@pytest.mark.parametrize(
    "size",
    [
        "Standard_DC4as_v5",
        "Standard_DC4ads_v5",
        "Standard_DC2es_v5",
        "Standard_EC4as_v5",
        "Standard_DC4as_cc_v5",
    ],
)
def test_confidential_vm_sizes_match_the_confidential_rows(size: str) -> None:
    st = size_status(size, "2026-07")
    assert st.status == "not-supported"
    assert st.matched_row is not None
    assert st.matched_row.label.endswith("-Confidential-family")
