"""What kind of measurement an event is, for a baseline's allow lists (named data, one rule each).

A baseline allows event digests *per PCR and per kind*: the EFI applications on PCR 4 (shim, boot
loaders, kernels, by Authenticode digest), the kernel command lines and GRUB commands on PCR 8, the
files GRUB read on PCR 9 (kernel image, initrd, others), the Secure Boot variables on PCR 7 (one kind
per variable, so the dbx *version* is the dbx variable's digest), shim's MOK lists on PCR 14... Each
kind is one :class:`EventKind` of :data:`EVENT_KINDS`, tried in order; an event no kind claims has
its PFP type name as its kind (``"EV_SEPARATOR"``), so nothing goes unclassified.

The classification reads the event's type and its decoded payload (a variable's name, an EV_IPL
string), which only mean something for *verified* events (:meth:`tlkit.eventlog.EventLog.verified_events`):
the caller passes those. This module judges nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tlkit.eventlog import Event, EventType, ImageLoad, TextEvent, UefiVariable

__all__ = ["EVENT_KINDS", "EventKind", "event_kind", "kind_expectation"]

T = EventType


def _types(*ts: EventType) -> frozenset[int]:
    return frozenset(int(t) for t in ts)


def _variable(name: str) -> Callable[[Event], bool]:
    def test(e: Event) -> bool:
        p = e.payload
        return isinstance(p, UefiVariable) and p.name == name

    return test


def _ipl(kind: str) -> Callable[[Event], bool]:
    """GRUB's EV_IPL strings, as :class:`tlkit.eventlog.TextEvent` names them."""

    def test(e: Event) -> bool:
        p = e.payload
        return isinstance(p, TextEvent) and p.kind == kind

    return test


def _text_is(text: str) -> Callable[[Event], bool]:
    def test(e: Event) -> bool:
        p = e.payload
        return isinstance(p, TextEvent) and p.text == text

    return test


def _path_has(*words: str) -> Callable[[Event], bool]:
    def test(e: Event) -> bool:
        p = e.payload
        return isinstance(p, TextEvent) and any(w in p.text for w in words)

    return test


def _firmware_application(e: Event) -> bool:
    """An EFI application firmware loads from its own volume (UiApp, the boot menu): ``FvVol()/FvFile()``
    device paths (keylime's create_mb_refstate ignores these too)."""
    p = e.payload
    return isinstance(p, ImageLoad) and "FvFile(" in p.device_path.text


@dataclass(frozen=True)
class EventKind:
    """One kind of measurement: the PCRs and event types it covers, which of those events it claims,
    and what a baseline expects of it (the text of a deviation).

    Attributes:
        name: the kind (a key of a baseline's allow list of a PCR), e.g. ``"application"``.
        pcrs: the PCRs it applies to (``None``: any PCR).
        types: the event types it applies to.
        test: which of those events it claims (``None``: all).
        expected: what the baseline expects, for a deviation's text.
    """

    name: str
    pcrs: frozenset[int] | None
    types: frozenset[int]
    test: Callable[[Event], bool] | None
    expected: str

    def claims(self, e: Event) -> bool:
        """Rule: the event has one of :attr:`types`, on one of :attr:`pcrs`, and passes :attr:`test`."""
        return (
            e.event_type in self.types
            and (self.pcrs is None or e.pcr in self.pcrs)
            and (self.test is None or self.test(e))
        )


_APPS = _types(T.EV_EFI_BOOT_SERVICES_APPLICATION)
_CONFIG = _types(T.EV_EFI_VARIABLE_DRIVER_CONFIG)
_IPL = _types(T.EV_IPL)

