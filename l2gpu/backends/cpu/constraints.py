"""The constraint program over an evaluation domain, for the ``cpu`` backend.

A program is translated once (per program and tap list) into a table of instructions
over numbered slots: value slots hold base-field values, accumulator slots the Fp4 ``tot``
of an accumulator, and a slot is reused once the program has read its value for the last
time, so even the 426-column Poseidon2 circuits need only a few hundred. The numba kernel
runs the table block by block of points (``_BLOCK``, so the slots of a block stay in
cache), one vectorized loop over the block per instruction, blocks spread over the cores.
The accumulators' ``poly_mix`` powers are per call: each ``AndEqz``/``AndCond`` scales
its term by an Fp4 constant, passed as Montgomery words, so new challenges never
recompile anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numba import get_num_threads, njit, prange
from numba.typed import List

from ...field import NBETA, Fp4
from .field import U32, add, mont, mont_mul, mul, sub

_BLOCK = 512
_CONST, _GET, _GLOBAL, _ADD, _SUB, _MUL, _TRUE, _EQZ, _COND = range(9)
_OPS = {"Add": _ADD, "Sub": _SUB, "Mul": _MUL}


class _Slots:
    """Slot numbers handed out and taken back (a free list)."""

    def __init__(self) -> None:
        self.free: list[int] = []
        self.count = 0

    def take(self) -> int:
        if self.free:
            return self.free.pop()
        self.count += 1
        return self.count - 1


@lru_cache(maxsize=32)
def _compile(program, taps: tuple[tuple[int, int, int], ...]) -> tuple[np.ndarray, int, int, int]:
    """The instruction table ``(op, dst, a, b, c, k)`` of ``program``, its value and
    accumulator slot counts, and the accumulator slot of the result."""
    values, accs = _Slots(), _Slots()
    value_slot: list[int] = []
    acc_slot: list[int] = []
    code = []
    k = 0
    for step, (dead_values, dead_accs) in zip(program.steps, program._release, strict=True):
        op, args = step[0], step[1:]
        if op in ("True", "AndEqz", "AndCond"):
            dst = accs.take()
            if op == "True":
                code.append((_TRUE, dst, 0, 0, 0, 0))
            elif op == "AndEqz":
                code.append((_EQZ, dst, acc_slot[args[0]], value_slot[args[1]], 0, k))
                k += 1
            else:
                a, c = acc_slot[args[0]], acc_slot[args[2]]
                code.append((_COND, dst, a, value_slot[args[1]], c, k))
                k += 1
            acc_slot.append(dst)
        else:
            if op == "Const":
                row = (_CONST, int(args[0]), 0, 0)
            elif op == "Get":
                if args[0] > len(taps):
                    raise ValueError(f"Get {args[0]}: there are {len(taps)} taps")
                row = (_GET, int(args[0]), 0, 0)
            elif op == "GetGlobal":
                if args[0] != 0:
                    raise ValueError("only the public values (GetGlobal 0) are supported")
                row = (_GLOBAL, int(args[1]), 0, 0)
            elif op in _OPS:
                row = (_OPS[op], value_slot[args[0]], value_slot[args[1]], 0)
            else:
                raise ValueError(f"unknown constraint op {op!r}")
            dst = values.take()
            code.append((row[0], dst, *row[1:], 0))
            value_slot.append(dst)
        values.free.extend(value_slot[v] for v in dead_values)
        accs.free.extend(acc_slot[a] for a in dead_accs)
    table = np.array(code, dtype=np.int64).reshape(-1, 6)
    return table, max(values.count, 1), max(accs.count, 1), acc_slot[program.result]


def _factors(program, poly_mix: Fp4) -> tuple[np.ndarray, np.ndarray]:
    """Per ``AndEqz``/``AndCond`` step, in order, its accumulator's ``poly_mix`` power
    ``f``: as 4 Montgomery words, and as the 4×4 matrix of ``y ↦ y·f`` on Fp4 (for the
    ``AndCond`` products of two Fp4 values)."""
    factors = program.term_factors(poly_mix)
    words = np.array([[mont(c) for c in f.c] for f in factors] or [[0] * 4], dtype=U32)
    matrix = np.zeros((len(words), 4, 4), dtype=U32)
    for k, f in enumerate(factors):
        for i in range(4):
            for j in range(4):  # (y·f)_i = Σ_j y_j f_{i−j}, with x^4 = −11 past degree 3
                c = f.c[i - j] if j <= i else f.c[i - j + 4] * NBETA
                matrix[k, i, j] = mont(c)
    return words, matrix


@njit(cache=True)
def _run_block(code, taps, groups, x, glob, words, matrix, vals, tots, j0, nb, m):
    """Run the instruction table on points ``j0 … j0+nb`` into the scratch slots."""
    for row in range(code.shape[0]):
        op, dst, a, b, c, k = (
            code[row, 0],
            code[row, 1],
            code[row, 2],
            code[row, 3],
            code[row, 4],
            code[row, 5],
        )
        v = vals[dst]
        if op == _CONST:
            for j in range(nb):
                v[j] = U32(a)
        elif op == _GLOBAL:
            g = glob[a]
            for j in range(nb):
                v[j] = g
        elif op == _GET:
            if a == taps.shape[0]:
                for j in range(nb):
                    v[j] = x[j0 + j]
            else:
                src = groups[taps[a, 0]][taps[a, 1]]
                start = (j0 - taps[a, 2]) % m  # out[j] = src[(j − shift) mod m]
                first = min(nb, m - start)
                for j in range(first):
                    v[j] = src[start + j]
                for j in range(first, nb):
                    v[j] = src[j - first]
        elif op == _ADD:
            va, vb = vals[a], vals[b]
            for j in range(nb):
                v[j] = add(va[j], vb[j])
        elif op == _SUB:
            va, vb = vals[a], vals[b]
            for j in range(nb):
                v[j] = sub(va[j], vb[j])
        elif op == _MUL:
            va, vb = vals[a], vals[b]
            for j in range(nb):
                v[j] = mul(va[j], vb[j])
        elif op == _TRUE:
            t = tots[dst]
            for i in range(4):
                for j in range(nb):
                    t[i, j] = U32(0)
        elif op == _EQZ:  # tot + value·f
            t, base, vb = tots[dst], tots[a], vals[b]
            for i in range(4):
                f = words[k, i]
                for j in range(nb):
                    t[i, j] = add(base[i, j], mont_mul(vb[j], f))
        else:  # _COND: tot + cond·(inner·f)
            t, base, vb, inner = tots[dst], tots[a], vals[b], tots[c]
            for i in range(4):
                for j in range(nb):
                    y = mont_mul(inner[0, j], matrix[k, i, 0])
                    y = add(y, mont_mul(inner[1, j], matrix[k, i, 1]))
                    y = add(y, mont_mul(inner[2, j], matrix[k, i, 2]))
                    y = add(y, mont_mul(inner[3, j], matrix[k, i, 3]))
                    t[i, j] = add(base[i, j], mul(y, vb[j]))


@njit(cache=True, parallel=True)
def _kernel(code, taps, groups, x, glob, words, matrix, n_vals, n_accs, result, out, parts):
    m = x.shape[0]
    blocks = (m + _BLOCK - 1) // _BLOCK
    for part in prange(parts):
        vals = np.empty((n_vals, _BLOCK), dtype=U32)
        tots = np.empty((n_accs, 4, _BLOCK), dtype=U32)
        for blk in range(blocks * part // parts, blocks * (part + 1) // parts):
            j0 = blk * _BLOCK
            nb = min(_BLOCK, m - j0)
            _run_block(code, taps, groups, x, glob, words, matrix, vals, tots, j0, nb, m)
            for i in range(4):
                for j in range(nb):
                    out[i, j0 + j] = tots[result, i, j]


def eval_constraints(
    program,
    groups: Sequence[np.ndarray],
    taps: Sequence[tuple[int, int, int]],
    x: np.ndarray,
    poly_mix: Fp4,
    globals_: Sequence[int],
) -> np.ndarray:
    """``Backend.eval_constraints``: the program's ``Σ_k poly_mix^k · c_k`` at every
    point of the domain, ``(4, m)``."""
    taps = tuple((int(g), int(c), int(s)) for g, c, s in taps)
    code, n_vals, n_accs, result = _compile(program, taps)
    words, matrix = _factors(program, poly_mix)
    x = np.ascontiguousarray(x, dtype=U32)
    m = x.shape[0]
    out = np.zeros((4, m), dtype=U32)
    if m == 0:
        return out
    mats = List()
    for g in groups:
        mats.append(np.ascontiguousarray(g, dtype=U32))
    if not len(mats):
        mats.append(np.zeros((1, m), dtype=U32))  # fixes the list's type; no tap reads it
    tap_table = np.array(taps, dtype=np.int64).reshape(-1, 3)
    glob = np.array([int(v) for v in globals_] or [0], dtype=U32)
    parts = min((m + _BLOCK - 1) // _BLOCK, 4 * get_num_threads())
    _kernel(code, tap_table, mats, x, glob, words, matrix, n_vals, n_accs, result, out, parts)
    return out
