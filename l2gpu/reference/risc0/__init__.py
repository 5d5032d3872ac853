"""RISC Zero's prover as the live reference for l2gpu's programs.

Where RISC Zero's toolchain is installed (``rzup``, ``cargo risczero``), :func:`prove`
builds the Rust workspace shipped in ``template/`` — a host and the guests
``fibonacci`` (l2gpu's semantics: ``fib(0) = 0``, ``fib(1) = 1``, mod ``P``) and
``sha256`` — once into ``risc0-<version>-<hash>/`` in l2gpu's cache directory
(:func:`l2gpu.config.cache_dir`; a new directory whenever the template's files
change), runs the host on one statement and returns what it reported as a
:class:`Reference`.

The host protocol, which :func:`parse_report` checks field by field::

    HOST fibonacci N            HOST sha256 MESSAGE_HEX
    → exit 0 and one JSON object on stdout:
      program, inputs ({"n"} | {"message_hex"}), journal ({"n", "fib_n"} | {"digest"}),
      total_cycles, user_cycles, segments, prove_seconds, receipt_kind
      (composite | succinct | groth16 | fake), seal_bytes, dev_mode, risc0_version

``RISC0_DEV_MODE`` makes RISC Zero fake its receipts: such a run is reported
(``dev_mode``, ``receipt_kind == "fake"``) and :attr:`Reference.is_proof` is false —
never count it as a proof.

Another executable speaking the same protocol — a host built elsewhere, or the test
double ``tests/fake_risc0_host.py`` — replaces the built template only when asked
for: ``prove(..., host=[command])`` or the ``L2GPU_RISC0_HOST`` environment variable
(a command line). :attr:`Reference.host` names the command that ran, and
:attr:`Reference.from_template` says whether it was the template.

Nothing here is needed to install, run or test l2gpu: without the toolchain
:func:`find_toolchain` raises :class:`ToolchainNotFoundError` saying what to install.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ... import config
from ...field import P

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

RISC0_VERSION = "3.0.4"  # the version every Cargo.toml of the template pins
PROGRAMS = ("fibonacci", "sha256")
RECEIPT_KINDS = ("composite", "succinct", "groth16", "fake")
HOST_ENV = "L2GPU_RISC0_HOST"
HOST_BINARY = "l2gpu-risc0-host"
INSTALL = "curl -L https://risczero.com/install | bash && rzup install"
BUILD_TIMEOUT = 3600.0  # seconds: a first build compiles RISC Zero's prover
PROVE_TIMEOUT = 1800.0

__all__ = [
    "HOST_ENV",
    "PROGRAMS",
    "RISC0_VERSION",
    "HostError",
    "Reference",
    "Risc0Error",
    "Toolchain",
    "ToolchainNotFoundError",
    "build",
    "cache_dir",
    "find_toolchain",
    "parse_report",
    "prove",
    "template_files",
]


class Risc0Error(Exception):
    """RISC Zero could not give a reference result; the message says why."""


class ToolchainNotFoundError(Risc0Error):
    """RISC Zero's toolchain is not installed here; the message says how to install it."""


class HostError(Risc0Error):
    """Building or running the host failed, timed out, or broke the JSON protocol."""


@dataclass(frozen=True)
class Toolchain:
    """The executables a build needs: ``cargo`` and RISC Zero's ``cargo-risczero``."""

    cargo: str
    cargo_risczero: str

    def env(self) -> dict[str, str]:
        """The environment for cargo: ``PATH`` leads with the toolchain's directories."""
        dirs = dict.fromkeys(str(Path(p).parent) for p in (self.cargo, self.cargo_risczero))
        return {**os.environ, "PATH": os.pathsep.join([*dirs, os.environ.get("PATH", "")])}


@dataclass(frozen=True)
class Reference:
    """What RISC Zero's host reported for one statement."""

    program: str
    inputs: dict[str, object]
    journal: dict[str, object]  # the decoded public outputs
    total_cycles: int
    user_cycles: int
    segments: int
    prove_seconds: float
    receipt_kind: str
    seal_bytes: int
    dev_mode: bool
    risc0_version: str
    host: str  # the command that ran
    from_template: bool  # False: a host given by ``host=`` or ``L2GPU_RISC0_HOST``

    @property
    def is_proof(self) -> bool:
        """Whether the receipt is a real proof (not dev mode's fake one)."""
        return not self.dev_mode and self.receipt_kind != "fake"

    @property
    def cycles_per_second(self) -> float:
        return self.total_cycles / self.prove_seconds if self.prove_seconds > 0 else math.inf

    def as_dict(self) -> dict:
        return {**asdict(self), "is_proof": self.is_proof}


