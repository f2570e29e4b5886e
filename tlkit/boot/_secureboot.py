"""The Secure Boot decision: does a loader load a component? Named rules, one small function each.

What the seed document (trusted-launch, "보안 부팅") and the UEFI specification say, as rules
(:data:`RULES`, tried in order; the first that returns a decision decides):

1. ``not-enforced`` — the verifier does not enforce signatures (Secure Boot off; for Windows
   code integrity: test signing): the component loads. With Secure Boot off firmware, shim and
   the kernel load everything.
2. ``dbx-hash`` — the component's SHA-256 Authenticode hash is in the deny list (dbx, MokListX):
   refused (UEFI 2.10, 32.5.3.3: dbx is checked before db, a match is never overridden).
3. ``dbx-certificate`` — a certificate of its signature chain is in the deny list: refused.
4. ``sbat`` — shim only: the image's ``.sbat`` generation of a component is below ``SbatLevel``,
   or the image has no ``.sbat``: refused (shim SBAT.md; this is how BootHole-class GRUBs are
   revoked without filling dbx).
5. ``allowed-hash`` — its hash is an allow-list entry (db, MokList): loads; that entry is the
   authority.
6. ``signature-chain`` — its Authenticode (or module) signature verifies (``cryptography``: RSA
   PKCS#1 v1.5 over the signed attributes, messageDigest and image hash checked) and the signer
   chains (``verify_directly_issued_by``) to an allow-list certificate (db, shim's vendor
   certificate, MokList, the kernel's keys): loads; that certificate is the authority, the
   EFI_SIGNATURE_DATA that PCR 7's EV_EFI_VARIABLE_AUTHORITY records (PFP 1.06, 3.3.4.8).
7. ``deny-by-default`` — anything else is refused: ``unsigned``, a broken signature
   (``image-digest-mismatch``, ``bad-signature``...) or ``untrusted-signer``.

Who verifies what (:class:`TrustPolicy`, built by :func:`firmware_policy`, :func:`shim_policy`,
:func:`kernel_module_policy`, :func:`windows_policy`): UEFI firmware checks shim, the Windows
Boot Manager and UEFI drivers against db/dbx; shim checks GRUB and the kernel against db,
MokList and its embedded vendor certificate, dbx and MokListX, and SBAT; the Linux kernel checks
modules against its built-in keys, db and MokList; the Windows boot manager and code integrity
check the Windows chain and kernel-mode drivers against the Microsoft root.

Consequences (the seed): an unsigned or revoked shim / bootloader / kernel stops the boot ("VM이
부팅되지 않습니다"); a kernel module or driver that fails is refused while the VM boots
(:attr:`LoadDecision.fatal` is false; the refusal feeds the untrusted-kernel-module alert).
:func:`decide_chain` applies that to a boot path.

What it does not do: measure anything (PCRs and the event log are the measured-boot part) or
decide attestation outcomes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tlkit._result import Verdict
from tlkit.boot._components import DEFAULT_SBAT_LEVEL, Component, parse_sbat_level
from tlkit.boot._keys import (
    DbEntry,
    SecureBootDatabases,
    certificate_entries,
    find_hash,
    signing_key,
    x509_entries,
)
from tlkit.boot._sign import SignatureCheck, certificate_path, check_signature, issued_by
from tlkit.eventlog import _guid as guids

__all__ = [
    "RULES",
    "ChainOutcome",
    "LoadDecision",
    "SecureBootRule",
    "TrustPolicy",
    "decide",
    "decide_chain",
    "firmware_policy",
    "kernel_module_policy",
    "shim_policy",
    "windows_policy",
]


@dataclass(frozen=True)
class TrustPolicy:
    """What one verifier trusts.

    Attributes:
        verifier: ``"uefi-firmware"``, ``"shim"``, ``"linux-kernel"``, ``"windows-boot-manager"``
            or ``"windows-code-integrity"``.
        enforced: signatures are checked at all (Secure Boot on; no test signing).
        allow: certificates and hashes it trusts, each naming the variable it came from.
        deny: certificates and hashes it refuses (dbx, MokListX).
        sbat_level: the ``SbatLevel`` text shim enforces (``None``: no SBAT check).
    """

    verifier: str
    enforced: bool
    allow: tuple[DbEntry, ...] = field(repr=False)
    deny: tuple[DbEntry, ...] = field(repr=False, default=())
    sbat_level: str | None = None

    @cached_property
    def allow_certificates(self) -> tuple[DbEntry, ...]:
        return x509_entries(self.allow)

    @cached_property
    def deny_certificates(self) -> frozenset[bytes]:
        return frozenset(e.data for e in x509_entries(self.deny))

    def allowed_hash(self, digest: bytes) -> DbEntry | None:
        return find_hash(self.allow, digest)

    def denied_hash(self, digest: bytes) -> DbEntry | None:
        return find_hash(self.deny, digest)


def firmware_policy(dbs: SecureBootDatabases, *, secure_boot: bool = True) -> TrustPolicy:
    """UEFI firmware image verification: db allows, dbx denies (UEFI 2.10, 32.5)."""
    return TrustPolicy("uefi-firmware", secure_boot, dbs.db.entries, dbs.dbx.entries)


def shim_policy(
    dbs: SecureBootDatabases,
    shim: Component,
    *,
    secure_boot: bool = True,
    mok_list: Iterable[DbEntry] = (),
    mok_list_x: Iterable[DbEntry] = (),
    sbat_level: str | None = DEFAULT_SBAT_LEVEL,
) -> TrustPolicy:
    """What shim trusts for GRUB and the kernel: db, MokList and the vendor certificate read from
    the shim image's ``.vendor_cert`` (variable ``Shim``, owner SHIM_LOCK), against dbx and MokListX,
    with SBAT (shim ``verify_buffer``: SBAT, then the deny lists, then the allow lists)."""
    vendor = certificate_entries("Shim", shim.vendor_certificates, guids.SHIM_LOCK)
    return TrustPolicy(
        "shim",
        secure_boot,
        (*dbs.db.entries, *mok_list, *vendor),
        (*dbs.dbx.entries, *mok_list_x),
        sbat_level,
    )


def kernel_module_policy(
    dbs: SecureBootDatabases,
    *,
    seed: int = 0,
    secure_boot: bool = True,
    builtin_roles: Sequence[str] = ("vendor-ca", "kernel-build-key"),
    mok_list: Iterable[DbEntry] = (),
) -> TrustPolicy:
    """The Linux kernel's module signature check under Secure Boot (lockdown implies
    ``module.sig_enforce``): the built-in keyring (the distro CA and the build-time key), db
    (the ``.platform`` keyring: how the Azure Kmod PCA admits Microsoft-built modules) and MokList
    (the ``.machine`` keyring); dbx certificates are blacklisted."""
    builtin = certificate_entries(
        "builtin", [signing_key(seed, r).der for r in builtin_roles], guids.SHIM_LOCK
    )
    deny = x509_entries(dbs.dbx.entries)
    return TrustPolicy("linux-kernel", secure_boot, (*builtin, *dbs.db.certificates, *mok_list), deny)


def windows_policy(
    verifier: str = "windows-code-integrity", *, seed: int = 0, enforced: bool = True
) -> TrustPolicy:
    """Windows boot manager / code integrity: images must chain to the Microsoft root (simulated
    ``Microsoft Root Certificate Authority 2010``). Kernel-mode driver signing is enforced on x64
    Windows whether or not Secure Boot is on; pass ``enforced=False`` for test signing or for the
    boot manager with Secure Boot off."""
    root = certificate_entries("Microsoft code integrity root", [signing_key(seed, "ms-root-2010").der])
    return TrustPolicy(verifier, enforced, root)


# ------------------------------------------------------------------------------------ evidence
def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class _Evidence:
    """What the rules look at, computed once per decision."""

    component: Component
    policy: TrustPolicy

    @cached_property
    def check(self) -> SignatureCheck:
        trusted = tuple(c for e in self.policy.allow_certificates if (c := e.certificate) is not None)
        return check_signature(self.component.data, trusted)

    @cached_property
    def digest(self) -> bytes:
        return self.check.digest if self.check.format == "pe" else self.component.digest("sha256")

    @cached_property
    def path(self) -> tuple[x509.Certificate, ...]:
        """The signer and the issuers found above it (in the signature, then the allow list)."""
        if self.check.signer is None:
            return ()
        pool = (
            *self.check.certificates,
            *(c for e in self.policy.allow_certificates if (c := e.certificate)),
        )
        return certificate_path(self.check.signer, pool)

    @cached_property
    def anchor(self) -> DbEntry | None:
        """The allow-list certificate the signature chains to (``None`` if it does not)."""
        if not self.check.valid:
            return None
        for cert in self.path:
            der = _der(cert)
            for entry in self.policy.allow_certificates:
                trusted = entry.certificate
                if entry.data == der or (trusted is not None and issued_by(cert, trusted)):
                    return entry
        return None


# --------------------------------------------------------------------------------------- result
@dataclass(frozen=True)
class LoadDecision(Verdict):
    """The verdict on loading one component.

    Attributes:
        component, kind: what was decided.
        verifier: who decided (:attr:`TrustPolicy.verifier`).
        loaded: it loads (``passed``).
        reason: a code: ``secure-boot-off``, ``hash-in-db``, ``signature-verified`` when loaded;
            ``dbx-hash``, ``dbx-certificate``, ``sbat-missing``, ``sbat-revoked``, ``unsigned``,
            ``untrusted-signer`` or a broken-signature code of :class:`SignatureCheck` when refused.
        rule: the :data:`RULES` entry that decided.
        authority: the db / MokList / vendor entry that verified it (``None`` otherwise); its
            :attr:`DbEntry.signature_data` is PCR 7's EV_EFI_VARIABLE_AUTHORITY data.
        fatal: a refusal of this component stops the boot (bootloaders and kernels), else the
            component is just not loaded (modules, drivers).
        digest: SHA-256 Authenticode hash (PE) or content hash (module, blob).
        signer: subject of the signing certificate, if the signature names one.
        detail: a sentence for people.
    """

    component: str
    kind: str
    verifier: str
    loaded: bool
    reason: str
    rule: str
    authority: DbEntry | None = field(default=None, repr=False)
    fatal: bool = False
    digest: bytes = field(default=b"", repr=False)
    signer: str | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.loaded

    @property
    def refused(self) -> bool:
        return not self.loaded

    @property
    def stops_boot(self) -> bool:
        return self.fatal and not self.loaded

    @property
    def reasons(self) -> tuple[str, ...]:
        return () if self.loaded else (self.reason,)

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "kind": self.kind,
            "verifier": self.verifier,
            "loaded": self.loaded,
            "reason": self.reason,
            "rule": self.rule,
            "authority": self.authority.variable if self.authority else None,
            "authority_subject": _subject(self.authority),
            "fatal": self.fatal,
            "digest": self.digest.hex(),
            "signer": self.signer,
            "detail": self.detail,
        }  # fmt: skip


def _subject(entry: DbEntry | None) -> str | None:
    cert = entry.certificate if entry is not None else None
    return cert.subject.rfc4514_string() if cert is not None else None


def _decision(
    ev: _Evidence, rule: str, loaded: bool, reason: str, detail: str, *, authority: DbEntry | None = None
) -> LoadDecision:
    c = ev.component
    signer = ev.check.signer.subject.rfc4514_string() if ev.check.signer is not None else None
    return LoadDecision(
        c.name, c.kind, ev.policy.verifier, loaded, reason, rule, authority,
        c.kind_info.fatal, ev.digest, signer, detail,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------- rules
def _rule_not_enforced(ev: _Evidence) -> LoadDecision | None:
    if ev.policy.enforced:
        return None
    return _decision(
        ev, "not-enforced", True, "secure-boot-off", f"{ev.policy.verifier} does not enforce signatures"
    )


def _rule_dbx_hash(ev: _Evidence) -> LoadDecision | None:
    entry = ev.policy.denied_hash(ev.digest)
    if entry is None:
        return None
    return _decision(ev, "dbx-hash", False, "dbx-hash", f"its SHA-256 hash is in {entry.variable}")


def _rule_dbx_certificate(ev: _Evidence) -> LoadDecision | None:
    revoked = next((c for c in ev.path if _der(c) in ev.policy.deny_certificates), None)
    if revoked is None:
        return None
    return _decision(
        ev, "dbx-certificate", False, "dbx-certificate", f"{revoked.subject.rfc4514_string()} is revoked"
    )


def _rule_sbat(ev: _Evidence) -> LoadDecision | None:
    if ev.policy.sbat_level is None or ev.component.pe is None:
        return None
    entries = ev.component.sbat
    if entries is None:
        return _decision(ev, "sbat", False, "sbat-missing", "the image has no .sbat section")
    have = {e.component: e.generation for e in entries}
    for level in parse_sbat_level(ev.policy.sbat_level):
        if level.component in have and have[level.component] < level.generation:
            why = f"{level.component} generation {have[level.component]} < SbatLevel {level.generation}"
            return _decision(ev, "sbat", False, "sbat-revoked", why)
    return None


def _rule_allowed_hash(ev: _Evidence) -> LoadDecision | None:
    entry = ev.policy.allowed_hash(ev.digest)
    if entry is None:
        return None
    return _decision(
        ev, "allowed-hash", True, "hash-in-db", f"its hash is in {entry.variable}", authority=entry
    )


def _rule_signature_chain(ev: _Evidence) -> LoadDecision | None:
    anchor = ev.anchor
    if anchor is None:
        return None
    why = f"signed under {_subject(anchor)} ({anchor.variable})"
    return _decision(ev, "signature-chain", True, "signature-verified", why, authority=anchor)


def _rule_deny_by_default(ev: _Evidence) -> LoadDecision:
    check = ev.check
    if not check.signed:
        return _decision(ev, "deny-by-default", False, "unsigned", "no signature and no allowed hash")
    if not check.valid:
        return _decision(ev, "deny-by-default", False, check.reason, "the signature does not verify")
    return _decision(ev, "deny-by-default", False, "untrusted-signer", "the signer chains to nothing trusted")


@dataclass(frozen=True)
class SecureBootRule:
    """A named decision rule: ``check`` returns a decision, or ``None`` to pass to the next rule."""

    name: str
    description: str
    check: Callable[[_Evidence], LoadDecision | None]


RULES: tuple[SecureBootRule, ...] = (
    SecureBootRule("not-enforced", "Secure Boot off / not enforced: everything loads", _rule_not_enforced),
    SecureBootRule("dbx-hash", "hash in dbx or MokListX: refused", _rule_dbx_hash),
    SecureBootRule("dbx-certificate", "a chain certificate in dbx: refused", _rule_dbx_certificate),
    SecureBootRule("sbat", "shim: SBAT generation below SbatLevel or no .sbat: refused", _rule_sbat),
    SecureBootRule("allowed-hash", "hash in db or MokList: loads", _rule_allowed_hash),
    SecureBootRule("signature-chain", "valid signature chaining to an allowed certificate: loads",
                   _rule_signature_chain),
    SecureBootRule("deny-by-default", "anything else: refused", _rule_deny_by_default),
)  # fmt: skip


def decide(component: Component, policy: TrustPolicy) -> LoadDecision:
    """Apply :data:`RULES` in order to ``component`` under ``policy``; the first decision wins.

    Raises:
        ParseError: the component's container (PE headers, certificate table, module trailer) is
            malformed — input damage, as opposed to a signature that does not verify.
    """
    ev = _Evidence(component, policy)
    for rule in RULES:
        decision = rule.check(ev)
        if decision is not None:
            return decision
    raise AssertionError("deny-by-default always decides")  # pragma: no cover


@dataclass(frozen=True)
class ChainOutcome(Verdict):
    """A boot path decided step by step.

    Attributes:
        booted: no fatal refusal (``passed``).
        decisions: one per component tried, in order; the path stops after a fatal refusal.
        refused: the refused components (fatal or not), e.g. kernel modules for the alert.
    """

    decisions: tuple[LoadDecision, ...]

    @property
    def booted(self) -> bool:
        return not any(d.stops_boot for d in self.decisions)

    @property
    def passed(self) -> bool:
        return self.booted

    @property
    def refused(self) -> tuple[LoadDecision, ...]:
        return tuple(d for d in self.decisions if d.refused)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{d.component}: {d.reason}" for d in self.refused)


def decide_chain(steps: Iterable[tuple[Component, TrustPolicy]]) -> ChainOutcome:
    """Decide each (component, policy) in boot order; stop at the first refusal that stops the boot."""
    out: list[LoadDecision] = []
    for component, policy in steps:
        out.append(decide(component, policy))
        if out[-1].stops_boot:
            break
    return ChainOutcome(tuple(out))
