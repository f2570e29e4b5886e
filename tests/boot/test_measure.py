"""The measured boot of one Linux Secure Boot chain: the log and the vTPM agree, strictly, and the log
has the shape of a real OVMF + shim + GRUB Secure Boot log."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attest._evidence import QUOTE_AND_LOG, evidence_of
from tests.boot.conftest import SEED, require_osslsigncode
from tests.conftest import fixture_path, require_binaries
from tests.eventlog.test_tpm2_tools import _tool_pcrs
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import verify
from tlkit.boot import BootResult, linux_chain, make_component, measure_linux_boot
from tlkit.eventlog import (
    EventLog,
    EventType,
    initial_pcr_value,
    parse,
    secure_boot_state,
    write,
)

REAL_OVMF = "keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot"
HYPERV = "cvm-measure/tests/fixtures/eventlog/azure-snp-ncc40ads-h100-v5.bin"

#: Content (not structure) differences from the real logs, for readers: the simulation follows the PFP
#: where firmware/shim take a named liberty, and simulates an Azure-like platform. Structure differences
#: are data: tlkit.boot._fidelity.STRUCTURE_DIFFERENCES (tests/boot/test_structure.py).
CONTENT_DIFFERENCES: tuple[str, ...] = (
    "shim's vendor authority: variable 'Shim' (SHIM_LOCK), the .vendor_cert form; the real RHEL shim was "
    "built with a vendor_db and logs 'vendor_db' (EFI_IMAGE_SECURITY_DATABASE)",
    "PK/KEK/db/dbx: the simulated Azure-like hierarchy (1 KEK, 3 db CAs, empty dbx), not the real "
    "Hyper-V platform's (2 KEK, 3 db, 431 dbx hashes)",
    "PCRs 8 and 9: a short Ubuntu grub.cfg (10 PCR 8 events, 4 files), not RHEL's BLS configuration",
    "PCR 14: MokList measures MokListRT (MokList then shim's vendor certificate); MokListTrusted, 0x01",
)


def test_no_boot_variables_on_pcr1_as_hyperv(booted: BootResult) -> None:
    """Hyper-V measures no BootOrder/Boot#### (unlike OVMF, whose EDK II hashes only the VariableData)."""
    ovmf = parse(fixture_path(REAL_OVMF).read_bytes())
    assert _types(ovmf, 1, EventType.EV_EFI_VARIABLE_BOOT)
    for log in (parse(fixture_path(HYPERV).read_bytes()), booted.log):
        assert [e.type_name for e in log if e.pcr == 1] == ["EV_SEPARATOR"]


@pytest.fixture(scope="module")
def booted() -> BootResult:
    require_osslsigncode()
    return measure_linux_boot(seed=SEED)


def _all_pcrs(result: BootResult, bank: str) -> dict[int, bytes]:
    return dict(result.pcrs[bank])


def _types(log: EventLog, pcr: int, event_type: EventType) -> list[int]:
    return [e.index for e in log if e.pcr == pcr and e.event_type == event_type]


def test_replay_equals_the_vtpm_in_every_bank(booted: BootResult) -> None:
    log = parse(write(booted.log))
    replayed = log.replay_all()
    assert set(replayed) == {"sha1", "sha256"}
    locality = log.startup_locality or 0
    for bank, values in replayed.items():
        pcrs = _all_pcrs(booted, bank)
        assert values == {p: pcrs[p] for p in values}
        # every PCR the log does not extend is still at its reset value
        for p, v in pcrs.items():
            if p not in values:
                assert v == initial_pcr_value(p, len(v), locality=locality)
    assert set(replayed["sha256"]) == {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}


@pytest.mark.parametrize("bank", ["sha1", "sha256"])
def test_strict_verify_passes_with_no_reasons(booted: BootResult, bank: str) -> None:
    result = booted.log.verify(_all_pcrs(booted, bank), bank, quirks=())
    assert result.passed, result.reasons
    assert result.reasons == ()
    assert result.payload_mismatches == ()
    assert set(result.matched) >= {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}


