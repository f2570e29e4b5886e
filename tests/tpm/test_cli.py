"""``tlkit quote verify`` on the keylime fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import fixture_path
from tests.tpm._fixtures import KEYLIME, KEYLIME_NONCE
from tlkit.cli import main
from tlkit.tpm import Attest, Signature, read_pcrs, write_pcrs_raw


@pytest.fixture
def files() -> Path:
    return fixture_path(KEYLIME)


def _args(d: Path, *extra: str, ak: str = "akpub.pem", pcrs: Path | None = None) -> list[str]:
    return ["quote", "verify", "--ak", str(d / ak), "--msg", str(d / "quote.out"), "--sig",
            str(d / "quotesig.out"), "--pcrs", str(pcrs or d / "quotepcr.out"), *extra]  # fmt: skip


def test_pass(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex())) == 0
    assert capsys.readouterr().out.strip() == "PASS"
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), ak="ak.pub")) == 0


def test_fail_json(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(files, "--nonce", "00" * 20, "--format", "json")) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is False
    assert out["reasons"] == ["nonce-mismatch"]
    assert out["attest"]["pcr_selection"] == "sha256:15,16,22"
    assert main(_args(files, "--nonce-text", "challenge")) == 1
    assert capsys.readouterr().out.strip() == "FAIL: nonce-mismatch"


def test_raw_pcr_values(files: Path, tmp_path: Path) -> None:
    raw = tmp_path / "pcrs.bin"
    raw.write_bytes(write_pcrs_raw(read_pcrs((files / "quotepcr.out").read_bytes())))
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), pcrs=raw)) == 0  # selection from the quote
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), "--selection", "sha256:15,16,22", pcrs=raw)) == 0
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), "--selection", "sha256:15,16,23", pcrs=raw)) == 1


def test_unusable_input(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(files, "--nonce", "zz")) == 2
    assert main(_args(files, "--nonce", "00", ak="quote.out")) == 2
    assert main(_args(files, pcrs=files / "quote.out")) == 2
    assert main(_args(files, pcrs=tmp_path / "missing")) == 2
    assert "tlkit: error:" in capsys.readouterr().err


def test_azure_bare_signature(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An Azure HCL quote: bare PKCS#1 signature, raw SHA-256 PCR values, AK from the HCL report."""
    from cryptography.hazmat.primitives import serialization

    from tests.tpm._fixtures import AZURE, azure
    from tlkit.tpm import PcrValues

    q = azure(AZURE[0])
    assert isinstance(q.signature, Signature)
    (tmp_path / "ak.pem").write_bytes(
        q.ak.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "quote.msg").write_bytes(q.message)
    (tmp_path / "quote.sig").write_bytes(q.signature.rsa or b"")
    (tmp_path / "pcrs.bin").write_bytes(write_pcrs_raw(PcrValues.from_dict(q.pcrs)))
    args = ["quote", "verify", "--ak", str(tmp_path / "ak.pem"), "--msg", str(tmp_path / "quote.msg"),
            "--sig", str(tmp_path / "quote.sig"), "--sig-raw-rsassa", "sha256",
            "--pcrs", str(tmp_path / "pcrs.bin"), "--nonce-text", "challenge"]  # fmt: skip
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "PASS"
    assert main([*args[:-1], "challengf"]) == 1
    capsys.readouterr()
    assert main(args[:8] + args[10:]) == 1  # without --sig-raw-rsassa the bytes are no TPMT_SIGNATURE
    assert capsys.readouterr().out.strip() == "FAIL: signature-invalid"


def _damaged(files: Path, tmp_path: Path) -> Path:
    """The quote message with extraData.size claiming more bytes than follow."""
    msg = bytearray((files / "quote.out").read_bytes())
    msg[4 + 2 + 2 + len(Attest.from_bytes(bytes(msg)).qualified_signer)] = 0x03
    bad = tmp_path / "bad.msg"
    bad.write_bytes(bytes(msg))
    return bad


def test_damaged_message_is_the_same_verdict_with_either_pcr_file(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _damaged(files, tmp_path)
    raw = tmp_path / "pcrs.bin"
    raw.write_bytes(write_pcrs_raw(read_pcrs((files / "quotepcr.out").read_bytes())))
    outputs = []
    for pcrs in (files / "quotepcr.out", raw):
        args = _args(files, "--nonce", KEYLIME_NONCE.hex(), "--format", "json", pcrs=pcrs)
        args[args.index("--msg") + 1] = str(bad)
        assert main(args) == 1
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    assert outputs[0]["reasons"] == ["signature-invalid", "not-a-quote"]


def test_key_on_unsupported_curve_exits_2(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from tlkit.tpm import VirtualTpm

    der = (
        VirtualTpm(seed=1)
        .ak_public.to_cryptography()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    oid = bytes.fromhex("2a8648ce3d030107")  # 1.2.840.10045.3.1.7 (P-256) -> ...3.1.9
    (tmp_path / "odd.der").write_bytes(der.replace(oid, oid[:-1] + b"\x09"))
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), ak=str(tmp_path / "odd.der"))) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlkit: error:")
    assert "1.2.840.10045.3.1.9" in err
    assert "Traceback" not in err
