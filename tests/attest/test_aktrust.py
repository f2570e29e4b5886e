"""AK trust on the real Azure Trusted Launch chains and on doctored ones.

Every doctored chain differs from a chain that verifies (the real one at a time inside its
validity, or the test PKI's good chain) in exactly one respect, and the test asserts that exactly
that respect's reason is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.attest import _pki
from tests.attest._pki import CA, INSIDE, LEAF, REAL_INSIDE, Profile, azure_document
from tests.conftest import REPO, fixture_path
from tlkit.attest import _aktrust as ak_trust
from tlkit.attest._aktrust import (
    AkTrust,
    TrustAnchors,
    add_trust_arguments,
    anchors_from_args,
    azure_vtpm_anchors,
    check_ak_trust,
    load_ak_roots,
    load_trusted_aks,
    parse_at,
)
from tlkit.attest._evidence import load_ak_chain
from tlkit.errors import DataError, TlkitError
from tlkit.tpm import Attest, QuoteInfo, verify_quote

VMS = sorted(_pki.DOCUMENTS)
ROOT_FILE = REPO / "data" / "attest" / ak_trust.AZURE_ROOT_FILE


def _roots_only() -> TrustAnchors:
    """What ``--ak-roots data/attest/azure-virtual-tpm-root-ca-2023.pem`` gives."""
    return TrustAnchors.from_files(ak_roots=ROOT_FILE)


# ----------------------------------------------------------------------------- the real chains
@pytest.mark.parametrize("vm", VMS)
def test_real_tl_chain_verifies_to_the_azure_root_inside_the_leaf_validity(vm: str) -> None:
    ev = azure_document(vm)
    for anchors in (_roots_only(), azure_vtpm_anchors()):
        result = check_ak_trust(ev.ak, ev.ak_chain, anchors, at=REAL_INSIDE[vm])
        assert result.status == "verified", result.detail
        assert result.passed
        assert result.verified
        assert bool(result)
        assert result.reasons == ()
        assert result.checks == ("certificate-chain",)
        assert result.chain == (
            f"CN={vm}.TrustedVM.Azure.Microsoft",
            "CN=Global Virtual TPM CA - 01",
            "CN=Azure Virtual TPM Root Certificate Authority 2023,O=Microsoft Corporation,C=US",
        )


@pytest.mark.parametrize("vm", VMS)
def test_real_tl_chain_has_expired_now(vm: str) -> None:
    ev = azure_document(vm)
    result = check_ak_trust(ev.ak, ev.ak_chain, _roots_only())
    assert result.status == "untrusted"
    assert not result
    assert result.reasons == (ak_trust.CHAIN_EXPIRED,)
    assert f"leaf certificate 'CN={vm}.TrustedVM.Azure.Microsoft' expired" in result.detail
    assert result.at is not None
    assert result.at > dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_real_tl_chain_before_the_leaf_was_issued_is_not_yet_valid() -> None:
    ev = azure_document("2d056151df3d")
    result = check_ak_trust(ev.ak, ev.ak_chain, _roots_only(), at=dt.datetime(2024, 12, 1))
    assert result.reasons == (ak_trust.CHAIN_NOT_YET_VALID,)
    assert "2d056151df3d" in result.detail


@pytest.mark.parametrize("vm", VMS)
def test_real_quote_signature_verifies_with_the_leaf_key_and_the_pcr_digest_matches(vm: str) -> None:
    ev = azure_document(vm)
    assert ev.ak_chain[0].public_key() == ev.ak
    verdict = verify_quote(ev.message, ev.signature, ev.pcrs, b"", ev.ak)
    assert verdict.passed, verdict.reasons
    attested = Attest.from_bytes(ev.message).attested
    assert isinstance(attested, QuoteInfo)
    assert verdict.pcr_digest == attested.pcr_digest == ev.pcrs.digest("sha256")
    # the other VM's AK did not sign it
    other = azure_document(next(v for v in VMS if v != vm))
    assert verify_quote(ev.message, ev.signature, ev.pcrs, b"", other.ak).reasons == ("signature-invalid",)


def test_wrong_intermediate_ca03_instead_of_ca01() -> None:
    ev = azure_document("2d056151df3d")
    ca03 = azure_vtpm_anchors().intermediates[1]
    assert "Global Virtual TPM CA - 03" in ca03.subject.rfc4514_string()
    chain = (ev.ak_chain[0], ca03, ev.ak_chain[2])
    result = check_ak_trust(ev.ak, chain, _roots_only(), at=REAL_INSIDE["2d056151df3d"])
    assert result.reasons == (ak_trust.ISSUER_NAME_MISMATCH,)
    assert "CA - 03" in result.detail
    assert "names issuer 'CN=Global Virtual TPM CA - 01'" in result.detail
    # the shipped intermediates do not repair a chain the evidence got wrong
    assert check_ak_trust(ev.ak, chain, azure_vtpm_anchors(), at=REAL_INSIDE["2d056151df3d"]).reasons == (
        ak_trust.ISSUER_NAME_MISMATCH,
    )


def test_leaf_whose_key_is_not_the_quote_ak() -> None:
    ev, other = azure_document("2d056151df3d"), azure_document("ceda709e0366")
    result = check_ak_trust(other.ak, ev.ak_chain, _roots_only(), at=REAL_INSIDE["2d056151df3d"])
    assert result.reasons == (ak_trust.LEAF_KEY_NOT_QUOTE_AK,)
    assert "2d056151df3d" in result.detail
    assert "not the AK that signed the quote" in result.detail


def test_real_ca_certificate_used_as_a_leaf() -> None:
    ev = azure_document("2d056151df3d")
    ca01 = ev.ak_chain[1]
    result = check_ak_trust(ca01.public_key(), ev.ak_chain[1:], _roots_only(), at=REAL_INSIDE["2d056151df3d"])  # type: ignore[arg-type]
    # CA-01 carries the TCG AK EKU itself, so the EKU rule does not fire; keyUsage is keyCertSign only
    assert result.reasons == (ak_trust.LEAF_IS_CA, ak_trust.KEY_USAGE)
    assert "leaf certificate 'CN=Global Virtual TPM CA - 01' is a CA certificate" in result.detail


def test_leaf_only_chain_needs_the_shipped_intermediates() -> None:
    ev = azure_document("2d056151df3d")
    at = REAL_INSIDE["2d056151df3d"]
    assert check_ak_trust(ev.ak, ev.ak_chain[:1], _roots_only(), at=at).reasons == (
        ak_trust.INCOMPLETE_CHAIN,
    )
    assert check_ak_trust(ev.ak, ev.ak_chain[:1], azure_vtpm_anchors(), at=at).verified
    # leaf + CA-01, the root left for the anchors to supply
    assert check_ak_trust(ev.ak, ev.ak_chain[:2], _roots_only(), at=at).verified


def test_azure_root_only_file_refuses_an_intermediate_as_a_trust_anchor(
    tmp_path: pytest.TempPathFactory,
) -> None:
    ca01 = (REPO / "data" / "attest" / "global-virtual-tpm-ca-01.pem").read_bytes()
    with pytest.raises(
        DataError, match=r"bundle.pem: certificate 2 \(CN=Global Virtual TPM CA - 01\) is not self-signed"
    ):
        load_ak_roots(ROOT_FILE.read_bytes() + ca01, "bundle.pem")


def test_shipped_anchors_are_the_fixture_certificates_byte_for_byte() -> None:
    common = f"{_pki.AZURE_TL}/src/common"
    pairs = {
        ak_trust.AZURE_ROOT_FILE: "azure-virtual-tpm-root-ca-2023.crt",
        "global-virtual-tpm-ca-01.pem": "intermediate_ca_01.crt",
        "global-virtual-tpm-ca-03.pem": "intermediate_ca_03.crt",
    }
    for shipped, fixture in pairs.items():
        assert (REPO / "data" / "attest" / shipped).read_bytes() == fixture_path(
            f"{common}/{fixture}"
        ).read_bytes()
    anchors = azure_vtpm_anchors()
    (root,) = anchors.roots
    for mid in anchors.intermediates:
        mid.verify_directly_issued_by(root)  # raises if not

    assert (REPO / "data" / "attest" / "SOURCES.md").read_text().count("Apache-2.0") >= 1


@pytest.mark.parametrize("vm", VMS)
def test_fixture_pem_chains_are_the_document_chains(vm: str) -> None:
    assert load_ak_chain(fixture_path(_pki.CHAIN_PEMS[vm]).read_bytes()) == azure_document(vm).ak_chain


# ------------------------------------------------------------------------- the test PKI
@pytest.fixture(scope="module")
def ak() -> x509.Certificate:
    return azure_document("2d056151df3d").ak  # type: ignore[return-value]


def _check(ak: object, chain: tuple[x509.Certificate, ...], anchors: TrustAnchors) -> AkTrust:
    return check_ak_trust(ak, chain, anchors, at=INSIDE)  # type: ignore[arg-type]


def test_test_pki_control_chain_verifies(ak: object) -> None:
    chain, anchors = _pki.good_chain(ak)  # type: ignore[arg-type]
    result = _check(ak, chain, anchors)
    assert result.verified, result.detail
    assert result.chain == ("CN=test.TrustedVM.example", "CN=Test vTPM CA", "CN=Test vTPM Root")


def test_self_made_root_is_an_unknown_root(ak: object) -> None:
    # a whole self-made PKI whose root even carries the Azure root's common name
    fake_root = _pki.root(_pki.AZURE_ROOT_NAME)
    mid = _pki.ca("Global Virtual TPM CA - 01", _pki.AZURE_ROOT_NAME)
    chain = (_pki.leaf(ak, "Global Virtual TPM CA - 01"), mid, fake_root)  # type: ignore[arg-type]
    result = _check(ak, chain, _roots_only())
    assert result.reasons == (ak_trust.UNKNOWN_ROOT,)
    assert f"'CN={_pki.AZURE_ROOT_NAME}' is a root that is not a trust anchor" in result.detail
    # the same self-made chain is fine once its root is trusted: the root was the only fault
    assert _check(ak, chain, TrustAnchors(roots=(fake_root,))).verified


def test_self_made_intermediate_named_like_ca01_fails_the_real_roots_signature(ak: object) -> None:
    _pki.root(_pki.AZURE_ROOT_NAME)
    chain = (
        _pki.leaf(ak, "Global Virtual TPM CA - 01"),  # type: ignore[arg-type]
        _pki.ca("Global Virtual TPM CA - 01", _pki.AZURE_ROOT_NAME),
    )
    # the self-made CA names the real root, whose name is not the same (no O/C): incomplete
    assert _check(ak, chain, _roots_only()).reasons == (ak_trust.INCOMPLETE_CHAIN,)
    # issued under the real root's exact name, it reaches the real root, whose key did not sign it
    real_root = azure_vtpm_anchors().roots[0]
    forged = _pki.certificate(
        "Global Virtual TPM CA - 01",
        _pki.ca_key("Global Virtual TPM CA - 01").public_key(),
        "x",
        _pki.ca_key("x"),
        CA,
    )
    forged = _reissue(forged, real_root.subject)
    result = _check(ak, (chain[0], forged), _roots_only())
    assert result.reasons == (ak_trust.ISSUER_SIGNATURE_INVALID,)
    assert "signature does not verify with the key of 'CN=Azure Virtual TPM Root" in result.detail


def _reissue(cert: x509.Certificate, issuer: x509.Name) -> x509.Certificate:
    """``cert`` with another issuer name, signed by the test key of its own subject (not the issuer)."""
    b = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(issuer)
        .public_key(cert.public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
    )
    for ext in cert.extensions:
        b = b.add_extension(ext.value, ext.critical)
    return b.sign(_pki.ca_key("forger"), None)


@pytest.mark.parametrize(
    ("leaf_profile", "reason"),
    [
        (dataclasses.replace(LEAF, ca=True, key_cert_sign=True), ak_trust.LEAF_IS_CA),
        (dataclasses.replace(LEAF, eku=None), ak_trust.MISSING_AK_EKU),
        (dataclasses.replace(LEAF, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)), ak_trust.MISSING_AK_EKU),
        (dataclasses.replace(LEAF, digital_signature=False, key_cert_sign=True), ak_trust.KEY_USAGE),
        (dataclasses.replace(LEAF, digital_signature=None), ak_trust.KEY_USAGE),
        (dataclasses.replace(LEAF, critical_extra=True), ak_trust.UNKNOWN_CRITICAL_EXTENSION),
    ],
    ids=["ca-as-leaf", "no-eku", "clientauth-eku", "no-digitalsignature", "no-keyusage", "critical-ext"],
)
def test_doctored_leaf(ak: object, leaf_profile: Profile, reason: str) -> None:
    chain, anchors = _pki.good_chain(ak)  # type: ignore[arg-type]
    doctored = (_pki.leaf(ak, "Test vTPM CA", leaf_profile), *chain[1:])  # type: ignore[arg-type]
    result = _check(ak, doctored, anchors)
    assert result.reasons == (reason,), result.detail
    assert "leaf certificate 'CN=test.TrustedVM.example'" in result.detail


@pytest.mark.parametrize(
    ("ca_profile", "reason"),
    [
        (dataclasses.replace(CA, ca=None), ak_trust.NOT_A_CA),
        (dataclasses.replace(CA, ca=False), ak_trust.NOT_A_CA),
        (dataclasses.replace(CA, key_cert_sign=False, digital_signature=True), ak_trust.KEY_USAGE),
        (dataclasses.replace(CA, digital_signature=None), ak_trust.KEY_USAGE),
        (dataclasses.replace(CA, eku=(ExtendedKeyUsageOID.SERVER_AUTH,)), ak_trust.CA_EKU),
        (dataclasses.replace(CA, critical_extra=True), ak_trust.UNKNOWN_CRITICAL_EXTENSION),
    ],
    ids=["no-basic-constraints", "ca-false", "no-keycertsign", "no-keyusage", "server-eku", "critical-ext"],
)
def test_doctored_intermediate(ak: object, ca_profile: Profile, reason: str) -> None:
    chain, anchors = _pki.good_chain(ak)  # type: ignore[arg-type]
    doctored = (chain[0], _pki.ca("Test vTPM CA", "Test vTPM Root", ca_profile), chain[2])
    result = _check(ak, doctored, anchors)
    assert result.reasons == (reason,), result.detail
    assert "intermediate certificate 'CN=Test vTPM CA'" in result.detail


def test_path_length_exceeded(ak: object) -> None:
    chain, anchors = _pki.good_chain(ak)  # type: ignore[arg-type]
    # root -> "Test vTPM CA" (pathLen 0) -> "Sub CA" -> leaf: one CA too many below the pathLen-0 CA
    sub = _pki.ca("Sub CA", "Test vTPM CA")
    doctored = (_pki.leaf(ak, "Sub CA"), sub, chain[1], chain[2])  # type: ignore[arg-type]
    result = _check(ak, doctored, anchors)
    assert result.reasons == (ak_trust.PATH_LENGTH,)
    assert "pathLenConstraint 0 but 1 intermediate CA(s) below it" in result.detail
    relaxed = _pki.ca("Test vTPM CA", "Test vTPM Root", dataclasses.replace(CA, path_length=1))
    assert _check(ak, (doctored[0], sub, relaxed, chain[2]), anchors).verified


def test_expired_intermediate_is_named(ak: object) -> None:
    chain, anchors = _pki.good_chain(ak)  # type: ignore[arg-type]
    result = check_ak_trust(ak, chain, anchors, at=dt.datetime(2031, 1, 1))  # type: ignore[arg-type]
    assert result.reasons == (ak_trust.CHAIN_EXPIRED,)
    assert all(
        f"'CN={cn}' expired" in result.detail
        for cn in ("test.TrustedVM.example", "Test vTPM CA", "Test vTPM Root")
    )


# -------------------------------------------------------------------------- the decision
def test_no_anchors_is_unverified_and_says_the_ak_was_used_as_given() -> None:
    ev = azure_document("2d056151df3d")
    for anchors in (None, TrustAnchors()):
        result = check_ak_trust(ev.ak, ev.ak_chain, anchors)
        assert result.status == "unverified"
        assert result.passed
        assert not result.verified
        assert result.reasons == ()
        assert result.checks == ()
        assert result.chain == ()
        assert "used as given" in result.detail
        assert "tpm2_checkquote -u" in result.detail
        assert "chain (3 certificates) was not checked" in result.detail
    assert check_ak_trust(ev.ak).to_dict()["status"] == "unverified"


def test_trusted_ak_list() -> None:
    a, b = azure_document("2d056151df3d"), azure_document("ceda709e0366")
    listed = TrustAnchors(trusted_aks=(b.ak, a.ak))
    ok = check_ak_trust(a.ak, (), listed)
    assert ok.verified
    assert ok.checks == ("trusted-ak-list",)
    assert "trusted AK 2" in ok.detail
    only_b = TrustAnchors(trusted_aks=(b.ak,))
    bad = check_ak_trust(a.ak, a.ak_chain, only_b)
    assert bad.reasons == (ak_trust.NOT_IN_TRUSTED_LIST,)
    assert bad.checks == ("trusted-ak-list",)
    # either anchor suffices: not in the list, but the chain verifies
    both = only_b.merged(_roots_only())
    assert check_ak_trust(a.ak, a.ak_chain, both, at=REAL_INSIDE["2d056151df3d"]).verified
    # neither: both reasons
    assert check_ak_trust(a.ak, a.ak_chain, both).reasons == (
        ak_trust.NOT_IN_TRUSTED_LIST,
        ak_trust.CHAIN_EXPIRED,
    )


def test_roots_without_a_chain_in_the_evidence() -> None:
    ev = azure_document("2d056151df3d")
    result = check_ak_trust(ev.ak, (), _roots_only())
    assert result.reasons == (ak_trust.NO_CHAIN,)
    assert result.status == "untrusted"


def test_to_dict_is_json_shaped() -> None:
    ev = azure_document("2d056151df3d")
    d = check_ak_trust(ev.ak, ev.ak_chain, _roots_only(), at=dt.datetime(2026, 12, 1, 12)).to_dict()
    assert d == {
        "status": "untrusted",
        "reasons": ["ak-untrusted:chain-expired"],
        "detail": d["detail"],
        "chain": d["chain"],
        "at": "2026-12-01T12:00:00+00:00",
        "checks": ["certificate-chain"],
    }
    assert len(d["chain"]) == 3
    assert set(ak_trust.REASONS) >= set(d["reasons"])
    assert all(r.startswith(ak_trust.AK_UNTRUSTED + ":") for r in ak_trust.REASONS)


def test_naive_time_is_utc() -> None:
    ev = azure_document("2d056151df3d")
    naive = check_ak_trust(ev.ak, ev.ak_chain, _roots_only(), at=dt.datetime(2025, 10, 30, 0, 0, 1))
    assert naive.reasons == (ak_trust.CHAIN_EXPIRED,)  # one second after the leaf's notAfter (UTC)
    east = dt.timezone(dt.timedelta(hours=2))
    assert check_ak_trust(
        ev.ak, ev.ak_chain, _roots_only(), at=dt.datetime(2025, 10, 30, 1, 0, tzinfo=east)
    ).verified


# ------------------------------------------------------------------ files and command line
def test_trusted_ak_file_takes_keys_and_certificates(tmp_path: pytest.TempPathFactory) -> None:
    a, b = azure_document("2d056151df3d"), azure_document("ceda709e0366")
    pem_key = a.ak.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem_cert = b.ak_chain[0].public_bytes(serialization.Encoding.PEM)
    path = tmp_path / "trusted.pem"  # type: ignore[operator]
    path.write_bytes(b"comment line\n" + pem_key + pem_cert)
    anchors = TrustAnchors.from_files(trusted_ak=path)
    assert [k == x for k, x in zip(anchors.trusted_aks, (a.ak, b.ak), strict=True)] == [True, True]
    der = a.ak.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert load_trusted_aks(der)[0] == a.ak


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "is a PRIVATE KEY, not a public key",
        ),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n", "malformed PEM"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a readable certificate"),
        (b"not a key", "trusted.pem"),
    ],
)
def test_bad_trusted_ak_file_is_named(tmp_path: pytest.TempPathFactory, content: bytes, message: str) -> None:
    path = tmp_path / "trusted.pem"  # type: ignore[operator]
    path.write_bytes(content)
    with pytest.raises(TlkitError, match=r"trusted\.pem") as e:
        TrustAnchors.from_files(trusted_ak=path)
    assert message in str(e.value)


def test_missing_and_oversized_anchor_files_are_named(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(DataError, match=r"nope\.pem: cannot read the AK root bundle"):
        TrustAnchors.from_files(ak_roots=tmp_path / "nope.pem")  # type: ignore[operator]
    big = tmp_path / "big.pem"  # type: ignore[operator]
    big.write_bytes(b"x" * ((1 << 20) + 1))
    with pytest.raises(DataError, match=r"big\.pem: AK root bundle is larger than the 1 MiB"):
        TrustAnchors.from_files(ak_roots=big)
    empty = tmp_path / "empty.pem"  # type: ignore[operator]
    empty.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.pem: no PEM certificate"):
        TrustAnchors.from_files(ak_roots=empty)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01", dt.datetime(2025, 6, 1, tzinfo=dt.UTC)),
        ("2025-06-01T12:30:00", dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC)),
        ("2025-06-01T12:30:00Z", dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC)),
        ("2025-06-01T12:30:00+02:00", dt.datetime(2025, 6, 1, 10, 30, tzinfo=dt.UTC)),
        (" 2025-06-01 12:30 ", dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC)),
    ],
)
def test_parse_at(text: str, expected: dt.datetime) -> None:
    got = parse_at(text)
    assert got == expected
    assert got.tzinfo == dt.UTC


def test_parse_at_now_and_garbage() -> None:
    assert abs(parse_at("now") - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    with pytest.raises(DataError, match=r"--at 'yesterday' is neither ISO 8601") as e:
        parse_at("yesterday")
    assert e.value.field == "at"


@given(st.text(max_size=40))
def test_parse_at_raises_only_data_errors(text: str) -> None:
    try:
        got = parse_at(text)
    except DataError:
        return
    assert got.tzinfo == dt.UTC


def test_command_line_helpers() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_trust_arguments(parser)
    args = parser.parse_args(["--ak-roots", str(ROOT_FILE), "--at", "2025-06-01"])
    anchors, at = anchors_from_args(args)
    assert anchors is not None
    assert anchors.roots == azure_vtpm_anchors().roots
    assert at == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    assert anchors_from_args(parser.parse_args([])) == (None, None)
    with pytest.raises(argparse.ArgumentError):
        parser.parse_args(["--ak-roots", "a", "--trusted-ak", "b"])


@given(
    st.binary(max_size=600)
    | st.sampled_from([b"-----BEGIN CERTIFICATE-----\n", b"-----BEGIN PUBLIC KEY-----\n"])
)
def test_anchor_loaders_raise_only_tlkit_errors(data: bytes) -> None:
    for loader in (load_ak_roots, load_trusted_aks, load_ak_chain):
        with contextlib.suppress(TlkitError):
            loader(data)


# ------------------------------------------------------------------- a verdict never lies
def _pool() -> list[x509.Certificate]:
    real = azure_document("2d056151df3d")
    other = azure_document("ceda709e0366")
    chain, _anchors = _pki.good_chain(real.ak)
    return [
        *real.ak_chain,
        other.ak_chain[0],
        *azure_vtpm_anchors().intermediates,
        *chain,
        _pki.leaf(real.ak, "Test vTPM CA", dataclasses.replace(LEAF, eku=None)),
        _pki.ca("Sub CA", "Test vTPM CA"),
        _pki.leaf(real.ak, "Sub CA"),
        _pki.root(_pki.AZURE_ROOT_NAME),
    ]


POOL = _pool()
ROOTS = [c for c in POOL if c.subject == c.issuer]
_REAL = POOL[:3]  # the real leaf -> CA-01 -> Azure root
_TEST = POOL[6:9]  # the test PKI's good chain


def _verified_examples(test: Any) -> Any:
    """Chains that come out verified (tests above check each), so the re-check always runs."""
    test = example(list(_REAL), [_REAL[2]], [], "2d056151df3d", dt.datetime(2025, 6, 1))(test)
    test = example(list(_TEST[:1]), [_TEST[2]], [_TEST[1]], "2d056151df3d", dt.datetime(2026, 1, 1))(test)
    return example([_REAL[0]], [_REAL[2]], list(POOL[4:6]), "2d056151df3d", dt.datetime(2025, 6, 1))(test)


@settings(max_examples=200)
@given(
    chain=st.lists(st.sampled_from(POOL), min_size=1, max_size=4),
    roots=st.lists(st.sampled_from(ROOTS), max_size=2),
    mids=st.lists(st.sampled_from(POOL), max_size=2),
    which_ak=st.sampled_from(["2d056151df3d", "ceda709e0366"]),
    at=st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2031, 1, 1)),
)
@_verified_examples
def test_verified_means_every_rule_holds_when_rechecked(
    chain: list[x509.Certificate],
    roots: list[x509.Certificate],
    mids: list[x509.Certificate],
    which_ak: str,
    at: dt.datetime,
) -> None:
    ak = azure_document(which_ak).ak
    result = check_ak_trust(ak, tuple(chain), TrustAnchors(tuple(roots), tuple(mids)), at=at)
    assert set(result.reasons) <= set(ak_trust.REASONS)
    if not roots:
        assert result.status == "unverified"
        return
    assert result.verified == (result.reasons == ())
    if not result.verified:
        return
    # an independent re-check of what "verified" claims
    path = [chain[0]]
    by_subject = {c.subject.rfc4514_string(): c for c in (*chain, *mids, *roots)}
    path += [by_subject[s] for s in result.chain[1:]]
    assert path[0].public_key() == ak
    assert path[-1] in roots
    when = at.replace(tzinfo=dt.UTC)
    for child, parent in itertools.pairwise(path):
        child.verify_directly_issued_by(parent)
    for cert in path:
        assert cert.not_valid_before_utc <= when <= cert.not_valid_after_utc
    eku = path[0].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ak_trust.TCG_AK_EKU in eku
