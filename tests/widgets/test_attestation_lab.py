"""The attestation lab widget: each case choice writes the verifier's verdict, reasons, checks and
(only for a pass) the token claims into widget values."""

from __future__ import annotations

import pytest

from tlkit.attest import CODES, case_names, run_case
from tlkit.widgets.attestation_lab import AttestationLab


@pytest.fixture(scope="module")
def lab() -> AttestationLab:
    return AttestationLab(seed=0)


@pytest.mark.parametrize("name", case_names())
def test_choice_shows_the_verdict_of_that_case(lab: AttestationLab, name: str) -> None:
    lab.choice.value = name
    result = run_case(name).result
    assert ("PASS" in lab.verdict.value) is result.passed
    for code in result.codes:
        assert code in lab.verdict.value
        assert CODES[code].split("(")[0].strip()[:30].replace("'", "&#x27;") in lab.verdict.value
    for check in result.checks:
        assert f"<td>{check.name}</td>" in lab.checks.value
    if result.passed:
        assert "&quot;secureboot&quot;: true" in lab.claims.value
    else:
        assert "no token" in lab.claims.value


def test_unknown_start_is_a_clear_error() -> None:
    from tlkit.errors import DataError

    with pytest.raises(DataError, match="known: healthy"):
        AttestationLab(start="no-such-case")
