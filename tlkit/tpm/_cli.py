"""``tlkit quote ...`` sub-commands (wired into :mod:`tlkit.cli`).

``tlkit quote verify --ak AK --msg quote.msg --sig quote.sig --pcrs quote.pcrs --nonce HEX``
verifies tpm2-tools quote files like ``tpm2_checkquote``: exit 0 when the quote passes, 1 when it
fails (reasons printed; a message that is not a well-formed quote is the ``not-a-quote`` verdict,
whichever PCR file format is given), 2 when the input is unusable (unreadable or oversized files, a
key that is not a key or of an unsupported algorithm, a PCR file that does not parse, a bad
``--selection`` or nonce).

Each input file is read through :func:`tlkit._io.read_input`, capped at
:data:`tlkit._io.SMALL_FILE_CAP`. ``--format json`` adds ``"pcrs"``: the quoted PCR values as
``{bank: {pcr: hex}}`` (only the PCRs the quote selects, in its order), the shape
``tlkit eventlog verify --pcrs`` reads.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from tlkit._io import SMALL_FILE_CAP, naming, read_input
from tlkit.errors import DataError, ParseError
from tlkit.tpm._attest import Attest, QuoteInfo
from tlkit.tpm._files import is_serialized_pcrs, read_pcrs
from tlkit.tpm._pcr import PcrValues
from tlkit.tpm._public import load_public_key
from tlkit.tpm._selection import PcrSelection, parse_pcr_list
from tlkit.tpm._signature import Signature
from tlkit.tpm._verify import QuoteVerification, verify_quote

__all__ = ["parse_selection", "register"]


def parse_selection(specs: Sequence[str]) -> PcrSelection:
    """A PCR selection from one or more ``--selection`` values.

    Each value is ``BANK:PCRS`` groups joined by ``+`` (or ``;``, as tpm2-tools writes them), e.g.
    ``sha256:0-23``, ``sha1:0,1+sha256:0-7``, ``sha256:all``; PCRS is a comma list of decimal
    indices and ``N-M`` ranges (inclusive). Repeated values and repeated banks add up (banks keep
    the order they first appear in).

    Raises:
        DataError: a group that is not ``BANK:PCRS``, an unknown bank, a bad index or range; the
            message names the offending token.
    """
    banks: dict[str, list[int]] = {}
    for spec in specs:
        for group in spec.replace(";", "+").split("+"):
            part = group.strip()
            if not part:
                continue
            name, sep, pcrs = part.partition(":")
            if not sep or not name.strip():
                raise DataError(f"selection {part!r} is not BANK:PCRS (e.g. sha256:0-7)", field="selection")
            banks.setdefault(name.strip().lower(), []).extend(parse_pcr_list(pcrs, spec))
    if not banks:
        raise DataError("empty PCR selection", field="selection")
    return PcrSelection.of(banks)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``quote`` and its sub-commands to the ``tlkit`` parser."""
    quote = subparsers.add_parser("quote", help="TPM 2.0 quotes: verify tpm2-tools quote files")
    sub = quote.add_subparsers(dest="quote_command", required=True, metavar="SUBCOMMAND", help="action")
    v = sub.add_parser(
        "verify",
        help="verify a quote (signature, nonce, PCR selection and digest)",
        description="Verify a TPM2 quote from tpm2-tools files. Exit 0 pass, 1 fail, 2 unusable input.",
    )
    v.add_argument("--ak", required=True, help="AK public key: PEM/DER, TPM2B_PUBLIC or TPMT_PUBLIC")
    v.add_argument("--msg", required=True, help="quote message (TPMS_ATTEST, tpm2_quote -m)")
    v.add_argument("--sig", required=True, help="quote signature (TPMT_SIGNATURE, tpm2_quote -s)")
    v.add_argument(
        "--sig-raw-rsassa",
        metavar="HASH",
        help="--sig holds a bare PKCS#1 v1.5 signature with this hash (e.g. sha256; Azure HCL quotes)",
    )
    v.add_argument(
        "--pcrs",
        required=True,
        help="PCR values: tpm2-tools serialized file (tpm2_quote -o) or raw values (tpm2_pcrread -o)",
    )
    nonce = v.add_mutually_exclusive_group()
    nonce.add_argument("--nonce", default="", help="expected nonce (qualifying data) as hex; default empty")
    nonce.add_argument("--nonce-text", help="expected nonce as UTF-8 text (e.g. 'challenge')")
    v.add_argument(
        "--selection",
        action="append",
        metavar="BANK:PCRS",
        help="selection of a raw PCR values file, e.g. sha256:0-23 or sha1:0,1+sha256:0-7 "
        "(repeatable; default: the quote's own selection)",
    )
    v.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json includes the quoted PCR values as 'pcrs' {bank: {pcr: hex}} "
        "(default: text)",
    )
    v.set_defaults(func=_verify)


def _read(path: str, what: str) -> bytes:
    return read_input(path, what, SMALL_FILE_CAP)


def _nonce(args: argparse.Namespace) -> bytes:
    if args.nonce_text is not None:
        try:
            return bytes(args.nonce_text.encode("utf-8"))
        except UnicodeEncodeError:
            raise DataError(
                "--nonce-text is not valid text (undecodable bytes on the command line); "
                "give the nonce as hex with --nonce",
                field="nonce",
            ) from None
    try:
        return bytes.fromhex(args.nonce)
    except ValueError:
        raise DataError(f"--nonce is not hex: {args.nonce!r}", field="nonce") from None


def _quote_selection(message: bytes) -> PcrSelection | None:
    """The PCR selection of a quote message, or None if the message is not a well-formed quote."""
    try:
        attested = Attest.from_bytes(message).attested
    except ParseError:
        return None
    return attested.pcr_select if isinstance(attested, QuoteInfo) else None


def _verify(args: argparse.Namespace) -> int:
    ak_bytes = _read(args.ak, "AK public key")
    with naming(args.ak):
        ak = load_public_key(ak_bytes)
    message = _read(args.msg, "quote message")
    sig_bytes = _read(args.sig, "quote signature")
    signature: bytes | Signature = sig_bytes
    if args.sig_raw_rsassa:
        with naming("--sig-raw-rsassa"):
            signature = Signature.rsassa(sig_bytes, args.sig_raw_rsassa)
    nonce = _nonce(args)
    data = _read(args.pcrs, "PCR values file")
    quoted = _quote_selection(message)
    selection = parse_selection(args.selection) if args.selection else None
    if selection is None and not is_serialized_pcrs(data):
        if quoted is None:
            return _report(verify_quote(message, signature, {}, nonce, ak), None, args.format)  # not-a-quote
        selection = quoted
    with naming(args.pcrs):
        pcrs = read_pcrs(data, selection)
    return _report(
        verify_quote(message, signature, pcrs, nonce, ak), _quoted_values(pcrs, quoted), args.format
    )


def _quoted_values(pcrs: PcrValues, quoted: PcrSelection | None) -> PcrValues | None:
    """The values of the PCRs the quote selects, in its order (None if the file lacks some)."""
    if quoted is None:
        return None
    try:
        return PcrValues.from_dict(pcrs.as_dict(), selection=quoted)
    except DataError:
        return None


def _report(result: QuoteVerification, quoted: PcrValues | None, fmt: str) -> int:
    if fmt == "json":
        doc = result.to_dict()
        if quoted is not None:
            doc["pcrs"] = quoted.to_hex_dict()
        print(json.dumps(doc, indent=2, sort_keys=True))
    elif result.passed:
        print("PASS")
    else:
        print("FAIL: " + ", ".join(result.reasons))
    return 0 if result.passed else 1
