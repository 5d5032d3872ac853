"""``l2gpu bench``: kernel and proof throughput on every backend that runs here.

Each figure is timed on each available backend: one first call (which includes any
compilation), then the best of a few steady-state calls. Throughput is items per
second in the steady state; the ratio compares it with the numpy backend at the same
size. :func:`plot` draws throughput against size (matplotlib: the ``plot`` extra).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import backends, poseidon2
from .field import P
from .hashing import get_suite
from .merkle import MerkleTree


@dataclass(frozen=True)
class Figure:
    """One timed figure; ``log_size`` is the ``k`` of its size (kernel batch or proof
    rows ``2^k``), which :func:`plot` needs."""

    figure: str
    size: str
    backend: str
    unit: str
    first_s: float
    steady_s: float
    throughput: float
    ratio_to_numpy: float | None = None
    log_size: int | None = None

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
    for name in ("poseidon2", "sha-256"):  # a row of 16 elements: one SHA-256 compression
        hashes = get_suite(name)
        call = lambda s=hashes: s.hash_rows(be, matrix)  # noqa: E731
        cases.append((f"row hash {name}", f"2^{log_n}x16", "rows/s", n, call))
    suite = get_suite("poseidon2")
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
    cases.append(("ntt", f"8x2^{log_n}", "elem/s", 8 * n, lambda: be.evaluate(trace)))
    cases.append(("lde x4", f"8x2^{log_n}", "elem/s", 8 * n, lambda: be.lde(trace, 4)))
    return cases


def run(
    log_n: int | Sequence[int] = 16,
    prove_log_rows: int | Sequence[int] | None = 16,
    repeats: int = 3,
    names: list[str] | None = None,
) -> list[Figure]:
    """Time every figure on every available backend (or on ``names``): the kernels at
    each batch size ``2^log_n``, the Fibonacci proof at each ``2^prove_log_rows`` rows
    (``None``: no proof)."""
    from . import api

    kernel_sizes = [log_n] if isinstance(log_n, int) else list(log_n)
    if prove_log_rows is None:
        proof_sizes = []
    else:
        proof_sizes = [prove_log_rows] if isinstance(prove_log_rows, int) else list(prove_log_rows)
    figures: list[Figure] = []
    for name in names or backends.available():
        be = backends.get(name)
        for k in kernel_sizes:
            for figure, size, unit, items, call in _cases(be, k):
                first, steady = time_call(call, repeats)
                figures.append(
                    Figure(figure, size, be.name, unit, first, steady, items / steady, log_size=k)
                )
        for k in proof_sizes:
            n = (1 << k) - 1
            first, steady = time_call(lambda n=n, be=be: api.prove("fibonacci", n=n, backend=be), 1)
            rows = 1 << k
            figures.append(
                Figure(
                    "fibonacci proof",
                    f"2^{k} rows",
                    be.name,
                    "rows/s",
                    first,
                    steady,
                    rows / steady,
                    log_size=k,
                )
            )
    base = {(f.figure, f.log_size): f.throughput for f in figures if f.backend == "numpy"}
    return [
        Figure(**{**f.as_dict(), "ratio_to_numpy": f.throughput / base[f.figure, f.log_size]})
        if (f.figure, f.log_size) in base
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


def matplotlib_figure() -> type:
    """matplotlib's ``Figure`` class; ``ImportError`` saying how to install it if missing."""
    try:
        from matplotlib.figure import Figure as MplFigure
    except ImportError as err:
        raise ImportError(
            "plotting needs matplotlib, which is not installed: pip install 'l2gpu[plot]'"
        ) from err
    return MplFigure


def check_plot_target(path: str | os.PathLike) -> None:
    """Fail before any timing if :func:`plot` cannot write ``path``: ``ImportError``
    without matplotlib, ``ValueError`` for a format it does not write."""
    formats = matplotlib_figure()().canvas.get_supported_filetypes()
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in formats:
        raise ValueError(f"cannot plot to {path}: use one of .{', .'.join(sorted(formats))}")


def plot(figures: Sequence[Figure], path: str | os.PathLike) -> None:
    """Draw throughput against size into ``path`` (format by its suffix, e.g. ``.png``):
    one panel per figure, one line per backend; ``k`` of the size ``2^k`` across, the
    throughput up on a logarithmic scale. Figures without a ``log_size`` are left out."""
    figures = [f for f in figures if f.log_size is not None]
    names = list(dict.fromkeys(f.figure for f in figures))
    if not names:
        raise ValueError("no figures to plot")
    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    chart = matplotlib_figure()(figsize=(4.8 * cols, 3.6 * rows), layout="constrained")
    axes = chart.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        mine = [f for f in figures if f.figure == name]
        for backend in dict.fromkeys(f.backend for f in mine):
            points = sorted((f.log_size, f.throughput) for f in mine if f.backend == backend)
            ax.plot([k for k, _ in points], [t for _, t in points], marker="o", label=backend)
        first = mine[0]
        ax.set_title(f"{name} ({first.size.replace(f'2^{first.log_size}', '2^k')})", fontsize=10)
        ax.set_xlabel("k")
        ax.set_ylabel(first.unit)
        ax.set_yscale("log")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    chart.suptitle("l2gpu bench: throughput against size")
    chart.savefig(path)
