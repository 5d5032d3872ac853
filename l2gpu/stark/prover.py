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

import hashlib
import importlib
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

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

    Returns the seal as ``uint32`` words: :func:`prove_batch` of one statement.
    """
    seals = prove_batch(
        circuit, [trace], [globals_], po2, suite=suite, backend=backend, progress=progress
    )
    return seals[0]


def prove_batch(
    circuit: Circuit,
    traces: Sequence[Sequence[np.ndarray]],
    globals_: Sequence[Sequence[Sequence[int]]],
    po2: int,
    *,
    suite: str | HashSuite = "poseidon2",
    backend=None,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """Seals for ``B`` statements of one circuit and size, proven together.

    Statement ``b`` is ``traces[b]`` with its public values ``globals_[b]``. Every seal
    is, byte for byte, the one :func:`prove` gives for that statement alone: each has
    its own transcript, and only kernel calls are shared — the groups' columns of all
    statements are stacked ``(width, B, n)`` and interpolated, shifted, extended,
    row-hashed and folded into Merkle trees in one call each (columns equal in every
    statement, a program's fixed ones, are committed once and shared); the quotient,
    check columns, FRI rounds, openings and the transcripts' RNG steps (lanes of one
    RNG) likewise. The constraint and DEEP evaluations and the FRI folds use
    per-statement challenges, so they run once per statement.
    """
    be = backends.get(backend)
    hs = get_suite(suite)
    report = progress or (lambda phase: None)
    count = len(traces)
    n = 1 << po2
    domain = INV_RATE * n
    log_domain = domain.bit_length() - 1
    if len(globals_) != count:
        raise ValueError(f"{count} traces but {len(globals_)} sets of public values")
    for trace, values in zip(traces, globals_, strict=True):
        if len(trace) != len(circuit.groups) or len(values) != len(circuit.groups):
            raise ValueError("one trace array and one globals tuple per group")
    if not count:
        return []
    seal = SealWriter(hs, count)

    # 1. Commit the groups; equal columns (a program's fixed ones) only once.
    report("commit")
    trees: list[_Trees] = []
    coeffs: list[Any] = []  # per group: natural coefficients of g(x) = f(3x), (width, ·, n)
    for i, g in enumerate(circuit.groups):
        if g.mix_count:
            raise ValueError(f"group {g.name!r} draws challenges; this prover does not support it")
        columns = [trace[i] for trace in traces]
        values = [v[i] for v in globals_]
        for c, v in zip(columns, values, strict=True):
            if tuple(c.shape) != (g.width, n):
                raise ValueError(f"group {g.name!r} needs shape {(g.width, n)}, got {c.shape}")
            if len(v) != g.global_count:
                raise ValueError(f"group {g.name!r} has {g.global_count} globals, got {len(v)}")
        if g.global_count:
            for b, v in enumerate(values):
                seal.write_elems(b, v)
            seal.commit(hs.hash_elems_many(values))
        distinct, index = _distinct(columns)
        group_coeffs, tree = commit_columns(be.asarray(np.stack(distinct, axis=1)), hs, be)
        coeffs.append(group_coeffs)
        trees.append(_commit(seal, tree, index))

    # 2. The constraint quotient on the coset, split into the check columns.
    report("constraints")
    taps = circuit.taps
    tap_list = [(r.group, r.column, INV_RATE * b) for r in taps.registers for b in r.backs]
    omega = be.asarray(powers(ROU_FWD[log_domain], domain).astype(np.uint32))  # ω_4n^i
    x = be.mul(omega, 3)  # the coset points 3·ω_4n^i
    tots = []
    for b, poly_mix in enumerate(seal.random_ext_elem()):
        flat_globals = [int(v) for values in globals_[b] for v in values]
        groups = [tree.matrix(b) for tree in trees]
        tots.append(
            be.eval_constraints(circuit.program, groups, tap_list, x, poly_mix, flat_globals)
        )
    tot = _stack(tots, axis=1)  # (4, B, 4n)
    # x_i^n − 1 = 3^n·ω_4^(i mod 4) − 1 takes four values.
    denom = [(pow(3, n, P) * pow(ROU_FWD[2], k, P) - 1) % P for k in range(4)]
    inv_denom = be.asarray(np.array([pow(d, P - 2, P) for d in denom], np.uint32))
    quotient = be.mul(tot.reshape(EXT, count, n, 4), inv_denom).reshape(EXT, count, domain)
    q = be.bit_reverse(be.interpolate(quotient))  # (4, B, 4n) natural coefficients of Q(3x)
    # Piece i holds coefficients q_{4m+i}; check column REMAP[i] + 4j its component j.
    # REMAP is its own inverse, so reorder the residues i by REMAP and flatten (j, i).
    check_dev = q.reshape(EXT, count, n, INV_RATE)[..., list(REMAP)].transpose(0, 3, 1, 2)
    check_dev = check_dev.reshape(CHECK_SIZE, count, n)
    check_lde = be.evaluate(be.bit_reverse(check_dev), INV_RATE)
    check_tree = MerkleTree(check_lde.reshape(CHECK_SIZE, -1), hs, be, QUERIES, count)
    check = _commit(seal, check_tree)

    # 3. Tap values at z.
    points = seal.random_ext_elem()
    coeff_u = []
    for b, z in enumerate(points):
        group_coeffs = [c[:, t.index[b]] for c, t in zip(coeffs, trees, strict=True)]
        coeff_u.append(_tap_values(be, circuit, group_coeffs, check_dev[:, b], z, po2))
    digests = hs.hash_elems_many([[c for e in u for c in e.c] for u in coeff_u])
    for b, u in enumerate(coeff_u):
        seal.write_ext_elems(b, u)
    seal.commit(digests)

    # 4. The DEEP polynomial on the unshifted domain.
    deeps = []
    for b, mix in enumerate(seal.random_ext_elem()):
        matrices = [t.matrix(b) for t in (*trees, check)]
        deeps.append(_deep(be, circuit, matrices, coeff_u[b], points[b], mix, po2, omega))

    # 5. FRI.
    report("FRI")
    fri_trees = _fri_prove(be, seal, hs, _stack(deeps, axis=1), n)

    # 6. Queries: every opening of every statement gathered at once, then written.
    report("queries")
    positions = np.array([seal.random_bits(log_domain) for _ in range(QUERIES)]).T  # (B, Q)
    owner = np.repeat(np.arange(count), QUERIES)
    openings = [t.tree.open_many(t.index[owner], positions.ravel()) for t in (*trees, check)]
    for t in fri_trees:
        positions = positions % t.tree.rows
        openings.append(t.tree.open_many(t.index[owner], positions.ravel()))
    for b in range(count):
        for i in range(b * QUERIES, (b + 1) * QUERIES):
            for values, siblings in openings:
                seal.write_elems(b, values[i])
                seal.write_digests(b, siblings[i])
    return seal.words()


def commit_columns(columns, suite: HashSuite, be) -> tuple[Any, MerkleTree]:
    """Commit trace columns as RISC Zero does: a group's ``(width, n)``, or those of
    ``B`` statements stacked ``(width, B, n)`` (one tree each).

    Interpolate, zk_shift (``g(x) = f(3x)``), evaluate on ``⟨ω_4n⟩``, Merkle-commit
    the ``4n`` rows. Returns ``g``'s natural-order coefficients (shaped as ``columns``)
    and the tree(s).
    """
    count = columns.shape[1] if columns.ndim == 3 else 1
    shifted = be.zk_shift(be.interpolate(columns))
    lde = be.evaluate(shifted, INV_RATE).reshape(columns.shape[0], -1)
    return be.bit_reverse(shifted), MerkleTree(lde, suite, be, QUERIES, count)


def _stack(arrays: Sequence[Any], axis: int) -> Any:
    """Stack backend arrays with the array library that made them (numpy, JAX, CuPy)."""
    first = arrays[0]
    if hasattr(first, "__array_namespace__"):
        xp = first.__array_namespace__()
    else:  # numpy < 2, CuPy < 14: the package that defines the array type
        xp = importlib.import_module(type(first).__module__.partition(".")[0])
    return xp.stack(arrays, axis=axis)


class _Trees(NamedTuple):
    """Merkle trees committed for a batch: statement ``b``'s is ``tree``'s ``index[b]``."""

    tree: MerkleTree
    index: np.ndarray

    def matrix(self, statement: int) -> Any:
        return self.tree.matrix(int(self.index[statement]))


def _distinct(arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct arrays among ``arrays`` and, for each array, its place among them."""
    first: dict[bytes, int] = {}
    index = []
    for a in arrays:
        key = hashlib.sha256(np.ascontiguousarray(a, dtype=np.uint32)).digest()
        index.append(first.setdefault(key, len(first)))
    distinct = [arrays[index.index(k)] for k in range(len(first))]
    return distinct, np.array(index)


