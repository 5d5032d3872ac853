"""The ``cpu`` backend's SHA-256 kernels: bit-identical to the numpy backend, and vectors."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pyref
import pytest

from l2gpu import backends
from l2gpu.backends.cpu import sha256 as cpu_sha
from l2gpu.field import P

NP = backends.get("numpy")
LANES = [0, 1, 3, 4096, 5000]
COLS = [0, 1, 15, 16, 17, 33, 64]
SHA = pyref.load_json("sha256_risc0.json")["test_vectors"]
IV = np.array(pyref.SHA_IV, dtype=np.uint32)


def words(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, 1 << 32, shape, dtype=np.uint32)


def canonical(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random field elements with the edge values ``0``, ``1`` and ``P − 1`` mixed in."""
    x = rng.integers(0, P, shape, dtype=np.uint32)
    x.flat[:: max(1, x.size // 7)] = P - 1
    x.flat[1 :: max(1, x.size // 5)] = 0
    return x


def check(out: np.ndarray, expected: np.ndarray) -> None:
    """Same values, and a fresh C-contiguous ``uint32`` array."""
    assert out.dtype == np.uint32 and out.flags.c_contiguous and out.flags.owndata
    np.testing.assert_array_equal(out, expected)


# -- compress --------------------------------------------------------------------------------


@pytest.mark.parametrize("m", LANES)
def test_compress_matches_numpy(rng, m):
    state, block = words(rng, (8, m)), words(rng, (16, m))
    check(cpu_sha.compress(state, block), NP.sha256_compress(state, block))


def test_compress_strided_views_unchanged(rng):
    state = words(rng, (777, 8)).T  # Fortran-ordered view
    block = words(rng, (32, 2 * 777))[::2, 1::2]
    before = state.copy(), block.copy()
    check(cpu_sha.compress(state, block), NP.sha256_compress(state, block))
    np.testing.assert_array_equal(state, before[0])
    np.testing.assert_array_equal(block, before[1])


def test_compress_abc():
    """FIPS 180-4's "abc": one padded block from the IV gives the standard digest."""
    block = np.zeros((16, 1), dtype=np.uint32)
    block[0, 0], block[15, 0] = 0x61626380, 24
    out = cpu_sha.compress(IV[:, None], block)
    assert struct.pack(">8I", *out[:, 0]) == hashlib.sha256(b"abc").digest()


def test_compress_chain_vs_hashlib(rng):
    """Three-block padded messages, one per lane, chained through the kernel."""
    msgs = [rng.bytes(n) for n in range(120, 184)]
    padded = [
        m + b"\x80" + b"\0" * ((55 - len(m)) % 64) + struct.pack(">Q", 8 * len(m)) for m in msgs
    ]
    blocks = np.array([np.frombuffer(p, dtype=">u4") for p in padded], dtype=np.uint32).T
    state = np.repeat(IV[:, None], len(msgs), axis=1)
    for start in range(0, blocks.shape[0], 16):
        state = cpu_sha.compress(state, blocks[start : start + 16])
    assert [struct.pack(">8I", *s) for s in state.T] == [hashlib.sha256(m).digest() for m in msgs]


# -- hash_rows -------------------------------------------------------------------------------


@pytest.mark.parametrize("cols", COLS)
@pytest.mark.parametrize("rows", LANES)
def test_hash_rows_matches_numpy(rng, cols, rows):
    matrix = canonical(rng, (cols, rows))
    check(cpu_sha.hash_rows(matrix), NP.sha256_hash_rows(matrix))


def test_hash_rows_no_columns_is_iv():
    np.testing.assert_array_equal(
        cpu_sha.hash_rows(np.zeros((0, 5), dtype=np.uint32)),
        np.repeat(IV.byteswap()[:, None], 5, 1),
    )


@pytest.mark.parametrize("cols", [9, 40])
def test_hash_rows_strided_views_unchanged(rng, cols):
    layer = canonical(rng, (cols, 2 * 1500))
    for view in (layer[:, 0::2], layer[::-1, 1::2], canonical(rng, (1500, cols)).T):
        before = view.copy()
        check(cpu_sha.hash_rows(view), NP.sha256_hash_rows(view))
        np.testing.assert_array_equal(view, before)


@pytest.mark.parametrize("case", SHA["hash_elem_slice_canonical_0_to_n"]["cases"])
def test_hash_rows_risc0_vectors(case):
    column = np.arange(case["len"], dtype=np.uint32)[:, None]
    digest = cpu_sha.hash_rows(column)[:, 0]
    assert digest.astype("<u4").tobytes().hex() == case["digest_hex"]


# -- hash_pairs ------------------------------------------------------------------------------


@pytest.mark.parametrize("m", LANES)
def test_hash_pairs_matches_numpy(rng, m):
    left, right = words(rng, (8, m)), words(rng, (8, m))
    check(cpu_sha.hash_pairs(left, right), NP.sha256_hash_pairs(left, right))


def test_hash_pairs_strided_views_unchanged(rng):
    layer = words(rng, (8, 2 * 2049))
    before = layer.copy()
    left, right = layer[:, 0::2], layer[:, 1::2]
    check(cpu_sha.hash_pairs(left, right), NP.sha256_hash_pairs(left, right))
    check(cpu_sha.hash_pairs(right[::-1], left), NP.sha256_hash_pairs(right[::-1], left))
    np.testing.assert_array_equal(layer, before)


@pytest.mark.parametrize("case", SHA["hash_pair"]["cases"])
def test_hash_pairs_risc0_vectors(case):
    def as_words(h: str) -> np.ndarray:
        return np.frombuffer(bytes.fromhex(h), dtype="<u4").astype(np.uint32)[:, None]

    out = cpu_sha.hash_pairs(as_words(case["a_hex"]), as_words(case["b_hex"]))
    assert out[:, 0].astype("<u4").tobytes().hex() == case["out_hex"]
