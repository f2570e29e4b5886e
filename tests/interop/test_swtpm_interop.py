"""tlkit's TPM code against a real TPM implementation (swtpm) and the reference tool (tpm2-tools).

- PCRs: the same extends/events/resets/reboots (and an H-CRTM start) on swtpm and on ``VirtualTpm``
  / ``PcrBanks`` give identical values in every allocated bank (swtpm 0.7: sha1, sha256, sha384, sha512).
- Keys: AK/EK templates, Names and qualified names computed by tlkit equal the TPM's.
- swtpm quotes (ECDSA, RSASSA and RSAPSS AKs) verify in ``verify_quote``; every single-byte change
  to the message or the signature, a wrong nonce, or wrong PCRs fails with the reason of the field hit.
- ``VirtualTpm`` quotes (ECDSA, RSASSA) verify with ``tpm2_checkquote`` and fail it when tampered;
  both verifiers agree on mutations of the real keylime quote.

One swtpm per module (a fresh one only where the PCR start state matters). Missing binaries skip
loudly on a user's machine and fail under ``CI=true`` (``tests.conftest.require_binaries``).
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.conftest import fixture_path, require_binaries
from tlkit.errors import PolicyError, ToolError
from tlkit.lab import SwtpmKey, SwtpmQuote, SwtpmSession, pcr_spec
from tlkit.tpm import (
    Attest,
    PcrBanks,
    PcrSelection,
    PcrValues,
    PublicArea,
    Signature,
    VirtualTpm,
    hash_alg,
    read_pcrs,
    verify_quote,
    write_pcrs_serialized,
)

pytestmark = pytest.mark.interop

SWTPM_TOOLS = (
    "swtpm", "tpm2_createek", "tpm2_createak", "tpm2_readpublic", "tpm2_quote", "tpm2_pcrextend",
    "tpm2_pcrevent", "tpm2_pcrread", "tpm2_getcap", "tpm2_flushcontext",
)  # fmt: skip
SEED = 20261129
# Extendable from locality 0: 17-22 are DRTM PCRs (PC Client PTP "PCR Attributes"; both swtpm and
# PcrBanks refuse them at locality 0: test_drtm_pcrs_are_refused_at_locality_0_by_both).
EXTENDABLE = [*range(17), 23]
# TPM 2.0 Part 2, 7.4 TPM_RH: the endorsement hierarchy handle (its Name is the handle itself).
TPM_RH_ENDORSEMENT = 0x4000000B
QUOTE_SELECTION = {"sha256": [0, 1, 7, 15, 16, 23], "sha1": [0, 16]}


def _rng(*salt: object) -> random.Random:
    return random.Random(f"{SEED}:{':'.join(map(str, salt))}")


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swtpm() -> Iterator[SwtpmSession]:
    require_binaries(*SWTPM_TOOLS)
    with SwtpmSession() as session:
        rng = _rng("module-pcrs")
        for pcr in (0, 7, 16, 23):
            session.pcr_extend(pcr, {"sha1": rng.randbytes(20), "sha256": rng.randbytes(32)})
        yield session


@dataclass(frozen=True)
class SwQuote:
    ak: SwtpmKey
    quote: SwtpmQuote
    nonce: bytes


@pytest.fixture(scope="module", params=["ecc", "rsa", "rsapss"])
def sw_quote(request: pytest.FixtureRequest, swtpm: SwtpmSession) -> SwQuote:
    kind, scheme = {"ecc": ("ecc", "ecdsa"), "rsa": ("rsa", "rsassa"), "rsapss": ("rsa", "rsapss")}[
        request.param
    ]
    ak = swtpm.create_ak(kind, scheme=scheme)
    nonce = _rng("nonce", request.param).randbytes(20)
    return SwQuote(ak, swtpm.quote(QUOTE_SELECTION, nonce, ak=ak), nonce)


# -- PCR banks ------------------------------------------------------------------------------------


def test_same_extends_give_same_pcrs_in_every_bank() -> None:
    require_binaries(*SWTPM_TOOLS)
    rng = _rng("pcr-banks")
    with SwtpmSession() as tpm:
        banks = tuple(tpm.active_banks())
        assert {"sha1", "sha256"} <= set(banks)
        vtpm = VirtualTpm(seed=SEED, banks=banks)
        for _ in range(24):
            pcr = rng.choice(EXTENDABLE)
            digests = {bank: rng.randbytes(hash_alg(bank).digest_size) for bank in banks}
            tpm.pcr_extend(pcr, digests)
            for bank, digest in digests.items():
                vtpm.pcrs.extend(pcr, digest, bank)
        for i in range(4):
            data = rng.randbytes(rng.randrange(1, 200))
            pcr = EXTENDABLE[(7 * i) % len(EXTENDABLE)]
            event_digests = tpm.pcr_event(pcr, data)
            assert event_digests == {bank: hash_alg(bank).digest(data) for bank in banks}
            vtpm.pcrs.extend_data(pcr, data)
        everything = {bank: range(24) for bank in banks}
        assert tpm.pcr_read(everything) == vtpm.pcrs.values(PcrSelection.of(everything)).as_dict()


def test_resettable_pcrs_reset_alike() -> None:
    require_binaries(*SWTPM_TOOLS, "tpm2_pcrreset")
    with SwtpmSession() as tpm:
        banks = tuple(tpm.active_banks())
        vtpm = VirtualTpm(seed=SEED, banks=banks)
        for pcr in (16, 23):
            tpm.pcr_event(pcr, b"before reset")
            vtpm.pcrs.extend_data(pcr, b"before reset")
            tpm.pcr_reset(pcr)
            vtpm.pcrs.reset(pcr)
        both = {bank: [16, 23] for bank in banks}
        assert tpm.pcr_read(both) == vtpm.pcrs.values(PcrSelection.of(both)).as_dict()


def test_reboot_is_a_tpm_reset_on_both() -> None:
    require_binaries(*SWTPM_TOOLS, "swtpm_ioctl", "tpm2_startup", "tpm2_shutdown")
    with SwtpmSession() as tpm:
        banks = tuple(tpm.active_banks())
        vtpm = VirtualTpm(seed=SEED, banks=banks)
        everything = {bank: range(24) for bank in banks}
        for pcr in (0, 7, 16, 23):
            tpm.pcr_event(pcr, b"first boot")
            vtpm.pcrs.extend_data(pcr, b"first boot")
        tpm.create_ak("ecc")
        before = Attest.from_bytes(tpm.quote({"sha256": [0]}, b"1").message).clock_info
        v_before = Attest.from_bytes(vtpm.quote({"sha256": [0]}, b"1").message).clock_info
        tpm.reboot()
        vtpm.reboot()
        assert tpm.pcr_read(everything) == vtpm.pcrs.values(PcrSelection.of(everything)).as_dict()
        tpm.create_ak("ecc")
        after = Attest.from_bytes(tpm.quote({"sha256": [0]}, b"2").message).clock_info
        v_after = Attest.from_bytes(vtpm.quote({"sha256": [0]}, b"2").message).clock_info
    for old, new in ((before, after), (v_before, v_after)):
        assert (new.reset_count, new.restart_count) == (old.reset_count + 1, 0)


def test_hcrtm_pcr0_is_a_locality_4_start() -> None:
    require_binaries(*SWTPM_TOOLS, "swtpm_ioctl", "tpm2_startup", "tpm2_shutdown")
    data = _rng("hcrtm").randbytes(100)
    with SwtpmSession() as tpm:
        banks = tuple(tpm.active_banks())
        tpm.reboot(hcrtm_data=data)
        pcr0 = tpm.pcr_read({bank: [0] for bank in banks})
    model = PcrBanks(banks=banks, locality=4)
    model.extend_data(0, data)
    assert pcr0 == {bank: {0: model.read(0, bank)} for bank in banks}


def test_drtm_pcrs_are_refused_at_locality_0_by_both() -> None:
    """tpm2-tools talk to swtpm at locality 0: swtpm refuses TPM2_PCR_Reset and TPM2_PCR_Extend of
    PCR 17-22 (and reset of 0-15), and PcrBanks refuses the same with PolicyError; no PCR changes."""
    require_binaries(*SWTPM_TOOLS, "tpm2_pcrreset")
    with SwtpmSession() as tpm:
        banks = tuple(tpm.active_banks())
        model = PcrBanks(banks=banks)
        for pcr in range(17, 23):
            with pytest.raises(ToolError):
                tpm.pcr_reset(pcr)
            with pytest.raises(PolicyError) as reset:
                model.reset(pcr)
            assert reset.value.code == "pcr-locality"
            with pytest.raises(ToolError) as extend_err:
                tpm.pcr_extend(pcr, {"sha256": bytes(32)})
            assert "locality" in extend_err.value.stderr
            with pytest.raises(PolicyError) as extend:
                model.extend(pcr, bytes(32), "sha256")
            assert extend.value.code == "pcr-locality"
        for pcr in (0, 7, 15):
            with pytest.raises(ToolError):
                tpm.pcr_reset(pcr)
            with pytest.raises(PolicyError) as fixed:
                model.reset(pcr)
            assert fixed.value.code == "pcr-not-resettable"
        everything = {bank: range(24) for bank in banks}
        assert tpm.pcr_read(everything) == model.values(PcrSelection.of(everything)).as_dict()
        assert all(tpm.pcr_read({"sha256": [p]})["sha256"][p] == b"\xff" * 32 for p in (17, 22))


def test_all_pcrs_of_two_banks_serialize_like_tpm2_quote(swtpm: SwtpmSession) -> None:
    """A 24 + 24 PCR quote: the serialized PCR file holds 6 TPML_DIGEST lists of 8; tlkit writes the
    same bytes as ``tpm2_quote -o`` from the values it reads, from swtpm's PCRs, and from PcrBanks."""
    sel = PcrSelection.of({"sha1": range(24), "sha256": range(24)})
    ak = swtpm.create_ak("ecc")
    nonce = _rng("all-pcrs").randbytes(32)
    q = swtpm.quote(sel, nonce, ak=ak)
    values = read_pcrs(q.pcrs)
    assert values.selection == sel
    assert len(values) == 48
    assert write_pcrs_serialized(values) == q.pcrs
    read_back = PcrValues.from_dict(swtpm.pcr_read(sel), sel)
    assert write_pcrs_serialized(read_back) == q.pcrs
    assert verify_quote(q.message, q.signature, read_back, nonce, ak.pem).passed
    assert (len(q.pcrs) - 136) // 532 == 6