def _commit(seal: SealWriter, tree: MerkleTree, index: np.ndarray | None = None) -> _Trees:
    """Publish each statement's tree (``tree``'s ``index[b]``, by default the ``b``-th):
    its top layer, then its root into the transcript."""
    trees = _Trees(tree, np.arange(seal.count) if index is None else index)
    tops, roots = tree.tops, tree.roots
    for b, t in enumerate(trees.index):
        seal.write_digests(b, tops[t])
    seal.commit(roots[trees.index])
    return trees


def _tap_values(be, circuit: Circuit, coeffs, check, z: Fp4, po2: int) -> list[Fp4]:
    """The coefficients of the taps' polynomials ``U_r`` and the check columns at ``z^4``.

    ``coeffs`` are one statement's groups ``(width, n)``; each group is evaluated once
    per distinct back it is tapped at.
    """
    back_one = ROU_REV[po2]
    at: dict[tuple[int, int], np.ndarray] = {}
    coeff_u: list[Fp4] = []
    for r in circuit.taps.registers:
        points = [z * pow(back_one, b, P) for b in r.backs]
        for back, point in zip(r.backs, points, strict=True):
            if (r.group, back) not in at:
                at[r.group, back] = be.poly_eval_ext(coeffs[r.group], point)
        values = [Fp4(tuple(int(v) for v in at[r.group, back][r.column])) for back in r.backs]
        coeff_u.extend(_interpolate(points, values))
    check_at = be.poly_eval_ext(check, z**INV_RATE)
    coeff_u.extend(Fp4(tuple(int(v) for v in row)) for row in check_at)
    return coeff_u


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