def test_secure_boot_state_reads_back_what_was_booted(booted: BootResult) -> None:
    chain = linux_chain(SEED)
    state = secure_boot_state(parse(write(booted.log)))
    assert state.enabled is True
    assert state.anomalies == ()
    for logged, db in zip((state.pk, state.kek, state.db, state.dbx), chain.dbs, strict=True):
        assert logged is not None
        assert logged.subjects == tuple(
            e.certificate.subject.rfc4514_string() for e in db.certificates if e.certificate
        )
    used = [d.authority for d in booted.decisions[:3]]
    assert [d.reason for d in booted.decisions] == ["signature-verified"] * 4
    assert [a.variable for a in used if a] == ["db", "Shim", "Shim"]
    # each authority logged once (GRUB and the kernel share shim's vendor certificate), SbatLevel too
    assert [a.variable for a in state.authorities] == ["db", "SbatLevel", "Shim"]
    logged = {a.variable: a.certificate.subject for a in state.authorities if a.certificate}
    assert logged == {a.variable: a.certificate.subject.rfc4514_string() for a in used if a and a.certificate}
    assert state.sbat_level is not None
    assert state.sbat_level.startswith("sbat,1,")
    assert state.mok_list_present


def test_grub_and_kernel_events_as_grub_measures_them(booted: BootResult) -> None:
    chain = linux_chain(SEED)
    texts = [e.data.rstrip(b"\0").decode() for e in booted.log if e.pcr == 8]
    assert texts[-3:] == [
        f"grub_cmd: linux /boot/vmlinuz-{chain.kernel_version} {chain.cmdline}",
        f"kernel_cmdline: /boot/vmlinuz-{chain.kernel_version} {chain.cmdline}",
        f"grub_cmd: initrd /boot/initrd.img-{chain.kernel_version}",
    ]
    files = {e.data.rstrip(b"\0").decode(): e.digests["sha256"] for e in booted.log if e.pcr == 9}
    kernel = files[f"(hd0,gpt2)/boot/vmlinuz-{chain.kernel_version}"]
    initrd = files[f"(hd0,gpt2)/boot/initrd.img-{chain.kernel_version}"]
    assert (kernel, initrd) == (hashlib.sha256(chain.kernel.data).digest(), chain.initrd.digest("sha256"))
    apps = [
        booted.log[i].digests["sha256"]
        for i in _types(booted.log, 4, EventType.EV_EFI_BOOT_SERVICES_APPLICATION)
    ]
    assert apps == [c.digest("sha256") for c in (chain.shim, chain.grub, chain.kernel)]


def test_same_seed_same_bytes_and_pcrs(booted: BootResult) -> None:
    again = measure_linux_boot(seed=SEED)
    assert write(again.log) == write(booted.log)
    assert again.pcrs == booted.pcrs


def test_tampered_bootloader_stops_the_boot_under_secure_boot() -> None:
    require_osslsigncode()
    chain = linux_chain(SEED)
    result = measure_linux_boot(linux_chain(SEED, grub=chain.grub.tampered()), seed=SEED)
    assert not result.booted
    assert [(d.component, d.loaded) for d in result.decisions] == [
        ("shimx64.efi", True),
        ("grubx64.efi", False),
    ]
    assert [d.component for d in result.refused] == ["grubx64.efi"]
    assert result.reasons == ("grubx64.efi: image-digest-mismatch",)
    log = result.log
    assert len(_types(log, 4, EventType.EV_EFI_BOOT_SERVICES_APPLICATION)) == 1  # shim only
    assert not [e for e in log if e.pcr in (8, 9)]
    assert not _types(log, 5, EventType.EV_EFI_ACTION)  # ExitBootServices never reached
    assert log.verify(_all_pcrs(result, "sha256"), quirks=()).passed


def test_tampered_kernel_is_read_by_grub_then_refused() -> None:
    require_osslsigncode()
    chain = linux_chain(SEED)
    result = measure_linux_boot(linux_chain(SEED, kernel=chain.kernel.tampered()), seed=SEED)
    assert not result.booted
    assert result.refused[0].component == "vmlinuz"
    last = result.log[len(result.log) - 1]
    assert (last.pcr, last.data.rstrip(b"\0").decode()) == (
        9,
        f"(hd0,gpt2)/boot/vmlinuz-{chain.kernel_version}",
    )