def find_toolchain() -> Toolchain:
    """``cargo`` and ``cargo-risczero``, on ``PATH`` or where rustup and rzup install them.

    Raises :class:`ToolchainNotFoundError` naming what is missing and how to install it.
    """
    home = Path.home()
    search = os.pathsep.join(
        [os.environ.get("PATH", ""), str(home / ".risc0" / "bin"), str(home / ".cargo" / "bin")]
    )
    found = {name: shutil.which(name, path=search) for name in ("cargo", "cargo-risczero")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ToolchainNotFoundError(
            f"RISC Zero's toolchain is not installed here ({' and '.join(missing)} not found): "
            f"install it with `{INSTALL}` (rustup's cargo too, if missing), then put "
            f"~/.risc0/bin on PATH. The reference host pins RISC Zero {RISC0_VERSION}."
        )
    return Toolchain(found["cargo"], found["cargo-risczero"])


def template_files() -> dict[str, bytes]:
    """The template's files by POSIX relative path, sorted; build outputs left out."""
    files: dict[str, bytes] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                if child.name != "target":
                    walk(child, f"{prefix}{child.name}/")
            else:
                files[prefix + child.name] = child.read_bytes()

    walk(resources.files(__name__).joinpath("template"), "")
    return dict(sorted(files.items()))


def cache_dir(files: dict[str, bytes] | None = None, *, cuda: bool = False) -> Path:
    """Where the template is built: keyed by RISC Zero's version and a hash of the files."""
    digest = hashlib.sha256()
    for path, data in (files if files is not None else template_files()).items():
        digest.update(f"{path}\0{len(data)}\0".encode())
        digest.update(data)
    name = f"risc0-{RISC0_VERSION}-{digest.hexdigest()[:16]}{'-cuda' if cuda else ''}"
    return config.cache_dir() / name


def build(
    toolchain: Toolchain | None = None, *, cuda: bool = False, timeout: float = BUILD_TIMEOUT
) -> Path:
    """Build the template (once per version, content and ``cuda``); return the host binary.

    ``cuda`` builds RISC Zero's CUDA prover (the host's ``cuda`` feature; needs the
    CUDA toolkit). Raises :class:`ToolchainNotFoundError` or :class:`HostError`.
    """
    toolchain = toolchain or find_toolchain()
    files = template_files()
    root = cache_dir(files, cuda=cuda)
    binary = root / "target" / "release" / HOST_BINARY
    built = root / ".l2gpu-built"  # written last: a build cut short is built again
    if built.is_file() and binary.is_file():
        return binary
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    command = [toolchain.cargo, "build", "--release", "--package", HOST_BINARY]
    _run([*command, *(["--features", "cuda"] if cuda else [])], root, toolchain.env(), timeout)
    if not binary.is_file():
        raise HostError(f"cargo build succeeded but left no {binary}")
    built.write_text(f"RISC Zero {RISC0_VERSION}\n")
    return binary


def _host_args(program: str, inputs: dict[str, object]) -> tuple[list[str], dict[str, object]]:
    """The host's arguments for a statement, and the ``inputs`` it must echo."""
    if program == "fibonacci" and set(inputs) == {"n"}:
        n = inputs["n"]
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < 1 << 32:
            raise ValueError(f"n must be an integer in [0, 2^32), got {n!r}")
        return ["fibonacci", str(n)], {"n": n}
    if program == "sha256" and set(inputs) == {"message"}:
        message = inputs["message"]
        if not isinstance(message, bytes):
            raise ValueError(f"message must be bytes, got {type(message).__name__}")
        return ["sha256", message.hex()], {"message_hex": message.hex()}
    if program not in PROGRAMS:
        raise ValueError(f"no RISC Zero guest for {program!r}; known: {', '.join(PROGRAMS)}")
    wanted = "n" if program == "fibonacci" else "message"
    raise ValueError(f"{program} takes the input {wanted!r}, got {sorted(inputs)}")


def prove(
    program: str,
    *,
    host: str | Sequence[str] | None = None,
    cuda: bool = False,
    timeout: float = PROVE_TIMEOUT,
    **inputs: object,
) -> Reference:
    """Prove ``program`` on ``inputs`` with RISC Zero: ``prove("fibonacci", n=1000)``,
    ``prove("sha256", message=b"abc")``.

    ``host`` (else ``L2GPU_RISC0_HOST``) is a command (a list, or one command line) run
    instead of the built template.
    Raises ``ValueError`` for bad inputs, :class:`ToolchainNotFoundError`, or
    :class:`HostError` when the host fails, takes over ``timeout`` seconds, or prints
    something other than the protocol's JSON object.
    """
    args, echoed = _host_args(program, inputs)
    if host is None and os.environ.get(HOST_ENV, "").strip():
        host = os.environ[HOST_ENV]
    if isinstance(host, str):
        host = shlex.split(host)
    command = [str(build(cuda=cuda))] if host is None else list(host)
    stdout = _run([*command, *args], None, None, timeout)
    return parse_report(
        stdout, program, echoed, host=shlex.join(command), from_template=host is None
    )


def _run(command: list[str], cwd: Path | None, env: dict[str, str] | None, timeout: float) -> str:
    """Run ``command`` in its own process group; its stdout, or a :class:`HostError`."""
    what = shlex.join(command)
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a timeout ends the whole group it started
        )
    except OSError as exc:
        raise HostError(f"cannot run {what}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise HostError(f"{what} timed out after {timeout:g} s") from None
    if proc.returncode != 0:
        raise HostError(f"{what} failed with exit status {proc.returncode}: {_tail(stderr)}")
    return stdout


def _tail(text: str, lines: int = 20) -> str:
    kept = text.strip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(nothing on stderr)"


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "program": str,
    "inputs": dict,
    "journal": dict,
    "total_cycles": int,
    "user_cycles": int,
    "segments": int,
    "prove_seconds": (int, float),
    "receipt_kind": str,
    "seal_bytes": int,
    "dev_mode": bool,
    "risc0_version": str,
}


