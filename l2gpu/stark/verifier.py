"""The verifier: RISC Zero's ``verify_v3``, on the CPU, in one readable pass.

It reads the seal front to back with a :class:`~l2gpu.stark.transcript.SealReader`,
re-deriving every challenge; each check that fails raises
:class:`~l2gpu.errors.VerificationError` naming what failed. Soundness (conjectured,
as RISC Zero documents it): 50 FRI queries at rate 1/4 give about 100 bits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import merkle, ntt
from ..errors import VerificationError
from ..field import ROU_FWD, ROU_REV, Fp4, P
from ..hashing import Digest, HashSuite, get_suite
from .circuit import Circuit
from .params import CHECK_SIZE, EXT, FRI_FOLD, FRI_MIN_DEGREE, INV_RATE, QUERIES, REMAP
from .transcript import SealReader


def poly_eval(coeffs: Sequence[Fp4], x: Fp4) -> Fp4:
    """``Σ coeffs[i]·x^i`` by Horner's rule."""
    acc = Fp4.zero()
    for c in reversed(coeffs):
        acc = acc * x + c
    return acc


class _Tree:
    """A committed Merkle tree as the verifier sees it: its top layer, read from the seal.

    Openings are read as the queries come and checked together by :meth:`check`, one
    hash batch per tree level.
    """

    def __init__(self, reader: SealReader, rows: int, cols: int, what: str) -> None:
        self.reader, self.rows, self.cols, self.what = reader, rows, cols, what
        top_size = merkle.top_layer_size(rows, QUERIES)
        self.depth = (rows // top_size).bit_length() - 1
        self.top = np.asarray(reader.read_digests(top_size, f"{what} Merkle top"), np.uint32)
        self.root: Digest = tuple(int(w) for w in merkle.root_of_top(self.top, reader.suite))
        reader.commit(self.root)
        self._opened: list[tuple[int, list[int], list[Digest]]] = []

    def open(self, row: int, query: int) -> list[int]:
        """Read the opening of ``row``; it is checked by :meth:`check`."""
        what = f"query {query}: {self.what} row {row}"
        values = self.reader.read_elems(self.cols, what)
        siblings = self.reader.read_digests(self.depth, what)
        self._opened.append((row, values, siblings))
        return values

    def check(self) -> None:
        """Reject unless every opening read so far leads to the committed top layer."""
        if not self._opened:
            return
        rows, values, siblings = zip(*self._opened, strict=True)
        ok = merkle.verify_openings(
            self.top,
            np.array(rows),
            np.array(values, dtype=np.uint32).reshape(len(rows), self.cols),
            np.array(siblings, dtype=np.uint32).reshape(len(rows), self.depth, 8),
            self.reader.suite,
        )
        if not ok.all():
            query = int(np.argmin(ok))
            raise VerificationError(
                f"query {query}: {self.what} row {rows[query]}: "
                "Merkle opening does not match the committed root"
            )


@dataclass(frozen=True)
class Verified:
    """What a verified seal establishes: the public values (globals) of each group."""

    globals: tuple[tuple[int, ...], ...]
    roots: tuple[Digest, ...]


def verify(
    circuit: Circuit,
    seal: np.ndarray | Sequence[int],
    po2: int,
    *,
    suite: str | HashSuite = "poseidon2",
    check_roots: Callable[[Sequence[Digest]], None] | None = None,
) -> Verified:
    """Verify ``seal`` for ``circuit`` with ``2^po2`` rows; raise ``VerificationError`` if not.

    ``check_roots`` is called with the group roots once everything else has passed; it
    must raise ``VerificationError`` for a group whose root is fixed (the program's
    control root) and does not match.
    """
    if not 1 <= po2 <= 24:
        raise VerificationError(f"po2 must be between 1 and 24, got {po2}")
    reader = SealReader(np.asarray(seal, dtype=np.uint32), get_suite(suite))
    taps = circuit.taps
    n = 1 << po2
    domain = INV_RATE * n

    # 1. Groups: their challenges, their public values, their commitments.
    mix_args: list[int] = []
    globals_: list[tuple[int, ...]] = []
    trees: list[_Tree] = []
    for g in circuit.groups:
        mix_args.extend(reader.random_elem() for _ in range(g.mix_count))
        values: tuple[int, ...] = ()
        if g.global_count:
            values = tuple(reader.read_elems(g.global_count, f"globals of group {g.name!r}"))
            reader.commit(reader.suite.hash_elems(values))
        globals_.append(values)
        trees.append(_Tree(reader, domain, g.width, f"group {g.name!r}"))
    roots = tuple(t.root for t in trees)

    # 2–4. The constraint check at the out-of-domain point z.
    poly_mix = reader.random_ext_elem()
    check_tree = _Tree(reader, domain, CHECK_SIZE, "check")
    z = reader.random_ext_elem()
    coeff_u = reader.read_ext_elems(taps.num_taps + CHECK_SIZE, "coeff_u")
    reader.commit(reader.suite.hash_ext_elems(coeff_u))
    back_one = ROU_REV[po2]
    u: list[Fp4] = []
    offset = 0
    for reg in taps.registers:
        block = coeff_u[offset : offset + len(reg.backs)]
        u.extend(poly_eval(block, z * pow(back_one, b, P)) for b in reg.backs)
        offset += len(reg.backs)
    three_z = z * 3
    u.append(three_z)
    flat_globals = [v for values in globals_ for v in values]
    result = circuit.poly_ext(poly_mix, u, [flat_globals, mix_args])
    check = Fp4.zero()
    for i in range(EXT):
        for j in range(EXT):
            basis = Fp4.of(int(k == j) for k in range(4))
            check = check + coeff_u[taps.num_taps + REMAP[i] + 4 * j] * z**i * basis
    check = check * (three_z**n - 1)
    if check != result:
        raise VerificationError("constraint check failed: the quotient does not match at z")

    # 5. The DEEP combination of every register and check column.
    mix = reader.random_ext_elem()
    weights = taps.deep_weights(mix, CHECK_SIZE)
    combo_u = taps.combo_u(coeff_u, weights)

    def deep_value(pos: int, query: int) -> Fp4:
        rows = [t.open(pos, query) for t in trees]
        check_row = check_tree.open(pos, query)
        x = Fp4.of(pow(ROU_FWD[domain.bit_length() - 1], pos, P))
        tot = [Fp4.zero()] * (len(taps.combos) + 1)
        for reg, w in zip(taps.registers, weights, strict=False):
            tot[reg.combo] = tot[reg.combo] + w * rows[reg.group][reg.column]
        for i, w in enumerate(weights[len(taps.registers) :]):
            tot[-1] = tot[-1] + w * check_row[i]
        ret = Fp4.zero()
        for k, backs in enumerate(taps.combos):
            begin, end = taps.combo_begin[k], taps.combo_begin[k + 1]
            divisor = Fp4.one()
            for b in backs:
                divisor = divisor * (x - z * pow(back_one, b, P))
            ret = ret + (tot[k] - poly_eval(combo_u[begin:end], x)) * _inverse(divisor, query)
        return ret + (tot[-1] - combo_u[-1]) * _inverse(x - z**INV_RATE, query)

    # 6–7. FRI: the DEEP polynomial has degree < n.
    fri_trees = _fri_verify(reader, n, deep_value)
    reader.finish()
    for tree in [*trees, check_tree, *fri_trees]:
        tree.check()
    if check_roots is not None:  # last: a control root can be costly to compute
        check_roots(roots)
    return Verified(tuple(globals_), roots)


def _inverse(x: Fp4, query: int) -> Fp4:
    if x.is_zero():
        raise VerificationError(f"query {query}: the query point hit a tap point")
    return x.inv()


def _fri_verify(reader: SealReader, degree: int, inner: Callable[[int, int], Fp4]) -> list[_Tree]:
    """Read the FRI commitments and check every query's folding chain; returns the
    round trees, whose openings the caller checks."""
    orig_domain = domain = INV_RATE * degree
    rounds: list[tuple[_Tree, Fp4]] = []
    while degree > FRI_MIN_DEGREE:
        tree = _Tree(reader, domain // FRI_FOLD, FRI_FOLD * EXT, f"FRI round {len(rounds)}")
        rounds.append((tree, reader.random_ext_elem()))
        domain //= FRI_FOLD
        degree //= FRI_FOLD
    flat = reader.read_elems(EXT * degree, "final FRI coefficients")
    reader.commit(reader.suite.hash_elems(flat))
    final = [Fp4.of(flat[j * degree + i] for j in range(EXT)) for i in range(degree)]
    gen = ROU_FWD[domain.bit_length() - 1]
    for query in range(QUERIES):
        pos = reader.random_bits(orig_domain.bit_length() - 1)
        goal = inner(pos, query)
        for r, (tree, round_mix) in enumerate(rounds):
            quot, group = divmod(pos, tree.rows)
            row = tree.open(group, query)
            values = [Fp4.of(row[j * FRI_FOLD + i] for j in range(EXT)) for i in range(FRI_FOLD)]
            if values[quot] != goal:
                raise VerificationError(
                    f"query {query}: FRI round {r} does not match the previous round"
                )
            coeffs = _interpolate16(values)
            inv_wk = pow(ROU_REV[(FRI_FOLD * tree.rows).bit_length() - 1], group, P)
            goal = poly_eval(coeffs, round_mix * inv_wk)
            pos = group
        if poly_eval(final, Fp4.of(pow(gen, pos, P))) != goal:
            raise VerificationError(f"query {query}: the final FRI polynomial does not match")
    return [tree for tree, _ in rounds]


def _interpolate16(values: Sequence[Fp4]) -> list[Fp4]:
    """Natural-order coefficients of the polynomial through ``values`` at ``ω_16^i``."""
    comps = np.array([v.c for v in values], dtype=np.uint32).T  # (4, 16)
    natural = ntt.bit_reverse(ntt.interpolate(comps, backend="numpy"), backend="numpy")
    return [Fp4.of(int(natural[j, i]) for j in range(EXT)) for i in range(len(values))]
