"""Merkle trees with RISC Zero's layout.

Leaf ``r`` is the row hash of row ``r`` of a ``rows × cols`` matrix; in heap order
``node[rows + r]`` is leaf ``r`` and ``node[i] = hash_pair(node[2i], node[2i+1])``; the
root is ``node[1]``. A commitment publishes the *top layer* — the ``2^k`` nodes of
the largest layer with ``2^k ≤ queries`` — and openings stop just below it, which saves
repeating the top of every path in each of the ``queries`` openings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backends
from .field import check_array, log2_exact
from .hashing import HashSuite, get_suite

__all__ = [
    "MerkleTree",
    "Opening",
    "commit",
    "root_of_top",
    "top_layer_size",
    "verify_opening",
    "verify_openings",
]


def top_layer_size(rows: int, queries: int) -> int:
    """``2^top_layer``: the largest ``2^i ≤ queries`` with ``1 ≤ i < log2(rows)``, else 1.

    As RISC Zero's ``MerkleTreeParams`` (``for i in 1..layers``): the top layer is never
    the leaves, and is the root itself for trees of 1 or 2 rows or fewer than 2 queries.
    """
    log_rows = log2_exact(rows, "rows")
    if queries < 1:
        raise ValueError(f"queries must be at least 1, got {queries}")
    return 1 << max(0, min(log_rows - 1, queries.bit_length() - 1))


@dataclass(frozen=True)
class Opening:
    """A row's values (canonical) and its sibling digests, leaf level first."""

    row: int
    values: np.ndarray  # (cols,) uint32
    siblings: np.ndarray  # (depth, 8) uint32 words


