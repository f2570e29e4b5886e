"""Token forgeries are rejected, each with its named reason; any one-character change is rejected;
what is not a JWT is ``token-malformed`` and never an exception (issue 9, "Security tests")."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm

from tests.attest._token_fixtures import ISSUED_AT, good_token, issuer, linux_facts
from tlkit.attest._token import (
    MAX_TOKEN_LENGTH,
    REASONS,
    JwkSet,
    check_token,
    issue_token,
    jwks,
    key_id,
    seeded_signing_key,
)
from tlkit.errors import DataError

NOW = ISSUED_AT + timedelta(hours=1)
TRUSTED = JwkSet.from_dict(issuer().jwks())
KID = issuer().kid
ATTACKER = seeded_signing_key(8)
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict[str, Any]) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def claims() -> dict[str, Any]:
    return issuer().claims(linux_facts(), issued_at=ISSUED_AT)


def rs256(header: dict[str, Any], payload: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A token signed with ``key`` over any header (PyJWT would add/override members)."""
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def check(token: str | bytes, **kwargs: Any) -> tuple[str, ...]:
    return check_token(token, TRUSTED, now=kwargs.pop("now", NOW), **kwargs).reasons


def test_the_genuine_token_passes_with_its_claims() -> None:
    result = check_token(good_token(), TRUSTED, now=NOW, issuer=issuer().issuer)
    assert result.passed
    assert bool(result)
    assert result.reasons == ()
    assert result.claims == claims()
    assert result.kid == KID
    assert result.checks == (
        "structure",
        "algorithm",
        "header-keys",
        "kid",
        "signature",
        "required-claims",
        "lifetime",
        "issuer",
    )
    assert jwt.get_unverified_header(good_token()) == {"alg": "RS256", "kid": KID, "typ": "JWT"}


def test_issuing_is_deterministic() -> None:
    assert good_token() == issuer().issue(linux_facts(), issued_at=ISSUED_AT)


# ----------------------------------------------------------------------------- algorithm
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("signature", ["", "c2ln"])
def test_alg_none_is_rejected(alg: str, signature: str) -> None:
    token = f"{segment({'alg': alg, 'kid': KID, 'typ': 'JWT'})}.{segment(claims())}.{signature}"
    assert check(token) == ("token-alg-not-allowed",)


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_signed_with_the_rsa_public_key_is_rejected(encoding: serialization.Encoding, alg: str) -> None:
    """Key confusion: the attacker HMACs with the (public) RSA key's bytes as the secret."""
    secret = issuer().key.public_key().public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{segment({'alg': alg, 'kid': KID, 'typ': 'JWT'})}.{segment(claims())}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    token = f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), digest).digest())}"
    assert check(token) == ("token-alg-not-allowed",)


@pytest.mark.parametrize("alg", ["RS512", "PS256", "ES256", "EdDSA", "", None, 256, ["RS256"]])
def test_any_other_alg_is_rejected(alg: object) -> None:
    header = {"alg": alg, "kid": KID, "typ": "JWT"}
    assert check(rs256(header, claims(), issuer().key)) == ("token-alg-not-allowed",)
    assert check(rs256({"kid": KID}, claims(), issuer().key)) == ("token-alg-not-allowed",)


# ---------------------------------------------------------------------------------- keys
def test_a_token_signed_by_a_wrong_key_under_the_trusted_kid_is_rejected() -> None:
    token = issue_token(claims(), ATTACKER, kid=KID)
    assert check(token) == ("token-signature-invalid",)


def test_a_token_whose_kid_is_not_in_the_jwks_is_rejected() -> None:
    assert check(issue_token(claims(), ATTACKER, kid=key_id(ATTACKER))) == ("token-unknown-kid",)
    assert check(rs256({"alg": "RS256", "typ": "JWT"}, claims(), issuer().key)) == ("token-unknown-kid",)
    assert check(rs256({"alg": "RS256", "kid": 7}, claims(), issuer().key)) == ("token-unknown-kid",)


