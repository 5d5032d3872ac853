"""The cpu backend's element-wise, FRI and DEEP kernels against the numpy backend, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from l2gpu import backends
from l2gpu.backends.cpu import elementwise as cpu
from l2gpu.backends.numpy_backend import NumpyBackend
from l2gpu.field import Fp4, P

REF = backends.get("numpy")

# The reference adds 0-d constants as numpy scalars, which warn where x − P wraps (by design).
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


def field(rng: np.random.Generator, shape) -> np.ndarray:
    """Random canonical values, with the extremes 0 and P − 1 mixed in."""
    a = rng.integers(0, P, size=shape, dtype=np.uint32)
    flat = a.reshape(-1)
    flat[: min(2, flat.size)] = [0, P - 1][: min(2, flat.size)]
    return a


def fp4(rng: np.random.Generator) -> Fp4:
    return Fp4(tuple(int(v) for v in rng.integers(0, P, size=4)))


def check(got, want) -> None:
    """Same values, shape and dtype; a fresh C-contiguous uint32 array."""
    want = np.asarray(want)
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.uint32 and got.flags.c_contiguous
    assert got.shape == want.shape
    assert np.array_equal(got, want)


def run(kernel: str, *args) -> np.ndarray:
    """Run ``kernel`` on both backends; check agreement and that no input changed."""
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = getattr(cpu, kernel)(*args)
    check(got, getattr(REF, kernel)(*args))
    for a, b in zip(args, before, strict=True):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b), f"{kernel} modified an input"
    return got


BINARY_SHAPES = [
    ((), ()),
    ((0,), (0,)),
    ((0, 3), (3,)),
    ((1,), (1,)),
    ((5,), (5,)),
    ((3, 7), (3, 7)),
    ((3, 7), (7,)),
    ((3, 1), (1, 7)),
    ((4, 37), (4, 1)),
    ((4, 1), (4, 37)),
    ((1, 37), (4, 1)),
    ((4, 3, 10, 4), (4,)),
    ((4,), (4, 2, 64, 4)),
    ((4, 7, 9, 4), (4,)),
    ((4, 2, 300, 4), (1, 4)),
    ((3, 1, 5), (1, 4, 1)),
    ((2, 3, 4, 5), (3, 1, 5)),
    ((2, 1, 4, 1), (1, 3, 1, 6)),
    ((3, 20000), (3, 20000)),
    ((2, 9000), (2, 1)),
    ((1, 9000), (3, 1)),
]


@pytest.mark.parametrize("kernel", ["add", "sub", "mul"])
@pytest.mark.parametrize(("sa", "sb"), BINARY_SHAPES)
def test_binary_broadcasts(rng, kernel, sa, sb):
    run(kernel, field(rng, sa), field(rng, sb))


@pytest.mark.parametrize("kernel", ["add", "sub", "mul"])
def test_binary_constants(rng, kernel):
    for shape in [(), (1,), (7,), (3, 5), (2, 3, 9000)]:
        a = field(rng, shape)
        for c in [0, 1, 5, P - 1]:
            run(kernel, a, c)
            run(kernel, c, a)
            run(kernel, a, np.uint32(c))
    run(kernel, 3, P - 2)


@pytest.mark.parametrize("kernel", ["add", "sub", "mul"])
def test_binary_strided_inputs(rng, kernel):
    base = field(rng, (6, 40))
    views = [base[:, ::2], base.T, base[::-1], base[::2, ::-3], base[1:4, 5:30]]
    for v in views:
        run(kernel, v, field(rng, v.shape))
        run(kernel, field(rng, v.shape), v)
        run(kernel, v, v[:1])
        run(kernel, v[:, :1], v)
    row = field(rng, (40,))
    run(kernel, np.broadcast_to(row, (6, 40)), base)
    run(kernel, base[:, 3], 7)


def test_prover_broadcasts(rng):
    """The shapes the prover multiplies: Fp4 rows by constants and base rows by Fp4."""
    run("mul", field(rng, (4, 2, 1000, 4)), field(rng, (4,)))
    run("mul", field(rng, (4, 5000)), field(rng, (4, 1)))
    run("mul", field(rng, (5000,))[None], field(rng, (4, 1)))
    run("add", field(rng, (4, 5000)), field(rng, (4, 1)))
    run("sub", field(rng, (4, 1)), field(rng, (4, 5000)))


@pytest.mark.parametrize("shape", [(0,), (1,), (5,), (64,), (3, 7), (4097,), (2, 5000)])
def test_inv(rng, shape):
    a = rng.integers(1, P, size=shape, dtype=np.uint32)
    a.reshape(-1)[:1] = P - 1
    out = run("inv", a)
    if a.size:
        assert np.all(a.astype(np.uint64) * out % P == 1)


def test_inv_strided(rng):
    a = rng.integers(1, P, size=(5, 300), dtype=np.uint32)
    run("inv", a.T)
    run("inv", a[::-2, ::3])


@pytest.mark.parametrize("where", [0, 17, 4095, 4096, 4999])
def test_inv_of_zero_raises(rng, where):
    a = rng.integers(1, P, size=5000, dtype=np.uint32)
    a[where] = 0
    with pytest.raises(ValueError, match="cannot invert zero"):
        cpu.inv(a)


EXT_SHAPES = [
    ((4,), (4,)),
    ((4, 0), (4, 0)),
    ((4, 9), (4, 9)),
    ((4, 3, 7), (4, 7)),
    ((4, 7), (4, 3, 7)),
    ((4, 3, 1), (4, 1, 5)),
    ((4, 1), (4, 2500)),
    ((4, 2500), (4, 1)),
    ((4, 2, 3, 5), (4, 3, 1)),
]


@pytest.mark.parametrize(("sa", "sb"), EXT_SHAPES)
def test_ext_mul(rng, sa, sb):
    run("ext_mul", field(rng, sa), field(rng, sb))


def test_ext_mul_by_constant(rng):
    k = fp4(rng)
    for shape in [(4,), (4, 0), (4, 9), (4, 2, 3), (4, 3000)]:
        run("ext_mul", field(rng, shape), k)
    run("ext_mul", field(rng, (4, 9)), Fp4((P - 1, 0, 0, 0)))


def test_ext_mul_strided(rng):
    base = field(rng, (50, 4))
    run("ext_mul", base.T, field(rng, (4, 50)))
    run("ext_mul", base.T[:, ::-2], base.T[:, 1::2])
    run("ext_mul", base.T[:, ::3], fp4(rng))
    run("ext_mul", field(rng, (4, 3, 20))[:, :, ::2], field(rng, (4, 1, 10)))


@pytest.mark.parametrize("shift", [0, 1, 3, -2, 8, 11, -100])
def test_roll(rng, shift):
    for shape in [(8,), (2, 8), (3, 0), (2, 3, 5)]:
        run("roll", field(rng, shape), shift)
    run("roll", field(rng, (6, 20))[::2, ::-3], shift)


@pytest.mark.parametrize("d", [16, 64, 4096 + 16])
def test_fri_fold(rng, d):
    run("fri_fold", field(rng, (4, d)), fp4(rng))


def test_fri_fold_strided(rng):
    coeffs = field(rng, (4, 3, 256))
    for b in range(3):
        run("fri_fold", coeffs[:, b], fp4(rng))
    run("fri_fold", field(rng, (4, 0)), fp4(rng))


@pytest.mark.parametrize("shape", [(1, 1), (2, 5), (3, 64), (2, 9000), (3, 0), (0, 5), (17,)])
def test_poly_eval_ext(rng, shape):
    run("poly_eval_ext", field(rng, shape), fp4(rng))


def test_poly_eval_ext_layouts(rng):
    run("poly_eval_ext", field(rng, (2, 3, 100)), fp4(rng))
    run("poly_eval_ext", field(rng, (300, 5)).T, fp4(rng))
    run("poly_eval_ext", field(rng, (5, 8)), Fp4((7, 0, 0, 0)))


def deep_case(rng, m: int, combos: list[tuple[int, int]], n_terms: int):
    """Random matrices, terms, ``u`` and roots: ``combos`` lists (len u_k, len roots_k)."""
    matrices = [field(rng, (w, m)) for w in (3, 5, 2)]
    terms = []
    for _ in range(n_terms):
        mat = int(rng.integers(len(matrices)))
        col = int(rng.integers(matrices[mat].shape[0]))
        terms.append((int(rng.integers(len(combos))), mat, col, fp4(rng)))
    u = [[fp4(rng) for _ in range(nu)] for nu, _ in combos]
    roots = [[fp4(rng) for _ in range(nr)] for _, nr in combos]
    return matrices, terms, u, roots, field(rng, (m,))


@pytest.mark.parametrize(
    ("m", "combos", "n_terms"),
    [
        (1, [(1, 1)], 1),
        (7, [(2, 2), (1, 1)], 4),
        (512, [(1, 1), (2, 2), (1, 1)], 8),
        (1100, [(2, 2), (3, 3), (1, 1), (0, 2)], 20),
        (3000, [(1, 3), (2, 1)], 6),
        (600, [(2, 2), (1, 1), (1, 1)], 0),
    ],
)
def test_deep(rng, m, combos, n_terms):
    matrices, terms, u, roots, x = deep_case(rng, m, combos, n_terms)
    if n_terms:
        terms[0] = (len(combos) - 1, *terms[0][1:])  # some term in the last combo
    got = cpu.deep(matrices, terms, u, roots, x)
    check(got, NumpyBackend().deep(matrices, terms, u, roots, x))


def test_deep_strided_inputs(rng):
    matrices, terms, u, roots, x = deep_case(rng, 700, [(2, 2), (1, 1)], 6)
    views = [np.asfortranarray(mat) for mat in matrices]
    xs = np.repeat(x, 2)[::2]
    got = cpu.deep(views, terms, u, roots, xs)
    check(got, NumpyBackend().deep(matrices, terms, u, roots, x))
    assert all(np.array_equal(v, mat) for v, mat in zip(views, matrices, strict=True))


def test_deep_root_at_a_point_raises(rng):
    matrices, terms, u, roots, x = deep_case(rng, 900, [(1, 1), (2, 2)], 4)
    roots[1][1] = Fp4((int(x[613]), 0, 0, 0))
    with pytest.raises(ValueError, match="cannot invert zero"):
        NumpyBackend().deep(matrices, terms, u, roots, x)
    with pytest.raises(ValueError, match="cannot invert zero"):
        cpu.deep(matrices, terms, u, roots, x)


def test_deep_empty_products(rng):
    """No roots: the divisor is 1; no points: an empty result."""
    matrices, terms, u, roots, x = deep_case(rng, 50, [(2, 0)], 3)
    check(cpu.deep(matrices, terms, u, roots, x), _minus_horner(matrices, terms, u[0], x))
    check(cpu.deep(matrices, terms, u, roots, x[:0]), np.zeros((4, 0), np.uint32))


def _minus_horner(matrices, terms, coeffs, x) -> np.ndarray:
    """``N(x) − U(x)`` through the numpy kernels."""
    total = np.zeros((4, x.size), np.uint32)
    for _, mat, col, w in terms:
        total = REF.add(total, REF.mul(matrices[mat][col][None], REF._fp4(w)))
    u_val = np.zeros((4, x.size), np.uint32)
    for c in reversed(coeffs):
        u_val = REF.add(REF.mul(u_val, x[None]), REF._fp4(c))
    return REF.sub(total, u_val)
