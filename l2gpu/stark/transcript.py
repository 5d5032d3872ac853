"""The seal as a transcript: the words a prover writes and a verifier reads back.

A seal is a flat list of ``u32`` words: field elements as raw Montgomery words,
digests as their 8 words. Both sides drive the same Fiat–Shamir RNG: a commitment
``mix``es a digest, a challenge draws from it. The writer writes the seals of a batch of
statements proven in lockstep, each with its own transcript (the lanes of one RNG); the
reader reads one seal back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import VerificationError
from ..field import Fp4, P, from_mont, to_mont
from ..hashing import Digest, HashSuite


class Transcript:
    """The Fiat–Shamir side of :class:`SealReader`: one transcript."""

    def __init__(self, suite: HashSuite) -> None:
        self.suite = suite
        self._rng = suite.rng()

    def commit(self, digest: Sequence[int]) -> None:
        """Bind a digest into every later challenge."""
        self._rng.mix(digest)

    def random_elem(self) -> int:
        return self._rng.random_elem()

    def random_ext_elem(self) -> Fp4:
        return self._rng.random_ext_elem()

    def random_bits(self, bits: int) -> int:
        return self._rng.random_bits(bits)


class SealWriter:
    """Accumulates, on the prover's side, the seals of ``count`` statements proven in
    lockstep (one by default).

    Each statement has its own transcript; all of them commit and draw at the same
    points, so each Fiat–Shamir step is one call of a ``count``-lane RNG: ``commit``
    takes a digest per statement and every draw gives a value per statement.
    """

    def __init__(self, suite: HashSuite, count: int = 1) -> None:
        self.suite = suite
        self.count = count
        self._rng = suite.rng(count)
        self._parts: list[list[np.ndarray]] = [[] for _ in range(count)]

    def commit(self, digests: Sequence[Sequence[int]]) -> None:
        """Bind each statement's digest into its every later challenge."""
        self._rng.mix_lanes(digests)

    def random_ext_elem(self) -> list[Fp4]:
        return self._rng.random_ext_elem_lanes()

    def random_bits(self, bits: int) -> list[int]:
        return [int(v) for v in self._rng.random_bits_lanes(bits)]

    def write_elems(self, statement: int, elems: np.ndarray | Sequence[int]) -> None:
        """Canonical base-field elements, written as raw Montgomery words."""
        words = to_mont(np.asarray(elems, dtype=np.uint32).ravel())
        self._parts[statement].append(np.asarray(words))

    def write_ext_elems(self, statement: int, elems: Sequence[Fp4]) -> None:
        self.write_elems(statement, [c for e in elems for c in e.c])

    def write_digests(self, statement: int, digests: np.ndarray) -> None:
        """Digest words ``(count, 8)``, written as they are."""
        self._parts[statement].append(np.asarray(digests, dtype=np.uint32).ravel())

    def words(self) -> list[np.ndarray]:
        """Each statement's seal so far, as ``uint32`` words."""
        return [
            np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, dtype=np.uint32)
            for parts in self._parts
        ]


class SealReader(Transcript):
    """Reads a seal front to back, rejecting anything out of place.

    Every element word must be ``< P`` (and so must every Poseidon2 digest word); a read
    past the end, or words left over at :meth:`finish`, is a :class:`VerificationError`.
    """

    def __init__(self, words: np.ndarray, suite: HashSuite) -> None:
        super().__init__(suite)
        self._words = np.asarray(words, dtype=np.uint32)
        self._pos = 0

    def _take(self, count: int, what: str) -> np.ndarray:
        end = self._pos + count
        if end > self._words.size:
            raise VerificationError(
                f"seal truncated: {what} needs {count} words at word {self._pos}, "
                f"but the seal has {self._words.size}"
            )
        chunk = self._words[self._pos : end]
        self._pos = end
        return chunk

    def read_elems(self, count: int, what: str) -> list[int]:
        """``count`` canonical elements."""
        raw = self._take(count, what)
        if raw.size and int(raw.max()) >= P:
            bad = int(np.argmax(raw >= P))
            raise VerificationError(
                f"{what}: word {self._pos - count + bad} is not a field element"
            )
        return [int(v) for v in from_mont(raw)]

    def read_ext_elems(self, count: int, what: str) -> list[Fp4]:
        flat = self.read_elems(4 * count, what)
        return [Fp4.of(flat[4 * i : 4 * i + 4]) for i in range(count)]

    def read_digests(self, count: int, what: str) -> list[Digest]:
        raw = self._take(8 * count, what).reshape(count, 8)
        digests = [tuple(int(w) for w in row) for row in raw]
        for i, d in enumerate(digests):
            if not self.suite.digest_is_valid(d):
                raise VerificationError(
                    f"{what}: digest {i} has a word that is not a field element"
                )
        return digests

    def finish(self) -> None:
        """Reject words left over."""
        if self._pos != self._words.size:
            raise VerificationError(
                f"seal has {self._words.size - self._pos} words left over after the proof"
            )
