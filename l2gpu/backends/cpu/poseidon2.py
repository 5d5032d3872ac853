"""Poseidon2 kernels of the ``cpu`` backend: permutation, row hash and pair hash.

Lanes are processed in tiles: a tile is one flat buffer of ``width`` rows of ``_TILE``
Montgomery words, and every step of the permutation is a loop over the lanes of one or a
few rows of it — contiguous, with constant row offsets, so LLVM proves the rows do not
overlap and vectorizes every lane loop. A tile stays in L1 from the first round to the
last; tiles run over the cores with ``prange``. Data is in Montgomery form inside a
kernel: the linear layers preserve it and the S-box needs it; row hashes convert their
canonical input once, and digests — raw Montgomery words — need no conversion at all.

``M4`` is an addition chain (a reduced addition is three SIMD instructions) for the two
matrices of the shipped parameter sets, and a product by Montgomery constants otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import njit, prange

from ...poseidon2 import Poseidon2Params
from .field import U32, U64, add, mont_array, mont_mul, to_mont

_TILE = 256  # lanes per work item: a width-24 tile is 24 KiB, in L1
_T = U64(_TILE)
_M4_PAPER = ((5, 7, 1, 3), (4, 6, 1, 1), (1, 3, 5, 7), (1, 1, 4, 6))  # RISC Zero's
_M4_PLONKY3 = ((2, 3, 1, 1), (1, 2, 3, 1), (1, 1, 2, 3), (3, 1, 1, 2))


@dataclass(frozen=True)
class _Consts:
    """One parameter set as the kernels take it: Montgomery words, ``uint32``."""

    width: int
    half_full: int
    m4_kind: int  # 0: the paper's M4, 1: Plonky3's, 2: any other (``m4`` used)
    m4: np.ndarray  # (4, 4)
    full: np.ndarray  # (rounds_full, width)
    partial: np.ndarray  # (rounds_partial,)
    diag: np.ndarray  # (width,)


@cache
def _consts(p: Poseidon2Params) -> _Consts:
    key = tuple(tuple(int(v) for v in row) for row in p.m4)
    kind = {_M4_PAPER: 0, _M4_PLONKY3: 1}.get(key, 2)
    return _Consts(
        p.width,
        p.half_full,
        kind,
        mont_array(p.m4),
        mont_array(p.full_round_constants),
        mont_array(p.partial_round_constants),
        mont_array(p.internal_diag),
    )


@njit(cache=True, forceinline=True)
def _sbox(x):
    """``x^7`` in Montgomery form."""
    x2 = mont_mul(x, x)
    return mont_mul(mont_mul(x2, x), mont_mul(x2, x2))


@njit(cache=True)
def _m4_block(buf, base, kind, m4, rc, sbox):
    """``M4`` on the four rows ``base … base+3`` of a tile, in place; when ``sbox``, first
    the full round's ``x ← (x + rc)^7`` on them (fused: one pass, four independent chains).

    The rows are addressed as constant offsets into a view of the block: with a runtime
    base, LLVM cannot tell that the stores of one lane miss the loads of the next.
    """
    b = buf[base : base + 4 * _T]
    t1_, t2_, t3_ = _T, 2 * _T, 3 * _T
    if sbox:
        k0, k1, k2, k3 = rc[0], rc[1], rc[2], rc[3]
        for j in range(_T):
            b[j] = _sbox(add(b[j], k0))
            b[t1_ + j] = _sbox(add(b[t1_ + j], k1))
            b[t2_ + j] = _sbox(add(b[t2_ + j], k2))
            b[t3_ + j] = _sbox(add(b[t3_ + j], k3))
    if kind == 0:
        for j in range(_T):
            x0, x1, x2, x3 = b[j], b[t1_ + j], b[t2_ + j], b[t3_ + j]
            t0 = add(x0, x1)
            t1 = add(x2, x3)
            t2 = add(add(x1, x1), t1)  # 2x1 + x2 + x3
            t3 = add(add(x3, x3), t0)  # x0 + x1 + 2x3
            t4 = add(t1, t1)
            y3 = add(add(t4, t4), t3)  # x0 + x1 + 4x2 + 6x3
            t5 = add(t0, t0)
            y1 = add(add(t5, t5), t2)  # 4x0 + 6x1 + x2 + x3
            b[j] = add(t3, y1)  # 5x0 + 7x1 + x2 + 3x3
            b[t1_ + j] = y1
            b[t2_ + j] = add(t2, y3)  # x0 + 3x1 + 5x2 + 7x3
            b[t3_ + j] = y3
    elif kind == 1:
        for j in range(_T):
            x0, x1, x2, x3 = b[j], b[t1_ + j], b[t2_ + j], b[t3_ + j]
            t0 = add(x0, x1)
            t1 = add(x2, x3)
            t2 = add(t0, t1)
            t3 = add(t2, x1)  # x0 + 2x1 + x2 + x3
            t4 = add(t2, x3)  # x0 + x1 + x2 + 2x3
            b[j] = add(t3, t0)  # 2x0 + 3x1 + x2 + x3
            b[t1_ + j] = add(t3, add(x2, x2))  # x0 + 2x1 + 3x2 + x3
            b[t2_ + j] = add(t4, t1)  # x0 + x1 + 2x2 + 3x3
            b[t3_ + j] = add(t4, add(x0, x0))  # 3x0 + x1 + x2 + 2x3
    else:
        for j in range(_T):
            x0, x1, x2, x3 = b[j], b[t1_ + j], b[t2_ + j], b[t3_ + j]
            for i in range(4):
                y = add(mont_mul(x0, m4[i, 0]), mont_mul(x1, m4[i, 1]))
                y = add(y, add(mont_mul(x2, m4[i, 2]), mont_mul(x3, m4[i, 3])))
                b[U64(i) * _T + j] = y


@njit(cache=True)
def _external(buf, width, kind, m4, sums, rc, sbox):
    """``M_EXT`` (after the full round's S-boxes when ``sbox``): ``M4`` on each block of
    four rows, then each row plus the sum of the rows at its place in every block."""
    blocks = width // 4
    for k in range(blocks):
        _m4_block(buf, U64(4 * k) * _T, kind, m4, rc[4 * k : 4 * k + 4], sbox)
    for i in range(4):
        s = U64(i) * _T
        for j in range(_T):
            sums[s + j] = buf[s + j]
        for k in range(1, blocks):
            r = U64(4 * k + i) * _T
            for j in range(_T):
                sums[s + j] = add(sums[s + j], buf[r + j])
    for c in range(width):
        r = U64(c) * _T
        s = U64(c % 4) * _T
        for j in range(_T):
            buf[r + j] = add(buf[r + j], sums[s + j])


@njit(cache=True)
def _partial_round(buf, width, rc, diag, total):
    """Cell 0 through the S-box, then ``M_INT·s = Σs + D∘s``."""
    for j in range(_T):
        x = _sbox(add(buf[j], rc))
        buf[j] = x
        total[j] = x
    for c in range(1, width):
        r = U64(c) * _T
        for j in range(_T):
            total[j] = add(total[j], buf[r + j])
    for c in range(width):
        r = U64(c) * _T
        d = diag[c]
        for j in range(_T):
            buf[r + j] = add(total[j], mont_mul(buf[r + j], d))


@njit(cache=True)
def _permute_tile(buf, width, half_full, kind, m4, full, partial, diag, scratch):
    """Permute the lanes of a tile of Montgomery words in place."""
    _external(buf, width, kind, m4, scratch, full[0], False)
    for r in range(full.shape[0]):
        if r == half_full:
            for rc in partial:
                _partial_round(buf, width, rc, diag, scratch)
        _external(buf, width, kind, m4, scratch, full[r], True)


@njit(cache=True, parallel=True)
def _permute(states, out, half_full, kind, m4, full, partial, diag):
    width, m = states.shape
    for tile in prange((m + _TILE - 1) // _TILE):
        lo = tile * _TILE
        n = min(_TILE, m - lo)
        buf = np.zeros(width * _TILE, dtype=U32)
        scratch = np.empty(4 * _TILE, dtype=U32)
        for c in range(width):
            r = U64(c) * _T
            for j in range(n):
                buf[r + U64(j)] = to_mont(states[c, lo + j])
        _permute_tile(buf, width, half_full, kind, m4, full, partial, diag, scratch)
        for c in range(width):
            r = U64(c) * _T
            for j in range(n):
                out[c, lo + j] = mont_mul(buf[r + U64(j)], U32(1))


@njit(cache=True, parallel=True)
def _hash_rows(matrix, out, width, half_full, kind, m4, full, partial, diag):
    cols, rows = matrix.shape
    for tile in prange((rows + _TILE - 1) // _TILE):
        lo = tile * _TILE
        n = min(_TILE, rows - lo)
        buf = np.zeros(width * _TILE, dtype=U32)
        scratch = np.empty(4 * _TILE, dtype=U32)
        for start in range(0, max(cols, 1), 16):
            take = min(16, cols - start)
            for c in range(take):
                r = U64(c) * _T
                for j in range(n):
                    buf[r + U64(j)] = to_mont(matrix[start + c, lo + j])
            for c in range(take, 16):
                r = U64(c) * _T
                for j in range(_T):
                    buf[r + j] = U32(0)
            _permute_tile(buf, width, half_full, kind, m4, full, partial, diag, scratch)
        for c in range(8):
            r = U64(c) * _T
            for j in range(n):
                out[c, lo + j] = buf[r + U64(j)]


@njit(cache=True, parallel=True)
def _hash_pairs(left, right, out, width, half_full, kind, m4, full, partial, diag):
    m = left.shape[1]
    for tile in prange((m + _TILE - 1) // _TILE):
        lo = tile * _TILE
        n = min(_TILE, m - lo)
        buf = np.zeros(width * _TILE, dtype=U32)
        scratch = np.empty(4 * _TILE, dtype=U32)
        for c in range(8):
            r = U64(c) * _T
            s = U64(c + 8) * _T
            for j in range(n):
                buf[r + U64(j)] = left[c, lo + j]
                buf[s + U64(j)] = right[c, lo + j]
        _permute_tile(buf, width, half_full, kind, m4, full, partial, diag, scratch)
        for c in range(8):
            r = U64(c) * _T
            for j in range(n):
                out[c, lo + j] = buf[r + U64(j)]


def _args(p: Poseidon2Params) -> tuple:
    c = _consts(p)
    return c.half_full, c.m4_kind, c.m4, c.full, c.partial, c.diag


def permute(states: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """Poseidon2 on each column of canonical ``(width, batch)`` states."""
    out = np.empty(states.shape, dtype=U32)
    _permute(states, out, *_args(p))
    return out


def hash_rows(matrix: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """RISC Zero's Poseidon2 sponge over each row of canonical ``(cols, rows)`` → ``(8, rows)``
    raw Montgomery digest words."""
    out = np.empty((8, matrix.shape[1]), dtype=U32)
    _hash_rows(matrix, out, p.width, *_args(p))
    return out


def hash_pairs(left: np.ndarray, right: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """``hash_pair`` of ``(8, m)`` Montgomery digest words → ``(8, m)``."""
    out = np.empty(left.shape, dtype=U32)
    _hash_pairs(left, right, out, p.width, *_args(p))
    return out
