"""Issue 7 §5 "data fidelity" and §6 "rules as data": each fact from its source, as data."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlkit.errors import DataError
from tlkit.support import (
    COMPAT_RULES,
    TLAD_RULES,
    TladDecision,
    check_vm,
    parse_size,
    resolve_tlad,
    size_status,
    snapshots,
)
from tlkit.support._compat import gen1_upgrade_stage
from tlkit.support._snapshots import load_csv

JAMMY = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"
JAMMY_ARM = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-arm64"


def test_gb200_nd_v6_is_arm64_and_the_arm64_rule_applies() -> None:
    gb = "Standard_ND128isr_NDR_GB200_v6"
    assert parse_size(gb).architecture == "Arm64"
    # x64 image on a Grace size: architecture mismatch, and the Arm64 image note.
    r = check_vm(gb, JAMMY, as_of="2026-07")
    assert "architecture-mismatch" in r.reasons
    assert "Trusted Launch on Arm64 needs Arm64 Marketplace images" in r.notes
    # An Arm64 size matched only by a family row is never assumed supported.
    assert size_status(gb, "2026-07").status != "supported"


def test_constrained_vcpus_are_the_active_count() -> None:
    e = parse_size("Standard_E8-4ds_v5")
    assert (e.vcpus, e.parent_vcpus) == (4, 8)
    assert e.to_dict()["parent_vcpus"] == 8


def standard(client: str, as_of: str, *flags: str, api_version: str | None = None) -> TladDecision:
    """A request for securityType Standard on a supported size and image."""
    return resolve_tlad(
        client=client,
        api_version=api_version,
        size="Standard_D4s_v5",
        image=JAMMY,
        security_profile="Standard",
        flags=flags,
        as_of=as_of,
    )


def test_portal_standard_after_unregistering_the_preview_follows_the_seed() -> None:
    """Seed (TL-2025a known limitations): unregistering TrustedLaunchByDefaultPreview lets the
    portal's Standard choice create a Gen2 non-TL VM."""
    for as_of in ("2025-04", "2025-04b"):
        d = standard("portal", as_of)
        assert d.passed, as_of
        assert d.effective_security_type == "Standard", as_of
        assert "portal-standard-preview-unregistered" in d.reasons
        # With the preview registered the known limitation still deploys TL.
        under = standard("portal", as_of, "TrustedLaunchByDefaultPreview")
        assert under.effective_security_type == "TrustedLaunch"
    # API clients still need UseStandardSecurityType (FAQ-2025).
    assert standard("arm", "2025-04", api_version="2024-07-01").error_code == "standard-needs-flag"


@pytest.mark.parametrize(
    "api_version", ["2020-12-01", "2021-07-01", "2021-11-01", "2022-08-01", "2023-03-01"]
)
def test_standard_is_not_a_value_of_old_api_versions(api_version: str) -> None:
    for as_of in ("2025-04", "2026-07"):
        d = standard("arm", as_of, "UseStandardSecurityType", api_version=api_version)
        assert not d.passed
        assert d.error_code == "standard-not-in-api-version"
        assert d.error is not None
        assert "2023-03-01" in d.error
    assert standard("arm", "2025-04", "UseStandardSecurityType", api_version="2024-07-01").passed


def test_gen1_upgrade_rows_carry_their_source() -> None:
    rows = load_csv("gen1_upgrade.csv")
    assert (rows[0]["since"], rows[0]["flag"]) == ("2024-11-29", "Gen1ToTLMigrationPreview")
    assert all(r["source"] for r in rows)
    by_id = {s.id: gen1_upgrade_stage(s) for s in snapshots()}
    assert by_id["2023-11"] is None
    assert by_id["2025-04"] is not None
    assert by_id["2025-04"]["stage"] == "preview"
    assert by_id["2026-07"] is not None
    assert by_id["2026-07"]["since"] == "2026-03-09"


def test_rules_are_named_data() -> None:
    for rules in (COMPAT_RULES, TLAD_RULES):
        codes = [r.code for r in rules]
        assert len(codes) == len(set(codes))
        for r in rules:
            assert r.code, r
            assert r.source, r
            assert r.description, r


def test_notes_are_worded_for_their_interface() -> None:
    gallery = (
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0"
    )
    r = check_vm("Standard_D4s_v5", gallery, as_of="2026-07")
    py = [n for n in r.notes if "Hyper-V generation not known" in n]
    cli = [n for n in r.notes_for("cli") if "Hyper-V generation not known" in n]
    assert py
    assert "generation=1|2" in py[0]
    assert "--generation" not in py[0]
    assert cli
    assert "--generation 1|2" in cli[0]
    assert "generation=1|2" not in cli[0]
    assert r.to_dict(interface="cli")["notes"] == list(r.notes_for("cli"))


def test_readme_headline_examples_reach_a_verdict() -> None:
    for size, as_of in (("Standard_D4s_v5", None), ("Standard_D4pds_v5", "2025-04")):
        r = check_vm(size, os="Ubuntu 22.04", as_of=as_of)
        assert r.compatible is not None, (size, r.undetermined)
        assert r.generation == 2
        assert any(n.startswith("Generation 2 assumed") for n in r.notes)
    # An explicit generation wins over the implied one.
    assert check_vm("Standard_D4s_v5", os="Ubuntu 22.04", generation=1).reasons == ("gen1",)


_SIZES = st.sampled_from(
    [
        "Standard_D4s_v5",
        "Standard_DC4s_v2",
        "Standard_DC8s_v3",
        "Standard_H16r",
        "Standard_M128ms",
        "Standard_D4pds_v5",
        "Standard_D8pds_v6",
        "Standard_ND128isr_NDR_GB200_v6",
        "Standard_HB120rs_v3",
        "Standard_E8-4ds_v5",
        "Standard_NC24ads_A100_v4",
        "Standard_A1_v2",
        "Standard_X9zz",
    ]
)
_IMAGES = st.sampled_from(
    [
        None,
        JAMMY,
        JAMMY_ARM,
        "Canonical:0001-com-ubuntu-server-focal:20_04-lts:latest",
        "MicrosoftWindowsServer:WindowsServer:2016-Datacenter:latest",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/img",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0",
        "SomePublisher:some-offer:some-sku:latest",
    ]
)
_AS_OF = st.one_of(
    st.none(),
    st.sampled_from([s.id for s in snapshots()]),
    st.dates(dt.date(2021, 3, 1), dt.date(2027, 1, 1)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=_SIZES,
    image=_IMAGES,
    os=st.sampled_from([None, "Ubuntu 22.04", "Windows Server 2019", "CentOS 7", "Plan 9"]),
    generation=st.sampled_from([None, 1, 2]),
    as_of=_AS_OF,
)
def test_every_negative_verdict_has_reasons(
    size: str, image: str | None, os: str | None, generation: int | None, as_of: object
) -> None:
    try:
        r = check_vm(size, image, os=os, generation=generation, as_of=as_of)  # type: ignore[arg-type]
    except DataError:
        return
    if not r:
        assert r.reasons, r
    assert (r.compatible is False) == bool(r.blockers)
    if r.size_status == "unknown":
        assert r.compatible is not True
        assert "size-unknown" not in [b.code for b in r.blockers]
    assert r.to_dict()["compatible"] in (True, False, None)
