"""tlkit.widgets.quote_lab: driven by setting values and clicking, on the real keylime quote."""

from __future__ import annotations

import re

from tests.conftest import fixture_path
from tlkit.tpm import Attest, Signature, read_pcrs
from tlkit.widgets.quote_lab import NO_CHANGE_YET, QuoteLab

NONCE = bytes.fromhex("db1db298db6d60e6385b7231743e9c3056a18003")


def _read(name: str) -> bytes:
    return fixture_path(f"keylime/test-data/files/{name}").read_bytes()


def _text(value: str) -> str:
    """What a browser shows for an HTML value: tags dropped, the verdict's two lines split."""
    return re.sub(r"<(?!br>)[^>]+>", "", value).replace("<br>", "\n")


def _change(lab: QuoteLab) -> str:
    """The verdict's second line (the last experiment), as text."""
    first, second = _text(lab.verdict.value).split("\n")
    assert first == "untouched quote: passed"
    return second


def _lab() -> QuoteLab:
    pcrs = read_pcrs(_read("quotepcr.out"))
    return QuoteLab(_read("quote.out"), _read("quotesig.out"), pcrs, NONCE, _read("akpub.pem"))


def test_untouched_quote_passes() -> None:
    lab = _lab()
    assert _change(lab) == _text(NO_CHANGE_YET)
    assert "color:#2e7d32" in lab.untouched
    assert lab.field.value == "magic"
    assert (lab.position.min, lab.position.max) == (0, 3)


def test_flip_nonce_byte() -> None:
    lab = _lab()
    lab.field.value = "extraData.buffer"
    assert lab.position.max == 19
    lab.position.value = 2
    lab.mask.value = 0x80
    lab.flip.click()
    assert lab.offset == 46
    assert _change(lab) == (
        "your change: message byte 46 (extraData.buffer): 0xb2 → 0x32 — "
        "FAILED: signature-invalid, nonce-mismatch"
    )


def test_flip_pcr_digest_and_magic() -> None:
    lab = _lab()
    lab.field.value = "pcrDigest.buffer"
    lab.flip.click()
    assert _change(lab).endswith("FAILED: signature-invalid, pcr-digest-mismatch")
    lab.field.value = "magic"
    lab.flip.click()
    assert _change(lab).startswith("your change: message byte 0 (magic): 0xff → 0xfe")
    assert "bad-magic" in lab.verdict.value


def test_signature_part_switches_fields() -> None:
    lab = _lab()
    lab.part.value = "signature"
    assert list(lab.field.options) == ["sigAlg", "hash", "sig.size", "sig.buffer"]
    lab.field.value = "sig.buffer"
    assert lab.position.max == 255
    lab.position.value = 255
    lab.flip.click()
    assert lab.offset == 261
    assert _change(lab).endswith("FAILED: signature-invalid")
    lab.field.value = "hash"
    assert lab.position.value == 0
    assert lab.position.max == 1


def test_fields_follow_the_tpm_layout_and_accept_a_signature_object() -> None:
    lab = _lab()
    assert list(lab.field.options) == list(Attest.layout(_read("quote.out")).fields)
    assert "pcrSelect[0].pcrSelect" in lab.field.options
    sig = Signature.from_bytes(_read("quotesig.out"))
    pcrs = read_pcrs(_read("quotepcr.out"))
    other = QuoteLab(_read("quote.out"), sig, pcrs, NONCE, _read("akpub.pem"))
    assert _change(other) == _text(NO_CHANGE_YET)
    other.field.value = "pcrSelect[0].pcrSelect"
    other.position.value = 1
    other.flip.click()
    assert _change(other) == (
        "your change: message byte 97 (pcrSelect[0].pcrSelect): 0x80 → 0x81 — "
        "FAILED: signature-invalid, pcr-selection-mismatch"
    )
