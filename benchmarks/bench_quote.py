"""Quote verification speed: tlkit ``verify_quote`` against its references, measured in the same run.

For one ECC (ECDSA P-256) and one RSA (RSASSA 2048) ``VirtualTpm`` quote over sha256 PCRs 0-7 + 23:

1. full ``verify_quote`` (parse TPMS_ATTEST and TPMT_SIGNATURE, nonce, PCR selection and digest,
   signature) per second, re-verifying one ``PcrValues`` object (its digest is memoised after the
   first call, as in ``tamper_quote`` or a widget);
2. the same with a fresh ``PcrValues`` per call (read from a tpm2-tools PCR file before timing, as a
   verifier receiving new evidence each time): nothing memoised;
3. raw ``cryptography`` verification of the same signature over the same message per second
   (the floor: the signature check alone); ratios 1/3 and 2/3, target >= 0.8;
4. ``tpm2_checkquote``, one process per quote (what a shell-script verifier does); ratio 1/4.

It also reports how long a :class:`tlkit.lab.SwtpmSession` takes to start and stop (the interop
tests start a few), when swtpm is installed.

Timing (robust on a small shared machine): every round times a block of ``--n`` calls of each
variant back to back (variants in a rotating order), ``--repeats`` rounds. Reported: the best block
of each variant (its rate), the ratio of those bests, and the median of the per-round ratios
(adjacent blocks share the machine's state, so a slow spell hits both sides).

Run: ``.venv/bin/python benchmarks/bench_quote.py [--n 500] [--repeats 30] [--checkquote-n 20]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tlkit.tpm import (
    PcrSelection,
    PcrValues,
    Signature,
    VirtualTpm,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)

SEED = 1
SELECTION = PcrSelection.of({"sha256": [0, 1, 2, 3, 4, 5, 6, 7, 23]})
TARGET = 0.8


def _best_rate(fn: Callable[[], object], n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def _interleaved(
    fns: dict[str, Callable[[object], object]], args: dict[str, Callable[[], list[object]]], repeats: int
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Best rate per variant, and every round's block times (to pair variants round by round).

    ``args[name]()`` builds a block's arguments (one per call) before its timer starts.
    """
    names = list(fns)
    rounds: list[dict[str, float]] = []
    for i in range(repeats):
        times: dict[str, float] = {}
        for name in names[i % len(names) :] + names[: i % len(names)]:
            fn, xs = fns[name], args[name]()
            t0 = time.perf_counter()
            for x in xs:
                fn(x)
            times[name] = (time.perf_counter() - t0) / len(xs)
        rounds.append(times)
    best = {name: 1.0 / min(r[name] for r in rounds) for name in names}
    return best, rounds


def _median_ratio(rounds: list[dict[str, float]], name: str, ref: str) -> float:
    return statistics.median(r[ref] / r[name] for r in rounds)


