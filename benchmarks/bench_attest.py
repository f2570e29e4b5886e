"""Attestation speed: full ``tlkit.attest.verify`` against the raw signature floor and against keylime,
measured in the same run.

What one verification is: :func:`tlkit.attest.verify` of a healthy simulated Ubuntu Secure Boot
evidence bundle (the attestation lab's ``healthy`` case: an ECDSA P-256 quote of sha256 PCRs 0-23,
a 44-event firmware log) with its nonce, its baseline and the VM's AK as the trusted-AK list:
evidence present, quote (signature, magic, type, nonce, pcrDigest), AK trust, log (parse, replay
against the quoted PCRs, PC Client structure and data-vs-digest rules), Secure Boot from the replayed
PCR 7 events, baseline (allowed events, Secure Boot keys), guest-reported modules, and the attested
facts. A pool of ``--pool`` quotes over distinct nonces is made; every timed call gets a new
:class:`Evidence` built from fresh bytes before the block's timer starts (the AK key object and the
baseline are the verifier's and are shared, as a verifier holds them).

Two figures, both honest about what they are:

- **cold**: ``verify(..., memo=None)``: every verification analyses its log (parse, replay, the
  structure and data rules, Secure Boot, baseline) from its bytes: one VM, or every VM different;
- **warm**: ``verify(..., memo=LogAnalysisMemo())`` with one memo for the whole run, as a
  :class:`tlkit.attest.Verifier` keeps it: a fleet of VMs booted from one image, whose identical log
  (same bytes, same quoted PCR values, same baseline and policy) is analysed once
  (:mod:`tlkit.attest._memo`); the quote (signature, nonce, pcrDigest), AK trust and attested facts
  are computed for every call. The memo is filled before timing; the output prints its hits.

References measured in the same run, in interleaved blocks (variants in a rotating order):

1. the floor: ``cryptography``'s ECDSA verification of the same signature over the same message
   (DER built once per quote, fresh bytes per call). Printed: the ratios cold / floor and warm / floor
   (issue target >= 0.5) and, from cProfile runs of each, the share of a verification spent in each
   check (quote, with its signature verification; log: parse and replay with the structure rules;
   Secure Boot; baseline; the rest);
2. keylime 7.14 on the same evidence, as its verifier does it: ``checkquote`` (``keylime.tpm.
   tpm_util``; PEM AK, nonce, TPMT_SIGNATURE, TPMS_ATTEST, the tpm2-tools PCR file), its log parse
   (``tpm2_eventlog`` in a subprocess, YAML, keylime's enrichment), the comparison of the log's
   replayed PCRs with the quoted ones, and its example measured-boot policy with the refstate
   exported from the same baseline (:func:`tlkit.attest._keylime.to_keylime_refstate`). keylime's
   example policy has no rule for the VM-UUID event Hyper-V firmware measures into PCR 6 and rejects
   any log with it, and it cannot read an empty dbx; so this comparison uses a second simulated boot
   with one dbx entry and without the PCR 6 VM-UUID event (as an OVMF log is), quoted by its own
   vTPM, and tlkit verifies that same evidence with the same baseline (cold, and warm). The output
   says so. Skipped,
   with the reason printed, when keylime, tpm2_eventlog or libefivar is missing.

Timing (robust on a small shared machine): ``--repeats`` rounds, each timing a block of ``--n``
calls of every variant back to back; reported: each variant's best block (its rate), the ratio of
the bests and the median of the per-round ratios.

Install keylime: ``.venv/bin/pip install -c requirements/lock.txt -e '.[bench]'`` (and tpm2-tools,
libefivar1 with apt).
Run: ``.venv/bin/python benchmarks/bench_attest.py [--n 100] [--repeats 15] [--pool 16] [--keylime-n 10]``
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import logging
import pstats
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from _timing import interleaved, median_ratio
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tlkit.attest._aktrust import TrustAnchors
from tlkit.attest._baseline import Baseline
from tlkit.attest._cases import HEALTHY, run_case
from tlkit.attest._evidence import Evidence
from tlkit.attest._keylime import keylime_evaluate, keylime_missing, keylime_parse, to_keylime_refstate
from tlkit.attest._memo import LogAnalysisMemo
from tlkit.attest._verify import verify
from tlkit.boot import linux_chain, measure_linux_boot, scenario_evidence, secure_boot_databases
from tlkit.eventlog import EventLog, EventType, write
from tlkit.tpm import PcrSelection, Signature, VirtualTpm, read_pcrs, write_pcrs_serialized

SEED = 0
AT = datetime(2026, 1, 15, tzinfo=UTC)
TARGET_FLOOR = 0.5
SELECTION = PcrSelection.of({"sha256": range(24)})

Call = tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Quote:
    """One evidence bundle as received: its files' bytes, and the nonce the verifier expects."""

    files: dict[str, bytes]
    nonce: bytes


