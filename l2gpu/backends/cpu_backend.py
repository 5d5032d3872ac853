"""The ``cpu`` backend: native, vectorized, multi-core kernels compiled by numba.

Arrays are numpy ``uint32`` arrays, as on the numpy backend, so moving between the two
costs nothing; every kernel is bit-identical to numpy's. The kernels live in
:mod:`l2gpu.backends.cpu`; this class only binds them to the :class:`Backend` interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..field import Fp4
from ..poseidon2 import Poseidon2Params
from .base import Backend
from .cpu import constraints, elementwise, ntt, poseidon2, sha256

if TYPE_CHECKING:
    from ..stark.circuit import Program


class CpuBackend(Backend):
    """Kernels in numba-compiled machine code, on every core."""

    name = "cpu"

    def asarray(self, host: np.ndarray) -> np.ndarray:
        return np.asarray(host, dtype=np.uint32)

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(array, dtype=np.uint32)

    # -- hashing -------------------------------------------------------------------
    def poseidon2_permute(self, states: np.ndarray, params: Poseidon2Params) -> np.ndarray:
        return poseidon2.permute(states, params)

    def poseidon2_hash_rows(self, matrix: np.ndarray, params: Poseidon2Params) -> np.ndarray:
        return poseidon2.hash_rows(matrix, params)

    def poseidon2_hash_pairs(
        self, left: np.ndarray, right: np.ndarray, params: Poseidon2Params
    ) -> np.ndarray:
        return poseidon2.hash_pairs(left, right, params)

    def sha256_compress(self, state: np.ndarray, block: np.ndarray) -> np.ndarray:
        return sha256.compress(state, block)

    def sha256_hash_rows(self, matrix: np.ndarray) -> np.ndarray:
        return sha256.hash_rows(matrix)

    def sha256_hash_pairs(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return sha256.hash_pairs(left, right)

    # -- NTT -----------------------------------------------------------------------
    def interpolate(self, values: np.ndarray) -> np.ndarray:
        return ntt.interpolate(values)

    def evaluate(self, coeffs: np.ndarray, blowup: int = 1) -> np.ndarray:
        return ntt.evaluate(coeffs, blowup)

    def zk_shift(self, coeffs: np.ndarray) -> np.ndarray:
        return ntt.zk_shift(coeffs)

    def lde(self, values: np.ndarray, blowup: int) -> np.ndarray:
        return ntt.lde(values, blowup)

    def bit_reverse(self, x: np.ndarray) -> np.ndarray:
        return ntt.bit_reverse(x)

    # -- element-wise field arithmetic -----------------------------------------------
    def add(self, a, b) -> np.ndarray:
        return elementwise.add(a, b)

    def sub(self, a, b) -> np.ndarray:
        return elementwise.sub(a, b)

    def mul(self, a, b) -> np.ndarray:
        return elementwise.mul(a, b)

    def inv(self, a: np.ndarray) -> np.ndarray:
        return elementwise.inv(a)

    def ext_mul(self, a: np.ndarray, b) -> np.ndarray:
        return elementwise.ext_mul(a, b)

    def roll(self, a: np.ndarray, shift: int) -> np.ndarray:
        return elementwise.roll(a, shift)

    def fri_fold(self, coeffs: np.ndarray, mix: Fp4) -> np.ndarray:
        return elementwise.fri_fold(coeffs, mix)

    def poly_eval_ext(self, coeffs: np.ndarray, point: Fp4) -> np.ndarray:
        return elementwise.poly_eval_ext(coeffs, point)

    def eval_constraints(
        self,
        program: Program,
        groups: Sequence[np.ndarray],
        taps: Sequence[tuple[int, int, int]],
        x: np.ndarray,
        poly_mix: Fp4,
        globals_: Sequence[int],
    ) -> np.ndarray:
        return constraints.eval_constraints(program, groups, taps, x, poly_mix, globals_)

    def deep(
        self,
        matrices: Sequence[np.ndarray],
        terms: Sequence[tuple[int, int, int, Fp4]],
        u: Sequence[Sequence[Fp4]],
        roots: Sequence[Sequence[Fp4]],
        x: np.ndarray,
    ) -> np.ndarray:
        return elementwise.deep(matrices, terms, u, roots, x)
