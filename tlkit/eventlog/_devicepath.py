"""UEFI device paths (UEFI 2.10, section 10.3 "Device Path Nodes") and their text form (10.6).

Only the decoding direction is implemented. Unknown nodes render as ``Path(type,subtype,hex)``
(UEFI 2.10, 10.6.1.1); a node whose length field is inconsistent raises
:class:`tlkit.errors.ParseError`.
"""

from __future__ import annotations

import struct
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


def _node_text(t: int, st: int, d: bytes) -> str:
    """Text of one node (UEFI 2.10, table 10.6.1); raises struct.error/IndexError on short bodies."""
    n = len(d)
    if t == _HW:
        if st == 0x01 and n >= 2:
            return f"Pci(0x{d[1]:x},0x{d[0]:x})"
        if st == 0x03 and n >= 20:
            mt, start, end = struct.unpack_from("<IQQ", d)
            return f"MemoryMapped(0x{mt:x},0x{start:x},0x{end:x})"
        if st == 0x04 and n >= 16:
            return _vendor("VenHw", d)
        if st == 0x05 and n >= 4:
            return f"Ctrl(0x{struct.unpack_from('<I', d)[0]:x})"
    elif t == _ACPI:
        if st == 0x01 and n >= 8:
            hid, uid = struct.unpack_from("<II", d)
            if hid == 0x0A0341D0:
                return f"PciRoot(0x{uid:x})"
            if hid == 0x0A0841D0:
                return f"PcieRoot(0x{uid:x})"
            return f"Acpi({_eisa(hid)},0x{uid:x})"
        if st == 0x03 and n >= 4:
            adrs = ",".join(f"0x{a:x}" for a in struct.unpack_from(f"<{n // 4}I", d))
            return f"AcpiAdr({adrs})"
    elif t == _MSG:
        if st == 0x02 and n >= 4:
            pun, lun = struct.unpack_from("<HH", d)
            return f"Scsi(0x{pun:x},0x{lun:x})"
        if st == 0x05 and n >= 2:
            return f"USB(0x{d[0]:x},0x{d[1]:x})"
        if st == 0x0A and n >= 16:
            return _vendor("VenMsg", d)
        if st == 0x0B and n >= 33:
            iftype = d[32]
            alen = 6 if iftype in (0, 1) else 32
            return f"MAC({d[:alen].hex()},0x{iftype:x})"
        if st == 0x0C and n >= 19:
            local, remote = d[0:4], d[4:8]
            _lport, _rport, proto, static = struct.unpack_from("<HHHB", d, 8)
            pname = {6: "TCP", 17: "UDP"}.get(proto, str(proto))
            return (
                f"IPv4({'.'.join(map(str, remote))},{pname},"
                f"{'Static' if static else 'DHCP'},{'.'.join(map(str, local))})"
            )
        if st == 0x12 and n >= 6:
            hba, pm, lun = struct.unpack_from("<HHH", d)
            return f"Sata(0x{hba:x},0x{pm:x},0x{lun:x})"
        if st == 0x17 and n >= 12:
            nsid = struct.unpack_from("<I", d)[0]
            eui = "-".join(f"{b:02X}" for b in d[4:12])
            return f"NVMe(0x{nsid:x},{eui})"
        if st == 0x18:
            return f"Uri({d.decode('ascii', errors='replace')})"
    elif t == _MEDIA:
        if st == 0x01 and n >= 38:
            part, start, size = struct.unpack_from("<IQQ", d)
            sig, fmt, sigtype = d[20:36], d[36], d[37]
            if sigtype == 0x02:
                return f"HD({part},GPT,{guid_str(sig)},0x{start:x},0x{size:x})"
            if sigtype == 0x01:
                return f"HD({part},MBR,0x{struct.unpack_from('<I', sig)[0]:x},0x{start:x},0x{size:x})"
            return f"HD({part},{fmt},0,0x{start:x},0x{size:x})"
        if st == 0x02 and n >= 20:
            entry, start, size = struct.unpack_from("<IQQ", d)
            return f"CDROM(0x{entry:x},0x{start:x},0x{size:x})"
        if st == 0x03 and n >= 16:
            return _vendor("VenMedia", d)
        if st == 0x04:
            return _utf16z(d)
        if st == 0x05 and n >= 16:
            return f"Media({guid_str(d[:16])})"
        if st == 0x06 and n >= 16:
            return f"FvFile({guid_str(d[:16])})"
        if st == 0x07 and n >= 16:
            return f"Fv({guid_str(d[:16])})"
        if st == 0x08 and n >= 20:
            _, start, end = struct.unpack_from("<IQQ", d)
            return f"Offset(0x{start:x},0x{end:x})"
    elif t == _BBS and st == 0x01 and n >= 4:
        dev, flags = struct.unpack_from("<HH", d)
        desc = d[4:].split(b"\x00", 1)[0].decode("ascii", errors="replace")
        return f"BBS(0x{dev:x},{desc},0x{flags:x})"
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
