"""The support widgets, driven as a reader would: set ``.value``, read the HTML values."""

from __future__ import annotations

import ipywidgets as w

from tlkit.widgets.compat_explorer import CompatExplorer
from tlkit.widgets.tlad_explorer import TladExplorer


def test_compat_explorer_default_is_compatible() -> None:
    app = CompatExplorer()
    assert app.report is not None
    assert app.report.compatible
    assert "compatible with Trusted Launch</b>" in app.verdict.value
    assert "size Standard_D4s_v5: supported; OS: listed; generation: 2; snapshot 2026-07" in app.verdict.value
    assert app.reasons.value == "<b>blockers</b>: none"
    assert app.remediations.value == "<b>remediations</b>: none"


def test_compat_explorer_reacts_to_size_os_and_date() -> None:
    app = CompatExplorer()
    app.size.value = "Standard_M64s"
    assert "NOT compatible" in app.verdict.value
    assert "<code>size-not-supported</code>" in app.reasons.value
    assert "Resize to an equivalent supported size family" in app.remediations.value
    app.image.value = "RHEL 8.4"
    assert "<code>os-not-supported</code>" in app.reasons.value
    assert "OS: not listed" in app.verdict.value
    app.size.value = "Standard_D4s_v5"
    app.generation.value = 2
    app.as_of.value = "2023-04"
    assert app.report is not None
    assert app.report.snapshot == "2023-04"
    assert app.report.os_supported is True  # RHEL 8.4 was listed in TL-2023
    assert app.report.reasons == ()


def test_compat_explorer_generation_and_gen1_image() -> None:
    app = CompatExplorer(image="MicrosoftWindowsServer:WindowsServer:2022-datacenter-g2:latest")
    assert app.report is not None
    assert app.report.compatible
    app.generation.value = 1
    assert "<code>gen1</code>" in app.reasons.value
    assert "upgrade the Gen1 VM" in app.remediations.value


def test_compat_explorer_input_error_is_shown_not_raised() -> None:
    app = CompatExplorer()
    verdict, report = app.verdict.value, app.report
    app.size.value = "bananas"
    assert "VM size &#x27;bananas&#x27;" in app.error.value
    assert (app.verdict.value, app.report) == (verdict, report)  # the last verdict stays


def test_tlad_explorer_ga_default_and_silent_fallback() -> None:
    app = TladExplorer()
    assert app.decision is not None
    assert app.decision.effective_security_type == "TrustedLaunch"
    assert app.outcome.value.startswith("<b>gets TrustedLaunch</b>")
    assert "api-default-ga" in app.reasons.value
    app.size.value = "Standard_M64s"
    assert app.decision.effective_security_type == "Standard"
    assert app.decision.silent_fallback
    assert "silent fallback" in app.outcome.value


def test_tlad_explorer_explicit_standard_needs_flag() -> None:
    app = TladExplorer()
    app.security_profile.value = "Standard"
    assert app.outcome.value.startswith("<b style='color:#c62828'>refused</b>")
    assert "<code>standard-needs-flag</code>" in app.outcome.value
    app.standard_flag.value = True
    assert app.outcome.value.startswith("<b>gets Standard</b>")
    app.api_version.value = "2024-07-01"
    assert "<code>standard-needs-api</code>" in app.outcome.value
    app.api_version.value = "2021-07-01"  # the securityType enum had no Standard value yet
    assert "<code>standard-not-in-api-version</code>" in app.outcome.value


def test_tlad_explorer_portal_and_bad_image() -> None:
    app = TladExplorer(client="portal")
    assert app.decision is not None
    assert app.decision.effective_security_type == "TrustedLaunch"
    decision = app.decision
    app.image.value = "not an image"
    assert app.decision is decision  # the last decision stays
    assert "⚠" in app.error.value


def test_compat_explorer_features_region_and_os_routing() -> None:
    app = CompatExplorer(as_of="2026-07")
    assert "hibernation" in [key for _, key in app.features.options]
    app.image.value = "Windows Server 2025 Datacenter: Azure Edition"
    assert app.report is not None
    assert app.report.os_detail is not None
    assert app.report.os_detail.os.distro == "windows-server"  # an OS string, not an image URN
    # A Marketplace OS the OS table lists implies its Gen2 image (said in the notes).
    assert app.report.generation == 2
    assert app.report.compatible is True
    assert any(n.startswith("Generation 2 assumed") for n in app.report.notes)
    app.generation.value = 2
    app.image.value = "Ubuntu 22.04"
    app.features.value = ("hibernation",)
    assert app.report.reasons == ("feature-not-supported",)
    app.features.value = ()
    app.region.value = "Mars"
    assert app.report.compatible is True
    assert "Region name &#x27;mars&#x27; is not validated" in app.notes.value


def test_no_dropdown_offers_a_none_value() -> None:
    """A None-valued option renders as an empty box in a real browser (ipywidgets: "no selection")."""
    for app in (CompatExplorer(), TladExplorer()):
        dropdowns = [v for v in vars(app).values() if isinstance(v, w.Dropdown)]
        assert dropdowns
        for d in dropdowns:
            values = [o[1] if isinstance(o, tuple) else o for o in d.options]
            assert None not in values, d.description
            assert d.value is not None, d.description
