"""Secure Boot state from real logs, and quote + log evidence checks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.conftest import fixture_path
from tests.eventlog.logs import GA, GT, KL, TT, log_bytes
from tlkit.eventlog import (
    EventLog,
    EventType,
    check_evidence,
    make_event,
    parse,
    secure_boot_state,
    write,
)

MS_UEFI_CA = "CN=Microsoft Corporation UEFI CA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US"
MS_PCA = "CN=Microsoft Windows Production PCA 2011,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US"


def test_secure_boot_on_with_shim_quirks() -> None:
    s = secure_boot_state(parse(log_bytes(TT + "event-moklisttrusted.bin")))
    assert s.enabled is True
    assert s.secure_boot_data == b"\x01"
    assert s.pk is not None
    assert s.pk.subjects == (
        "1.2.840.113549.1.9.1=secalert@redhat.com,CN=Red Hat Secure Boot (PK/KEK key 1)",
    )
    assert s.pk.certificates[0].common_name == "Red Hat Secure Boot (PK/KEK key 1)"
    assert s.kek is not None
    assert len(s.kek.certificates) == 2
    assert s.db is not None
    assert s.db.subjects == (MS_PCA, MS_UEFI_CA)
    assert s.dbx is not None
    assert (len(s.dbx.certificates), s.dbx.hash_count) == (0, 1)
    assert [(a.index, a.variable, a.form) for a in s.authorities] == [
        (23, "db", "signature-data"),
        (28, "SbatLevel", "sbat-level"),
        (29, "MokListTrusted", "mok-list-trusted"),
        (31, "Shim", "bare-certificate"),
    ]
    assert s.authorities[0].certificate is not None
    assert s.authorities[0].certificate.subject == MS_UEFI_CA
    assert s.authorities[0].owner == "77fa9abd-0359-4d32-bd60-28f4e78f784b"
    assert s.sbat_level == "sbat,1,2021030218\n"
    assert s.mok_list_trusted is True
    assert s.mok_list_present is True
    assert s.dma_protection_disabled is False
    assert s.notes == ("authority-bare-certificate",)
    shim, grub = s.images[1], s.images[2]
    assert shim.path.endswith("\\EFI\\redhat\\shimx64.efi")
    assert [a.index for a in shim.authorities] == [23]
    assert grub.path == "\\EFI\\redhat\\grubx64.efi"
    # SbatLevel (28) and MokListTrusted (29) approve nothing; shim 15.3+ logs Shim (31) before GRUB
    assert [a.index for a in grub.authorities] == [31]
    d = s.to_dict()
    assert d["db"]["subjects"] == [MS_PCA, MS_UEFI_CA]
    assert d["images"][2]["authorities"] == [31]
    assert s.anomalies == ()


def test_empty_secure_boot_variable_is_reported() -> None:
    s = secure_boot_state(parse(log_bytes(GT + "arch-linux-workstation.bin")))
    assert s.enabled is None
    assert s.secure_boot_data == b""
    assert "secureboot-var-empty" in s.notes


def test_secure_boot_off_and_windows() -> None:
    off = secure_boot_state(parse(log_bytes(GT + "ubuntu-2104-no-secure-boot.bin")))
    assert off.enabled is False
    win = secure_boot_state(parse(log_bytes(GA + "option_rom_eventlog")))
    assert win.enabled is True
    assert win.db is not None
    assert len(win.db.certificates) == 3
    assert win.dbx is not None
    assert win.dbx.hash_count == 78
    assert [
        (i.type_name, [a.certificate.subject for a in i.authorities if a.certificate]) for i in win.images
    ] == [
        ("EV_EFI_BOOT_SERVICES_DRIVER", [MS_UEFI_CA]),  # the option ROM
        ("EV_EFI_BOOT_SERVICES_APPLICATION", [MS_PCA]),  # bootmgfw.efi
    ]


def test_secureboot_keylime_logs() -> None:
    on = secure_boot_state(parse(log_bytes(KL + "create-mb-policy/binary_bios_measurements-secureboot")))
    assert on.enabled is True
    off = secure_boot_state(parse(log_bytes(KL + "create-mb-policy/binary_bios_measurements")))
    assert off.enabled is False


def test_missing_variable_and_dma_protection() -> None:
    ev = make_event(7, EventType.EV_EFI_ACTION, b"DMA Protection Disabled", ("sha256",))
    s = secure_boot_state(EventLog.from_events([ev], banks=("sha256",)))
    assert s.enabled is None
    assert s.dma_protection_disabled is True
    assert s.notes == ("secureboot-var-missing", "dma-protection-disabled", "pcr7-separator-missing")
    # PCR 7 is logged without its SecureBoot variable: unknown AND failing, never silently unknown
    assert s.anomalies == ("secureboot-var-missing", "pcr7-separator-missing")


# ----------------------------------------------------------------------------- check_evidence
def _windows() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(fixture_path(GA + "windows_gcp_shielded_vm.json").read_text())
    return doc


def _windows_args() -> dict[str, Any]:
    from tlkit.tpm import PublicArea

    d = _windows()
    pcrs = {"sha1": {p["Index"]: base64.b64decode(p["Digest"]) for p in d["Log"]["PCRs"]}}
    return {
        "message": base64.b64decode(d["Quote"]["Quote"]),
        "signature": base64.b64decode(d["Quote"]["Signature"]),
        "pcrs": pcrs,
        "nonce": base64.b64decode(d["Quote"]["Nonce"]),
        "ak": PublicArea.from_bytes(base64.b64decode(d["AK"]["Public"])),
    }


def test_check_evidence_windows_quote_and_log() -> None:
    args = _windows_args()
    log = parse(log_bytes(GA + "windows_gcp_shielded_vm.json"))
    r = check_evidence(log, **args)
    assert r.passed, r.reasons
    assert r.reasons == ()
    assert r.quote.passed
    assert list(r.replays) == ["sha1"]
    assert r.replays["sha1"].matched == (0, 4, 5, 7, 11, 12, 13, 14)
    assert r.to_dict()["passed"] is True
    # raw bytes are parsed too
    assert check_evidence(log_bytes(GA + "windows_gcp_shielded_vm.json"), **args).passed


def test_check_evidence_reasons_from_both_sides() -> None:
    args = _windows_args()
    good = parse(log_bytes(GA + "windows_gcp_shielded_vm.json"))
    e = good[5]
    bad_log = good.replaced(5, make_event(e.pcr, e.event_type, e.data, ("sha1",), measured=b"other"))
    r = check_evidence(bad_log, **args)
    assert not r.passed
    # the edited event is an EV_EFI_VARIABLE_DRIVER_CONFIG: its digest no longer hashes its data either
    assert r.reasons == (f"log:sha1:pcr-mismatch:{e.pcr}", "log:sha1:payload-digest-mismatch:5")
    r2 = check_evidence(good, **{**args, "nonce": b"wrong"})
    assert r2.reasons == ("quote:nonce-mismatch",)
    r3 = check_evidence(b"", **args)
    assert r3.reasons == ("log:unparsable",)
    r4 = check_evidence(good, **args, banks=("sha256",))
    assert r4.reasons == ("log:no-common-bank",)


@pytest.mark.parametrize("bank", ["sha1", "sha256"])
def test_check_evidence_with_virtual_tpm(bank: str) -> None:
    """A VirtualTpm extended with a real log's digests quotes PCRs the log replays to."""
    from tlkit.tpm import PcrSelection, VirtualTpm

    log = parse(log_bytes(GT + "rhel8-uefi.bin"))
    tpm = VirtualTpm(seed=7, banks=("sha1", "sha256"))
    for ev in log:
        if ev.event_type == EventType.EV_NO_ACTION:
            continue
        for b in ("sha1", "sha256"):
            tpm.pcrs.extend(ev.pcr, ev.digests[b], b)
    sel = PcrSelection.of({bank: range(24)})
    q = tpm.quote(sel, b"nonce-123")
    r = check_evidence(
        log, message=q.message, signature=q.signature, pcrs=q.pcrs, nonce=b"nonce-123", ak=tpm.ak_public
    )
    assert r.passed, r.reasons
    rr = r.replays[bank]
    assert rr.matched == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14)
    assert log.verify(q.pcrs, bank) == rr  # a PcrValues is accepted directly
    assert rr.not_covered == ()  # the virtual TPM extends only what the log logs
    assert rr.at_reset == (10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23)


