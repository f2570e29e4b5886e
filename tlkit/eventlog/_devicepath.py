"""UEFI device paths (UEFI 2.10, section 10.3 "Device Path Nodes") and their text form (10.6).

Only the decoding direction is implemented. Unknown nodes render as ``Path(type,subtype,hex)``
(UEFI 2.10, 10.6.1.1); a node whose length field is inconsistent raises
:class:`tlkit.errors.ParseError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from tlkit.errors import ParseError
from tlkit.eventlog._guid import guid_str

__all__ = ["DevicePath", "DevicePathNode", "parse_device_path"]

_HW, _ACPI, _MSG, _MEDIA, _BBS, _END = 0x01, 0x02, 0x03, 0x04, 0x05, 0x7F


@dataclass(frozen=True)
class DevicePathNode:
    """One EFI_DEVICE_PATH_PROTOCOL node: ``type``, ``subtype``, body bytes and the text form."""

    type: int
    subtype: int
    data: bytes
    text: str


@dataclass(frozen=True)
class DevicePath:
    """A parsed device path (unverified data from the log).

    Attributes:
        nodes: every node, including End nodes.
        text: UEFI text representation, e.g.
            ``PciRoot(0x0)/Pci(0x1,0x1)/HD(1,GPT,...)/\\EFI\\BOOT\\BOOTX64.EFI``;
            several instances are separated by ``,``.
    """

    nodes: tuple[DevicePathNode, ...]
    text: str

    def __str__(self) -> str:
        return self.text

    @property
    def file_path(self) -> str | None:
        """The last file-path node's text (e.g. ``\\EFI\\BOOT\\BOOTX64.EFI``), if any."""
        for n in reversed(self.nodes):
            if n.type == _MEDIA and n.subtype == 0x04:
                return n.text
        return None


def _eisa(hid: int) -> str:
    """EISA-compressed ACPI _HID (UEFI 2.10, 10.3.3): 3 letters in the low 16 bits, product id above."""
    vendor = hid & 0xFFFF
    letters = "".join(chr(((vendor >> s) & 0x1F) + 0x40) for s in (10, 5, 0))
    return f"{letters}{hid >> 16:04X}"


def _utf16z(b: bytes) -> str:
    s = b.decode("utf-16-le", errors="replace")
    nul = s.find("\x00")
    return s if nul < 0 else s[:nul]


def _vendor(name: str, d: bytes) -> str:
    """A Vendor-Defined node (UEFI 2.10, 10.3: hardware, messaging, media): GUID, then data as hex."""
    return f"{name}({guid_str(d[:16])}" + (f",{d[16:].hex()})" if len(d) > 16 else ")")


def _pci(d: bytes) -> str:
    return f"Pci(0x{d[1]:x},0x{d[0]:x})"


def _memory_mapped(d: bytes) -> str:
    mt, start, end = struct.unpack_from("<IQQ", d)
    return f"MemoryMapped(0x{mt:x},0x{start:x},0x{end:x})"


def _ctrl(d: bytes) -> str:
    return f"Ctrl(0x{struct.unpack_from('<I', d)[0]:x})"


_ACPI_ROOTS = {0x0A0341D0: "PciRoot", 0x0A0841D0: "PcieRoot"}


def _acpi(d: bytes) -> str:
    hid, uid = struct.unpack_from("<II", d)
    root = _ACPI_ROOTS.get(hid)
    return f"{root}(0x{uid:x})" if root else f"Acpi({_eisa(hid)},0x{uid:x})"


def _acpi_adr(d: bytes) -> str:
    return "AcpiAdr(" + ",".join(f"0x{a:x}" for a in struct.unpack_from(f"<{len(d) // 4}I", d)) + ")"


def _scsi(d: bytes) -> str:
    pun, lun = struct.unpack_from("<HH", d)
    return f"Scsi(0x{pun:x},0x{lun:x})"


def _usb(d: bytes) -> str:
    return f"USB(0x{d[0]:x},0x{d[1]:x})"


def _mac(d: bytes) -> str:
    iftype = d[32]
    return f"MAC({d[: 6 if iftype in (0, 1) else 32].hex()},0x{iftype:x})"


def _ipv4(d: bytes) -> str:
    local, remote = d[0:4], d[4:8]
    _lport, _rport, proto, static = struct.unpack_from("<HHHB", d, 8)
    pname = {6: "TCP", 17: "UDP"}.get(proto, str(proto))
    return (
        f"IPv4({'.'.join(map(str, remote))},{pname},"
        f"{'Static' if static else 'DHCP'},{'.'.join(map(str, local))})"
    )


def _sata(d: bytes) -> str:
    hba, pm, lun = struct.unpack_from("<HHH", d)
    return f"Sata(0x{hba:x},0x{pm:x},0x{lun:x})"


def _nvme(d: bytes) -> str:
    nsid = struct.unpack_from("<I", d)[0]
    return f"NVMe(0x{nsid:x},{'-'.join(f'{b:02X}' for b in d[4:12])})"


def _uri(d: bytes) -> str:
    return f"Uri({d.decode('ascii', errors='replace')})"


