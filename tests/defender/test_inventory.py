"""VmConfig.from_inventory_row over tlkit.support.load_inventory: the sample fleet exports become VM
configurations whose Trusted Launch capability is the support matrix's verdict; undetermined ones are
errors naming the record unless the caller decides."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.conftest import REPO
from tlkit.defender._assess import assess
from tlkit.defender._model import VmConfig
from tlkit.errors import DataError
from tlkit.support import load_inventory


@pytest.fixture(scope="module")
def inventory() -> pd.DataFrame:
    return load_inventory(REPO / "data" / "samples" / "resource-graph.csv").frame


def _row(frame: pd.DataFrame, **where: Any) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column].astype(object) == value
    return frame[mask].iloc[0]


def test_a_trusted_launch_row_keeps_its_flags_and_is_capable(inventory: pd.DataFrame) -> None:
    row = _row(inventory, tl_status="TL-partial", os_type="Windows", secure_boot=False)
    vm = VmConfig.from_inventory_row(row, guest_attestation=True)
    assert vm.vm == row["name"]
    assert vm.security_type == "TrustedLaunch"
    assert vm.trusted_launch_capable
    assert (vm.secure_boot, vm.vtpm) == (bool(row["secure_boot"]), bool(row["vtpm"]))
    assert not (vm.secure_boot and vm.vtpm)  # partial: one of them is off
    assert list(assess([vm])["name"]) == [
        "Secure Boot should be enabled on supported Windows virtual machines"
    ]


def test_a_gen1_row_is_not_capable_and_gets_no_finding(inventory: pd.DataFrame) -> None:
    row = _row(inventory, tl_status="Gen1", compatible=False)
    vm = VmConfig.from_inventory_row(row)
    assert not vm.trusted_launch_capable
    assert (vm.security_type, vm.secure_boot, vm.vtpm) == ("Standard", False, False)
    assert assess([vm]).empty


def test_a_standard_row_on_capable_hardware_follows_the_support_matrix(inventory: pd.DataFrame) -> None:
    row = _row(inventory, tl_status="Gen2-Standard", compatible=True)
    vm = VmConfig.from_inventory_row(row)
    assert vm.trusted_launch_capable
    assert "vTPM should be enabled on supported virtual machines" in set(assess([vm])["name"])


def test_an_undetermined_row_is_an_error_naming_it_unless_the_caller_decides(inventory: pd.DataFrame) -> None:
    undetermined = inventory[inventory["compatible"].isna() & (inventory["security_type"] != "TrustedLaunch")]
    row = undetermined.iloc[0]
    with pytest.raises(DataError, match="capability is undetermined") as e:
        VmConfig.from_inventory_row(row)
    assert f"inventory record {row['record']} ({row['name']})" in str(e.value)
    assert not VmConfig.from_inventory_row(row, capable=False).trusted_launch_capable


def test_every_sample_row_converts_or_names_its_record(inventory: pd.DataFrame) -> None:
    converted, messages = 0, []
    for _, row in inventory.iterrows():
        try:
            VmConfig.from_inventory_row(row)
            converted += 1
        except DataError as e:
            messages.append((str(row["name"]), str(e)))
    assert converted + len(messages) == len(inventory)
    assert all(name in message for name, message in messages)
    undetermined = inventory["compatible"].isna() & (inventory["security_type"] != "TrustedLaunch")
    assert len(messages) == int(undetermined.sum())


def test_a_row_without_name_or_os_is_an_error() -> None:
    with pytest.raises(DataError, match="no VM name"):
        VmConfig.from_inventory_row({"record": 3, "name": None, "os_type": "Linux"})
    with pytest.raises(DataError, match="os_type must be one of") as e:
        VmConfig.from_inventory_row({"record": 4, "name": "x", "os_type": pd.NA, "compatible": True})
    assert "inventory record 4 (x)" in str(e.value)
