"""``tlkit quote ...`` sub-commands (wired into :mod:`tlkit.cli`).

``tlkit quote verify --ak AK --msg quote.msg --sig quote.sig --pcrs quote.pcrs --nonce HEX``
verifies tpm2-tools quote files like ``tpm2_checkquote``: exit 0 when the quote passes, 1 when it
fails (reasons printed; a message that is not a well-formed quote is the ``not-a-quote`` verdict,
whichever PCR file format is given), 2 when the input is unusable (unreadable files, a key that is
not a key or of an unsupported algorithm, a PCR file that does not parse).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tlkit.errors import DataError, ParseError
from tlkit.tpm._attest import Attest, QuoteInfo
from tlkit.tpm._files import is_serialized_pcrs, read_pcrs
from tlkit.tpm._public import load_public_key
from tlkit.tpm._selection import PcrSelection
from tlkit.tpm._signature import Signature
from tlkit.tpm._verify import QuoteVerification, verify_quote

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``quote`` and its sub-commands to the ``tlkit`` parser."""
    quote = subparsers.add_parser("quote", help="TPM 2.0 quotes: verify tpm2-tools quote files")
    sub = quote.add_subparsers(dest="quote_command", required=True, metavar="SUBCOMMAND")
    v = sub.add_parser(
        "verify",
        help="verify a quote (signature, nonce, PCR selection and digest)",
        description="Verify a TPM2 quote from tpm2-tools files. Exit 0 pass, 1 fail, 2 unusable input.",
    )
    v.add_argument(
        "--ak", required=True, type=Path, help="AK public key: PEM/DER, TPM2B_PUBLIC or TPMT_PUBLIC"
    )
    v.add_argument("--msg", required=True, type=Path, help="quote message (TPMS_ATTEST, tpm2_quote -m)")
    v.add_argument("--sig", required=True, type=Path, help="quote signature (TPMT_SIGNATURE, tpm2_quote -s)")
    v.add_argument(
        "--sig-raw-rsassa",
        metavar="HASH",
        help="--sig holds a bare PKCS#1 v1.5 signature with this hash (e.g. sha256; Azure HCL quotes)",
    )
    v.add_argument(
        "--pcrs",
        required=True,
        type=Path,
        help="PCR values: tpm2-tools serialized file (tpm2_quote -o) or raw values (tpm2_pcrread -o)",
    )
    nonce = v.add_mutually_exclusive_group()
    nonce.add_argument("--nonce", default="", help="expected nonce (qualifying data) as hex; default empty")
    nonce.add_argument("--nonce-text", help="expected nonce as UTF-8 text (e.g. 'challenge')")
    v.add_argument(
        "--selection",
        help="selection of a raw PCR values file, e.g. sha256:0,1,2 (default: the quote's own selection)",
    )
    v.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    v.set_defaults(func=_verify)


def _verify(args: argparse.Namespace) -> int:
    ak = load_public_key(args.ak.read_bytes())
    message = args.msg.read_bytes()
    sig_bytes = args.sig.read_bytes()
    signature: bytes | Signature = (
        Signature.rsassa(sig_bytes, args.sig_raw_rsassa) if args.sig_raw_rsassa else sig_bytes
    )
    if args.nonce_text is not None:
        nonce = args.nonce_text.encode()
    else:
        try:
            nonce = bytes.fromhex(args.nonce)
        except ValueError:
            raise DataError(f"--nonce is not hex: {args.nonce!r}", field="nonce") from None
    data = args.pcrs.read_bytes()
    selection: PcrSelection | None = None
    if args.selection:
        selection = PcrSelection.parse_spec(args.selection)
    elif not is_serialized_pcrs(data):
        try:
            attested = Attest.from_bytes(message).attested
        except ParseError:
            attested = b""
        if not isinstance(attested, QuoteInfo):
            result = verify_quote(message, signature, {}, nonce, ak)  # reports not-a-quote
            return _report(result, args.format)
        selection = attested.pcr_select
    pcrs = read_pcrs(data, selection)
    return _report(verify_quote(message, signature, pcrs, nonce, ak), args.format)


def _report(result: QuoteVerification, fmt: str) -> int:
    if fmt == "json":
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    elif result.passed:
        print("PASS")
    else:
        print("FAIL: " + ", ".join(result.reasons))
    return 0 if result.passed else 1
