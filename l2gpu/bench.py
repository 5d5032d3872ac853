"""``l2gpu bench``: kernel and proof throughput on every backend that runs here.

Each figure is timed on each available backend: one first call (which includes any
compilation), then the best of a few steady-state calls. Throughput is items per
second in the steady state; the ratio compares it with the numpy backend.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from . import backends, poseidon2
from .field import P
from .hashing import get_suite
from .merkle import MerkleTree


@dataclass(frozen=True)
class Figure:
    figure: str
    size: str
    backend: str
    unit: str
    first_s: float
    steady_s: float
    throughput: float
    ratio_to_numpy: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def ready(out: object) -> object:
    """Wait for an asynchronous result (JAX arrays; CuPy via its stream)."""
    for leaf in out if isinstance(out, (list, tuple)) else (out,):
        block = getattr(leaf, "block_until_ready", None)
        if block is not None:
            block()
    if type(out).__module__.split(".")[0] == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
    return out


def time_call(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """``(first, best)`` seconds of ``fn()``: one first call (with any compilation), then
    the best of ``repeats`` more; asynchronous results are waited for."""
    start = time.perf_counter()
    ready(fn())
    first = time.perf_counter() - start
    best = first
    for _ in range(repeats):
        start = time.perf_counter()
        ready(fn())
        best = min(best, time.perf_counter() - start)
    return first, best


def _cases(be: backends.Backend, log_n: int) -> list[tuple[str, str, str, int, Callable]]:
    """(figure, size, unit, items, call) for one backend, on data already uploaded."""
    rng = np.random.default_rng(1)
    n = 1 << log_n
    cases = []
    for name in ("plonky3-w16", "risc0-w24"):
        p = poseidon2.params(name)
        states = be.asarray(rng.integers(0, P, (p.width, n), dtype=np.uint32))
        cases.append(
            (
                f"poseidon2 {name}",
                f"2^{log_n}",
                "perm/s",
                n,
                lambda s=states, p=p: be.poseidon2_permute(s, p),
            )
        )
    state = be.asarray(rng.integers(0, 1 << 32, (8, n), dtype=np.uint32))
    block = be.asarray(rng.integers(0, 1 << 32, (16, n), dtype=np.uint32))
    cases.append(
        ("sha-256 compress", f"2^{log_n}", "compr/s", n, lambda: be.sha256_compress(state, block))
    )
    matrix = be.asarray(rng.integers(0, P, (16, n), dtype=np.uint32))
    suite = get_suite("poseidon2")
    cases.append(
        ("row hash poseidon2", f"2^{log_n}x16", "rows/s", n, lambda: suite.hash_rows(be, matrix))
    )
    cases.append(
        (
            "merkle commit poseidon2",
            f"2^{log_n}x16",
            "leaves/s",
            n,
            lambda: MerkleTree(matrix, suite, be, 50).layers[-1],
        )
    )
    trace = be.asarray(rng.integers(0, P, (8, n), dtype=np.uint32))
    cases.append(("lde x4", f"8x2^{log_n}", "elem/s", 8 * n, lambda: be.lde(trace, 4)))
    return cases


def run(
    log_n: int = 16,
    prove_log_rows: int | None = 16,
    repeats: int = 3,
    names: list[str] | None = None,
) -> list[Figure]:
    """Time every figure on every available backend (or on ``names``)."""
    from . import api

    figures: list[Figure] = []
    for name in names or backends.available():
        be = backends.get(name)
        for figure, size, unit, items, call in _cases(be, log_n):
            first, steady = time_call(call, repeats)
            figures.append(Figure(figure, size, be.name, unit, first, steady, items / steady))
        if prove_log_rows is not None:
            n = (1 << prove_log_rows) - 1
            first, steady = time_call(lambda n=n, be=be: api.prove("fibonacci", n=n, backend=be), 1)
            rows = 1 << prove_log_rows
            figures.append(
                Figure(
                    "fibonacci proof",
                    f"2^{prove_log_rows} rows",
                    be.name,
                    "rows/s",
                    first,
                    steady,
                    rows / steady,
                )
            )
    base = {f.figure: f.throughput for f in figures if f.backend == "numpy"}
    return [
        Figure(**{**f.as_dict(), "ratio_to_numpy": f.throughput / base[f.figure]})
        if f.figure in base
        else f
        for f in figures
    ]


def table(figures: list[Figure]) -> str:
    """A plain-text table of ``figures``."""
    head = ("figure", "size", "backend", "first call s", "steady s", "throughput", "vs numpy")
    rows = [head] + [
        (
            f.figure,
            f.size,
            f.backend,
            f"{f.first_s:.3f}",
            f"{f.steady_s:.4f}",
            f"{f.throughput:,.0f} {f.unit}",
            "-" if f.ratio_to_numpy is None else f"{f.ratio_to_numpy:.2f}x",
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