def parse_report(
    text: str,
    program: str,
    inputs: dict[str, object],
    *,
    host: str,
    from_template: bool = True,
) -> Reference:
    """Check the host's stdout against the protocol for ``program`` on ``inputs``."""

    def bad(reason: str) -> HostError:
        return HostError(f"the RISC Zero host ({host}) {reason}")

    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        shown = text.strip()[:200] or "nothing"
        raise bad(f"did not print one JSON object ({exc.msg}); it printed: {shown}") from None
    if not isinstance(report, dict):
        raise bad(f"printed JSON that is not an object: {type(report).__name__}")
    missing = [k for k in _FIELDS if k not in report]
    if missing:
        raise bad(f"left out {', '.join(missing)}")
    for key, kind in _FIELDS.items():
        value = report[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise bad(f"gave {key} = {value!r}, not of the protocol's type")
    if report["program"] != program or report["inputs"] != inputs:
        raise bad(f"proved {report['program']}({report['inputs']}), not {program}({inputs})")
    if min(report[k] for k in ("total_cycles", "user_cycles", "segments", "seal_bytes")) < 0:
        raise bad("gave a negative count")
    if not (math.isfinite(report["prove_seconds"]) and report["prove_seconds"] >= 0):
        raise bad(f"gave prove_seconds = {report['prove_seconds']!r}")
    if report["receipt_kind"] not in RECEIPT_KINDS:
        raise bad(f"gave an unknown receipt_kind {report['receipt_kind']!r}")
    if report["risc0_version"] != RISC0_VERSION:
        raise bad(f"runs RISC Zero {report['risc0_version']}, not the pinned {RISC0_VERSION}")
    _check_journal(program, inputs, report["journal"], bad)
    fields = {**{k: report[k] for k in _FIELDS}, "prove_seconds": float(report["prove_seconds"])}
    return Reference(**fields, host=host, from_template=from_template)


def _check_journal(
    program: str, inputs: dict[str, object], journal: dict, bad: Callable[[str], HostError]
) -> None:
    """The journal's shape, and that it restates the inputs (fibonacci's ``n``)."""
    if program == "fibonacci":
        ok = set(journal) == {"n", "fib_n"} and all(
            isinstance(journal[k], int) and not isinstance(journal[k], bool) for k in journal
        )
        if not ok or not 0 <= journal["fib_n"] < P:
            raise bad(f"gave a journal that is not {{n, fib_n < P}}: {journal!r}")
        if journal["n"] != inputs["n"]:
            raise bad(f"committed n = {journal['n']} for n = {inputs['n']}")
        return
    digest = journal.get("digest")
    if set(journal) != {"digest"} or not isinstance(digest, str) or len(digest) != 64:
        raise bad(f"gave a journal that is not {{digest: 64 hex digits}}: {journal!r}")
    try:
        bytes.fromhex(digest)
    except ValueError:
        raise bad(f"gave a digest that is not hex: {digest!r}") from None
