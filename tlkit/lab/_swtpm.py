"""A throw-away software TPM (swtpm) driven by tpm2-tools, for interop tests and benchmarks.

:class:`SwtpmSession` starts ``swtpm socket --tpm2`` on 127.0.0.1 with two free ports (server and
control), a private state directory and ``--flags not-need-init,startup-clear`` (so the TPM has
already received ``TPM2_Startup(CLEAR)``), and runs tpm2-tools commands against it through the
``swtpm`` TCTI. There is no resource manager in between, so every helper that loads an object
flushes the transient objects and sessions afterwards (``tpm2_flushcontext``).

This module does not parse or verify TPM structures (that is :mod:`tlkit.tpm`), does not keep any
state across sessions and never touches a hardware TPM or ``/dev/tpm*``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self

from tlkit.errors import DataError, MissingComponentError, ToolError
from tlkit.tpm import HashAlg, PcrSelection, hash_alg
from tlkit.tpm._pcr import check_pcr_index
from tlkit.tpm._selection import as_selection

__all__ = ["SwtpmKey", "SwtpmQuote", "SwtpmSession", "pcr_spec"]

_INSTALL_HINT = "install it with: apt-get install swtpm swtpm-tools tpm2-tools"


class SwtpmQuote(NamedTuple):
    """The three files ``tpm2_quote`` writes, as bytes.

    Attributes:
        message: TPMS_ATTEST (``-m``), the signed bytes.
        signature: TPMT_SIGNATURE (``-s``).
        pcrs: the tpm2-tools "serialized" PCR file (``-o``), as read by ``tpm2_checkquote -f``.
    """

    message: bytes
    signature: bytes
    pcrs: bytes


@dataclass(frozen=True)
class SwtpmKey:
    """A key created inside the swtpm (an EK or an AK), with its public parts.

    Attributes:
        kind: ``"rsa"`` or ``"ecc"``.
        context: the tpm2-tools saved-context file (``-c``); valid until the session stops.
        public: TPM2B_PUBLIC bytes (``tpm2_readpublic -o``).
        pem: SubjectPublicKeyInfo PEM bytes.
        name: TPM2B_NAME contents (nameAlg id followed by the digest of TPMT_PUBLIC).
        qualified_name: the qualified name (empty for an EK, whose parent is the endorsement hierarchy).
        scheme: the signing scheme of an AK (``"ecdsa"``, ``"rsassa"``, ``"rsapss"``); empty for an EK.
    """

    kind: str
    context: Path
    public: bytes
    pem: bytes
    name: bytes
    qualified_name: bytes = b""
    scheme: str = ""


#: Largest qualifying data (nonce) ``tpm2_quote -q`` of tpm2-tools 5.4 accepts: 64 bytes, below the
#: TPM's own limit (TPM2B_DATA, 66 bytes: ``tlkit.tpm._vtpm.MAX_NONCE``); a tool limit, checked in
#: ``tests/lab/test_swtpm.py``.
TPM2_QUOTE_MAX_NONCE = 64


def pcr_spec(selection: str | PcrSelection | Mapping[Any, Iterable[int]]) -> str:
    """The tpm2-tools PCR selection string, e.g. ``"sha1:0,1+sha256:0,1"``.

    ``selection`` is such a string, a mapping ``{bank: [pcr, ...]}`` whose keys are bank names or
    :class:`~tlkit.tpm.HashAlg`, or a :class:`tlkit.tpm.PcrSelection`; the text is
    ``str(PcrSelection)`` (banks in the given order, PCRs sorted, empty banks left out).

    Raises:
        DataError: an empty selection, a PCR index outside 0..23, or an unreadable string.
    """
    sel = as_selection(selection)
    items = [(alg, pcrs) for alg, pcrs in sel.items() if pcrs]
    for alg, pcrs in items:
        bad = [i for i in pcrs if i > 23]
        if bad:
            raise DataError(f"PCR index must be 0..23, got {bad}", field=alg.name)
    if not items:
        raise DataError("empty PCR selection", field="selection")
    return str(PcrSelection.of(items))


def _free_port_pair(tries: int = 50) -> tuple[int, int]:
    """Two consecutive TCP ports that were free on 127.0.0.1 a moment ago.

    The swtpm TCTI of tpm2-tss always finds the control channel at ``port + 1``.
    """
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            if port >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port, port + 1
    raise ToolError("no pair of consecutive free TCP ports on 127.0.0.1")


def _stop_process(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Terminate, wait, then kill ``proc`` (by its PID, through the Popen handle)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=timeout)


def _cleanup(proc: subprocess.Popen[bytes] | None, workdir: Path | None, timeout: float) -> None:
    if proc is not None:
        _stop_process(proc, timeout)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


_ADDR_IN_USE = re.compile(rb"(?i)address already in use|could not (bind|listen)")
_PCR_LINE = re.compile(r"^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+)\s*$")
_BANK_LINE = re.compile(r"^\s+([a-z0-9_]+):\s*$")
_GETCAP_BANK = re.compile(r"^\s*-\s*([a-z0-9_]+):\s*\[([^\]]*)\]")


class SwtpmSession:
    """One running swtpm (TPM 2.0) on 127.0.0.1 plus helpers that drive it with tpm2-tools.

    Use it as a context manager; the process is stopped by PID (SIGTERM, wait, SIGKILL) and the
    private state directory removed on exit, or when the object is garbage collected::

        with SwtpmSession() as tpm:
            tpm.pcr_extend(23, {"sha256": bytes(32)})
            ak = tpm.create_ak("ecc")
            quote = tpm.quote({"sha256": [0, 23]}, nonce=b"fresh")

    Args:
        startup_timeout: seconds to wait for swtpm to accept connections.
        command_timeout: seconds allowed for one tpm2-tools command.
        start_attempts: how many times to retry with new ports if swtpm cannot bind.
        swtpm: the swtpm executable (name on PATH or path).

    Raises:
        MissingComponentError: swtpm or a tpm2-tools command is not installed.
        ToolError: swtpm would not start, or a command failed (carries the command and stderr).
    """

    def __init__(
        self,
        *,
        startup_timeout: float = 10.0,
        command_timeout: float = 30.0,
        start_attempts: int = 3,
        swtpm: str = "swtpm",
    ) -> None:
        self.startup_timeout = startup_timeout
        self.command_timeout = command_timeout
        self.start_attempts = max(1, start_attempts)
        self._swtpm = swtpm
        self._proc: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._port = 0
        self._ctrl_port = 0
        self._counter = itertools.count(1)
        self._ek: SwtpmKey | None = None
        self._ak: SwtpmKey | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int:
        """PID of the swtpm process."""
        return self._require_running().pid

    @property
    def port(self) -> int:
        """TCP port of the TPM command channel."""
        self._require_running()
        return self._port

    @property
    def ctrl_port(self) -> int:
        """TCP port of the swtpm control channel."""
        self._require_running()
        return self._ctrl_port

    @property
    def tcti(self) -> str:
        """The TCTI string tpm2-tools use (``TPM2TOOLS_TCTI``)."""
        return f"swtpm:host=127.0.0.1,port={self.port}"

    @property
    def workdir(self) -> Path:
        """Private directory for the TPM state and the files commands write; removed on stop."""
        if self._workdir is None:
            raise ToolError("swtpm session is not running")
        return self._workdir

    @property
    def ek(self) -> SwtpmKey | None:
        return self._ek

    @property
    def ak(self) -> SwtpmKey | None:
        """The most recently created AK (the default signer of :meth:`quote`)."""
        return self._ak

    def start(self) -> None:
        """Start swtpm and wait until it accepts connections (no-op if already running)."""
        if self.running:
            return
        exe = shutil.which(self._swtpm)
        if exe is None:
            raise MissingComponentError(self._swtpm, _INSTALL_HINT)
        workdir = Path(tempfile.mkdtemp(prefix="tlkit-swtpm-"))
        state = workdir / "state"
        state.mkdir()
        self._workdir = workdir
        self._ek = self._ak = None
        try:
            self._launch(exe, workdir, state)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            self._workdir = None
            raise

    def _launch(self, exe: str, workdir: Path, state: Path) -> None:
        """Start swtpm on a fresh port pair; retry with new ports if another process took one."""
        attempt = 0
        while True:
            attempt += 1
            port, ctrl = _free_port_pair()
            cmd = [
                exe, "socket", "--tpm2",
                "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
                "--ctrl", f"type=tcp,port={ctrl},bindaddr=127.0.0.1",
                "--tpmstate", f"dir={state}",
                "--flags", "not-need-init,startup-clear",
            ]  # fmt: skip
            log = workdir / "swtpm.log"
            try:
                with log.open("wb") as out:
                    proc = subprocess.Popen(
                        cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=workdir
                    )
            except OSError as e:
                raise ToolError(f"cannot run swtpm: {e}", command=cmd) from e
            self._proc, self._port, self._ctrl_port = proc, port, ctrl
            self._finalizer = weakref.finalize(self, _cleanup, proc, workdir, 5.0)
            try:
                self._wait_ready(proc, port, cmd, log)
            except BaseException as e:
                self._finalizer.detach()
                self._finalizer = None
                _stop_process(proc, 5.0)
                self._proc = None
                in_use = isinstance(e, ToolError) and _ADDR_IN_USE.search(log.read_bytes())
                if in_use and attempt < self.start_attempts:
                    continue
                raise
            return

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int, cmd: list[str], log: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout
        delay = 0.005
        while True:
            if proc.poll() is not None:
                raise ToolError(
                    "swtpm exited during startup",
                    command=cmd,
                    returncode=proc.returncode,
                    stderr=log.read_text(errors="replace"),
                )
            try:
                for p in (port, port + 1):
                    with socket.create_connection(("127.0.0.1", p), timeout=0.5):
                        pass
            except OSError:
                pass
            else:
                return
            if time.monotonic() > deadline:
                raise ToolError(
                    f"swtpm did not accept connections within {self.startup_timeout} s",
                    command=cmd,
                    stderr=log.read_text(errors="replace"),
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop swtpm by PID (SIGTERM, wait ``timeout``, SIGKILL) and remove the private directory."""
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        _cleanup(self._proc, self._workdir, timeout)
        self._proc = None
        self._workdir = None
        self._ek = self._ak = None

    def _require_running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            raise ToolError("swtpm session is not running (use it as a context manager or call start())")
        return self._proc

    # -- commands --------------------------------------------------------------------------------

    def run(
        self,
        args: Sequence[str | os.PathLike[str]],
        *,
        check: bool = True,
        timeout: float | None = None,
        retries: int = 1,
        flush: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run one tpm2-tools command (``args[0]`` is the tool) against this TPM.

        The command runs in :attr:`workdir` with ``TPM2TOOLS_TCTI`` pointing at this swtpm. A command
        that fails to reach the TPM (TCTI connection error) is retried ``retries`` times. With
        ``flush=True``, transient objects and loaded sessions are flushed afterwards (also when the
        command failed): pass it for every command that loads a context.

        Raises:
            MissingComponentError: the tool is not installed.
            ToolError: non-zero exit status (with ``check=True``) or timeout; carries stderr.
        """
        self._require_running()
        argv = [os.fspath(a) for a in args]
        if not argv:
            raise DataError("empty command")
        exe = shutil.which(argv[0])
        if exe is None:
            raise MissingComponentError(argv[0], _INSTALL_HINT)
        env = dict(os.environ, TPM2TOOLS_TCTI=self.tcti)
        for attempt in range(retries + 1):
            try:
                done = subprocess.run(
                    [exe, *argv[1:]],
                    cwd=self.workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout or self.command_timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as e:
                raise ToolError(
                    f"{argv[0]} timed out after {e.timeout} s",
                    command=argv,
                    stderr=(e.stderr or b"").decode(errors="replace"),
                ) from e
            if done.returncode == 0 or not _is_tcti_failure(done.stderr) or attempt == retries:
                break
            time.sleep(0.05)
        if flush:
            try:
                self.flush()
            except ToolError:
                if done.returncode == 0:
                    raise
        if check and done.returncode != 0:
            raise ToolError(
                f"{argv[0]} failed",
                command=argv,
                returncode=done.returncode,
                stderr=done.stderr.decode(errors="replace"),
            )
        return done

    def flush(self) -> None:
        """Flush every transient object and loaded session (there is no resource manager)."""
        self.run(["tpm2_flushcontext", "-t"])
        self.run(["tpm2_flushcontext", "-l"])

    def _path(self, stem: str) -> Path:
        return self.workdir / f"{stem}-{next(self._counter)}"

    def reboot(self, *, hcrtm_data: bytes | None = None) -> None:
        """Power-cycle the TPM: ``TPM2_Shutdown(CLEAR)``, ``_TPM_Init`` (``swtpm_ioctl -i`` on the
        control channel), then ``TPM2_Startup(CLEAR)``: a TPM Reset (resetCount + 1, PCRs back to their
        start values; TPM 2.0 Part 3, 9 "Start-up").

        With ``hcrtm_data`` an H-CRTM sequence runs between init and startup (``swtpm_ioctl -h``:
        _TPM_Hash_Start/_TPM_Hash_Data/_TPM_Hash_End, TPM 2.0 Part 3), so PCR 0 starts at ``00..04``
        and is extended with the hash of the data in every bank (PC Client PTP, "H-CRTM"). Saved
        contexts die with the reset, so the EK and AK of this session are forgotten: create new ones.
        """
        self.run(["tpm2_shutdown", "-c"])
        self._ctrl(["-i"])
        if hcrtm_data is not None:
            self._ctrl(["-h", "-"], stdin=hcrtm_data)
        self.run(["tpm2_startup", "-c"])
        self._ek = self._ak = None

    def _ctrl(self, args: list[str], stdin: bytes = b"") -> None:
        exe = shutil.which("swtpm_ioctl")
        if exe is None:
            raise MissingComponentError("swtpm_ioctl", _INSTALL_HINT)
        cmd = [exe, "--tcp", f"127.0.0.1:{self.ctrl_port}", *args]
        try:
            done = subprocess.run(
                cmd, input=stdin, capture_output=True, timeout=self.command_timeout, check=False
            )
        except subprocess.TimeoutExpired as e:
            raise ToolError(f"swtpm_ioctl timed out after {e.timeout} s", command=cmd) from e
        if done.returncode != 0:
            raise ToolError(
                "swtpm_ioctl failed",
                command=cmd,
                returncode=done.returncode,
                stderr=done.stderr.decode(errors="replace"),
            )

    # -- PCRs ------------------------------------------------------------------------------------

    def active_banks(self) -> dict[str, tuple[int, ...]]:
        """Allocated PCR banks and their PCRs (``tpm2_getcap pcrs``), e.g. ``{"sha256": (0, ..., 23)}``.

        swtpm 0.7 allocates sha1, sha256, sha384 and sha512 by default.
        """
        out = self.run(["tpm2_getcap", "pcrs"]).stdout.decode()
        banks: dict[str, tuple[int, ...]] = {}
        for line in out.splitlines():
            m = _GETCAP_BANK.match(line)
            if m:
                idx = tuple(int(x) for x in m.group(2).split(",") if x.strip())
                if idx:
                    banks[m.group(1)] = idx
        return banks

    def pcr_extend(self, pcr: int, digests: Mapping[str | HashAlg, bytes]) -> None:
        """``TPM2_PCR_Extend`` of PCR ``pcr`` with one digest per bank (``tpm2_pcrextend``).

        Raises:
            DataError: a digest whose size does not match its bank, or a PCR outside 0..23.
            ToolError: the TPM refused (e.g. PCR 17-22 from locality 0).
        """
        check_pcr_index(pcr)
        if not digests:
            raise DataError("no digest to extend", field="digests")
        parts = []
        for bank, digest in digests.items():
            alg = hash_alg(bank)
            if len(digest) != alg.digest_size:
                raise DataError(
                    f"{alg.name} digest must be {alg.digest_size} bytes, got {len(digest)}", field=alg.name
                )
            parts.append(f"{alg.name}={digest.hex()}")
        self.run(["tpm2_pcrextend", f"{pcr}:{','.join(parts)}"])

    def pcr_reset(self, pcr: int) -> None:
        """``TPM2_PCR_Reset`` (``tpm2_pcrreset``); at locality 0 only PCR 16 and 23 are resettable.

        Raises:
            ToolError: the TPM refused (e.g. PCR 0-15).
        """
        check_pcr_index(pcr)
        self.run(["tpm2_pcrreset", str(pcr)])

    def pcr_event(self, pcr: int, data: bytes) -> dict[str, bytes]:
        """``TPM2_PCR_Event``: the TPM hashes ``data`` (at most 1024 bytes) with every active bank's
        algorithm and extends PCR ``pcr`` with each digest (``tpm2_pcrevent``). Returns the digests."""
        check_pcr_index(pcr)
        if len(data) > 1024:
            raise DataError(f"event data must be at most 1024 bytes, got {len(data)}", field="data")
        path = self._path("event.bin")
        path.write_bytes(data)
        out = self.run(["tpm2_pcrevent", str(pcr), path]).stdout.decode()
        digests: dict[str, bytes] = {}
        for line in out.splitlines():
            bank, sep, value = line.partition(":")
            if sep and value.strip():
                digests[hash_alg(bank.strip()).name] = bytes.fromhex(value.strip())
        return digests

    def pcr_read(
        self, selection: str | PcrSelection | Mapping[Any, Iterable[int]]
    ) -> dict[str, dict[int, bytes]]:
        """Current PCR values ``{bank: {pcr: value}}`` (``tpm2_pcrread``; unauthenticated, like the TPM
        command itself: only a quote proves them)."""
        out = self.run(["tpm2_pcrread", pcr_spec(selection)]).stdout.decode()
        values: dict[str, dict[int, bytes]] = {}
        bank: dict[int, bytes] | None = None
        for line in out.splitlines():
            if m := _BANK_LINE.match(line):
                bank = values.setdefault(hash_alg(m.group(1)).name, {})
            elif (m := _PCR_LINE.match(line)) and bank is not None:
                bank[int(m.group(1))] = bytes.fromhex(m.group(2))
        return values

    # -- keys and quotes -------------------------------------------------------------------------

    def _key(self, kind: str, ctx: Path, pub: Path, name: Path, qname: Path | None = None) -> SwtpmKey:
        pem = self._path(ctx.name.replace(".ctx", ".pem"))
        self.run(["tpm2_readpublic", "-c", ctx, "-f", "pem", "-o", pem], flush=True)
        qualified = qname.read_bytes() if qname is not None else b""
        return SwtpmKey(kind, ctx, pub.read_bytes(), pem.read_bytes(), name.read_bytes(), qualified)

    def create_ek(self, kind: str = "rsa") -> SwtpmKey:
        """Create the endorsement key from the default template (``tpm2_createek -G rsa|ecc``)."""
        if kind not in {"rsa", "ecc"}:
            raise DataError(f"EK kind must be 'rsa' or 'ecc', got {kind!r}", field="kind")
        ctx, pub, name = self._path("ek.ctx"), self._path("ek.pub"), self._path("ek.name")
        self.run(["tpm2_createek", "-c", ctx, "-G", kind, "-f", "tss", "-u", pub], flush=True)
        self.run(["tpm2_readpublic", "-c", ctx, "-n", name], flush=True)
        self._ek = self._key(kind, ctx, pub, name)
        return self._ek

    def create_ak(self, kind: str = "ecc", *, scheme: str | None = None, hash: str = "sha256") -> SwtpmKey:
        """Create a restricted signing AK under the EK (``tpm2_createak``), creating an RSA EK first if
        needed. ``kind="ecc"`` signs with ECDSA (NIST P-256); ``kind="rsa"`` (RSA 2048) with RSASSA, or
        RSASSA-PSS with ``scheme="rsapss"``."""
        allowed = {"ecc": ("ecdsa",), "rsa": ("rsassa", "rsapss")}
        if kind not in allowed:
            raise DataError(f"AK kind must be 'ecc' or 'rsa', got {kind!r}", field="kind")
        sig_scheme = scheme or allowed[kind][0]
        if sig_scheme not in allowed[kind]:
            raise DataError(f"scheme {sig_scheme!r} does not fit an {kind} AK", field="scheme")
        alg = hash_alg(hash)
        ek = self._ek or self.create_ek()
        ctx, pub = self._path("ak.ctx"), self._path("ak.pub")
        name, qname = self._path("ak.name"), self._path("ak.qname")
        self.run([
            "tpm2_createak", "-C", ek.context, "-c", ctx, "-G", kind, "-g", alg.name, "-s", sig_scheme,
            "-f", "tss", "-u", pub, "-n", name, "-q", qname,
        ], flush=True)  # fmt: skip
        self._ak = replace(self._key(kind, ctx, pub, name, qname), scheme=sig_scheme)
        return self._ak

    def quote(
        self,
        selection: str | PcrSelection | Mapping[Any, Iterable[int]],
        nonce: bytes,
        *,
        ak: SwtpmKey | None = None,
        hash: str = "sha256",
    ) -> SwtpmQuote:
        """``TPM2_Quote`` over ``selection`` with qualifying data ``nonce``, signed by ``ak`` (default:
        the last AK created) using the ``hash`` signature scheme digest (``tpm2_quote``)."""
        key = ak or self._ak
        if key is None:
            raise DataError("no AK: call create_ak() first", field="ak")
        if len(nonce) > TPM2_QUOTE_MAX_NONCE:
            raise DataError(
                f"nonce must be at most {TPM2_QUOTE_MAX_NONCE} bytes for tpm2_quote, got {len(nonce)}",
                field="nonce",
            )
        msg, sig, pcrs = self._path("quote.msg"), self._path("quote.sig"), self._path("quote.pcrs")
        qualifying = ["-q", nonce.hex()] if nonce else []
        # tpm2_quote asks for RSASSA by default; a restricted key only signs with its own scheme.
        scheme = ["--scheme", key.scheme] if key.scheme else []
        self.run([
            "tpm2_quote", "-c", key.context, "-l", pcr_spec(selection), *qualifying, *scheme,
            "-m", msg, "-s", sig, "-o", pcrs, "-g", hash_alg(hash).name,
        ], flush=True)  # fmt: skip
        return SwtpmQuote(msg.read_bytes(), sig.read_bytes(), pcrs.read_bytes())


def _is_tcti_failure(stderr: bytes) -> bool:
    return bool(re.search(rb"(?i)tcti|connection refused|connection reset", stderr)) and b"tpm:" not in stderr
