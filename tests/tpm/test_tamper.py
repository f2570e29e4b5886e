"""tamper_quote (every field of real quotes is protected) and extend_steps (PCR values per step)."""

from __future__ import annotations

import hashlib

import pytest

from tests.tpm import _fixtures
from tlkit.errors import DataError, ParseError
from tlkit.tpm import (
    Attest,
    PcrSelection,
    Signature,
    TamperOutcome,
    TamperReport,
    VirtualTpm,
    extend_steps,
    read_pcrs,
    tamper_quote,
)
from tlkit.viz import table


def _keylime_report(seed: int = 0) -> tuple[_fixtures.RealQuote, TamperReport]:
    q = _fixtures.keylime()
    return q, tamper_quote(q.message, q.signature, q.pcrs, q.nonce, q.ak, seed=seed)


def test_keylime_every_field_change_is_detected() -> None:
    q, report = _keylime_report()
    assert report.baseline.passed
    assert report.passed
    assert bool(report) is True
    assert report.reasons == ()
    assert report.undetected == ()
    assert len(report) == 17 + 4  # 17 TPMS_ATTEST fields, 4 TPMT_SIGNATURE fields
    assert [o.field for o in report if o.part == "message"] == list(Attest.layout(q.message).fields)
    reasons = {o.field: o.reasons for o in report}
    assert reasons["magic"] == ("signature-invalid", "bad-magic")
    assert reasons["extraData.buffer"] == ("signature-invalid", "nonce-mismatch")
    assert reasons["pcrDigest.buffer"] == ("signature-invalid", "pcr-digest-mismatch")
    assert reasons["pcrSelect[0].pcrSelect"] == ("signature-invalid", "pcr-selection-mismatch")
    assert reasons["clockInfo.clock"] == ("signature-invalid",)
    assert reasons["sig.buffer"] == ("signature-invalid",)
    for o in report:
        assert o.detected
        assert o.after != o.before
        data = q.message if o.part == "message" else q.signature
        assert isinstance(data, bytes)
        assert data[o.offset] == o.before
    again = tamper_quote(q.message, q.signature, q.pcrs, q.nonce, q.ak, seed=0)
    assert again.outcomes == report.outcomes
    other = tamper_quote(q.message, q.signature, q.pcrs, q.nonce, q.ak, seed=1)
    assert [o.offset for o in other] != [o.offset for o in report]


def test_report_frame() -> None:
    _, report = _keylime_report()
    frame = table(report)
    assert list(frame.columns) == ["part", "field", "offset", "before", "after", "passed", "reasons"]
    assert len(frame) == 21
    assert not frame.passed.any()
    row = frame.set_index("field").loc["magic"]
    assert row["reasons"] == "signature-invalid, bad-magic"
    assert row["before"].startswith("0x")
    assert report.outcomes[0].to_dict()["reasons"] == ["signature-invalid", "bad-magic"]


def test_explicit_positions() -> None:
    q = _fixtures.keylime()
    report = tamper_quote(
        q.message,
        q.signature,
        read_pcrs(_fixtures.fixture_path(_fixtures.KEYLIME + "/quotepcr.out").read_bytes()),
        q.nonce,
        q.ak,
        positions=[("message", 46, 0x80), ("signature", 261, 1)],
    )
    assert isinstance(q.signature, bytes)
    byte = q.signature[261]
    nonce_reasons = ("signature-invalid", "nonce-mismatch")
    assert report.outcomes == (
        TamperOutcome("message", "extraData.buffer", 46, 0xB2, 0x32, False, nonce_reasons),
        TamperOutcome("signature", "sig.buffer", 261, byte, byte ^ 1, False, ("signature-invalid",)),
    )
    assert tamper_quote(q.message, q.signature, q.pcrs, q.nonce, q.ak, positions=()).outcomes == ()


