"""TPM 2.0 structures, PCR banks, a virtual TPM and quote verification.

What it does:

- byte-exact encode/decode of the TPM wire structures a quote involves: TPML_PCR_SELECTION
  (:class:`PcrSelection`), TPMS_ATTEST (:class:`Attest`, :class:`ClockInfo`, :class:`QuoteInfo`),
  TPMT_SIGNATURE (:class:`Signature`: RSASSA, RSAPSS, ECDSA) and TPMT_PUBLIC / TPM2B_PUBLIC
  for RSA and ECC keys (:class:`PublicArea`, Names, conversion to/from ``cryptography`` keys);
- byte layouts (:meth:`Attest.layout`, :meth:`Signature.layout` → :class:`ByteLayout` of
  :class:`FieldSpan`): which bytes hold which field, recorded by the decoders themselves;
- PCR banks with extend, reset and startup locality (:class:`PcrBanks`, :class:`PcrValues`), and
  :func:`extend_steps`: the values one PCR takes over a sequence of measurements;
- :class:`VirtualTpm`: a seeded, deterministic software TPM with an EK and an AK that produces
  the same three artefacts as ``tpm2_quote`` (message, signature, PCR values);
- :func:`verify_quote`: signature, magic, type, nonce, PCR selection and digest checks, with a
  frozen :class:`QuoteVerification` verdict carrying machine-readable ``reasons``;
  :func:`tamper_quote`: flip bytes of a quote field by field and record each verdict;
- tpm2-tools file formats for PCR values (:func:`read_pcrs` auto-detects the serialized file of
  ``tpm2_quote -o`` versus raw ``tpm2_pcrread -o`` values).

What it does not do: talk to a real TPM (see :mod:`tlkit.lab`), parse event logs or replay them
(:mod:`tlkit.eventlog`), judge whether PCR values are *good* (baselines), validate EK/AK
certificates, or model TPM sessions, policies, NV storage or the command interface.
All ``parse``/``from_bytes`` results are unverified data until :func:`verify_quote` passes.
"""

from tlkit.tpm._alg import HASH_ALGS, HashAlg, hash_alg
from tlkit.tpm._attest import (
    ATTEST_TYPE_NAMES,
    TPM_GENERATED_VALUE,
    TPM_ST_ATTEST_QUOTE,
    Attest,
    ClockInfo,
    QuoteInfo,
)
from tlkit.tpm._files import is_serialized_pcrs, read_pcrs, write_pcrs_raw, write_pcrs_serialized
from tlkit.tpm._layout import ByteLayout, FieldSpan
from tlkit.tpm._pcr import PCR_COUNT, ExtendStep, ExtendTrace, PcrBanks, PcrValues, extend_steps
from tlkit.tpm._public import AK_ATTRIBUTES, TPM_ALG_ECC, TPM_ALG_RSA, PublicArea, load_public_key
from tlkit.tpm._selection import PcrSelection, parse_pcr_list
from tlkit.tpm._signature import SIG_ALG_NAMES, TPM_ALG_ECDSA, TPM_ALG_RSAPSS, TPM_ALG_RSASSA, Signature
from tlkit.tpm._tamper import TamperOutcome, TamperReport, tamper_quote
from tlkit.tpm._verify import REASONS, QuoteVerification, verify_quote
from tlkit.tpm._vtpm import Quote, VirtualTpm

__all__ = [
    "AK_ATTRIBUTES",
    "ATTEST_TYPE_NAMES",
    "HASH_ALGS",
    "PCR_COUNT",
    "REASONS",
    "SIG_ALG_NAMES",
    "TPM_ALG_ECC",
    "TPM_ALG_ECDSA",
    "TPM_ALG_RSA",
    "TPM_ALG_RSAPSS",
    "TPM_ALG_RSASSA",
    "TPM_GENERATED_VALUE",
    "TPM_ST_ATTEST_QUOTE",
    "Attest",
    "ByteLayout",
    "ClockInfo",
    "ExtendStep",
    "ExtendTrace",
    "FieldSpan",
    "HashAlg",
    "PcrBanks",
    "PcrSelection",
    "PcrValues",
    "PublicArea",
    "Quote",
    "QuoteInfo",
    "QuoteVerification",
    "Signature",
    "TamperOutcome",
    "TamperReport",
    "VirtualTpm",
    "extend_steps",
    "hash_alg",
    "is_serialized_pcrs",
    "load_public_key",
    "parse_pcr_list",
    "read_pcrs",
    "tamper_quote",
    "verify_quote",
    "write_pcrs_raw",
    "write_pcrs_serialized",
]