EVENT_KINDS: tuple[EventKind, ...] = (
    # PCR 0 (PFP 1.06, 3.3.4.1): the S-CRTM version and the firmware volumes
    EventKind("scrtm", frozenset({0}), _types(T.EV_S_CRTM_VERSION), None,
              "S-CRTM version digest in the allowed list"),
    EventKind("firmware", frozenset({0}),
              _types(T.EV_EFI_PLATFORM_FIRMWARE_BLOB, T.EV_EFI_PLATFORM_FIRMWARE_BLOB2), None,
              "firmware volume digest in the allowed list"),
    # PCR 2 / 4 (3.3.4.3, 3.3.4.5): drivers and applications, by Authenticode digest
    EventKind("firmware-application", None, _APPS, _firmware_application,
              "firmware application (FvFile) digest in the allowed list"),
    EventKind("application", None, _APPS, None,
              "EFI application (shim, boot loader or kernel) Authenticode digest in the allowed list"),
    EventKind("driver", None, _types(T.EV_EFI_BOOT_SERVICES_DRIVER, T.EV_EFI_RUNTIME_SERVICES_DRIVER), None,
              "UEFI driver Authenticode digest in the allowed list"),
    # PCR 7 (3.3.4.8): one kind per Secure Boot variable, so each database has its own allowed digests
    EventKind("secureboot", frozenset({7}), _CONFIG, _variable("SecureBoot"),
              "SecureBoot variable as in the baseline"),
    EventKind("pk", frozenset({7}), _CONFIG, _variable("PK"), "PK variable digest in the allowed list"),
    EventKind("kek", frozenset({7}), _CONFIG, _variable("KEK"), "KEK variable digest in the allowed list"),
    EventKind("db", frozenset({7}), _CONFIG, _variable("db"), "db variable digest in the allowed list"),
    EventKind("dbx", frozenset({7}), _CONFIG, _variable("dbx"),
              "dbx version (the dbx variable's digest) in the allowed list"),
    EventKind("authority", frozenset({7}), _types(T.EV_EFI_VARIABLE_AUTHORITY), None,
              "Secure Boot authority (the certificate that approved an image) in the allowed list"),
    # PCR 8 / 9: GRUB's commands, the kernel command line, and the files it read
    EventKind("kernel-cmdline", frozenset({8}), _IPL, _ipl("kernel_cmdline"),
              "kernel command line in the allowed list"),
    EventKind("grub-command", frozenset({8}), _IPL, _ipl("grub_cmd"), "GRUB command in the allowed list"),
    EventKind("kernel-file", frozenset({9}), _IPL, _path_has("vmlinuz"),
              "kernel image file (plain digest) in the allowed list"),
    EventKind("initrd-file", frozenset({9}), _IPL, _path_has("initrd", "initramfs"),
              "initrd file (plain digest) in the allowed list"),
    EventKind("file", frozenset({9}), _IPL, None, "file read by the boot loader in the allowed list"),
    # PCR 14: shim's MOK lists
    EventKind("moklist", frozenset({14}), _IPL, _text_is("MokList"), "MokList digest in the allowed list"),
    EventKind("moklistx", frozenset({14}), _IPL, _text_is("MokListX"), "MokListX digest in the allowed list"),
    EventKind("moklisttrusted", frozenset({14}), _IPL, _text_is("MokListTrusted"),
              "MokListTrusted digest in the allowed list"),
)  # fmt: skip
"""The kinds, tried in order (the first that claims an event names it)."""

_BY_NAME = {k.name: k for k in EVENT_KINDS}


#: Per event type, the :data:`EVENT_KINDS` entries that cover it, in table order (a precomputed index:
#: only those can claim an event of that type).
_BY_TYPE: Mapping[int, tuple[EventKind, ...]] = {
    t: tuple(k for k in EVENT_KINDS if t in k.types)
    for t in frozenset().union(*(k.types for k in EVENT_KINDS))
}


def event_kind(e: Event) -> str:
    """The kind of ``e``: the first :data:`EVENT_KINDS` entry that claims it, else its PFP type name."""
    for kind in _BY_TYPE.get(e.event_type, ()):
        if kind.claims(e):
            return kind.name
    return e.type_name


def kind_expectation(kind: str) -> str:
    """What a baseline expects of an event of ``kind`` (a deviation's text)."""
    known = _BY_NAME.get(kind)
    return known.expected if known is not None else f"{kind} event digest in the allowed list"
