"""Defender for Cloud findings for a fleet, as DataFrames (private).

What it does: :func:`assess` runs every rule of :mod:`tlkit.defender._rules` over VM configurations
and their attestation history and returns one row per finding (recommendation or alert), with the
documented name and severity, the reason, the time, and whether a suppression rule hides it (a
suppressed finding is still a row). :func:`assessment_status` gives every recommendation's status per
VM (healthy / unhealthy / not-applicable / no-data), as Defender's assessments do. The catalogue
tables (:func:`recommendation_table`, :func:`alert_table`, :func:`reason_code_table`) show the data
the rules use.

What it does not do: verify attestation evidence, or print. Bad input raises
:class:`tlkit.errors.DataError` naming the VM or record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd

from tlkit.defender._data import (
    SEVERITIES,
    alert_reasons,
    alerts,
    parse_reason,
    reason_codes,
    recommendations,
)
from tlkit.defender._model import AttestationRecord, VmConfig, _parse_time
from tlkit.defender._rules import (
    ALERT_RULES,
    DEFAULT_SUPPRESSIONS,
    RECOMMENDATION_RULES,
    AlertRule,
    RecommendationRule,
    SuppressionRule,
    covers,
)
from tlkit.errors import DataError

__all__ = [
    "FINDING_COLUMNS",
    "KINDS",
    "STATUSES",
    "STATUS_COLUMNS",
    "Finding",
    "alert_table",
    "assess",
    "assessment_status",
    "reason_code_table",
    "recommendation_table",
]

KINDS: Final = ("recommendation", "alert")
STATUSES: Final = ("unhealthy", "healthy", "no-data", "not-applicable")

_COLUMNS: Final[dict[str, str]] = {
    "vm": "str",
    "kind": "str",
    "name": "str",
    "severity": "str",
    "reason": "str",
    "time": "datetime64[ns, UTC]",
    "suppressed": "bool",
    "codes": "str",
    "suppressed_by": "str",
    "triage": "str",
    "remediation": "str",
}
FINDING_COLUMNS: Final = tuple(_COLUMNS)
"""Columns of :func:`assess`: the seven finding columns, then ``codes`` (the attestation reasons
behind an alert, ``"; "``-joined), ``suppressed_by`` (the suppression rule's key), ``triage`` (the
documented triage questions) and ``remediation``."""

_STATUS_COLUMNS: Final[dict[str, str]] = {
    "vm": "str",
    "recommendation": "str",
    "severity": "str",
    "status": "str",
    "time": "datetime64[ns, UTC]",
}
STATUS_COLUMNS: Final = tuple(_STATUS_COLUMNS)

_NO_DOCUMENTED_REASON: Final = "no documented alert reason ({code})"


@dataclass(frozen=True)
class Finding:
    """One row of :func:`assess` (see :data:`FINDING_COLUMNS`)."""

    vm: str
    kind: str
    name: str
    severity: str
    reason: str
    time: datetime | None
    suppressed: bool = False
    codes: str = ""
    suppressed_by: str = ""
    triage: str = ""
    remediation: str = ""

    def sort_key(self) -> tuple[Any, ...]:
        when = self.time or datetime.min.replace(tzinfo=UTC)
        return (
            self.vm,
            KINDS.index(self.kind),
            when,
            -SEVERITIES.index(self.severity),
            self.name,
            self.reason,
        )


def _frame(rows: Iterable[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(columns))
    times = [name for name, dtype in columns.items() if dtype.startswith("datetime")]
    for name in times:
        frame[name] = pd.to_datetime(frame[name], utc=True).dt.as_unit("ns")
    return frame.astype({name: dtype for name, dtype in columns.items() if name not in times})


# --- input checks -----------------------------------------------------------------------------------


def _check_vms(vms: Sequence[VmConfig]) -> dict[str, VmConfig]:
    by_name: dict[str, VmConfig] = {}
    for n, vm in enumerate(vms):
        if not isinstance(vm, VmConfig):
            raise DataError(f"vms[{n}] is a {type(vm).__name__}, not a VmConfig", record=n, field="vms")
        if vm.vm in by_name:
            raise DataError("the same VM is listed twice", record=vm.vm, field="vm")
        by_name[vm.vm] = vm
    return by_name


def _check_history(history: Sequence[AttestationRecord], by_name: dict[str, VmConfig]) -> None:
    for n, record in enumerate(history):
        if not isinstance(record, AttestationRecord):
            raise DataError(f"history[{n}] is a {type(record).__name__}, not an AttestationRecord", record=n)
        if record.vm not in by_name:
            raise DataError(
                f"history[{n}] ({record.label}) is for a VM that is not in vms",
                record=record.label,
                field="vm",
            )


def _history_by_vm(
    history: Sequence[AttestationRecord], by_name: dict[str, VmConfig], at: datetime | None
) -> dict[str, list[AttestationRecord]]:
    _check_history(history, by_name)
    out: dict[str, list[AttestationRecord]] = {name: [] for name in by_name}
    for record in history:
        if at is None or record.time <= at:
            out[record.vm].append(record)
    for records in out.values():
        records.sort(key=lambda r: (r.time, r.passed, r.reasons))
    return out


# --- findings ---------------------------------------------------------------------------------------


def _recommendation_findings(
    rule: RecommendationRule, vm: VmConfig, latest: AttestationRecord | None, at: datetime | None
) -> Iterator[Finding]:
    info = recommendations()[rule.key]
    if not (covers(info, vm) and rule.applies(vm)) or rule.unhealthy(vm, latest) is not True:
        return
    time, reason = at, info.finding
    if latest is not None and rule.key == "attestation-status":
        time, reason = latest.time, f"{info.finding}: {', '.join(latest.reasons)}"
    yield Finding(
        vm.vm, "recommendation", info.name, info.severity, reason, time, remediation=info.remediation
    )


def _reason_text(reason_key: str | None, codes: list[str], details: list[str]) -> str:
    documented = alert_reasons().get(reason_key or "")
    if documented is None:
        return _NO_DOCUMENTED_REASON.format(code=", ".join(codes))
    named = [d for d in details if d]
    return documented.text + (f" ({'; '.join(named)})" if named else "")


def _alert_findings(
    rule: AlertRule, vm: VmConfig, record: AttestationRecord, suppressions: Sequence[SuppressionRule]
) -> Iterator[Finding]:
    if not rule.applies(vm):
        return
    info = alerts()[rule.key]
    # group -> (documented reason key, raw reasons, codes, details)
    groups: dict[str, tuple[str | None, list[str], list[str], list[str]]] = {}
    for text in record.reasons:
        code, detail = parse_reason(text, record=record.label)
        if code.alert != rule.key:
            continue
        _, raw, names, details = groups.setdefault(rule.group(code, detail), (code.alert_reason, [], [], []))
        raw.append(text)
        names.append(code.code)
        details.append(detail or "")
    for reason_key, raw, names, details in groups.values():
        hit = next((s for s in suppressions if s.alert == rule.key and s.applies(vm, frozenset(raw))), None)
        yield Finding(
            vm.vm,
            "alert",
            info.name,
            info.severity,
            _reason_text(reason_key, names, details),
            record.time,
            suppressed=hit is not None,
            codes="; ".join(raw),
            suppressed_by=hit.key if hit else "",
            triage=" ".join(info.triage),
            remediation=info.remediation,
        )


def _check_suppressions(suppressions: Sequence[SuppressionRule]) -> None:
    for n, s in enumerate(suppressions):
        if not isinstance(s, SuppressionRule):
            raise DataError(f"suppressions[{n}] is a {type(s).__name__}, not a SuppressionRule", record=n)
        if s.alert not in alerts():
            raise DataError(
                f"suppression {s.key!r} names an unknown alert {s.alert!r}", record=s.key, field="alert"
            )


def _at(at: datetime | str | None) -> datetime | None:
    return None if at is None else _parse_time(at, "at")


def assess(
    vms: Sequence[VmConfig],
    history: Sequence[AttestationRecord] = (),
    *,
    at: datetime | str | None = None,
    suppressions: Sequence[SuppressionRule] = DEFAULT_SUPPRESSIONS,
) -> pd.DataFrame:
    """Defender for Cloud's Trusted Launch findings for ``vms`` given their attestation ``history``.

    Args:
        vms: the VM configurations (unique :attr:`VmConfig.vm`).
        history: attestation records of those VMs, in any order.
        at: the assessment time (timezone-aware, or ISO 8601 text): records after it are ignored, and
            recommendation rows carry it as their time (NaT when None: then every record counts).
        suppressions: the suppression rules (:data:`DEFAULT_SUPPRESSIONS`; ``()`` for none).

    Returns:
        One row per finding, columns :data:`FINDING_COLUMNS` with fixed dtypes (also when empty):
        recommendations failed by each VM (at ``at``), then one alert per failed attestation record and
        documented reason (one per refused kernel module). Rows are sorted by VM, kind
        (recommendations first), time, severity (highest first), name and reason.

    Raises:
        DataError: a VM listed twice, a record for a VM not in ``vms``, an object of the wrong type,
            or an ``at`` without a time zone; the message names the VM or record.
    """
    by_name = _check_vms(vms)
    when = _at(at)
    _check_suppressions(suppressions)
    per_vm = _history_by_vm(history, by_name, when)
    findings: list[Finding] = []
    for name, vm in by_name.items():
        records = per_vm[name]
        latest = records[-1] if records else None
        for rule in RECOMMENDATION_RULES:
            findings += _recommendation_findings(rule, vm, latest, when)
        for record in records:
            for alert_rule in ALERT_RULES:
                findings += _alert_findings(alert_rule, vm, record, suppressions)
    findings.sort(key=Finding.sort_key)
    return _frame((f.__dict__ for f in findings), _COLUMNS)


def _status(rule: RecommendationRule, vm: VmConfig, latest: AttestationRecord | None) -> str:
    if not (covers(recommendations()[rule.key], vm) and rule.applies(vm)):
        return "not-applicable"
    verdict = rule.unhealthy(vm, latest)
    return "no-data" if verdict is None else ("unhealthy" if verdict else "healthy")


def assessment_status(
    vms: Sequence[VmConfig], history: Sequence[AttestationRecord] = (), *, at: datetime | str | None = None
) -> pd.DataFrame:
    """Every recommendation's status for every VM (``STATUSES``), as Defender's assessments list them.

    Columns :data:`STATUS_COLUMNS`; ``time`` is the latest record's for an applicable attestation
    status and ``at`` otherwise. A recommendation whose name does not cover the VM (another OS, a
    scale set) is ``not-applicable`` like one whose conditions do not hold. Raises like :func:`assess`.
    """
    by_name = _check_vms(vms)
    when = _at(at)
    per_vm = _history_by_vm(history, by_name, when)
    rows = []
    for name in sorted(by_name):
        vm, records = by_name[name], per_vm[name]
        latest = records[-1] if records else None
        for rule in RECOMMENDATION_RULES:
            info, status = recommendations()[rule.key], _status(rule, vm, latest)
            from_record = rule.key == "attestation-status" and status != "not-applicable"
            rows.append(
                {"vm": name, "recommendation": info.name, "severity": info.severity, "status": status,
                 "time": latest.time if from_record and latest is not None else when}
            )  # fmt: skip
    return _frame(rows, _STATUS_COLUMNS)


# --- catalogue tables ---------------------------------------------------------------------------------


def recommendation_table() -> pd.DataFrame:
    """The documented recommendations: name, severity, OS, resource kind, assessment key, source."""
    rows = [
        {
            "name": r.name,
            "severity": r.severity,
            "os": r.os_type or "any",
            "resource": {None: "any", True: "scale set", False: "VM"}[r.scale_set],
            "assessment_key": r.assessment_key,
            "source": r.source,
        }
        for r in recommendations().values()
    ]
    return pd.DataFrame(rows)


def alert_table() -> pd.DataFrame:
    """The documented alerts and their reasons: one row per (alert, documented reason)."""
    rows = [
        {"alert": a.name, "severity": a.severity, "reason": r.text, "reason_source": r.source}
        for a in alerts().values()
        for r in alert_reasons().values()
        if r.alert == a.key
    ]
    return pd.DataFrame(rows)


def reason_code_table() -> pd.DataFrame:
    """Every attestation reason code, the alert it raises and its documented reason (or that none is)."""
    rows = [
        {
            "code": c.code,
            "alert": alerts()[c.alert].name,
            "documented reason": alert_reasons()[c.alert_reason].key
            if c.alert_reason
            else "(none documented)",
            "note": c.note,
        }
        for c in reason_codes().values()
    ]
    return pd.DataFrame(rows)
