"""asv benchmarks of the hot-path kernels: Poseidon2, row hashes, SHA-256, NTT / LDE,
Merkle commit, FRI fold.

The kernels are called through the backend interface on data uploaded in ``setup``, so
the timings leave out input checks and host transfers; a result is waited for (JAX,
CuPy: ``l2gpu.bench.ready``) before the clock stops, and a backend that compiles does
so in ``setup``. See ``common.py`` for the backend choice and the sizes that skip on a
CPU.

Each ``time_*`` benchmark has a ``track_*`` twin that returns the throughput (items per
second, from the best of a few calls) in the unit its ``unit`` attribute names. asv
counts a larger value as worse, so gate regressions on ``time_*`` (``-b time_``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from l2gpu import hashing, merkle, poseidon2
from l2gpu.backends import Backend
from l2gpu.bench import ready
from l2gpu.field import Fp4

from .common import SEED, TIMEOUT, backend, cpu_cap, field, rate, warm, words

LOG_SIZES = [10, 12, 14, 16, 18, 20, 22]  # sizes 2^log_n
PARAM_SETS = ["risc0-w24", "plonky3-w16", "plonky3-w24"]
SUITES = ["poseidon2", "sha-256"]
MATRIX_COLS = 16  # columns of the hashed / committed rows
NTT_COLS = [1, 8, 32]
LDE_BLOWUP = 4
FRI_MIX = Fp4((3, 1, 4, 1))

# On a CPU, the largest sizes skip (log2 of the items one call handles):
HASH_CPU_LOG = 20  # SHA-256 compressions, row hashes and Merkle leaves
POSEIDON2_CPU_LOG = 18  # Poseidon2 permutations, row hashes and Merkle leaves
NTT_CPU_LOG = 23  # columns × 2^log_n elements transformed


def _hash_cap(be: Backend, suite: str, n: int) -> None:
    """Skip hashing ``n`` rows or states on a CPU above the suite's cap."""
    cpu_cap(be, n, POSEIDON2_CPU_LOG if suite == "poseidon2" else HASH_CPU_LOG)


# -- Poseidon2 --------------------------------------------------------------------


class Poseidon2Permute:
    """The Poseidon2 permutation of ``2^log_n`` states, per parameter set."""

    params: ClassVar[list] = [PARAM_SETS, LOG_SIZES]
    param_names: ClassVar[list[str]] = ["param_set", "log_n"]
    timeout = TIMEOUT

    def setup(self, param_set: str, log_n: int) -> None:
        self.be = backend()
        self.n = 1 << log_n
        cpu_cap(self.be, self.n, POSEIDON2_CPU_LOG)
        self.p = poseidon2.params(param_set)
        self.states = self.be.asarray(field(np.random.default_rng(SEED), (self.p.width, self.n)))
        warm(self.be, self._permute)

    def _permute(self) -> object:
        return ready(self.be.poseidon2_permute(self.states, self.p))

    def time_permute(self, param_set: str, log_n: int) -> None:
        self._permute()

    def track_permute(self, param_set: str, log_n: int) -> float:
        return rate(self._permute, self.n)

    track_permute.unit = "permutations/s"


# -- row hashes and SHA-256 -----------------------------------------------------------


class HashRows:
    """The row hash of ``2^log_n`` rows × 16 elements, per hash suite (a Merkle tree's
    leaves).

    A row of 16 elements is one SHA-256 block (one compression) and one Poseidon2
    absorption (one risc0-w24 permutation).
    """

    params: ClassVar[list] = [SUITES, LOG_SIZES]
    param_names: ClassVar[list[str]] = ["suite", "log_n"]
    timeout = TIMEOUT

    def setup(self, suite: str, log_n: int) -> None:
        self.be = backend()
        self.n = 1 << log_n
        _hash_cap(self.be, suite, self.n)
        self.suite = hashing.get_suite(suite)
        self.matrix = self.be.asarray(field(np.random.default_rng(SEED), (MATRIX_COLS, self.n)))
        warm(self.be, self._hash_rows)

    def _hash_rows(self) -> object:
        return ready(self.suite.hash_rows(self.be, self.matrix))

    def time_hash_rows(self, suite: str, log_n: int) -> None:
        self._hash_rows()

    def track_hash_rows(self, suite: str, log_n: int) -> float:
        return rate(self._hash_rows, self.n)

    track_hash_rows.unit = "rows/s"


class Sha256:
    """SHA-256 compressions of ``2^log_n`` independent states and blocks."""

    params: ClassVar[list] = [LOG_SIZES]
    param_names: ClassVar[list[str]] = ["log_n"]
    timeout = TIMEOUT

    def setup(self, log_n: int) -> None:
        self.be = backend()
        self.n = 1 << log_n
        cpu_cap(self.be, self.n, HASH_CPU_LOG)
        rng = np.random.default_rng(SEED)
        self.state = self.be.asarray(words(rng, (8, self.n)))
        self.block = self.be.asarray(words(rng, (16, self.n)))
        warm(self.be, self._compress)

    def _compress(self) -> object:
        return ready(self.be.sha256_compress(self.state, self.block))

    def time_compress(self, log_n: int) -> None:
        self._compress()

    def track_compress(self, log_n: int) -> float:
        return rate(self._compress, self.n)

    track_compress.unit = "compressions/s"


