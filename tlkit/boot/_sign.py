"""Real signatures on simulated components: Authenticode for PE images, PKCS#7 for kernel modules.

Signing PE images — Debian's ``osslsigncode`` (chosen by evidence, measured on Debian 12):

* it writes **real Authenticode** (SignedData whose content is ``SpcIndirectDataContent`` with
  the PE image hash, SpcSpOpusInfo, a WIN_CERTIFICATE in the Certificate Table), the format UEFI
  firmware and shim verify; with ``-time`` fixed the output is byte-identical run to run (RSA
  PKCS#1 v1.5 is deterministic); ``sign`` takes about 30 ms per image;
* it is an ordinary Debian package (``apt-get install osslsigncode``). Debian 12 ships 2.5 (2.9 in
  bookworm-backports, the version run here); the options used (``-certs -key -h -n -time -in
  -out``) exist since 2.4, which renamed ``-st`` to ``-time`` (osslsigncode change log);
* the alternatives fall short: ``cryptography``'s PKCS7SignatureBuilder can only sign
  ``id-data`` content (not Authenticode); ``signify`` (PyPI 0.9.3) does not import on Debian 12
  (its ``oscrypto`` 1.3.0 cannot parse OpenSSL 3.0.1x's version: "Error detecting the version
  of libcrypto"); ``asn1crypto`` and LIEF have no Authenticode *builder*, and writing the
  ``SpcIndirectDataContent`` by hand is what this project does not do.

Each signed image is cached per (image, key) for the process (:func:`sign_pe`), so a boot
simulation pays for ``osslsigncode`` once per component. Without the binary, :func:`sign_pe`
raises :class:`tlkit.errors.MissingComponentError`.

Signing kernel modules: the Linux format (``scripts/sign-file.c``) is the module, a detached
CMS/PKCS#7 SignedData without certificates or signed attributes (``CMS_NOCERTS | CMS_NOATTR |
CMS_BINARY | CMS_DETACHED``), a 12-byte ``struct module_signature`` (id_type PKEY_ID_PKCS7, the
signature length big-endian) and the magic ``~Module signature appended~\\n``.
``cryptography``'s ``PKCS7SignatureBuilder`` with DetachedSignature / NoAttributes / NoCerts /
Binary writes exactly that SignedData.

Reading and verifying (no ASN.1 by hand): ``asn1crypto`` decodes the SignedData (signer
identifier, signed attributes, certificates, the ``SpcIndirectDataContent`` digest);
``cryptography`` verifies the RSA PKCS#1 v1.5 signature over the DER of the signed attributes
(or the content) and the certificate chain (``verify_directly_issued_by``).
:func:`check_signature` says whether a component's signature is intact and who signed it; whom to
trust is decided by :mod:`._secureboot`.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from tlkit.boot._keys import SigningKey
from tlkit.boot._pe import authenticode_hash, parse_pe
from tlkit.errors import MissingComponentError, ParseError, ToolError

__all__ = [
    "MODULE_SIGNATURE_MAGIC",
    "SIGNING_TIME",
    "SignatureCheck",
    "certificate_path",
    "check_signature",
    "issued_by",
    "sign_kernel_module",
    "sign_pe",
    "signed_content",
    "verify_signed_data",
]

#: Signing time written into every Authenticode signature (unix time of 2024-06-01T00:00:00Z).
SIGNING_TIME = 1717200000
#: The trailer of a signed Linux kernel module (include/linux/module_signature.h).
MODULE_SIGNATURE_MAGIC = b"~Module signature appended~\n"
_PKEY_ID_PKCS7 = 2
_MODULE_SIG = struct.Struct(">BBBBB3xI")
#: SPC_INDIRECT_DATA_OBJID (Authenticode PE specification).
SPC_INDIRECT_DATA = "1.3.6.1.4.1.311.2.1.4"
_WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002
_HASHES: dict[str, type[hashes.SHA1 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class _AnySequence(core.SequenceOf):  # type: ignore[misc]
    """A SEQUENCE read element by element (SpcIndirectDataContent: data, messageDigest)."""

    _child_spec = core.Any


# --------------------------------------------------------------------------------------- signing
def _osslsigncode() -> str:
    path = shutil.which("osslsigncode")
    if path is None:
        raise MissingComponentError(
            "osslsigncode", "signing PE images needs it: sudo apt-get install osslsigncode (Debian/Ubuntu)"
        )
    return path


@lru_cache(maxsize=256)
def _osslsign(image: bytes, chain_pem: bytes, key_pem: bytes, description: str) -> bytes:
    tool = _osslsigncode()
    with tempfile.TemporaryDirectory(prefix="tlkit-sign-") as tmp:
        d = Path(tmp)
        (d / "in.efi").write_bytes(image)
        (d / "certs.pem").write_bytes(chain_pem)
        (d / "key.pem").write_bytes(key_pem)
        cmd = [
            tool, "sign", "-certs", str(d / "certs.pem"), "-key", str(d / "key.pem"), "-h", "sha256",
            "-n", description, "-time", str(SIGNING_TIME),
            "-in", str(d / "in.efi"), "-out", str(d / "out.efi"),
        ]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ToolError(f"osslsigncode did not run: {e}", command=cmd) from None
        if done.returncode != 0:
            raise ToolError(
                "osslsigncode sign failed", command=cmd, returncode=done.returncode, stderr=done.stderr
            )
        return (d / "out.efi").read_bytes()


def sign_pe(image: bytes, key: SigningKey, description: str = "") -> bytes:
    """``image`` with a real Authenticode signature by ``key`` (SHA-256, fixed signing time).

    The signature carries the key's certificate and its issuers below the root, as signtool does.
    Cached per (image, key, description) for the process.

    Raises:
        MissingComponentError: ``osslsigncode`` is not installed.
        ToolError: it ran and failed.
    """
    parse_pe(image)  # a clear ParseError before the tool sees garbage
    return _osslsign(bytes(image), key.chain_pem, key.key_pem, description or key.spec.common_name)


def sign_kernel_module(module: bytes, key: SigningKey) -> bytes:
    """``module`` with an appended Linux module signature by ``key`` (as ``scripts/sign-file``).

    A self-signed key (a keyring key: the kernel's build key, a MOK) signs without certificates,
    exactly as ``sign-file``; a key issued by a CA (the Azure Kmod signing leaf) ships its
    certificate in the SignedData, so the kernel can chain it to the CA in its keyrings
    (``pkcs7_validate_trust``)."""
    opts = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoAttributes, pkcs7.PKCS7Options.Binary]
    if not key.issuers:
        opts.append(pkcs7.PKCS7Options.NoCerts)
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(bytes(module))
        .add_signer(key.certificate, key.private_key, hashes.SHA256())
        .sign(serialization.Encoding.DER, opts)
    )
    return (
        bytes(module) + der + _MODULE_SIG.pack(0, 0, _PKEY_ID_PKCS7, 0, 0, len(der)) + MODULE_SIGNATURE_MAGIC
    )


# ------------------------------------------------------------------------------------- reading
def signed_content(data: bytes) -> tuple[str, bytes, bytes | None]:
    """Split a component into (format, content, PKCS#7 DER or ``None`` when unsigned).

    ``format`` is ``"pe"`` (content = the whole image; Authenticode hashes it minus the certificate
    table) or ``"kernel-module"`` (content = the module before its appended signature) or
    ``"blob"`` (anything else: never signed).

    Raises:
        ParseError: a PE certificate table or a module signature trailer that is malformed.
    """
    if data[:2] == b"MZ":
        pe = parse_pe(data)
        off, size = pe.certificate_table
        if not size:
            return "pe", data, None
        if size < 8:
            raise ParseError("WIN_CERTIFICATE shorter than its header", offset=off, what="WIN_CERTIFICATE")
        length, _revision, ctype = struct.unpack_from("<IHH", data, off)
        if ctype != _WIN_CERT_TYPE_PKCS_SIGNED_DATA or not 8 < length <= size:
            raise ParseError(
                f"WIN_CERTIFICATE type {ctype} length {length} is not a PKCS#7 SignedData of the table",
                offset=off,
                what="WIN_CERTIFICATE",
            )
        return "pe", data, data[off + 8 : off + length]
    if data.endswith(MODULE_SIGNATURE_MAGIC):
        end = len(data) - len(MODULE_SIGNATURE_MAGIC)
        if end < _MODULE_SIG.size:
            raise ParseError("module signature trailer truncated", offset=0, what="module_signature")
        *_, id_type, _, _, sig_len = _MODULE_SIG.unpack_from(data, end - _MODULE_SIG.size)
        start = end - _MODULE_SIG.size - sig_len
        if id_type != _PKEY_ID_PKCS7 or start < 0:
            raise ParseError(
                f"module_signature id_type {id_type} / sig_len {sig_len} invalid",
                offset=end - _MODULE_SIG.size,
                what="module_signature",
            )
        return "kernel-module", data[:start], data[start : end - _MODULE_SIG.size]
    return "blob", data, None


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a component's signature is intact, and by whom (not whether the signer is trusted).

    Attributes:
        format: ``"pe"``, ``"kernel-module"`` or ``"blob"``.
        signed: a signature is present.
        valid: the signature verifies: for Authenticode, the image hash in SpcIndirectDataContent
            equals the image's, messageDigest equals the content's hash and the RSA signature over
            the signed attributes verifies with the signer certificate.
        reason: ``"ok"``, ``"unsigned"``, ``"malformed-signature"``, ``"image-digest-mismatch"``,
            ``"content-digest-mismatch"``, ``"signer-unknown"`` or ``"bad-signature"``.
        signer: the signer's certificate when found.
        certificates: the certificates the signature carries (Authenticode) — a pool for chains.
        digest: the Authenticode digest (PE) or the content digest (module) under the signature's
            hash algorithm.
    """

    format: str
    signed: bool
    valid: bool
    reason: str
    signer: x509.Certificate | None = field(default=None, repr=False)
    certificates: tuple[x509.Certificate, ...] = field(default=(), repr=False)
    digest: bytes = field(default=b"", repr=False)

    @property
    def passed(self) -> bool:
        return self.valid

    def __bool__(self) -> bool:
        return self.valid


def _verify_rsa(cert: x509.Certificate, signature: bytes, data: bytes, alg: str) -> bool:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):  # a damaged or unknown SubjectPublicKeyInfo
        return False
    if not isinstance(key, rsa.RSAPublicKey) or alg not in _HASHES:
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), _HASHES[alg]())
    except InvalidSignature:
        return False
    return True


