"""MAA-style JWTs: issue ``azurevm`` tokens (RS256, PyJWT) and check them against a JWK set.

What it does:

- :func:`issue_token` signs a claim set with an RSA key: RS256 (RFC 7518 3.3), header
  ``{"alg": "RS256", "kid": ..., "typ": "JWT"}`` and nothing else (no ``jku``/``x5c``: a verifier
  takes keys from its own JWK set). RSASSA-PKCS1-v1_5 is deterministic, so the same claims and
  key give the same token. :class:`TokenIssuer` bundles key, ``kid``, issuer URL and lifetime with
  :func:`tlkit.attest._claims.azurevm_claims`.
- :func:`jwks` publishes public keys as an RFC 7517 JWK set (built with PyJWT's
  ``RSAAlgorithm.to_jwk``; ``kid`` defaults to the RFC 7638 thumbprint, :func:`key_id`);
  :meth:`JwkSet.from_dict` reads one back, refusing anything that is not an RSA public
  signing key of at least 2048 bits.
- :func:`check_token` decides whether a token is genuine and current: a :class:`TokenCheck` with
  machine-readable reasons (:data:`REASONS`) and the checks that ran.
- :func:`seeded_signing_key` gives a deterministic RSA-2048 key for tests and notebooks.

The checks of :func:`check_token`, in order; the first five stop at the first failure (what
follows them would read claims nobody vouches for), the claim checks all run:

* **structure** -> ``token-malformed``: three dot-separated segments of canonical unpadded
  base64url (RFC 7515 2, 3.1; a segment whose unused trailing bits are set is refused, so a token
  has exactly one spelling), a header and a payload that are UTF-8 JSON objects without
  repeated names (RFC 7515 4, RFC 7519 4: parsers may refuse them), at most
  :data:`MAX_TOKEN_LENGTH` characters.
  A header with ``crit`` is refused too: no extension is understood (RFC 7515 4.1.11).
* **algorithm** -> ``token-alg-not-allowed``: ``alg`` must be one of :data:`ALLOWED_ALGORITHMS`
  (RS256). This is what stops ``alg: none`` and the HS256-with-the-RSA-public-key confusion:
  the algorithm is chosen by the verifier, never by the token (RFC 8725 2.1, 3.1).
* **header keys** -> ``token-header-key-not-allowed``: no ``jwk``, ``jku``, ``x5u`` or ``x5c``
  (RFC 7515 4.1.2-4.1.6): a token may not bring, or point to, its own key (RFC 8725 3.10).
  Real MAA tokens carry ``jku``: they are refused here by design (the keys come from the JWK set
  the caller gives, never from the token).
* **kid** -> ``token-unknown-kid``: the header's ``kid`` names a key of the JWK set.
* **signature** -> ``token-signature-invalid``: PyJWT verifies RS256 with that key only.
* **required claims** -> ``token-claims-missing:NAME,...``: :data:`REQUIRED_CLAIMS` present
  (non-null); a time claim that is not a number is ``token-malformed``.
* **lifetime** -> ``token-expired`` when ``exp <= now - leeway``; ``token-not-yet-valid`` when
  ``nbf > now + leeway`` or ``iat > now + leeway`` (RFC 7519 4.1.4-4.1.6; the comparisons PyJWT
  makes, with the time given by the caller).
* **issuer** (only when ``issuer`` is given) -> ``token-issuer-mismatch``.

What it does not do: fetch keys (no ``jku``/OpenID discovery), verify real MAA tokens' signatures
(their keys are not public in the fixtures), or decide what the claims mean (the verifier made
them; a relying party reads ``TokenCheck.claims``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tlkit._result import Verdict
from tlkit.attest._claims import DEFAULT_LIFETIME, AttestedFacts, azurevm_claims
from tlkit.errors import DataError
from tlkit.tpm._vtpm import _rsa_key

__all__ = [
    "ALLOWED_ALGORITHMS",
    "DEFAULT_ISSUER",
    "HEADER_KEY_PARAMETERS",
    "MAX_TOKEN_LENGTH",
    "MIN_KEY_BITS",
    "REASONS",
    "REQUIRED_CLAIMS",
    "JwkSet",
    "TokenCheck",
    "TokenIssuer",
    "check_token",
    "issue_token",
    "jwks",
    "key_id",
    "seeded_signing_key",
]

#: The only signature algorithm issued or accepted (MAA signs its tokens with RS256).
ALLOWED_ALGORITHMS = ("RS256",)
#: Header parameters that carry or locate a key (RFC 7515 4.1.2-4.1.6): refused in a token.
HEADER_KEY_PARAMETERS = ("jwk", "jku", "x5u", "x5c")
#: Claims a token must carry to be checked at all.
REQUIRED_CLAIMS = ("iss", "iat", "nbf", "exp", "x-ms-attestation-type")
#: Longest token accepted, in characters (the real MAA tokens in the fixtures: 13.6 and 22.5 kB).
MAX_TOKEN_LENGTH = 256 * 1024
#: Smallest RSA modulus accepted for signing or verifying (RFC 7518 3.3: 2048 bits or larger).
MIN_KEY_BITS = 2048
#: ``iss`` of tokens tlkit issues unless told otherwise (``.invalid``, RFC 2606: not a real service).
DEFAULT_ISSUER = "https://attest.tlkit.invalid"

#: Every reason :func:`check_token` gives (``token-claims-missing`` is followed by ``:NAMES``).
REASONS = (
    "token-malformed",
    "token-alg-not-allowed",
    "token-header-key-not-allowed",
    "token-unknown-kid",
    "token-signature-invalid",
    "token-claims-missing",
    "token-expired",
    "token-not-yet-valid",
    "token-issuer-mismatch",
)

_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth")  # RFC 7518 6.3.2
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")


# ------------------------------------------------------------------------------------- keys
def seeded_signing_key(seed: int) -> rsa.RSAPrivateKey:
    """A deterministic RSA-2048 token-signing key for ``seed`` (tests, notebooks, demos).

    Made by tlkit's seeded key generator (:func:`tlkit.tpm._vtpm._rsa_key`, label
    ``tlkit.attest/token-signer``): the same seed gives the same key in every process.
    """
    return _rsa_key(seed, "tlkit.attest/token-signer")


def _public(key: object) -> rsa.RSAPublicKey:
    if isinstance(key, rsa.RSAPrivateKey):
        key = key.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise DataError(f"a token key must be an RSA key (got {type(key).__name__})", field="key")
    if key.key_size < MIN_KEY_BITS:
        raise DataError(f"RSA key of {key.key_size} bits is below {MIN_KEY_BITS}", field="key")
    return key


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> str:
    """The RFC 7638 JWK thumbprint of an RSA key: base64url SHA-256 of ``{"e","kty","n"}`` JSON.

    Raises:
        DataError: not an RSA key, or smaller than :data:`MIN_KEY_BITS`.
    """
    jwk = RSAAlgorithm.to_jwk(_public(key), as_dict=True)
    members = {name: jwk[name] for name in ("e", "kty", "n")}  # RFC 7638 3.2: required members only
    return _b64url(
        hashlib.sha256(json.dumps(members, sort_keys=True, separators=(",", ":")).encode()).digest()
    )


def jwks(
    public_keys: Iterable[rsa.RSAPublicKey | rsa.RSAPrivateKey]
    | Mapping[str, rsa.RSAPublicKey | rsa.RSAPrivateKey],
) -> dict[str, Any]:
    """An RFC 7517 JWK set of RSA public keys, each with ``kid``, ``use: sig`` and ``alg: RS256``.

    Args:
        public_keys: keys (``kid`` = :func:`key_id`), or a mapping ``{kid: key}``. A private key
            contributes only its public part.

    Raises:
        DataError: a key that is not RSA or is too small, or a repeated ``kid``.
    """
    pairs = (
        list(public_keys.items())
        if isinstance(public_keys, Mapping)
        else [(key_id(key), key) for key in public_keys]
    )
    out: list[dict[str, Any]] = []
    for kid, key in pairs:
        if any(k["kid"] == kid for k in out):
            raise DataError("repeated kid in a JWK set", record=kid)
        jwk = RSAAlgorithm.to_jwk(_public(key), as_dict=True)
        # RFC 7517 4.3: "use" and "key_ops" should not be used together; "use" is the usual one
        out.append(
            {
                "kty": "RSA",
                "n": jwk["n"],
                "e": jwk["e"],
                "kid": kid,
                "use": "sig",
                "alg": ALLOWED_ALGORITHMS[0],
            }
        )
    return {"keys": out}


def _jwk_key(n: int, jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key of one JWK (``n``/``e``, or the first certificate of ``x5c``)."""
    if jwk.get("kty") != "RSA":
        raise DataError(f"JWK kty {jwk.get('kty')!r}: only RSA signing keys are accepted", record=n)
    ops = jwk.get("key_ops", ["verify"])
    if (
        jwk.get("use", "sig") != "sig"
        or jwk.get("alg", "RS256") not in ALLOWED_ALGORITHMS
        or not isinstance(ops, list)
        or "verify" not in ops
    ):
        raise DataError("JWK is not an RS256 signature-verification key (use/alg/key_ops)", record=n)
    if any(name in jwk for name in _PRIVATE_JWK_MEMBERS):
        raise DataError("JWK holds private key members: a JWK set must publish public keys only", record=n)
    try:
        if "n" in jwk or "e" in jwk:
            key: object = RSAAlgorithm.from_jwk(dict(jwk))
        else:
            chain = jwk.get("x5c")
            if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
                raise DataError("JWK has neither n/e nor an x5c certificate", record=n)
            key = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True)).public_key()
    except (jwt.PyJWTError, ValueError, TypeError, binascii.Error) as e:
        raise DataError(f"JWK is not a usable RSA public key ({e})", record=n) from None
    try:
        return _public(key)
    except DataError as e:
        raise DataError(e.message, record=n) from None