def test_refused_kernel_module_is_recorded_and_the_vm_boots() -> None:
    require_osslsigncode()
    rogue = make_component("rootkit.ko", "kernel-module", seed=SEED, signer="untrusted")
    result = measure_linux_boot(linux_chain(SEED, modules=(rogue,)), seed=SEED)
    assert result.booted
    assert [(d.component, d.reason) for d in result.refused] == [
        ("rootkit.ko", "signer-unknown")
    ]  # its key is in no keyring
    assert len(_types(result.log, 5, EventType.EV_EFI_ACTION)) == 2


def test_secure_boot_off_loads_everything_and_pcr7_says_so() -> None:
    require_osslsigncode()
    chain = linux_chain(SEED)
    result = measure_linux_boot(linux_chain(SEED, grub=chain.grub.tampered()), seed=SEED, secure_boot=False)
    assert result.booted
    assert result.refused == ()
    assert {d.reason for d in result.decisions} == {"secure-boot-off"}
    state = secure_boot_state(result.log)
    assert state.enabled is False
    assert state.secure_boot_data == b"\x00"
    assert [a.variable for a in state.authorities] == ["SbatLevel"]  # nothing was verified
    assert result.log.verify(_all_pcrs(result, "sha256"), quirks=()).passed
    assert result.pcrs["sha256"][7] != measure_linux_boot(seed=SEED).pcrs["sha256"][7]


@pytest.mark.tools
def test_tpm2_eventlog_reads_the_written_log_to_the_same_pcrs(booted: BootResult, tmp_path: Path) -> None:
    require_binaries("tpm2_eventlog")
    out = tmp_path / "binary_bios_measurements"
    out.write_bytes(write(booted.log))
    tool = _tool_pcrs(out)
    assert tool == {b: {p: v.hex() for p, v in pcrs.items()} for b, pcrs in booted.log.replay_all().items()}
    assert tool["sha256"][7] == booted.pcrs["sha256"][7].hex()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cmdline=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200),
    secure_boot=st.booleans(),
)
def test_any_command_line_gives_a_log_that_verifies_strictly(
    booted: BootResult, cmdline: str, secure_boot: bool
) -> None:
    result = measure_linux_boot(linux_chain(SEED, cmdline=cmdline), seed=SEED, secure_boot=secure_boot)
    log = parse(write(result.log))
    for bank in ("sha1", "sha256"):
        verdict = log.verify(_all_pcrs(result, bank), bank, quirks=())
        assert verdict.reasons == ()
    assert log[len(log) - 5].data.rstrip(b"\0").decode().endswith(f" {cmdline}")


def test_the_vtpm_quote_and_the_log_are_evidence_that_verifies(booted: BootResult) -> None:
    nonce = b"measured-boot-nonce"
    quote = booted.vtpm.quote({"sha256": range(24)}, nonce)

    def evidence(log: EventLog) -> Evidence:
        ak = booted.vtpm.ak_public
        return evidence_of(quote.message, quote.signature, quote.pcrs, ak, nonce=nonce, log=write(log))

    result = verify(evidence(booted.log), nonce)
    assert result.passed, result.reasons
    assert result.reasons == ()
    assert (result.log, result.secure_boot) == ("replayed", True)
    # the quote vouches for this boot only: the log of a boot with Secure Boot off does not verify
    other = measure_linux_boot(seed=SEED, secure_boot=False).log
    replay_only = verify(evidence(other), nonce, policy=QUOTE_AND_LOG)
    assert replay_only.reasons == ("log-replay-mismatch:sha256:pcr7",)
    # under the default policy the unverified log cannot show Secure Boot either, and says why
    strict = verify(evidence(other), nonce)
    assert strict.reasons == ("log-replay-mismatch:sha256:pcr7", "secure-boot-unknown")
    assert strict.check("secure-boot").detail.startswith("no verified log: no quoted PCR 7 with a baseline")
