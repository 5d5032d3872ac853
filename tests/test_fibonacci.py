"""Fibonacci: the executor against a plain reference, its proofs, and its soundness."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import numpy as np
import pytest

import l2gpu
from l2gpu import VerificationError, programs
from l2gpu.field import P
from l2gpu.programs.base import compute_control_root

FIB = programs.get("fibonacci")
A, B, ACT = 0, 1, 2  # data columns
FIRST, LAST, INDEX = 0, 1, 2  # code columns


def fib_ref(n: int) -> int:
    """The integer ``fib(n)`` (not reduced)."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def expected_rows(n: int) -> int:
    return max(16, 1 << n.bit_length())


# -- the executor ----------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 46, 47, 100, 1000])
def test_output_is_fib_mod_p(n):
    execution = FIB.execute(n=n)
    assert execution.public_outputs == {"fib_n": fib_ref(n) % P}
    assert execution.public_inputs == {"n": n}


def test_47_is_where_fib_exceeds_p():
    assert fib_ref(46) < P < fib_ref(47)
    assert FIB.execute(n=46).public_outputs["fib_n"] == fib_ref(46)
    assert FIB.execute(n=47).public_outputs["fib_n"] == fib_ref(47) - P


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 100, 127, 128, 1000, 1023, 1024])
def test_steps_and_rows(n):
    execution = FIB.execute(n=n)
    assert execution.steps == n + 2
    assert execution.rows == 1 << execution.po2 == expected_rows(n)
    assert execution.rows > n
    code, data = execution.trace
    assert code.shape == data.shape == (3, execution.rows)
    assert code.dtype == data.dtype == np.uint32


def test_trace_columns():
    n = 100
    execution = FIB.execute(n=n)
    code, data = execution.trace
    rows = execution.rows
    assert rows == 128
    reference = [fib_ref(r) % P for r in range(rows + 1)]
    assert data[A].tolist() == reference[:rows]
    assert data[B].tolist() == reference[1 : rows + 1]
    assert data[ACT].tolist() == [1] * n + [0] * (rows - n)
    assert code[FIRST].tolist() == [1] + [0] * (rows - 1)
    assert code[LAST].tolist() == [0] * (rows - 1) + [1]
    assert code[INDEX].tolist() == list(range(rows))
    assert int(data.max()) < P


def test_numpy_integer_n_is_accepted():
    execution = FIB.execute(n=np.int64(10))
    assert execution.public_inputs == {"n": 10} and type(execution.public_inputs["n"]) is int


@pytest.mark.parametrize("n", [0, -1, True, False, 2**24, 1.5, "10", None])
def test_invalid_n(n):
    with pytest.raises(ValueError):
        l2gpu.prove("fibonacci", n=n)


def test_missing_or_extra_inputs():
    with pytest.raises(TypeError):
        l2gpu.prove("fibonacci")
    with pytest.raises(TypeError):
        l2gpu.prove("fibonacci", n=10, m=3)


# -- proofs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def proof_100() -> l2gpu.Proof:
    return l2gpu.prove("fibonacci", n=100)


@pytest.mark.parametrize("n", [1, 2, 1000])
def test_proofs_verify(n):
    proof = l2gpu.prove("fibonacci", n=n)
    assert proof.public_inputs == {"n": n}
    assert proof.public_outputs == {"fib_n": fib_ref(n) % P}
    assert proof.rows == expected_rows(n)
    assert l2gpu.verify(proof) is True


def test_proof_100_verifies(proof_100):
    assert proof_100.public_outputs == {"fib_n": fib_ref(100) % P}
    assert proof_100.po2 == 7
    assert l2gpu.verify(proof_100) is True


def _prove_and_verify_large(n: int):
    proof = l2gpu.prove("fibonacci", n=n)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % P
    expected = a
    assert proof.public_outputs == {"fib_n": expected}
    assert proof.rows == 1 << n.bit_length() and proof.rows > n
    assert l2gpu.verify(proof) is True


@pytest.mark.slow
def test_proof_2_pow_16():
    _prove_and_verify_large(2**16)  # 2^17 rows: the power of two above n


@pytest.mark.slow
def test_proof_non_power_of_two_above_2_pow_18():
    _prove_and_verify_large(300_001)  # 2^19 rows


# -- soundness: a trace or statement that is not the computation is rejected -----

N = 100
ROWS = 128
_rng = np.random.default_rng(100)
TAMPER_ROWS = sorted({0, 1, N - 1, N, *(int(r) for r in _rng.integers(2, N - 1, 3))})


@pytest.fixture
def execution():
    execution = FIB.execute(n=N)
    assert execution.rows == ROWS
    return execution


def assert_rejected(execution, trace, public_inputs=None, public_outputs=None):
    proof = l2gpu.prove_trace(
        "fibonacci",
        trace,
        execution.public_inputs if public_inputs is None else public_inputs,
        execution.public_outputs if public_outputs is None else public_outputs,
    )
    with pytest.raises(VerificationError) as info:
        l2gpu.verify(proof)
    return str(info.value)


def test_honest_trace_through_prove_trace_verifies(execution, proof_100):
    proof = l2gpu.prove_trace(
        "fibonacci", execution.trace, execution.public_inputs, execution.public_outputs
    )
    assert np.array_equal(proof.seal, proof_100.seal)
    assert l2gpu.verify(proof)


