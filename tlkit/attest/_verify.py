"""The verifier: one verdict over one evidence bundle, with the documented failure reasons.

:func:`verify` runs a fixed sequence of checks (:data:`CHECKS`), each a small function over the
state the previous ones established, and each recorded in the result as passed, failed or skipped
with a sentence saying why:

1. ``evidence``: there is a quote at all (else ``no-evidence``);
2. ``quote``: signature, TPMS_ATTEST magic and type, nonce and pcrDigest
   (:func:`tlkit.tpm.verify_quote`, TPM 2.0 Part 3 §18.4);
3. ``nonce``: the quote's extraData is the nonce the caller expects (without one, freshness is not
   proven: the check is skipped and says so, unless the policy requires a nonce);
4. ``ak-trust``: the attestation key is a trusted vTPM's (certificate chain or trusted-AK list), or
   used as given (``ak_trust="unverified"``, like ``tpm2_checkquote`` without a certificate);
5. ``log``: the event log replays to the *quoted* PCR values in every bank both carry, under the
   evidence policy of :mod:`tlkit.eventlog` (coverage, event types and order, data vs digest);
6. ``secure-boot``: Secure Boot state from the replayed PCR 7 events, or — without a log — from the
   quoted PCR 7 matching the baseline's golden value;
7. ``baseline``: the verified events and quoted PCRs against a reference state;
8. ``kernel-modules``: modules the guest reports it refused (guest-reported, not quoted).

Every check after ``quote`` runs on trusted data only: PCR values the verified quote covers, and
events of PCRs that replayed to them (:meth:`tlkit.eventlog.EventLog.verified_events`). When the
quote fails, those checks are skipped (nothing trusted to run them on) and the result fails.

A fleet of identical images: the ``log``, ``secure-boot`` and ``baseline`` checks depend only on the
log bytes, the quoted PCR values, the baseline and the policy, so ``verify(..., memo=...)`` (and a
:class:`Verifier`, which keeps one) may reuse their outcome for byte-identical logs
(:class:`~tlkit.attest._memo.LogAnalysisMemo`, keyed by the log's bytes, the quoted values, the
baseline's fingerprint and the policy); the quote, nonce and AK trust are checked on every call, and
the result is the one the memo-less verifier gives (the memo's module says exactly what is reused).

Besides the memo, a few pure functions of immutable values are cached (bounded LRUs), never a
check: the :class:`Check` records (frozen strings), the passed quote check's sentence per quoted
selection, and the validated :class:`~tlkit.attest.AttestedFacts` per set of fact values (each
result gets its own instance with its quote's nonce, :meth:`AttestedFacts.with_nonce`).

What it does not do: load files (:class:`tlkit.attest.Evidence`), decide AK trust
(:func:`tlkit.attest.check_ak_trust`) or baseline rules (:func:`tlkit.attest.check_baseline`)
itself, or raise Defender findings.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from tlkit._result import Verdict
from tlkit.attest._aktrust import check_ak_trust
from tlkit.attest._claims import AttestedFacts
from tlkit.attest._memo import LogAnalysis, LogAnalysisMemo, analysis_key
from tlkit.attest._policy import DEFAULT_POLICY, AttestationPolicy
from tlkit.attest._reasons import CODES, code_of, log_reason, quote_reason
from tlkit.errors import DataError, ParseError
from tlkit.tpm import verify_quote

if TYPE_CHECKING:
    from tlkit.attest._baseline_check import BaselineCheck
    from tlkit.eventlog import Event, EventLog, ReplayResult, SecureBootState
    from tlkit.tpm import QuoteVerification

__all__ = [
    "CHECKS",
    "DEFAULT_POLICY",
    "AttestationPolicy",
    "AttestationResult",
    "Check",
    "Verifier",
    "check_log",
    "verify",
]

CheckStatus = Literal["passed", "failed", "skipped"]
#: The bank whose verified events the later checks read when several banks replay (all must pass).
PREFERRED_BANKS = ("sha256", "sha384", "sha512", "sha1")


@dataclass(frozen=True)
class Check:
    """One check the verifier ran (or skipped), and why."""

    name: str
    status: CheckStatus
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class AttestationResult(Verdict):
    """The verdict over one evidence bundle.

    Attributes:
        passed: no check failed and the quote verified. Nothing else decides it.
        reasons: ``code`` or ``code:detail`` for every failure (codes: :data:`CODES`), in check order.
        checks: every check of :data:`CHECKS` with its status and a sentence.
        ak_trust: ``verified`` (chain or trusted list), ``unverified`` (used as given, no anchors)
            or ``untrusted``; ``not-checked`` without a quote.
        log: ``replayed`` (the log explains the quoted PCRs), ``failed``, ``absent`` or
            ``not-checked`` (no verified quote to replay against).
        secure_boot: True/False when verified evidence shows it, else None.
        facts: what the verified evidence establishes (quoted PCRs, Secure Boot, Secure Boot keys
            against the baseline, Windows boot flags, guest-reported OS): the input of the token
            claims (:func:`tlkit.attest.azurevm_claims`). None unless the quote verified and Secure
            Boot was established.
        details: per-check data (quote reasons, replay reasons per bank, baseline deviations,
            quirks applied, refused modules).
        source: where the evidence came from.
    """

    passed: bool
    reasons: tuple[str, ...]
    checks: tuple[Check, ...]
    ak_trust: str
    log: str
    secure_boot: bool | None
    facts: AttestedFacts | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        """The distinct codes of :attr:`reasons`, in order."""
        return tuple(dict.fromkeys(code_of(r) for r in self.reasons))

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if there is none)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "ak_trust": self.ak_trust,
            "log": self.log,
            "secure_boot": self.secure_boot,
            "checks": [c.to_dict() for c in self.checks],
            "facts": None if self.facts is None else _facts_dict(self.facts),
            "details": dict(self.details),
            "source": self.source,
        }

    def explain(self) -> str:
        """A few lines for people: the verdict, then each check."""
        head = "PASS" if self.passed else "FAIL: " + ", ".join(self.reasons)
        lines = [
            f"attestation {head}",
            f"  ak_trust={self.ak_trust} log={self.log} secure_boot={self.secure_boot}",
        ]
        lines += [f"  [{c.status:7}] {c.name}: {c.detail}" for c in self.checks]
        return "\n".join(lines)


@functools.lru_cache(maxsize=1024)
def _check(name: str, status: CheckStatus, detail: str) -> Check:
    """A :class:`Check` (frozen, of strings: one instance may be in any number of results)."""
    return Check(name, status, detail)


# ------------------------------------------------------------------------------------- state
@dataclass
class _State:
    """What the checks have established so far (mutable, private to one :func:`verify` call)."""

    evidence: Any
    expected_nonce: bytes | None
    baseline: Any
    anchors: Any
    at: datetime | None
    policy: AttestationPolicy
    reasons: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    quote: QuoteVerification | None = None
    trusted_pcrs: dict[str, dict[int, bytes]] = field(default_factory=dict)
    ak_trust: str = "not-checked"
    log_status: str = "not-checked"
    log: EventLog | None = None
    replays: dict[str, ReplayResult] = field(default_factory=dict)
    bank: str | None = None
    events: tuple[Event, ...] | None = None
    secure_boot: bool | None = None
    sb_state: SecureBootState | None = None
    baseline_result: BaselineCheck | None = None
    log_facts: dict[str, Any] = field(default_factory=dict)  # facts read from the log and baseline

    def record(self, name: str, status: CheckStatus, detail: str, reasons: Iterable[str] = ()) -> None:
        self.checks.append(_check(name, status, detail))
        self.reasons.extend(reasons)

    pcrs_from_caller: bool = False

    @property
    def quote_ok(self) -> bool:
        """The PCR values are trusted: a quote over them verified here, or (:func:`check_log`) the
        caller vouches for them."""
        return self.pcrs_from_caller or (self.quote is not None and self.quote.passed)


def _skip_without_quote(state: _State, name: str) -> bool:
    if state.quote_ok:
        return False
    state.record(name, "skipped", "no verified quote: nothing trusted to check against")
    return True


# ------------------------------------------------------------------------------------- checks
def _check_evidence(state: _State) -> None:
    e = state.evidence
    if e is None or getattr(e, "message", None) is None:
        why = "no quote in the evidence (the VM did not boot, or the attestation extension is not responding)"
        state.record("evidence", "failed", why, ["no-evidence"])
        return
    state.record(
        "evidence",
        "passed",
        f"quote, signature, PCR values and AK present ({getattr(e, 'source', '') or 'in memory'})",
    )


def _quote_nonce(state: _State) -> bytes:
    if state.expected_nonce is not None:
        return state.expected_nonce
    given = getattr(state.evidence, "nonce", None)
    return b"" if given is None else bytes(given)


def _check_quote(state: _State) -> None:
    e = state.evidence
    if e is None or getattr(e, "message", None) is None:
        state.record("quote", "skipped", "no quote")
        return
    q = verify_quote(e.message, e.signature, e.pcrs, _quote_nonce(state), e.ak)
    state.quote = q
    state.details["quote"] = {"reasons": list(q.reasons)}
    if q.passed:
        state.trusted_pcrs = {str(b): v for b, v in e.pcrs.as_dict().items()}  # as_dict: new dicts
        quoted = tuple((b, tuple(v)) for b, v in state.trusted_pcrs.items())
        state.record("quote", "passed", _quote_passed_text(quoted))
        return
    bad = [quote_reason(r) for r in q.reasons if r != "nonce-mismatch"]
    state.record("quote", "failed", "; ".join(q.reasons), bad)


@functools.lru_cache(maxsize=256)
def _quote_passed_text(quoted: tuple[tuple[str, tuple[int, ...]], ...]) -> str:
    """The passed quote check's sentence for ``(bank, PCR indices)`` (PcrValues' indices are ints):
    a pure function of immutable values, made once per selection."""
    banks = ", ".join(f"{b} PCRs {_pcr_list(v)}" for b, v in quoted)
    return f"signature, magic, type and pcrDigest verify; quoted: {banks}"


def _check_nonce(state: _State) -> None:
    q = state.quote
    if q is None:
        state.record("nonce", "skipped", "no quote")
        return
    mismatch = "nonce-mismatch" in q.reasons
    if state.expected_nonce is None:
        _nonce_not_given(state, mismatch)
        return
    if mismatch:
        state.record("nonce", "failed", "the quote's extraData is not the expected nonce", ["nonce-mismatch"])
    else:
        state.record(
            "nonce", "passed", f"extraData = expected nonce ({state.expected_nonce.hex() or 'empty'})"
        )


def _nonce_not_given(state: _State, mismatch: bool) -> None:
    if mismatch:
        state.record(
            "nonce", "failed", "the quote's extraData is not the evidence's nonce.hex", ["nonce-mismatch"]
        )
    elif state.policy.require_nonce:
        state.record(
            "nonce",
            "failed",
            "the policy requires an expected nonce and none was given",
            ["nonce-mismatch:not-given"],
        )
    else:
        state.record(
            "nonce",
            "skipped",
            "no expected nonce given: freshness is not proven (extraData = the evidence's own nonce)",
        )


def _check_ak_trust(state: _State) -> None:
    if state.quote is None:
        state.record("ak-trust", "skipped", "no quote")
        return
    e = state.evidence
    trust = check_ak_trust(e.ak, tuple(getattr(e, "ak_chain", ()) or ()), state.anchors, at=state.at)
    state.ak_trust = trust.status
    state.details["ak_trust"] = trust.to_dict()
    if trust.status == "untrusted":
        state.record("ak-trust", "failed", trust.detail, trust.reasons or ("ak-untrusted",))
    elif trust.status == "verified":
        state.record("ak-trust", "passed", trust.detail)
    else:
        state.record(
            "ak-trust",
            "skipped",
            trust.detail or "no trust anchors given: the AK in the evidence is used as given",
        )


def _check_log(state: _State) -> None:
    raw = getattr(state.evidence, "eventlog", None)
    if not raw:
        state.log_status = "absent"
        if state.policy.require_log:
            state.record(
                "log",
                "failed",
                "the policy requires an event log and the evidence has none",
                ["log-incomplete:no-log"],
            )
        else:
            state.record(
                "log",
                "skipped",
                ("an empty event log (0 bytes)" if raw is not None else "no event log in the evidence")
                + " (log: absent): only quoted PCR values are judged",
            )
        return
    if _skip_without_quote(state, "log"):
        return
    _replay_log(state, raw)


def _replay_log(state: _State, raw: bytes) -> None:
    from tlkit.eventlog import parse  # noqa: PLC0415

    try:
        log = parse(raw)
    except ParseError as exc:
        state.log_status = "failed"
        state.record(
            "log", "failed", f"the event log does not parse: {exc}", ["log-structure-invalid:unparsable"]
        )
        return
    wanted = [
        b
        for b in (state.policy.banks or tuple(state.trusted_pcrs))
        if b in log.banks and b in state.trusted_pcrs
    ]
    if not wanted:
        state.log_status = "failed"
        why = f"the log's banks {list(log.banks)} and the quote's {list(state.trusted_pcrs)} share none"
        state.record("log", "failed", why, ["log-incomplete:no-common-bank"])
        return
    state.log = log
    bad: list[str] = []
    for b in wanted:
        r = log.verify(state.trusted_pcrs[b], b, quirks=state.policy.quirks, only=state.policy.only)
        state.replays[b] = r
        bad += [x for x in (log_reason(reason, b) for reason in r.reasons) if x is not None]
    state.details["log"] = {b: r.to_dict() for b, r in state.replays.items()}
    state.bank = next((b for b in PREFERRED_BANKS if b in state.replays), wanted[0])
    state.log_status = "failed" if bad else "replayed"
    if bad:
        state.record(
            "log", "failed", f"the log does not explain the quoted PCRs ({', '.join(bad[:3])}...)", bad
        )
        return
    state.events = log.verified_events(state.replays[state.bank])
    quirks = sorted({q for r in state.replays.values() for q in r.quirks_applied})
    extra = f"; quirks applied: {', '.join(quirks)}" if quirks else ""
    state.record(
        "log", "passed", f"{len(log)} events replay to the quoted PCRs in {', '.join(wanted)}{extra}"
    )


def _check_secure_boot(state: _State) -> None:
    if _skip_without_quote(state, "secure-boot"):
        return
    enabled, how = (
        _secure_boot_from_log(state) if state.events is not None else _secure_boot_from_golden(state)
    )
    state.secure_boot = enabled
    if not state.policy.require_secure_boot:
        state.record("secure-boot", "skipped", f"the policy does not require Secure Boot ({how})")
    elif enabled is True:
        state.record("secure-boot", "passed", how)
    elif enabled is False:
        state.record("secure-boot", "failed", how, ["secure-boot-disabled"])
    else:
        state.record("secure-boot", "failed", how, ["secure-boot-unknown"])


def _secure_boot_from_log(state: _State) -> tuple[bool | None, str]:
    from tlkit.eventlog import secure_boot_state  # noqa: PLC0415

    assert state.log is not None  # verified events imply a parsed log
    assert state.bank is not None  # and a replayed bank
    if 7 not in state.replays[state.bank].matched:
        return None, "PCR 7 is not among the PCRs the log replayed to: Secure Boot state unknown"
    sb = secure_boot_state(state.log)
    state.sb_state = sb
    if sb.anomalies:
        return None, f"PCR 7 events are anomalous ({', '.join(sb.anomalies)}): Secure Boot state unknown"
    if sb.enabled is None:
        return None, "the replayed PCR 7 events do not carry the SecureBoot variable's value"
    return sb.enabled, f"SecureBoot = {int(sb.enabled)} in the replayed PCR 7 events"


def _secure_boot_from_golden(state: _State) -> tuple[bool | None, str]:
    from tlkit.attest._baseline_check import golden_secure_boot  # noqa: PLC0415

    # "no log" only when there is none: a log that failed its check is present but not verified
    no_log = "no log" if state.log_status == "absent" else "no verified log"
    on, why = golden_secure_boot(state.baseline, state.trusted_pcrs)
    return on, f"{no_log}: {why}"


def _check_baseline(state: _State) -> None:
    if state.baseline is None:
        state.record(
            "baseline", "skipped", "no baseline given: the boot is not compared with a reference state"
        )
        return
    if _skip_without_quote(state, "baseline"):
        return
    from tlkit.attest._baseline_check import check_baseline  # noqa: PLC0415

    bank = state.bank or next((b for b in PREFERRED_BANKS if b in state.trusted_pcrs), None)
    pcrs = state.trusted_pcrs.get(bank or "", {})
    result = check_baseline(state.baseline, pcrs=pcrs, events=state.events, bank=bank or "sha256")
    state.details["baseline"] = result.to_dict()
    state.baseline_result = result
    if result.passed:
        state.record("baseline", "passed", f"matches the baseline ({', '.join(result.checked)})")
        return
    codes = [_BASELINE_SECURE_BOOT.get(d.code, d.code) for d in result.deviations]
    state.record(
        "baseline",
        "failed",
        "; ".join(d.detail for d in result.deviations[:3]),
        codes or ["baseline-deviation"],
    )


#: The baseline's own Secure Boot findings are the verifier's Secure Boot codes (one name per fact).
_BASELINE_SECURE_BOOT = {
    "baseline-deviation:pcr7:secure-boot-disabled": "secure-boot-disabled",
    "baseline-deviation:pcr7:secure-boot-unknown": "secure-boot-unknown",
}


def _check_kernel_modules(state: _State) -> None:
    report = getattr(state.evidence, "guest_report", None)
    if not isinstance(report, Mapping):
        state.record(
            "kernel-modules",
            "skipped",
            "no guest report: module loads are not in the quote or the firmware log",
        )
        return
    refused = [
        r for r in report.get("refused", ()) if isinstance(r, Mapping) and r.get("kind") == "kernel-module"
    ]
    state.details["refused_modules"] = [dict(r) for r in refused]
    if not refused:
        state.record(
            "kernel-modules",
            "passed",
            "the guest reports no refused kernel module (guest-reported, not quoted)",
        )
        return
    names = [str(r.get("component")) for r in refused]
    status: CheckStatus = "failed" if state.policy.untrusted_kernel_modules_fail else "skipped"
    reasons = [f"untrusted-kernel-module:{n}" for n in names] if status == "failed" else []
    state.record(
        "kernel-modules",
        status,
        f"the guest refused {', '.join(names)} (guest-reported, not covered by the quote)",
        reasons,
    )


#: The checks, in the order they run.
CHECKS: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("evidence", _check_evidence),
    ("quote", _check_quote),
    ("nonce", _check_nonce),
    ("ak-trust", _check_ak_trust),
    ("log", _check_log),
    ("secure-boot", _check_secure_boot),
    ("baseline", _check_baseline),
    ("kernel-modules", _check_kernel_modules),
)


def _keys_validated(state: _State) -> dict[str, Any]:
    """db / dbx / PK+KEK validated: the baseline's ``secure-boot-keys`` rule ran and found nothing."""
    check = state.baseline_result
    if check is None or "secure-boot-keys" not in check.checked:
        return {"db_validated": None, "dbx_validated": None, "default_keys_validated": None}
    codes = [d.code for d in check.deviations]

    def clean(*names: str) -> bool:
        return not any(f":pcr7:{n}-" in c for c in codes for n in names)

    return {
        "db_validated": clean("db"),
        "dbx_validated": clean("dbx"),
        "default_keys_validated": clean("pk", "kek"),
    }


