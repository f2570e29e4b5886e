"""The verifier cannot be fooled by doctored evidence (issue 9, "Security tests"): every single-bit
flip of a quote's message, signature and PCR values is rejected; every event-log mutation is detected
and the test names the check and the reason that caught it; a nonce is accepted once; a swapped AK
is caught; and random bytes in an otherwise valid bundle never pass and raise only ``tlkit.errors``.

Evidence: the healthy simulated Ubuntu boot of the attestation lab (``run_case("healthy")``: its
nonce, baseline and the VM's AK as the trusted-AK list) and the real GCE Windows Shielded VM evidence
(go-attestation's fixture: an RSA AK, a SHA-1 quote and log). Token forgeries are
``test_token_security.py``'s.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import fixture_path
from tlkit.attest._aktrust import TrustAnchors
from tlkit.attest._cases import lab_nonce, run_case
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import AttestationPolicy, AttestationResult, Verifier, verify
from tlkit.errors import TlkitError
from tlkit.eventlog import Event, EventLog, EventType, parse, write
from tlkit.eventlog._digestcheck import DERIVABLE_TYPES
from tlkit.eventlog._quirks import EBS_INVOCATION, EBS_SUCCESS
from tlkit.tpm import PcrValues, Signature

AT = datetime(2026, 1, 15, tzinfo=UTC)
#: What a doctored quote may be rejected with: the quote's own check and the nonce's.
QUOTE_CODES = {"signature-invalid", "quote-invalid", "nonce-mismatch", "pcr-digest-mismatch"}


# ------------------------------------------------------------------------------------ evidence
@dataclass(frozen=True)
class Source:
    """One healthy evidence bundle and what its verifier holds (it passes as it is)."""

    name: str
    evidence: Evidence
    nonce: bytes
    baseline: Any
    anchors: TrustAnchors
    bank: str

    def verify(self, evidence: Evidence | None = None, **kw: Any) -> AttestationResult:
        return verify(evidence or self.evidence, self.nonce, self.baseline, anchors=self.anchors, at=AT, **kw)

    def with_log(self, log: EventLog) -> Evidence:
        return dataclasses.replace(self.evidence, eventlog=write(log))

    @property
    def log(self) -> EventLog:
        assert self.evidence.eventlog is not None
        return parse(self.evidence.eventlog)


@cache
def simulated() -> Source:
    run = run_case("healthy")
    return Source("simulated", run.evidence, run.nonce, run.baseline, run.anchors, "sha256")


@cache
def gce_windows() -> Source:
    from tests.tpm._fixtures import WINDOWS, windows

    q = windows()
    raw = base64.b64decode(json.loads(fixture_path(WINDOWS).read_text())["Log"]["Raw"])
    ev = Evidence(q.message, bytes(q.signature), PcrValues.from_dict(q.pcrs), q.ak, q.nonce, raw)
    return Source("gce-windows", ev, q.nonce, None, TrustAnchors(trusted_aks=(q.ak,)), "sha1")


SOURCES: dict[str, Callable[[], Source]] = {"simulated": simulated, "gce-windows": gce_windows}


def test_the_sources_pass_untouched() -> None:
    for make in SOURCES.values():
        src = make()
        r = src.verify()
        assert r.passed, (src.name, r.reasons)
        assert (r.ak_trust, r.log, r.secure_boot) == ("verified", "replayed", True)


# ------------------------------------------------------------------------------------ bit flips
def _flips(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """Every single-bit flip of ``data``: (byte offset, bit, flipped bytes)."""
    for i in range(len(data)):
        for bit in range(8):
            yield i, bit, data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


def _quote_only(src: Source, evidence: Evidence) -> AttestationResult:
    """``verify`` without a baseline: the quote check runs first and the rest is skipped when it fails."""
    return verify(evidence, src.nonce, None, anchors=src.anchors, at=AT)


@pytest.mark.parametrize("source", SOURCES)
def test_every_bit_flip_of_the_quote_message_is_rejected(source: str) -> None:
    src = SOURCES[source]()
    seen: set[str] = set()
    for i, bit, flipped in _flips(src.evidence.message):
        r = _quote_only(src, dataclasses.replace(src.evidence, message=flipped))
        where = f"message byte {i} bit {bit}: {r.reasons}"
        assert not r.passed, where
        # the AK signed the message: any change breaks the signature, whatever else it breaks
        assert "signature-invalid" in r.codes, where
        assert set(r.codes) <= QUOTE_CODES, where
        assert r.check("log").status == "skipped", where
        seen.update(r.codes)
    # the flips reach every field: magic/type/bank (quote-invalid), extraData, pcrDigest (an empty
    # extraData, as in the GCE quote, has only its size field: a flip there breaks the parse)
    assert seen == QUOTE_CODES - ({"nonce-mismatch"} if not src.nonce else set())


@pytest.mark.parametrize("source", SOURCES)
def test_every_bit_flip_of_the_quote_signature_is_rejected(source: str) -> None:
    src = SOURCES[source]()
    for i, bit, flipped in _flips(src.evidence.signature):
        r = _quote_only(src, dataclasses.replace(src.evidence, signature=flipped))
        where = f"signature byte {i} bit {bit}: {r.reasons}"
        assert not r.passed, where
        assert "signature-invalid" in r.codes, where
        # the message, nonce and PCRs are intact; only a flip of the signature's hash algorithm also
        # changes pcrDigest's hash (TPM 2.0 Part 3, 18.4.1: it is the signing scheme's)
        assert set(r.codes) <= {"signature-invalid", "pcr-digest-mismatch"}, where
        assert r.check("quote").status == "failed", where


def _pcr_flips(pcrs: PcrValues) -> Iterator[tuple[str, PcrValues]]:
    """One flipped bit in every byte of every quoted PCR value; the bit rotates with PCR and byte,
    so over the 24 PCRs every bit position of a value is flipped three times."""
    table = pcrs.as_dict()
    for bank, values in table.items():
        for pcr, value in values.items():
            for i in range(len(value)):
                bit = (pcr + i) % 8
                doctored = {b: dict(v) for b, v in table.items()}
                doctored[bank][pcr] = value[:i] + bytes([value[i] ^ (1 << bit)]) + value[i + 1 :]
                yield f"{bank} PCR {pcr} byte {i} bit {bit}", PcrValues.from_dict(doctored)


@pytest.mark.parametrize("source", SOURCES)
def test_bit_flips_of_the_quoted_pcr_values_are_pcr_digest_mismatches(source: str) -> None:
    src = SOURCES[source]()
    count = 0
    for where, pcrs in _pcr_flips(src.evidence.pcrs):
        r = _quote_only(src, dataclasses.replace(src.evidence, pcrs=pcrs))
        assert not r.passed, where
        assert r.codes == ("pcr-digest-mismatch",), (where, r.reasons)
        count += 1
    assert count == 24 * {"sha256": 32, "sha1": 20}[src.bank]


# ------------------------------------------------------------------------------------ log mutations
def _extends(e: Event) -> bool:
    return e.event_type != EventType.EV_NO_ACTION


def _is_ebs(e: Event) -> bool:
    """ExitBootServices actions on PCR 5: a log may omit them (the named EBS quirks)."""
    return e.pcr == 5 and e.data.rstrip(b"\0") in {EBS_INVOCATION.encode(), EBS_SUCCESS.encode()}


def _derivable(e: Event) -> bool:
    """The PFP defines the digest from the data (EV_IPL only for GRUB on PCR 8 / systemd-boot on 12)."""
    return e.event_type in DERIVABLE_TYPES and (e.event_type != EventType.EV_IPL or e.pcr in (8, 12))


def _without(log: EventLog, *indices: int) -> EventLog:
    return log.with_events([e for e in log.events if e.index not in indices])


def _flip_digest(e: Event, bank_alg: int | None = None) -> Event:
    return dataclasses.replace(
        e,
        digest_list=tuple(
            (a, bytes([d[0] ^ 1]) + d[1:]) if bank_alg in (None, a) else (a, d) for a, d in e.digest_list
        ),
    )


def _adjacent_pairs(log: EventLog, bank: str) -> list[tuple[Event, Event]]:
    """Consecutive extends of one PCR whose digests differ (swapping equal digests changes nothing)."""
    by_pcr: dict[int, list[Event]] = {}
    for e in log.events:
        if _extends(e):
            by_pcr.setdefault(e.pcr, []).append(e)
    return [
        (a, b)
        for evs in by_pcr.values()
        for a, b in itertools.pairwise(evs)
        if a.digests[bank] != b.digests[bank]
    ]


def _swap(log: EventLog, pair: tuple[Event, Event]) -> EventLog:
    a, b = pair
    order = [b if e.index == a.index else a if e.index == b.index else e for e in log.events]
    return log.with_events(order)


def _retypable(e: Event) -> bool:
    """A PCR 7 Secure Boot variable (EV_EFI_VARIABLE_DRIVER_CONFIG)."""
    return e.pcr == 7 and e.event_type == EventType.EV_EFI_VARIABLE_DRIVER_CONFIG


@dataclass(frozen=True)
class Mutation:
    """A doctoring of the log: the targets it applies to, how, and the reason that must catch it.

    ``expect(log, target, bank)`` is a regular expression one of the result's reasons must match in
    full (``code:detail``); every such reason comes from the ``log`` check.
    """

    name: str
    targets: Callable[[EventLog, str], list[Any]]
    apply: Callable[[EventLog, Any], EventLog]
    expect: Callable[[EventLog, Any, str], str]


def _pcr_of(target: Any) -> int:
    return int(target[0].pcr if isinstance(target, tuple) else target.pcr)


def _replay_mismatch(log: EventLog, target: Any, bank: str) -> str:
    return re.escape(f"log-replay-mismatch:{bank}:pcr{_pcr_of(target)}")


def _dropped(log: EventLog, e: Event, bank: str) -> str:
    """The PCR no longer replays; when the event was its only one, the PCR is not explained at all."""
    only = sum(1 for x in log.events if _extends(x) and x.pcr == e.pcr) == 1
    return re.escape(f"log-{'incomplete' if only else 'replay-mismatch'}:{bank}:pcr{e.pcr}")


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "drop-event",
        lambda log, bank: [e for e in log.events if _extends(e) and not _is_ebs(e)],
        lambda log, e: _without(log, e.index),
        _dropped,
    ),
    Mutation("reorder-within-pcr", _adjacent_pairs, _swap, _replay_mismatch),
    Mutation(
        "duplicate-event",
        lambda log, bank: [e for e in log.events if _extends(e)],
        lambda log, e: log.with_events(
            [x for x in log.events for _ in range(2 if x.index == e.index else 1)]
        ),
        _replay_mismatch,
    ),
    Mutation(
        "change-digest",
        lambda log, bank: [e for e in log.events if _extends(e)],
        lambda log, e: log.replaced(e.index, _flip_digest(e)),
        _replay_mismatch,
    ),
    Mutation(
        "change-derivable-data",
        lambda log, bank: [e for e in log.events if _extends(e) and _derivable(e) and e.data],
        lambda log, e: log.replaced(
            e.index, dataclasses.replace(e, data=e.data[:-1] + bytes([e.data[-1] ^ 1]))
        ),
        lambda log, e, bank: re.escape(f"log-replay-mismatch:payload-digest-mismatch:{bank}:event{e.index}"),
    ),
    Mutation(
        # the type is not allowed for that variable, or (db, which an AUTHORITY may name) the
        # PCR 7 variables are then out of PFP order
        "retype-pcr7-variable",
        lambda log, bank: [e for e in log.events if _retypable(e)],
        lambda log, e: log.replaced(
            e.index, dataclasses.replace(e, event_type=EventType.EV_EFI_VARIABLE_AUTHORITY)
        ),
        lambda log, e, bank: rf"log-structure-invalid:event-(type-not-allowed|order-invalid):{bank}:event\d+",
    ),
    Mutation(
        "drop-all-events-of-a-pcr",
        lambda log, bank: sorted({e.pcr for e in log.events if _extends(e)}),
        lambda log, pcr: _without(log, *(e.index for e in log.events if e.pcr == pcr and _extends(e))),
        lambda log, pcr, bank: re.escape(f"log-incomplete:{bank}:pcr{pcr}"),
    ),
)


def _believes_nothing_from_the_log(r: AttestationResult) -> bool:
    """Secure Boot and the baseline were judged, if at all, on the quoted PCRs only: no event of a
    log that failed was read."""
    baseline = r.details.get("baseline", {})
    return "replayed" not in r.check("secure-boot").detail and "events" not in baseline.get("checked", ())


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_every_log_mutation_is_caught_by_the_log_check(mutation: Mutation, source: str) -> None:
    """Each mutation on every event it applies to (every PCR for the drop-all), in the simulated
    and the real log: the ``log`` check fails with the named reason, and the result fails."""
    src = SOURCES[source]()
    log = src.log
    targets = mutation.targets(log, src.bank)
    assert len(targets) >= 2, f"{mutation.name}: fewer than two targets in the {source} log"
    for target in targets:
        r = src.verify(src.with_log(mutation.apply(log, target)))
        want = mutation.expect(log, target, src.bank)
        where = f"{mutation.name} on {target}: {r.reasons}"
        assert not r.passed, where
        assert r.check("log").status == "failed", where
        assert r.log == "failed", where
        assert any(re.fullmatch(want, x) for x in r.reasons), (want, where)
        assert _believes_nothing_from_the_log(r), where


def test_changed_derivable_data_replays_and_only_the_data_check_catches_it() -> None:
    """The GRUB kernel command line changed (an attacker's ``init=/bin/sh``), its digest kept: the
    PCRs still replay, and only the data-vs-digest rule fails the log."""
    src = simulated()
    log = src.log
    cmdline = next(e for e in log.events if e.pcr == 8 and e.data.startswith(b"kernel_cmdline: "))
    doctored = log.replaced(
        cmdline.index, dataclasses.replace(cmdline, data=cmdline.data.rstrip(b"\0") + b" init=/bin/sh\0")
    )
    assert doctored.replay("sha256") == log.replay("sha256")  # the replay alone cannot see it
    r = src.verify(src.with_log(doctored))
    assert r.reasons == (f"log-replay-mismatch:payload-digest-mismatch:sha256:event{cmdline.index}",)
    assert r.check("log").status == "failed"
    assert _believes_nothing_from_the_log(r)  # the baseline saw the quoted PCRs only, no event


def test_retyped_secureboot_variable_is_a_structure_failure_not_a_replay_one() -> None:
    """The PCR 7 SecureBoot variable re-typed as EV_EFI_VARIABLE_AUTHORITY keeps its digest (the
    replay matches): only the PC Client structure rule catches it (go-attestation's disclosure)."""
    for src in (simulated(), gce_windows()):
        log = src.log
        sb = next(e for e in log.events if _retypable(e))
        doctored = log.replaced(
            sb.index, dataclasses.replace(sb, event_type=EventType.EV_EFI_VARIABLE_AUTHORITY)
        )
        assert doctored.replay(src.bank) == log.replay(src.bank)
        r = src.verify(src.with_log(doctored))
        assert {x.split(":", 1)[0] for x in r.reasons} <= {"log-structure-invalid", "secure-boot-unknown"}
        assert f"log-structure-invalid:event-type-not-allowed:{src.bank}:event{sb.index}" in r.reasons
        assert _believes_nothing_from_the_log(r)  # Secure Boot never read from a log that failed


def test_dropped_exit_boot_services_actions_pass_only_through_the_named_quirk() -> None:
    """go-attestation's EBS workaround: firmware that extended PCR 5 with the ExitBootServices actions
    but did not log them. Dropping them is accepted only by re-inserting exactly those events (the
    PCR must still replay), the result names the quirk, and a policy without quirks refuses it."""
    src = simulated()
    log = src.log
    ebs = [e for e in log.events if _is_ebs(e)]
    assert len(ebs) == 2
    for dropped in ([ebs[-1]], ebs):
        doctored = src.with_log(_without(log, *(e.index for e in dropped)))
        r = src.verify(doctored)
        assert r.passed
        assert "EBS_MISSING" in r.check("log").detail
        assert r.details["log"]["sha256"]["quirks_applied"] == ["EBS_MISSING"]
        strict = src.verify(doctored, policy=AttestationPolicy(quirks=()))
        assert strict.reasons == ("log-replay-mismatch:sha256:pcr5",)
    # the quirk cannot cover for a different PCR 5 action: a changed one is still caught
    other = dataclasses.replace(ebs[-1], data=b"Exit Boot Services Returned with Failure")
    assert not src.verify(src.with_log(log.replaced(ebs[-1].index, other))).passed


def test_a_log_from_another_boot_of_the_same_vm_is_a_replay_mismatch() -> None:
    src = simulated()
    other = run_case("kernel-update").evidence
    r = src.verify(dataclasses.replace(src.evidence, eventlog=other.eventlog))
    assert not r.passed
    assert {"log-replay-mismatch:sha256:pcr8", "log-replay-mismatch:sha256:pcr9"} <= set(r.reasons)
    assert _believes_nothing_from_the_log(r)


# ------------------------------------------------------------------------------------ nonces
def test_a_verifier_accepts_a_nonce_once() -> None:
    src = simulated()
    v = Verifier(anchors=src.anchors, baseline=src.baseline)
    first = v.verify(src.evidence, src.nonce, at=AT)
    again = v.verify(src.evidence, src.nonce, at=AT)
    assert first.passed
    assert not again.passed
    assert "nonce-reused" in again.codes
    assert again.check("nonce-memory").status == "failed"
    # a different, genuine quote over the same nonce (the kernel-update boot) is refused too
    other = run_case("kernel-update").evidence
    assert other.message != src.evidence.message
    assert "nonce-reused" in v.verify(other, src.nonce, at=AT).codes


def test_a_rejected_quote_does_not_use_up_the_nonce() -> None:
    """Garbage sent first (a flipped signature) must not let an attacker burn the genuine round."""
    src = simulated()
    v = Verifier(anchors=src.anchors, baseline=src.baseline)
    bad = dataclasses.replace(src.evidence, signature=src.evidence.signature[:-1] + b"\x00")
    assert "signature-invalid" in v.verify(bad, src.nonce, at=AT).codes
    assert v.verify(src.evidence, src.nonce, at=AT).passed
    assert "nonce-reused" in v.verify(src.evidence, src.nonce, at=AT).codes


def test_a_stale_nonce_is_a_nonce_mismatch() -> None:
    """Yesterday's healthy quote (round 0's nonce) answered to today's nonce."""
    src = simulated()
    r = run_case("stale-nonce").result
    assert r.codes == ("nonce-mismatch",)
    assert r.check("nonce").status == "failed"
    assert r.check("log").status == "skipped"
    # the same through a verifier that issued today's nonce
    v = Verifier(anchors=src.anchors, baseline=src.baseline, seed=7, require_issued=True)
    today = v.new_nonce()
    stale = v.verify(src.evidence, today, at=AT)
    assert stale.codes == ("nonce-mismatch",)
    assert src.nonce == lab_nonce(0) != today


# ------------------------------------------------------------------------------------ doctored AK
def _rogue_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(0x5EED_5EED, ec.SECP256R1())


def _pem(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _resigned(src: Source) -> Evidence:
    """The same quote message (same PCRs, same nonce) signed by another key, that key as the AK."""
    rogue = _rogue_key()
    der = rogue.sign(src.evidence.message, ec.ECDSA(hashes.SHA256()))
    sig = Signature.from_der(der, "sha256", size=32).to_bytes()
    files = src.evidence.files() | {"quote.sig": sig, "ak.pem": _pem(rogue.public_key())}
    return Evidence.from_files(files, source="re-signed quote")


def test_a_quote_re_signed_by_another_key_is_ak_untrusted() -> None:
    src = simulated()
    ev = _resigned(src)
    r = src.verify(ev)
    assert not r.passed
    assert r.codes == ("ak-untrusted",)
    assert r.ak_trust == "untrusted"
    assert r.check("quote").status == "passed"  # a well-formed, correctly signed quote: only the key is wrong
    # without trust anchors the verifier cannot tell, and says so rather than claiming more
    loose = verify(ev, src.nonce, src.baseline, at=AT)
    assert loose.passed
    assert loose.ak_trust == "unverified"
    assert loose.check("ak-trust").status == "skipped"


@pytest.mark.parametrize("anchored", [True, False])
def test_an_ak_swapped_without_re_signing_is_signature_invalid(anchored: bool) -> None:
    src = simulated()
    files = src.evidence.files() | {"ak.pem": _pem(_rogue_key().public_key())}
    ev = Evidence.from_files(files, source="swapped AK")
    r = verify(ev, src.nonce, src.baseline, anchors=src.anchors if anchored else None, at=AT)
    assert not r.passed
    assert r.codes[0] == "signature-invalid"
    assert set(r.codes) == ({"signature-invalid", "ak-untrusted"} if anchored else {"signature-invalid"})
    assert r.check("log").status == "skipped"


def test_an_rsa_ak_swapped_in_for_the_ecc_one_is_signature_invalid() -> None:
    src, win = simulated(), gce_windows()
    ev = dataclasses.replace(src.evidence, ak=win.evidence.ak)
    r = verify(ev, src.nonce, src.baseline, at=AT)
    assert not r.passed
    assert "signature-invalid" in r.codes


# ------------------------------------------------------------------------------------ random bytes
def _mutated(data: bytes, kind: str, draw: st.DrawFn) -> bytes:
    """Random bytes, or the real bytes flipped, truncated, extended or with a span overwritten."""
    if kind == "random" or not data:
        return draw(st.binary(min_size=1, max_size=600))
    i = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    if kind == "truncate":
        return data[: max(i, 1)]  # an empty log is an absent one: its own test below
    if kind == "append":
        return data + draw(st.binary(min_size=1, max_size=64))
    junk = draw(st.binary(min_size=1, max_size=64))
    return data[:i] + junk + data[i + len(junk) :]


@st.composite
def _doctored(draw: st.DrawFn) -> tuple[str, str, Evidence]:
    src = simulated()
    field = draw(st.sampled_from(["eventlog", "message", "signature"]))
    kind = draw(st.sampled_from(["random", "flip", "truncate", "append", "splice"]))
    original = getattr(src.evidence, field)
    value = _mutated(original, kind, draw)
    if value == original:  # a no-op mutation: force a difference
        value = original + b"\0"
    return field, kind, dataclasses.replace(src.evidence, **{field: value})


def _same_measurements(doctored: bytes, original: bytes, bank: str) -> bool:
    """The doctored log, parsed, replays to what the original does: only bytes that nothing
    measures changed (EV_NO_ACTION content, data no digest is defined from, padding after the log)."""
    return parse(doctored).replay(bank) == parse(original).replay(bank)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_doctored())
def test_random_bytes_in_valid_evidence_never_pass_and_raise_only_tlkit_errors(
    doctored: tuple[str, str, Evidence],
) -> None:
    """Random bytes never pass. A mutation of the real log may pass only when it touched bytes the
    quote does not cover, and then the verdict claims exactly what the original one does."""
    field, kind, ev = doctored
    src = simulated()
    try:
        r = src.verify(ev)
    except TlkitError:
        return  # a clear, named error is allowed; anything else escapes and fails the test
    if field != "eventlog" or kind == "random":
        assert not r.passed, (field, kind, r.reasons)
        assert r.reasons
        return
    assert r.check("quote").status == "passed"
    if r.passed:
        assert ev.eventlog is not None
        assert src.evidence.eventlog is not None
        assert _same_measurements(ev.eventlog, src.evidence.eventlog, src.bank), kind
        assert r.facts == src.verify().facts
    else:  # caught by the log check, or by the baseline (e.g. a PCR 8 event's type changed)
        failed = {c.name for c in r.checks if c.status == "failed"}
        assert failed, r.reasons
        assert failed <= {"log", "secure-boot", "baseline"}, r.reasons


def test_a_stripped_log_is_judged_on_the_quoted_pcrs_alone_and_says_so() -> None:
    """Removing the log (or sending an empty one) does not hide anything: the verdict then rests on
    the quoted PCRs against the baseline's golden values (the Azure shape), and says ``log: absent``.
    Without golden values Secure Boot cannot be shown and the result fails."""
    src = simulated()
    for eventlog in (None, b""):
        ev = dataclasses.replace(src.evidence, eventlog=eventlog)
        r = src.verify(ev)
        assert r.log == "absent"
        assert r.check("log").status == "skipped"
        assert "golden-pcrs" in r.details["baseline"]["checked"]
        assert "events" not in r.details["baseline"]["checked"]
        assert r.passed  # the quoted PCRs are the known-good boot's, bit for bit
        assert verify(ev, src.nonce, None, anchors=src.anchors, at=AT).codes == ("secure-boot-unknown",)
        strict = src.verify(ev, policy=AttestationPolicy(require_log=True))
        assert strict.reasons == ("log-incomplete:no-log",)
    # and a stripped log with another boot's PCRs is still that other boot: a baseline deviation
    other = dataclasses.replace(run_case("kernel-update").evidence, eventlog=None)
    assert "baseline-deviation" in verify(other, src.nonce, src.baseline, anchors=src.anchors, at=AT).codes
