"""Attestation lab: pick a boot scenario or a doctoring and see the verifier's verdict, its reasons,
each check it ran and the token claims a passing attestation would carry.

Wiring only: cases come from :data:`tlkit.attest.LAB_CASES` (:func:`tlkit.attest.run_case`, deterministic
for a seed), reason meanings from :data:`tlkit.attest.CODES`, claims from
:func:`tlkit.attest.azurevm_claims`. Handlers write into widget values (``HTML.value``), never print.
"""

from __future__ import annotations

import html
import json
from typing import Any

import ipywidgets as w

from tlkit.attest import CODES, LAB_CASES, CaseRun, claims_for, code_of, lab_case, run_case
from tlkit.widgets._common import LABELS, WidgetApp, coloured

__all__ = ["AttestationLab"]

_STATUS = {"passed": "ok", "failed": "bad", "skipped": "warn"}


class AttestationLab(WidgetApp):
    """A dropdown of :data:`tlkit.attest.LAB_CASES`; each choice is built and verified.

    Args:
        seed: the seed of every case (same seed, same evidence, same verdict).
        start: the case shown first.

    Attributes:
        choice: the dropdown (case names).
        verdict: HTML: the case's description, ``PASS``/``FAIL`` and the reasons with their meaning.
        checks: HTML table: every check the verifier ran, its status and why.
        claims: HTML: the ``azurevm`` claims of the token a passing attestation is issued (or why none).
        widget: the assembled box to display.
    """

    def __init__(self, seed: int = 0, start: str = "healthy") -> None:
        lab_case(start)  # an unknown case is a DataError naming the known ones
        self.seed = seed
        self._runs: dict[str, CaseRun] = {}
        self.choice = w.Dropdown(
            options=[c.name for c in LAB_CASES], value=start, description="case", style=LABELS
        )
        self.verdict = w.HTML()
        self.checks = w.HTML()
        self.claims = w.HTML()
        self.choice.observe(self._on_choice, names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.choice]),
                self.verdict,
                w.HTML("<b>Checks, in the order the verifier runs them</b>"),
                self.checks,
                w.HTML("<b>Token claims (azurevm)</b>"),
                self.claims,
            ]
        )
        self._render(start)

    def run(self, name: str) -> CaseRun:
        """Case ``name`` built and verified (once per lab)."""
        if name not in self._runs:
            self._runs[name] = run_case(name, self.seed)
        return self._runs[name]

    def _on_choice(self, change: Any) -> None:
        self._render(change["new"])

    def _render(self, name: str) -> None:
        run = self.run(name)
        r = run.result
        head = coloured("ok", "PASS") if r.passed else coloured("bad", "FAIL")
        reasons = "".join(
            f"<li><code>{html.escape(x)}</code>: {html.escape(CODES[code_of(x)])}</li>" for x in r.reasons
        )
        self.verdict.value = (
            f"<p>{html.escape(run.case.description)}</p><p>{head} · ak_trust={r.ak_trust} · log={r.log}</p>"
            + (f"<ul>{reasons}</ul>" if reasons else "")
        )
        rows = "".join(
            f"<tr><td>{c.name}</td><td>{coloured(_STATUS[c.status], c.status)}</td>"
            f"<td>{html.escape(c.detail)}</td></tr>"
            for c in r.checks
        )
        self.checks.value = f"<table><tr><th>check</th><th>status</th><th>detail</th></tr>{rows}</table>"
        claims = claims_for(run)
        self.claims.value = (
            f"<pre>{html.escape(json.dumps(claims, indent=2, sort_keys=True))}</pre>"
            if claims is not None
            else "<p>no token: the attestation failed, and a token is only issued from verified evidence</p>"
        )
