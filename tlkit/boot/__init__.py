"""Simulated UEFI Secure Boot with real keys and real signatures (the foundation of ``tlkit.boot``).

What this package does:

* :func:`signing_key` / :func:`secure_boot_databases`: a PK/KEK/db/dbx hierarchy of real RSA-2048
  X.509 certificates, deterministic from a seed and cached, mirroring what an Azure Trusted Launch
  VM trusts (:data:`KEY_SPECS`; every subject says it is simulated). Each database gives its
  EFI_SIGNATURE_LIST bytes and the UEFI_VARIABLE_DATA measured into PCR 7;
  :func:`authenticated_variable` signs an update of one (EFI_VARIABLE_AUTHENTICATION_2: the KEK
  for db/dbx, the PK for KEK), :func:`verify_authenticated_variable` checks one, real ones too, and
  :func:`apply_authenticated_update` applies an append write to the databases as firmware does.
* :func:`build_pe` / :func:`parse_pe` / :func:`authenticode_hash`: minimal valid PE32+ images and
  the PCR 4 digest of an image.
* :func:`sign_pe` (real Authenticode via Debian's ``osslsigncode``), :func:`sign_kernel_module`
  (the Linux appended PKCS#7 format), :func:`check_signature` (verified with ``cryptography``).
* :func:`make_component`: shim (with SBAT and its vendor certificate), GRUB, kernel, modules,
  Windows boot manager / loader / kernel / drivers, firmware volumes and initrd, signed by a role.
* :func:`decide` / :func:`decide_chain`: the Secure Boot decision as named :data:`RULES`, under a
  verifier's :class:`TrustPolicy` (:func:`firmware_policy`, :func:`shim_policy`,
  :func:`kernel_module_policy`, :func:`windows_policy`).

Quick start::

    from tlkit.boot import (secure_boot_databases, make_component, firmware_policy, shim_policy,
                            decide_chain)
    dbs = secure_boot_databases(seed=0)
    shim = make_component("shimx64.efi", "shim", signer="uefi-signer", vendor_cert_role="vendor-ca")
    grub = make_component("grubx64.efi", "bootloader", signer="vendor-signer")
    outcome = decide_chain([(shim, firmware_policy(dbs)), (grub, shim_policy(dbs, shim))])
    outcome.booted, outcome.decisions[0].authority.variable     # True, 'db'

* :func:`measure_linux_boot`: the measured boot of one Linux chain (:func:`linux_chain`: firmware,
  shim, GRUB, kernel, initrd, modules) into a :class:`tlkit.tpm.VirtualTpm` and an event log
  together, per the PC Client PFP, in Hyper-V firmware + shim + GRUB order (:class:`BootResult`).

* :data:`SCENARIOS`: named Linux and Windows boots (:func:`run_scenario`, :func:`scenario`), each
  one change to a healthy chain; :data:`SCENARIO_EFFECTS` documents what each does compared with
  the healthy boot of its OS and seed (tested; :func:`scenario_table` gives the rows).
  :func:`scenario_evidence` gives the files of an evidence directory (``eventlog.bin``,
  ``boot.json`` and, when the VM booted, a vTPM quote of sha256 PCRs 0-23 in tpm2-tools files:
  ``quote.msg``, ``quote.sig``, ``quote.pcrs``, ``ak.pem``, ``nonce.hex``), which
  ``tlkit boot simulate --scenario NAME --out DIR`` writes:

  =======================  =====  =============
  scenario                 boots  PCRs moved
  =======================  =====  =============
  healthy-ubuntu-sb        yes    none
  secure-boot-off          yes    7
  bootkit                  no     4, 5, 7, 8, 9
  unsigned-kernel-module   yes    none
  revoked-bootloader       no     4, 5, 7, 8, 9
  kernel-update            yes    4, 8, 9
  firmware-update          yes    0
  dbx-update               yes    7
  healthy-windows-vbs      yes    none
  test-signing             yes    7, 12, 13
  kernel-debug             yes    7, 12, 13
  hvci-blocks-driver       yes    none
  windows-update           yes    4, 12, 13
  windows-firmware-update  yes    0
  =======================  =====  =============

  (Windows scenarios are compared with ``healthy-windows-vbs``, Linux ones with ``healthy-ubuntu-sb``.
  The updates install data of ``data/boot/platform.json`` ``updates``: :func:`dbx_update` is the
  KEK-signed dbx append of ``dbx-update``, :func:`windows_updated_chain` the chain after the
  cumulative update of ``windows-update``.)

* :func:`measure_windows_boot`: the measured boot of one Windows chain (:func:`windows_chain`:
  Hyper-V firmware, boot manager, winload, kernel, ELAM and boot drivers, later kernel-mode drivers)
  with the WBCL SIPA events on PCRs 11-14 in the order real Windows logs them; VBS, HVCI and
  Credential Guard run as :data:`VBS_RULES` allow (:func:`vbs_outcome`: VBS needs Secure Boot and the
  vTPM, HVCI and Credential Guard need VBS), and HVCI refuses unsigned kernel-mode drivers.
  ``tlkit.eventlog._sipa.windows_boot_config`` reads the configuration back from the log.

Both chains' PCR 0-7 firmware part has the shape of Azure's Hyper-V UEFI (the real Hyper-V log of
the fixtures: empty S-CRTM version, one firmware blob, the VM UUID on PCR 6, no PCR 1 boot variables);
``tests/boot/test_structure.py`` compares the simulated logs with real ones and names every intended
difference (``STRUCTURE_DIFFERENCES``).

What it does not do: it never decides attestation outcomes.
"""

