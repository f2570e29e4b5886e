"""The ``azurevm`` claims of an MAA-style token, derived from verified facts only.

What it does:

- :class:`AttestedFacts` holds every fact a claim is derived from. The verifier fills it from
  evidence it has verified (each field's documentation says from where); nothing else should.
- :func:`claim_vocabulary` reads the claim table ``data/attest/azurevm_claims.json``: every claim of
  the real MAA ``azurevm`` tokens (name, JSON type, meaning) and what tlkit does with it (emitted,
  omitted with the reason, or added). Sources and date: ``data/attest/SOURCES.md``.
- :func:`azurevm_claims` turns facts into the claim set: the names, JSON types and (flat) nesting of
  the real tokens' ``azurevm`` part, with no isolation-TEE claims (a Trusted Launch VM has no TEE).

Claim rules (one small function per claim in :data:`CLAIM_RULES`): a fact that is ``None`` (not
established) gives no claim, never a guess. The one exception is written in the table: the Windows
boot-configuration flags (``not_applicable`` column) are reported with the value the real Linux
tokens carry (``false``, ``0``, ``"NotApplication"``) when the facts say the OS is *not* Windows,
as MAA does; for a Windows guest (or an unknown OS) an unestablished flag is omitted.

What it does not do: verify evidence (the verifier does, then fills :class:`AttestedFacts`), sign
tokens (:mod:`tlkit.attest._token`), or model claims of Confidential VMs (``x-ms-isolation-tee``).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from tlkit._data import data_cache, data_root
from tlkit.errors import DataError

__all__ = [
    "ATTESTATION_TYPE",
    "CLAIMS_FILE",
    "CLAIM_RULES",
    "DEFAULT_LIFETIME",
    "JSON_TYPES",
    "MAX_NONCE",
    "SCHEMA_VERSION",
    "AttestedFacts",
    "ClaimSpec",
    "azurevm_claims",
    "claim_vocabulary",
    "json_type",
]

#: ``x-ms-attestation-type`` of a Trusted Launch token (MAA claim-sets.md; the real tokens).
ATTESTATION_TYPE = "azurevm"
#: ``x-ms-ver``: the MAA JWT schema version (claim-sets.md; "1.0" in the real tokens).
SCHEMA_VERSION = "1.0"
#: ``exp - iat`` of the real TL and CVM tokens (28800 s; MAA's own default may differ, see SOURCES.md).
DEFAULT_LIFETIME = timedelta(hours=8)
#: The claim table, relative to the data root (``data/`` in a checkout).
CLAIMS_FILE = "attest/azurevm_claims.json"
#: Largest nonce a TPM 2.0 quote carries (TPM2B_DATA of a TPMS_ATTEST.extraData, 64 bytes for
#: SHA-512 plus 2): the same bound as :data:`tlkit.tpm._vtpm.MAX_NONCE`.
MAX_NONCE = 66
_OS_TYPES = ("Linux", "Windows")


@dataclass(frozen=True)
class AttestedFacts:
    """Everything an ``azurevm`` claim is derived from, established by the verifier.

    ``None`` means "not established": the claim it feeds is left out (see the module docstring for
    the Windows flags on a non-Windows OS). Validated on construction (:class:`DataError` naming
    the field).

    Attributes:
        attested_pcrs: the PCR indices (0-23, ascending, no repeats) of the quote whose signature,
            nonce and pcrDigest verified: the SHA-256 selection of the verified TPMS_ATTEST.
            Claim ``x-ms-azurevm-attested-pcrs``.
        secure_boot: Secure Boot state: from the SecureBoot variable in the PCR 7 log replayed
            against the quoted PCR 7, or (evidence without a log) from the quoted PCR 7 equal to a
            baseline's known Secure-Boot-on (or -off) value. Claim ``secureboot``.
        db_validated: the ``db`` measured on PCR 7 (replayed log) equals the baseline's allowed
            ``db``, or the quoted PCR 7 equals a golden value that fixes it.
            Claim ``x-ms-azurevm-dbvalidated``.
        dbx_validated: the same for ``dbx`` (the revocation list). Claim ``x-ms-azurevm-dbxvalidated``.
        default_keys_validated: the same for ``PK`` and ``KEK`` (the platform's default Secure Boot
            keys). Claim ``x-ms-azurevm-default-securebootkeysvalidated``.
        boot_debug: Windows boot-configuration flag from the WBCL SIPA event ``BootDebugging``
            (0x00030001) in a log replayed against the quoted PCRs. Windows writes its SIPA
            events (EV_EVENT_TAG) on PCRs 12-14 (so in the GCE Windows fixture's log); the
            Windows sample token attests PCRs 0-7, 11, 12 and 13. Which of those PCRs holds each
            flag is not established here: the verifier takes the flag from a replayed event.
            Claim ``x-ms-azurevm-bootdebug-enabled``.
        kernel_debug: SIPA ``OsKernelDebug`` (0x00050001), same source. Claim
            ``x-ms-azurevm-kerneldebug-enabled``.
        hypervisor_debug: SIPA ``HypervisorDebug`` (0x0005000D), same source. Claim
            ``x-ms-azurevm-hypervisordebug-enabled``.
        test_signing: SIPA ``TestSigning`` (0x00050003), same source. Claim
            ``x-ms-azurevm-testsigning-enabled``.
        flight_signing: SIPA ``FlightSigning`` (0x00050016), same source. Claim
            ``x-ms-azurevm-flightsigning-enabled``.
        elam_enabled: an early-launch anti-malware driver measured (SIPA ``ElamMeasured`` /
            ``ElamAggregation`` events), same source. Claim ``x-ms-azurevm-elam-enabled``.
        hvci_policy: SIPA ``VbsHvciPolicy`` (0x000A0007) value, same source. Claim
            ``x-ms-azurevm-hvci-policy``.
        os_type: ``"Linux"`` or ``"Windows"``. Not covered by a quote: the evidence's description of
            the guest (as in Azure, where the guest reports its OS with the request) or the boot
            scenario that produced the evidence. Claims ``x-ms-azurevm-ostype``, ``-is-windows``.
        os_distro: distribution as MAA names it (``"Ubuntu"``, ``"Microsoft"``), same source.
            Claim ``x-ms-azurevm-osdistro``.
        os_version_major: same source. Claim ``x-ms-azurevm-osversion-major``.
        os_version_minor: same source. Claim ``x-ms-azurevm-osversion-minor``.
        os_build: Windows build string, same source. Claim ``x-ms-azurevm-osbuild``.
        vm_id: the VM's ARM ``vmId`` (a GUID), from the VM configuration or the AK certificate's
            VM; emitted upper-case as in the real tokens. Claim ``x-ms-azurevm-vmid``.
        nonce: the verified quote's qualifying data (TPMS_ATTEST.extraData), equal to the nonce the
            verifier issued. Empty or ``None``: no claim. Claim ``nonce`` (lower-case hex).
    """

    attested_pcrs: tuple[int, ...]
    secure_boot: bool
    db_validated: bool | None = None
    dbx_validated: bool | None = None
    default_keys_validated: bool | None = None
    boot_debug: bool | None = None
    kernel_debug: bool | None = None
    hypervisor_debug: bool | None = None
    test_signing: bool | None = None
    flight_signing: bool | None = None
    elam_enabled: bool | None = None
    hvci_policy: int | None = None
    os_type: str | None = None
    os_distro: str | None = None
    os_version_major: int | None = None
    os_version_minor: int | None = None
    os_build: str | None = None
    vm_id: str | None = None
    nonce: bytes | None = None

    def __post_init__(self) -> None:
        for name in _field_names():
            value = getattr(self, name)
            if value is not None or name in _REQUIRED:  # None is valid for every optional fact
                _check_field(name, value)

    def with_nonce(self, nonce: bytes | None) -> AttestedFacts:
        """A new instance equal to this one but for :attr:`nonce` (checked as the constructor checks
        it; every other fact was checked when this instance was made, and is immutable)."""
        _check_field("nonce", nonce)
        out = object.__new__(AttestedFacts)
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, "nonce", nonce)
        return out

    @property
    def is_windows(self) -> bool | None:
        """Whether the OS is Windows (None: OS type not established)."""
        return None if self.os_type is None else self.os_type == "Windows"


#: The facts that must be given (every other one may be None, which :func:`_check_field` accepts).
_REQUIRED = frozenset({"attested_pcrs", "secure_boot"})


@cache
def _field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(AttestedFacts))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: Every PCR index an attested fact may name.
_PCR_INDICES = frozenset(range(24))


def _check_pcrs(value: object) -> str | None:
    if type(value) is tuple and {type(i) for i in value} <= {int} and _PCR_INDICES.issuperset(value):
        return None if list(value) == sorted(set(value)) else "must be ascending without repeats"
    if not isinstance(value, tuple) or not all(_is_int(i) and 0 <= i <= 23 for i in value):
        return "must be a tuple of PCR indices 0-23"
    if list(value) != sorted(set(value)):
        return "must be ascending without repeats"
    return None


def _check_optional(kind: type, value: object) -> str | None:
    if value is None:
        return None
    if kind is bool:
        return None if isinstance(value, bool) else "must be True, False or None"
    if kind is int:
        in_range = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 32
        return None if in_range else "must be an integer 0..2**32-1 or None"
    return None if isinstance(value, str) and value else "must be a non-empty string or None"


def _check_special(name: str, value: object) -> str | None:
    if name == "os_type" and value not in (None, *_OS_TYPES):
        return f"must be one of {', '.join(_OS_TYPES)} or None"
    if name == "vm_id" and value is not None:
        try:
            uuid.UUID(str(value))
        except ValueError:
            return "must be a GUID"
    if name == "nonce" and value is not None and not (isinstance(value, bytes) and len(value) <= MAX_NONCE):
        return f"must be bytes of at most {MAX_NONCE} or None"
    return None


_FIELD_KINDS: Mapping[str, type] = {
    "secure_boot": bool,
    "hvci_policy": int,
    "os_version_major": int,
    "os_version_minor": int,
    "os_type": str,
    "os_distro": str,
    "os_build": str,
    "vm_id": str,
}


def _check_field(name: str, value: object) -> None:
    if name == "attested_pcrs":
        problem = _check_pcrs(value)
    elif name == "secure_boot" and not isinstance(value, bool):
        problem = "must be True or False"
    elif name == "nonce":
        problem = _check_special(name, value)
    else:
        problem = _check_optional(_FIELD_KINDS.get(name, bool), value) or _check_special(name, value)
    if problem:
        raise DataError(f"attested fact {problem} (got {value!r})", field=name)


# ---------------------------------------------------------------------------- the claim table
#: JSON type name of the claim table -> the Python types :func:`json.loads` gives for it.
JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "string": (str,),
    "array<integer>": (list,),
    "object": (dict,),
}


def json_type(value: object) -> str:
    """The claim table's JSON type name of a decoded JSON value (``"integer"``, ``"array<integer>"``...).

    Raises:
        DataError: a value no ``azurevm`` claim has (a float, null, an array of non-integers).
    """
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list) and all(_is_int(v) for v in value):
        return "array<integer>"
    raise DataError(f"no azurevm claim has a value like {value!r}")


@dataclass(frozen=True)
class ClaimSpec:
    """One row of the claim table.

    Attributes:
        claim: the claim name as in the real tokens.
        type: its JSON type (a key of :data:`JSON_TYPES`).
        in_real_token: whether the real ``azurevm`` tokens (fixtures) carry it.
        tlkit: ``"emitted"``, ``"omitted"`` (in real tokens, not issued by tlkit) or ``"added"``
            (issued by tlkit, not in the real tokens).
        fact: what the value is derived from (an :class:`AttestedFacts` field or a rule).
        not_applicable: the value a non-Windows guest reports (Windows flags only), else None.
        meaning: what the claim says (mostly inferred: no Microsoft page defines the claims).
        difference: for ``omitted`` / ``added``: why.
    """

    claim: str
    type: str
    in_real_token: bool
    tlkit: str
    fact: str
    not_applicable: object
    meaning: str
    difference: str


def _spec(n: int, row: object) -> ClaimSpec:
    names = [f.name for f in fields(ClaimSpec)]
    if not isinstance(row, dict) or sorted(row) != sorted(names):
        raise DataError(f"{CLAIMS_FILE}: a claim row needs exactly {', '.join(names)}", record=n)
    spec = ClaimSpec(**row)
    if spec.type not in JSON_TYPES or spec.tlkit not in ("emitted", "omitted", "added"):
        raise DataError(f"{CLAIMS_FILE}: unknown type or tlkit value", record=spec.claim)
    if (spec.tlkit == "emitted") == bool(spec.difference):
        raise DataError(f"{CLAIMS_FILE}: only omitted/added claims carry a difference", record=spec.claim)
    return spec


@data_cache()
def claim_vocabulary() -> tuple[ClaimSpec, ...]:
    """The rows of ``data/attest/azurevm_claims.json``, in file order.

    Raises:
        DataError: the table is missing or malformed (a row without its fields, an unknown type).
    """
    path = data_root().joinpath(CLAIMS_FILE)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows = doc["claims"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataError(f"claim table {CLAIMS_FILE} is unreadable ({e})") from None
    return tuple(_spec(n, row) for n, row in enumerate(rows))


@data_cache()
def _vocabulary_map() -> Mapping[str, ClaimSpec]:
    return {spec.claim: spec for spec in claim_vocabulary()}


# ---------------------------------------------------------------------------- the claim rules
_Rule = Callable[[AttestedFacts], object]


def _fact(name: str) -> _Rule:
    """The claim is the fact itself."""
    return lambda facts: getattr(facts, name)


def _windows_fact(claim: str, name: str) -> _Rule:
    """A Windows boot-configuration fact; for a non-Windows OS, the table's ``not_applicable`` value."""

    def rule(facts: AttestedFacts) -> object:
        value = getattr(facts, name)
        if value is None and facts.is_windows is False:
            return _vocabulary_map()[claim].not_applicable
        return value

    return rule


def _debuggers_disabled(facts: AttestedFacts) -> bool | None:
    """True when no debugger flag is on; None when one of them is not established."""
    flags = [_windows_fact(c, n)(facts) for c, n in _DEBUG_FLAGS]
    return None if any(f is None for f in flags) else not any(flags)


def _vm_id(facts: AttestedFacts) -> str | None:
    return None if facts.vm_id is None else str(uuid.UUID(facts.vm_id)).upper()


def _nonce(facts: AttestedFacts) -> str | None:
    return facts.nonce.hex() if facts.nonce else None


_DEBUG_FLAGS = (
    ("x-ms-azurevm-bootdebug-enabled", "boot_debug"),
    ("x-ms-azurevm-kerneldebug-enabled", "kernel_debug"),
    ("x-ms-azurevm-hypervisordebug-enabled", "hypervisor_debug"),
)
_WINDOWS_FACTS = (
    *_DEBUG_FLAGS,
    ("x-ms-azurevm-elam-enabled", "elam_enabled"),
    ("x-ms-azurevm-flightsigning-enabled", "flight_signing"),
    ("x-ms-azurevm-hvci-policy", "hvci_policy"),
    ("x-ms-azurevm-osbuild", "os_build"),
    ("x-ms-azurevm-testsigning-enabled", "test_signing"),
)

#: Claim -> the rule giving its value from :class:`AttestedFacts` (None: no claim). Together with
#: the standard claims of :func:`azurevm_claims` these are the table's ``emitted`` and ``added`` rows
#: (a test checks), in the order the real tokens list them.
CLAIM_RULES: Mapping[str, _Rule] = {
    "secureboot": _fact("secure_boot"),
    "x-ms-attestation-type": lambda facts: ATTESTATION_TYPE,
    "x-ms-azurevm-attested-pcrs": lambda facts: list(facts.attested_pcrs),
    "x-ms-azurevm-dbvalidated": _fact("db_validated"),
    "x-ms-azurevm-dbxvalidated": _fact("dbx_validated"),
    "x-ms-azurevm-debuggersdisabled": _debuggers_disabled,
    "x-ms-azurevm-default-securebootkeysvalidated": _fact("default_keys_validated"),
    "x-ms-azurevm-is-windows": lambda facts: facts.is_windows,
    "x-ms-azurevm-osdistro": _fact("os_distro"),
    "x-ms-azurevm-ostype": _fact("os_type"),
    "x-ms-azurevm-osversion-major": _fact("os_version_major"),
    "x-ms-azurevm-osversion-minor": _fact("os_version_minor"),
    "x-ms-azurevm-vmid": _vm_id,
    "x-ms-ver": lambda facts: SCHEMA_VERSION,
    "nonce": _nonce,
    **{claim: _windows_fact(claim, name) for claim, name in _WINDOWS_FACTS},
}


def _numeric_date(when: datetime, what: str) -> int:
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise DataError(f"{what} must be a timezone-aware datetime (got {when!r})", field=what)
    return int(when.timestamp())


def azurevm_claims(
    facts: AttestedFacts, *, issuer: str, issued_at: datetime, lifetime: timedelta = DEFAULT_LIFETIME
) -> dict[str, Any]:
    """The claim set of an ``azurevm`` token for ``facts``.

    ``iat`` and ``nbf`` are ``issued_at`` and ``exp`` is ``issued_at + lifetime``, as integer
    NumericDates (RFC 7519 2); ``jti`` is the SHA-256 (hex) of the other claims serialised as
    sorted compact JSON, so the same facts and times give the same token id. Keys are in sorted
    order, as in the real tokens.

    Args:
        facts: what the verifier established.
        issuer: the ``iss`` claim (the attestation service's URL in real tokens).
        issued_at: a timezone-aware time.
        lifetime: at least one second (NumericDates count whole seconds); 8 hours by default
            (:data:`DEFAULT_LIFETIME`).

    Raises:
        DataError: a naive ``issued_at``, a lifetime under a second or an empty issuer.
    """
    if not isinstance(issuer, str) or not issuer:
        raise DataError("the token issuer must be a non-empty string", field="issuer")
    if not isinstance(lifetime, timedelta) or lifetime < timedelta(seconds=1):
        raise DataError(
            f"token lifetime must be a timedelta of 1 s or more (got {lifetime!r})", field="lifetime"
        )
    iat = _numeric_date(issued_at, "issued_at")
    claims: dict[str, Any] = {
        "exp": iat + int(lifetime.total_seconds()),
        "iat": iat,
        "iss": issuer,
        "nbf": iat,
    }
    for name, rule in CLAIM_RULES.items():
        value = rule(facts)
        if value is not None:
            claims[name] = value
    claims["jti"] = hashlib.sha256(
        json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return dict(sorted(claims.items()))
