"""keylime's measured-boot reference state (the ``elchecking`` example policy), imported and exported.

keylime 7.14's example policy (``keylime/mba/elchecking/example.py``) judges a boot log against a
JSON *refstate*, which its ``keylime-policy create measured-boot`` command
(``keylime/policy/create_mb_policy.py``) writes from a known-good log::

    {"has_secureboot": true,
     "scrtm_and_bios": [{"scrtm": {"sha256": "0x…"}, "platform_firmware": [{"sha256": "0x…"}, …]}],
     "pk": [{"SignatureOwner": "<guid>", "SignatureData": "0x…"}], "kek": […], "db": […], "dbx": […],
     "vendor_db": […], "mokdig": [{"sha256": "0x…"}], "mokxdig": [{"sha256": "0x…"}],
     "kernels": [{"shim_authcode_sha256": "0x…", "grub_authcode_sha256": "0x…",
                  "kernel_authcode_sha256": "0x…" (Secure Boot on) | "vmlinuz_plain_sha256": "0x…" (off),
                  "initrd_plain_sha256": "0x…", "kernel_cmdline": "<regex>"}]}

:func:`to_keylime_refstate` writes that from a :class:`~tlkit.attest._baseline.Baseline` (its
platform and kernel chains, Secure Boot keys and PCR 14 MOK digests; for a baseline built from a log
it equals what keylime's command writes from the same log), and :func:`from_keylime_refstate` reads
one into a baseline: the listed digests become allowed digests, the keys the baseline's keys, and
what the example policy accepts without reference data (boot variables, separators, GRUB commands,
files other than the kernel and initrd...) becomes :data:`KEYLIME_ACCEPT_ANY`.

Differences that remain, by design: tlkit allows each digest on its own (keylime requires a listed
*combination* of shim, GRUB, kernel, initrd and command line, and counts some events); a kernel
command line is an exact string in tlkit (an import accepts only keylime patterns that are escaped
literals, which is what keylime's command writes).

:func:`keylime_evaluate` runs keylime's own example policy on a binary log and a refstate (keylime,
``tpm2_eventlog`` and libefivar must be installed): the reference the tests and the benchmark
compare with.
"""

from __future__ import annotations

import copy
import ctypes.util
import hashlib
import re
import shutil
from collections.abc import Mapping
from typing import Any

from tlkit.attest._baseline import Baseline, KernelChain, PlatformChain, SignatureEntry
from tlkit.errors import DataError, MissingComponentError
from tlkit.eventlog import EventType

__all__ = [
    "KEYLIME_ACCEPT_ANY",
    "from_keylime_refstate",
    "keylime_evaluate",
    "keylime_missing",
    "to_keylime_refstate",
]

T = EventType
_SEP = T.EV_SEPARATOR.name

KEYLIME_ACCEPT_ANY: Mapping[int, frozenset[str]] = {
    0: frozenset({_SEP}),
    1: frozenset({_SEP, T.EV_CPU_MICROCODE.name, T.EV_EFI_HANDOFF_TABLES.name, T.EV_EFI_HANDOFF_TABLES2.name,
                  T.EV_EFI_VARIABLE_BOOT.name, T.EV_PLATFORM_CONFIG_FLAGS.name, T.EV_EFI_ACTION.name}),
    2: frozenset({_SEP, "driver"}),
    3: frozenset({_SEP}),
    4: frozenset({_SEP, T.EV_EFI_ACTION.name}),
    5: frozenset({_SEP, T.EV_EFI_ACTION.name, T.EV_EFI_GPT_EVENT.name}),
    6: frozenset({_SEP}),
    7: frozenset({_SEP, "secureboot", "pk", "kek", "db", "dbx", "authority"}),
    8: frozenset({"grub-command"}),
    9: frozenset({"file"}),
    14: frozenset({"moklisttrusted"}),
}  # fmt: skip
"""Kinds keylime's example policy accepts on a PCR without reference digests (its ``AcceptAll``,
``EvSeperatorTest`` and ``EvEfiActionTest`` entries; tlkit's own check already ties separator and
action data to their digests). Secure Boot itself and the PK/KEK/db/dbx keys are judged by the
baseline's requirement and keys, as keylime does; with Secure Boot on, keylime does not judge the
kernel file GRUB read (PCR 9) either: the import adds ``kernel-file`` then."""

