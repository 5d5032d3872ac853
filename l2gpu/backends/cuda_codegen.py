"""Constraint programs as CUDA kernels: :meth:`Backend.eval_constraints` in one launch.

:func:`kernel_source` turns a program's steps into a kernel ``eval_constraints`` with
one thread per point of the domain; :func:`constants` gives the values it reads at run
time. Both walk the program with :meth:`Program.run` and decide the same way when an
accumulator is still zero, so the kernel's constant slots and the constants agree.

The kernel's parameters are the group matrices ``g0, g1, …`` (``(width, m)`` each), the
points ``x (m,)``, the constants ``k`` and the output ``out (4, m)``, then ``m``. The
constants are, in Montgomery form: the public values the program reads
(``GetGlobal 0 i`` at ``k[i]``), then one Fp4 multiplier per term added to an
accumulator (``poly_mix^t`` along the way, as :class:`~l2gpu.backends.base._DomainOps`
tracks it on the host).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..field import Fp4, P, to_mont
from .cuda_sources import expand

if TYPE_CHECKING:
    from ..stark.circuit import Program

KERNEL = "eval_constraints"


def _globals_read(program: Program) -> int:
    """How many public values the program reads: one past the largest offset."""
    offsets = [step[2] for step in program.steps if step[0] == "GetGlobal"]
    return max(offsets, default=-1) + 1


class _SourceOps:
    """Runs a program into lines of CUDA: values are expressions naming registers."""

    def __init__(self, taps: Sequence[tuple[int, int, int]], first_slot: int) -> None:
        self.taps = list(taps)
        self.first_slot = first_slot
        self.lines: list[str] = []
        self.loaded: dict[int, str] = {}
        self.slots = 0
        self.count = 0

    def _define(self, kind: str, name: str, expr: str) -> str:
        self.lines.append(f"  const {kind} {name} = {expr};")
        return name

    def _value(self, expr: str) -> str:
        self.count += 1
        return self._define("u32", f"v{self.count}", expr)

    def _slot(self) -> str:
        self.slots += 1
        return f"ec_const(k, {self.first_slot}u, {self.slots - 1}u)"

    def const(self, c: int) -> str:
        return f"{to_mont(int(c) % P)}u"

    def get(self, i: int) -> str:
        if i not in self.loaded:
            if i == len(self.taps):
                expr = "fp_to_mont(x[j])"
            elif 0 <= i < len(self.taps):
                g, c, shift = self.taps[i]
                expr = f"ec_tap(g{g} + {int(c)}ull * m, j, {int(shift)}ull, m)"
            else:
                raise ValueError(f"Get {i}: there are {len(self.taps)} taps (and the point)")
            self.loaded[i] = self._define("u32", f"t{i}", expr)
        return self.loaded[i]

    def get_global(self, base: int, offset: int) -> str:
        if base != 0:
            raise ValueError("only the public values (GetGlobal 0) are supported")
        return f"k[{int(offset)}]"

    def add(self, a: str, b: str) -> str:
        return self._value(f"fp_add({a}, {b})")

    def sub(self, a: str, b: str) -> str:
        return self._value(f"fp_sub({a}, {b})")

    def mul(self, a: str, b: str) -> str:
        return self._value(f"fp_mul_mont({a}, {b})")

    def true(self) -> tuple[str | None, None]:
        return None, None

    def _accumulate(self, tot: str | None, term: str) -> tuple[str, None]:
        self.count += 1
        expr = term if tot is None else f"fp4_add({tot}, {term})"
        return self._define("fp4", f"a{self.count}", expr), None

    def and_eqz(self, acc: tuple, value: str) -> tuple[str, None]:
        return self._accumulate(acc[0], f"fp4_scale_mont({self._slot()}, {value})")

    def and_cond(self, acc: tuple, cond: str, inner: tuple) -> tuple[str | None, None]:
        if inner[0] is None:
            return acc[0], None
        term = f"fp4_scale_mont(fp4_mul_mont({inner[0]}, {self._slot()}), {cond})"
        return self._accumulate(acc[0], term)


class _ConstantOps:
    """Runs a program on the host for the multipliers of its terms, in kernel order."""

    def __init__(self, poly_mix: Fp4) -> None:
        self.poly_mix = poly_mix
        self.multipliers: list[Fp4] = []

    def const(self, c: int) -> None:
        return None

    def get(self, i: int) -> None:
        return None

    def get_global(self, base: int, offset: int) -> None:
        return None

    def add(self, a: None, b: None) -> None:
        return None

    sub = mul = add

    def true(self) -> tuple[bool | None, Fp4]:
        return None, Fp4.one()

    def and_eqz(self, acc: tuple, value: None) -> tuple[bool, Fp4]:
        self.multipliers.append(acc[1])
        return True, acc[1] * self.poly_mix

    def and_cond(self, acc: tuple, cond: None, inner: tuple) -> tuple[bool | None, Fp4]:
        if inner[0] is None:
            return acc[0], acc[1] * inner[1]
        self.multipliers.append(acc[1])
        return True, acc[1] * inner[1]


def kernel_source(program: Program, taps: Sequence[tuple[int, int, int]], groups: int) -> str:
    """The assembled CUDA module for ``program`` with ``taps`` (``(group, column, shift)``
    per ``Get`` index, ``shift`` smaller than the domain) over ``groups`` group matrices."""
    ops = _SourceOps(taps, _globals_read(program))
    result = program.run(ops)
    params = [f"const u32* __restrict__ g{i}" for i in range(groups)]
    params += [
        "const u32* __restrict__ x",
        "const u32* __restrict__ k",
        "u32* __restrict__ out",
        "u64 m",
    ]
    body = "\n".join(ops.lines)
    text = (
        '#include "constraints.cuh"\n\n'
        f'extern "C" __global__ void __launch_bounds__(EC_THREADS)\n'
        f"    {KERNEL}({', '.join(params)}) {{\n"
        "  u64 j = (u64)blockIdx.x * blockDim.x + threadIdx.x;\n"
        "  if (j >= m) return;\n"
        f"{body}\n"
        f"  ec_store(out, j, m, {result or 'fp4_zero()'});\n"
        "}\n"
    )
    return expand(text)


def constants(program: Program, poly_mix: Fp4, globals_: Sequence[int]) -> np.ndarray:
    """The kernel's constants buffer for one evaluation (``uint32``, never empty)."""
    ops = _ConstantOps(poly_mix)
    program.run(ops)
    words = [int(globals_[i]) % P for i in range(_globals_read(program))]
    words += [c for m in ops.multipliers for c in m.c]
    return to_mont(np.array(words or [0], dtype=np.uint64))
