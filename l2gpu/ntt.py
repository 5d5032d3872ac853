"""Batched NTTs over columns, with RISC Zero's orders and coset.

Arrays are ``(cols, n)`` (or ``(n,)``): each row of the array is one column of the
trace, ``n`` a power of two up to ``2^27``. Coefficients are in bit-reversed order,
evaluations in natural order, as RISC Zero keeps them. The coset of the low-degree
extension is ``3·⟨ω_{blowup·n}⟩``, so committed polynomials are ``g(x) = f(3x)``.
"""

from __future__ import annotations

import numpy as np

from . import backends
from .field import TWO_ADICITY, check_array, log2_exact

__all__ = ["bit_reverse", "evaluate", "interpolate", "lde", "zk_shift"]


def _check(values: object, name: str, *, blowup: int = 1) -> np.ndarray:
    values = check_array(values, name)
    if values.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (n,) or (cols, n), got {values.shape}")
    log_n = log2_exact(values.shape[-1], f"the length of {name}")
    log_b = log2_exact(blowup, "blowup")
    if log_n + log_b > TWO_ADICITY:
        raise ValueError(f"a domain of 2^{log_n + log_b} exceeds BabyBear's 2^{TWO_ADICITY}")
    return values


def interpolate(values: np.ndarray, *, backend=None) -> np.ndarray:
    """Natural-order evaluations at ``ω_n^k`` → coefficients in bit-reversed order."""
    values = _check(values, "values")
    be = backends.get(backend)
    return be.to_numpy(be.interpolate(be.asarray(values)))


def evaluate(coeffs: np.ndarray, blowup: int = 1, *, backend=None) -> np.ndarray:
    """Bit-reversed coefficients → natural-order evaluations at ``ω_{blowup·n}^i``."""
    coeffs = _check(coeffs, "coeffs", blowup=blowup)
    be = backends.get(backend)
    return be.to_numpy(be.evaluate(be.asarray(coeffs), blowup))


def zk_shift(coeffs: np.ndarray, *, backend=None) -> np.ndarray:
    """Bit-reversed coefficients of ``f(x)`` → those of ``f(3x)``."""
    coeffs = _check(coeffs, "coeffs")
    be = backends.get(backend)
    return be.to_numpy(be.zk_shift(be.asarray(coeffs)))


def lde(values: np.ndarray, blowup: int = 4, *, backend=None) -> np.ndarray:
    """The coset low-degree extension used for trace commitment.

    ``(cols, n)`` natural-order evaluations on ``⟨ω_n⟩`` → ``(cols, blowup·n)``: the
    interpolating polynomial evaluated at ``3·ω_{blowup·n}^i``, natural order.
    """
    values = _check(values, "values", blowup=blowup)
    be = backends.get(backend)
    return be.to_numpy(be.lde(be.asarray(values), blowup))


def bit_reverse(values: np.ndarray, *, backend=None) -> np.ndarray:
    """Permute the last axis into bit-reversed order (an involution)."""
    values = _check(values, "values")
    be = backends.get(backend)
    return be.to_numpy(be.bit_reverse(be.asarray(values)))
