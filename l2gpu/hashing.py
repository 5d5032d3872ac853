"""RISC Zero's hash suites: Poseidon2 (default) and SHA-256.

A suite hashes rows of field elements to 8-word digests (the Merkle leaves), hashes
pairs of digests (the Merkle nodes) and seeds the Fiat–Shamir RNG of the transcript.
Digests are 8 ``uint32`` words as RISC Zero's ``Digest::as_words()`` gives them.

The public functions take canonical ``uint32`` numpy arrays and ``backend=``; the suite
objects (:func:`suite`) are what the commitment and the protocol layers use.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from . import backends, poseidon2
from .field import Fp4, P, check_array, from_mont
from .poseidon2 import Poseidon2Params

SUITES = ("poseidon2", "sha-256")
Digest = tuple[int, ...]  # 8 words


class Rng(ABC):
    """Fiat–Shamir randomness: ``mix`` digests in, draw field elements out.

    An RNG runs ``lanes`` independent transcripts in lockstep (one by default): each
    ``*_lanes`` call mixes into, or draws from, every lane at once, in one kernel call —
    how a batch of proofs shares its Fiat–Shamir work. The other methods are those of
    a one-lane RNG.
    """

    def __init__(self, lanes: int = 1) -> None:
        self.lanes = lanes

    @abstractmethod
    def mix_lanes(self, digests: Sequence[Sequence[int]]) -> None:
        """Absorb one 8-word digest per lane."""

    @abstractmethod
    def random_elem_lanes(self) -> np.ndarray:
        """A canonical base-field element per lane, ``(lanes,)`` ``int64``."""

    def random_ext_elem_lanes(self) -> list[Fp4]:
        draws = [self.random_elem_lanes() for _ in range(4)]
        return [Fp4.of(int(d[lane]) for d in draws) for lane in range(self.lanes)]

    def random_bits_lanes(self, bits: int) -> np.ndarray:
        """RISC Zero's ``random_bits``: a non-zero draw where possible, masked to ``bits``."""
        value = self.random_elem_lanes()
        for _ in range(3):
            candidate = self.random_elem_lanes()
            value = np.where(value == 0, candidate, value)
        return value & ((1 << bits) - 1)

    def _one_lane(self) -> None:
        if self.lanes != 1:
            raise ValueError(f"this RNG has {self.lanes} lanes: use its *_lanes methods")

    def mix(self, digest: Sequence[int]) -> None:
        """Absorb an 8-word digest."""
        self._one_lane()
        self.mix_lanes([digest])

    def random_elem(self) -> int:
        """A canonical base-field element."""
        self._one_lane()
        return int(self.random_elem_lanes()[0])

    def random_ext_elem(self) -> Fp4:
        self._one_lane()
        return self.random_ext_elem_lanes()[0]

    def random_bits(self, bits: int) -> int:
        self._one_lane()
        return int(self.random_bits_lanes(bits)[0])


class HashSuite(ABC):
    """Row hash, pair hash and RNG of one suite, with kernels from a backend."""

    name: str

    @abstractmethod
    def hash_rows(self, backend: backends.Backend, matrix: backends.base.Array):
        """Digest words ``(8, rows)`` of each row of a column-major ``(cols, rows)`` matrix."""

    @abstractmethod
    def hash_pairs(self, backend: backends.Backend, left, right):
        """Digest words ``(8, m)`` of ``hash_pair(left[:, i], right[:, i])``."""

    @abstractmethod
    def rng(self, lanes: int = 1) -> Rng:
        """A fresh transcript RNG of ``lanes`` lanes."""

    def hash_elems(self, elems: Sequence[int]) -> Digest:
        """The digest of one row of canonical elements, on the numpy backend."""
        return self.hash_elems_many([elems])[0]

    def hash_elems_many(self, rows: Sequence[Sequence[int]] | np.ndarray) -> list[Digest]:
        """:meth:`hash_elems` of each of ``count`` equally long rows, in one kernel call."""
        matrix = np.asarray(rows, dtype=np.uint32).reshape(len(rows), -1)
        words = self.hash_rows(backends.get("numpy"), np.ascontiguousarray(matrix.T))
        return [tuple(int(w) for w in column) for column in words.T]

    def hash_ext_elems(self, elems: Sequence[Fp4]) -> Digest:
        """``hash_ext_elem_slice``: each Fp4 element contributes its 4 components in order."""
        return self.hash_elems([c for e in elems for c in e.c])

    def valid_digests(self, words: np.ndarray) -> np.ndarray:
        """Which digests of ``(..., 8)`` words can be digests of this suite (any word for
        SHA-256; field elements, ``< P``, for Poseidon2)."""
        return np.ones(np.shape(words)[:-1], dtype=bool)

    def digest_is_valid(self, digest: Sequence[int]) -> bool:
        return len(digest) == 8 and bool(self.valid_digests(np.asarray(digest, np.int64)))