@pytest.mark.parametrize(
    ("rel", "nonce"),
    [
        ("go-tpm-tools/internal/test/attestations/gce-cos-85-nonce9009.pb", bytes.fromhex("9009")),
        ("go-tpm-tools/internal/test/attestations/gce-cos-85-no-nonce.pb", b""),
    ],
    ids=["nonce9009", "no-nonce"],
)
def test_check_evidence_gce_attestation_bundles(rel: str, nonce: bytes) -> None:
    """Real GCE vTPM quotes (sha1, sha256, sha384 banks) with the event log of the same bundle."""
    from tests.tpm._fixtures import _pb_fields, gce

    fields = _pb_fields(fixture_path(rel).read_bytes())
    raw = next(v for f, v in fields if f == 3)  # go-tpm-tools attest.Attestation.event_log
    assert isinstance(raw, bytes)
    log = parse(raw)
    assert write(log) == raw
    assert log.banks == ("sha1", "sha256", "sha384")
    quotes = gce(rel, nonce)
    assert len(quotes) == 3
    for q in quotes:
        args = {"message": q.message, "signature": q.signature, "pcrs": q.pcrs, "nonce": q.nonce, "ak": q.ak}
        r = check_evidence(log, **args)
        (bank,) = r.replays
        # the quote covers PCR 10 (IMA, not zero) which the firmware log cannot explain
        assert not r.passed
        assert r.reasons == (f"log:{bank}:pcr-not-covered:10",)
        assert r.replays[bank].not_covered == (10,)
        narrowed = check_evidence(log, **args, only=range(10))  # ask about the firmware PCRs only
        assert narrowed.passed, (q.name, narrowed.reasons)
        assert narrowed.replays[bank].matched == tuple(range(10))
    tampered = log.replaced(
        3, make_event(log[3].pcr, log[3].event_type, log[3].data, log.banks, measured=b"x")
    )
    r = check_evidence(
        tampered,
        message=q.message,
        signature=q.signature,
        pcrs=q.pcrs,
        nonce=q.nonce,
        ak=q.ak,
        only=range(10),
    )
    assert r.reasons == (f"log:{bank}:pcr-mismatch:{log[3].pcr}", f"log:{bank}:payload-digest-mismatch:3")


