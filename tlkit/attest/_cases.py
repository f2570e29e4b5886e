"""Attestation lab cases: a simulated boot, or a doctoring of one, and the verifier's setup (private).

Each :class:`LabCase` in :data:`LAB_CASES` names one thing an operator or an attacker does — a boot
scenario of :mod:`tlkit.boot` (Secure Boot off, an untrusted module, a kernel update...) or a
doctoring of healthy evidence (a man-in-the-middle vTPM, a stale nonce, a re-typed PCR 7 event, a
dropped PCR 9 event) — and :func:`run_case` builds the evidence and the verifier's inputs (nonce,
baseline, trust anchors) and verifies it. ``expect`` is the verdict the case must get: the tests
check it, the attestation-lab widget shows it.

The verifier's trust anchors in every case are the VM's own AK (a trusted-AK list, as a verifier
that enrolled the VM would hold) and its baseline is the healthy boot of the same seed.

What it does not do: decide anything itself. Verdicts come from :func:`tlkit.attest.verify`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tlkit.errors import DataError

__all__ = [
    "LAB_CASES",
    "CaseRun",
    "LabCase",
    "case_names",
    "claims_for",
    "lab_case",
    "lab_nonce",
    "mitm_evidence",
    "run_case",
]

HEALTHY = "healthy-ubuntu-sb"
#: When the lab's baseline update is recorded (fixed: the lab is deterministic).
_UPDATED_AT = datetime(2026, 1, 15, tzinfo=UTC)


@dataclass(frozen=True)
class CaseRun:
    """One lab case, built and verified.

    Attributes:
        case: the :class:`LabCase`.
        evidence: the evidence the verifier saw (``None``: the VM did not boot, nothing to send).
        nonce: the nonce the verifier expected.
        baseline: the baseline it used.
        anchors: the AK trust anchors it used.
        result: the :class:`~tlkit.attest.AttestationResult`.
    """

    case: LabCase
    evidence: Any
    nonce: bytes
    baseline: Any
    anchors: Any
    result: Any


@dataclass(frozen=True)
class LabCase:
    """A named attestation lab case: what happens, and the codes the verifier must answer with."""

    name: str
    description: str
    expect: tuple[str, ...]
    build: Callable[[int], CaseRun] = dataclasses.field(repr=False, compare=False)


# ------------------------------------------------------------------------------------ building blocks
def lab_nonce(seed: int, round_: int = 1) -> bytes:
    """The verifier's nonce for attestation round ``round_`` of ``seed`` (deterministic)."""
    return hashlib.sha256(f"tlkit.attest lab nonce/{seed}/{round_}".encode()).digest()[:20]


def _evidence(scenario: str, seed: int, nonce: bytes) -> Any:
    from tlkit.attest._evidence import Evidence  # noqa: PLC0415
    from tlkit.boot import scenario_evidence  # noqa: PLC0415

    files = scenario_evidence(scenario, seed, nonce)
    return (
        None if "quote.msg" not in files else Evidence.from_files(files, source=f"{scenario} (seed {seed})")
    )


@lru_cache(maxsize=8)
def _healthy_baseline(seed: int) -> Any:
    from tlkit.attest._baseline import Baseline  # noqa: PLC0415
    from tlkit.boot import run_scenario  # noqa: PLC0415

    return Baseline.from_log(run_scenario(HEALTHY, seed).log, name=f"{HEALTHY} (seed {seed})")


def _anchors_for(seed: int) -> Any:
    from tlkit.attest._aktrust import TrustAnchors  # noqa: PLC0415
    from tlkit.boot import run_scenario  # noqa: PLC0415
    from tlkit.tpm import load_public_key  # noqa: PLC0415

    return TrustAnchors(trusted_aks=(load_public_key(run_scenario(HEALTHY, seed).vtpm.ak_pem),))


def _run(case: str, evidence: Any, nonce: bytes, baseline: Any, seed: int) -> CaseRun:
    from tlkit.attest._verify import verify  # noqa: PLC0415

    anchors = _anchors_for(seed)
    result = verify(evidence, nonce, baseline, anchors=anchors, at=_UPDATED_AT)
    return CaseRun(lab_case(case), evidence, nonce, baseline, anchors, result)


