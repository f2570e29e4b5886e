"""The azurevm claims tlkit issues mirror the real MAA tokens (names, JSON types, nesting), and each
intended difference is named in data/attest/azurevm_claims.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.attest._token_fixtures import ISSUED_AT, REAL_TOKENS, linux_facts, real_header, real_payload
from tlkit.attest._claims import (
    CLAIM_RULES,
    AttestedFacts,
    azurevm_claims,
    claim_vocabulary,
    json_type,
)
from tlkit.errors import DataError

TEE = "x-ms-isolation-tee"
STANDARD = {"exp", "iat", "iss", "jti", "nbf"}


def _azurevm_part(payload: dict[str, Any]) -> dict[str, Any]:
    """A real token's claims without the Confidential-VM part (a TL token has none)."""
    return {k: v for k, v in payload.items() if k != TEE}


def _claims(facts: AttestedFacts | None = None) -> dict[str, Any]:
    return azurevm_claims(facts or linux_facts(), issuer="https://attest.example", issued_at=ISSUED_AT)


@pytest.mark.parametrize("name", sorted(REAL_TOKENS))
def test_table_lists_exactly_the_real_tokens_claims_with_their_types(name: str) -> None:
    real = _azurevm_part(real_payload(name))
    table = {s.claim: s for s in claim_vocabulary() if s.in_real_token}
    assert set(table) == set(real)
    assert {c: json_type(v) for c, v in real.items()} == {c: s.type for c, s in table.items()}
    # flat: the only nested values are x-ms-runtime (omitted) and the TEE part (no TL claim)
    assert [c for c, v in real.items() if isinstance(v, dict)] == ["x-ms-runtime"]
    assert real_header(name)["alg"] == "RS256"


@pytest.mark.parametrize("name", sorted(REAL_TOKENS))
def test_issued_claims_equal_real_claims_except_the_named_differences(name: str) -> None:
    real = _azurevm_part(real_payload(name))
    ours = _claims()
    spec = {s.claim: s for s in claim_vocabulary()}
    omitted = {c for c, s in spec.items() if s.tlkit == "omitted"}
    added = {c for c, s in spec.items() if s.tlkit == "added"}
    assert omitted == {
        "x-ms-azurevm-attestation-protocol-ver",
        "x-ms-azurevm-signingdisabled",
        "x-ms-policy-hash",
        "x-ms-runtime",
    }
    assert added == {"nonce"}
    assert set(ours) == (set(real) - omitted) | added
    for claim in set(ours) & set(real):
        assert json_type(ours[claim]) == json_type(real[claim]), claim
    for claim in added:
        assert json_type(ours[claim]) == spec[claim].type
    assert list(ours) == sorted(ours)  # key order as in the real tokens


@pytest.mark.parametrize("name", sorted(REAL_TOKENS))
def test_the_real_tokens_facts_give_the_real_values(name: str) -> None:
    """Same facts as the real Ubuntu 24.04 token: every shared non-time claim has the real value."""
    real = _azurevm_part(real_payload(name))
    ours = _claims(linux_facts(nonce=None))
    shared = (set(ours) & set(real)) - STANDARD
    assert {c: ours[c] for c in shared} == {c: real[c] for c in shared}
    assert real["exp"] - real["iat"] == ours["exp"] - ours["iat"] == 8 * 3600
    assert "nonce" not in ours


def test_rules_cover_exactly_the_emitted_and_added_rows() -> None:
    issued = {s.claim for s in claim_vocabulary() if s.tlkit != "omitted"}
    assert set(CLAIM_RULES) | STANDARD == issued


def test_times_are_integers_from_issued_at_and_lifetime() -> None:
    claims = azurevm_claims(
        linux_facts(),
        issuer="i",
        issued_at=datetime(2026, 1, 1, 9, 30, 15, 999, tzinfo=UTC),
        lifetime=timedelta(minutes=5),
    )
    iat = int(datetime(2026, 1, 1, 9, 30, 15, tzinfo=UTC).timestamp())
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (iat, iat, iat + 300)
    assert all(type(claims[c]) is int for c in ("iat", "nbf", "exp"))
    assert claims["x-ms-attestation-type"] == "azurevm"
    assert claims["iss"] == "i"


def test_nonce_is_hex_and_absent_when_empty() -> None:
    assert _claims(linux_facts(nonce=b"\xab\x01"))["nonce"] == "ab01"
    assert "nonce" not in _claims(linux_facts(nonce=b""))
    assert "nonce" not in _claims(linux_facts(nonce=None))


def test_jti_is_deterministic_and_depends_on_every_claim() -> None:
    a, b = _claims(), _claims()
    assert a == b
    assert len(a["jti"]) == 64
    assert _claims(linux_facts(secure_boot=False))["jti"] != a["jti"]
    assert _claims(linux_facts(nonce=b"\x00"))["jti"] != a["jti"]


