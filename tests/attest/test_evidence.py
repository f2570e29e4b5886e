"""Evidence bundles: the directories ``tlkit boot simulate`` writes, the real Azure TL documents,
byte-exact round trips, and a clear, named error for every bad file."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from tests.attest._pki import DOCUMENTS, azure_document
from tests.conftest import fixture_path
from tlkit.attest._evidence import (
    EVIDENCE_FILES,
    NO_EVIDENCE,
    Evidence,
    NoQuoteError,
    has_quote,
    load_ak_chain,
    load_evidence,
)
from tlkit.boot._scenarios import default_nonce, scenario_evidence, scenario_table
from tlkit.cli import main
from tlkit.errors import DataError, ParseError, TlkitError
from tlkit.tpm import verify_quote, write_pcrs_raw

BOOTED = [name for name, boots, _, _ in scenario_table() if boots]
NOT_BOOTED = [name for name, boots, _, _ in scenario_table() if not boots]


def _write(directory: Path, files: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory ``tlkit boot simulate --scenario healthy-ubuntu-sb`` writes (through the CLI)."""
    out = tmp_path_factory.mktemp("simulated") / "healthy"
    assert main(["boot", "simulate", "--scenario", "healthy-ubuntu-sb", "--out", str(out)]) == 0
    return out


@pytest.fixture
def healthy(simulated: Path, tmp_path: Path) -> Path:
    """A copy of :func:`simulated` the test may change."""
    return Path(shutil.copytree(simulated, tmp_path / "healthy"))


# ---------------------------------------------------------------------- simulated evidence
def test_cli_directory_loads_as_it_is(healthy: Path) -> None:
    ev = Evidence.load(healthy)
    assert ev.source == str(healthy)
    assert ev.nonce == default_nonce(0)
    assert ev.eventlog == (healthy / "eventlog.bin").read_bytes()
    assert ev.ak_chain == ()
    assert ev.guest_report is not None
    assert ev.guest_report["scenario"] == "healthy-ubuntu-sb"
    assert ev.guest_report["booted"] is True
    assert [(a.name, len(p)) for a, p in ev.pcrs.selection.items()] == [("sha256", 24)]
    assert verify_quote(ev.message, ev.signature, ev.pcrs, ev.nonce, ev.ak).passed


@pytest.mark.parametrize("name", BOOTED)
def test_every_booted_scenario_loads_verifies_and_round_trips_byte_exact(name: str, tmp_path: Path) -> None:
    files = scenario_evidence(name, seed=0)
    ev = Evidence.load(_write(tmp_path / "in", files))
    assert verify_quote(ev.message, ev.signature, ev.pcrs, default_nonce(0), ev.ak).passed
    assert ev.files() == files
    ev.save(tmp_path / "out")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == files
    assert Evidence.load(tmp_path / "out") == ev


@pytest.mark.parametrize("name", NOT_BOOTED)
def test_a_vm_that_did_not_boot_has_no_quote(name: str, tmp_path: Path) -> None:
    d = tmp_path / name
    assert main(["boot", "simulate", "--scenario", name, "--out", str(d)]) == 0
    assert not has_quote(d)
    with pytest.raises(NoQuoteError) as e:
        Evidence.load(d)
    err = e.value
    assert isinstance(err, DataError)
    assert err.code == NO_EVIDENCE == "no-evidence"
    assert err.directory == str(d)
    assert err.booted is False
    assert str(d) in str(err)
    assert "no quote" in str(err)
    assert "did not boot" in str(err)


def test_empty_directory_has_no_quote_and_a_missing_one_is_not_no_evidence(tmp_path: Path) -> None:
    with pytest.raises(NoQuoteError) as e:
        Evidence.load(tmp_path)
    assert e.value.booted is None
    with pytest.raises(DataError, match="does not exist") as missing:
        Evidence.load(tmp_path / "nope")
    assert not isinstance(missing.value, NoQuoteError)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(DataError, match="is not a directory"):
        Evidence.load(tmp_path / "file")