@lru_cache(maxsize=4096)
def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``cert`` names ``issuer`` as its issuer and ``issuer``'s key verifies its signature."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def certificate_path(
    signer: x509.Certificate, pool: Sequence[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """``signer`` and the issuers found above it in ``pool``, nearest first (at most 8 long)."""
    path = [signer]
    while len(path) < 8 and path[-1].issuer != path[-1].subject:
        parent = next((c for c in pool if c not in path and issued_by(path[-1], c)), None)
        if parent is None:
            break
        path.append(parent)
    return tuple(path)


def _find_signer(sid: cms.SignerIdentifier, pool: Iterable[x509.Certificate]) -> x509.Certificate | None:
    if sid.name != "issuer_and_serial_number":
        return None
    issuer, serial = sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native
    for c in pool:
        if c.serial_number == serial and c.issuer.public_bytes() == issuer:
            return c
    return None


def _signed_part(si: cms.SignerInfo, content: bytes, alg: str) -> tuple[bytes, str]:
    """The bytes the RSA signature covers, or a failure reason: the DER SET of the signed attributes
    after their messageDigest is checked (RFC 5652, 5.4), or the content itself without them."""
    attrs = si["signed_attrs"]
    if not attrs:
        return content, "ok"
    digests = [a["values"][0].native for a in attrs if a["type"].native == "message_digest"]
    if digests != [hashlib.new(alg, content).digest()]:
        return b"", "content-digest-mismatch"
    return attrs.untag().dump(), "ok"


def _parse_cms(der: bytes) -> cms.SignedData:
    ci = cms.ContentInfo.load(der)
    if ci["content_type"].native != "signed_data":
        raise ValueError(f"content type {ci['content_type'].native}")
    return ci["content"]


def _authenticode_digest(sd: cms.SignedData) -> tuple[str, bytes, bytes]:
    """(hash algorithm, image digest, DER contents of SpcIndirectDataContent) of an Authenticode
    SignedData."""
    encap = sd["encap_content_info"]
    if encap["content_type"].dotted != SPC_INDIRECT_DATA:
        raise ValueError(f"content type {encap['content_type'].dotted} is not SpcIndirectDataContent")
    seq = encap["content"].parse(_AnySequence)
    info = seq[1].parse(algos.DigestInfo)
    return info["digest_algorithm"]["algorithm"].native, info["digest"].native, seq.contents


def _certificates(sd: cms.SignedData) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_der_x509_certificate(c.chosen.dump()) for c in sd["certificates"] or ())


