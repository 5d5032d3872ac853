"""The backend registry, and every kernel of every available backend against numpy.

Today only numpy is available, so the cross-backend tests compare numpy with itself;
they are the body that a jax or cupy backend runs once its loader is registered.
"""

from __future__ import annotations

import inspect

import numpy as np
import pyref
import pytest

from l2gpu import backends, poseidon2
from l2gpu.backends.base import Backend, BackendUnavailableError
from l2gpu.field import Fp4, P

# -- registry ------------------------------------------------------------------------------


def test_numpy_always_available():
    assert "numpy" in backends.names()
    assert "numpy" in backends.available()
    assert set(backends.available()) <= set(backends.names())
    assert isinstance(backends.names(), tuple)


def test_get_by_name():
    be = backends.get("numpy")
    assert isinstance(be, Backend)
    assert be.name == "numpy"
    assert backends.get("numpy") is be  # one instance per backend


def test_get_auto(monkeypatch):
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    be = backends.get(None)
    assert isinstance(be, Backend)
    assert be.name in backends.available()
    assert backends.get("auto") is be
    assert be.name == backends.available()[0]  # the most preferred backend that runs


def test_get_passes_instances_through():
    be = backends.get("numpy")
    assert backends.get(be) is be


@pytest.mark.parametrize("value", ["numpy", " numpy ", "numpy\n"])
def test_env_var_selects_backend(monkeypatch, value):
    monkeypatch.setenv("L2GPU_BACKEND", value)
    assert backends.get(None).name == "numpy"
    assert backends.get("auto").name == "numpy"


@pytest.mark.parametrize("value", ["", "auto", "  "])
def test_env_var_auto_or_empty_means_automatic(monkeypatch, value):
    monkeypatch.setenv("L2GPU_BACKEND", value)
    assert backends.get(None).name == backends.available()[0]


def test_env_var_unknown_raises(monkeypatch):
    monkeypatch.setenv("L2GPU_BACKEND", "bogus")
    with pytest.raises(ValueError, match="unknown backend 'bogus'; known backends: numpy"):
        backends.get(None)


def test_env_var_does_not_override_an_explicit_name(monkeypatch):
    monkeypatch.setenv("L2GPU_BACKEND", "bogus")
    assert backends.get("numpy").name == "numpy"


def test_env_var_reaches_public_functions(monkeypatch):
    from l2gpu import hashing

    monkeypatch.setenv("L2GPU_BACKEND", "bogus")
    with pytest.raises(ValueError, match="unknown backend"):
        hashing.permute(np.zeros(24, dtype=np.uint32))
    monkeypatch.setenv("L2GPU_BACKEND", "numpy")
    assert hashing.permute(np.zeros(24, dtype=np.uint32)).shape == (24,)


def test_unknown_backend_raises_value_error():
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        backends.get("tpu")


def test_unavailable_error_is_a_runtime_error():
    assert issubclass(BackendUnavailableError, RuntimeError)
    assert not issubclass(BackendUnavailableError, ValueError)


# -- cross-backend: every kernel agrees with numpy bit for bit -----------------------------

KERNELS = {
    "asarray",
    "to_numpy",
    "poseidon2_permute",
    "poseidon2_hash_rows",
    "poseidon2_hash_pairs",
    "sha256_compress",
    "sha256_hash_rows",
    "sha256_hash_pairs",
    "interpolate",
    "evaluate",
    "zk_shift",
    "lde",
    "bit_reverse",
    "add",
    "sub",
    "mul",
    "inv",
    "ext_mul",
    "roll",
    "fri_fold",
    "poly_eval_ext",
}


def test_kernel_list_is_the_interface():
    """The cross-backend tests below cover every abstract method of Backend; a kernel added
    to the interface must be added here (and tested) too."""
    assert set(Backend.__abstractmethods__) == KERNELS


def test_backends_implement_every_kernel(backend):
    be = backends.get(backend)
    for name in KERNELS:
        assert callable(getattr(be, name))
        assert not getattr(getattr(type(be), name), "__isabstractmethod__", False)
    assert not inspect.isabstract(type(be))


HOST_RESULTS = {"poly_eval_ext"}


