"""The SHA-256 suite: RISC Zero's vectors, hashlib, and the plain-Python reference."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pyref
import pytest

from l2gpu import backends, hashing
from l2gpu.field import Fp4, P

SHA = pyref.load_json("sha256_risc0.json")["test_vectors"]
ROW_CASES = SHA["hash_elem_slice_canonical_0_to_n"]["cases"]
PAIR_CASES = SHA["hash_pair"]["cases"]


def hex_to_words(h: str) -> np.ndarray:
    """Digest hex (the 32 digest bytes) → ``as_words()``: the bytes read little-endian."""
    return np.frombuffer(bytes.fromhex(h), dtype="<u4").astype(np.uint32)


def words_to_hex(w: np.ndarray) -> str:
    return np.asarray(w, dtype="<u4").tobytes().hex()


# -- the reference itself ------------------------------------------------------------------


def test_reference_constants():
    assert pyref.SHA_K[0] == 0x428A2F98 and pyref.SHA_K[63] == 0xC67178F2
    assert pyref.SHA_IV[0] == 0x6A09E667


@pytest.mark.parametrize("length", [0, 1, 55, 56, 64, 119, 200])
def test_reference_compress_vs_hashlib(length):
    msg = bytes(range(256))[:length]
    state = pyref.sha_compress_bytes(hashlib_padding(msg))
    assert struct.pack(">8I", *state) == hashlib.sha256(msg).digest()


def test_reference_sha_rng_vector():
    """``test_sha_rng_impl`` in risc0/zkp/src/core/hash/sha/rng.rs (not in tests/data):
    10 draws, the 11th is 785921476; mix(sha256("foo")); the next draw is 4167871101."""
    r = pyref.ShaRngRef()
    for _ in range(10):
        r.next_u32()
    assert r.next_u32() == 785921476
    r.mix(pyref.sha_bytes_to_words(hashlib.sha256(b"foo").digest()))
    assert r.next_u32() == 4167871101


# -- vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ROW_CASES, ids=lambda c: f"len{c['len']}")
def test_hash_elem_slice_vectors(backend, case):
    row = np.arange(case["len"], dtype=np.uint32)[None]
    words = hashing.hash_rows(row, "sha-256", backend=backend)
    assert words.shape == (1, 8) and words.dtype == np.uint32
    assert words_to_hex(words[0]) == case["digest_hex"]
    assert words[0].tolist() == hex_to_words(case["digest_hex"]).tolist()
    assert hashing.get_suite("sha-256").hash_elems(list(range(case["len"]))) == tuple(
        hex_to_words(case["digest_hex"]).tolist()
    )


def test_hash_elem_slice_vectors_batched(backend):
    """All vector rows of one length at once, the longest padded by a real batch."""
    for case in ROW_CASES:
        n = case["len"]
        rows = np.tile(np.arange(n, dtype=np.uint32), (3, 1))
        words = hashing.hash_rows(rows, "sha-256", backend=backend)
        assert [words_to_hex(w) for w in words] == [case["digest_hex"]] * 3


@pytest.mark.parametrize("case", PAIR_CASES, ids=["risc0", "zeros"])
def test_hash_pair_vectors(backend, case):
    a, b = hex_to_words(case["a_hex"]), hex_to_words(case["b_hex"])
    out = hashing.hash_pair(a, b, "sha-256", backend=backend)
    assert words_to_hex(out) == case["out_hex"]


def test_hash_pair_of_zeros_is_hash_of_one_zero():
    """The vectors agree with each other: 64 zero bytes is also the row ``[0]`` zero-filled."""
    zeros = next(c for c in PAIR_CASES if c["a_hex"] == "00" * 32)
    one = next(c for c in ROW_CASES if c["len"] == 1)
    assert zeros["out_hex"] == one["digest_hex"]


# -- compression vs hashlib ----------------------------------------------------------------


def hashlib_padding(msg: bytes) -> bytes:
    """FIPS 180-4 padding: 0x80, zeros, the 64-bit big-endian bit length."""
    pad = b"\x80" + b"\0" * ((55 - len(msg)) % 64)
    return msg + pad + struct.pack(">Q", 8 * len(msg))


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_compress_vs_hashlib(backend, rng, blocks):
    """Padded messages through the backend's compression kernel give hashlib's digest."""
    be = backends.get(backend)
    lengths = [n for n in range(0, 200) if len(hashlib_padding(b"x" * n)) == 64 * blocks]
    msgs = [rng.bytes(n) for n in lengths[:: max(1, len(lengths) // 9)]]
    padded = [hashlib_padding(m) for m in msgs]
    state = np.tile(np.array(pyref.SHA_IV, dtype=np.uint32)[:, None], (1, len(msgs)))
    state = be.asarray(state)
    for k in range(blocks):
        block = np.array(
            [struct.unpack(">16I", p[64 * k : 64 * k + 64]) for p in padded], dtype=np.uint32
        ).T
        state = be.sha256_compress(state, be.asarray(np.ascontiguousarray(block)))
    out = be.to_numpy(state)
    for i, m in enumerate(msgs):
        assert struct.pack(">8I", *out[:, i].tolist()) == hashlib.sha256(m).digest(), len(m)


def test_compress_vs_reference(backend, rng):
    be = backends.get(backend)
    m = 4096 + 2  # crosses the 4096-lane chunk of the numpy backend
    state = rng.integers(0, 2**32, size=(8, m), dtype=np.uint32)
    block = rng.integers(0, 2**32, size=(16, m), dtype=np.uint32)
    before = (state.copy(), block.copy())
    out = be.to_numpy(be.sha256_compress(be.asarray(state), be.asarray(block)))
    assert out.shape == (8, m) and out.dtype == np.uint32
    for i in (0, 1, 4095, 4096, 4097):
        assert out[:, i].tolist() == pyref.sha256_compress(
            state[:, i].tolist(), block[:, i].tolist()
        ), i
    assert np.array_equal(state, before[0]) and np.array_equal(block, before[1])


# -- row hashes and pairs vs the reference -------------------------------------------------


@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 32, 40])
def test_hash_rows_vs_reference(backend, field, cols):
    matrix = field((6, cols))
    words = hashing.hash_rows(matrix, "sha-256", backend=backend)
    assert words.shape == (6, 8) and words.dtype == np.uint32
    assert words.tolist() == [pyref.sha_hash_row(row.tolist()) for row in matrix]


def test_hash_rows_empty_is_iv(backend):
    words = hashing.hash_rows(np.zeros((2, 0), dtype=np.uint32), "sha-256", backend=backend)
    iv_hex = struct.pack(">8I", *pyref.SHA_IV).hex()
    assert [words_to_hex(w) for w in words] == [iv_hex, iv_hex]


def test_hash_rows_crosses_chunk_boundary(backend, field):
    matrix = field((4096 + 3, 3))
    words = hashing.hash_rows(matrix, "sha-256", backend=backend)
    for r in (0, 4095, 4096, 4097, 4098):
        assert words[r].tolist() == pyref.sha_hash_row(matrix[r].tolist()), r


def test_hash_rows_no_padding(backend):
    """No 0x80/length trailer: a row and the same row with zeros appended up to the block
    boundary collide (documented: only collision resistant for fixed-size inputs)."""
    a = np.array([[1, 2, 3]], dtype=np.uint32)
    b = np.array([[1, 2, 3, 0, 0]], dtype=np.uint32)
    assert np.array_equal(
        hashing.hash_rows(a, "sha-256", backend=backend),
        hashing.hash_rows(b, "sha-256", backend=backend),
    )


@pytest.mark.parametrize("lead", [(), (1,), (6,), (2, 3)])
def test_hash_pair_vs_reference(backend, rng, lead):
    # SHA-256 digest words are arbitrary u32 (no field restriction), so use the full range.
    a = rng.integers(0, 2**32, size=(*lead, 8), dtype=np.uint32)
    b = rng.integers(0, 2**32, size=(*lead, 8), dtype=np.uint32)
    out = hashing.hash_pair(a, b, "sha-256", backend=backend)
    assert out.shape == a.shape and out.dtype == np.uint32
    for x, y, z in zip(a.reshape(-1, 8), b.reshape(-1, 8), out.reshape(-1, 8), strict=True):
        assert z.tolist() == pyref.sha_hash_pair(x.tolist(), y.tolist())


def test_hash_pair_crosses_chunk_boundary(backend, rng):
    a = rng.integers(0, 2**32, size=(4096 + 2, 8), dtype=np.uint32)
    b = rng.integers(0, 2**32, size=(4096 + 2, 8), dtype=np.uint32)
    out = hashing.hash_pair(a, b, "sha-256", backend=backend)
    for r in (0, 4095, 4096, 4097):
        assert out[r].tolist() == pyref.sha_hash_pair(a[r].tolist(), b[r].tolist()), r


def test_hash_ext_elems():
    s = hashing.get_suite("sha-256")
    elems = [Fp4((1, 2, 3, 4)), Fp4((P - 1, 0, 7, 9))]
    assert s.hash_ext_elems(elems) == tuple(pyref.sha_hash_row([1, 2, 3, 4, P - 1, 0, 7, 9]))
    assert s.digest_is_valid([2**32 - 1] * 8)


# -- Fiat–Shamir RNG -----------------------------------------------------------------------


def test_rng_random_elem_vs_reference(rng):
    lib = hashing.get_suite("sha-256").rng()
    ref = pyref.ShaRngRef()
    # Draws before any mix come straight from sha256("Hello") / sha256("World").
    assert [lib.random_elem() for _ in range(5)] == [ref.random_elem() for _ in range(5)]
    for _ in range(3):
        digest = rng.integers(0, 2**32, size=8, dtype=np.uint32).tolist()
        lib.mix(digest)
        ref.mix(digest)
        # 6 u32 per element: 7 elements cross the 8-word pool five times.
        assert [lib.random_elem() for _ in range(7)] == [ref.random_elem() for _ in range(7)]
        assert list(lib.random_ext_elem().c) == ref.random_ext_elem()


def test_rng_first_elem_by_hand():
    """random_elem = six steps of v = ((v << 32) + next_u32) mod P over pool0's LE words."""
    pool0 = np.frombuffer(hashlib.sha256(b"Hello").digest(), dtype="<u4").tolist()
    v = 0
    for w in pool0[:6]:
        v = ((v << 32) + w) % P
    assert hashing.get_suite("sha-256").rng().random_elem() == v


def test_rng_random_ext_elem_after_mix():
    lib = hashing.get_suite("sha-256").rng()
    ref = pyref.ShaRngRef()
    digest = pyref.sha_bytes_to_words(hashlib.sha256(b"foo").digest())
    lib.mix(digest)
    ref.mix(digest)
    assert list(lib.random_ext_elem().c) == ref.random_ext_elem()


def test_rng_random_bits_is_one_u32():
    """``ShaRng::random_bits`` masks a single ``next_u32`` (risc0/zkp/src/core/hash/sha/rng.rs),
    unlike the Poseidon2 RNG's four-draw rule."""
    lib = hashing.get_suite("sha-256").rng()
    ref = pyref.ShaRngRef()
    assert [lib.random_bits(b) for b in (3, 10, 20, 32)] == [
        ref.random_bits(b) for b in (3, 10, 20, 32)
    ]
    # After the draws both must sit at the same point of the stream.
    assert lib.random_elem() == ref.random_elem()
