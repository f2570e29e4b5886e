"""Secure Boot state from real logs, and quote + log evidence as tlkit.attest.verify judges it."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest

from tests.attest._evidence import QUOTE_AND_LOG, evidence_of
from tests.conftest import fixture_path
from tests.eventlog.logs import GA, GT, KL, TT, log_bytes
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import verify
from tlkit.eventlog import (
    EventLog,
    EventType,
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


# ----------------------------------------------------------------------------- quote + log evidence
def _windows() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(fixture_path(GA + "windows_gcp_shielded_vm.json").read_text())
    return doc


def _windows_evidence(log: bytes | None = None) -> tuple[Evidence, bytes]:
    """The real Windows GCE quote with its log (or ``log``), and the quote's nonce."""
    from tlkit.tpm import PublicArea

    d = _windows()
    pcrs = {"sha1": {p["Index"]: base64.b64decode(p["Digest"]) for p in d["Log"]["PCRs"]}}
    nonce = base64.b64decode(d["Quote"]["Nonce"])
    evidence = evidence_of(
        base64.b64decode(d["Quote"]["Quote"]),
        base64.b64decode(d["Quote"]["Signature"]),
        pcrs,
        PublicArea.from_bytes(base64.b64decode(d["AK"]["Public"])),
        nonce=nonce,
        log=log_bytes(GA + "windows_gcp_shielded_vm.json") if log is None else log,
    )
    return evidence, nonce


def test_windows_quote_and_log_verify() -> None:
    ev, nonce = _windows_evidence()
    r = verify(ev, nonce)
    assert r.passed, r.reasons
    assert r.reasons == ()
    assert r.check("quote").status == r.check("log").status == "passed"
    assert list(r.details["log"]) == ["sha1"]
    assert r.details["log"]["sha1"]["matched"] == [0, 4, 5, 7, 11, 12, 13, 14]
    assert r.to_dict()["passed"] is True


def test_evidence_reasons_from_both_sides() -> None:
    good = parse(log_bytes(GA + "windows_gcp_shielded_vm.json"))
    e = good[5]
    bad_log = good.replaced(5, make_event(e.pcr, e.event_type, e.data, ("sha1",), measured=b"other"))
    ev, nonce = _windows_evidence(write(bad_log))
    r = verify(ev, nonce, policy=QUOTE_AND_LOG)
    assert not r.passed
    # the edited event is an EV_EFI_VARIABLE_DRIVER_CONFIG: its digest no longer hashes its data either
    assert r.reasons == (
        f"log-replay-mismatch:sha1:pcr{e.pcr}",
        "log-replay-mismatch:payload-digest-mismatch:sha1:event5",
    )
    ev, nonce = _windows_evidence()
    r2 = verify(ev, b"wrong")
    assert r2.reasons == ("nonce-mismatch",)
    assert r2.check("log").status == "skipped"  # nothing trusted to replay against
    # a log that does not parse is a reason, not an exception
    truncated = dataclasses.replace(ev, eventlog=ev.eventlog[:-7] if ev.eventlog else None)
    r3 = verify(truncated, nonce, policy=QUOTE_AND_LOG)
    assert r3.reasons == ("log-structure-invalid:unparsable",)
    # an empty log file is the Azure shape (no log): it fails where the policy requires a log
    empty = dataclasses.replace(ev, eventlog=b"")
    r4 = verify(empty, nonce, policy=dataclasses.replace(QUOTE_AND_LOG, require_log=True))
    assert (r4.reasons, r4.log) == (("log-incomplete:no-log",), "absent")
    r5 = verify(ev, nonce, policy=dataclasses.replace(QUOTE_AND_LOG, banks=("sha256",)))
    assert r5.reasons == ("log-incomplete:no-common-bank",)


