"""The real event logs among the shared fixtures, and how to load each one."""

from __future__ import annotations

import base64
import json
from functools import cache

from tests.conftest import fixture_path

GA = "go-attestation/attest/testdata/"
GT = "go-tpm-tools/internal/test/eventlogs/"
TT = "tpm2-tools/test/integration/fixtures/"
KL = "keylime/test/data/"

#: every binary (or wrapped) event log in the fixtures, by repo-relative path
LOGS: tuple[str, ...] = (
    GA + "coreos_36_shielded_vm_no_secure_boot_eventlog",
    GA + "crypto_agile_eventlog",
    GA + "ebs_event_missing_eventlog",
    GA + "option_rom_eventlog",
    GA + "sb_cert_eventlog",
    GA + "short_no_action_eventlog",
    GA + "ubuntu_2104_shielded_vm_no_secure_boot_eventlog",
    GA + "windows_gcp_shielded_vm.json",
    GT + "arch-linux-workstation.bin",
    GT + "confidential-gke-debug-251000_eventlog.bin",
    GT + "cos-101-amd-sev.bin",
    GT + "cos-85-amd-sev.bin",
    GT + "cos-93-amd-sev.bin",
    GT + "debian-10.bin",
    GT + "eventlogwithsp800155.bin",
    GT + "gdc-host.bin",
    GT + "glinux-alex.bin",
    GT + "rhel8-uefi.bin",
    GT + "ubuntu-1804-amd-sev.bin",
    GT + "ubuntu-2104-no-dbx.bin",
    GT + "ubuntu-2104-no-secure-boot.bin",
    GT + "ubuntu-2404-amd-sevsnp.bin",
    KL + "create-mb-policy/binary_bios_measurements",
    KL + "create-mb-policy/binary_bios_measurements-secureboot",
    KL + "mb_log.b64",
    TT + "event-arch-linux.bin",
    TT + "event-bootorder.bin",
    TT + "event-gce-ubuntu-2104-log.bin",
    TT + "event-moklisttrusted.bin",
    TT + "event-postcode.bin",
    TT + "event-sd-boot-fedora37.bin",
    TT + "event-uefi-sha1-log.bin",
    TT + "event-uefiaction.bin",
    TT + "event-uefiservices.bin",
    TT + "event-uefivar.bin",
    TT + "event.bin",
)


def short(rel: str) -> str:
    """A readable pytest id for a fixture path."""
    return rel.rsplit("/", 1)[-1]


@cache
def log_bytes(rel: str) -> bytes:
    """The raw binary log of a fixture (base64 and JSON wrappers removed)."""
    p = fixture_path(rel)
    if rel.endswith(".b64"):
        return base64.b64decode(p.read_bytes())
    if rel.endswith(".json"):
        return base64.b64decode(json.loads(p.read_text())["Log"]["Raw"])
    return p.read_bytes()
