"""``tlkit._io``: the CLI's bounded reader and terminal-safe text."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlkit._io import EVENT_LOG_CAP, SMALL_FILE_CAP, naming, read_input, read_json, read_text, terminal_safe
from tlkit.errors import DataError, ParseError


def test_caps() -> None:
    assert (EVENT_LOG_CAP, SMALL_FILE_CAP) == (64 << 20, 1 << 20)


def test_read_input_takes_the_cap_and_refuses_one_byte_more(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"x" * 100)
    assert read_input(p, "thing", 100) == b"x" * 100
    with pytest.raises(DataError) as e:
        read_input(p, "thing", 99)
    assert str(e.value) == f"{p}: thing is larger than the 99 bytes the command reads"


def test_special_files_are_bounded() -> None:
    """/dev/zero has size 0 to stat and never ends: the reader stops at cap + 1 bytes."""
    with pytest.raises(DataError, match=r"^/dev/zero: key is larger than the 1 MiB the command reads$"):
        read_input("/dev/zero", "key", SMALL_FILE_CAP)
    assert read_input("/dev/null", "key", SMALL_FILE_CAP) == b""


def test_os_errors_propagate_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        read_input(tmp_path / "missing", "thing", 10)
    assert e.value.filename == str(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        read_input(tmp_path, "thing", 10)


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"\x00\x01abc")))
    assert read_input("-", "thing", 10) == b"\x00\x01abc"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"a" * 11)))
    with pytest.raises(DataError, match=r"^-: thing is larger"):
        read_input("-", "thing", 10)


def test_read_text_and_json(tmp_path: Path) -> None:
    p = tmp_path / "t.json"
    p.write_bytes(b'\xef\xbb\xbf{"a": [1]}')  # a BOM is accepted
    assert read_text(p, "table", 100) == '{"a": [1]}'
    assert read_json(p, "table", 100) == {"a": [1]}
    p.write_bytes(b'{"a": "caf\xe9"}')
    with pytest.raises(DataError, match=r"table is not UTF-8 text \(byte 0xe9 at offset 10\)$"):
        read_text(p, "table", 100)
    p.write_text('{"a": }')
    with pytest.raises(DataError, match=r"table is not JSON \(Expecting value at line 1 column 7\)$"):
        read_json(p, "table", 100)
    p.write_text("[" * 100_000)
    with pytest.raises(DataError, match=r"table is nested too deeply to read$"):
        read_json(p, "table", 1 << 20)
    p.write_text("9" * 5000)
    with pytest.raises(DataError, match="table is not usable JSON"):
        read_json(p, "table", 1 << 20)


def test_naming_prefixes_the_source_and_keeps_the_error() -> None:
    with pytest.raises(ParseError) as e, naming("log.bin"):
        raise ParseError("truncated", offset=7, index=2)
    assert str(e.value) == "log.bin: truncated [record 2, offset 7 (0x7)]"
    assert (e.value.offset, e.value.index) == (7, 2)
    with pytest.raises(ValueError, match=r"^plain$"), naming("x"):
        raise ValueError("plain")  # not a tlkit error: untouched


@pytest.mark.parametrize(
    ("text", "keep", "shown"),
    [
        ("plain text, \\EFI\\BOOT\\grubx64.efi", "", "plain text, \\EFI\\BOOT\\grubx64.efi"),
        ("a\x1b[31mred\x07\r", "", "a\\x1b[31mred\\x07\\x0d"),
        ("two\nlines\tand tab", "", "two\\x0alines\\x09and tab"),
        ("two\nlines", "\n", "two\nlines"),
        ("bidi \u202eevil", "", "bidi \\u202eevil"),
        ("surrogate \udcff", "", "surrogate \\udcff"),
        ("line\u2028sep \x85 nel", "", "line\\u2028sep \\x85 nel"),
        ("unassigned \U000e0001", "", "unassigned \\U000e0001"),
        ("émoji 😀 ok", "", "émoji 😀 ok"),
    ],
)
def test_terminal_safe(text: str, keep: str, shown: str) -> None:
    assert terminal_safe(text, keep) == shown


@given(st.text())
def test_terminal_safe_output_is_printable_and_encodable(text: str) -> None:
    shown = terminal_safe(text)
    assert shown.isprintable()
    shown.encode("utf-8")  # no lone surrogate left
    kept = terminal_safe(text, keep="\n")
    assert kept.replace("\n", "").isprintable()
    assert kept.count("\n") == text.count("\n")
    if text.isprintable():
        assert shown == text


@given(st.binary(max_size=200))
def test_read_json_only_raises_data_errors(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    p = tmp_path_factory.mktemp("j") / "f.json"
    p.write_bytes(data)
    try:
        value = read_json(p, "table", 1 << 20)
    except DataError:
        return
    assert json.dumps(json.loads(data.decode("utf-8-sig"))) == json.dumps(value)  # NaN-safe
