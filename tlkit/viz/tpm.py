"""Tables and figures that explain TPM PCRs and quotes (presentation only).

- :func:`annotate_attest` / :func:`annotate_signature`: a quote's TPMS_ATTEST / TPMT_SIGNATURE byte
  layout (:meth:`tlkit.tpm.Attest.layout`, :meth:`tlkit.tpm.Signature.layout`) as a table for reading:
  long byte strings shortened, each value spelled out in words.
- :func:`digest_fingerprint_figure`: digests drawn as rows of coloured byte cells.

Nothing here parses, computes PCRs or verifies: the wire layout, :func:`tlkit.tpm.extend_steps` and
:func:`tlkit.tpm.tamper_quote` are :mod:`tlkit.tpm`'s, and this module only words their results. It does
not call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tlkit.errors import UnsupportedAlgorithmError
from tlkit.tpm import (
    ATTEST_TYPE_NAMES,
    SIG_ALG_NAMES,
    TPM_GENERATED_VALUE,
    Attest,
    ByteLayout,
    FieldSpan,
    HashAlg,
    Signature,
    hash_alg,
)
from tlkit.tpm._layout import LAYOUT_COLUMNS

__all__ = ["annotate_attest", "annotate_layout", "annotate_signature", "digest_fingerprint_figure"]

_HEX_SHOWN = 16


def _hex(b: bytes) -> str:
    h = b.hex()
    return h if len(b) <= _HEX_SHOWN else f"{h[: 2 * _HEX_SHOWN]}… ({len(b)} B)"


def _symbol(prefix: str, names: Mapping[int, str], code: int) -> str:
    """``("TPM_ST_ATTEST_", {...}, 0x8018)`` → ``TPM_ST_ATTEST_QUOTE``; unknown codes as hex."""
    name = names.get(code)
    return prefix + name.upper().replace("-", "_") if name else f"0x{code:04x}"


def _name(name: bytes) -> str:
    if len(name) < 2:
        return "empty"
    alg_id = int.from_bytes(name[:2], "big")
    try:
        alg = hash_alg(alg_id).name
    except UnsupportedAlgorithmError:
        alg = f"alg 0x{alg_id:04x}"
    return f"{alg} qualified name of the signing key (TPM 2.0 Part 1, 16.6)"


def _alg(v: object) -> str:
    return v.name if isinstance(v, HashAlg) else str(v)


def _int(v: object) -> int:
    return v if isinstance(v, int) else 0


def _bytes(v: object) -> bytes:
    return v if isinstance(v, bytes) else b""


#: Field name (suffix after the last ``]``) → how its value reads in words.
_WORDS: dict[str, Callable[[object], str]] = {
    "magic": lambda v: "TPM_GENERATED_VALUE" if v == TPM_GENERATED_VALUE else "NOT TPM_GENERATED_VALUE",
    "type": lambda v: _symbol("TPM_ST_ATTEST_", ATTEST_TYPE_NAMES, _int(v)),
    "qualifiedSigner.name": lambda v: _name(_bytes(v)),
    "extraData.buffer": lambda v: "qualifying data: the verifier's nonce",
    "clockInfo.clock": lambda v: f"{v} ms since the clock was last reset",
    "clockInfo.resetCount": lambda v: f"{v} TPM resets (reboots)",
    "clockInfo.restartCount": lambda v: f"{v} restarts/resumes since the last reset",
    "clockInfo.safe": lambda v: "YES" if v else "NO",
    "firmwareVersion": lambda v: f"0x{_int(v):016x} (vendor-defined)",
    "pcrSelect.count": lambda v: f"{v} bank(s)",
    ".hash": _alg,
    ".sizeofSelect": lambda v: f"{v} bytes: room for {8 * _int(v)} PCRs",
    ".pcrSelect": lambda v: "PCR " + ",".join(map(str, v)) if isinstance(v, tuple) and v else "none",
    "pcrDigest.buffer": lambda v: "hash of the selected PCR values, in selection order",
    "attested": lambda v: "not a quote: attested structure left undecoded",
    "sigAlg": lambda v: _symbol("TPM_ALG_", SIG_ALG_NAMES, _int(v)),
    "hash": _alg,
    "sig.buffer": lambda v: f"RSA signature ({8 * len(_bytes(v))} bits)",
    "signatureR.buffer": lambda v: "ECDSA r",
    "signatureS.buffer": lambda v: "ECDSA s",
    "digest": lambda v: "HMAC",
}


def _words(span: FieldSpan) -> str:
    key = span.field
    if key.endswith(".size"):
        return f"{_int(span.value)} bytes"
    if "]" in key:
        key = key[key.rindex("]") + 1 :]
    fn = _WORDS.get(key)
    if fn is not None:
        return fn(span.value)
    return span.value.hex() if isinstance(span.value, bytes) else str(span.value)


def annotate_layout(layout: ByteLayout) -> pd.DataFrame:
    """A :class:`tlkit.tpm.ByteLayout` for reading: ``offset``, ``size``, ``field``, ``spec_name`` (the
    TPM 2.0 Part 2 type), ``bytes`` (hex, long fields shortened) and ``value`` (the decoded value in words).
    """
    rows = [(s.offset, s.size, s.field, s.spec_name, _hex(layout.raw(s)), _words(s)) for s in layout]
    return pd.DataFrame(rows, columns=list(LAYOUT_COLUMNS))


def annotate_attest(message: bytes) -> pd.DataFrame:
    """The byte layout of a TPMS_ATTEST (TPM 2.0 Part 2, 10.12.12) in words; see :func:`annotate_layout`.

    The message is parsed (unverified data: this shows what the bytes *claim*).

    Raises:
        ParseError: the message is not a TPMS_ATTEST.
    """
    return annotate_layout(Attest.layout(message))


def annotate_signature(signature: bytes) -> pd.DataFrame:
    """The byte layout of a TPMT_SIGNATURE (TPM 2.0 Part 2, 11.3.4) in words; see :func:`annotate_layout`.

    Raises:
        ParseError: the bytes are not a TPMT_SIGNATURE.
    """
    return annotate_layout(Signature.layout(signature))


def digest_fingerprint_figure(
    digests: Mapping[str, bytes] | Sequence[tuple[str, bytes]], *, title: str = ""
) -> Figure:
    """Each digest as one row of coloured cells, one cell per byte (0x00 dark … 0xff bright).

    Makes visible that a one-bit difference in the input (or a different extend order) gives an
    unrelated digest. Digests of different lengths are right-padded with blank cells. The figure is
    a plain :class:`matplotlib.figure.Figure`, not kept in pyplot's state (display it as a cell's
    last expression, or ``fig.savefig``).
    """
    items = list(digests.items()) if isinstance(digests, Mapping) else list(digests)
    width = max((len(d) for _, d in items), default=1)
    grid = np.full((len(items), width), np.nan)
    for i, (_, d) in enumerate(items):
        grid[i, : len(d)] = np.frombuffer(d, dtype=np.uint8)
    fig = Figure(figsize=(0.25 * width + 2.5, 0.45 * len(items) + 1.0))  # not registered with pyplot
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="viridis", vmin=0, vmax=255, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(items)), [label for label, _ in items])
    ax.set_xticks(range(0, width, 4))
    ax.set_xlabel("byte index")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
