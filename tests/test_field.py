"""BabyBear and Fp4: RISC Zero's vectors (babybear_risc0.json) and the field laws."""

from __future__ import annotations

import numpy as np
import pyref
import pytest
from hypothesis import given
from hypothesis import strategies as st

from l2gpu import field
from l2gpu.field import Fp4, P

BB = pyref.load_json("babybear_risc0.json")
elems = st.integers(0, P - 1)
nonzero = st.integers(1, P - 1)
fp4s = st.tuples(elems, elems, elems, elems).map(Fp4)
nonzero_fp4s = fp4s.filter(lambda a: not a.is_zero())


def redc_mul(a: int, b: int) -> int:
    """RISC Zero's Montgomery product (baby_bear.rs ``mul``) with the JSON constants."""
    m = BB["montgomery"]["M_P_inv_mod_2^32"]
    o64 = a * b
    low = -o64 % (1 << 32)
    red = m * low % (1 << 32)
    ret = (o64 + red * P) >> 32
    return ret - P if ret >= P else ret


# -- constants -------------------------------------------------------------------------


def test_modulus():
    assert P == 2013265921 == BB["modulus_P"] == 15 * 2**27 + 1
    assert field.TWO_ADICITY == BB["MAX_ROU_PO2"] == 27


def test_rou_tables_match_risc0():
    assert list(field.ROU_FWD) == BB["ROU_FWD"]
    assert list(field.ROU_REV) == BB["ROU_REV"]
    assert BB["sppark_riscz_forward_roots_canonical"] == BB["ROU_FWD"]
    assert BB["sppark_riscz_inverse_roots_canonical"] == BB["ROU_REV"]


def test_rou_tables_as_montgomery_words_match_sppark():
    fwd_raw = BB["sppark_riscz_forward_roots_raw_montgomery"]
    rev_raw = BB["sppark_riscz_inverse_roots_raw_montgomery"]
    assert [field.to_mont(w) for w in field.ROU_FWD] == fwd_raw
    assert [field.to_mont(w) for w in field.ROU_REV] == rev_raw
    arr = field.to_mont(np.array(field.ROU_FWD, dtype=np.uint32))
    assert arr.dtype == np.uint32 and arr.tolist() == fwd_raw
    assert field.from_mont(np.array(rev_raw, dtype=np.uint32)).tolist() == list(field.ROU_REV)


@pytest.mark.parametrize("i", range(28))
def test_rou_semantics(i):
    w, w_inv = field.ROU_FWD[i], field.ROU_REV[i]
    assert w * w_inv % P == 1
    assert pow(w, 1 << i, P) == 1
    if i:
        assert pow(w, 1 << (i - 1), P) == P - 1  # exact order 2^i
    if i < 27:
        assert field.ROU_FWD[i + 1] ** 2 % P == w
    assert w == pyref.rou(i)


def test_montgomery_constants():
    mont = BB["montgomery"]
    assert field.to_mont(1) == mont["R_mod_P"] == (1 << 32) % P
    assert field.to_mont(mont["R_mod_P"]) == mont["R2_mod_P"] == (1 << 64) % P
    assert P * mont["M_P_inv_mod_2^32"] % (1 << 32) == 1
    assert field.from_mont(mont["R_mod_P"]) == 1


def test_to_mont_is_risc0_encode(rng):
    """``Elem::new`` encodes with ``mul(R2, x)``; ``as_u32`` decodes with ``mul(1, w)``."""
    r2 = BB["montgomery"]["R2_mod_P"]
    xs = [0, 1, 2, P - 1, *rng.integers(0, P, size=200).tolist()]
    words = field.to_mont(np.array(xs, dtype=np.uint32))
    assert words.tolist() == [redc_mul(r2, x) for x in xs]
    assert [field.to_mont(x) for x in xs] == [redc_mul(r2, x) for x in xs]
    back = field.from_mont(words)
    assert back.dtype == np.uint32 and back.tolist() == [redc_mul(1, int(w)) for w in words]
    assert back.tolist() == xs


def test_fp4_vectors():
    tv = BB["extension_field"]["test_vectors"]
    x, c0, c1 = Fp4.of(tv["x"]), Fp4.of(tv["c0"]), Fp4.of(tv["c1"])
    assert list((x * c1).c) == tv["x_times_c1"]
    assert list((c0 + x * c1).c) == tv["c0_plus_x_times_c1"]
    assert pyref.fp4_mul(tv["x"], tv["c1"]) == tv["x_times_c1"]
    assert list((c1 * x).c) == tv["x_times_c1"]


def test_fp4_mul_arrays_vectors():
    tv = BB["extension_field"]["test_vectors"]
    a = np.array([tv["x"], tv["c0"]], dtype=np.uint64).T  # (4, 2): component first
    b = np.array([tv["c1"], tv["x"]], dtype=np.uint64).T
    out = field.fp4_mul_arrays(a, b)
    assert out.shape == (4, 2)
    assert out[:, 0].tolist() == tv["x_times_c1"]
    assert out[:, 1].tolist() == pyref.fp4_mul(tv["c0"], tv["x"])


def test_pow_5_1000():
    expected = BB["base_field_test_vectors"]["pow_5_1000"]
    assert pow(5, 1000, P) == expected
    assert (Fp4.of(5) ** 1000).c == (expected, 0, 0, 0)
    assert int(field.powers(5, 1001)[1000]) == expected


