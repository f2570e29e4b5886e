"""Secure Boot state as recorded in PCR7 of a firmware log (PC Client PFP 1.06, 3.3.4.8).

The summary is derived from the *unverified* log: it means something only after the log has
replayed to quoted PCR7 (and PCR4/2 for image loads). Even then the replay covers only digests, so
(as go-attestation ``ParseSecurebootState`` does) every event read here must also have a digest
that is the hash of its data (:meth:`Event.data_matches_digest`), and PCR 7 must have the shape the
PFP prescribes: only variable, authority, separator and action events; each Secure Boot variable
once, before the separator. Events that break this are not used and are named in
:attr:`SecureBootState.notes` (:data:`ANOMALIES` lists the codes that mean "do not trust this log";
they catch the go-attestation event-log-disclosure attack of re-typing PCR 7 events to EV_UNUSED).

Shim quirks are handled as in go-attestation: an authority may be a bare certificate instead of an
EFI_SIGNATURE_DATA (with one extra logged byte, issue #157), and shim logs MokListTrusted and
SbatLevel as EV_EFI_VARIABLE_AUTHORITY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tlkit.eventlog._payloads import (
    CertificateInfo,
    ImageLoad,
    SignatureList,
    TextEvent,
    UefiVariable,
    hashable_alg,
)
from tlkit.eventlog._types import EventType as T

if TYPE_CHECKING:
    import pandas as pd

    from tlkit.eventlog._model import Event, EventLog

__all__ = [
    "ANOMALIES",
    "AuthorityRecord",
    "ImageAuthority",
    "SecureBootState",
    "SignatureDatabase",
    "secure_boot_state",
]

ANOMALIES: tuple[str, ...] = (
    "payload-digest-mismatch",
    "unexpected-event-type",
    "variable-after-separator",
    "duplicate-variable",
    "duplicate-separator",
    "pcr7-separator-missing",
    "unexpected-efi-action",
    "uefi-debug-mode",
)
"""Note codes (the part before ``:``) that mean the PCR 7 log is not what PFP firmware writes:
a tampered or re-typed log, or firmware that cannot be trusted for a Secure Boot verdict."""


@dataclass(frozen=True)
class SignatureDatabase:
    """PK/KEK/db/dbx content as logged: certificates and hashes, with the event index."""

    name: str
    index: int
    certificates: tuple[CertificateInfo, ...]
    hashes: tuple[bytes, ...] = field(repr=False)
    lists: tuple[SignatureList, ...] = field(repr=False, default=())

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(c.subject or f"<unparsable {c.sha256_fingerprint[:16]}>" for c in self.certificates)

    @property
    def hash_count(self) -> int:
        return len(self.hashes)


@dataclass(frozen=True)
class AuthorityRecord:
    """One EV_EFI_VARIABLE_AUTHORITY event.

    Attributes:
        index: event index.
        variable: the variable named in the event (``db``, ``MokList``, ``Shim``, ``SbatLevel``...).
        certificate: the authority's certificate when the data holds one.
        owner: EFI_SIGNATURE_DATA owner GUID, when the data is one.
        form: ``"signature-data"``, ``"bare-certificate"`` (older shim), ``"sbat-level"``,
            ``"mok-list-trusted"`` or ``"other"``.
        before_separator: logged before PCR7's EV_SEPARATOR (a firmware-time authority).
    """

    index: int
    variable: str
    certificate: CertificateInfo | None
    owner: str | None
    form: str
    before_separator: bool


@dataclass(frozen=True)
class ImageAuthority:
    """An image load (EV_EFI_BOOT_SERVICES_APPLICATION/DRIVER, EV_EFI_RUNTIME_SERVICES_DRIVER) and
    the authority events that approved it (empty: the authority was already logged for an earlier
    image — firmware and shim log each authority once — or Secure Boot did not verify it).

    Pairing rule (the log does not link them; go-attestation does not pair them either, it only
    splits authorities into pre- and post-separator lists):

    * firmware (PFP 1.06, 3.3.4.8; EDK II DxeImageVerificationLib) measures the authority while it
      verifies the image, *before* the image is measured into PCR 2/4: the authority belongs to the
      next image load;
    * shim up to 15.2 measured the image into PCR 4 first and then logged the authority it verified
      it with, as a bare certificate: in a log without an ``SbatLevel`` (introduced with shim 15.3)
      a bare-certificate authority belongs to the *previous* image load (go-tpm-tools
      ``rhel8-uefi.bin``: the ``Shim`` authority, event 27, approved GRUB, event 26);
    * shim 15.3 and later log the authority before the image, like firmware;
    * ``SbatLevel`` and ``MokListTrusted`` are logged as authorities but approve nothing: they are
      never paired.
    """

    index: int
    type_name: str
    pcr: int
    path: str
    authorities: tuple[AuthorityRecord, ...]


@dataclass(frozen=True)
class SecureBootState:
    """Secure Boot facts claimed by a log (unverified until the log replays to quoted PCRs).

    Attributes:
        enabled: the SecureBoot variable's value; ``None`` if missing or empty.
        secure_boot_data: the raw SecureBoot variable data (``None`` if not logged).
        pk, kek, db, dbx: the databases as logged (``None`` when not logged).
        authorities: every EV_EFI_VARIABLE_AUTHORITY event, in order.
        images: each image load with the authorities logged just before it.
        mok_list_present: shim measured MokList (PCR14 EV_IPL or a variable event).
        mok_list_trusted: shim's MokListTrusted value, if logged.
        sbat_level: shim's SbatLevel text, if logged.
        dma_protection_disabled: the "DMA Protection Disabled" EV_EFI_ACTION is in PCR7.
        notes: machine-readable observations: ``pcr7-not-logged`` (the log has no PCR 7 event at
            all: it says nothing about Secure Boot, and a quoted PCR 7 that is not zero makes
            :meth:`EventLog.verify` fail with ``pcr-not-replayed:7``), ``secureboot-var-missing``,
            ``secureboot-var-empty``
            (a firmware quirk: the variable was measured with no data), ``authority-bare-certificate``,
            ``dma-protection-disabled``, ``undecodable:<index>``; and the anomalies (see
            :data:`ANOMALIES` and :attr:`anomalies`): ``payload-digest-mismatch:<index>`` (the event's
            digest is not the hash of its data: its payload was ignored),
            ``unexpected-event-type:<index>`` (a PCR 7 extend of a type the PFP does not put there,
            e.g. EV_UNUSED), ``variable-after-separator:<index>`` and ``duplicate-variable:<index>``
            (a Secure Boot variable logged after PCR 7's separator or twice: ignored),
            ``duplicate-separator:<index>``, ``pcr7-separator-missing``,
            ``unexpected-efi-action:<index>`` and ``uefi-debug-mode``.
    """

    enabled: bool | None
    secure_boot_data: bytes | None
    pk: SignatureDatabase | None
    kek: SignatureDatabase | None
    db: SignatureDatabase | None
    dbx: SignatureDatabase | None
    authorities: tuple[AuthorityRecord, ...]
    images: tuple[ImageAuthority, ...]
    mok_list_present: bool
    mok_list_trusted: bool | None
    sbat_level: str | None
    dma_protection_disabled: bool
    notes: tuple[str, ...]

    @property
    def anomalies(self) -> tuple[str, ...]:
        """The :attr:`notes` whose code is one of :data:`ANOMALIES` (empty for an honest PFP log)."""
        return tuple(n for n in self.notes if n.split(":", 1)[0] in ANOMALIES)

    def to_frame(self) -> pd.DataFrame:
        """One row per Secure Boot database (PK, KEK, db, dbx) as the log claims it.

        Columns: ``variable``, ``event`` (index of its EV_EFI_VARIABLE_DRIVER_CONFIG event, ``None``
        when not logged), ``certificates`` and ``hashes`` (counts) and ``subjects`` (the certificates'
        subjects, ``"; "``-joined).
        """
        import pandas as pd  # noqa: PLC0415 - pandas is only needed for tables

        rows = []
        for name, db in (("PK", self.pk), ("KEK", self.kek), ("db", self.db), ("dbx", self.dbx)):
            rows.append(
                {
                    "variable": name,
                    "event": db.index if db is not None else None,
                    "certificates": len(db.certificates) if db is not None else 0,
                    "hashes": db.hash_count if db is not None else 0,
                    "subjects": "; ".join(db.subjects) if db is not None else "",
                }
            )
        return pd.DataFrame(rows, columns=["variable", "event", "certificates", "hashes", "subjects"])

    def to_dict(self) -> dict[str, Any]:
        def db(x: SignatureDatabase | None) -> dict[str, Any] | None:
            if x is None:
                return None
            return {"index": x.index, "subjects": list(x.subjects), "hash_count": x.hash_count}

        return {
            "enabled": self.enabled,
            "pk": db(self.pk),
            "kek": db(self.kek),
            "db": db(self.db),
            "dbx": db(self.dbx),
            "authorities": [
                {
                    "index": a.index,
                    "variable": a.variable,
                    "form": a.form,
                    "subject": a.certificate.subject if a.certificate else None,
                }
                for a in self.authorities
            ],
            "images": [
                {
                    "index": i.index,
                    "type": i.type_name,
                    "path": i.path,
                    "authorities": [a.index for a in i.authorities],
                }
                for i in self.images
            ],
            "mok_list_present": self.mok_list_present,
            "mok_list_trusted": self.mok_list_trusted,
            "sbat_level": self.sbat_level,
            "dma_protection_disabled": self.dma_protection_disabled,
            "notes": list(self.notes),
            "anomalies": list(self.anomalies),
        }


_IMAGES = (
    T.EV_EFI_BOOT_SERVICES_APPLICATION,
    T.EV_EFI_BOOT_SERVICES_DRIVER,
    T.EV_EFI_RUNTIME_SERVICES_DRIVER,
)


def _authority(index: int, v: UefiVariable, before_sep: bool) -> AuthorityRecord:
    val = v.value
    if v.name in ("SbatLevel", "SbatLevelRT"):
        return AuthorityRecord(index, v.name, None, None, "sbat-level", before_sep)
    if v.name == "MokListTrusted":
        return AuthorityRecord(index, v.name, None, None, "mok-list-trusted", before_sep)
    if isinstance(val, CertificateInfo):
        return AuthorityRecord(index, v.name, val, None, "bare-certificate", before_sep)
    if isinstance(val, tuple) and len(val) == 2 and isinstance(val[1], CertificateInfo):
        return AuthorityRecord(index, v.name, val[1], str(val[0]), "signature-data", before_sep)
    return AuthorityRecord(index, v.name, None, None, "other", before_sep)


_PCR7_TYPES = frozenset(
    int(t)
    for t in (
        T.EV_NO_ACTION,
        T.EV_SEPARATOR,
        T.EV_EFI_ACTION,
        T.EV_EFI_VARIABLE_DRIVER_CONFIG,
        T.EV_EFI_VARIABLE_AUTHORITY,
        T.EV_EFI_SPDM_DEVICE_POLICY,
        T.EV_EFI_SPDM_DEVICE_AUTHORITY,
    )
)
"""What PFP 1.06 (3.3.4.8 and 10.4.1) logs into PCR 7 (go-attestation accepts the same, minus SPDM)."""

_SB_VARS = ("SecureBoot", "PK", "KEK", "db", "dbx", "dbt", "dbr")
_NOT_APPROVALS = ("sbat-level", "mok-list-trusted")


def _payload_ok(e: Event) -> bool | None:
    """False when, in any bank this OpenSSL can hash, the digest is not the hash of the data."""
    algs = (hashable_alg(a) for a, _ in e.digest_list)
    verdicts = [e.data_matches_digest(alg) for alg in algs if alg is not None]
    if False in verdicts:
        return False
    return True if True in verdicts else None


def secure_boot_state(log: EventLog) -> SecureBootState:
    """Summarise Secure Boot from PCR7 (and PCR14 shim events) of an unverified log (module rules)."""
    notes: list[str] = []
    enabled: bool | None = None
    sb_data: bytes | None = None
    sb_logged = False
    dbs: dict[str, SignatureDatabase] = {}
    authorities: list[AuthorityRecord] = []
    images: list[ImageAuthority] = []
    pending: list[AuthorityRecord] = []
    mok_present = False
    mok_trusted: bool | None = None
    sbat: str | None = None
    dma_off = False
    sep7 = False
    pcr7_extended = False
    seen_vars: set[str] = set()
    old_shim = not any(
        e.event_type == T.EV_EFI_VARIABLE_AUTHORITY and getattr(e.payload, "name", None) == "SbatLevel"
        for e in log
    )
    for e in log:
        t = e.event_type
        if e.pcr == 7 and t != T.EV_NO_ACTION:
            pcr7_extended = True
            if t not in _PCR7_TYPES:
                notes.append(f"unexpected-event-type:{e.index}")
                continue
            if t in (T.EV_SEPARATOR, T.EV_EFI_ACTION) and _payload_ok(e) is False:
                notes.append(f"payload-digest-mismatch:{e.index}")
                continue
        if t == T.EV_SEPARATOR and e.pcr == 7:
            if sep7:
                notes.append(f"duplicate-separator:{e.index}")
            sep7 = True
        elif t in (T.EV_EFI_VARIABLE_DRIVER_CONFIG, T.EV_EFI_VARIABLE_AUTHORITY):
            v = e.payload
            if not isinstance(v, UefiVariable):
                notes.append(f"undecodable:{e.index}")
                continue
            if v.name == "SecureBoot" and e.pcr == 7:
                sb_logged = True
            if _payload_ok(e) is False:
                notes.append(f"payload-digest-mismatch:{e.index}")
                continue
            if t == T.EV_EFI_VARIABLE_AUTHORITY:
                a = _authority(e.index, v, not sep7)
                authorities.append(a)
                if a.form == "bare-certificate" and "authority-bare-certificate" not in notes:
                    notes.append("authority-bare-certificate")
                if a.form == "sbat-level":
                    sbat = v.value if isinstance(v.value, str) else v.data.decode("utf-8", errors="replace")
                if a.form == "mok-list-trusted":
                    mok_trusted = bool(v.data[:1] == b"\x01")
                if a.form in _NOT_APPROVALS:
                    continue
                if old_shim and a.form == "bare-certificate" and images:
                    last = images[-1]
                    images[-1] = ImageAuthority(
                        last.index, last.type_name, last.pcr, last.path, (*last.authorities, a)
                    )
                else:
                    pending.append(a)
                continue
            if e.pcr == 7 and v.name in _SB_VARS and t == T.EV_EFI_VARIABLE_DRIVER_CONFIG:
                if sep7:
                    notes.append(f"variable-after-separator:{e.index}")
                    continue
                if v.name in seen_vars:
                    notes.append(f"duplicate-variable:{e.index}")
                    continue
                seen_vars.add(v.name)
            if v.name == "SecureBoot" and e.pcr == 7:
                sb_data = v.data
                if not v.data:
                    enabled = None
                    notes.append("secureboot-var-empty")
                else:
                    enabled = v.data[0] == 1
            elif v.name in ("PK", "KEK", "db", "dbx") and isinstance(v.value, tuple):
                lists = tuple(x for x in v.value if isinstance(x, SignatureList))
                dbs[v.name] = SignatureDatabase(
                    v.name,
                    e.index,
                    tuple(c for sl in lists for c in sl.certificates),
                    tuple(h for sl in lists for h in sl.hashes),
                    lists,
                )
            elif v.name in ("PK", "KEK", "db", "dbx") and not v.data:
                dbs[v.name] = SignatureDatabase(v.name, e.index, (), (), ())
            elif v.name.startswith("MokList"):
                mok_present = True
            if v.value_error is not None:
                notes.append(f"undecodable:{e.index}")
        elif t in _IMAGES:
            p = e.payload
            path = p.device_path.text if isinstance(p, ImageLoad) else ""
            images.append(ImageAuthority(e.index, e.type_name, e.pcr, path, tuple(pending)))
            pending = []
        elif t == T.EV_EFI_ACTION and e.pcr == 7:
            text = e.data.rstrip(b"\x00")
            if text == b"DMA Protection Disabled":
                dma_off = True
                notes.append("dma-protection-disabled")
            elif text == b"UEFI Debug Mode":
                notes.append("uefi-debug-mode")
            else:
                notes.append(f"unexpected-efi-action:{e.index}")
        elif t == T.EV_IPL and e.pcr == 14:
            p = e.payload
            if isinstance(p, TextEvent) and p.text.startswith("MokList"):
                mok_present = True
    if pcr7_extended and not sep7:
        notes.append("pcr7-separator-missing")
    if not sb_logged:
        notes.insert(0, "secureboot-var-missing")
    if not pcr7_extended:
        notes.insert(0, "pcr7-not-logged")
    return SecureBootState(
        enabled=enabled,
        secure_boot_data=sb_data,
        pk=dbs.get("PK"),
        kek=dbs.get("KEK"),
        db=dbs.get("db"),
        dbx=dbs.get("dbx"),
        authorities=tuple(authorities),
        images=tuple(images),
        mok_list_present=mok_present,
        mok_list_trusted=mok_trusted,
        sbat_level=sbat,
        dma_protection_disabled=dma_off,
        notes=tuple(notes),
    )