def _os_facts(report: Any) -> dict[str, Any]:
    """OS identity as the guest reports it (``boot.json``'s ``os``): not covered by the quote."""
    os_info = report.get("os") if isinstance(report, Mapping) else None
    if not isinstance(os_info, Mapping):
        return {}
    out = {
        "os_type": os_info.get("type"),
        "os_distro": os_info.get("distro"),
        "os_version_major": os_info.get("version_major"),
        "os_version_minor": os_info.get("version_minor"),
        "os_build": os_info.get("build"),
    }
    return {k: v for k, v in out.items() if v is not None}


def _facts(state: _State) -> AttestedFacts | None:
    """What the verified evidence establishes, as token-claim input (None: quote not verified, or
    Secure Boot not established, so no claim set can be honest)."""
    if not state.quote_ok or state.secure_boot is None:
        return None
    pcrs = tuple(sorted(state.trusted_pcrs.get("sha256", {})))
    os_facts = _os_facts(getattr(state.evidence, "guest_report", None))
    nonce = _quote_nonce(state) or None
    key = _typed_key((("secure_boot", state.secure_boot), *state.log_facts.items(), *os_facts.items()))
    if key is None:
        return AttestedFacts(
            attested_pcrs=pcrs, secure_boot=state.secure_boot, nonce=nonce, **state.log_facts, **os_facts
        )
    return _facts_template(pcrs, key).with_nonce(nonce)