def test_unestablished_facts_give_no_claim() -> None:
    claims = _claims(linux_facts(db_validated=None, vm_id=None, os_distro=None))
    for claim in ("x-ms-azurevm-dbvalidated", "x-ms-azurevm-vmid", "x-ms-azurevm-osdistro"):
        assert claim not in claims


WINDOWS_FLAGS = {
    "x-ms-azurevm-bootdebug-enabled": "boot_debug",
    "x-ms-azurevm-kerneldebug-enabled": "kernel_debug",
    "x-ms-azurevm-hypervisordebug-enabled": "hypervisor_debug",
    "x-ms-azurevm-testsigning-enabled": "test_signing",
    "x-ms-azurevm-flightsigning-enabled": "flight_signing",
    "x-ms-azurevm-elam-enabled": "elam_enabled",
    "x-ms-azurevm-hvci-policy": "hvci_policy",
    "x-ms-azurevm-osbuild": "os_build",
}


def test_windows_flags_on_linux_take_the_real_linux_values() -> None:
    real = real_payload(sorted(REAL_TOKENS)[0])
    claims = _claims()
    for claim in WINDOWS_FLAGS:
        assert claims[claim] == real[claim], claim
    assert claims["x-ms-azurevm-debuggersdisabled"] is True


def test_windows_flags_unknown_on_windows_are_omitted_and_known_ones_reported() -> None:
    unknown = _claims(linux_facts(os_type="Windows", os_distro="Microsoft"))
    assert not set(WINDOWS_FLAGS) & set(unknown)
    assert "x-ms-azurevm-debuggersdisabled" not in unknown
    assert unknown["x-ms-azurevm-is-windows"] is True
    flags: dict[str, Any] = {
        "boot_debug": False,
        "kernel_debug": True,
        "hypervisor_debug": False,
        "test_signing": True,
        "flight_signing": False,
        "elam_enabled": True,
        "hvci_policy": 3,
        "os_build": "26100",
    }
    known = _claims(linux_facts(os_type="Windows", **flags))
    assert {c: known[c] for c in WINDOWS_FLAGS} == {c: flags[f] for c, f in WINDOWS_FLAGS.items()}
    assert known["x-ms-azurevm-debuggersdisabled"] is False  # kernel debugging is on


def test_unknown_os_claims_no_windows_flag_and_no_os() -> None:
    claims = _claims(linux_facts(os_type=None))
    assert not {"x-ms-azurevm-is-windows", "x-ms-azurevm-ostype", *WINDOWS_FLAGS} & set(claims)


def test_vm_id_is_upper_case_guid() -> None:
    assert _claims()["x-ms-azurevm-vmid"] == "9E3BB91D-5F21-4F22-9F0E-BEBC7F3E0137"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"attested_pcrs": (1, 0)}, "attested_pcrs"),
        ({"attested_pcrs": (0, 0)}, "attested_pcrs"),
        ({"attested_pcrs": (24,)}, "attested_pcrs"),
        ({"attested_pcrs": [0, 1]}, "attested_pcrs"),
        ({"attested_pcrs": (True,)}, "attested_pcrs"),
        ({"secure_boot": None}, "secure_boot"),
        ({"secure_boot": 1}, "secure_boot"),
        ({"db_validated": "yes"}, "db_validated"),
        ({"hvci_policy": -1}, "hvci_policy"),
        ({"hvci_policy": True}, "hvci_policy"),
        ({"os_version_major": 1.5}, "os_version_major"),
        ({"os_type": "linux"}, "os_type"),
        ({"os_distro": ""}, "os_distro"),
        ({"vm_id": "not-a-guid"}, "vm_id"),
        ({"nonce": "00"}, "nonce"),
        ({"nonce": bytes(67)}, "nonce"),
    ],
)
def test_invalid_facts_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(DataError) as e:
        linux_facts(**change)
    assert e.value.field == field


@pytest.mark.parametrize(
    "kwargs",
    [
        {"issued_at": datetime(2026, 1, 1)},  # naive
        {"lifetime": timedelta(0)},
        {"lifetime": timedelta(milliseconds=999)},
        {"issuer": ""},
    ],
)
def test_bad_issue_parameters_are_refused(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"issuer": "i", "issued_at": ISSUED_AT, **kwargs}
    with pytest.raises(DataError):
        azurevm_claims(linux_facts(), **args)


def test_every_omitted_or_added_row_says_why() -> None:
    for spec in claim_vocabulary():
        assert bool(spec.difference) == (spec.tlkit != "emitted"), spec.claim
        assert spec.meaning, spec.claim
