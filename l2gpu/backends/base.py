"""The backend interface: the hot-path kernels every backend implements.

A backend owns an array type (numpy, jax or cupy arrays) and the kernels over it.
Kernel arguments and results are backend arrays of canonical ``uint32`` values, laid
out for vectorization: matrices are column-major ``(cols, rows)``, permutation states
``(width, batch)``, digests ``(8, count)`` words. Digest words are what RISC Zero's
``Digest::as_words()`` gives: raw Montgomery words for Poseidon2, the digest bytes read
as little-endian ``u32`` for SHA-256.

Kernels never modify their inputs. ``asarray`` / ``to_numpy`` are the only transfers;
everything between stays on the backend's device.

How to implement a backend:

1. Subclass :class:`Backend`, set ``name``, and implement every abstract method.
2. Add a loader to :mod:`l2gpu.backends` that imports it, or raises
   :class:`BackendUnavailableError` saying why it cannot run here.
3. Run the cross-backend tests: every kernel must agree with ``numpy`` bit for bit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..field import Fp4, P
from ..poseidon2 import Poseidon2Params

if TYPE_CHECKING:
    from ..stark.circuit import Program

Array = Any  # the backend's array type


class BackendUnavailableError(RuntimeError):
    """A backend was asked for by name but cannot run on this machine."""


class Backend(ABC):
    """Hot-path kernels over one array library."""

    name: str

    # -- transfers ---------------------------------------------------------------
    @abstractmethod
    def asarray(self, host: np.ndarray) -> Array:
        """Upload a host ``uint32`` array."""

    @abstractmethod
    def to_numpy(self, array: Array) -> np.ndarray:
        """Download to a host ``uint32`` array."""

    # -- hashing -----------------------------------------------------------------
    @abstractmethod
    def poseidon2_permute(self, states: Array, params: Poseidon2Params) -> Array:
        """Permute each column of ``states`` (``(width, batch)``)."""

    @abstractmethod
    def poseidon2_hash_rows(self, matrix: Array, params: Poseidon2Params) -> Array:
        """RISC Zero's Poseidon2 sponge over each row of ``(cols, rows)`` → ``(8, rows)``."""

    @abstractmethod
    def poseidon2_hash_pairs(self, left: Array, right: Array, params: Poseidon2Params) -> Array:
        """Poseidon2 ``hash_pair`` of ``(8, m)`` digest words → ``(8, m)``."""

    @abstractmethod
    def sha256_compress(self, state: Array, block: Array) -> Array:
        """The SHA-256 compression of ``(16, m)`` big-endian block words into ``(8, m)`` states."""

    @abstractmethod
    def sha256_hash_rows(self, matrix: Array) -> Array:
        """RISC Zero's SHA-256 row hash over each row of ``(cols, rows)`` → ``(8, rows)``."""

    @abstractmethod
    def sha256_hash_pairs(self, left: Array, right: Array) -> Array:
        """SHA-256 ``hash_pair`` of ``(8, m)`` digest words → ``(8, m)``."""

    # -- NTT (along the last axis, power-of-two lengths) --------------------------
    @abstractmethod
    def interpolate(self, values: Array) -> Array:
        """Natural-order evaluations on ``⟨ω_n⟩`` → bit-reversed coefficients."""

    @abstractmethod
    def evaluate(self, coeffs: Array, blowup: int = 1) -> Array:
        """Bit-reversed coefficients → natural-order evaluations on ``⟨ω_{blowup·n}⟩``."""

    @abstractmethod
    def zk_shift(self, coeffs: Array) -> Array:
        """Bit-reversed coefficients of ``f(x)`` → those of ``f(3x)``."""

    @abstractmethod
    def lde(self, values: Array, blowup: int) -> Array:
        """Natural-order evaluations on ``⟨ω_n⟩`` → evaluations at ``3·ω_{blowup·n}^i``."""

    @abstractmethod
    def bit_reverse(self, x: Array) -> Array:
        """Permute the last axis into bit-reversed order."""

    # -- element-wise field arithmetic -------------------------------------------
    # Arrays broadcast; a Python ``int`` is a canonical constant. Fp4 arrays have the
    # component axis first: ``(4, ...)``.
    @abstractmethod
    def add(self, a: Array | int, b: Array | int) -> Array:
        """``a + b`` in BabyBear."""

    @abstractmethod
    def sub(self, a: Array | int, b: Array | int) -> Array:
        """``a − b`` in BabyBear."""

    @abstractmethod
    def mul(self, a: Array | int, b: Array | int) -> Array:
        """``a · b`` in BabyBear."""

    @abstractmethod
    def inv(self, a: Array) -> Array:
        """Element-wise inverse of non-zero elements (batch inversion)."""

    @abstractmethod
    def ext_mul(self, a: Array, b: Array | Fp4) -> Array:
        """Fp4 products of ``(4, ...)`` arrays, or of an array by one Fp4 constant."""

    @abstractmethod
    def roll(self, a: Array, shift: int) -> Array:
        """Cyclic shift along the last axis: ``out[..., i] = a[..., i − shift]``."""

    @abstractmethod
    def fri_fold(self, coeffs: Array, mix: Fp4) -> Array:
        """FRI fold of natural-order Fp4 coefficients ``(4, d)`` → ``(4, d/16)``:
        ``c'_m = Σ_k mix^k · c_{16m+k}``."""

    @abstractmethod
    def poly_eval_ext(self, coeffs: Array, point: Fp4) -> np.ndarray:
        """Polynomials with natural-order base coefficients ``(k, n)`` at an Fp4 point →
        host ``(k, 4)``."""

    # -- constraints -------------------------------------------------------------
    def eval_constraints(
        self,
        program: Program,
        groups: Sequence[Array],
        taps: Sequence[tuple[int, int, int]],
        x: Array,
        poly_mix: Fp4,
        globals_: Sequence[int],
    ) -> Array:
        """A constraint program over a whole evaluation domain → Fp4 values ``(4, m)``.

        ``groups`` are ``(width, m)`` matrices; ``Get i`` reads tap ``i`` =
        ``(group, column, shift)``: ``groups[group][column][(j − shift) mod m]`` at point
        ``j``, and ``Get len(taps)`` reads ``x``. ``GetGlobal 0 k`` reads ``globals_[k]``.
        The result is ``Σ_k poly_mix^k · c_k`` over the asserted values ``c_k``.

        This default runs the program step by step through the element-wise kernels;
        backends override it with one fused kernel.
        """
        tap_arrays = [self.roll(groups[g][c], shift) for g, c, shift in taps]
        tot = program.run(_DomainOps(self, tap_arrays, x, poly_mix, globals_))
        zeros = self.asarray(np.zeros((4, x.shape[-1]), np.uint32))
        return self.add(zeros, 0 if tot is None else tot)

    def deep(
        self,
        matrices: Sequence[Array],
        terms: Sequence[tuple[int, int, int, Fp4]],
        u: Sequence[Sequence[Fp4]],
        roots: Sequence[Sequence[Fp4]],
        x: Array,
    ) -> Array:
        """The DEEP combination at base points ``x`` ``(m,)`` → Fp4 values ``(4, m)``:

        ``Σ_k (N_k(x) − U_k(x)) / Π_{r ∈ roots[k]} (x − r)``, where ``N_k`` sums
        ``w · matrices[mat][col]`` over the ``terms`` ``(k, mat, col, w)`` of combo ``k``
        and ``U_k`` has Fp4 coefficients ``u[k]`` (lowest first). No ``x`` may be a root.

        This default goes through the element-wise kernels; backends override it with one
        fused kernel.
        """
        numerators: list[Any] = [None] * len(u)
        for k, mat, col, w in terms:
            term = self.mul(matrices[mat][col][None], self._fp4(w))
            numerators[k] = term if numerators[k] is None else self.add(numerators[k], term)
        x_ext = self.mul(x[None], self._fp4(Fp4.one()))  # x embedded in Fp4: (x, 0, 0, 0)
        total = None
        for numerator, coeffs, points in zip(numerators, u, roots, strict=True):
            u_val = self.mul(x_ext, 0)
            for c in reversed(coeffs):  # Horner: U_k(x), an Fp4 polynomial at base points
                u_val = self.add(self.mul(u_val, x[None]), self._fp4(c))
            divisor = None
            for root in points:
                factor = self.sub(x_ext, self._fp4(root))
                divisor = factor if divisor is None else self.ext_mul(divisor, factor)
            value = self.sub(0 if numerator is None else numerator, u_val)
            term = self.ext_mul(value, self._ext_inv(divisor))
            total = term if total is None else self.add(total, term)
        return total

    def _fp4(self, c: Fp4) -> Array:
        """An Fp4 constant as a ``(4, 1)`` array that broadcasts against ``(4, m)``."""
        return self.asarray(np.array(c.c, dtype=np.uint32).reshape(4, 1))

    def _ext_inv(self, a: Array) -> Array:
        """Inverse of an Fp4 array ``(4, m)`` via its norm: ``b = a·ā`` lies in
        ``Fp[x^2]`` (``ā(x) = a(−x)``), and ``(b0 + b2·x^2)(b0 − b2·x^2) = b0^2 + 11·b2^2``."""
        conj = self.mul(a, self._fp4(Fp4((1, P - 1, 1, P - 1))))
        b = self.ext_mul(a, conj)
        norm = self.add(self.mul(b[0], b[0]), self.mul(11, self.mul(b[2], b[2])))
        b_conj = self.mul(b, self._fp4(Fp4((1, 0, P - 1, 0))))
        return self.mul(self.ext_mul(conj, b_conj), self.inv(norm)[None])