def verify_signed_data(der: bytes, content: bytes, trusted: Sequence[x509.Certificate]) -> bool:
    """A bare PKCS#7 SignedData (no ContentInfo) over detached ``content``: the RSA signature
    verifies and the signer is, or chains through the carried certificates to, a ``trusted`` one."""
    try:
        sd = cms.SignedData.load(der)
        si = sd["signer_infos"][0]
        alg = si["digest_algorithm"]["algorithm"].native
        pool = _certificates(sd)
        covered, why = _signed_part(si, content, alg)
        signer = _find_signer(si["sid"], (*pool, *trusted))
        sig = si["signature"].native
    except Exception:  # asn1crypto decodes lazily and raises ValueError, TypeError, KeyError... on bad DER
        return False
    if why != "ok" or signer is None or not _verify_rsa(signer, sig, covered, alg):
        return False
    path = certificate_path(signer, (*pool, *trusted))
    return any(c == t or issued_by(c, t) for c in path for t in trusted)


def _check(fmt: str, content: bytes, der: bytes, trusted: Sequence[x509.Certificate]) -> SignatureCheck:
    try:
        sd = _parse_cms(der)
        si = sd["signer_infos"][0]
        alg = si["digest_algorithm"]["algorithm"].native
        pool = _certificates(sd)
        if fmt == "pe":
            image_alg, claimed, signed_bytes = _authenticode_digest(sd)
            digest = authenticode_hash(content, image_alg)
            if claimed != digest:
                return SignatureCheck(
                    fmt, True, False, "image-digest-mismatch", certificates=pool, digest=digest
                )
        else:
            signed_bytes, digest = content, hashlib.new(alg, content).digest()
        covered, why = _signed_part(si, signed_bytes, alg)
        signer = _find_signer(si["sid"], (*pool, *trusted))
        sig = si["signature"].native
    except Exception:  # asn1crypto decodes lazily and raises ValueError, TypeError, KeyError... on bad DER
        return SignatureCheck(fmt, True, False, "malformed-signature")
    if why != "ok":
        return SignatureCheck(fmt, True, False, why, certificates=pool, digest=digest)
    if signer is None:
        return SignatureCheck(fmt, True, False, "signer-unknown", certificates=pool, digest=digest)
    ok = _verify_rsa(signer, sig, covered, alg)
    return SignatureCheck(fmt, True, ok, "ok" if ok else "bad-signature", signer, pool, digest)


def check_signature(data: bytes, trusted: Sequence[x509.Certificate] = ()) -> SignatureCheck:
    """Verify the signature a component carries (Authenticode or appended module signature).

    Args:
        data: the component as loaded.
        trusted: certificates the verifier holds; a kernel module signature carries no
            certificate, so its signer is looked up here by issuer and serial number.

    Raises:
        ParseError: the container (PE headers, WIN_CERTIFICATE, module trailer) is malformed.

    Cached per (data, trusted) for the process: a boot simulation verifies each component once.
    """
    return _check_signature(bytes(data), tuple(trusted))


@lru_cache(maxsize=1024)
def _check_signature(data: bytes, trusted: tuple[x509.Certificate, ...]) -> SignatureCheck:
    fmt, content, der = signed_content(data)
    if der is None:
        digest = authenticode_hash(content) if fmt == "pe" else hashlib.sha256(content).digest()
        return SignatureCheck(fmt, False, False, "unsigned", digest=digest)
    return _check(fmt, content, der, tuple(trusted))
