"""Fibonacci: ``fib(0) = 0``, ``fib(1) = 1``, ``fib(k) = fib(k−1) + fib(k−2)`` in BabyBear.

Public input ``n ≥ 1``; public output ``fib(n) mod P`` (``P = 2013265921``): every value
is reduced modulo ``P``, so for ``n ≥ 47`` the output is the residue, not the integer.

Trace: ``2^po2 > n`` rows; row ``r`` holds ``a = fib(r)``, ``b = fib(r+1)`` and the flag
``act`` (1 for ``r < n``, then 0). The fixed ``code`` columns mark the first and the
last row and number the rows. The constraints pin ``a, b`` to Fibonacci from row 0 on,
force ``act`` to fall exactly once, at the row whose number is ``n``, and bind ``a``
there to the public output — row ``n``, not the last row. Steps are counted as the seed
project did: ``n + 2`` states for ``fib(n)``.
"""

from __future__ import annotations

import numpy as np

from ..field import P
from ..stark import ConstraintBuilder, Group, build_circuit
from .base import MAX_PO2, MIN_PO2, Execution, Program

GROUPS = (Group("code", 3), Group("data", 3, global_count=2))
FIRST, LAST, INDEX = 0, 1, 2  # code columns
A, B, ACT = 0, 1, 2  # data columns


def constraints(c: ConstraintBuilder) -> None:
    first, last, index = (c.tap("code", k) for k in (FIRST, LAST, INDEX))
    a, b, act = (c.tap("data", k) for k in (A, B, ACT))
    a1, b1, act1 = (c.tap("data", k, back=1) for k in (A, B, ACT))
    n, out = c.public(0), c.public(1)
    not_first = 1 - first
    c.assert_zero(first * a)  # fib(0) = 0
    c.assert_zero(first * (b - 1))  # fib(1) = 1
    c.assert_zero(not_first * (a - b1))
    c.assert_zero(not_first * (b - a1 - b1))
    c.assert_zero(act * (act - 1))  # act is a bit,
    c.assert_zero(first * (act - 1))  # starts at 1,
    c.assert_zero(last * act)  # ends at 0,
    c.assert_zero(not_first * act * (1 - act1))  # never rises,
    fall = not_first * (act1 - act)  # so falls exactly once:
    c.assert_zero(fall * (index - n))  # at row n,
    c.assert_zero(fall * (a - out))  # where a = fib(n) is the public output.


CIRCUIT = build_circuit("fibonacci", GROUPS, constraints)


def po2_for(n: int) -> int:
    """The trace size for ``fib(n)``: the smallest power of two above ``n``."""
    return max(MIN_PO2, int(n).bit_length())


class Fibonacci(Program):
    name = "fibonacci"
    circuit = CIRCUIT
    input_names = ("n",)
    output_names = ("fib_n",)

    def execute(self, *, n: int) -> Execution:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        n = int(n)
        po2 = po2_for(n)
        if po2 > MAX_PO2:
            raise ValueError(f"n = {n} needs 2^{po2} rows; at most 2^{MAX_PO2} are supported")
        rows = 1 << po2
        fib = np.empty(rows + 1, dtype=np.uint32)
        x, y = 0, 1
        for r in range(rows + 1):
            fib[r] = x
            x, y = y, (x + y) % P
        act = (np.arange(rows) < n).astype(np.uint32)
        data = np.stack([fib[:rows], fib[1:], act])
        return Execution(
            self.name, po2, (self.code(po2), data), {"n": n}, {"fib_n": int(fib[n])}, n + 2
        )

    def code(self, po2: int) -> np.ndarray:
        rows = 1 << po2
        code = np.zeros((3, rows), dtype=np.uint32)
        code[FIRST, 0] = 1
        code[LAST, -1] = 1
        code[INDEX] = np.arange(rows, dtype=np.uint32)
        return code
