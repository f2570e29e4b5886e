"""``tlkit attest``: exit codes and outputs on simulated evidence, real Azure documents and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import fixture_path
from tlkit.cli import main

AZURE = "fluorite/libraries/attestation/azure-trusted-launch-attestation/test_data"
DOC = f"{AZURE}/azure_trusted_launch_vm_attestation_document.json"
ROOT = Path(__file__).parents[2] / "data" / "attest" / "azure-virtual-tpm-root-ca-2023.pem"


def _simulate(tmp_path: Path, scenario: str) -> Path:
    out = tmp_path / scenario
    assert main(["boot", "simulate", "--scenario", scenario, "--out", str(out)]) == 0
    return out


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_verify_passes_a_healthy_simulated_boot_with_its_nonce(tmp_path: Path, capsys) -> None:
    d = _simulate(tmp_path, "healthy-ubuntu-sb")
    capsys.readouterr()
    nonce = (d / "nonce.hex").read_text().strip()
    assert (
        main(
            [
                "attest",
                "verify",
                str(d),
                "--nonce",
                nonce,
                "--trusted-ak",
                str(d / "ak.pem"),
                "--format",
                "json",
            ]
        )
        == 0
    )
    doc = _json(capsys)
    assert doc["passed"] is True
    assert doc["ak_trust"] == "verified"
    assert doc["claims"]["secureboot"] is True
    assert doc["claims"]["x-ms-azurevm-ostype"] == "Linux"
    assert doc["claims"]["nonce"] == nonce


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        ("secure-boot-off", "secure-boot-disabled"),
        ("bootkit", "no-evidence"),
        ("unsigned-kernel-module", "untrusted-kernel-module"),
    ],
)
def test_verify_fails_a_failing_scenario_with_its_reason(
    tmp_path: Path, capsys, scenario: str, code: str
) -> None:
    d = _simulate(tmp_path, scenario)
    capsys.readouterr()
    assert main(["attest", "verify", str(d), "--format", "json"]) == 1
    doc = _json(capsys)
    assert doc["passed"] is False
    assert any(r.split(":")[0] == code for r in doc["reasons"])
    assert doc["claims"] is None


def test_baseline_then_kernel_update_deviates(tmp_path: Path, capsys) -> None:
    healthy, update = _simulate(tmp_path, "healthy-ubuntu-sb"), _simulate(tmp_path, "kernel-update")
    base = tmp_path / "baseline.json"
    assert main(["attest", "baseline", str(healthy), "--out", str(base)]) == 0
    assert main(["attest", "verify", str(healthy), "--baseline", str(base)]) == 0
    capsys.readouterr()
    assert main(["attest", "verify", str(update), "--baseline", str(base), "--format", "json"]) == 1
    assert any(r.startswith("baseline-deviation:pcr4") for r in _json(capsys)["reasons"])
    keylime = tmp_path / "refstate.json"
    assert main(["attest", "baseline", str(healthy), "--out", str(keylime), "--keylime"]) == 0
    assert "kernels" in json.loads(keylime.read_text())
    # read back as keylime judges: its example policy has no rule for Hyper-V's PCR 6 VM-UUID event
    capsys.readouterr()
    assert main(["attest", "verify", str(healthy), "--baseline", str(keylime), "--format", "json"]) == 1
    deviations = [r for r in _json(capsys)["reasons"] if r.startswith("baseline-deviation")]
    assert deviations[0].startswith("baseline-deviation:pcr6")


def test_real_azure_document_chain_at_a_time_and_expired_now(tmp_path: Path, capsys) -> None:
    doc = str(fixture_path(DOC))
    base = tmp_path / "golden.json"
    assert main(["attest", "baseline", doc, "--out", str(base)]) == 0
    capsys.readouterr()
    args = ["attest", "verify", doc, "--ak-roots", str(ROOT), "--baseline", str(base), "--format", "json"]
    assert main([*args, "--at", "2025-06-01"]) == 0
    good = _json(capsys)
    assert good["ak_trust"] == "verified"
    assert good["log"] == "absent"
    assert main(args) == 1
    assert "ak-untrusted:chain-expired" in _json(capsys)["reasons"]


def test_token_round_trip_and_failure_gets_no_token(tmp_path: Path, capsys) -> None:
    from cryptography.hazmat.primitives import serialization

    from tlkit.attest import seeded_signing_key

    key = tmp_path / "key.pem"
    key.write_bytes(
        seeded_signing_key(1).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    healthy, off = _simulate(tmp_path, "healthy-ubuntu-sb"), _simulate(tmp_path, "secure-boot-off")
    capsys.readouterr()
    jwks = tmp_path / "jwks.json"
    assert main(["attest", "token", str(healthy), "--key", str(key), "--jwks-out", str(jwks)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["attest", "check-token", token, "--jwks", str(jwks)]) == 0
    capsys.readouterr()
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert main(["attest", "check-token", forged, "--jwks", str(jwks)]) == 1
    capsys.readouterr()
    assert main(["attest", "token", str(off), "--key", str(key)]) == 1
    assert "no token" in capsys.readouterr().out


def test_unusable_input_is_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["attest", "verify", str(tmp_path / "missing")]) == 2
    d = tmp_path / "partial"
    d.mkdir()
    (d / "quote.msg").write_bytes(b"x")
    assert main(["attest", "verify", str(d)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cases_lists_every_lab_case(capsys) -> None:
    from tlkit.attest import case_names

    assert main(["attest", "cases", "--format", "json"]) == 0
    assert [r["case"] for r in _json(capsys)] == list(case_names())