class Poseidon2Suite(HashSuite):
    """RISC Zero's Poseidon2 suite (width 24, rate 16): digests are raw Montgomery words."""

    name = "poseidon2"

    def __init__(self, param_set: str = "risc0-w24") -> None:
        self.params: Poseidon2Params = poseidon2.params(param_set)

    def hash_rows(self, backend, matrix):
        return backend.poseidon2_hash_rows(matrix, self.params)

    def hash_pairs(self, backend, left, right):
        return backend.poseidon2_hash_pairs(left, right, self.params)

    def rng(self, lanes: int = 1) -> Rng:
        return _Poseidon2Rng(self.params, lanes)

    def valid_digests(self, words: np.ndarray) -> np.ndarray:
        return (np.asarray(words) < P).all(axis=-1)


class _Poseidon2Rng(Rng):
    """A duplex sponge over the permutation; draws come from the rate cells."""

    def __init__(self, p: Poseidon2Params, lanes: int = 1) -> None:
        super().__init__(lanes)
        self._params = p
        self._backend = backends.get("numpy")
        self._state = np.zeros((p.width, lanes), dtype=np.uint32)  # a column per lane
        self._used = 0

    def _permute(self) -> None:
        self._state = self._backend.poseidon2_permute(self._state, self._params)

    def mix_lanes(self, digests: Sequence[Sequence[int]]) -> None:
        if self._used:
            self._permute()
            self._used = 0
        words = np.asarray(digests, dtype=np.uint32).reshape(self.lanes, 8).T
        s = self._state[:8].astype(np.uint64) + np.asarray(from_mont(words), dtype=np.uint64)
        self._state[:8] = s % P
        self._permute()

    def random_elem_lanes(self) -> np.ndarray:
        if self._used == 16:
            self._permute()
            self._used = 0
        value = self._state[self._used].astype(np.int64)
        self._used += 1
        return value


class Sha256Suite(HashSuite):
    """RISC Zero's SHA-256 suite: bare compressions, no padding."""

    name = "sha-256"

    def hash_rows(self, backend, matrix):
        return backend.sha256_hash_rows(matrix)

    def hash_pairs(self, backend, left, right):
        return backend.sha256_hash_pairs(left, right)

    def rng(self, lanes: int = 1) -> Rng:
        return _Sha256Rng(lanes)


