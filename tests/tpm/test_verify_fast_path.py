"""verify_quote's fast path (byte-compared selection, memoised PCR digest, remembered keys) gives the
same verdicts as the general path on real and tampered quotes."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tpm import _fixtures
from tlkit.errors import ParseError
from tlkit.tpm import (
    Attest,
    PcrSelection,
    PcrValues,
    QuoteInfo,
    VirtualTpm,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)
from tlkit.tpm._attest import scan_quote

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEL = PcrSelection.of({"sha256": [0, 1, 7], "sha1": [0, 23]})
NONCE = b"fast path nonce"
_VTPM = VirtualTpm(seed=11, ak="rsa")
_VTPM.pcrs.extend_data(7, b"secure boot on")
_Q = _VTPM.quote(SEL, NONCE)
_KEY = _VTPM.ak_public.to_cryptography()
_WIRE = SEL.to_bytes()


def _fresh(values: PcrValues) -> PcrValues:
    """The same PCR values as a new object with a new selection, as read from a quote's PCR file."""
    return read_pcrs(write_pcrs_serialized(values))


def test_known_selection_bytes_are_remembered_only_when_sound() -> None:
    pcrs = _fresh(_Q.pcrs)
    assert pcrs.selection._known_wire is None
    assert verify_quote(_Q.message, _Q.signature, pcrs, NONCE, _KEY).passed
    assert pcrs.selection._known_wire == _WIRE  # learnt from the quote it matched
    assert verify_quote(_Q.message, _Q.signature, pcrs, NONCE, _KEY).passed  # now the fast path
    assert PcrSelection.from_bytes(_WIRE)._known_wire == _WIRE
    assert PcrSelection.of({"sha256": [0]})._known_wire is None


def test_equal_selection_with_other_size_of_select_still_verifies() -> None:
    """A selection equal to the quoted one but encoded with sizeofSelect 4 is the same selection."""
    wide = PcrSelection(SEL.items(), (4, 4))
    assert wide == SEL
    assert wide.to_bytes() != _WIRE
    values = PcrValues(PcrSelection.from_bytes(wide.to_bytes()), _Q.pcrs.values)
    assert values.selection._known_wire == wide.to_bytes()
    for _ in range(2):
        result = verify_quote(_Q.message, _Q.signature, values, NONCE, _KEY)
        assert result.passed, result.reasons


def test_lying_pcr_values_fail_on_both_paths() -> None:
    lie = list(_Q.pcrs.values)
    lie[2] = bytes(32)
    lying = PcrValues(_Q.pcrs.selection, tuple(lie))
    for pcrs in (lying, _fresh(lying), lying.as_dict()):
        for _ in range(2):
            result = verify_quote(_Q.message, _Q.signature, pcrs, NONCE, _KEY)
            assert result.reasons == ("pcr-digest-mismatch",)
            assert result.pcr_digest == hashlib.sha256(b"".join(lie)).digest()


def test_memoised_digest_is_the_digest() -> None:
    pcrs = _fresh(_Q.pcrs)
    assert pcrs.digest("sha256") == hashlib.sha256(b"".join(pcrs.values)).digest()
    assert pcrs.digest("sha1") == hashlib.sha1(b"".join(pcrs.values)).digest()
    assert pcrs.digest("sha256") == pcrs.digest(0x000B)
    assert pcrs == _Q.pcrs  # the memo is not part of the value
    attest = Attest.from_bytes(_Q.message)
    assert isinstance(attest.attested, QuoteInfo)
    assert pcrs.digest("sha256") == attest.attested.pcr_digest


def test_keys_from_bytes_are_remembered_per_value() -> None:
    pem = _VTPM.ak_pem
    other = VirtualTpm(seed=12, ak="rsa").ak_pem
    for _ in range(2):
        assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, pem).passed
        assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, other).reasons == ("signature-invalid",)
        assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, pem.decode()).passed
        assert verify_quote(_Q.message, _Q.signature, _Q.pcrs, NONCE, _VTPM.ak_public.to_tpm2b()).passed


def test_real_quotes_verify_again_through_the_fast_path() -> None:
    for q in _fixtures.all_quotes() if _fixtures.FIXTURES_PRESENT else []:
        values = PcrValues.from_dict(q.pcrs)
        first = verify_quote(q.message, q.signature, values, q.nonce, q.ak)
        second = verify_quote(q.message, q.signature, values, q.nonce, q.ak)
        assert first.passed, (q.name, first.reasons)
        assert second == first


@SETTINGS
@given(data=st.data())
def test_scan_quote_agrees_with_the_careful_decoder(data: st.DataObject) -> None:
    buf = bytearray(_Q.message)
    for _ in range(data.draw(st.integers(0, 3))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.sampled_from([0, 1, 2, 3, 0x7F, 0x80, 0xFF, buf[pos] ^ 1]))
    cut = data.draw(st.integers(0, len(buf)))
    b = bytes(buf[:cut]) if data.draw(st.booleans()) else bytes(buf)
    known = data.draw(st.sampled_from([None, _WIRE]))
    fast = scan_quote(b, known)
    try:
        slow = Attest.from_bytes(b)
    except ParseError:
        slow = None
    if fast is None:
        assert slow is None or not slow.is_quote
        return
    magic, extra, wire, digest = fast
    if wire is None:
        assert known is not None
        wire = known
    try:
        selection = PcrSelection.from_bytes(wire)
    except ParseError:
        assert slow is None  # verify_quote reports not-a-quote, as from_bytes rejects it
        return
    assert slow is not None
    assert isinstance(slow.attested, QuoteInfo)
    assert (magic, extra, digest) == (slow.magic, slow.extra_data, slow.attested.pcr_digest)
    assert selection == slow.attested.pcr_select


@SETTINGS
@given(data=st.data())
def test_fast_and_general_paths_give_the_same_verdict(data: st.DataObject) -> None:
    buf = bytearray(_Q.message)
    for _ in range(data.draw(st.integers(0, 2))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] ^= data.draw(st.integers(1, 255))
    message = bytes(buf)
    known = PcrValues(PcrSelection.from_bytes(_WIRE), _Q.pcrs.values)  # fast path from the start
    verdicts = {
        verify_quote(message, _Q.signature, pcrs, NONCE, _KEY).reasons
        for pcrs in (known, _fresh(_Q.pcrs), _Q.pcrs.as_dict(), known)
    }
    assert len(verdicts) == 1, verdicts
