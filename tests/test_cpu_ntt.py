"""The cpu backend's NTT kernels against the numpy backend, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from l2gpu.backends import get
from l2gpu.backends.cpu import ntt
from l2gpu.field import P

REF = get("numpy")
SIZES = [1, 2, 4, 16, 256, 4096, 1 << 16]
LEADS = [(), (3,), (2, 3)]
BLOWUPS = [1, 2, 4, 16]


def rand(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.RandomState(seed).randint(0, P, size=shape, dtype=np.uint32)


def check(out: np.ndarray, expected: np.ndarray) -> None:
    assert out.dtype == np.uint32
    assert out.flags.c_contiguous
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


def leads_for(n: int) -> list[tuple[int, ...]]:
    return LEADS if n <= 4096 else [(), (2,)]


def blowups_for(n: int) -> list[int]:
    return BLOWUPS if n <= 4096 else [1, 4]


@pytest.mark.parametrize("n", SIZES)
def test_interpolate(n: int) -> None:
    for k, lead in enumerate(leads_for(n)):
        x = rand((*lead, n), n + k)
        keep = x.copy()
        check(ntt.interpolate(x), REF.interpolate(x))
        np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("n", SIZES)
def test_evaluate(n: int) -> None:
    for k, lead in enumerate(leads_for(n)):
        x = rand((*lead, n), 2 * n + k)
        keep = x.copy()
        for blowup in blowups_for(n):
            check(ntt.evaluate(x, blowup), REF.evaluate(x, blowup))
        check(ntt.evaluate(x), REF.evaluate(x))
        np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("n", SIZES)
def test_lde(n: int) -> None:
    for k, lead in enumerate(leads_for(n)):
        x = rand((*lead, n), 3 * n + k)
        keep = x.copy()
        for blowup in blowups_for(n):
            check(ntt.lde(x, blowup), REF.lde(x, blowup))
        np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("n", SIZES)
def test_zk_shift_and_bit_reverse(n: int) -> None:
    for k, lead in enumerate(leads_for(n)):
        x = rand((*lead, n), 4 * n + k)
        keep = x.copy()
        check(ntt.zk_shift(x), REF.zk_shift(x))
        check(ntt.bit_reverse(x), REF.bit_reverse(x))
        np.testing.assert_array_equal(x, keep)


@pytest.mark.parametrize("n", [1 << k for k in range(0, 19)])
def test_round_trip(n: int) -> None:
    x = rand((2, n), 5 * n)
    np.testing.assert_array_equal(ntt.evaluate(ntt.interpolate(x)), x)
    np.testing.assert_array_equal(ntt.bit_reverse(ntt.bit_reverse(x)), x)


def test_large() -> None:
    n = 1 << 20
    x = rand((n,), 6)
    coeffs = ntt.interpolate(x)
    check(coeffs, REF.interpolate(x))
    check(ntt.evaluate(coeffs, 2), REF.evaluate(coeffs, 2))
    np.testing.assert_array_equal(ntt.evaluate(coeffs), x)


def test_lde_is_the_composition() -> None:
    x = rand((3, 1 << 17), 7)
    shifted = ntt.zk_shift(ntt.interpolate(x))
    np.testing.assert_array_equal(ntt.lde(x, 4), ntt.evaluate(shifted, 4))


def test_strided_inputs() -> None:
    base = rand((4, 3, 2048), 8)
    views = [
        base[:, 1, ::2],  # strided last axis
        base[1:3, :, 512:1536],  # contiguous rows, wider row stride
        base[::-1, ::2, :1024],  # negative and skipping leading strides
        base.transpose(1, 0, 2)[:, :, :256],  # permuted leading axes
        np.swapaxes(base[:, :2, :4], 1, 2),  # last axis of stride 2048
    ]
    for v in views:
        keep = v.copy()
        check(ntt.interpolate(v), REF.interpolate(np.ascontiguousarray(v)))
        check(ntt.evaluate(v, 4), REF.evaluate(np.ascontiguousarray(v), 4))
        check(ntt.lde(v, 2), REF.lde(np.ascontiguousarray(v), 2))
        check(ntt.zk_shift(v), REF.zk_shift(np.ascontiguousarray(v)))
        check(ntt.bit_reverse(v), REF.bit_reverse(np.ascontiguousarray(v)))
        np.testing.assert_array_equal(v, keep)


def test_outputs_are_fresh() -> None:
    x = rand((2, 64), 9)
    for out in (ntt.interpolate(x), ntt.evaluate(x), ntt.zk_shift(x), ntt.bit_reverse(x)):
        assert not np.shares_memory(out, x)


def test_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        ntt.interpolate(rand((3, 12), 10))
    with pytest.raises(ValueError):
        ntt.evaluate(rand((3, 16), 11), 3)
