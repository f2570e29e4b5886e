"""Properties of tlkit.defender over generated fleets and histories: only documented names and
severities come out, suppression only ever hides attestation-failure alerts of Secure-Boot-off-by-design
VMs, the row order is canonical; the fleet loader lets only tlkit.errors escape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tlkit.defender._assess import assess
from tlkit.defender._data import alerts, reason_codes, recommendations
from tlkit.defender._model import AttestationRecord, VmConfig, load_fleet
from tlkit.errors import DataError, TlkitError

DOCUMENTED = {(r.name, r.severity) for r in recommendations().values()} | {
    (a.name, a.severity) for a in alerts().values()
}
CODES = sorted(reason_codes())
DETAILED = {c.code for c in reason_codes().values() if c.detail == "optional"}
FAILING = {c.code for c in reason_codes().values() if c.alert == "attestation-failed"}


@st.composite
def vm_configs(draw: st.DrawFn, name: str) -> VmConfig:
    security = draw(st.sampled_from(["TrustedLaunch", "Standard", "ConfidentialVM"]))
    secure_boot = security != "Standard" and draw(st.booleans())
    return VmConfig(
        vm=name,
        os_type=draw(st.sampled_from(["Windows", "Linux"])),
        trusted_launch_capable=draw(st.booleans()),
        security_type=security,
        secure_boot=secure_boot,
        vtpm=security != "Standard" and draw(st.booleans()),
        scale_set=draw(st.booleans()),
        guest_attestation=draw(st.booleans()),
        secure_boot_off_by_design=not secure_boot and draw(st.booleans()),
    )


@st.composite
def reasons(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(CODES))
    if code in DETAILED and draw(st.booleans()):
        detail = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(str.strip))
        return f"{code}:{detail}"
    return code


@st.composite
def records(draw: st.DrawFn, names: list[str]) -> AttestationRecord:
    codes = tuple(draw(st.lists(reasons(), max_size=4)))
    failing = any(r.split(":", 1)[0] in FAILING for r in codes)
    passed = not failing and (not codes or draw(st.booleans()))
    when = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))
    return AttestationRecord(draw(st.sampled_from(names)), when, passed, codes)


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[VmConfig], list[AttestationRecord]]:
    names = [f"vm-{n}" for n in range(draw(st.integers(1, 5)))]
    vms = [draw(vm_configs(n)) for n in names]
    return vms, draw(st.lists(records(names), max_size=12))


@given(fleets())
def test_any_history_gives_only_documented_names_and_severities(fleet: tuple[Any, Any]) -> None:
    vms, history = fleet
    frame = assess(vms, history)
    assert set(zip(frame["name"], frame["severity"], strict=True)) <= DOCUMENTED
    assert set(frame["kind"]) <= {"recommendation", "alert"}
    capable = {v.vm for v in vms if v.trusted_launch_capable}
    assert set(frame["vm"]) <= capable  # nothing for a VM that cannot run Trusted Launch
    suppressed = frame[frame["suppressed"]]
    assert set(suppressed["name"]) <= {alerts()["attestation-failed"].name}
    by_design = {v.vm for v in vms if v.secure_boot_off_by_design}
    assert set(suppressed["vm"]) <= by_design
    unsuppressed = assess(vms, history, suppressions=())
    assert len(unsuppressed) == len(frame)  # suppressed findings are still counted
    assert not unsuppressed["suppressed"].any()


@given(fleets())
def test_row_order_is_canonical(fleet: tuple[Any, Any]) -> None:
    vms, history = fleet
    frame = assess(vms, history)
    again = assess(list(reversed(vms)), list(reversed(history)))
    assert frame.equals(again)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    ["vm", "os_type", "trusted_launch_capable", "secure_boot", "time", "passed", "reasons"]
)


@given(
    st.dictionaries(
        st.sampled_from(["vms", "history", "description"]),
        st.lists(st.dictionaries(FIELDS, JSON), max_size=3),
    )
    | JSON
)
def test_load_fleet_raises_only_tlkit_errors(data: Any) -> None:
    try:
        fleet = load_fleet(data)
    except TlkitError:
        return
    assess(fleet.vms, fleet.history)


@given(st.binary(max_size=200))
def test_load_fleet_from_bytes_raises_only_data_errors_that_say_where(raw: bytes) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.json"
        path.write_bytes(raw)
        try:
            load_fleet(path)
            return
        except DataError as e:
            message = str(e)
    assert "fleet.json" in message or "record" in message or "field" in message


def test_round_trip_through_json() -> None:
    vm = VmConfig("a", "Linux", trusted_launch_capable=True, guest_attestation=True)
    rec = AttestationRecord("a", "2026-11-02T03:04:05+02:00", False, ("untrusted-kernel-module:nvidia",))
    data = json.loads(json.dumps({"vms": [vm.to_dict()], "history": [rec.to_dict()]}))
    fleet = load_fleet(data)
    assert fleet.vms == (vm,)
    assert fleet.history == (rec,)
    assert fleet.history[0].to_dict()["time"] == "2026-11-02T01:04:05Z"