from __future__ import annotations

from tlkit.boot._authvar import (
    APPEND_WRITE,
    EFI_CERT_TYPE_PKCS7_GUID,
    SECURE_BOOT_VARIABLE_ATTRIBUTES,
    AuthenticatedVariable,
    apply_authenticated_update,
    authenticated_variable,
    parse_authenticated_variable,
    verify_authenticated_variable,
)
from tlkit.boot._components import (
    COMPONENT_KINDS,
    DEFAULT_SBAT,
    DEFAULT_SBAT_LEVEL,
    Component,
    ComponentKind,
    SbatEntry,
    make_component,
    parse_sbat,
    parse_sbat_level,
    vendor_cert_section,
)
from tlkit.boot._keys import (
    DEFAULT_DB_ROLES,
    KEY_SPECS,
    MICROSOFT_OWNER,
    SIMULATED_ORGANIZATION,
    DbEntry,
    KeySpec,
    SecureBootDatabase,
    SecureBootDatabases,
    SigningKey,
    certificate_entries,
    hash_entries,
    secure_boot_databases,
    signing_key,
)
from tlkit.boot._measure import (
    DEFAULT_CMDLINE,
    BootResult,
    LinuxChain,
    linux_chain,
    measure_linux_boot,
    os_identity,
)
from tlkit.boot._pe import PeImage, Section, authenticode_hash, build_pe, parse_pe, pe_checksum
from tlkit.boot._scenarios import (
    EVIDENCE_FILES,
    QUOTE_SELECTION,
    SCENARIO_EFFECTS,
    SCENARIOS,
    Scenario,
    ScenarioEffect,
    dbx_update,
    default_nonce,
    render_scenario_table,
    run_scenario,
    scenario,
    scenario_evidence,
    scenario_table,
    update_data,
    windows_updated_chain,
)
from tlkit.boot._secureboot import (
    RULES,
    ChainOutcome,
    LoadDecision,
    SecureBootRule,
    TrustPolicy,
    decide,
    decide_chain,
    firmware_policy,
    kernel_module_policy,
    shim_policy,
    windows_policy,
)
from tlkit.boot._sign import (
    MODULE_SIGNATURE_MAGIC,
    SIGNING_TIME,
    SignatureCheck,
    certificate_path,
    check_signature,
    issued_by,
    sign_kernel_module,
    sign_pe,
    signed_content,
    verify_signed_data,
)
from tlkit.boot._vbs import VBS_RULES, VbsOutcome, VbsRequest, VbsRule, vbs_outcome
from tlkit.boot._windows import WindowsChain, measure_windows_boot, windows_chain

__all__ = [
    "APPEND_WRITE",
    "COMPONENT_KINDS",
    "DEFAULT_CMDLINE",
    "DEFAULT_DB_ROLES",
    "DEFAULT_SBAT",
    "DEFAULT_SBAT_LEVEL",
    "EFI_CERT_TYPE_PKCS7_GUID",
    "EVIDENCE_FILES",
    "KEY_SPECS",
    "MICROSOFT_OWNER",
    "MODULE_SIGNATURE_MAGIC",
    "QUOTE_SELECTION",
    "RULES",
    "SCENARIOS",
    "SCENARIO_EFFECTS",
    "SECURE_BOOT_VARIABLE_ATTRIBUTES",
    "SIGNING_TIME",
    "SIMULATED_ORGANIZATION",
    "VBS_RULES",
    "AuthenticatedVariable",
    "BootResult",
    "ChainOutcome",
    "Component",
    "ComponentKind",
    "DbEntry",
    "KeySpec",
    "LinuxChain",
    "LoadDecision",
    "PeImage",
    "SbatEntry",
    "Scenario",
    "ScenarioEffect",
    "Section",
    "SecureBootDatabase",
    "SecureBootDatabases",
    "SecureBootRule",
    "SignatureCheck",
    "SigningKey",
    "TrustPolicy",
    "VbsOutcome",
    "VbsRequest",
    "VbsRule",
    "WindowsChain",
    "apply_authenticated_update",
    "authenticated_variable",
    "authenticode_hash",
    "build_pe",
    "certificate_entries",
    "certificate_path",
    "check_signature",
    "dbx_update",
    "decide",
    "decide_chain",
    "default_nonce",
    "firmware_policy",
    "hash_entries",
    "issued_by",
    "kernel_module_policy",
    "linux_chain",
    "make_component",
    "measure_linux_boot",
    "measure_windows_boot",
    "os_identity",
    "parse_authenticated_variable",
    "parse_pe",
    "parse_sbat",
    "parse_sbat_level",
    "pe_checksum",
    "render_scenario_table",
    "run_scenario",
    "scenario",
    "scenario_evidence",
    "scenario_table",
    "secure_boot_databases",
    "shim_policy",
    "sign_kernel_module",
    "sign_pe",
    "signed_content",
    "signing_key",
    "update_data",
    "vbs_outcome",
    "vendor_cert_section",
    "verify_authenticated_variable",
    "verify_signed_data",
    "windows_chain",
    "windows_policy",
    "windows_updated_chain",
]