# -- swtpm quotes in verify_quote -----------------------------------------------------------------


def test_swtpm_quote_verifies(swtpm: SwtpmSession, sw_quote: SwQuote) -> None:
    q, ak = sw_quote.quote, sw_quote.ak
    pcrs = read_pcrs(q.pcrs)
    assert pcrs.as_dict() == swtpm.pcr_read(QUOTE_SELECTION)
    for key in (ak.pem, load_pem_public_key(ak.pem), PublicArea.from_tpm2b(ak.public)):
        result = verify_quote(q.message, q.signature, pcrs, sw_quote.nonce, key)
        assert result.passed, result.reasons
        assert result.reasons == ()
    attest = Attest.from_bytes(q.message)
    assert attest.extra_data == sw_quote.nonce
    assert attest.qualified_signer == ak.qualified_name
    assert attest.to_bytes() == q.message


def test_ak_public_area_matches_tpm_name_and_pem(sw_quote: SwQuote) -> None:
    area = PublicArea.from_tpm2b(sw_quote.ak.public)
    assert area.to_tpm2b() == sw_quote.ak.public
    assert area.name() == sw_quote.ak.name
    assert area.to_cryptography().public_numbers() == load_pem_public_key(sw_quote.ak.pem).public_numbers()


def test_qualified_name_formula_matches_swtpm(swtpm: SwtpmSession, sw_quote: SwQuote) -> None:
    assert swtpm.ek is not None
    ek = PublicArea.from_tpm2b(swtpm.ek.public)
    assert ek.name() == swtpm.ek.name
    ek_qn = ek.qualified_name(TPM_RH_ENDORSEMENT.to_bytes(4, "big"))
    assert PublicArea.from_tpm2b(sw_quote.ak.public).qualified_name(ek_qn) == sw_quote.ak.qualified_name


