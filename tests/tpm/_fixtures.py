"""Loaders for the real quote fixtures in ``data/fixtures/`` (see data/fixtures/SOURCES.md).

Each loader returns :class:`RealQuote` records: the signed TPMS_ATTEST, the signature as the
source stores it, the PCR values the source claims, the nonce and the AK.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import fixture_path
from tlkit.tpm import PublicArea, Signature

KEYLIME = "keylime/test-data/files"
KEYLIME_NONCE = bytes.fromhex("db1db298db6d60e6385b7231743e9c3056a18003")
WINDOWS = "go-attestation/attest/testdata/windows_gcp_shielded_vm.json"
AZURE = (
    "trustee/deps/verifier/test_data/az-snp-vtpm/evidence-v1.json",
    "trustee/deps/verifier/test_data/az-snp-vtpm/evidence-v2.json",
    "trustee/deps/verifier/test_data/az-snp-vtpm/tpm-quote-v1.json",
    "trustee/deps/verifier/test_data/az-tdx-vtpm/evidence-v1.json",
    "trustee/deps/verifier/test_data/az-tdx-vtpm/tpm-quote-v1.json",
)
GCE_PB = (
    ("go-tpm-tools/internal/test/attestations/gce-cos-85-nonce9009.pb", bytes.fromhex("9009")),
    ("go-tpm-tools/internal/test/attestations/gce-cos-85-no-nonce.pb", b""),
)


@dataclass(frozen=True)
class RealQuote:
    name: str
    message: bytes
    signature: bytes | Signature
    pcrs: dict[str, dict[int, bytes]]
    nonce: bytes
    ak: Any  # cryptography public key
    ak_public: bytes | None = None  # TPMT_PUBLIC when the source has one


def keylime() -> RealQuote:
    d = fixture_path(KEYLIME)
    from tlkit.tpm import load_public_key, read_pcrs

    pcrs = read_pcrs((d / "quotepcr.out").read_bytes()).as_dict()
    return RealQuote(
        "keylime",
        (d / "quote.out").read_bytes(),
        (d / "quotesig.out").read_bytes(),
        pcrs,
        KEYLIME_NONCE,
        load_public_key((d / "akpub.pem").read_bytes()),
        PublicArea.from_tpm2b((d / "ak.pub").read_bytes()).to_bytes(),
    )


def windows() -> RealQuote:
    d = json.loads(fixture_path(WINDOWS).read_text())
    public = base64.b64decode(d["AK"]["Public"])
    assert {p["DigestAlg"] for p in d["Log"]["PCRs"]} == {3}  # Go crypto.SHA1
    pcrs = {"sha1": {p["Index"]: base64.b64decode(p["Digest"]) for p in d["Log"]["PCRs"]}}
    return RealQuote(
        "windows-gce",
        base64.b64decode(d["Quote"]["Quote"]),
        base64.b64decode(d["Quote"]["Signature"]),
        pcrs,
        base64.b64decode(d["Quote"]["Nonce"] or ""),
        PublicArea.from_bytes(public).to_cryptography(),
        public,
    )


def hcl_ak(report: bytes) -> rsa.RSAPublicKey:
    """The ``HCLAkPub`` JWK from the runtime-claims JSON inside an Azure HCL report."""
    start = report.index(b'{"keys"')
    claims, _ = json.JSONDecoder().raw_decode(report[start:].decode("utf-8", "replace"))
    (jwk,) = [k for k in claims["keys"] if k["kid"] == "HCLAkPub"]

    def num(s: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")

    return rsa.RSAPublicNumbers(num(jwk["e"]), num(jwk["n"])).public_key()


def azure(rel: str) -> RealQuote:
    path = fixture_path(rel)
    d = json.loads(path.read_text())
    if "tpm_quote" in d:
        q = d["tpm_quote"]
        report = base64.urlsafe_b64decode(d["hcl_report"] + "=" * (-len(d["hcl_report"]) % 4))
    else:
        q = d
        report = (path.parent / "hcl-report.bin").read_bytes()
    expected = fixture_path("_derived/expected_pcrs.json")
    meta = json.loads(expected.read_text())["fixtures"][rel]
    nonce = meta["nonce"].encode() if meta["nonce"] == "challenge" else bytes.fromhex(meta["nonce"])
    return RealQuote(
        rel.split("/")[-2] + "/" + Path(rel).name,
        bytes.fromhex(q["message"]),
        Signature.rsassa(bytes.fromhex(q["signature"]), "sha256"),
        {"sha256": {i: bytes.fromhex(v) for i, v in enumerate(q["pcrs"])}},
        nonce,
        hcl_ak(report),
    )


def _pb_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """Protocol-buffers wire format, just enough for go-tpm-tools attest.Attestation."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = value = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            out.append((field, varint()))
        elif wire == 2:
            n = varint()
            out.append((field, data[pos : pos + n]))
            pos += n
        elif wire == 5:
            out.append((field, data[pos : pos + 4]))
            pos += 4
        elif wire == 1:
            out.append((field, data[pos : pos + 8]))
            pos += 8
        else:
            raise AssertionError(f"unexpected protobuf wire type {wire}")
    return out


def gce(rel: str, nonce: bytes) -> list[RealQuote]:
    """The three quotes (sha1, sha256, sha384 banks) of a go-tpm-tools attestation bundle."""
    fields = _pb_fields(fixture_path(rel).read_bytes())
    public = next(v for f, v in fields if f == 1)
    assert isinstance(public, bytes)
    ak = PublicArea.from_bytes(public).to_cryptography()
    out = []
    for f, q in fields:
        if f != 2:
            continue
        assert isinstance(q, bytes)
        parts = _pb_fields(q)
        message = next(v for f2, v in parts if f2 == 1)
        sig = next(v for f2, v in parts if f2 == 2)
        pcr_msg = next(v for f2, v in parts if f2 == 3)
        assert isinstance(message, bytes)
        assert isinstance(sig, bytes)
        assert isinstance(pcr_msg, bytes)
        pcr_fields = _pb_fields(pcr_msg)
        alg = next(v for f3, v in pcr_fields if f3 == 1)
        bank = {4: "sha1", 11: "sha256", 12: "sha384"}[int(alg)]  # type: ignore[arg-type]
        values: dict[int, bytes] = {}
        for f3, entry in pcr_fields:
            if f3 == 2:
                assert isinstance(entry, bytes)
                kv = dict(_pb_fields(entry))
                values[int(kv.get(1, 0))] = bytes(kv.get(2, b""))  # type: ignore[arg-type]
        out.append(RealQuote(f"{Path(rel).stem}/{bank}", message, sig, {bank: values}, nonce, ak, public))
    return out


def all_quotes() -> list[RealQuote]:
    quotes = [keylime(), windows()] + [azure(rel) for rel in AZURE]
    for rel, nonce in GCE_PB:
        quotes += gce(rel, nonce)
    return quotes
