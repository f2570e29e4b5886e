"""Microsoft Defender for Cloud, modelled: Trusted Launch recommendations and alerts.

What it does: from a VM's configuration and its attestation history, derives the documented
recommendations and alerts (names and severities as data in ``data/defender/``), applies the
documented applicability and suppression rules, and returns one DataFrame row per finding.

What it does not do: touch TPM bytes or verify evidence (:mod:`tlkit.attest` does).
"""

from tlkit.defender._assess import (
    FINDING_COLUMNS,
    STATUS_COLUMNS,
    STATUSES,
    alert_table,
    assess,
    assessment_status,
    reason_code_table,
    recommendation_table,
)
from tlkit.defender._data import (
    SEVERITIES,
    AlertInfo,
    AlertReason,
    ReasonCode,
    RecommendationInfo,
    alert_reasons,
    alerts,
    parse_reason,
    reason_codes,
    recommendations,
)
from tlkit.defender._model import AttestationRecord, Fleet, VmConfig, demo_fleet, load_fleet
from tlkit.defender._rules import (
    ALERT_RULES,
    DEFAULT_SUPPRESSIONS,
    RECOMMENDATION_RULES,
    SECURE_BOOT_OFF_BY_DESIGN,
    AlertRule,
    RecommendationRule,
    SuppressionRule,
)

__all__ = [
    "ALERT_RULES",
    "DEFAULT_SUPPRESSIONS",
    "FINDING_COLUMNS",
    "RECOMMENDATION_RULES",
    "SECURE_BOOT_OFF_BY_DESIGN",
    "SEVERITIES",
    "STATUSES",
    "STATUS_COLUMNS",
    "AlertInfo",
    "AlertReason",
    "AlertRule",
    "AttestationRecord",
    "Fleet",
    "ReasonCode",
    "RecommendationInfo",
    "RecommendationRule",
    "SuppressionRule",
    "VmConfig",
    "alert_reasons",
    "alert_table",
    "alerts",
    "assess",
    "assessment_status",
    "demo_fleet",
    "load_fleet",
    "parse_reason",
    "reason_code_table",
    "reason_codes",
    "recommendation_table",
    "recommendations",
]