_DBS = ("pk", "kek", "db", "dbx", "vendor_db")


# ------------------------------------------------------------------------------------- export
def _ox(d: bytes) -> str:
    return "0x" + d.hex()


def _digest_map(d: bytes) -> dict[str, str]:
    return {"sha256": _ox(d)}


def _kernel_entry(kc: KernelChain, secure_boot: bool, i: int) -> dict[str, str]:
    need = ("kernel", "initrd", "kernel_cmdline") if secure_boot else ("vmlinuz", "initrd", "kernel_cmdline")
    for n in need:
        if getattr(kc, n) is None:
            raise DataError(
                f"keylime's refstate needs the {n} of each kernel chain", field=f"kernels[{i}].{n}"
            )
    entry = {"kernel_authcode_sha256": _ox(kc.kernel)} if secure_boot and kc.kernel else {}
    entry |= {"shim_authcode_sha256": _ox(kc.shim), "grub_authcode_sha256": _ox(kc.grub)}
    entry["initrd_plain_sha256"] = _ox(kc.initrd) if kc.initrd else ""
    if not secure_boot and kc.vmlinuz:
        entry["vmlinuz_plain_sha256"] = _ox(kc.vmlinuz)
    entry["kernel_cmdline"] = re.escape(kc.kernel_cmdline or "")
    return entry


def _platform_entry(pc: PlatformChain, i: int) -> dict[str, Any]:
    if pc.scrtm is None:
        raise DataError("keylime's refstate needs the S-CRTM version digest", field=f"platforms[{i}].scrtm")
    return {"scrtm": _digest_map(pc.scrtm), "platform_firmware": [_digest_map(d) for d in pc.firmware]}


def to_keylime_refstate(baseline: Baseline) -> dict[str, Any]:
    """keylime's example-policy refstate for ``baseline`` (module docstring).

    Raises:
        DataError: the baseline is not of sha256, or lacks what the refstate requires (a platform
            chain with an S-CRTM digest, a kernel chain with its initrd and command line, and its
            kernel (Secure Boot on) or kernel image (off)); the error names the field.
    """
    if baseline.bank != "sha256":
        raise DataError(
            f"keylime's refstate holds sha256 digests; this baseline is {baseline.bank}", field="bank"
        )
    for field_name, items in (("platforms", baseline.platforms), ("kernels", baseline.kernels)):
        if not items:
            raise DataError("keylime's refstate needs at least one", field=field_name)
    sb = baseline.require_secure_boot
    pcr14 = baseline.allowed.get(14, {})
    return {
        "has_secureboot": sb,
        "scrtm_and_bios": [_platform_entry(pc, i) for i, pc in enumerate(baseline.platforms)],
        **{
            n: [
                {"SignatureOwner": s.owner, "SignatureData": _ox(s.data)}
                for s in baseline.signatures.get(n, ())
            ]
            for n in _DBS
        },
        "mokdig": [_digest_map(d) for d in pcr14.get("moklist", {})],
        "mokxdig": [_digest_map(d) for d in pcr14.get("moklistx", {})],
        "kernels": [_kernel_entry(kc, sb, i) for i, kc in enumerate(baseline.kernels)],
    }


# ------------------------------------------------------------------------------------- import
def _hex(x: object, where: str) -> bytes:
    if not isinstance(x, str) or not re.fullmatch(r"0x(?:[0-9a-f]{2})+", x):
        raise DataError(f"expected 0x and lowercase hex bytes, not {x!r}", field=where)
    return bytes.fromhex(x[2:])


def _sha256(x: object, where: str) -> bytes:
    if not isinstance(x, dict) or set(x) != {"sha256"}:
        raise DataError(
            f"expected a digest {{'sha256': '0x…'}} (tlkit reads sha256 only), not {x!r}", field=where
        )
    d = _hex(x["sha256"], f"{where}.sha256")
    if len(d) != hashlib.sha256().digest_size:
        raise DataError(f"a sha256 digest has 32 bytes, not {len(d)}", field=f"{where}.sha256")
    return d


def _list(doc: Mapping[str, Any], key: str, *, required: bool = True) -> list[Any]:
    x = doc.get(key, None if required else [])
    if not isinstance(x, list):
        raise DataError(f"expected a list, not {type(x).__name__}", field=key)
    return x


