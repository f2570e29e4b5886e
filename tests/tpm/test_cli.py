"""``tlkit quote verify`` on the keylime fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import fixture_path
from tests.tpm._fixtures import KEYLIME, KEYLIME_NONCE
from tlkit.cli import main
from tlkit.tpm import Attest, PcrSelection, Signature, read_pcrs, write_pcrs_raw


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


# ---------------------------------------------------------------------------- selections, JSON, input
@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["sha256:0-23"], {"sha256": list(range(24))}),
        (["sha256:all"], {"sha256": list(range(24))}),
        (["sha256:15-16,22"], {"sha256": [15, 16, 22]}),
        (["sha1:0,1+sha256:0-7"], {"sha1": [0, 1], "sha256": list(range(8))}),
        (["sha1:0;sha256:3"], {"sha1": [0], "sha256": [3]}),
        (["sha256:0-2", "sha1:5", "sha256:7"], {"sha256": [0, 1, 2, 7], "sha1": [5]}),
        (["SHA256: 4 - 5 , 9"], {"sha256": [4, 5, 9]}),
    ],
)
def test_selection_ranges_lists_banks_and_repeats(specs: list[str], expected: dict[str, list[int]]) -> None:
    from tlkit.tpm._cli import parse_selection

    sel = parse_selection(specs)
    assert sel == PcrSelection.of(expected)
    assert [a.name for a in sel.banks] == list(expected)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sha256:0-3x", "bad PCR '3x' in selection 'sha256:0-3x'"),
        ("sha256:7-3", "bad PCR range '7-3' in selection 'sha256:7-3'"),
        ("sha256:0-9999", "bad PCR '9999' in selection 'sha256:0-9999'"),
        ("sha256:0x10", "bad PCR '0x10'"),
        ("sha256:1,,2", "bad PCR ''"),
        ("sha256", "selection 'sha256' is not BANK:PCRS"),
        (":1", "selection ':1' is not BANK:PCRS"),
        ("+", "empty PCR selection"),
        ("md99:1", "md99"),
    ],
)
def test_bad_selection_names_the_token(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    raw = tmp_path / "pcrs.bin"
    raw.write_bytes(write_pcrs_raw(read_pcrs((files / "quotepcr.out").read_bytes())))
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), "--selection", spec, pcrs=raw)) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlkit: error: ")
    assert message in err


def test_selection_range_on_a_raw_file(files: Path, tmp_path: Path) -> None:
    raw = tmp_path / "pcrs.bin"
    raw.write_bytes(write_pcrs_raw(read_pcrs((files / "quotepcr.out").read_bytes())))
    nonce = KEYLIME_NONCE.hex()
    assert (
        main(
            _args(
                files, "--nonce", nonce, "--selection", "sha256:15-16", "--selection", "sha256:22", pcrs=raw
            )
        )
        == 0
    )
    assert main(_args(files, "--nonce", nonce, "--selection", "sha256:15-17", pcrs=raw)) == 1


def test_json_carries_the_quoted_pcr_values(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(files, "--nonce", KEYLIME_NONCE.hex(), "--format", "json")) == 0
    out = json.loads(capsys.readouterr().out)
    expected = read_pcrs((files / "quotepcr.out").read_bytes())
    assert out["pcrs"] == {"sha256": {str(p): v.hex() for _, p, v in expected.items()}}
    assert list(out["pcrs"]["sha256"]) == ["15", "16", "22"]


def test_json_pcrs_only_what_the_quote_selects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A PCR file with more values than the quote covers fails (the sets must be equal), and its
    JSON still reports only the quoted PCRs; the exact file passes with the same values."""
    from tlkit.tpm import VirtualTpm, write_pcrs_serialized

    vtpm = VirtualTpm(seed=3, banks=("sha256",))
    vtpm.pcrs.extend(7, bytes(range(32)), "sha256")
    q = vtpm.quote("sha256:7", b"n")
    (tmp_path / "ak.pem").write_bytes(vtpm.ak_pem)
    (tmp_path / "q.msg").write_bytes(q.message)
    (tmp_path / "q.sig").write_bytes(q.signature)
    wider = vtpm.pcrs.values(PcrSelection.of({"sha256": [0, 7, 8]}))
    (tmp_path / "q.pcrs").write_bytes(write_pcrs_raw(wider))
    args = ["quote", "verify", "--ak", str(tmp_path / "ak.pem"), "--msg", str(tmp_path / "q.msg"),
            "--sig", str(tmp_path / "q.sig"), "--pcrs", str(tmp_path / "q.pcrs"), "--nonce-text", "n",
            "--selection", "sha256:0,7-8", "--format", "json"]  # fmt: skip
    assert main(args) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["reasons"] == ["pcr-selection-mismatch"]
    assert out["pcrs"] == {"sha256": {"7": vtpm.pcrs.read(7, "sha256").hex()}}
    (tmp_path / "s.pcrs").write_bytes(write_pcrs_serialized(q.pcrs))
    assert main([*args[:9], str(tmp_path / "s.pcrs"), *args[10:12], "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["pcrs"] == out["pcrs"]


def test_oversized_and_unreadable_inputs(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.sig"
    big.write_bytes(bytes((1 << 20) + 1))
    exact = tmp_path / "exact.sig"
    exact.write_bytes(bytes(1 << 20))
    args = _args(files, "--nonce", KEYLIME_NONCE.hex())
    i = args.index("--sig") + 1
    assert main([*args[:i], str(big), *args[i + 1 :]]) == 2
    assert (
        capsys.readouterr().err
        == f"tlkit: error: {big}: quote signature is larger than the 1 MiB the command reads\n"
    )
    assert main([*args[:i], str(exact), *args[i + 1 :]]) == 1  # at the cap: read, and not a signature
    assert capsys.readouterr().out.startswith("FAIL: ")
    assert main(_args(files, ak="/dev/zero")) == 2
    assert "/dev/zero: AK public key is larger than the 1 MiB" in capsys.readouterr().err
    assert main(_args(files, ak=str(tmp_path))) == 2
    assert capsys.readouterr().err == f"tlkit: error: {tmp_path}: Is a directory\n"


def test_errors_name_the_file_they_come_from(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(files, "--nonce", "00", ak="quote.out")) == 2
    assert capsys.readouterr().err.startswith(f"tlkit: error: {files / 'quote.out'}: ")
    junk = tmp_path / "junk.pcrs"
    junk.write_bytes(b"\x01\x02\x03")
    assert main(_args(files, "--nonce", "00", "--selection", "sha256:0", pcrs=junk)) == 2
    assert capsys.readouterr().err.startswith(f"tlkit: error: {junk}: ")
    assert main(_args(files, "--sig-raw-rsassa", "md99")) == 2
    assert capsys.readouterr().err.startswith("tlkit: error: --sig-raw-rsassa: ")


def test_nonce_text_that_is_not_text(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-UTF-8 byte on the command line arrives as a lone surrogate (PEP 383)."""
    assert main(_args(files, "--nonce-text", "chall\udcffenge")) == 2
    err = capsys.readouterr().err
    assert err == (
        "tlkit: error: --nonce-text is not valid text (undecodable bytes on the command line); "
        "give the nonce as hex with --nonce [field 'nonce']\n"
    )
