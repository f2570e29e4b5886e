"""Random input to the public queries raises only DataError (never KeyError/ValueError/TypeError)."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from tlkit.errors import DataError
from tlkit.support import check_resize, check_vm, parse_image, resolve_tlad

_SIZES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["Standard_D4s_v5", "Standard_M128ms", "Standard_H16r", "Standard_D4pds_v5"]),
)
_IMAGES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
            "a:b:c",
            "/subscriptions/s/providers/Microsoft.Compute/galleries/g/images/d",
            "/x/providers/Microsoft.Compute/images/i",
        ]
    ),
    st.dictionaries(
        st.sampled_from(
            ["publisher", "offer", "sku", "version", "id", "securityType", "hyperVGeneration", "os"]
        ),
        st.one_of(st.text(max_size=12), st.integers(-3, 3), st.none()),
        max_size=5,
    ),
)
_AS_OF = st.one_of(
    st.none(), st.sampled_from(["2021-02", "2023-11", "2025-04", "2026-07"]), st.text(max_size=10)
)


@settings(max_examples=250, deadline=None)
@given(
    size=_SIZES,
    image=_IMAGES,
    os=st.one_of(st.none(), st.text(max_size=20)),
    generation=st.one_of(st.none(), st.integers(-1, 3), st.text(max_size=3)),
    features=st.lists(st.text(max_size=10), max_size=2),
    region=st.one_of(st.none(), st.text(max_size=10)),
    as_of=_AS_OF,
)
def test_check_vm_random(
    *,
    size: str,
    image: object,
    os: str | None,
    generation: object,
    features: list[str],
    region: str | None,
    as_of: str | None,
) -> None:
    try:
        r = check_vm(
            size,
            image,
            os=os,
            generation=generation,
            features=features,
            region=region,  # type: ignore[arg-type]
            as_of=as_of,
        )
    except DataError:
        return
    assert (r.compatible is False) is bool(r.blockers)
    assert (r.compatible is None) is bool(r.undetermined)
    assert r.size_status in ("supported", "currently-not-supported", "not-supported", "unknown")


@settings(max_examples=250, deadline=None)
@given(
    client=st.one_of(st.sampled_from(["portal", "cli", "arm", "terraform"]), st.text(max_size=8)),
    api=st.one_of(
        st.none(), st.sampled_from(["2021-11-01", "2025-11-01", "2024-07-01-preview"]), st.text(max_size=12)
    ),
    flags=st.lists(
        st.one_of(
            st.sampled_from(["TrustedLaunchByDefaultPreview", "UseStandardSecurityType"]), st.text(max_size=8)
        ),
        max_size=2,
    ),
    profile=st.one_of(
        st.none(), st.sampled_from(["TrustedLaunch", "Standard", "ConfidentialVM"]), st.text(max_size=8)
    ),
    size=_SIZES,
    image=_IMAGES,
    as_of=_AS_OF,
)
def test_resolve_tlad_random(
    *,
    client: str,
    api: str | None,
    flags: list[str],
    profile: str | None,
    size: str,
    image: object,
    as_of: str | None,
) -> None:
    try:
        d = resolve_tlad(
            client=client,
            api_version=api,
            flags=flags,
            security_profile=profile,
            size=size,
            image=image,
            as_of=as_of,
        )  # type: ignore[arg-type]
    except DataError:
        return
    assert (d.error is None) is (d.effective_security_type is not None)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12)), _SIZES, _AS_OF)
def test_check_resize_random(current: str | None, size: str, as_of: str | None) -> None:
    try:
        r = check_resize(current, size, as_of)
    except DataError:
        return
    assert r.allowed in (True, False, None)


@settings(max_examples=200, deadline=None)
@given(_IMAGES)
def test_parse_image_random(value: object) -> None:
    if value is None:
        return
    with contextlib.suppress(DataError):
        parse_image(value)  # type: ignore[arg-type]
