"""The circuit model: tap sets, the constraint builder and the constraint program."""

from __future__ import annotations

import numpy as np
import pytest

from l2gpu.field import Fp4, P
from l2gpu.programs import fibonacci, hello
from l2gpu.stark import ConstraintBuilder, Group, Program, TapSet, build_circuit
from l2gpu.stark.circuit import MAX_DEGREE, Register, ScalarOps


def random_fp4(rng: np.random.Generator) -> Fp4:
    return Fp4.of(int(v) for v in rng.integers(0, P, 4))


# -- TapSet ------------------------------------------------------------------------

# (group, column, back), deliberately out of order and with a duplicate.
HAND_TAPS = [(1, 0, 1), (0, 2, 0), (1, 0, 0), (0, 2, 0), (0, 1, 2), (0, 1, 0), (2, 3, 0)]


def test_tapset_registers_are_sorted_by_group_then_column():
    taps = TapSet.build(HAND_TAPS)
    assert taps.registers == (
        Register(group=0, column=1, backs=(0, 2), combo=0),
        Register(group=0, column=2, backs=(0,), combo=1),
        Register(group=1, column=0, backs=(0, 1), combo=2),
        Register(group=2, column=3, backs=(0,), combo=1),
    )


def test_tapset_combos_are_distinct_back_sets_in_first_seen_order():
    taps = TapSet.build(HAND_TAPS)
    assert taps.combos == ((0, 2), (0,), (0, 1))
    assert taps.combo_begin == (0, 2, 3, 5)
    assert taps.tot_combo_backs == 5
    assert taps.num_taps == 6  # the duplicate tap is counted once


def test_tapset_index_walks_registers_then_backs():
    taps = TapSet.build(HAND_TAPS)
    expected = {
        (0, 1, 0): 0,
        (0, 1, 2): 1,
        (0, 2, 0): 2,
        (1, 0, 0): 3,
        (1, 0, 1): 4,
        (2, 3, 0): 5,
    }
    assert {t: taps.index(*t) for t in expected} == expected
    for missing in [(0, 1, 1), (0, 0, 0), (3, 0, 0), (2, 3, 1)]:
        with pytest.raises(KeyError):
            taps.index(*missing)


def test_tapset_build_ignores_input_order():
    rng = np.random.default_rng(5)
    shuffled = [HAND_TAPS[i] for i in rng.permutation(len(HAND_TAPS))]
    a, b = TapSet.build(HAND_TAPS), TapSet.build(shuffled)
    assert a.registers == b.registers
    assert sorted(a.combos) == sorted(b.combos)


def test_empty_tapset():
    taps = TapSet.build([])
    assert taps.registers == () and taps.combos == ()
    assert taps.num_taps == 0 and taps.combo_begin == (0,)


# -- ConstraintBuilder -------------------------------------------------------------

GROUPS = (Group("code", 2), Group("data", 3, global_count=2))


def test_builder_rejects_unknown_group():
    b = ConstraintBuilder(GROUPS)
    with pytest.raises(ValueError, match="no group 'nosuch'"):
        b.tap("nosuch", 0)


@pytest.mark.parametrize(("group", "column"), [("code", 2), ("code", -1), ("data", 3)])
def test_builder_rejects_column_out_of_range(group, column):
    b = ConstraintBuilder(GROUPS)
    with pytest.raises(ValueError, match="no column"):
        b.tap(group, column)


def test_builder_rejects_negative_back():
    b = ConstraintBuilder(GROUPS)
    with pytest.raises(ValueError, match="back"):
        b.tap("data", 0, back=-1)


@pytest.mark.parametrize("index", [-1, 2, 5])
def test_builder_rejects_unknown_public(index):
    b = ConstraintBuilder(GROUPS)
    with pytest.raises(ValueError, match="public value"):
        b.public(index)


def _product_constraint(degree: int):
    def constraints(b: ConstraintBuilder) -> None:
        e = b.tap("data", 0)
        for k in range(1, degree):
            e = e * b.tap("data", k % 3, back=k)
        b.assert_zero(e)

    return constraints


def test_builder_accepts_degree_five():
    circuit = build_circuit("five", GROUPS, _product_constraint(MAX_DEGREE))
    assert circuit.degree == MAX_DEGREE == 5