# ------------------------------------------------------------------------------ bad files
@pytest.mark.parametrize("name", ["quote.msg", "quote.sig", "quote.pcrs", "ak.pem"])
def test_partial_quote_is_unusable_not_no_evidence(healthy: Path, name: str) -> None:
    (healthy / name).unlink()
    with pytest.raises(DataError, match=f"{name}: missing") as e:
        Evidence.load(healthy)
    assert not isinstance(e.value, NoQuoteError)
    assert str(healthy / name) in str(e.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("quote.msg", b"x" * ((1 << 20) + 1), "is larger than the 1 MiB"),
        ("ak.pem", b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", "unreadable PEM"),
        ("ak.pem", b"hello", "ak.pem"),
        ("nonce.hex", b"xyz\n", "the nonce is not hex text"),
        ("nonce.hex", b"abc\n", "the nonce is not hex text"),
        ("nonce.hex", b"ab cd\n", "the nonce is not hex text"),
        ("nonce.hex", b"\xff\xfe", "the nonce is not hex text"),
        ("quote.pcrs", b"\x01\x02\x03", "not a tpm2-tools PCR values file"),
        ("ak-chain.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "unreadable PEM"),
        ("ak-chain.pem", b"no pem here", "no PEM certificate"),
        ("boot.json", b"[1, 2]", "must be a JSON object"),
        ("boot.json", b"{", "not JSON"),
        ("boot.json", b"\xff", "not UTF-8"),
    ],
)
def test_every_bad_file_raises_a_tlkit_error_naming_it(
    healthy: Path, name: str, content: bytes, message: str
) -> None:
    (healthy / name).write_bytes(content)
    with pytest.raises(TlkitError) as e:
        Evidence.load(healthy)
    assert str(healthy / name) in str(e.value)
    assert message in str(e.value)


def test_an_oversized_event_log_is_refused_by_its_own_cap(healthy: Path) -> None:
    with (healthy / "eventlog.bin").open("wb") as f:
        f.truncate((64 << 20) + 1)  # sparse: no 64 MiB written
    with pytest.raises(DataError, match=r"eventlog\.bin: event log is larger than the 64 MiB"):
        Evidence.load(healthy)


def test_a_file_that_is_not_a_regular_file(healthy: Path) -> None:
    (healthy / "eventlog.bin").unlink()
    (healthy / "eventlog.bin").mkdir()
    with pytest.raises(DataError, match=r"eventlog\.bin: the event log is not a regular file"):
        Evidence.load(healthy)


def test_a_bad_ak_pem_is_a_parse_error(healthy: Path) -> None:
    (healthy / "ak.pem").write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ParseError):
        Evidence.load(healthy)


def test_a_corrupt_quote_message_loads_and_is_the_verifiers_verdict(healthy: Path) -> None:
    msg = bytearray((healthy / "quote.msg").read_bytes())
    msg[-1] ^= 1
    (healthy / "quote.msg").write_bytes(bytes(msg))
    ev = Evidence.load(healthy)
    assert verify_quote(ev.message, ev.signature, ev.pcrs, ev.nonce, ev.ak).reasons == (
        "signature-invalid",
        "pcr-digest-mismatch",
    )


# ---------------------------------------------------------------------- optional files
def test_optional_files(healthy: Path) -> None:
    for name in ("nonce.hex", "eventlog.bin", "boot.json"):
        (healthy / name).unlink()
    ev = Evidence.load(healthy)
    assert (ev.nonce, ev.eventlog, ev.guest_report, ev.ak_chain) == (None, None, None, ())
    assert sorted(ev.files()) == ["ak.pem", "quote.msg", "quote.pcrs", "quote.sig"]


def test_empty_nonce_and_empty_log_are_not_absent(healthy: Path) -> None:
    (healthy / "nonce.hex").write_bytes(b"")
    (healthy / "eventlog.bin").write_bytes(b"")
    ev = Evidence.load(healthy)
    assert ev.nonce == b""
    assert ev.eventlog == b""
    assert ev.files()["nonce.hex"] == b""  # the original bytes are kept


def test_raw_pcr_values_file_reads_with_the_quotes_selection(healthy: Path, tmp_path: Path) -> None:
    ev = Evidence.load(healthy)
    raw = write_pcrs_raw(ev.pcrs)  # tpm2_quote -F values
    (healthy / "quote.pcrs").write_bytes(raw)
    again = Evidence.load(healthy)
    assert again.pcrs == ev.pcrs
    assert again.files()["quote.pcrs"] == raw
    assert verify_quote(again.message, again.signature, again.pcrs, again.nonce, again.ak).passed


def test_changed_fields_are_re_encoded(healthy: Path) -> None:
    ev = Evidence.load(healthy)
    changed = dataclasses.replace(ev, nonce=b"\x01\x02", guest_report={"note": "edited"})
    files = changed.files()
    assert files["nonce.hex"] == b"0102\n"
    assert json.loads(files["boot.json"]) == {"note": "edited"}
    assert files["quote.pcrs"] == (healthy / "quote.pcrs").read_bytes()


def test_save_refuses_to_mix_and_overwrite_leaves_nothing_stale(healthy: Path, tmp_path: Path) -> None:
    ev = Evidence.load(healthy)
    with pytest.raises(DataError, match="already holds"):
        ev.save(healthy)
    no_log = dataclasses.replace(ev, eventlog=None)
    (healthy / "notes.txt").write_text("mine")
    no_log.save(healthy, overwrite=True)
    assert not (healthy / "eventlog.bin").exists()
    assert (healthy / "notes.txt").read_text() == "mine"
    assert Evidence.load(healthy) == no_log
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(DataError, match="not a directory"):
        ev.save(tmp_path / "f")


