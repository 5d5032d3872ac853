"""Bad input is rejected with a ValueError that says what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from l2gpu import backends, hashing, merkle, ntt
from l2gpu.field import P, check_array

GOOD24 = np.zeros((2, 24), dtype=np.uint32)
GOOD8 = np.zeros((3, 8), dtype=np.uint32)
GOOD_M = np.zeros((4, 3), dtype=np.uint32)
GOOD_N = np.zeros((2, 8), dtype=np.uint32)


def not_canonical(shape) -> np.ndarray:
    x = np.zeros(shape, dtype=np.uint32)
    x.reshape(-1)[-1] = P
    return x


# -- check_array ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.zeros(3, dtype=np.int64), "dtype uint32.*got int64"),
        (np.zeros(3, dtype=np.float64), "dtype uint32.*got float64"),
        (np.zeros(3, dtype=np.uint64), "dtype uint32.*got uint64"),
        (np.zeros(3, dtype=np.int32), "dtype uint32.*got int32"),
        ([1, 2, 3], "numpy array.*got list"),
        (np.array([0, P], dtype=np.uint32), "≥ P"),
        (np.array([2**32 - 1], dtype=np.uint32), "≥ P"),
    ],
)
def test_check_array(value, match):
    with pytest.raises(ValueError, match=match) as info:
        check_array(value, "thing")
    assert "thing" in str(info.value)


def test_check_array_rank():
    with pytest.raises(ValueError, match=r"thing must be 2-dimensional, got shape \(3,\)"):
        check_array(np.zeros(3, dtype=np.uint32), "thing", ndim=2)


# -- permute -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("states", "match"),
    [
        (GOOD24.astype(np.int64), "uint32"),
        (GOOD24.astype(np.float32), "uint32"),
        (not_canonical((2, 24)), "≥ P"),
        (np.zeros((2, 16), dtype=np.uint32), r"shape \(\.\.\., 24\)"),
        (np.zeros((24, 2), dtype=np.uint32), r"shape \(\.\.\., 24\)"),
        (np.zeros((), dtype=np.uint32), r"shape \(\.\.\., 24\)"),
        (GOOD24.tolist(), "numpy array"),
    ],
)
def test_permute_rejects(backend, states, match):
    with pytest.raises(ValueError, match=match):
        hashing.permute(states, "risc0-w24", backend=backend)


def test_permute_width_follows_param_set(backend):
    with pytest.raises(ValueError, match=r"\(\.\.\., 16\) for plonky3-w16"):
        hashing.permute(GOOD24, "plonky3-w16", backend=backend)


@pytest.mark.parametrize("name", ["risc0", "plonky3-w32", "", "RISC0-W24"])
def test_unknown_param_set(name):
    with pytest.raises(ValueError, match="unknown Poseidon2 parameter set"):
        hashing.permute(GOOD24, name)


# -- hash_rows / hash_pair -----------------------------------------------------------------


@pytest.mark.parametrize("suite", ["poseidon2", "sha-256"])
@pytest.mark.parametrize(
    ("matrix", "match"),
    [
        (np.zeros(5, dtype=np.uint32), "2-dimensional"),
        (np.zeros((2, 2, 2), dtype=np.uint32), "2-dimensional"),
        (GOOD_M.astype(np.int64), "uint32"),
        (GOOD_M.astype(np.float64), "uint32"),
        (not_canonical((4, 3)), "≥ P"),
    ],
)
def test_hash_rows_rejects(backend, suite, matrix, match):
    with pytest.raises(ValueError, match=match):
        hashing.hash_rows(matrix, suite, backend=backend)


@pytest.mark.parametrize("suite", ["poseidon2", "sha-256"])
@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        (GOOD8, np.zeros((2, 8), dtype=np.uint32), "same shape"),
        (GOOD8, GOOD8[0], "same shape"),
        (np.zeros((3, 7), dtype=np.uint32), np.zeros((3, 7), dtype=np.uint32), r"\(\.\.\., 8\)"),
        (np.zeros((), dtype=np.uint32), np.zeros((), dtype=np.uint32), r"\(\.\.\., 8\)"),
        (GOOD8.astype(np.int64), GOOD8, "uint32"),
        (GOOD8, GOOD8.astype(np.float64), "uint32"),
        (GOOD8.tolist(), GOOD8, "uint32"),
    ],
)
def test_hash_pair_rejects(backend, suite, a, b, match):
    with pytest.raises(ValueError, match=match):
        hashing.hash_pair(a, b, suite, backend=backend)


@pytest.mark.parametrize("which", ["a", "b"])
def test_poseidon2_hash_pair_words_must_be_field_elements(backend, which):
    bad = GOOD8.copy()
    bad[1, 3] = P
    a, b = (bad, GOOD8) if which == "a" else (GOOD8, bad)
    with pytest.raises(ValueError, match="must be < P"):
        hashing.hash_pair(a, b, "poseidon2", backend=backend)


def test_sha256_hash_pair_accepts_any_word(backend):
    """SHA-256 digest words are bytes, not field elements: no ``< P`` rule."""
    a = np.full(8, 2**32 - 1, dtype=np.uint32)
    out = hashing.hash_pair(a, a, "sha-256", backend=backend)
    assert out.shape == (8,)


@pytest.mark.parametrize("suite", ["sha256", "SHA-256", "poseidon", "blake3", ""])
def test_unknown_suite(suite):
    with pytest.raises(ValueError, match="unknown hash suite"):
        hashing.hash_rows(GOOD_M, suite)
    with pytest.raises(ValueError, match="unknown hash suite"):
        hashing.hash_pair(GOOD8, GOOD8, suite)
    with pytest.raises(ValueError, match="unknown hash suite"):
        hashing.get_suite(suite)
    with pytest.raises(ValueError, match="unknown hash suite"):
        merkle.commit(GOOD_M, suite)


# -- NTT -----------------------------------------------------------------------------------

NTT_FUNCS = {
    "interpolate": ntt.interpolate,
    "evaluate": ntt.evaluate,
    "zk_shift": ntt.zk_shift,
    "lde": ntt.lde,
    "bit_reverse": ntt.bit_reverse,
}


@pytest.mark.parametrize("func", list(NTT_FUNCS))
@pytest.mark.parametrize("n", [0, 3, 6, 12, 100])
def test_ntt_length_not_power_of_two(backend, func, n):
    with pytest.raises(ValueError, match=f"power of two, got {n}"):
        NTT_FUNCS[func](np.zeros((2, n), dtype=np.uint32), backend=backend)


@pytest.mark.parametrize("func", list(NTT_FUNCS))
@pytest.mark.parametrize(
    ("values", "match"),
    [
        (GOOD_N.astype(np.int64), "uint32"),
        (GOOD_N.astype(np.float64), "uint32"),
        (not_canonical((2, 8)), "≥ P"),
        (np.zeros((2, 2, 8), dtype=np.uint32), r"shape \(n,\) or \(cols, n\)"),
        (np.zeros((), dtype=np.uint32), r"shape \(n,\) or \(cols, n\)"),
    ],
)
def test_ntt_rejects(backend, func, values, match):
    with pytest.raises(ValueError, match=match):
        NTT_FUNCS[func](values, backend=backend)


@pytest.mark.parametrize("func", ["evaluate", "lde"])
@pytest.mark.parametrize("blowup", [0, 3, 5, 6, -2])
def test_blowup_not_power_of_two(backend, func, blowup):
    with pytest.raises(ValueError, match=f"blowup must be a power of two, got {blowup}"):
        NTT_FUNCS[func](GOOD_N, blowup, backend=backend)


@pytest.mark.parametrize("func", ["evaluate", "lde"])
def test_domain_larger_than_two_adicity(func):
    # A zero-strided view: 2^26 elements without 2^28 bytes of memory.
    values = np.broadcast_to(np.uint32(0), (1 << 26,))
    with pytest.raises(ValueError, match=r"2\^28 exceeds BabyBear's 2\^27"):
        NTT_FUNCS[func](values, 4)


# -- Merkle --------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 6, 100])
def test_commit_rows_not_power_of_two(backend, rows):
    with pytest.raises(ValueError, match=f"rows must be a power of two, got {rows}"):
        merkle.commit(np.zeros((rows, 2), dtype=np.uint32), backend=backend)


def test_commit_rejects(backend):
    with pytest.raises(ValueError, match="2-dimensional"):
        merkle.commit(np.zeros(8, dtype=np.uint32), backend=backend)
    with pytest.raises(ValueError, match="≥ P"):
        merkle.commit(not_canonical((8, 2)), backend=backend)
    with pytest.raises(ValueError, match="uint32"):
        merkle.commit(np.zeros((8, 2), dtype=np.int64), backend=backend)
    with pytest.raises(ValueError, match="power of two, got 0"):
        merkle.commit(np.zeros((0, 2), dtype=np.uint32), backend=backend)
    with pytest.raises(ValueError, match="queries must be at least 1, got 0"):
        merkle.commit(np.zeros((8, 2), dtype=np.uint32), queries=0, backend=backend)


def test_top_layer_size_rejects():
    with pytest.raises(ValueError, match="rows must be a power of two, got 12"):
        merkle.top_layer_size(12, 50)
    with pytest.raises(ValueError, match="rows must be a power of two, got 0"):
        merkle.top_layer_size(0, 50)
    with pytest.raises(ValueError, match="queries must be at least 1, got -3"):
        merkle.top_layer_size(64, -3)


def test_verify_opening_rejects_malformed():
    tree = merkle.commit(np.zeros((8, 2), dtype=np.uint32), queries=2)
    o = tree.open(1)
    with pytest.raises(ValueError, match=r"top must have shape \(top_size, 8\)"):
        merkle.verify_opening(tree.top[:, :7], 1, o.values, o.siblings)
    with pytest.raises(ValueError, match=r"top must have shape \(top_size, 8\)"):
        merkle.verify_opening(tree.top.reshape(-1), 1, o.values, o.siblings)
    with pytest.raises(ValueError, match="≥ P"):
        merkle.verify_opening(tree.top, 1, np.array([P, 0], dtype=np.uint32), o.siblings)
    with pytest.raises(ValueError, match="uint32"):
        merkle.verify_opening(tree.top, 1, o.values.astype(np.int64), o.siblings)
    with pytest.raises(ValueError, match="unknown hash suite"):
        merkle.verify_opening(tree.top, 1, o.values, o.siblings, "md5")


# -- backends ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", "NUMPY", "cuda", ""])
def test_unknown_backend_name(name):
    with pytest.raises(ValueError, match="unknown backend"):
        backends.get(name)
    with pytest.raises(ValueError, match="unknown backend"):
        hashing.permute(GOOD24, backend=name)
    with pytest.raises(ValueError, match="unknown backend"):
        ntt.interpolate(GOOD_N, backend=name)
    with pytest.raises(ValueError, match="unknown backend"):
        merkle.commit(GOOD_M, backend=name)
