"""The prover's whole-domain hooks, ``Backend.eval_constraints`` and ``Backend.deep``.

References are plain Fp4 scalar arithmetic point by point — for the constraints, the
verifier's own evaluation (:class:`ScalarOps`) on the tap values — and every backend
must agree with numpy's on all points: random programs use every step kind
(``AndCond`` included, which the builder does not emit but RISC Zero's programs do).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu import backends
from l2gpu.field import Fp4, P
from l2gpu.stark.circuit import Program, ScalarOps


def random_program(seed: int, num_taps: int, num_globals: int) -> Program:
    """A straight-line program over ``num_taps`` taps, ``x`` and the globals: random
    arithmetic, constraints on an outer accumulator and a conditional inner one."""
    r = np.random.default_rng(seed)
    steps: list[tuple] = [("True",)]
    values = 0

    def push(step: tuple) -> int:
        nonlocal values
        steps.append(step)
        values += 1
        return values - 1

    for i in range(num_taps + 1):  # Get num_taps reads x
        push(("Get", i))
    for k in range(num_globals):
        push(("GetGlobal", 0, k))
    push(("Const", int(r.integers(0, P))))
    for _ in range(12):
        op = ("Add", "Sub", "Mul")[r.integers(0, 3)]
        push((op, int(r.integers(0, values)), int(r.integers(0, values))))
    accs, outer = 1, 0
    for _ in range(3):
        steps.append(("AndEqz", outer, int(r.integers(0, values))))
        outer, accs = accs, accs + 1
    steps.append(("True",))
    inner, accs = accs, accs + 1
    for _ in range(2):
        steps.append(("AndEqz", inner, int(r.integers(0, values))))
        inner, accs = accs, accs + 1
    steps.append(("AndCond", outer, int(r.integers(0, values)), inner))
    outer, accs = accs, accs + 1
    steps.append(("AndEqz", outer, int(r.integers(0, values))))
    return Program(tuple(steps), accs)


def domain_inputs(rng: np.random.Generator, m: int, num_taps: int):
    groups = [rng.integers(0, P, (3, m), dtype=np.uint32) for _ in range(2)]
    taps = [
        (int(rng.integers(0, 2)), int(rng.integers(0, 3)), int(rng.integers(0, m)))
        for _ in range(num_taps)
    ]
    x = rng.integers(0, P, m, dtype=np.uint32)
    return groups, taps, x


def scalar_reference(program, groups, taps, x, poly_mix, globals_, j: int) -> tuple[int, ...]:
    m = x.shape[-1]
    u = [Fp4.of(int(groups[g][c][(j - shift) % m])) for g, c, shift in taps]
    u.append(Fp4.of(int(x[j])))
    return program.run(ScalarOps(poly_mix, u, [globals_, []])).c


@given(seed=st.integers(0, 2**32 - 1))
def test_numpy_matches_the_scalar_program(seed):
    rng = np.random.default_rng(seed)
    program = random_program(seed, 4, 2)
    groups, taps, x = domain_inputs(rng, 16, 4)
    poly_mix = Fp4(tuple(int(v) for v in rng.integers(0, P, 4)))
    globals_ = [int(v) for v in rng.integers(0, P, 2)]
    be = backends.get("numpy")
    got = be.eval_constraints(program, groups, taps, x, poly_mix, globals_)
    assert got.shape == (4, 16) and got.dtype == np.uint32
    for j in range(16):
        assert tuple(int(v) for v in got[:, j]) == scalar_reference(
            program, groups, taps, x, poly_mix, globals_, j
        )


@pytest.mark.parametrize("m", [1, 4, 1 << 12])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backends_agree(backend, seed, m):
    rng = np.random.default_rng(seed)
    program = random_program(seed, 5, 3)
    groups, taps, x = domain_inputs(rng, m, 5)
    poly_mix = Fp4(tuple(int(v) for v in rng.integers(0, P, 4)))
    globals_ = [int(v) for v in rng.integers(0, P, 3)]
    ref = backends.get("numpy").eval_constraints(program, groups, taps, x, poly_mix, globals_)
    be = backends.get(backend)
    dev = [be.asarray(g) for g in groups]
    got = be.to_numpy(be.eval_constraints(program, dev, taps, be.asarray(x), poly_mix, globals_))
    assert np.array_equal(got, ref)
    j = int(rng.integers(0, m))
    assert tuple(int(v) for v in got[:, j]) == scalar_reference(
        program, groups, taps, x, poly_mix, globals_, j
    )


def test_constant_and_empty_programs(backend):
    be = backends.get(backend)
    x = be.asarray(np.arange(8, dtype=np.uint32))
    empty = Program((("True",),), 0)
    got = be.to_numpy(be.eval_constraints(empty, [], [], x, Fp4.of(5), []))
    assert np.array_equal(got, np.zeros((4, 8), np.uint32))
    constant = Program((("True",), ("Const", 7), ("AndEqz", 0, 0), ("AndEqz", 1, 0)), 2)
    got = be.to_numpy(be.eval_constraints(constant, [], [], x, Fp4.of(5), []))
    assert np.array_equal(got, np.array([[7 * 6] * 8, [0] * 8, [0] * 8, [0] * 8], np.uint32))


def test_only_public_values_are_globals(backend):
    be = backends.get(backend)
    program = Program((("True",), ("GetGlobal", 1, 0), ("AndEqz", 0, 0)), 1)
    with pytest.raises(ValueError, match="public values"):
        be.eval_constraints(program, [], [], be.asarray(np.zeros(4, np.uint32)), Fp4.of(1), [1])


def random_fp4(rng: np.random.Generator) -> Fp4:
    return Fp4(tuple(int(v) for v in rng.integers(0, P, 4)))


def deep_inputs(rng: np.random.Generator, m: int, combos: int):
    """Matrices, terms, U coefficients and roots for ``combos`` combos (random Fp4 roots
    with non-zero upper components are never base-field points)."""
    matrices = [rng.integers(0, P, (w, m), dtype=np.uint32) for w in (2, 3, 5)]
    terms = [
        (int(rng.integers(0, combos)), mat, col, random_fp4(rng))
        for mat, width in enumerate((2, 3, 5))
        for col in range(width)
    ]
    u = [[random_fp4(rng) for _ in range(int(rng.integers(1, 4)))] for _ in range(combos)]
    roots = [[random_fp4(rng) for _ in range(int(rng.integers(1, 4)))] for _ in range(combos)]
    x = rng.integers(0, P, m, dtype=np.uint32)
    return matrices, terms, u, roots, x


def deep_reference(matrices, terms, u, roots, x, j: int) -> tuple[int, ...]:
    xj = Fp4.of(int(x[j]))
    total = Fp4.zero()
    for k, (coeffs, points) in enumerate(zip(u, roots, strict=True)):
        numerator = Fp4.zero()
        for kk, mat, col, w in terms:
            if kk == k:
                numerator = numerator + w * Fp4.of(int(matrices[mat][col][j]))
        u_val = Fp4.zero()
        for c in reversed(coeffs):
            u_val = u_val * xj + c
        divisor = Fp4.one()
        for r in points:
            divisor = divisor * (xj - r)
        total = total + (numerator - u_val) / divisor
    return total.c


@pytest.mark.parametrize("m", [1, 16, 1 << 12])
@pytest.mark.parametrize("seed", [1, 2])
def test_deep_backends_agree(backend, seed, m):
    rng = np.random.default_rng(seed)
    matrices, terms, u, roots, x = deep_inputs(rng, m, 3)
    ref = backends.get("numpy").deep(matrices, terms, u, roots, x)
    for j in {0, m - 1, int(rng.integers(0, m))}:
        assert tuple(int(v) for v in ref[:, j]) == deep_reference(matrices, terms, u, roots, x, j)
    be = backends.get(backend)
    dev = [be.asarray(a) for a in matrices]
    got = be.to_numpy(be.deep(dev, terms, u, roots, be.asarray(x)))
    assert got.shape == (4, m) and np.array_equal(got, ref)


def test_deep_combo_without_terms(backend):
    """A combo with no columns contributes ``−U(x) / Π(x − r)``."""
    rng = np.random.default_rng(7)
    matrices, terms, u, roots, x = deep_inputs(rng, 32, 3)
    terms = [t for t in terms if t[0] != 1]
    ref = backends.get("numpy").deep(matrices, terms, u, roots, x)
    assert tuple(int(v) for v in ref[:, 5]) == deep_reference(matrices, terms, u, roots, x, 5)
    be = backends.get(backend)
    got = be.deep([be.asarray(a) for a in matrices], terms, u, roots, be.asarray(x))
    assert np.array_equal(be.to_numpy(got), ref)
