"""The JAX backend: every kernel jit-compiled by XLA, for whatever device JAX runs on.

Representation. Arrays are ``uint32`` JAX arrays of canonical values, as everywhere. A
product is Montgomery's ``a·b·2^-32 mod P`` from exact ``uint64`` products of ``uint32``
words (``vpmuludq`` on x86), a quarter faster on the CPU than building the high word from
16-bit limbs in ``uint32`` lanes. For those, every kernel runs under a ``jax.enable_x64``
context entered and left around the call: the caller's ``jax_enable_x64`` setting is
neither needed nor changed, and every result is ``uint32``. Constants are stored
pre-multiplied by ``R = 2^32``, so one Montgomery product by them is an ordinary product.
Poseidon2 keeps its state in Montgomery form, which is also what RISC Zero's digest words
are. ``P < 2^31`` leaves one bit of headroom: additions reduce with one ``min(x, x − P)``,
and chains of them are reduced only where static bounds say they could wrap
(:class:`_Lazy`).

XLA fuses element-wise code into every consumer, recomputing it per output element, so
the kernels are shaped to make it store what is reused: sums over rows are ``uint32``
reductions of the 16-bit halves (XLA keeps reductions as fusion roots), and the round
structure of Poseidon2 (``S-box(M_EXT·u + rc)``, the partial rounds) and of SHA-256 are
loops whose carries are stored. NTTs are radix-2 passes over reshaped views with
contiguous per-pass twiddle tables on the device: interpolation is decimation in
frequency (natural in, bit-reversed out, the ``1/n`` or coset scale folded into the last
pass); evaluation runs Gentleman–Sande passes on the bit-reversed coefficients (natural
out, one product a pair where Cooley–Tukey's shared one would be computed twice), the
first ``log2(blowup)`` of them building the zero-padded input as they go.

Caching. Each kernel is one ``jax.jit`` function; its static arguments are hashable
values (Poseidon2 constants, blowups, shifts) and its tables are cached device arrays
passed as arguments, so a second call with the same shapes reuses the compiled code.
Hash kernels see batches padded to powers of two (at least ``min_batch``) and split
into pieces of ``max_batch``, so a few compilations serve every Merkle layer. On the
CPU a piece is at most a core's share of the batch and runs as a loop over chunks of
``2^10`` lanes (XLA runs it on one core, its state in that core's cache), the pieces
concurrently from a thread a core: 1.2–1.4× on Poseidon2 w24 and 2–2.7× on SHA-256 over
one call spread by XLA over the cores.
:data:`TRACES` counts the traces of each kernel.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .. import sha256
from ..field import (
    MONT_R,
    NBETA,
    ROU_FWD,
    ROU_REV,
    Fp4,
    P,
    bit_reverse_indices,
    fp4_powers,
    powers,
)
from ..poseidon2 import Poseidon2Params
from ..stark.circuit import Program
from .base import Backend

Array = jax.Array
U32 = np.uint32

_P = U32(P)
_2P = U32(2 * P)
_M16 = U32(0xFFFF)
_NPINV = U32(-pow(P, -1, 1 << 32) % (1 << 32))  # P·NPINV ≡ −1 (mod 2^32)
_CPU_CHUNK = 1 << 10  # lanes a hash state loop runs on at a time on the CPU (24 × 4 KiB)
_R2 = MONT_R * MONT_R % P  # Montgomery product by R^2: canonical → Montgomery form
_ONE_M = MONT_R  # 1 in Montgomery form

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

        jitted = jax.jit(traced, **jit_kwargs)

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            with jax.enable_x64(True):  # for the exact products; restored on return
                return jitted(*args, **kwargs)

        return call

    return wrap


# -- Montgomery arithmetic (traced) ----------------------------------------------


def _wide(a: Array | np.ndarray) -> Array:
    """``a`` in ``uint64`` lanes, for an exact 32×32-bit product (a kernel traces with x64)."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError("a JAX kernel's 64-bit products must be traced under _kernel")
    return lax.convert_element_type(a, jnp.uint64)


def _reduce_mont(t: Array) -> Array:
    """``t·2^-32 mod P``, canonical, for a ``uint64`` value below ``P·2^32``."""
    m = t.astype(jnp.uint32) * _NPINV  # t + m·P ≡ 0 (mod 2^32); a 32-bit product
    r = ((t + _wide(m) * _wide(_P)) >> 32).astype(jnp.uint32)  # below 2P
    return jnp.minimum(r, r - _P)


