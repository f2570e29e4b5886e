"""The pieces of ``tlkit attest token`` / ``check-token``: exit 0 valid, 1 invalid, and unusable input
raised as DataError / OSError (which ``tlkit.cli`` turns into exit 2 with a one-line message)."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from tests.attest._token_fixtures import ISSUED_AT, good_token, issuer, linux_facts
from tlkit._io import SMALL_FILE_CAP
from tlkit.attest._aktrust import parse_at
from tlkit.attest._token import TokenCheck, seeded_signing_key
from tlkit.attest._token_cli import (
    add_check_token_arguments,
    add_token_arguments,
    check_token_main,
    load_signing_key,
    read_token_argument,
    render_token_check,
    token_main,
)
from tlkit.errors import DataError

AT = "2026-12-03T13:00:00Z"


def _pem(key: Any, password: bytes | None = None) -> bytes:
    algorithm = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "signer.pem"
    path.write_bytes(_pem(issuer().key))
    return path


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(issuer().jwks()))
    return path


def check_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_check_token_arguments(parser)
    return check_token_main(parser.parse_args(argv))


def token_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_token_arguments(parser)
    return token_main(parser.parse_args(argv), linux_facts())


def test_issue_then_check_round_trip(
    key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwks_out = tmp_path / "out.jwks"
    assert (
        token_cli(["--key", str(key_file), "--at", ISSUED_AT.isoformat(), "--jwks-out", str(jwks_out)]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert token == good_token()
    assert json.loads(jwks_out.read_text()) == issuer().jwks()
    assert "d" not in json.loads(jwks_out.read_text())["keys"][0]
    assert check_cli([token, "--jwks", str(jwks_out), "--at", AT]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID\n")
    assert "  x-ms-azurevm-attested-pcrs: [0, 1, 2, 3, 4, 5, 6, 7]" in out
    assert f"kid: {issuer().kid}" in out


def test_token_from_file_and_stdin(
    jwks_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token.jwt"
    path.write_text(good_token() + "\n")
    assert check_cli([str(path), "--jwks", str(jwks_file), "--at", AT]) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(good_token().encode())))
    assert check_cli(["-", "--jwks", str(jwks_file), "--at", AT]) == 0
    capsys.readouterr()


def test_invalid_token_is_exit_1_with_reasons(jwks_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_cli([good_token(), "--jwks", str(jwks_file), "--at", "2027-01-01T00:00:00Z"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == "INVALID: token-expired"
    assert check_cli([good_token(), "--jwks", str(jwks_file), "--at", AT, "--issuer", "https://x"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == "INVALID: token-issuer-mismatch"


def test_json_output(jwks_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_cli([good_token(), "--jwks", str(jwks_file), "--at", AT, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] is True
    assert doc["claims"]["secureboot"] is True
    assert doc["checks"][-1] == "lifetime"
    assert check_cli(["x.y.z", "--jwks", str(jwks_file), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["passed"], doc["reasons"], doc["claims"]) == (False, ["token-malformed"], None)


def test_a_garbage_token_file_is_the_malformed_verdict(
    jwks_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(bytes(range(256)))
    assert check_cli([str(path), "--jwks", str(jwks_file)]) == 1
    assert capsys.readouterr().out.startswith("INVALID: token-malformed")


def test_wrong_jwks_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"keys": []}))
    assert check_cli([good_token(), "--jwks", str(other), "--at", AT]) == 1
    assert capsys.readouterr().out.startswith("INVALID: token-unknown-kid")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ("[]", "JWK set"),
        (json.dumps({"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}), "only RSA"),
    ],
)
def test_unusable_jwks_file_is_a_data_error_naming_it(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(DataError) as e:
        check_cli([good_token(), "--jwks", str(path)])
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_missing_files_are_os_errors(jwks_file: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_cli([good_token(), "--jwks", str(tmp_path / "missing.json")])
    with pytest.raises(FileNotFoundError):
        check_cli([str(tmp_path / "missing-token"), "--jwks", str(jwks_file)])
    with pytest.raises(FileNotFoundError):
        load_signing_key(tmp_path / "missing.pem")


def test_oversized_token_file_and_bad_times_are_data_errors(jwks_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"A" * (SMALL_FILE_CAP + 1))
    with pytest.raises(DataError):
        check_cli([str(path), "--jwks", str(jwks_file)])
    with pytest.raises(DataError):
        check_cli([good_token(), "--jwks", str(jwks_file), "--at", "yesterday"])
    with pytest.raises(DataError):
        check_cli([good_token(), "--jwks", str(jwks_file), "--leeway", "-5"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a PEM private key"),
        (_pem(seeded_signing_key(3), b"pw"), "encrypted"),
        (_pem(ec.derive_private_key(5, ec.SECP256R1())), "RSA"),
        (_pem(rsa.generate_private_key(65537, 1024)), "1024 bits"),
    ],
)
def test_unusable_signing_keys_are_data_errors_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(content)
    with pytest.raises(DataError) as e:
        load_signing_key(path)
    assert str(path) in str(e.value)
    assert message in str(e.value)


def test_parse_time() -> None:
    assert parse_at("2026-12-03T13:00:00Z") == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert parse_at("2026-12-03T13:00:00") == datetime(2026, 12, 3, 13, tzinfo=UTC)  # no offset: UTC
    assert parse_at("2026-12-03T14:00:00+01:00") == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert parse_at("0") == datetime(1970, 1, 1, tzinfo=UTC)
    assert abs(parse_at("now") - datetime.now(UTC)).total_seconds() < 60
    for bad in ("", "yesterday", "99999999999999999999", "2026-13-01"):
        with pytest.raises(DataError):
            parse_at(bad)


def test_read_token_argument_prefers_an_existing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.b.c").write_text("from-file\n")
    assert read_token_argument("a.b.c") == b"from-file"
    assert read_token_argument("x.y.z") == b"x.y.z"
    with pytest.raises(FileNotFoundError):
        read_token_argument("no-such-file")


def test_render_of_a_failure_shows_reasons_and_checks() -> None:
    text = render_token_check(TokenCheck(False, ("token-expired",), ("structure", "lifetime"), "k"))
    assert text == "INVALID: token-expired\nchecks: structure, lifetime\nkid: k"


@given(st.text(max_size=64))
def test_parse_time_gives_an_aware_time_or_a_data_error(text: str) -> None:
    try:
        when = parse_at(text)
    except DataError:
        return
    assert when.tzinfo is not None
