"""Simulated boot speed: a full Linux Secure Boot chain measured into a vTPM, its log and a quote.

One "boot" is :func:`tlkit.boot.measure_linux_boot` of the default chain (firmware, shim, GRUB,
kernel, initrd, command line: about 50 events in the sha1 and sha256 banks, with the Secure Boot
decisions) followed by a quote of sha256 PCRs 0-23 with a fresh nonce. Keys and signed components
are built once before timing (they are cached by seed, as a notebook or a fleet simulation uses
them); each timed boot gets a new ``VirtualTpm`` and a new log.

Reference measured in the same run, the floor a boot cannot avoid:

* hashing: for every event of the boot's log, the event digest in each bank (``H(data)`` over the
  logged data, an upper bound: image loads are measured by their Authenticode hash, not by their
  data) and the PCR extend ``H(pcr || digest)``, with hashlib;
* one signature: the AK's ECDSA P-256 signature over one quote message, with ``cryptography``.

Printed: boots per second (target >= 300 on one core), the floor per boot, the ratio boot / floor,
and the share of a boot's time in signing, hashing and everything else (Python: building events,
Secure Boot decisions, the log).

A second line times the Windows chain (:func:`tlkit.boot.measure_windows_boot`, the WBCL SIPA events
built and encoded per boot) with the same quote.

Run: ``.venv/bin/python benchmarks/bench_boot.py [--n 200] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import hashlib
import time

from _timing import best_per_call
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tlkit.boot import linux_chain, measure_linux_boot, measure_windows_boot, windows_chain
from tlkit.eventlog import EventType
from tlkit.tpm import PcrSelection

SEED = 0
TARGET = 300.0
SELECTION = PcrSelection.of({"sha256": range(24)})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="boots per timed block (default 200)")
    ap.add_argument("--repeats", type=int, default=7, help="timed blocks; the best counts (default 7)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    chain = linux_chain(SEED)
    first = measure_linux_boot(chain, seed=SEED)
    cold = time.perf_counter() - t0
    assert first.booted
    assert first.log.verify(first.pcrs["sha256"], "sha256").passed

    nonces = [hashlib.sha256(i.to_bytes(4, "big")).digest()[:20] for i in range(args.n)]
    counter = iter(range(10**9))

    def boot() -> None:
        result = measure_linux_boot(chain, seed=SEED)
        result.vtpm.quote(SELECTION, nonces[next(counter) % len(nonces)])

    per_boot = best_per_call(boot, args.n, args.repeats)

    # The floor: hashing every event's data and extend in both banks, and one ECDSA signature.
    events = [e for e in first.log if e.event_type != EventType.EV_NO_ACTION]
    datas = [e.data for e in events]
    banks = (hashlib.sha1, hashlib.sha256)

    def hashing() -> None:
        for h in banks:
            pcr = bytes(h().digest_size)
            for d in datas:
                pcr = h(pcr + h(d).digest()).digest()

    key = ec.generate_private_key(ec.SECP256R1())
    message = first.vtpm.quote(SELECTION, nonces[0]).message

    def sign() -> None:
        key.sign(message, ec.ECDSA(hashes.SHA256()))

    per_hash = best_per_call(hashing, args.n, args.repeats)
    per_sign = best_per_call(sign, args.n, args.repeats)
    floor = per_hash + per_sign
    rate = 1.0 / per_boot
    other = max(per_boot - floor, 0.0)

    print(f"== simulated Linux Secure Boot chain + quote ({len(first.log)} events, banks sha1/sha256)")
    print(f"  cold start (keys, signed components, first boot) : {cold:8.2f} s")
    print(f"  boots per second (one core, keys cached)         : {rate:8.0f} /s  (target >= {TARGET:.0f})")
    print(f"  floor per boot: hashing {per_hash * 1e6:7.1f} us + one signature {per_sign * 1e6:6.1f} us")
    print(f"  ratio boot / floor                               : {per_boot / floor:8.1f}x")
    print(
        f"  share of a boot: signing {per_sign / per_boot:5.1%}, hashing {per_hash / per_boot:5.1%}, "
        f"Python (events, decisions, log) {other / per_boot:5.1%}"
    )
    print(f"  target {'met' if rate >= TARGET else 'NOT met'}")

    win = windows_chain(SEED)
    first_win = measure_windows_boot(win, seed=SEED)
    assert first_win.booted

    def windows_boot() -> None:
        result = measure_windows_boot(win, seed=SEED)
        result.vtpm.quote(SELECTION, nonces[next(counter) % len(nonces)])

    per_win = best_per_call(windows_boot, args.n, args.repeats)
    print(f"== simulated Windows chain (bootmgr, winload, WBCL) + quote ({len(first_win.log)} events)")
    print(f"  boots per second (one core, keys cached)         : {1.0 / per_win:8.0f} /s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
