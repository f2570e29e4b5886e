"""keylime's measured-boot reference state: tlkit's export equals keylime's own create_mb_refstate on
the same log, and keylime's example policy accepts and rejects logs with tlkit's refstate.

Tests marked ``keylime`` need keylime 7.14 (the ``bench`` extra), tpm2_eventlog and libefivar; they
skip with the reason when one is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.attest._evidence import verified, with_dbx, without_vm_uuid
from tests.conftest import IN_CI, fixture_path
from tlkit.attest._baseline import Baseline
from tlkit.attest._baseline_check import check_baseline
from tlkit.attest._keylime import (
    KEYLIME_ACCEPT_ANY,
    from_keylime_refstate,
    keylime_evaluate,
    keylime_missing,
    to_keylime_refstate,
)
from tlkit.boot import run_scenario
from tlkit.errors import DataError, TlkitError
from tlkit.eventlog import parse, write

RHEL9 = "keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot"
EXAMPLE = "keylime/keylime/mba/elchecking/example_reference_state.json"
AT = datetime(2026, 12, 3, tzinfo=UTC)

_MISSING = keylime_missing()
# On a user's machine the comparison skips loudly; in CI (CI=true) it runs and a missing keylime fails.
needs_keylime = pytest.mark.skipif(
    _MISSING is not None and not IN_CI,
    reason=f"keylime comparison skipped: {_MISSING} (CI needs the [bench] extra)",
)


def _keylime_create(log: bytes, tmp: Path, *, without_secureboot: bool = False) -> dict[str, Any]:
    """keylime's own ``keylime-policy create measured-boot`` on a binary log (``-i``: Secure Boot off)."""
    from keylime.policy.create_mb_policy import create_mb_refstate

    path = tmp / "binary_bios_measurements"
    path.write_bytes(log)
    out = create_mb_refstate(
        argparse.Namespace(
            eventlog_file=str(path), without_secureboot=without_secureboot, output=str(tmp / "ref.json")
        )
    )
    assert out is not None
    return dict(out)


# ------------------------------------------------------------------ no keylime needed
def test_export_of_the_real_rhel9_log() -> None:
    ref = to_keylime_refstate(Baseline.from_log(parse(fixture_path(RHEL9).read_bytes()), name="rhel"))
    assert ref["has_secureboot"] is True
    [kernel] = ref["kernels"]
    assert (
        kernel["shim_authcode_sha256"] == "0x27b12463e599b3147635f272e3722960e443def60fef088eba600697017529f2"
    )
    assert kernel["kernel_cmdline"].startswith(r"\(hd0,gpt2\)/vmlinuz\-5\.14\.0")
    assert len(ref["dbx"]) == 371
    assert ref["vendor_db"][0]["SignatureOwner"] == "0223eddb-9079-4388-af77-2d65b1c35d3b"


def test_import_export_round_trip() -> None:
    ref = to_keylime_refstate(Baseline.from_log(parse(fixture_path(RHEL9).read_bytes()), name="rhel"))
    imported = from_keylime_refstate(copy.deepcopy(ref))
    assert to_keylime_refstate(imported) == ref
    # the same through the Baseline methods
    assert from_keylime_refstate(copy.deepcopy(ref), name="keylime-refstate") == imported
    assert to_keylime_refstate(imported) == ref
    assert imported.require_secure_boot
    assert imported.accept_any[9] == KEYLIME_ACCEPT_ANY[9] | {"kernel-file"}
    assert Baseline.from_json(imported.to_json()) == imported


def test_imported_refstate_judges_logs_in_tlkit() -> None:
    (healthy, pcrs, events), (_, upcrs, uevents) = (
        without_vm_uuid(with_dbx()),
        without_vm_uuid(with_dbx(True)),
    )
    ref = to_keylime_refstate(Baseline.from_log(healthy, name="h"))
    imported = from_keylime_refstate(ref)
    result = check_baseline(imported, pcrs=pcrs, events=events)
    assert result.passed
    assert result.checked == ("events", "secure-boot", "secure-boot-keys")
    pcrs, events = upcrs, uevents
    bad = check_baseline(imported, pcrs=pcrs, events=events)
    assert "baseline-deviation:pcr4:unknown-application" in bad.reasons
    assert "baseline-deviation:pcr8:unknown-kernel-cmdline" in bad.reasons