class Pair:
    """A backend and the numpy reference, run on the same host inputs."""

    def __init__(self, name: str) -> None:
        self.be = backends.get(name)
        self.ref = backends.get("numpy")

    def run(self, kernel: str, *args, **kwargs):
        """Run ``kernel`` on both; check agreement, dtype, and that inputs are unchanged."""
        host = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        dev = [self.be.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
        result = getattr(self.be, kernel)(*dev, **kwargs)
        # poly_eval_ext returns a host array by contract; everything else stays on device.
        got = result if kernel in HOST_RESULTS else self.be.to_numpy(result)
        want = np.asarray(getattr(self.ref, kernel)(*args, **kwargs))
        assert isinstance(got, np.ndarray) and got.dtype == np.uint32
        assert got.shape == want.shape
        assert np.array_equal(got, want), kernel
        for before, d in zip(host, dev, strict=True):
            if isinstance(before, np.ndarray):
                assert np.array_equal(self.be.to_numpy(d), before), f"{kernel} modified an input"
        return got


@pytest.fixture
def pair(backend):
    return Pair(backend)


def test_transfers_round_trip(pair, field):
    for shape in [(0,), (5,), (3, 7), (2, 3, 4)]:
        x = field(shape)
        back = pair.be.to_numpy(pair.be.asarray(x))
        assert back.dtype == np.uint32 and np.array_equal(back, x)


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("batch", [1, 5, 4096 + 1])
def test_poseidon2_permute(pair, field, name, batch):
    p = poseidon2.params(name)
    pair.run("poseidon2_permute", field((p.width, batch)), p)


@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 40])
def test_poseidon2_hash_rows(pair, field, cols):
    pair.run("poseidon2_hash_rows", field((cols, 9)), poseidon2.params("risc0-w24"))


def test_poseidon2_hash_pairs(pair, field):
    pair.run("poseidon2_hash_pairs", field((8, 33)), field((8, 33)), poseidon2.params("risc0-w24"))


def test_sha256_compress(pair, rng):
    state = rng.integers(0, 2**32, size=(8, 21), dtype=np.uint32)
    block = rng.integers(0, 2**32, size=(16, 21), dtype=np.uint32)
    pair.run("sha256_compress", state, block)


@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 40])
def test_sha256_hash_rows(pair, field, cols):
    pair.run("sha256_hash_rows", field((cols, 9)))


def test_sha256_hash_pairs(pair, rng):
    a = rng.integers(0, 2**32, size=(8, 17), dtype=np.uint32)
    b = rng.integers(0, 2**32, size=(8, 17), dtype=np.uint32)
    pair.run("sha256_hash_pairs", a, b)


@pytest.mark.parametrize("shape", [(1,), (8,), (3, 1), (3, 64), (2, 1 << 11)])
def test_ntt_kernels(pair, field, shape):
    x = field(shape)
    pair.run("interpolate", x)
    pair.run("zk_shift", x)
    pair.run("bit_reverse", x)
    for blowup in (1, 2, 4):
        pair.run("evaluate", x, blowup)
        pair.run("lde", x, blowup)


def test_kernels_agree_on_edge_values(pair):
    """All zeros and all P - 1 (the largest canonical value) through every field kernel."""
    for fill in (0, P - 1):
        p = poseidon2.params("risc0-w24")
        pair.run("poseidon2_permute", np.full((24, 3), fill, dtype=np.uint32), p)
        pair.run("poseidon2_hash_rows", np.full((20, 3), fill, dtype=np.uint32), p)
        m = np.full((8, 3), fill, dtype=np.uint32)
        pair.run("poseidon2_hash_pairs", m, m, p)
        pair.run("sha256_hash_rows", np.full((20, 3), fill, dtype=np.uint32))
        x = np.full((2, 16), fill, dtype=np.uint32)
        pair.run("interpolate", x)
        pair.run("evaluate", x, 4)
        pair.run("lde", x, 2)
        pair.run("zk_shift", x)


# -- element-wise field kernels: against numpy and against Python ints -----------------------


def ints(a: np.ndarray) -> list:
    return np.asarray(a).tolist()