def _typed_key(items: Iterable[tuple[str, Any]]) -> tuple[tuple[str, type, Any], ...] | None:
    """``(name, type, value)`` per item when every value is a scalar of :data:`_SCALARS` (the type
    keeps ``True`` and ``1`` apart, which compare equal); None for anything else."""
    out = []
    for name, value in items:
        kind = type(value)
        if kind not in _SCALARS:
            return None
        out.append((name, kind, value))
    return tuple(out)


_SCALARS = frozenset({bool, int, str, type(None)})


@functools.lru_cache(maxsize=256)
def _facts_template(pcrs: tuple[int, ...], key: tuple[tuple[str, type, Any], ...]) -> AttestedFacts:
    """The validated facts of the quoted PCR indices (ints: the keys of trusted PCR values) and
    ``key`` (:func:`_typed_key`), without a nonce: a pure function of immutable values, so made
    (and its fields checked) once; :meth:`AttestedFacts.with_nonce` gives each result its own
    instance."""
    return AttestedFacts(attested_pcrs=pcrs, **{name: value for name, _, value in key})


def _windows_facts(state: _State) -> dict[str, Any]:
    """Windows boot flags from the verified WBCL (SIPA) events; {} without a verified log or when
    the log has no SIPA event (not a Windows boot)."""
    from tlkit.eventlog import windows_boot_config  # noqa: PLC0415

    if state.events is None or not state.quote_ok or state.secure_boot is None:
        return {}
    cfg = windows_boot_config(state.events)
    if not cfg.events:
        return {}
    return {
        "boot_debug": cfg.boot_debug,
        "kernel_debug": cfg.kernel_debug,
        "hypervisor_debug": cfg.hypervisor_debug,
        "test_signing": cfg.test_signing,
        "flight_signing": cfg.flight_signing,
        "elam_enabled": cfg.elam,
        "hvci_policy": cfg.hvci_policy,
    }


