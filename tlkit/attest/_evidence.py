"""Evidence bundles: a TPM quote with its AK, PCR values, nonce, and optionally a firmware event log,
an AK certificate chain and the guest's own boot report.

What it does:

- :meth:`Evidence.load` reads an evidence directory with tpm2-tools file names (the directories
  ``tlkit boot simulate`` writes load as they are)::

      quote.msg     TPMS_ATTEST bytes                      (tpm2_quote -m)        required
      quote.sig     TPMT_SIGNATURE bytes                   (tpm2_quote -s)        required
      quote.pcrs    PCR values, serialized or raw values   (tpm2_quote -o)        required
      ak.pem        the AK public key (PEM, DER or TPM2B_PUBLIC)                  required
      nonce.hex     the nonce as hex text (empty file: empty nonce)               optional
      eventlog.bin  the TCG firmware event log                                     optional
      ak-chain.pem  the AK certificate chain, PEM, leaf first                      optional
      boot.json     the guest's boot report (``tlkit boot simulate``)              optional

  Every file is read with a size cap (:mod:`tlkit._io`); every bad file (missing, too big, not
  a regular file, bad PEM, nonce not hex, PCR file unreadable, boot.json not a JSON object)
  raises a :class:`~tlkit.errors.TlkitError` whose message names the file. A directory with no
  quote at all (a VM that did not boot) raises :class:`NoQuoteError`, which a verifier reports
  as ``no-evidence``; a directory with only part of a quote is *unusable input*, not
  ``no-evidence``.
- :meth:`Evidence.save` writes the same files back; a load/save round trip is byte-exact
  (the bytes each file had are kept in :attr:`Evidence.raw_files` and reused while they still
  decode to the fields' values).
- :meth:`Evidence.from_azure_document` reads the JSON attestation document of a real Azure
  Trusted Launch VM (quote message/signature/SHA-256 PCRs 0-23, base64, and the AK certificate
  chain, DER, leaf first); its AK is the leaf certificate's key, its nonce is empty (the
  documents' quotes carry an empty ``extraData``) and it has no event log.

What it does not do: verify anything. Every field is unverified data as read: the quote's
signature, the PCR values, the event log and the AK's origin are judged by
:func:`tlkit.tpm.verify_quote`, the event-log replay and :func:`tlkit.attest._aktrust.check_ak_trust`.
The message and signature are kept as bytes and not decoded here: a malformed quote is a
negative verdict of the verifier, not a loading error.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tlkit._io import EVENT_LOG_CAP, SMALL_FILE_CAP, naming, read_input
from tlkit.errors import DataError, TlkitError
from tlkit.tpm import Attest, PcrValues, QuoteInfo, read_pcrs, write_pcrs_serialized
from tlkit.tpm._public import PublicKey, key_is_rsa, load_public_key

__all__ = [
    "AK_CHAIN_FILE",
    "EVIDENCE_FILES",
    "NO_EVIDENCE",
    "QUOTE_FILES",
    "Evidence",
    "NoQuoteError",
    "has_quote",
    "key_spki",
    "load_ak_chain",
    "load_evidence",
    "same_key",
]

#: The files of a quote; all three (and ``ak.pem``) or none of them.
QUOTE_FILES = ("quote.msg", "quote.sig", "quote.pcrs")
AK_FILE = "ak.pem"
NONCE_FILE = "nonce.hex"
EVENTLOG_FILE = "eventlog.bin"
AK_CHAIN_FILE = "ak-chain.pem"
GUEST_REPORT_FILE = "boot.json"
#: Every file name an evidence directory may hold, in the order :meth:`Evidence.files` lists them.
EVIDENCE_FILES = (*QUOTE_FILES, AK_FILE, NONCE_FILE, EVENTLOG_FILE, AK_CHAIN_FILE, GUEST_REPORT_FILE)
#: What each file is, for messages.
_WHAT = {
    "quote.msg": "quote message (TPMS_ATTEST)",
    "quote.sig": "quote signature (TPMT_SIGNATURE)",
    "quote.pcrs": "quoted PCR values",
    AK_FILE: "AK public key",
    NONCE_FILE: "nonce",
    EVENTLOG_FILE: "event log",
    AK_CHAIN_FILE: "AK certificate chain",
    GUEST_REPORT_FILE: "guest boot report",
}
#: The verifier's reason for a directory without a quote (:class:`NoQuoteError`).
NO_EVIDENCE = "no-evidence"
_AZURE_SOURCE = "Azure attestation document"


class NoQuoteError(DataError):
    """An evidence directory that holds no quote at all (none of :data:`QUOTE_FILES`): the VM did
    not boot, or the attestation agent produced nothing. A verifier reports it as
    :data:`NO_EVIDENCE`; any other loading error is unusable input (a corrupt or partial bundle).

    Attributes:
        directory: the directory.
        booted: what ``boot.json`` says (None when there is no readable ``boot.json``).
        code: :data:`NO_EVIDENCE`.
    """

    code = NO_EVIDENCE

    def __init__(self, directory: str | Path, booted: bool | None = None, note: str = "") -> None:
        self.directory = str(directory)
        self.booted = booted
        why = f" ({GUEST_REPORT_FILE}: {note or 'the VM did not boot'})" if booted is False else ""
        super().__init__(
            f"{directory}: no quote in this evidence directory (none of {', '.join(QUOTE_FILES)}){why}",
            field="quote",
        )


def load_evidence(path: str | os.PathLike[str]) -> Evidence:
    """An evidence directory (:meth:`Evidence.load`) or, for a file, a real Azure Trusted Launch
    attestation document (:meth:`Evidence.from_azure_document`): what ``tlkit attest verify PATH``
    accepts."""
    if Path(path).is_file():
        return Evidence.from_azure_document(path)
    return Evidence.load(path)


def has_quote(path: str | os.PathLike[str]) -> bool:
    """Whether the directory holds any quote file (:meth:`Evidence.load` raises
    :class:`NoQuoteError` exactly when it holds none; it may still fail for other reasons)."""
    d = Path(path)
    return any(os.path.lexists(d / name) for name in QUOTE_FILES)


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public keys are the same key (equal SubjectPublicKeyInfo encodings)."""
    return key_spki(a) == key_spki(b)


