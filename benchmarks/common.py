"""What the asv suites share: the backend under test, size caps on the CPU, throughput.

Every benchmark runs on ``backends.get(None)``: the automatic choice, which the
``L2GPU_BACKEND`` environment variable (a dimension of the asv matrix) overrides.
``setup`` raises ``NotImplementedError`` — how asv skips a benchmark — when that backend
cannot run here, and for the sizes a backend computing on the CPU (numpy, JAX on a
CPU device) would take too long on; those stay in the grid for a GPU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from l2gpu import backends
from l2gpu.field import P

SEED = 0x1279
TIMEOUT = 300.0  # seconds per benchmark: the largest CPU sizes take several seconds a call

_SAMPLE = 0.02  # a rate() sample repeats the call until it lasts about this long
_SAMPLES = 5  # at most this many samples after the warm-up call ...
_BUDGET = 1.0  # ... and none once this many seconds are spent


def backend() -> backends.Backend:
    """The backend ``L2GPU_BACKEND`` selects; skips the benchmark when it cannot run here.

    JAX keeps its compiled kernels in ``~/.cache/l2gpu/jax`` (as the ``l2gpu`` command
    does), so each benchmark process does not compile them again.
    """
    try:
        be = backends.get(None)
    except (backends.BackendUnavailableError, ValueError) as err:
        raise NotImplementedError(f"backend unavailable: {err}") from err
    if be.name == "jax":
        from l2gpu.backends.jax_backend import use_compilation_cache

        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        use_compilation_cache(os.path.join(cache, "l2gpu", "jax"))
    return be


def on_cpu(be: backends.Backend) -> bool:
    """Whether ``be`` computes on the CPU: numpy arrays, or JAX arrays on CPU devices."""
    probe = be.asarray(np.zeros(1, np.uint32))
    if isinstance(probe, np.ndarray):
        return True
    devices = getattr(probe, "devices", None)  # JAX; CuPy arrays live on a GPU
    return devices is not None and all(d.platform == "cpu" for d in devices())


def cpu_cap(be: backends.Backend, work: int, max_log: int) -> None:
    """Skip when ``be`` computes on the CPU and ``work`` (items) is above ``2^max_log``."""
    if work > 1 << max_log and on_cpu(be):
        raise NotImplementedError(f"{work} items is above 2^{max_log}: too slow on a CPU")


def warm(be: backends.Backend, fn: Callable[[], object]) -> None:
    """Call ``fn`` once, outside the timed region, where the backend compiles on first use.

    The numpy backend compiles nothing, so its (possibly slow) first call is skipped.
    """
    if be.name != "numpy":
        fn()


def field(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Canonical BabyBear elements, uniformly random."""
    return rng.integers(0, P, size=shape, dtype=np.uint32)


def words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Arbitrary 32-bit words."""
    return rng.integers(0, 1 << 32, size=shape, dtype=np.uint32)


def rate(fn: Callable[[], object], count: int) -> float:
    """``count`` items over the best per-call wall time of ``fn`` (which must wait for
    its result, e.g. through ``l2gpu.bench.ready``).

    One warm-up call (it also sizes the batch), then up to ``_SAMPLES`` batches of calls
    lasting about ``_SAMPLE`` s each, stopping once ``_BUDGET`` s are spent; a slow call
    thus gets two calls in all.
    """
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    number = max(1, int(_SAMPLE / first)) if first > 0 else 1000
    best, spent = first, first
    for _ in range(_SAMPLES):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed / number)
        spent += elapsed
        if spent > _BUDGET:
            break
    return count / best