def _facts_dict(facts: AttestedFacts) -> dict[str, Any]:
    out = dataclasses.asdict(facts)
    out["nonce"] = None if facts.nonce is None else facts.nonce.hex()
    out["attested_pcrs"] = list(facts.attested_pcrs)
    return out


def _pcr_list(values: Iterable[int]) -> str:
    """``0-7,14`` style: consecutive PCRs as ranges."""
    runs: list[list[int]] = []
    for p in sorted(values):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs) or "none"


# ------------------------------------------------------------------------------------- entry points
def verify(
    evidence: Any,
    expected_nonce: bytes | None = None,
    baseline: Any = None,
    policy: AttestationPolicy = DEFAULT_POLICY,
    *,
    anchors: Any = None,
    at: datetime | None = None,
    memo: LogAnalysisMemo | None = None,
) -> AttestationResult:
    """Verify one evidence bundle; see the module docstring for the checks and their order.

    Args:
        evidence: a :class:`tlkit.attest.Evidence` (``None``: no evidence at all, ``no-evidence``).
        expected_nonce: the nonce this verifier issued (None: freshness not proven, said so).
        baseline: a :class:`tlkit.attest.Baseline` (None: the ``baseline`` check is skipped).
        policy: an :class:`AttestationPolicy`.
        anchors: :class:`tlkit.attest.TrustAnchors` for the AK (None: ``ak_trust="unverified"``).
        at: when to judge certificate validity (default: now, UTC).
        memo: a :class:`LogAnalysisMemo` to reuse the analysis of a log already verified with the
            same quoted PCR values, baseline and policy (a fleet of identical images; what is and is
            not reused: :mod:`tlkit.attest._memo`). None (default): every call analyses its log.
    """
    if expected_nonce is not None and not isinstance(expected_nonce, (bytes, bytearray)):
        raise DataError(
            f"expected_nonce must be bytes, not {type(expected_nonce).__name__}", field="expected_nonce"
        )
    state = _State(
        evidence, None if expected_nonce is None else bytes(expected_nonce), baseline, anchors, at, policy
    )
    for name, run in CHECKS:
        if name == LOG_CHECKS[0][0]:
            _log_checks(state, memo)
        elif name not in _LOG_CHECK_NAMES:
            run(state)
    reasons = tuple(dict.fromkeys(state.reasons))
    unknown = [r for r in reasons if code_of(r) not in CODES]
    if unknown:  # a check reported a code the table does not document: a bug, never a pass
        raise DataError(f"undocumented attestation reason(s): {unknown}")
    passed = state.quote_ok and not reasons
    return AttestationResult(
        passed=passed,
        reasons=reasons,
        checks=tuple(state.checks),
        ak_trust=state.ak_trust,
        log=state.log_status,
        secure_boot=state.secure_boot,
        facts=_facts(state),
        details=state.details,
        source=str(getattr(evidence, "source", "") or ""),
    )


