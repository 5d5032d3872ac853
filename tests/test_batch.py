"""Batch proving: statements committed together get the seals they get alone, byte for byte."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import l2gpu
from l2gpu import BatchError, Options, Request, VerificationError, ZkVM, programs
from l2gpu.field import P
from l2gpu.hashing import get_suite
from l2gpu.stark import prover

# Mixed shapes: Fibonacci at 2^4 and 2^5 rows (one statement twice), hello at 2^4 and 2^5.
MIXED = [
    *(("fibonacci", {"n": n}) for n in (3, 10, 15, 1, 16, 20, 31, 9, 10, 12, 14, 30)),
    ("hello", {"po2": 4, "seed": 1}),
    ("hello", {"po2": 5}),
    ("fibonacci", {"n": np.int64(7)}),
    ("hello", {"po2": 4, "seed": 2}),
]

_single: dict[str, l2gpu.Proof] = {}


def single(program: str, inputs: dict) -> l2gpu.Proof:
    """The numpy proof of one statement proven alone (made once per module)."""
    key = repr((program, sorted(inputs.items())))
    if key not in _single:
        _single[key] = l2gpu.prove(program, backend="numpy", **inputs)
    return _single[key]


def fib_statements(ns):
    fib = programs.get("fibonacci")
    runs = [fib.execute(n=n) for n in ns]
    globals_ = [fib.globals(r.public_inputs, r.public_outputs) for r in runs]
    return fib, [r.trace for r in runs], globals_


@pytest.mark.parametrize("count", [1, 3, 16])
def test_prover_batch_seals_equal_single_seals(backend, count):
    """``prove_batch`` of B statements of one shape (B = 1, 3, 16), on every backend."""
    ns = list(range(31, 31 - count, -1))  # 2^5 rows each, all different
    fib, traces, globals_ = fib_statements(ns)
    seals = prover.prove_batch(fib.circuit, traces, globals_, 5, backend=backend)
    assert len(seals) == count
    for n, seal in zip(ns, seals, strict=True):
        assert seal.tobytes() == single("fibonacci", {"n": n}).seal.tobytes()


@pytest.mark.parametrize("count", [1, 3, len(MIXED)])
def test_vm_batch_of_mixed_shapes_equals_single_proofs(count):
    requests = MIXED[:count]
    proofs = ZkVM("numpy").prove_batch(requests)
    assert len(proofs) == count
    for (program, inputs), proof in zip(requests, proofs, strict=True):
        assert proof.to_bytes() == single(program, inputs).to_bytes()


def test_jax_vm_batch_equals_numpy():
    pytest.importorskip("jax")
    # 17 statements of 2^5 rows: chunks of 16 and 1 (shapes compiled above).
    requests = [("fibonacci", {"n": n}) for n in (*range(16, 32), 20)]
    proofs = ZkVM("jax").prove_batch(requests)
    for (program, inputs), proof in zip(requests, proofs, strict=True):
        assert proof.to_bytes() == single(program, inputs).to_bytes()


def test_sha256_batch_equals_single():
    fib, traces, globals_ = fib_statements([20, 17])
    seals = prover.prove_batch(fib.circuit, traces, globals_, 5, suite="sha-256", backend="numpy")
    for n, seal in zip((20, 17), seals, strict=True):
        alone = l2gpu.prove("fibonacci", n=n, suite="sha-256", backend="numpy")
        assert seal.tobytes() == alone.seal.tobytes()


def test_batch_rows_splits_a_group_without_changing_proofs():
    requests = [("fibonacci", {"n": n}) for n in (3, 10, 15)]
    calls = []
    original = prover.prove_batch

    def spy(circuit, traces, *args, **kwargs):
        calls.append(len(traces))
        return original(circuit, traces, *args, **kwargs)

    vm = ZkVM("numpy", Options(batch_rows=32))  # two statements of 16 rows at most
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prover, "prove_batch", spy)
        proofs = vm.prove_batch(requests)
    assert calls == [2, 1]  # power-of-two chunks within the row budget
    for (program, inputs), proof in zip(requests, proofs, strict=True):
        assert proof.to_bytes() == single(program, inputs).to_bytes()


def test_one_bad_statement_keeps_the_others():
    requests = [("fibonacci", {"n": 10}), ("fibonacci", {"n": 0}), ("nosuch", {}), MIXED[12]]
    with pytest.raises(BatchError, match=r"2 of 4 statements failed: #1: ValueError") as info:
        ZkVM("numpy").prove_batch(requests)
    err = info.value
    assert set(err.errors) == {1, 2}
    assert "positive integer" in str(err.errors[1]) and "unknown program" in str(err.errors[2])
    assert err.results[0].to_bytes() == single("fibonacci", {"n": 10}).to_bytes()
    assert err.results[3].to_bytes() == single(*MIXED[12]).to_bytes()


def test_verify_batch():
    vm = ZkVM("numpy")
    good = [single("fibonacci", {"n": 10}), single("hello", {"po2": 5})]
    assert vm.verify_batch(good) is True
    forged = dataclasses.replace(good[0], public_outputs={"fib_n": 56})
    with pytest.raises(BatchError, match="1 of 3") as info:
        vm.verify_batch([good[0], forged, good[1]])
    assert list(info.value.errors) == [1]
    assert isinstance(info.value.errors[1], VerificationError)
    assert info.value.results[0] is True and info.value.results[2] is True


def test_requests_in_every_spelling():
    spellings = [
        Request("fibonacci", {"n": 10}),
        ("fibonacci", {"n": 10}),
        {"program": "fibonacci", "inputs": {"n": 10}},
    ]
    proofs = ZkVM("numpy").prove_batch(spellings)
    assert len({p.to_bytes() for p in proofs}) == 1
    for bad in ["fibonacci", ("fibonacci",), {"program": "fibonacci", "n": 10}]:
        with pytest.raises(TypeError, match="a request is"):
            Request.of(bad)


def test_prover_batch_checks_its_arguments():
    fib, traces, globals_ = fib_statements([10, 11])
    assert prover.prove_batch(fib.circuit, [], [], 4) == []
    with pytest.raises(ValueError, match="2 traces but 1 sets"):
        prover.prove_batch(fib.circuit, traces, globals_[:1], 4)
    wide = [traces[0], (traces[1][0], np.vstack([traces[1][1], traces[1][1]]))]
    with pytest.raises(ValueError, match="needs shape"):
        prover.prove_batch(fib.circuit, wide, globals_, 4)


def test_options_are_checked():
    with pytest.raises(ValueError, match="unknown hash suite"):
        Options(suite="md5")
    with pytest.raises(ValueError, match="batch_rows"):
        Options(batch_rows=0)
    with pytest.raises(ValueError, match="workers"):
        Options(workers=-1)


@pytest.mark.parametrize("suite", ["poseidon2", "sha-256"])
def test_rng_lanes_are_independent_transcripts(suite, rng):
    """Each lane of a lockstep RNG draws what a one-lane RNG fed the same digests draws."""
    hs = get_suite(suite)
    lanes = 5
    together = hs.rng(lanes)
    alone = [hs.rng() for _ in range(lanes)]
    for step in range(6):
        digests = rng.integers(0, P, size=(lanes, 8), dtype=np.uint32)
        together.mix_lanes(digests)
        for one, digest in zip(alone, digests, strict=True):
            one.mix(digest)
        draws = step + 13  # across permutation / pool boundaries
        assert [together.random_elem_lanes().tolist() for _ in range(draws)] == [
            [one.random_elem() for one in alone] for _ in range(draws)
        ]
        assert together.random_ext_elem_lanes() == [one.random_ext_elem() for one in alone]
        assert together.random_bits_lanes(14).tolist() == [one.random_bits(14) for one in alone]
    with pytest.raises(ValueError, match="5 lanes"):
        together.random_elem()
