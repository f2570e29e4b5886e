"""The outcome table is the pipeline's answer, key by key: change a scenario or the baseline state and
the table changes; nothing in tlkit.fleet types a verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tlkit.fleet._outcomes import OutcomeTable, VmConfigCode, clear_outcomes, outcome_table
from tlkit.fleet._process import CONFIG_CLASSES, OS_NAMES, UPDATE_KINDS, key_space

KERNEL = 1 << UPDATE_KINDS.index("kernel-update")


def _key(os: str, scenario: str, bits: int = 0, condition: int = 0) -> int:
    space = key_space()
    return int(space.encode(OS_NAMES.index(os), space.scenarios.index(scenario), bits, condition))


def _verdict(table: OutcomeTable, key: int) -> tuple[bool, str]:
    table.ensure(np.array([key]))
    return bool(table.passed[key]), table.codes[key]


@pytest.fixture
def fresh() -> Iterator[None]:
    clear_outcomes()
    yield
    clear_outcomes()


def test_the_baseline_state_changes_the_verdict() -> None:
    table = outcome_table()
    assert _verdict(table, _key("ubuntu", "kernel-update")) == (False, "baseline-deviation")
    assert _verdict(table, _key("ubuntu", "kernel-update", KERNEL)) == (True, "")
    assert _verdict(table, _key("ubuntu", "healthy-ubuntu-sb", KERNEL)) == (True, "")


def test_the_evidence_condition_changes_the_verdict() -> None:
    table = outcome_table()
    assert _verdict(table, _key("windows", "healthy-windows-vbs", 0, 1)) == (False, "no-evidence")
    assert _verdict(table, _key("windows", "healthy-windows-vbs", 0, 2)) == (False, "ak-untrusted")
    assert _verdict(table, _key("ubuntu", "bootkit")) == (False, "no-evidence")


def test_changing_a_scenario_changes_the_table(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from tlkit.boot import _scenarios

    key = _key("ubuntu", "kernel-update")
    assert _verdict(outcome_table(), key) == (False, "baseline-deviation")
    healthy = _scenarios._BY_NAME["healthy-ubuntu-sb"]
    monkeypatch.setitem(
        _scenarios._BY_NAME, "kernel-update", dataclasses.replace(healthy, name="kernel-update")
    )  # a "kernel update" that boots the healthy chain
    clear_outcomes()
    assert _verdict(outcome_table(), key) == (True, "")


def test_alerts_depend_on_the_configuration_class() -> None:
    table = outcome_table()
    key = _key("ubuntu", "secure-boot-off")
    table.ensure(np.array([key]))
    by_class = {
        CONFIG_CLASSES[c]: table.alerts[key * len(CONFIG_CLASSES) + c] for c in range(len(CONFIG_CLASSES))
    }
    off_by_design = {(a.cause, a.suppressed) for a in by_class[(False, True)]}
    # Defender's suppression rule: Secure Boot off, and the SecureBoot variable's deviation alone
    assert off_by_design == {("secure-boot-disabled", True), ("baseline-deviation", True)}
    assert all(not a.suppressed for a in by_class[(False, False)])


def test_a_passed_round_raises_no_alert() -> None:
    table = outcome_table()
    key = _key("windows", "healthy-windows-vbs")
    table.ensure(np.array([key]))
    assert all(table.alerts[key * len(CONFIG_CLASSES) + c] == () for c in range(len(CONFIG_CLASSES)))
    assert not table.unsuppressed[key * len(CONFIG_CLASSES) : (key + 1) * len(CONFIG_CLASSES)].any()


def test_recommendations_come_from_defender() -> None:
    table = outcome_table()
    flags = (
        np.array([True]),
        np.array([False]),
        np.array([False]),
        np.array([False]),
        np.array([False]),
        np.array([False]),
    )
    standard = int(VmConfigCode.encode(np.array([OS_NAMES.index("windows")]), flags)[0])
    names = {name for name, _ in table.recommendations(standard, -1)}
    assert any("Secure Boot" in n for n in names)
    assert any("vTPM" in n for n in names)
    full = int(
        VmConfigCode.encode(
            np.array([0]), tuple(np.array([True]) if i < 5 else np.array([False]) for i in range(6))
        )[0]
    )
    assert table.recommendations(full, _key("ubuntu", "healthy-ubuntu-sb")) == ()
    failing = table.recommendations(full, _key("ubuntu", "kernel-update"))
    assert [severity for _, severity in failing] == ["Medium"]


def test_no_verdict_or_reason_code_is_typed_in_tlkit_fleet() -> None:
    from tlkit.defender._data import reason_codes

    codes = set(reason_codes())
    assert {"baseline-deviation", "no-evidence", "ak-untrusted"} <= codes
    root = Path(__file__).parents[2] / "tlkit" / "fleet"
    for path in root.glob("*.py"):
        text = path.read_text()
        typed = sorted(c for c in codes if f'"{c}"' in text or f"'{c}'" in text)
        assert typed == [], f"{path.name} types reason codes {typed}"