def test_keylime_example_reference_state_imports() -> None:
    """keylime's own example refstate (a Fedora laptop) reads; its kernel command lines are patterns
    (``.*``), which tlkit refuses with the field named."""
    doc = json.loads(fixture_path(EXAMPLE).read_text())
    with pytest.raises(DataError) as err:
        from_keylime_refstate(doc)
    assert err.value.field is not None
    assert err.value.field.endswith("kernel_cmdline")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.pop("kernels"), "kernels"),
        (lambda d: d.update(has_secureboot="yes"), "has_secureboot"),
        (lambda d: d.update(extra=1), "refstate"),
        (lambda d: d["kernels"][0].update(shim_authcode_sha256="0xZZ"), "kernels[0].shim_authcode_sha256"),
        (lambda d: d["scrtm_and_bios"][0].update(scrtm={"sha1": "0x00"}), "scrtm_and_bios[0].scrtm"),
        (lambda d: d["pk"][0].update(SignatureOwner=3), "pk[0].SignatureOwner"),
        (lambda d: d["mokdig"].append({"sha256": "0x00"}), "mokdig[1].sha256"),
    ],
)
def test_a_bad_refstate_names_the_field(edit: Any, field: str) -> None:
    ref = to_keylime_refstate(Baseline.from_log(parse(fixture_path(RHEL9).read_bytes()), name="rhel"))
    edit(ref)
    with pytest.raises(DataError) as err:
        from_keylime_refstate(ref)
    assert err.value.field == field


def test_export_needs_a_kernel_chain() -> None:
    from tests.attest._evidence import AZURE_DOCS, azure_pcrs

    with pytest.raises(DataError) as err:
        to_keylime_refstate(Baseline.from_pcrs(azure_pcrs(AZURE_DOCS[0]), name="azure"))
    assert err.value.field == "platforms"


# ------------------------------------------------------------------ keylime itself
@needs_keylime
def test_keylime_writes_the_same_refstate_from_the_real_log(tmp_path: Path) -> None:
    raw = fixture_path(RHEL9).read_bytes()
    mine = to_keylime_refstate(Baseline.from_log(parse(raw), name="rhel"))
    assert mine == _keylime_create(raw, tmp_path)


@needs_keylime
def test_keylime_accepts_the_real_log_with_tlkits_refstate() -> None:
    raw = fixture_path(RHEL9).read_bytes()
    assert keylime_evaluate(raw, to_keylime_refstate(Baseline.from_log(parse(raw), name="rhel"))) == ""


@needs_keylime
def test_keylime_writes_the_same_refstate_from_a_simulated_boot(tmp_path: Path) -> None:
    log = write(run_scenario("healthy-ubuntu-sb", seed=0).log)
    assert to_keylime_refstate(Baseline.from_log(parse(log), name="sim")) == _keylime_create(log, tmp_path)


@needs_keylime
def test_keylime_accepts_a_simulated_boot_and_rejects_its_kernel_update() -> None:
    (healthy, _, _), (update, _, _) = (
        without_vm_uuid(with_dbx()),
        without_vm_uuid(with_dbx(kernel_update=True)),
    )
    baseline = Baseline.from_log(healthy, name="sim")
    ref = to_keylime_refstate(baseline)
    assert keylime_evaluate(write(healthy), ref) == ""
    why = keylime_evaluate(write(update), ref)
    # keylime names the third application (the kernel) and the only kernel digest it approves
    old_kernel = baseline.kernels[0].kernel
    assert old_kernel is not None
    assert why.startswith("[bsas [[2] has no digest approved by")
    assert old_kernel.hex() in why
    # after tlkit's update of the baseline, keylime accepts both kernels
    newer = to_keylime_refstate(baseline.updated(update, reason="kernel 6.8.0-1016", at=AT))
    assert len(newer["kernels"]) == 2
    assert keylime_evaluate(write(update), newer) == ""
    assert keylime_evaluate(write(healthy), newer) == ""