def test_evidence_refuses_a_non_key() -> None:
    ev = azure_document("2d056151df3d")
    with pytest.raises(DataError, match="ak must be an RSA or EC public key"):
        dataclasses.replace(ev, ak=b"pem bytes")  # type: ignore[arg-type]


# ------------------------------------------------------------------ real Azure documents
@pytest.mark.parametrize("vm", sorted(DOCUMENTS))
def test_azure_document_as_evidence(vm: str, tmp_path: Path) -> None:
    path = fixture_path(DOCUMENTS[vm])
    ev = Evidence.from_azure_document(path)
    assert ev.source == str(path)
    assert ev.nonce == b""
    assert ev.eventlog is None
    assert ev.guest_report is None
    assert ev.ak == ev.ak_chain[0].public_key()
    assert f"CN={vm}.TrustedVM.Azure.Microsoft" == ev.ak_chain[0].subject.rfc4514_string()
    assert [(a.name, p) for a, p in ev.pcrs.selection.items()] == [("sha256", tuple(range(24)))]
    doc = json.loads(path.read_bytes())
    slots = doc["quote"]["pcr_data"]["data"][0][1]["bank"]
    assert ev.pcrs.get("sha256", 7).hex() == slots["Slot7"]
    assert ev.message == base64.b64decode(doc["quote"]["message"])
    assert verify_quote(ev.message, ev.signature, ev.pcrs, b"", ev.ak).passed
    # the same document as bytes, as a dict and as a saved directory
    assert Evidence.from_azure_document(path.read_bytes()) == ev
    assert Evidence.from_azure_document(doc) == ev
    ev.save(tmp_path / vm)
    assert sorted(p.name for p in (tmp_path / vm).iterdir()) == [
        "ak-chain.pem",
        "ak.pem",
        "nonce.hex",
        "quote.msg",
        "quote.pcrs",
        "quote.sig",
    ]
    assert (tmp_path / vm / "nonce.hex").read_bytes() == b"\n"
    assert load_ak_chain((tmp_path / vm / "ak-chain.pem").read_bytes()) == ev.ak_chain
    again = Evidence.load(tmp_path / vm)
    assert again == ev
    assert again.files() == ev.files()


def _doc() -> dict:  # type: ignore[type-arg]
    return json.loads(fixture_path(DOCUMENTS["2d056151df3d"]).read_bytes())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("doctor", "message"),
    [
        (lambda d: d.pop("quote"), "'quote' missing"),
        (lambda d: d.pop("ak_cert_chain"), "'ak_cert_chain' missing"),
        (lambda d: d.__setitem__("ak_cert_chain", []), "'ak_cert_chain' is empty"),
        (lambda d: d["quote"].__setitem__("message", "!!"), "message is not base64"),
        (
            lambda d: d["ak_cert_chain"].__setitem__(1, "AAAA"),
            "ak_cert_chain[1] is not a DER X.509 certificate",
        ),
        (lambda d: d["ak_cert_chain"].__setitem__(0, 5), "ak_cert_chain[0] is not a base64 string"),
        (
            lambda d: d["quote"]["pcr_data"]["data"][0][1]["bank"].__setitem__("Slot", "00"),
            "is not 'Slot<n>'",
        ),
        (lambda d: d["quote"]["pcr_data"]["data"][0][1]["bank"].__setitem__("Slot3", "00"), "sha256 PCR 3"),
        (
            lambda d: d["quote"]["pcr_data"]["data"][0].__setitem__(0, "Md5"),
            "unknown hash algorithm name 'md5'",
        ),
        (lambda d: d["quote"]["pcr_data"].__setitem__("data", []), "holds no PCR bank"),
    ],
)
def test_malformed_azure_documents_are_named(doctor: object, message: str) -> None:
    doc = _doc()
    doctor(doc)  # type: ignore[operator]
    with pytest.raises(TlkitError) as e:
        Evidence.from_azure_document(doc)
    assert message in str(e.value)


def test_azure_document_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read the Azure attestation document"):
        Evidence.from_azure_document(tmp_path / "missing.json")
    (tmp_path / "x.json").write_bytes(b"[]")
    with pytest.raises(DataError, match=r"x\.json: the Azure attestation document must be a JSON object"):
        Evidence.from_azure_document(tmp_path / "x.json")
    with pytest.raises(DataError, match="is a path, bytes or a dict"):
        Evidence.from_azure_document(42)  # type: ignore[arg-type]


def test_evidence_file_names_are_the_simulators() -> None:
    from tlkit.boot._scenarios import EVIDENCE_FILES as SIMULATED

    assert set(SIMULATED) <= set(EVIDENCE_FILES)


def test_load_evidence_takes_a_directory_or_an_azure_document(healthy: Path) -> None:
    assert load_evidence(healthy) == Evidence.load(healthy)
    path = fixture_path(DOCUMENTS["2d056151df3d"])
    assert load_evidence(path) == Evidence.from_azure_document(path)
    assert has_quote(healthy)
