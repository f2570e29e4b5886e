"""PE images, Authenticode hashes and real signatures, checked against LIEF, pefile and osslsigncode."""

from __future__ import annotations

import contextlib
import re
import subprocess
from pathlib import Path

import lief
import pefile
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import example, given
from hypothesis import strategies as st

from tests.boot.conftest import SEED, require_osslsigncode
from tlkit.boot import (
    Component,
    Section,
    _sign,
    authenticode_hash,
    build_pe,
    check_signature,
    make_component,
    parse_pe,
    sign_pe,
    signing_key,
)
from tlkit.errors import MissingComponentError, ParseError

IMAGES = {
    "one-section": [Section(".text", b"\xc3" * 10, 0x60000020)],
    "sbat": [
        Section(".text", b"\x90" * 700, 0x60000020),
        Section(".sbat", b"sbat,1,SBAT Version,sbat,1,x\n"),
    ],
    "three": [
        Section(".text", b"A" * 5000, 0x60000020),
        Section(".data", b"B" * 3),
        Section(".reloc", b"C" * 513),
    ],
}


def _ca_file(tmp_path: Path, *roles: str) -> Path:
    path = tmp_path / "ca.pem"
    certs = []
    for role in roles:
        key = signing_key(SEED, role)
        certs += [key.certificate, *key.issuers]
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


def _osslsigncode_verify(data: bytes, ca: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "image.efi"
    f.write_bytes(data)
    return subprocess.run(
        ["osslsigncode", "verify", "-CAfile", str(ca), "-in", str(f)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_authenticode_hash_agrees_with_lief_and_pefile_reads_the_image(name: str) -> None:
    image = build_pe(IMAGES[name])
    binary = lief.PE.parse(list(image))
    assert binary is not None
    assert authenticode_hash(image) == bytes(binary.authentihash(lief.PE.ALGORITHMS.SHA_256))
    assert authenticode_hash(image, "sha1") == bytes(binary.authentihash(lief.PE.ALGORITHMS.SHA_1))
    pe = pefile.PE(data=image)
    assert pe.OPTIONAL_HEADER.Magic == 0x20B
    assert pe.FILE_HEADER.Machine == 0x8664
    assert pe.verify_checksum()
    assert [s.Name.rstrip(b"\0").decode() for s in pe.sections] == [s.name for s in IMAGES[name]]
    assert [s.get_data()[: len(src.data)] for s, src in zip(pe.sections, IMAGES[name], strict=True)] == [
        s.data for s in IMAGES[name]
    ]


@pytest.mark.parametrize("kind", ["shim", "bootloader", "kernel", "windows-boot-manager", "windows-driver"])
def test_signed_images_verify_with_osslsigncode_and_their_hash_agrees(kind: str, tmp_path: Path) -> None:
    require_osslsigncode()
    signer = {
        "shim": "uefi-signer",
        "windows-boot-manager": "windows-signer",
        "windows-driver": "driver-signer",
    }
    comp = make_component(f"x-{kind}", kind, seed=SEED, signer=signer.get(kind, "vendor-signer"))
    ca = _ca_file(tmp_path, comp.publisher or "")
    out = _osslsigncode_verify(comp.data, ca, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    calculated = re.search(r"Calculated message digest\s*:\s*([0-9A-F]+)", out.stdout)
    assert calculated is not None
    assert bytes.fromhex(calculated.group(1)) == comp.digest("sha256")
    assert bytes(lief.PE.parse(list(comp.data)).authentihash(lief.PE.ALGORITHMS.SHA_256)) == comp.digest()
    assert check_signature(comp.data).valid


def test_a_flipped_byte_fails_osslsigncode_and_tlkit(chain: dict[str, Component], tmp_path: Path) -> None:
    grub = chain["grub"]
    bad = grub.tampered()
    assert _osslsigncode_verify(bad.data, _ca_file(tmp_path, "vendor-signer"), tmp_path).returncode != 0
    assert check_signature(bad.data).reason == "image-digest-mismatch"
    sig_byte = bytearray(grub.data)
    sig_byte[-40] ^= 1  # inside the RSA signature value at the end of the SignedData
    assert (
        _osslsigncode_verify(bytes(sig_byte), _ca_file(tmp_path, "vendor-signer"), tmp_path).returncode != 0
    )
    assert check_signature(bytes(sig_byte)).reason == "bad-signature"


def test_signing_is_deterministic_and_cached(chain: dict[str, Component]) -> None:
    image = build_pe(IMAGES["sbat"])
    key = signing_key(SEED, "vendor-signer")
    first = sign_pe(image, key)
    _sign._osslsign.cache_clear()
    assert sign_pe(image, key) == first
    assert sign_pe(image, key) is sign_pe(image, key)


def test_missing_osslsigncode_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sign.shutil, "which", lambda _name: None)
    _sign._osslsign.cache_clear()
    with pytest.raises(MissingComponentError, match="apt-get install osslsigncode"):
        sign_pe(build_pe(IMAGES["three"]), signing_key(SEED, "vendor-signer"))


def test_kernel_module_signature_format(chain: dict[str, Component]) -> None:
    module = chain["module"]
    assert module.data.endswith(b"~Module signature appended~\n")
    fmt, content, der = _sign.signed_content(module.data)
    assert fmt == "kernel-module"
    assert content.startswith(b"\x7fELF")
    assert der is not None
    key = signing_key(SEED, "kernel-build-key")
    assert check_signature(module.data, [key.certificate]).valid
    assert check_signature(module.data).reason == "signer-unknown"  # no certificate in the signature
    broken = bytearray(module.data)
    broken[5] ^= 1
    assert check_signature(bytes(broken), [key.certificate]).reason == "bad-signature"


@given(st.binary(max_size=600))
def test_parse_pe_raises_only_parse_errors(data: bytes) -> None:
    for blob in (data, b"MZ" + data, build_pe(IMAGES["one-section"])[:200] + data):
        with contextlib.suppress(ParseError):
            parse_pe(blob)


@example(at=2017, value=0)  # a certificate whose key algorithm becomes unknown (found by hypothesis)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255))
def test_corrupted_signed_image_gives_a_verdict_or_a_parse_error(at: int, value: int) -> None:
    require_osslsigncode()
    data = bytearray(make_component("fuzz.efi", "bootloader", seed=SEED, signer="vendor-signer").data)
    data[at % len(data)] = value
    try:
        result = check_signature(bytes(data))
    except ParseError:
        return
    # No longer an MZ image: an unsigned blob; otherwise the signature is still found and judged.
    assert result.signed if result.format == "pe" else result.reason == "unsigned"
    assert result.valid is (result.reason == "ok")


@given(
    st.binary(max_size=80),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=3),
)
def test_module_trailer_parser_raises_only_parse_errors(body: bytes, sig_len: int, id_type: int) -> None:
    trailer = (
        bytes([0, 0, id_type, 0, 0, 0, 0, 0]) + sig_len.to_bytes(4, "big") + _sign.MODULE_SIGNATURE_MAGIC
    )
    try:
        fmt, content, der = _sign.signed_content(body + trailer)
    except ParseError:
        return
    assert fmt == "kernel-module"
    assert der is not None
    assert content + der == body[: len(content) + len(der)]
    assert check_signature(body + trailer).signed