def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(ISSUED_AT - timedelta(days=1))
        .not_valid_after(ISSUED_AT + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize("param", ["jwk", "jku", "x5u", "x5c"])
def test_a_header_that_brings_its_own_key_is_rejected(param: str) -> None:
    own: dict[str, Any] = {
        "jwk": RSAAlgorithm.to_jwk(ATTACKER.public_key(), as_dict=True),
        "jku": "https://attacker.example/certs",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": [base64.b64encode(_self_signed(ATTACKER).public_bytes(serialization.Encoding.DER)).decode()],
    }
    for kid in (KID, key_id(ATTACKER)):
        header = {"alg": "RS256", "kid": kid, "typ": "JWT", param: own[param]}
        assert check(rs256(header, claims(), ATTACKER)) == ("token-header-key-not-allowed",)
    # refused even when the token is otherwise genuine: a token may not carry key material
    header = {"alg": "RS256", "kid": KID, "typ": "JWT", param: own[param]}
    assert check(rs256(header, claims(), issuer().key)) == ("token-header-key-not-allowed",)


def test_a_critical_header_extension_is_refused() -> None:
    header = {"alg": "RS256", "kid": KID, "crit": ["exp"], "exp": 1}
    assert check(rs256(header, claims(), issuer().key)) == ("token-malformed",)
    header = {"alg": "RS256", "kid": KID, "b64": False, "crit": ["b64"]}
    assert check(rs256(header, claims(), issuer().key)) == ("token-malformed",)


# ------------------------------------------------------------------------------ payload
def test_a_changed_claim_under_the_original_signature_is_rejected() -> None:
    head, _, sig = good_token().split(".")
    for change in ({"secureboot": False}, {"exp": claims()["exp"] + 86400}, {"nonce": "00"}):
        assert check(f"{head}.{segment({**claims(), **change})}.{sig}") == ("token-signature-invalid",)


def test_signature_of_one_token_on_another_is_rejected() -> None:
    other = issuer().issue(linux_facts(secure_boot=False), issued_at=ISSUED_AT)
    assert check(".".join([*good_token().split(".")[:2], other.split(".")[2]])) == (
        "token-signature-invalid",
    )


@pytest.mark.parametrize("name", ["iss", "iat", "nbf", "exp", "x-ms-attestation-type"])
def test_a_signed_token_without_a_required_claim_is_rejected(name: str) -> None:
    payload = {k: v for k, v in claims().items() if k != name}
    assert check(issue_token(payload, issuer().key, kid=KID)) == (f"token-claims-missing:{name}",)
    payload[name] = None
    assert check(rs256({"alg": "RS256", "kid": KID}, payload, issuer().key)) == (
        f"token-claims-missing:{name}",
    )


def test_all_missing_claims_are_named_in_order() -> None:
    token = issue_token({"secureboot": True}, issuer().key, kid=KID)
    assert check(token) == ("token-claims-missing:iss,iat,nbf,exp,x-ms-attestation-type",)


@pytest.mark.parametrize("value", ["soon", True, None, [1], {"a": 1}])
def test_a_time_claim_that_is_not_a_number_is_malformed(value: object) -> None:
    payload = {**claims(), "nbf": value}
    reasons = check(issue_token(payload, issuer().key, kid=KID))
    assert reasons == (("token-claims-missing:nbf",) if value is None else ("token-malformed",))


# --------------------------------------------------------------------------------- time
def test_expiry_and_not_before_boundaries() -> None:
    c = claims()
    token = good_token()
    assert check(token, now=c["exp"] - 1) == ()
    assert check(token, now=c["exp"]) == ("token-expired",)  # exp <= now (RFC 7519 4.1.4)
    assert check(token, now=ISSUED_AT + timedelta(days=30)) == ("token-expired",)
    assert check(token, now=c["nbf"]) == ()
    assert check(token, now=c["nbf"] - 1) == ("token-not-yet-valid",)
    assert check(token, now=ISSUED_AT - timedelta(days=1)) == ("token-not-yet-valid",)
    assert check(token, now=c["exp"] + 9, leeway=10) == ()
    assert check(token, now=c["nbf"] - 10, leeway=timedelta(seconds=10)) == ()


def test_iat_in_the_future_is_not_yet_valid() -> None:
    payload = {**claims(), "iat": claims()["iat"] + 3600 * 2}
    assert check(issue_token(payload, issuer().key, kid=KID)) == ("token-not-yet-valid",)


def test_issuer_mismatch_and_several_claim_failures_are_all_reported() -> None:
    assert check(good_token(), issuer="https://sharedeus.eus.attest.azure.net") == ("token-issuer-mismatch",)
    reasons = check(good_token(), now=ISSUED_AT + timedelta(days=1), issuer="https://other.example")
    assert reasons == ("token-expired", "token-issuer-mismatch")


@pytest.mark.parametrize(
    "bad", [{"now": ISSUED_AT.replace(tzinfo=None)}, {"leeway": -1}, {"now": float("nan")}]
)
def test_unusable_check_parameters_raise(bad: dict[str, Any]) -> None:
    with pytest.raises(DataError):
        check_token(good_token(), TRUSTED, **{"now": NOW, **bad})


# ------------------------------------------------------------------------------- structure
def test_every_single_character_change_is_rejected() -> None:
    token = good_token()
    seen: set[str] = set()
    for i, c in enumerate(token):
        swaps = [B64URL[(B64URL.index(c) + 1) % 64] if c in B64URL else "A", "." if c != "." else "=", "é"]
        for new in swaps:
            forged = token[:i] + new + token[i + 1 :]
            result = check_token(forged, TRUSTED, now=NOW)
            assert not result.passed, (i, c, new)
            assert result.claims is None
            seen.update(result.reasons)
    assert seen <= {
        "token-malformed",
        "token-signature-invalid",
        "token-alg-not-allowed",
        "token-unknown-kid",
    }
    assert {"token-malformed", "token-signature-invalid"} <= seen


def test_unused_trailing_bits_of_the_signature_are_refused() -> None:
    """256 signature bytes take 342 base64url characters whose last 4 bits are unused: a lenient
    decoder reads ``...Q`` and ``...R`` as the same signature. Only the canonical spelling passes."""
    token = good_token()
    last = token[-1]
    twin = B64URL[B64URL.index(last) ^ 1]
    forged = token[:-1] + twin
    assert base64.urlsafe_b64decode(forged.split(".")[2] + "==") == base64.urlsafe_b64decode(
        token.split(".")[2] + "=="
    )
    assert check(forged) == ("token-malformed",)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c.d",
        "e30.e30",
        "W10.e30.",  # header is a JSON array
        "e30.W10.",  # payload is a JSON array
        "bm9uZQ.e30.",  # header is not JSON
        "e30=.e30.",  # padding
        " " + "e30.e30.",
        "e30.e30.\n",
        "\udcff.e30.",  # a lone surrogate
    ],
)
def test_shapes_that_are_not_a_jws_are_malformed(token: str) -> None:
    assert check(token) == ("token-malformed",)