#: The checks whose outcome depends only on the log bytes, the trusted PCR values, the baseline and
#: the policy: what :func:`check_log` runs (the quote's are the caller's business there), and what a
#: :class:`LogAnalysisMemo` may reuse (:mod:`tlkit.attest._memo`). Consecutive in :data:`CHECKS`.
LOG_CHECKS: tuple[tuple[str, Callable[[_State], None]], ...] = tuple(
    (n, f) for n, f in CHECKS if n in {"log", "secure-boot", "baseline"}
)
_LOG_CHECK_NAMES = frozenset(n for n, _ in LOG_CHECKS)
#: The state the log checks establish and the later steps read (what a memo entry restores).
_LOG_STATE = ("log_status", "log", "replays", "bank", "events", "secure_boot", "sb_state",
              "baseline_result", "log_facts")  # fmt: skip


def _log_checks(state: _State, memo: LogAnalysisMemo | None) -> None:
    """Run :data:`LOG_CHECKS` and read the facts they establish (Secure Boot keys validated, Windows
    boot flags of the verified events), or restore all of it from ``memo`` when it holds the
    analysis of the same log bytes against the same trusted PCR values, baseline and policy. Only
    with trusted PCRs (a verified quote): otherwise the checks skip, as always, and nothing is
    memoised."""
    raw = getattr(state.evidence, "eventlog", None)
    key = None
    if memo is not None and state.quote_ok and isinstance(raw, bytes) and raw:
        key = analysis_key(raw, state.trusted_pcrs, state.baseline, state.policy)
    hit = memo.get(key) if memo is not None and key is not None else None
    if hit is not None:
        state.checks.extend(hit.checks)
        state.reasons.extend(hit.reasons)
        state.details.update(hit.restore_details())
        state.__dict__.update(hit.state)  # the _LOG_STATE fields; read-only: no later step mutates them
        return
    n_checks, n_reasons, before = len(state.checks), len(state.reasons), dict(state.details)
    for _name, run in LOG_CHECKS:
        run(state)
    state.log_facts = {**_keys_validated(state), **_windows_facts(state)}
    if memo is None or key is None:
        return
    entry = LogAnalysis.of(
        tuple(state.checks[n_checks:]),
        tuple(state.reasons[n_reasons:]),
        {k: v for k, v in state.details.items() if before.get(k) is not v},
        {name: getattr(state, name) for name in _LOG_STATE},
    )
    if entry is not None:
        memo.put(key, entry)


