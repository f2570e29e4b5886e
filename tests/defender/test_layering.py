"""tlkit.defender touches no TPM bytes and no evidence (ARCHITECTURE.md): it imports neither the
TPM, event-log, boot or attestation packages, nor Jupyter or plotting."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO

FORBIDDEN = ("tlkit.tpm", "tlkit.eventlog", "tlkit.boot", "tlkit.attest", "tlkit.lab", "tlkit.viz",
             "tlkit.widgets", "ipywidgets", "matplotlib")  # fmt: skip


@pytest.mark.parametrize("path", sorted((REPO / "tlkit" / "defender").glob("*.py")), ids=lambda p: p.name)
def test_defender_imports_no_tpm_evidence_or_presentation_code(path) -> None:  # type: ignore[no-untyped-def]
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    bad = sorted(m for m in imported if m.startswith(FORBIDDEN))
    assert not bad, f"{path.name} imports {bad}"