@dataclass(frozen=True)
class JwkSet:
    """The verification keys of a JWK set, by ``kid``; built with :meth:`from_dict`.

    Attributes:
        keys: ``(kid, key)`` pairs in the set's order.
    """

    keys: tuple[tuple[str, rsa.RSAPublicKey], ...]

    @classmethod
    def from_dict(cls, doc: object) -> JwkSet:
        """Read an RFC 7517 JWK set (``{"keys": [...]}``).

        Every key must be an RSA public signing key (``kty: RSA``; ``use`` ``sig`` and ``alg``
        ``RS256`` when given) of at least :data:`MIN_KEY_BITS` bits with a unique non-empty ``kid``,
        given by ``n``/``e`` or by an ``x5c`` certificate (as MAA's ``/certs`` endpoint publishes).

        Raises:
            DataError: not a JWK set, or a key that is unusable, of another type, private or
                unnamed (the message gives its index).
        """
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
            raise DataError('a JWK set is a JSON object with a "keys" array (RFC 7517 5)')
        pairs: list[tuple[str, rsa.RSAPublicKey]] = []
        for n, jwk in enumerate(doc["keys"]):
            if not isinstance(jwk, Mapping):
                raise DataError("JWK is not a JSON object", record=n)
            kid = jwk.get("kid")
            if not isinstance(kid, str) or not kid:
                raise DataError("JWK has no kid: a token names its key by kid", record=n)
            if any(k == kid for k, _ in pairs):
                raise DataError(f"repeated kid {kid!r} in the JWK set", record=n)
            pairs.append((kid, _jwk_key(n, jwk)))
        return cls(tuple(pairs))

    def get(self, kid: object) -> rsa.RSAPublicKey | None:
        """The key named ``kid``, or None."""
        return next((key for k, key in self.keys if k == kid), None)