def key_spki(key: PublicKey) -> bytes:
    """The key's DER SubjectPublicKeyInfo (what :func:`same_key` compares)."""
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_ak_chain(data: bytes, source: str = AK_CHAIN_FILE) -> tuple[x509.Certificate, ...]:
    """The certificates of a PEM bundle, in file order (an AK chain is leaf first).

    Raises:
        DataError: no certificate, or a PEM block that is not a readable X.509 certificate
            (the message names ``source``).
    """
    if b"-----BEGIN" not in data:
        raise DataError(f"{source}: no PEM certificate in the {_WHAT[AK_CHAIN_FILE]}")
    try:
        return tuple(x509.load_pem_x509_certificates(bytes(data)))
    except ValueError as e:
        raise DataError(f"{source}: unreadable PEM certificate ({e})") from None


def _chain_pem(chain: tuple[x509.Certificate, ...]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)


# ------------------------------------------------------------------------------- file decoders
def _decode_nonce(data: bytes, source: str) -> bytes:
    """``nonce.hex``: hex digits, surrounding whitespace allowed; an empty file is an empty nonce."""
    text = data.decode("ascii", errors="replace").strip()
    if len(text) % 2 or not all(c in string.hexdigits for c in text):
        raise DataError(f"{source}: the nonce is not hex text (an even number of 0-9a-f digits)")
    return bytes.fromhex(text)


def _quote_selection(message: bytes) -> QuoteInfo | None:
    """The (unverified) TPMS_QUOTE_INFO of ``message``, or None if it is not a readable quote."""
    try:
        attested = Attest.from_bytes(message).attested
    except TlkitError:
        return None
    return attested if isinstance(attested, QuoteInfo) else None


def _decode_pcrs(data: bytes, message: bytes, source: str) -> PcrValues:
    """``quote.pcrs``: the tpm2-tools serialized file, or raw values in the selection the quote
    message names (``tpm2_quote -F values``; a wrong selection then fails the digest check)."""
    try:
        return read_pcrs(data)
    except TlkitError as first:
        info = _quote_selection(message)
        if info is not None:
            try:
                return read_pcrs(data, info.pcr_select)
            except TlkitError:
                pass
        raise DataError(f"{source}: not a tpm2-tools PCR values file ({first})") from None


def _decode_ak(data: bytes, source: str) -> PublicKey:
    with naming(source):
        return load_public_key(data)