def test_virtual_tpm_ak_has_the_swtpm_ak_template(sw_quote: SwQuote) -> None:
    real = PublicArea.from_tpm2b(sw_quote.ak.public)
    virtual = VirtualTpm(seed=SEED, ak=sw_quote.ak.kind, ak_scheme=sw_quote.ak.scheme).ak_public
    keyless = {"rsa_modulus": b"", "ecc_x": b"", "ecc_y": b""}
    assert replace(virtual, **keyless) == replace(real, **keyless)


def test_virtual_tpm_ek_has_the_swtpm_ecc_ek_template() -> None:
    require_binaries(*SWTPM_TOOLS)
    with SwtpmSession() as tpm:
        real = PublicArea.from_tpm2b(tpm.create_ek("ecc").public)
    virtual = VirtualTpm(seed=SEED).ek_public
    assert replace(virtual, ecc_x=b"", ecc_y=b"") == replace(real, ecc_x=b"", ecc_y=b"")


def test_virtual_tpm_rsa_ek_has_the_swtpm_rsa_ek_template() -> None:
    require_binaries(*SWTPM_TOOLS)
    with SwtpmSession() as tpm:
        real = PublicArea.from_tpm2b(tpm.create_ek("rsa").public)
    virtual = VirtualTpm(seed=SEED, ek="rsa").ek_public
    assert replace(virtual, rsa_modulus=b"") == replace(real, rsa_modulus=b"")
    assert len(virtual.rsa_modulus) == len(real.rsa_modulus) == 256


