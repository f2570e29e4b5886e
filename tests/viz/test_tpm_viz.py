"""tlkit.viz.tpm: real quotes' byte layouts in words, and the fingerprint figure."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from tests.conftest import fixture_path
from tlkit.errors import ParseError
from tlkit.tpm import Attest, Signature
from tlkit.viz.tpm import annotate_attest, annotate_signature, digest_fingerprint_figure

NONCE = bytes.fromhex("db1db298db6d60e6385b7231743e9c3056a18003")


def _read(name: str) -> bytes:
    return fixture_path(f"keylime/test-data/files/{name}").read_bytes()


def test_annotate_attest_lays_out_the_keylime_quote() -> None:
    message = _read("quote.out")
    table = annotate_attest(message)
    assert list(table.columns) == ["offset", "size", "field", "spec_name", "bytes", "value"]
    assert list(zip(table.offset, table["size"], table.field, strict=True)) == [
        (0, 4, "magic"),
        (4, 2, "type"),
        (6, 2, "qualifiedSigner.size"),
        (8, 34, "qualifiedSigner.name"),
        (42, 2, "extraData.size"),
        (44, 20, "extraData.buffer"),
        (64, 8, "clockInfo.clock"),
        (72, 4, "clockInfo.resetCount"),
        (76, 4, "clockInfo.restartCount"),
        (80, 1, "clockInfo.safe"),
        (81, 8, "firmwareVersion"),
        (89, 4, "pcrSelect.count"),
        (93, 2, "pcrSelect[0].hash"),
        (95, 1, "pcrSelect[0].sizeofSelect"),
        (96, 3, "pcrSelect[0].pcrSelect"),
        (99, 2, "pcrDigest.size"),
        (101, 32, "pcrDigest.buffer"),
    ]
    assert table["size"].sum() == len(message) == 133
    by_field = table.set_index("field")
    assert by_field.loc["magic", "bytes"] == "ff544347"
    assert by_field.loc["magic", "value"] == "TPM_GENERATED_VALUE"
    assert by_field.loc["type", "value"] == "TPM_ST_ATTEST_QUOTE"
    assert by_field.loc["qualifiedSigner.name", "value"] == (
        "sha256 qualified name of the signing key (TPM 2.0 Part 1, 16.6)"
    )
    assert by_field.loc["extraData.buffer", "bytes"] == NONCE.hex()[:32] + "… (20 B)"
    assert by_field.loc["clockInfo.clock", "value"] == "5994 ms since the clock was last reset"
    assert by_field.loc["firmwareVersion", "value"] == "0x2016051100162800 (vendor-defined)"
    assert by_field.loc["pcrSelect[0].hash", "value"] == "sha256"
    assert by_field.loc["pcrSelect[0].sizeofSelect", "value"] == "3 bytes: room for 24 PCRs"
    assert by_field.loc["pcrSelect[0].pcrSelect", "value"] == "PCR 15,16,22"
    assert by_field.loc["pcrSelect[0].pcrSelect", "bytes"] == "008041"
    assert by_field.loc["clockInfo.safe", "value"] == "YES"
    assert by_field.loc["clockInfo.safe", "spec_name"] == "TPMI_YES_NO"
    assert by_field.loc["qualifiedSigner.size", "value"] == "34 bytes"
    layout = Attest.layout(message)
    assert table.offset.tolist() == [s.offset for s in layout]
    assert table["size"].tolist() == [s.size for s in layout]


def test_annotate_attest_of_a_non_quote_keeps_the_rest_raw() -> None:
    quote = Attest.from_bytes(_read("quote.out"))
    certify = Attest(
        quote.magic, 0x8017, quote.qualified_signer, b"", quote.clock_info, 1, b"\x00\x02ab\x00\x00"
    )
    table = annotate_attest(certify.to_bytes())
    assert table.field.tolist()[-1] == "attested"
    assert table.iloc[-1]["size"] == 6
    assert table.set_index("field").loc["type", "value"] == "TPM_ST_ATTEST_CERTIFY"


def test_annotate_signature_rsa_and_ecdsa() -> None:
    rsa = annotate_signature(_read("quotesig.out"))
    assert list(zip(rsa.field, rsa.offset, rsa["size"], rsa.value, strict=True)) == [
        ("sigAlg", 0, 2, "TPM_ALG_RSASSA"),
        ("hash", 2, 2, "sha256"),
        ("sig.size", 4, 2, "256 bytes"),
        ("sig.buffer", 6, 256, "RSA signature (2048 bits)"),
    ]
    ecdsa = Signature.ecdsa(b"\x01" * 32, b"\x02" * 32, "sha256").to_bytes()
    table = annotate_signature(ecdsa)
    assert table.field.tolist() == [
        "sigAlg", "hash", "signatureR.size", "signatureR.buffer", "signatureS.size", "signatureS.buffer",
    ]  # fmt: skip
    assert table["size"].sum() == len(ecdsa) == 72
    assert table.value.iloc[0] == "TPM_ALG_ECDSA"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=160))
def test_annotate_random_bytes_raises_only_parse_error(data: bytes) -> None:
    for fn in (annotate_attest, annotate_signature):
        try:
            table = fn(data)
        except ParseError as e:
            error = e
        else:
            assert table["size"].sum() == len(data)
            continue
        assert error.offset is not None


def test_fingerprint_figure() -> None:
    before = plt.get_fignums()
    fig = digest_fingerprint_figure({"a": bytes(range(32)), "b": b"\xff" * 20}, title="t")
    assert plt.get_fignums() == before  # nothing accumulates in pyplot's state
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_title() == "t"
    fig.savefig(io.BytesIO(), format="png")  # renders without pyplot
