"""The JAX backend: every kernel jit-compiled by XLA, for whatever device JAX runs on.

Representation. Arrays are ``uint32`` JAX arrays of canonical values, as everywhere;
the arithmetic never leaves 32-bit lanes (the caller's ``jax_enable_x64`` setting is
neither needed nor touched). A product is Montgomery's ``a·b·2^-32 mod P``, built from
16-bit limbs: the low word is the wrapping ``uint32`` product, the high word comes from
the limb products, and ``P = 0x78000001`` makes the ``m·P`` half cheap. Constants are
stored pre-multiplied by ``R = 2^32`` so one Montgomery product by them is an ordinary
product; Poseidon2 keeps its state in Montgomery form, which is also what RISC Zero's
digest words are. Sums are reduced lazily where the static bounds allow it
(:class:`_Lazy`): ``P < 2^31`` leaves one bit of headroom.

Kernels. Poseidon2 is one traced permutation (full rounds unrolled, partial rounds in a
``fori_loop`` over ``(cell 0, other cells)``), SHA-256 a fully unrolled compression.
On the CPU both run over the batch in cache-sized chunks (``lax.map``); on accelerators
in one piece. NTTs are radix-2 passes over reshaped views with twiddle tables kept on
the device (one table per size and direction, strided for the smaller stages):
interpolation is decimation in frequency (natural in, bit-reversed out, the ``1/n`` or
coset scale folded into the last pass); evaluation repeats each bit-reversed coefficient
``blowup`` times and runs the ``log n`` decimation-in-time passes that remain.

Caching. Each kernel is one ``jax.jit`` function whose static arguments are shapes'
companions (Poseidon2 constants as a hashable value, chunk sizes, shifts), so a second
call with the same shapes reuses the compiled code; :data:`TRACES` counts the traces
per kernel for tests.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import sha256
from ..field import MONT_R, NBETA, ROU_FWD, ROU_REV, Fp4, P, bit_reverse_indices, powers
from ..poseidon2 import Poseidon2Params
from .base import Backend

Array = jax.Array
U32 = np.uint32

_P = U32(P)
_2P = U32(2 * P)
_M16 = U32(0xFFFF)
_P_HI = U32(P >> 16)  # P = 0x7800·2^16 + 1
_PINV = U32(pow(P, -1, 1 << 32))  # P·PINV ≡ 1 (mod 2^32)
_R2 = MONT_R * MONT_R % P  # Montgomery product by R^2: canonical → Montgomery form
_ONE_M = MONT_R  # 1 in Montgomery form
_CPU_CHUNK = 1 << 11  # batch columns per Poseidon2 / SHA-256 chunk on the CPU

TRACES: Counter[str] = Counter()
"""How many times each kernel has been traced (≈ compiled): a test's view of the cache."""


def _mont(x: int | np.ndarray) -> Any:
    """Host: canonical → Montgomery form (``x·R mod P``), as ``uint32``."""
    if isinstance(x, (int, np.integer)):
        return U32(int(x) * MONT_R % P)
    return (np.asarray(x, dtype=np.uint64) * np.uint64(MONT_R) % np.uint64(P)).astype(U32)


def _kernel(name: str, **jit_kwargs: Any) -> Callable[[Callable], Any]:
    """``jax.jit`` that counts its traces in :data:`TRACES` under ``name``."""

    def wrap(fn: Callable) -> Any:
        @functools.wraps(fn)
        def traced(*args: Any, **kwargs: Any) -> Any:
            TRACES[name] += 1
            return fn(*args, **kwargs)

        return jax.jit(traced, **jit_kwargs)

    return wrap


# -- 32-bit Montgomery arithmetic (traced) ----------------------------------------


def _reduce_mont(lo: Array, hi: Array) -> Array:
    """``(hi·2^32 + lo)·2^-32 mod P``, canonical, for a value below ``P·2^32``."""
    m = lo * _PINV  # m·P ≡ lo (mod 2^32): the low words cancel exactly
    m0, m1 = m & _M16, m >> U32(16)
    mp_hi = m1 * _P_HI + ((m0 * _P_HI + m1) >> U32(16))  # ⌊m·P / 2^32⌋
    t = hi - mp_hi  # in (−P, P), wrapped when negative
    return jnp.minimum(t, t + _P)


