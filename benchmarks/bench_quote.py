"""Quote verification speed: tlkit ``verify_quote`` against its references, measured in the same run.

For one ECC (ECDSA P-256) and one RSA (RSASSA 2048) ``VirtualTpm`` a pool of ``--pool`` distinct
quotes over sha256 PCRs 0-7 + 23 is made (each with its own nonce and PCR values). Every timed call
gets freshly built inputs, cycled through the pool: new ``message`` / ``signature`` bytes objects and
a new :class:`PcrValues` read from that quote's tpm2-tools PCR file (built before the block's timer
starts, as a verifier that has just received the evidence). ``verify_quote`` keeps no state between
calls, so nothing is reused from one call to the next except the AK object.

1. ``verify_quote`` with the AK as a key object (parse TPMS_ATTEST and TPMT_SIGNATURE, nonce, PCR
   selection and digest, signature) per second;
2. the same with the AK as PEM bytes (loaded on every call);
3. raw ``cryptography`` verification of the same signatures over the same messages (the floor:
   the signature check alone, scheme objects built per call as a caller would); ratio 1/3,
   target >= 0.85 for both key types;
4. from files: the PEM AK, the tpm2-tools serialized PCR file, quote.msg and quote.sig as bytes:
   ``load_public_key`` + ``read_pcrs`` + ``verify_quote``, against keylime's
   ``keylime.tpm.tpm_util.checkquote`` (PyPI ``keylime``, the ``bench`` extra) doing the same work
   on the same bytes; ratio target >= 1.3 (keylime skipped, with a note, when not installed);
5. ``tpm2_checkquote``, one process per quote (what a shell-script verifier does).

It also reports how long a :class:`tlkit.lab.SwtpmSession` takes to start and stop (the interop
tests start a few), when swtpm is installed.

Timing (robust on a small shared machine): every round times a block of ``--n`` calls of each
variant back to back (variants in a rotating order), ``--repeats`` rounds. Reported: the best block
of each variant (its rate), the ratio of those bests, and the median of the per-round ratios
(adjacent blocks share the machine's state, so a slow spell hits both sides).

keylime's ``checkquote(aikblob, nonce, sigblob, quoteblob, pcrblob, exp_hash_alg)`` is called as its
verifier calls it: PEM AK bytes, the nonce (as bytes: it compares them to extraData as they are),
the TPMT_SIGNATURE and TPMS_ATTEST bytes, the serialized PCR file and ``"sha256"``; it returns the
quoted PCRs, whose count is checked.

Install keylime: ``.venv/bin/pip install -c requirements/lock.txt -e '.[bench]'``.
Run: ``.venv/bin/python benchmarks/bench_quote.py [--n 500] [--repeats 30] [--pool 64] [--checkquote-n 20]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _timing import best_per_call, interleaved, median_ratio
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from tlkit.tpm import (
    PcrSelection,
    Signature,
    VirtualTpm,
    load_public_key,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)

SEED = 1
SELECTION = PcrSelection.of({"sha256": [0, 1, 2, 3, 4, 5, 6, 7, 23]})
TARGET = 0.85
TARGET_KEYLIME = 1.3


@dataclass(frozen=True)
class Evidence:
    """One quote as a verifier receives it: file bytes and the expected nonce."""

    message: bytes
    signature: bytes
    pcr_file: bytes
    nonce: bytes


def _keylime_checkquote() -> Callable[..., object] | None:
    """keylime's ``checkquote`` (its import logs a missing-config warning: silenced), or None."""
    import logging

    logging.disable(logging.WARNING)
    try:
        from keylime.tpm import tpm_util
    except ImportError:
        return None
    finally:
        logging.disable(logging.NOTSET)
    return tpm_util.checkquote  # type: ignore[no-any-return]


def _pool(vtpm: VirtualTpm, size: int) -> list[Evidence]:
    """``size`` distinct quotes: each extends a PCR and uses its own nonce."""
    out = []
    for i in range(size):
        vtpm.pcrs.extend_data(i % 8, f"component {i}".encode())
        nonce = i.to_bytes(4, "big") + bytes(range(28))
        q = vtpm.quote(SELECTION, nonce)
        out.append(Evidence(q.message, q.signature, write_pcrs_serialized(q.pcrs), nonce))
    return out


def _copy(b: bytes) -> bytes:
    """A new bytes object with the same value (no object identity shared with the pool)."""
    return bytes(bytearray(b))


