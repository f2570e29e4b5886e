"""Shared objects for the boot tests: one seed, its databases and a signed Linux chain (built once)."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import IN_CI
from tlkit.boot import Component, SecureBootDatabases, make_component, secure_boot_databases

SEED = 0


def require_osslsigncode() -> None:
    if shutil.which("osslsigncode") is None:
        msg = "osslsigncode missing: sudo apt-get install osslsigncode"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def dbs() -> SecureBootDatabases:
    return secure_boot_databases(SEED)


@pytest.fixture(scope="session")
def chain() -> dict[str, Component]:
    """A healthy Ubuntu-like chain: shim (UEFI CA), GRUB and kernel (vendor), modules."""
    require_osslsigncode()
    return {
        "shim": make_component(
            "shimx64.efi", "shim", seed=SEED, signer="uefi-signer", vendor_cert_role="vendor-ca"
        ),
        "grub": make_component("grubx64.efi", "bootloader", seed=SEED, signer="vendor-signer"),
        "kernel": make_component(
            "vmlinuz-6.8.0", "kernel", seed=SEED, signer="vendor-signer", version="6.8.0"
        ),
        "module": make_component("hv_netvsc.ko", "kernel-module", seed=SEED, signer="kernel-build-key"),
        "kmod": make_component("azure_kmod.ko", "kernel-module", seed=SEED, signer="kmod-signer"),
        "dkms": make_component("nvidia.ko", "kernel-module", seed=SEED, signer="mok-dkms"),
        "bootmgr": make_component("bootmgfw.efi", "windows-boot-manager", seed=SEED, signer="windows-signer"),
        "driver": make_component("netvsc.sys", "windows-driver", seed=SEED, signer="driver-signer"),
    }
