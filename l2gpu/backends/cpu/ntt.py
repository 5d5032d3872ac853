"""NTT kernels of the cpu backend: radix-2 butterflies over contiguous runs, cache-blocked.

Each transform works in place on a fresh ``(rows, n)`` ``uint32`` buffer, one row per
polynomial. Data stays canonical; twiddles are Montgomery words, so
``mont_mul(x, tw) = x·ω``. The twiddle table of a direction is shared by every size:
``tw[h + j] = mont(ω_{2h}^j)`` for the stage of half-size ``h``.

Schedule (DIF; DIT runs it backwards), two parallel loops per transform: the stages whose
butterflies span more than an L2 segment mix only positions of equal residue mod the
segment length, so they run band by band of residues (contiguous runs of ``_BAND``); then
each segment runs its stages down to the L1 block size, and each L1 block runs the rest.
The six stages of half-size 32 … 1 pair elements too close for long vector runs, so an L1
block is transposed to ``(64, m/64)`` for them: each butterfly then combines two
contiguous rows with one scalar twiddle (and twiddle 1 costs no product). ``prange``
spreads rows × bands, then rows × segments, over the cores. The input is copied (or
repeated, for a blowup) into the output by the first stage that reads it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ...field import ROU_FWD, ROU_REV, P, bit_reverse_indices, powers
from .field import add, mont, mont_array, mont_mul, sub

U32 = np.uint32
U64 = np.uint64
_P32 = U32(P)
_SEGMENT = 1 << 16  # elements per L2 segment (256 KB)
_BLOCK = 1 << 12  # elements per L1 block (16 KB)
_SMALL = 64  # the transposed kernel runs the stages of half-size < _SMALL
_BAND = 1 << 10  # residues per task in the stages that span segments
_CHUNK = 1 << 13  # elements per task in the element-wise passes
_TILE_LOG = 4  # bit reversal moves tiles of 2^4 runs of 2^4 elements

# -- twiddles and scale tables (host side, cached) -----------------------------------

_twiddle_cache: dict[bool, np.ndarray] = {}
_scale_cache: dict[tuple[int, bool], np.ndarray] = {}


def twiddles(log_n: int, inverse: bool) -> np.ndarray:
    """The table ``tw[h + j] = mont(ω_{2h}^j)`` (``h < n`` a power of two, ``j < h``) of
    ``ROU_REV`` (``inverse``) or ``ROU_FWD``, at least ``n = 2^log_n`` long.

    One table per direction serves all sizes (a stage's twiddles do not depend on ``n``);
    it grows when a larger ``n`` is asked for.
    """
    log_n = max(log_n, 1)
    n = 1 << log_n
    table = _twiddle_cache.get(inverse)
    if table is not None and table.size >= n:
        return table
    table = np.zeros(n, dtype=U32)
    h = n // 2
    table[h:] = mont_array(powers((ROU_REV if inverse else ROU_FWD)[log_n], h))
    while h > 1:  # ω_{2h}^j = ω_{4h}^{2j}
        table[h // 2 : h] = table[h : 2 * h : 2]
        h //= 2
    _twiddle_cache[inverse] = table
    return table


def shift_scale(log_n: int, inverse_n: bool) -> np.ndarray:
    """``mont(3^bitrev(p))`` for ``p < n`` (times ``1/n`` when ``inverse_n``): the zk shift
    of bit-reversed coefficients, fused with interpolation's ``1/n`` for ``lde``."""
    key = (log_n, inverse_n)
    table = _scale_cache.get(key)
    if table is None:
        n = 1 << log_n
        scale = pow(n, P - 2, P) if inverse_n else 1
        natural = powers(3, n) * U64(scale) % U64(P)
        table = mont_array(natural[bit_reverse_indices(log_n)])
        if len(_scale_cache) >= 16:
            _scale_cache.clear()
        _scale_cache[key] = table
    return table


# -- butterflies ---------------------------------------------------------------------


@njit(cache=True)
def _dif_run(a, b, w):
    """DIF butterflies ``(a, b) ← (a + b, (a − b)·w)`` over equal-length contiguous runs."""
    for j in range(a.size):
        x = a[j]
        y = b[j]
        a[j] = add(x, y)
        b[j] = mont_mul(U32(x + _P32 - y), w[j])


@njit(cache=True)
def _dif_run_from(sa, sb, w, a, b):
    """:func:`_dif_run` reading its inputs from ``sa, sb``: the first stage copies the input."""
    for j in range(a.size):
        x = sa[j]
        y = sb[j]
        a[j] = add(x, y)
        b[j] = mont_mul(U32(x + _P32 - y), w[j])


@njit(cache=True)
def _dit_run(a, b, w):
    """DIT butterflies ``(a, b) ← (a + b·w, a − b·w)`` over equal-length contiguous runs."""
    for j in range(a.size):
        x = a[j]
        t = mont_mul(b[j], w[j])
        a[j] = add(x, t)
        b[j] = sub(x, t)


@njit(cache=True)
def _dif_bcast(a, b, w):
    """:func:`_dif_run` with one twiddle for the whole run."""
    for j in range(a.size):
        x = a[j]
        y = b[j]
        a[j] = add(x, y)
        b[j] = mont_mul(U32(x + _P32 - y), w)


@njit(cache=True)
def _dit_bcast(a, b, w):
    """:func:`_dit_run` with one twiddle for the whole run."""
    for j in range(a.size):
        x = a[j]
        t = mont_mul(b[j], w)
        a[j] = add(x, t)
        b[j] = sub(x, t)


@njit(cache=True)
def _add_sub(a, b):
    """The butterfly of twiddle 1: ``(a, b) ← (a + b, a − b)``."""
    for j in range(a.size):
        x = a[j]
        y = b[j]
        a[j] = add(x, y)
        b[j] = sub(x, y)


@njit(cache=True)
def _dif_stage(x, lo, length, h, tw):
    """One DIF stage of half-size ``h`` over ``x[lo : lo + length]``."""
    w = tw[h : 2 * h]
    for g in range(lo, lo + length, 2 * h):
        _dif_run(x[g : g + h], x[g + h : g + 2 * h], w)


@njit(cache=True)
def _dit_stage(x, lo, length, h, tw):
    """One DIT stage of half-size ``h`` over ``x[lo : lo + length]``."""
    w = tw[h : 2 * h]
    for g in range(lo, lo + length, 2 * h):
        _dit_run(x[g : g + h], x[g + h : g + 2 * h], w)


@njit(cache=True)
def _transpose_in(x, lo, t, log_b):
    """``t[c, r] = x[(lo + S·r + c) >> log_b]`` for ``t`` of shape ``(S, R)``: a transposed
    copy, each element of ``x`` repeated ``2^log_b`` times."""
    s, rows = t.shape
    for r in range(rows):
        for c in range(s):
            t[c, r] = x[(lo + s * r + c) >> log_b]


@njit(cache=True)
def _transpose_out(x, lo, t):
    """``x[lo + S·r + c] = t[c, r]`` for ``t`` of shape ``(S, R)``."""
    s, rows = t.shape
    for r in range(rows):
        for c in range(s):
            x[lo + s * r + c] = t[c, r]


@njit(cache=True)
def _dif_small(x, lo, t, tw):
    """DIF stages of half-size ``S/2 … 1`` on the ``S·R`` elements at ``lo``, transposed into
    ``t`` ``(S, R)`` so that each butterfly pairs two contiguous rows."""
    _transpose_in(x, lo, t, 0)
    h = t.shape[0] // 2
    while h >= 1:
        for g in range(0, t.shape[0], 2 * h):
            _add_sub(t[g], t[g + h])
            for k in range(1, h):
                _dif_bcast(t[g + k], t[g + h + k], tw[h + k])
        h //= 2
    _transpose_out(x, lo, t)


@njit(cache=True)
def _dit_small(src, x, lo, t, tw, log_b):
    """DIT stages of half-size ``2^log_b … S/2`` on the ``S·R`` elements of ``x`` at ``lo``,
    which start as ``src[i >> log_b]`` (see :func:`_dif_small`)."""
    _transpose_in(src, lo, t, log_b)
    h = 1 << log_b
    while h < t.shape[0]:
        for g in range(0, t.shape[0], 2 * h):
            _add_sub(t[g], t[g + h])
            for k in range(1, h):
                _dit_bcast(t[g + k], t[g + h + k], tw[h + k])
        h *= 2
    _transpose_out(x, lo, t)


@njit(cache=True)
def _scale(x, scale):
    """``x ← x·s`` for Montgomery scale words: a table as long as ``x``, or one word."""
    if scale.size == 1:
        s = scale[0]
        for j in range(x.size):
            x[j] = mont_mul(x[j], s)
    else:
        for j in range(x.size):
            x[j] = mont_mul(x[j], scale[j])


@njit(cache=True)
def _repeat(src, dst, log_b):
    """``dst[i] = src[i >> log_b]``: a copy when ``log_b = 0``."""
    if log_b == 0:
        for i in range(dst.size):
            dst[i] = src[i]
    else:
        for i in range(dst.size):
            dst[i] = src[i >> log_b]


# -- blocked schedules ---------------------------------------------------------------


@njit(cache=True)
def _block_shape(length):
    """``(S, R)``: the transposed view of an L1 block of a segment of ``length``."""
    block = min(length, _BLOCK)
    s = min(block, _SMALL)
    return s, block // s


@njit(cache=True)
def _dif_segment(src, x, lo, length, tw, scale, fresh):
    """All DIF stages of half-size ``< length`` on ``x[lo : lo + length]`` (first copied from
    ``src`` when ``fresh``), L1-blocked, then the scale (a table of the row, or one word)."""
    if fresh:
        _repeat(src[lo : lo + length], x[lo : lo + length], 0)
    h = length // 2
    while h >= _BLOCK:
        _dif_stage(x, lo, length, h, tw)
        h //= 2
    s, rows = _block_shape(length)
    block = s * rows
    t = np.empty((s, rows), dtype=U32)
    for b in range(lo, lo + length, block):
        k = block // 2
        while k >= s:
            _dif_stage(x, b, block, k, tw)
            k //= 2
        _dif_small(x, b, t, tw)
        _scale(x[b : b + block], scale if scale.size == 1 else scale[b : b + block])


@njit(cache=True)
def _dit_segment(src, x, lo, length, tw, log_b):
    """All DIT stages of half-size ``2^log_b … length/2`` on ``x[lo : lo + length]``, whose
    block ``[b, b + L)`` starts as ``src[(b + i) >> log_b]``."""
    first = 1 << log_b
    s, rows = _block_shape(length)
    block = s * rows
    t = np.empty((s, rows), dtype=U32)
    for b in range(lo, lo + length, block):
        if first < s:
            _dit_small(src, x, b, t, tw, log_b)
        else:
            _repeat(src[b >> log_b : (b + block) >> log_b], x[b : b + block], log_b)
        k = max(s, first)
        while k < block:
            _dit_stage(x, b, block, k, tw)
            k *= 2
    h = max(block, first)
    while h < length:
        _dit_stage(x, lo, length, h, tw)
        h *= 2


@njit(cache=True)
def _dif_outer(src, x, lo, width, seg, tw):
    """The DIF stages of half-size ``≥ seg`` on the positions ``≡ lo … lo + width − 1``
    (mod ``seg``): they mix only positions of equal residue, so a band of residues is
    independent of the others. The first stage reads ``src``."""
    n = x.size
    h = n // 2
    for i in range(lo, h, seg):
        w = tw[h + i : h + i + width]
        _dif_run_from(
            src[i : i + width],
            src[i + h : i + h + width],
            w,
            x[i : i + width],
            x[i + h : i + h + width],
        )
    h //= 2
    while h >= seg:
        for g in range(0, n, 2 * h):
            for i in range(g + lo, g + h, seg):
                w = tw[h + i - g : h + i - g + width]
                _dif_run(x[i : i + width], x[i + h : i + h + width], w)
        h //= 2


@njit(cache=True)
def _dit_outer(x, lo, width, seg, tw):
    """The DIT stages of half-size ``≥ seg`` on a band of residues (see :func:`_dif_outer`)."""
    n = x.size
    h = seg
    while h < n:
        for g in range(0, n, 2 * h):
            for i in range(g + lo, g + h, seg):
                w = tw[h + i - g : h + i - g + width]
                _dit_run(x[i : i + width], x[i + h : i + h + width], w)
        h *= 2


@njit(parallel=True, cache=True)
def _dif_rows(src, x, tw, scale):
    """DIF of every row of ``src`` into ``x`` (natural in, bit-reversed out), then ``·scale``.

    Two parallel loops: bands of residues mod the segment length (the stages that span
    more than a segment), then segments (the rest): each core's working set stays small.
    """
    rows, n = x.shape
    seg = min(n, _SEGMENT)
    width = min(seg, _BAND)
    bands = seg // width
    if n > seg:
        for t in prange(rows * bands):
            r = t // bands
            _dif_outer(src[r], x[r], (t % bands) * width, width, seg, tw)
    segs = n // seg
    for t in prange(rows * segs):
        r = t // segs
        _dif_segment(src[r], x[r], (t % segs) * seg, seg, tw, scale, seg == n)


@njit(parallel=True, cache=True)
def _dit_rows(src, x, tw, log_b):
    """DIT of every row of ``src``, each element repeated ``2^log_b`` times, into ``x``
    (bit-reversed in, natural out): the stages of half-size ``< 2^log_b`` are copies.
    Segments first, then bands of residues (see :func:`_dif_rows`)."""
    rows, n = x.shape
    seg = min(n, _SEGMENT)
    segs = n // seg
    for t in prange(rows * segs):
        r = t // segs
        _dit_segment(src[r], x[r], (t % segs) * seg, seg, tw, log_b)
    width = min(seg, _BAND)
    bands = seg // width
    if n > seg:
        for t in prange(rows * bands):
            r = t // bands
            _dit_outer(x[r], (t % bands) * width, width, seg, tw)


@njit(parallel=True, cache=True)
def _mul_rows(src, table, out):
    """``out[r, p] = mont_mul(src[r, p], table[p])``."""
    rows, n = src.shape
    chunk = min(n, _CHUNK)
    per_row = n // chunk
    for t in prange(rows * per_row):
        r = t // per_row
        lo = (t % per_row) * chunk
        s = src[r]
        o = out[r]
        for p in range(lo, lo + chunk):
            o[p] = mont_mul(s[p], table[p])


@njit(parallel=True, cache=True)
def _bit_reverse_rows(src, out, rev_t, rev_m):
    """``out[r, bitrev(i)] = src[r, i]``, tile by tile: with ``i = a·2^(L−t) + m·2^t + b``,
    ``bitrev(i) = rev_t(b)·2^(L−t) + rev_m(m)·2^t + rev_t(a)``, so one tile (fixed ``m``)
    reads ``2^t`` runs of ``2^t`` and writes ``2^t`` runs of ``2^t``."""
    rows, n = src.shape
    side = rev_t.size
    mids = rev_m.size
    high = n // side
    for task in prange(rows * mids):
        r = task // mids
        m = task % mids
        s = src[r]
        o = out[r]
        base_in = m * side
        base_out = rev_m[m] * side
        for a in range(side):
            ra = rev_t[a]
            for b in range(side):
                o[rev_t[b] * high + base_out + ra] = s[a * high + base_in + b]


# -- public wrappers -----------------------------------------------------------------


def _log2(n: int) -> int:
    if n < 1 or n & (n - 1):
        raise ValueError(f"the last axis must have a power-of-two length, got {n}")
    return n.bit_length() - 1


def _rows(x: np.ndarray) -> np.ndarray:
    """``x`` as C-contiguous ``(rows, n)`` along its last axis (a view when it already is)."""
    return np.ascontiguousarray(x.reshape(-1, x.shape[-1]))


def _interpolate_rows(src: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Natural evaluations → bit-reversed ``n·coefficients``, times ``scale``, fresh rows."""
    out = np.empty(src.shape, dtype=U32)
    if out.size:
        _dif_rows(src, out, twiddles(_log2(src.shape[1]), True), scale)
    return out


def _evaluate_rows(src: np.ndarray, blowup: int) -> np.ndarray:
    """Bit-reversed coefficients → evaluations on ``⟨ω_{blowup·n}⟩``, fresh rows."""
    out = np.empty((src.shape[0], blowup * src.shape[1]), dtype=U32)
    if out.size:
        tw = twiddles(_log2(out.shape[1]), False)
        _dit_rows(src, out, tw, _log2(blowup))
    return out


def interpolate(values: np.ndarray) -> np.ndarray:
    """Natural-order evaluations on ``⟨ω_n⟩`` → bit-reversed coefficients, along the last
    axis."""
    n = values.shape[-1]
    _log2(n)
    inv_n = np.array([mont(pow(n, P - 2, P))], dtype=U32)
    return _interpolate_rows(_rows(values), inv_n).reshape(values.shape)


def evaluate(coeffs: np.ndarray, blowup: int = 1) -> np.ndarray:
    """Bit-reversed coefficients → natural-order evaluations on ``⟨ω_{blowup·n}⟩`` (the
    natural coefficient vector zero-padded), along the last axis."""
    out = _evaluate_rows(_rows(coeffs), blowup)
    return out.reshape(*coeffs.shape[:-1], out.shape[1])


def zk_shift(coeffs: np.ndarray) -> np.ndarray:
    """Bit-reversed coefficients of ``f(x)`` → those of ``f(3x)``, along the last axis."""
    src = _rows(coeffs)
    out = np.empty(src.shape, dtype=U32)
    if out.size:
        _mul_rows(src, shift_scale(_log2(src.shape[1]), False), out)
    return out.reshape(coeffs.shape)


def lde(values: np.ndarray, blowup: int) -> np.ndarray:
    """Natural-order evaluations on ``⟨ω_n⟩`` → evaluations at ``3·ω_{blowup·n}^i``,
    natural order, along the last axis."""
    n = values.shape[-1]
    coeffs = _interpolate_rows(_rows(values), shift_scale(_log2(n), True))
    return _evaluate_rows(coeffs, blowup).reshape(*values.shape[:-1], blowup * n)


def bit_reverse(x: np.ndarray) -> np.ndarray:
    """Permute the last axis into bit-reversed order."""
    src = _rows(x)
    out = np.empty(src.shape, dtype=U32)
    if out.size:
        log_n = _log2(src.shape[1])
        t = min(_TILE_LOG, log_n // 2)
        _bit_reverse_rows(src, out, bit_reverse_indices(t), bit_reverse_indices(log_n - 2 * t))
    return out.reshape(x.shape)