def bench(kind: str, n: int, repeats: int, pool_size: int, checkquote_n: int) -> None:
    vtpm = VirtualTpm(seed=SEED, ak=kind)
    pool = _pool(vtpm, pool_size)
    key = vtpm.ak_public.to_cryptography()
    pem = vtpm.ak_pem
    for ev in pool:
        assert verify_quote(ev.message, ev.signature, read_pcrs(ev.pcr_file), ev.nonce, key).passed

    raw: Callable[[tuple[object, ...]], object]
    raw_args: list[tuple[bytes, bytes]] = []
    for ev in pool:
        sig = Signature.from_bytes(ev.signature)
        raw_args.append((sig.to_der() if sig.rsa is None else sig.rsa, ev.message))
    if isinstance(key, ec.EllipticCurvePublicKey):
        ec_key = key

        def raw(x: tuple[object, ...]) -> None:
            sig_, msg = x
            ec_key.verify(sig_, msg, ec.ECDSA(hashes.SHA256()))  # type: ignore[arg-type]

    else:
        assert isinstance(key, rsa.RSAPublicKey)
        rsa_key = key

        def raw(x: tuple[object, ...]) -> None:
            sig_, msg = x
            rsa_key.verify(sig_, msg, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[arg-type]

    def fresh() -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        for i in range(n):
            ev = pool[i % len(pool)]
            out.append(
                (_copy(ev.message), _copy(ev.signature), read_pcrs(_copy(ev.pcr_file)), _copy(ev.nonce))
            )
        return out

    def files() -> list[tuple[object, ...]]:
        return [
            (_copy(ev.message), _copy(ev.signature), _copy(ev.pcr_file), _copy(ev.nonce))
            for ev in (pool[i % len(pool)] for i in range(n))
        ]

    def raw_fresh() -> list[tuple[object, ...]]:
        return [(_copy(s_), _copy(m)) for s_, m in (raw_args[i % len(raw_args)] for i in range(n))]

    # One function per variant, each taking its block's tuple (the same shape as ``raw``).
    def with_key(x: tuple[object, ...]) -> None:
        m, s_, p, nonce = x
        assert verify_quote(m, s_, p, nonce, key).passed  # type: ignore[arg-type]

    def with_pem(x: tuple[object, ...]) -> None:
        m, s_, p, nonce = x
        assert verify_quote(m, s_, p, nonce, pem).passed  # type: ignore[arg-type]

    def end_to_end(x: tuple[object, ...]) -> None:
        m, s_, f, nonce, ak = x
        assert verify_quote(m, s_, read_pcrs(f), nonce, load_public_key(ak)).passed  # type: ignore[arg-type]

    keylime_checkquote = _keylime_checkquote()

    def keylime(x: tuple[object, ...]) -> None:
        m, s_, f, nonce, ak = x
        assert keylime_checkquote is not None
        pcrs = keylime_checkquote(ak, nonce, s_, m, f, "sha256")
        assert len(pcrs) == len(SELECTION)  # type: ignore[arg-type]

    def files_pem() -> list[tuple[object, ...]]:
        return [(*x, _copy(pem)) for x in files()]

    fns: dict[str, Callable[[tuple[object, ...]], object]] = {
        "verify_quote": with_key,
        "pem": with_pem,
        "files": end_to_end,
        "cryptography": raw,
    }
    makers = {"verify_quote": fresh, "pem": fresh, "files": files_pem, "cryptography": raw_fresh}
    if keylime_checkquote is not None:
        fns["keylime"] = keylime
        makers["keylime"] = files_pem
    rates, rounds = interleaved(fns, makers, repeats)
    name = {"ecc": "ECC P-256 / ECDSA-SHA256", "rsa": "RSA 2048 / RSASSA-SHA256"}[kind]
    sizes = f"message {len(pool[0].message)} B, signature {len(pool[0].signature)} B"
    print(
        f"\n== {name}: {len(pool)} distinct quotes over {len(SELECTION)} PCRs, {sizes}; fresh inputs per call"
    )
    print(f"  verify_quote (key object)              : {rates['verify_quote']:10.0f} /s")
    print(f"  verify_quote (PEM key bytes)           : {rates['pem']:10.0f} /s")
    print(f"  cryptography raw signature only        : {rates['cryptography']:10.0f} /s")
    _ratio("verify_quote / raw", rates, rounds, "verify_quote", "cryptography", target=TARGET)
    print(f"  from files: tlkit (load+read+verify)   : {rates['files']:10.0f} /s")
    if "keylime" in rates:
        print(f"  from files: keylime checkquote         : {rates['keylime']:10.0f} /s")
        _ratio("from files: tlkit / keylime", rates, rounds, "files", "keylime", target=TARGET_KEYLIME)
    else:
        print("  keylime: not installed (pip install -e '.[bench]'); from-files comparison skipped")
    quote = vtpm.quote(SELECTION, pool[0].nonce)
    nonce = pool[0].nonce

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

        tool_rate = 1.0 / best_per_call(checkquote, checkquote_n, max(1, repeats // 2))
    print(f"  tpm2_checkquote (1 process/quote): {tool_rate:9.1f} /s")
    print(f"  ratio verify_quote / checkquote    : {rates['verify_quote'] / tool_rate:10.1f}x")


def _ratio(
    label: str, rates: dict[str, float], rounds: list[dict[str, float]], name: str, ref: str, *, target: float
) -> None:
    ratio = rates[name] / rates[ref]
    median = median_ratio(rounds, name, ref)
    verdict = f"meets target {target}" if min(ratio, median) >= target else f"BELOW target {target}"
    print(f"  ratio {label:<33}: {ratio:7.3f}   (median of rounds {median:.3f}; {verdict})")


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
    parser.add_argument("--pool", type=int, default=64, help="distinct quotes per key type (default 64)")
    parser.add_argument("--checkquote-n", type=int, default=20, help="tpm2_checkquote runs per round")
    args = parser.parse_args()
    print(
        f"bench_quote: n={args.n}, repeats={args.repeats}, pool={args.pool}, checkquote-n={args.checkquote_n}"
    )
    for kind in ("ecc", "rsa"):
        bench(kind, args.n, args.repeats, args.pool, args.checkquote_n)
    bench_swtpm_startup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
