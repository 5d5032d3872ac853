"""The range program: values in [lo, hi] (or [0, 2^k)), bound to a Poseidon2 digest."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyref
import pytest
from soundness import assert_rejected, broken, bumped

import l2gpu
from l2gpu import VerificationError, hashing, programs
from l2gpu.field import P
from l2gpu.programs import rangecheck as rc

RANGE = programs.get("range")
DIGEST = [f"digest{k}" for k in range(8)]


def digest_of(values: list[int]) -> list[int]:
    return list(hashing.get_suite("poseidon2").hash_elems(values))


# -- the executor ------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 15, 16, 17, 100])
def test_digest_is_the_row_hash_of_the_values(count):
    values = [(7919 * i) % 1000 for i in range(count)]
    execution = RANGE.execute(values=values, bits=10)
    digest = [execution.public_outputs[k] for k in DIGEST]
    assert digest == digest_of(values) == pyref.p2_hash_row(values)
    assert execution.public_inputs == {"count": count, "lo": 0, "hi": 1023}
    assert execution.steps == count
    assert execution.rows > -(-count // 16) and execution.po2 == rc.po2_for(count)


def test_trace_layout():
    execution = RANGE.execute(values=[5, 6, 7], lo=5, hi=100)
    data = execution.trace[1]
    assert data[rc.V : rc.V + 4, 0].tolist() == [5, 6, 7, 0]
    assert data[rc.A : rc.A + 4, 0].tolist() == [1, 1, 1, 0]
    assert data[rc.CNT, :2].tolist() == [3, 3]
    limbs = data[rc.X + rc.LIMBS : rc.X + 2 * rc.LIMBS, 0]  # slot 1: 6 − 5 = 1
    assert limbs.tolist() == [1] + [0] * 14
    limbs = data[rc.Y + 2 * rc.LIMBS : rc.Y + 3 * rc.LIMBS, 0]  # slot 2: 100 − 7 = 93
    assert sum(int(x) * 4**i for i, x in enumerate(limbs)) == 93


@pytest.mark.parametrize(
    ("kwargs", "inside", "outside"),
    [
        ({"bits": 0}, [0], [1]),
        ({"bits": 1}, [0, 1], [2]),
        ({"bits": 16}, [0, 65535], [65536]),
        ({"bits": 30}, [0, 2**30 - 1], [2**30]),
        ({"lo": 10, "hi": 20}, [10, 20], [9, 21]),
        ({"lo": P - 2**30, "hi": P - 1}, [P - 2**30, P - 1], [P - 2**30 - 1]),
    ],
)
def test_values_at_both_ends_are_accepted_and_just_outside_refused(kwargs, inside, outside):
    execution = RANGE.execute(values=inside, **kwargs)
    assert execution.public_inputs["count"] == len(inside)
    for v in outside:
        with pytest.raises(ValueError, match="outside"):
            RANGE.execute(values=[*inside, v], **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"values": [], "bits": 8},
        {"values": [1], "bits": 31},
        {"values": [1], "bits": -1},
        {"values": [1], "lo": 5, "hi": 4},
        {"values": [1], "lo": 0, "hi": 2**30},
        {"values": [1], "lo": 0, "hi": P},
        {"values": [1], "lo": 0},
        {"values": [1], "bits": 3, "lo": 0, "hi": 7},
        {"values": [1.5], "bits": 3},
    ],
)
def test_execute_refuses_bad_statements(kwargs):
    with pytest.raises((ValueError, TypeError)):
        RANGE.execute(**kwargs)


@pytest.mark.parametrize(
    ("lo", "hi", "full", "half"),
    [(0, 0, 0, 0), (0, 1, 0, 1), (0, 3, 1, 0), (0, 2**30 - 1, 15, 0), (5, 5 + 2**20, 10, 1)],
)
def test_limb_masks(lo, hi, full, half):
    f, h = rc.limb_masks(lo, hi)
    assert f == [1] * full + [0] * (15 - full)
    assert sum(h) == half and (not half or h.index(1) == full)


# -- proofs ------------------------------------------------------------------------------

_proofs: dict = {}


def honest(values: tuple[int, ...], lo: int, hi: int):
    key = (values, lo, hi)
    if key not in _proofs:
        execution = RANGE.execute(values=list(values), lo=lo, hi=hi)
        proof = l2gpu.prove_trace(
            "range", execution.trace, execution.public_inputs, execution.public_outputs,
            backend="numpy",
        )  # fmt: skip
        _proofs[key] = execution, proof
    return _proofs[key]


ENDS = (10, 20, 10, 20, 15) * 4  # 20 values at both ends of [10, 20]: two rows


def test_interval_proof_verifies():
    _, proof = honest(ENDS, 10, 20)
    assert l2gpu.verify(proof) is True
    assert [proof.public_outputs[k] for k in DIGEST] == digest_of(list(ENDS))


def test_thirty_bit_proof_verifies_on_every_backend(backend):
    values = [0, 2**30 - 1, 12345, 2**29]
    proof = l2gpu.prove("range", values=values, bits=30, backend=backend)
    assert proof.public_inputs == {"count": 4, "lo": 0, "hi": 2**30 - 1}
    assert l2gpu.verify(proof)
    if backend != "numpy":
        reference = l2gpu.prove("range", values=values, bits=30, backend="numpy")
        assert proof.seal.tobytes() == reference.seal.tobytes()


@pytest.mark.parametrize(
    "change",
    [
        {"lo": 11},  # the values at lo fall outside
        {"hi": 19},  # the values at hi fall outside
        {"lo": 9},
        {"hi": 21},
        {"count": 19},
        {"count": 21},
    ],
)
def test_changed_public_inputs_are_rejected(change):
    _, proof = honest(ENDS, 10, 20)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **change})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_changed_digest_is_rejected():
    _, proof = honest(ENDS, 10, 20)
    outputs = {**proof.public_outputs, "digest3": (proof.public_outputs["digest3"] + 1) % P}
    with pytest.raises(VerificationError):
        l2gpu.verify(dataclasses.replace(proof, public_outputs=outputs))


@pytest.mark.parametrize("inputs", [{"count": 0}, {"lo": 21}, {"hi": 10 + 2**30}, {"lo": -1}])
def test_malformed_statements_are_rejected(inputs):
    _, proof = honest(ENDS, 10, 20)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **inputs})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


# -- forged traces -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "lo", "hi"), [(9, 10, 20), (21, 10, 20), (2**16, 0, 2**16 - 1)])
def test_a_value_just_outside_is_rejected(value, lo, hi):
    """A consistent trace for a value outside the interval (made for a wider one), under
    the narrower statement: the limbs cannot represent it."""
    values = [lo, value, hi]
    wide = RANGE.execute(values=values, lo=min(lo, value), hi=max(hi, value))
    narrow = dataclasses.replace(wide, public_inputs={"count": 3, "lo": lo, "hi": hi})
    assert broken(narrow, wide.trace)
    assert "constraint check failed" in assert_rejected(narrow)


def test_limbs_over_the_bit_count_are_rejected():
    """The limbs of 2^16 under k = 16: 16 bits of zeros and a 1 in the masked limb."""
    execution = RANGE.execute(values=[2**16 - 1], bits=16)
    data = execution.trace[1].copy()
    data[rc.V, 0] = 2**16
    data[rc.X : rc.X + rc.LIMBS, 0] = [0] * 8 + [1] + [0] * 6
    assert broken(execution, (execution.trace[0], data))


FAMILIES = {  # (data column, row) of a 20-value trace
    "value": (rc.V + 3, 0),
    "padding-value": (rc.V + 7, 1),
    "x-limb": (rc.X + 2 * rc.LIMBS + 1, 0),
    "y-limb": (rc.Y + 19, 1),
    "padding-limb": (rc.Y + 15 * rc.LIMBS, 1),
    "flag": (rc.A + 4, 1),
    "padding-flag": (rc.A, 2),
    "count": (rc.CNT, 1),
    "capacity": (rc.CAP + 5, 1),
    "gadget": (rc.GADGET + 100, 0),
    "gadget-below": (rc.GADGET + 400, 3),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_changed_data_cell_breaks_a_constraint(name):
    execution, _ = honest(ENDS, 10, 20)
    column, row = FAMILIES[name]
    assert broken(execution, bumped(execution.trace, 1, column, row))


@pytest.mark.parametrize("name", ["value", "y-limb", "flag"])
def test_forged_trace_proofs_are_rejected(name):
    execution, _ = honest(ENDS, 10, 20)
    column, row = FAMILIES[name]
    assert "constraint check failed" in assert_rejected(
        execution, bumped(execution.trace, 1, column, row)
    )


@pytest.mark.parametrize(("column", "row"), [(rc.FIRST, 0), (rc.LAST, 15)])
def test_changed_code_cells_are_rejected(column, row):
    execution, _ = honest(ENDS, 10, 20)
    message = assert_rejected(execution, bumped(execution.trace, 0, column, row))
    assert "control root" in message or "constraint check failed" in message


def test_other_committed_values_are_rejected():
    execution, _ = honest(ENDS, 10, 20)
    other = RANGE.execute(values=[11, *ENDS[1:]], lo=10, hi=20)
    assert_rejected(execution, other.trace)  # the statement names the other digest
    assert np.array_equal(other.trace[0], execution.trace[0])
