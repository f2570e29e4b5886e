"""The documented Defender for Cloud findings, read from ``data/defender/`` (private).

What it does: loads the recommendations, alerts, documented alert reasons (``findings.json``) and the
mapping from attestation reason codes to alerts and documented reasons (``reason_codes.csv``), checks
that the tables agree with each other, and parses a reason string (``code`` or ``code:detail``).
Sources and dates are in ``data/defender/SOURCES.md``.

What it does not do: decide which finding applies to a VM (:mod:`tlkit.defender._rules` does), or
hard-code any name, severity or text: those live in the data files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tlkit._data import data_cache, data_root
from tlkit.errors import DataError

__all__ = [
    "SEVERITIES",
    "AlertInfo",
    "AlertReason",
    "ReasonCode",
    "RecommendationInfo",
    "alert_reasons",
    "alerts",
    "parse_reason",
    "reason_codes",
    "recommendations",
]

SEVERITIES: Final = ("Low", "Medium", "High")
"""Defender for Cloud's severities, lowest first (the order tables and figures use)."""

_DETAIL_KINDS: Final = ("no", "optional")


@dataclass(frozen=True)
class RecommendationInfo:
    """A documented recommendation (``findings.json`` ``recommendations``).

    Attributes:
        key: tlkit's stable key (``secure-boot``, ``vtpm``, ``guest-attestation-linux-vm``, ...).
        name: the exact documented display name.
        severity: the documented severity.
        assessment_key: Defender's assessment id.
        os_type: ``"Windows"``/``"Linux"`` when the name covers one OS, else None.
        scale_set: True/False when the name covers scale sets / single VMs only, else None.
        finding: tlkit's one-line reason shown when the recommendation is raised.
        scope, scope_ko: the documented scope text (English; the seed's Korean).
        remediation: what to do (tlkit wording from the cited documents).
        source: where name, severity and text come from.
    """

    key: str
    name: str
    severity: str
    assessment_key: str
    os_type: str | None
    scale_set: bool | None
    finding: str
    scope: str
    scope_ko: str
    remediation: str
    source: str


@dataclass(frozen=True)
class AlertInfo:
    """A documented alert (``findings.json`` ``alerts``); ``triage`` holds the documented questions."""

    key: str
    name: str
    section: str
    severity: str
    description: str
    scope: str
    scope_ko: str
    triage: tuple[str, ...]
    triage_ko: tuple[str, ...]
    remediation: str
    source: str


@dataclass(frozen=True)
class AlertReason:
    """A documented reason an alert carries (``findings.json`` ``alert_reasons``)."""

    key: str
    alert: str
    text: str
    text_ko: str
    source: str


@dataclass(frozen=True)
class ReasonCode:
    """One attestation reason code and the alert it raises (``reason_codes.csv``).

    Attributes:
        code: the verifier's code (``baseline-deviation``).
        detail: whether ``code:detail`` is allowed (``"optional"``) or not (``"no"``).
        alert: the key of the alert the code raises.
        alert_reason: the key of the documented reason it maps to; None when the documentation
            names no reason for it (:attr:`documented` is then False).
        note: why the code maps where it does.
    """

    code: str
    detail: str
    alert: str
    alert_reason: str | None
    note: str

    @property
    def documented(self) -> bool:
        """Whether the documentation names an alert reason for this code."""
        return self.alert_reason is not None


def _field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind):
        raise DataError(f"{where}: expected {name!r} of type {kind}", record=obj.get("key"), field=name)
    return value


def _strings(obj: Mapping[str, Any], names: tuple[str, ...], where: str) -> dict[str, str]:
    return {name: _field(obj, name, str, where) for name in names}


