"""The numpy backend: the readable reference and the CPU fallback.

Field values live in ``uint64`` lanes holding canonical residues, so a product of two
elements (``< 2^62``) never overflows and one ``% P`` reduces it; sums of a few
elements are reduced lazily. Work is vectorized over the batch (or the rows) and done
in cache-sized chunks; no Python loop runs over elements.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import sha256
from ..field import (
    MONT_R,
    MONT_R_INV,
    ROU_FWD,
    ROU_REV,
    Fp4,
    P,
    bit_reverse_indices,
    fp4_mul_arrays,
    fp4_powers,
    mod_p,
    powers,
)
from ..poseidon2 import Poseidon2Params
from .base import Backend

U64 = np.uint64
_P = U64(P)
_CHUNK = 1 << 12  # batch columns per Poseidon2 / SHA-256 chunk: keeps a state in L2
_NTT_CHUNK = 1 << 18  # elements per NTT batch chunk


def _reduce_once(x: np.ndarray) -> np.ndarray:
    """``x mod P`` for ``x < 2P``: ``x − P`` wraps above ``x`` when ``x < P``."""
    return np.minimum(x, x - _P)


def _to_mont(x: np.ndarray) -> np.ndarray:
    return mod_p(x * U64(MONT_R))


def _from_mont(w: np.ndarray) -> np.ndarray:
    return mod_p(w.astype(U64) * U64(MONT_R_INV))


# -- Poseidon2 --------------------------------------------------------------------


class _Permutation:
    """Poseidon2 over canonical ``uint64`` states ``(width, batch)``, in place.

    Every operation writes into buffers allocated once per batch shape: fresh
    temporaries of this size cost more in page faults than the arithmetic.
    """

    def __init__(self, p: Poseidon2Params, batch: int) -> None:
        w = p.width
        self.p = p
        self.m4 = [p.m4[:, k].astype(U64).reshape(1, 4, 1) for k in range(4)]
        self.diag = p.internal_diag.astype(U64)[:, None]
        self.full = p.full_round_constants.astype(U64)[:, :, None]
        self.part = [U64(c) for c in p.partial_round_constants]
        self.t2 = np.empty((w, batch), U64)
        self.t3 = np.empty((w, batch), U64)
        self.q = np.empty((w, batch), U64)
        self.y = np.empty((w // 4, 4, batch), U64)
        self.col = np.empty((1, 4, batch), U64)
        self.total = np.empty(batch, U64)

    def _sbox(self, x: np.ndarray, t2: np.ndarray, t3: np.ndarray, q: np.ndarray) -> None:
        """``x ← x^7``."""
        np.multiply(x, x, out=t2)
        mod_p(t2, q)
        np.multiply(t2, x, out=t3)
        mod_p(t3, q)
        np.multiply(t2, t2, out=t2)
        mod_p(t2, q)
        np.multiply(t3, t2, out=x)
        mod_p(x, q)

    def _add_constant(self, x: np.ndarray, c, t: np.ndarray) -> None:
        np.add(x, c, out=x)
        np.subtract(x, _P, out=t)
        np.minimum(x, t, out=x)

    def _external(self, s: np.ndarray) -> None:
        """``M_EXT``: ``M4`` on each block of 4 cells, plus the sum over blocks."""
        blocks = s.reshape(self.y.shape)
        y, t = self.y, self.t2.reshape(self.y.shape)
        np.multiply(blocks[:, 0:1], self.m4[0], out=y)
        for k in range(1, 4):
            np.multiply(blocks[:, k : k + 1], self.m4[k], out=t)
            np.add(y, t, out=y)
        np.sum(y, axis=0, keepdims=True, out=self.col)
        np.add(y, self.col, out=y)  # entries stay below 2^40: reduce once
        q = self.q.reshape(y.shape)
        np.floor_divide(y, _P, out=q)
        np.multiply(q, _P, out=q)
        np.subtract(y, q, out=blocks)

    def __call__(self, s: np.ndarray) -> np.ndarray:
        p = self.p
        self._external(s)
        for r in range(p.rounds_full):
            if r == p.half_full:
                for c in self.part:
                    s0, t2, t3 = s[0], self.t2[0], self.t3[0]
                    self._add_constant(s0, c, t2)
                    self._sbox(s0, t2, t3, self.q[0])
                    np.sum(s, axis=0, out=self.total)
                    np.multiply(s, self.diag, out=s)
                    np.add(s, self.total, out=s)
                    mod_p(s, self.q)
            self._add_constant(s, self.full[r], self.t2)
            self._sbox(s, self.t2, self.t3, self.q)
            self._external(s)
        return s


def _permute(s: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """Poseidon2 on canonical ``uint64`` states ``(width, batch)``, in place."""
    return _Permutation(p, s.shape[1])(s)


def _chunks(n: int):
    for start in range(0, n, _CHUNK):
        yield slice(start, min(start + _CHUNK, n))


# -- SHA-256 ----------------------------------------------------------------------


def _rotr(x: np.ndarray, r: int) -> np.ndarray:
    return (x >> np.uint32(r)) | (x << np.uint32(32 - r))


def _compress(state: np.ndarray, block: np.ndarray) -> np.ndarray:
    """SHA-256 compression over ``uint32`` lanes: ``(8, m)`` states, ``(16, m)`` blocks."""
    w = list(block)
    for t in range(16, 64):
        x, y = w[t - 15], w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> np.uint32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> np.uint32(10))
        w.append(w[t - 16] + s0 + w[t - 7] + s1)
    a, b, c, d, e, f, g, h = state
    for t in range(64):
        t1 = h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g))
        t1 += sha256.K[t] + w[t]
        t2 = (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        a, b, c, d, e, f, g, h = t1 + t2, a, b, c, d + t1, e, f, g
    return state + np.stack([a, b, c, d, e, f, g, h])


def _bswap(x: np.ndarray) -> np.ndarray:
    return x.byteswap()


# -- NTT --------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _stage_twiddles(log_m: int, inverse: bool) -> tuple[np.ndarray, ...]:
    """Per DIF stage (half-size ``h = m/2 … 2``): ``ω_{2h}^i`` for ``i < h``, shaped ``(h, 1)``."""
    table = ROU_REV if inverse else ROU_FWD
    return tuple(powers(table[lg + 1], 1 << lg)[:, None] for lg in range(log_m - 1, 0, -1))


@lru_cache(maxsize=4)
def _four_step_twiddles(log_n: int, inverse: bool, scale: int) -> np.ndarray:
    """``scale·ω_n^(j1·k2)`` as a ``(n2, n1)`` table for the four-step NTT.

    Kept as ``uint64``: a mixed-width product costs three times as much.
    """
    log_n1 = log_n // 2
    n1, n2 = 1 << log_n1, 1 << (log_n - log_n1)
    w = (ROU_REV if inverse else ROU_FWD)[log_n]
    base = powers(w, n2)  # ω^k2
    table = np.empty((n2, n1), dtype=U64)
    col = np.full(n2, scale, dtype=U64)
    for j1 in range(n1):
        table[:, j1] = col
        col = mod_p(col * base)
    return table


@lru_cache(maxsize=16)
def _bitrev(log_n: int) -> np.ndarray:
    return bit_reverse_indices(log_n)


@lru_cache(maxsize=16)
def _output_order(log_n: int, bit_reversed: bool) -> np.ndarray:
    """Where each output of :func:`_dft` sits in its raw result, whose row index ``k1`` is
    bit-reversed; composed with a bit reversal of the whole when ``bit_reversed``."""
    log_n1 = log_n // 2
    k = np.arange(1 << log_n)
    if bit_reversed:
        k = _bitrev(log_n)
    k1, k2 = k >> (log_n - log_n1), k & ((1 << (log_n - log_n1)) - 1)
    return (_bitrev(log_n1)[k1] << (log_n - log_n1)) | k2


@lru_cache(maxsize=16)
def _shift_scale(log_n: int, scale: int) -> np.ndarray:
    """``scale · 3^j`` for ``j < n``: zk_shift and the ``1/n`` of interpolation in one pass."""
    return mod_p(powers(3, 1 << log_n) * U64(scale))


def _dif_rows(x: np.ndarray, inverse: bool) -> np.ndarray:
    """Radix-2 DIF along axis 1 of ``(batch, m, L)``: natural in, bit-reversed out, in place.

    The butterfly is ``(a, b) → (a + b, (a − b)·w)``; the last stage has ``w = 1``.
    One scratch buffer serves every stage (fresh temporaries cost page faults).
    """
    batch, m, length = x.shape
    stages = (*_stage_twiddles(m.bit_length() - 1, inverse), None) if m > 1 else ()
    scratch = np.empty(x.size // 2, dtype=U64)
    quot = np.empty(x.size // 2, dtype=U64)
    for w in stages:
        h = 1 if w is None else w.shape[0]
        v = x.reshape(batch, m // (2 * h), 2, h, length)
        a, b = v[:, :, 0], v[:, :, 1]
        total = scratch.reshape(a.shape)
        np.add(a, b, out=total)
        np.subtract(a, b, out=b)
        np.add(b, _P, out=b)  # a − b + P, in [1, 2P)
        if w is None:
            np.subtract(b, _P, out=a)
            np.minimum(b, a, out=b)
        else:
            np.multiply(b, w, out=b)
            mod_p(b, quot.reshape(b.shape))
        np.subtract(total, _P, out=a)
        np.minimum(total, a, out=a)
    return x


def _dft(x: np.ndarray, inverse: bool, *, scale: int = 1, bit_reversed: bool = False) -> np.ndarray:
    """``scale ·`` the unscaled DFT along the last axis of ``(batch, n)`` canonical ``uint64``.

    Natural order in; natural order out, or bit-reversed when ``bit_reversed``.
    Four-step: ``n = n1·n2``; DFTs of size ``n2`` down the columns of ``x`` seen as
    ``(n2, n1)``, a twiddle pass (which also applies ``scale``), a transpose, DFTs of size
    ``n1``: every butterfly works on contiguous runs of at least ``n1`` elements. ``x``
    is consumed.
    """
    batch, n = x.shape
    log_n = n.bit_length() - 1
    if log_n == 0:
        return mod_p(x * U64(scale))
    rows = max(1, _NTT_CHUNK // n)
    if batch > rows:  # keep the working set small: a few columns at a time
        return np.concatenate(
            [
                _dft(x[i : i + rows], inverse, scale=scale, bit_reversed=bit_reversed)
                for i in range(0, batch, rows)
            ]
        )
    log_n1 = log_n // 2
    n1, n2 = 1 << log_n1, 1 << (log_n - log_n1)
    a = _dif_rows(x.reshape(batch, n2, n1), inverse)
    a = a[:, _bitrev(log_n - log_n1)]  # a[k2, j1]
    a *= _four_step_twiddles(log_n, inverse, scale)
    mod_p(a)
    a = np.ascontiguousarray(a.transpose(0, 2, 1))  # a[j1, k2]
    a = _dif_rows(a, inverse).reshape(batch, n)  # a[bitrev(k1), k2]
    return a[:, _output_order(log_n, bit_reversed)]


class NumpyBackend(Backend):
    """Reference kernels in vectorized numpy; always available."""

    name = "numpy"

    def asarray(self, host: np.ndarray) -> np.ndarray:
        return np.asarray(host, dtype=np.uint32)

    def to_numpy(self, array: np.ndarray) -> np.ndarray:
        return np.asarray(array, dtype=np.uint32)

    # -- hashing -------------------------------------------------------------------
    def poseidon2_permute(self, states: np.ndarray, params: Poseidon2Params) -> np.ndarray:
        out = np.empty(states.shape, dtype=np.uint32)
        for sl in _chunks(states.shape[1]):
            out[:, sl] = _permute(states[:, sl].astype(U64), params)
        return out

    def poseidon2_hash_rows(self, matrix: np.ndarray, params: Poseidon2Params) -> np.ndarray:
        cols, rows = matrix.shape
        out = np.empty((8, rows), dtype=np.uint32)
        for sl in _chunks(rows):
            s = np.zeros((params.width, sl.stop - sl.start), dtype=U64)
            for start in range(0, max(cols, 1), 16):
                take = min(16, cols - start)
                s[:take] = matrix[start : start + take, sl]
                s[take:16] = 0
                s = _permute(s, params)
            out[:, sl] = _to_mont(s[:8])
        return out

    def poseidon2_hash_pairs(
        self, left: np.ndarray, right: np.ndarray, params: Poseidon2Params
    ) -> np.ndarray:
        m = left.shape[1]
        out = np.empty((8, m), dtype=np.uint32)
        for sl in _chunks(m):
            s = np.zeros((params.width, sl.stop - sl.start), dtype=U64)
            s[0:8] = _from_mont(left[:, sl])
            s[8:16] = _from_mont(right[:, sl])
            out[:, sl] = _to_mont(_permute(s, params)[:8])
        return out

    def sha256_compress(self, state: np.ndarray, block: np.ndarray) -> np.ndarray:
        out = np.empty(state.shape, dtype=np.uint32)
        for sl in _chunks(state.shape[1]):
            out[:, sl] = _compress(state[:, sl], block[:, sl])
        return out

    def sha256_hash_rows(self, matrix: np.ndarray) -> np.ndarray:
        cols, rows = matrix.shape
        out = np.empty((8, rows), dtype=np.uint32)
        for sl in _chunks(rows):
            words = _bswap(_to_mont(matrix[:, sl].astype(U64)).astype(np.uint32))
            state = np.repeat(sha256.IV[:, None], sl.stop - sl.start, axis=1)
            for start in range(0, cols, 16):
                block = np.zeros((16, sl.stop - sl.start), dtype=np.uint32)
                block[: min(16, cols - start)] = words[start : start + 16]
                state = _compress(state, block)
            out[:, sl] = _bswap(state)
        return out

    def sha256_hash_pairs(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        m = left.shape[1]
        out = np.empty((8, m), dtype=np.uint32)
        for sl in _chunks(m):
            block = _bswap(np.concatenate([left[:, sl], right[:, sl]]))
            state = np.repeat(sha256.IV[:, None], sl.stop - sl.start, axis=1)
            out[:, sl] = _bswap(_compress(state, block))
        return out

    # -- NTT -----------------------------------------------------------------------
    def bit_reverse(self, x: np.ndarray) -> np.ndarray:
        return x[..., _bitrev(x.shape[-1].bit_length() - 1)]

    def interpolate(self, values: np.ndarray) -> np.ndarray:
        n = values.shape[-1]
        inv_n = pow(n, P - 2, P)
        coeffs = _dft(values.reshape(-1, n).astype(U64), True, scale=inv_n, bit_reversed=True)
        return coeffs.astype(np.uint32).reshape(values.shape)

    def evaluate(self, coeffs: np.ndarray, blowup: int = 1) -> np.ndarray:
        n = coeffs.shape[-1]
        natural = self.bit_reverse(coeffs.reshape(-1, n)).astype(U64)
        if blowup > 1:  # zero-pad the natural-order coefficients
            natural = np.concatenate(
                [natural, np.zeros((natural.shape[0], (blowup - 1) * n), U64)], 1
            )
        evals = _dft(natural, inverse=False)
        return evals.astype(np.uint32).reshape(*coeffs.shape[:-1], blowup * n)

    def zk_shift(self, coeffs: np.ndarray) -> np.ndarray:
        n = coeffs.shape[-1]
        shift = self.bit_reverse(_shift_scale(n.bit_length() - 1, 1))
        return mod_p(coeffs.astype(U64) * shift).astype(np.uint32)

    def lde(self, values: np.ndarray, blowup: int) -> np.ndarray:
        n = values.shape[-1]
        coeffs = _dft(values.reshape(-1, n).astype(U64), inverse=True)
        natural = np.zeros((coeffs.shape[0], blowup * n), dtype=U64)
        np.multiply(coeffs, _shift_scale(n.bit_length() - 1, pow(n, P - 2, P)), out=natural[:, :n])
        natural[:, :n] %= _P
        evals = _dft(natural, inverse=False)
        return evals.astype(np.uint32).reshape(*values.shape[:-1], blowup * n)

    # -- element-wise field arithmetic -----------------------------------------------
    def add(self, a, b) -> np.ndarray:
        return _reduce_once(_u64(a) + _u64(b)).astype(np.uint32)

    def sub(self, a, b) -> np.ndarray:
        return _reduce_once(_u64(a) + _P - _u64(b)).astype(np.uint32)

    def mul(self, a, b) -> np.ndarray:
        return np.asarray(mod_p(_u64(a) * _u64(b))).astype(np.uint32)

    def inv(self, a: np.ndarray) -> np.ndarray:
        flat = a.astype(U64).ravel()
        if flat.size and not flat.all():
            raise ValueError("cannot invert zero")
        return _batch_inverse(flat).astype(np.uint32).reshape(a.shape)

    def ext_mul(self, a: np.ndarray, b) -> np.ndarray:
        if isinstance(b, Fp4):
            b = np.array(b.c, dtype=np.uint32).reshape((4,) + (1,) * (a.ndim - 1))
        return fp4_mul_arrays(a.astype(U64), b.astype(U64)).astype(np.uint32)

    def roll(self, a: np.ndarray, shift: int) -> np.ndarray:
        return np.roll(a, shift, axis=-1)

    def fri_fold(self, coeffs: np.ndarray, mix: Fp4) -> np.ndarray:
        d = coeffs.shape[-1]
        blocks = coeffs.reshape(4, d // 16, 16).astype(U64)
        out = np.zeros((4, d // 16), dtype=U64)
        power = Fp4.one()
        for k in range(16):
            w = np.array(power.c, dtype=U64)[:, None]
            out = _reduce_once(out + fp4_mul_arrays(blocks[:, :, k], w))
            power = power * mix
        return out.astype(np.uint32)

    def poly_eval_ext(self, coeffs: np.ndarray, point: Fp4) -> np.ndarray:
        n = coeffs.shape[-1]
        pw = fp4_powers(point, n)  # (4, n)
        c = coeffs.astype(U64)
        # Σ_j c_j·pw_j per component: each term < P, n < 2^27 terms: no overflow.
        return np.stack([mod_p(mod_p(c * pw[j]).sum(axis=-1)) for j in range(4)], axis=-1).astype(
            np.uint32
        )


def _u64(x) -> np.ndarray | np.uint64:
    return U64(x) if isinstance(x, (int, np.integer)) else np.asarray(x).astype(U64)


def _batch_inverse(a: np.ndarray) -> np.ndarray:
    """Inverses of non-zero canonical ``uint64`` values: a product tree, one Fermat
    inversion at the root, and the tree walked back down (about 3 products each)."""
    n = a.size
    size = 1 << max(n - 1, 0).bit_length()
    level = np.ones(size, dtype=U64)
    level[:n] = a
    tree = [level]
    while level.size > 1:
        level = mod_p(level[0::2] * level[1::2])
        tree.append(level)
    inv = np.array([pow(int(level[0]), P - 2, P)], dtype=U64)
    for below in reversed(tree[:-1]):
        up = np.empty(below.size, dtype=U64)
        up[0::2] = mod_p(inv * below[1::2])
        up[1::2] = mod_p(inv * below[0::2])
        inv = up
    return inv[:n]
