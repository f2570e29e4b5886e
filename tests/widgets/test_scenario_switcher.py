"""tlkit.widgets.scenario_switcher: driven by setting the dropdown, as a learner would."""

from __future__ import annotations

import pytest

from tlkit.boot import SCENARIO_EFFECTS, SCENARIOS
from tlkit.widgets.scenario_switcher import ScenarioSwitcher


@pytest.fixture(scope="module")
def app() -> ScenarioSwitcher:
    return ScenarioSwitcher(seed=0)


def test_opens_on_the_healthy_boot(app: ScenarioSwitcher) -> None:
    assert app.choice.value == "healthy-ubuntu-sb"
    assert "boots: yes" in app.verdict.value
    assert "refused: none" in app.verdict.value
    assert "PCRs moved: none" in app.verdict.value


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_every_scenario_shows_its_documented_effect(app: ScenarioSwitcher, name: str) -> None:
    app.choice.value = name
    effect = SCENARIO_EFFECTS[name]
    assert ("boots: yes" if effect.boots else "boots: NO") in app.verdict.value
    assert f"PCRs moved: {', '.join(map(str, effect.pcrs_moved)) or 'none'}" in app.verdict.value
    assert app.moved(name) == effect.pcrs_moved


def test_refusals_are_shown_with_their_reasons(app: ScenarioSwitcher) -> None:
    app.choice.value = "unsigned-kernel-module"
    assert "refused: nvidia.ko (signer-unknown)" in app.verdict.value
    assert "nvidia.ko" in app.decisions.value
    app.choice.value = "revoked-bootloader"
    assert "refused: grubx64.efi (dbx-hash)" in app.verdict.value


def test_text_plain_says_how_to_get_the_widget(app: ScenarioSwitcher) -> None:
    bundle = app._repr_mimebundle_()
    assert bundle["text/plain"].startswith("ScenarioSwitcher: an interactive widget")