@pytest.mark.parametrize("degree", [6, 7])
def test_builder_rejects_degree_above_five(degree):
    with pytest.raises(ValueError, match=f"degree {degree} exceeds 5"):
        build_circuit("too-high", GROUPS, _product_constraint(degree))


def test_degree_counts_multiplications_not_additions():
    def constraints(b: ConstraintBuilder) -> None:
        x, y = b.tap("data", 0), b.tap("data", 1)
        b.assert_zero(x + y + 7)  # degree 1
        b.assert_zero(3 * (x - y) * x)  # degree 2: constants are degree 0
        b.assert_zero(b.public(0) * b.public(1) + x)  # publics are degree 0

    assert build_circuit("d", GROUPS, constraints).degree == 2


def test_circuit_degrees():
    assert fibonacci.CIRCUIT.degree == 3
    assert hello.CIRCUIT.degree == 2


def test_group_index():
    assert fibonacci.CIRCUIT.group_index("code") == 0
    assert fibonacci.CIRCUIT.group_index("data") == 1
    with pytest.raises(KeyError):
        fibonacci.CIRCUIT.group_index("accum")


def test_builder_records_constants_reduced_and_taps_as_gets():
    def constraints(b: ConstraintBuilder) -> None:
        b.assert_zero(b.tap("data", 2, back=1) - (-1))

    circuit = build_circuit("c", GROUPS, constraints)
    assert circuit.program.steps == (
        ("True",),
        ("Get", 0),
        ("Const", P - 1),
        ("Sub", 0, 1),
        ("AndEqz", 0, 2),
    )
    assert circuit.program.result == 1
    assert circuit.taps.registers == (Register(1, 2, (1,), 0),)


# -- Program.run with ScalarOps ----------------------------------------------------


def test_program_run_by_hand():
    # tot = 1·(2·u0) + x·(2·u0 − 2), with u0 = 1 + 2x and poly_mix = x:
    # 2·u0 = 2 + 4x; 2·u0 − 2 = 4x; x·4x = 4x^2  →  2 + 4x + 4x^2.
    program = Program(
        steps=(
            ("True",),
            ("Const", 2),
            ("Get", 0),
            ("Mul", 0, 1),
            ("AndEqz", 0, 2),
            ("Sub", 2, 0),
            ("AndEqz", 1, 3),
        ),
        result=2,
    )
    x = Fp4((0, 1, 0, 0))
    ops = ScalarOps(x, [Fp4((1, 2, 0, 0))], [[], []])
    assert program.run(ops) == Fp4((2, 4, 4, 0))


def test_program_run_reduces_x4_and_reads_globals():
    # poly_mix = x^3, u0 = x^2, global g = 5:
    # acc1 = 0 + 1·(u0·u0) = x^4 = −11; mul = x^3
    # acc2 = acc1 + x^3·(g·u0 − g) = −11 + 5x^5 − 5x^3 = −11 − 55x − 5x^3
    program = Program(
        steps=(
            ("True",),
            ("Get", 0),
            ("Mul", 0, 0),
            ("AndEqz", 0, 1),
            ("GetGlobal", 0, 1),
            ("Mul", 2, 0),
            ("Sub", 3, 2),
            ("AndEqz", 1, 4),
        ),
        result=2,
    )
    ops = ScalarOps(Fp4((0, 0, 0, 1)), [Fp4((0, 0, 1, 0))], [[9, 5], []])
    assert program.run(ops) == Fp4((P - 11, P - 55, 0, P - 5))


def test_program_run_and_cond():
    # inner: True, then and_eqz(3) → (3, pm); and_cond(True, cond 2, inner) →
    # (0 + 2·3·1, 1·pm); then and_eqz(7) → tot = 6 + pm·7.
    program = Program(
        steps=(
            ("True",),
            ("True",),
            ("Const", 3),
            ("AndEqz", 1, 0),
            ("Const", 2),
            ("AndCond", 0, 1, 2),
            ("Const", 7),
            ("AndEqz", 3, 2),
        ),
        result=4,
    )
    pm = Fp4((4, 0, 1, 0))
    assert program.run(ScalarOps(pm, [], [[], []])) == Fp4.of(6) + pm * 7