def _words(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


class _Sha256Rng(Rng):
    """Two 32-byte pools stepped by ``hash_pair``; words read little-endian from pool 0."""

    def __init__(self, lanes: int = 1) -> None:
        super().__init__(lanes)
        self._backend = backends.get("numpy")
        pools = (_words(hashlib.sha256(seed).digest()) for seed in (b"Hello", b"World"))
        self._pool0, self._pool1 = (np.repeat(pool[:, None], lanes, 1) for pool in pools)
        self._used = 0

    def _step(self) -> None:
        self._pool0 = self._backend.sha256_hash_pairs(self._pool0, self._pool1)
        self._pool1 = self._backend.sha256_hash_pairs(self._pool0, self._pool1)
        self._used = 0

    def mix_lanes(self, digests: Sequence[Sequence[int]]) -> None:
        words = np.asarray(digests, dtype=np.uint32).reshape(self.lanes, 8).T
        self._pool0 = self._pool0 ^ words
        self._step()

    def _random_u32(self) -> np.ndarray:
        if self._used == 8:
            self._step()
        value = self._pool0[self._used].astype(np.uint64)
        self._used += 1
        return value

    def random_bits_lanes(self, bits: int) -> np.ndarray:
        """One word, masked (unlike the Poseidon2 RNG's rule)."""
        return (self._random_u32() & np.uint64((1 << bits) - 1)).astype(np.int64)

    def random_elem_lanes(self) -> np.ndarray:
        value = np.zeros(self.lanes, dtype=np.uint64)
        for _ in range(6):  # value < P < 2^31: the shifted sum stays below 2^64
            value = ((value << np.uint64(32)) + self._random_u32()) % np.uint64(P)
        return value.astype(np.int64)


def get_suite(name: str | HashSuite) -> HashSuite:
    """The hash suite called ``name`` (``"poseidon2"`` or ``"sha-256"``)."""
    if isinstance(name, HashSuite):
        return name
    if name == "poseidon2":
        return Poseidon2Suite()
    if name == "sha-256":
        return Sha256Suite()
    raise ValueError(f"unknown hash suite {name!r}; choose one of {SUITES}")


# -- public array functions ----------------------------------------------------------


def permute(states: np.ndarray, params: str = "risc0-w24", *, backend=None) -> np.ndarray:
    """Poseidon2 on each state of ``states`` (shape ``(..., width)``, canonical ``uint32``)."""
    p = poseidon2.params(params)
    states = check_array(states, "states")
    if states.ndim == 0 or states.shape[-1] != p.width:
        raise ValueError(
            f"states must have shape (..., {p.width}) for {p.name}, not {states.shape}"
        )
    be = backends.get(backend)
    flat = np.ascontiguousarray(states.reshape(-1, p.width).T)
    out = be.to_numpy(be.poseidon2_permute(be.asarray(flat), p))
    return np.ascontiguousarray(out.T).reshape(states.shape)


def hash_rows(matrix: np.ndarray, suite: str = "poseidon2", *, backend=None) -> np.ndarray:
    """The row hash of each row of ``matrix`` (``(rows, cols)``) → ``(rows, 8)`` digest words."""
    s = get_suite(suite)
    matrix = check_array(matrix, "matrix", ndim=2)
    be = backends.get(backend)
    words = s.hash_rows(be, be.asarray(np.ascontiguousarray(matrix.T)))
    return np.ascontiguousarray(be.to_numpy(words).T)


def hash_pair(
    a: np.ndarray, b: np.ndarray, suite: str = "poseidon2", *, backend=None
) -> np.ndarray:
    """``hash_pair`` of digests ``a`` and ``b`` (shape ``(..., 8)`` each) → ``(..., 8)``."""
    s = get_suite(suite)
    for name, d in (("a", a), ("b", b)):
        if not isinstance(d, np.ndarray) or d.dtype != np.uint32:
            raise ValueError(f"{name} must be a uint32 numpy array of digest words")
        if d.ndim == 0 or d.shape[-1] != 8:
            raise ValueError(f"{name} must have shape (..., 8), got {d.shape}")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if isinstance(s, Poseidon2Suite) and (a.size and max(int(a.max()), int(b.max())) >= P):
        raise ValueError(f"Poseidon2 digest words are field elements and must be < P = {P}")
    be = backends.get(backend)
    left = be.asarray(np.ascontiguousarray(a.reshape(-1, 8).T))
    right = be.asarray(np.ascontiguousarray(b.reshape(-1, 8).T))
    out = be.to_numpy(s.hash_pairs(be, left, right))
    return np.ascontiguousarray(out.T).reshape(a.shape)
