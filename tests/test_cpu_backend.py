"""The ``cpu`` backend: its place in the registry, its Poseidon2 kernels (LLVM IR compiled
by llvmlite) against numpy on every parameter set and on one the package does not ship,
and their cache of compiled objects.

Every kernel of the backend also runs the cross-backend bodies of ``test_backends.py``,
``test_domain_kernels.py`` and the seal tests through the ``backend`` fixture; the other
kernel families have their own files (``test_cpu_sha256.py``, ``test_cpu_ntt.py``,
``test_cpu_elementwise.py``).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from l2gpu import backends, poseidon2

pytest.importorskip("numba")
cpu_poseidon2 = pytest.importorskip("l2gpu.backends.cpu.poseidon2")


@pytest.fixture(scope="module")
def numpy_be():
    return backends.get("numpy")


def test_registered_and_preferred_over_jax_on_the_cpu(monkeypatch):
    assert "cpu" in backends.names()
    assert "cpu" in backends.available()
    monkeypatch.setattr(backends, "_jax_on_gpu", lambda: False)
    order = backends._auto_order()
    assert order.index("cpu") < order.index("jax") < order.index("numpy")
    monkeypatch.setattr(backends, "_jax_on_gpu", lambda: True)
    order = backends._auto_order()
    assert order.index("cupy") < order.index("jax") < order.index("cpu")


def test_auto_picks_cpu_without_a_gpu(monkeypatch):
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    if "cupy" in backends.available() or backends._jax_on_gpu():
        pytest.skip("a GPU backend runs here")
    assert backends.get(None).name == "cpu"
    monkeypatch.setenv("L2GPU_BACKEND", "numpy")
    assert backends.get(None).name == "numpy"


def test_missing_numba_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba → ImportError
    with pytest.raises(backends.BackendUnavailableError, match=r"pip install 'l2gpu\[cpu\]'"):
        backends._load_cpu()


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("batch", [1, 255, 256, 257, 1000])
def test_permute_matches_numpy(numpy_be, name, batch, field):
    p = poseidon2.params(name)
    states = field((p.width, batch))
    want = numpy_be.poseidon2_permute(states, p)
    got = cpu_poseidon2.permute(states, p)
    assert got.dtype == np.uint32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 33, 64])
def test_hash_rows_matches_numpy(numpy_be, name, cols, field):
    p = poseidon2.params(name)
    matrix = field((cols, 300))
    np.testing.assert_array_equal(
        cpu_poseidon2.hash_rows(matrix, p), numpy_be.poseidon2_hash_rows(matrix, p)
    )


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
def test_hash_pairs_of_strided_layers(numpy_be, name, field):
    """Merkle levels hand the kernel every other column of a layer: strided views."""
    p = poseidon2.params(name)
    layer = numpy_be.poseidon2_hash_rows(field((16, 1026)), p)
    left, right = layer[:, 0::2], layer[:, 1::2]
    before = layer.copy()
    got = cpu_poseidon2.hash_pairs(left, right, p)
    np.testing.assert_array_equal(got, numpy_be.poseidon2_hash_pairs(left, right, p))
    np.testing.assert_array_equal(layer, before)  # inputs untouched


def test_any_m4_runs_the_general_external_layer(numpy_be, field):
    """A parameter set with an ``M4`` that has no addition chain here (entries 1…7) still
    matches numpy: the external layer falls back to products by constants."""
    base = poseidon2.params("plonky3-w16")
    m4 = np.array([[1, 2, 3, 4], [4, 1, 2, 3], [3, 4, 1, 2], [2, 3, 4, 7]], dtype=np.uint32)
    m4.setflags(write=False)
    p = dataclasses.replace(base, name="test-m4", m4=m4)
    assert tuple(map(tuple, m4.tolist())) not in cpu_poseidon2._CHAINS
    states = field((16, 300))
    np.testing.assert_array_equal(
        cpu_poseidon2.permute(states, p), numpy_be.poseidon2_permute(states, p)
    )
    assert not np.array_equal(cpu_poseidon2.permute(states, p), cpu_poseidon2.permute(states, base))


def test_compiled_kernels_are_cached_across_processes(tmp_path):
    """A second process loads the machine code the first one cached: no compilation."""
    script = textwrap.dedent(
        """
        import numpy as np
        from l2gpu import poseidon2
        from l2gpu.backends.cpu import poseidon2 as k
        p = poseidon2.params("plonky3-w16")
        out = k.permute(np.arange(16 * 20, dtype=np.uint32).reshape(16, 20), p)
        print(k._kernels(p).compiled, int(out.sum()))
        """
    )
    env = {**os.environ, "L2GPU_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][0] == "True" and runs[1][0] == "False"  # compiled, then loaded
    assert runs[0][1] == runs[1][1]  # the same results
    assert len(list((tmp_path / "cpu").glob("poseidon2-plonky3-w16-*.o"))) == 1
