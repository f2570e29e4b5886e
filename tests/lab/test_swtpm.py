"""tlkit.lab.SwtpmSession: lifecycle, errors and the tpm2-tools helpers, against a real swtpm."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tlkit.errors
import tlkit.lab
from tests.conftest import require_binaries
from tlkit.errors import DataError, MissingComponentError, TlkitError
from tlkit.lab import SwtpmSession, ToolError, pcr_spec
from tlkit.tpm import PcrSelection, hash_alg, read_pcrs, verify_quote

TOOLS = ("swtpm", "tpm2_pcrextend", "tpm2_pcrread", "tpm2_pcrreset", "tpm2_getcap", "tpm2_flushcontext")
KEY_TOOLS = ("tpm2_createek", "tpm2_createak", "tpm2_readpublic", "tpm2_quote")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); check its state.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


@pytest.fixture(scope="module")
def tpm() -> Iterator[SwtpmSession]:
    require_binaries(*TOOLS, *KEY_TOOLS)
    with SwtpmSession() as session:
        yield session


# -- no binaries needed ---------------------------------------------------------------------------


def test_pcr_spec_from_mapping_sorts_and_deduplicates() -> None:
    assert pcr_spec({"sha256": [7, 0, 7, 1], hash_alg("sha1"): range(3)}) == "sha256:0,1,7+sha1:0,1,2"
    assert pcr_spec("sha256:0,1") == "sha256:0,1"
    assert pcr_spec("sha256:7,1+sha1:all") == str(PcrSelection.parse_spec("sha256:1,7+sha1:all"))
    assert pcr_spec(PcrSelection.of({"sha256": [3], "sha1": []})) == "sha256:3"  # empty banks left out


@pytest.mark.interop
def test_quote_nonce_limit_is_tpm2_quote_s_64_bytes(tpm: SwtpmSession) -> None:
    from tlkit.lab._swtpm import TPM2_QUOTE_MAX_NONCE
    from tlkit.tpm._vtpm import MAX_NONCE

    assert (TPM2_QUOTE_MAX_NONCE, MAX_NONCE) == (64, 66)  # the tool's limit is below TPM2B_DATA's
    ak = tpm.create_ak("ecc")
    q = tpm.quote({"sha256": [0]}, bytes(range(64)), ak=ak)
    assert verify_quote(q.message, q.signature, read_pcrs(q.pcrs), bytes(range(64)), ak.pem).passed
    with pytest.raises(DataError, match="at most 64 bytes"):
        tpm.quote({"sha256": [0]}, bytes(65), ak=ak)
    with pytest.raises(ToolError):  # what tpm2_quote itself says about 65 bytes
        tpm.run(["tpm2_quote", "-c", ak.context, "-l", "sha256:0", "-q", bytes(65).hex()])


@pytest.mark.parametrize(
    "bad",
    [{"sha256": [24]}, {"sha256": [-1]}, {}, {"sha256": []}, "sha256:x", "sha256:1_0", {"sha256": [None]}],
)
def test_pcr_spec_rejects_bad_selection(bad: object) -> None:
    with pytest.raises(DataError):
        pcr_spec(bad)  # type: ignore[arg-type]


def test_missing_swtpm_binary_is_a_missing_component() -> None:
    session = SwtpmSession(swtpm="tlkit-no-such-swtpm")
    with pytest.raises(MissingComponentError) as info:
        session.start()
    assert info.value.component == "tlkit-no-such-swtpm"
    assert "apt-get install swtpm" in str(info.value)
    assert not session.running


def test_commands_need_a_running_session() -> None:
    with pytest.raises(ToolError, match="not running"):
        SwtpmSession().run(["tpm2_getcap", "pcrs"])


def test_tool_error_is_a_tlkit_error_with_stderr() -> None:
    err = ToolError("tpm2_x failed", command=["tpm2_x", "-c"], returncode=1, stderr="ERROR: bad\n")
    assert isinstance(err, TlkitError)
    assert (err.command, err.returncode, err.stderr) == (("tpm2_x", "-c"), 1, "ERROR: bad\n")
    assert str(err) == "tpm2_x failed (exit status 1): tpm2_x -c\nERROR: bad"


def test_tool_error_lives_in_the_one_error_tree() -> None:
    assert tlkit.lab.ToolError is tlkit.errors.ToolError
    assert "ToolError" in tlkit.errors.__all__
    assert "ToolError" in tlkit.lab.__all__
    long = ToolError("x", command=["t"], stderr="a" * 3000 + "END")
    assert long.stderr == "a" * 3000 + "END"
    assert str(long).endswith("a" * (tlkit.errors.TOOL_STDERR_TAIL - 3) + "END")
    assert len(str(long)) == len("x: t\n") + tlkit.errors.TOOL_STDERR_TAIL
    timeout = ToolError("timed out", command=("swtpm_ioctl", "-s"))
    assert (timeout.returncode, timeout.stderr, str(timeout)) == (None, "", "timed out: swtpm_ioctl -s")


# -- lifecycle ------------------------------------------------------------------------------------


@pytest.mark.interop
def test_context_manager_starts_and_stops_by_pid() -> None:
    require_binaries(*TOOLS)
    with SwtpmSession() as session:
        pid, workdir = session.pid, session.workdir
        assert session.running
        assert _alive(pid)
        assert session.ctrl_port == session.port + 1
        assert session.tcti == f"swtpm:host=127.0.0.1,port={session.port}"
        assert (workdir / "state").is_dir()
    assert not session.running
    assert not _alive(pid)
    assert not workdir.exists()
    session.stop()  # idempotent


@pytest.mark.interop
def test_two_sessions_are_independent() -> None:
    require_binaries(*TOOLS)
    with SwtpmSession() as a, SwtpmSession() as b:
        assert a.port != b.port
        a.pcr_extend(16, {"sha256": bytes(32)})
        assert a.pcr_read({"sha256": [16]}) != b.pcr_read({"sha256": [16]})


@pytest.mark.interop
def test_garbage_collected_session_stops_its_process() -> None:
    require_binaries(*TOOLS)
    session = SwtpmSession()
    session.start()
    pid, workdir = session.pid, session.workdir
    del session
    gc.collect()
    assert not _alive(pid)
    assert not workdir.exists()


# -- helpers --------------------------------------------------------------------------------------


@pytest.mark.interop
def test_swtpm_allocates_sha1_and_sha256_banks(tpm: SwtpmSession) -> None:
    banks = tpm.active_banks()
    assert {"sha1", "sha256"} <= set(banks)
    assert all(pcrs == tuple(range(24)) for pcrs in banks.values())


@pytest.mark.interop
def test_pcr_extend_and_read(tpm: SwtpmSession) -> None:
    before = tpm.pcr_read({"sha256": [15], "sha1": [15]})
    digest256, digest1 = hash_alg("sha256").digest(b"tlkit"), hash_alg("sha1").digest(b"tlkit")
    tpm.pcr_extend(15, {"sha256": digest256, "sha1": digest1})
    after = tpm.pcr_read({"sha256": [15], "sha1": [15]})
    assert after == {
        "sha256": {15: hashlib.sha256(before["sha256"][15] + digest256).digest()},
        "sha1": {15: hashlib.sha1(before["sha1"][15] + digest1).digest()},
    }


@pytest.mark.interop
def test_startup_values_of_pcr0_and_drtm_pcrs(tpm: SwtpmSession) -> None:
    values = tpm.pcr_read({"sha256": [0, 17, 22, 23]})["sha256"]
    assert values == {0: bytes(32), 17: b"\xff" * 32, 22: b"\xff" * 32, 23: values[23]}


@pytest.mark.interop
def test_wrong_digest_size_is_a_data_error(tpm: SwtpmSession) -> None:
    with pytest.raises(DataError, match="sha256 digest must be 32 bytes, got 20"):
        tpm.pcr_extend(15, {"sha256": bytes(20)})


@pytest.mark.interop
def test_pcr_index_outside_0_23_is_a_data_error_before_any_tool_runs(tpm: SwtpmSession) -> None:
    with pytest.raises(DataError, match=r"PCR index 24 out of range 0\.\.23"):
        tpm.pcr_extend(24, {"sha256": bytes(32)})
    with pytest.raises(DataError, match=r"PCR index -1 out of range"):
        tpm.pcr_reset(-1)
    with pytest.raises(DataError, match=r"PCR index True out of range"):
        tpm.pcr_event(True, b"x")


@pytest.mark.interop
def test_refused_command_raises_tool_error_with_stderr(tpm: SwtpmSession) -> None:
    with pytest.raises(ToolError) as info:
        tpm.pcr_extend(17, {"sha256": bytes(32)})  # DRTM PCR: not extendable from locality 0
    assert info.value.returncode == 1
    assert "bad locality" in info.value.stderr
    assert info.value.command[0] == "tpm2_pcrextend"


@pytest.mark.interop
def test_missing_tool_is_a_missing_component(tpm: SwtpmSession) -> None:
    with pytest.raises(MissingComponentError):
        tpm.run(["tpm2_tlkit_no_such_tool"])


@pytest.mark.interop
@pytest.mark.parametrize("kind", ["ecc", "rsa"])
def test_create_ak_and_quote_leave_no_transient_objects(tpm: SwtpmSession, kind: str) -> None:
    ak = tpm.create_ak(kind)
    assert ak.kind == kind
    assert ak.pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert ak.name[:2] == ak.qualified_name[:2] == b"\x00\x0b"
    assert len(ak.name) == len(ak.qualified_name) == 34
    quote = tpm.quote({"sha256": [0, 1]}, b"\x01\x02")
    assert quote.message[:4] == b"\xffTCG"
    assert ak.qualified_name in quote.message  # TPMS_ATTEST.qualifiedSigner
    assert quote.signature[:2] == (b"\x00\x18" if kind == "ecc" else b"\x00\x14")
    assert tpm.run(["tpm2_getcap", "handles-transient"]).stdout.strip() == b""


@pytest.mark.interop
def test_quote_without_ak_is_a_data_error() -> None:
    require_binaries(*TOOLS)
    with SwtpmSession() as fresh, pytest.raises(DataError, match="create_ak"):
        fresh.quote({"sha256": [0]}, b"")


@pytest.mark.interop
def test_pcr_event_hashes_with_every_bank(tpm: SwtpmSession) -> None:
    before = tpm.pcr_read({"sha256": [14]})["sha256"][14]
    digests = tpm.pcr_event(14, b"hello")
    assert digests["sha256"] == hashlib.sha256(b"hello").digest()
    assert digests["sha1"] == hashlib.sha1(b"hello").digest()
    assert set(digests) == set(tpm.active_banks())
    after = tpm.pcr_read({"sha256": [14]})["sha256"][14]
    assert after == hashlib.sha256(before + digests["sha256"]).digest()


@pytest.mark.interop
def test_pcr_reset_of_pcr16_and_refusal_of_pcr7(tpm: SwtpmSession) -> None:
    tpm.pcr_extend(16, {"sha256": bytes(32)})
    assert tpm.pcr_read({"sha256": [16]})["sha256"][16] != bytes(32)
    tpm.pcr_reset(16)
    assert tpm.pcr_read({"sha256": [16]})["sha256"][16] == bytes(32)
    with pytest.raises(ToolError):
        tpm.pcr_reset(7)


@pytest.mark.interop
def test_ak_scheme_must_fit_the_key(tpm: SwtpmSession) -> None:
    with pytest.raises(DataError, match="does not fit an ecc AK"):
        tpm.create_ak("ecc", scheme="rsapss")
    with pytest.raises(DataError, match="AK kind"):
        tpm.create_ak("dsa")
    assert tpm.create_ak("rsa", scheme="rsapss").scheme == "rsapss"
    assert tpm.quote({"sha256": [0]}, b"n").signature[:2] == b"\x00\x16"  # TPM_ALG_RSAPSS


def _fake_swtpm(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-swtpm"
    script.write_text(f"#!/bin/sh\necho run >> {tmp_path / 'runs'}\n{body}\n")
    script.chmod(0o755)
    return script


def test_swtpm_that_exits_at_startup_is_a_tool_error(tmp_path: Path) -> None:
    fake = _fake_swtpm(tmp_path, "echo 'swtpm: cannot open state' >&2; exit 3")
    session = SwtpmSession(swtpm=str(fake))
    with pytest.raises(ToolError, match="swtpm exited during startup") as info:
        session.start()
    assert info.value.returncode == 3
    assert "cannot open state" in info.value.stderr
    assert (tmp_path / "runs").read_text().count("run") == 1
    assert not session.running
    with pytest.raises(ToolError, match="not running"):
        _ = session.workdir


def test_port_clash_is_retried_with_new_ports(tmp_path: Path) -> None:
    fake = _fake_swtpm(tmp_path, "echo 'Could not bind: Address already in use' >&2; exit 1")
    with pytest.raises(ToolError, match="swtpm exited during startup"):
        SwtpmSession(swtpm=str(fake), start_attempts=3).start()
    assert (tmp_path / "runs").read_text().count("run") == 3


def test_swtpm_that_never_listens_times_out(tmp_path: Path) -> None:
    fake = _fake_swtpm(tmp_path, "exec sleep 30")
    session = SwtpmSession(swtpm=str(fake), startup_timeout=0.3)
    with pytest.raises(ToolError, match=r"did not accept connections within 0.3 s"):
        session.start()
    assert not session.running


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["sha1", "sha256", "sha384", "sha512"]),
        st.sets(st.integers(0, 23), min_size=1),
        min_size=1,
    )
)
def test_pcr_spec_round_trips_through_pcr_selection(banks: dict[str, set[int]]) -> None:
    spec = pcr_spec(banks)
    assert PcrSelection.parse_spec(spec) == PcrSelection.of(banks)
    assert pcr_spec(PcrSelection.of(banks)) == spec


@pytest.mark.interop
def test_reboot_forgets_keys_and_resets_pcrs() -> None:
    require_binaries(*TOOLS, *KEY_TOOLS, "swtpm_ioctl", "tpm2_startup", "tpm2_shutdown")
    with SwtpmSession() as fresh:
        fresh.create_ak("ecc")
        fresh.pcr_event(23, b"x")
        fresh.reboot()
        assert fresh.ek is None
        assert fresh.ak is None
        assert fresh.pcr_read({"sha256": [23]}) == {"sha256": {23: bytes(32)}}
        with pytest.raises(DataError, match="create_ak"):
            fresh.quote({"sha256": [0]}, b"")
        assert fresh.create_ak("ecc").qualified_name
