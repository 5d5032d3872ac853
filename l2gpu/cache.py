"""A proof cache: ``CachedZkVM`` proves each statement once and answers repeats from it.

A statement's key is a SHA-256 over its program (name and circuit), its inputs, the
options the proof depends on (the hash suite, the protocol parameters — never the
backend, which does not change the proof) and l2gpu's version. It is computed from the
request alone: the program is not executed to look a proof up.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import backends, config, programs
from .errors import BatchError, ProofFormatError
from .proof import PROTOCOL, Proof, write_atomic
from .vm import Options, Request, ZkVM

__all__ = ["CacheStats", "CachedZkVM", "ProofCache", "cache_key"]

_MAGIC = b"L2GPUPC1"  # an entry: magic, the key (64 hex digits), SHA-256 of the proof, proof
_SUFFIX = ".l2pc"


def cache_key(
    program: str | programs.Program, inputs: Mapping[str, object], options: Options
) -> str:
    """The hex SHA-256 that names the proof of ``program`` on ``inputs`` under ``options``.

    Inputs may be integers, booleans, strings, ``None``, numpy arrays and lists or
    mappings of those; anything else raises ``TypeError``.
    """
    from . import __version__

    prog = programs.get(program)
    statement = {
        "program": prog.name,
        "circuit": hashlib.sha256(repr(prog.circuit).encode()).hexdigest(),
        "inputs": {str(k): _canonical(v, str(k)) for k, v in inputs.items()},
        "options": options.proof_options(),
        "protocol": PROTOCOL,
        "version": __version__,
    }
    text = json.dumps(statement, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: object, name: str) -> object:
    """``value`` as JSON that two equal inputs, and only they, share."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.view(np.uint8).ravel()).hexdigest()
        return {"ndarray": data.dtype.str, "shape": list(data.shape), "sha256": digest}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, name) for v in value]
    if isinstance(value, Mapping):
        return {"mapping": {str(k): _canonical(v, name) for k, v in value.items()}}
    raise TypeError(f"input {name!r}: cannot key a {type(value).__name__} for the proof cache")


@dataclass
class CacheStats:
    """What a :class:`ProofCache` has done: ``hits`` (``disk_hits`` of them from disk),
    ``misses``, ``stores``, and ``discarded`` — corrupt disk entries removed (each also
    a miss)."""

    hits: int = 0
    misses: int = 0
    disk_hits: int = 0
    stores: int = 0
    discarded: int = 0


class ProofCache:
    """Proofs by key: an LRU of ``max_entries`` in memory, and optionally a directory.

    On disk each proof is one file, ``KEY.l2pc``: a header (magic, the key, the proof's
    SHA-256), then the proof file. Entries are written atomically (a temporary file
    renamed into place), so concurrent writers — threads or processes — never leave a
    torn file; an entry that does not check (header, checksum or proof) is a miss,
    removed and counted in ``stats.discarded``, never an error. An entry that cannot be
    written is a ``RuntimeWarning``: the proof is returned all the same.
    """

    def __init__(self, directory: str | Path | None = None, max_entries: int = 256) -> None:
        if not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError(f"max_entries must be a non-negative integer, got {max_entries!r}")
        self.directory = None if directory is None else Path(directory).expanduser()
        self.max_entries = max_entries
        self.stats = CacheStats()
        self._memory: OrderedDict[str, Proof] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: config.Settings) -> ProofCache:
        """In memory; on disk too, under ``cache_dir/proofs``, if ``proof_cache`` is on."""
        directory = settings.cache_dir / "proofs" if settings.proof_cache else None
        return cls(directory, settings.proof_cache_size)

    def get(self, key: str) -> Proof | None:
        """The proof stored under ``key``, or ``None``."""
        with self._lock:
            proof = self._memory.get(key)
            if proof is not None:
                self._memory.move_to_end(key)
                self.stats.hits += 1
                return proof
        proof = self._read(key)
        with self._lock:
            if proof is None:
                self.stats.misses += 1
                return None
            self.stats.hits += 1
            self.stats.disk_hits += 1
            self._remember(key, proof)
        return proof

    def put(self, key: str, proof: Proof) -> None:
        """Store ``proof`` under ``key``, in memory and on disk."""
        with self._lock:
            self._remember(key, proof)
            self.stats.stores += 1
        if self.directory is None:
            return
        data = proof.to_bytes()
        entry = _MAGIC + key.encode("ascii") + hashlib.sha256(data).digest() + data
        path = _entry_path(self.directory, key)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomic(path, entry)
        except OSError as exc:
            warnings.warn(f"proof cache: cannot write {path}: {exc}", RuntimeWarning, 2)

    def _remember(self, key: str, proof: Proof) -> None:
        self._memory[key] = proof
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)

    def _read(self, key: str) -> Proof | None:
        if self.directory is None:
            return None
        path = _entry_path(self.directory, key)
        try:
            entry = path.read_bytes()
        except OSError:  # absent (or unreadable): a miss
            return None
        head = len(_MAGIC) + len(key) + 32
        data = entry[head:]
        header_ok = entry[: len(_MAGIC) + len(key)] == _MAGIC + key.encode("ascii")
        if header_ok and entry[head - 32 : head] == hashlib.sha256(data).digest():
            try:
                return Proof.from_bytes(data)
            except ProofFormatError:
                pass
        with self._lock:
            self.stats.discarded += 1
        path.unlink(missing_ok=True)
        return None


