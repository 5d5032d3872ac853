"""Merkle commitments: heap layout, top layer, openings, and their verification."""

from __future__ import annotations

from functools import cache

import numpy as np
import pyref
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu import backends, hashing, merkle
from l2gpu.field import P

SUITES = ["poseidon2", "sha-256"]


def heap(matrix: np.ndarray, suite: str, backend=None) -> list[np.ndarray]:
    """``node[rows + r]`` = leaf r, ``node[i] = hash_pair(node[2i], node[2i+1])``.

    Built a layer at a time (one batched ``hash_pair`` call per layer).
    """
    rows = matrix.shape[0]
    node: list[np.ndarray] = [np.zeros(8, np.uint32)] * (2 * rows)
    node[rows:] = list(hashing.hash_rows(matrix, suite, backend=backend))
    width = rows
    while width > 1:
        layer = np.array(node[width : 2 * width])
        parents = hashing.hash_pair(layer[0::2], layer[1::2], suite, backend=backend)
        node[width // 2 : width] = list(parents)
        width //= 2
    return node


# -- roots ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("rows", "cols"), [(2, 1), (4, 3), (8, 0), (64, 5), (256, 17)])
def test_root_and_top_equal_heap_tree(backend, field, suite, rows, cols):
    matrix = field((rows, cols))
    tree = merkle.commit(matrix, suite, backend=backend)
    node = heap(matrix, suite, backend)
    assert tree.root.dtype == np.uint32 and tree.root.shape == (8,)
    assert tree.root.tolist() == node[1].tolist()
    top = merkle.top_layer_size(rows, 50)
    assert tree.top.shape == (top, 8) and tree.top.dtype == np.uint32
    assert tree.top.tolist() == [n.tolist() for n in node[top : 2 * top]]


def test_root_vs_pure_python_poseidon2(backend, field):
    matrix = field((4, 3))
    rows = [pyref.p2_hash_row(r) for r in matrix.tolist()]
    left, right = pyref.p2_hash_pair(rows[0], rows[1]), pyref.p2_hash_pair(rows[2], rows[3])
    tree = merkle.commit(matrix, "poseidon2", backend=backend)
    assert tree.root.tolist() == pyref.p2_hash_pair(left, right)


def test_root_vs_pure_python_sha256(backend, field):
    matrix = field((4, 20))
    rows = [pyref.sha_hash_row(r) for r in matrix.tolist()]
    left, right = pyref.sha_hash_pair(rows[0], rows[1]), pyref.sha_hash_pair(rows[2], rows[3])
    tree = merkle.commit(matrix, "sha-256", backend=backend)
    assert tree.root.tolist() == pyref.sha_hash_pair(left, right)


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("rows", "queries"), [(2, 2), (16, 4), (64, 50), (1024, 50)])
def test_root_of_top(backend, field, suite, rows, queries):
    tree = merkle.commit(field((rows, 2)), suite, queries, backend=backend)
    assert merkle.root_of_top(tree.top, suite).tolist() == tree.root.tolist()
    assert merkle.root_of_top(tree.top, hashing.get_suite(suite)).tolist() == tree.root.tolist()


def test_root_depends_on_every_cell(backend, field):
    matrix = field((8, 3))
    root = merkle.commit(matrix, backend=backend).root.tolist()
    for r, c in [(0, 0), (7, 2), (3, 1)]:
        changed = matrix.copy()
        changed[r, c] = (int(changed[r, c]) + 1) % P
        assert merkle.commit(changed, backend=backend).root.tolist() != root


def test_commit_does_not_modify_input(backend, field):
    matrix = field((16, 4))
    before = matrix.copy()
    merkle.commit(matrix, "sha-256", backend=backend)
    assert np.array_equal(matrix, before)


# -- top layer size ------------------------------------------------------------------------

QUERIES = [2, 3, 4, 5, 8, 31, 32, 33, 50, 64, 100, 128, 1000]


def test_top_layer_size_risc0_cases():
    """``new_merkle_tree_params_1/2`` in risc0/zkp/src/merkle.rs."""
    assert merkle.top_layer_size(1024, 50) == 32
    assert merkle.top_layer_size(2048, 128) == 128
    assert merkle.top_layer_size(1 << 20, 50) == 32


@pytest.mark.parametrize("queries", QUERIES)
def test_top_layer_size_when_rows_exceed_queries(queries):
    """Where the tree is wider than the largest 2^i ≤ queries, the library and RISC Zero's
    ``MerkleTreeParams::new`` agree: the top layer is that 2^i."""
    largest = 1 << (queries.bit_length() - 1)
    for log_rows in range(1, 21):
        rows = 1 << log_rows
        if rows > largest:
            assert merkle.top_layer_size(rows, queries) == largest
            assert merkle.top_layer_size(rows, queries) == pyref.top_size_risc0(rows, queries)


