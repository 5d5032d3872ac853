"""The CuPy backend on a CUDA device: what only it has, at sizes the other tests skip.

Every kernel on small random inputs is in ``test_backends.py`` (its ``backend`` fixture
includes cupy where it runs); here: the registry, device residency, DLPack exchange with
JAX, the memory plan, larger inputs through the multi-launch NTT paths, and Fibonacci
seals equal to numpy's. Marked ``gpu``; skipped, with the reason, where the CuPy backend
cannot run.
"""

from __future__ import annotations

import numpy as np
import pytest

import l2gpu
from l2gpu import backends, poseidon2
from l2gpu.field import Fp4, P

try:
    backends.get("cupy")
    UNAVAILABLE = None
except backends.BackendUnavailableError as err:
    UNAVAILABLE = str(err)

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        UNAVAILABLE is not None, reason=f"the CuPy backend cannot run: {UNAVAILABLE}"
    ),
]


@pytest.fixture(scope="module")
def cupy():
    import cupy

    return cupy


@pytest.fixture(scope="module")
def cbe():
    return backends.get("cupy")


def field(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, P, size=shape, dtype=np.uint32)


def agree(be, kernel: str, *args) -> None:
    import cupy

    dev = [be.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = getattr(be, kernel)(*dev)
    if kernel != "poly_eval_ext":
        assert isinstance(got, cupy.ndarray), "results stay on the device"
        got = be.to_numpy(got)
    want = getattr(backends.get("numpy"), kernel)(*args)
    assert got.dtype == np.uint32 and got.shape == want.shape
    assert np.array_equal(got, want), kernel


def test_registered_and_preferred(monkeypatch):
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    assert backends.available()[0] == "cupy"
    assert backends.get(None).name == "cupy"


def test_transfers(cbe, cupy, rng):
    x = field(rng, 3, 7)
    dev = cbe.asarray(x)
    assert isinstance(dev, cupy.ndarray) and dev.dtype == np.uint32
    assert cbe.asarray(dev) is dev  # already on the device: no copy
    back = cbe.to_numpy(dev)
    assert isinstance(back, np.ndarray) and np.array_equal(back, x)
    back[...] = 0  # a host copy
    assert np.array_equal(cbe.to_numpy(dev), x)


def test_dlpack_exchange_with_jax(cbe, cupy):
    jax = pytest.importorskip("jax")
    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus:
        pytest.skip("jax sees no GPU here")
    x = jax.device_put(jax.numpy.arange(1000, dtype=jax.numpy.uint32), gpus[0])
    dev = cbe.asarray(x)
    assert isinstance(dev, cupy.ndarray)
    assert dev.data.ptr == x.unsafe_buffer_pointer(), "shared through DLPack, not copied"
    out = cbe.add(dev, 1)
    back = jax.dlpack.from_dlpack(out)  # and JAX takes the result the same way
    assert np.array_equal(np.asarray(back), np.arange(1, 1001))


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
def test_poseidon2_large_batch(cbe, rng, name):
    p = poseidon2.params(name)
    agree(cbe, "poseidon2_permute", field(rng, p.width, (1 << 16) + 3), p)
    agree(cbe, "poseidon2_hash_rows", field(rng, 40, 1 << 14), p)


def test_ntt_large(cbe, rng):
    """2^16 and 2^18 points: the strided shared-memory launches above the 2^12 tile."""
    x = field(rng, 4, 1 << 16)
    for kernel in ("interpolate", "zk_shift", "bit_reverse"):
        agree(cbe, kernel, x)
    agree(cbe, "evaluate", x, 4)
    agree(cbe, "lde", x, 4)
    agree(cbe, "lde", field(rng, 1, 1 << 18), 2)


def test_fold_and_eval_large(cbe, rng):
    agree(cbe, "fri_fold", field(rng, 4, 1 << 18), Fp4((5, P - 1, 77, 123456)))
    agree(cbe, "poly_eval_ext", field(rng, 16, (1 << 18) + 5), Fp4((12345, 6, P - 7, 8)))
    agree(cbe, "inv", rng.integers(1, P, size=(1 << 18) + 1, dtype=np.uint32))


def test_memory_plan_splits_columns(rng):
    from l2gpu.backends.cupy_backend import CupyBackend

    be = CupyBackend()
    x = field(rng, 8, 1 << 14)
    dev = be.asarray(x)
    be.lde(dev, 4)  # builds the tables
    out_bytes, scratch = 4 * 8 * (4 << 14), 4 << 14
    be.memory_limit = out_bytes + 3 * scratch
    got = be.to_numpy(be.lde(dev, 4))
    assert (be.last_plan.columns, be.last_plan.chunks) == (3, 3)
    assert np.array_equal(got, backends.get("numpy").lde(x, 4))


def test_refuses_a_trace_too_large(cbe, cupy):
    """The output alone (512 GiB) cannot fit: refused before anything is allocated."""
    x = cupy.zeros((1024, 1 << 20), dtype=cupy.uint32)
    pool = cupy.get_default_memory_pool()
    before = pool.used_bytes()
    with pytest.raises(MemoryError, match="evaluate needs"):
        cbe.evaluate(x, 128)
    with pytest.raises(MemoryError, match="lde needs"):
        cbe.lde(x, 128)
    assert pool.used_bytes() == before


@pytest.mark.parametrize("n", [1000])  # n = 2^18 and 2^20: tests/test_seal_vectors.py
def test_fibonacci_seal_equals_numpy(n):
    proof = l2gpu.prove("fibonacci", n=n, backend="cupy")
    reference = l2gpu.prove("fibonacci", n=n, backend="numpy")
    assert np.asarray(proof.seal).tobytes() == np.asarray(reference.seal).tobytes()
    l2gpu.verify(proof)
