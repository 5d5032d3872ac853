"""NTT, coset LDE and bit reversal against a naive DFT (Python ints) and galois."""

from __future__ import annotations

import galois
import numpy as np
import pyref
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu import ntt
from l2gpu.field import P

SIZES = [1 << k for k in range(9)]  # 1 .. 256


def nat_to_br(coeffs: list[int]) -> list[int]:
    """Natural-order coefficients → RISC Zero's bit-reversed order (c_j at bitrev(j))."""
    n = len(coeffs)
    log_n = n.bit_length() - 1
    out = [0] * n
    for j, c in enumerate(coeffs):
        out[pyref.bitrev(j, log_n)] = c
    return out


def br_to_nat(coeffs: list[int]) -> list[int]:
    return nat_to_br(coeffs)  # bit reversal is an involution


def arr(rows: list[list[int]]) -> np.ndarray:
    return np.array(rows, dtype=np.uint32)


# -- naive DFT -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("cols", [1, 3])
def test_evaluate_vs_naive_dft(backend, field, n, cols):
    coeffs = field((cols, n)).tolist()  # natural order
    log_n = n.bit_length() - 1
    out = ntt.evaluate(arr([nat_to_br(c) for c in coeffs]), backend=backend)
    assert out.shape == (cols, n) and out.dtype == np.uint32
    assert out.tolist() == [pyref.naive_dft(c, pyref.rou(log_n)) for c in coeffs]


@pytest.mark.parametrize(
    ("n", "blowup"), [(n, b) for n in SIZES for b in (2, 4, 8) if n * b <= 512]
)
def test_evaluate_blowup_vs_naive_dft(backend, field, n, blowup):
    coeffs = field((2, n)).tolist()
    log_m = (n * blowup).bit_length() - 1
    out = ntt.evaluate(arr([nat_to_br(c) for c in coeffs]), blowup, backend=backend)
    assert out.shape == (2, n * blowup)
    assert out.tolist() == [pyref.naive_dft(c, pyref.rou(log_m), n * blowup) for c in coeffs]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("cols", [1, 3])
def test_interpolate_vs_naive(backend, field, n, cols):
    values = field((cols, n))
    before = values.copy()
    out = ntt.interpolate(values, backend=backend)
    assert out.shape == (cols, n) and out.dtype == np.uint32
    assert out.tolist() == [nat_to_br(pyref.naive_interpolate(v)) for v in values.tolist()]
    assert np.array_equal(values, before), "interpolate modified its input"


@pytest.mark.parametrize("n", SIZES)
def test_zk_shift_vs_naive(backend, field, n):
    coeffs = field((2, n))
    log_n = n.bit_length() - 1
    out = ntt.zk_shift(coeffs, backend=backend)
    # Bit-reversed order: the coefficient of x^j sits at position bitrev(j) and gains 3^j.
    expected = []
    for c in coeffs.tolist():
        row = [0] * n
        for j in range(n):
            pos = pyref.bitrev(j, log_n)
            row[pos] = c[pos] * pow(3, j, P) % P
        expected.append(row)
    assert out.tolist() == expected


@pytest.mark.parametrize("n", [1, 2, 4, 16, 64])
@pytest.mark.parametrize("blowup", [1, 2, 4, 8])
def test_lde_vs_naive(backend, field, n, blowup):
    values = field((2, n))
    log_m = (n * blowup).bit_length() - 1
    out = ntt.lde(values, blowup, backend=backend)
    assert out.shape == (2, n * blowup) and out.dtype == np.uint32
    w = pyref.rou(log_m)
    for got, v in zip(out.tolist(), values.tolist(), strict=True):
        c = pyref.naive_interpolate(v)
        assert got == [pyref.poly_eval(c, 3 * pow(w, i, P) % P) for i in range(n * blowup)]


def test_lde_default_blowup_is_4(backend, field):
    values = field((1, 8))
    assert np.array_equal(ntt.lde(values, backend=backend), ntt.lde(values, 4, backend=backend))