@pytest.mark.parametrize("column", [A, B, ACT], ids=["a", "b", "act"])
@pytest.mark.parametrize("row", TAMPER_ROWS)
def test_changed_data_cell_is_rejected(execution, row, column):
    code, data = (t.copy() for t in execution.trace)
    data[column, row] = (int(data[column, row]) + 1) % P
    assert_rejected(execution, (code, data))


@pytest.mark.parametrize(
    ("column", "row"),
    [(INDEX, N), (INDEX, N - 1), (FIRST, 0), (FIRST, 1), (LAST, ROWS - 1), (LAST, N)],
    ids=["index@n", "index@n-1", "first@0", "first@1", "last@last", "last@n"],
)
def test_changed_code_cell_is_rejected(execution, column, row):
    code, data = (t.copy() for t in execution.trace)
    code[column, row] = (int(code[column, row]) + 1) % P
    message = assert_rejected(execution, (code, data))
    assert "control root" in message or "constraint check failed" in message


def test_forged_selectors_are_rejected_by_the_control_root(execution):
    """Selectors of the prover's choosing: row numbers shifted by one make a trace that
    satisfies every constraint while claiming fib(n + 1) as fib(n); only the control
    root stops it."""
    code, data = (t.copy() for t in execution.trace)
    code[INDEX] = (code[INDEX].astype(np.int64) - 1) % P
    data[ACT, N] = 1  # act now falls at row n + 1, whose forged index is n
    message = assert_rejected(
        execution, (code, data), public_outputs={"fib_n": int(data[A, N + 1])}
    )
    assert "control root" in message


def test_act_falling_late_is_rejected(execution):
    """A consistent Fibonacci trace that claims fib(n+1) as fib(n)."""
    code, data = (t.copy() for t in execution.trace)
    data[ACT, N] = 1  # act now falls at row n + 1
    assert_rejected(execution, (code, data), public_outputs={"fib_n": int(data[A, N + 1])})


def test_act_never_falling_is_rejected(execution):
    code, data = (t.copy() for t in execution.trace)
    data[ACT, :] = 1
    assert_rejected(execution, (code, data))


def test_output_bound_to_the_last_row_is_rejected(execution):
    data = execution.trace[1]
    last = int(data[A, ROWS - 1])
    assert last != execution.public_outputs["fib_n"]
    assert_rejected(execution, execution.trace, public_outputs={"fib_n": last})
    # Nor can the statement claim n = rows − 1 over a trace that stops at n.
    assert_rejected(
        execution, execution.trace, public_inputs={"n": ROWS - 1}, public_outputs={"fib_n": last}
    )


def test_trace_of_another_n_is_rejected(execution):
    other = FIB.execute(n=N - 1)
    assert other.rows == ROWS
    assert_rejected(execution, other.trace)


@pytest.mark.parametrize(
    "outputs",
    [
        {"fib_n": (fib_ref(N) + 1) % P},
        {"fib_n": fib_ref(N - 1) % P},
        {"fib_n": fib_ref(N)},  # the integer, not its residue: not a field element
        {"fib_n": 0},
    ],
)
def test_changed_public_output_is_rejected(proof_100, outputs):
    forged = dataclasses.replace(proof_100, public_outputs=outputs)
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


@pytest.mark.parametrize("inputs", [{"n": N - 1}, {"n": N + 1}, {"n": 0}, {"n": P}])
def test_changed_n_is_rejected(proof_100, inputs):
    forged = dataclasses.replace(proof_100, public_inputs=inputs)
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        ({}, {"fib_n": 1}),
        ({"n": 100}, {}),
        ({"n": 100, "m": 1}, {"fib_n": 1}),
        ({"n": True}, {"fib_n": 1}),
        ({"n": -1}, {"fib_n": 1}),
    ],
)
def test_malformed_statement_is_rejected(proof_100, inputs, outputs):
    forged = dataclasses.replace(proof_100, public_inputs=inputs, public_outputs=outputs)
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_statement_and_seal_of_different_runs_are_rejected(proof_100):
    other = l2gpu.prove("fibonacci", n=101)
    assert other.po2 == proof_100.po2
    forged = dataclasses.replace(
        other, public_inputs=proof_100.public_inputs, public_outputs=proof_100.public_outputs
    )
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)
    swapped = dataclasses.replace(proof_100, seal=other.seal)
    with pytest.raises(VerificationError):
        l2gpu.verify(swapped)


# -- the shipped control roots -----------------------------------------------------


def _shipped_table() -> dict:
    path = resources.files("l2gpu").joinpath("data/control_roots.json")
    return json.loads(path.read_text()) if path.is_file() else {}


@pytest.mark.parametrize(
    ("suite", "max_po2"), [("poseidon2", 12), ("sha-256", 9)], ids=["poseidon2", "sha-256"]
)
@pytest.mark.parametrize("name", ["fibonacci", "hello"])
def test_shipped_control_roots_are_the_computed_ones(name, suite, max_po2):
    program = programs.get(name)
    shipped = _shipped_table().get(name, {}).get(suite, {})
    for po2 in range(4, max_po2 + 1):
        root = compute_control_root(program, po2, suite)
        assert program.control_root(po2, suite) == root
        if str(po2) in shipped:
            assert tuple(shipped[str(po2)]) == root, (name, suite, po2)
