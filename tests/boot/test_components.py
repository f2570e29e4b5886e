"""Component contents read from the image: SBAT records and shim's vendor certificate."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.boot.conftest import SEED
from tlkit.boot import (
    DEFAULT_SBAT_LEVEL,
    Component,
    make_component,
    parse_sbat,
    parse_sbat_level,
    signing_key,
    vendor_cert_section,
)
from tlkit.boot._components import _vendor_certs
from tlkit.errors import DataError, ParseError


def test_shim_carries_its_vendor_certificate_and_sbat(chain: dict[str, Component]) -> None:
    shim = chain["shim"]
    assert shim.vendor_certificates == (signing_key(SEED, "vendor-ca").der,)
    assert shim.sbat is not None
    assert [(e.component, e.generation) for e in shim.sbat] == [("sbat", 1), ("shim", 4), ("shim.ubuntu", 1)]
    assert chain["grub"].vendor_certificates == ()


def test_sbat_level_drops_its_header() -> None:
    assert [(e.component, e.generation) for e in parse_sbat_level(DEFAULT_SBAT_LEVEL)] == [
        ("shim", 4),
        ("grub", 3),
        ("grub.debian", 4),
    ]


def test_same_arguments_same_component_and_a_new_version_changes_the_digest(
    chain: dict[str, Component],
) -> None:
    again = make_component.__wrapped__(
        "vmlinuz-6.8.0", "kernel", seed=SEED, signer="vendor-signer", version="6.8.0"
    )  # type: ignore[attr-defined]
    assert again.data == chain["kernel"].data
    newer = make_component("vmlinuz-6.8.0", "kernel", seed=SEED, signer="vendor-signer", version="6.8.1")
    assert newer.digest() != chain["kernel"].digest()


def test_unknown_kind_is_a_data_error() -> None:
    with pytest.raises(DataError, match="unknown component kind"):
        make_component("x", "hypervisor")


@given(st.text(max_size=200))
def test_sbat_parsers_raise_only_parse_errors(text: str) -> None:
    for parser in (parse_sbat, parse_sbat_level):
        try:
            entries = parser(text)
        except ParseError:
            continue
        assert all(e.generation >= 0 for e in entries)


@given(st.binary(max_size=300), st.binary(max_size=40))
def test_vendor_cert_section_round_trips_and_garbage_is_a_parse_error(cert: bytes, junk: bytes) -> None:
    assert _vendor_certs(vendor_cert_section(cert)) == ((cert,) if cert else ())
    with contextlib.suppress(ParseError):
        _vendor_certs(junk)
