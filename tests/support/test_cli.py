"""``tlkit check`` / ``tlkit tlad``: output shape and exit codes."""

from __future__ import annotations

import json

import pytest

from tlkit.cli import main

JAMMY = "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_compatible_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--size",
        "Standard_D4s_v5",
        "--image",
        JAMMY,
        "--as-of",
        "2025-04",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["compatible"] is True
    assert data["size_status"] == "supported"
    assert data["os_supported"] is True
    assert data["blockers"] == []
    assert data["snapshot"] == "2025-04"


def test_check_not_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--size",
        "Standard_D2_v3",
        "--os",
        "Ubuntu 22.04",
        "--generation",
        "1",
        "--as-of",
        "2026-07",
        "--format",
        "json",
    )
    assert code == 1
    data = json.loads(out)
    assert [b["code"] for b in data["blockers"]] == ["size-not-supported", "gen1"]
    assert all(b["remediation"] for b in data["blockers"])


def test_check_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--size",
        "Standard_M128ms",
        "--os",
        "Ubuntu 22.04",
        "--generation",
        "2",
        "--feature",
        "managed image",
    )
    assert code == 1
    assert "BLOCKER size-not-supported" in out
    assert "BLOCKER managed-image" in out
    assert "remediation: Use Azure Compute Gallery instead of a managed image" in out


def test_check_gallery_image_os(capsys: pytest.CaptureFixture[str]) -> None:
    gid = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d"
    code, out, _ = run(
        capsys,
        "check",
        "--size",
        "Standard_D4s_v5",
        "--image",
        gid,
        "--image-os",
        "RHEL 9.4",
        "--generation",
        "2",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["os"] == "Red Hat Enterprise Linux 9.4"


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "--size", "Standard_D4qs_v5"),
        ("check", "--size", "Standard_D4s_v5", "--image", "nonsense"),
        ("check", "--size", "Standard_D4s_v5", "--feature", "teleportation"),
        ("check", "--size", "Standard_D4s_v5", "--as-of", "2019-01"),
        ("tlad", "--client", "arm", "--size", "Standard_D4s_v5", "--image", JAMMY),
    ],
)
def test_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("tlkit: error: ")


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["check", "--generation", "3", "--size", "Standard_D4s_v5"])
    assert e.value.code == 2
    capsys.readouterr()


def test_tlad_default_ga(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "tlad",
        "--client",
        "arm",
        "--api-version",
        "2025-11-01",
        "--no-security-profile",
        "--size",
        "Standard_D4s_v5",
        "--image",
        JAMMY,
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["effective_security_type"] == "TrustedLaunch"
    assert data["stage"] == "ga"


def test_tlad_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "tlad",
        "--client",
        "arm",
        "--api-version",
        "2025-11-01",
        "--security-type",
        "Standard",
        "--size",
        "Standard_D4s_v5",
        "--image",
        JAMMY,
    )
    assert code == 1
    assert "ERROR standard-needs-flag: securityProfile.securityType is invalid" in out
    code, out, _ = run(
        capsys,
        "tlad",
        "--client",
        "arm",
        "--api-version",
        "2025-11-01",
        "--security-type",
        "Standard",
        "--flag",
        "UseStandardSecurityType",
        "--size",
        "Standard_D4s_v5",
        "--image",
        JAMMY,
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["effective_security_type"] == "Standard"


def test_tlad_preview_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "tlad",
        "--client",
        "bicep",
        "--api-version",
        "2023-09-01",
        "--flag",
        "TrustedLaunchByDefaultPreview",
        "--size",
        "Standard_M128ms",
        "--image",
        JAMMY,
        "--as-of",
        "2025-04",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["effective_security_type"], data["silent_fallback"]) == ("Standard", True)


def test_check_undetermined_is_null_in_json_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    gallery = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/galleries/g/images/d"
    code, out, _ = run(capsys, "check", "--size", "Standard_D2s_v5", "--image", gallery, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert (data["compatible"], data["verdict"]) == (None, "undetermined")
    assert data["undetermined"] == ["generation-unknown", "image-undetermined"]
    code, out, _ = run(capsys, "check", "--size", "Standard_D2s_v5", "--image", gallery)
    assert "compatible: undetermined (generation-unknown, image-undetermined)" in out


def test_tlad_unknown_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "tlad",
        "--client",
        "arm",
        "--api-version",
        "2025-11-01",
        "--size",
        "Standard_D2s_v5",
        "--image",
        JAMMY,
        "--flag",
        "Bogus",
    )
    assert code == 2
    assert "known: TrustedLaunchByDefaultPreview, UseStandardSecurityType" in err


def test_readme_check_example_reaches_a_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    """README: tlkit check --size Standard_D4s_v5 --os "Ubuntu 22.04" (Gen2 implied, said in a note)."""
    code, out, _ = run(capsys, "check", "--size", "Standard_D4s_v5", "--os", "Ubuntu 22.04")
    assert code == 0
    assert "compatible: compatible" in out
    assert "Generation 2 assumed" in out
    assert "--generation 1|2" in out


def test_cli_notes_name_the_cli_option(capsys: pytest.CaptureFixture[str]) -> None:
    gallery = (
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0"
    )
    _, out, _ = run(capsys, "check", "--size", "Standard_D4s_v5", "--image", gallery)
    assert "pass --generation 1|2" in out
    assert "generation=1|2" not in out
    _, out, _ = run(capsys, "check", "--size", "Standard_D4s_v5", "--image", gallery, "--format", "json")
    notes = json.loads(out)["notes"]
    assert any("--generation 1|2" in n for n in notes)


def test_every_option_and_positional_has_help() -> None:
    import argparse

    from tlkit.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path}: {action.option_strings or action.dest}")
        return missing

    parser = build_parser("check")
    assert walk(parser, "tlkit") == []


def test_support_cli_parsers_build_without_heavy_imports_or_data() -> None:
    import subprocess
    import sys

    code = (
        "import sys, argparse, os\n"
        "os.environ['TLKIT_DATA_DIR'] = '/nonexistent'\n"
        "import tlkit.support._cli as c, tlkit.support._inventory_cli\n"
        "p = argparse.ArgumentParser(); c.register(p.add_subparsers())\n"
        "p.format_help()\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'pyarrow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