def _decode_guest_report(data: bytes, source: str, what: str = _WHAT[GUEST_REPORT_FILE]) -> dict[str, Any]:
    """A JSON object (``boot.json``, or an Azure attestation document with ``what`` saying so)."""
    try:
        report = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise DataError(f"{source}: not UTF-8 text (offset {e.start})") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{source}: not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except (RecursionError, ValueError) as e:
        raise DataError(f"{source}: not usable JSON ({type(e).__name__})") from None
    if not isinstance(report, dict):
        raise DataError(f"{source}: the {what} must be a JSON object, not {type(report).__name__}")
    return report


def _encode_guest_report(report: Mapping[str, Any]) -> bytes:
    return (json.dumps(dict(report), indent=2) + "\n").encode()


# ------------------------------------------------------------------------------------ reading
def _read(directory: Path, name: str, *, required: bool) -> bytes | None:
    """The bytes of ``directory/name`` (capped), None when absent and optional."""
    path = directory / name
    if not os.path.lexists(path):
        if required:
            raise DataError(f"{path}: missing ({_WHAT[name]}; an evidence directory needs {name})")
        return None
    if not path.is_file():  # a FIFO would block, a directory or device is not evidence
        raise DataError(f"{path}: the {_WHAT[name]} is not a regular file")
    try:
        return read_input(path, _WHAT[name], EVENT_LOG_CAP if name == EVENTLOG_FILE else SMALL_FILE_CAP)
    except OSError as e:
        raise DataError(f"{path}: cannot read the {_WHAT[name]} ({e.strerror or e})") from None


def _no_quote(directory: Path) -> NoQuoteError:
    """The error for a directory without quote files, with what boot.json says if it is readable."""
    try:
        raw = _read(directory, GUEST_REPORT_FILE, required=False)
        report = None if raw is None else _decode_guest_report(raw, GUEST_REPORT_FILE)
    except TlkitError:
        report = None
    booted = report.get("booted") if report is not None else None
    note = report.get("note", "") if report is not None else ""
    return NoQuoteError(
        directory, booted if isinstance(booted, bool) else None, note if isinstance(note, str) else ""
    )


def _check_directory(directory: Path) -> None:
    if not directory.is_dir():
        what = "does not exist" if not os.path.lexists(directory) else "is not a directory"
        raise DataError(f"{directory}: the evidence directory {what}")
    if not has_quote(directory):
        raise _no_quote(directory)