def test_pcr_file_round_trips_byte_exact(sw_quote: SwQuote) -> None:
    assert write_pcrs_serialized(read_pcrs(sw_quote.quote.pcrs)) == sw_quote.quote.pcrs


def _attest_fields(message: bytes) -> list[tuple[str, int, int]]:
    """(field, start, end) of every TPMS_ATTEST field of a quote (TPM 2.0 Part 2, 10.12.12), computed
    here independently of tlkit's parser."""
    fields: list[tuple[str, int, int]] = []
    pos = 0

    def take(name: str, n: int) -> int:
        nonlocal pos
        fields.append((name, pos, pos + n))
        pos += n
        return int.from_bytes(message[pos - n : pos], "big")

    take("magic", 4)
    take("type", 2)
    take("qualifiedSigner.name", take("qualifiedSigner.size", 2))
    take("extraData.buffer", take("extraData.size", 2))
    take("clockInfo.clock", 8)
    take("clockInfo.resetCount", 4)
    take("clockInfo.restartCount", 4)
    take("clockInfo.safe", 1)
    take("firmwareVersion", 8)
    for _ in range(take("pcrSelect.count", 4)):
        take("pcrSelect.hash", 2)
        take("pcrSelect.pcrSelect", take("pcrSelect.sizeofSelect", 1))
    take("pcrDigest.buffer", take("pcrDigest.size", 2))
    assert pos == len(message)
    return fields


def _signature_fields(signature: bytes) -> list[tuple[str, int, int]]:
    """(field, start, end) of a TPMT_SIGNATURE (TPM 2.0 Part 2, 11.3.4) for RSASSA, RSAPSS or ECDSA."""
    sig_alg = int.from_bytes(signature[:2], "big")
    fields = [("sigAlg", 0, 2), ("hash", 2, 4)]
    pos = 4
    parts = ("sig",) if sig_alg in {0x0014, 0x0016} else ("signatureR", "signatureS")
    for part in parts:
        n = int.from_bytes(signature[pos : pos + 2], "big")
        fields += [(f"{part}.size", pos, pos + 2), (f"{part}.buffer", pos + 2, pos + 2 + n)]
        pos += 2 + n
    assert pos == len(signature)
    return fields


# Reasons a one-byte change in each TPMS_ATTEST field must produce, besides "signature-invalid".
# A changed size, count or selection shape makes the rest unparseable or inconsistent: "not-a-quote"
# (or, for a selection that still parses, "pcr-selection-mismatch").
MESSAGE_REASONS: dict[str, set[frozenset[str]]] = {
    "magic": {frozenset({"bad-magic"})},
    "type": {frozenset({"not-a-quote"})},
    "qualifiedSigner.size": {frozenset({"not-a-quote"})},
    "qualifiedSigner.name": {frozenset()},
    "extraData.size": {frozenset({"not-a-quote"})},
    "extraData.buffer": {frozenset({"nonce-mismatch"})},
    "clockInfo.clock": {frozenset()},
    "clockInfo.resetCount": {frozenset()},
    "clockInfo.restartCount": {frozenset()},
    "clockInfo.safe": {frozenset(), frozenset({"not-a-quote"})},
    "firmwareVersion": {frozenset()},
    "pcrSelect.count": {frozenset({"not-a-quote"})},
    "pcrSelect.hash": {
        frozenset({"unsupported-pcr-bank"}),
        frozenset({"not-a-quote"}),
        frozenset({"pcr-selection-mismatch"}),
    },
    "pcrSelect.sizeofSelect": {frozenset({"not-a-quote"})},
    "pcrSelect.pcrSelect": {frozenset({"pcr-selection-mismatch"})},
    "pcrDigest.size": {frozenset({"not-a-quote"})},
    "pcrDigest.buffer": {frozenset({"pcr-digest-mismatch"})},
}


