"""Tampering experiments: change bytes of a quote and record what :func:`verify_quote` answers.

Each change XORs one byte of the TPMS_ATTEST message or of the TPMT_SIGNATURE with a non-zero
mask; the field it lands in comes from :meth:`Attest.layout` / :meth:`Signature.layout`. The point
(TPM 2.0 Part 3, 18.4 "TPM2_Quote"): the signature covers every byte of the message, so every
change must be caught, and the other checks say *which* claim the change would have forged.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tlkit._result import Verdict
from tlkit.errors import DataError
from tlkit.tpm._attest import Attest
from tlkit.tpm._layout import ByteLayout
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import PublicArea, PublicKey
from tlkit.tpm._signature import Signature
from tlkit.tpm._verify import QuoteVerification, verify_quote

__all__ = ["TamperOutcome", "TamperReport", "tamper_quote"]

Part = Literal["message", "signature"]
PARTS: tuple[Part, ...] = ("message", "signature")
UNDETECTED = "undetected-change"
TAMPER_COLUMNS = ("part", "field", "offset", "before", "after", "passed", "reasons")


@dataclass(frozen=True, slots=True)
class TamperOutcome:
    """One changed byte and the verdict on the changed quote.

    Attributes:
        part: ``"message"`` (TPMS_ATTEST) or ``"signature"`` (TPMT_SIGNATURE).
        field: the wire field the byte belongs to (a :class:`FieldSpan` ``field`` name).
        offset: the byte's offset within ``part``.
        before, after: the byte's value before and after the XOR.
        passed, reasons: :func:`verify_quote`'s verdict on the changed quote; ``passed`` means the
            change went unnoticed.
    """

    part: Part
    field: str
    offset: int
    before: int
    after: int
    passed: bool
    reasons: tuple[str, ...]

    @property
    def detected(self) -> bool:
        return not self.passed

    def to_dict(self) -> dict[str, object]:
        return {
            "part": self.part,
            "field": self.field,
            "offset": self.offset,
            "before": self.before,
            "after": self.after,
            "passed": self.passed,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class TamperReport(Verdict):
    """All outcomes of :func:`tamper_quote`, in the order the changes were made.

    Attributes:
        baseline: the verdict on the unchanged quote.
        outcomes: one :class:`TamperOutcome` per change.
        passed: the unchanged quote verifies and every change was detected (also ``bool(report)``).
        reasons: ``("baseline-failed",)`` and/or ``("undetected-change",)`` when not passed.
    """

    baseline: QuoteVerification
    outcomes: tuple[TamperOutcome, ...]

    def __iter__(self) -> Iterator[TamperOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def undetected(self) -> tuple[TamperOutcome, ...]:
        return tuple(o for o in self.outcomes if o.passed)

    @property
    def reasons(self) -> tuple[str, ...]:
        out = () if self.baseline.passed else ("baseline-failed",)
        return out + ((UNDETECTED,) if self.undetected else ())

    @property
    def passed(self) -> bool:
        return not self.reasons

    def to_rows(self) -> list[dict[str, object]]:
        """One record per change; ``before``/``after`` as ``0x..`` text, ``reasons`` comma-separated."""
        return [
            dict(
                zip(
                    TAMPER_COLUMNS,
                    (
                        o.part,
                        o.field,
                        o.offset,
                        f"0x{o.before:02x}",
                        f"0x{o.after:02x}",
                        o.passed,
                        ", ".join(o.reasons),
                    ),
                    strict=True,
                )
            )
            for o in self.outcomes
        ]


def _field_at(layout: ByteLayout, offset: int) -> str:
    for span in layout:
        if span.offset <= offset < span.end:
            return span.field
    raise DataError(
        f"offset {offset} is outside the {len(layout.data)}-byte {layout.structure}", field="positions"
    )


def _random_positions(layouts: Mapping[Part, ByteLayout], seed: int) -> list[tuple[Part, int, int]]:
    """One byte per non-empty field, at a seeded random position inside it, with a random mask."""
    rng = random.Random(seed)
    out: list[tuple[Part, int, int]] = []
    for part in PARTS:
        for span in layouts[part]:
            if span.size:
                offset = span.offset + rng.randrange(span.size)
                out.append((part, offset, rng.randrange(1, 256)))
    return out


def tamper_quote(
    message: bytes,
    signature: bytes | Signature,
    pcrs: PcrValues | Mapping[Any, Mapping[Any, bytes | str]],
    nonce: bytes,
    ak: PublicKey | PublicArea | bytes | str,
    *,
    positions: Iterable[tuple[Part, int, int]] | None = None,
    seed: int = 0,
) -> TamperReport:
    """XOR single bytes of a quote and verify each changed copy with :func:`verify_quote`.

    Args:
        message, signature, pcrs, nonce, ak: a quote as :func:`verify_quote` takes it (a
            :class:`Signature` is changed in its TPMT_SIGNATURE encoding).
        positions: the changes, as ``(part, offset, mask)`` with ``part`` ``"message"`` or
            ``"signature"``, ``offset`` within that part and ``mask`` in 1..255. By default one byte in
            every non-empty field of both parts, at a position and with a mask drawn from ``seed``.
        seed: seed of the default positions (same seed, same changes).

    Returns:
        A :class:`TamperReport` (one outcome per change, in order).

    Raises:
        ParseError: the message or signature is not a TPMS_ATTEST / TPMT_SIGNATURE.
        DataError: a position outside its part, an unknown part or a mask outside 1..255.
    """
    sig_bytes = signature.to_bytes() if isinstance(signature, Signature) else bytes(signature)
    message = bytes(message)
    layouts: dict[Part, ByteLayout] = {
        "message": Attest.layout(message),
        "signature": Signature.layout(sig_bytes),
    }
    baseline = verify_quote(message, sig_bytes, pcrs, nonce, ak)
    changes = _random_positions(layouts, seed) if positions is None else list(positions)
    outcomes: list[TamperOutcome] = []
    for part, offset, mask in changes:
        if part not in layouts:
            raise DataError(f"part must be 'message' or 'signature', not {part!r}", field="positions")
        if not isinstance(mask, int) or not 1 <= mask <= 255:
            raise DataError(f"mask must be 1..255, not {mask!r}", field="positions")
        field = _field_at(layouts[part], offset)
        data = bytearray(message if part == "message" else sig_bytes)
        before = data[offset]
        data[offset] ^= mask
        if part == "message":
            result = verify_quote(bytes(data), sig_bytes, pcrs, nonce, ak)
        else:
            result = verify_quote(message, bytes(data), pcrs, nonce, ak)
        outcomes.append(
            TamperOutcome(part, field, offset, before, data[offset], result.passed, result.reasons)
        )
    return TamperReport(baseline, tuple(outcomes))
