"""Proof files: a versioned, self-describing container for a seal and its statement.

Layout (all integers little-endian)::

    magic        8 bytes   b"L2GPUPRF"
    version      u16       1
    header_len   u32
    header       header_len bytes of canonical JSON (UTF-8, sorted keys, no spaces):
                 program, public_inputs, public_outputs, po2, hash_suite,
                 protocol {name, inv_rate, queries, fri_fold, fri_min_degree},
                 seal_words
    seal         seal_words × u32

The parser is strict: any deviation — a wrong magic or version, a header that is not
exactly the canonical encoding of a valid header, unknown or missing keys, a length
that does not match — raises :class:`~l2gpu.errors.ProofFormatError` with the reason.
What parses is then checked by the verifier, so a changed byte anywhere is rejected.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ProofFormatError
from .hashing import SUITES
from .stark import params

MAGIC = b"L2GPUPRF"
VERSION = 1
PROTOCOL = {
    "name": "risc0-zkp-v3",
    "inv_rate": params.INV_RATE,
    "queries": params.QUERIES,
    "fri_fold": params.FRI_FOLD,
    "fri_min_degree": params.FRI_MIN_DEGREE,
}
_HEADER_KEYS = {
    "program",
    "public_inputs",
    "public_outputs",
    "po2",
    "hash_suite",
    "protocol",
    "seal_words",
}
_PREFIX = struct.Struct("<8sHI")
MAX_HEADER = 1 << 16


@dataclass(frozen=True, eq=False)
class Proof:
    """A statement — program, public inputs and outputs, size — and the seal proving it.

    Two proofs are equal when their files are byte for byte the same.
    """

    program: str
    public_inputs: dict[str, int]
    public_outputs: dict[str, int]
    po2: int
    hash_suite: str
    seal: np.ndarray = field(repr=False)
    protocol: dict = field(default_factory=lambda: dict(PROTOCOL))

    @property
    def security_bits(self) -> int:
        """Conjectured bits of security of the FRI parameters this proof was made with."""
        return params.security_bits(self.protocol["queries"], self.protocol["inv_rate"])

    @property
    def rows(self) -> int:
        return 1 << self.po2

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Proof) and self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def _header(self) -> bytes:
        header = {
            "program": self.program,
            "public_inputs": self.public_inputs,
            "public_outputs": self.public_outputs,
            "po2": self.po2,
            "hash_suite": self.hash_suite,
            "protocol": self.protocol,
            "seal_words": int(self.seal.size),
        }
        return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()

    def to_bytes(self) -> bytes:
        header = self._header()
        seal = np.asarray(self.seal, dtype="<u4").tobytes()
        return _PREFIX.pack(MAGIC, VERSION, len(header)) + header + seal

    @classmethod
    def from_bytes(cls, data: bytes) -> Proof:
        """Parse a proof file; raise ``ProofFormatError`` for anything malformed."""
        if len(data) < _PREFIX.size:
            raise ProofFormatError(f"too short for a proof file ({len(data)} bytes)")
        magic, version, header_len = _PREFIX.unpack_from(data)
        if magic != MAGIC:
            raise ProofFormatError("not an l2gpu proof file (bad magic)")
        if version != VERSION:
            raise ProofFormatError(
                f"unsupported proof format version {version} (this is {VERSION})"
            )
        if header_len > MAX_HEADER or _PREFIX.size + header_len > len(data):
            raise ProofFormatError("header length runs past the end of the file")
        raw = bytes(data[_PREFIX.size : _PREFIX.size + header_len])
        header = _parse_header(raw)
        body = data[_PREFIX.size + header_len :]
        if len(body) != 4 * header["seal_words"]:
            raise ProofFormatError(
                f"seal is {len(body)} bytes; the header announces {header['seal_words']} words"
            )
        proof = cls(
            program=header["program"],
            public_inputs=header["public_inputs"],
            public_outputs=header["public_outputs"],
            po2=header["po2"],
            hash_suite=header["hash_suite"],
            seal=np.frombuffer(body, dtype="<u4").astype(np.uint32),
            protocol=dict(PROTOCOL),
        )
        if proof._header() != raw:
            raise ProofFormatError("header is not in canonical form")
        return proof

    def save(self, path: str | os.PathLike) -> None:
        """Write atomically: a crash never leaves a partial file under ``path``."""
        write_atomic(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Proof:
        return cls.from_bytes(Path(path).read_bytes())


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place: readers,
    and concurrent writers, see the old file or the whole new one, never a part."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parse_header(raw: bytes) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, absurd numbers or nesting
        raise ProofFormatError(f"header is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict) or set(header) != _HEADER_KEYS:
        keys = sorted(header) if isinstance(header, dict) else type(header).__name__
        raise ProofFormatError(
            f"header must have exactly the keys {sorted(_HEADER_KEYS)}, got {keys}"
        )
    if not isinstance(header["program"], str):
        raise ProofFormatError("program must be a string")
    for key in ("public_inputs", "public_outputs"):
        values = header[key]
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and _is_int(v) for k, v in values.items()
        ):
            raise ProofFormatError(f"{key} must map names to integers")
    if not _is_int(header["po2"]) or not 1 <= header["po2"] <= 27:
        raise ProofFormatError(f"po2 out of range: {header['po2']!r}")
    if header["hash_suite"] not in SUITES:
        raise ProofFormatError(f"unknown hash suite {header['hash_suite']!r}")
    if header["protocol"] != PROTOCOL:
        raise ProofFormatError(f"unsupported protocol parameters {header['protocol']!r}")
    if not _is_int(header["seal_words"]) or header["seal_words"] < 0:
        raise ProofFormatError("seal_words must be a non-negative integer")
    return header


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)
