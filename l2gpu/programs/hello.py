"""RISC Zero's "hello" test circuit (hello-m3): one column per group, a column of bits.

Constraints: ``accum = 0``, ``code = 0``, ``data·(data − 1) = 0``. RISC Zero's real seal
for it at ``po2 = 12`` verifies with this declaration. Its witness is any column of bits.
"""

from __future__ import annotations

import numpy as np

from ..stark import ConstraintBuilder, Group, build_circuit
from .base import Execution, Program, check_po2

GROUPS = (Group("accum", 1), Group("code", 1), Group("data", 1))


def constraints(b: ConstraintBuilder) -> None:
    accum, code, data = b.tap("accum", 0), b.tap("code", 0), b.tap("data", 0)
    b.assert_zero(accum)
    b.assert_zero(code)
    b.assert_zero(data * (data - 1))


CIRCUIT = build_circuit("hello-m3", GROUPS, constraints)


class Hello(Program):
    """Proves that a column of ``2^po2`` values holds only bits."""

    name = "hello"
    circuit = CIRCUIT

    def execute(self, *, po2: int = 12, seed: int = 0, bits: np.ndarray | None = None) -> Execution:
        """The trace for ``bits`` (or ``2^po2`` random bits from ``seed``)."""
        if bits is None:
            check_po2(po2)
            bits = np.random.default_rng(seed).integers(0, 2, 1 << po2, dtype=np.uint32)
        bits = np.asarray(bits, dtype=np.uint32).ravel()
        po2 = check_po2(int(bits.size).bit_length() - 1)
        if bits.size != 1 << po2 or bits.max(initial=0) > 1:
            raise ValueError("bits must be 0s and 1s, a power-of-two count")
        zeros = np.zeros((1, bits.size), dtype=np.uint32)
        return Execution(self.name, po2, (zeros, zeros, bits[None]), {}, {}, bits.size)

    def code(self, po2: int) -> np.ndarray:
        return np.zeros((1, 1 << po2), dtype=np.uint32)