@needs_keylime
def test_keylime_and_tlkit_both_reject_the_hyperv_vm_uuid_event() -> None:
    """A known limit of keylime's example policy on Azure (Hyper-V) logs: the VM UUID that Hyper-V
    firmware measures into PCR 6 (EV_COMPACT_HASH) has no rule there, so keylime rejects the log;
    a baseline imported from a keylime refstate judges it the same way."""
    boot = with_dbx()
    ref = to_keylime_refstate(Baseline.from_log(boot.log, name="hyper-v"))
    assert "unexpected ('PCRIndex', 'EventType') combination (6, 'EV_COMPACT_HASH')" in keylime_evaluate(
        write(boot.log), ref
    )
    pcrs, events = verified(boot)
    result = check_baseline(from_keylime_refstate(ref), pcrs=pcrs, events=events)
    assert [d.pcr for d in result.deviations] == [6]


@needs_keylime
def test_keylime_cannot_read_an_empty_dbx() -> None:
    """A known difference: the default simulated platform has an empty dbx; keylime's example policy
    then fails on its own refstate (its KeySuperset test needs a list), tlkit's check passes."""
    boot = run_scenario("healthy-ubuntu-sb", seed=0)
    baseline = Baseline.from_log(boot.log, name="empty-dbx")
    why = keylime_evaluate(write(boot.log), to_keylime_refstate(baseline))
    assert "'UnicodeName': 'dbx'" in why
    assert "is not a list" in why
    pcrs, events = verified(boot)
    assert check_baseline(baseline, pcrs=pcrs, events=events).passed


THINKPAD = "keylime/test/data/create-mb-policy/binary_bios_measurements"


def test_secure_boot_off_export_and_import() -> None:
    """The ThinkPad log (Secure Boot off): no kernel Authenticode digest, GRUB's plain vmlinuz digest."""
    baseline = Baseline.from_log(parse(fixture_path(THINKPAD).read_bytes()), name="thinkpad")
    ref = to_keylime_refstate(baseline)
    assert ref["has_secureboot"] is False
    [kernel] = ref["kernels"]
    assert "kernel_authcode_sha256" not in kernel
    assert kernel["vmlinuz_plain_sha256"].startswith("0x4a8f189e")
    imported = from_keylime_refstate(copy.deepcopy(ref))
    assert not imported.require_secure_boot
    assert "kernel-file" in imported.allowed[9]
    assert to_keylime_refstate(imported) == ref


@needs_keylime
def test_keylime_writes_the_same_refstate_without_secure_boot(tmp_path: Path) -> None:
    raw = fixture_path(THINKPAD).read_bytes()
    mine = to_keylime_refstate(Baseline.from_log(parse(raw), name="thinkpad"))
    assert mine == _keylime_create(raw, tmp_path, without_secureboot=True)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 300)
    | st.text(max_size=8)
    | st.sampled_from(["0x00", "0x" + "ab" * 32]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
    max_leaves=16,
)
_FIELDS = (
    "has_secureboot",
    "scrtm_and_bios",
    "pk",
    "kek",
    "db",
    "dbx",
    "vendor_db",
    "mokdig",
    "mokxdig",
    "kernels",
)


@given(_json)
def test_fuzz_refstate_only_tlkit_errors(doc: object) -> None:
    with contextlib.suppress(TlkitError):
        from_keylime_refstate(doc)


@given(st.sampled_from(_FIELDS), _json)
def test_fuzz_refstate_fields_only_tlkit_errors(key: str, value: object) -> None:
    ref = to_keylime_refstate(Baseline.from_log(parse(fixture_path(RHEL9).read_bytes()), name="rhel"))
    ref[key] = value
    with contextlib.suppress(TlkitError):
        imported = from_keylime_refstate(ref)
        assert Baseline.from_json(imported.to_json()) == imported
