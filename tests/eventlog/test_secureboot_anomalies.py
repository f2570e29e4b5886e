"""Secure Boot state hardening: payload checks, PCR 7 shape anomalies, authority-to-image pairing."""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest

from tests.eventlog.logs import GA, GT, KL, LOGS, TT, log_bytes, short
from tlkit.eventlog import EventLog, EventType, make_event, parse, secure_boot_state

RHEL8 = GT + "rhel8-uefi.bin"
EBS = GA + "ebs_event_missing_eventlog"


@cache
def _log(rel: str) -> EventLog:
    return parse(log_bytes(rel))


def _pairs(rel: str) -> list[tuple[int, list[int]]]:
    return [(i.index, [a.index for a in i.authorities]) for i in secure_boot_state(_log(rel)).images]


@pytest.mark.parametrize("rel", LOGS, ids=short)
def test_real_logs_have_no_anomalies(rel: str) -> None:
    s = secure_boot_state(_log(rel))
    # event-uefivar.bin is a one-event synthetic log (a PCR 7 variable, no separator)
    assert s.anomalies == (("pcr7-separator-missing",) if rel == TT + "event-uefivar.bin" else ())


# ----------------------------------------------------------------------------- pairing
def test_old_shim_authority_pairs_with_the_image_before_it_rhel8() -> None:
    log = _log(RHEL8)
    assert [log[i].description.rsplit("\\", 1)[-1] for i in (23, 26)] == ["shimx64.efi", "grubx64.efi"]
    # firmware: db authority 21, then shim 23; shim 15.x (no SbatLevel): GRUB 26, then Shim authority 27;
    # the kernel (77) was approved by the same Shim key, which shim logs only once
    assert _pairs(RHEL8) == [(23, [21]), (26, [27]), (77, [])]


@pytest.mark.parametrize(
    ("rel", "pairs"),
    [
        (GT + "debian-10.bin", [(21, [19]), (22, [23]), (24, [])]),  # old shim, SHA1 log
        (GT + "cos-85-amd-sev.bin", [(22, [20]), (23, [24]), (41, [42])]),
        (KL + "mb_log.b64", [(25, [23]), (28, [29]), (95, []), (96, [])]),
        # shim >= 15.3 (SbatLevel present) logs the authority before the image, like firmware
        (TT + "event-moklisttrusted.bin", [(25, [23]), (32, [31]), (90, []), (91, [])]),
        (KL + "create-mb-policy/binary_bios_measurements-secureboot", [(29, [27]), (35, [34]), (93, [])]),
        (GA + "windows_gcp_shielded_vm.json", [(9, [7])]),
    ],
    ids=lambda v: short(v) if isinstance(v, str) else "",
)
def test_pairing_on_real_logs(rel: str, pairs: list[tuple[int, list[int]]]) -> None:
    assert [p for p in _pairs(rel) if p[0] in {i for i, _ in pairs}] == pairs


def test_sbat_and_mok_list_trusted_approve_nothing() -> None:
    s = secure_boot_state(_log(TT + "event-moklisttrusted.bin"))
    paired = {a.index for i in s.images for a in i.authorities}
    assert {a.index for a in s.authorities} - paired == {28, 29}


# ----------------------------------------------------------------------------- payload trust
def test_edited_secure_boot_byte_is_not_trusted() -> None:
    log = _log(RHEL8)
    assert secure_boot_state(log).enabled is True
    flipped = log.replaced(3, dataclasses.replace(log[3], data=log[3].data[:-1] + b"\x00"))
    s = secure_boot_state(flipped)
    assert s.enabled is None
    assert s.secure_boot_data is None
    assert s.notes == ("payload-digest-mismatch:3", "authority-bare-certificate")
    assert s.anomalies == ("payload-digest-mismatch:3",)
    assert s.to_dict()["anomalies"] == ["payload-digest-mismatch:3"]


def test_edited_db_and_authority_are_dropped() -> None:
    log = _log(RHEL8)
    bad_db = dataclasses.replace(log[6], data=log[6].data[:-1] + b"\x00")
    bad_auth = dataclasses.replace(log[21], data=log[21].data[:-1] + b"\x00")
    s = secure_boot_state(log.replaced(6, bad_db).replaced(21, bad_auth))
    assert s.db is None
    assert [a.index for a in s.authorities] == [27]
    assert s.anomalies == ("payload-digest-mismatch:6", "payload-digest-mismatch:21")


