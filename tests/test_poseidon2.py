"""Poseidon2: RISC Zero's and Plonky3's vectors, and the plain-Python reference."""

from __future__ import annotations

import numpy as np
import pyref
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu import field, hashing
from l2gpu.field import P

R0 = pyref.load_json("poseidon2_risc0_w24.json")
PARAMS = {"risc0-w24": 24, "plonky3-w16": 16, "plonky3-w24": 24}


def ref_permute_all(name: str, states: np.ndarray) -> np.ndarray:
    perm = pyref.poseidon2(name)
    flat = states.reshape(-1, states.shape[-1])
    out = [perm.permute([int(v) for v in row]) for row in flat]
    return np.array(out, dtype=np.uint32).reshape(states.shape)


# -- the reference itself ------------------------------------------------------------------


def test_reference_m_ext_is_risc0_matrix():
    """The block form of M_EXT used by the reference equals RISC Zero's full 24×24 matrix."""
    perm = pyref.poseidon2("risc0-w24")
    m = R0["M_EXT"]["full_matrix_row_major_canonical"]
    for j in range(24):
        unit = [int(i == j) for i in range(24)]
        assert perm.m_ext(unit) == [m[i * 24 + j] for i in range(24)]


# -- permutation vectors -------------------------------------------------------------------


def test_risc0_permutation_vector(backend):
    tv = R0["test_vectors"]["permutation"]
    x = np.array(tv["input_canonical"], dtype=np.uint32)
    out = hashing.permute(x, "risc0-w24", backend=backend)
    assert out.dtype == np.uint32 and out.shape == (24,)
    assert out.tolist() == tv["output_canonical"]
    assert pyref.poseidon2("risc0-w24").permute(tv["input_canonical"]) == tv["output_canonical"]


@pytest.mark.parametrize(
    ("name", "file"),
    [("plonky3-w16", "poseidon2_plonky3_w16.json"), ("plonky3-w24", "poseidon2_plonky3_w24.json")],
)
def test_plonky3_permutation_vector(backend, data, name, file):
    (tv,) = data(file)["test_vectors"]
    # The width-24 input holds 2026927696 ≥ P: Plonky3's BabyBear::new reduces its argument
    # mod P, so the canonical input of the vector is the reduced value.
    inputs = [v % P for v in tv["input"]]
    out = hashing.permute(np.array(inputs, dtype=np.uint32), name, backend=backend)
    assert out.tolist() == tv["output"]
    assert pyref.poseidon2(name).permute(inputs) == tv["output"]


# -- random batches ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PARAMS))
@pytest.mark.parametrize("lead", [(), (1,), (7,), (2, 3), (2, 1, 3)])
def test_permute_shapes_vs_reference(backend, field, name, lead):
    width = PARAMS[name]
    states = field((*lead, width))
    before = states.copy()
    out = hashing.permute(states, name, backend=backend)
    assert out.shape == states.shape and out.dtype == np.uint32
    assert np.array_equal(out, ref_permute_all(name, states))
    assert np.array_equal(states, before), "permute modified its input"


def test_permute_crosses_chunk_boundary(backend, field):
    """4096 + 3 states: the numpy backend works in chunks of 4096."""
    states = field((4096 + 3, 24))
    out = hashing.permute(states, "risc0-w24", backend=backend)
    assert np.array_equal(out, ref_permute_all("risc0-w24", states))


@pytest.mark.parametrize("name", ["plonky3-w16", "plonky3-w24"])
def test_permute_chunk_boundary_sampled(backend, field, name):
    width = PARAMS[name]
    states = field((4096 + 3, width))
    out = hashing.permute(states, name, backend=backend)
    rows = [0, 1, 4095, 4096, 4097, 4098]
    assert np.array_equal(out[rows], ref_permute_all(name, states[rows]))


def test_permute_non_contiguous_input(backend, field):
    states = field((6, 48))[:, ::2]
    assert not states.flags.c_contiguous
    out = hashing.permute(states, "risc0-w24", backend=backend)
    assert np.array_equal(out, ref_permute_all("risc0-w24", states))


def test_permute_empty_batch(backend):
    out = hashing.permute(np.zeros((0, 24), dtype=np.uint32), backend=backend)
    assert out.shape == (0, 24)


@given(st.lists(st.integers(0, P - 1), min_size=16, max_size=16))
def test_permute_w16_hypothesis(state):
    out = hashing.permute(np.array(state, dtype=np.uint32), "plonky3-w16")
    assert out.tolist() == pyref.poseidon2("plonky3-w16").permute(state)


# -- row hash ------------------------------------------------------------------------------


def test_risc0_hash_elem_slice_vector(backend):
    tv = R0["test_vectors"]["hash_elem_slice_32"]
    row = np.array([tv["input_canonical"]], dtype=np.uint32)
    words = hashing.hash_rows(row, "poseidon2", backend=backend)
    assert words.shape == (1, 8) and words.dtype == np.uint32
    assert words[0].tolist() == tv["digest_words_raw_montgomery"]
    assert field.from_mont(words[0]).tolist() == tv["digest_canonical"]
    assert hashing.get_suite("poseidon2").hash_elems(tv["input_canonical"]) == tuple(
        tv["digest_words_raw_montgomery"]
    )


@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 32, 33])
def test_hash_rows_vs_reference(backend, field, cols):
    matrix = field((5, cols))
    words = hashing.hash_rows(matrix, "poseidon2", backend=backend)
    assert words.shape == (5, 8) and words.dtype == np.uint32
    expected = [pyref.p2_hash_row([int(v) for v in row]) for row in matrix]
    assert words.tolist() == expected
    assert int(words.max()) < P