# ------------------------------------------------------------------------------------ the bundle
@dataclass(frozen=True)
class Evidence:
    """One attestation's evidence, as received: **nothing in it is verified**.

    Attributes:
        message: the TPMS_ATTEST bytes the AK signed (``quote.msg``).
        signature: the TPMT_SIGNATURE bytes (``quote.sig``).
        pcrs: the PCR values the quote is said to cover (``quote.pcrs``): unverified until the
            quote's pcrDigest has been checked against them.
        ak: the attestation key (``ak.pem``), as given: whether it belongs to a vTPM is
            :func:`~tlkit.attest._aktrust.check_ak_trust`'s question.
        nonce: the nonce the quote was requested with (``nonce.hex``); None when the file is
            absent. A verifier compares the quote with *its own* expected nonce, not this one.
        eventlog: the raw TCG event log (``eventlog.bin``); None when absent (the Azure Trusted
            Launch shape has no log). An empty file stays ``b""`` (not the same as absent).
        ak_chain: the AK certificate chain (``ak-chain.pem``), leaf first; may be empty.
        guest_report: ``boot.json`` as the guest wrote it (``tlkit boot simulate`` writes the
            scenario, Secure Boot state and refusals there). It is **guest-reported metadata,
            not covered by the quote**: a verifier must never take a verdict from it.
        source: where the evidence came from, for messages (not compared).
        raw_files: the bytes each file had when loaded (not compared); :meth:`files` reuses them
            while they still decode to the fields' values, so load/save is byte-exact.
    """

    message: bytes
    signature: bytes
    pcrs: PcrValues
    ak: PublicKey
    nonce: bytes | None
    eventlog: bytes | None
    ak_chain: tuple[x509.Certificate, ...] = ()
    guest_report: Mapping[str, Any] | None = None
    source: str = field(default="", compare=False)
    raw_files: Mapping[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("message", "signature"):
            if type(getattr(self, name)) is not bytes:
                raise DataError(f"{name} must be bytes, not {type(getattr(self, name)).__name__}", field=name)
        for name in ("nonce", "eventlog"):
            if getattr(self, name) is not None and type(getattr(self, name)) is not bytes:
                raise DataError(f"{name} must be bytes or None", field=name)
        if (
            not all(isinstance(c, x509.Certificate) for c in self.ak_chain)
            or type(self.ak_chain) is not tuple
        ):
            raise DataError("ak_chain must be a tuple of x509.Certificate", field="ak_chain")
        if key_is_rsa(self.ak) is None:
            raise DataError(f"ak must be an RSA or EC public key, not {type(self.ak).__name__}", field="ak")
        if not isinstance(self.pcrs, PcrValues):
            raise DataError(f"pcrs must be PcrValues, not {type(self.pcrs).__name__}", field="pcrs")

    # ----------------------------------------------------------------------------- directory
    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Evidence:
        """Read an evidence directory (file names in the module docstring).

        Raises:
            NoQuoteError: the directory holds none of the quote files (a :class:`DataError`).
            DataError / ParseError: a missing required file, a file over its size cap or not a
                regular file, or a file that does not decode; the message names the file.
        """
        directory = Path(path)
        _check_directory(directory)
        raw = {
            n: b for n in EVIDENCE_FILES if (b := _read(directory, n, required=n in _REQUIRED)) is not None
        }
        return cls._decode(raw, {n: str(directory / n) for n in EVIDENCE_FILES}, str(directory))

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], *, source: str = "in memory") -> Evidence:
        """The evidence of ``{file name: bytes}`` (what :meth:`files` gives, or
        :func:`tlkit.boot.scenario_evidence`), decoded as :meth:`load` decodes a directory.

        Raises:
            NoQuoteError: none of the quote files (e.g. a boot that did not happen).
            DataError / ParseError: a required file missing, or a file that does not decode.
        """
        unknown = sorted(set(files) - set(EVIDENCE_FILES))
        if unknown:
            raise DataError(f"{source}: not evidence files: {', '.join(unknown)}")
        if not any(n in files for n in QUOTE_FILES):
            report = files.get(GUEST_REPORT_FILE)
            info = _decode_guest_report(report, GUEST_REPORT_FILE) if report is not None else {}
            booted = info.get("booted")
            raise NoQuoteError(
                source, booted if isinstance(booted, bool) else None, str(info.get("note", ""))
            )
        missing = sorted(_REQUIRED - set(files))
        if missing:
            raise DataError(f"{source}: missing {', '.join(missing)} (an evidence bundle needs them)")
        return cls._decode(dict(files), {n: f"{source}: {n}" for n in EVIDENCE_FILES}, source)

    @classmethod
    def _decode(cls, raw: dict[str, bytes], at: Mapping[str, str], source: str) -> Evidence:
        message = raw["quote.msg"]
        chain = raw.get(AK_CHAIN_FILE)
        report = raw.get(GUEST_REPORT_FILE)
        nonce = raw.get(NONCE_FILE)
        return cls(
            message=message,
            signature=raw["quote.sig"],
            pcrs=_decode_pcrs(raw["quote.pcrs"], message, at["quote.pcrs"]),
            ak=_decode_ak(raw[AK_FILE], at[AK_FILE]),
            nonce=None if nonce is None else _decode_nonce(nonce, at[NONCE_FILE]),
            eventlog=raw.get(EVENTLOG_FILE),
            ak_chain=() if chain is None else load_ak_chain(chain, at[AK_CHAIN_FILE]),
            guest_report=None if report is None else _decode_guest_report(report, at[GUEST_REPORT_FILE]),
            source=source,
            raw_files=raw,
        )

    def files(self) -> dict[str, bytes]:
        """What :meth:`save` writes: ``{file name: bytes}`` in :data:`EVIDENCE_FILES` order, the
        optional files only when their field is set (``ak-chain.pem`` when the chain is not empty)."""
        out: dict[str, bytes] = {}
        for name, (present, encode, same) in _ENCODINGS.items():
            if not present(self):
                continue
            kept = self.raw_files.get(name)
            out[name] = kept if kept is not None and _still(same, self, kept) else encode(self)
        return out

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write :meth:`files` into the directory ``path`` (created if missing).

        Without ``overwrite`` a directory that already holds any evidence file is refused; with
        it, evidence files this bundle does not have are removed (no stale log or chain is left
        beside a new quote). Other files in the directory are left alone.

        Raises:
            DataError: ``path`` is not a directory, holds evidence and ``overwrite`` is false, or
                a file cannot be written (the message names it).
        """
        directory = Path(path)
        if os.path.lexists(directory) and not directory.is_dir():
            raise DataError(f"{directory}: exists and is not a directory")
        present = [n for n in EVIDENCE_FILES if os.path.lexists(directory / n)]
        if present and not overwrite:
            raise DataError(f"{directory}: already holds {', '.join(present)} (overwrite=True replaces them)")
        files = self.files()
        target = directory
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for name in EVIDENCE_FILES:
                target = directory / name
                if name not in files:
                    target.unlink(missing_ok=True)
            for name, data in files.items():
                target = directory / name
                target.write_bytes(data)
        except OSError as e:
            raise DataError(f"{target}: cannot write ({e.strerror or e})") from None

    # ----------------------------------------------------------------------------- Azure
    @classmethod
    def from_azure_document(cls, doc: str | os.PathLike[str] | bytes | Mapping[str, Any]) -> Evidence:
        """The evidence in a real Azure Trusted Launch attestation document.

        Args:
            doc: a path (``str`` or path-like) to the JSON file, its bytes, or the parsed dict.
                Shape: ``{"quote": {"message": b64, "signature": b64, "pcr_data": {"data":
                [["Sha256", {"bank": {"Slot0": hex, ...}}]]}}, "ak_cert_chain": [b64 DER, ...]}``
                (chain leaf -> intermediate -> root).

        Returns:
            Evidence whose ``ak`` is the leaf certificate's public key, ``ak_chain`` the chain,
            ``nonce`` ``b""`` (the document carries none; Azure's quotes have empty extraData)
            and ``eventlog`` None.

        Raises:
            DataError: unreadable file, not JSON, a missing or malformed field (named), bad
                base64 or hex, a certificate that is not DER X.509, a leaf key neither RSA nor EC.
        """
        data, source = _azure_json(doc)
        quote = _member(data, "quote", Mapping, source)
        message = _b64(quote, "message", source)
        chain = tuple(_der_certificate(item, i, source) for i, item in enumerate(_chain_items(data, source)))
        ak = chain[0].public_key()
        if key_is_rsa(ak) is None:
            raise DataError(
                f"{source}: the leaf certificate's key is neither RSA nor EC", field="ak_cert_chain"
            )
        return cls(
            message=message,
            signature=_b64(quote, "signature", source),
            pcrs=_azure_pcrs(_member(quote, "pcr_data", Mapping, source), source),
            ak=ak,  # type: ignore[arg-type]
            nonce=b"",
            eventlog=None,
            ak_chain=chain,
            source=source,
        )


_REQUIRED = frozenset((*QUOTE_FILES, AK_FILE))


def _still(same: Callable[[Evidence, bytes], bool], ev: Evidence, kept: bytes) -> bool:
    """Whether ``kept`` (a file's original bytes) still decodes to the field's value."""
    try:
        return same(ev, kept)
    except TlkitError:
        return False


def _pcrs_file(ev: Evidence) -> bytes:
    return write_pcrs_serialized(ev.pcrs)


def _ak_file(ev: Evidence) -> bytes:
    return ev.ak.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _nonce_file(ev: Evidence) -> bytes:
    return (ev.nonce or b"").hex().encode() + b"\n"


#: Per file: whether the bundle has it, how to encode the field, and whether original bytes still
#: decode to the field (then they are written unchanged).
_ENCODINGS: dict[
    str, tuple[Callable[[Evidence], bool], Callable[[Evidence], bytes], Callable[[Evidence, bytes], bool]]
] = {
    "quote.msg": (lambda ev: True, lambda ev: ev.message, lambda ev, b: b == ev.message),
    "quote.sig": (lambda ev: True, lambda ev: ev.signature, lambda ev, b: b == ev.signature),
    "quote.pcrs": (lambda ev: True, _pcrs_file, lambda ev, b: _decode_pcrs(b, ev.message, "") == ev.pcrs),
    AK_FILE: (lambda ev: True, _ak_file, lambda ev, b: same_key(_decode_ak(b, ""), ev.ak)),
    NONCE_FILE: (
        lambda ev: ev.nonce is not None,
        _nonce_file,
        lambda ev, b: _decode_nonce(b, "") == ev.nonce,
    ),
    EVENTLOG_FILE: (
        lambda ev: ev.eventlog is not None,
        lambda ev: ev.eventlog or b"",
        lambda ev, b: b == ev.eventlog,
    ),
    AK_CHAIN_FILE: (
        lambda ev: bool(ev.ak_chain),
        lambda ev: _chain_pem(ev.ak_chain),
        lambda ev, b: load_ak_chain(b) == ev.ak_chain,
    ),
    GUEST_REPORT_FILE: (
        lambda ev: ev.guest_report is not None,
        lambda ev: _encode_guest_report(ev.guest_report or {}),
        lambda ev, b: _decode_guest_report(b, "") == ev.guest_report,
    ),
}


# ----------------------------------------------------------------------- Azure document fields
def _azure_json(doc: str | os.PathLike[str] | bytes | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The document as a mapping, and its source for messages."""
    if isinstance(doc, Mapping):
        return doc, _AZURE_SOURCE
    if isinstance(doc, (bytes, bytearray, memoryview)):
        source = _AZURE_SOURCE
        raw = bytes(doc)
    elif isinstance(doc, (str, os.PathLike)):
        source = str(doc)
        try:
            raw = read_input(Path(doc), _AZURE_SOURCE, SMALL_FILE_CAP)
        except OSError as e:
            raise DataError(f"{source}: cannot read the {_AZURE_SOURCE} ({e.strerror or e})") from None
    else:
        raise DataError(f"an {_AZURE_SOURCE} is a path, bytes or a dict, not {type(doc).__name__}")
    parsed = _decode_guest_report(raw, source, _AZURE_SOURCE)  # the same strict JSON-object decoding
    return parsed, source


def _member(obj: Mapping[str, Any], key: str, kind: type, source: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind):
        raise DataError(f"{source}: {key!r} missing or not a {kind.__name__}", field=key)
    return value


def _b64(obj: Mapping[str, Any], key: str, source: str) -> bytes:
    return _b64decode(_member(obj, key, str, source), key, source)


def _b64decode(text: str, what: str, source: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"{source}: {what} is not base64", field=what) from None


def _chain_items(data: Mapping[str, Any], source: str) -> list[Any]:
    items: list[Any] = _member(data, "ak_cert_chain", list, source)
    if not items:
        raise DataError(f"{source}: 'ak_cert_chain' is empty", field="ak_cert_chain")
    return items


def _der_certificate(item: Any, index: int, source: str) -> x509.Certificate:
    what = f"ak_cert_chain[{index}]"
    if not isinstance(item, str):
        raise DataError(f"{source}: {what} is not a base64 string", field=what)
    try:
        return x509.load_der_x509_certificate(_b64decode(item, what, source))
    except ValueError as e:
        raise DataError(f"{source}: {what} is not a DER X.509 certificate ({e})", field=what) from None


def _slot(name: Any, source: str) -> int:
    """``"Slot7"`` -> 7 (the document's PCR index keys)."""
    if not isinstance(name, str) or not name.startswith("Slot") or not name[4:].isdigit():
        raise DataError(f"{source}: PCR key {name!r} is not 'Slot<n>'", field="pcr_data")
    return int(name[4:])


def _azure_pcrs(pcr_data: Mapping[str, Any], source: str) -> PcrValues:
    """``{"data": [[bank name, {"bank": {"Slot<n>": hex}}], ...]}`` as :class:`PcrValues`."""
    table: dict[str, dict[int, Any]] = {}
    for entry in _member(pcr_data, "data", list, source):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise DataError(f"{source}: a pcr_data entry is not [bank, {{'bank': ...}}]", field="pcr_data")
        if not isinstance(entry[1], Mapping):
            raise DataError(f"{source}: pcr_data entry {entry[0]!r} is not a mapping", field="pcr_data")
        bank = _member(entry[1], "bank", Mapping, source)
        table[entry[0].lower()] = {_slot(k, source): v for k, v in bank.items()}
    if not table:
        raise DataError(f"{source}: pcr_data holds no PCR bank", field="pcr_data")
    with naming(source):
        return PcrValues.from_dict(table)
