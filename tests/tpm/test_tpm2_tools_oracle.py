"""tpm2-tools as an independent oracle: ``tpm2_print`` decodes the same fields tlkit writes/reads."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import fixture_path, require_binaries
from tests.tpm._fixtures import KEYLIME
from tlkit.tpm import Attest, PublicArea, QuoteInfo, VirtualTpm


def _print(kind: str, path: Path) -> dict[str, Any]:
    require_binaries("tpm2_print")
    out = subprocess.run(["tpm2_print", "-t", kind, str(path)], capture_output=True, text=True, check=True)
    data: dict[str, Any] = yaml.load(out.stdout, Loader=yaml.BaseLoader)  # every scalar stays a string
    return data


def _check_attest(path: Path) -> None:
    ours = Attest.from_bytes(path.read_bytes())
    theirs = _print("TPMS_ATTEST", path)
    assert int(theirs["magic"], 16) == ours.magic
    assert int(theirs["type"], 16) == ours.type
    assert theirs["qualifiedSigner"] == ours.qualified_signer.hex()
    assert theirs.get("extraData", "") == ours.extra_data.hex()
    clock = theirs["clockInfo"]
    assert (clock["clock"], clock["resetCount"], clock["restartCount"], clock["safe"]) == (
        str(ours.clock_info.clock), str(ours.clock_info.reset_count), str(ours.clock_info.restart_count),
        str(int(ours.clock_info.safe)),
    )  # fmt: skip
    assert isinstance(ours.attested, QuoteInfo)
    quote = theirs["attested"]["quote"]
    assert quote["pcrDigest"] == ours.attested.pcr_digest.hex()
    sels = quote["pcrSelect"]["pcrSelections"]
    assert quote["pcrSelect"]["count"] == str(len(ours.attested.pcr_select.items()))
    for i, ((alg, _), size) in enumerate(
        zip(ours.attested.pcr_select.items(), ours.attested.pcr_select.size_of_select, strict=True)
    ):
        assert int(sels[str(i)]["hash"].split()[0]) == alg.alg_id
        assert sels[str(i)]["sizeofSelect"] == str(size)
    wire = ours.attested.pcr_select.to_bytes()
    masks = []
    pos = 4
    for _ in ours.attested.pcr_select.items():
        size = wire[pos + 2]
        masks.append(wire[pos + 3 : pos + 3 + size].hex())
        pos += 3 + size
    assert [s["pcrSelect"] for s in sels.values()] == masks


def _check_public(path: Path) -> None:
    ours = PublicArea.from_tpm2b(path.read_bytes())
    theirs = _print("TPM2B_PUBLIC", path)
    assert int(theirs["name-alg"]["raw"], 16) == ours.name_alg.alg_id
    assert int(theirs["attributes"]["raw"], 16) == ours.object_attributes
    assert int(theirs["type"]["raw"], 16) == ours.type
    assert int(theirs["scheme"]["raw"], 16) == ours.scheme
    assert int(theirs["sym-alg"]["raw"], 16) == ours.symmetric_alg
    assert str(theirs.get("authorization policy") or "") == ours.auth_policy.hex()
    if ours.type == 0x0001:
        assert theirs["rsa"] == ours.rsa_modulus.hex()
        assert theirs["bits"] == str(ours.key_bits)
    else:
        assert int(theirs["curve-id"]["raw"], 16) == ours.curve_id
        assert (theirs["x"], theirs["y"]) == (ours.ecc_x.hex(), ours.ecc_y.hex())


def test_keylime_files_decode_like_tpm2_print() -> None:
    d = fixture_path(KEYLIME)
    _check_attest(d / "quote.out")
    _check_public(d / "ak.pub")


@pytest.mark.parametrize("ak", ["ecc", "rsa"])
def test_virtual_tpm_output_decodes_like_tpm2_print(ak: str, tmp_path: Path) -> None:
    tpm = VirtualTpm(seed=9, ak=ak)
    tpm.quote("sha256:0,1,23+sha1:7", b"nonce").write(tmp_path)
    (tmp_path / "ak.pub").write_bytes(tpm.ak_public.to_tpm2b())
    (tmp_path / "ek.pub").write_bytes(tpm.ek_public.to_tpm2b())
    _check_attest(tmp_path / "quote.msg")
    _check_public(tmp_path / "ak.pub")
    _check_public(tmp_path / "ek.pub")