def _mm(a: Array, b: Array) -> Array:
    """Montgomery product ``a·b·2^-32 mod P`` of values below ``2^31``."""
    a0, a1 = a & _M16, a >> U32(16)
    b0, b1 = b & _M16, b >> U32(16)
    ll = a0 * b0
    cross = a0 * b1 + a1 * b0  # < 2^32: a1, b1 < 2^15
    lo = ll + (cross << U32(16))
    hi = a1 * b1 + (cross >> U32(16)) + (lo < ll).astype(jnp.uint32)
    return _reduce_mont(lo, hi)


def _msq(a: Array) -> Array:
    """Montgomery square of a value below ``2^31``."""
    a0, a1 = a & _M16, a >> U32(16)
    ll = a0 * a0
    cross = (a0 * a1) << U32(1)
    lo = ll + (cross << U32(16))
    hi = a1 * a1 + (cross >> U32(16)) + (lo < ll).astype(jnp.uint32)
    return _reduce_mont(lo, hi)


def _add(a: Array, b: Array) -> Array:
    """``a + b mod P`` of canonical values."""
    s = a + b
    return jnp.minimum(s, s - _P)


def _sub(a: Array, b: Array) -> Array:
    """``a − b mod P`` of canonical values."""
    d = a - b
    return jnp.minimum(d, d + _P)


def _mul(a: Array, b: Array) -> Array:
    """``a·b mod P`` of canonical values (two Montgomery products)."""
    return _mm(_mm(a, b), U32(_R2))


def _to_m(a: Array) -> Array:
    return _mm(a, U32(_R2))


def _from_m(a: Array) -> Array:
    return _mm(a, U32(1))


def _pow_m(x: Array, e: int) -> Array:
    """``x^e`` in Montgomery form (``x`` in Montgomery form), square and multiply."""
    out = None
    for bit in bin(e)[2:]:
        out = out if out is None else _msq(out)
        if bit == "1":
            out = x if out is None else _mm(out, x)
    return out


class _Lazy(NamedTuple):
    """A traced ``uint32`` array whose values are all below ``bound`` (≤ 2^32)."""

    v: Array
    bound: int


def _lreduce(x: _Lazy, target: int = P) -> _Lazy:
    """Bring ``x`` below ``target`` (``P`` or ``2P``) by conditional subtractions."""
    v, b = x
    if b > 2 * P:  # v < 2^32 < 3P: v − 2P < 2P when it does not wrap
        v, b = jnp.minimum(v, v - _2P), 2 * P
    if b > target:
        v, b = jnp.minimum(v, v - _P), P
    return _Lazy(v, b)


def _ladd(x: _Lazy, y: _Lazy) -> _Lazy:
    """``x + y`` without reduction, reducing an operand first only when it could wrap."""
    while x.bound + y.bound - 1 > 1 << 32:
        if x.bound >= y.bound:
            x = _lreduce(x)
        else:
            y = _lreduce(y)
    return _Lazy(x.v + y.v, x.bound + y.bound - 1)


def _lsum(items: Sequence[_Lazy]) -> _Lazy:
    """A balanced sum of lazy values."""
    items = list(items)
    while len(items) > 1:
        nxt = [_ladd(items[i], items[i + 1]) for i in range(0, len(items) - 1, 2)]
        items = nxt + items[len(items) - len(items) % 2 :]
    return items[0]


def _sum_mod(terms: Sequence[Array]) -> Array:
    """``Σ terms mod P`` of canonical arrays."""
    return _lreduce(_lsum([_Lazy(t, P) for t in terms])).v


def _sum_rows(x: Array) -> Array:
    """``Σ_i x[i] mod P`` over the leading axis of canonical ``x``, as a halving tree."""
    while x.shape[0] > 1:
        h = x.shape[0] // 2
        s = _add(x[:h], x[h : 2 * h])
        x = jnp.concatenate([s, x[2 * h :]]) if x.shape[0] % 2 else s
    return x[0]


# -- Poseidon2 ----------------------------------------------------------------------

_M4_HL = ((5, 7, 1, 3), (4, 6, 1, 1), (1, 3, 5, 7), (1, 1, 4, 6))  # RISC Zero / Horizen Labs
_M4_CIRC = ((2, 3, 1, 1), (1, 2, 3, 1), (1, 1, 2, 3), (3, 1, 1, 2))  # Plonky3