def check_log(
    eventlog: bytes,
    pcrs: Mapping[str, Mapping[int, bytes]],
    baseline: Any = None,
    policy: AttestationPolicy = DEFAULT_POLICY,
    *,
    source: str = "",
    memo: LogAnalysisMemo | None = None,
) -> AttestationResult:
    """The log, Secure Boot and baseline checks of :func:`verify`, against PCR values the caller
    trusts (e.g. golden values from a quote verified elsewhere). The result's ``quote`` check says
    so (skipped: nothing here proves those values came from a TPM). ``memo``: as for :func:`verify`.
    """
    state = _State(None, None, baseline, None, None, policy, pcrs_from_caller=True)
    state.trusted_pcrs = {str(b): {int(p): bytes(v) for p, v in vals.items()} for b, vals in pcrs.items()}
    state.evidence = _LogOnly(eventlog)
    state.record("quote", "skipped", "PCR values given by the caller: no quote was checked here")
    _log_checks(state, memo)
    reasons = tuple(dict.fromkeys(state.reasons))
    return AttestationResult(
        passed=not reasons,
        reasons=reasons,
        checks=tuple(state.checks),
        ak_trust="not-checked",
        log=state.log_status,
        secure_boot=state.secure_boot,
        facts=None,
        details=state.details,
        source=source,
    )


