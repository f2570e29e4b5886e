"""The 2025-04 snapshot agrees with the Korean seed (the TL-2025a text it was typed from)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import fixture_path
from tlkit.support import os_table, size_status, size_table, unsupported_features

# seed row label -> tlkit distro key
LINUX_ROWS = {
    "Alma Linux": "almalinux",
    "Azure Linux": "azurelinux",
    "데비안": "debian",
    "Oracle Linux": "oracle",
    "RedHat Enterprise Linux": "rhel",
    "SUSE Enterprise Linux": "sles",
    "Ubuntu Server": "ubuntu",
}


@pytest.fixture(scope="module")
def seed() -> str:
    return fixture_path("seed/trusted-launch.ko.txt").read_text(encoding="utf-8")


def _versions(line: str) -> list[str]:
    return [v.strip().replace(" LTS", "").replace(" LVM", "").lower() for v in line.split(",")]


def test_linux_os_rows_match_the_seed(seed: str) -> None:
    df = os_table("2025-04")
    for label, distro in LINUX_ROWS.items():
        m = re.search(rf"^{re.escape(label)} (.+)$", seed, re.MULTILINE)
        assert m is not None, label
        assert _versions(m.group(1)) == list(df[df["distro"] == distro]["version"]), label
    assert "Rocky" not in seed
    assert set(df["distro"]) == {*LINUX_ROWS.values(), "windows-10", "windows-11", "windows-server"}


def test_windows_server_row_matches_the_seed(seed: str) -> None:
    m = re.search(r"^Windows Server \(윈도우 서버\) (.+) \*$", seed, re.MULTILINE)
    assert m is not None
    df = os_table("2025-04")
    assert _versions(m.group(1)) == list(df[df["distro"] == "windows-server"]["version"])


def test_size_table_era_is_tl_2025a(seed: str) -> None:
    # M-family under "currently not supported", NDasr/NDm A100 v4 "currently not supported", no Arm64 rows
    memory = next(line for line in seed.splitlines() if line.startswith("메모리에 최적화"))
    assert "M-제품군" in memory
    assert size_status("Standard_M64s", "2025-04").status == "currently-not-supported"
    gpu = next(line for line in seed.splitlines() if line.startswith("GPU"))
    assert "NDasrA100_v4" in gpu
    assert size_status("Standard_ND96asr_v4", "2025-04").status == "currently-not-supported"
    assert "Dpsv6" not in seed
    assert "Epsv6" not in seed
    labels = set(size_table("2025-04")["label"])
    assert not any("v6" in label for label in labels)
    hpc = next(line for line in seed.splitlines() if line.startswith("고성능 컴퓨팅"))
    for series in ("HBv2", "HBv3", "HBv4", "HC", "HX"):
        assert f"{series} 시리즈" in hpc
        assert f"{series}-series" in labels


def test_seed_features_list_is_cut_off(seed: str) -> None:
    # the seed's list is empty (heading then the next section); the TL-2025a list comes from the notes
    after = seed.split("현재, 다음 VM 기능은 신뢰할 수 있는 시작이 지원되지 않습니다.")[1].strip()
    assert after.startswith("보안 부팅")
    assert [f.feature for f in unsupported_features("2025-04")] == [
        "azure-site-recovery",
        "managed-image",
        "hibernation",
    ]


def test_tlad_is_preview_with_api_2021_11_01(seed: str) -> None:
    assert "(미리 보기) 신뢰할 수 있는 시작을 기본값으로" in seed
    assert "API 버전 2021-11-01 이상" in seed
    assert "TrustedLaunchByDefaultPreview" in seed
