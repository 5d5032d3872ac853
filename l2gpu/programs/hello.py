"""RISC Zero's "hello" test circuit (hello-m3): one column per group, a column of bits.

Constraints: ``accum = 0``, ``code = 0``, ``data·(data − 1) = 0``. Its real seal at
``po2 = 12`` verifies with this declaration.
"""

from __future__ import annotations

from ..stark.circuit import ConstraintBuilder, Group, build_circuit

GROUPS = (Group("accum", 1), Group("code", 1), Group("data", 1))


def constraints(b: ConstraintBuilder) -> None:
    accum, code, data = b.tap("accum", 0), b.tap("code", 0), b.tap("data", 0)
    b.assert_zero(accum)
    b.assert_zero(code)
    b.assert_zero(data * (data - 1))


CIRCUIT = build_circuit("hello-m3", GROUPS, constraints)
