"""The Poseidon2 gadget: its witness is the permutation, and its constraints pin it."""

from __future__ import annotations

import numpy as np
import pyref
import pytest

from l2gpu import hashing
from l2gpu.field import P
from l2gpu.programs import poseidon2_air as p2
from l2gpu.stark import Group, build_circuit


def test_layout_sizes():
    assert (p2.WIDTH, p2.FULL_ROUNDS, p2.PARTIAL_ROUNDS) == (24, 8, 21)
    assert p2.COLUMNS == 8 * 48 + 21 * 2 == 426


def test_witness_outputs_are_the_permutation(field):
    states = field((24, 50))
    columns, out = p2.witness(states)
    assert columns.shape == (426, 50) and columns.dtype == out.dtype == np.uint32
    expected = hashing.permute(np.ascontiguousarray(states.T), backend="numpy").T
    assert np.array_equal(out, expected)
    ref = pyref.poseidon2("risc0-w24").permute(states[:, 7].tolist())
    assert out[:, 7].tolist() == ref


def test_witness_columns_are_cubes_and_sevenths(field):
    columns, _ = p2.witness(field((24, 3)))
    x = columns.astype(object)
    for r in range(8):
        cubes, outs = x[48 * r : 48 * r + 24], x[48 * r + 24 : 48 * r + 48]
        assert all(
            pow(int(c), 7, P) == pow(int(o), 3, P)  # (x^3)^7 = (x^7)^3
            for c, o in zip(cubes.ravel(), outs.ravel(), strict=True)
        )


def test_witness_rejects_wrong_width():
    with pytest.raises(ValueError, match="24"):
        p2.witness(np.zeros((16, 2), dtype=np.uint32))


# -- the constraints -----------------------------------------------------------------

WIDTH = 24 + p2.COLUMNS + 24


def _constraints(c):
    ins = [c.tap("data", i) for i in range(24)]
    outs = p2.constrain(c, "data", 24, ins)
    for i, o in enumerate(outs):  # expose the outputs in columns, to check them
        c.assert_zero(o - c.tap("data", 24 + p2.COLUMNS + i))


CIRCUIT = build_circuit("poseidon2-gadget", (Group("data", WIDTH),), _constraints)


def _trace(field) -> np.ndarray:
    states = field((24, 16))
    columns, out = p2.witness(states)
    return np.vstack([states, columns, out])


def test_gadget_degree_and_size():
    assert CIRCUIT.degree == 3
    assert len([s for s in CIRCUIT.program.steps if s[0] == "AndEqz"]) == 426 + 24


def test_honest_gadget_trace_satisfies_every_constraint(field):
    assert CIRCUIT.unsatisfied([_trace(field)], [()]) == {}


@pytest.mark.parametrize(
    "column",
    [0, 23, 24, 24 + 47, 24 + 48 * 4 + 30, 24 + 383, 24 + 384, 24 + 425, 24 + 426 + 5],
    ids=["input0", "input23", "cube0", "out7", "round4", "lastout", "pcube0", "pout20", "output"],
)
def test_any_changed_cell_breaks_a_constraint(field, column):
    trace = _trace(field)
    trace[column, 5] = (int(trace[column, 5]) + 1) % P
    broken = CIRCUIT.unsatisfied([trace], [()])
    assert broken and all(rows.tolist() == [5] for rows in broken.values())


def test_constant_inputs_and_degree_check():
    def constant_capacity(c):
        ins = [c.tap("data", i) for i in range(16)]
        p2.constrain(c, "data", 24, [*ins, *[0] * 8])

    build_circuit("ok", (Group("data", WIDTH),), constant_capacity)

    def squared_input(c):
        x = c.tap("data", 0)
        p2.constrain(c, "data", 24, [x * x, *[0] * 23])

    with pytest.raises(ValueError, match="degree"):
        build_circuit("bad", (Group("data", WIDTH),), squared_input)
    with pytest.raises(ValueError, match="24 inputs"):
        build_circuit("bad", (Group("data", WIDTH),), lambda c: p2.constrain(c, "data", 24, [0]))