def _texts(obj: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = _field(obj, name, list, where)
    if not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: {name!r} must be a list of strings", record=obj.get("key"), field=name)
    return tuple(value)


@data_cache()
def _findings() -> dict[str, Any]:
    path = data_root().joinpath("defender").joinpath("findings.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"data/defender/findings.json cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise DataError("data/defender/findings.json: expected an object")
    return data


def _severity(obj: Mapping[str, Any], where: str) -> str:
    severity = _field(obj, "severity", str, where)
    if severity not in SEVERITIES:
        raise DataError(f"{where}: unknown severity {severity!r}", record=obj.get("key"), field="severity")
    return str(severity)


@data_cache()
def recommendations() -> dict[str, RecommendationInfo]:
    """The documented recommendations by key, in file order."""
    where = "findings.json recommendations"
    out: dict[str, RecommendationInfo] = {}
    for obj in _findings().get("recommendations", []):
        strings = {
            k: _field(obj, k, str, where)
            for k in (
                "key",
                "name",
                "assessment_key",
                "finding",
                "scope",
                "scope_ko",
                "remediation",
                "source",
            )
        }
        out[strings["key"]] = RecommendationInfo(
            **strings,
            severity=_severity(obj, where),
            os_type=_field(obj, "os_type", (str, type(None)), where),
            scale_set=_field(obj, "scale_set", (bool, type(None)), where),
        )
    return out


@data_cache()
def alerts() -> dict[str, AlertInfo]:
    """The documented alerts by key (``attestation-failed``, ``untrusted-kernel-module``)."""
    where = "findings.json alerts"
    out: dict[str, AlertInfo] = {}
    for obj in _findings().get("alerts", []):
        text = ("key", "name", "section", "description", "scope", "scope_ko", "remediation", "source")
        strings = _strings(obj, text, where)
        out[strings["key"]] = AlertInfo(
            **strings,
            severity=_severity(obj, where),
            triage=_texts(obj, "triage", where),
            triage_ko=_texts(obj, "triage_ko", where),
        )
    return out


@data_cache()
def alert_reasons() -> dict[str, AlertReason]:
    """The documented alert reasons by key; each names an alert of :func:`alerts`."""
    where = "findings.json alert_reasons"
    known = alerts()
    out: dict[str, AlertReason] = {}
    for obj in _findings().get("alert_reasons", []):
        reason = AlertReason(**_strings(obj, ("key", "alert", "text", "text_ko", "source"), where))
        if reason.alert not in known:
            raise DataError(f"{where}: unknown alert {reason.alert!r}", record=reason.key, field="alert")
        out[reason.key] = reason
    return out


@data_cache()
def reason_codes() -> dict[str, ReasonCode]:
    """Every attestation reason code by code, checked against :func:`alerts` and :func:`alert_reasons`."""
    path = data_root().joinpath("defender").joinpath("reason_codes.csv")
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except OSError as e:
        raise DataError(f"data/defender/reason_codes.csv cannot be read: {e}") from e
    known_alerts, known_reasons = alerts(), alert_reasons()
    out: dict[str, ReasonCode] = {}
    for n, row in enumerate(rows):
        code = ReasonCode(
            code=row["code"],
            detail=row["detail"],
            alert=row["alert"],
            alert_reason=row["alert_reason"] or None,
            note=row["note"],
        )
        where = f"reason_codes.csv row {n + 2}"
        if code.detail not in _DETAIL_KINDS:
            raise DataError(
                f"{where}: detail must be one of {_DETAIL_KINDS}", record=code.code, field="detail"
            )
        if code.alert not in known_alerts:
            raise DataError(f"{where}: unknown alert {code.alert!r}", record=code.code, field="alert")
        reason = known_reasons.get(code.alert_reason or "")
        if code.alert_reason is not None and (reason is None or reason.alert != code.alert):
            raise DataError(
                f"{where}: {code.alert_reason!r} is not a reason of alert {code.alert!r}",
                record=code.code,
                field="alert_reason",
            )
        out[code.code] = code
    return out


def parse_reason(text: object, *, record: object = None) -> tuple[ReasonCode, str | None]:
    """Split a verifier reason (``"baseline-deviation:PCR 4"``) into its :class:`ReasonCode` and detail.

    Raises:
        DataError: not a string, an unknown code, an empty detail, or a detail on a code that takes
            none; the message names ``record`` and the reason.
    """
    if not isinstance(text, str):
        raise DataError(
            f"a reason must be a string, not {type(text).__name__}", record=record, field="reasons"
        )
    code_text, sep, detail = text.partition(":")
    code = reason_codes().get(code_text)
    if code is None:
        known = ", ".join(reason_codes())
        raise DataError(
            f"unknown reason code {code_text!r} in {text!r} (known: {known})", record=record, field="reasons"
        )
    if sep and code.detail == "no":
        raise DataError(
            f"reason code {code_text!r} takes no ':detail' ({text!r})", record=record, field="reasons"
        )
    if sep and not detail.strip():
        raise DataError(f"empty detail after {code_text!r}: ({text!r})", record=record, field="reasons")
    return code, (detail if sep else None)