@pytest.mark.parametrize("bank", ["sha1", "sha256"])
def test_evidence_of_a_virtual_tpm(bank: str) -> None:
    """A VirtualTpm extended with a real log's digests quotes PCRs the log replays to."""
    from tlkit.tpm import PcrSelection, VirtualTpm

    raw = log_bytes(GT + "rhel8-uefi.bin")
    log = parse(raw)
    tpm = VirtualTpm(seed=7, banks=("sha1", "sha256"))
    for ev in log:
        if ev.event_type == EventType.EV_NO_ACTION:
            continue
        for b in ("sha1", "sha256"):
            tpm.pcrs.extend(ev.pcr, ev.digests[b], b)
    sel = PcrSelection.of({bank: range(24)})
    q = tpm.quote(sel, b"nonce-123")
    evidence = evidence_of(q.message, q.signature, q.pcrs, tpm.ak_public, nonce=b"nonce-123", log=raw)
    r = verify(evidence, b"nonce-123", policy=QUOTE_AND_LOG)
    assert r.passed, r.reasons
    assert list(r.details["log"]) == [bank]
    rr = r.details["log"][bank]
    assert rr["matched"] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14]
    assert log.verify(q.pcrs, bank).to_dict() == rr  # a PcrValues is accepted directly
    assert rr["not_covered"] == []  # the virtual TPM extends only what the log logs
    assert rr["at_reset"] == [10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23]


@pytest.mark.parametrize(
    ("rel", "nonce"),
    [
        ("go-tpm-tools/internal/test/attestations/gce-cos-85-nonce9009.pb", bytes.fromhex("9009")),
        ("go-tpm-tools/internal/test/attestations/gce-cos-85-no-nonce.pb", b""),
    ],
    ids=["nonce9009", "no-nonce"],
)
def test_evidence_of_gce_attestation_bundles(rel: str, nonce: bytes) -> None:
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
    firmware = dataclasses.replace(QUOTE_AND_LOG, only=tuple(range(10)))  # the firmware PCRs only
    for q in quotes:
        ev = evidence_of(q.message, q.signature, q.pcrs, q.ak, nonce=q.nonce, log=raw)
        r = verify(ev, q.nonce, policy=QUOTE_AND_LOG)
        (bank,) = r.details["log"]
        # the quote covers PCR 10 (IMA, not zero) which the firmware log cannot explain
        assert not r.passed
        assert r.reasons == (f"log-incomplete:{bank}:pcr10",)
        assert r.details["log"][bank]["not_covered"] == [10]
        narrowed = verify(ev, q.nonce, policy=firmware)
        assert narrowed.passed, (q.name, narrowed.reasons)
        assert narrowed.details["log"][bank]["matched"] == list(range(10))
    tampered = log.replaced(
        3, make_event(log[3].pcr, log[3].event_type, log[3].data, log.banks, measured=b"x")
    )
    r = verify(dataclasses.replace(ev, eventlog=write(tampered)), q.nonce, policy=firmware)
    assert r.reasons == (
        f"log-replay-mismatch:{bank}:pcr{log[3].pcr}",
        f"log-replay-mismatch:payload-digest-mismatch:{bank}:event3",
    )


def test_systemd_boot_short_nul_is_a_named_variant() -> None:
    """arch-linux's systemd-boot EV_IPL (event 24) logs its UTF-16 command line one byte short; the
    digest is of the data plus 0x00 (the named digest variant SYSTEMD_BOOT_SHORT_NUL): evidence passes.
    Dropping PCR 7 from the log fails it (log-incomplete)."""
    from tlkit.eventlog._digestcheck import DIGEST_VARIANTS
    from tlkit.tpm import PcrSelection, VirtualTpm

    assert "SYSTEMD_BOOT_SHORT_NUL" in DIGEST_VARIANTS
    raw = log_bytes(GT + "arch-linux-workstation.bin")
    log = parse(raw)
    assert log[24].data_matches_digest("sha256") is True
    tpm = VirtualTpm(seed=7, banks=("sha1", "sha256"))
    for ev in log:
        if ev.event_type != EventType.EV_NO_ACTION:
            for b in ("sha1", "sha256"):
                tpm.pcrs.extend(ev.pcr, ev.digests[b], b)
    q = tpm.quote(PcrSelection.of({"sha256": range(24)}), b"n")
    evidence = evidence_of(q.message, q.signature, q.pcrs, tpm.ak_public, nonce=b"n", log=raw)
    r = verify(evidence, b"n", policy=QUOTE_AND_LOG)
    assert r.passed, r.reasons
    assert r.reasons == ()
    dropped = log.with_events([e for e in log if e.pcr != 7 or e.event_type == EventType.EV_NO_ACTION])
    r2 = verify(dataclasses.replace(evidence, eventlog=write(dropped)), b"n", policy=QUOTE_AND_LOG)
    assert not r2.passed
    assert r2.reasons == ("log-incomplete:sha256:pcr7",)
