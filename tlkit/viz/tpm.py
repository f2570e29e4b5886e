"""Tables and figures that explain TPM PCRs and quotes (presentation only).

- :func:`annotate_attest` / :func:`annotate_signature`: a byte map (offset, size, field, bytes, value)
  of a quote's TPMS_ATTEST / TPMT_SIGNATURE, laid out from the structures :mod:`tlkit.tpm` parsed.
- :func:`extend_steps`: the PCR values after each extend of a sequence of measurements.
- :func:`tamper_table`: what :func:`tlkit.tpm.verify_quote` answers when one byte of each field is
  changed.
- :func:`digest_fingerprint_figure`: digests drawn as rows of coloured byte cells.

Nothing here parses or verifies by itself: decoding and checks are :mod:`tlkit.tpm`'s, and this module
only lays their results out for reading. It does not call ``plt.show()``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tlkit.errors import UnsupportedAlgorithmError
from tlkit.tpm import TPM_GENERATED_VALUE, Attest, PcrBanks, QuoteInfo, Signature, hash_alg, verify_quote

__all__ = [
    "annotate_attest",
    "annotate_signature",
    "digest_fingerprint_figure",
    "extend_steps",
    "tamper_table",
]

_COLUMNS = ["offset", "size", "field", "bytes", "value"]
_HEX_SHOWN = 16


def _spec_name(prefix: str, short: str) -> str:
    """``("TPM_ST_ATTEST_", "command-audit")`` → ``TPM_ST_ATTEST_COMMAND_AUDIT``; hex codes stay."""
    return short if short.startswith("0x") else prefix + short.upper().replace("-", "_")


def _hex(b: bytes) -> str:
    h = b.hex()
    return h if len(b) <= _HEX_SHOWN else f"{h[: 2 * _HEX_SHOWN]}… ({len(b)} B)"


class _Layout:
    """Rows of a byte map, advancing an offset through ``data``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.rows: list[dict[str, Any]] = []

    def add(self, field: str, size: int, value: str) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.rows.append(
            {"offset": self.pos, "size": size, "field": field, "bytes": _hex(chunk), "value": value}
        )
        self.pos += size
        return chunk

    def sized(self, field: str, content: bytes, value: str) -> None:
        self.add(f"{field}.size", 2, f"{len(content)} bytes")
        self.add(f"{field}.buffer", len(content), value)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=_COLUMNS)


def _name_value(name: bytes) -> str:
    if len(name) < 2:
        return "empty"
    alg_id = int.from_bytes(name[:2], "big")
    try:
        alg = hash_alg(alg_id).name
    except UnsupportedAlgorithmError:
        alg = f"alg 0x{alg_id:04x}"
    return f"{alg} qualified name of the signing key (TPM 2.0 Part 1, 16.6)"


def annotate_attest(message: bytes) -> pd.DataFrame:
    """A byte map of a TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12; TPMS_QUOTE_INFO 10.12.4).

    One row per wire field: ``offset`` and ``size`` in bytes, ``field`` (spec name), ``bytes`` (hex, long
    fields shortened) and ``value`` (decoded meaning). The message is parsed with
    :meth:`tlkit.tpm.Attest.from_bytes` (unverified data: this shows what the bytes *claim*).

    Raises:
        ParseError: the message is not a TPMS_ATTEST.
    """
    attest = Attest.from_bytes(message)
    lay = _Layout(message)
    magic_ok = "TPM_GENERATED_VALUE" if attest.magic == TPM_GENERATED_VALUE else "NOT TPM_GENERATED_VALUE"
    lay.add("magic", 4, magic_ok)
    lay.add("type", 2, _spec_name("TPM_ST_ATTEST_", attest.type_name))
    lay.sized("qualifiedSigner", attest.qualified_signer, _name_value(attest.qualified_signer))
    lay.sized("extraData", attest.extra_data, "qualifying data: the verifier's nonce")
    ci = attest.clock_info
    lay.add("clockInfo.clock", 8, f"{ci.clock} ms since the clock was last reset")
    lay.add("clockInfo.resetCount", 4, f"{ci.reset_count} TPM resets (reboots)")
    lay.add("clockInfo.restartCount", 4, f"{ci.restart_count} restarts/resumes since the last reset")
    lay.add("clockInfo.safe", 1, "YES" if ci.safe else "NO")
    lay.add("firmwareVersion", 8, f"0x{attest.firmware_version:016x} (vendor-defined)")
    info = attest.attested
    if isinstance(info, QuoteInfo):
        items = info.pcr_select.items()
        lay.add("pcrSelect.count", 4, f"{len(items)} bank(s)")
        for (alg, pcrs), size in zip(items, info.pcr_select.size_of_select, strict=True):
            lay.add("pcrSelect.hash", 2, alg.name)
            lay.add("pcrSelect.sizeofSelect", 1, f"{size} bytes: room for {8 * size} PCRs")
            lay.add("pcrSelect.pcrSelect", size, "PCR " + ",".join(map(str, pcrs)) if pcrs else "none")
        lay.sized("pcrDigest", info.pcr_digest, "hash of the selected PCR values, in selection order")
    else:
        lay.add("attested", len(message) - lay.pos, "not a quote: attested structure left undecoded")
    return lay.frame()