def _signature(x: object, where: str) -> SignatureEntry:
    if not isinstance(x, dict) or set(x) != {"SignatureOwner", "SignatureData"}:
        raise DataError("expected {SignatureOwner, SignatureData}", field=where)
    owner = x["SignatureOwner"]
    if not isinstance(owner, str):
        raise DataError("SignatureOwner must be a GUID string", field=f"{where}.SignatureOwner")
    return SignatureEntry(owner, _hex(x["SignatureData"], f"{where}.SignatureData"))


def _literal(pattern: object, where: str) -> str:
    """The string a keylime command-line pattern matches, when it is an escaped literal."""
    if not isinstance(pattern, str):
        raise DataError("expected a string", field=where)
    text = re.sub(r"\\(.)", r"\1", pattern, flags=re.DOTALL)
    if re.escape(text) != pattern:
        raise DataError(
            "tlkit baselines hold exact kernel command lines; this pattern is not an escaped literal",
            field=where,
        )
    return text


class _Import:
    """The baseline being read from a refstate: allowed digests, chains, keys."""

    def __init__(self) -> None:
        self.allowed: dict[int, dict[str, dict[bytes, str]]] = {}
        self.platforms: list[PlatformChain] = []
        self.kernels: list[KernelChain] = []

    def allow(self, pcr: int, kind: str, digest: bytes, label: str) -> None:
        self.allowed.setdefault(pcr, {}).setdefault(kind, {}).setdefault(digest, label)

    def platform(self, x: object, where: str) -> None:
        if not isinstance(x, dict) or set(x) != {"scrtm", "platform_firmware"}:
            raise DataError("expected {scrtm, platform_firmware}", field=where)
        scrtm = _sha256(x["scrtm"], f"{where}.scrtm")
        fw_list = x["platform_firmware"]
        if not isinstance(fw_list, list):
            raise DataError("expected a list", field=f"{where}.platform_firmware")
        fw = tuple(_sha256(d, f"{where}.platform_firmware[{j}]") for j, d in enumerate(fw_list))
        self.allow(0, "scrtm", scrtm, f"keylime {where}")
        for d in fw:
            self.allow(0, "firmware", d, f"keylime {where}")
        self.platforms.append(PlatformChain(scrtm, fw))

    def kernel(self, x: object, where: str, secure_boot: bool) -> None:
        image = "kernel_authcode_sha256" if secure_boot else "vmlinuz_plain_sha256"
        keys = {
            "shim_authcode_sha256",
            "grub_authcode_sha256",
            image,
            "initrd_plain_sha256",
            "kernel_cmdline",
        }
        if not isinstance(x, dict) or not keys <= set(x) or set(x) - keys - {"vmlinuz_plain_sha256"}:
            raise DataError(f"expected the fields {', '.join(sorted(keys))}", field=where)
        shim, grub = (_hex(x[k], f"{where}.{k}") for k in ("shim_authcode_sha256", "grub_authcode_sha256"))
        kernel = _hex(x[image], f"{where}.{image}") if secure_boot else None
        vmlinuz = _hex(x["vmlinuz_plain_sha256"], f"{where}.vmlinuz") if "vmlinuz_plain_sha256" in x else None
        initrd = _hex(x["initrd_plain_sha256"], f"{where}.initrd_plain_sha256")
        cmdline = _literal(x["kernel_cmdline"], f"{where}.kernel_cmdline")
        for d in (shim, grub, kernel):
            if d is not None:
                self.allow(4, "application", d, f"keylime {where}")
        self.allow(9, "initrd-file", initrd, f"keylime {where} initrd")
        if vmlinuz is not None:
            self.allow(9, "kernel-file", vmlinuz, f"keylime {where} vmlinuz")
        self.allow(
            8, "kernel-cmdline", hashlib.sha256(cmdline.encode()).digest(), f"kernel_cmdline: {cmdline}"
        )
        self.kernels.append(KernelChain(shim, grub, kernel, initrd, vmlinuz, cmdline))