class MerkleTree:
    """Committed matrices of one shape — ``count`` trees (one by default), built together.

    ``columns`` is ``(cols, count·rows)``: tree ``t`` commits the ``rows`` columns
    ``columns[:, t·rows : (t+1)·rows]``. ``layers[k]`` holds level ``k`` of every tree side
    by side, ``(8, count·rows/2^k)`` on the backend: ``layers[0]`` the leaves,
    ``layers[-1]`` the roots. Each level is one hash call for all the trees, and tree
    ``t``'s digests are exactly those of a tree built from its columns alone.
    """

    def __init__(
        self, columns, suite: HashSuite, backend: backends.Backend, queries: int, count: int = 1
    ) -> None:
        """Commit a column-major ``(cols, count·rows)`` backend matrix (no input checks)."""
        self.suite = suite
        self.backend = backend
        self.columns = columns
        self.count = count
        self.cols, total = columns.shape
        if count < 1 or total % count:
            raise ValueError(f"cannot split {total} rows into {count} trees")
        self.rows = total // count
        self.top_size = top_layer_size(self.rows, queries)
        layers = [suite.hash_rows(backend, columns)]
        while layers[-1].shape[1] > count:  # each tree's level has an even width, so
            layer = layers[-1]  # pairs never straddle two trees
            layers.append(suite.hash_pairs(backend, layer[:, 0::2], layer[:, 1::2]))
        self.layers = layers
        self._host_top = backend.to_numpy(layers[self.depth])

    @property
    def depth(self) -> int:
        """Levels from the leaves to the top layer: the length of every opening path."""
        return (self.rows // self.top_size).bit_length() - 1

    @property
    def tops(self) -> np.ndarray:
        """Every tree's top layer, ``(count, top_size, 8)`` digest words."""
        top = self._host_top.reshape(8, self.count, self.top_size)
        return np.ascontiguousarray(top.transpose(1, 2, 0))

    @property
    def top(self) -> np.ndarray:
        """The top layer as ``(top_size, 8)`` digest words: what a commitment publishes
        (of tree 0, the only one unless ``count > 1``)."""
        return self.tops[0]

    @property
    def roots(self) -> np.ndarray:
        """Every tree's root, ``(count, 8)`` words."""
        return np.ascontiguousarray(self.backend.to_numpy(self.layers[-1]).T)

    @property
    def root(self) -> np.ndarray:
        """The root digest as 8 words (of tree 0)."""
        return self.roots[0]

    def matrix(self, tree: int):
        """Tree ``tree``'s committed ``(cols, rows)`` columns, on the backend (``columns``
        itself for a single tree: no copy)."""
        if self.count == 1:
            return self.columns
        return self.columns[:, tree * self.rows : (tree + 1) * self.rows]

    def open(self, row: int, tree: int = 0) -> Opening:
        """The values of ``row`` of tree ``tree`` and its path up to the top layer."""
        values, siblings = self.open_many([tree], [row])
        return Opening(row, values[0], siblings[0])

    def open_many(self, trees, rows) -> tuple[np.ndarray, np.ndarray]:
        """Openings of ``rows[i]`` of tree ``trees[i]``, gathered in one call per level.

        Returns the values ``(m, cols)`` and the sibling paths ``(m, depth, 8)``.
        """
        trees = np.asarray(trees, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        for name, idx, size in (("tree", trees, self.count), ("row", rows, self.rows)):
            bad = idx[(idx < 0) | (idx >= size)]
            if bad.size:
                raise ValueError(f"{name} {int(bad[0])} out of range: there are {size}")
        be = self.backend

        def gather(matrix, index: np.ndarray) -> np.ndarray:  # the index on the device too
            return be.to_numpy(matrix[:, be.asarray(index.astype(np.uint32))]).T

        values = np.ascontiguousarray(gather(self.columns, trees * self.rows + rows))
        siblings = np.empty((rows.size, self.depth, 8), dtype=np.uint32)
        for level in range(self.depth):
            index = trees * (self.rows >> level) + ((rows >> level) ^ 1)
            siblings[:, level] = gather(self.layers[level], index)
        return values, siblings


def root_of_top(top: np.ndarray, suite: str | HashSuite = "poseidon2") -> np.ndarray:
    """Fold a published top layer ``(top_size, 8)`` down to the root."""
    s = get_suite(suite)
    be = backends.get("numpy")
    layer = np.ascontiguousarray(top.T)
    while layer.shape[1] > 1:
        layer = s.hash_pairs(be, layer[:, 0::2], layer[:, 1::2])
    return layer[:, 0].copy()


def commit(
    matrix: np.ndarray, suite: str = "poseidon2", queries: int = 50, *, backend=None
) -> MerkleTree:
    """Commit a ``(rows, cols)`` matrix of canonical ``uint32`` values."""
    s = get_suite(suite)
    matrix = check_array(matrix, "matrix", ndim=2)
    top_layer_size(matrix.shape[0], queries)
    be = backends.get(backend)
    return MerkleTree(be.asarray(np.ascontiguousarray(matrix.T)), s, be, queries)


def verify_opening(
    top: np.ndarray,
    row: int,
    values: np.ndarray,
    siblings: np.ndarray,
    suite: str | HashSuite = "poseidon2",
) -> bool:
    """Whether ``values`` with ``siblings`` lead from leaf ``row`` to its node in ``top``.

    ``top`` is the published top layer ``(top_size, 8)``; the tree has
    ``top_size · 2^len(siblings)`` rows. Returns ``False`` for any mismatch, including
    a ``row`` out of range; raises ``ValueError`` only for malformed arguments.
    """
    values = check_array(values, "values", ndim=1)
    siblings = np.asarray(siblings, dtype=np.uint32).reshape(1, -1, 8)
    return bool(verify_openings(top, np.array([row]), values[None], siblings, suite)[0])


def verify_openings(
    top: np.ndarray,
    rows: np.ndarray,
    values: np.ndarray,
    siblings: np.ndarray,
    suite: str | HashSuite = "poseidon2",
) -> np.ndarray:
    """:func:`verify_opening` for ``m`` openings at once, hashed as one batch per level.

    ``rows (m,)``, ``values (m, cols)``, ``siblings (m, depth, 8)`` → ``(m,)`` booleans. A
    sibling that cannot be a digest of the suite (a Poseidon2 word ``≥ P``) fails.
    """
    s = get_suite(suite)
    be = backends.get("numpy")
    top = np.asarray(top, dtype=np.uint32)
    if top.ndim != 2 or top.shape[1] != 8:
        raise ValueError(f"top must have shape (top_size, 8), got {top.shape}")
    rows = np.asarray(rows, dtype=np.int64)
    values = check_array(values, "values", ndim=2)
    siblings = np.asarray(siblings, dtype=np.uint32)
    if siblings.ndim != 3 or siblings.shape[0] != rows.size or siblings.shape[2] != 8:
        raise ValueError(f"siblings must have shape ({rows.size}, depth, 8), got {siblings.shape}")
    depth = siblings.shape[1]
    in_range = (rows >= 0) & (rows < top.shape[0] << depth)
    idx = np.where(in_range, rows, 0)
    cur = s.hash_rows(be, np.ascontiguousarray(values.T))  # (8, m)
    for level in range(depth):
        sib = np.ascontiguousarray(siblings[:, level].T)
        right = ((idx >> level) & 1).astype(bool)
        left_in, right_in = np.where(right, sib, cur), np.where(right, cur, sib)
        cur = s.hash_pairs(be, left_in, right_in)
    expected = top[idx >> depth].T
    well_formed = s.valid_digests(siblings).all(axis=-1) if depth else True
    return in_range & well_formed & (cur == expected).all(axis=0)