class _DomainOps:
    """Runs a constraint program through a backend's element-wise kernels.

    Values are base-field arrays ``(m,)`` or ``int`` constants; an accumulator is an Fp4
    array ``(4, m)`` (``None`` while still zero) with a constant Fp4 multiplier.
    """

    def __init__(self, be: Backend, taps: list, x, poly_mix: Fp4, globals_: Sequence[int]):
        self.be, self.taps, self.x, self.poly_mix, self.globals = be, taps, x, poly_mix, globals_

    def const(self, c: int) -> int:
        return c

    def get(self, i: int):
        return self.taps[i] if i < len(self.taps) else self.x

    def get_global(self, base: int, offset: int) -> int:
        if base != 0:
            raise ValueError("only the public values (GetGlobal 0) are supported")
        return int(self.globals[offset])

    def add(self, a, b):
        return (a + b) % P if isinstance(a, int) and isinstance(b, int) else self.be.add(a, b)

    def sub(self, a, b):
        return (a - b) % P if isinstance(a, int) and isinstance(b, int) else self.be.sub(a, b)

    def mul(self, a, b):
        return a * b % P if isinstance(a, int) and isinstance(b, int) else self.be.mul(a, b)

    def true(self):
        return None, Fp4.one()

    def _plus(self, tot, term):
        return term if tot is None else self.be.add(tot, term)

    def and_eqz(self, acc, value):
        tot, mul = acc
        value = value if isinstance(value, int) else value[None]
        return self._plus(tot, self.be.mul(value, self.be._fp4(mul))), mul * self.poly_mix

    def and_cond(self, acc, cond, inner):
        tot, mul = acc
        if inner[0] is None:
            return tot, mul * inner[1]
        cond = cond if isinstance(cond, int) else cond[None]
        term = self.be.mul(self.be.ext_mul(inner[0], mul), cond)
        return self._plus(tot, term), mul * inner[1]