@dataclass(frozen=True)
class _P2Consts:
    """A Poseidon2 instance as hashable data (a static jit argument), in Montgomery form."""

    width: int
    half: int
    m4: tuple[tuple[int, ...], ...]
    diag: tuple[int, ...]
    full: tuple[tuple[int, ...], ...]
    part: tuple[int, ...]

    @staticmethod
    def of(p: Poseidon2Params) -> _P2Consts:
        return _P2Consts(
            width=p.width,
            half=p.half_full,
            m4=tuple(tuple(int(v) for v in row) for row in p.m4),
            diag=tuple(int(v) for v in _mont(p.internal_diag)),
            full=tuple(tuple(int(v) for v in row) for row in _mont(p.full_round_constants)),
            part=tuple(int(v) for v in _mont(p.partial_round_constants)),
        )


def _m4(x: list[_Lazy], m4: tuple[tuple[int, ...], ...]) -> list[_Lazy]:
    """``M4·x`` on lazy values: addition chains for the known matrices, else by doubling."""
    if m4 == _M4_HL:  # RISC Zero's multiply_by_4x4_circulant
        t0, t1 = _ladd(x[0], x[1]), _ladd(x[2], x[3])
        t2 = _ladd(_ladd(x[1], x[1]), t1)
        t3 = _ladd(_ladd(x[3], x[3]), t0)
        t1_2 = _ladd(t1, t1)
        t4 = _ladd(_ladd(t1_2, t1_2), t3)
        t0_2 = _ladd(t0, t0)
        t5 = _ladd(_ladd(t0_2, t0_2), t2)
        return [_ladd(t3, t5), t5, _ladd(t2, t4), t4]
    if m4 == _M4_CIRC:  # Plonky3's apply_mat4
        t01, t23 = _ladd(x[0], x[1]), _ladd(x[2], x[3])
        t0123 = _ladd(t01, t23)
        t01123, t01233 = _ladd(t0123, x[1]), _ladd(t0123, x[3])
        y3 = _ladd(t01233, _ladd(x[0], x[0]))
        y1 = _ladd(t01123, _ladd(x[2], x[2]))
        return [_ladd(t01123, t01), y1, _ladd(t01233, t23), y3]
    multiples: dict[tuple[int, int], _Lazy] = {}

    def times(k: int, c: int) -> list[_Lazy]:  # c·x_k as a list of doublings to add
        out, bit, cur = [], 0, x[k]
        while c >> bit:
            if bit:
                cur = multiples.setdefault((k, bit), _lreduce(_ladd(cur, cur)))
            if (c >> bit) & 1:
                out.append(cur)
            bit += 1
        return out

    rows = []
    for row in m4:
        terms = [t for k, c in enumerate(row) for t in times(k, c % P)]
        rows.append(_lsum(terms) if terms else _Lazy(jnp.zeros_like(x[0].v), 1))
    return rows


def _external(s: Array, c: _P2Consts) -> Array:
    """``M_EXT``: ``M4`` on each block of 4 cells, plus the sum of the blocks."""
    nb = c.width // 4
    v = s.reshape(nb, 4, *s.shape[1:])
    y = [_lreduce(t).v for t in _m4([_Lazy(v[:, k], P) for k in range(4)], c.m4)]
    out = [_add(yj, _sum_rows(yj)[None]) for yj in y]
    return jnp.stack(out, axis=1).reshape(s.shape)


def _sbox(x: Array) -> Array:
    x2 = _msq(x)
    return _mm(_mm(x2, x), _msq(x2))


def _column(values: Sequence[int], ndim: int) -> np.ndarray:
    return np.array(values, dtype=U32).reshape((-1,) + (1,) * (ndim - 1))


def _permute_m(s: Array, c: _P2Consts) -> Array:
    """Poseidon2 of Montgomery-form states ``(width, batch)``."""
    s = _external(s, c)
    for r in range(c.half):
        s = _external(_sbox(_add(s, _column(c.full[r], s.ndim))), c)
    diag = _column(c.diag, s.ndim)
    part = jnp.asarray(np.array(c.part, dtype=U32))

    def partial_round(i: Array, carry: tuple[Array, Array]) -> tuple[Array, Array]:
        s0, rest = carry
        s0 = _sbox(_add(s0, part[i]))
        total = _add(_sum_rows(rest), s0)
        return _add(_mm(s0, diag[0]), total), _add(_mm(rest, diag[1:]), total[None])

    s0, rest = lax.fori_loop(0, len(c.part), partial_round, (s[0], s[1:]))
    s = jnp.concatenate([s0[None], rest])
    for r in range(c.half, len(c.full)):
        s = _external(_sbox(_add(s, _column(c.full[r], s.ndim))), c)
    return s


