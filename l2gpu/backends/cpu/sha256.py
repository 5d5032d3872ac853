"""SHA-256 kernels of the ``cpu`` backend: compression, row hash and pair hash.

Each kernel copies a tile of lanes into a flat scratch buffer (rows of ``_TILE`` words:
eight state words, then sixteen message words) and compresses it in place with
:func:`_compress_tile`. Its lane loop is innermost and its body is the whole compression
as straight-line scalar code (64 rounds, the schedule expanded in sixteen words), so
LLVM's loop vectorizer turns it into 8-lane ``uint32`` SIMD code with the working state
in registers. One buffer with constant row offsets lets LLVM prove that the rows do not
overlap, which it cannot for the rows of arbitrary arrays. Tiles run over the cores with
``prange``. Semantics follow :class:`~l2gpu.backends.numpy_backend.NumpyBackend`: RISC
Zero's suite uses the bare compression (no padding, no length), and digest words are the
state words byte-swapped (the digest bytes read as little-endian words).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ... import sha256
from .field import to_mont

U32 = np.uint32
U64 = np.uint64
_K = sha256.K.astype(U32)
_IV = sha256.IV.astype(U32)
_B1 = U32(0xFF00)
_B2 = U32(0xFF0000)
_TILE = 256  # lanes per work item: the scratch buffer (24 KiB) stays in L1
_ROWS = 24  # scratch rows: state 0 … 7, message words 8 … 23
_ROW = tuple(U64(r * _TILE) for r in range(_ROWS))  # row offsets, unsigned: no wraparound


@njit(cache=True)
def _rotr(x, r):
    """Rotate the 32-bit word ``x`` right by ``r``."""
    return U32((x >> U32(r)) | (x << U32(32 - r)))


@njit(cache=True)
def _bswap(x):
    """Reverse the bytes of a 32-bit word (big-endian ↔ little-endian)."""
    return U32((x >> U32(24)) | ((x >> U32(8)) & _B1) | ((x << U32(8)) & _B2) | (x << U32(24)))


@njit(cache=True)
def _round(a, b, c, d, e, f, g, h, k, w):
    """One round: the new ``e`` and ``a``, which take the places of ``d`` and ``h``
    (the caller renames the other six words instead of moving them)."""
    ch = g ^ (e & (f ^ g))
    maj = (a & b) | (c & (a | b))
    t1 = U32(h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ch + k + w)
    t2 = U32((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + maj)
    return U32(d + t1), U32(t1 + t2)


@njit(cache=True)
def _sched(w16, w15, w7, w2):
    """The schedule word ``W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16]``."""
    s0 = _rotr(w15, 7) ^ _rotr(w15, 18) ^ (w15 >> U32(3))
    s1 = _rotr(w2, 17) ^ _rotr(w2, 19) ^ (w2 >> U32(10))
    return U32(w16 + s0 + w7 + s1)


@njit(cache=True)
def _compress_tile(buf, n):
    """Compress lanes ``0 … n−1`` of the scratch ``buf`` in place (state rows updated)."""
    for j in range(U64(n)):
        a = buf[j + _ROW[0]]
        b = buf[j + _ROW[1]]
        c = buf[j + _ROW[2]]
        d = buf[j + _ROW[3]]
        e = buf[j + _ROW[4]]
        f = buf[j + _ROW[5]]
        g = buf[j + _ROW[6]]
        h = buf[j + _ROW[7]]
        w0 = buf[j + _ROW[8]]
        w1 = buf[j + _ROW[9]]
        w2 = buf[j + _ROW[10]]
        w3 = buf[j + _ROW[11]]
        w4 = buf[j + _ROW[12]]
        w5 = buf[j + _ROW[13]]
        w6 = buf[j + _ROW[14]]
        w7 = buf[j + _ROW[15]]
        w8 = buf[j + _ROW[16]]
        w9 = buf[j + _ROW[17]]
        w10 = buf[j + _ROW[18]]
        w11 = buf[j + _ROW[19]]
        w12 = buf[j + _ROW[20]]
        w13 = buf[j + _ROW[21]]
        w14 = buf[j + _ROW[22]]
        w15 = buf[j + _ROW[23]]
        d, h = _round(a, b, c, d, e, f, g, h, _K[0], w0)
        c, g = _round(h, a, b, c, d, e, f, g, _K[1], w1)
        b, f = _round(g, h, a, b, c, d, e, f, _K[2], w2)
        a, e = _round(f, g, h, a, b, c, d, e, _K[3], w3)
        h, d = _round(e, f, g, h, a, b, c, d, _K[4], w4)
        g, c = _round(d, e, f, g, h, a, b, c, _K[5], w5)
        f, b = _round(c, d, e, f, g, h, a, b, _K[6], w6)
        e, a = _round(b, c, d, e, f, g, h, a, _K[7], w7)
        d, h = _round(a, b, c, d, e, f, g, h, _K[8], w8)
        c, g = _round(h, a, b, c, d, e, f, g, _K[9], w9)
        b, f = _round(g, h, a, b, c, d, e, f, _K[10], w10)
        a, e = _round(f, g, h, a, b, c, d, e, _K[11], w11)
        h, d = _round(e, f, g, h, a, b, c, d, _K[12], w12)
        g, c = _round(d, e, f, g, h, a, b, c, _K[13], w13)
        f, b = _round(c, d, e, f, g, h, a, b, _K[14], w14)
        e, a = _round(b, c, d, e, f, g, h, a, _K[15], w15)
        w0 = _sched(w0, w1, w9, w14)
        d, h = _round(a, b, c, d, e, f, g, h, _K[16], w0)
        w1 = _sched(w1, w2, w10, w15)
        c, g = _round(h, a, b, c, d, e, f, g, _K[17], w1)
        w2 = _sched(w2, w3, w11, w0)
        b, f = _round(g, h, a, b, c, d, e, f, _K[18], w2)
        w3 = _sched(w3, w4, w12, w1)
        a, e = _round(f, g, h, a, b, c, d, e, _K[19], w3)
        w4 = _sched(w4, w5, w13, w2)
        h, d = _round(e, f, g, h, a, b, c, d, _K[20], w4)
        w5 = _sched(w5, w6, w14, w3)
        g, c = _round(d, e, f, g, h, a, b, c, _K[21], w5)
        w6 = _sched(w6, w7, w15, w4)
        f, b = _round(c, d, e, f, g, h, a, b, _K[22], w6)
        w7 = _sched(w7, w8, w0, w5)
        e, a = _round(b, c, d, e, f, g, h, a, _K[23], w7)
        w8 = _sched(w8, w9, w1, w6)
        d, h = _round(a, b, c, d, e, f, g, h, _K[24], w8)
        w9 = _sched(w9, w10, w2, w7)
        c, g = _round(h, a, b, c, d, e, f, g, _K[25], w9)
        w10 = _sched(w10, w11, w3, w8)
        b, f = _round(g, h, a, b, c, d, e, f, _K[26], w10)
        w11 = _sched(w11, w12, w4, w9)
        a, e = _round(f, g, h, a, b, c, d, e, _K[27], w11)
        w12 = _sched(w12, w13, w5, w10)
        h, d = _round(e, f, g, h, a, b, c, d, _K[28], w12)
        w13 = _sched(w13, w14, w6, w11)
        g, c = _round(d, e, f, g, h, a, b, c, _K[29], w13)
        w14 = _sched(w14, w15, w7, w12)
        f, b = _round(c, d, e, f, g, h, a, b, _K[30], w14)
        w15 = _sched(w15, w0, w8, w13)
        e, a = _round(b, c, d, e, f, g, h, a, _K[31], w15)
        w0 = _sched(w0, w1, w9, w14)
        d, h = _round(a, b, c, d, e, f, g, h, _K[32], w0)
        w1 = _sched(w1, w2, w10, w15)
        c, g = _round(h, a, b, c, d, e, f, g, _K[33], w1)
        w2 = _sched(w2, w3, w11, w0)
        b, f = _round(g, h, a, b, c, d, e, f, _K[34], w2)
        w3 = _sched(w3, w4, w12, w1)
        a, e = _round(f, g, h, a, b, c, d, e, _K[35], w3)
        w4 = _sched(w4, w5, w13, w2)
        h, d = _round(e, f, g, h, a, b, c, d, _K[36], w4)
        w5 = _sched(w5, w6, w14, w3)
        g, c = _round(d, e, f, g, h, a, b, c, _K[37], w5)
        w6 = _sched(w6, w7, w15, w4)
        f, b = _round(c, d, e, f, g, h, a, b, _K[38], w6)
        w7 = _sched(w7, w8, w0, w5)
        e, a = _round(b, c, d, e, f, g, h, a, _K[39], w7)
        w8 = _sched(w8, w9, w1, w6)
        d, h = _round(a, b, c, d, e, f, g, h, _K[40], w8)
        w9 = _sched(w9, w10, w2, w7)
        c, g = _round(h, a, b, c, d, e, f, g, _K[41], w9)
        w10 = _sched(w10, w11, w3, w8)
        b, f = _round(g, h, a, b, c, d, e, f, _K[42], w10)
        w11 = _sched(w11, w12, w4, w9)
        a, e = _round(f, g, h, a, b, c, d, e, _K[43], w11)
        w12 = _sched(w12, w13, w5, w10)
        h, d = _round(e, f, g, h, a, b, c, d, _K[44], w12)
        w13 = _sched(w13, w14, w6, w11)
        g, c = _round(d, e, f, g, h, a, b, c, _K[45], w13)
        w14 = _sched(w14, w15, w7, w12)
        f, b = _round(c, d, e, f, g, h, a, b, _K[46], w14)
        w15 = _sched(w15, w0, w8, w13)
        e, a = _round(b, c, d, e, f, g, h, a, _K[47], w15)
        w0 = _sched(w0, w1, w9, w14)
        d, h = _round(a, b, c, d, e, f, g, h, _K[48], w0)
        w1 = _sched(w1, w2, w10, w15)
        c, g = _round(h, a, b, c, d, e, f, g, _K[49], w1)
        w2 = _sched(w2, w3, w11, w0)
        b, f = _round(g, h, a, b, c, d, e, f, _K[50], w2)
        w3 = _sched(w3, w4, w12, w1)
        a, e = _round(f, g, h, a, b, c, d, e, _K[51], w3)
        w4 = _sched(w4, w5, w13, w2)
        h, d = _round(e, f, g, h, a, b, c, d, _K[52], w4)
        w5 = _sched(w5, w6, w14, w3)
        g, c = _round(d, e, f, g, h, a, b, c, _K[53], w5)
        w6 = _sched(w6, w7, w15, w4)
        f, b = _round(c, d, e, f, g, h, a, b, _K[54], w6)
        w7 = _sched(w7, w8, w0, w5)
        e, a = _round(b, c, d, e, f, g, h, a, _K[55], w7)
        w8 = _sched(w8, w9, w1, w6)
        d, h = _round(a, b, c, d, e, f, g, h, _K[56], w8)
        w9 = _sched(w9, w10, w2, w7)
        c, g = _round(h, a, b, c, d, e, f, g, _K[57], w9)
        w10 = _sched(w10, w11, w3, w8)
        b, f = _round(g, h, a, b, c, d, e, f, _K[58], w10)
        w11 = _sched(w11, w12, w4, w9)
        a, e = _round(f, g, h, a, b, c, d, e, _K[59], w11)
        w12 = _sched(w12, w13, w5, w10)
        h, d = _round(e, f, g, h, a, b, c, d, _K[60], w12)
        w13 = _sched(w13, w14, w6, w11)
        g, c = _round(d, e, f, g, h, a, b, c, _K[61], w13)
        w14 = _sched(w14, w15, w7, w12)
        f, b = _round(c, d, e, f, g, h, a, b, _K[62], w14)
        w15 = _sched(w15, w0, w8, w13)
        e, a = _round(b, c, d, e, f, g, h, a, _K[63], w15)
        buf[j + _ROW[0]] = U32(buf[j + _ROW[0]] + a)
        buf[j + _ROW[1]] = U32(buf[j + _ROW[1]] + b)
        buf[j + _ROW[2]] = U32(buf[j + _ROW[2]] + c)
        buf[j + _ROW[3]] = U32(buf[j + _ROW[3]] + d)
        buf[j + _ROW[4]] = U32(buf[j + _ROW[4]] + e)
        buf[j + _ROW[5]] = U32(buf[j + _ROW[5]] + f)
        buf[j + _ROW[6]] = U32(buf[j + _ROW[6]] + g)
        buf[j + _ROW[7]] = U32(buf[j + _ROW[7]] + h)


@njit(cache=True)
def _load(buf, row, src, lo, n, swap):
    """Scratch rows ``row …`` ← ``src[:, lo : lo + n]``, byte-swapped if ``swap``."""
    for r in range(src.shape[0]):
        off = U64((row + r) * _TILE)
        if swap:
            for j in range(U64(n)):
                buf[off + j] = _bswap(src[r, lo + j])
        else:
            for j in range(U64(n)):
                buf[off + j] = src[r, lo + j]


@njit(cache=True)
def _load_iv(buf, n):
    """State rows ← the SHA-256 IV."""
    for r in range(8):
        for j in range(U64(n)):
            buf[_ROW[r] + j] = _IV[r]


@njit(cache=True)
def _store(out, buf, lo, n, swap):
    """``out[:, lo : lo + n]`` ← the state rows, byte-swapped (digest words) if ``swap``."""
    for r in range(8):
        if swap:
            for j in range(U64(n)):
                out[r, lo + j] = _bswap(buf[_ROW[r] + j])
        else:
            for j in range(U64(n)):
                out[r, lo + j] = buf[_ROW[r] + j]


@njit(parallel=True, cache=True)
def _compress_kernel(state, block, out):
    """``out`` ← the compression of each lane's block into its state."""
    m = state.shape[1]
    for tile in prange((m + _TILE - 1) // _TILE):
        lo = U64(tile * _TILE)
        n = min(_TILE, m - tile * _TILE)
        buf = np.empty(_ROWS * _TILE, dtype=U32)
        _load(buf, 0, state, lo, n, False)
        _load(buf, 8, block, lo, n, False)
        _compress_tile(buf, n)
        _store(out, buf, lo, n, False)


@njit(parallel=True, cache=True)
def _hash_rows_kernel(matrix, out):
    """``out`` ← the digest words of each row (lane) of ``matrix``, 16 columns a block."""
    cols, rows = matrix.shape
    for tile in prange((rows + _TILE - 1) // _TILE):
        lo = U64(tile * _TILE)
        n = min(_TILE, rows - tile * _TILE)
        buf = np.empty(_ROWS * _TILE, dtype=U32)
        _load_iv(buf, n)
        for start in range(0, cols, 16):
            for i in range(16):
                off = _ROW[8 + i]
                if start + i < cols:
                    for j in range(U64(n)):
                        buf[off + j] = _bswap(to_mont(matrix[start + i, lo + j]))
                else:
                    for j in range(U64(n)):
                        buf[off + j] = 0
            _compress_tile(buf, n)
        _store(out, buf, lo, n, True)


@njit(parallel=True, cache=True)
def _hash_pairs_kernel(left, right, out):
    """``out`` ← the digest words of one compression of ``left ‖ right`` per lane."""
    m = left.shape[1]
    for tile in prange((m + _TILE - 1) // _TILE):
        lo = U64(tile * _TILE)
        n = min(_TILE, m - tile * _TILE)
        buf = np.empty(_ROWS * _TILE, dtype=U32)
        _load_iv(buf, n)
        _load(buf, 8, left, lo, n, True)
        _load(buf, 16, right, lo, n, True)
        _compress_tile(buf, n)
        _store(out, buf, lo, n, True)


def _lanes(x: np.ndarray) -> np.ndarray:
    """``x`` as C-contiguous ``uint32`` (copied only if it is not): the kernels' layout."""
    return np.ascontiguousarray(x, dtype=U32)


def compress(state: np.ndarray, block: np.ndarray) -> np.ndarray:
    """SHA-256 compression of ``(16, m)`` big-endian block words into ``(8, m)`` states."""
    out = np.empty(state.shape, dtype=U32)
    _compress_kernel(_lanes(state), _lanes(block), out)
    return out


def hash_rows(matrix: np.ndarray) -> np.ndarray:
    """RISC Zero's SHA-256 row hash of each row of a canonical ``(cols, rows)`` matrix.

    The message is the little-endian bytes of each element's Montgomery word, compressed
    from the IV in 64-byte blocks, the last one zero-filled (no padding, no length);
    returns ``(8, rows)`` digest words (the IV's for ``cols == 0``).
    """
    out = np.empty((8, matrix.shape[1]), dtype=U32)
    _hash_rows_kernel(_lanes(matrix), out)
    return out


def hash_pairs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """SHA-256 ``hash_pair``: one compression of ``left ‖ right`` (``(8, m)`` digest words
    each, as bytes) from the IV → ``(8, m)`` digest words."""
    out = np.empty(left.shape, dtype=U32)
    _hash_pairs_kernel(_lanes(left), _lanes(right), out)
    return out
