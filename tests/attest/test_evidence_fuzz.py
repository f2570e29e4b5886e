"""Fuzzing the evidence loaders: whatever the files hold, only ``tlkit.errors`` exceptions escape,
and whatever loads saves back to the same bytes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attest._pki import DOCUMENTS
from tests.conftest import fixture_path
from tlkit.attest._evidence import EVIDENCE_FILES, Evidence, NoQuoteError
from tlkit.boot._scenarios import scenario_evidence
from tlkit.errors import TlkitError

_FILES = scenario_evidence("healthy-ubuntu-sb")
_AZURE = fixture_path(DOCUMENTS["2d056151df3d"]).read_bytes()


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["random", "flip", "truncate", "append"]))
    if kind == "random" or not data:
        return draw(st.binary(max_size=300))
    if kind == "flip":
        i = draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :]
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    return data + draw(st.binary(min_size=1, max_size=40))


@st.composite
def _directories(draw: st.DrawFn) -> dict[str, bytes]:
    """The healthy simulator directory with files removed, replaced by junk or mutated, plus
    sometimes an AK chain (valid or not)."""
    files = dict(_FILES)
    for name in draw(st.lists(st.sampled_from(EVIDENCE_FILES), max_size=4, unique=True)):
        action = draw(st.sampled_from(["drop", "mutate"]))
        if action == "drop":
            files.pop(name, None)
        else:
            files[name] = _mutate(files.get(name, b""), draw)
    return files


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_directories())
def test_load_raises_only_tlkit_errors_and_round_trips(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "ev"
        d.mkdir()
        for name, data in files.items():
            (d / name).write_bytes(data)
        error: TlkitError | None = None
        try:
            ev = Evidence.load(d)
        except TlkitError as e:
            error = e
        if isinstance(error, NoQuoteError):
            assert not any(n in files for n in ("quote.msg", "quote.sig", "quote.pcrs"))
        if error is not None:
            assert str(d) in str(error)  # every error names the file (or the directory)
            return
        assert ev.files() == files  # what loads is kept byte for byte
        ev.save(Path(tmp) / "out")
        assert Evidence.load(Path(tmp) / "out") == ev


def _json_values() -> st.SearchStrategy[Any]:
    leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    )


@st.composite
def _azure_documents(draw: st.DrawFn) -> Any:
    """The real document with one field replaced by any JSON value, or random JSON."""
    if draw(st.booleans()):
        return draw(_json_values())
    doc = json.loads(_AZURE)
    path = draw(
        st.sampled_from(
            [
                ("quote",),
                ("quote", "message"),
                ("quote", "signature"),
                ("quote", "pcr_data"),
                ("quote", "pcr_data", "data"),
                ("ak_cert_chain",),
                ("ak_cert_chain", 0),
                ("ak_cert_chain", 2),
            ]
        )
    )
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = draw(_json_values())
    return doc


@given(_azure_documents())
def test_from_azure_document_raises_only_tlkit_errors(doc: Any) -> None:
    try:
        ev = Evidence.from_azure_document(doc if isinstance(doc, dict) else json.dumps(doc).encode())
    except TlkitError:
        return
    assert ev.nonce == b""


@given(st.binary(max_size=400))
def test_from_azure_document_bytes_raise_only_tlkit_errors(data: bytes) -> None:
    with pytest.raises(TlkitError):
        Evidence.from_azure_document(data)
