"""Range: every one of ``count`` private values lies in a public interval ``[lo, hi]``.

What is proven: the prover knows field elements ``v_1 … v_count`` with
``lo ≤ v_i ≤ hi`` (as integers) for the public ``lo ≤ hi < P`` with
``hi − lo < 2^30``, whose Poseidon2 commitment — RISC Zero's row hash
(``hash_elem_slice``) of the list, i.e. ``l2gpu.hashing`` ``hash_elems`` — is the
public ``digest``. The form ``[0, 2^k)``, ``k ≤ 30``, is ``lo = 0``, ``hi = 2^k − 1``.

Private: the values (the digest binds them, so a proof speaks about one committed
list; the count is public).

Trace: 16 values per row, one Poseidon2 permutation per row absorbing them
(:mod:`.poseidon2_air`), ``2^po2 > ⌈count/16⌉`` rows. Each value ``v`` has its flag
``a`` (1 for the first ``count`` slots, slot order, then 0) and two base-4
decompositions, ``X = v − lo`` and ``Y = hi − v``, of 15 limbs each: every limb is
in ``{0,1,2,3}`` (degree 4), and with ``k = bitlen(hi − lo)`` the limbs above bit
``k`` are zero and a limb holding bit ``k − 1`` alone is a bit — both ``X`` and
``Y`` lie in ``[0, 2^k)``. The constraints ``v = a·lo + X`` and ``X + Y = a·(hi − lo)``
then give ``lo ≤ v ≤ hi`` on active slots (no wrap-around: ``X + Y < 2^(k+1)`` and
``hi − lo ≥ 2^(k−1)``, so ``X + Y`` cannot be ``hi − lo + P``) and ``v = X = Y = 0``
on the rest, the zero padding of the row hash. The flags fall once, after
``count`` slots; the sponge's output on the last row with an active slot is the
digest. The limb masks are public values derived from ``lo`` and ``hi``. Steps:
``count`` values.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence

import numpy as np

from ..field import MONT_R_INV, P, to_mont
from ..stark import ConstraintBuilder, Group, build_circuit
from . import poseidon2_air as p2
from .base import MAX_PO2, MIN_PO2, Execution, Program

SLOTS = 16  # values per row: one Poseidon2 rate block
LIMBS = 15  # base-4 limbs of a 30-bit decomposition
MAX_BITS = 2 * LIMBS

FIRST, LAST = 0, 1  # code columns
V = 0  # data: the 16 values,
X = V + SLOTS  # then the limbs of v − lo (slot j, limb i at X + LIMBS·j + i),
Y = X + SLOTS * LIMBS  # of hi − v,
A = Y + SLOTS * LIMBS  # the 16 activity flags,
CNT = A + SLOTS  # the number of active slots so far,
CAP = CNT + 1  # the sponge capacity going into this row's permutation,
GADGET = CAP + 8  # and the permutation
DIGEST = tuple(f"digest{k}" for k in range(8))

GROUPS = (Group("code", 2), Group("data", GADGET + p2.COLUMNS, global_count=11 + 2 * LIMBS))
# globals: count 0, lo 1, hi 2, digest words 3–10, full_i 11+i, half_i 26+i


def constraints(c: ConstraintBuilder) -> None:
    first, last = c.tap("code", FIRST), c.tap("code", LAST)
    count, lo, hi = (c.public(k) for k in range(3))
    width = hi - lo
    # A limb may be 0–3 (full), 0–1 (half) or only 0: x·[(x−1)·((x−2)(x−3)·f + h) + z].
    full = [c.public(11 + i) for i in range(LIMBS)]
    half = [c.public(11 + LIMBS + i) for i in range(LIMBS)]
    zero = [1 - f - h for f, h in zip(full, half, strict=True)]
    not_first = 1 - first
    flags = [c.tap("data", A + j) for j in range(SLOTS)]
    for j in range(SLOTS):
        v, a = c.tap("data", V + j), flags[j]
        xs = [c.tap("data", X + LIMBS * j + i) for i in range(LIMBS)]
        ys = [c.tap("data", Y + LIMBS * j + i) for i in range(LIMBS)]
        for i, x in enumerate(xs + ys):
            k = i % LIMBS
            c.assert_zero(x * ((x - 1) * ((x - 2) * (x - 3) * full[k] + half[k]) + zero[k]))
        x_val = sum((x * 4**i for i, x in enumerate(xs[1:], 1)), xs[0])
        y_val = sum((y * 4**i for i, y in enumerate(ys[1:], 1)), ys[0])
        c.assert_zero(v - a * lo - x_val)
        c.assert_zero(x_val + y_val - a * width)
        c.assert_zero(a * (a - 1))
        if j:
            c.assert_zero(a * (1 - flags[j - 1]))  # slots fill in order,
    a_last1, a_first1 = c.tap("data", A + SLOTS - 1, back=1), c.tap("data", A, back=1)
    c.assert_zero(not_first * flags[0] * (1 - a_last1))  # row after row,
    c.assert_zero(first * (flags[0] - 1))  # from the first,
    c.assert_zero(last * flags[0])  # and stop before the last row;
    cnt, cnt1 = c.tap("data", CNT), c.tap("data", CNT, back=1)
    c.assert_zero(cnt - not_first * cnt1 - sum(flags[1:], flags[0]))
    c.assert_zero(last * (cnt - count))  # count of them.
    prev = p2.outputs(c, "data", GADGET, back=1)
    caps = [c.tap("data", CAP + k) for k in range(8)]
    for k in range(8):  # the sponge: rate overwritten by the values, capacity carried
        c.assert_zero(caps[k] - not_first * prev[16 + k])
    p2.constrain(c, "data", GADGET, [*(c.tap("data", V + j) for j in range(SLOTS)), *caps])
    fall = not_first * (a_first1 - flags[0])  # below the last row with a value:
    for k in range(8):  # its output is the digest (digest words are Montgomery forms)
        c.assert_zero(fall * (prev[k] - c.public(3 + k) * MONT_R_INV))


CIRCUIT = build_circuit("range", GROUPS, constraints)


def limb_masks(lo: int, hi: int) -> tuple[list[int], list[int]]:
    """Per limb: whether it may hold two bits (``full``) or one (``half``) for values
    in ``[0, 2^bitlen(hi − lo))``."""
    bits = (hi - lo).bit_length()
    full = [int(2 * i + 2 <= bits) for i in range(LIMBS)]
    half = [int(2 * i + 1 == bits) for i in range(LIMBS)]
    return full, half


def _check_interval(lo: int, hi: int) -> None:
    if not 0 <= lo <= hi < P or hi - lo >= 1 << MAX_BITS:
        raise ValueError(f"need 0 ≤ lo ≤ hi < P and hi - lo < 2^{MAX_BITS}, got [{lo}, {hi}]")


def po2_for(count: int) -> int:
    """Rows for ``count`` values: the rows that absorb them and one below."""
    return max(MIN_PO2, (-(-count // SLOTS)).bit_length())


class Range(Program):
    """Private values in a public interval, bound to a Poseidon2 digest (module doc)."""

    name = "range"
    circuit = CIRCUIT
    input_names = ("count", "lo", "hi")
    output_names = DIGEST

    def execute(
        self,
        *,
        values: Sequence[int],
        bits: int | None = None,
        lo: int | None = None,
        hi: int | None = None,
    ) -> Execution:
        """Prove ``values`` lie in ``[0, 2^bits)`` or in ``[lo, hi]`` (give one form)."""
        if bits is not None:
            if lo is not None or hi is not None:
                raise ValueError("give either bits, or lo and hi, not both")
            if not isinstance(bits, int) or not 0 <= bits <= MAX_BITS:
                raise ValueError(f"bits must be an integer in [0, {MAX_BITS}], got {bits!r}")
            lo, hi = 0, (1 << bits) - 1
        elif lo is None or hi is None:
            raise ValueError("give either bits, or lo and hi")
        _check_interval(operator.index(lo), operator.index(hi))
        vals = [operator.index(v) for v in values]
        if not vals:
            raise ValueError("give at least one value")
        for i, v in enumerate(vals):
            if not lo <= v <= hi:
                raise ValueError(f"value {i} = {v} is outside [{lo}, {hi}]")
        count = len(vals)
        po2 = po2_for(count)
        if po2 > MAX_PO2:
            raise ValueError(f"{count} values need 2^{po2} rows; at most 2^{MAX_PO2}")
        rows = 1 << po2
        slots = np.zeros(rows * SLOTS, dtype=np.int64)
        slots[:count] = vals
        active = np.arange(rows * SLOTS) < count
        xs = np.where(active, slots - lo, 0)
        ys = np.where(active, hi - slots, 0)
        data = np.zeros((GROUPS[1].width, rows), dtype=np.uint32)
        data[V : V + SLOTS] = slots.reshape(rows, SLOTS).T
        shifts = 2 * np.arange(LIMBS)
        for start, val in ((X, xs), (Y, ys)):
            limbs = (val.reshape(rows, SLOTS, 1) >> shifts) & 3  # (row, slot, limb)
            data[start : start + SLOTS * LIMBS] = limbs.reshape(rows, -1).T
        data[A : A + SLOTS] = active.reshape(rows, SLOTS).T
        data[CNT] = np.cumsum(active.reshape(rows, SLOTS).sum(axis=1))
        states = np.zeros((p2.WIDTH, rows), dtype=np.uint64)
        states[:SLOTS] = data[V : V + SLOTS]
        for r in range(rows):  # the sponge, one row at a time
            out = p2.witness(states[:, r : r + 1])[1][:, 0]
            if r + 1 < rows:
                states[SLOTS:, r + 1] = out[SLOTS:]
            if r == -(-count // SLOTS) - 1:
                digest = to_mont(out[:8].astype(np.uint64))
        data[CAP : CAP + 8] = states[SLOTS:]
        data[GADGET:] = p2.witness(states)[0]
        outputs = {k: int(w) for k, w in zip(DIGEST, digest, strict=True)}
        inputs = {"count": count, "lo": lo, "hi": hi}
        return Execution(self.name, po2, (self.code(po2), data), inputs, outputs, count)

    def public_values(
        self, public_inputs: Mapping[str, int], public_outputs: Mapping[str, int]
    ) -> list[int]:
        """The statement, then the limb masks derived from ``lo`` and ``hi``."""
        flat = super().public_values(public_inputs, public_outputs)
        count, lo, hi = flat[:3]
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        _check_interval(lo, hi)
        full, half = limb_masks(lo, hi)
        return [*flat, *full, *half]

    def code(self, po2: int) -> np.ndarray:
        code = np.zeros((2, 1 << po2), dtype=np.uint32)
        code[FIRST, 0] = 1
        code[LAST, -1] = 1
        return code
