"""Attest.layout / Signature.layout: spans tile every real quote and agree with the parsed fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tpm import _fixtures
from tlkit.errors import DataError, ParseError
from tlkit.tpm import (
    Attest,
    ByteLayout,
    FieldSpan,
    PcrSelection,
    QuoteInfo,
    Signature,
    VirtualTpm,
    hash_alg,
)
from tlkit.viz import table

REAL = _fixtures.all_quotes()
SELECTION = PcrSelection.of({"sha256": [0, 1, 7], "sha1": [0, 23]})
NONCE = bytes(range(20))
T = TypeVar("T")


def _vtpm_quotes() -> list[tuple[str, bytes, bytes]]:
    out = []
    for kind in ("ecc", "rsa"):
        vtpm = VirtualTpm(seed=5, ak=kind)
        vtpm.pcrs.extend_data(7, b"secure boot")
        q = vtpm.quote(SELECTION, NONCE)
        out.append((f"vtpm-{kind}", q.message, q.signature))
    return out


VTPM = _vtpm_quotes()
MESSAGES = [(q.name, q.message) for q in REAL] + [(n, m) for n, m, _ in VTPM]
SIGNATURES = [
    (q.name, q.signature.to_bytes() if isinstance(q.signature, Signature) else q.signature) for q in REAL
] + [(n, s) for n, _, s in VTPM]


def _assert_tiles(layout: ByteLayout, data: bytes) -> None:
    assert layout.data == data
    pos = 0
    for span in layout:
        assert isinstance(span, FieldSpan)
        assert span.offset == pos, f"gap or overlap before {span.field}"
        assert span.size >= 0
        pos = span.end
    assert pos == len(data)
    assert sum(s.size for s in layout) == len(data)
    assert b"".join(layout.raw(s) for s in layout) == data
    assert len(set(layout.fields)) == len(layout), "field names are unique"


def test_real_fixtures_cover_every_source() -> None:
    names = {n for n, _ in MESSAGES}
    assert {"keylime", "windows-gce", "vtpm-ecc", "vtpm-rsa"} <= names
    assert any(n.startswith("az-snp-vtpm/") for n in names)
    assert any(n.startswith("az-tdx-vtpm/") for n in names)
    assert len(MESSAGES) == len(SIGNATURES) == 15


@pytest.mark.parametrize(("name", "message"), MESSAGES, ids=[n for n, _ in MESSAGES])
def test_attest_spans_tile_and_match_the_parsed_fields(name: str, message: bytes) -> None:
    layout = Attest.layout(message)
    _assert_tiles(layout, message)
    assert layout.structure == "TPMS_ATTEST"
    attest = Attest.from_bytes(message)
    info = attest.attested
    assert isinstance(info, QuoteInfo)
    v = {s.field: s.value for s in layout}
    assert v["magic"] == attest.magic
    assert v["type"] == attest.type == 0x8018
    assert v["qualifiedSigner.size"] == len(attest.qualified_signer)
    assert v["qualifiedSigner.name"] == attest.qualified_signer
    assert v["extraData.size"] == len(attest.extra_data)
    assert v["extraData.buffer"] == attest.extra_data
    assert v["clockInfo.clock"] == attest.clock_info.clock
    assert v["clockInfo.resetCount"] == attest.clock_info.reset_count
    assert v["clockInfo.restartCount"] == attest.clock_info.restart_count
    assert v["clockInfo.safe"] is attest.clock_info.safe
    assert v["firmwareVersion"] == attest.firmware_version
    items = info.pcr_select.items()
    assert v["pcrSelect.count"] == len(items)
    for i, ((alg, pcrs), size) in enumerate(zip(items, info.pcr_select.size_of_select, strict=True)):
        assert v[f"pcrSelect[{i}].hash"] is alg
        assert v[f"pcrSelect[{i}].sizeofSelect"] == size
        assert v[f"pcrSelect[{i}].pcrSelect"] == pcrs
    assert v["pcrDigest.size"] == len(info.pcr_digest)
    assert v["pcrDigest.buffer"] == info.pcr_digest
    # each span's bytes re-encode its value
    assert layout.raw(layout["magic"]) == attest.magic.to_bytes(4, "big")
    assert layout.raw(layout["firmwareVersion"]) == attest.firmware_version.to_bytes(8, "big")
    assert layout.raw(layout["pcrSelect[0].hash"]) == items[0][0].alg_id.to_bytes(2, "big")
    assert layout.fields[:11] == (
        "magic", "type", "qualifiedSigner.size", "qualifiedSigner.name", "extraData.size",
        "extraData.buffer", "clockInfo.clock", "clockInfo.resetCount", "clockInfo.restartCount",
        "clockInfo.safe", "firmwareVersion",
    )  # fmt: skip


@pytest.mark.parametrize(("name", "signature"), SIGNATURES, ids=[n for n, _ in SIGNATURES])
def test_signature_spans_tile_and_match_the_parsed_fields(name: str, signature: bytes) -> None:
    layout = Signature.layout(signature)
    _assert_tiles(layout, signature)
    sig = Signature.from_bytes(signature)
    v = {s.field: s.value for s in layout}
    assert v["sigAlg"] == sig.sig_alg
    assert v["hash"] is sig.hash
    if sig.rsa is not None:
        assert layout.fields == ("sigAlg", "hash", "sig.size", "sig.buffer")
        assert v["sig.buffer"] == sig.rsa
        assert v["sig.size"] == len(sig.rsa)
    else:
        assert layout.fields == (
            "sigAlg", "hash", "signatureR.size", "signatureR.buffer", "signatureS.size", "signatureS.buffer",
        )  # fmt: skip
        assert (v["signatureR.buffer"], v["signatureS.buffer"]) == (sig.ecdsa_r, sig.ecdsa_s)


def test_keylime_layout_offsets_and_spec_names() -> None:
    q = _fixtures.keylime()
    layout = Attest.layout(q.message)
    assert [(s.offset, s.size, s.field, s.spec_name) for s in layout] == [
        (0, 4, "magic", "TPM_GENERATED"),
        (4, 2, "type", "TPMI_ST_ATTEST"),
        (6, 2, "qualifiedSigner.size", "UINT16"),
        (8, 34, "qualifiedSigner.name", "TPM2B_NAME.name"),
        (42, 2, "extraData.size", "UINT16"),
        (44, 20, "extraData.buffer", "TPM2B_DATA.buffer"),
        (64, 8, "clockInfo.clock", "UINT64"),
        (72, 4, "clockInfo.resetCount", "UINT32"),
        (76, 4, "clockInfo.restartCount", "UINT32"),
        (80, 1, "clockInfo.safe", "TPMI_YES_NO"),
        (81, 8, "firmwareVersion", "UINT64"),
        (89, 4, "pcrSelect.count", "UINT32"),
        (93, 2, "pcrSelect[0].hash", "TPMI_ALG_HASH"),
        (95, 1, "pcrSelect[0].sizeofSelect", "UINT8"),
        (96, 3, "pcrSelect[0].pcrSelect", "BYTE[sizeofSelect]"),
        (99, 2, "pcrDigest.size", "UINT16"),
        (101, 32, "pcrDigest.buffer", "TPM2B_DIGEST.buffer"),
    ]
    assert layout["pcrSelect[0].pcrSelect"].value == (15, 16, 22)
    assert layout["extraData.buffer"].value == _fixtures.KEYLIME_NONCE
    assert layout[0] is layout.spans[0]
    with pytest.raises(DataError, match="no field 'nope'"):
        layout["nope"]


def test_layout_rows_as_table() -> None:
    q = _fixtures.keylime()
    frame = table(Attest.layout(q.message))
    assert list(frame.columns) == ["offset", "size", "field", "spec_name", "bytes", "value"]
    assert len(frame) == 17
    assert int(frame["size"].sum()) == len(q.message) == 133
    row = frame.set_index("field").loc
    assert row["magic", "bytes"] == "ff544347"
    assert row["magic", "value"] == 0xFF544347
    assert row["pcrSelect[0].hash", "value"] == "sha256"
    assert row["extraData.buffer", "value"] == _fixtures.KEYLIME_NONCE.hex()
    assert row["clockInfo.safe", "value"] is True
    sig = Signature.layout(q.signature if isinstance(q.signature, bytes) else q.signature.to_bytes())
    assert table(sig)["field"].tolist() == ["sigAlg", "hash", "sig.size", "sig.buffer"]


def test_multi_bank_selection_and_non_quote_layouts() -> None:
    _, message, _ = VTPM[0]
    layout = Attest.layout(message)
    assert layout["pcrSelect.count"].value == 2
    assert layout["pcrSelect[0].hash"].value is hash_alg("sha256")
    assert layout["pcrSelect[0].pcrSelect"].value == (0, 1, 7)
    assert layout["pcrSelect[1].hash"].value is hash_alg("sha1")
    assert layout["pcrSelect[1].pcrSelect"].value == (0, 23)
    quote = Attest.from_bytes(message)
    certify = Attest(
        quote.magic, 0x8017, quote.qualified_signer, b"", quote.clock_info, 1, b"\x00\x02ab\x00\x00"
    )
    wire = certify.to_bytes()
    other = Attest.layout(wire)
    _assert_tiles(other, wire)
    assert other.fields[-1] == "attested"
    assert (other["attested"].size, other["attested"].spec_name) == (6, "TPMU_ATTEST")
    assert other["extraData.size"].value == 0
    assert other["extraData.buffer"].size == 0


def test_null_and_hmac_signature_layouts() -> None:
    null = Signature.layout(b"\x00\x10")
    assert [(s.field, s.value) for s in null] == [("sigAlg", 0x0010)]
    hmac = b"\x00\x05\x00\x0b" + bytes(range(32))
    layout = Signature.layout(hmac)
    _assert_tiles(layout, hmac)
    assert layout.fields == ("sigAlg", "hash", "digest")
    assert layout["digest"].value == bytes(range(32))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_lay_out_or_raise_parse_error(data: bytes) -> None:
    for layout_of in (Attest.layout, Signature.layout):
        error: ParseError | None = None
        try:
            layout = layout_of(data)
        except ParseError as e:
            error = e
        if error is None:
            _assert_tiles(layout, data)
        else:
            assert error.offset is not None
            assert 0 <= error.offset <= len(data)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(MESSAGES), st.data())
def test_truncated_real_quotes_raise_parse_error(item: tuple[str, bytes], data: st.DataObject) -> None:
    _, message = item
    cut = data.draw(st.integers(0, len(message) - 1))
    with pytest.raises(ParseError) as info:
        Attest.layout(message[:cut])
    assert info.value.offset is not None
    with pytest.raises(ParseError):
        Attest.from_bytes(message[:cut])


def _mutate(data: st.DataObject, sample: bytes) -> bytes:
    buf = bytearray(sample)
    for _ in range(data.draw(st.integers(0, 3))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF, buf[pos] ^ 1]))
    if data.draw(st.booleans()):
        buf = buf[: data.draw(st.integers(0, len(buf)))]
    return bytes(buf)


def _same_verdict(
    parse: Callable[[bytes], T], lay_out: Callable[[bytes], ByteLayout], b: bytes
) -> tuple[T, ByteLayout] | None:
    """``parse`` and ``lay_out`` both reject ``b`` with a ParseError at the same offset (None), or
    both accept it and the layout tiles ``b`` (the parsed value and the layout)."""
    try:
        parsed = parse(b)
    except ParseError as e:
        error = e
    else:
        layout = lay_out(b)
        _assert_tiles(layout, b)
        return parsed, layout
    with pytest.raises(ParseError) as info:
        lay_out(b)
    assert info.value.offset == error.offset is not None
    return None


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(MESSAGES), st.data())
def test_attest_layout_accepts_what_from_bytes_accepts(item: tuple[str, bytes], data: st.DataObject) -> None:
    """Mutated real quotes: layout and from_bytes agree on acceptance, the spans tile the input and
    carry the parsed values; a rejection is a ParseError at the same offset from both."""
    b = _mutate(data, item[1])
    agreed = _same_verdict(Attest.from_bytes, Attest.layout, b)
    if agreed is None:
        return
    attest, layout = agreed
    assert layout["magic"].value == attest.magic
    assert layout["qualifiedSigner.name"].value == attest.qualified_signer
    assert layout["extraData.buffer"].value == attest.extra_data
    assert layout["firmwareVersion"].value == attest.firmware_version
    if isinstance(attest.attested, QuoteInfo):
        assert layout["pcrDigest.buffer"].value == attest.attested.pcr_digest


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SIGNATURES), st.data())
def test_signature_layout_accepts_what_from_bytes_accepts(
    item: tuple[str, bytes], data: st.DataObject
) -> None:
    b = _mutate(data, item[1])
    agreed = _same_verdict(Signature.from_bytes, Signature.layout, b)
    if agreed is None:
        return
    sig, layout = agreed
    assert layout["sigAlg"].value == sig.sig_alg
    if sig.rsa is not None:
        assert layout["sig.buffer"].value == sig.rsa
    if sig.ecdsa_r is not None:
        assert (layout["signatureR.buffer"].value, layout["signatureS.buffer"].value) == (
            sig.ecdsa_r,
            sig.ecdsa_s,
        )
