"""Element-wise, FRI and DEEP kernels of the ``cpu`` backend.

Binary kernels work on a two-axis normal form of a broadcast: numpy's broadcast views
are merged into ``(rows, cols)`` with per-operand element strides, and each row is run
by a loop specialised for its stride pattern (both contiguous, or one operand constant
along the row), which LLVM vectorizes; a constant operand is turned into a Montgomery
word once per row, so a product by it costs one Montgomery multiplication. Rows too short
to vectorize are merged by tiling the operand that does not change from row to row.

Fp4 products run over blocks of elements, one vectorized loop per pair of coefficients
(:func:`_fp4_block`): a whole Fp4 product inlined per element vectorizes as well but
takes numba a minute to compile.

``deep`` is one fused kernel: every block of points keeps its numerators, divisors and
norms in scratch that stays in cache, and the base-field norms of all divisors in a block
are inverted together by a batch inversion run in 16 independent lanes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import get_num_threads, njit, prange
from numba.typed import List

from ...field import BETA, NBETA, Fp4, P, fp4_powers
from .field import add as _add
from .field import from_mont, mont, mont_array, mont_mul, reduce64, to_mont
from .field import mul as _mul
from .field import sub as _sub

U32 = np.uint32
U64 = np.uint64

_ZERO = U32(0)
_ONE_M = U32(mont(1))  # 1 as a Montgomery word
_NBETA_M = U32(mont(NBETA))  # mont_mul(x, ·) = −11·x in either convention
_BETA_M = U32(mont(BETA))
_BETA2_M = U32(mont(2 * BETA))
_INV_EXP = P - 2  # Fermat: x^(P−2) = x^-1

_ADD, _SUB, _RSUB, _MUL, _MONT = 0, 1, 2, 3, 4  # _RSUB: b − a; _MONT: b is a Montgomery word
_CHUNK = 8192  # elements per parallel task of the element-wise kernels
_EXT_CHUNK = 1024  # Fp4 elements per parallel task of ``ext_mul``
_WIDE = 2048  # rows shorter than this are merged by tiling a row-invariant operand
_LANES = 16  # independent chains of a batch inversion
_INV_BLOCK = 4096  # elements per batch inversion in ``inv``
_DEEP_BLOCK = 512  # points per block of the DEEP kernel
_EVAL_BLOCK = 4096  # coefficients per block of ``poly_eval_ext``


# -- Fp4 and inversion helpers -------------------------------------------------------------------


@njit(cache=True)
def _fp4_mont(a0, a1, a2, a3, b0, b1, b2, b3):
    """The Fp4 product with every coefficient product a Montgomery product: of Montgomery
    words it is the Montgomery word of the product; with one side canonical and the other
    Montgomery words it is the canonical product."""
    d0 = mont_mul(a0, b0)
    d1 = _add(mont_mul(a0, b1), mont_mul(a1, b0))
    d2 = _add(_add(mont_mul(a0, b2), mont_mul(a1, b1)), mont_mul(a2, b0))
    d3 = _add(_add(mont_mul(a0, b3), mont_mul(a1, b2)), _add(mont_mul(a2, b1), mont_mul(a3, b0)))
    d4 = _add(_add(mont_mul(a1, b3), mont_mul(a2, b2)), mont_mul(a3, b1))
    d5 = _add(mont_mul(a2, b3), mont_mul(a3, b2))
    d6 = mont_mul(a3, b3)
    return (
        _add(d0, mont_mul(d4, _NBETA_M)),
        _add(d1, mont_mul(d5, _NBETA_M)),
        _add(d2, mont_mul(d6, _NBETA_M)),
        d3,
    )


@njit(cache=True)
def _fp4_block(a, b, out, n, d):
    """``out[:, :n] = a·b`` over ``(4, ≥ n)`` arrays with every coefficient product a
    Montgomery product (see :func:`_fp4_mont`); ``d`` is ``(7, ≥ n)`` scratch, and ``out``
    may be ``a`` or ``b``. One vectorized loop per coefficient pair."""
    d[:, :n] = 0
    for i in range(4):
        for j in range(4):
            for p in range(n):
                d[i + j, p] = _add(d[i + j, p], mont_mul(a[i, p], b[j, p]))
    for i in range(3):
        for p in range(n):
            out[i, p] = _add(d[i, p], mont_mul(d[i + 4, p], _NBETA_M))
    out[3, :n] = d[3, :n]


@njit(cache=True)
def _fp4_block_const(a, y, out, n, d):
    """``out[:, :n] = a·y`` for one Fp4 value ``y`` of Montgomery words: canonical ``a``
    gives the canonical product."""
    d[:, :n] = 0
    for i in range(4):
        for j in range(4):
            yj = y[j]
            for p in range(n):
                d[i + j, p] = _add(d[i + j, p], mont_mul(a[i, p], yj))
    for i in range(3):
        for p in range(n):
            out[i, p] = _add(d[i, p], mont_mul(d[i + 4, p], _NBETA_M))
    out[3, :n] = d[3, :n]


@njit(cache=True)
def _invert_lanes(acc, base):
    """``acc ← acc^(P−2)`` lane by lane (Montgomery words in, Montgomery inverses out);
    ``base`` is scratch of the same length."""
    lanes = acc.shape[0]
    for lane in range(lanes):
        base[lane] = acc[lane]
        acc[lane] = _ONE_M
    for bit in range(31):
        if (_INV_EXP >> bit) & 1:
            for lane in range(lanes):
                acc[lane] = mont_mul(acc[lane], base[lane])
        for lane in range(lanes):
            base[lane] = mont_mul(base[lane], base[lane])


@njit(cache=True)
def _batch_invert(v, pre, acc, base):
    """Replace the non-zero Montgomery words ``v`` (a multiple of ``_LANES`` long) by their
    inverses: prefix products in ``_LANES`` interleaved chains (so the loop vectorizes),
    one Fermat inversion per chain, and the chains walked back. ``pre`` is scratch as long
    as ``v``; ``acc`` and ``base`` hold ``_LANES`` words."""
    rows = v.shape[0] // _LANES
    for lane in range(_LANES):
        acc[lane] = _ONE_M
    for r in range(rows):
        o = r * _LANES
        for lane in range(_LANES):
            pre[o + lane] = acc[lane]
            acc[lane] = mont_mul(acc[lane], v[o + lane])
    _invert_lanes(acc, base)
    for r in range(rows - 1, -1, -1):
        o = r * _LANES
        for lane in range(_LANES):
            x = v[o + lane]
            v[o + lane] = mont_mul(acc[lane], pre[o + lane])
            acc[lane] = mont_mul(acc[lane], x)


# -- binary kernels -------------------------------------------------------------------


@njit(inline="always", cache=True)
def _row_both(op, out, o, a, ao, b, bo, n):
    """A row where both operands are contiguous."""
    if op == _ADD:
        for j in range(n):
            out[o + j] = _add(a[ao + j], b[bo + j])
    elif op == _SUB:
        for j in range(n):
            out[o + j] = _sub(a[ao + j], b[bo + j])
    elif op == _MUL:
        for j in range(n):
            out[o + j] = _mul(a[ao + j], b[bo + j])
    else:
        for j in range(n):
            out[o + j] = mont_mul(a[ao + j], b[bo + j])


@njit(inline="always", cache=True)
def _row_const(op, out, o, a, ao, y, n):
    """A row of contiguous ``a`` against one value ``y``."""
    if op == _ADD:
        for j in range(n):
            out[o + j] = _add(a[ao + j], y)
    elif op == _SUB:
        for j in range(n):
            out[o + j] = _sub(a[ao + j], y)
    elif op == _RSUB:
        for j in range(n):
            out[o + j] = _sub(y, a[ao + j])
    else:
        ym = to_mont(y)
        for j in range(n):
            out[o + j] = mont_mul(a[ao + j], ym)


@njit(inline="always", cache=True)
def _row_strided(op, out, o, a, ao, a_cs, b, bo, b_cs, n):
    """A row with any other strides."""
    if op == _ADD:
        for j in range(n):
            out[o + j] = _add(a[ao + j * a_cs], b[bo + j * b_cs])
    elif op == _SUB:
        for j in range(n):
            out[o + j] = _sub(a[ao + j * a_cs], b[bo + j * b_cs])
    else:
        for j in range(n):
            out[o + j] = _mul(a[ao + j * a_cs], b[bo + j * b_cs])


@njit(parallel=True, cache=True)
def _binary_kernel(op, out, a, a_rs, a_cs, b, b_rs, b_cs, rows, cols):
    """``out[i·cols + j] = op(a[i·a_rs + j·a_cs], b[i·b_rs + j·b_cs])``, in parallel over
    chunks of rows."""
    chunks = (cols + _CHUNK - 1) // _CHUNK
    for task in prange(rows * chunks):
        i = task // chunks
        lo = (task - i * chunks) * _CHUNK
        n = min(_CHUNK, cols - lo)
        o = i * cols + lo
        ao = i * a_rs + lo * a_cs
        bo = i * b_rs + lo * b_cs
        if a_cs == 1 and b_cs == 1:
            _row_both(op, out, o, a, ao, b, bo, n)
        elif a_cs == 1 and b_cs == 0:
            _row_const(op, out, o, a, ao, b[bo], n)
        else:
            _row_strided(op, out, o, a, ao, a_cs, b, bo, b_cs, n)


@njit(cache=True)
def _gather(a, ao, a_ks, a_cs, out, n):
    """``out[i, j] = a[ao + i·a_ks + j·a_cs]`` for ``j < n``."""
    for i in range(4):
        o = ao + i * a_ks
        if a_cs == 1:
            for j in range(n):
                out[i, j] = a[o + j]
        else:
            for j in range(n):
                out[i, j] = a[o + j * a_cs]


@njit(parallel=True, cache=True)
def _ext_kernel(out, a, a_ks, a_rs, a_cs, b, b_ks, b_rs, b_cs, rows, cols):
    """Fp4 products over ``(rows, cols)`` into ``out`` ``(4, rows·cols)``; ``*_ks`` are the
    component strides. A row-constant ``b`` becomes Montgomery words once per chunk."""
    width = _EXT_CHUNK
    chunks = (cols + width - 1) // width
    for task in prange(rows * chunks):
        i = task // chunks
        lo = (task - i * chunks) * width
        n = min(width, cols - lo)
        o = i * cols + lo
        xa = np.empty((4, width), U32)
        res = np.empty((4, width), U32)
        d = np.empty((7, width), U32)
        _gather(a, i * a_rs + lo * a_cs, a_ks, a_cs, xa, n)
        bo = i * b_rs + lo * b_cs
        if b_cs == 0:
            y = np.empty(4, U32)
            for c in range(4):
                y[c] = to_mont(b[bo + c * b_ks])
            _fp4_block_const(xa, y, res, n, d)
        else:
            xb = np.empty((4, width), U32)
            _gather(b, bo, b_ks, b_cs, xb, n)
            _fp4_block(xa, xb, res, n, d)
            for c in range(4):
                for j in range(n):
                    res[c, j] = to_mont(res[c, j])
        for c in range(4):
            for j in range(n):
                out[c, o + j] = res[c, j]


# -- the broadcast normal form --------------------------------------------------------


def _operand(x: np.ndarray | int) -> np.ndarray:
    """An input as a ``uint32`` array with non-negative, element-aligned strides (a 0-d
    array for a constant); a view of the input where it already is one."""
    if isinstance(x, (int, np.integer)):
        return np.array(x, dtype=U32)
    arr = np.asarray(x)
    if arr.dtype != U32:
        arr = arr.astype(U32)
    if any(s < 0 or s % arr.itemsize for s in arr.strides):
        arr = np.ascontiguousarray(arr)
    return arr


def _strides(view: np.ndarray) -> tuple[int, ...]:
    return tuple(s // view.itemsize for s in view.strides)


def _buffer(view: np.ndarray) -> np.ndarray:
    """The memory a view with non-negative strides spans, as a read-only flat array that
    starts at its first element (so element strides index it directly)."""
    span = 1 + sum((n - 1) * s for n, s in zip(view.shape, _strides(view), strict=True))
    return np.lib.stride_tricks.as_strided(view, (span,), (view.itemsize,), writeable=False)


def _collapse(shape: tuple[int, ...], strides: list[tuple[int, ...]]) -> list:
    """Merge the axes of a broadcast into as few as possible: ``(size, per-operand element
    strides)`` per axis; two neighbours merge where every operand steps evenly over both
    (the C-contiguous output always does)."""
    axes: list[tuple[int, tuple[int, ...]]] = []
    for i, n in enumerate(shape):
        if n == 1:
            continue
        step = tuple(s[i] for s in strides)
        if axes and all(p == n * q for p, q in zip(axes[-1][1], step, strict=True)):
            axes[-1] = (axes[-1][0] * n, step)
        else:
            axes.append((n, step))
    return axes


def _two_axes(views: list[np.ndarray], lead: int) -> tuple[list[np.ndarray], int, int]:
    """Views of equal shape ``(*lead axes, *S)`` → the same data as views of shape
    ``(*lead axes, rows, cols)``. Operands that keep more than two merged axes of ``S`` are
    copied into contiguous arrays first."""
    shape = views[0].shape[lead:]
    views = list(views)
    for order in sorted(range(len(views)), key=lambda k: views[k].size):
        axes = _collapse(shape, [_strides(v)[lead:] for v in views])
        if len(axes) <= 2:
            break
        views[order] = np.ascontiguousarray(views[order])
    axes = _collapse(shape, [_strides(v)[lead:] for v in views])
    axes = [(1, (0,) * len(views))] * (2 - len(axes)) + axes
    (rows, row_steps), (cols, col_steps) = axes
    out = []
    for v, rs, cs in zip(views, row_steps, col_steps, strict=True):
        size = v.itemsize
        out.append(
            np.lib.stride_tricks.as_strided(
                v,
                (*v.shape[:lead], rows, cols),
                (*v.strides[:lead], rs * size, cs * size),
                writeable=False,
            )
        )
    return out, rows, cols


def _widen(views: list[np.ndarray], rows: int, cols: int) -> tuple | None:
    """Merge ``k`` short rows into one where every operand either repeats its row (then
    that row is tiled ``k`` times) or runs on contiguously from row to row; ``None`` where
    that does not apply. Gives the views, the new ``rows, cols``, and which were tiled."""
    k = rows & -rows
    while k > 1 and k * cols > _WIDE:
        k //= 2
    steps = [_strides(v) for v in views]
    if k < 2 or not all(rs == 0 or (rs == cols and cs == 1) for rs, cs in steps):
        return None
    out = []
    for v, (rs, _) in zip(views, steps, strict=True):
        if rs == 0:
            out.append(np.broadcast_to(np.tile(v[0], k), (rows // k, k * cols)))
        else:
            shape, strides = (rows // k, k * cols), (k * rs * v.itemsize, v.itemsize)
            out.append(np.lib.stride_tricks.as_strided(v, shape, strides, writeable=False))
    return out, rows // k, k * cols, [rs == 0 for rs, _ in steps]


def _binary(op: int, a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """One element-wise operation over a numpy broadcast of ``a`` and ``b``."""
    x, y = _operand(a), _operand(b)
    shape = np.broadcast_shapes(x.shape, y.shape)
    out = np.empty(shape, dtype=U32)
    if out.size == 0:
        return out
    (xv, yv), rows, cols = _two_axes([np.broadcast_to(x, shape), np.broadcast_to(y, shape)], 0)
    wide = _widen([xv, yv], rows, cols)
    if wide is not None:
        (xv, yv), rows, cols, (x_tiled, y_tiled) = wide
        if op == _MUL and (x_tiled or y_tiled):
            if not y_tiled:
                xv, yv = yv, xv
            yv = np.broadcast_to(mont_array(yv[0]), yv.shape)  # a small tile
            op = _MONT
    elif _strides(xv)[1] == 0 and _strides(yv)[1] == 1:
        xv, yv = yv, xv  # the row-constant operand goes on the right
        op = _RSUB if op == _SUB else op
    (x_rs, x_cs), (y_rs, y_cs) = _strides(xv), _strides(yv)
    flat = out.reshape(-1)
    _binary_kernel(op, flat, _buffer(xv), x_rs, x_cs, _buffer(yv), y_rs, y_cs, rows, cols)
    return out


def add(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``a + b`` in BabyBear, broadcasting like numpy (an ``int`` is a canonical constant)."""
    return _binary(_ADD, a, b)