def test_repeated_member_names_are_malformed() -> None:
    good_head, payload, sig = good_token().split(".")
    doubled = b64(b'{"alg":"RS256","alg":"none","kid":"%s","typ":"JWT"}' % KID.encode())
    assert check(f"{doubled}.{payload}.{sig}") == ("token-malformed",)
    body = json.dumps(claims(), separators=(",", ":"))[:-1] + ',"secureboot":false}'
    assert check(f"{good_head}.{b64(body.encode())}.{sig}") == ("token-malformed",)


def test_deeply_nested_json_is_malformed_not_a_crash() -> None:
    deep = b64(b"[" * 100_000 + b"]" * 100_000)
    assert check(f"{deep}.e30.") == ("token-malformed",)
    assert check(f"e30.{deep}.") == ("token-malformed",)


def test_a_huge_token_is_malformed() -> None:
    token = good_token()
    huge = token[:-1] + "A" * (MAX_TOKEN_LENGTH - len(token) + 2)
    assert check(huge) == ("token-malformed",)


@given(st.binary(max_size=2048))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = check_token(data, TRUSTED, now=NOW)
    assert not result.passed
    assert {r.split(":")[0] for r in result.reasons} <= set(REASONS)
    if not data.isascii() or b"." not in data:
        assert result.reasons == ("token-malformed",)


@given(st.text(max_size=2048))
def test_random_text_never_raises(text: str) -> None:
    result = check_token(text, TRUSTED, now=NOW)
    assert not result.passed
    if not text.isascii():
        assert result.reasons == ("token-malformed",)


