"""The prover, through the hello circuit: its proofs verify, and only honest ones do."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import l2gpu
from l2gpu import VerificationError, programs, risc0
from l2gpu.field import P
from l2gpu.stark.prover import PHASES

META = Path(__file__).parent / "data" / "risc0_hello_m3" / "meta.json"

_cache: dict[object, l2gpu.Proof] = {}


def hello_proof(po2: int, seed: int = 0, suite: str = "poseidon2") -> l2gpu.Proof:
    """One proof per statement for the whole module (po2 12 takes a couple of seconds)."""
    key = (po2, seed, suite)
    if key not in _cache:
        _cache[key] = l2gpu.prove("hello", po2=po2, seed=seed, suite=suite)
    return _cache[key]


def hello_trace(po2: int, seed: int = 0):
    execution = programs.get("hello").execute(po2=po2, seed=seed)
    return [t.copy() for t in execution.trace]


@pytest.mark.parametrize("po2", [4, 8, 10, 12])
def test_hello_proofs_verify(po2):
    proof = hello_proof(po2)
    assert proof.program == "hello" and proof.po2 == po2 and proof.rows == 1 << po2
    assert proof.hash_suite == "poseidon2"
    assert proof.public_inputs == {} and proof.public_outputs == {}
    assert proof.seal.dtype == np.uint32
    assert int(proof.seal.max()) < P  # a Poseidon2 seal is all field elements
    assert l2gpu.verify(proof) is True


def test_po2_12_seal_has_risc0s_size_and_verifies_as_a_risc0_seal():
    proof = hello_proof(12)
    meta = json.loads(META.read_text())
    assert proof.seal.size == 22930 == meta["layout_words"]["total"]
    data = proof.seal.astype("<u4").tobytes()
    assert len(data) == meta["bytes"]
    # The same circuit and protocol: RISC Zero's verifier path accepts l2gpu's seal.
    result = risc0.verify_seal(data, "hello-m3", 12)
    assert result.globals == ((), (), ())


def test_seal_grows_with_po2():
    sizes = [hello_proof(po2).seal.size for po2 in (4, 8, 10, 12)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4


@pytest.mark.parametrize("bad", [2, P - 1, 12345])
@pytest.mark.parametrize("row", [0, 7, 15])
def test_column_with_a_non_bit_is_rejected(bad, row):
    code, accum, data = hello_trace(4)
    data[0, row] = bad
    proof = l2gpu.prove_trace("hello", (code, accum, data), {}, {})
    with pytest.raises(VerificationError):
        l2gpu.verify(proof)


@pytest.mark.parametrize("group", [0, 1])
def test_nonzero_accum_or_code_is_rejected(group):
    trace = hello_trace(4)
    trace[group][0, 3] = 1
    proof = l2gpu.prove_trace("hello", trace, {}, {})
    with pytest.raises(VerificationError):
        l2gpu.verify(proof)


def test_honest_trace_through_prove_trace_verifies():
    proof = l2gpu.prove_trace("hello", hello_trace(4, seed=3), {}, {})
    assert l2gpu.verify(proof)
    assert np.array_equal(proof.seal, hello_proof(4, seed=3).seal)


def test_hello_execute_rejects_non_bits():
    bits = np.zeros(16, dtype=np.uint32)
    bits[5] = 2
    with pytest.raises(ValueError, match="0s and 1s"):
        programs.get("hello").execute(bits=bits)


@pytest.mark.parametrize("po2", [3, 25])
def test_hello_po2_out_of_range(po2):
    with pytest.raises(ValueError, match="po2"):
        l2gpu.prove("hello", po2=po2)


def test_prove_trace_rejects_wrong_shapes():
    code, accum, data = hello_trace(4)
    with pytest.raises(ValueError, match="shape"):
        l2gpu.prove_trace("hello", (code, accum, np.vstack([data, data])), {}, {})
    with pytest.raises(ValueError, match="one trace array"):
        l2gpu.prove_trace("hello", (code, accum), {}, {})


def test_deterministic():
    a = l2gpu.prove("hello", po2=8, seed=7)
    b = l2gpu.prove("hello", po2=8, seed=7, backend="numpy")
    assert a.seal.tobytes() == b.seal.tobytes()
    assert a.to_bytes() == b.to_bytes()
    # … and a different witness gives a different seal.
    assert hello_proof(8, seed=0).seal.tobytes() != a.seal.tobytes()


def test_progress_reports_every_phase_in_order():
    phases = []
    l2gpu.prove("hello", po2=4, progress=phases.append)
    assert tuple(phases) == PHASES


# -- the SHA-256 suite -----------------------------------------------------------


def sha_proof() -> l2gpu.Proof:
    """A Fibonacci proof over SHA-256 (slow in numpy: kept small and made once)."""
    if "sha" not in _cache:
        _cache["sha"] = l2gpu.prove("fibonacci", n=10, suite="sha-256")
    return _cache["sha"]


def test_sha256_suite_proves_and_verifies():
    proof = sha_proof()
    assert proof.hash_suite == "sha-256"
    assert proof.public_outputs == {"fib_n": 55}
    # The control root is the SHA-256 one, checked by verify.
    assert l2gpu.verify(proof) is True
    poseidon = l2gpu.prove("fibonacci", n=10)
    assert proof.seal.tobytes() != poseidon.seal.tobytes()


def test_poseidon2_proof_relabelled_sha256_is_rejected():
    for proof in (hello_proof(4), l2gpu.prove("fibonacci", n=10)):
        forged = dataclasses.replace(proof, hash_suite="sha-256")
        with pytest.raises(VerificationError):
            l2gpu.verify(forged)


def test_sha256_proof_relabelled_poseidon2_is_rejected():
    forged = dataclasses.replace(sha_proof(), hash_suite="poseidon2")
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_unknown_suite():
    with pytest.raises(ValueError):
        l2gpu.prove("hello", po2=4, suite="md5")


def test_proof_relabelled_to_another_po2_is_rejected():
    for po2 in (4, 5):
        forged = dataclasses.replace(hello_proof(8), po2=po2)
        with pytest.raises(VerificationError):
            l2gpu.verify(forged)


def test_hello_proof_relabelled_as_fibonacci_is_rejected():
    forged = dataclasses.replace(
        hello_proof(4), program="fibonacci", public_inputs={"n": 10}, public_outputs={"fib_n": 55}
    )
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


def test_unknown_program_is_rejected():
    forged = dataclasses.replace(hello_proof(4), program="nosuch")
    with pytest.raises(VerificationError, match="unknown program"):
        l2gpu.verify(forged)
    with pytest.raises(ValueError, match="unknown program"):
        l2gpu.prove("nosuch")


def test_changed_protocol_is_rejected():
    protocol = dict(hello_proof(4).protocol, queries=49)
    forged = dataclasses.replace(hello_proof(4), protocol=protocol)
    with pytest.raises(VerificationError, match="protocol"):
        l2gpu.verify(forged)