# ------------------------------------------------------------------------------------ issue
def issue_token(claims: Mapping[str, Any], key: rsa.RSAPrivateKey, *, kid: str) -> str:
    """Sign ``claims`` as a compact JWS (RS256) with header ``alg``, ``kid`` and ``typ: JWT``.

    Raises:
        DataError: ``key`` is not an RSA private key of at least :data:`MIN_KEY_BITS` bits, ``kid``
            is empty, or the claims cannot be encoded (not JSON-serialisable, or a registered
            claim of the wrong type, e.g. a non-string ``iss``).
    """
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DataError(f"a token is signed with an RSA private key (got {type(key).__name__})", field="key")
    _public(key)
    if not isinstance(kid, str) or not kid:
        raise DataError("kid must be a non-empty string", field="kid")
    try:
        return jwt.encode(
            dict(claims), key, algorithm=ALLOWED_ALGORITHMS[0], headers={"kid": kid, "typ": "JWT"}
        )
    except TypeError as e:
        raise DataError(f"claims cannot be encoded as a JWT ({e})", field="claims") from None


@dataclass(frozen=True)
class TokenIssuer:
    """An attestation service that signs ``azurevm`` tokens with one key.

    Attributes:
        key: the RSA signing key (at least :data:`MIN_KEY_BITS` bits).
        issuer: the ``iss`` claim; :data:`DEFAULT_ISSUER` unless given.
        kid: the header's ``kid``; the key's RFC 7638 thumbprint (:func:`key_id`) unless given.
        lifetime: ``exp - iat`` (8 hours, as in the real tokens).
    """

    key: rsa.RSAPrivateKey
    issuer: str = DEFAULT_ISSUER
    kid: str = ""
    lifetime: timedelta = DEFAULT_LIFETIME

    def __post_init__(self) -> None:
        if not self.kid:
            object.__setattr__(self, "kid", key_id(self.key))

    def claims(self, facts: AttestedFacts, *, issued_at: datetime) -> dict[str, Any]:
        """The claim set :meth:`issue` signs (see :func:`~tlkit.attest._claims.azurevm_claims`)."""
        return azurevm_claims(facts, issuer=self.issuer, issued_at=issued_at, lifetime=self.lifetime)

    def issue(self, facts: AttestedFacts, *, issued_at: datetime) -> str:
        """A signed ``azurevm`` token for ``facts``, issued at ``issued_at`` (timezone-aware)."""
        return issue_token(self.claims(facts, issued_at=issued_at), self.key, kid=self.kid)

    def jwks(self) -> dict[str, Any]:
        """The JWK set a relying party uses to check this issuer's tokens."""
        return jwks({self.kid: self.key})