def _hard_drive(d: bytes) -> str:
    part, start, size = struct.unpack_from("<IQQ", d)
    sig, fmt, sigtype = d[20:36], d[36], d[37]
    if sigtype == 0x02:
        return f"HD({part},GPT,{guid_str(sig)},0x{start:x},0x{size:x})"
    if sigtype == 0x01:
        return f"HD({part},MBR,0x{struct.unpack_from('<I', sig)[0]:x},0x{start:x},0x{size:x})"
    return f"HD({part},{fmt},0,0x{start:x},0x{size:x})"


def _cdrom(d: bytes) -> str:
    entry, start, size = struct.unpack_from("<IQQ", d)
    return f"CDROM(0x{entry:x},0x{start:x},0x{size:x})"


def _offset(d: bytes) -> str:
    _, start, end = struct.unpack_from("<IQQ", d)
    return f"Offset(0x{start:x},0x{end:x})"


def _bbs(d: bytes) -> str:
    dev, flags = struct.unpack_from("<HH", d)
    desc = d[4:].split(b"\x00", 1)[0].decode("ascii", errors="replace")
    return f"BBS(0x{dev:x},{desc},0x{flags:x})"


def _guid_node(name: str) -> Callable[[bytes], str]:
    return lambda d: f"{name}({guid_str(d[:16])})"


def _vendor_node(name: str) -> Callable[[bytes], str]:
    return lambda d: _vendor(name, d)


NODE_TEXT: dict[tuple[int, int], tuple[int, Callable[[bytes], str]]] = {
    (_HW, 0x01): (2, _pci),
    (_HW, 0x03): (20, _memory_mapped),
    (_HW, 0x04): (16, _vendor_node("VenHw")),
    (_HW, 0x05): (4, _ctrl),
    (_ACPI, 0x01): (8, _acpi),
    (_ACPI, 0x03): (4, _acpi_adr),
    (_MSG, 0x02): (4, _scsi),
    (_MSG, 0x05): (2, _usb),
    (_MSG, 0x0A): (16, _vendor_node("VenMsg")),
    (_MSG, 0x0B): (33, _mac),
    (_MSG, 0x0C): (19, _ipv4),
    (_MSG, 0x12): (6, _sata),
    (_MSG, 0x17): (12, _nvme),
    (_MSG, 0x18): (0, _uri),
    (_MEDIA, 0x01): (38, _hard_drive),
    (_MEDIA, 0x02): (20, _cdrom),
    (_MEDIA, 0x03): (16, _vendor_node("VenMedia")),
    (_MEDIA, 0x04): (0, _utf16z),
    (_MEDIA, 0x05): (16, _guid_node("Media")),
    (_MEDIA, 0x06): (16, _guid_node("FvFile")),
    (_MEDIA, 0x07): (16, _guid_node("Fv")),
    (_MEDIA, 0x08): (20, _offset),
    (_BBS, 0x01): (4, _bbs),
}
"""(type, subtype) -> (minimum body length, text) for the nodes tlkit names (UEFI 2.10, 10.3 and
the text forms of 10.6.1 table 10-76); any other node, or a shorter body, is ``Path(t,st,hex)``."""


def _node_text(t: int, st: int, d: bytes) -> str:
    """Text of one node (:data:`NODE_TEXT`); raises struct.error/IndexError on short bodies."""
    rule = NODE_TEXT.get((t, st))
    if rule is not None and len(d) >= rule[0]:
        return rule[1](d)
    return f"Path({t},{st},{d.hex()})"


def parse_device_path(data: bytes, *, base: int = 0) -> DevicePath:
    """Decode a device path (a sequence of nodes ending with End Entire, UEFI 2.10, 10.3.1).

    Args:
        data: the bytes of the path (possibly several instances).
        base: absolute offset of ``data`` in the log, for error messages.

    Raises:
        ParseError: a node header is cut short or its length is below 4 or past the end.
    """
    nodes: list[DevicePathNode] = []
    parts: list[str] = []
    pos, end = 0, len(data)
    while pos < end:
        if end - pos < 4:
            raise ParseError("device path node header cut short", offset=base + pos, what="EFI_DEVICE_PATH")
        t, st, length = data[pos], data[pos + 1], data[pos + 2] | (data[pos + 3] << 8)
        if length < 4 or length > end - pos:
            raise ParseError(
                f"device path node length {length} invalid ({end - pos} bytes left)",
                offset=base + pos,
                what="EFI_DEVICE_PATH",
            )
        body = data[pos + 4 : pos + length]
        pos += length
        if t == _END:
            text = "," if st == 0x01 else ""
            nodes.append(DevicePathNode(t, st, body, text))
            if st == 0x01:
                parts.append(",")
            else:
                break
            continue
        try:
            text = _node_text(t, st, body)
        except (struct.error, IndexError, ValueError):
            text = f"Path({t},{st},{body.hex()})"
        nodes.append(DevicePathNode(t, st, body, text))
        parts.append(text)
    out: list[str] = []
    for p in parts:
        if p == ",":
            out.append(",")
        else:
            if out and out[-1] != ",":
                out.append("/")
            out.append(p)
    return DevicePath(tuple(nodes), "".join(out))
