"""Property tests: the importer never raises anything but DataError, and never loses a record."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlkit.errors import DataError
from tlkit.support._inventory import _is_text, load_inventory

json_scalars = (
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
SIZES = st.sampled_from(
    [
        "Standard_D2s_v5",
        "Standard_B2s",
        "Standard_M64s",
        "Standard_DC2as_v5",
        "XL",
        "",
        "Standard_",
        "Standard_D2s_v99",
        "standard_e4s_v5",
        "Standard_NC6",
    ]
) | st.text(max_size=20)
SECURITY = st.sampled_from([None, "Standard", "TrustedLaunch", "ConfidentialVM", "", "trustedlaunch", "Foo"])

BASE: dict[str, Any] = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
    "name": "vm",
    "location": "westeurope",
    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
    "storageProfile": {
        "imageReference": {
            "publisher": "Canonical",
            "offer": "0001-com-ubuntu-server-jammy",
            "sku": "22_04-lts-gen2",
            "version": "latest",
        },
        "osDisk": {"osType": "Linux", "managedDisk": {"id": "/x/disks/d"}},
    },
    "securityProfile": {
        "securityType": "TrustedLaunch",
        "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
    },
    "instanceView": {"hyperVGeneration": "V2"},
}
PATHS = [
    ("id",),
    ("name",),
    ("location",),
    ("type",),
    ("hardwareProfile",),
    ("hardwareProfile", "vmSize"),
    ("storageProfile",),
    ("storageProfile", "imageReference"),
    ("storageProfile", "imageReference", "sku"),
    ("storageProfile", "imageReference", "id"),
    ("storageProfile", "osDisk"),
    ("storageProfile", "osDisk", "osType"),
    ("storageProfile", "osDisk", "managedDisk"),
    ("securityProfile",),
    ("securityProfile", "securityType"),
    ("securityProfile", "uefiSettings"),
    ("securityProfile", "uefiSettings", "secureBootEnabled"),
    ("instanceView",),
    ("instanceView", "hyperVGeneration"),
    ("powerState",),
]


@st.composite
def mutated_vm(draw: st.DrawFn) -> dict[str, Any]:
    rec = copy.deepcopy(BASE)
    rec["hardwareProfile"]["vmSize"] = draw(SIZES)
    rec["securityProfile"]["securityType"] = draw(SECURITY)
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=4)):
        node: Any = rec
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if draw(st.booleans()):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = draw(json_values)
    return rec


def arm_form(rec: dict[str, Any]) -> dict[str, Any]:
    env = {"id", "name", "location", "type"}
    return {
        **{k: v for k, v in rec.items() if k in env},
        "properties": {k: v for k, v in rec.items() if k not in env},
    }


records = st.lists(mutated_vm() | json_values, max_size=6)


def check_conserved(obj: Any, n: int, *, check: bool) -> None:
    try:
        res = load_inventory(obj, check=check)
    except DataError:
        return
    assert res.records_in == n == len(res.frame) + len(res.errors)
    assert sorted([*res.frame["record"].tolist(), *(e.index for e in res.errors)]) == list(range(n))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=records, envelope=st.sampled_from(["list", "value", "data", "arm"]), check=st.booleans())
def test_random_records_raise_only_data_error_and_are_conserved(
    recs: list[Any], envelope: str, check: bool
) -> None:
    if envelope == "arm":
        recs = [arm_form(r) if isinstance(r, dict) else r for r in recs]
    obj: Any = {"list": recs, "value": {"value": recs}, "data": {"data": recs}, "arm": recs}[envelope]
    check_conserved(obj, len(recs), check=check)
    check_conserved(json.dumps(obj), len(recs), check=check)


@settings(max_examples=100, deadline=None)
@given(obj=json_values)
def test_arbitrary_json_raises_only_data_error(obj: Any) -> None:
    # A Python str handed to load_inventory is a file path unless it looks like export text (the
    # documented rule), so a parsed JSON *string* goes in as JSON bytes only: hypothesis draws
    # strings such as ".", "/" or "data" (constants mined from tlkit's source; the pool grows with
    # every module imported, so a full-folder run draws them more often) and the outcome must not
    # depend on the working directory.
    sources: list[Any] = [json.dumps(obj).encode()]
    if not isinstance(obj, str):
        sources.append(obj)
    for source in sources:
        try:
            res = load_inventory(source, check=False)
        except DataError:
            continue
        assert res.records_in == len(res.frame) + len(res.errors)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=12) | st.sampled_from([".", "..", "/", "", "data", "tests", "/dev/null"]))
def test_random_strings_are_export_text_or_a_regular_file(text: str) -> None:
    """A str is text or a path by its shape alone; a path that is not a regular file (directory,
    device, missing) is a DataError naming it, never a read of whatever happens to be there."""
    as_text = _is_text(text)
    path = Path(text)
    if not as_text and not path.is_file():
        with pytest.raises(DataError, match=r"cannot read|not a usable path|empty source") as ei:
            load_inventory(text, check=False)
        assert ei.value.record == (path.name or str(path) if text.strip() else text)
        return
    try:
        res = load_inventory(text, check=False)
    except DataError:
        return
    assert res.source == ("<text>" if as_text else path.name)


COLUMNS = ["id", "name", "vmSize", "gen", "securityType", "secureBoot", "vTpm", "imgSku", "osDiskId"]


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.fixed_dictionaries({c: st.text(max_size=10) | SIZES for c in COLUMNS}), max_size=6),
    check=st.booleans(),
)
def test_random_csv_rows_are_conserved(rows: list[dict[str, str]], check: bool) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    res = load_inventory(buf.getvalue(), check=check)
    assert res.source_format == "resource-graph-projected"
    assert res.records_in == len(rows) == len(res.frame) + len(res.errors)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_data_error(data: bytes) -> None:
    try:
        res = load_inventory(data, check=False)
    except DataError:
        return
    assert res.records_in == len(res.frame) + len(res.errors)


@settings(max_examples=100, deadline=None)
@given(disks=json_values)
def test_random_disk_exports_raise_only_data_error(disks: Any) -> None:
    try:
        res = load_inventory([BASE], disks=disks, check=False)
    except DataError:
        return
    assert res.records_in == 1 == len(res.frame) + len(res.errors)


@settings(max_examples=20, deadline=None)
@given(depth=st.integers(min_value=3000, max_value=20000), opener=st.sampled_from(["[", '{"a":']))
def test_deeply_nested_json_raises_only_data_error(depth: int, opener: str) -> None:
    """json.loads recurses per nesting level: a deep document is a DataError, never RecursionError
    (whole source) or a lost record (the per-record ``properties`` JSON of a Resource Graph CSV)."""
    with pytest.raises(DataError, match="nested too deeply"):
        load_inventory(opener * depth, check=False)
    res = load_inventory(
        "id,name,properties\n/x/vm,vm," + '"' + (opener * depth).replace('"', '""') + '"\n', check=False
    )
    assert res.records_in == 1
    assert [(e.field, e.reason) for e in res.errors] == [("properties", "not usable JSON: nested too deeply")]


# Text that may hold lone surrogates (JSON "\ud800" escapes decode to them; a Python str may too).
any_text = st.text(st.characters(codec=None, categories=None), max_size=8) | st.sampled_from(
    ["\ud800", "vm-\udfff", "\ud83d", "ok\udc00ok"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(any_text, min_size=1, max_size=5), locations=st.lists(any_text, min_size=5, max_size=5))
def test_lone_surrogates_are_reported_per_record(names: list[str], locations: list[str]) -> None:
    recs = [dict(copy.deepcopy(BASE), name=n, location=loc) for n, loc in zip(names, locations, strict=False)]
    for source in (recs, json.dumps(recs), json.dumps(recs, ensure_ascii=False)):
        try:
            res = load_inventory(source, check=False)
        except DataError:
            continue
        assert len(res.frame) + len(res.errors) == len(recs)
        bad = {
            i
            for i, r in enumerate(recs)
            if any(0xD800 <= ord(c) <= 0xDFFF for c in r["name"] + r["location"])
        }
        assert {e.index for e in res.errors} >= bad
        for e in res.errors:
            if e.index in bad:
                assert e.field in {"name", "location"}
                assert "surrogate" in e.reason
        res.frame.to_parquet(io.BytesIO())  # the table is valid for pyarrow
        res.errors_frame().to_parquet(io.BytesIO())


def test_one_surrogate_record_does_not_sink_the_file() -> None:
    good = copy.deepcopy(BASE)
    bad = dict(copy.deepcopy(BASE), name="vm-\ud800")
    text = json.dumps([good, bad, dict(copy.deepcopy(BASE), location="west\udc00europe")])
    res = load_inventory(text)
    assert len(res.frame) == 1
    assert [(e.index, e.field) for e in res.errors] == [(1, "name"), (2, "location")]
    assert res.errors[0].name == "vm-\\ud800"  # shown escaped
    # A Python str with a surrogate (not only a JSON escape) is handled the same way.
    raw = "[" + json.dumps(good) + ', {"name": "x\ud800", "location": "eastus"}]'
    res = load_inventory(raw)
    assert [(e.index, e.field) for e in res.errors] == [(1, "name")]


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-32-be", "utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("name", ["resource-graph.csv", "az-vm-list.json"])
def test_utf16_and_utf32_exports_are_decoded(codec: str, name: str, tmp_path: Path) -> None:
    from tests.conftest import REPO

    original = (REPO / "data" / "samples" / name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(original.encode(codec))
    res = load_inventory(path, check=False)
    ref = load_inventory(REPO / "data" / "samples" / name, check=False)
    assert (len(res.frame), len(res.errors), res.source_format) == (
        len(ref.frame),
        len(ref.errors),
        ref.source_format,
    )


def test_broken_utf32_is_named_as_utf32(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xff\xfe\x00\x00" + "vmSize\n".encode("utf-32-le") + b"\x00\x00\x11\x00")
    with pytest.raises(DataError, match="not UTF-32 LE text"):
        load_inventory(path)


def test_disk_export_is_named_not_reported_as_malformed_vms() -> None:
    from tests.conftest import REPO

    with pytest.raises(DataError, match="disk export") as ei:
        load_inventory(REPO / "data" / "samples" / "disks.json")
    assert "disks=" in str(ei.value)


@settings(max_examples=150, deadline=None)
@given(text=any_text.map(lambda t: "[" + t) | any_text.map(lambda t: t + "\n") | any_text)
def test_text_with_surrogates_raises_only_printable_data_errors(text: str) -> None:
    try:
        res = load_inventory(text, check=False)
    except DataError as e:
        str(e).encode("utf-8")  # the CLI prints it: never a UnicodeEncodeError
        return
    res.frame.to_parquet(io.BytesIO())