# ------------------------------------------------------------------------------------ check
@dataclass(frozen=True)
class TokenCheck(Verdict):
    """The verdict on one token.

    Attributes:
        passed: every check ran and succeeded (also ``bool(check)``).
        reasons: machine-readable failures (see :data:`REASONS`), in check order.
        checks: the checks that ran, in order (``issuer`` only when an issuer was given; the
            claim checks only once the signature verified).
        kid: the header's ``kid`` when the header could be read (vouched for only when passed).
        claims: the token's claims, only when passed.
    """

    passed: bool
    reasons: tuple[str, ...]
    checks: tuple[str, ...]
    kid: str | None = None
    claims: Mapping[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``passed``, ``reasons``, ``checks``, ``kid`` and ``claims`` (null unless passed)."""
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "checks": list(self.checks),
            "kid": self.kid,
            "claims": dict(self.claims) if self.claims is not None else None,
        }


class _MalformedError(Exception):
    """Internal: the token is not a well-formed JWS (reported as ``token-malformed``)."""


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise _MalformedError("repeated member name")
    return dict(pairs)


def _segment(text: str) -> bytes:
    """Canonical unpadded base64url (RFC 7515 2): decodes and re-encodes to the same text."""
    if not _SEGMENT.fullmatch(text) or len(text) % 4 == 1:
        raise _MalformedError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url(data) != text:
        raise _MalformedError("non-canonical base64url")
    return data


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_repeats)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _MalformedError("not JSON") from None
    if not isinstance(value, dict):
        raise _MalformedError("not a JSON object")
    return value


@dataclass
class _Token:
    """A token under check: its text, then what each passed check established."""

    text: str
    keys: JwkSet
    now: float
    leeway: float
    issuer: str | None
    header: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


def _structure(t: _Token) -> str | None:
    parts = t.text.split(".")
    if len(t.text) > MAX_TOKEN_LENGTH or len(parts) != 3:
        return "token-malformed"
    try:
        t.header = _json_object(_segment(parts[0]))
        t.payload = _json_object(_segment(parts[1]))
        _segment(parts[2])
    except _MalformedError:
        return "token-malformed"
    return "token-malformed" if "crit" in t.header else None


def _algorithm(t: _Token) -> str | None:
    return None if t.header.get("alg") in ALLOWED_ALGORITHMS else "token-alg-not-allowed"


def _header_keys(t: _Token) -> str | None:
    return "token-header-key-not-allowed" if any(p in t.header for p in HEADER_KEY_PARAMETERS) else None


def _kid(t: _Token) -> str | None:
    return None if t.keys.get(t.header.get("kid")) is not None else "token-unknown-kid"


def _signature(t: _Token) -> str | None:
    key = t.keys.get(t.header.get("kid"))
    if key is None:  # the kid check ran before; kept for the type checker
        return "token-unknown-kid"
    try:
        jwt.api_jws.decode_complete(t.text, key, algorithms=list(ALLOWED_ALGORITHMS))
    except jwt.InvalidSignatureError:
        return "token-signature-invalid"
    except jwt.PyJWTError:
        return "token-malformed"
    return None


def _required_claims(t: _Token) -> str | None:
    missing = [name for name in REQUIRED_CLAIMS if t.payload.get(name) is None]
    return f"token-claims-missing:{','.join(missing)}" if missing else None


def _time(t: _Token, name: str) -> int | None:
    value = t.payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _MalformedError(f"{name} is not a NumericDate")
    return int(value)  # as PyJWT: a fractional NumericDate counts by its whole seconds


def _lifetime(t: _Token) -> list[str]:
    try:
        exp, nbf, iat = (_time(t, name) for name in ("exp", "nbf", "iat"))
    except _MalformedError:
        return ["token-malformed"]
    reasons = []
    if exp is not None and exp <= t.now - t.leeway:
        reasons.append("token-expired")
    if any(v is not None and v > t.now + t.leeway for v in (nbf, iat)):
        reasons.append("token-not-yet-valid")
    return reasons


def _issuer(t: _Token) -> str | None:
    iss = t.payload.get("iss")
    return "token-issuer-mismatch" if iss is not None and iss != t.issuer else None


_Check = Callable[[_Token], str | None]
#: The checks that establish the token (stop at the first failure), then the checks of its claims.
_GATES: tuple[tuple[str, _Check], ...] = (
    ("structure", _structure),
    ("algorithm", _algorithm),
    ("header-keys", _header_keys),
    ("kid", _kid),
    ("signature", _signature),
)
_CLAIM_CHECKS: tuple[tuple[str, Callable[[_Token], list[str]]], ...] = (
    ("required-claims", lambda t: [r] if (r := _required_claims(t)) else []),
    ("lifetime", _lifetime),
    ("issuer", lambda t: [r] if (r := _issuer(t)) else []),
)


def _now(now: datetime | float | None) -> float:
    if now is None:
        return datetime.now(UTC).timestamp()
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise DataError(f"the check time must be timezone-aware (got {now!r})", field="now")
        return now.timestamp()
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise DataError(f"the check time must be a datetime or POSIX seconds (got {now!r})", field="now")
    return float(now)


def _leeway(leeway: float | timedelta) -> float:
    seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
        raise DataError(f"leeway must be a non-negative number of seconds (got {leeway!r})", field="leeway")
    return float(seconds)


def _text(token: object) -> str | None:
    if isinstance(token, bytes):
        try:
            return token.decode("ascii")
        except UnicodeDecodeError:
            return None
    return token if isinstance(token, str) else None


def check_token(
    token: str | bytes,
    jwks: JwkSet | Mapping[str, Any],
    *,
    now: datetime | float | None = None,
    issuer: str | None = None,
    leeway: float | timedelta = 0,
) -> TokenCheck:
    """Check a compact JWS token against a JWK set (see the module docstring for every check).

    Args:
        token: the token text (``bytes`` must be ASCII). Any value gives a verdict: what is not a
            JWT is ``token-malformed``.
        jwks: the trusted keys: a :class:`JwkSet` or an RFC 7517 JWK set document.
        now: the time to judge ``exp``/``nbf``/``iat`` at (timezone-aware, or POSIX seconds);
            the current time by default.
        issuer: the expected ``iss``; not checked when None (``checks`` then lacks ``issuer``).
        leeway: seconds (or a timedelta) of clock skew allowed on both sides.

    Raises:
        DataError: the JWK set, ``now`` or ``leeway`` is unusable (input of the caller, not of
            the token).
    """
    keys = jwks if isinstance(jwks, JwkSet) else JwkSet.from_dict(jwks)
    t = _Token(text="", keys=keys, now=_now(now), leeway=_leeway(leeway), issuer=issuer)
    text = _text(token)
    if text is None:
        return TokenCheck(False, ("token-malformed",), ("structure",))
    t.text = text
    ran: list[str] = []
    for name, gate in _GATES:
        ran.append(name)
        reason = gate(t)
        if reason is not None:
            kid = t.header.get("kid")
            return TokenCheck(False, (reason,), tuple(ran), kid if isinstance(kid, str) else None)
    reasons: list[str] = []
    for name, check in _CLAIM_CHECKS:
        if name == "issuer" and issuer is None:
            continue
        ran.append(name)
        reasons.extend(check(t))
    passed = not reasons
    return TokenCheck(passed, tuple(reasons), tuple(ran), t.header["kid"], t.payload if passed else None)
