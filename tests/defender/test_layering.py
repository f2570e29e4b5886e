"""tlkit.defender touches no TPM bytes and no evidence (ARCHITECTURE.md): it imports neither the
TPM, event-log, boot or attestation packages, nor Jupyter or plotting."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from tests.test_layering import _imports

FORBIDDEN = ("tlkit.tpm", "tlkit.eventlog", "tlkit.boot", "tlkit.attest", "tlkit.lab", "tlkit.viz",
             "tlkit.widgets", "ipywidgets", "matplotlib")  # fmt: skip


@pytest.mark.parametrize("path", sorted((REPO / "tlkit" / "defender").glob("*.py")), ids=lambda p: p.name)
def test_defender_imports_no_tpm_evidence_or_presentation_code(path) -> None:  # type: ignore[no-untyped-def]
    bad = sorted(m for m in _imports(path) if m.startswith(FORBIDDEN))
    assert not bad, f"{path.name} imports {bad}"