def sub(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``a − b`` in BabyBear, broadcasting like numpy."""
    return _binary(_SUB, a, b)


def mul(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """``a · b`` in BabyBear, broadcasting like numpy."""
    return _binary(_MUL, a, b)


def ext_mul(a: np.ndarray, b: np.ndarray | Fp4) -> np.ndarray:
    """Fp4 products of ``(4, ...)`` arrays (the trailing axes broadcast), or of an array by
    one Fp4 constant."""
    x = _operand(a)
    if isinstance(b, Fp4):
        b = np.array(b.c, dtype=U32).reshape((4,) + (1,) * (x.ndim - 1))
    y = _operand(b)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != 4 or y.shape[0] != 4:
        raise ValueError(f"Fp4 arrays need a leading axis of 4, got {x.shape} and {y.shape}")
    shape = (4, *np.broadcast_shapes(x.shape[1:], y.shape[1:]))
    out = np.empty(shape, dtype=U32)
    if out.size == 0:
        return out
    pad = [(4,) + (1,) * (len(shape) - v.ndim) + v.shape[1:] for v in (x, y)]
    views = [np.broadcast_to(v.reshape(s), shape) for v, s in zip((x, y), pad, strict=True)]
    (xv, yv), rows, cols = _two_axes(views, 1)
    if _strides(xv)[2] == 0 and _strides(yv)[2] == 1:
        xv, yv = yv, xv  # the row-constant operand goes on the right
    (x_ks, x_rs, x_cs), (y_ks, y_rs, y_cs) = _strides(xv), _strides(yv)
    flat = out.reshape(4, -1)
    _ext_kernel(flat, _buffer(xv), x_ks, x_rs, x_cs, _buffer(yv), y_ks, y_rs, y_cs, rows, cols)
    return out


# -- inversion, roll ------------------------------------------------------------------


@njit(parallel=True, cache=True)
def _inv_kernel(a, out):
    """Batch inverses of ``a`` in blocks of ``_INV_BLOCK``; the number of zeros found."""
    n = a.shape[0]
    blocks = (n + _INV_BLOCK - 1) // _INV_BLOCK
    zeros = np.zeros(blocks, np.int64)
    for blk in prange(blocks):
        lo = blk * _INV_BLOCK
        cnt = min(_INV_BLOCK, n - lo)
        v = np.empty(_INV_BLOCK, U32)
        pre = np.empty(_INV_BLOCK, U32)
        acc = np.empty(_LANES, U32)
        base = np.empty(_LANES, U32)
        z = 0
        for j in range(cnt):
            x = a[lo + j]
            z += x == _ZERO
            v[j] = to_mont(x)
        for j in range(cnt, _INV_BLOCK):
            v[j] = _ONE_M
        zeros[blk] = z
        _batch_invert(v, pre, acc, base)
        for j in range(cnt):
            out[lo + j] = from_mont(v[j])
    return zeros.sum()


def inv(a: np.ndarray) -> np.ndarray:
    """Element-wise inverse of non-zero elements; ``ValueError`` on a zero."""
    x = _operand(a)
    out = np.empty(x.shape, dtype=U32)
    if _inv_kernel(np.ascontiguousarray(x).reshape(-1), out.reshape(-1)):
        raise ValueError("cannot invert zero")
    return out


def roll(a: np.ndarray, shift: int) -> np.ndarray:
    """Cyclic shift along the last axis: ``out[..., i] = a[..., i − shift]`` (two copies
    of contiguous runs, at memory speed)."""
    x = np.asarray(a)
    out = np.empty(x.shape, dtype=U32)
    n = x.shape[-1]
    if out.size == 0:
        return out
    s = shift % n
    out[..., s:] = x[..., : n - s]
    out[..., :s] = x[..., n - s :]
    return out


# -- FRI fold, polynomial evaluation --------------------------------------------------


def _times_matrix(c: Fp4) -> np.ndarray:
    """The matrix ``M[i][j]`` of multiplication by ``c``: ``(c·X^j)_i`` (``X^4 = −11``)."""
    m = np.empty((4, 4), dtype=np.int64)
    for i in range(4):
        for j in range(4):
            m[i, j] = c.c[i - j] if i >= j else c.c[i - j + 4] * NBETA % P
    return m


@njit(parallel=True, cache=True)
def _fold_kernel(r0, r1, r2, r3, weights, out):
    """``out[i, m] = Σ_{j,k} weights[i, j, k] · r_j[16m + k]`` (Montgomery weights)."""
    for m in prange(out.shape[1]):
        base = 16 * m
        for i in range(4):
            s = U64(0)
            for k in range(16):
                s += U64(mont_mul(r0[base + k], weights[i, 0, k]))
                s += U64(mont_mul(r1[base + k], weights[i, 1, k]))
                s += U64(mont_mul(r2[base + k], weights[i, 2, k]))
                s += U64(mont_mul(r3[base + k], weights[i, 3, k]))
            out[i, m] = reduce64(s)


def fri_fold(coeffs: np.ndarray, mix: Fp4) -> np.ndarray:
    """FRI fold of natural-order Fp4 coefficients ``(4, d)`` → ``(4, d/16)``:
    ``c'_m = Σ_k mix^k · c_{16m+k}``, as one linear map per output component."""
    x = _operand(coeffs)
    if x.ndim != 2 or x.shape[0] != 4 or x.shape[1] % 16:
        raise ValueError(f"fri_fold needs (4, 16·m) coefficients, got {x.shape}")
    weights = np.empty((4, 4, 16), dtype=np.int64)
    power = Fp4.one()
    for k in range(16):
        weights[:, :, k] = _times_matrix(power)
        power = power * mix
    out = np.empty((4, x.shape[1] // 16), dtype=U32)
    rows = [np.ascontiguousarray(r) for r in x]
    _fold_kernel(*rows, mont_array(weights), out)
    return out


@njit(parallel=True, cache=True)
def _eval_kernel(coeffs, low, high, part):
    """``part[h, r] = high[h] · Σ_j coeffs[r, hB + j] · low[:, j]`` over blocks ``h`` of
    ``B = low.shape[1]`` coefficients (``low``, ``high``: Montgomery words)."""
    k, n = coeffs.shape
    width = low.shape[1]
    for h in prange(part.shape[0]):
        lo = h * width
        cnt = min(width, n - lo)
        for r in range(k):
            s0 = U64(0)
            s1 = U64(0)
            s2 = U64(0)
            s3 = U64(0)
            for j in range(cnt):
                c = coeffs[r, lo + j]
                s0 += U64(mont_mul(c, low[0, j]))
                s1 += U64(mont_mul(c, low[1, j]))
                s2 += U64(mont_mul(c, low[2, j]))
                s3 += U64(mont_mul(c, low[3, j]))
            v = _fp4_mont(
                reduce64(s0),
                reduce64(s1),
                reduce64(s2),
                reduce64(s3),
                high[h, 0],
                high[h, 1],
                high[h, 2],
                high[h, 3],
            )
            for i in range(4):
                part[h, r, i] = v[i]


def poly_eval_ext(coeffs: np.ndarray, point: Fp4) -> np.ndarray:
    """Polynomials with natural-order base coefficients ``(..., n)`` at an Fp4 point →
    host ``(..., 4)``: per block of ``B`` coefficients a dot product with ``point^j``
    (``j < B``), scaled by ``point^(hB)``, the blocks in parallel."""
    x = _operand(coeffs)
    lead, n = x.shape[:-1], x.shape[-1]
    flat = np.ascontiguousarray(x.reshape(int(np.prod(lead, dtype=np.int64)), n))
    width = max(1, min(_EVAL_BLOCK, n))
    blocks = (n + width - 1) // width
    low = mont_array(fp4_powers(point, width))
    high = np.ascontiguousarray(mont_array(fp4_powers(point**width, blocks).T))
    part = np.empty((blocks, flat.shape[0], 4), dtype=U32)
    _eval_kernel(flat, low, high, part)
    return (part.astype(U64).sum(axis=0) % U64(P)).astype(U32).reshape((*lead, 4))


# -- DEEP -----------------------------------------------------------------------------


@njit(cache=True)
def _adjugate(div, norms, n):
    """For Fp4 Montgomery words ``div[:, :n]``: ``norms[:n]`` ← their norms
    ``N = b0^2 + 11·b2^2`` (``b = d·d(−X) = b0 + b2·X^2``) and ``div`` ← the adjugates
    ``e = d(−X)·(b0 − b2·X^2)``, so that ``d^-1 = e / N``; the number of zero norms."""
    zeros = 0
    for p in range(n):
        d0 = div[0, p]
        d1 = div[1, p]
        d2 = div[2, p]
        d3 = div[3, p]
        b0 = _add(
            _sub(mont_mul(d0, d0), mont_mul(mont_mul(d2, d2), _BETA_M)),
            mont_mul(mont_mul(d1, d3), _BETA2_M),
        )
        d02 = mont_mul(d0, d2)
        b2 = _add(_sub(_add(d02, d02), mont_mul(d1, d1)), mont_mul(mont_mul(d3, d3), _BETA_M))
        nrm = _add(mont_mul(b0, b0), mont_mul(mont_mul(b2, b2), _BETA_M))
        zeros += nrm == _ZERO
        norms[p] = nrm
        div[0, p] = _add(mont_mul(b0, d0), mont_mul(mont_mul(b2, d2), _BETA_M))
        div[1, p] = _sub(_ZERO, _add(mont_mul(b0, d1), mont_mul(mont_mul(b2, d3), _BETA_M)))
        div[2, p] = _sub(mont_mul(b0, d2), mont_mul(b2, d0))
        div[3, p] = _sub(mont_mul(b2, d1), mont_mul(b0, d3))
    return zeros


@njit(parallel=True, cache=True)
def _deep_kernel(cols, term_k, weights, u, u_start, roots, r_start, x, out, groups):
    """The DEEP combination over blocks of ``_DEEP_BLOCK`` points, ``groups`` workers each
    taking every ``groups``-th block with its own scratch; the number of zero divisors.

    Point values are Montgomery words throughout: ``weights`` are ``w·R^2`` (so a
    canonical column value times one is the Montgomery word of the product), ``u`` and
    ``roots`` are Montgomery words; the sum is converted back at the end.
    """
    m = x.shape[0]
    combos = u_start.shape[0] - 1
    width = _DEEP_BLOCK
    blocks = (m + width - 1) // width
    zeros = np.zeros(groups, np.int64)
    for g in prange(groups):
        xm = np.empty(width, U32)
        num = np.empty((combos, 4, width), U32)
        div = np.empty((combos, 4, width), U32)
        fac = np.empty((4, width), U32)
        hor = np.empty((4, width), U32)
        tot = np.empty((4, width), U32)
        scratch = np.empty((7, width), U32)
        norms = np.empty(combos * width, U32)
        pre = np.empty(combos * width, U32)
        acc = np.empty(_LANES, U32)
        base = np.empty(_LANES, U32)
        z = 0
        for blk in range(g, blocks, groups):
            p0 = blk * width
            cnt = min(width, m - p0)
            for p in range(cnt):
                xm[p] = to_mont(x[p0 + p])
            num[:] = 0
            for t in range(term_k.shape[0]):
                col = cols[t]
                k = term_k[t]
                for i in range(4):
                    w = weights[t, i]
                    for p in range(cnt):
                        num[k, i, p] = _add(num[k, i, p], mont_mul(col[p0 + p], w))
            norms[:] = _ONE_M
            for k in range(combos):
                # U_k(x) by Horner, subtracted from the numerator.
                hor[:] = 0
                for c in range(u_start[k + 1] - 1, u_start[k] - 1, -1):
                    for i in range(4):
                        uc = u[c, i]
                        for p in range(cnt):
                            hor[i, p] = _add(mont_mul(hor[i, p], xm[p]), uc)
                for i in range(4):
                    for p in range(cnt):
                        num[k, i, p] = _sub(num[k, i, p], hor[i, p])
                # The divisor Π (x − r), then its adjugate and norm.
                dk = div[k]
                dk[0, :] = _ONE_M
                dk[1:, :] = 0
                for r in range(r_start[k], r_start[k + 1]):
                    f = fac if r > r_start[k] else dk
                    for i in range(1, 4):
                        f[i, :] = _sub(_ZERO, roots[r, i])
                    r0 = roots[r, 0]
                    for p in range(cnt):
                        f[0, p] = _sub(xm[p], r0)
                    if r > r_start[k]:
                        _fp4_block(dk, fac, dk, cnt, scratch)
                z += _adjugate(dk, norms[k * width : (k + 1) * width], cnt)
            _batch_invert(norms, pre, acc, base)
            tot[:] = 0
            for k in range(combos):
                for i in range(4):
                    for p in range(cnt):
                        fac[i, p] = mont_mul(div[k, i, p], norms[k * width + p])
                _fp4_block(num[k], fac, hor, cnt, scratch)
                for i in range(4):
                    for p in range(cnt):
                        tot[i, p] = _add(tot[i, p], hor[i, p])
            for i in range(4):
                for p in range(cnt):
                    out[i, p0 + p] = from_mont(tot[i, p])
        zeros[g] = z
    return zeros.sum()


def _fp4_words(values: Sequence[Fp4], scale: int) -> np.ndarray:
    """Fp4 constants as ``(len, 4)`` words ``c·scale mod P``."""
    table = np.array([v.c for v in values], dtype=np.int64).reshape(-1, 4)
    return (table * (scale % P) % P).astype(U32)


def deep(
    matrices: Sequence[np.ndarray],
    terms: Sequence[tuple[int, int, int, Fp4]],
    u: Sequence[Sequence[Fp4]],
    roots: Sequence[Sequence[Fp4]],
    x: np.ndarray,
) -> np.ndarray:
    """The DEEP combination at base points ``x`` ``(m,)`` → Fp4 values ``(4, m)``:
    ``Σ_k (N_k(x) − U_k(x)) / Π_{r ∈ roots[k]} (x − r)`` (see ``Backend.deep``); an empty
    product of roots is 1. ``ValueError`` where some ``x`` is a root."""
    if len(u) != len(roots):
        raise ValueError(f"{len(u)} coefficient lists for {len(roots)} root lists")
    points = np.ascontiguousarray(_operand(x))
    m = points.shape[0]
    out = np.empty((4, m), dtype=U32)
    if m == 0:
        return out
    cols = List()
    for _, mat, col, _ in terms:
        column = np.ascontiguousarray(_operand(matrices[mat][col]))
        if column.shape != (m,):
            raise ValueError(f"column {col} of matrix {mat} has shape {column.shape}, not {(m,)}")
        cols.append(column if column.flags.writeable else column.copy())
    term_k = np.array([t[0] for t in terms], dtype=np.int64)
    if term_k.size and (term_k.min() < 0 or term_k.max() >= len(u)):
        raise ValueError(f"a term's combo is out of range 0..{len(u) - 1}")
    r2 = mont(mont(1))
    weights = _fp4_words([t[3] for t in terms], r2)
    u_words = _fp4_words([c for cs in u for c in cs], mont(1))
    root_words = _fp4_words([r for rs in roots for r in rs], mont(1))
    u_start = np.cumsum([0, *map(len, u)]).astype(np.int64)
    r_start = np.cumsum([0, *map(len, roots)]).astype(np.int64)
    if not terms:
        cols.append(np.empty(0, dtype=U32))  # fixes the list's type; no term reads it
    groups = min((m + _DEEP_BLOCK - 1) // _DEEP_BLOCK, 4 * get_num_threads())
    zeros = _deep_kernel(
        cols, term_k, weights, u_words, u_start, root_words, r_start, points, out, groups
    )
    if zeros:
        raise ValueError("cannot invert zero")
    return out