def fp4_columns(a: np.ndarray) -> list[Fp4]:
    """``(4, m)`` component-first array → m Fp4 elements."""
    return [Fp4(tuple(col)) for col in np.asarray(a).T.tolist()]


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5)])
def test_add_sub_mul(pair, field, shape):
    a, b = field(shape), field(shape)
    fa, fb = a.reshape(-1).tolist(), b.reshape(-1).tolist()
    for kernel, op in [
        ("add", lambda x, y: (x + y) % P),
        ("sub", lambda x, y: (x - y) % P),
        ("mul", lambda x, y: x * y % P),
    ]:
        out = pair.run(kernel, a, b)
        assert out.shape == shape
        assert out.reshape(-1).tolist() == [op(x, y) for x, y in zip(fa, fb, strict=True)]


def test_add_sub_mul_broadcast_and_scalars(pair, field):
    a, row = field((3, 4)), field((4,))
    k = P - 2
    assert ints(pair.run("add", a, row)) == ints((a.astype(np.int64) + row) % P)
    assert ints(pair.run("sub", a, row)) == ints((a.astype(np.int64) - row) % P)
    out = pair.be.to_numpy(pair.be.mul(pair.be.asarray(a), k))
    assert ints(out) == [[x * k % P for x in r] for r in a.tolist()]
    out = pair.be.to_numpy(pair.be.sub(k, pair.be.asarray(a)))
    assert ints(out) == [[(k - x) % P for x in r] for r in a.tolist()]
    out = pair.be.to_numpy(pair.be.add(pair.be.asarray(a), 5))
    assert ints(out) == [[(x + 5) % P for x in r] for r in a.tolist()]


@pytest.mark.parametrize("shape", [(1,), (2,), (5,), (64,), (3, 7)])
def test_inv(pair, rng, shape):
    a = rng.integers(1, P, size=shape, dtype=np.uint32)
    a.reshape(-1)[0] = P - 1
    out = pair.run("inv", a)
    assert [x * y % P for x, y in zip(ints(a.reshape(-1)), ints(out.reshape(-1)), strict=True)] == [
        1
    ] * a.size


def test_inv_of_zero_raises(pair):
    with pytest.raises(ValueError, match="zero"):
        pair.be.inv(pair.be.asarray(np.array([3, 0, 5], dtype=np.uint32)))


def test_ext_mul(pair, field):
    a, b = field((4, 9)), field((4, 9))
    out = pair.run("ext_mul", a, b)
    assert out.shape == (4, 9)
    pairs = zip(a.T.tolist(), b.T.tolist(), strict=True)
    expected = [pyref.fp4_mul(list(x), list(y)) for x, y in pairs]
    assert out.T.tolist() == expected
    k = Fp4((P - 1, 2, 3, 123456789))
    out = pair.be.to_numpy(pair.be.ext_mul(pair.be.asarray(a), k))
    assert fp4_columns(out) == [x * k for x in fp4_columns(a)]
    a3 = field((4, 2, 3))
    out = pair.be.to_numpy(pair.be.ext_mul(pair.be.asarray(a3), k))
    assert out.shape == (4, 2, 3)
    assert fp4_columns(out.reshape(4, -1)) == [x * k for x in fp4_columns(a3.reshape(4, -1))]


@pytest.mark.parametrize("shift", [0, 1, 3, -2, 8, 11])
def test_roll(pair, field, shift):
    a = field((2, 8))
    out = pair.run("roll", a, shift)
    assert out.tolist() == [[r[(i - shift) % 8] for i in range(8)] for r in a.tolist()]


@pytest.mark.parametrize("d", [16, 64, 256])
def test_fri_fold(pair, field, d):
    coeffs = field((4, d))
    mix = Fp4((5, P - 1, 77, 123456))
    out = pair.run("fri_fold", coeffs, mix)
    assert out.shape == (4, d // 16)
    c = fp4_columns(coeffs)
    expected = []
    for m in range(d // 16):
        acc, power = Fp4.zero(), Fp4.one()
        for k in range(16):
            acc = acc + power * c[16 * m + k]
            power = power * mix
        expected.append(acc)
    assert fp4_columns(out) == expected


@pytest.mark.parametrize(("k", "n"), [(1, 1), (2, 5), (3, 64)])
def test_poly_eval_ext(pair, field, k, n):
    coeffs = field((k, n))
    point = Fp4((12345, 6, P - 7, 8))
    out = pair.run("poly_eval_ext", coeffs, point)
    assert out.shape == (k, 4)
    for row, got in zip(coeffs.tolist(), out.tolist(), strict=True):
        acc = Fp4.zero()
        for c in reversed(row):
            acc = acc * point + c
        assert tuple(got) == acc.c
