"""BabyBear arithmetic for the numba kernels: scalar helpers that inline into loops.

Every helper takes and returns ``uint32`` values below ``P``. Products use Montgomery
reduction with ``R = 2^32`` in 32-bit lanes with 64-bit products (no 64-bit modulo, so
LLVM vectorizes the loops they sit in): ``mont_mul(a, b) = a·b·2^-32 mod P``. Two
conventions follow, and each kernel picks one:

- *canonical data, Montgomery constants* — ``mont_mul(x, mont(c)) = x·c``: twiddles,
  round constants and weights are stored as :func:`mont` words, data stays canonical;
- *Montgomery data* — ``mont_mul(a·R, b·R) = (a·b)·R``: a kernel that multiplies data by
  data (the Poseidon2 S-box) converts with :func:`to_mont` / :func:`from_mont` at its edges.

Numba widens ``uint32`` arithmetic to 64 bits; each helper truncates back explicitly,
which LLVM folds into 32-bit instructions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...field import MONT_R, P

U32 = np.uint32
U64 = np.uint64
P32 = U32(P)
P64 = U64(P)
_PINV_NEG = U32((-pow(P, -1, 1 << 32)) % (1 << 32))  # −P^-1 mod 2^32
_R2 = U32(MONT_R * MONT_R % P)  # mont_mul(x, R^2) = x·R
_LO = U64(0xFFFFFFFF)
_SHIFT = U64(32)


def mont(c: int) -> int:
    """The Montgomery word ``c·2^32 mod P`` of a canonical constant (host side)."""
    return c % P * MONT_R % P


def mont_array(c: np.ndarray) -> np.ndarray:
    """:func:`mont` of every element, as ``uint32`` (host side)."""
    return (np.asarray(c, dtype=U64) % P64 * U64(MONT_R) % P64).astype(U32)


@njit(inline="always", cache=True)
def reduce_once(x):
    """``x mod P`` for ``x < 2P``."""
    x = U32(x)
    return x - P32 if x >= P32 else x


@njit(inline="always", cache=True)
def add(a, b):
    """``a + b mod P``."""
    return reduce_once(U32(a + b))


@njit(inline="always", cache=True)
def sub(a, b):
    """``a − b mod P``."""
    return reduce_once(U32(a + P32 - b))


@njit(inline="always", cache=True)
def mont_reduce(t):
    """``t·2^-32 mod P`` for ``t < 2^32·P``."""
    m = U32(U32(t & _LO) * _PINV_NEG)
    return reduce_once(U32((t + U64(m) * P64) >> _SHIFT))


@njit(inline="always", cache=True)
def mont_mul(a, b):
    """``a·b·2^-32 mod P``."""
    return mont_reduce(U64(a) * U64(b))


@njit(inline="always", cache=True)
def mul(a, b):
    """``a·b mod P`` of canonical values (two Montgomery products)."""
    return mont_mul(mont_mul(a, b), _R2)


@njit(inline="always", cache=True)
def to_mont(x):
    """Canonical ``x`` → its Montgomery word ``x·2^32 mod P``."""
    return mont_mul(x, _R2)


@njit(inline="always", cache=True)
def from_mont(x):
    """A Montgomery word → the canonical value."""
    return mont_reduce(U64(x))


@njit(inline="always", cache=True)
def reduce64(x):
    """``x mod P`` for any ``x < 2^64`` (a lazy sum): ``2^32 ≡ R``, so
    ``x ≡ lo + hi·R``, and ``hi·R`` is one Montgomery product ``mont_mul(hi, R^2)``."""
    lo = reduce_once(reduce_once(U32(x & _LO)))  # lo < 2^32 < 3P
    hi = U32(x >> _SHIFT)
    hi = reduce_once(reduce_once(hi))
    return add(lo, mont_mul(hi, _R2))
