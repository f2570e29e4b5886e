"""TCG PC Client firmware event logs: parse, write, replay, verify, explain.

What this package does:

* :func:`parse` reads both binary formats (SHA1 ``TCG_PCClientPCREvent`` logs as written by Windows
  and older Linux/GCE firmware, and crypto-agile logs with a Spec ID Event03 header and any digest
  algorithms it lists) into an :class:`EventLog` of :class:`Event` objects. Payloads (UEFI
  variables with signature lists and X.509 certificates, image loads with device paths, GPT, IPL
  strings, EV_NO_ACTION records, Windows SIPA tags...) are decoded lazily; an undecodable payload
  is kept as raw bytes with :attr:`Event.payload_error`.
* :func:`write` serialises a log back (byte-identical after parse) or converts its format.
* :meth:`EventLog.replay` / :meth:`EventLog.replay_all` compute PCR values (StartupLocality,
  H-CRTM and DRTM initial values, every EV_NO_ACTION skipped).
* :meth:`EventLog.verify` checks that the log explains PCR values, under the evidence policy listed
  in one place, ``tlkit.eventlog._policy`` (reason codes per rule): every given PCR replays to its
  value or is at its reset value with no event (``pcr-not-covered:N``); events on those PCRs have
  types the PC Client PFP allows there, in its order (:data:`PCR_EVENT_TYPES`,
  :class:`PolicyViolation`); data is what its digest measured wherever the digest is derivable
  (:meth:`Event.data_matches_digest`, :class:`PayloadMismatch`). Named firmware :data:`KNOWN_QUIRKS`
  (the three ExitBootServices workarounds of go-attestation: :data:`EBS_MISSING`,
  :data:`EBS_FAILURE_MISSING`, :data:`EBS_FAILURE_SUCCESS_MISSING`) are tried only on failure and
  reported. Without a bank, a log uses its :attr:`EventLog.default_bank` (sha256, else its strongest).
  :meth:`EventLog.diff` pinpoints the first differing event against a known-good log.
* :meth:`EventLog.replay_trace` / :meth:`EventLog.prefix_replays` give the replay step by step
  (one pass), and :func:`boot_stages` cuts the log at each EFI application load and at
  ExitBootServices — reading aids for notebooks, widgets and figures (:mod:`tlkit.viz.eventlog`).
* :func:`secure_boot_state` summarises Secure Boot from the log (variables, authorities, shim),
  using only events whose digest is the hash of their data, and names re-typed, late or duplicate
  PCR 7 events in machine-readable notes (:data:`ANOMALIES`).
* :func:`windows_boot_config` reads the Windows boot configuration (debugging, test signing, code
  integrity, ELAM, VBS/HVCI, Credential Guard) from the WBCL SIPA events (EV_EVENT_TAG) on PCRs
  12-13; :func:`decode_tagged_events` / :func:`encode_tagged_events` read and write SIPA records.
* Checking a quote and its log together is the verifier's job, in one place:
  :func:`tlkit.attest.verify` (the quote, then :meth:`EventLog.verify` on the quoted PCR values).

Quick start::

    from tlkit.eventlog import parse, secure_boot_state
    log = parse(open("binary_bios_measurements", "rb").read())   # unverified
    log.format, log.banks, len(log)                # 'crypto-agile', ('sha1', 'sha256'), 121
    log[4].type_name, log[4].description          # 'EV_EFI_VARIABLE_DRIVER_CONFIG', 'SecureBoot = enabled'
    log.to_frame()                                 # one row per event (pandas)
    log.replay()                                   # {pcr: bytes} the log implies (log.default_bank)
    result = log.verify(quoted_pcrs)               # ReplayResult: passed, reasons, divergences
    log.verify(quoted_pcrs, only=range(10))        # check PCRs 0-9 only (e.g. 10 is IMA's)
    result.payload_mismatches                      # events whose data is not what their digest hashed
    log[4].data_matches_digest("sha256")           # True / False / None (digest not defined from data)
    log.verified_events(result)                    # events of the PCRs that matched (result of this log only)
    secure_boot_state(log).db.subjects             # certificates in db, as logged
    secure_boot_state(log).anomalies               # () unless PCR 7 was re-typed, reordered, edited

What it does not do: it trusts nothing on its own. Everything :func:`parse` returns is unverified —
the event type and data are not covered by the PCR extend — until the replay has been matched
against PCR values from a quote whose signature was verified (:func:`tlkit.attest.verify`). It
does not verify quotes itself, verify Authenticode signatures, re-hash binaries, or parse IMA or
CEL logs.
"""

