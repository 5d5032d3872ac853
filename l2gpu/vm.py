"""``ZkVM``: the object a script holds to prove and verify statements — one at a time,
in batches that share the device, or spread over processes and machines.

::

    with l2gpu.ZkVM(backend="jax") as vm:
        proofs = vm.prove_batch([("fibonacci", {"n": n}) for n in range(4000, 4016)])
        vm.verify_batch(proofs)

Every way of proving gives the same proof, byte for byte, as :func:`l2gpu.prove`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from . import api, backends, config, programs
from .errors import BatchError, VerificationError
from .hashing import get_suite
from .proof import Proof

__all__ = ["Options", "Request", "ZkVM"]


@dataclass(frozen=True)
class Options:
    """How a :class:`ZkVM` proves; checked when built.

    ``suite`` is the hash suite, the one option a proof depends on. ``batch_rows``
    bounds the trace rows :meth:`ZkVM.prove_batch` commits together (device memory);
    ``workers`` sizes :meth:`ZkVM.prove_parallel`'s own process pool (0: one process per
    core). Defaults are :mod:`l2gpu.config`'s.
    """

    suite: str = "poseidon2"
    batch_rows: int = 1 << 22
    workers: int = 0

    def __post_init__(self) -> None:
        get_suite(self.suite)
        for name, least in (("batch_rows", 1), ("workers", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an integer of at least {least}, got {value!r}")

    @classmethod
    def from_settings(cls, settings: config.Settings) -> Options:
        return cls(settings.suite, settings.batch_rows, settings.workers)

    def proof_options(self) -> dict[str, object]:
        """The options the proof bytes depend on, whatever the backend."""
        return {"suite": self.suite}


@dataclass(frozen=True)
class Request:
    """One statement to prove: a program (by name) and its inputs."""

    program: str | programs.Program
    inputs: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, item: Request | tuple | Mapping) -> Request:
        """A request from a :class:`Request`, a ``(program, inputs)`` pair, or a mapping
        ``{"program": ..., "inputs": {...}}``."""
        if isinstance(item, Request):
            return item
        if isinstance(item, Mapping) and "program" in item and set(item) <= {"program", "inputs"}:
            return cls(item["program"], dict(item.get("inputs", {})))
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
            return cls(item[0], dict(item[1]))
        raise TypeError(
            "a request is a Request, a (program, inputs) pair or a mapping with the keys "
            f"'program' and 'inputs'; got {item!r}"
        )


class ZkVM:
    """Proves and verifies statements on one backend, with one set of options.

    ``backend`` and ``options`` default to the configured ones (:mod:`l2gpu.config`); a
    backend asked for by name that cannot run here raises ``BackendUnavailableError``.
    The process pool :meth:`prove_parallel` starts by default is kept for later calls
    until :meth:`close` (or the end of a ``with`` block).
    """

    def __init__(
        self, backend: str | backends.Backend | None = None, options: Options | None = None
    ):
        settings = config.load() if backend is None or options is None else None
        self.backend = backends.get(settings.backend if backend is None else backend)
        self.options = Options.from_settings(settings) if options is None else options
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ZkVM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut down the default process pool, if one was started."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def prove(self, program: str | programs.Program, **inputs: object) -> Proof:
        """Execute ``program`` on ``inputs`` and prove it."""
        return api.prove(program, backend=self.backend, suite=self.options.suite, **inputs)

    def verify(self, proof: Proof) -> bool:
        """``True`` if ``proof`` is valid; raise ``VerificationError`` saying why not."""
        return api.verify(proof)

    def prove_batch(self, requests: Iterable[Request | tuple | Mapping]) -> list[Proof]:
        """Prove many statements here, those of one program and size together.

        Statements of the same program and size have their traces stacked, so that each
        LDE, hash and FRI kernel runs once over the whole group; each proof is still the
        one :meth:`prove` gives. A group is proven in chunks of a power-of-two count of
        statements (so a compiling backend, JAX, sees few shapes) of at most
        ``options.batch_rows`` rows in all (device memory). Proofs come back in request
        order; if any statement fails, :class:`BatchError` carries every statement's
        proof or exception.
        """
        reqs = [Request.of(r) for r in requests]
        results: list[Any] = [None] * len(reqs)
        shapes: dict[tuple[programs.Program, int], list[tuple[int, programs.Execution]]] = {}
        for i, request in enumerate(reqs):
            try:
                prog = programs.get(request.program)
                execution = prog.execute(**request.inputs)
            except Exception as exc:  # the statement's own error, reported with the batch
                results[i] = exc
                continue
            shapes.setdefault((prog, execution.po2), []).append((i, execution))
        for (prog, po2), members in shapes.items():
            cap = 1 << (max(1, self.options.batch_rows >> po2).bit_length() - 1)
            while members:
                size = min(cap, 1 << (len(members).bit_length() - 1))
                chunk, members = members[:size], members[size:]
                statements = [(e.trace, e.public_inputs, e.public_outputs) for _, e in chunk]
                try:
                    proofs: list[Any] = api.prove_traces(
                        prog, statements, backend=self.backend, suite=self.options.suite
                    )
                except Exception as exc:  # a failure of the prover: every statement of it
                    proofs = [exc] * len(chunk)
                for (i, _), proof in zip(chunk, proofs, strict=True):
                    results[i] = proof
        return BatchError.collect(results)

    def prove_parallel(
        self, requests: Iterable[Request | tuple | Mapping], executor: Any = None
    ) -> list[Proof]:
        """Prove each statement as its own task on ``executor``.

        ``executor`` is any ``concurrent.futures.Executor``, or a Dask
        ``distributed.Client`` (its ``get_executor()`` is used: the statements run on
        the cluster's workers, which need l2gpu installed). By default, a pool of
        ``options.workers`` processes (one per core), started once and kept; they are
        spawned, not forked, so a script using it needs the usual
        ``if __name__ == "__main__":`` guard. Workers prove with this VM's backend (by
        name) and options. Proofs come back in request order; if any statement fails —
        its own error, or a worker lost — the others' proofs are still delivered, in a
        :class:`BatchError` that names each failure.
        """
        reqs = [Request.of(r) for r in requests]
        pool = self._default_pool() if executor is None else _as_executor(executor)
        futures = [pool.submit(_prove_request, self.backend.name, self.options, r) for r in reqs]
        results: list[Any] = []
        for future in futures:
            try:
                results.append(future.result())
            except Exception as exc:  # the statement's own error, reported with the batch
                results.append(exc)
        if executor is None and any(isinstance(r, BrokenProcessPool) for r in results):
            self.close()  # a worker died: start afresh next time
        return BatchError.collect(results)

    def verify_batch(self, proofs: Iterable[Proof]) -> bool:
        """``True`` if every proof is valid; else :class:`BatchError` names each rejected
        proof and its ``VerificationError``."""
        results: list[Any] = []
        for proof in proofs:
            try:
                results.append(self.verify(proof))
            except VerificationError as exc:
                results.append(exc)
        BatchError.collect(results)
        return True

    def _default_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.options.workers or _cores(),
                mp_context=multiprocessing.get_context("spawn"),  # no fork of JAX's threads
                initializer=_start_worker,
                initargs=(self.backend.name,),
            )
        return self._pool


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _as_executor(executor: Any) -> Executor:
    """``executor`` itself, or a Dask client's executor."""
    if isinstance(executor, Executor):
        return executor
    get_executor: Callable[[], Executor] | None = getattr(executor, "get_executor", None)
    if get_executor is None:
        raise TypeError(
            "executor must be a concurrent.futures.Executor or a dask distributed.Client, "
            f"got {type(executor).__name__}"
        )
    return get_executor()


def _start_worker(backend: str) -> None:
    """In a process of the default pool: keep JAX's compiled kernels between processes."""
    if backend == "jax":
        from .backends.jax_backend import use_compilation_cache

        use_compilation_cache(str(config.cache_dir() / "jax"))


def _prove_request(backend: str, options: Options, request: Request) -> Proof:
    """One statement of :meth:`ZkVM.prove_parallel`, in a worker."""
    return ZkVM(backend, options).prove(request.program, **request.inputs)