def annotate_signature(signature: bytes) -> pd.DataFrame:
    """A byte map of a TPMT_SIGNATURE (TPM 2.0 Part 2, 11.3.4), columns as :func:`annotate_attest`.

    Raises:
        ParseError: the bytes are not a TPMT_SIGNATURE.
    """
    sig = Signature.from_bytes(signature)
    lay = _Layout(signature)
    lay.add("sigAlg", 2, _spec_name("TPM_ALG_", sig.sig_alg_name))
    lay.add("hash", 2, sig.hash.name if sig.hash is not None else "unknown")
    if sig.rsa is not None:
        lay.sized("sig", sig.rsa, f"RSA signature ({8 * len(sig.rsa)} bits)")
    elif sig.ecdsa_r is not None and sig.ecdsa_s is not None:
        lay.sized("signatureR", sig.ecdsa_r, "ECDSA r")
        lay.sized("signatureS", sig.ecdsa_s, "ECDSA s")
    else:
        lay.add("signature", len(signature) - lay.pos, "undecoded")
    return lay.frame()


def extend_steps(
    measurements: Iterable[bytes | str], *, pcr: int = 23, bank: str = "sha256", locality: int = 0
) -> pd.DataFrame:
    """PCR ``pcr`` after each measurement, extended like ``TPM2_PCR_Event`` (digest = H(data), then
    PCR := H(PCR || digest); TPM 2.0 Part 3, 22.3 "TPM2_PCR_Event").

    Columns: ``step``, ``measurement``, ``digest`` and ``pcr`` (hex). Row 0 is the startup value.
    """
    banks = PcrBanks(banks=(bank,), locality=locality)
    rows = [{"step": 0, "measurement": "(startup)", "digest": "", "pcr": banks.read(pcr, bank).hex()}]
    for i, m in enumerate(measurements, start=1):
        data = m.encode() if isinstance(m, str) else m
        banks.extend_data(pcr, data)
        after = banks.read(pcr, bank)
        label = m if isinstance(m, str) else _hex(m)
        rows.append(
            {"step": i, "measurement": label, "digest": hash_alg(bank).digest(data).hex(), "pcr": after.hex()}
        )
    return pd.DataFrame(rows, columns=["step", "measurement", "digest", "pcr"])


def tamper_table(
    message: bytes,
    signature: bytes,
    pcrs: Any,
    nonce: bytes,
    ak: Any,
    *,
    seed: int = 0,
) -> pd.DataFrame:
    """Change one byte in every field of the quote (message and signature) and verify each copy.

    For each row of :func:`annotate_attest` / :func:`annotate_signature`, one byte at a seeded random
    position inside the field is XORed with a seeded random non-zero mask, and
    :func:`tlkit.tpm.verify_quote` runs on the result. Columns: ``part`` (``"message"`` or
    ``"signature"``), ``field``, ``offset``, ``passed`` and ``reasons`` (comma-separated).
    """
    rng = random.Random(seed)
    rows = []
    for part, table in (("message", annotate_attest(message)), ("signature", annotate_signature(signature))):
        for start, size, field in zip(table["offset"], table["size"], table["field"], strict=True):
            if size == 0:
                continue
            offset = int(start) + rng.randrange(int(size))
            mask = rng.randrange(1, 256)
            msg, sig = bytearray(message), bytearray(signature)
            (msg if part == "message" else sig)[offset] ^= mask
            result = verify_quote(bytes(msg), bytes(sig), pcrs, nonce, ak)
            rows.append(
                {
                    "part": part,
                    "field": field,
                    "offset": offset,
                    "passed": result.passed,
                    "reasons": ", ".join(result.reasons),
                }
            )
    return pd.DataFrame(rows, columns=["part", "field", "offset", "passed", "reasons"])


def digest_fingerprint_figure(
    digests: Mapping[str, bytes] | Sequence[tuple[str, bytes]], *, title: str = ""
) -> Figure:
    """Each digest as one row of coloured cells, one cell per byte (0x00 dark … 0xff bright).

    Makes visible that a one-bit difference in the input (or a different extend order) gives an
    unrelated digest. Digests of different lengths are right-padded with blank cells.
    """
    items = list(digests.items()) if isinstance(digests, Mapping) else list(digests)
    width = max((len(d) for _, d in items), default=1)
    grid = np.full((len(items), width), np.nan)
    for i, (_, d) in enumerate(items):
        grid[i, : len(d)] = np.frombuffer(d, dtype=np.uint8)
    fig, ax = plt.subplots(figsize=(0.25 * width + 2.5, 0.45 * len(items) + 1.0))
    ax.imshow(grid, cmap="viridis", vmin=0, vmax=255, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(items)), [label for label, _ in items])
    ax.set_xticks(range(0, width, 4))
    ax.set_xlabel("byte index")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