def test_bad_positions_raise_data_error() -> None:
    q = _fixtures.keylime()
    args = (q.message, q.signature, q.pcrs, q.nonce, q.ak)
    with pytest.raises(DataError, match="outside the 133-byte TPMS_ATTEST"):
        tamper_quote(*args, positions=[("message", 133, 1)])
    with pytest.raises(DataError, match="outside"):
        tamper_quote(*args, positions=[("signature", -1, 1)])
    with pytest.raises(DataError, match="mask"):
        tamper_quote(*args, positions=[("message", 0, 0)])
    with pytest.raises(DataError, match="part"):
        tamper_quote(*args, positions=[("pcrs", 0, 1)])  # type: ignore[list-item]
    with pytest.raises(ParseError):
        tamper_quote(q.message[:50], *args[1:])


def test_a_quote_that_does_not_verify_fails_the_report() -> None:
    q = _fixtures.keylime()
    report = tamper_quote(q.message, q.signature, q.pcrs, b"wrong nonce", q.ak, positions=[("message", 0, 1)])
    assert not report.passed
    assert report.reasons == ("baseline-failed",)
    assert report.baseline.reasons == ("nonce-mismatch",)


@pytest.mark.parametrize("kind", ["ecc", "rsa"])
def test_vtpm_quotes_and_raw_signature_objects(kind: str) -> None:
    vtpm = VirtualTpm(seed=3, ak=kind)
    nonce = b"n" * 16
    quote = vtpm.quote(PcrSelection.of({"sha256": [0, 7], "sha1": [1]}), nonce)
    report = tamper_quote(quote.message, quote.signature, quote.pcrs, nonce, vtpm.ak_public, seed=4)
    assert report.passed
    fields = {o.field for o in report}
    assert {"pcrSelect[1].hash", "pcrSelect[1].pcrSelect"} <= fields
    sig = Signature.from_bytes(quote.signature)
    assert (
        tamper_quote(quote.message, sig, quote.pcrs, nonce, vtpm.ak_public, seed=4).outcomes
        == report.outcomes
    )


def test_azure_hcl_quote_with_a_bare_signature() -> None:
    q = _fixtures.azure(_fixtures.AZURE[2])
    assert isinstance(q.signature, Signature)
    report = tamper_quote(q.message, q.signature, q.pcrs, q.nonce, q.ak)
    assert report.passed
    assert len(report) == len(Attest.layout(q.message)) + 4 == 21
    assert {o.part for o in report if o.field == "sig.buffer"} == {"signature"}


def test_extend_steps_values() -> None:
    trace = extend_steps(["shim", b"\x00grub"], pcr=23)
    zero = bytes(32)
    d1, d2 = hashlib.sha256(b"shim").digest(), hashlib.sha256(b"\x00grub").digest()
    p1 = hashlib.sha256(zero + d1).digest()
    p2 = hashlib.sha256(p1 + d2).digest()
    assert len(trace) == 3
    assert [(s.step, s.label, s.data, s.digest, s.value) for s in trace] == [
        (0, "(startup)", b"", b"", zero),
        (1, "shim", b"shim", d1, p1),
        (2, "0067727562", b"\x00grub", d2, p2),
    ]
    assert trace.final == p2
    assert (trace.pcr, trace.bank.name) == (23, "sha256")
    assert table(trace).to_dict("list") == {
        "step": [0, 1, 2],
        "measurement": ["(startup)", "shim", "0067727562"],
        "digest": ["", d1.hex(), d2.hex()],
        "pcr": [zero.hex(), p1.hex(), p2.hex()],
    }
    assert extend_steps(["grub", "shim"]).final != extend_steps(["shim", "grub"]).final


def test_extend_steps_start_values_and_banks() -> None:
    assert extend_steps([], pcr=0, locality=3).final == bytes(31) + b"\x03"
    assert extend_steps([], pcr=17, bank="sha1").final == b"\xff" * 20
    sha1 = extend_steps(["a"], pcr=10, bank="sha1")
    assert sha1.final == hashlib.sha1(bytes(20) + hashlib.sha1(b"a").digest()).digest()
    vtpm = VirtualTpm(seed=0, banks=("sha384",))
    vtpm.pcrs.extend_data(10, b"a")
    assert extend_steps(["a"], pcr=10, bank="sha384").final == vtpm.pcrs.read(10, "sha384")
    with pytest.raises(DataError):
        extend_steps(["a"], pcr=24)
    with pytest.raises(DataError):
        extend_steps(["a"], bank="md5")
