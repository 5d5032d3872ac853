"""The Merkle membership program: roots agree with plain-Python trees, proofs verify,
and forged traces or statements are rejected."""

from __future__ import annotations

import dataclasses
from functools import cache

import pyref
import pytest
from soundness import assert_rejected, broken, bumped

import l2gpu
from l2gpu import VerificationError, merkle, programs
from l2gpu.field import P
from l2gpu.programs import merkle as mp

MERKLE = programs.get("merkle")
ROOT = [f"root{k}" for k in range(8)]


@cache
def empty_subtrees(depth: int) -> tuple[list[int], ...]:
    """Plain-Python roots of all-zero-leaf subtrees of height 0..depth−1."""
    nodes = [pyref.p2_hash_row([0] * 16)]
    for _ in range(depth - 1):
        nodes.append(pyref.p2_hash_pair(nodes[-1], nodes[-1]))
    return tuple(nodes)


def sparse_tree(leaf: list[int], index: int, depth: int) -> tuple[list[list[int]], list[int]]:
    """A tree of ``2^depth`` leaves, all zero but ``leaf`` at ``index``, in plain Python:
    the path of ``leaf`` and the root."""
    path = list(empty_subtrees(depth))
    node = pyref.p2_hash_row(leaf)
    for level, sibling in enumerate(path):
        right = (index >> level) & 1
        node = pyref.p2_hash_pair(sibling, node) if right else pyref.p2_hash_pair(node, sibling)
    return path, node


def root_of(execution: programs.Execution) -> list[int]:
    return [execution.public_inputs[k] for k in ROOT]


# -- the executor against independent trees ---------------------------------------


@pytest.mark.parametrize(
    ("depth", "index"), [(1, 0), (1, 1), (20, 0), (20, 0xABCDE), (32, 0), (32, 2**32 - 1)]
)
def test_root_is_the_plain_python_trees(depth, index):
    leaf = [7, 8, 9]
    path, root = sparse_tree(leaf, index, depth)
    execution = MERKLE.execute(leaf=leaf, path=path, index=index)
    assert root_of(execution) == root
    assert execution.public_inputs["depth"] == depth
    assert execution.public_inputs["reveal_index"] == execution.public_inputs["index"] == 0
    assert execution.po2 == mp.po2_for(depth) and execution.rows >= depth + 2
    assert execution.steps == depth + 1


def test_root_and_paths_agree_with_l2gpu_merkle(field):
    matrix = field((32, 16))
    tree = merkle.commit(matrix, "poseidon2", backend="numpy")
    layers = [tree.backend.to_numpy(layer) for layer in tree.layers]
    for index in (0, 13, 31):
        path = [layers[level][:, (index >> level) ^ 1].tolist() for level in range(5)]
        execution = MERKLE.execute(leaf=matrix[index].tolist(), path=path, index=index)
        assert root_of(execution) == tree.root.tolist()


def test_short_leaves_are_zero_padded_as_the_row_hash_does(field):
    matrix = field((4, 3))
    tree = merkle.commit(matrix, "poseidon2", backend="numpy")
    layers = [tree.backend.to_numpy(layer) for layer in tree.layers]
    path = [layers[level][:, (2 >> level) ^ 1].tolist() for level in range(2)]
    execution = MERKLE.execute(leaf=matrix[2].tolist(), path=path, index=2)
    assert root_of(execution) == tree.root.tolist()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"leaf": [], "path": [], "index": 0},
        {"leaf": [0] * 17, "path": [], "index": 0},
        {"leaf": [P], "path": [], "index": 0},
        {"leaf": [1], "path": [[0] * 8], "index": 2},
        {"leaf": [1], "path": [[0] * 8], "index": -1},
        {"leaf": [1], "path": [[P] + [0] * 7], "index": 0},
        {"leaf": [1], "path": [[0] * 8] * 33, "index": 0},
    ],
    ids=["empty-leaf", "long-leaf", "leaf-not-canonical", "index-too-big", "negative-index",
         "sibling-not-canonical", "depth-33"],
)  # fmt: skip
def test_execute_refuses_bad_witnesses(kwargs):
    with pytest.raises(ValueError):
        MERKLE.execute(**kwargs)


# -- proofs ----------------------------------------------------------------------------

_proofs: dict = {}


def honest(depth: int, index: int, reveal: bool = False, backend: str = "numpy"):
    """An execution of a sparse tree and its proof, made once per module."""
    key = (depth, index, reveal, backend)
    if key not in _proofs:
        path, _ = sparse_tree([5, 6], index, depth)
        execution = MERKLE.execute(leaf=[5, 6], path=path, index=index, reveal_index=reveal)
        proof = l2gpu.prove_trace(
            "merkle", execution.trace, execution.public_inputs, {}, backend=backend
        )
        _proofs[key] = execution, proof
    return _proofs[key]


