"""The CuPy backend: hand-written CUDA kernels on an NVIDIA GPU.

The kernels are the files in ``l2gpu/kernels`` (its README describes each), assembled
into modules by :mod:`~l2gpu.backends.cuda_sources` — the Poseidon2 module once per
parameter set, the constraint kernel once per program (:mod:`~l2gpu.backends.cuda_codegen`)
— and compiled once each by NVRTC through ``cupy.RawModule``, which also caches the
binaries on disk, keyed by source and options. Arrays are ``cupy.ndarray`` of canonical
``uint32`` values and stay on the device between kernels; :meth:`CupyBackend.asarray`
takes JAX (or any DLPack) arrays without a copy where DLPack allows.

Memory plan: before an NTT over a batch of columns (a commitment's interpolation, shift
and expansion) the backend adds up what the call will allocate — its output, new twiddle
or shift tables, scratch per column — and compares it with the free device memory
(capped by ``memory_limit``). Scratch that does not fit for every column at once is
used for chunks of columns in turn; a call whose output and tables cannot fit is refused
with :class:`MemoryError` before anything is allocated.

The code here only orders launches: it talks to a device — :class:`CudaDevice` (CuPy),
or in the tests an emulator that runs the same kernel sources on the CPU — through
:class:`Device`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..field import ROU_FWD, ROU_REV, Fp4, P, fp4_powers, to_mont
from ..poseidon2 import Poseidon2Params
from . import cuda_codegen, cuda_sources
from .base import Backend

if TYPE_CHECKING:
    from ..stark.circuit import Program

Array = Any  # the device's array type
U32 = np.uint32
U64 = np.uint64

_EW_ADD, _EW_SUB, _EW_MUL, _EW_MUL_MONT = 0, 1, 2, 3  # elementwise.cu's EW_* operations
_EW_DIMS = 4  # elementwise.cu indexes at most this many (collapsed) dimensions
_INV_RUN = 16  # elements per thread of the batch inversion (ew_inv)
_POLY_STRIDE = 1 << 16  # most threads per row of poly_eval_partial
_MAX_GRID_Y = 65535  # CUDA's limit on the second grid dimension


class Device(Protocol):
    """What the backend needs from a device: arrays, compiled kernels, free memory."""

    xp: Any  # the array module (cupy)

    def is_array(self, obj: object) -> bool: ...
    def empty(self, shape: tuple[int, ...]) -> Array: ...
    def upload(self, host: np.ndarray) -> Array: ...
    def download(self, array: Array) -> np.ndarray: ...
    def from_dlpack(self, obj: object) -> Array: ...
    def kernel(self, source: str, name: str) -> Any: ...
    def free_bytes(self) -> int: ...


class CudaDevice:
    """The current CUDA device through CuPy; modules compiled by NVRTC on first use."""

    def __init__(self) -> None:
        import cupy

        self.xp = cupy
        self._kernels: dict[tuple[str, str], Any] = {}
        self._modules: dict[str, Any] = {}

    def is_array(self, obj: object) -> bool:
        return isinstance(obj, self.xp.ndarray)

    def empty(self, shape: tuple[int, ...]) -> Array:
        return self.xp.empty(shape, dtype=self.xp.uint32)

    def upload(self, host: np.ndarray) -> Array:
        return self.xp.asarray(host, dtype=self.xp.uint32)

    def download(self, array: Array) -> np.ndarray:
        return np.asarray(self.xp.asnumpy(array), dtype=U32)

    def from_dlpack(self, obj: object) -> Array:
        return self.xp.from_dlpack(obj)

    def kernel(self, source: str, name: str) -> Any:
        key = (source, name)
        if key not in self._kernels:
            module = self._modules.get(source)
            if module is None:
                module = self._modules[source] = self.xp.RawModule(
                    code=source, options=("-std=c++17",)
                )
            self._kernels[key] = module.get_function(name)
        return self._kernels[key]

    def free_bytes(self) -> int:
        free, _ = self.xp.cuda.runtime.memGetInfo()
        return int(free) + int(self.xp.get_default_memory_pool().free_bytes())


class _Module:
    """One assembled module and its launch width (the ``#define`` named ``threads``)."""

    def __init__(self, device: Device, source: str, threads: str) -> None:
        self.device = device
        self.source = source
        self.threads = cuda_sources.define(source, threads)

    def __call__(
        self, name: str, count: int, args: Sequence, grid: tuple[int, ...] | None = None
    ) -> None:
        """Launch kernel ``name`` over ``count`` threads (or on ``grid`` blocks)."""
        if grid is None:
            grid = (-(-count // self.threads),)
        if prod(grid):
            self.device.kernel(self.source, name)(grid, (self.threads,), tuple(args))


@dataclass(frozen=True)
class MemoryPlan:
    """How one call fits in device memory: ``columns`` per chunk, ``chunks`` chunks."""

    needed: int  # bytes the call would allocate with every column at once
    free: int  # bytes it may allocate
    columns: int
    chunks: int


def plan_columns(what: str, cols: int, fixed: int, per_column: int, free: int) -> MemoryPlan:
    """The largest column chunks that fit: ``fixed`` bytes (output, tables) plus
    ``per_column`` bytes of scratch for each column of a chunk, within ``free`` bytes.

    Raises :class:`MemoryError` naming ``what`` when not even one column fits.
    """
    needed = fixed + per_column * cols
    if needed <= free:
        return MemoryPlan(needed, free, max(cols, 1), 1)
    if per_column == 0 or free - fixed < per_column:
        raise MemoryError(
            f"{what} needs {_mib(fixed + per_column)} of device memory at the least "
            f"({_mib(needed)} at once) and {_mib(free)} is free: "
            "prove fewer rows or columns, or free device memory"
        )
    columns = (free - fixed) // per_column
    return MemoryPlan(needed, free, columns, -(-cols // columns))


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _log2(n: int) -> int:
    return n.bit_length() - 1


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer))


def _mont(x: int) -> int:
    return int(to_mont(int(x) % P))


def _fp4_mont(c: Fp4) -> np.ndarray:
    return to_mont(np.array(c.c, dtype=np.uint64))


def _strides_along(a: Array, shape: tuple[int, ...]) -> list[int]:
    """``a``'s element strides along ``shape``, which it broadcasts to: 0 where broadcast."""
    out = [0] * len(shape)
    offset = len(shape) - a.ndim
    for i, (size, stride) in enumerate(zip(a.shape, a.strides, strict=True)):
        if size != 1:
            out[offset + i] = stride // a.itemsize
    return out


def _collapse(
    shape: tuple[int, ...], strides: list[list[int]]
) -> tuple[list[int], list[list[int]]]:
    """Drop unit dimensions and merge neighbours that every operand walks as one."""
    dims: list[int] = []
    merged: list[list[int]] = [[] for _ in strides]
    for d, size in enumerate(shape):
        if size == 1:
            continue
        if dims and all(m[-1] == s[d] * size for m, s in zip(merged, strides, strict=True)):
            dims[-1] *= size
            for m, s in zip(merged, strides, strict=True):
                m[-1] = s[d]
        else:
            dims.append(size)
            for m, s in zip(merged, strides, strict=True):
                m.append(s[d])
    return dims, merged


class CupyBackend(Backend):
    """Kernels in CUDA C++ (``l2gpu/kernels``) on a CUDA device."""

    name = "cupy"

    def __init__(
        self,
        device: Device | None = None,
        *,
        memory_limit: int | None = None,
        ntt_log_tile: int = 12,
    ) -> None:
        """``memory_limit``: the most bytes one call may allocate (default: what is
        free). ``ntt_log_tile``: the NTT's shared-memory tile, ``2^k`` elements (at most
        12: 16 KiB; smaller tiles exercise the multi-launch paths on small inputs)."""
        if not 1 <= ntt_log_tile <= 12:
            raise ValueError(f"ntt_log_tile must be in 1..12, got {ntt_log_tile}")
        self._dev = device if device is not None else CudaDevice()
        self.memory_limit = memory_limit
        self.last_plan: MemoryPlan | None = None  # the memory plan of the last NTT call
        self._log_tile = ntt_log_tile
        self._ntt = _Module(
            self._dev,
            cuda_sources.assemble("ntt.cu", cuda_sources.ntt_prelude(ntt_log_tile)),
            "NTT_THREADS",
        )
        self._ew = _Module(self._dev, cuda_sources.assemble("elementwise.cu"), "EW_THREADS")
        self._fri = _Module(self._dev, cuda_sources.assemble("fri.cu"), "FRI_THREADS")
        self._sha = _Module(self._dev, cuda_sources.assemble("sha256.cu"), "SHA256_THREADS")
        self._p2: dict[Poseidon2Params, _Module] = {}
        self._constraint_modules: dict[tuple, _Module] = {}
        self._twiddles: dict[bool, tuple[int, Array]] = {}
        self._tables: dict[tuple, Array] = {}

    # -- transfers -------------------------------------------------------------------
    def asarray(self, host: Any) -> Array:
        dev = self._dev
        if dev.is_array(host):
            array = host
        elif isinstance(host, np.ndarray) or not hasattr(host, "__dlpack__"):
            return dev.upload(np.asarray(host, dtype=U32))
        else:
            try:  # JAX and other DLPack producers: shared, not copied, on the same device
                array = dev.from_dlpack(host)
            except Exception:  # another device, or a producer DLPack cannot take
                return dev.upload(np.asarray(host, dtype=U32))
        return array if array.dtype == U32 else array.astype(U32)

    def to_numpy(self, array: Array) -> np.ndarray:
        return self._dev.download(array)

    def _c(self, a: Array) -> Array:
        """A contiguous ``uint32`` device array of ``a``."""
        return self._dev.xp.ascontiguousarray(self.asarray(a))

    # -- hashing -----------------------------------------------------------------------
    def _poseidon2(self, p: Poseidon2Params) -> _Module:
        module = self._p2.get(p)
        if module is None:
            source = cuda_sources.assemble("poseidon2.cu", cuda_sources.poseidon2_prelude(p))
            module = self._p2[p] = _Module(self._dev, source, "P2_THREADS")
        return module

    def _pair_strides(self, a: Array) -> tuple[Array, int, int]:
        """``a`` (``(8, m)``) with its element strides, made contiguous if they are odd."""
        a = self.asarray(a)
        if any(s < 0 or s % a.itemsize for s in a.strides):
            a = self._c(a)
        return a, a.strides[0] // a.itemsize, a.strides[1] // a.itemsize

    def _check_pairs(self, left: Array, right: Array) -> int:
        if left.ndim != 2 or left.shape[0] != 8 or left.shape != right.shape:
            raise ValueError(f"pairs must be two (8, m) arrays, got {left.shape}, {right.shape}")
        return left.shape[1]

    def poseidon2_permute(self, states: Array, params: Poseidon2Params) -> Array:
        states = self._c(states)
        if states.ndim != 2 or states.shape[0] != params.width:
            raise ValueError(f"states must be ({params.width}, batch), got {states.shape}")
        out = self._dev.empty(states.shape)
        batch = states.shape[1]
        self._poseidon2(params)("poseidon2_permute", batch, [states, out, U64(batch)])
        return out

    def poseidon2_hash_rows(self, matrix: Array, params: Poseidon2Params) -> Array:
        matrix = self._c(matrix)
        cols, rows = matrix.shape
        out = self._dev.empty((8, rows))
        module = self._poseidon2(params)
        module("poseidon2_hash_rows", rows, [matrix, out, U64(rows), U32(cols)])
        return out

    def poseidon2_hash_pairs(self, left: Array, right: Array, params: Poseidon2Params) -> Array:
        return self._pairs(self._poseidon2(params), "poseidon2_hash_pairs", left, right)

    def _pairs(self, module: _Module, name: str, left: Array, right: Array) -> Array:
        left, l_row, l_col = self._pair_strides(left)
        right, r_row, r_col = self._pair_strides(right)
        m = self._check_pairs(left, right)
        out = self._dev.empty((8, m))
        args = [left, right, out, U64(m), U64(l_row), U64(l_col), U64(r_row), U64(r_col)]
        module(name, m, args)
        return out

    def sha256_compress(self, state: Array, block: Array) -> Array:
        state, block = self._c(state), self._c(block)
        m = state.shape[1]
        if state.shape != (8, m) or block.shape != (16, m):
            raise ValueError(
                f"need (8, m) states and (16, m) blocks, got {state.shape}, {block.shape}"
            )
        out = self._dev.empty((8, m))
        self._sha("sha256_compress", m, [state, block, out, U64(m)])
        return out

    def sha256_hash_rows(self, matrix: Array) -> Array:
        matrix = self._c(matrix)
        cols, rows = matrix.shape
        out = self._dev.empty((8, rows))
        self._sha("sha256_hash_rows", rows, [matrix, out, U64(rows), U32(cols)])
        return out

    def sha256_hash_pairs(self, left: Array, right: Array) -> Array:
        return self._pairs(self._sha, "sha256_hash_pairs", left, right)

    # -- NTT tables and the memory plan ---------------------------------------------------
    def _twiddle_table(self, log_n: int, inverse: bool) -> Array:
        """``ω_{2h}^e`` for every half-size ``h < 2^log_n`` (``ntt_twiddles``); one table
        per direction, replaced by a larger one when a larger NTT needs it."""
        cached = self._twiddles.get(inverse)
        if cached is not None and cached[0] >= log_n:
            return cached[1]
        count = (1 << log_n) - 1
        if count == 0:
            return self._constant(0)  # no stages: any valid pointer
        root = (ROU_REV if inverse else ROU_FWD)[log_n]
        pows = to_mont(np.array([pow(root, 1 << b, P) for b in range(log_n)], dtype=np.uint64))
        table = self._dev.empty((count,))
        args = [table, self._dev.upload(pows), U32(log_n - 1), U64(count)]
        self._ntt("ntt_twiddles", count, args)
        self._twiddles[inverse] = (log_n, table)
        return table

    def _shift_table(self, log_n: int, scale: int) -> Array:
        """``scale·3^bitrev(i)`` for ``i < 2^log_n`` (``ntt_shift_table``)."""
        key = ("shift", log_n, scale)
        table = self._tables.get(key)
        if table is None:
            pows = [pow(3, 1 << b, P) for b in range(log_n)] or [0]
            pows_dev = self._dev.upload(to_mont(np.array(pows, dtype=np.uint64)))
            table = self._tables[key] = self._dev.empty((1 << log_n,))
            args = [table, pows_dev, U32(_mont(scale)), U32(log_n)]
            self._ntt("ntt_shift_table", 1 << log_n, args)
        return table

    def _constant(self, value: int) -> Array:
        """A one-element table holding ``value`` in Montgomery form."""
        key = ("constant", value)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = self._dev.upload(np.array([_mont(value)], dtype=U32))
        return table

    def _table_bytes(self, log_n: int, inverse: bool | None, shift: int | None) -> int:
        """Bytes of the tables an NTT of ``2^log_n`` would still have to allocate."""
        total = 0
        cached = self._twiddles.get(inverse) if inverse is not None else None
        if inverse is not None and (cached is None or cached[0] < log_n):
            total += 4 << log_n
        if shift is not None and ("shift", log_n, shift) not in self._tables:
            total += 4 << log_n
        return total

    def _plan(self, what: str, cols: int, fixed: int, per_column: int = 0) -> MemoryPlan:
        free = self._dev.free_bytes()
        if self.memory_limit is not None:
            free = min(free, self.memory_limit)
        self.last_plan = plan_columns(what, cols, fixed, per_column, free)
        return self.last_plan

    # -- NTT launches ------------------------------------------------------------------------
    def _passes(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Stage bits ``lo … hi − 1`` as launches of at most ``tile − 5`` stages each (a tile
        keeps 32 consecutive positions per row): ``(first bit, stages)``, ascending."""
        count = hi - lo
        if count <= 0:
            return []
        most = max(1, self._log_tile - 5)
        launches = -(-count // most)
        out, bit = [], lo
        for i in range(launches):
            k = count // launches + (i < count % launches)
            out.append((bit, k))
            bit += k
        return out

    def _tile(
        self,
        dif: bool,
        src: Array,
        dst: Array,
        tw: Array,
        cols: int,
        log_n: int,
        stages: int,
        *,
        log_rep: int = 0,
        log_s: int = 0,
        log_w: int = 0,
        b_lo: int = 0,
        scale: Array | None = None,
        scale_mask: int = 0,
    ) -> None:
        """One ``ntt_dif_tile`` / ``ntt_dit_tile`` launch over ``cols`` columns of
        ``2^log_n`` (the parameters are the kernel's, see ntt.cu)."""
        total = cols << log_n
        if log_s:
            blocks = cols << (log_n - self._log_tile)
        else:
            blocks = -(-total // (1 << self._log_tile))
        args = [src, dst, tw, tw if scale is None else scale, U64(total), U32(cols), U32(log_n)]
        args += [U32(log_rep), U32(log_s), U32(log_w), U32(b_lo), U32(stages)]
        args += [U64(scale_mask), U32(scale is not None)]
        self._ntt("ntt_dif_tile" if dif else "ntt_dit_tile", 0, args, grid=(blocks,))

    def _strided(
        self, dif: bool, src: Array, dst: Array, tw: Array, cols: int, log_n: int, bit: int, k: int
    ) -> None:
        """Stages ``bit … bit + k − 1`` (half-sizes ``2^bit`` and up), tiles of rows
        ``2^bit`` apart with as many consecutive columns as fit."""
        log_w = min(bit, self._log_tile - k)
        self._tile(dif, src, dst, tw, cols, log_n, k, log_s=bit, log_w=log_w)

    def _dif(self, src: Array, dst: Array, cols: int, log_n: int, scale: Array, mask: int) -> None:
        """Interpolation order (DIF, ω^-1): natural ``src`` → bit-reversed ``dst``, each
        output times ``scale[pos & mask]``."""
        tw = self._twiddle_table(log_n, inverse=True)
        for bit, k in reversed(self._passes(self._log_tile, log_n)):
            self._strided(True, src, dst, tw, cols, log_n, bit, k)
            src = dst
        stages = min(log_n, self._log_tile)
        self._tile(True, src, dst, tw, cols, log_n, stages, scale=scale, scale_mask=mask)

    def _dit(self, src: Array, dst: Array, cols: int, log_n: int, log_rep: int) -> None:
        """Evaluation order (DIT, ω): ``src`` (bit-reversed, expanded ``2^log_rep``-fold) →
        natural ``dst`` with ``2^log_n`` per column."""
        tw = self._twiddle_table(log_n, inverse=False)
        stages = max(0, min(log_n, self._log_tile) - log_rep)
        self._tile(False, src, dst, tw, cols, log_n, stages, log_rep=log_rep, b_lo=log_rep)
        for bit, k in self._passes(max(self._log_tile, log_rep), log_n):
            self._strided(False, dst, dst, tw, cols, log_n, bit, k)

    # -- NTT -------------------------------------------------------------------------------
    def interpolate(self, values: Array) -> Array:
        values = self._c(values)
        n = values.shape[-1]
        if values.size == 0:
            return self._dev.empty(values.shape)
        log_n, cols = _log2(n), values.size // n
        inv_n = pow(n, P - 2, P)
        self._plan("interpolate", cols, 4 * values.size + self._table_bytes(log_n, True, None))
        out = self._dev.empty(values.shape)
        self._dif(values, out, cols, log_n, self._constant(inv_n), 0)
        return out

    def evaluate(self, coeffs: Array, blowup: int = 1) -> Array:
        coeffs = self._c(coeffs)
        n = coeffs.shape[-1]
        shape = (*coeffs.shape[:-1], n * blowup)
        if coeffs.size == 0:
            return self._dev.empty(shape)
        log_big, cols = _log2(n * blowup), coeffs.size // n
        fixed = 4 * cols * (n * blowup) + self._table_bytes(log_big, False, None)
        self._plan("evaluate", cols, fixed)
        out = self._dev.empty(shape)
        self._dit(coeffs, out, cols, log_big, _log2(blowup))
        return out

    def zk_shift(self, coeffs: Array) -> Array:
        coeffs = self._c(coeffs)
        n = coeffs.shape[-1]
        if coeffs.size == 0:
            return self._dev.empty(coeffs.shape)
        log_n = _log2(n)
        fixed = 4 * coeffs.size + self._table_bytes(log_n, None, 1)
        self._plan("zk_shift", coeffs.size // n, fixed)
        out = self._dev.empty(coeffs.shape)
        args = [coeffs, out, self._shift_table(log_n, 1), U64(n - 1), U64(coeffs.size)]
        self._ntt("ntt_scale", coeffs.size, args)
        return out

    def lde(self, values: Array, blowup: int) -> Array:
        values = self._c(values)
        n = values.shape[-1]
        big = n * blowup
        shape = (*values.shape[:-1], big)
        if values.size == 0:
            return self._dev.empty(shape)
        log_n, log_big, cols = _log2(n), _log2(big), values.size // n
        inv_n = pow(n, P - 2, P)
        tables = self._table_bytes(log_n, True, inv_n) + self._table_bytes(log_big, False, None)
        plan = self._plan("lde", cols, 4 * cols * big + tables, per_column=4 * n)
        out = self._dev.empty(shape)
        flat_in, flat_out = values.reshape(cols, n), out.reshape(cols, big)
        scratch = self._dev.empty((min(plan.columns, cols), n))
        shift = self._shift_table(log_n, inv_n)
        for start in range(0, cols, plan.columns):
            stop = min(cols, start + plan.columns)
            coeffs = scratch[: stop - start]
            self._dif(flat_in[start:stop], coeffs, stop - start, log_n, shift, n - 1)
            self._dit(coeffs, flat_out[start:stop], stop - start, log_big, _log2(blowup))
        return out

    def bit_reverse(self, x: Array) -> Array:
        x = self._c(x)
        out = self._dev.empty(x.shape)
        if x.size:
            args = [x, out, U32(_log2(x.shape[-1])), U64(x.size)]
            self._ntt("ntt_bit_reverse", x.size, args)
        return out

    # -- element-wise field arithmetic ----------------------------------------------------------
    def _walkable(self, a: Array) -> Array:
        """A ``uint32`` device array of ``a`` whose strides the kernels can walk."""
        a = self.asarray(a)
        return self._c(a) if any(s < 0 or s % a.itemsize for s in a.strides) else a

    def _broadcast(
        self, arrays: list[Array], shape: tuple[int, ...], lead: int = 0
    ) -> tuple[list[int], list[list[int]], list[Array]]:
        """``arrays`` broadcast to ``shape`` past their first ``lead`` axes (kept as they
        are: the Fp4 component axis), as four dimensions ``(n0, n1, n2, n3)`` with four
        element strides for each array. Arrays that would need more dimensions are
        materialized first (a rare 5-dimensional broadcast)."""
        views = [a[(0,) * lead] for a in arrays]
        dims, strides = _collapse(shape, [_strides_along(v, shape) for v in views])
        if len(dims) > _EW_DIMS:
            xp = self._dev.xp
            full = (*arrays[0].shape[:lead], *shape)
            arrays = [xp.ascontiguousarray(xp.broadcast_to(a, full)) for a in arrays]
            dims, strides = [prod(shape)], [[1] for _ in arrays]
        pad = _EW_DIMS - len(dims)
        return [1] * pad + dims, [[0] * pad + s for s in strides], arrays

    def _binary(self, op: int, a: Array | int, b: Array | int) -> Array:
        if _is_int(a) and _is_int(b):
            host = {_EW_ADD: a + b, _EW_SUB: a - b, _EW_MUL: a * b}[op] % P
            return self._dev.upload(np.asarray(host, dtype=U32))
        if op == _EW_MUL and _is_int(a):
            a, b = b, a
        scalars = [_is_int(a), _is_int(b)]
        arrays = [self._walkable(x) for x in (a, b) if not _is_int(x)]
        shape = np.broadcast_shapes(*(tuple(x.shape) for x in arrays))
        out = self._dev.empty(shape)
        total = prod(shape)
        if total == 0:
            return out
        dims, strides, arrays = self._broadcast(arrays, shape)
        values = [int(x) % P if _is_int(x) else 0 for x in (a, b)]
        if op == _EW_MUL and scalars[1]:
            op, values[1] = _EW_MUL_MONT, _mont(values[1])
        given = iter(zip(arrays, strides, strict=True))
        operands = [(out, [0] * _EW_DIMS) if scalar else next(given) for scalar in scalars]
        args = [U32(op), out, operands[0][0], operands[1][0]]
        args += [U32(scalars[0] | scalars[1] << 1), U32(values[0]), U32(values[1])]
        args += [U64(total), *(U64(d) for d in dims[1:])]
        args += [U64(s) for s in operands[0][1] + operands[1][1]]
        self._ew("ew_binary", total, args)
        return out

    def add(self, a: Array | int, b: Array | int) -> Array:
        return self._binary(_EW_ADD, a, b)

    def sub(self, a: Array | int, b: Array | int) -> Array:
        return self._binary(_EW_SUB, a, b)

    def mul(self, a: Array | int, b: Array | int) -> Array:
        return self._binary(_EW_MUL, a, b)

    def inv(self, a: Array) -> Array:
        a = self._c(a)
        out = self._dev.empty(a.shape)
        if a.size == 0:
            return out
        zero = self._dev.upload(np.zeros(1, dtype=U32))
        threads = -(-a.size // _INV_RUN)
        self._ew("ew_inv", threads, [a, out, zero, U64(a.size), U64(threads)])
        if self.to_numpy(zero)[0]:
            raise ValueError("cannot invert zero")
        return out

    def ext_mul(self, a: Array, b: Array | Fp4) -> Array:
        if isinstance(b, Fp4):
            a = self._c(a)
            out = self._dev.empty(a.shape)
            count = a.size // 4
            k = [U32(w) for w in _fp4_mont(b)]
            self._ew("ew_ext_mul_const", count, [out, a, U64(count), *k])
            return out
        a, b = self._walkable(a), self._walkable(b)
        if a.shape[:1] != (4,) or b.shape[:1] != (4,):
            raise ValueError(f"Fp4 arrays are (4, ...), got {a.shape} and {b.shape}")
        rest = np.broadcast_shapes(tuple(a.shape[1:]), tuple(b.shape[1:]))
        out = self._dev.empty((4, *rest))
        total = prod(rest)
        if total == 0:
            return out
        dims, strides, (a, b) = self._broadcast([a, b], rest, lead=1)
        args = [out, a, b, U64(total), *(U64(d) for d in dims[1:])]
        args += [U64(a.strides[0] // 4), *(U64(s) for s in strides[0])]
        args += [U64(b.strides[0] // 4), *(U64(s) for s in strides[1])]
        self._ew("ew_ext_mul", total, args)
        return out

    def roll(self, a: Array, shift: int) -> Array:
        a = self._c(a)
        out = self._dev.empty(a.shape)
        if a.size == 0:
            return out
        n = a.shape[-1]
        self._ew("ew_roll", a.size, [a, out, U64(n), U64(int(shift) % n), U64(a.size)])
        return out

    def fri_fold(self, coeffs: Array, mix: Fp4) -> Array:
        coeffs = self._c(coeffs)
        if coeffs.ndim != 2 or coeffs.shape[0] != 4 or coeffs.shape[1] % 16:
            raise ValueError(f"FRI folds (4, 16·m) coefficients, got {coeffs.shape}")
        count = coeffs.shape[1] // 16
        out = self._dev.empty((4, count))
        powers, cur = [], Fp4.one()
        for _ in range(16):
            powers.append(_fp4_mont(cur))
            cur = cur * mix
        pows = self._dev.upload(np.stack(powers))  # (16, 4): mix^k, component j at 4k + j
        self._fri("fri_fold", count, [coeffs, out, pows, U64(count)])
        return out

    def poly_eval_ext(self, coeffs: Array, point: Fp4) -> np.ndarray:
        coeffs = self._c(coeffs)
        k, n = coeffs.shape
        if k == 0 or n == 0:
            return np.zeros((k, 4), dtype=U32)
        stride = min(_POLY_STRIDE, max(self._fri.threads, 1 << (n - 1).bit_length()))
        low = self._dev.upload(to_mont(fp4_powers(point, stride)))
        blocks = stride // self._fri.threads
        step = [U32(w) for w in _fp4_mont(point**stride)]
        sums = []
        for start in range(0, k, _MAX_GRID_Y):  # a row per grid row
            rows = coeffs[start : start + _MAX_GRID_Y]
            partial = self._dev.empty((rows.shape[0], blocks, 4))
            args = [rows, partial, low, U64(n), U64(stride), *step]
            self._fri("poly_eval_partial", 0, args, grid=(blocks, rows.shape[0]))
            sums.append(self.to_numpy(partial).astype(U64).sum(axis=1) % U64(P))
        return np.concatenate(sums).astype(U32)

    # -- constraints ---------------------------------------------------------------------------
    def eval_constraints(
        self,
        program: Program,
        groups: Sequence[Array],
        taps: Sequence[tuple[int, int, int]],
        x: Array,
        poly_mix: Fp4,
        globals_: Sequence[int],
    ) -> Array:
        """The constraint program as one generated kernel (:mod:`.cuda_codegen`)."""
        x = self._c(x)
        m = x.shape[-1]
        taps = tuple((int(g), int(c), int(shift) % m) for g, c, shift in taps)
        key = (program.steps, program.result, taps, len(groups))
        module = self._constraint_modules.get(key)
        if module is None:
            source = cuda_codegen.kernel_source(program, taps, len(groups))
            module = self._constraint_modules[key] = _Module(self._dev, source, "EC_THREADS")
        mats = [self._c(g) for g in groups]
        for g in mats:
            if g.ndim != 2 or g.shape[1] != m:
                raise ValueError(f"group matrices must be (width, {m}), got {g.shape}")
        consts = self._dev.upload(cuda_codegen.constants(program, poly_mix, globals_))
        out = self._dev.empty((4, m))
        module(cuda_codegen.KERNEL, m, [*mats, x, consts, out, U64(m)])
        return out
