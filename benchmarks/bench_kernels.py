"""asv benchmarks of the hot-path kernels: Poseidon2, SHA-256, NTT / LDE, Merkle commit.

Every benchmark runs on ``backends.get(None)``: the automatic choice, which the
``L2GPU_BACKEND`` environment variable (a dimension of the asv matrix) overrides. The
kernels are called through the backend interface on data uploaded in ``setup``, so the
timings leave out input checks and host transfers; a result is waited for (JAX, CuPy)
before the clock stops.

``setup`` raises ``NotImplementedError`` — how asv skips a benchmark — when the backend
cannot run here, and for the sizes where one call takes more than ~10 s on the numpy
backend (those stay in the parameter grid for the faster backends).

Each ``time_*`` benchmark has a ``track_*`` twin that returns the throughput (items per
second, from the best of a few calls) in the unit its ``unit`` attribute names. asv
counts a larger value as worse, so gate regressions on ``time_*`` (``-b time_``).
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from l2gpu import backends, hashing, merkle, poseidon2
from l2gpu.bench import ready
from l2gpu.field import P

SEED = 0x1279
SIZES = [1 << k for k in (10, 12, 14, 16, 18, 20)]
PARAM_SETS = ["risc0-w24", "plonky3-w16", "plonky3-w24"]
SUITES = ["poseidon2", "sha-256"]
MATRIX_COLS = 16  # columns of the hashed / committed rows
NTT_COLS = [1, 8]
LDE_COLS = 8
LDE_BLOWUP = 4

_TIMEOUT = 300.0  # seconds per benchmark: the largest numpy sizes take a few seconds a call
_SAMPLE = 0.02  # a track_* sample repeats the call until it lasts about this long
_SAMPLES = 5  # at most this many samples after the warm-up call ...
_BUDGET = 1.0  # ... and none once this many seconds are spent


# -- helpers ----------------------------------------------------------------------


def _backend() -> backends.Backend:
    """The backend ``L2GPU_BACKEND`` selects; skips the benchmark when it cannot run here."""
    try:
        return backends.get(None)
    except (backends.BackendUnavailableError, ValueError) as err:
        raise NotImplementedError(f"backend unavailable: {err}") from err


def _numpy_cap(be: backends.Backend, n: int, max_log: int) -> None:
    """Skip sizes above ``2^max_log`` on the numpy backend: one call takes over ~10 s."""
    if be.name == "numpy" and n > 1 << max_log:
        raise NotImplementedError(f"n = {n} is above 2^{max_log}: too slow on the numpy backend")


def _field(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Canonical BabyBear elements, uniformly random."""
    return rng.integers(0, P, size=shape, dtype=np.uint32)


def _words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Arbitrary 32-bit words."""
    return rng.integers(0, 1 << 32, size=shape, dtype=np.uint32)


def _rate(fn, count: int) -> float:
    """``count`` items over the best per-call wall time of ``fn``.

    One warm-up call (it also sizes the batch), then up to ``_SAMPLES`` batches of calls
    lasting about ``_SAMPLE`` s each, stopping once ``_BUDGET`` s are spent; a slow
    kernel thus gets two calls in all.
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


# -- Poseidon2 --------------------------------------------------------------------


class Poseidon2Permute:
    """The Poseidon2 permutation of ``n`` states, per parameter set."""

    params: ClassVar[list] = [PARAM_SETS, SIZES]
    param_names: ClassVar[list[str]] = ["param_set", "n"]
    timeout = _TIMEOUT

    def setup(self, param_set, n):
        self.be = _backend()
        _numpy_cap(self.be, n, 18)
        self.p = poseidon2.params(param_set)
        rng = np.random.default_rng(SEED)
        self.states = self.be.asarray(_field(rng, (self.p.width, n)))

    def _permute(self):
        return ready(self.be.poseidon2_permute(self.states, self.p))

    def time_permute(self, param_set, n):
        self._permute()

    def track_permute(self, param_set, n):
        return _rate(self._permute, n)

    track_permute.unit = "permutations/s"


# -- SHA-256 ----------------------------------------------------------------------