def _mm(a: Array, b: Array) -> Array:
    """Montgomery product ``a·b·2^-32 mod P`` of values below ``2^31``."""
    return _reduce_mont(_wide(a) * _wide(b))


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
    """``x^e`` (``e ≥ 1``) in Montgomery form, square and multiply as a loop."""
    bits = jnp.asarray([b == "1" for b in bin(e)[3:]])  # after the leading 1

    def step(i: Array, acc: Array) -> Array:
        acc = _mm(acc, acc)
        return jnp.where(bits[i], _mm(acc, x), acc)

    return lax.fori_loop(0, bits.shape[0], step, x)


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


def _sum_rows(x: Array, axis: int = 0) -> Array:
    """``Σ mod P`` along ``axis`` (at most ``2^16`` long) of canonical ``x``.

    The 16-bit halves are summed by one two-output ``uint32`` reduction (one pass over
    ``x``), which XLA keeps as a reduction: element-wise trees of slices would be fused,
    and recomputed, into every consumer. ``Σ hi·2^16`` is one Montgomery product by
    ``2^16·R``. (A ``uint64`` sum instead is 10–15 % slower in Poseidon2 on the CPU.)
    """
    lo, hi = lax.reduce(
        (x & _M16, x >> U32(16)),
        (U32(0), U32(0)),
        lambda a, b: (a[0] + b[0], a[1] + b[1]),
        (axis % x.ndim,),
    )
    return _add(_mm(hi, _mont(1 << 16)), _lreduce(_Lazy(lo, 1 << 32)).v)


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
                if (k, bit) not in multiples:
                    multiples[k, bit] = _lreduce(_ladd(cur, cur))
                cur = multiples[k, bit]
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
    v = s.reshape(c.width // 4, 4, *s.shape[1:])
    y = jnp.stack([_lreduce(t).v for t in _m4([_Lazy(v[:, k], P) for k in range(4)], c.m4)], 1)
    return _add(y, _sum_rows(y)[None]).reshape(s.shape)


def _sbox(x: Array) -> Array:
    x2 = _mm(x, x)
    return _mm(_mm(x2, x), _mm(x2, x2))


def _column(values: Sequence[int], ndim: int) -> np.ndarray:
    return np.array(values, dtype=U32).reshape((-1,) + (1,) * (ndim - 1))


def _full_rounds(u: Array, rcs: Sequence[Sequence[int]], c: _P2Consts) -> Array:
    """``u ← sbox(M_EXT·u + rc)`` for each row of round constants, as a loop.

    XLA fuses element-wise code into every consumer, so an S-box feeding the linear
    layer directly would be recomputed for each output cell; a loop carry is stored.
    """
    table = jnp.asarray(np.array(rcs, dtype=U32).reshape(len(rcs), -1, *(1,) * (u.ndim - 1)))

    def body(i: Array, u: Array) -> Array:
        return _sbox(_add(_external(u, c), table[i]))

    return lax.fori_loop(0, len(rcs), body, u)


def _permute_m(s: Array, c: _P2Consts) -> Array:
    """Poseidon2 of Montgomery-form states ``(width, batch)``."""
    rf = len(c.full)
    if not rf:  # no full rounds: the partial rounds sit between them
        return _external(s, c)
    s = _external(_full_rounds(s, c.full[: c.half], c), c)
    diag = _column(c.diag, s.ndim)
    part = jnp.asarray(np.array(c.part, dtype=U32))

    def partial_round(i: Array, s: Array) -> Array:
        s = s.at[0].set(_sbox(_add(s[0], part[i])))
        return _add(_mm(s, diag), _sum_rows(s)[None])

    s = lax.fori_loop(0, len(c.part), partial_round, s)
    if c.half < rf:
        s = _sbox(_add(s, _column(c.full[c.half], s.ndim)))
        s = _full_rounds(s, c.full[c.half + 1 :], c)
    return _external(s, c)


@_kernel("poseidon2_permute", static_argnums=(1,))
def _p2_permute(states: Array, c: _P2Consts) -> Array:
    return _from_m(_permute_m(_to_m(states), c))


@_kernel("poseidon2_hash_rows", static_argnums=(1,))
def _p2_hash_rows(matrix: Array, c: _P2Consts) -> Array:
    cols, rows = matrix.shape
    blocks = max(-(-cols // 16), 1)
    matrix = jnp.pad(matrix, [(0, blocks * 16 - cols), (0, 0)]).reshape(blocks, 16, rows)

    m = _to_m(matrix)  # zero padding stays zero
    s = jnp.zeros((c.width, rows), dtype=jnp.uint32)

    def absorb(s: Array, block: Array) -> tuple[Array, None]:
        return _permute_m(jnp.concatenate([block, s[16:]]), c), None

    if blocks == 1:
        return absorb(s, m[0])[0][:8]
    return lax.scan(absorb, s, m)[0][:8]


@_kernel("poseidon2_hash_pairs", static_argnums=(2,))
def _p2_hash_pairs(left: Array, right: Array, c: _P2Consts) -> Array:
    # Digest words are raw Montgomery words: the state in Montgomery form, as it is
    # (reduced, should a word be ≥ P).
    zeros = jnp.zeros((c.width - 16, left.shape[-1]), dtype=jnp.uint32)
    s = _lreduce(_Lazy(jnp.concatenate([left, right]), 1 << 32)).v
    return _permute_m(jnp.concatenate([s, zeros]), c)[:8]


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


def _schedule(block: Array) -> Array:
    """The 64 message-schedule words ``(64, m)`` of ``(16, m)`` block words."""
    w = jnp.concatenate([block, jnp.zeros((48, *block.shape[1:]), jnp.uint32)])

    def step(t: Array, w: Array) -> Array:
        x, y = w[t - 15], w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> U32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> U32(10))
        return lax.dynamic_update_index_in_dim(w, w[t - 16] + s0 + w[t - 7] + s1, t, 0)

    return lax.fori_loop(16, 64, step, w)


def _compress(state: Array, block: Array) -> Array:
    """SHA-256 compression of ``(16, m)`` big-endian words into ``(8, m)`` states.

    A loop over the rounds (8 to an iteration) carrying the 8 words separately: XLA
    would re-derive fully unrolled rounds in every consumer and take minutes to compile.
    """
    w = _schedule(block)
    k = jnp.asarray(sha256.K.astype(U32))

    def round_(t: Array, v: tuple[Array, ...]) -> tuple[Array, ...]:
        a, b, c, d, e, f, g, h = v
        t1 = h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g))
        t1 = t1 + (k[t] + w[t])
        t2 = (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        return t1 + t2, a, b, c, d + t1, e, f, g

    out = lax.fori_loop(0, 64, round_, tuple(state[i] for i in range(8)), unroll=8)
    return state + jnp.stack(out)


def _iv(m: int) -> Array:
    return jnp.broadcast_to(jnp.asarray(sha256.IV)[:, None], (8, m))


@_kernel("sha256_compress")
def _sha_compress(state: Array, block: Array) -> Array:
    return _compress(state, block)


@_kernel("sha256_hash_rows")
def _sha_hash_rows(matrix: Array) -> Array:
    cols, rows = matrix.shape
    blocks = -(-cols // 16)
    if blocks == 0:
        return _bswap(_iv(rows))
    matrix = jnp.pad(matrix, [(0, blocks * 16 - cols), (0, 0)]).reshape(blocks, 16, rows)

    words = _bswap(_to_m(matrix))  # zero padding stays zero

    def step(state: Array, block: Array) -> tuple[Array, None]:
        return _compress(state, block), None

    if blocks == 1:
        return _bswap(_compress(_iv(rows), words[0]))
    return _bswap(lax.scan(step, _iv(rows), words)[0])


@_kernel("sha256_hash_pairs")
def _sha_hash_pairs(left: Array, right: Array) -> Array:
    block = _bswap(jnp.concatenate([left, right]))
    return _bswap(_compress(_iv(left.shape[-1]), block))


# -- NTT --------------------------------------------------------------------------


def _stage_table(log_n: int, inverse: bool, bit_reversed: bool = False) -> np.ndarray:
    """Host: the radix-2 twiddles of every pass of a size-``2^log_n`` NTT, contiguous and in
    Montgomery form: ``ω_{2h}^i`` at ``h − 1 + i`` for ``i < h < 2^log_n``, each run of ``h``
    in bit-reversed order of ``i`` if ``bit_reversed``.

    (Strided views of one ``ω_n^i`` table would make XLA gather them element by element.)
    """
    rou = ROU_REV if inverse else ROU_FWD
    parts = [powers(rou[lg + 1], 1 << lg) for lg in range(log_n)]
    if bit_reversed:
        parts = [part[bit_reverse_indices(lg)] for lg, part in enumerate(parts)]
    return _mont(np.concatenate(parts)) if parts else np.zeros(0, U32)


def _stage(table: Array, h: int) -> Array:
    return table[h - 1 : 2 * h - 1]


def _butterfly_view(x: Array, h: int) -> tuple[Array, Array]:
    """The two halves ``(batch, n/2h, h)`` of every block of ``2h`` along the last axis."""
    batch, n = x.shape
    v = x.reshape(batch, n // (2 * h), 2, h)
    return v[:, :, 0], v[:, :, 1]


def _dif(x: Array, table: Array, scale: Array) -> Array:
    """Radix-2 DIF along the last axis of ``(batch, n)``: natural in, bit-reversed out.

    Each pass is one element-wise XLA fusion over the whole array. ``scale`` (Montgomery
    form, ``()`` or ``(n,)`` in output order) multiplies the result, in the last pass,
    whose twiddle is 1.
    """
    batch, n = x.shape
    if n == 1:
        return _mm(x, scale.reshape(-1)[:1])
    h = n // 2
    while h >= 1:
        a, b = _butterfly_view(x, h)
        s, d = _add(a, b), _sub(a, b)
        if h > 1:
            d = _mm(d, _stage(table, h))
        elif scale.ndim:
            s, d = _mm(s, scale[0::2, None]), _mm(d, scale[1::2, None])
        else:
            s, d = _mm(s, scale), _mm(d, scale)
        x = jnp.stack([s, d], axis=2).reshape(batch, n)
        h //= 2
    return x


def _gs(x: Array, table: Array, h: int) -> Array:
    """Gentleman–Sande passes of half-sizes ``h, 2h, …, n/2`` along the last axis of
    ``(batch, n)``: bit-reversed in (from ``h = 1``), natural out.

    The pass of half-size ``h`` takes ``(a, b) → (a + b, (a − b)·ζ)`` with one twiddle a
    block, ``ζ_m = ω_{n/h}^{bitrev(m)}`` (``table`` from ``_stage_table(…, bit_reversed=True)``).
    Unlike Cooley–Tukey's ``(a + ζb, a − ζb)``, neither output shares a product with the
    other, so XLA, which computes each output element on its own, multiplies once a pair.
    """
    batch, n = x.shape
    while h < n:
        a, b = _butterfly_view(x, h)
        d = _mm(_sub(a, b), _stage(table, n // (2 * h))[:, None])
        x = jnp.stack([_add(a, b), d], axis=2).reshape(batch, n)
        h *= 2
    return x


def _eval(x: Array, table: Array, blowup: int) -> Array:
    """Bit-reversed coefficients ``(batch, n)`` → evaluations on ``⟨ω_{blowup·n}⟩``.

    Zero-padded to ``blowup·n`` and bit-reversed, coefficient ``j`` sits at ``blowup·j``
    with zeros between, and the first ``log2(blowup)`` passes meet zero partners,
    ``(a, 0) → (a, a·ζ)``: they build the padded array from ``x`` directly.
    """
    batch, n = x.shape
    big = n * blowup
    y, h = x[:, :, None], 1
    while h < blowup:
        zeta = _stage(table, big // (2 * h))[:: blowup // (2 * h)]  # the twiddle of each a
        y = jnp.concatenate([y, _mm(y, zeta[:, None])], axis=2)
        h *= 2
    return _gs(y.reshape(batch, big), table, blowup)


@_kernel("interpolate")
def _interpolate(values: Array, table: Array, scale: Array) -> Array:
    n = values.shape[-1]
    return _dif(values.reshape(-1, n), table, scale).reshape(values.shape)


@_kernel("evaluate", static_argnums=(2,))
def _evaluate(coeffs: Array, table: Array, blowup: int) -> Array:
    n = coeffs.shape[-1]
    return _eval(coeffs.reshape(-1, n), table, blowup).reshape(*coeffs.shape[:-1], n * blowup)


@_kernel("lde", static_argnums=(3,))
def _lde(values: Array, inv_table: Array, table: Array, blowup: int, scale: Array) -> Array:
    n = values.shape[-1]
    coeffs = _dif(values.reshape(-1, n), inv_table, scale)  # bit-reversed, of f(3x)
    return _eval(coeffs, table, blowup).reshape(*values.shape[:-1], n * blowup)


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
    idx = _bitrev_iota(n.bit_length() - 1)
    return x.at[..., idx].get(mode="promise_in_bounds", unique_indices=True)


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


_INV_ROWS = 16  # Montgomery's trick down columns of this many elements


@_kernel("inv")
def _inv(a: Array) -> tuple[Array, Array]:
    """Batch inversion (Montgomery's trick) down the columns of ``a`` seen as ``(16, w)``:
    prefix products, one Fermat inversion per column, and the products walked back —
    about ``5 + 60/16`` products an element, in two scans and one loop. Returns the
    inverses and whether any element is 0."""
    n = a.size
    width = -(-n // _INV_ROWS)
    one = jnp.full(width * _INV_ROWS - n, _ONE_M, jnp.uint32)
    x = jnp.concatenate([_to_m(a.reshape(-1)), one]).reshape(_INV_ROWS, width)

    def forward(acc: Array, row: Array) -> tuple[Array, Array]:
        acc = _mm(acc, row)
        return acc, acc

    ones = jnp.full(width, _ONE_M, jnp.uint32)
    total, prefix = lax.scan(forward, ones, x)  # prefix[i] = x[0]·…·x[i]
    before = jnp.concatenate([ones[None], prefix[:-1]])

    def backward(inv_prefix: Array, row: tuple[Array, Array]) -> tuple[Array, Array]:
        xi, prev = row  # inv_prefix = (x[0]·…·x[i])^-1
        return _mm(inv_prefix, xi), _mm(inv_prefix, prev)

    _, inv = lax.scan(backward, _pow_m(total, P - 2), (x, before), reverse=True)
    out = _from_m(inv.reshape(-1)[:n]).reshape(a.shape)
    return out, jnp.any(total == 0)


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
    return jnp.stack([_sum_rows(jnp.concatenate(t, axis=-1), axis=-1) for t in terms])


@_kernel("poly_eval_ext")
def _poly_eval_ext(coeffs: Array, low: Array, high: Array) -> Array:
    """``Σ_j c_j·z^j`` per row of ``(k, n)``, with ``j = j_lo + n_lo·j_hi``: ``low`` holds
    ``z^j_lo`` ``(4, n_lo)`` in Montgomery form, ``high`` ``z^(n_lo·j_hi)`` as
    :func:`_fp4_m` gives it ``(2, 4, n_hi)``. Returns ``(k, 4)``."""
    k, n = coeffs.shape
    n_lo, n_hi = low.shape[-1], high.shape[-1]
    c = jnp.pad(coeffs, [(0, 0), (0, n_lo * n_hi - n)]).reshape(k, 1, n_hi, n_lo)
    inner = _sum_rows(_mm(c, low[None, :, None, :]), axis=-1)  # (k, 4, n_hi)
    terms = _ext_mul_m(inner.transpose(1, 0, 2), high[0][:, None], high[1][:, None])
    return _sum_rows(terms, axis=-1).T  # (k, 4)


# -- constraints --------------------------------------------------------------------


_FUSE_MAX_STEPS = 256
"""Larger constraint programs run step by step: in one fusion XLA recomputes every shared
subexpression in each of its consumers, which a deep program (a Poseidon2 circuit) turns
into an effectively endless kernel."""


@_kernel("constraints", static_argnums=(0, 1))
def _constraints(
    program: Program,
    taps: tuple[tuple[int, int, int], ...],
    groups: list[Array],
    x: Array,
    factors: Array,
    globals_: Array,
) -> Array:
    """One fused pass of a constraint program over the domain (see
    :meth:`Backend.eval_constraints`). Values are Montgomery-form arrays or, while
    constant, Python ints (canonical); the accumulators are Montgomery-form Fp4 arrays,
    scaled by their steps' ``factors`` (in :func:`_fp4_m` form, ``(k, 2, 4)``)."""

    def arr(v: Array | int) -> Array:
        return _mont(v) if isinstance(v, int) else v

    def binary(op: str, a: Array | int, b: Array | int) -> Array | int:
        if isinstance(a, int) and isinstance(b, int):
            return {"Add": a + b, "Sub": a - b, "Mul": a * b}[op] % P
        if op == "Add":
            return _add(arr(a), arr(b))
        if op == "Sub":
            return _sub(arr(a), arr(b))
        if isinstance(a, int):
            a, b = b, a
        return _mm(a, _mont(b)) if isinstance(b, int) else _mm(a, b)

    def term(value: Array | int, k: int) -> Array:
        """``value · factor_k`` as a Montgomery-form Fp4 array ``(4, ...)``."""
        return _mm(arr(value)[None], factors[k, 0].reshape((4,) + (1,) * x.ndim))

    values: list[Array | int] = []
    tots: list[Array | None] = []
    k = 0
    for op, *args in program.steps:
        if op == "Const":
            values.append(int(args[0]))
        elif op == "Get":
            i = args[0]
            if i < len(taps):
                g, c, shift = taps[i]
                values.append(_to_m(jnp.roll(groups[g][c], shift)))
            else:
                values.append(_to_m(x))
        elif op == "GetGlobal":
            if args[0] != 0:
                raise ValueError("only the public values (GetGlobal 0) are supported")
            values.append(_to_m(globals_[args[1]]))
        elif op in ("Add", "Sub", "Mul"):
            values.append(binary(op, values[args[0]], values[args[1]]))
        elif op == "True":
            tots.append(None)
        elif op == "AndEqz":
            t = term(values[args[1]], k)
            tots.append(t if tots[args[0]] is None else _add(tots[args[0]], t))
            k += 1
        elif op == "AndCond":
            inner, base = tots[args[2]], tots[args[0]]
            if inner is not None:
                shape = (4,) + (1,) * x.ndim
                prod = _ext_mul_m(inner, factors[k, 0].reshape(shape), factors[k, 1].reshape(shape))
                t = _mm(prod, arr(values[args[1]])[None])
                base = t if base is None else _add(base, t)
            tots.append(base)
            k += 1
        else:
            raise ValueError(f"unknown constraint op {op!r}")
    tot = tots[program.result]
    zeros = jnp.zeros((4, *x.shape), jnp.uint32)
    return zeros if tot is None else jnp.broadcast_to(_from_m(tot), zeros.shape)


def _stored(x: Array) -> Array:
    """``x``, materialized: XLA would otherwise fuse its computation into, and repeat it
    in, every consumer (an Fp4 product reads each input component four times)."""
    return lax.optimization_barrier(x)


def _ext_mul(a: Array, b: Array) -> Array:
    """Fp4 product of canonical ``(4, ...)`` arrays, materialized."""
    return _stored(_ext_mul_m(_stored(a), _to_m(b), _mm(b, U32(NBETA * _R2 % P))))


def _ext_inv(a: Array) -> Array:
    """Fp4 inverse of canonical ``(4, ...)`` arrays via the norm (see
    :meth:`Backend._ext_inv`), one Fermat inversion per element."""
    conj = jnp.stack([a[0], _sub(U32(0), a[1]), a[2], _sub(U32(0), a[3])])
    b = _ext_mul(a, conj)
    norm = _add(_mul(b[0], b[0]), _mm(_mm(b[2], b[2]), _mont(11 * MONT_R % P)))
    b_conj = jnp.stack([b[0], jnp.zeros_like(b[0]), _sub(U32(0), b[2]), jnp.zeros_like(b[0])])
    inv_norm = _pow_m(_stored(_to_m(norm)), P - 2)  # Montgomery: a product by it is canonical
    return _mm(_ext_mul(conj, b_conj), inv_norm[None])


@_kernel("deep", static_argnums=(0, 1, 2))
def _deep(
    terms: tuple[tuple[int, int, int], ...],
    u_lens: tuple[int, ...],
    root_lens: tuple[int, ...],
    matrices: list[Array],
    weights: Array,
    u: Array,
    roots: Array,
    x: Array,
) -> Array:
    """One fused pass of :meth:`Backend.deep`: ``weights`` ``(T, 4)`` in Montgomery form,
    ``u`` and ``roots`` the combos' canonical Fp4 constants concatenated ``(·, 4)``."""
    shape = (4,) + (1,) * x.ndim
    numerators: list[Array | None] = [None] * len(u_lens)
    for t, (k, mat, col) in enumerate(terms):
        term = _mm(matrices[mat][col][None], weights[t].reshape(shape))
        numerators[k] = _stored(term if numerators[k] is None else _add(numerators[k], term))
    x_m = _stored(_to_m(x))
    zero = jnp.zeros_like(x)
    x_ext = jnp.stack([x, zero, zero, zero])
    values, divisors = [], []
    u_at, r_at = 0, 0
    for numerator, u_len, r_len in zip(numerators, u_lens, root_lens, strict=True):
        u_val = jnp.zeros((4, *x.shape), jnp.uint32)
        for j in reversed(range(u_at, u_at + u_len)):  # Horner, Fp4 coefficients at base x
            u_val = _stored(_add(_mm(u_val, x_m[None]), u[j].reshape(shape)))
        divisor = None
        for j in range(r_at, r_at + r_len):
            factor = _sub(x_ext, roots[j].reshape(shape))
            divisor = factor if divisor is None else _ext_mul(divisor, factor)
        u_at, r_at = u_at + u_len, r_at + r_len
        values.append(_sub(U32(0), u_val) if numerator is None else _sub(numerator, u_val))
        divisors.append(divisor)
    # One inversion and one product for all combos: (4, combos, ...) arrays.
    quotients = _ext_mul(jnp.stack(values, axis=1), _ext_inv(jnp.stack(divisors, axis=1)))
    return _sum_rows(quotients, axis=1)


@_kernel("chunks", static_argnums=(0, 1, 2))
def _in_chunks(kernel: Callable, chunk: int, static: tuple, *arrays: Array) -> Array:
    """``kernel(*arrays, *static)`` as a loop over slices of ``chunk`` lanes: on the CPU each
    round's passes over the state then stay in the core's cache."""
    n = arrays[0].shape[-1]
    split = [jnp.moveaxis(a.reshape(*a.shape[:-1], n // chunk, chunk), -2, 0) for a in arrays]
    out = lax.map(lambda xs: kernel(*xs, *static), split)
    return jnp.moveaxis(out, 0, -2).reshape(*out.shape[1:-1], n)


@functools.cache
def _pool(pid: int, threads: int) -> ThreadPoolExecutor:
    """Threads that run hash pieces concurrently in process ``pid`` (a forked child gets
    its own)."""
    return ThreadPoolExecutor(max_workers=threads)


# -- the backend ------------------------------------------------------------------


@functools.partial(jax.jit, static_argnums=(1,))
def _pad_last(a: Array, size: int) -> Array:
    return jnp.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, size - a.shape[-1])])


@functools.partial(jax.jit, static_argnums=(1,))
def _slice_last(a: Array, size: int) -> Array:
    return a[..., :size]


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer))


def _scalar(x: int) -> np.ndarray:
    return np.asarray(int(x) % P, dtype=U32)


class JaxBackend(Backend):
    """Kernels as jit-compiled JAX on JAX's default device."""

    name = "jax"

    def __init__(self, min_batch: int | None = None, max_batch: int | None = None) -> None:
        """Hash kernels run on batches (rows, pairs, states) padded to a power of two of
        at least ``min_batch``, and in pieces of ``max_batch``: a few compiled shapes
        serve every Merkle layer. Defaults suit the platform (``2^8``/``2^16`` on the
        CPU, ``2^12``/``2^22`` on accelerators); powers of two."""
        cpu = jax.default_backend() == "cpu"
        self.min_batch = min_batch or (1 << 8 if cpu else 1 << 12)
        self.max_batch = max_batch or (1 << 16 if cpu else 1 << 22)
        if self.min_batch & (self.min_batch - 1) or self.max_batch & (self.max_batch - 1):
            raise ValueError("min_batch and max_batch must be powers of two")
        # On the CPU a hash piece is a loop over cache-sized chunks, which XLA runs on one
        # core, and the pieces run concurrently, one thread a core.
        self.chunk = _CPU_CHUNK if cpu else 0
        self.threads = (
            len(os.sched_getaffinity(0)) if cpu and hasattr(os, "sched_getaffinity") else 1
        )
        self._p2: dict[int, tuple[Poseidon2Params, _P2Consts]] = {}
        self._tables: dict[tuple, Array] = {}

    @property
    def on_accelerator(self) -> bool:
        """Whether JAX's default device is a GPU (or another accelerator), not the CPU."""
        return jax.default_backend() != "cpu"

    # -- transfers -------------------------------------------------------------------
    def asarray(self, host: np.ndarray) -> Array:
        if isinstance(host, jax.Array):
            return host if host.dtype == np.uint32 else host.astype(jnp.uint32)
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

    def _stages(self, log_n: int, inverse: bool, bit_reversed: bool = False) -> Array:
        key = ("stages", log_n, inverse, bit_reversed)
        return self._table(key, lambda: _stage_table(log_n, inverse, bit_reversed))

    def _shift(self, log_n: int, scale: int) -> Array:
        """``scale·3^bitrev(k)`` (Montgomery form) for ``k < n``."""

        def make() -> np.ndarray:
            table = powers(3, 1 << log_n) * np.uint64(scale) % np.uint64(P)
            return _mont(table[bit_reverse_indices(log_n)])

        return self._table(("shift", log_n, scale), make)

    # -- hashing ---------------------------------------------------------------------
    def _batched(self, kernel: Callable, arrays: list[Array], *static: Any) -> Array:
        """``kernel(*arrays, *static)`` over the last (batch) axis, padded to a power of two
        ``≥ min_batch`` and split into pieces of ``max_batch`` (on the CPU: at most a
        core's share, run concurrently); the result is ``(8, batch)`` or, for a
        permutation, the shape of the input."""
        m = arrays[0].shape[-1]
        size = max(1 << max(m - 1, 0).bit_length(), self.min_batch)
        if size > self.max_batch:
            size = -(-m // self.max_batch) * self.max_batch
        if size != m:
            arrays = [_pad_last(a, size) for a in arrays]
        step = self.max_batch
        if self.chunk and size >= 2 * self.chunk:
            share = 1 << ((size // self.threads).bit_length() - 1)  # a power of two
            step = max(min(step, share), self.chunk)

            def run(*piece: Array) -> Array:
                return _in_chunks(kernel, self.chunk, static, *piece).block_until_ready()

        else:

            def run(*piece: Array) -> Array:
                return kernel(*piece, *static)

        if size <= step:
            out = run(*arrays)
        else:
            starts = range(0, size, step)
            pieces = [[lax.dynamic_slice_in_dim(a, i, step, -1) for a in arrays] for i in starts]
            if self.threads > 1:
                done = _pool(os.getpid(), self.threads).map(lambda piece: run(*piece), pieces)
            else:
                done = (run(*piece) for piece in pieces)
            out = jnp.concatenate(list(done), axis=-1)
        return out if size == m else _slice_last(out, m)

    def _in_pieces(self, n: int, run: Callable[[slice], Array]) -> Array:
        """``run(piece)`` over slices of at most ``max_batch`` of the last axis, joined.

        For the kernels whose intermediates are many times their input (DEEP): in one
        call XLA would allocate, and the OS fault in, gigabytes of them each time."""
        step = self.max_batch
        if n <= step:
            return run(slice(0, n))
        return jnp.concatenate([run(slice(i, i + step)) for i in range(0, n, step)], axis=-1)

    def poseidon2_permute(self, states: Array, params: Poseidon2Params) -> Array:
        return self._batched(_p2_permute, [states], self._consts(params))

    def poseidon2_hash_rows(self, matrix: Array, params: Poseidon2Params) -> Array:
        return self._batched(_p2_hash_rows, [matrix], self._consts(params))

    def poseidon2_hash_pairs(self, left: Array, right: Array, params: Poseidon2Params) -> Array:
        return self._batched(_p2_hash_pairs, [left, right], self._consts(params))

    def sha256_compress(self, state: Array, block: Array) -> Array:
        return self._batched(_sha_compress, [state, block])

    def sha256_hash_rows(self, matrix: Array) -> Array:
        return self._batched(_sha_hash_rows, [matrix])

    def sha256_hash_pairs(self, left: Array, right: Array) -> Array:
        return self._batched(_sha_hash_pairs, [left, right])

    # -- NTT -------------------------------------------------------------------------
    def interpolate(self, values: Array) -> Array:
        n = values.shape[-1]
        inv_n = _mont(pow(n, P - 2, P))
        return _interpolate(values, self._stages(n.bit_length() - 1, True), inv_n)

    def evaluate(self, coeffs: Array, blowup: int = 1) -> Array:
        log_big = (coeffs.shape[-1] * blowup).bit_length() - 1
        return _evaluate(coeffs, self._stages(log_big, False, True), blowup)

    def zk_shift(self, coeffs: Array) -> Array:
        return _zk_shift(coeffs, self._shift(coeffs.shape[-1].bit_length() - 1, 1))

    def lde(self, values: Array, blowup: int) -> Array:
        n = values.shape[-1]
        log_n = n.bit_length() - 1
        log_big = (n * blowup).bit_length() - 1
        return _lde(
            values,
            self._stages(log_n, True),
            self._stages(log_big, False, True),
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

    def eval_constraints(
        self,
        program: Program,
        groups: Sequence[Array],
        taps: Sequence[tuple[int, int, int]],
        x: Array,
        poly_mix: Fp4,
        globals_: Sequence[int],
    ) -> Array:
        if len(program.steps) > _FUSE_MAX_STEPS:
            return super().eval_constraints(program, groups, taps, x, poly_mix, globals_)
        m = x.shape[-1]
        factors = [_fp4_m(f) for f in program.term_factors(poly_mix)] or [_fp4_m(Fp4.one())]
        return _constraints(
            program,
            tuple((int(g), int(c), int(shift) % m if m else 0) for g, c, shift in taps),
            list(groups),
            x,
            np.stack(factors),
            np.array([int(v) % P for v in globals_] or [0], dtype=U32),
        )

    def deep(
        self,
        matrices: Sequence[Array],
        terms: Sequence[tuple[int, int, int, Fp4]],
        u: Sequence[Sequence[Fp4]],
        roots: Sequence[Sequence[Fp4]],
        x: Array,
    ) -> Array:
        if not terms or any(not r for r in roots):
            return super().deep(matrices, terms, u, roots, x)
        flat = [c.c for coeffs in u for c in coeffs] or [(0, 0, 0, 0)]
        static = (
            tuple((int(k), int(mat), int(col)) for k, mat, col, _ in terms),
            tuple(len(c) for c in u),
            tuple(len(r) for r in roots),
        )
        weights = _mont(np.array([w.c for *_, w in terms]))
        u_flat = np.array(flat, dtype=U32)
        roots_flat = np.array([r.c for points in roots for r in points], dtype=U32)

        def piece(at: slice) -> Array:
            return _deep(*static, [m[:, at] for m in matrices], weights, u_flat, roots_flat, x[at])

        return self._in_pieces(x.shape[-1], piece)

    def poly_eval_ext(self, coeffs: Array, point: Fp4) -> np.ndarray:
        k, n = coeffs.shape
        if n == 0:
            return np.zeros((k, 4), dtype=U32)
        n_lo = 1 << ((n - 1).bit_length() + 1) // 2
        low = fp4_powers(point, n_lo)
        high = fp4_powers(point**n_lo, -(-n // n_lo))
        high_m = np.stack([_mont(high), _mont(high * np.uint64(NBETA) % np.uint64(P))])
        low_m = _mont(low)
        rows = max(1, self.max_batch * 16 // n)  # bounds the (rows, 4, n) products per call
        pieces = [_poly_eval_ext(coeffs[i : i + rows], low_m, high_m) for i in range(0, k, rows)]
        return np.concatenate([self.to_numpy(p) for p in pieces])


def use_compilation_cache(directory: str) -> None:
    """Keep XLA's compiled kernels in ``directory`` across processes.

    Process-wide JAX configuration, so for applications (the ``l2gpu`` command line
    calls it), not for library code; a cache directory the user configured wins.
    """
    if jax.config.jax_compilation_cache_dir:
        return
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