def _scenario_case(case: str, scenario: str) -> Callable[[int], CaseRun]:
    def build(seed: int) -> CaseRun:
        nonce = lab_nonce(seed)
        return _run(case, _evidence(scenario, seed, nonce), nonce, _healthy_baseline(seed), seed)

    return build


def _with_log(evidence: Any, edit: Callable[[Any], Any]) -> Any:
    from tlkit.eventlog import parse, write  # noqa: PLC0415

    return dataclasses.replace(evidence, eventlog=write(edit(parse(evidence.eventlog))))


# ------------------------------------------------------------------------------------ doctorings
@lru_cache(maxsize=8)
def _rogue_vtpm(scenario: str, seed: int) -> Any:
    """An attacker's vTPM (its own keys) with ``scenario``'s log replayed into its PCRs."""
    from tlkit.boot import run_scenario  # noqa: PLC0415
    from tlkit.tpm import VirtualTpm  # noqa: PLC0415

    boot = run_scenario(scenario, seed)
    rogue = VirtualTpm(seed + 0x5EED, banks=tuple(boot.log.banks))
    for e in boot.log.events:
        if e.event_type != 3:  # EV_NO_ACTION extends nothing (PFP 10.4.1)
            for alg, digest in e.digest_list:
                rogue.pcrs.extend(e.pcr, digest, alg)
    return rogue


def mitm_evidence(scenario: str, seed: int, nonce: bytes) -> Any:
    """A man-in-the-middle vTPM's answer: ``scenario``'s honest log and files, quoted over ``nonce``
    by an attacker's vTPM that replayed the log into its own PCRs and signs with its own AK (so the
    PCRs match the log and the baseline; only the AK gives it away: ``ak-untrusted``). The rogue vTPM
    is built once per scenario and seed. ``scenario`` must boot (it needs a quote to imitate)."""
    from tlkit.attest._evidence import Evidence  # noqa: PLC0415
    from tlkit.tpm import write_pcrs_serialized  # noqa: PLC0415

    rogue = _rogue_vtpm(scenario, seed)
    q = rogue.quote({"sha256": range(24)}, nonce)
    honest = _evidence(scenario, seed, nonce)
    files = honest.files() | {
        "quote.msg": q.message,
        "quote.sig": q.signature,
        "quote.pcrs": write_pcrs_serialized(q.pcrs),
        "ak.pem": rogue.ak_pem,
    }
    return Evidence.from_files(files, source="man-in-the-middle vTPM")


def _mitm(seed: int) -> CaseRun:
    """An attacker's vTPM replays the healthy log into its own PCRs and quotes them with its own AK."""
    nonce = lab_nonce(seed)
    return _run("mitm-vtpm", mitm_evidence(HEALTHY, seed, nonce), nonce, _healthy_baseline(seed), seed)


def _stale_nonce(seed: int) -> CaseRun:
    """Yesterday's healthy evidence (quoted over round 0's nonce) sent again for today's round."""
    return _run(
        "stale-nonce",
        _evidence(HEALTHY, seed, lab_nonce(seed, 0)),
        lab_nonce(seed),
        _healthy_baseline(seed),
        seed,
    )


def _kernel_update_updated(seed: int) -> CaseRun:
    from tlkit.boot import run_scenario  # noqa: PLC0415

    nonce = lab_nonce(seed)
    base = _healthy_baseline(seed).updated(
        run_scenario("kernel-update", seed).log, reason="legitimate kernel update", at=_UPDATED_AT
    )
    return _run("kernel-update-baseline-updated", _evidence("kernel-update", seed, nonce), nonce, base, seed)


def _retype_pcr7(log: Any) -> Any:
    """The SecureBoot variable event re-typed as EV_EFI_VARIABLE_AUTHORITY (digest unchanged)."""
    first = next(e for e in log.events if e.pcr == 7 and e.event_type == 0x80000001)
    return log.replaced(first.index, dataclasses.replace(first, event_type=0x800000E0))


