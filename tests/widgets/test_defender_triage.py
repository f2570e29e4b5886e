"""tlkit.widgets.defender_triage: driven by setting the dropdowns, as a learner would."""

from __future__ import annotations

import pytest

from tlkit.defender._model import demo_fleet
from tlkit.widgets import check_alerted_vms
from tlkit.widgets.defender_triage import ALL_VMS, SHOW, DefenderTriage


@pytest.fixture
def app() -> DefenderTriage:
    return DefenderTriage(demo_fleet())


def test_opens_on_the_whole_fleet(app: DefenderTriage) -> None:
    assert app.vm.value == ALL_VMS
    assert f"<b>{len(app.findings)} findings</b> (3 suppressed)" in app.summary.value
    assert app.facts.value == ""
    assert "Which kernel driver failed?" in app.triage.value


def test_the_gpu_vm_shows_its_suppressed_alerts_and_why(app: DefenderTriage) -> None:
    app.vm.value = "gpu-nc-01"
    assert "<b>3 findings</b> (3 suppressed)" in app.summary.value
    assert "Secure Boot off by design" in app.facts.value
    assert "GRID driver" in app.facts.value
    assert app.table.value.count("Attestation failed your virtual machine") == 3
    app.show.value = SHOW[1]  # shown only
    assert "<b>0 findings</b>" in app.summary.value
    assert "no findings" in app.table.value


def test_the_dkms_vm_shows_the_triage_questions(app: DefenderTriage) -> None:
    app.vm.value = "ml-linux-02"
    assert "Untrusted Linux kernel module" in app.table.value
    assert "<li>Which kernel driver failed?" in app.triage.value
    app.vm.value = "db-linux-01"
    assert app.triage.value == ""
    assert "Guest Attestation extension: no" in app.facts.value


def test_suppressed_only_lists_only_suppressed_rows(app: DefenderTriage) -> None:
    app.show.value = SHOW[2]
    assert set(app.selected()["vm"]) == {"gpu-nc-01"}
    assert app.selected()["suppressed"].all()


def test_text_plain_says_how_to_get_the_widget(app: DefenderTriage) -> None:
    assert app._repr_mimebundle_()["text/plain"].startswith("DefenderTriage: an interactive widget")


def test_the_exercise_check_compares_with_assess() -> None:
    fleet = demo_fleet()
    assert check_alerted_vms(fleet, None).reasons == ("not-answered",)
    assert check_alerted_vms(fleet, "edge-linux-04").reasons == ("wrong-type",)
    assert check_alerted_vms(fleet, {"edge-linux-04"}).passed
    assert not check_alerted_vms(fleet, {"edge-linux-04"}, suppressions=()).passed
    assert check_alerted_vms(fleet, {"edge-linux-04", "gpu-nc-01"}, suppressions=()).passed
    wrong = check_alerted_vms(fleet, {"edge-linux-04", "web-win-01"})
    assert "1 of yours have no shown Medium alert" in wrong.message