def _nonce(i: int) -> bytes:
    return hashlib.sha256(f"bench_attest nonce {i}".encode()).digest()[:20]


def _copy(b: bytes) -> bytes:
    """A new bytes object with the same value (no object identity shared with the pool)."""
    return bytes(bytearray(b))


def _fresh(q: Quote, ak: Any) -> Evidence:
    """A new Evidence from fresh copies of the pool's bytes (the AK key object is the verifier's)."""
    f = q.files
    return Evidence(
        message=_copy(f["quote.msg"]),
        signature=_copy(f["quote.sig"]),
        pcrs=read_pcrs(_copy(f["quote.pcrs"])),
        ak=ak,
        nonce=_copy(q.nonce),
        eventlog=_copy(f["eventlog.bin"]),
    )


def _ratio(
    label: str, rates: dict[str, float], rounds: list[dict[str, float]], pair: tuple[str, str],
    target: float | None = None,
) -> None:  # fmt: skip
    name, ref = pair
    ratio = rates[name] / rates[ref]
    median = median_ratio(rounds, name, ref)
    verdict = ""
    if target is not None:
        verdict = f"; meets target {target}" if min(ratio, median) >= target else f"; BELOW target {target}"
    print(f"  ratio {label:<38}: {ratio:8.3f}   (median of rounds {median:.3f}{verdict})")


def _floor_args(pool: list[Quote]) -> list[tuple[bytes, bytes]]:
    """(DER signature, message) per quote: what ``cryptography`` verifies."""
    return [(Signature.from_bytes(q.files["quote.sig"]).to_der(), q.files["quote.msg"]) for q in pool]


def _verify_fn(
    nonce_of: dict[bytes, bytes], baseline: Any, anchors: Any, memo: LogAnalysisMemo | None = None
) -> Callable[[Call], object]:
    """One full verification (cold without ``memo``, warm with a filled one)."""

    def run(x: Call) -> None:
        (ev,) = x
        r = verify(ev, nonce_of[ev.message], baseline, anchors=anchors, at=AT, memo=memo)
        assert r.passed, r.reasons

    return run


def _floor_fn(key: ec.EllipticCurvePublicKey) -> Callable[[Call], object]:
    def run(x: Call) -> None:
        der, msg = x
        key.verify(der, msg, ec.ECDSA(hashes.SHA256()))

    return run


# ------------------------------------------------------------------------------------- part 1
def bench_floor(n: int, repeats: int, pool_size: int) -> None:
    case = run_case("healthy", SEED)
    baseline, anchors = case.baseline, case.anchors
    ak = case.evidence.ak
    pool = [Quote(scenario_evidence(HEALTHY, SEED, _nonce(i)), _nonce(i)) for i in range(pool_size)]
    nonce_of = {q.files["quote.msg"]: q.nonce for q in pool}
    floor_args = _floor_args(pool)
    memo = LogAnalysisMemo()
    cold, warm = _verify_fn(nonce_of, baseline, anchors), _verify_fn(nonce_of, baseline, anchors, memo)
    for q in pool:
        cold((_fresh(q, ak),))
        warm((_fresh(q, ak),))

    def evidence() -> list[Call]:
        return [(_fresh(pool[i % len(pool)], ak),) for i in range(n)]

    fns = {"cold": cold, "warm": warm, "floor": _floor_fn(ak)}
    makers: dict[str, Callable[[], Sequence[Call]]] = {
        "cold": evidence,
        "warm": evidence,
        "floor": lambda: [tuple(_copy(b) for b in floor_args[i % len(pool)]) for i in range(n)],
    }
    rates, rounds = interleaved(fns, makers, repeats)
    ev = _fresh(pool[0], ak)
    assert ev.eventlog is not None
    print(
        f"\n== healthy simulated Ubuntu Secure Boot evidence, with its baseline and trusted AK "
        f"({len(pool)} quotes over distinct nonces; message {len(ev.message)} B, signature "
        f"{len(ev.signature)} B, log {len(ev.eventlog)} B)"
    )
    print(f"  cold: full verify, every log analysed (memo off)      : {rates['cold']:9.0f} /s")
    print(f"  warm: full verify, fleet of one image (memo on)       : {rates['warm']:9.0f} /s")
    hits = f"{len(memo)} entry, {memo.hits} hits, {memo.misses} misses"
    print(f"    (memo: {hits}: one analysis of the log, every quote checked)")
    print(f"  floor: cryptography ECDSA P-256 verify, same sig/msg  : {rates['floor']:9.0f} /s")
    _ratio("cold full verify / signature floor", rates, rounds, ("cold", "floor"), TARGET_FLOOR)
    _ratio("warm full verify / signature floor", rates, rounds, ("warm", "floor"), TARGET_FLOOR)
    _profile("cold", pool, ak, cold, max(50, n))
    _profile("warm", pool, ak, warm, max(50, n))