def _deep(be, circuit, matrices, coeff_u, z: Fp4, mix: Fp4, po2: int, x):
    """DEEP values ``(4, 4n)`` at the points ``x`` (``ω_4n^i``, the unshifted domain) of
    one statement's committed ``matrices`` (the groups', then the check columns); of
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
    terms += [
        (checks, len(matrices) - 1, i, w) for i, w in enumerate(weights[len(taps.registers) :])
    ]
    u = [combo_u[taps.combo_begin[k] : taps.combo_begin[k + 1]] for k in range(checks)]
    roots = [[z * pow(back_one, b, P) for b in backs] for backs in taps.combos]
    return be.deep(matrices, terms, [*u, [combo_u[-1]]], [*roots, [z**INV_RATE]], x)


def _fri_prove(be, seal: SealWriter, hs: HashSuite, evals, degree: int) -> list[_Trees]:
    """Commit, fold and re-evaluate until the degree is at most 256; write the rest.

    ``evals`` are the statements' DEEP values ``(4, B, 4·degree)``; each round commits
    one tree per statement and folds each with its own challenge.
    """
    count = seal.count
    coeffs = be.bit_reverse(be.interpolate(evals))[..., :degree]  # the top 3/4 are zero
    domain = INV_RATE * degree
    trees = []
    while degree > FRI_MIN_DEGREE:
        rows = domain // FRI_FOLD
        matrix = evals.reshape(EXT, count, FRI_FOLD, rows).transpose(0, 2, 1, 3)
        tree = MerkleTree(matrix.reshape(EXT * FRI_FOLD, -1), hs, be, QUERIES, count)
        trees.append(_commit(seal, tree))
        mixes = seal.random_ext_elem()
        coeffs = _stack([be.fri_fold(coeffs[:, b], mix) for b, mix in enumerate(mixes)], axis=1)
        degree //= FRI_FOLD
        domain //= FRI_FOLD
        evals = be.evaluate(be.bit_reverse(coeffs), INV_RATE)
    final = be.to_numpy(coeffs).transpose(1, 0, 2).reshape(count, -1)  # per statement (4·d)
    for b, elems in enumerate(final):
        seal.write_elems(b, elems)
    seal.commit(hs.hash_elems_many(final))
    return trees
