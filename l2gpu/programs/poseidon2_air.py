"""Poseidon2 (RISC Zero's ``risc0-w24``) as a constraint gadget: one permutation per row.

The permutation of :mod:`l2gpu.poseidon2` (``M_EXT``; 4 full rounds; 21 partial rounds;
4 full rounds; S-box ``x^7``) laid out in :data:`COLUMNS` = 426 consecutive columns of
one group, one permutation per row:

* full round ``r`` (0–7): columns ``48r .. 48r+23`` hold the cubes ``x^3`` of its 24
  S-box inputs, ``48r+24 .. 48r+47`` the S-box outputs ``x^7``;
* partial round ``k`` (0–20): columns ``384 + 2k`` and ``385 + 2k`` hold the cube and
  the output of cell 0's S-box.

Every S-box input ``x`` is a linear expression in the previous round's output columns
(or in the permutation's input), so each S-box costs two constraints of degree 3:
``cube = x^3`` and ``out = cube^2·x``; with both, the output column is ``x^7`` for
every ``x``, and the round's linear layer needs no columns. The permuted state is a
linear expression in the last round's outputs (:func:`outputs`), which lets the next
row — or a row further down — read it through taps.

Soundness: given input values, the constraints leave exactly one assignment of the 426
columns, the honest one, so the outputs are ``Poseidon2(input)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..field import P, mod_p
from ..poseidon2 import params
from ..stark import ConstraintBuilder
from ..stark.circuit import Expr

PARAMS = params("risc0-w24")
WIDTH = PARAMS.width  # 24
FULL_ROUNDS = PARAMS.rounds_full  # 8
PARTIAL_ROUNDS = PARAMS.rounds_partial  # 21
FULL_COLUMNS = 2 * WIDTH * FULL_ROUNDS  # 384
COLUMNS = FULL_COLUMNS + 2 * PARTIAL_ROUNDS  # 426

Value = Expr | int  # an expression of the builder, or a constant

_M4 = [[int(v) for v in row] for row in PARAMS.m4]
_DIAG = [int(v) for v in PARAMS.internal_diag]
_FULL_RC = [[int(v) for v in row] for row in PARAMS.full_round_constants]
_PARTIAL_RC = [int(v) for v in PARAMS.partial_round_constants]


def _add(a: Value, b: Value) -> Value:
    if isinstance(a, int) and isinstance(b, int):
        return (a + b) % P
    if isinstance(b, int) and b == 0:
        return a
    if isinstance(a, int) and a == 0:
        return b
    return a + b


def _scale(k: int, a: Value) -> Value:
    if isinstance(a, int):
        return k * a % P
    return a if k == 1 else a * k


def _sum(values: Sequence[Value]) -> Value:
    total: Value = 0
    for v in values:
        total = _add(total, v)
    return total


def _external(state: Sequence[Value]) -> list[Value]:
    """``M_EXT``: ``M4`` on each block of four cells, plus the sum of the blocks."""
    blocks = [
        [_sum([_scale(_M4[j][k], state[4 * b + k]) for k in range(4)]) for j in range(4)]
        for b in range(WIDTH // 4)
    ]
    sums = [_sum([blk[j] for blk in blocks]) for j in range(4)]
    return [_add(blocks[b][j], sums[j]) for b in range(WIDTH // 4) for j in range(4)]


def _internal(state: Sequence[Value]) -> list[Value]:
    """``M_INT``: ``out_i = Σ s + D_i·s_i``."""
    total = _sum(state)
    return [_add(total, _scale(_DIAG[i], s)) for i, s in enumerate(state)]


def _sbox(c: ConstraintBuilder, x: Value, cube: Expr, out: Expr) -> None:
    c.assert_zero(cube - x * x * x)
    c.assert_zero(out - cube * cube * x)


def constrain(c: ConstraintBuilder, group: str, start: int, inputs: Sequence[Value]) -> list[Value]:
    """Constrain columns ``start .. start+425`` of ``group`` to permute ``inputs`` (24
    expressions of degree ≤ 1, or constants) on every row; returns the output state."""
    if len(inputs) != WIDTH:
        raise ValueError(f"Poseidon2 takes {WIDTH} inputs, got {len(inputs)}")
    if any(isinstance(v, Expr) and v.degree > 1 for v in inputs):
        raise ValueError("Poseidon2 inputs must have degree ≤ 1 (store them in columns)")
    state = _external(inputs)
    for r in range(FULL_ROUNDS):
        if r == FULL_ROUNDS // 2:
            for k in range(PARTIAL_ROUNDS):
                cube, out = (c.tap(group, start + FULL_COLUMNS + 2 * k + i) for i in (0, 1))
                _sbox(c, _add(state[0], _PARTIAL_RC[k]), cube, out)
                state = _internal([out, *state[1:]])
        base = start + 2 * WIDTH * r
        for i in range(WIDTH):
            cube, out = c.tap(group, base + i), c.tap(group, base + WIDTH + i)
            _sbox(c, _add(state[i], _FULL_RC[r][i]), cube, out)
        state = _external([c.tap(group, base + WIDTH + i) for i in range(WIDTH)])
    return state


def outputs(c: ConstraintBuilder, group: str, start: int, back: int = 0) -> list[Value]:
    """The permuted state of the permutation ``back`` rows up: ``M_EXT`` of its last
    round's S-box outputs (24 expressions of degree 1)."""
    last = start + 2 * WIDTH * (FULL_ROUNDS - 1) + WIDTH
    return _external([c.tap(group, last + i, back) for i in range(WIDTH)])


def _external_np(s: np.ndarray) -> np.ndarray:
    m4 = np.array(_M4, dtype=np.uint64)
    blocks = s.reshape(WIDTH // 4, 4, -1)
    y = mod_p(np.einsum("jk,bkm->bjm", m4, blocks))
    return mod_p(y + y.sum(axis=0, keepdims=True)).reshape(WIDTH, -1)


def _sbox_np(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cube = mod_p(mod_p(x * x) * x)
    return cube, mod_p(mod_p(cube * cube) * x)


def witness(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gadget's columns for a batch of input states ``(24, m)`` (canonical), and
    the permuted states: ``((426, m), (24, m))``, both ``uint32``."""
    s = np.asarray(states, dtype=np.uint64)
    if s.shape[0] != WIDTH:
        raise ValueError(f"states must have shape ({WIDTH}, m), got {s.shape}")
    columns = np.empty((COLUMNS, s.shape[1]), dtype=np.uint32)
    diag = np.array(_DIAG, dtype=np.uint64)[:, None]
    s = _external_np(s)
    for r in range(FULL_ROUNDS):
        if r == FULL_ROUNDS // 2:
            for k in range(PARTIAL_ROUNDS):
                cube, s[0] = _sbox_np((s[0] + _PARTIAL_RC[k]) % P)
                columns[FULL_COLUMNS + 2 * k] = cube
                columns[FULL_COLUMNS + 2 * k + 1] = s[0]
                s = mod_p(s * diag + s.sum(axis=0) % P)
        x = (s + np.array(_FULL_RC[r], dtype=np.uint64)[:, None]) % P
        cube, s = _sbox_np(x)
        columns[2 * WIDTH * r : 2 * WIDTH * r + WIDTH] = cube
        columns[2 * WIDTH * r + WIDTH : 2 * WIDTH * (r + 1)] = s
        s = _external_np(s)
    return columns, s.astype(np.uint32)