def test_check_evidence_systemd_boot_short_nul_is_a_named_variant() -> None:
    """arch-linux's systemd-boot EV_IPL (event 24) logs its UTF-16 command line one byte short; the
    digest is of the data plus 0x00 (the named digest variant SYSTEMD_BOOT_SHORT_NUL): evidence passes.
    Dropping PCR 7 from the log fails it (pcr-not-covered)."""
    from tlkit.eventlog._digestcheck import DIGEST_VARIANTS
    from tlkit.tpm import PcrSelection, VirtualTpm

    assert "SYSTEMD_BOOT_SHORT_NUL" in DIGEST_VARIANTS
    log = parse(log_bytes(GT + "arch-linux-workstation.bin"))
    assert log[24].data_matches_digest("sha256") is True
    tpm = VirtualTpm(seed=7, banks=("sha1", "sha256"))
    for ev in log:
        if ev.event_type != EventType.EV_NO_ACTION:
            for b in ("sha1", "sha256"):
                tpm.pcrs.extend(ev.pcr, ev.digests[b], b)
    q = tpm.quote(PcrSelection.of({"sha256": range(24)}), b"n")
    r = check_evidence(
        log, message=q.message, signature=q.signature, pcrs=q.pcrs, nonce=b"n", ak=tpm.ak_public
    )
    assert r.passed, r.reasons
    assert r.reasons == ()
    dropped = log.with_events([e for e in log if e.pcr != 7 or e.event_type == EventType.EV_NO_ACTION])
    r2 = check_evidence(
        dropped, message=q.message, signature=q.signature, pcrs=q.pcrs, nonce=b"n", ak=tpm.ak_public
    )
    assert not r2.passed
    assert r2.reasons == ("log:sha256:pcr-not-covered:7",)