def _drop_pcr9(log: Any) -> Any:
    """The last PCR 9 event (a file GRUB read) removed."""
    last = [e for e in log.events if e.pcr == 9][-1]
    return log.with_events([e for e in log.events if e.index != last.index])


def _doctored_log(case: str, edit: Callable[[Any], Any]) -> Callable[[int], CaseRun]:
    def build(seed: int) -> CaseRun:
        nonce = lab_nonce(seed)
        evidence = _with_log(_evidence(HEALTHY, seed, nonce), edit)
        return _run(
            case,
            dataclasses.replace(evidence, source=f"{case} (seed {seed})"),
            nonce,
            _healthy_baseline(seed),
            seed,
        )

    return build


#: Every lab case, in the order the widget lists them.
LAB_CASES: tuple[LabCase, ...] = (
    LabCase(
        "healthy",
        "a healthy Ubuntu boot with Secure Boot, checked against its own baseline",
        (),
        _scenario_case("healthy", HEALTHY),
    ),
    LabCase(
        "bootkit",
        "a modified bootloader: Secure Boot refuses it, the VM does not boot, there is no quote",
        ("no-evidence",),
        _scenario_case("bootkit", "bootkit"),
    ),
    LabCase(
        "mitm-vtpm",
        "a man-in-the-middle vTPM quotes the right PCR values with its own attestation key",
        ("ak-untrusted",),
        _mitm,
    ),
    LabCase(
        "stale-nonce",
        "a quote over an earlier round's nonce is sent again",
        ("nonce-mismatch",),
        _stale_nonce,
    ),
    LabCase(
        "secure-boot-off",
        "Secure Boot turned off (e.g. for an unsigned GPU driver)",
        ("secure-boot-disabled", "baseline-deviation"),
        _scenario_case("secure-boot-off", "secure-boot-off"),
    ),
    LabCase(
        "untrusted-module",
        "a DKMS-built driver signed by an unenrolled key is refused at load",
        ("untrusted-kernel-module",),
        _scenario_case("untrusted-module", "unsigned-kernel-module"),
    ),
    LabCase(
        "kernel-update",
        "a legitimate kernel update, baseline not updated",
        ("baseline-deviation",),
        _scenario_case("kernel-update", "kernel-update"),
    ),
    LabCase(
        "kernel-update-baseline-updated",
        "the same kernel update after the baseline was updated",
        (),
        _kernel_update_updated,
    ),
    LabCase(
        "retyped-pcr7-event",
        "the SecureBoot variable's PCR 7 event re-typed in the log (digest untouched)",
        ("log-structure-invalid",),
        _doctored_log("retyped-pcr7-event", _retype_pcr7),
    ),
    LabCase(
        "dropped-pcr9-event",
        "one PCR 9 event removed from the log",
        ("log-replay-mismatch",),
        _doctored_log("dropped-pcr9-event", _drop_pcr9),
    ),
)

_BY_NAME: Mapping[str, LabCase] = {c.name: c for c in LAB_CASES}


def case_names() -> tuple[str, ...]:
    """The names of :data:`LAB_CASES`, in order."""
    return tuple(_BY_NAME)


def lab_case(name: str) -> LabCase:
    """The lab case called ``name``.

    Raises:
        DataError: no such case (the message lists them).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise DataError(f"unknown lab case {name!r}; known: {', '.join(_BY_NAME)}", field="case") from None


def run_case(name: str, seed: int = 0) -> CaseRun:
    """Build and verify lab case ``name`` (deterministic for a seed)."""
    return lab_case(name).build(seed)


def claims_for(run: CaseRun) -> dict[str, Any] | None:
    """The ``azurevm`` claims of the token a passing case is issued (fixed issue time: the lab is
    deterministic), or None: a failing attestation gets no token."""
    from tlkit.attest._claims import azurevm_claims  # noqa: PLC0415
    from tlkit.attest._token import DEFAULT_ISSUER  # noqa: PLC0415

    if not run.result.passed or run.result.facts is None:
        return None
    return azurevm_claims(run.result.facts, issuer=DEFAULT_ISSUER, issued_at=_UPDATED_AT)
