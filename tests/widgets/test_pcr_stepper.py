"""tlkit.widgets.pcr_stepper: driven by setting the slider and clicking, on real event logs."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest

from tests.conftest import expected_pcrs, fixture_path
from tlkit.eventlog import EventLog, parse
from tlkit.widgets._common import COLOURS
from tlkit.widgets.pcr_stepper import PcrStepper

RHEL8 = "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin"
EBS = "go-attestation/attest/testdata/ebs_event_missing_eventlog"


@pytest.fixture(scope="module")
def rhel8() -> EventLog:
    return parse(fixture_path(RHEL8).read_bytes())


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, str]]:
    pcrs: dict[str, dict[str, str]] = expected_pcrs()["fixtures"][RHEL8]["expected_pcrs"]
    return pcrs


def _prefix(log: EventLog, n: int, bank: str = "sha256") -> dict[int, bytes]:
    """The library's replay of events 0..n."""
    return log.with_events(list(log)[: n + 1]).replay(bank)


def _rows(table_html: str) -> dict[int, tuple[str, bool]]:
    """``{pcr: (cell text, changed?)}`` from the stepper's table HTML."""
    out = {}
    for m in re.finditer(
        r'<tr data-pcr="(\d+)"( class="changed"[^>]*)?><td>PCR \d+</td><td>(.*?)</td></tr>', table_html
    ):
        out[int(m.group(1))] = (m.group(3), m.group(2) is not None)
    return out


def test_initial_state_is_spec_id_header(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8, bank="sha256")
    assert s.bank == "sha256"
    assert (s.slider.min, s.slider.max, s.slider.value) == (0, 82, 0)
    assert s.pcrs == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14)
    assert s.status.value == "event 0: EV_NO_ACTION, no PCR extended"
    assert "EV_NO_ACTION" in s.event.value
    assert "Spec ID Event03: banks sha1, sha256, sha384" in s.event.value
    rows = _rows(s.table.value)
    assert set(rows) == set(s.pcrs)
    assert all(text == "—" and not changed for text, changed in rows.values())


def test_slider_shows_library_prefix_replay(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8, bank="sha256")
    s.slider.value = 26  # shim loads grubx64.efi into PCR4
    want = _prefix(rhel8, 26)
    assert s.status.value == f"event 26: PCR 4 = {want[4].hex()}"
    assert want[4].hex() == "462144d0804d0e556af48c6b6d8e12abd96dcd549fc057f9e610566f1a752337"
    assert "EV_EFI_BOOT_SERVICES_APPLICATION" in s.event.value
    assert "\\EFI\\redhat\\grubx64.efi" in s.event.value
    assert "e8a268c431da72caaae407f729f602b9dbf5d1d43492d4a51cc2b688a08586e3" in s.event.value
    rows = _rows(s.table.value)
    assert rows[4] == (f"<code>{want[4].hex()}</code>", True)
    assert [p for p, (_, changed) in rows.items() if changed] == [4]
    assert rows[9] == ("—", False)  # GRUB has not measured the kernel yet
    for pcr, value in want.items():
        assert rows[pcr][0] == f"<code>{value.hex()}</code>"
    assert s.values_after(26) == want


def test_one_extend_by_hand(rhel8: EventLog) -> None:
    """Between two consecutive PCR4 events the value moves by exactly one extend."""
    s = PcrStepper(rhel8)
    before = s.values_after(23)[4]
    digest = rhel8[26].digest("sha256")
    assert digest is not None
    s.slider.value = 26
    assert s.status.value == f"event 26: PCR 4 = {hashlib.sha256(before + digest).hexdigest()}"


def test_last_event_matches_expected_pcrs(rhel8: EventLog, expected: dict[str, dict[str, str]]) -> None:
    s = PcrStepper(rhel8, bank="sha1")
    s.slider.value = s.slider.max
    assert s.status.value == f"event 82: PCR 5 = {expected['sha1']['5']}"
    rows = _rows(s.table.value)
    assert {p: t for p, (t, _) in rows.items()} == {
        int(p): f"<code>{v}</code>" for p, v in expected["sha1"].items()
    }


def test_buttons_step_back_reset(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8)
    s.step.click()
    assert s.slider.value == 1
    assert s.status.value == f"event 1: PCR 0 = {_prefix(rhel8, 1)[0].hex()}"
    assert "EV_S_CRTM_VERSION" in s.event.value
    s.step.click()
    s.step.click()
    assert s.slider.value == 3
    assert "SecureBoot = enabled" in s.event.value
    assert _rows(s.table.value)[7][1] is True
    s.back.click()
    assert s.slider.value == 2
    s.reset.click()
    assert s.slider.value == 0
    assert s.status.value == "event 0: EV_NO_ACTION, no PCR extended"
    s.back.click()
    assert s.slider.value == 0
    s.slider.value = s.slider.max
    s.step.click()
    assert s.slider.value == 82


def test_play_is_linked_to_slider(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8)
    s.play.value = 13
    assert s.slider.value == 13
    assert s.status.value.startswith("event 13: PCR 4 = ")
    s.play.playing = True
    s.reset.click()
    assert s.play.playing is False
    assert s.play.value == 0


def test_sha1_log_defaults_to_its_only_bank() -> None:
    log = parse(fixture_path(EBS).read_bytes())
    s = PcrStepper(log)
    assert s.bank == "sha1"
    assert s.slider.max == 37
    s.slider.value = 37
    assert s.status.value == f"event 37: PCR 4 = {log.replay('sha1')[4].hex()}"
    assert "sha1 value after event 37" in s.table.value


def test_event_shows_the_payload_check(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8)
    s.slider.value = 3
    assert s.event.value.endswith("H(data) = digest: yes")  # SecureBoot variable
    s.slider.value = 26
    assert s.event.value.endswith("H(data) = digest: not derivable")  # GRUB image load
    flipped = rhel8.replaced(3, dataclasses.replace(rhel8[3], data=rhel8[3].data[:-1] + b"\x00"))
    t = PcrStepper(flipped)
    t.slider.value = 3
    assert "SecureBoot = disabled" in t.event.value
    assert t.event.value.endswith(f'H(data) = digest: <b style="color:{COLOURS["bad"]}">NO</b>')
    assert t.values_after(3) == s.values_after(3)  # the replay does not see the edit


def test_stepper_uses_the_eventlog_api_not_viz(rhel8: EventLog) -> None:
    """The widget wires EventLog.prefix_replays (tlkit.eventlog); it computes nothing itself."""
    import ast

    import tlkit.widgets.pcr_stepper as mod

    tree = ast.parse(Path(mod.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("tlkit.viz") for m in imported)
    s = PcrStepper(rhel8, bank="sha1")
    assert [s.values_after(i) for i in range(len(rhel8))] == rhel8.prefix_replays("sha1")


def test_start_opens_at_an_event(rhel8: EventLog) -> None:
    s = PcrStepper(rhel8, start=26)
    assert (s.slider.value, s.play.value) == (26, 26)
    assert s.status.value.startswith("event 26: PCR 4 = ")
    assert PcrStepper(rhel8, start=10_000).slider.value == len(rhel8) - 1