def bench(kind: str, n: int, repeats: int, checkquote_n: int) -> None:
    vtpm = VirtualTpm(seed=SEED, ak=kind)
    for pcr in range(8):
        vtpm.pcrs.extend_data(pcr, f"component {pcr}".encode())
    nonce = bytes(range(32))
    quote = vtpm.quote(SELECTION, nonce)
    key = vtpm.ak_public.to_cryptography()
    message, signature, pcrs = quote.message, quote.signature, quote.pcrs
    assert verify_quote(message, signature, pcrs, nonce, key).passed

    sig = Signature.from_bytes(signature)
    raw: Callable[[], object]
    if isinstance(key, ec.EllipticCurvePublicKey):
        der = sig.to_der()
        scheme = ec.ECDSA(hashes.SHA256())

        def raw() -> None:
            key.verify(der, message, scheme)

    else:
        assert isinstance(key, rsa.RSAPublicKey)
        assert sig.rsa is not None
        rsa_sig, pad, alg = sig.rsa, padding.PKCS1v15(), hashes.SHA256()

        def raw() -> None:
            key.verify(rsa_sig, message, pad, alg)

    fresh = write_pcrs_serialized(pcrs)
    nothing: list[object] = [None] * n

    def same() -> list[object]:
        return nothing

    rates, rounds = _interleaved(
        {
            "verify_quote": lambda _: verify_quote(message, signature, pcrs, nonce, key),
            "fresh": lambda values: verify_quote(message, signature, cast(PcrValues, values), nonce, key),
            "cryptography": lambda _: raw(),
            "pem": lambda _: verify_quote(message, signature, pcrs, nonce, vtpm.ak_pem),
        },
        {
            "verify_quote": same,
            "fresh": lambda: [read_pcrs(fresh) for _ in range(n)],
            "cryptography": same,
            "pem": same,
        },
        repeats,
    )
    name = {"ecc": "ECC P-256 / ECDSA-SHA256", "rsa": "RSA 2048 / RSASSA-SHA256"}[kind]
    sizes = f"message {len(message)} B, signature {len(signature)} B"
    print(f"\n== {name}: quote over {len(SELECTION)} PCRs, {sizes}")
    print(f"  verify_quote (full, key object) : {rates['verify_quote']:10.0f} /s")
    print(f"  verify_quote (fresh PcrValues)  : {rates['fresh']:10.0f} /s")
    print(f"  verify_quote (full, PEM key)    : {rates['pem']:10.0f} /s")
    print(f"  cryptography raw signature only : {rates['cryptography']:10.0f} /s")
    for label, variant in (("verify_quote", "verify_quote"), ("fresh PcrValues", "fresh")):
        ratio = rates[variant] / rates["cryptography"]
        median = _median_ratio(rounds, variant, "cryptography")
        verdict = "meets" if min(ratio, median) >= TARGET else "BELOW"
        print(
            f"  ratio {label + ' / raw':<26}: {ratio:10.3f}   (median of rounds {median:.3f}; "
            f"{verdict} target {TARGET})"
        )

    tool = shutil.which("tpm2_checkquote")
    if tool is None:
        print("  tpm2_checkquote                 : not installed (apt-get install tpm2-tools); skipped")
        return
    with tempfile.TemporaryDirectory(prefix="tlkit-bench-") as tmp:
        d = Path(tmp)
        quote.write(d, stem="quote")
        (d / "ak.pem").write_bytes(vtpm.ak_pem)
        cmd = [tool, "-u", "ak.pem", "-m", "quote.msg", "-s", "quote.sig", "-f", "quote.pcrs",
               "-g", "sha256", "-q", nonce.hex()]  # fmt: skip

        def checkquote() -> None:
            subprocess.run(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

        tool_rate = _best_rate(checkquote, checkquote_n, max(1, repeats // 2))
    print(f"  tpm2_checkquote (1 process/quote): {tool_rate:9.1f} /s")
    print(f"  ratio verify_quote / checkquote : {rates['verify_quote'] / tool_rate:10.1f}x")


def bench_swtpm_startup(rounds: int = 5) -> None:
    from tlkit.errors import MissingComponentError
    from tlkit.lab import SwtpmSession

    times = []
    try:
        for _ in range(rounds):
            t0 = time.perf_counter()
            with SwtpmSession() as tpm:
                t1 = time.perf_counter()
                tpm.pcr_read({"sha256": [0]})
            times.append((t1 - t0, time.perf_counter() - t0))
    except MissingComponentError as e:
        print(f"\n== swtpm session: {e}; skipped")
        return
    start = min(t for t, _ in times) * 1e3
    total = min(t for _, t in times) * 1e3
    print(f"\n== swtpm session (best of {rounds})")
    print(f"  start (until both ports accept)  : {start:9.1f} ms")
    print(f"  start + tpm2_pcrread + stop      : {total:9.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="calls per block (default 500)")
    parser.add_argument("--repeats", type=int, default=30, help="rounds of blocks (default 30)")
    parser.add_argument("--checkquote-n", type=int, default=20, help="tpm2_checkquote runs per round")
    args = parser.parse_args()
    print(f"bench_quote: n={args.n}, repeats={args.repeats}, checkquote-n={args.checkquote_n}")
    for kind in ("ecc", "rsa"):
        bench(kind, args.n, args.repeats, args.checkquote_n)
    bench_swtpm_startup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
