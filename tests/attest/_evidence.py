"""Verified evidence for the baseline tests: a boot's quoted-equivalent PCRs and the events of its
log that replayed to them (what the verifier hands :func:`check_baseline`), and the PCRs of the two
real Azure Trusted Launch attestation documents; and :func:`evidence_of`, an :class:`Evidence` of a
quote's parts as other tests hold them, for :func:`tlkit.attest.verify`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from tests.conftest import fixture_path
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import AttestationPolicy
from tlkit.boot import BootResult, linux_chain, make_component, measure_linux_boot, secure_boot_databases
from tlkit.boot._scenarios import UPDATED_KERNEL
from tlkit.eventlog import Event, EventLog
from tlkit.tpm import PcrValues, Signature, load_public_key

AZURE_TL = "fluorite/libraries/attestation/azure-trusted-launch-attestation/test_data/"
AZURE_DOCS = (
    AZURE_TL + "azure_trusted_launch_vm_attestation_document.json",
    AZURE_TL + "azure_trusted_launch_vm_attestation_document_expired.json",
)


#: The verifier's policy for tests that ask only whether a quote and its log agree: the quote, nonce
#: and log checks decide; Secure Boot and guest-reported kernel modules are not required.
QUOTE_AND_LOG = AttestationPolicy(require_secure_boot=False, untrusted_kernel_modules_fail=False)


def evidence_of(
    message: bytes,
    signature: bytes | Signature,
    pcrs: Any,
    ak: Any,
    *,
    nonce: bytes | None,
    log: bytes | None,
) -> Evidence:
    """An :class:`Evidence` of a quote's parts as tests hold them: a signature as bytes or parsed,
    PCR values as :class:`PcrValues` or ``{bank: {pcr: value}}``, the AK in any form
    :func:`load_public_key` reads (PEM, TPM2B_PUBLIC, :class:`PublicArea`, a key)."""
    sig = signature if isinstance(signature, bytes) else signature.to_bytes()
    values = pcrs if isinstance(pcrs, PcrValues) else PcrValues.from_dict(pcrs)
    return Evidence(bytes(message), sig, values, load_public_key(ak), nonce, log)


def verified(boot: BootResult, bank: str = "sha256") -> tuple[dict[int, bytes], tuple[Event, ...]]:
    """The boot's PCRs and the verified events of its log (the log must replay to them)."""
    pcrs = boot.pcrs[bank]
    result = boot.log.verify(pcrs, bank)
    assert result.passed, result.reasons
    return pcrs, boot.log.verified_events(result)


def without_vm_uuid(boot: BootResult) -> tuple[EventLog, dict[int, bytes], tuple[Event, ...]]:
    """The boot's log without Hyper-V's PCR 6 VM-UUID event (EV_COMPACT_HASH), as an OVMF log is:
    keylime's example policy has no rule for ``(6, EV_COMPACT_HASH)`` and rejects any log with it
    (tested). Returns the log, its own replay and its verified events (consistent by construction)."""
    log = boot.log.with_events([e for e in boot.log.events if not (e.pcr == 6 and e.event_type == 0xC)])
    pcrs = log.replay("sha256")
    return log, pcrs, log.verified_events(log.verify(pcrs, "sha256"))


def azure_pcrs(rel: str) -> dict[int, bytes]:
    """SHA-256 PCRs 0-23 of a real Trusted Launch attestation document (``quote.pcr_data``)."""
    doc = json.loads(fixture_path(rel).read_text())
    [(alg, body)] = doc["quote"]["pcr_data"]["data"]
    assert alg == "Sha256"
    return {int(slot.removeprefix("Slot")): bytes.fromhex(v) for slot, v in body["bank"].items()}


@cache
def with_dbx(kernel_update: bool = False, seed: int = 0) -> BootResult:
    """The healthy Ubuntu chain (or its kernel update) with a dbx holding one revoked hash: keylime's
    example policy cannot read an empty dbx variable (its KeySuperset test needs a list), and real
    dbx variables are never empty."""
    dbs = secure_boot_databases(seed, dbx_hashes=[hashlib.sha256(b"a revoked image").digest()])
    if not kernel_update:
        return measure_linux_boot(linux_chain(seed, dbs=dbs), seed=seed)
    kernel = make_component("vmlinuz", "kernel", seed=seed, signer="vendor-signer", version=UPDATED_KERNEL)
    initrd = make_component("initrd.img", "initrd", seed=seed, version=UPDATED_KERNEL)
    chain = linux_chain(seed, dbs=dbs, kernel=kernel, initrd=initrd, kernel_version=UPDATED_KERNEL)
    return measure_linux_boot(chain, seed=seed)


def codes(deviations: Sequence[object]) -> list[str]:
    return [getattr(d, "code", "") for d in deviations]