#: Where a verification's time goes: (label, function names in tlkit/attest/_verify.py or elsewhere).
PROFILE_PARTS: tuple[tuple[str, str, str], ...] = (
    ("quote check (parse, nonce, pcrDigest, signature)", "_verify.py", "_check_quote"),
    ("  of which the ECDSA signature verification", "~", "verify"),
    ("log, Secure Boot and baseline checks (or their memo entry)", "_verify.py", "_log_checks"),
    ("log check (parse + replay + structure/data rules)", "_verify.py", "_check_log"),
    ("  of which parsing the log", "_parse.py", "parse"),
    ("  of which the PC Client structure rules", "_policy.py", "check_policy"),
    ("Secure Boot check (PCR 7 events)", "_verify.py", "_check_secure_boot"),
    ("baseline check", "_verify.py", "_check_baseline"),
    ("AK trust (trusted-AK list)", "_verify.py", "_check_ak_trust"),
    ("attested facts (token-claim input)", "_verify.py", "_facts"),
    ("decoding event payloads (UEFI variables: signature lists, X.509), in all checks", "_payloads.py",
     "decode_payload"),
)  # fmt: skip


def _profile(label: str, pool: list[Quote], ak: Any, full: Callable[[Call], object], n: int) -> None:
    """cProfile ``n`` verifications; print each part's share of the total (cumulative times)."""
    args = [(_fresh(pool[i % len(pool)], ak),) for i in range(n)]
    prof = cProfile.Profile()
    prof.enable()
    for x in args:
        full(x)
    prof.disable()
    stats = pstats.Stats(prof)
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = sum(
        ct
        for (f, _, name), (_, _, _, ct, _) in table.items()
        if name == "verify" and f.endswith("_verify.py")
    )
    print(
        f"  where the time goes, {label} (cProfile of {n} verifications, share of verify's cumulative time):"
    )
    for part, file, func in PROFILE_PARTS:
        cum = sum(
            ct
            for (f, _, name), (_, _, _, ct, _) in table.items()
            if (name == func or name.startswith(f"<method '{func}'")) and f.endswith(file)
        )
        print(f"    {part:<80}: {cum / total:6.1%}")


# ------------------------------------------------------------------------------------- part 2
def _keylime_boot() -> tuple[EventLog, VirtualTpm]:
    """The healthy chain with one dbx entry, its log without Hyper-V's PCR 6 VM-UUID event, and a
    vTPM whose PCRs are that log's (keylime's example policy rejects the event and an empty dbx)."""
    dbs = secure_boot_databases(SEED, dbx_hashes=[hashlib.sha256(b"a revoked image").digest()])
    boot = measure_linux_boot(linux_chain(SEED, dbs=dbs), seed=SEED)
    log = boot.log.with_events(
        [e for e in boot.log.events if not (e.pcr == 6 and e.event_type == EventType.EV_COMPACT_HASH)]
    )
    vtpm = VirtualTpm(SEED, banks=tuple(log.banks))
    for e in log.events:
        if e.event_type != EventType.EV_NO_ACTION:  # PFP 10.4.5: never extended
            for alg, digest in e.digest_list:
                vtpm.pcrs.extend(e.pcr, digest, alg)
    return log, vtpm


def _keylime_checkquote() -> Callable[..., Any]:
    logging.disable(logging.WARNING)  # keylime's import warns about a missing config file
    try:
        from keylime.tpm import tpm_util  # type: ignore[import-untyped]
    finally:
        logging.disable(logging.NOTSET)
    return tpm_util.checkquote  # type: ignore[no-any-return]


