"""AK trust: is the key that signed a quote really a vTPM's attestation key?

A quote only proves that *some* key signed it. :func:`check_ak_trust` decides whether that key
is trusted, in one of two ways (:class:`TrustAnchors`):

- **a trusted-AK list** (``--trusted-ak FILE``: PEM public keys and/or certificates, whose keys
  are pinned as they are; their certificates' dates and issuers are not looked at): the AK must
  be one of them (same SubjectPublicKeyInfo);
- **an AK certificate chain to a trusted root** (``--ak-roots FILE``): the AK must be the public
  key of the chain's leaf, and the chain must verify to one of the roots at the verification time.

With neither, the result is ``unverified``: the AK in the evidence was used as given, like
``tpm2_checkquote -u ak.pem``, and the result says so. With either, an AK that matches neither
is ``untrusted`` with machine-readable reasons (:data:`REASONS`, each ``ak-untrusted:<why>``).

**Trust anchors.** A root is a self-signed CA certificate (RFC 5280, 6.1.1 (d): the anchor is
its name and public key); ``--ak-roots`` refuses any certificate that is not self-signed.
Intermediates are not trusted by themselves: they come from the evidence's ``ak-chain.pem`` (leaf
first, each certificate issued by the next) and, above the chain's top certificate, from
:attr:`TrustAnchors.intermediates` (an optional bundle; :func:`azure_vtpm_anchors` ships the two
public Azure intermediates there).

**The path check** (why not ``cryptography``'s ``PolicyBuilder``: its client verifier requires the
clientAuth EKU, which AK certificates never carry; theirs is TCG's ``2.23.133.8.3``, Azure's adds
Microsoft's ``1.3.6.1.4.1.311.10.3.12``). The path is built and checked with ``cryptography``
primitives only, no ASN.1 by hand, each rule a named entry of :data:`CERT_RULES`:

- every link: the child's issuer name is the parent's subject and the parent's key verifies the
  child's signature (``Certificate.verify_directly_issued_by``; RFC 5280, 6.1.3 (a)(1), (a)(4));
- every certificate, anchor included: valid at the verification time (6.1.3 (a)(2)); no critical
  extension this check does not understand (4.2);
- every CA (intermediates and anchor): basicConstraints ``cA`` (4.2.1.9), its ``pathLenConstraint``
  not exceeded (6.1.4 (l), (m)), keyUsage ``keyCertSign`` (4.2.1.3; an anchor without keyUsage is
  accepted, an intermediate must have it), and an EKU, if present, that allows AK certificates
  (``2.23.133.8.3`` or anyExtendedKeyUsage: EKU chaining as Windows applies it; RFC 5280 has no
  such rule, Azure's intermediates carry the TCG EKUs);
- the leaf: not a CA, keyUsage present with ``digitalSignature``, EKU with the TCG AK purpose
  ``2.23.133.8.3`` (TCG EK Credential Profile, "tcg-kp-AIKCertificate"), and its public key is
  the AK that signed the quote.

What it does not do: revocation (no CRL or OCSP fetch; nothing here uses the network), name
constraints or certificate policies (a certificate that marks them critical is refused, not
half-checked), or anything about the quote itself (:func:`tlkit.tpm.verify_quote`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID

from tlkit._data import data_cache, data_root
from tlkit._io import SMALL_FILE_CAP, naming, read_input
from tlkit._result import Verdict
from tlkit.attest._evidence import key_spki, load_ak_chain
from tlkit.errors import DataError
from tlkit.tpm._public import PublicKey, key_is_rsa, load_public_key

__all__ = [
    "AK_UNTRUSTED",
    "AZURE_INTERMEDIATE_FILES",
    "AZURE_ROOT_FILE",
    "CERT_RULES",
    "REASONS",
    "TCG_AK_EKU",
    "AkTrust",
    "TrustAnchors",
    "add_trust_arguments",
    "anchors_from_args",
    "azure_vtpm_anchors",
    "check_ak_trust",
    "load_ak_roots",
    "load_trusted_aks",
    "parse_at",
]

#: The verifier's top-level reason; every :data:`REASONS` code starts with it.
AK_UNTRUSTED = "ak-untrusted"
#: tcg-kp-AIKCertificate (TCG EK Credential Profile): the EKU an AK certificate carries.
TCG_AK_EKU = x509.ObjectIdentifier("2.23.133.8.3")

NOT_IN_TRUSTED_LIST = "ak-untrusted:not-in-trusted-list"
NO_CHAIN = "ak-untrusted:no-chain"
LEAF_KEY_NOT_QUOTE_AK = "ak-untrusted:leaf-key-not-quote-ak"
UNKNOWN_ROOT = "ak-untrusted:unknown-root"
INCOMPLETE_CHAIN = "ak-untrusted:incomplete-chain"
ISSUER_NAME_MISMATCH = "ak-untrusted:issuer-name-mismatch"
ISSUER_SIGNATURE_INVALID = "ak-untrusted:issuer-signature-invalid"
CHAIN_EXPIRED = "ak-untrusted:chain-expired"
CHAIN_NOT_YET_VALID = "ak-untrusted:chain-not-yet-valid"
MALFORMED_CERTIFICATE = "ak-untrusted:malformed-certificate"
UNKNOWN_CRITICAL_EXTENSION = "ak-untrusted:unknown-critical-extension"
LEAF_IS_CA = "ak-untrusted:leaf-is-ca"
KEY_USAGE = "ak-untrusted:key-usage"
MISSING_AK_EKU = "ak-untrusted:missing-ak-eku"
NOT_A_CA = "ak-untrusted:not-a-ca"
PATH_LENGTH = "ak-untrusted:path-length"
CA_EKU = "ak-untrusted:ca-eku"

#: Every reason :func:`check_ak_trust` can report, in the order it reports them.
REASONS: tuple[str, ...] = (
    NOT_IN_TRUSTED_LIST,
    NO_CHAIN,
    LEAF_KEY_NOT_QUOTE_AK,
    UNKNOWN_ROOT,
    INCOMPLETE_CHAIN,
    ISSUER_NAME_MISMATCH,
    ISSUER_SIGNATURE_INVALID,
    CHAIN_EXPIRED,
    CHAIN_NOT_YET_VALID,
    MALFORMED_CERTIFICATE,
    UNKNOWN_CRITICAL_EXTENSION,
    LEAF_IS_CA,
    KEY_USAGE,
    MISSING_AK_EKU,
    NOT_A_CA,
    PATH_LENGTH,
    CA_EKU,
)

Status = Literal["verified", "unverified", "untrusted"]
Role = Literal["leaf", "intermediate", "anchor"]

#: The files of :func:`azure_vtpm_anchors` under ``data/attest`` (see its SOURCES.md).
AZURE_ROOT_FILE = "azure-virtual-tpm-root-ca-2023.pem"
AZURE_INTERMEDIATE_FILES = ("global-virtual-tpm-ca-01.pem", "global-virtual-tpm-ca-03.pem")
#: What ``Certificate.verify_directly_issued_by`` raises for a link that does not verify (wrong
#: issuer name, unsupported key or signature algorithm, bad signature).
_VERIFY_ERRORS = (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm)
#: The longest path built (leaf, intermediates, anchor); real vTPM chains have three certificates.
MAX_PATH = 8


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class AkTrust(Verdict):
    """Whether the quote's AK is trusted.

    Attributes:
        status: ``verified`` (the AK is a trusted AK, or the key of a leaf whose chain verified to
            a trusted root), ``unverified`` (no trust anchors were given: the AK was used as given)
            or ``untrusted`` (anchors were given and the AK matched none of them).
        reasons: machine codes (:data:`REASONS`, in that order) when ``untrusted``; else empty.
        detail: one human sentence (several, ``; ``-separated) naming the certificate at fault.
        chain: the subjects (RFC 4514) of the path that was checked, leaf first, ending with the
            trust anchor when one was reached; empty when no chain was checked.
        at: the verification time the validity periods were checked at (UTC).
        checks: what was checked: ``trusted-ak-list`` and/or ``certificate-chain``; empty when
            nothing was (``unverified``).

    ``passed`` (and ``bool()``) is ``status != "untrusted"``: an ``unverified`` AK is not a
    failure by itself, but :attr:`verified` is false for it; a verifier that requires a trusted AK
    tests :attr:`verified`.
    """

    status: Status
    reasons: tuple[str, ...] = ()
    detail: str = ""
    chain: tuple[str, ...] = ()
    at: dt.datetime | None = None
    checks: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status != "untrusted"

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "detail": self.detail,
            "chain": list(self.chain),
            "at": self._at_text,
            "checks": list(self.checks),
        }

    @cached_property
    def _at_text(self) -> str | None:
        """:attr:`at` in ISO 8601, made once per (immutable) verdict: :func:`check_ak_trust`
        returns one instance per trusted AK and time, and ``isoformat`` is not cheap."""
        return None if self.at is None else self.at.isoformat()


# ----------------------------------------------------------------------------- trust anchors
@dataclass(frozen=True)
class TrustAnchors:
    """What the verifier trusts.

    Attributes:
        roots: self-signed root certificates (``--ak-roots``): the trust anchors of AK chains.
        intermediates: CA certificates that may complete a chain above the evidence's
            ``ak-chain.pem`` (not trusted by themselves: they must chain to a root).
        trusted_aks: pinned AK public keys (``--trusted-ak``).
    """

    roots: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()
    trusted_aks: tuple[PublicKey, ...] = ()

    @cached_property
    def trusted_ak_spkis(self) -> tuple[bytes, ...]:
        """:func:`~tlkit.attest._evidence.key_spki` of each of :attr:`trusted_aks` (computed once:
        the anchors are immutable), what an AK is compared with."""
        return tuple(key_spki(k) for k in self.trusted_aks)

    @property
    def empty(self) -> bool:
        """No root and no trusted AK: :func:`check_ak_trust` returns ``unverified``."""
        return not self.roots and not self.trusted_aks

    def merged(self, other: TrustAnchors) -> TrustAnchors:
        """Both sets of anchors (e.g. :func:`azure_vtpm_anchors` plus a user's trusted-AK list)."""
        return TrustAnchors(
            self.roots + other.roots,
            self.intermediates + other.intermediates,
            self.trusted_aks + other.trusted_aks,
        )

    @classmethod
    def from_files(
        cls,
        *,
        ak_roots: str | os.PathLike[str] | None = None,
        trusted_ak: str | os.PathLike[str] | None = None,
        intermediates: str | os.PathLike[str] | None = None,
    ) -> TrustAnchors:
        """Anchors from files (each read with a 1 MiB cap).

        Args:
            ak_roots: PEM bundle of self-signed root certificates (:func:`load_ak_roots`).
            trusted_ak: PEM public keys and/or certificates, or one DER / TPM2B_PUBLIC key
                (:func:`load_trusted_aks`).
            intermediates: PEM bundle of intermediate CA certificates.

        Raises:
            DataError: a file that cannot be read, is too big or does not decode (named).
        """
        return cls(
            roots=() if ak_roots is None else load_ak_roots(_read(ak_roots, "AK root bundle"), str(ak_roots)),
            intermediates=()
            if intermediates is None
            else load_ak_chain(_read(intermediates, "intermediate CA bundle"), str(intermediates)),
            trusted_aks=()
            if trusted_ak is None
            else load_trusted_aks(_read(trusted_ak, "trusted AK list"), str(trusted_ak)),
        )


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return read_input(Path(path), what, SMALL_FILE_CAP)
    except OSError as e:
        raise DataError(f"{path}: cannot read the {what} ({e.strerror or e})") from None


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or f"(empty subject, serial {cert.serial_number:x})"


def _self_signed(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except _VERIFY_ERRORS:
        return False
    return True


def load_ak_roots(data: bytes, source: str = "--ak-roots") -> tuple[x509.Certificate, ...]:
    """Root certificates from a PEM bundle; each must be self-signed (subject = issuer, and its
    own key verifies its signature).

    Raises:
        DataError: no certificate, unreadable PEM, or a certificate that is not self-signed (named
            by position and subject; intermediates belong in the evidence chain or the
            intermediates bundle, not among the trust anchors).
    """
    roots = load_ak_chain(data, source)
    for i, cert in enumerate(roots):
        if not _self_signed(cert):
            raise DataError(
                f"{source}: certificate {i + 1} ({_name(cert)}) is not self-signed: a trust anchor must be "
                "a root; intermediates come from the evidence's ak-chain.pem or an intermediates bundle"
            )
    return roots


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----\r?\n?", re.DOTALL)


def _pem_key(label: bytes, block: bytes, index: int, source: str) -> PublicKey:
    """The public key of one PEM block (a certificate's key, or a public key)."""
    if label == b"CERTIFICATE":
        try:
            key = x509.load_pem_x509_certificate(block).public_key()
        except ValueError as e:
            raise DataError(f"{source}: PEM block {index + 1} is not a readable certificate ({e})") from None
        if key_is_rsa(key) is None:
            raise DataError(f"{source}: certificate {index + 1} holds neither an RSA nor an EC key")
        return key  # type: ignore[return-value]
    if label in (b"PUBLIC KEY", b"RSA PUBLIC KEY"):
        with naming(f"{source}: PEM block {index + 1}"):
            return load_public_key(block)
    raise DataError(f"{source}: PEM block {index + 1} is a {label.decode()}, not a public key or certificate")


def load_trusted_aks(data: bytes, source: str = "--trusted-ak") -> tuple[PublicKey, ...]:
    """Pinned AK keys: every PEM ``PUBLIC KEY`` / ``RSA PUBLIC KEY`` / ``CERTIFICATE`` block (a
    certificate contributes its key only), or, without PEM, one DER or TPM2B_PUBLIC key.

    Raises:
        DataError / ParseError: nothing usable, or a block that does not decode (named).
    """
    blocks = list(_PEM_BLOCK.finditer(data))
    if not blocks:
        if b"-----BEGIN" in data:
            raise DataError(f"{source}: malformed PEM (no complete BEGIN/END block)")
        with naming(source):
            return (load_public_key(bytes(data)),)
    return tuple(_pem_key(m.group(1), m.group(0), i, source) for i, m in enumerate(blocks))


@data_cache()
def azure_vtpm_anchors() -> TrustAnchors:
    """The real Azure vTPM AK trust anchors shipped in ``data/attest`` (origin in its SOURCES.md):
    root "Azure Virtual TPM Root Certificate Authority 2023", intermediates "Global Virtual TPM
    CA - 01" and "- 03"."""
    folder = data_root() / "attest"
    try:
        root = folder.joinpath(AZURE_ROOT_FILE).read_bytes()
        mids = b"".join(folder.joinpath(name).read_bytes() for name in AZURE_INTERMEDIATE_FILES)
    except OSError as e:
        raise DataError(f"tlkit's Azure vTPM CA certificates are missing from {folder} ({e})") from None
    return TrustAnchors(roots=load_ak_roots(root, AZURE_ROOT_FILE), intermediates=load_ak_chain(mids))


# ------------------------------------------------------------------------------ path building
@dataclass(frozen=True)
class _Link:
    """One certificate of the path and where it stands."""

    cert: x509.Certificate
    role: Role
    cas_below: int  # intermediate CA certificates between it and the leaf (RFC 5280, 6.1.4 (l))

    @property
    def label(self) -> str:
        return f"{self.role} certificate '{_name(self.cert)}'"


def _is_anchor(cert: x509.Certificate, roots: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The root that *is* ``cert`` (same subject and public key, RFC 5280 6.1.1 (d)), if any."""
    key = _key_of(cert)
    for root in roots:
        if root.subject == cert.subject and key is not None and _key_of(root) == key:
            return root
    return None


def _key_of(cert: x509.Certificate) -> bytes | None:
    """The certificate's SubjectPublicKeyInfo (DER), None for a key ``cryptography`` cannot load."""
    try:
        return key_spki(cert.public_key())  # type: ignore[arg-type]
    except Exception:  # an unsupported or malformed key is simply no match (and no trust)
        return None


def _issuer_of(cert: x509.Certificate, pool: Iterable[x509.Certificate]) -> x509.Certificate | None:
    """A certificate of ``pool`` named as ``cert``'s issuer, preferring one whose key verifies it."""
    named = [c for c in pool if c.subject == cert.issuer]
    for c in named:
        try:
            cert.verify_directly_issued_by(c)
        except _VERIFY_ERRORS:
            continue
        return c
    return named[0] if named else None


def _build_path(
    chain: Sequence[x509.Certificate], anchors: TrustAnchors
) -> tuple[list[x509.Certificate], bool, tuple[str, str] | None]:
    """The path from the leaf: the evidence chain as given (cut at the first certificate that is a
    trust anchor), then issuers found among the anchors' intermediates and roots. Returns the path,
    whether it ends at a trust anchor, and the failure to reach one (reason, detail)."""
    path = [chain[0]]
    for cert in chain[1:]:
        root = _is_anchor(cert, anchors.roots)
        if root is not None:
            return [*path, root], True, None
        path.append(cert)
    while len(path) < MAX_PATH:
        top = path[-1]
        if top.subject == top.issuer:  # self-issued and not an anchor: someone else's root
            return path, False, (UNKNOWN_ROOT, f"'{_name(top)}' is a root that is not a trust anchor")
        root = _issuer_of(top, anchors.roots)
        if root is not None:
            return [*path, root], True, None
        parent = _issuer_of(top, [c for c in anchors.intermediates if c not in path])
        if parent is None:
            break
        path.append(parent)
    top = path[-1]
    return (
        path,
        False,
        (INCOMPLETE_CHAIN, f"no issuer '{top.issuer.rfc4514_string()}' of '{_name(top)}' found"),
    )


def _links(path: list[x509.Certificate], anchored: bool) -> list[_Link]:
    last = len(path) - 1
    out = []
    for i, cert in enumerate(path):
        role: Role = "leaf" if i == 0 else "anchor" if anchored and i == last else "intermediate"
        out.append(_Link(cert, role, max(i - 1, 0)))
    return out


# ------------------------------------------------------------------------------ the rules
def _ext(cert: x509.Certificate, kind: type[Any]) -> Any:
    """The value of ``cert``'s extension of class ``kind``, or None when absent."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _expired(link: _Link, at: dt.datetime) -> str | None:
    end = link.cert.not_valid_after_utc
    return f"expired {end.isoformat()} (checked at {at.isoformat()})" if at > end else None


def _not_yet_valid(link: _Link, at: dt.datetime) -> str | None:
    start = link.cert.not_valid_before_utc
    return f"not valid before {start.isoformat()} (checked at {at.isoformat()})" if at < start else None


#: Extensions this check understands (processes, or may safely ignore) when marked critical.
UNDERSTOOD_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,  # TCG profiles mark it critical when the subject is empty
    }
)


def _unknown_critical(link: _Link, at: dt.datetime) -> str | None:
    odd = [
        e.oid.dotted_string for e in link.cert.extensions if e.critical and e.oid not in UNDERSTOOD_EXTENSIONS
    ]
    return f"critical extension(s) {', '.join(odd)} not understood" if odd else None


def _leaf_is_ca(link: _Link, at: dt.datetime) -> str | None:
    bc = _ext(link.cert, x509.BasicConstraints)
    return (
        "is a CA certificate (basicConstraints cA), not an AK certificate"
        if bc is not None and bc.ca
        else None
    )


def _leaf_key_usage(link: _Link, at: dt.datetime) -> str | None:
    ku = _ext(link.cert, x509.KeyUsage)
    if ku is None:
        return "has no keyUsage (an AK certificate needs digitalSignature)"
    return None if ku.digital_signature else "keyUsage lacks digitalSignature"


def _leaf_ak_eku(link: _Link, at: dt.datetime) -> str | None:
    eku = _ext(link.cert, x509.ExtendedKeyUsage)
    return None if eku is not None and TCG_AK_EKU in eku else "lacks the TCG AK EKU 2.23.133.8.3"


def _not_a_ca(link: _Link, at: dt.datetime) -> str | None:
    bc = _ext(link.cert, x509.BasicConstraints)
    return (
        None if bc is not None and bc.ca else "is not a CA (no basicConstraints cA) but issued a certificate"
    )


def _path_length(link: _Link, at: dt.datetime) -> str | None:
    bc = _ext(link.cert, x509.BasicConstraints)
    limit = None if bc is None else bc.path_length
    if limit is None or link.cas_below <= limit:
        return None
    return f"pathLenConstraint {limit} but {link.cas_below} intermediate CA(s) below it"


def _ca_key_usage(link: _Link, at: dt.datetime) -> str | None:
    ku = _ext(link.cert, x509.KeyUsage)
    if ku is None:
        return None if link.role == "anchor" else "has no keyUsage (a CA needs keyCertSign)"
    return None if ku.key_cert_sign else "keyUsage lacks keyCertSign"


def _ca_eku(link: _Link, at: dt.datetime) -> str | None:
    eku = _ext(link.cert, x509.ExtendedKeyUsage)
    if eku is None or TCG_AK_EKU in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku:
        return None
    return "EKU does not allow AK certificates (neither 2.23.133.8.3 nor anyExtendedKeyUsage)"


_ALL: frozenset[Role] = frozenset(("leaf", "intermediate", "anchor"))
_LEAF: frozenset[Role] = frozenset(("leaf",))
_CAS: frozenset[Role] = frozenset(("intermediate", "anchor"))


@dataclass(frozen=True)
class CertRule:
    """One certificate rule: its reason code, the roles it applies to, and the check (a detail
    sentence when the certificate breaks the rule, else None)."""

    code: str
    roles: frozenset[Role]
    check: Callable[[_Link, dt.datetime], str | None]


#: The per-certificate rules, in the order they are applied (see the module docstring).
CERT_RULES: tuple[CertRule, ...] = (
    CertRule(CHAIN_EXPIRED, _ALL, _expired),
    CertRule(CHAIN_NOT_YET_VALID, _ALL, _not_yet_valid),
    CertRule(UNKNOWN_CRITICAL_EXTENSION, _ALL, _unknown_critical),
    CertRule(LEAF_IS_CA, _LEAF, _leaf_is_ca),
    CertRule(KEY_USAGE, _LEAF, _leaf_key_usage),
    CertRule(MISSING_AK_EKU, _LEAF, _leaf_ak_eku),
    CertRule(NOT_A_CA, _CAS, _not_a_ca),
    CertRule(PATH_LENGTH, _CAS, _path_length),
    CertRule(KEY_USAGE, _CAS, _ca_key_usage),
    CertRule(CA_EKU, _CAS, _ca_eku),
)


def _cert_findings(link: _Link, at: dt.datetime) -> list[tuple[str, str]]:
    found = []
    for rule in CERT_RULES:
        if link.role not in rule.roles:
            continue
        try:
            why = rule.check(link, at)
        except ValueError as e:  # extensions are decoded lazily: a malformed one fails here
            found.append((MALFORMED_CERTIFICATE, f"{link.label}: malformed extension ({e})"))
            break
        if why is not None:
            found.append((rule.code, f"{link.label} {why}"))
    return found


def _link_finding(child: _Link, parent: _Link) -> tuple[str, str] | None:
    """The issuer name and signature of one link (RFC 5280, 6.1.3 (a)(1), (a)(4))."""
    if child.cert.issuer != parent.cert.subject:
        return (
            ISSUER_NAME_MISMATCH,
            f"{child.label} names issuer '{child.cert.issuer.rfc4514_string()}', "
            f"but the next certificate is '{_name(parent.cert)}'",
        )
    try:
        child.cert.verify_directly_issued_by(parent.cert)
    except _VERIFY_ERRORS as e:
        why = f" ({e})" if str(e) else ""
        return (
            ISSUER_SIGNATURE_INVALID,
            f"{child.label}: signature does not verify with the key of '{_name(parent.cert)}'{why}",
        )
    return None


def _leaf_holds(leaf: x509.Certificate, ak: PublicKey) -> bool:
    """Whether the leaf certificate's public key is ``ak``."""
    key = _key_of(leaf)
    return key is not None and key == key_spki(ak)


def _chain_findings(
    ak: PublicKey, chain: Sequence[x509.Certificate], anchors: TrustAnchors, at: dt.datetime
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """Every rule broken by the path from ``chain``'s leaf, and the path's subjects."""
    path, anchored, failure = _build_path(chain, anchors)
    links = _links(path, anchored)
    found: list[tuple[str, str]] = []
    if not _leaf_holds(path[0], ak):
        found.append(
            (LEAF_KEY_NOT_QUOTE_AK, f"{links[0].label}: its public key is not the AK that signed the quote")
        )
    if failure is not None:
        found.append(failure)
    for child, parent in itertools.pairwise(links):
        link = _link_finding(child, parent)
        if link is not None:
            found.append(link)
    for link_ in links:
        found += _cert_findings(link_, at)
    return found, tuple(_name(c) for c in path)


# ------------------------------------------------------------------------------- the decision
def _utc(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.UTC)
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _unverified(chain: Sequence[x509.Certificate], at: dt.datetime) -> AkTrust:
    note = (
        f"; the evidence's AK certificate chain ({len(chain)} certificates) was not checked" if chain else ""
    )
    return AkTrust(
        "unverified",
        detail="no trust anchors were given (neither a trusted-AK list nor AK roots): the AK in the "
        "evidence was used as given, like tpm2_checkquote -u; nothing shows it belongs to a vTPM" + note,
        at=at,
    )


@functools.lru_cache(maxsize=256)
def _pinned(i: int, at: dt.datetime) -> AkTrust:
    """The verdict for trusted AK ``i`` at ``at`` (frozen, of immutable values: one instance may be
    returned any number of times)."""
    return AkTrust(
        "verified", detail=f"the AK is trusted AK {i + 1} of the list", at=at, checks=("trusted-ak-list",)
    )


def check_ak_trust(
    ak: PublicKey,
    chain: Sequence[x509.Certificate] = (),
    anchors: TrustAnchors | None = None,
    *,
    at: dt.datetime | None = None,
) -> AkTrust:
    """Decide whether ``ak`` (the key that signed the quote) is trusted.

    Args:
        ak: the AK public key (``cryptography`` RSA or EC).
        chain: the AK certificate chain from the evidence, leaf first (may be empty).
        anchors: trusted roots / intermediates / pinned AKs; None or empty: ``unverified``.
        at: the verification time for validity periods (default: now); a naive datetime is UTC.

    Returns:
        :class:`AkTrust`: ``verified`` when ``ak`` is a pinned AK or the leaf key of a chain that
        passes every rule of the module docstring; ``untrusted`` with every broken rule's code
        otherwise; ``unverified`` without anchors.
    """
    when = _utc(at)
    if anchors is None or anchors.empty:
        return _unverified(chain, when)
    for i, pinned in enumerate(anchors.trusted_aks):
        # cryptography's key equality (EVP_PKEY_eq: same type, curve/parameters and public values,
        # i.e. the same SPKI) is cheaper than encoding ak's SPKI; the SPKI comparison below decides
        # every other case
        if type(ak) is type(pinned) and ak == pinned:
            return _pinned(i, when)
    spki = key_spki(ak)  # same_key, with the anchors' side computed once
    for i, pinned_spki in enumerate(anchors.trusted_ak_spkis):
        if spki == pinned_spki:
            return _pinned(i, when)
    found: list[tuple[str, str]] = []
    checks: list[str] = []
    subjects: tuple[str, ...] = ()
    if anchors.trusted_aks:
        checks.append("trusted-ak-list")
        found.append((NOT_IN_TRUSTED_LIST, f"the AK is none of the {len(anchors.trusted_aks)} trusted AK(s)"))
    if anchors.roots:
        checks.append("certificate-chain")
        if not chain:
            found.append((NO_CHAIN, "the evidence has no AK certificate chain to verify against the roots"))
        else:
            chain_found, subjects = _chain_findings(ak, chain, anchors, when)
            if not chain_found:
                return AkTrust(
                    "verified",
                    detail=f"the AK is the key of '{subjects[0]}', whose chain verifies "
                    f"to the trusted root '{subjects[-1]}'",
                    chain=subjects,
                    at=when,
                    checks=tuple(checks),
                )
            found += chain_found
    codes = {code for code, _ in found}
    return AkTrust(
        "untrusted",
        reasons=tuple(r for r in REASONS if r in codes),
        detail="; ".join(dict.fromkeys(d for _, d in found)),
        chain=subjects,
        at=when,
        checks=tuple(checks),
    )


# ----------------------------------------------------------------------- command-line helpers
def parse_at(text: str) -> dt.datetime:
    """``--at TIME``: an ISO-8601 date or date-time (``2025-06-01``, ``2025-06-01T12:00:00Z``,
    ``...+02:00``) or POSIX seconds, as an aware UTC datetime; **a time without an offset is UTC**;
    ``now`` is now. The one time parser of the ``tlkit attest`` commands.

    Raises:
        DataError: not an ISO-8601 time (``field="at"``).
    """
    value = text.strip()
    if value.lower() == "now":
        return dt.datetime.now(dt.UTC)
    try:
        parsed = (
            dt.datetime.fromtimestamp(int(value), dt.UTC)
            if value.isdigit()
            else dt.datetime.fromisoformat(value)
        )
    except (ValueError, OverflowError, OSError):
        raise DataError(
            f"--at {text!r} is neither ISO 8601 (e.g. 2025-06-01T12:00:00Z; no offset means UTC)"
            " nor POSIX seconds",
            field="at",
        ) from None
    return _utc(parsed)


def add_trust_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--trusted-ak FILE | --ak-roots FILE``, ``--ak-intermediates FILE`` and ``--at TIME``
    to a command (values are kept as strings; :func:`anchors_from_args` and :func:`parse_at`
    turn them into objects, raising :class:`~tlkit.errors.DataError` on bad input)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--trusted-ak", metavar="FILE", help="PEM public keys / certificates of trusted AKs")
    group.add_argument(
        "--ak-roots", metavar="FILE", help="PEM bundle of self-signed roots AK chains must reach"
    )
    parser.add_argument(
        "--ak-intermediates",
        metavar="FILE",
        help="PEM bundle of intermediate CAs that may complete an AK chain",
    )
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="verification time for certificate validity, ISO-8601 (no offset: UTC; default now)",
    )


def anchors_from_args(args: argparse.Namespace) -> tuple[TrustAnchors | None, dt.datetime | None]:
    """The anchors and verification time of a command parsed with :func:`add_trust_arguments`:
    ``(None, ...)`` when neither ``--trusted-ak`` nor ``--ak-roots`` was given (``unverified``);
    the time is None when ``--at`` was not given (check at now).

    Raises:
        DataError: a file that cannot be read or decoded, a bad ``--at`` (named).
    """
    at = None if getattr(args, "at", None) is None else parse_at(args.at)
    roots, trusted = getattr(args, "ak_roots", None), getattr(args, "trusted_ak", None)
    if roots is None and trusted is None:
        return None, at
    mids = getattr(args, "ak_intermediates", None)
    return TrustAnchors.from_files(ak_roots=roots, trusted_ak=trusted, intermediates=mids), at
