"""The signature program: Lamport+ over Poseidon2, many signatures in one proof."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyref
import pytest
from soundness import assert_rejected, broken, bumped

import l2gpu
from l2gpu import VerificationError, programs
from l2gpu.field import P
from l2gpu.programs import signature as sg

SIG = programs.get("signature")
FIXTURE = Path(__file__).parent / "data" / "signature_1024.l2p"
FIXTURE_SEED = 1024  # the fixture proves sg.demo(1024, FIXTURE_SEED)


# -- the scheme --------------------------------------------------------------------------


def test_chain_function_is_a_truncated_permutation():
    value = [1, 2, 3, 4]
    expected = pyref.poseidon2("risc0-w24").permute(value + [0] * 20)[:4]
    assert sg.chain_values(np.array([value])).tolist() == [expected]


def test_message_bits_and_checksum():
    bits = sg.message_bits([1, 0, 0, 2**30])
    assert bits.shape == (132,)
    assert bits[:31].tolist() == [1] + [0] * 30
    assert bits[93:124].tolist() == [0] * 30 + [1]
    zeros = 124 - 2
    assert sum(int(b) << i for i, b in enumerate(bits[124:])) == zeros
    with pytest.raises(ValueError):
        sg.message_bits([P, 0, 0, 0])
    with pytest.raises(ValueError):
        sg.message_bits([1, 2, 3])


def test_sign_and_verify():
    rng = np.random.default_rng(3)
    secret, key = sg.keygen(rng)
    message = [5, 6, 7, 8]
    signature = sg.sign(secret, message)
    assert sg.verify_signature(key, message, signature)
    assert not sg.verify_signature(key, [5, 6, 7, 9], signature)
    _, other_key = sg.keygen(rng)
    assert not sg.verify_signature(other_key, message, signature)
    # The key is the plain-Python row hash of the chain values.
    chain = sg.chain_values(secret)
    assert key.tolist() == pyref.p2_hash_row(chain.ravel().tolist())


def test_turning_a_one_into_a_zero_breaks_the_checksum():
    """Anyone can replace a revealed secret by its chain value (a 1 becomes a 0); the
    zero count then rises and the checksum no longer matches."""
    rng = np.random.default_rng(4)
    secret, key = sg.keygen(rng)
    message = [3, 0, 0, 0]  # bits 0 and 1 set
    signature = sg.sign(secret, message)
    forged = signature.copy()
    forged[1] = sg.chain_values(signature[1:2])[0]  # now a signature of bits "1, 0, …"
    assert not sg.verify_signature(key, [1, 0, 0, 0], forged)


# -- the executor ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two():
    inputs = sg.demo(2, seed=5)
    return inputs, SIG.execute(**inputs)


def test_statement_is_the_digest_of_keys_and_messages(two):
    inputs, execution = two
    statement = [execution.public_inputs[k] for k in sg.STATEMENT]
    assert statement == sg.statement_digest(inputs["keys"], inputs["messages"])
    records = [v for k, m in zip(inputs["keys"], inputs["messages"], strict=True)
               for v in [*k, *m, 0, 0, 0, 0]]  # fmt: skip
    assert statement == pyref.p2_hash_row(records)
    assert execution.public_inputs["count"] == 2 and execution.steps == 2
    assert execution.po2 == sg.po2_for(2) == 9 and execution.rows > 2 * sg.PERIOD
    assert broken(execution, execution.trace) == {}


def test_layout_constants():
    assert (sg.SLOTS, sg.PERIOD) == (132, 166)
    assert sg.CIRCUIT.degree == 4
    assert sg.po2_for(64) == 14 and sg.po2_for(1024) == 18


@pytest.mark.parametrize("bad", ["signature", "message", "key", "shape"])
def test_execute_refuses_invalid_signatures(two, bad):
    inputs = {k: list(v) for k, v in two[0].items()}
    if bad == "signature":
        inputs["signatures"][1] = inputs["signatures"][1].copy()
        inputs["signatures"][1][7, 2] ^= 1
    elif bad == "message":
        inputs["messages"][0] = [inputs["messages"][0][0] ^ 1, *inputs["messages"][0][1:]]
    elif bad == "key":
        inputs["keys"] = inputs["keys"][::-1]
    else:
        inputs["signatures"][0] = inputs["signatures"][0][:100]
    with pytest.raises(ValueError):
        SIG.execute(**inputs)


def test_execute_refuses_no_signatures():
    with pytest.raises(ValueError):
        SIG.execute(keys=[], messages=[], signatures=[])


# -- proofs ----------------------------------------------------------------------------

_proofs: dict = {}


def honest(count: int, seed: int = 0):
    key = (count, seed)
    if key not in _proofs:
        inputs = sg.demo(count, seed)
        execution = SIG.execute(**inputs)
        proof = l2gpu.prove_trace(
            "signature", execution.trace, execution.public_inputs, {}, backend="numpy"
        )
        _proofs[key] = inputs, execution, proof
    return _proofs[key]


def test_sixty_four_signatures_verify():
    inputs, _, proof = honest(64)
    assert proof.po2 == 14
    assert proof.public_inputs["count"] == 64
    statement = [proof.public_inputs[k] for k in sg.STATEMENT]
    assert statement == sg.statement_digest(inputs["keys"], inputs["messages"])
    assert l2gpu.verify(proof) is True


def test_one_signature_on_every_backend(backend):
    inputs, _, reference = honest(1)
    proof = l2gpu.prove("signature", backend=backend, **inputs)
    assert proof.seal.tobytes() == reference.seal.tobytes()
    assert l2gpu.verify(proof)


def test_1024_signatures_fixture_verifies():
    """A proof of 1024 signatures made once (``python -m l2gpu prove signature --count
    1024 --seed 1024 -o tests/data/signature_1024.l2p``): it verifies, and its statement
    is the digest of the keys and messages regenerated here."""
    proof = l2gpu.Proof.load(FIXTURE)
    assert proof.program == "signature" and proof.po2 == 18
    assert proof.public_inputs["count"] == 1024
    assert l2gpu.verify(proof) is True
    inputs = sg.demo(1024, FIXTURE_SEED)
    statement = [proof.public_inputs[k] for k in sg.STATEMENT]
    assert statement == sg.statement_digest(inputs["keys"], inputs["messages"])
    # … and not the digest of one message changed.
    inputs["messages"][500] = [(inputs["messages"][500][0] + 1) % P, *inputs["messages"][500][1:]]
    assert statement != sg.statement_digest(inputs["keys"], inputs["messages"])


@pytest.mark.parametrize("change", [{"count": 1}, {"count": 3}, {"statement4": 1}])
def test_changed_public_inputs_are_rejected(change):
    _, _, proof = honest(2)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **change})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_the_statement_of_other_messages_is_rejected():
    inputs, _, proof = honest(2)
    messages = [inputs["messages"][0], [1, 2, 3, 4]]
    statement = sg.statement_digest(inputs["keys"], messages)
    forged = dataclasses.replace(
        proof, public_inputs={"count": 2, **dict(zip(sg.STATEMENT, statement, strict=True))}
    )
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_count_zero_is_malformed():
    _, _, proof = honest(2)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, "count": 0})
    with pytest.raises(VerificationError, match="count"):
        l2gpu.verify(forged)


# -- forged traces -----------------------------------------------------------------------

SLOT5 = sg._slot_row(5)  # a slot row of signature 0
SECOND = sg.PERIOD  # the first row of signature 1
FAMILIES = {  # (data column, row) of a two-signature trace
    "slot-value": (sg.IN + 1, SLOT5),
    "slot-zero-input": (sg.IN + 9, SLOT5),
    "absorb-input": (sg.IN + 6, sg.GROUP_ROWS * 3 + 4),
    "absorb-capacity": (sg.IN + 20, sg.GROUP_ROWS * 3 + 4),
    "statement-key": (sg.IN + 2, SECOND + sg.STMT_ROW),
    "statement-message": (sg.IN + 9, sg.STMT_ROW),
    "statement-zero": (sg.IN + 13, sg.STMT_ROW),
    "statement-capacity": (sg.IN + 17, SECOND + sg.STMT_ROW),
    "bit": (sg.BIT, SECOND + 7),
    "checksum-bit": (sg.BIT, sg._slot_row(127)),
    "chain": (sg.C + 3, SLOT5),
    "chain-off-slot": (sg.C, sg.GROUP_ROWS - 1),
    "acc": (sg.ACC, 40),
    "chk": (sg.CHK, SECOND + 100),
    "act": (sg.ACT, SECOND + 3),
    "act-below": (sg.ACT, 2 * sg.PERIOD),
    "gadget": (sg.GADGET + 300, 10),
    "padding-signature": (sg.IN, 2 * sg.PERIOD + 1),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_changed_data_cell_breaks_a_constraint(two, name):
    _, execution = two
    column, row = FAMILIES[name]
    assert broken(execution, bumped(execution.trace, 1, column, row))


@pytest.mark.parametrize("name", ["slot-value", "statement-message", "chk"])
def test_forged_trace_proofs_are_rejected(name):
    _, execution, _ = honest(2)
    column, row = FAMILIES[name]
    assert "constraint check failed" in assert_rejected(
        execution, bumped(execution.trace, 1, column, row)
    )


@pytest.mark.parametrize(
    ("column", "row"),
    [(sg.WEIGHT, 2), (sg.STMT0, sg.STMT_ROW)],
)
def test_changed_code_cells_are_rejected(column, row):
    _, execution, _ = honest(2)
    message = assert_rejected(execution, bumped(execution.trace, 0, column, row))
    assert "control root" in message or "constraint check failed" in message


def test_a_one_turned_into_a_zero_is_caught_by_the_checksum_alone(two):
    """The forgery of :func:`test_turning_a_one_into_a_zero_breaks_the_checksum` as a
    trace: reveal a chain value instead of a secret, claim the message with that bit
    cleared, and recompute everything else. The chain values, the key and the statement
    all agree; only the checksum balance at the statement row does not."""
    inputs, execution = two
    code, data = execution.trace[0], execution.trace[1].copy()
    one = int(np.flatnonzero(sg.message_bits(inputs["messages"][0])[:124])[0])
    row = sg._slot_row(one)
    data[sg.IN : sg.IN + 4, row] = data[sg.C : sg.C + 4, row]
    data[sg.BIT, row] = 0
    data[sg.GADGET :, row] = sg.p2.witness(data[sg.IN : sg.IN + 24, row : row + 1])[0][:, 0]
    b, c = data[sg.BIT].astype(np.int64), code.astype(np.int64)
    data[sg.ACC] = sg._running(c[sg.WEIGHT] * b, c[sg.LIMBSTART])
    balance = c[sg.MSGSLOT] * (1 - b) - c[sg.CWEIGHT] * b
    data[sg.CHK] = sg._running(balance, c[sg.SIGSTART]) % P
    messages = [list(m) for m in inputs["messages"]]
    messages[0][one // 31] -= 1 << (one % 31)
    capacity = np.zeros(8, dtype=np.uint32)
    for stmt in range(sg.STMT_ROW, execution.rows, sg.PERIOD):  # the statement sponge again
        if stmt == sg.STMT_ROW:
            data[sg.IN + 8 : sg.IN + 12, stmt] = messages[0]
        data[sg.IN + 16 : sg.IN + 24, stmt] = capacity
        columns, out = sg.p2.witness(data[sg.IN : sg.IN + 24, stmt : stmt + 1])
        data[sg.GADGET :, stmt], capacity = columns[:, 0], out[16:, 0]
    statement = sg.statement_digest(inputs["keys"], messages)
    forged = dataclasses.replace(
        execution,
        trace=(code, data),
        public_inputs={"count": 2, **dict(zip(sg.STATEMENT, statement, strict=True))},
    )
    assert list(broken(forged, forged.trace).values()) == [[sg.STMT_ROW]]