# -- NTT / LDE --------------------------------------------------------------------


class Ntt:
    """``interpolate`` and ``evaluate`` (blowup 1) of ``cols`` columns of length
    ``2^log_n``."""

    params: ClassVar[list] = [NTT_COLS, LOG_SIZES]
    param_names: ClassVar[list[str]] = ["cols", "log_n"]
    timeout = TIMEOUT

    def setup(self, cols: int, log_n: int) -> None:
        self.be = backend()
        self.elements = cols << log_n
        cpu_cap(self.be, self.elements, NTT_CPU_LOG)
        # Evaluations for interpolate; read as bit-reversed coefficients by evaluate.
        self.values = self.be.asarray(field(np.random.default_rng(SEED), (cols, 1 << log_n)))
        warm(self.be, self._interpolate)
        warm(self.be, self._evaluate)

    def _interpolate(self) -> object:
        return ready(self.be.interpolate(self.values))

    def _evaluate(self) -> object:
        return ready(self.be.evaluate(self.values))

    def time_interpolate(self, cols: int, log_n: int) -> None:
        self._interpolate()

    def track_interpolate(self, cols: int, log_n: int) -> float:
        return rate(self._interpolate, self.elements)

    track_interpolate.unit = "elements/s"

    def time_evaluate(self, cols: int, log_n: int) -> None:
        self._evaluate()

    def track_evaluate(self, cols: int, log_n: int) -> float:
        return rate(self._evaluate, self.elements)

    track_evaluate.unit = "elements/s"


class Lde:
    """The coset LDE (blowup 4) of ``cols`` columns of length ``2^log_n``; throughput in
    input elements."""

    params: ClassVar[list] = [NTT_COLS, LOG_SIZES]
    param_names: ClassVar[list[str]] = ["cols", "log_n"]
    timeout = TIMEOUT

    def setup(self, cols: int, log_n: int) -> None:
        self.be = backend()
        self.elements = cols << log_n
        cpu_cap(self.be, self.elements, NTT_CPU_LOG)
        self.values = self.be.asarray(field(np.random.default_rng(SEED), (cols, 1 << log_n)))
        warm(self.be, self._lde)

    def _lde(self) -> object:
        return ready(self.be.lde(self.values, LDE_BLOWUP))

    def time_lde(self, cols: int, log_n: int) -> None:
        self._lde()

    def track_lde(self, cols: int, log_n: int) -> float:
        return rate(self._lde, self.elements)

    track_lde.unit = "elements/s"


# -- Merkle and FRI -------------------------------------------------------------------


class MerkleCommit:
    """Commit ``2^log_rows × 16`` elements: the row hashes, then every layer up to the
    root."""

    params: ClassVar[list] = [SUITES, LOG_SIZES]
    param_names: ClassVar[list[str]] = ["suite", "log_rows"]
    timeout = TIMEOUT

    def setup(self, suite: str, log_rows: int) -> None:
        self.be = backend()
        self.rows = 1 << log_rows
        _hash_cap(self.be, suite, self.rows)
        self.suite = hashing.get_suite(suite)
        rng = np.random.default_rng(SEED)
        self.columns = self.be.asarray(field(rng, (MATRIX_COLS, self.rows)))
        warm(self.be, self._commit)

    def _commit(self) -> merkle.MerkleTree:
        # The tree downloads its top layer, which waits for the backend.
        return merkle.MerkleTree(self.columns, self.suite, self.be, queries=50)

    def time_commit(self, suite: str, log_rows: int) -> None:
        self._commit()

    def track_commit(self, suite: str, log_rows: int) -> float:
        return rate(self._commit, self.rows)

    track_commit.unit = "leaves/s"


class FriFold:
    """One FRI fold round: ``2^log_degree`` Fp4 coefficients into ``2^log_degree / 16``."""

    params: ClassVar[list] = [LOG_SIZES]
    param_names: ClassVar[list[str]] = ["log_degree"]
    timeout = TIMEOUT

    def setup(self, log_degree: int) -> None:
        self.be = backend()
        self.degree = 1 << log_degree
        self.coeffs = self.be.asarray(field(np.random.default_rng(SEED), (4, self.degree)))
        warm(self.be, self._fold)

    def _fold(self) -> object:
        return ready(self.be.fri_fold(self.coeffs, FRI_MIX))

    def time_fold(self, log_degree: int) -> None:
        self._fold()

    def track_fold(self, log_degree: int) -> float:
        return rate(self._fold, self.degree)

    track_fold.unit = "coefficients/s"