def bench_keylime(n: int, repeats: int, pool_size: int, keylime_n: int) -> None:
    print("\n== against keylime 7.14 on the same evidence")
    why = keylime_missing()
    if why is not None:
        print(f"  keylime comparison skipped: {why}")
        return
    print(
        "  evidence: the healthy chain with one dbx entry and WITHOUT Hyper-V's PCR 6 VM-UUID event\n"
        "  (keylime's example policy rejects that event and cannot read an empty dbx), quoted by its own vTPM"
    )
    log, vtpm = _keylime_boot()
    raw = write(log)
    baseline = Baseline.from_log(log, name="keylime comparison")
    refstate = to_keylime_refstate(baseline)
    ak = vtpm.ak_public.to_cryptography()
    anchors = TrustAnchors(trusted_aks=(ak,))
    pool = []
    for i in range(pool_size):
        q = vtpm.quote(SELECTION, _nonce(i))
        pcr_file = write_pcrs_serialized(q.pcrs)
        files = {
            "quote.msg": q.message,
            "quote.sig": q.signature,
            "quote.pcrs": pcr_file,
            "eventlog.bin": raw,
        }
        pool.append(Quote(files, _nonce(i)))
    nonce_of = {q.files["quote.msg"]: q.nonce for q in pool}
    memo = LogAnalysisMemo()
    full, warm = _verify_fn(nonce_of, baseline, anchors), _verify_fn(nonce_of, baseline, anchors, memo)
    checkquote = _keylime_checkquote()
    pem = vtpm.ak_pem

    def keylime_quote(x: Call) -> dict[int, str]:
        aik, nonce, sig, msg, pcrs = x[:5]
        quoted: dict[int, str] = checkquote(aik, nonce, sig, msg, pcrs, "sha256")
        assert len(quoted) == 24
        return quoted

    def keylime_full(x: Call) -> None:
        quoted = keylime_quote(x)
        parsed = keylime_parse(x[5])  # tpm2_eventlog subprocess + YAML + enrichment
        replayed = parsed["pcrs"]["sha256"]
        for pcr, value in replayed.items():  # keylime's check_pcrs: log PCRs vs quoted PCRs
            assert hex(value)[2:].lstrip("0") == quoted[int(pcr)].lstrip("0"), pcr
        assert keylime_evaluate(parsed, refstate) == ""

    parsed_once = keylime_parse(raw)

    def keylime_policy(x: Call) -> None:
        assert keylime_evaluate(x[0], refstate) == ""

    def kl_args(count: int) -> list[Call]:
        out: list[Call] = []
        for i in range(count):
            q = pool[i % len(pool)]
            f = q.files
            out.append((_copy(pem), _copy(q.nonce), _copy(f["quote.sig"]), _copy(f["quote.msg"]),
                        _copy(f["quote.pcrs"]), _copy(raw)))  # fmt: skip
        return out

    # first call of each side checks both accept the evidence
    full((_fresh(pool[0], ak),))
    warm((_fresh(pool[0], ak),))
    keylime_full(kl_args(1)[0])
    fns: dict[str, Callable[[Call], object]] = {
        "tlkit": full,
        "tlkit-warm": warm,
        "keylime": keylime_full,
        "keylime-checkquote": keylime_quote,
        "keylime-policy": keylime_policy,
    }
    makers: dict[str, Callable[[], Sequence[Call]]] = {
        "tlkit": lambda: [(_fresh(pool[i % len(pool)], ak),) for i in range(keylime_n)],
        "tlkit-warm": lambda: [(_fresh(pool[i % len(pool)], ak),) for i in range(keylime_n)],
        "keylime": lambda: kl_args(keylime_n),
        "keylime-checkquote": lambda: kl_args(keylime_n),
        "keylime-policy": lambda: [(parsed_once,) for _ in range(keylime_n)],
    }
    rates, rounds = interleaved(fns, makers, max(3, repeats // 2))
    print(f"  tlkit full verify, cold (same evidence, same baseline): {rates['tlkit']:9.1f} /s")
    print(f"  tlkit full verify, warm (memo on)                     : {rates['tlkit-warm']:9.1f} /s")
    print(f"  keylime: checkquote + tpm2_eventlog parse + PCR compare + policy: {rates['keylime']:9.1f} /s")
    print(f"    keylime checkquote alone                             : {rates['keylime-checkquote']:9.1f} /s")
    print(f"    keylime example policy alone (log parsed beforehand) : {rates['keylime-policy']:9.1f} /s")
    _ratio("tlkit full (cold) / keylime full", rates, rounds, ("tlkit", "keylime"))
    _ratio("tlkit full (warm) / keylime full", rates, rounds, ("tlkit-warm", "keylime"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="verifications per timed block (default 100)")
    ap.add_argument("--repeats", type=int, default=15, help="rounds of blocks (default 15)")
    ap.add_argument("--pool", type=int, default=16, help="distinct quotes (default 16)")
    ap.add_argument(
        "--keylime-n", type=int, default=10, help="calls per block in the keylime part (default 10)"
    )
    args = ap.parse_args()
    print(f"bench_attest: n={args.n}, repeats={args.repeats}, pool={args.pool}, keylime-n={args.keylime_n}")
    bench_floor(args.n, args.repeats, args.pool)
    bench_keylime(args.n, args.repeats, args.pool, args.keylime_n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