def test_hash_rows_zero_rows(backend):
    out = hashing.hash_rows(np.zeros((0, 3), dtype=np.uint32), "poseidon2", backend=backend)
    assert out.shape == (0, 8)


def test_hash_rows_empty_row_is_a_permutation_of_zeros(backend):
    words = hashing.hash_rows(np.zeros((2, 0), dtype=np.uint32), "poseidon2", backend=backend)
    zero_perm = pyref.poseidon2("risc0-w24").permute([0] * 24)
    assert words.tolist() == [[pyref.to_mont(x) for x in zero_perm[:8]]] * 2


def test_hash_rows_overwrites_rate(backend):
    """Absorption overwrites cells 0..15: 16 zeros after 16 elements differ from 16 zeros."""
    head = np.arange(1, 17, dtype=np.uint32)
    a = hashing.hash_rows(np.concatenate([head, np.zeros(16, np.uint32)])[None], backend=backend)
    b = hashing.hash_rows(head[None], backend=backend)
    assert a.tolist() != b.tolist()
    assert a[0].tolist() == pyref.p2_hash_row([*range(1, 17), *[0] * 16])


def test_hash_rows_crosses_chunk_boundary(backend, field):
    matrix = field((4096 + 3, 2))
    words = hashing.hash_rows(matrix, "poseidon2", backend=backend)
    for r in (0, 4095, 4096, 4097, 4098):
        assert words[r].tolist() == pyref.p2_hash_row(matrix[r].tolist()), r


def test_hash_rows_non_contiguous(backend, field):
    matrix = field((4, 40))[:, ::2]
    words = hashing.hash_rows(matrix, "poseidon2", backend=backend)
    assert words.tolist() == [pyref.p2_hash_row(row.tolist()) for row in matrix]


# -- hash_pair -----------------------------------------------------------------------------


@pytest.mark.parametrize("lead", [(), (1,), (5,), (2, 3)])
def test_hash_pair_vs_reference(backend, field, lead):
    a, b = field((*lead, 8)), field((*lead, 8))
    before = (a.copy(), b.copy())
    out = hashing.hash_pair(a, b, "poseidon2", backend=backend)
    assert out.shape == a.shape and out.dtype == np.uint32
    fa, fb, fo = a.reshape(-1, 8), b.reshape(-1, 8), out.reshape(-1, 8)
    for x, y, z in zip(fa, fb, fo, strict=True):
        assert z.tolist() == pyref.p2_hash_pair(x.tolist(), y.tolist())
    assert np.array_equal(a, before[0]) and np.array_equal(b, before[1])


def test_hash_pair_is_ordered(backend, field):
    a, b = field((8,)), field((8,))
    assert hashing.hash_pair(a, b, backend=backend).tolist() != (
        hashing.hash_pair(b, a, backend=backend).tolist()
    )


def test_hash_pair_of_zero_digests(backend):
    z = np.zeros(8, dtype=np.uint32)
    out = hashing.hash_pair(z, z, "poseidon2", backend=backend)
    zero_perm = pyref.poseidon2("risc0-w24").permute([0] * 24)
    assert out.tolist() == [pyref.to_mont(x) for x in zero_perm[:8]]


def test_hash_pair_crosses_chunk_boundary(backend, field):
    a, b = field((4096 + 2, 8)), field((4096 + 2, 8))
    out = hashing.hash_pair(a, b, backend=backend)
    for r in (0, 4095, 4096, 4097):
        assert out[r].tolist() == pyref.p2_hash_pair(a[r].tolist(), b[r].tolist()), r


# -- Fiat–Shamir RNG -----------------------------------------------------------------------


def test_rng_vector():
    tv = R0["test_vectors"]["rng"]
    v0, v1 = tv["expected_canonical"]
    rng = hashing.get_suite("poseidon2").rng()
    rng.mix([0] * 8)
    x = rng.random_elem()
    assert x == v0
    rng.mix([x, 2, 3, 4, 5, 6, 7, 8])  # raw words, as in the steps of the vector
    assert rng.random_elem() == v1


def test_rng_vs_reference(field):
    lib = hashing.get_suite("poseidon2").rng()
    ref = pyref.Poseidon2RngRef()
    for round_ in range(3):
        digest = field(8).tolist()
        lib.mix(digest)
        ref.mix(digest)
        # 37 draws: crosses the 16-cell rate twice, then mixing while partly used.
        assert [lib.random_elem() for _ in range(37)] == [ref.random_elem() for _ in range(37)], (
            round_
        )
        assert list(lib.random_ext_elem().c) == ref.random_ext_elem()
        for bits in (1, 5, 16, 31):
            assert lib.random_bits(bits) == ref.random_bits(bits)


def test_rng_fresh_instances_are_independent():
    s = hashing.get_suite("poseidon2")
    a, b = s.rng(), s.rng()
    a.mix([1] * 8)
    b.mix([1] * 8)
    assert [a.random_elem() for _ in range(3)] == [b.random_elem() for _ in range(3)]
    a.mix([2] * 8)
    assert a.random_elem() != b.random_elem()


def test_hash_ext_elems():
    s = hashing.get_suite("poseidon2")
    elems = [field.Fp4((1, 2, 3, 4)), field.Fp4((5, 6, 7, P - 1))]
    assert s.hash_ext_elems(elems) == tuple(pyref.p2_hash_row([1, 2, 3, 4, 5, 6, 7, P - 1]))


def test_digest_is_valid():
    s = hashing.get_suite("poseidon2")
    assert s.digest_is_valid([0] * 7 + [P - 1])
    assert not s.digest_is_valid([0] * 7 + [P])
    assert not s.digest_is_valid([0] * 7)