def _flip(data: bytes, offset: int, mask: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= mask
    return bytes(out)


def test_every_message_byte_is_covered(sw_quote: SwQuote) -> None:
    q, nonce, ak = sw_quote.quote, sw_quote.nonce, load_pem_public_key(sw_quote.ak.pem)
    pcrs = read_pcrs(q.pcrs)
    rng = _rng("flip-message", sw_quote.ak.scheme)
    seen = set()
    for field, start, end in _attest_fields(q.message):
        for offset in range(start, end):
            result = verify_quote(
                _flip(q.message, offset, rng.randrange(1, 256)), q.signature, pcrs, nonce, ak
            )
            assert not result.passed
            assert "signature-invalid" in result.reasons, (field, offset, result.reasons)
            extra = frozenset(result.reasons) - {"signature-invalid"}
            assert extra in MESSAGE_REASONS[field], (field, offset, result.reasons)
            seen.add(field)
    assert seen == set(MESSAGE_REASONS)


def test_every_signature_byte_is_covered(sw_quote: SwQuote) -> None:
    q, nonce, ak = sw_quote.quote, sw_quote.nonce, load_pem_public_key(sw_quote.ak.pem)
    pcrs = read_pcrs(q.pcrs)
    rng = _rng("flip-signature", sw_quote.ak.scheme)
    for field, start, end in _signature_fields(q.signature):
        for offset in range(start, end):
            result = verify_quote(
                q.message, _flip(q.signature, offset, rng.randrange(1, 256)), pcrs, nonce, ak
            )
            assert not result.passed
            allowed = (
                {"signature-invalid", "unsupported-signature-scheme"}
                if field in {"sigAlg", "hash"}
                else {"signature-invalid"}
            )
            assert result.reasons, (field, offset)
            assert set(result.reasons) <= allowed, (field, offset, result.reasons)


def test_wrong_nonce_is_a_nonce_mismatch(sw_quote: SwQuote) -> None:
    q = sw_quote.quote
    pcrs = read_pcrs(q.pcrs)
    for wrong in (b"", sw_quote.nonce[:-1], _flip(sw_quote.nonce, 0, 1), sw_quote.nonce + b"\x00"):
        result = verify_quote(q.message, q.signature, pcrs, wrong, sw_quote.ak.pem)
        assert result.reasons == ("nonce-mismatch",)


def test_wrong_pcr_value_is_a_pcr_digest_mismatch(sw_quote: SwQuote) -> None:
    q = sw_quote.quote
    values = read_pcrs(q.pcrs).as_dict()
    for bank, pcr in (("sha256", 23), ("sha1", 0), ("sha256", 0)):
        changed = {b: dict(v) for b, v in values.items()}
        changed[bank][pcr] = _flip(changed[bank][pcr], 5, 0x80)
        result = verify_quote(q.message, q.signature, changed, sw_quote.nonce, sw_quote.ak.pem)
        assert result.reasons == ("pcr-digest-mismatch",)


def test_missing_or_extra_pcr_is_a_selection_mismatch(sw_quote: SwQuote) -> None:
    q = sw_quote.quote
    values = read_pcrs(q.pcrs).as_dict()
    fewer = {b: dict(v) for b, v in values.items()}
    del fewer["sha256"][23]
    more = {b: dict(v) for b, v in values.items()}
    more["sha256"][2] = bytes(32)
    for pcrs in (fewer, more):
        result = verify_quote(q.message, q.signature, pcrs, sw_quote.nonce, sw_quote.ak.pem)
        assert not result.passed
        assert "pcr-selection-mismatch" in result.reasons
        assert set(result.reasons) <= {"pcr-selection-mismatch", "pcr-digest-mismatch"}


def test_quote_from_another_ak_fails(swtpm: SwtpmSession, sw_quote: SwQuote) -> None:
    other = VirtualTpm(seed=SEED, ak=sw_quote.ak.kind)
    q = sw_quote.quote
    result = verify_quote(q.message, q.signature, read_pcrs(q.pcrs), sw_quote.nonce, other.ak_pem)
    assert result.reasons == ("signature-invalid",)


def test_rsapss_salt_is_the_digest_length_on_swtpm_and_virtual_tpm(swtpm: SwtpmSession) -> None:
    # tpm2_checkquote 5.4 cannot check RSAPSS quotes (it rejects genuine swtpm ones too), so the
    # PSS interop check is done here: both TPMs use salt length = digest length.
    nonce = _rng("pss").randbytes(16)
    ak = swtpm.create_ak("rsa", scheme="rsapss")
    real = swtpm.quote(QUOTE_SELECTION, nonce, ak=ak)
    vtpm = VirtualTpm(seed=SEED, ak="rsa", ak_scheme="rsapss")
    virtual = vtpm.quote(PcrSelection.of(QUOTE_SELECTION), nonce)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    for message, signature, key in (
        (real.message, real.signature, load_pem_public_key(ak.pem)),
        (virtual.message, virtual.signature, vtpm.ak_public.to_cryptography()),
    ):
        sig = Signature.from_bytes(signature)
        assert sig.sig_alg == 0x0016
        assert sig.rsa is not None
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(sig.rsa, message, pss, hashes.SHA256())


# -- VirtualTpm quotes in tpm2_checkquote ---------------------------------------------------------


@dataclass(frozen=True)
class VQuote:
    dir: Path
    nonce: bytes
    message: bytes
    signature: bytes


@pytest.fixture(scope="module", params=["ecc", "rsa"])
def v_quote(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> VQuote:
    require_binaries("tpm2_checkquote")
    kind = request.param
    vtpm = VirtualTpm(
        seed=SEED, ak="ecc" if kind == "ecc" else "rsa", ak_scheme=None if kind != "rsapss" else kind
    )
    rng = _rng("vtpm", kind)
    for pcr in (0, 7, 16, 23):
        vtpm.pcrs.extend_data(pcr, rng.randbytes(64))
    nonce = rng.randbytes(32)
    quote = vtpm.quote(PcrSelection.of(QUOTE_SELECTION), nonce)
    d = tmp_path_factory.mktemp(f"vtpm-{kind}")
    quote.write(d, stem="quote")
    (d / "ak.pem").write_bytes(vtpm.ak_pem)
    assert verify_quote(quote.message, quote.signature, quote.pcrs, nonce, vtpm.ak_public).passed
    return VQuote(d, nonce, quote.message, quote.signature)


def _checkquote(
    d: Path, nonce: bytes, msg: str = "quote.msg", sig: str = "quote.sig", pcrs: str = "quote.pcrs"
) -> int:
    cmd = ["tpm2_checkquote", "-u", "ak.pem", "-m", msg, "-s", sig, "-f", pcrs, "-g", "sha256",
           "-q", nonce.hex()]  # fmt: skip
    return subprocess.run(cmd, cwd=d, capture_output=True, timeout=30, check=False).returncode


def test_virtual_tpm_quote_passes_tpm2_checkquote(v_quote: VQuote) -> None:
    assert _checkquote(v_quote.dir, v_quote.nonce) == 0


def test_tampered_virtual_tpm_quote_fails_tpm2_checkquote(v_quote: VQuote) -> None:
    d = v_quote.dir
    rng = _rng("checkquote", d.name)
    assert _checkquote(d, _flip(v_quote.nonce, 3, 0x10)) != 0
    # One position in every message field and every signature field.
    for label, data, fields in (
        ("msg", v_quote.message, _attest_fields(v_quote.message)),
        ("sig", v_quote.signature, _signature_fields(v_quote.signature)),
    ):
        for field, start, end in fields:
            offset = rng.randrange(start, end)
            name = f"{label}-{offset}"
            (d / name).write_bytes(_flip(data, offset, rng.randrange(1, 256)))
            kw = {"msg": name} if label == "msg" else {"sig": name}
            assert _checkquote(d, v_quote.nonce, **kw) != 0, (field, offset)
    # Wrong PCR values in the PCR file.
    values = read_pcrs((d / "quote.pcrs").read_bytes())
    changed = values.as_dict()
    changed["sha256"][16] = _flip(changed["sha256"][16], 0, 1)
    (d / "bad.pcrs").write_bytes(write_pcrs_serialized(PcrValues.from_dict(changed)))
    assert _checkquote(d, v_quote.nonce, pcrs="bad.pcrs") != 0


# -- differential: verify_quote and tpm2_checkquote agree on the real keylime quote ------------------


def test_verify_quote_agrees_with_tpm2_checkquote_on_keylime_quote(tmp_path: Path) -> None:
    require_binaries("tpm2_checkquote")
    src = fixture_path("keylime/test-data/files/quote.out").parent
    message, signature = (src / "quote.out").read_bytes(), (src / "quotesig.out").read_bytes()
    pcr_file, ak_pem = (src / "quotepcr.out").read_bytes(), (src / "akpub.pem").read_bytes()
    nonce = bytes.fromhex("db1db298db6d60e6385b7231743e9c3056a18003")
    (tmp_path / "ak.pem").write_bytes(ak_pem)
    rng = _rng("keylime-differential")
    values = read_pcrs(pcr_file)
    lying = values.as_dict()
    lying["sha256"][16] = bytes(32)
    cases: list[tuple[str, bytes, bytes, bytes, bytes]] = [
        ("untouched", message, signature, pcr_file, nonce),
        ("other nonce", message, signature, pcr_file, _flip(nonce, 0, 1)),
        ("lying PCR 16", message, signature, write_pcrs_serialized(PcrValues.from_dict(lying)), nonce),
    ]
    for field, start, end in _attest_fields(message):
        offset = rng.randrange(start, end)
        cases.append(
            (f"message {field}", _flip(message, offset, rng.randrange(1, 256)), signature, pcr_file, nonce)
        )
    for field, start, end in _signature_fields(signature):
        offset = rng.randrange(start, end)
        cases.append(
            (f"signature {field}", message, _flip(signature, offset, rng.randrange(1, 256)), pcr_file, nonce)
        )
    for label, msg, sig, pcrs, qual in cases:
        (tmp_path / "quote.msg").write_bytes(msg)
        (tmp_path / "quote.sig").write_bytes(sig)
        (tmp_path / "quote.pcrs").write_bytes(pcrs)
        ours = verify_quote(msg, sig, read_pcrs(pcrs), qual, ak_pem).passed
        theirs = _checkquote(tmp_path, qual) == 0
        assert ours == theirs == (label == "untouched"), label


# -- the tlkit command on swtpm's files ----------------------------------------------------------


def test_tlkit_quote_verify_cli_on_swtpm_files(
    swtpm: SwtpmSession, sw_quote: SwQuote, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tlkit.cli import main

    q = sw_quote.quote
    (tmp_path / "ak.pub").write_bytes(sw_quote.ak.public)  # TPM2B_PUBLIC, as tpm2_createak -f tss writes it
    (tmp_path / "quote.msg").write_bytes(q.message)
    (tmp_path / "quote.sig").write_bytes(q.signature)
    (tmp_path / "quote.pcrs").write_bytes(q.pcrs)
    (tmp_path / "bad.msg").write_bytes(_flip(q.message, len(q.message) - 1, 1))
    raw = tmp_path / "raw.pcrs"  # tpm2_pcrread -o: values only, in selection order
    swtpm.run(["tpm2_pcrread", pcr_spec(QUOTE_SELECTION), "-o", raw])  # same bank order as the quote
    base = ["quote", "verify", "--ak", str(tmp_path / "ak.pub"), "--sig", str(tmp_path / "quote.sig")]
    nonce = ["--nonce", sw_quote.nonce.hex()]
    assert (
        main([*base, "--msg", str(tmp_path / "quote.msg"), "--pcrs", str(tmp_path / "quote.pcrs"), *nonce])
        == 0
    )
    assert main([*base, "--msg", str(tmp_path / "quote.msg"), "--pcrs", str(raw), *nonce]) == 0
    assert (
        main([*base, "--msg", str(tmp_path / "bad.msg"), "--pcrs", str(tmp_path / "quote.pcrs"), *nonce]) == 1
    )
    assert capsys.readouterr().out.splitlines() == [
        "PASS",
        "PASS",
        "FAIL: signature-invalid, pcr-digest-mismatch",
    ]
