"""The Secure Boot decision: each named rule with a case that fires it and one that does not."""

from __future__ import annotations

from tests.boot.conftest import SEED
from tlkit.boot import (
    RULES,
    Component,
    SecureBootDatabases,
    certificate_entries,
    decide,
    decide_chain,
    firmware_policy,
    hash_entries,
    kernel_module_policy,
    make_component,
    secure_boot_databases,
    shim_policy,
    signing_key,
    windows_policy,
)
from tlkit.eventlog import EventType, make_event
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._build import variable_data


def _unsigned_grub() -> Component:
    return make_component("grubx64.efi", "bootloader", seed=SEED)


def test_rules_are_named_data_in_order() -> None:
    names = "not-enforced dbx-hash dbx-certificate sbat allowed-hash signature-chain deny-by-default"
    assert [r.name for r in RULES] == names.split()


def test_healthy_linux_chain_boots_with_the_expected_authorities(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    shim = chain["shim"]
    out = decide_chain(
        [
            (shim, firmware_policy(dbs)),
            (chain["grub"], shim_policy(dbs, shim)),
            (chain["kernel"], shim_policy(dbs, shim)),
            (chain["module"], kernel_module_policy(dbs, seed=SEED)),
            (chain["kmod"], kernel_module_policy(dbs, seed=SEED)),
        ]
    )
    assert out.booted
    assert not out.refused
    assert [d.reason for d in out.decisions] == ["signature-verified"] * 5
    auth = [d.authority for d in out.decisions]
    assert auth[0] is not None
    assert auth[0].variable == "db"
    assert auth[0].data == signing_key(SEED, "uefi-ca").der
    assert auth[1] is not None
    assert auth[1].variable == "Shim"
    assert auth[1].data == signing_key(SEED, "vendor-ca").der
    assert auth[4] is not None
    assert auth[4].variable == "db"
    assert auth[4].data == signing_key(SEED, "kmod-pca").der


def test_authority_is_the_efi_signature_data_pcr7_records(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    decision = decide(chain["shim"], firmware_policy(dbs))
    assert decision.authority is not None
    data = variable_data(guids.EFI_IMAGE_SECURITY_DATABASE, "db", decision.authority.signature_data)
    owner, cert = make_event(7, EventType.EV_EFI_VARIABLE_AUTHORITY, data).payload.value  # type: ignore[attr-defined]
    assert cert.der == signing_key(SEED, "uefi-ca").der
    assert owner == decision.authority.owner


def test_not_enforced(dbs: SecureBootDatabases) -> None:
    grub = _unsigned_grub()
    assert decide(grub, firmware_policy(dbs, secure_boot=False)).reason == "secure-boot-off"
    refused = decide(grub, firmware_policy(dbs))
    assert not refused
    assert refused.reason == "unsigned"
    assert refused.stops_boot


def test_dbx_hash(chain: dict[str, Component]) -> None:
    shim = chain["shim"]
    revoked = secure_boot_databases(SEED, dbx_hashes=(chain["grub"].digest(),))
    d = decide(chain["grub"], shim_policy(revoked, shim))
    assert (d.loaded, d.reason, d.rule) == (False, "dbx-hash", "dbx-hash")
    other = secure_boot_databases(SEED, dbx_hashes=(chain["kernel"].digest(),))
    assert decide(chain["grub"], shim_policy(other, shim)).loaded


def test_real_azure_dbx_hashes_do_not_revoke_the_simulated_shim(chain: dict[str, Component]) -> None:
    from tests.boot.test_signature_lists import _real_dbx_hashes

    dbs = secure_boot_databases(SEED, dbx_hashes=_real_dbx_hashes())
    assert decide(chain["shim"], firmware_policy(dbs)).loaded


def test_dbx_certificate(chain: dict[str, Component]) -> None:
    shim = chain["shim"]
    revoked = secure_boot_databases(SEED, dbx_roles=("vendor-signer",))
    d = decide(chain["kernel"], shim_policy(revoked, shim))
    assert (d.loaded, d.reason) == (False, "dbx-certificate")
    unrelated = secure_boot_databases(SEED, dbx_roles=("untrusted",))
    assert decide(chain["kernel"], shim_policy(unrelated, shim)).loaded


def test_sbat(dbs: SecureBootDatabases, chain: dict[str, Component]) -> None:
    shim = chain["shim"]
    sbat = "sbat,1,SBAT Version,sbat,1,x\ngrub,2,Free Software Foundation,grub,2.04,x\n"
    old = make_component(
        "grubx64.efi", "bootloader", seed=SEED, signer="vendor-signer", version="2.04", sbat=sbat
    )
    d = decide(old, shim_policy(dbs, shim))
    assert (d.loaded, d.reason) == (False, "sbat-revoked")
    assert "grub generation 2 < SbatLevel 3" in d.detail
    none = make_component(
        "grubx64.efi", "bootloader", seed=SEED, signer="vendor-signer", version="0", sbat=""
    )
    assert decide(none, shim_policy(dbs, shim)).reason == "sbat-missing"
    assert decide(old, shim_policy(dbs, shim, sbat_level="sbat,1,2021030218\n")).loaded  # original policy
    assert decide(chain["grub"], shim_policy(dbs, shim)).loaded  # grub,4 >= 3


def test_allowed_hash(dbs: SecureBootDatabases, chain: dict[str, Component]) -> None:
    grub = _unsigned_grub()
    mok = hash_entries("MokList", [grub.digest()], guids.SHIM_LOCK)
    d = decide(grub, shim_policy(dbs, chain["shim"], mok_list=mok))
    assert (d.loaded, d.reason) == (True, "hash-in-db")
    assert d.authority == mok[0]
    assert decide(grub, shim_policy(dbs, chain["shim"])).reason == "unsigned"


def test_signature_chain_needs_a_trusted_anchor(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    # GRUB is signed by the distro key: shim trusts it (vendor certificate), firmware does not.
    assert decide(chain["grub"], shim_policy(dbs, chain["shim"])).reason == "signature-verified"
    d = decide(chain["grub"], firmware_policy(dbs))
    assert (d.loaded, d.reason, d.rule) == (False, "untrusted-signer", "deny-by-default")
    # A shim without a vendor certificate trusts only db: GRUB is refused.
    bare = make_component("shimx64.efi", "shim", seed=SEED, signer="uefi-signer")
    assert decide(chain["grub"], shim_policy(dbs, bare)).reason == "untrusted-signer"


def test_real_microsoft_db_entries_sit_next_to_simulated_ones(chain: dict[str, Component]) -> None:
    from tests.conftest import fixture_path

    real = fixture_path("go-tpm-tools/server/secure-boot/MicCorUEFCA2011_2011-06-27.crt").read_bytes()
    dbs = secure_boot_databases(SEED, db_roles=("windows-pca",), extra_db=(real,))
    # The real UEFI CA did not sign the simulated shim: refused. With the simulated CA: loaded.
    assert decide(chain["shim"], firmware_policy(dbs)).reason == "untrusted-signer"
    both = secure_boot_databases(SEED, extra_db=(real,))
    assert decide(chain["shim"], firmware_policy(both)).authority.data == signing_key(SEED, "uefi-ca").der  # type: ignore[union-attr]


def test_deny_by_default_names_the_broken_signature(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    policy = shim_policy(dbs, chain["shim"])
    bootkit = decide(chain["grub"].tampered(), policy)
    assert (bootkit.loaded, bootkit.reason, bootkit.stops_boot) == (False, "image-digest-mismatch", True)
    rogue = make_component("grubx64.efi", "bootloader", seed=SEED, signer="untrusted", version="evil")
    assert decide(rogue, policy).reason == "untrusted-signer"


def test_unsigned_kernel_stops_the_boot_before_modules(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    shim = chain["shim"]
    kernel = make_component("vmlinuz-6.8.0", "kernel", seed=SEED, version="6.8.0")
    sp = shim_policy(dbs, shim)
    steps = [
        (shim, firmware_policy(dbs)),
        (chain["grub"], sp),
        (kernel, sp),
        (chain["module"], kernel_module_policy(dbs)),
    ]
    out = decide_chain(steps)
    assert not out.booted
    assert len(out.decisions) == 3
    assert out.reasons == ("vmlinuz-6.8.0: unsigned",)


def test_refused_module_does_not_stop_the_boot_and_mok_enrolment_admits_it(
    dbs: SecureBootDatabases, chain: dict[str, Component]
) -> None:
    out = decide_chain(
        [(chain["module"], kernel_module_policy(dbs)), (chain["dkms"], kernel_module_policy(dbs))]
    )
    assert out.booted
    assert [d.component for d in out.refused] == ["nvidia.ko"]
    assert out.refused[0].fatal is False
    mok = certificate_entries("MokList", [signing_key(SEED, "mok-dkms").der], guids.SHIM_LOCK)
    enrolled = decide(chain["dkms"], kernel_module_policy(dbs, mok_list=mok))
    assert enrolled.loaded
    assert enrolled.authority == mok[0]
    assert decide(chain["dkms"], kernel_module_policy(dbs, secure_boot=False)).loaded


def test_windows_driver_signing(chain: dict[str, Component]) -> None:
    ci = windows_policy(seed=SEED)
    assert decide(chain["driver"], ci).reason == "signature-verified"
    unsigned = make_component("rootkit.sys", "windows-driver", seed=SEED)
    d = decide(unsigned, ci)
    assert (d.loaded, d.reason, d.stops_boot) == (False, "unsigned", False)
    assert decide(unsigned, windows_policy(seed=SEED, enforced=False)).loaded
    assert decide(chain["bootmgr"], firmware_policy(secure_boot_databases(SEED))).loaded
