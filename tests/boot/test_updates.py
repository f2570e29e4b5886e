"""The legitimate-update scenarios (``dbx-update``, ``windows-update``, ``windows-firmware-update``):
each changes exactly the events its update changes; the verifier fails it against the healthy boot's
baseline naming those events, and passes it once the baseline accepted the update. ``dbx-update`` is a
real authenticated append write, checked against Microsoft's own dbx updates."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.boot.conftest import SEED, require_osslsigncode
from tests.conftest import fixture_path
from tlkit.attest._baseline import Baseline
from tlkit.attest._evidence import Evidence
from tlkit.attest._verify import verify
from tlkit.boot import (
    APPEND_WRITE,
    SCENARIO_EFFECTS,
    SECURE_BOOT_VARIABLE_ATTRIBUTES,
    BootResult,
    apply_authenticated_update,
    authenticated_variable,
    dbx_update,
    default_nonce,
    linux_chain,
    parse_authenticated_variable,
    run_scenario,
    scenario,
    scenario_evidence,
    secure_boot_databases,
    signing_key,
    update_data,
    verify_authenticated_variable,
    windows_chain,
    windows_updated_chain,
)
from tlkit.boot import _scenarios as scenarios_module
from tlkit.errors import DataError, ParseError, PolicyError, TlkitError
from tlkit.eventlog import Event, parse_signature_lists, secure_boot_state
from tlkit.eventlog import _guid as guids
from tlkit.eventlog._sipa import TaggedEvent

REAL = "go-tpm-tools/server/secure-boot"
AT = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
DBX_APPEND = SECURE_BOOT_VARIABLE_ATTRIBUTES | APPEND_WRITE
APP, TAG = "EV_EFI_BOOT_SERVICES_APPLICATION", "EV_EVENT_TAG"

#: What each update changes: (PCR, event type) of every event whose digest moves, in log order,
#: and the baseline-deviation codes the verifier gives against the healthy baseline.
CHANGED: dict[str, tuple[list[tuple[int, str]], tuple[str, ...]]] = {
    "dbx-update": ([(7, "EV_EFI_VARIABLE_DRIVER_CONFIG")], ("baseline-deviation:pcr7:unknown-dbx",)),
    "windows-update": (
        [(4, APP), (12, TAG), (13, TAG), (12, TAG), (13, TAG)],  # bootmgfw; bootmgr's and winload's WBCL
        (
            "baseline-deviation:pcr4:unknown-application",
            "baseline-deviation:pcr12:unknown-ev-event-tag",
            "baseline-deviation:pcr13:unknown-ev-event-tag",
        ),
    ),
    "windows-firmware-update": (
        [(0, "EV_EFI_PLATFORM_FIRMWARE_BLOB")],
        ("baseline-deviation:pcr0:unknown-firmware",),
    ),
}
NAMES = list(CHANGED)


@pytest.fixture(scope="module")
def boots() -> dict[str, BootResult]:
    require_osslsigncode()
    names = {*NAMES, *(scenario(n).baseline for n in NAMES)}
    return {n: run_scenario(n, SEED) for n in names}


def _pairs(boot: BootResult, base: BootResult) -> list[tuple[Event, Event]]:
    """The two logs' events side by side (the update changes no event's PCR, type or position)."""
    assert [(e.pcr, e.type_name) for e in boot.log] == [(e.pcr, e.type_name) for e in base.log]
    return list(zip(boot.log, base.log, strict=True))


def _changed(boot: BootResult, base: BootResult) -> list[Event]:
    return [e for e, b in _pairs(boot, base) if e.digest_list != b.digest_list]


@pytest.mark.parametrize("name", NAMES)
def test_an_update_changes_exactly_its_events_and_keeps_secure_boot(
    boots: dict[str, BootResult], name: str
) -> None:
    boot, base = boots[name], boots[scenario(name).baseline]
    changed = _changed(boot, base)
    assert [(e.pcr, e.type_name) for e in changed] == CHANGED[name][0]
    for e, b in _pairs(boot, base):  # no event's data moves without its digest
        assert e in changed or e.data == b.data, e.index
    assert tuple(sorted({e.pcr for e in changed})) == SCENARIO_EFFECTS[name].pcrs_moved
    # Secure Boot stays on, and the same db entries verified the same images
    state, before = secure_boot_state(boot.log), secure_boot_state(base.log)
    assert state.enabled is True
    assert state.anomalies == ()
    assert state.authorities == before.authorities
    assert [(d.component, d.reason) for d in boot.decisions] == [
        (d.component, d.reason) for d in base.decisions
    ]


@pytest.mark.parametrize("name", NAMES)
def test_the_healthy_baseline_fails_the_update_naming_its_events_the_updated_one_passes(
    boots: dict[str, BootResult], name: str
) -> None:
    base_name = scenario(name).baseline
    boot, base = boots[name], boots[base_name]
    healthy = Baseline.from_log(base.log, name="vm-0")
    evidence = Evidence.from_files(scenario_evidence(name, SEED))
    nonce = default_nonce(SEED)

    before = verify(evidence, nonce, healthy)
    assert before.codes == ("baseline-deviation",)
    assert tuple(dict.fromkeys(before.reasons)) == CHANGED[name][1]
    assert [c.name for c in before.checks if c.status == "failed"] == ["baseline"]
    deviations = before.details["baseline"]["deviations"]
    named = sorted((d["index"], d["pcr"], d["event_type"]) for d in deviations)
    assert named == [(e.index, e.pcr, e.type_name) for e in _changed(boot, base)]
    assert {d["digest"] for d in deviations} == {e.digest("sha256").hex() for e in _changed(boot, base)}

    updated = healthy.updated(boot.log, reason=f"legitimate {name}", at=AT)
    after = verify(evidence, nonce, updated)
    assert after.passed, after.reasons
    assert (after.reasons, after.check("baseline").status) == ((), "passed")
    assert healthy.history == ()
    assert [c.reason for c in updated.history] == [f"legitimate {name}"]


# ------------------------------------------------------------------------------------- dbx-update
def _real_dbx_hashes(name: str) -> set[bytes]:
    var = parse_authenticated_variable(fixture_path(f"{REAL}/{name}").read_bytes())
    return {h for sl in parse_signature_lists(var.data) for h in sl.hashes}


def test_the_dbx_update_is_a_kek_signed_append_of_a_real_revocation(boots: dict[str, BootResult]) -> None:
    blob = dbx_update(SEED)
    dbx_guid = guids.EFI_IMAGE_SECURITY_DATABASE
    kek, pk = signing_key(SEED, "kek-ca").certificate, signing_key(SEED, "pk").certificate
    assert verify_authenticated_variable(blob, "dbx", dbx_guid, [kek], attributes=DBX_APPEND)
    assert not verify_authenticated_variable(blob, "dbx", dbx_guid, [pk], attributes=DBX_APPEND)
    assert not verify_authenticated_variable(blob, "dbx", dbx_guid, [kek])  # not a plain write
    var = parse_authenticated_variable(blob)
    assert var.timestamp == dt.datetime(2010, 3, 6, 19, 17, 21, tzinfo=dt.UTC)  # as Microsoft's are
    [revoked] = [h for sl in parse_signature_lists(var.data) for h in sl.hashes]
    assert revoked == bytes.fromhex(update_data("dbx")["revoked_sha256"])
    # a hash Microsoft's 2021-04-29 dbx update added to the 2020-10-12 one
    assert revoked in _real_dbx_hashes("dbxupdate_x64-2021-04-29.bin")
    assert revoked not in _real_dbx_hashes("dbxupdate_x64-2020-10-12.bin")
    # ... of none of the images this VM boots: it still boots
    chain = linux_chain(SEED)
    assert revoked not in {c.digest("sha256") for c in (chain.shim, chain.grub, chain.kernel)}
    state = secure_boot_state(boots["dbx-update"].log)
    assert state.dbx is not None
    assert state.dbx.hashes == (revoked,)
    # applying the update gives the platform whose dbx holds that hash
    applied = apply_authenticated_update(secure_boot_databases(SEED), "dbx", blob)
    assert applied == secure_boot_databases(SEED, dbx_hashes=[revoked])


def test_a_dbx_rollback_fails_the_updated_baseline(boots: dict[str, BootResult]) -> None:
    """Once the baseline accepted the dbx update, a boot with the older dbx is a deviation."""
    healthy = Baseline.from_log(boots["healthy-ubuntu-sb"].log, name="vm-0")
    updated = healthy.updated(boots["dbx-update"].log, reason="dbx update", at=AT)
    evidence = Evidence.from_files(scenario_evidence("healthy-ubuntu-sb", SEED))
    old = verify(evidence, default_nonce(SEED), updated)
    assert old.reasons == ("baseline-deviation:pcr7:dbx-entry-missing",)


def test_microsofts_real_dbx_update_applies_under_microsofts_kek() -> None:
    blob = fixture_path(f"{REAL}/dbxupdate_x64-2020-10-12.bin").read_bytes()
    real_kek = fixture_path(f"{REAL}/MicCorKEKCA2011_2011-06-24.crt").read_bytes()
    platform = secure_boot_databases(SEED, extra_kek=[real_kek])
    applied = apply_authenticated_update(platform, "dbx", blob)
    assert (len(applied.dbx.hashes), len(applied.dbx.certificates)) == (183, 3)
    assert (applied.pk, applied.kek, applied.db) == (platform.pk, platform.kek, platform.db)
    # an append never repeats an entry (UEFI 2.10, 8.2.1): the same update again changes nothing
    assert apply_authenticated_update(applied, "dbx", blob) == applied
    # the 2021 update on top adds only its 31 new hashes
    newer = fixture_path(f"{REAL}/dbxupdate_x64-2021-04-29.bin").read_bytes()
    assert len(apply_authenticated_update(applied, "dbx", newer).dbx.hashes) == 183 + 31


def test_an_update_not_signed_by_the_platforms_keys_is_refused() -> None:
    real = fixture_path(f"{REAL}/dbxupdate_x64-2020-10-12.bin").read_bytes()
    with pytest.raises(PolicyError, match="KEK") as info:
        apply_authenticated_update(secure_boot_databases(SEED), "dbx", real)  # no Microsoft KEK enrolled
    assert info.value.code == "security-violation"
    blob = dbx_update(SEED)
    with pytest.raises(PolicyError, match="KEK"):
        apply_authenticated_update(secure_boot_databases(SEED + 1), "dbx", blob)  # another platform's KEK
    with pytest.raises(PolicyError):
        apply_authenticated_update(secure_boot_databases(SEED), "db", blob)  # signed for dbx, not db
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(PolicyError):
        apply_authenticated_update(secure_boot_databases(SEED), "dbx", tampered)
    # KEK updates are the PK's to sign
    kek_data = secure_boot_databases(SEED).kek.data
    by_kek = authenticated_variable(
        "KEK", guids.EFI_GLOBAL_VARIABLE, kek_data, signing_key(SEED, "kek-ca"), timestamp=AT,
        attributes=DBX_APPEND,
    )  # fmt: skip
    with pytest.raises(PolicyError, match="PK"):
        apply_authenticated_update(secure_boot_databases(SEED), "KEK", by_kek)
    with pytest.raises(DataError, match="KEK, db, dbx"):
        apply_authenticated_update(secure_boot_databases(SEED), "PK", blob)
    with pytest.raises(ParseError):
        apply_authenticated_update(secure_boot_databases(SEED), "dbx", blob[:30])


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["KEK", "db", "dbx", "PK", "MokList"]))
def test_fuzz_apply_only_tlkit_errors(blob: bytes, name: str) -> None:
    with contextlib.suppress(TlkitError):
        apply_authenticated_update(secure_boot_databases(SEED), name, blob)


def test_a_missing_update_in_the_data_is_a_named_error() -> None:
    with pytest.raises(DataError, match="lacks this update"):
        update_data("kernel")


# --------------------------------------------------------------------------------- windows-update
def _leaves(events: tuple[TaggedEvent, ...], module: str = "") -> Iterator[tuple[str, str, object]]:
    """(module file, SIPA name, value) of every leaf record; ``module``: the FilePath of the
    enclosing LoadedModuleAggregation (PCR 13), else the one its hash belongs to (PCR 12)."""
    for e in events:
        if e.children:
            path = next((str(k.value) for k in e.children if k.name == "FilePath"), module)
            yield from _leaves(e.children, path)
        else:
            yield module, e.name, e.value


def _wbcl_changes(boot: BootResult, base: BootResult) -> list[tuple[int, str, str]]:
    """(PCR, module, SIPA name) of each WBCL record whose value the update changed."""
    out = []
    for e, b in _pairs(boot, base):
        if e.type_name != TAG:
            continue
        pairs = zip(_leaves(e.payload.events), _leaves(b.payload.events), strict=True)
        out += [(e.pcr, m.split("\\")[-1], n) for (m, n, v), (_, _, w) in pairs if v != w]
    return out


def test_the_windows_update_changes_the_modules_hashes_only(boots: dict[str, BootResult]) -> None:
    changes = _wbcl_changes(boots["windows-update"], boots["healthy-windows-vbs"])
    assert changes == [
        (12, "", "AuthenticodeHash"),  # bootmgr's trust boundary: winload's hash
        (13, "winload.efi", "AuthenticodeHash"),  # ... and winload in full
        (12, "", "AuthenticodeHash"),  # winload's trust boundary: the kernel's hash
        (13, "ntoskrnl.exe", "AuthenticodeHash"),  # ... and the kernel in full
    ]
    # the sizes (the simulated builds differ by a few bytes within the same aligned size), the SVNs,
    # the revocation lists, the configuration and the signer (PCR 14: its public key) stay


def test_the_updated_windows_chain_is_the_update_data() -> None:
    require_osslsigncode()
    spec = update_data("windows")
    old, new = windows_chain(SEED), windows_updated_chain(SEED)
    parts = ("bootmgr", "winload", "kernel", "elam")
    serviced = [p for p in parts if getattr(new, p) != getattr(old, p)]
    assert [getattr(new, p).name for p in serviced] == spec["components"]
    assert {getattr(new, p).version for p in serviced} == {spec["build"]}
    assert {getattr(new, p).publisher for p in parts} == {"windows-signer"}  # signed as before
    assert new.boot_drivers == old.boot_drivers
    assert new.drivers == old.drivers


def test_an_update_naming_a_file_the_chain_does_not_boot_is_a_named_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = {"build": "10.0.20348.1", "components": ["winload.efi", "bootx64.efi"]}
    monkeypatch.setattr(scenarios_module, "update_data", lambda key: spec)
    with pytest.raises(DataError, match=r"bootx64\.efi"):
        windows_updated_chain(SEED)
    monkeypatch.setattr(scenarios_module, "update_data", lambda key: {"build": 5})
    with pytest.raises(DataError, match="components and build"):
        windows_updated_chain(SEED)