# ----------------------------------------------------------------------------- PCR 7 shape
def test_retyped_secure_boot_event_is_flagged() -> None:
    log = _log(RHEL8)
    retyped = log.replaced(3, dataclasses.replace(log[3], event_type=EventType.EV_UNUSED))
    r = retyped.verify(retyped.replay("sha256"), "sha256")  # nothing in the replay changes...
    assert not r.passed  # ...but EV_UNUSED is no PCR 7 type and SecureBoot is gone
    assert r.reasons == ("event-type-not-allowed:3", "secureboot-variable-missing")
    s = secure_boot_state(retyped)
    assert s.enabled is None
    assert s.notes == ("secureboot-var-missing", "unexpected-event-type:3", "authority-bare-certificate")
    assert s.anomalies == ("secureboot-var-missing", "unexpected-event-type:3")


def test_ev_unused_disclosure_attack_is_flagged() -> None:
    """go-attestation docs/event-log-disclosure.md on a real Secure-Boot-off log (SHA1 format)."""
    ebs = _log(EBS)
    assert secure_boot_state(ebs).enabled is False
    assert [e.index for e in ebs if e.pcr == 7] == [2, 3, 4, 5, 6, 7]
    hidden = [dataclasses.replace(e, event_type=EventType.EV_UNUSED) if e.pcr == 7 else e for e in ebs]
    forged = make_event(7, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG, ebs[2].data[:-1] + b"\x01", ebs.banks)
    attack = ebs.with_events(hidden).appended(forged)
    r = attack.verify(attack.replay("sha1"), "sha1")
    # the attacker extended PCR 7 to match and the forged event's digest is honest, but the policy
    # rejects EV_UNUSED on PCR 7
    assert not r.passed
    assert r.payload_mismatches == ()
    assert r.reasons == tuple(f"event-type-not-allowed:{i}" for i in range(2, 8))
    s = secure_boot_state(attack)
    assert s.enabled is True  # what the log claims...
    assert s.anomalies == (  # ...and why it must not be believed
        "unexpected-event-type:2",
        "unexpected-event-type:3",
        "unexpected-event-type:4",
        "unexpected-event-type:5",
        "unexpected-event-type:6",
        "unexpected-event-type:7",
        "pcr7-separator-missing",
    )


def test_secure_boot_variable_after_separator_is_ignored() -> None:
    off = _log(GT + "ubuntu-2104-no-secure-boot.bin")
    sb = next(e for e in off if e.pcr == 7 and e.description.startswith("SecureBoot"))
    forged = make_event(7, sb.event_type, sb.data[:-1] + b"\x01", off.banks)
    s = secure_boot_state(off.appended(forged))
    assert s.enabled is False
    assert s.anomalies == (f"variable-after-separator:{len(off)}",)


def test_duplicate_variable_and_separator() -> None:
    log = _log(RHEL8)
    events = list(log)
    extra_sb = dataclasses.replace(events[3], index=-1)
    extra_sep = dataclasses.replace(events[8], index=-1)
    doubled = log.with_events([*events[:8], extra_sb, events[8], extra_sep, *events[9:]])
    s = secure_boot_state(doubled)
    assert s.enabled is True
    assert s.anomalies == ("duplicate-variable:8", "duplicate-separator:10")


@pytest.mark.parametrize(
    ("text", "code"),
    [(b"UEFI Debug Mode", "uefi-debug-mode"), (b"Something else", "unexpected-efi-action:83")],
)
def test_pcr7_actions(text: bytes, code: str) -> None:
    log = _log(RHEL8)
    s = secure_boot_state(log.appended(make_event(7, EventType.EV_EFI_ACTION, text, log.banks)))
    assert s.anomalies == (code,)


# ----------------------------------------------------------------------------- to_frame
def test_to_frame_rhel8() -> None:
    f = secure_boot_state(_log(RHEL8)).to_frame()
    assert list(f.columns) == ["variable", "event", "certificates", "hashes", "subjects"]
    assert f["variable"].tolist() == ["PK", "KEK", "db", "dbx"]
    assert f["event"].tolist() == [4, 5, 6, 7]
    assert f["certificates"].tolist() == [1, 1, 2, 3]
    assert f["hashes"].tolist() == [0, 0, 0, 183]
    assert f["subjects"][0] == "CN=newpk"
    empty = secure_boot_state(EventLog.from_events([], banks=("sha256",))).to_frame()
    assert empty["event"].isna().all()
    assert empty["subjects"].tolist() == ["", "", "", ""]