def _by_chunks(fn: Callable, arrays: Sequence[Array], chunk: int) -> Array:
    """``fn`` over the last axis of ``arrays`` in chunks of ``chunk`` columns (zero-padded)."""
    batch = arrays[0].shape[-1]
    if chunk <= 0 or batch <= chunk:
        return fn(*arrays)
    count = -(-batch // chunk)
    pad = count * chunk - batch

    def split(a: Array) -> Array:
        a = jnp.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)])
        return jnp.moveaxis(a.reshape(*a.shape[:-1], count, chunk), -2, 0)

    out = lax.map(lambda xs: fn(*xs), tuple(split(a) for a in arrays))
    out = jnp.moveaxis(out, 0, -2)
    return out.reshape(*out.shape[:-2], count * chunk)[..., :batch]


@_kernel("poseidon2_permute", static_argnums=(1, 2))
def _p2_permute(states: Array, c: _P2Consts, chunk: int) -> Array:
    return _by_chunks(lambda s: _from_m(_permute_m(_to_m(s), c)), [states], chunk)


@_kernel("poseidon2_hash_rows", static_argnums=(1, 2))
def _p2_hash_rows(matrix: Array, c: _P2Consts, chunk: int) -> Array:
    cols, rows = matrix.shape
    blocks = max(-(-cols // 16), 1)
    matrix = jnp.pad(matrix, [(0, blocks * 16 - cols), (0, 0)]).reshape(blocks, 16, rows)

    def run(m: Array) -> Array:
        m = _to_m(m)  # zero padding stays zero
        s = jnp.zeros((c.width, m.shape[-1]), dtype=jnp.uint32)

        def absorb(s: Array, block: Array) -> tuple[Array, None]:
            return _permute_m(jnp.concatenate([block, s[16:]]), c), None

        if blocks == 1:
            return absorb(s, m[0])[0][:8]
        return lax.scan(absorb, s, m)[0][:8]

    return _by_chunks(run, [matrix], chunk)


@_kernel("poseidon2_hash_pairs", static_argnums=(2, 3))
def _p2_hash_pairs(left: Array, right: Array, c: _P2Consts, chunk: int) -> Array:
    # Digest words are raw Montgomery words: the state in Montgomery form, as it is.
    def run(a: Array, b: Array) -> Array:
        zeros = jnp.zeros((c.width - 16, a.shape[-1]), dtype=jnp.uint32)
        return _permute_m(jnp.concatenate([a, b, zeros]), c)[:8]

    return _by_chunks(run, [left, right], chunk)


# -- SHA-256 ------------------------------------------------------------------------


def _rotr(x: Array, r: int) -> Array:
    return (x >> U32(r)) | (x << U32(32 - r))


def _bswap(x: Array) -> Array:
    return (
        (x >> U32(24))
        | ((x >> U32(8)) & U32(0xFF00))
        | ((x << U32(8)) & U32(0xFF0000))
        | (x << U32(24))
    )


def _compress(state: Array, block: Array) -> Array:
    """SHA-256 compression of ``(16, m)`` big-endian words into ``(8, m)`` states."""
    w = [block[i] for i in range(16)]
    for t in range(16, 64):
        x, y = w[t - 15], w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> U32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> U32(10))
        w.append(w[t - 16] + s0 + w[t - 7] + s1)
    a, b, c, d, e, f, g, h = (state[i] for i in range(8))
    for t in range(64):
        t1 = h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g))
        t1 = t1 + (U32(sha256.K[t]) + w[t])
        t2 = (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        a, b, c, d, e, f, g, h = t1 + t2, a, b, c, d + t1, e, f, g
    return state + jnp.stack([a, b, c, d, e, f, g, h])


def _iv(m: int) -> Array:
    return jnp.broadcast_to(jnp.asarray(sha256.IV)[:, None], (8, m))


@_kernel("sha256_compress", static_argnums=(2,))
def _sha_compress(state: Array, block: Array, chunk: int) -> Array:
    return _by_chunks(_compress, [state, block], chunk)


@_kernel("sha256_hash_rows", static_argnums=(1,))
def _sha_hash_rows(matrix: Array, chunk: int) -> Array:
    cols, rows = matrix.shape
    blocks = -(-cols // 16)
    if blocks == 0:
        return _bswap(_iv(rows))
    matrix = jnp.pad(matrix, [(0, blocks * 16 - cols), (0, 0)]).reshape(blocks, 16, rows)

    def run(m: Array) -> Array:
        words = _bswap(_to_m(m))  # zero padding stays zero

        def step(state: Array, block: Array) -> tuple[Array, None]:
            return _compress(state, block), None

        state = _iv(m.shape[-1])
        if blocks == 1:
            return _bswap(_compress(state, words[0]))
        return _bswap(lax.scan(step, state, words)[0])

    return _by_chunks(run, [matrix], chunk)


@_kernel("sha256_hash_pairs", static_argnums=(2,))
def _sha_hash_pairs(left: Array, right: Array, chunk: int) -> Array:
    def run(a: Array, b: Array) -> Array:
        block = _bswap(jnp.concatenate([a, b]))
        return _bswap(_compress(_iv(a.shape[-1]), block))

    return _by_chunks(run, [left, right], chunk)


# -- NTT --------------------------------------------------------------------------


def _stage_twiddles(table: Array, n: int, h: int) -> Array:
    """``ω_{2h}^i`` (Montgomery form) for ``i < h`` from the table ``ω_n^i``, ``i < n/2``."""
    return table[:: n // (2 * h)]


def _dif(x: Array, table: Array | None, scale: Array | None = None) -> Array:
    """Radix-2 DIF along the last axis of ``(batch, n)``: natural in, bit-reversed out.

    ``scale`` (Montgomery form, ``()`` or ``(n,)`` in output order) multiplies the result.
    """
    batch, n = x.shape
    h = n // 2
    while h >= 1:
        v = x.reshape(batch, n // (2 * h), 2, h)
        a, b = v[:, :, 0], v[:, :, 1]
        s, d = _add(a, b), _sub(a, b)
        if h > 1:
            d = _mm(d, _stage_twiddles(table, n, h))
        elif scale is not None:
            if scale.ndim:
                s, d = _mm(s, scale[0::2, None]), _mm(d, scale[1::2, None])
            else:
                s, d = _mm(s, scale), _mm(d, scale)
        x = jnp.stack([s, d], axis=2).reshape(batch, n)
        h //= 2
    if n == 1 and scale is not None:
        x = _mm(x, scale.reshape(-1)[:1])
    return x


def _dit(x: Array, table: Array, h: int = 1) -> Array:
    """Radix-2 DIT passes of half-sizes ``h, 2h, …, n/2`` along the last axis of ``(batch, n)``.

    From ``h = 1``: bit-reversed in, natural out.
    """
    batch, n = x.shape
    while h < n:
        v = x.reshape(batch, n // (2 * h), 2, h)
        a, b = v[:, :, 0], v[:, :, 1]
        t = _mm(b, _stage_twiddles(table, n, h)) if h > 1 else b
        x = jnp.stack([_add(a, t), _sub(a, t)], axis=2).reshape(batch, n)
        h *= 2
    return x


def _repeat(x: Array, blowup: int) -> Array:
    """Each element ``blowup`` times: the bit-reversed zero-padded coefficients after the
    first ``log2(blowup)`` DIT passes (which only copy)."""
    batch, n = x.shape
    return jnp.broadcast_to(x[:, :, None], (batch, n, blowup)).reshape(batch, n * blowup)


@_kernel("interpolate")
def _interpolate(values: Array, table: Array, scale: Array) -> Array:
    n = values.shape[-1]
    return _dif(values.reshape(-1, n), table, scale).reshape(values.shape)


@_kernel("evaluate", static_argnums=(2,))
def _evaluate(coeffs: Array, table: Array, blowup: int) -> Array:
    n = coeffs.shape[-1]
    evals = _dit(_repeat(coeffs.reshape(-1, n), blowup), table, blowup)
    return evals.reshape(*coeffs.shape[:-1], n * blowup)


@_kernel("lde", static_argnums=(3,))
def _lde(values: Array, inv_table: Array, table: Array, blowup: int, scale: Array) -> Array:
    n = values.shape[-1]
    coeffs = _dif(values.reshape(-1, n), inv_table, scale)  # bit-reversed, of f(3x)
    evals = _dit(_repeat(coeffs, blowup), table, blowup)
    return evals.reshape(*values.shape[:-1], n * blowup)


@_kernel("zk_shift")
def _zk_shift(coeffs: Array, shift: Array) -> Array:
    return _mm(coeffs, shift)


def _bitrev_iota(log_n: int) -> Array:
    """``bitrev(i)`` for ``i < 2^log_n`` (``log_n ≥ 1``), computed on the device."""
    i = lax.iota(jnp.uint32, 1 << log_n)
    for shift, mask in ((1, 0x55555555), (2, 0x33333333), (4, 0x0F0F0F0F), (8, 0x00FF00FF)):
        m, s = U32(mask), U32(shift)
        i = ((i >> s) & m) | ((i & m) << s)
    i = (i >> U32(16)) | (i << U32(16))
    return (i >> U32(32 - log_n)).astype(jnp.int32)


@_kernel("bit_reverse")
def _bit_reverse(x: Array) -> Array:
    n = x.shape[-1]
    if n <= 2:
        return x
    return jnp.take(x, _bitrev_iota(n.bit_length() - 1), axis=-1)


# -- element-wise -------------------------------------------------------------------


@_kernel("add")
def _add_k(a: Array, b: Array) -> Array:
    return _add(a, b)


@_kernel("sub")
def _sub_k(a: Array, b: Array) -> Array:
    return _sub(a, b)


@_kernel("mul")
def _mul_k(a: Array, b: Array) -> Array:
    return _mul(a, b)


@_kernel("mul_const")
def _mul_const(a: Array, b_m: Array) -> Array:
    return _mm(a, b_m)


@_kernel("inv")
def _inv(a: Array) -> tuple[Array, Array]:
    """Batch inversion: a product tree in Montgomery form, one Fermat inversion at the
    root, the tree walked back down. Returns the inverses and whether the root is 0."""
    n = a.size
    size = 1 << max(n - 1, 0).bit_length()
    level = jnp.concatenate([_to_m(a.reshape(-1)), jnp.full(size - n, _ONE_M, jnp.uint32)])
    tree = [level]
    while level.shape[0] > 1:
        level = _mm(level[0::2], level[1::2])
        tree.append(level)
    inv = _pow_m(level, P - 2)
    for below in reversed(tree[:-1]):
        inv = jnp.stack([_mm(inv, below[1::2]), _mm(inv, below[0::2])], axis=1).reshape(-1)
    return _from_m(inv[:n]).reshape(a.shape), level[0] == 0


def _ext_terms(a: Array, b_m: Array, nb_m: Array) -> list[list[Array]]:
    """Per Fp4 component of ``a·b`` the four canonical products, from ``b`` and ``−11·b``
    in Montgomery form (``(4, ...)`` arrays, or ``a`` in Montgomery form for a Montgomery
    result)."""
    out = []
    for k in range(4):
        terms = [_mm(a[i], b_m[k - i]) for i in range(k + 1)]
        terms += [_mm(a[i], nb_m[k + 4 - i]) for i in range(k + 1, 4)]
        out.append(terms)
    return out


def _ext_mul_m(a: Array, b_m: Array, nb_m: Array) -> Array:
    return jnp.stack([_sum_mod(t) for t in _ext_terms(a, b_m, nb_m)])


def _fp4_m(c: Fp4) -> np.ndarray:
    """Host: ``(b, −11·b)`` of an Fp4 constant in Montgomery form, as ``(2, 4)``."""
    return np.stack([_mont(np.array(c.c)), _mont(np.array(c.c) * NBETA % P)])


@_kernel("ext_mul")
def _ext_mul_k(a: Array, b: Array) -> Array:
    return _ext_mul_m(a, _to_m(b), _mm(b, U32(NBETA * _R2 % P)))


@_kernel("ext_mul_const")
def _ext_mul_const(a: Array, b: Array) -> Array:
    shape = (4,) + (1,) * (a.ndim - 1)
    return _ext_mul_m(a, b[0].reshape(shape), b[1].reshape(shape))


@_kernel("roll", static_argnums=(1,))
def _roll(a: Array, shift: int) -> Array:
    return jnp.roll(a, shift, axis=-1)


@_kernel("fri_fold")
def _fri_fold(coeffs: Array, mix: Array) -> Array:
    d = coeffs.shape[-1]
    blocks = coeffs.reshape(4, d // 16, 16)
    terms = _ext_terms(blocks, mix[0][:, None, :], mix[1][:, None, :])
    # Σ over the 16 powers of all 4 products per component: 64 canonical terms.
    return jnp.stack([_sum_rows(jnp.concatenate(t, axis=-1).T) for t in terms])


@_kernel("poly_eval_ext")
def _poly_eval_ext(coeffs: Array, squares: Array) -> Array:
    """``Σ_j c_j·z^j`` per row; ``squares[i]`` is ``z^(2^i)`` as :func:`_fp4_m` gives it."""
    k, n = coeffs.shape
    pw = jnp.zeros((4, 1), jnp.uint32).at[0, 0].set(_ONE_M)
    for sq in squares:
        pw = jnp.concatenate([pw, _ext_mul_m(pw, sq[0][:, None], sq[1][:, None])], axis=1)
    pw = pw[:, :n]
    prod = _mm(coeffs[:, None, :], pw[None])  # (k, 4, n) canonical
    # Sum 16-bit halves in blocks small enough not to overflow, then recombine.
    block = 1 << 15
    count = -(-n // block)
    prod = jnp.pad(prod, [(0, 0), (0, 0), (0, count * block - n)]).reshape(k, 4, count, block)
    lo = jnp.sum(prod & _M16, axis=-1, dtype=jnp.uint32)  # < 2^31
    hi = jnp.sum(prod >> U32(16), axis=-1, dtype=jnp.uint32)  # < 2^30
    part = _add(_mm(hi, _mont(1 << 16)), jnp.minimum(lo, lo - _P))
    return _sum_rows(jnp.moveaxis(part, -1, 0))


# -- the backend ------------------------------------------------------------------


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer))


def _scalar(x: int) -> np.ndarray:
    return np.asarray(int(x) % P, dtype=U32)


class JaxBackend(Backend):
    """Kernels as jit-compiled JAX on JAX's default device."""

    name = "jax"

    def __init__(self, chunk: int | None = None) -> None:
        """``chunk``: batch columns per Poseidon2 / SHA-256 chunk (``0``: no chunking);
        by default cache-sized chunks on the CPU and none on accelerators."""
        if chunk is None:
            chunk = _CPU_CHUNK if jax.default_backend() == "cpu" else 0
        self.chunk = chunk
        self._p2: dict[int, tuple[Poseidon2Params, _P2Consts]] = {}
        self._tables: dict[tuple, Array] = {}

    # -- transfers -------------------------------------------------------------------
    def asarray(self, host: np.ndarray) -> Array:
        return jax.device_put(np.asarray(host, dtype=U32))

    def to_numpy(self, array: Array) -> np.ndarray:
        return np.array(array, dtype=U32)

    # -- cached constants ------------------------------------------------------------
    def _consts(self, p: Poseidon2Params) -> _P2Consts:
        hit = self._p2.get(id(p))
        if hit is None or hit[0] is not p:
            hit = self._p2[id(p)] = (p, _P2Consts.of(p))
        return hit[1]

    def _table(self, key: tuple, make: Callable[[], np.ndarray]) -> Array:
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = jax.device_put(make())
        return table

    def _roots(self, log_n: int, inverse: bool) -> Array:
        """``ω_n^i`` (Montgomery form) for ``i < max(n/2, 1)``."""
        rou = (ROU_REV if inverse else ROU_FWD)[log_n]
        return self._table(
            ("roots", log_n, inverse), lambda: _mont(powers(rou, max(1 << log_n >> 1, 1)))
        )

    def _shift(self, log_n: int, scale: int) -> Array:
        """``scale·3^bitrev(k)`` (Montgomery form) for ``k < n``."""

        def make() -> np.ndarray:
            table = powers(3, 1 << log_n) * np.uint64(scale) % np.uint64(P)
            return _mont(table[bit_reverse_indices(log_n)])

        return self._table(("shift", log_n, scale), make)

    # -- hashing ---------------------------------------------------------------------
    def poseidon2_permute(self, states: Array, params: Poseidon2Params) -> Array:
        return _p2_permute(states, self._consts(params), self.chunk)

    def poseidon2_hash_rows(self, matrix: Array, params: Poseidon2Params) -> Array:
        return _p2_hash_rows(matrix, self._consts(params), self.chunk)

    def poseidon2_hash_pairs(self, left: Array, right: Array, params: Poseidon2Params) -> Array:
        return _p2_hash_pairs(left, right, self._consts(params), self.chunk)

    def sha256_compress(self, state: Array, block: Array) -> Array:
        return _sha_compress(state, block, self.chunk)

    def sha256_hash_rows(self, matrix: Array) -> Array:
        return _sha_hash_rows(matrix, self.chunk)

    def sha256_hash_pairs(self, left: Array, right: Array) -> Array:
        return _sha_hash_pairs(left, right, self.chunk)

    # -- NTT -------------------------------------------------------------------------
    def interpolate(self, values: Array) -> Array:
        n = values.shape[-1]
        log_n = n.bit_length() - 1
        return _interpolate(values, self._roots(log_n, True), _mont(pow(n, P - 2, P)))

    def evaluate(self, coeffs: Array, blowup: int = 1) -> Array:
        log_big = (coeffs.shape[-1] * blowup).bit_length() - 1
        return _evaluate(coeffs, self._roots(log_big, False), blowup)

    def zk_shift(self, coeffs: Array) -> Array:
        return _zk_shift(coeffs, self._shift(coeffs.shape[-1].bit_length() - 1, 1))

    def lde(self, values: Array, blowup: int) -> Array:
        n = values.shape[-1]
        log_n = n.bit_length() - 1
        log_big = (n * blowup).bit_length() - 1
        return _lde(
            values,
            self._roots(log_n, True),
            self._roots(log_big, False),
            blowup,
            self._shift(log_n, pow(n, P - 2, P)),
        )

    def bit_reverse(self, x: Array) -> Array:
        return _bit_reverse(x)

    # -- element-wise field arithmetic -------------------------------------------------
    def add(self, a: Array | int, b: Array | int) -> Array:
        return _add_k(*(_scalar(x) if _is_int(x) else x for x in (a, b)))

    def sub(self, a: Array | int, b: Array | int) -> Array:
        return _sub_k(*(_scalar(x) if _is_int(x) else x for x in (a, b)))

    def mul(self, a: Array | int, b: Array | int) -> Array:
        if _is_int(a) and not _is_int(b):
            a, b = b, a
        if _is_int(b):
            return _mul_const(_scalar(a) if _is_int(a) else a, _mont(int(b) % P))
        return _mul_k(a, b)

    def inv(self, a: Array) -> Array:
        if a.size == 0:
            return jnp.zeros(a.shape, jnp.uint32)
        out, has_zero = _inv(a)
        if bool(has_zero):  # one scalar read back: the check the interface promises
            raise ValueError("cannot invert zero")
        return out

    def ext_mul(self, a: Array, b: Array | Fp4) -> Array:
        if isinstance(b, Fp4):
            return _ext_mul_const(a, _fp4_m(b))
        return _ext_mul_k(a, b)

    def roll(self, a: Array, shift: int) -> Array:
        n = a.shape[-1]
        return _roll(a, int(shift) % n if n else 0)

    def fri_fold(self, coeffs: Array, mix: Fp4) -> Array:
        pw, cur = [], Fp4.one()
        for _ in range(16):
            pw.append(_fp4_m(cur))
            cur = cur * mix
        return _fri_fold(coeffs, np.stack(pw, axis=-1))  # (2, 4, 16)

    def poly_eval_ext(self, coeffs: Array, point: Fp4) -> np.ndarray:
        k, n = coeffs.shape
        squares, cur = [], point
        while 1 << len(squares) < n:
            squares.append(_fp4_m(cur))
            cur = cur * cur
        if n == 0:
            return np.zeros((k, 4), dtype=U32)
        sq = np.stack(squares) if squares else np.zeros((0, 2, 4), U32)
        return self.to_numpy(_poly_eval_ext(coeffs, sq))
