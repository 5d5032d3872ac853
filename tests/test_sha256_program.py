"""The SHA-256 program: digests agree with hashlib, proofs verify, forgeries do not."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from soundness import assert_rejected, broken, bumped

import l2gpu
from l2gpu import VerificationError, programs
from l2gpu.programs import sha256 as sp

SHA = programs.get("sha256")


def message(length: int, seed: int = 1) -> bytes:
    return bytes((seed * 131 + 17 * i + (i >> 3)) % 256 for i in range(length))


def padded(data: bytes) -> bytes:
    n = len(data)
    return data + b"\x80" + bytes((55 - n) % 64) + (8 * n).to_bytes(8, "big")


# -- the executor against hashlib ------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 3, 32, 55, 56, 63, 64, 65, 119, 120, 128, 1024, 1025])
def test_digest_is_hashlib_sha256(length):
    data = message(length)
    execution = SHA.execute(message=data)
    assert sp.digest_hex(execution.public_outputs) == hashlib.sha256(data).hexdigest()
    assert execution.public_inputs == {"length": length}
    blocks = sp.blocks_for(length)
    assert blocks == len(padded(data)) // 64
    assert execution.steps == 64 * blocks  # one step per compression round
    assert execution.rows >= sp.PERIOD * blocks + sp.INIT_ROWS
    assert broken(execution, execution.trace) == {}


def test_rows_per_block():
    assert [sp.po2_for(n) for n in (0, 55, 56, 128, 1024)] == [7, 7, 8, 8, 11]


@pytest.mark.parametrize("data", ["text", None, 5])
def test_execute_refuses_non_bytes(data):
    with pytest.raises(ValueError, match="bytes"):
        SHA.execute(message=data)


# -- proofs ------------------------------------------------------------------------------

_proofs: dict = {}


def honest(length: int):
    if length not in _proofs:
        execution = SHA.execute(message=message(length))
        proof = l2gpu.prove_trace(
            "sha256", execution.trace, execution.public_inputs, execution.public_outputs,
            backend="numpy",
        )  # fmt: skip
        _proofs[length] = execution, proof
    return _proofs[length]


@pytest.mark.parametrize("length", [0, 32, 64, 128])
def test_proofs_verify(length):
    _, proof = honest(length)
    assert l2gpu.verify(proof) is True
    assert sp.digest_hex(proof.public_outputs) == hashlib.sha256(message(length)).hexdigest()


def test_one_kib_proof_verifies():
    proof = l2gpu.prove("sha256", message=message(1024, seed=9), backend="numpy")
    assert proof.po2 == 11
    assert sp.digest_hex(proof.public_outputs) == hashlib.sha256(message(1024, 9)).hexdigest()
    assert l2gpu.verify(proof)


def test_every_backend_gives_numpy_seal(backend):
    proof = l2gpu.prove("sha256", message=message(32), backend=backend)
    assert proof.seal.tobytes() == honest(32)[1].seal.tobytes()
    assert l2gpu.verify(proof)


@pytest.mark.parametrize("change", [{"length": 31}, {"length": 33}, {"length": 0}])
def test_changed_length_is_rejected(change):
    _, proof = honest(32)
    with pytest.raises(VerificationError):
        l2gpu.verify(dataclasses.replace(proof, public_inputs=change))


@pytest.mark.parametrize("word", ["h0", "h3", "h7"])
def test_changed_digest_word_is_rejected(word):
    _, proof = honest(64)
    outputs = {**proof.public_outputs, word: proof.public_outputs[word] ^ 1}
    with pytest.raises(VerificationError):
        l2gpu.verify(dataclasses.replace(proof, public_outputs=outputs))


def test_digest_of_another_message_is_rejected():
    _, proof = honest(64)
    other = hashlib.sha256(message(64, seed=2)).digest()
    outputs = {f"h{k}": int.from_bytes(other[4 * k : 4 * k + 4], "big") for k in range(8)}
    with pytest.raises(VerificationError):
        l2gpu.verify(dataclasses.replace(proof, public_outputs=outputs))


@pytest.mark.parametrize(
    ("inputs", "outputs"), [({"length": -1}, {}), ({"length": 2**29}, {}), ({}, {"h0": 2**32})]
)
def test_malformed_statements_are_rejected(inputs, outputs):
    _, proof = honest(0)
    forged = dataclasses.replace(
        proof,
        public_inputs={**proof.public_inputs, **inputs},
        public_outputs={**proof.public_outputs, **outputs},
    )
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


# -- forged traces -----------------------------------------------------------------------

R = sp.INIT_ROWS  # the first round row of block 0
FAMILIES = {  # (data column, row) in the trace of a 64-byte message (2 blocks)
    "a-bit": (sp.A_BITS + 5, R + 10),
    "e-bit": (sp.E_BITS + 30, R + 63),
    "message-bit": (sp.W_BITS + 7, R + 3),
    "schedule-bit": (sp.W_BITS + 20, R + 40),
    "length-word-bit": (sp.W_BITS + 9, sp.PERIOD + R + 15),
    "chaining-bit": (sp.A_BITS + 1, sp.PERIOD + 2),
    "iv-bit": (sp.E_BITS + 0, 1),
    "a-carry": (sp.CA + 1, R + 20),
    "e-carry-high": (sp.CE + 4, R + 21),
    "w-carry": (sp.CW, R + 30),
    "chaining-carry": (sp.CA + 3, sp.PERIOD + 1),
    "w-on-chaining-row": (sp.W_BITS, sp.PERIOD),
    "flag": (sp.M + 2, R + 15),
    "flag-after": (sp.M, sp.PERIOD + R),
    "count": (sp.CNT, 30),
    "act": (sp.ACT, 2 * sp.PERIOD),
    "fin": (sp.FIN, 5),
    "unused-block-bit": (sp.A_BITS + 3, 2 * sp.PERIOD + 20),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_changed_data_cell_breaks_a_constraint(name):
    execution, _ = honest(64)
    column, row = FAMILIES[name]
    assert broken(execution, bumped(execution.trace, 1, column, row))


@pytest.mark.parametrize("name", ["schedule-bit", "chaining-bit", "flag"])
def test_forged_trace_proofs_are_rejected(name):
    execution, _ = honest(64)
    column, row = FAMILIES[name]
    message_ = assert_rejected(execution, bumped(execution.trace, 1, column, row))
    assert "constraint check failed" in message_


@pytest.mark.parametrize(("column", "row"), [(sp.K_LO, R + 5), (sp.BLK, 70)])
def test_changed_code_cells_are_rejected(column, row):
    execution, _ = honest(64)
    message_ = assert_rejected(execution, bumped(execution.trace, 0, column, row))
    assert "control root" in message_ or "constraint check failed" in message_


def forged_padding(block: bytes, length: int) -> programs.Execution:
    """A consistent compression trace of ``block`` (one block, any bytes) claiming the
    given message length: its digest is a true compression, but not a padded message."""
    data, digest = sp.witness(block, length, 7)
    outputs = dict(zip(sp.H, digest, strict=True))
    return programs.Execution("sha256", 7, (sp.code_columns(7), data), {"length": length},
                              outputs, 64)  # fmt: skip


@pytest.mark.parametrize(
    ("block", "length"),
    [
        (message(64), 55),  # no 0x80, no length field
        (padded(message(55))[:-1] + b"\x00", 55),  # a wrong length field
        (padded(message(54))[:54] + b"\x00\x80" + padded(message(54))[56:], 54),  # 0x80 late
        (padded(message(55)), 54),  # the 0x80 byte counted as the message's
        (message(55) + b"\x80" + bytes(8), 0),  # the length word zero
    ],
    ids=["unpadded", "length-field", "late-0x80", "length-off-by-one", "zero-length"],
)
def test_wrong_padding_is_rejected(block, length):
    execution = forged_padding(block, length)
    assert broken(execution, execution.trace)


def test_raw_compression_claimed_as_a_digest_is_rejected():
    execution = forged_padding(message(64), 55)
    assert "constraint check failed" in assert_rejected(execution)


def test_a_correct_forged_padding_is_the_honest_trace():
    """The forging helper itself is sound: with the true padding it gives the honest
    trace, which satisfies every constraint."""
    data = message(40)
    execution = forged_padding(padded(data), 40)
    assert broken(execution, execution.trace) == {}
    assert sp.digest_hex(execution.public_outputs) == hashlib.sha256(data).hexdigest()