def test_program_rejects_unknown_op():
    with pytest.raises(ValueError, match="unknown constraint op"):
        Program(steps=(("True",), ("Div", 0, 0)), result=0).run(ScalarOps(Fp4.one(), [], [[]]))


def test_fibonacci_program_matches_its_constraints():
    """The recorded program equals Σ poly_mix^k·c_k of the constraints written out."""
    circuit = fibonacci.CIRCUIT
    taps = circuit.taps
    rng = np.random.default_rng(11)
    for _ in range(5):
        u = [random_fp4(rng) for _ in range(taps.num_taps)] + [random_fp4(rng)]
        pm = random_fp4(rng)
        n, out = (int(v) for v in rng.integers(0, P, 2))

        def t(group, col, back=0, u=u):
            return u[taps.index(circuit.group_index(group), col, back)]

        first, last, index = t("code", 0), t("code", 1), t("code", 2)
        a, b, act = t("data", 0), t("data", 1), t("data", 2)
        a1, b1, act1 = t("data", 0, 1), t("data", 1, 1), t("data", 2, 1)
        nf = 1 - first
        fall = nf * (act1 - act)
        cs = [
            first * a,
            first * (b - 1),
            nf * (a - b1),
            nf * (b - a1 - b1),
            act * (act - 1),
            first * (act - 1),
            last * act,
            nf * act * (1 - act1),
            fall * (index - n),
            fall * (a - out),
        ]
        expected = Fp4.zero()
        for k, c in enumerate(cs):
            expected = expected + pm**k * c
        assert circuit.poly_ext(pm, u, [[n, out], []]) == expected
        # A wrong public value changes the result.
        assert circuit.poly_ext(pm, u, [[n, (out + 1) % P], []]) != expected


def test_fibonacci_taps():
    taps = fibonacci.CIRCUIT.taps
    # code columns at back 0; data columns at backs 0 and 1.
    assert [(r.group, r.column, r.backs) for r in taps.registers] == [
        (0, 0, (0,)),
        (0, 1, (0,)),
        (0, 2, (0,)),
        (1, 0, (0, 1)),
        (1, 1, (0, 1)),
        (1, 2, (0, 1)),
    ]
    assert taps.combos == ((0,), (0, 1))
    assert taps.num_taps == 9


# -- memory and the trace checker ----------------------------------------------------


def test_program_run_drops_values_after_their_last_use():
    """A domain-wide program holds only the arrays still to be read."""

    def constraints(b: ConstraintBuilder) -> None:
        for k in range(50):
            b.assert_zero(b.tap("data", 0) * k - b.tap("data", 1))

    circuit = build_circuit("chain", GROUPS, constraints)
    release = circuit.program._release
    assert len(release) == len(circuit.program.steps)
    held: set[int] = set()
    peak, values = 0, 0
    for step, (dead_values, _) in zip(circuit.program.steps, release, strict=True):
        if step[0] not in ("True", "AndEqz", "AndCond"):
            held.add(values)
            values += 1
        held -= set(dead_values)
        peak = max(peak, len(held))
    assert values > 150 and peak <= 4
    u = [Fp4.of(3), Fp4.of(5), Fp4.of(7)]
    pm = Fp4((1, 2, 3, 4))
    expected = Fp4.zero()
    for k in range(50):
        expected = expected + pm**k * (Fp4.of(3 * k) - 5)
    assert circuit.poly_ext(pm, u, [[1, 2], []]) == expected


def test_unsatisfied_names_the_broken_constraints_and_rows():
    execution = fibonacci.Fibonacci().execute(n=20)
    globals_ = fibonacci.Fibonacci().globals(execution.public_inputs, execution.public_outputs)
    assert fibonacci.CIRCUIT.unsatisfied(execution.trace, globals_) == {}
    code, data = (t.copy() for t in execution.trace)
    data[0, 9] = (int(data[0, 9]) + 1) % P  # breaks a = b₋₁ here and b = a₋₁ + b₋₁ next
    broken = fibonacci.CIRCUIT.unsatisfied((code, data), globals_)
    assert {k: v.tolist() for k, v in broken.items()} == {2: [9], 3: [10]}
    wrong_output = (globals_[0], (globals_[1][0], (globals_[1][1] + 1) % P))
    assert list(fibonacci.CIRCUIT.unsatisfied(execution.trace, wrong_output)) == [9]