@pytest.mark.parametrize(
    ("rows", "queries", "risc0"),
    [(1, 50, 1), (2, 50, 1), (4, 50, 2), (16, 50, 8), (32, 50, 16), (64, 64, 32), (64, 1, 1)],
)
def test_top_layer_size_small_trees_match_risc0(rows, queries, risc0):
    """RISC Zero loops ``for i in 1..layers`` (exclusive): the top layer is at most rows/2
    wide, and the root itself for 1 or 2 rows or a single query."""
    assert pyref.top_size_risc0(rows, queries) == risc0
    assert merkle.top_layer_size(rows, queries) == risc0


def test_top_layer_size_matches_risc0_everywhere():
    for log_rows in range(0, 21):
        for q in [1, *QUERIES]:
            rows = 1 << log_rows
            assert merkle.top_layer_size(rows, q) == pyref.top_size_risc0(rows, q), (rows, q)


@pytest.mark.parametrize("suite", SUITES)
def test_one_row_tree(backend, field, suite):
    """A single row: no pair hashes, the root is the row hash and the top layer is the root."""
    matrix = field((1, 5))
    tree = merkle.commit(matrix, suite, backend=backend)
    leaf = hashing.hash_rows(matrix, suite, backend=backend)[0]
    assert tree.root.tolist() == leaf.tolist()
    assert tree.top.tolist() == [leaf.tolist()]
    o = tree.open(0)
    assert o.siblings.shape == (0, 8)
    assert merkle.verify_opening(tree.top, 0, o.values, o.siblings, suite)