class Sha256:
    """SHA-256 compressions of ``n`` blocks, and the row hash of ``n`` rows of 16 elements.

    A row of 16 elements is one 64-byte block: one compression per row.
    """

    params: ClassVar[list] = [SIZES]
    param_names: ClassVar[list[str]] = ["n"]
    timeout = _TIMEOUT

    def setup(self, n):
        self.be = _backend()
        rng = np.random.default_rng(SEED)
        self.state = self.be.asarray(_words(rng, (8, n)))
        self.block = self.be.asarray(_words(rng, (16, n)))
        self.matrix = self.be.asarray(_field(rng, (MATRIX_COLS, n)))

    def _compress(self):
        return ready(self.be.sha256_compress(self.state, self.block))

    def _hash_rows(self):
        return ready(self.be.sha256_hash_rows(self.matrix))

    def time_compress(self, n):
        self._compress()

    def track_compress(self, n):
        return _rate(self._compress, n)

    track_compress.unit = "compressions/s"

    def time_hash_rows(self, n):
        self._hash_rows()

    def track_hash_rows(self, n):
        return _rate(self._hash_rows, n)

    track_hash_rows.unit = "rows/s"


# -- NTT / LDE --------------------------------------------------------------------


class Ntt:
    """``interpolate`` and ``evaluate`` (blowup 1) of ``cols`` columns of length ``n``."""

    params: ClassVar[list] = [NTT_COLS, SIZES]
    param_names: ClassVar[list[str]] = ["cols", "n"]
    timeout = _TIMEOUT

    def setup(self, cols, n):
        self.be = _backend()
        rng = np.random.default_rng(SEED)
        # Evaluations for interpolate; read as bit-reversed coefficients by evaluate.
        self.values = self.be.asarray(_field(rng, (cols, n)))

    def _interpolate(self):
        return ready(self.be.interpolate(self.values))

    def _evaluate(self):
        return ready(self.be.evaluate(self.values))

    def time_interpolate(self, cols, n):
        self._interpolate()

    def track_interpolate(self, cols, n):
        return _rate(self._interpolate, cols * n)

    track_interpolate.unit = "elements/s"

    def time_evaluate(self, cols, n):
        self._evaluate()

    def track_evaluate(self, cols, n):
        return _rate(self._evaluate, cols * n)

    track_evaluate.unit = "elements/s"


class Lde:
    """The coset LDE (blowup 4) of 8 columns of length ``n``; throughput in input elements."""

    params: ClassVar[list] = [SIZES]
    param_names: ClassVar[list[str]] = ["n"]
    timeout = _TIMEOUT

    def setup(self, n):
        self.be = _backend()
        rng = np.random.default_rng(SEED)
        self.values = self.be.asarray(_field(rng, (LDE_COLS, n)))

    def _lde(self):
        return ready(self.be.lde(self.values, LDE_BLOWUP))

    def time_lde(self, n):
        self._lde()

    def track_lde(self, n):
        return _rate(self._lde, LDE_COLS * n)

    track_lde.unit = "elements/s"


# -- Merkle -----------------------------------------------------------------------


class MerkleCommit:
    """Commit ``rows × 16`` elements: the row hashes, then every layer up to the root."""

    params: ClassVar[list] = [SUITES, SIZES]
    param_names: ClassVar[list[str]] = ["suite", "rows"]
    timeout = _TIMEOUT

    def setup(self, suite, rows):
        self.be = _backend()
        if suite == "poseidon2":
            _numpy_cap(self.be, rows, 18)
        self.suite = hashing.get_suite(suite)
        rng = np.random.default_rng(SEED)
        self.columns = self.be.asarray(_field(rng, (MATRIX_COLS, rows)))

    def _commit(self):
        # The tree downloads its top layer, which waits for the backend.
        return merkle.MerkleTree(self.columns, self.suite, self.be, queries=50)

    def time_commit(self, suite, rows):
        self._commit()

    def track_commit(self, suite, rows):
        return _rate(self._commit, rows)

    track_commit.unit = "leaves/s"