def _entry_path(directory: Path, key: str) -> Path:
    return directory / f"{key}{_SUFFIX}"


class CachedZkVM(ZkVM):
    """A :class:`ZkVM` that looks every statement up in a :class:`ProofCache` first and
    proves only the misses (each distinct one once), storing what it proves.

    ``cache`` defaults to the configured one (:meth:`ProofCache.from_settings`).
    """

    def __init__(
        self,
        backend: str | backends.Backend | None = None,
        options: Options | None = None,
        cache: ProofCache | None = None,
    ) -> None:
        super().__init__(backend, options)
        self.cache = ProofCache.from_settings(config.load()) if cache is None else cache

    @property
    def stats(self) -> CacheStats:
        return self.cache.stats

    def key(self, request: Request | tuple | Mapping) -> str:
        """The cache key of a request (see :func:`cache_key`)."""
        request = Request.of(request)
        return cache_key(request.program, request.inputs, self.options)

    def prove(self, program: str | programs.Program, **inputs: object) -> Proof:
        key = cache_key(program, inputs, self.options)
        proof = self.cache.get(key)
        if proof is None:
            proof = super().prove(program, **inputs)
            self.cache.put(key, proof)
        return proof

    def prove_batch(self, requests: Iterable[Request | tuple | Mapping]) -> list[Proof]:
        return self._through_cache(requests, super().prove_batch)

    def prove_parallel(
        self, requests: Iterable[Request | tuple | Mapping], executor: Any = None
    ) -> list[Proof]:
        return self._through_cache(requests, partial(super().prove_parallel, executor=executor))

    def _through_cache(
        self,
        requests: Iterable[Request | tuple | Mapping],
        prove: Callable[[Sequence[Request]], list[Proof]],
    ) -> list[Proof]:
        reqs = [Request.of(r) for r in requests]
        keys = [self.key(r) for r in reqs]
        found: dict[str, Any] = {}
        for key in keys:
            if key not in found:
                found[key] = self.cache.get(key)
        todo = [k for k, proof in found.items() if proof is None]
        if todo:
            first = {k: reqs[keys.index(k)] for k in todo}
            try:
                proofs: list[Any] = prove([first[k] for k in todo])
            except BatchError as exc:
                proofs = exc.results
            for key, proof in zip(todo, proofs, strict=True):
                found[key] = proof
                if isinstance(proof, Proof):
                    self.cache.put(key, proof)
        return BatchError.collect([found[k] for k in keys])
