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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tlkit.eventlog._event import Event
from tlkit.eventlog._hashing import hashable_alg
from tlkit.eventlog._logdata import LogData
from tlkit.eventlog._payloads import CertificateInfo, ImageLoad, SignatureList, TextEvent, UefiVariable
from tlkit.eventlog._policy import PCR_EVENT_TYPES, check_policy
from tlkit.eventlog._types import EventType as T

if TYPE_CHECKING:
    import pandas as pd

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
    "secureboot-var-missing",
    "event-type-not-allowed",
    "event-order-invalid",
    "event-data-undecodable",
)
"""Note codes (the part before ``:``) that mean the PCR 7 log is not what PFP firmware writes:
a tampered or re-typed log, or firmware that cannot be trusted for a Secure Boot verdict. The last four
are the PCR 7 rules of the evidence policy (``tlkit.eventlog._policy``), so a log that
:meth:`EventLog.verify` fails for its PCR 7 shape always has an anomaly here; ``secureboot-var-missing``
is an anomaly when PCR 7 is logged (Secure Boot is then unknown *and failing*, never silently unknown)."""


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
            :meth:`EventLog.verify` fail with ``pcr-not-covered:7``), ``secureboot-var-missing`` (an
            anomaly when PCR 7 is logged: Secure Boot is unknown and failing), ``secureboot-var-empty``
            (a firmware quirk: the variable was measured with no data), ``authority-bare-certificate``,
            ``dma-protection-disabled``, ``undecodable:<index>``; and the anomalies (see
            :data:`ANOMALIES` and :attr:`anomalies`): ``payload-digest-mismatch:<index>`` (the event's
            digest is not the hash of its data: its payload was ignored),
            ``unexpected-event-type:<index>`` (a PCR 7 extend of a type the PFP does not put there,
            e.g. EV_UNUSED), ``variable-after-separator:<index>`` and ``duplicate-variable:<index>``
            (a Secure Boot variable logged after PCR 7's separator or twice: ignored),
            ``duplicate-separator:<index>``, ``pcr7-separator-missing``,
            ``unexpected-efi-action:<index>``, ``uefi-debug-mode``, and the evidence policy's PCR 7
            findings not named above (``event-type-not-allowed:<index>``, e.g. an AUTHORITY naming
            PK; ``event-order-invalid:<index>``; ``event-data-undecodable:<index>``).
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
        unlogged = "pcr7-not-logged" in self.notes  # then a missing SecureBoot variable is no anomaly
        return tuple(
            n
            for n in self.notes
            if n.split(":", 1)[0] in ANOMALIES and not (unlogged and n == "secureboot-var-missing")
        )

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


_IMAGES = frozenset(
    int(t)
    for t in (
        T.EV_EFI_BOOT_SERVICES_APPLICATION,
        T.EV_EFI_BOOT_SERVICES_DRIVER,
        T.EV_EFI_RUNTIME_SERVICES_DRIVER,
    )
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


_PCR7_TYPES = PCR_EVENT_TYPES[7] | {int(T.EV_NO_ACTION)}
"""What PFP 1.06 (3.3.4.8 and 10.4.1) logs into PCR 7: the evidence policy's table (go-attestation
accepts the same, minus SPDM), and EV_NO_ACTION, which extends nothing."""

_SB_VARS = ("SecureBoot", "PK", "KEK", "db", "dbx", "dbt", "dbr")
_DATABASES = ("PK", "KEK", "db", "dbx")
_NOT_APPROVALS = ("sbat-level", "mok-list-trusted")
_PCR7_ACTIONS = {b"DMA Protection Disabled": "dma-protection-disabled", b"UEFI Debug Mode": "uefi-debug-mode"}


def _payload_ok(e: Event) -> bool | None:
    """False when, in any bank this OpenSSL can hash, the digest is not the hash of the data."""
    algs = (hashable_alg(a) for a, _ in e.digest_list)
    verdicts = [e.data_matches_digest(alg) for alg in algs if alg is not None]
    if False in verdicts:
        return False
    return True if True in verdicts else None


@dataclass
class _Reading:
    """What :func:`secure_boot_state` has read so far (one pass over the log)."""

    old_shim: bool
    notes: list[str] = field(default_factory=list)
    enabled: bool | None = None
    sb_data: bytes | None = None
    sb_logged: bool = False
    dbs: dict[str, SignatureDatabase] = field(default_factory=dict)
    authorities: list[AuthorityRecord] = field(default_factory=list)
    images: list[ImageAuthority] = field(default_factory=list)
    pending: list[AuthorityRecord] = field(default_factory=list)
    mok_present: bool = False
    mok_trusted: bool | None = None
    sbat: str | None = None
    dma_off: bool = False
    sep7: bool = False
    pcr7_extended: bool = False
    seen_vars: set[str] = field(default_factory=set)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


# --------------------------------------------------------------------------- one rule per event kind
def _pcr7_gate(st: _Reading, e: Event) -> bool:
    """Rule: a PCR 7 extend must have a PCR 7 type, and a separator/action its data as measured;
    returns False (event not used) otherwise."""
    if e.pcr != 7 or e.event_type == T.EV_NO_ACTION:
        return True
    st.pcr7_extended = True
    if e.event_type not in _PCR7_TYPES:
        st.note(f"unexpected-event-type:{e.index}")
        return False
    if e.event_type in (T.EV_SEPARATOR, T.EV_EFI_ACTION) and _payload_ok(e) is False:
        st.note(f"payload-digest-mismatch:{e.index}")
        return False
    return True


def _on_separator(st: _Reading, e: Event) -> None:
    if e.pcr != 7:
        return
    if st.sep7:
        st.note(f"duplicate-separator:{e.index}")
    st.sep7 = True


def _variable(st: _Reading, e: Event) -> UefiVariable | None:
    """The event's UEFI variable when it decodes and its data is what was measured, else a note."""
    v = e.payload
    if not isinstance(v, UefiVariable):
        st.note(f"undecodable:{e.index}")
        return None
    if v.name == "SecureBoot" and e.pcr == 7 and e.event_type == T.EV_EFI_VARIABLE_DRIVER_CONFIG:
        st.sb_logged = True
    if _payload_ok(e) is False:
        st.note(f"payload-digest-mismatch:{e.index}")
        return None
    return v


def _on_authority(st: _Reading, e: Event) -> None:
    v = _variable(st, e)
    if v is None:
        return
    a = _authority(e.index, v, not st.sep7)
    st.authorities.append(a)
    if a.form == "bare-certificate":
        st.note("authority-bare-certificate")
    if a.form == "sbat-level":
        st.sbat = v.value if isinstance(v.value, str) else v.data.decode("utf-8", errors="replace")
    if a.form == "mok-list-trusted":
        st.mok_trusted = bool(v.data[:1] == b"\x01")
    if a.form in _NOT_APPROVALS:
        return
    if st.old_shim and a.form == "bare-certificate" and st.images:
        last = st.images[-1]
        st.images[-1] = ImageAuthority(
            last.index, last.type_name, last.pcr, last.path, (*last.authorities, a)
        )
    else:
        st.pending.append(a)


def _sb_variable_in_place(st: _Reading, e: Event, v: UefiVariable) -> bool:
    """Rule: a PCR 7 Secure Boot variable is logged once, before the separator."""
    if e.pcr != 7 or v.name not in _SB_VARS:
        return True
    if st.sep7:
        st.note(f"variable-after-separator:{e.index}")
        return False
    if v.name in st.seen_vars:
        st.note(f"duplicate-variable:{e.index}")
        return False
    st.seen_vars.add(v.name)
    return True


def _on_config(st: _Reading, e: Event) -> None:
    v = _variable(st, e)
    if v is None or not _sb_variable_in_place(st, e, v):
        return
    if v.name == "SecureBoot" and e.pcr == 7:
        st.sb_data = v.data
        st.enabled = v.data[0] == 1 if v.data else None
        if not v.data:
            st.note("secureboot-var-empty")
    elif v.name in _DATABASES and (isinstance(v.value, tuple) or not v.data):
        lists = (
            tuple(x for x in v.value if isinstance(x, SignatureList)) if isinstance(v.value, tuple) else ()
        )
        certs = tuple(c for sl in lists for c in sl.certificates)
        st.dbs[v.name] = SignatureDatabase(
            v.name, e.index, certs, tuple(h for sl in lists for h in sl.hashes), lists
        )
    elif v.name.startswith("MokList"):
        st.mok_present = True
    if v.value_error is not None:
        st.note(f"undecodable:{e.index}")


def _on_image(st: _Reading, e: Event) -> None:
    p = e.payload
    path = p.device_path.text if isinstance(p, ImageLoad) else ""
    st.images.append(ImageAuthority(e.index, e.type_name, e.pcr, path, tuple(st.pending)))
    st.pending = []


def _on_action(st: _Reading, e: Event) -> None:
    if e.pcr != 7:
        return
    code = _PCR7_ACTIONS.get(e.data.rstrip(b"\x00"))
    st.dma_off = st.dma_off or code == "dma-protection-disabled"
    st.note(code or f"unexpected-efi-action:{e.index}")


def _on_ipl(st: _Reading, e: Event) -> None:
    p = e.payload
    if e.pcr == 14 and isinstance(p, TextEvent) and p.text.startswith("MokList"):
        st.mok_present = True


_HANDLERS: dict[int, Callable[[_Reading, Event], None]] = {
    int(T.EV_SEPARATOR): _on_separator,
    int(T.EV_EFI_VARIABLE_AUTHORITY): _on_authority,
    int(T.EV_EFI_VARIABLE_DRIVER_CONFIG): _on_config,
    int(T.EV_EFI_ACTION): _on_action,
    int(T.EV_IPL): _on_ipl,
    **dict.fromkeys(_IMAGES, _on_image),
}
"""One reader per event type (the rules of the module docstring); other types say nothing here."""


def _final_notes(st: _Reading, log: LogData) -> list[str]:
    """Whole-log rules: PCR 7 separator and SecureBoot variable present, and the evidence policy's
    PCR 7 rules (``tlkit.eventlog._policy``) as anomalies."""
    head = []
    if not st.pcr7_extended:
        head.append("pcr7-not-logged")
    if not st.sb_logged:
        head.append("secureboot-var-missing")
    tail = ["pcr7-separator-missing"] if st.pcr7_extended and not st.sep7 else []
    noted = {n.rsplit(":", 1)[-1] for n in st.notes}  # events a note above already names
    policy = [v.reason for v in check_policy(log, (7,)) if v.index is not None and str(v.index) not in noted]
    return head + st.notes + tail + policy


def secure_boot_state(log: LogData) -> SecureBootState:
    """Summarise Secure Boot from PCR7 (and PCR14 shim events) of an unverified log (module rules)."""
    st = _Reading(
        old_shim=not any(
            e.event_type == T.EV_EFI_VARIABLE_AUTHORITY and getattr(e.payload, "name", None) == "SbatLevel"
            for e in log
        )
    )
    for e in log:
        handler = _HANDLERS.get(e.event_type)
        if _pcr7_gate(st, e) and handler is not None:
            handler(st, e)
    notes = _final_notes(st, log)
    return SecureBootState(
        enabled=st.enabled if st.sb_logged else None,
        secure_boot_data=st.sb_data,
        pk=st.dbs.get("PK"),
        kek=st.dbs.get("KEK"),
        db=st.dbs.get("db"),
        dbx=st.dbs.get("dbx"),
        authorities=tuple(st.authorities),
        images=tuple(st.images),
        mok_list_present=st.mok_present,
        mok_list_trusted=st.mok_trusted,
        sbat_level=st.sbat,
        dma_protection_disabled=st.dma_off,
        notes=tuple(notes),
    )