@given(st.lists(st.text(alphabet=B64URL, max_size=400), min_size=1, max_size=5))
def test_random_base64url_segments_never_raise(parts: list[str]) -> None:
    result = check_token(".".join(parts), TRUSTED, now=NOW)
    assert not result.passed
    assert {r.split(":")[0] for r in result.reasons} <= set(REASONS)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=10,
    )
)
def test_random_json_header_and_payload_never_raise(value: object) -> None:
    seg = b64(json.dumps(value).encode())
    for token in (f"{seg}.{segment(claims())}.", f"{segment({'alg': 'RS256', 'kid': KID})}.{seg}.AA"):
        result = check_token(token, TRUSTED, now=NOW)
        assert not result.passed


@pytest.mark.parametrize("token", [None, 12, ["a.b.c"], b"\xff.\xfe.\xfd"])
def test_a_token_of_another_type_is_malformed(token: Any) -> None:
    assert check(token) == ("token-malformed",)


# ---------------------------------------------------------------------------------- JWKS
def test_jwks_publishes_public_rsa_keys_only_and_reads_back() -> None:
    doc = jwks([issuer().key, ATTACKER.public_key()])
    assert [k["kid"] for k in doc["keys"]] == [KID, key_id(ATTACKER)]
    for jwk in doc["keys"]:
        assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}
        assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
    keys = JwkSet.from_dict(json.loads(json.dumps(doc)))
    assert keys.get(KID).public_numbers() == issuer().key.public_key().public_numbers()  # type: ignore[union-attr]
    assert jwks({"k1": issuer().key})["keys"][0]["kid"] == "k1"


def test_key_id_is_the_rfc7638_thumbprint() -> None:
    jwk = RSAAlgorithm.to_jwk(issuer().key.public_key(), as_dict=True)
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    assert key_id(issuer().key) == b64(hashlib.sha256(canonical.encode()).digest())


def test_a_jwk_given_by_certificate_x5c_verifies() -> None:
    """MAA's /certs endpoint publishes keys as x5c certificates."""
    der = _self_signed(issuer().key).public_bytes(serialization.Encoding.DER)
    keys = JwkSet.from_dict({"keys": [{"kty": "RSA", "kid": KID, "x5c": [base64.b64encode(der).decode()]}]})
    assert check_token(good_token(), keys, now=NOW).passed


def _jwk(**changes: Any) -> dict[str, Any]:
    return {**jwks([issuer().key])["keys"][0], **changes}


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"keys": {}},
        {"keys": ["x"]},
        {"keys": [_jwk(kid="")]},
        {"keys": [{k: v for k, v in _jwk().items() if k != "kid"}]},
        {"keys": [_jwk(), _jwk()]},
        {"keys": [{"kty": "oct", "kid": "h", "k": b64(b"secret")}]},
        {"keys": [_jwk(kty="EC")]},
        {"keys": [_jwk(use="enc")]},
        {"keys": [_jwk(alg="HS256")]},
        {"keys": [_jwk(key_ops=["encrypt"])]},
        {"keys": [_jwk(d="AQAB")]},
        {"keys": [_jwk(n="!!")]},
        {"keys": [{"kty": "RSA", "kid": "x"}]},
        {"keys": [{"kty": "RSA", "kid": "x", "x5c": ["not base64!"]}]},
        {"keys": [{"kty": "RSA", "kid": "x", "x5c": [b64(b"not a certificate")]}]},
        {
            "keys": [
                _jwk(**RSAAlgorithm.to_jwk(rsa.generate_private_key(65537, 1024).public_key(), as_dict=True))
            ]
        },
    ],
)
def test_unusable_jwks_are_refused(doc: object) -> None:
    with pytest.raises(DataError):
        JwkSet.from_dict(doc)
    with pytest.raises(DataError):
        check_token(good_token(), doc, now=NOW)  # type: ignore[arg-type]


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(st.sampled_from(["keys", "kty", "kid", "n", "e", "x5c", "use"]), c, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_random_jwks_documents_raise_only_data_error(doc: object) -> None:
    with contextlib.suppress(DataError):  # anything but a DataError fails the test
        JwkSet.from_dict(doc)


def test_issue_refuses_unusable_keys_and_claims() -> None:
    with pytest.raises(DataError):
        issue_token(claims(), issuer().key.public_key(), kid=KID)  # type: ignore[arg-type]
    with pytest.raises(DataError):
        issue_token(claims(), rsa.generate_private_key(65537, 1024), kid=KID)
    with pytest.raises(DataError):
        issue_token(claims(), issuer().key, kid="")
    with pytest.raises(DataError):
        issue_token({"x": object()}, issuer().key, kid=KID)