def from_keylime_refstate(doc: object, *, name: str = "keylime-refstate") -> Baseline:
    """A baseline from keylime's example-policy refstate (module docstring).

    Raises:
        DataError: a malformed refstate (the error names the field, e.g.
            ``kernels[0].kernel_authcode_sha256``), or one tlkit cannot hold exactly (digests other
            than sha256, a command-line pattern that is not an escaped literal).
    """
    if not isinstance(doc, dict):
        raise DataError("a keylime refstate is a JSON object", field="refstate")
    known = {"has_secureboot", "scrtm_and_bios", "mokdig", "mokxdig", "kernels", *_DBS}
    extra = sorted(set(doc) - known, key=str)
    if extra:
        raise DataError(f"unknown field(s) {extra}", field="refstate")
    sb = doc.get("has_secureboot", True)
    if not isinstance(sb, bool):
        raise DataError("expected true or false", field="has_secureboot")
    imp = _Import()
    for i, x in enumerate(_list(doc, "scrtm_and_bios")):
        imp.platform(x, f"scrtm_and_bios[{i}]")
    for i, x in enumerate(_list(doc, "kernels")):
        imp.kernel(x, f"kernels[{i}]", sb)
    for key, kind in (("mokdig", "moklist"), ("mokxdig", "moklistx")):
        for i, x in enumerate(_list(doc, key)):
            imp.allow(14, kind, _sha256(x, f"{key}[{i}]"), f"keylime {key}")
    sigs = {
        n: tuple(_signature(s, f"{n}[{i}]") for i, s in enumerate(_list(doc, n, required=n != "vendor_db")))
        for n in _DBS
    }
    accept = {p: set(ks) for p, ks in KEYLIME_ACCEPT_ANY.items()}
    if sb:
        accept[9].add("kernel-file")
    return Baseline(
        name=name,
        bank="sha256",
        allowed=imp.allowed,
        accept_any={p: frozenset(ks) for p, ks in accept.items()},
        signatures=sigs,
        platforms=tuple(imp.platforms),
        kernels=tuple(imp.kernels),
        require_secure_boot=sb,
    )


# ------------------------------------------------------------------------------------- keylime itself
def keylime_missing() -> str | None:
    """Why :func:`keylime_evaluate` cannot run here (``None`` when it can): keylime (the ``bench``
    extra), ``tpm2_eventlog`` (tpm2-tools) and libefivar must be installed."""
    try:
        import keylime  # type: ignore[import-untyped]  # noqa: F401, PLC0415 - optional dependency
    except ImportError:
        return "keylime is not installed (pip install 'tlkit[bench]')"
    if shutil.which("tpm2_eventlog") is None:
        return "tpm2_eventlog (tpm2-tools) is not installed: keylime parses logs with it"
    if ctypes.util.find_library("efivar") is None:
        return "libefivar is not installed (apt-get install libefivar1): keylime decodes device paths with it"
    return None


def keylime_parse(log: bytes) -> dict[str, Any]:
    """keylime's own parse of a binary log (``tpm2_eventlog`` + keylime's enrichment).

    Raises:
        MissingComponentError: keylime, tpm2_eventlog or libefivar is missing.
        DataError: keylime could not parse the log.
    """
    why = keylime_missing()
    if why is not None:
        raise MissingComponentError("keylime", why)
    from keylime.mba.elparsing import tpm2_tools_elparser  # type: ignore[import-untyped]  # noqa: PLC0415

    failure, data = tpm2_tools_elparser.parse_binary_bootlog(log)
    if failure or not data:
        raise DataError("keylime could not parse the event log", field="log")
    return dict(data)


def keylime_evaluate(log: bytes | Mapping[str, Any], refstate: Mapping[str, Any]) -> str:
    """Run keylime's example measured-boot policy: ``""`` when it accepts the log, else keylime's
    reason. ``log`` is the binary log, or what :func:`keylime_parse` returned for it (to time the
    policy alone).

    Raises:
        MissingComponentError: keylime, tpm2_eventlog or libefivar is missing.
        DataError: keylime could not parse the log.
    """
    data = keylime_parse(log) if isinstance(log, bytes) else log
    from keylime.mba.elchecking import example, policies  # type: ignore[import-untyped]  # noqa: F401, PLC0415

    policy = policies.get_policy("example")
    if policy is None:  # pragma: no cover - keylime always registers it
        raise MissingComponentError("keylime", "its example measured-boot policy is not registered")
    # keylime adds keys to the refstate it is given (vendor_db): give it a copy
    return str(policy.evaluate(copy.deepcopy(dict(refstate)), copy.deepcopy(dict(data))))
