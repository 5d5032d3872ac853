"""Merkle membership: a private leaf lies in a Poseidon2 Merkle tree with a public root.

What is proven: for the public ``root`` (8 digest words) and ``depth`` ``d ≤ 32``, the
prover knows a leaf — up to 16 field elements, zero-padded to 16 as RISC Zero's row
hash does — and a path of ``d`` sibling digests such that hashing the leaf
(``hash_elem_slice``) and then ``hash_pair``-ing up the path gives ``root``. The tree
is RISC Zero's (:mod:`l2gpu.merkle`): at level ``k`` the current node is the right
child when bit ``k`` of the leaf index is 1. So a row of a matrix committed with
``l2gpu.merkle.commit`` (at most 16 columns) is a leaf of its tree, and its
``MerkleTree.layers`` give the path.

Private: the leaf, the path and — unless ``reveal_index`` is set — the leaf index. With
``reveal_index`` the statement also binds ``index`` (any ``0 ≤ index < 2^d``).

Trace: one Poseidon2 permutation per row (:mod:`.poseidon2_air`), ``2^po2 ≥ d + 2``
rows. Row 0 hashes the leaf (16 input columns, zero capacity); row ``r`` in ``1..d``
hashes the pair whose half ``bit_r`` is the previous row's output and whose other
half is the sibling; later rows permute zeros. The flag ``act`` (1 on rows ``0..d``)
falls exactly once, at the row whose number is ``d + 1``, where the output of the row
above must be the public root. Two accumulators sum ``bit_r·2^(r−1)`` over levels
1–16 and 17–32, which the public ``index`` (as 16-bit halves) must match when
revealed. Steps: ``d + 1`` permutations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..field import MONT_R_INV, P, from_mont, to_mont
from ..stark import ConstraintBuilder, Group, build_circuit
from . import poseidon2_air as p2
from .base import MIN_PO2, Execution, Program

MAX_DEPTH = 32
LEAF_SIZE = 16  # a leaf is one Poseidon2 rate block

FIRST, LAST, INDEX, W_LO, W_HI = range(5)  # code columns
IN = 0  # data: the permutation's 16 rate inputs
BIT, ACT, IDX_LO, IDX_HI = 16, 17, 18, 19
GADGET = 20
ROOT = tuple(f"root{k}" for k in range(8))

GROUPS = (Group("code", 5), Group("data", GADGET + p2.COLUMNS, global_count=12))
# globals: root words 0–7, depth 8, reveal_index 9, index_lo 10, index_hi 11


def constraints(c: ConstraintBuilder) -> None:
    first, last, index, w_lo, w_hi = (c.tap("code", k) for k in range(5))
    ins = [c.tap("data", IN + j) for j in range(LEAF_SIZE)]
    bit, act, idx_lo, idx_hi = (c.tap("data", k) for k in (BIT, ACT, IDX_LO, IDX_HI))
    act1, idx_lo1, idx_hi1 = (c.tap("data", k, back=1) for k in (ACT, IDX_LO, IDX_HI))
    depth, reveal, index_lo, index_hi = (c.public(k) for k in range(8, 12))
    not_first = 1 - first

    p2.constrain(c, "data", GADGET, [*ins, *[0] * 8])
    prev = p2.outputs(c, "data", GADGET, back=1)  # the node hashed on the row above
    c.assert_zero(bit * (bit - 1))
    c.assert_zero(first * bit)  # row 0 hashes the leaf: no index bit,
    c.assert_zero((1 - act) * bit)  # nor below the root
    for j in range(8):  # the node goes left when its bit is 0, right when 1
        left, right = ins[j] - prev[j], ins[8 + j] - prev[j]
        c.assert_zero(not_first * act * ((1 - bit) * left + bit * right))
    for x in ins:
        c.assert_zero((1 - act) * x)
    c.assert_zero(act * (act - 1))  # act is a bit,
    c.assert_zero(first * (act - 1))  # starts at 1,
    c.assert_zero(last * act)  # ends at 0,
    c.assert_zero(not_first * act * (1 - act1))  # never rises,
    fall = not_first * (act1 - act)  # so falls exactly once:
    c.assert_zero(fall * (index - depth - 1))  # below row d,
    for j in range(8):  # whose output is the root (digest words are Montgomery forms)
        c.assert_zero(fall * (prev[j] - c.public(j) * MONT_R_INV))
    c.assert_zero(idx_lo - not_first * idx_lo1 - w_lo * bit)
    c.assert_zero(idx_hi - not_first * idx_hi1 - w_hi * bit)
    c.assert_zero(last * reveal * (idx_lo - index_lo))
    c.assert_zero(last * reveal * (idx_hi - index_hi))


CIRCUIT = build_circuit("merkle", GROUPS, constraints)


def po2_for(depth: int) -> int:
    """Rows for a path of ``depth`` levels: ``depth + 1`` hashes and a row below."""
    return max(MIN_PO2, (depth + 1).bit_length())


def _permute(state: np.ndarray) -> np.ndarray:
    return p2.witness(state.reshape(p2.WIDTH, 1))[1][:, 0]


class Merkle(Program):
    """Membership of a private leaf in a Poseidon2 Merkle tree (see the module doc)."""

    name = "merkle"
    circuit = CIRCUIT
    input_names = (*ROOT, "depth", "reveal_index", "index")

    def execute(
        self,
        *,
        leaf: Sequence[int],
        path: Sequence[Sequence[int]],
        index: int,
        reveal_index: bool = False,
    ) -> Execution:
        """Hash ``leaf`` (≤ 16 canonical elements) up ``path`` (``d`` digests of 8
        words, leaf level first) at ``index``; the root is the public input."""
        leaf_arr = np.zeros(LEAF_SIZE, dtype=np.uint64)
        values = [int(v) for v in leaf]
        if not 1 <= len(values) <= LEAF_SIZE or not all(0 <= v < P for v in values):
            raise ValueError(f"leaf must be 1 to {LEAF_SIZE} field elements in [0, P)")
        leaf_arr[: len(values)] = values
        siblings = np.asarray(path, dtype=np.int64).reshape(-1, 8)
        depth = siblings.shape[0]
        if depth > MAX_DEPTH or (siblings.size and not ((0 <= siblings) & (siblings < P)).all()):
            raise ValueError(f"path must be at most {MAX_DEPTH} digests of words in [0, P)")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 1 << depth:
            raise ValueError(f"index must be an integer in [0, 2^{depth}), got {index!r}")
        po2 = po2_for(depth)
        rows = 1 << po2
        data = np.zeros((GROUPS[1].width, rows), dtype=np.uint32)
        states = np.zeros((p2.WIDTH, rows), dtype=np.uint64)
        states[:LEAF_SIZE, 0] = leaf_arr
        node = _permute(states[:, 0])[:8]
        for level in range(depth):
            bit = (index >> level) & 1
            sibling = from_mont(siblings[level].astype(np.uint64))
            pair = (sibling, node) if bit else (node, sibling)
            states[:LEAF_SIZE, level + 1] = np.concatenate(pair)
            node = _permute(states[:, level + 1])[:8]
            data[BIT, level + 1] = bit
        data[IN : IN + LEAF_SIZE] = states[:LEAF_SIZE]
        data[GADGET:] = p2.witness(states)[0]
        data[ACT, : depth + 1] = 1
        weights = self.code(po2)
        data[IDX_LO] = np.cumsum(weights[W_LO] * data[BIT])
        data[IDX_HI] = np.cumsum(weights[W_HI] * data[BIT])
        root = to_mont(node.astype(np.uint64))
        inputs = {k: int(w) for k, w in zip(ROOT, root, strict=True)}
        inputs.update(depth=depth, reveal_index=int(reveal_index), index=index * reveal_index)
        return Execution(self.name, po2, (weights, data), inputs, {}, depth + 1)

    def public_values(
        self, public_inputs: Mapping[str, int], public_outputs: Mapping[str, int]
    ) -> list[int]:
        """Root words, depth, whether the index is revealed, and its 16-bit halves."""
        root = [public_inputs[k] for k in ROOT]
        depth, reveal, index = (public_inputs[k] for k in ("depth", "reveal_index", "index"))
        if not all(0 <= w < P for w in root):
            raise ValueError("root words must be in [0, P)")
        if not 0 <= depth <= MAX_DEPTH or reveal not in (0, 1):
            raise ValueError(f"depth must be in [0, {MAX_DEPTH}] and reveal_index 0 or 1")
        if not 0 <= index < (1 << depth if reveal else 1):
            raise ValueError("index must be in [0, 2^depth), and 0 when it is not revealed")
        return [*root, depth, reveal, index & 0xFFFF, index >> 16]

    def code(self, po2: int) -> np.ndarray:
        rows = 1 << po2
        code = np.zeros((5, rows), dtype=np.uint32)
        code[FIRST, 0] = 1
        code[LAST, -1] = 1
        code[INDEX] = np.arange(rows, dtype=np.uint32)
        levels = np.arange(rows) - 1  # row r hashes level r − 1
        low = (levels >= 0) & (levels < 16)
        high = (levels >= 16) & (levels < MAX_DEPTH)
        code[W_LO, low] = 1 << levels[low]
        code[W_HI, high] = 1 << (levels[high] - 16)
        return code
