"""The prover: the mirror image of :mod:`l2gpu.stark.verifier`, through backend kernels.

Commit each group (interpolate, zk_shift, expand ×4, Merkle); evaluate the constraints
on the coset ``3·⟨ω_4n⟩`` and divide by ``x^n − 1``; split the quotient into the 16
check columns and commit them; evaluate every tap at ``z``; build the DEEP polynomial;
run FRI; answer the queries. There is no blinding, so the prover is deterministic: the
same statement gives the same seal on every backend.

It proves whatever trace it is given — checking the witness is the caller's business
(a bad witness yields a seal the verifier rejects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backends
from ..field import ROU_FWD, ROU_REV, Fp4, P, powers
from ..hashing import HashSuite, get_suite
from ..merkle import MerkleTree
from .circuit import Circuit
from .params import CHECK_SIZE, EXT, FRI_FOLD, FRI_MIN_DEGREE, INV_RATE, QUERIES, REMAP
from .transcript import SealWriter

PHASES = ("commit", "constraints", "FRI", "queries")
Progress = Callable[[str], None]


def prove(
    circuit: Circuit,
    trace: Sequence[np.ndarray],
    globals_: Sequence[Sequence[int]],
    po2: int,
    *,
    suite: str | HashSuite = "poseidon2",
    backend=None,
    progress: Progress | None = None,
) -> np.ndarray:
    """A seal for ``trace`` (one ``(width, 2^po2)`` array per group) and its public values.

    Returns the seal as ``uint32`` words.
    """
    be = backends.get(backend)
    hs = get_suite(suite)
    report = progress or (lambda phase: None)
    n = 1 << po2
    domain = INV_RATE * n
    log_domain = domain.bit_length() - 1
    if len(trace) != len(circuit.groups) or len(globals_) != len(circuit.groups):
        raise ValueError("one trace array and one globals tuple per group")
    writer = SealWriter(hs)

    # 1. Commit the groups.
    report("commit")
    trees: list[MerkleTree] = []
    coeffs: list[Any] = []  # per group: natural coefficients of g(x) = f(3x)
    for g, columns, values in zip(circuit.groups, trace, globals_, strict=True):
        if g.mix_count:
            raise ValueError(f"group {g.name!r} draws challenges; this prover does not support it")
        if tuple(columns.shape) != (g.width, n):
            raise ValueError(f"group {g.name!r} needs shape {(g.width, n)}, got {columns.shape}")
        if len(values) != g.global_count:
            raise ValueError(f"group {g.name!r} has {g.global_count} globals, got {len(values)}")
        if g.global_count:
            writer.write_elems(values)
            writer.commit(hs.hash_elems(values))
        group_coeffs, tree = commit_columns(be.asarray(columns), hs, be)
        coeffs.append(group_coeffs)
        trees.append(_commit(writer, tree))

    # 2. The constraint quotient on the coset, split into the check columns.
    report("constraints")
    poly_mix = writer.random_ext_elem()
    taps = circuit.taps
    tap_list = [(r.group, r.column, INV_RATE * b) for r in taps.registers for b in r.backs]
    omega = be.asarray(powers(ROU_FWD[log_domain], domain).astype(np.uint32))  # ω_4n^i
    x = be.mul(omega, 3)  # the coset points 3·ω_4n^i
    flat_globals = [int(v) for values in globals_ for v in values]
    groups = [tree.columns for tree in trees]
    tot = be.eval_constraints(circuit.program, groups, tap_list, x, poly_mix, flat_globals)
    # x_i^n − 1 = 3^n·ω_4^(i mod 4) − 1 takes four values.
    denom = [(pow(3, n, P) * pow(ROU_FWD[2], k, P) - 1) % P for k in range(4)]
    inv_denom = be.asarray(np.array([pow(d, P - 2, P) for d in denom], np.uint32))
    quotient = be.mul(tot.reshape(EXT, n, 4), inv_denom).reshape(EXT, domain)
    q = be.bit_reverse(be.interpolate(quotient))  # (4, 4n) natural coefficients of Q(3x)
    # Piece i holds coefficients q_{4m+i}; check column REMAP[i] + 4j its component j.
    # REMAP is its own inverse, so reorder the residues i by REMAP and flatten (j, i).
    check_dev = q.reshape(EXT, n, INV_RATE)[:, :, list(REMAP)].transpose(0, 2, 1)
    check_dev = check_dev.reshape(CHECK_SIZE, n)
    check_lde = be.evaluate(be.bit_reverse(check_dev), INV_RATE)
    check_tree = _commit(writer, MerkleTree(check_lde, hs, be, QUERIES))

    # 3. Tap values at z.
    z = writer.random_ext_elem()
    back_one = ROU_REV[po2]
    coeff_u: list[Fp4] = []
    for r in taps.registers:
        points = [z * pow(back_one, b, P) for b in r.backs]
        column = coeffs[r.group][r.column : r.column + 1]
        values = [Fp4(tuple(int(v) for v in be.poly_eval_ext(column, pt)[0])) for pt in points]
        coeff_u.extend(_interpolate(points, values))
    z4 = z**INV_RATE
    check_at = be.poly_eval_ext(check_dev, z4)
    coeff_u.extend(Fp4(tuple(int(v) for v in row)) for row in check_at)
    writer.write_ext_elems(coeff_u)
    writer.commit(hs.hash_ext_elems(coeff_u))

    # 4. The DEEP polynomial on the unshifted domain.
    mix = writer.random_ext_elem()
    deep = _deep(be, circuit, trees, check_tree, coeff_u, z, mix, po2, omega)

    # 5. FRI.
    report("FRI")
    fri_trees = _fri_prove(be, writer, hs, deep, n)

    # 6. Queries.
    report("queries")
    positions = [writer.random_bits(log_domain) for _ in range(QUERIES)]
    for pos in positions:
        for tree in [*trees, check_tree]:
            _write_opening(writer, tree, pos)
        for tree in fri_trees:
            pos %= tree.rows
            _write_opening(writer, tree, pos)
    return writer.words()


def commit_columns(columns, suite: HashSuite, be) -> tuple[Any, MerkleTree]:
    """Commit a group's ``(width, n)`` trace columns as RISC Zero does.

    Interpolate, zk_shift (``g(x) = f(3x)``), evaluate on ``⟨ω_4n⟩``, Merkle-commit
    the ``4n`` rows. Returns ``g``'s natural-order coefficients and the tree.
    """
    shifted = be.zk_shift(be.interpolate(columns))
    lde = be.evaluate(shifted, INV_RATE)
    return be.bit_reverse(shifted), MerkleTree(lde, suite, be, QUERIES)


def _commit(writer: SealWriter, tree: MerkleTree) -> MerkleTree:
    writer.write_digests(tree.top)
    writer.commit(tuple(int(w) for w in tree.root))
    return tree


def _write_opening(writer: SealWriter, tree: MerkleTree, row: int) -> None:
    opening = tree.open(row)
    writer.write_elems(opening.values)
    writer.write_digests(opening.siblings)


def _interpolate(points: Sequence[Fp4], values: Sequence[Fp4]) -> list[Fp4]:
    """Coefficients (lowest first) of the polynomial of degree < len(points) through them."""
    k = len(points)
    coeffs = [Fp4.zero()] * k
    for i in range(k):
        basis = [Fp4.one()]  # Π_{j≠i} (x − p_j), lowest first
        denom = Fp4.one()
        for j in range(k):
            if j == i:
                continue
            basis = [Fp4.zero(), *basis]
            for m in range(len(basis) - 1):
                basis[m] = basis[m] - points[j] * basis[m + 1]
            denom = denom * (points[i] - points[j])
        scale = values[i] / denom
        coeffs = [c + scale * b for c, b in zip(coeffs, basis, strict=True)]
    return coeffs


def _deep(be, circuit, trees, check_tree, coeff_u, z: Fp4, mix: Fp4, po2: int, x):
    """DEEP values ``(4, 4n)`` at the points ``x`` (``ω_4n^i``, the unshifted domain); of
    degree ``< n`` for any trace.

    ``Σ_k (Σ_r mix^t·g_r(x) − U_k(x)) / Π_back (x − z·ω_n^-back)`` over the combos, plus
    ``(Σ_c mix^t·H_c(x) − U_check) / (x − z^4)`` over the check columns.
    """
    taps = circuit.taps
    back_one = ROU_REV[po2]
    weights = taps.deep_weights(mix, CHECK_SIZE)
    combo_u = taps.combo_u(coeff_u, weights)
    checks = len(taps.combos)  # the check columns' combo, after the taps' ones
    terms = [(r.combo, r.group, r.column, w) for r, w in zip(taps.registers, weights, strict=False)]
    terms += [(checks, len(trees), i, w) for i, w in enumerate(weights[len(taps.registers) :])]
    u = [combo_u[taps.combo_begin[k] : taps.combo_begin[k + 1]] for k in range(checks)]
    roots = [[z * pow(back_one, b, P) for b in backs] for backs in taps.combos]
    matrices = [tree.columns for tree in trees] + [check_tree.columns]
    return be.deep(matrices, terms, [*u, [combo_u[-1]]], [*roots, [z**INV_RATE]], x)


def _fri_prove(be, writer: SealWriter, hs: HashSuite, evals, degree: int) -> list[MerkleTree]:
    """Commit, fold and re-evaluate until the degree is at most 256; write the rest."""
    coeffs = be.bit_reverse(be.interpolate(evals))[:, :degree]  # the top 3/4 are zero
    domain = INV_RATE * degree
    trees = []
    while degree > FRI_MIN_DEGREE:
        rows = domain // FRI_FOLD
        matrix = evals.reshape(EXT * FRI_FOLD, rows)
        trees.append(_commit(writer, MerkleTree(matrix, hs, be, QUERIES)))
        round_mix = writer.random_ext_elem()
        coeffs = be.fri_fold(coeffs, round_mix)
        degree //= FRI_FOLD
        domain //= FRI_FOLD
        evals = be.evaluate(be.bit_reverse(coeffs), INV_RATE)
    final = be.to_numpy(coeffs)
    writer.write_elems(final.ravel())
    writer.commit(hs.hash_elems(final.ravel()))
    return trees