@dataclass(frozen=True)
class _LogOnly:
    eventlog: bytes


class Verifier:
    """A verifier with a memory: it issues nonces and refuses a quote over a nonce it already accepted.

    ``verify`` adds ``nonce-reused`` when the quote carries a nonce this instance accepted before
    (a replayed quote), and ``nonce-mismatch:not-issued`` when ``require_issued`` and the nonce was
    not issued by :meth:`new_nonce`. Deterministic with a ``seed``.

    ``memo``: the verifier keeps a bounded :class:`LogAnalysisMemo` of its log analyses (default
    ``True``: its own, of :data:`~tlkit.attest._memo.DEFAULT_MEMO_SIZE` entries), so that a fleet of
    VMs booted from one image has its common log analysed once; the quote, nonce and AK trust of
    every bundle are always checked (:mod:`tlkit.attest._memo`). ``False``: every verification
    analyses its log; or pass a memo to share one.
    """

    def __init__(
        self,
        *,
        anchors: Any = None,
        baseline: Any = None,
        policy: AttestationPolicy = DEFAULT_POLICY,
        seed: int | None = None,
        require_issued: bool = False,
        memo: LogAnalysisMemo | bool = True,
    ) -> None:
        import random  # noqa: PLC0415

        self.anchors = anchors
        self.baseline = baseline
        self.policy = policy
        self.require_issued = require_issued
        self.memo = LogAnalysisMemo() if memo is True else (None if memo is False else memo)
        self._rng = random.Random(seed) if seed is not None else None
        self._issued: set[bytes] = set()
        self._accepted: set[bytes] = set()

    def new_nonce(self, size: int = 20) -> bytes:
        """A fresh nonce (remembered as issued)."""
        nonce = self._rng.randbytes(size) if self._rng is not None else secrets.token_bytes(size)
        self._issued.add(nonce)
        return nonce

    def verify(self, evidence: Any, nonce: bytes, *, at: datetime | None = None) -> AttestationResult:
        """Verify ``evidence`` against ``nonce`` and remember the nonce once a quote over it verified."""
        result = verify(
            evidence, nonce, self.baseline, self.policy, anchors=self.anchors, at=at, memo=self.memo
        )
        extra: list[str] = []
        if nonce in self._accepted:
            extra.append("nonce-reused")
        if self.require_issued and nonce not in self._issued:
            extra.append("nonce-mismatch:not-issued")
        if result.check("quote").status == "passed" and result.check("nonce").status == "passed":
            self._accepted.add(nonce)
        if not extra:
            return result
        checks = (
            *result.checks,
            Check("nonce-memory", "failed", "this verifier already accepted or never issued this nonce"),
        )
        return AttestationResult(
            False,
            (*result.reasons, *extra),
            checks,
            result.ak_trust,
            result.log,
            result.secure_boot,
            result.facts,
            result.details,
            result.source,
        )


def reasons_table() -> Sequence[tuple[str, str]]:
    """``(code, meaning)`` for every code (docs and notebooks)."""
    return tuple(CODES.items())
