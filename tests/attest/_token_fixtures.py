"""Shared material of the token tests: the real MAA azurevm tokens, facts, a seeded issuer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jwt

from tests.conftest import fixture_path
from tlkit.attest._claims import AttestedFacts
from tlkit.attest._token import TokenIssuer, seeded_signing_key

#: The real MAA tokens: fixture file -> JSON path of the JWT inside it.
REAL_TOKENS = {
    "fluorite/libraries/attestation/azure-cvm-attestation/test_data/attestation_document.json": (
        "response_struct",
        "jwt",
    ),
    "fluorite/libraries/attestation/azure-cvm-attestation/test_data/response_struct.json": ("jwt",),
}
ISSUED_AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def real_token(name: str) -> str:
    doc: Any = json.loads(fixture_path(name).read_text())
    for key in REAL_TOKENS[name]:
        doc = doc[key]
    assert isinstance(doc, str)
    return doc


def real_payload(name: str) -> dict[str, Any]:
    """A real token's claims, decoded WITHOUT signature verification (MAA's keys are not available)."""
    payload: dict[str, Any] = jwt.decode(real_token(name), options={"verify_signature": False})
    return payload


def real_header(name: str) -> dict[str, Any]:
    return dict(jwt.get_unverified_header(real_token(name)))


def linux_facts(**changes: Any) -> AttestedFacts:
    """The facts behind the real Ubuntu 24.04 token (plus a nonce), with ``changes``."""
    base: dict[str, Any] = {
        "attested_pcrs": tuple(range(8)),
        "secure_boot": True,
        "db_validated": True,
        "dbx_validated": True,
        "default_keys_validated": True,
        "os_type": "Linux",
        "os_distro": "Ubuntu",
        "os_version_major": 24,
        "os_version_minor": 4,
        "vm_id": "9e3bb91d-5f21-4f22-9f0e-bebc7f3e0137",
        "nonce": bytes(range(32)),
    }
    return AttestedFacts(**{**base, **changes})


@cache
def issuer(seed: int = 7) -> TokenIssuer:
    return TokenIssuer(seeded_signing_key(seed))


def good_token() -> str:
    return issuer().issue(linux_facts(), issued_at=ISSUED_AT)