def test_lde_of_constant(backend):
    values = np.full((1, 16), 12345, dtype=np.uint32)
    assert ntt.lde(values, 4, backend=backend).tolist() == [[12345] * 64]


def test_one_dimensional_inputs(backend, field):
    v = field(16)
    c = ntt.interpolate(v, backend=backend)
    assert c.shape == (16,)
    assert c.tolist() == ntt.interpolate(v[None], backend=backend)[0].tolist()
    assert ntt.evaluate(c, 2, backend=backend).tolist() == (
        ntt.evaluate(c[None], 2, backend=backend)[0].tolist()
    )
    assert ntt.zk_shift(c, backend=backend).shape == (16,)
    assert ntt.lde(v, 2, backend=backend).shape == (32,)
    assert ntt.bit_reverse(v, backend=backend).shape == (16,)


# -- galois --------------------------------------------------------------------------------


def galois_root(n: int) -> int:
    """galois.ntt's ω_n: its primitive root of GF(P) raised to (P-1)/n (see galois docs)."""
    return pow(int(galois.primitive_root(P)), (P - 1) // n, P)


def twist(n: int) -> int:
    """The odd t < n with ω_galois^t = ω_risc0.

    galois picks ω_n = 31^((P-1)/n) (31 is BabyBear's smallest primitive root); RISC Zero
    uses 137^(2^27/n). Both are primitive n-th roots, so they differ by an odd power t and
    our X[k] is galois' X[t·k mod n]. (For n ≤ 16 galois' root is ROU_REV: t = n − 1.)
    """
    wg, wo = galois_root(n), pyref.rou(n.bit_length() - 1)
    ts = [t for t in range(1, n, 2) if pow(wg, t, P) == wo]
    assert len(ts) == 1, (n, wg, wo)
    return ts[0]


@pytest.mark.parametrize("n", SIZES[1:])
def test_evaluate_vs_galois_ntt(backend, field, n):
    coeffs = field(n)
    t = twist(n)
    x_g = np.asarray(galois.ntt(coeffs.astype(np.int64), size=n, modulus=P), dtype=np.int64)
    ours = ntt.evaluate(arr(nat_to_br(coeffs.tolist())), backend=backend)
    assert ours.tolist() == [int(x_g[t * k % n]) for k in range(n)]
    if n <= 16:
        assert galois_root(n) == pow(pyref.rou(n.bit_length() - 1), -1, P)


@pytest.mark.parametrize("n", SIZES[1:])
def test_interpolate_vs_galois_intt(backend, field, n):
    values = field(n)
    t = twist(n)
    y = np.zeros(n, dtype=np.int64)
    y[[t * k % n for k in range(n)]] = values  # Y[t·k] = v_k, so intt(Y) uses ω_risc0^-1
    c_g = np.asarray(galois.intt(y, size=n, modulus=P), dtype=np.int64).tolist()
    ours = ntt.interpolate(values, backend=backend)
    assert br_to_nat(ours.tolist()) == c_g


# -- round trips (hypothesis) --------------------------------------------------------------

log_sizes = st.integers(0, 9)


@st.composite
def matrices(draw, max_cols=3):
    """(cols, n) canonical matrices, n = 1..512: random, all zero, or all P - 1."""
    n = 1 << draw(log_sizes)
    cols = draw(st.integers(1, max_cols))
    kind = draw(st.sampled_from(["random", "random", "zero", "max"]))
    if kind == "zero":
        return np.zeros((cols, n), dtype=np.uint32)
    if kind == "max":
        return np.full((cols, n), P - 1, dtype=np.uint32)
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(0, P, size=(cols, n), dtype=np.uint32)


@given(matrices())
def test_interpolate_evaluate_round_trip(m):
    assert np.array_equal(ntt.interpolate(ntt.evaluate(m)), m)
    assert np.array_equal(ntt.evaluate(ntt.interpolate(m)), m)


@given(matrices(), st.sampled_from([2, 4, 8]))
def test_evaluate_blowup_extends(m, blowup):
    """Evaluating on ⟨ω_{bn}⟩ hits ⟨ω_n⟩ at every b-th point; interpolating the blown-up
    evaluations gives the coefficients padded with zeros (in bit-reversed order)."""
    big = ntt.evaluate(m, blowup)
    assert np.array_equal(big[:, ::blowup], ntt.evaluate(m))
    n = m.shape[-1]
    back = ntt.interpolate(big)
    assert np.array_equal(ntt.bit_reverse(back)[:, :n], ntt.bit_reverse(m))
    assert not ntt.bit_reverse(back)[:, n:].any()


@given(matrices(), st.sampled_from([1, 2, 4, 8]))
def test_lde_is_shifted_evaluation(m, blowup):
    expected = ntt.evaluate(ntt.zk_shift(ntt.interpolate(m)), blowup)
    assert np.array_equal(ntt.lde(m, blowup), expected)


@given(matrices(max_cols=2))
def test_zk_shift_law(c):
    n = c.shape[-1]
    log_n = n.bit_length() - 1
    out = ntt.zk_shift(c)
    for j in range(n):
        pos = pyref.bitrev(j, log_n)
        assert np.array_equal(out[:, pos], c[:, pos].astype(np.uint64) * pow(3, j, P) % P)


@given(matrices())
def test_bit_reverse_law(m):
    n = m.shape[-1]
    log_n = n.bit_length() - 1
    r = ntt.bit_reverse(m)
    assert np.array_equal(ntt.bit_reverse(r), m)
    assert np.array_equal(r[:, [pyref.bitrev(i, log_n) for i in range(n)]], m)


@given(matrices(max_cols=1), st.integers(0, 1000))
def test_evaluate_at_a_point(m, k):
    """evaluate(c)[k] is the polynomial at ω_n^k, for a random k."""
    n = m.shape[-1]
    k %= n
    c = br_to_nat(m[0].tolist())
    assert int(ntt.evaluate(m)[0, k]) == pyref.poly_eval(
        c, pow(pyref.rou(n.bit_length() - 1), k, P)
    )


# -- large sizes: the four-step path -------------------------------------------------------


@pytest.mark.parametrize("log_n", [15, 16])
def test_large_round_trip_and_spot_checks(backend, field, log_n):
    n = 1 << log_n
    coeffs = field((2, n))  # natural order
    br = coeffs[:, pyref_bitrev_index(log_n)]
    evals = ntt.evaluate(br, backend=backend)
    w = pyref.rou(log_n)
    for col in range(2):
        c = coeffs[col].tolist()
        for k in (0, 1, n // 2 + 3, n - 1):
            assert int(evals[col, k]) == pyref.poly_eval(c, pow(w, k, P)), (col, k)
    assert np.array_equal(ntt.interpolate(evals, backend=backend), br)


def test_large_lde_spot_checks(backend, field):
    log_n, blowup = 13, 4
    n = 1 << log_n
    values = field((1, n))
    out = ntt.lde(values, blowup, backend=backend)
    coeffs = br_to_nat(ntt.interpolate(values, backend=backend)[0].tolist())
    assert ntt.evaluate(arr([nat_to_br(coeffs)]), backend=backend).tolist() == values.tolist()
    w = pyref.rou(log_n + 2)
    for i in (0, 1, 4 * n - 1, 12345):
        assert int(out[0, i]) == pyref.poly_eval(coeffs, 3 * pow(w, i, P) % P), i


def pyref_bitrev_index(log_n: int) -> np.ndarray:
    """The bit-reversal permutation computed independently of l2gpu (vectorized)."""
    idx = np.arange(1 << log_n)
    rev = np.zeros_like(idx)
    for b in range(log_n):
        rev |= ((idx >> b) & 1) << (log_n - 1 - b)
    return rev