from __future__ import annotations

from tlkit.eventlog._devicepath import DevicePath, DevicePathNode, parse_device_path
from tlkit.eventlog._diff import LogDiff, PcrDifference
from tlkit.eventlog._model import Event, EventLog, LogFormat, make_event
from tlkit.eventlog._parse import parse, write
from tlkit.eventlog._payloads import (
    CertificateInfo,
    FirmwareBlob,
    GptData,
    GptPartition,
    HandoffTables,
    ImageLoad,
    LoadOption,
    NoActionEvent,
    PostCode,
    Separator,
    SignatureList,
    SpecIdAlgorithm,
    SpecIdEvent,
    StartupLocality,
    TaggedEvent,
    TaggedEvents,
    TextEvent,
    UefiVariable,
    parse_signature_lists,
)
from tlkit.eventlog._policy import FIRMWARE_PCRS, PCR_EVENT_TYPES, PolicyViolation
from tlkit.eventlog._quirks import (
    EBS_FAILURE_MISSING,
    EBS_FAILURE_SUCCESS_MISSING,
    EBS_MISSING,
    KNOWN_QUIRKS,
    Quirk,
)
from tlkit.eventlog._replay import ChainStep, initial_pcr_value
from tlkit.eventlog._secureboot import (
    ANOMALIES,
    ImageAuthority,
    SecureBootState,
    SignatureDatabase,
    secure_boot_state,
)
from tlkit.eventlog._sipa import (
    WindowsBootConfig,
    decode_tagged_events,
    encode_tagged_events,
    sipa_container,
    sipa_event,
    windows_boot_config,
)
from tlkit.eventlog._stages import BootStage, BootStages, boot_stages
from tlkit.eventlog._types import EventType, event_type_name
from tlkit.eventlog._verify import Divergence, PayloadMismatch, ReplayResult

__all__ = [
    "ANOMALIES",
    "EBS_FAILURE_MISSING",
    "EBS_FAILURE_SUCCESS_MISSING",
    "EBS_MISSING",
    "FIRMWARE_PCRS",
    "KNOWN_QUIRKS",
    "PCR_EVENT_TYPES",
    "BootStage",
    "BootStages",
    "CertificateInfo",
    "ChainStep",
    "DevicePath",
    "DevicePathNode",
    "Divergence",
    "Event",
    "EventLog",
    "EventType",
    "FirmwareBlob",
    "GptData",
    "GptPartition",
    "HandoffTables",
    "ImageAuthority",
    "ImageLoad",
    "LoadOption",
    "LogDiff",
    "LogFormat",
    "NoActionEvent",
    "PayloadMismatch",
    "PcrDifference",
    "PolicyViolation",
    "PostCode",
    "Quirk",
    "ReplayResult",
    "SecureBootState",
    "Separator",
    "SignatureDatabase",
    "SignatureList",
    "SpecIdAlgorithm",
    "SpecIdEvent",
    "StartupLocality",
    "TaggedEvent",
    "TaggedEvents",
    "TextEvent",
    "UefiVariable",
    "WindowsBootConfig",
    "boot_stages",
    "decode_tagged_events",
    "encode_tagged_events",
    "event_type_name",
    "initial_pcr_value",
    "make_event",
    "parse",
    "parse_device_path",
    "parse_signature_lists",
    "secure_boot_state",
    "sipa_container",
    "sipa_event",
    "windows_boot_config",
    "write",
]
