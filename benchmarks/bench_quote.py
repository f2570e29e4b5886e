"""Quote verification speed: tlkit ``verify_quote`` against its references, measured in the same run.

For one ECC (ECDSA P-256) and one RSA (RSASSA 2048) ``VirtualTpm`` quote over sha256 PCRs 0-7 + 23:

1. full ``verify_quote`` (parse TPMS_ATTEST and TPMT_SIGNATURE, nonce, PCR selection and digest,
   signature) per second;
2. raw ``cryptography`` verification of the same signature over the same message per second
   (the floor: the signature check alone); ratio 1/2, target >= 0.8;
3. ``tpm2_checkquote``, one process per quote (what a shell-script verifier does); ratio 1/3.

It also reports how long a :class:`tlkit.lab.SwtpmSession` takes to start and stop (the interop
tests start a few), when swtpm is installed.

Timing: best of ``--repeats`` rounds of ``--n`` calls (``time.perf_counter``), rounds interleaved.

Run: ``.venv/bin/python benchmarks/bench_quote.py [--n 1000] [--repeats 15] [--checkquote-n 20]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tlkit.tpm import PcrSelection, Signature, VirtualTpm, verify_quote

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


def _interleaved(fns: dict[str, Callable[[], object]], n: int, repeats: int) -> dict[str, float]:
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: n / t for name, t in best.items()}


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

    rates = _interleaved(
        {
            "verify_quote": lambda: verify_quote(message, signature, pcrs, nonce, key),
            "cryptography": raw,
            "verify_quote (PEM key)": lambda: verify_quote(message, signature, pcrs, nonce, vtpm.ak_pem),
        },
        n,
        repeats,
    )
    name = {"ecc": "ECC P-256 / ECDSA-SHA256", "rsa": "RSA 2048 / RSASSA-SHA256"}[kind]
    sizes = f"message {len(message)} B, signature {len(signature)} B"
    print(f"\n== {name}: quote over {len(SELECTION)} PCRs, {sizes}")
    print(f"  verify_quote (full, key object) : {rates['verify_quote']:10.0f} /s")
    print(f"  verify_quote (full, PEM key)    : {rates['verify_quote (PEM key)']:10.0f} /s")
    print(f"  cryptography raw signature only : {rates['cryptography']:10.0f} /s")
    ratio = rates["verify_quote"] / rates["cryptography"]
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(f"  ratio verify_quote / raw        : {ratio:10.3f}   ({verdict} target {TARGET})")

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
    parser.add_argument("--n", type=int, default=1000, help="calls per timing round (default 1000)")
    parser.add_argument("--repeats", type=int, default=15, help="rounds; the best is kept (default 15)")
    parser.add_argument("--checkquote-n", type=int, default=20, help="tpm2_checkquote runs per round")
    args = parser.parse_args()
    print(f"bench_quote: n={args.n}, repeats={args.repeats}, checkquote-n={args.checkquote_n}")
    for kind in ("ecc", "rsa"):
        bench(kind, args.n, args.repeats, args.checkquote_n)
    bench_swtpm_startup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