@pytest.mark.parametrize(("depth", "index"), [(1, 1), (20, 0x5A5A5), (32, 0xDEADBEEF)])
def test_proofs_verify(depth, index):
    execution, proof = honest(depth, index)
    assert l2gpu.verify(proof) is True
    assert proof.public_inputs == execution.public_inputs
    assert proof.po2 == mp.po2_for(depth)


def test_proof_with_revealed_index_verifies():
    _, proof = honest(32, 0xDEADBEEF, reveal=True)
    assert proof.public_inputs["index"] == 0xDEADBEEF  # above P: carried as 16-bit halves
    assert l2gpu.verify(proof)


def test_prove_on_every_backend_gives_the_same_seal(backend):
    _, proof = honest(20, 12345)
    path, _ = sparse_tree([5, 6], 12345, 20)
    other = l2gpu.prove("merkle", leaf=[5, 6], path=path, index=12345, backend=backend)
    assert other.seal.tobytes() == proof.seal.tobytes()
    assert l2gpu.verify(other)


@pytest.mark.parametrize(
    "change",
    [
        {"root0": 1},
        {"root7": 12345},
        {"depth": 19},
        {"depth": 21},
        {"reveal_index": 1, "index": 0},
        {"reveal_index": 1, "index": 12346},
    ],
)
def test_changed_public_values_are_rejected(change):
    _, proof = honest(20, 12345)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **change})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


@pytest.mark.parametrize("change", [{"index": 0xDEADBEEE}, {"index": 0xDEADBEEF + 2**16}])
def test_changed_revealed_index_is_rejected(change):
    _, proof = honest(32, 0xDEADBEEF, reveal=True)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **change})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


@pytest.mark.parametrize(
    "inputs",
    [{"depth": 33}, {"reveal_index": 2}, {"index": 5}, {"root0": P}, {"root0": -1}],
)
def test_malformed_statements_are_rejected(inputs):
    _, proof = honest(1, 1)
    forged = dataclasses.replace(proof, public_inputs={**proof.public_inputs, **inputs})
    with pytest.raises(VerificationError):
        l2gpu.verify(forged)


# -- forged traces ---------------------------------------------------------------------

DEPTH, INDEX = 5, 0b10110
G = mp.GADGET
FAMILIES = {  # (data column, row): one cell of each column family
    "leaf": (mp.IN + 3, 0),
    "left-input": (mp.IN + 2, 2),
    "sibling": (mp.IN + 12, 1),
    "padding-input": (mp.IN + 7, DEPTH + 3),
    "bit": (mp.BIT, 3),
    "bit-below-root": (mp.BIT, DEPTH + 1),
    "act": (mp.ACT, DEPTH),
    "act-below": (mp.ACT, DEPTH + 1),
    "idx_lo": (mp.IDX_LO, 4),
    "idx_hi": (mp.IDX_HI, 9),
    "full-cube": (G + 5, 2),
    "full-out": (G + 48 * 7 + 24 + 3, DEPTH),
    "partial-cube": (G + 384 + 10, 1),
    "partial-out": (G + 425, 12),
}


@pytest.fixture(scope="module")
def small():
    path, _ = sparse_tree([1, 2, 3], INDEX, DEPTH)
    execution = MERKLE.execute(leaf=[1, 2, 3], path=path, index=INDEX, reveal_index=True)
    assert execution.rows == 16
    return execution


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_changed_data_cell_breaks_a_constraint(small, name):
    column, row = FAMILIES[name]
    assert broken(small, bumped(small.trace, 1, column, row))


@pytest.mark.parametrize("name", ["sibling", "act", "partial-cube"])
def test_forged_trace_proofs_are_rejected(small, name):
    column, row = FAMILIES[name]
    message = assert_rejected(small, bumped(small.trace, 1, column, row))
    assert "constraint check failed" in message


@pytest.mark.parametrize("column", [mp.INDEX, mp.W_HI], ids=["index", "w_hi"])
def test_changed_code_cells_are_rejected(small, column):
    row = {mp.FIRST: 0, mp.LAST: 15, mp.INDEX: DEPTH + 1, mp.W_LO: 2, mp.W_HI: 0}[column]
    trace = bumped(small.trace, 0, column, row)
    message = assert_rejected(small, trace)
    assert "control root" in message or "constraint check failed" in message


def test_a_path_to_another_root_is_rejected(small):
    other_path, _ = sparse_tree([1, 2, 4], INDEX, DEPTH)
    other = MERKLE.execute(leaf=[1, 2, 4], path=other_path, index=INDEX, reveal_index=True)
    assert root_of(other) != root_of(small)
    assert_rejected(small, other.trace)  # the statement names small's root


def test_a_deeper_tree_cannot_claim_a_shallower_depth(small):
    """Claiming depth 4 for a 5-level path: the root is checked below row 4, not 5."""
    inputs = dict(small.public_inputs, depth=DEPTH - 1, index=INDEX & 0xF)
    assert_rejected(small, public_inputs=inputs)