def test_fp4_modulus_polynomial():
    x = Fp4((0, 1, 0, 0))
    assert x**4 == Fp4.of(P - field.BETA) == Fp4.of(-11)
    assert field.BETA == BB["extension_field"]["BETA"]
    assert field.NBETA == BB["extension_field"]["NBETA"]


# -- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize("log_n", range(11))
def test_bit_reverse_indices(log_n):
    idx = field.bit_reverse_indices(log_n)
    assert idx.tolist() == [pyref.bitrev(i, log_n) for i in range(1 << log_n)]
    assert np.array_equal(idx[idx], np.arange(1 << log_n))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 33, 64, 100])
def test_powers(n):
    for base in (0, 1, 3, 137, P - 1, 1234567891):
        out = field.powers(base, n)
        assert out.shape == (n,)
        assert out.tolist() == [pow(base, k, P) for k in range(n)]


def test_powers_reduces_base():
    assert field.powers(P + 5, 6).tolist() == [pow(5, k, P) for k in range(6)]


def test_inv_scalar():
    assert field.inv(1) == 1
    assert field.inv(P - 1) == P - 1
    assert field.inv(2) * 2 % P == 1
    with pytest.raises(ZeroDivisionError):
        field.inv(0)
    with pytest.raises(ZeroDivisionError):
        field.inv(P)


def test_fp4_inv_zero():
    with pytest.raises(ZeroDivisionError):
        Fp4.zero().inv()


def test_check_array_passes_canonical_through():
    x = np.array([[0, 1], [P - 1, 5]], dtype=np.uint32)
    assert field.check_array(x, "x", ndim=2) is x
    empty = np.zeros((0, 3), dtype=np.uint32)
    assert field.check_array(empty, "e") is empty


def test_log2_exact():
    assert [field.log2_exact(1 << k, "n") for k in range(28)] == list(range(28))
    for bad in (0, 3, 6, 12, -4):
        with pytest.raises(ValueError, match="n must be a power of two"):
            field.log2_exact(bad, "n")


# -- laws (hypothesis) -------------------------------------------------------------------


@given(elems)
def test_mont_round_trip_scalar(x):
    w = field.to_mont(x)
    assert w == x * (1 << 32) % P
    assert field.from_mont(w) == x
    assert field.to_mont(field.from_mont(x)) == x


@given(st.lists(elems, min_size=0, max_size=40))
def test_mont_round_trip_array(xs):
    a = np.array(xs, dtype=np.uint32)
    w = field.to_mont(a)
    assert w.dtype == np.uint32 and w.shape == a.shape
    assert w.tolist() == [pyref.to_mont(x) for x in xs]
    assert field.from_mont(w).tolist() == xs


@given(elems, elems)
def test_mont_product(a, b):
    """Montgomery words multiply by REDC: ``redc(mont(a)·mont(b)) = mont(a·b)``."""
    assert redc_mul(field.to_mont(a), field.to_mont(b)) == field.to_mont(a * b % P)


@given(nonzero)
def test_inv_law(x):
    assert field.inv(x) * x % P == 1


@given(fp4s, fp4s, fp4s)
def test_fp4_ring_laws(a, b, c):
    assert (a * b) * c == a * (b * c)
    assert a * b == b * a
    assert a * (b + c) == a * b + a * c
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a - a == Fp4.zero()
    assert a + (-a) == Fp4.zero()
    assert (a - b) + b == a
    assert a * Fp4.one() == a
    assert a * Fp4.zero() == Fp4.zero()


@given(fp4s, fp4s)
def test_fp4_mul_matches_reference(a, b):
    assert list((a * b).c) == pyref.fp4_mul(list(a.c), list(b.c))
    assert list((a + b).c) == pyref.fp4_add(list(a.c), list(b.c))


@given(fp4s, elems)
def test_fp4_scalar_embedding(a, k):
    assert a * k == a * Fp4.of(k)
    assert k * a == a * Fp4.of(k)
    assert a + k == a + Fp4.of(k)
    assert k - a == Fp4.of(k) - a


@given(nonzero_fp4s, fp4s)
def test_fp4_inverse(a, b):
    assert a * a.inv() == Fp4.one()
    assert (b / a) * a == b
    assert a.inv().inv() == a


@given(fp4s, st.integers(0, 40))
def test_fp4_pow(a, e):
    expected = Fp4.one()
    for _ in range(e):
        expected = expected * a
    assert a**e == expected


@given(st.lists(st.tuples(fp4s, fp4s), min_size=1, max_size=8))
def test_fp4_mul_arrays_law(pairs):
    a = np.array([p[0].c for p in pairs], dtype=np.uint64).T
    b = np.array([p[1].c for p in pairs], dtype=np.uint64).T
    out = field.fp4_mul_arrays(a, b)
    assert [tuple(col) for col in out.T.tolist()] == [(x * y).c for x, y in pairs]


def test_fp4_of():
    assert Fp4.of(P + 3) == Fp4((3, 0, 0, 0))
    assert Fp4.of([1, 2, 3, P + 4]) == Fp4((1, 2, 3, 4))
    a = Fp4((1, 2, 3, 4))
    assert Fp4.of(a) is a
    assert Fp4.of(np.uint32(7)) == Fp4((7, 0, 0, 0))
    with pytest.raises(ValueError, match="4 components"):
        Fp4.of([1, 2, 3])