# -- openings ------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("rows", "queries"), [(64, 8), (64, 50), (16, 2)])
def test_every_opening_verifies(backend, field, suite, rows, queries):
    matrix = field((rows, 3))
    tree = merkle.commit(matrix, suite, queries, backend=backend)
    node = heap(matrix, suite, backend)
    top = tree.top.shape[0]
    depth = (rows // top).bit_length() - 1
    assert top == merkle.top_layer_size(rows, queries)
    for row in range(rows):
        o = tree.open(row)
        assert o.row == row
        assert o.values.tolist() == matrix[row].tolist()
        assert o.siblings.shape == (depth, 8) and o.siblings.dtype == np.uint32
        expected = [node[((rows + row) >> level) ^ 1].tolist() for level in range(depth)]
        assert o.siblings.tolist() == expected
        assert merkle.verify_opening(tree.top, row, o.values, o.siblings, suite)


def test_open_range(backend, field):
    tree = merkle.commit(field((8, 1)), backend=backend, queries=2)
    for bad in (-1, 8, 100):
        with pytest.raises(ValueError, match="out of range"):
            tree.open(bad)


@cache
def fixture_tree(suite: str):
    """A 64-row tree with an 8-node top layer (3 siblings per opening), built once."""
    matrix = np.random.default_rng(7).integers(0, P, size=(64, 4), dtype=np.uint32)
    return merkle.commit(matrix, suite, queries=8)


@st.composite
def tampering(draw):
    suite = draw(st.sampled_from(SUITES))
    tree = fixture_tree(suite)
    row = draw(st.integers(0, tree.rows - 1))
    o = tree.open(row)
    values, siblings, top = o.values.copy(), o.siblings.copy(), tree.top.copy()
    what = draw(st.sampled_from(["value", "sibling", "row", "top", "short-values"]))
    if what == "value":
        i = draw(st.integers(0, values.size - 1))
        values[i] = (int(values[i]) + draw(st.integers(1, P - 1))) % P
    elif what == "sibling":
        level, w = draw(st.integers(0, siblings.shape[0] - 1)), draw(st.integers(0, 7))
        if suite == "poseidon2":  # words are field elements: change the element
            siblings[level, w] = (int(siblings[level, w]) + draw(st.integers(1, P - 1))) % P
        else:
            siblings[level, w] ^= draw(st.integers(1, 2**32 - 1))
    elif what == "row":
        row = draw(st.integers(0, tree.rows - 1).filter(lambda r: r != o.row))
    elif what == "top":
        t, w = row >> siblings.shape[0], draw(st.integers(0, 7))  # the node it lands on
        top[t, w] = (int(top[t, w]) + draw(st.integers(1, P - 1))) % P
    else:
        values = values[:-1]
    return suite, top, row, values, siblings


@given(tampering())
def test_tampered_opening_fails(case):
    suite, top, row, values, siblings = case
    assert merkle.verify_opening(top, row, values, siblings, suite) is False


@given(st.sampled_from(SUITES), st.integers(0, 63))
def test_untampered_opening_passes(suite, row):
    tree = fixture_tree(suite)
    o = tree.open(row)
    assert merkle.verify_opening(tree.top, row, o.values, o.siblings, suite) is True


@pytest.mark.parametrize("suite", SUITES)
def test_row_out_of_range_is_false(suite):
    tree = fixture_tree(suite)
    o = tree.open(5)
    for row in (-1, 64, 65, 1000):
        assert merkle.verify_opening(tree.top, row, o.values, o.siblings, suite) is False


@pytest.mark.parametrize("suite", SUITES)
def test_missing_or_extra_sibling_is_false(suite):
    tree = fixture_tree(suite)
    o = tree.open(37)
    assert not merkle.verify_opening(tree.top, 37, o.values, o.siblings[:-1], suite)
    extra = np.concatenate([o.siblings, o.siblings[:1]])
    assert not merkle.verify_opening(tree.top, 37, o.values, extra, suite)


def test_wrong_suite_is_false():
    tree = fixture_tree("poseidon2")
    o = tree.open(3)
    assert merkle.verify_opening(tree.top, 3, o.values, o.siblings, "poseidon2")
    assert not merkle.verify_opening(tree.top, 3, o.values, o.siblings, "sha-256")


# -- batched verification ------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
def test_verify_openings_batch(suite):
    tree = fixture_tree(suite)
    rows = np.arange(tree.rows)
    openings = [tree.open(int(r)) for r in rows]
    values = np.stack([o.values for o in openings])
    siblings = np.stack([o.siblings for o in openings])
    ok = merkle.verify_openings(tree.top, rows, values, siblings, suite)
    assert ok.dtype == bool and ok.shape == (tree.rows,) and ok.all()

    # Tamper with a few openings; exactly those must fail.
    bad_values, bad_siblings, bad_rows = values.copy(), siblings.copy(), rows.copy()
    bad_values[3, 1] = (int(bad_values[3, 1]) + 1) % P
    bad_siblings[10, 2, 5] = (int(bad_siblings[10, 2, 5]) + 1) % P
    bad_siblings[20, 0, 0] = (int(bad_siblings[20, 0, 0]) + 7) % P
    bad_rows[40] = 41
    bad_rows[50] = tree.rows + 50  # out of range
    bad_rows[60] = -4
    ok = merkle.verify_openings(tree.top, bad_rows, bad_values, bad_siblings, suite)
    assert sorted(np.flatnonzero(~ok).tolist()) == [3, 10, 20, 40, 50, 60]


def test_verify_openings_rejects_malformed():
    tree = fixture_tree("poseidon2")
    o = tree.open(0)
    with pytest.raises(ValueError, match=r"siblings must have shape \(2, depth, 8\)"):
        merkle.verify_openings(
            tree.top, np.array([0, 1]), np.stack([o.values] * 2), o.siblings[None], "poseidon2"
        )
    with pytest.raises(ValueError, match="2-dimensional"):
        merkle.verify_openings(tree.top, np.array([0]), o.values, o.siblings[None])


def test_poseidon2_sibling_word_not_a_field_element_fails(field):
    """A Poseidon2 digest word w + P would hash like w; it is no digest, so it fails."""
    tree = merkle.commit(field((64, 3)), "poseidon2", queries=8)
    opening = tree.open(5)
    siblings = opening.siblings.copy()
    level, word = np.unravel_index(np.argmin(siblings), siblings.shape)
    siblings[level, word] += np.uint32(P)
    assert merkle.verify_opening(tree.top, 5, opening.values, opening.siblings)
    assert not merkle.verify_opening(tree.top, 5, opening.values, siblings)


# -- trees committed together ------------------------------------------------------------


@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize(("count", "rows"), [(1, 8), (3, 16), (4, 2)])
def test_trees_committed_together_equal_trees_alone(backend, field, suite, count, rows):
    be = backends.get(backend)
    s = hashing.get_suite(suite)
    matrices = [field((5, rows)) for _ in range(count)]
    together = merkle.MerkleTree(be.asarray(np.concatenate(matrices, 1)), s, be, 4, count)
    alone = [merkle.MerkleTree(be.asarray(m), s, be, 4) for m in matrices]
    assert together.rows == rows and together.depth == alone[0].depth
    assert together.tops.shape == (count, alone[0].top_size, 8)
    trees = np.arange(count).repeat(rows)
    row_index = np.tile(np.arange(rows), count)
    values, siblings = together.open_many(trees, row_index)
    for t, tree in enumerate(alone):
        assert np.array_equal(together.tops[t], tree.top)
        assert np.array_equal(together.roots[t], tree.root)
        assert np.array_equal(be.to_numpy(together.matrix(t)), matrices[t])
        for r in range(rows):
            opening = tree.open(r)
            assert np.array_equal(values[t * rows + r], opening.values)
            assert np.array_equal(siblings[t * rows + r], opening.siblings)
            assert merkle.verify_opening(tree.top, r, opening.values, opening.siblings, suite)


def test_trees_committed_together_check_their_arguments(field):
    be = backends.get("numpy")
    s = hashing.get_suite("poseidon2")
    with pytest.raises(ValueError, match="cannot split 12 rows into 5 trees"):
        merkle.MerkleTree(field((2, 12)), s, be, 4, 5)
    tree = merkle.MerkleTree(field((2, 16)), s, be, 4, 2)
    with pytest.raises(ValueError, match="tree 2 out of range"):
        tree.open(0, tree=2)
    with pytest.raises(ValueError, match="row 8 out of range"):
        tree.open_many([0, 1], [0, 8])
