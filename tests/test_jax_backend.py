"""The JAX backend against the numpy reference, bit for bit, plus what only JAX has:
compilation caching, the global ``jax_enable_x64`` flag, device-resident results.

Shapes are chosen to cross the backend's batch buckets (``min_batch`` = 2^8 on the CPU)
and the numpy backend's 4096-column chunks; every distinct shape costs a compilation,
so the grids stay small.
"""

from __future__ import annotations

import subprocess
import sys
import zlib

import numpy as np
import pyref
import pytest

jax = pytest.importorskip("jax")

from l2gpu import backends, poseidon2  # noqa: E402
from l2gpu.backends import jax_backend  # noqa: E402
from l2gpu.field import Fp4, P  # noqa: E402
from l2gpu.poseidon2 import Poseidon2Params  # noqa: E402

BATCHES = [1, 3, 4097]
NTT_SIZES = [1, 2, 16, 1024, 1 << 14]
BLOWUPS = [1, 2, 4]


@pytest.fixture(scope="module")
def jb() -> jax_backend.JaxBackend:
    return backends.get("jax")


@pytest.fixture(scope="module")
def nb():
    return backends.get("numpy")


@pytest.fixture
def rng(request) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def field(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Canonical elements with 0 and P − 1 mixed in."""
    out = rng.integers(0, P, size=shape, dtype=np.uint32)
    flat = out.reshape(-1)
    if flat.size >= 4:
        flat[:2] = [0, P - 1]
    return out


def words(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, 1 << 32, size=shape, dtype=np.uint32)


def agree(jb, nb, kernel: str, *args, **kwargs) -> np.ndarray:
    """Run ``kernel`` on both backends (host arrays uploaded for jax) and compare."""
    dev = [jb.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = getattr(jb, kernel)(*dev, **kwargs)
    if kernel == "poly_eval_ext":
        assert isinstance(got, np.ndarray)
    else:
        assert isinstance(got, jax.Array), "results stay on the device"
        got = jb.to_numpy(got)
    want = np.asarray(getattr(nb, kernel)(*args, **kwargs))
    assert got.dtype == np.uint32
    assert got.shape == want.shape, (kernel, got.shape, want.shape)
    assert np.array_equal(got, want), kernel
    return got


# -- registry ------------------------------------------------------------------------


def test_registered_and_preferred(monkeypatch):
    """Preferred over numpy; over the native ``cpu`` backend only on a GPU; the automatic
    choice when neither CuPy nor (on a CPU) the ``cpu`` backend runs here."""
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    assert "jax" in backends.names()
    names = [n for n in backends.available() if n != "cupy"]
    on_gpu = backends.get("jax").on_accelerator
    assert on_gpu == (jax.default_backend() != "cpu")
    assert names.index("jax") < names.index("numpy")
    if "cpu" in names:
        assert (names.index("jax") < names.index("cpu")) == on_gpu
    else:
        assert names[0] == "jax"
    if "cupy" not in backends.available() and (on_gpu or "cpu" not in names):
        assert backends.get(None).name == "jax"
    assert isinstance(backends.get("jax"), jax_backend.JaxBackend)


def test_importing_l2gpu_does_not_import_jax():
    code = "import sys, l2gpu; l2gpu.backends.get('numpy'); print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_transfers(jb, rng):
    for shape in [(0,), (5,), (3, 7), (2, 3, 4)]:
        x = field(rng, *shape)
        dev = jb.asarray(x)
        assert isinstance(dev, jax.Array) and dev.dtype == np.uint32
        back = jb.to_numpy(dev)
        assert back.dtype == np.uint32 and np.array_equal(back, x)
        back[...] = 0  # a writable host copy
        assert np.array_equal(jb.to_numpy(dev), x)


# -- Poseidon2 -----------------------------------------------------------------------


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("batch", BATCHES)
def test_poseidon2_permute(jb, nb, rng, name, batch):
    p = poseidon2.params(name)
    agree(jb, nb, "poseidon2_permute", field(rng, p.width, batch), p)


def test_poseidon2_permute_edge_values(jb, nb):
    p = poseidon2.params("risc0-w24")
    for fill in (0, 1, P - 1):
        agree(jb, nb, "poseidon2_permute", np.full((24, 3), fill, dtype=np.uint32), p)


def test_poseidon2_params_are_data(jb, nb, rng):
    """An instance with an M4 of no known addition chain and random constants."""
    p = Poseidon2Params(
        name="custom-w16",
        width=16,
        rounds_full=6,
        rounds_partial=5,
        m4=np.array([[1, 2, 3, 4], [7, 1, 0, 2], [3, 3, 1, 5], [2, 6, 7, 1]], dtype=np.uint32),
        internal_diag=field(rng, 16),
        full_round_constants=field(rng, 6, 16),
        partial_round_constants=field(rng, 5),
    )
    agree(jb, nb, "poseidon2_permute", field(rng, 16, 5), p)


def test_risc0_permutation_vector(jb):
    tv = pyref.load_json("poseidon2_risc0_w24.json")["test_vectors"]["permutation"]
    x = np.array(tv["input_canonical"], dtype=np.uint32)[:, None]
    out = jb.to_numpy(jb.poseidon2_permute(jb.asarray(x), poseidon2.params("risc0-w24")))
    assert out[0, 0] == 785637949
    assert out[:, 0].tolist() == tv["output_canonical"]


@pytest.mark.parametrize(
    ("name", "file"),
    [("plonky3-w16", "poseidon2_plonky3_w16.json"), ("plonky3-w24", "poseidon2_plonky3_w24.json")],
)
def test_plonky3_permutation_vectors(jb, name, file):
    (tv,) = pyref.load_json(file)["test_vectors"]
    x = np.array([v % P for v in tv["input"]], dtype=np.uint32)[:, None]
    out = jb.to_numpy(jb.poseidon2_permute(jb.asarray(x), poseidon2.params(name)))
    assert out[:, 0].tolist() == tv["output"]


def test_risc0_hash_elem_slice_vector(jb):
    tv = pyref.load_json("poseidon2_risc0_w24.json")["test_vectors"]["hash_elem_slice_32"]
    column = np.array(tv["input_canonical"], dtype=np.uint32)[:, None]
    out = jb.poseidon2_hash_rows(jb.asarray(column), poseidon2.params("risc0-w24"))
    assert jb.to_numpy(out)[:, 0].tolist() == tv["digest_words_raw_montgomery"]


@pytest.mark.parametrize("cols", [0, 1, 5, 16, 17, 40])
def test_poseidon2_hash_rows(jb, nb, rng, cols):
    agree(jb, nb, "poseidon2_hash_rows", field(rng, cols, 9), poseidon2.params("risc0-w24"))


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
def test_poseidon2_hash_rows_params_and_batches(jb, nb, rng, name):
    p = poseidon2.params(name)
    for rows in BATCHES:
        agree(jb, nb, "poseidon2_hash_rows", field(rng, 20, rows), p)


@pytest.mark.parametrize("batch", BATCHES)
def test_poseidon2_hash_pairs(jb, nb, rng, batch):
    p = poseidon2.params("risc0-w24")
    agree(jb, nb, "poseidon2_hash_pairs", field(rng, 8, batch), field(rng, 8, batch), p)


def test_hash_pieces_above_max_batch(nb, rng):
    """Batches above ``max_batch`` run in pieces (and a ragged one is padded)."""
    small = jax_backend.JaxBackend(min_batch=4, max_batch=16)
    p = poseidon2.params("plonky3-w16")
    for m in (16, 40):
        agree(small, nb, "poseidon2_hash_pairs", field(rng, 8, m), field(rng, 8, m), p)
        agree(small, nb, "sha256_hash_pairs", words(rng, 8, m), words(rng, 8, m))


@pytest.mark.parametrize("threads", [1, 3])
def test_hash_chunks_and_threads(nb, rng, threads):
    """The CPU path: pieces of a core's share (a power of two even for 3 threads), each a
    loop over chunks, run from a thread pool, equal numpy's for ragged batches."""
    be = jax_backend.JaxBackend(min_batch=4, max_batch=64)
    be.chunk, be.threads = 8, threads
    for name in ("plonky3-w16", "risc0-w24"):
        p = poseidon2.params(name)
        for m in (16, 40, 200):
            agree(be, nb, "poseidon2_hash_pairs", field(rng, 8, m), field(rng, 8, m), p)
            agree(be, nb, "poseidon2_hash_rows", field(rng, 21, m), p)
            agree(be, nb, "poseidon2_permute", field(rng, p.width, m), p)
    agree(be, nb, "sha256_hash_rows", field(rng, 17, 200))
    agree(be, nb, "sha256_compress", words(rng, 8, 200), words(rng, 16, 200))


# -- SHA-256 -------------------------------------------------------------------------


@pytest.mark.parametrize("batch", BATCHES)
def test_sha256_compress(jb, nb, rng, batch):
    agree(jb, nb, "sha256_compress", words(rng, 8, batch), words(rng, 16, batch))


@pytest.mark.parametrize("cols", [0, 1, 5, 16, 17, 40])
def test_sha256_hash_rows(jb, nb, rng, cols):
    agree(jb, nb, "sha256_hash_rows", field(rng, cols, 9))


def test_sha256_hash_rows_large_batch(jb, nb, rng):
    agree(jb, nb, "sha256_hash_rows", field(rng, 20, 4097))


@pytest.mark.parametrize("batch", BATCHES)
def test_sha256_hash_pairs(jb, nb, rng, batch):
    agree(jb, nb, "sha256_hash_pairs", words(rng, 8, batch), words(rng, 8, batch))


def test_sha256_vectors(jb):
    tv = pyref.load_json("sha256_risc0.json")["test_vectors"]
    for case in tv["hash_elem_slice_canonical_0_to_n"]["cases"]:
        column = np.arange(case["len"], dtype=np.uint32)[:, None]
        out = jb.to_numpy(jb.sha256_hash_rows(jb.asarray(column)))[:, 0]
        assert out.astype("<u4").tobytes().hex() == case["digest_hex"], case["len"]
    for case in tv["hash_pair"]["cases"]:
        a, b = (
            np.frombuffer(bytes.fromhex(h), dtype="<u4").astype(np.uint32)[:, None]
            for h in (case["a_hex"], case["b_hex"])
        )
        out = jb.to_numpy(jb.sha256_hash_pairs(jb.asarray(a), jb.asarray(b)))[:, 0]
        assert out.astype("<u4").tobytes().hex() == case["out_hex"]


# -- NTT -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", NTT_SIZES)
@pytest.mark.parametrize("cols", [1, 5])
def test_ntt_kernels(jb, nb, rng, n, cols):
    x = field(rng, cols, n)
    agree(jb, nb, "interpolate", x)
    agree(jb, nb, "zk_shift", x)
    agree(jb, nb, "bit_reverse", x)
    for blowup in BLOWUPS:
        agree(jb, nb, "evaluate", x, blowup)
        agree(jb, nb, "lde", x, blowup)


def test_ntt_batched_over_leading_axes(jb, nb, rng):
    for x in (field(rng, 16), field(rng, 2, 3, 16)):
        for kernel in ("interpolate", "zk_shift", "bit_reverse"):
            agree(jb, nb, kernel, x)
        agree(jb, nb, "evaluate", x, 2)
        agree(jb, nb, "lde", x, 4)


def test_ntt_edge_values(jb, nb):
    for fill in (0, P - 1):
        x = np.full((2, 16), fill, dtype=np.uint32)
        agree(jb, nb, "interpolate", x)
        agree(jb, nb, "evaluate", x, 4)
        agree(jb, nb, "lde", x, 2)


def test_ntt_round_trip(jb, rng):
    x = field(rng, 3, 1024)
    coeffs = jb.interpolate(jb.asarray(x))
    assert np.array_equal(jb.to_numpy(jb.evaluate(coeffs)), x)


# -- element-wise --------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["add", "sub", "mul"])
def test_add_sub_mul(jb, nb, rng, kernel):
    for sa, sb in [((1,), (1,)), ((7,), (7,)), ((3, 5), (5,)), ((4, 4097), (1, 4097))]:
        agree(jb, nb, kernel, field(rng, *sa), field(rng, *sb))
    a = field(rng, 3, 5)
    for k in (0, 1, 5, P - 1):
        agree(jb, nb, kernel, a, k)
        agree(jb, nb, kernel, k, a)
    assert jb.to_numpy(getattr(jb, kernel)(3, 5)).shape == ()


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 7), (4097,)])
def test_inv(jb, nb, rng, shape):
    a = rng.integers(1, P, size=shape, dtype=np.uint32)
    a.reshape(-1)[0] = P - 1
    out = agree(jb, nb, "inv", a)
    assert np.all(a.astype(np.uint64) * out % P == 1)


def test_inv_of_zero_raises(jb):
    with pytest.raises(ValueError, match="zero"):
        jb.inv(jb.asarray(np.array([3, 0, 5], dtype=np.uint32)))
    assert jb.to_numpy(jb.inv(jb.asarray(np.zeros(0, np.uint32)))).shape == (0,)


def test_ext_mul(jb, nb, rng):
    agree(jb, nb, "ext_mul", field(rng, 4, 9), field(rng, 4, 9))
    agree(jb, nb, "ext_mul", field(rng, 4, 2, 3), field(rng, 4, 1, 3))
    agree(jb, nb, "ext_mul", field(rng, 4, 4097), field(rng, 4, 1))
    for k in (Fp4((P - 1, 2, 3, 123456789)), Fp4.one(), Fp4.zero()):
        agree(jb, nb, "ext_mul", field(rng, 4, 9), k)
        agree(jb, nb, "ext_mul", field(rng, 4, 2, 3), k)


@pytest.mark.parametrize("shift", [0, 1, 3, -2, 8, 11])
def test_roll(jb, nb, rng, shift):
    agree(jb, nb, "roll", field(rng, 2, 8), shift)
    agree(jb, nb, "roll", field(rng, 16), shift)


@pytest.mark.parametrize("d", [16, 64, 4096])
def test_fri_fold(jb, nb, rng, d):
    agree(jb, nb, "fri_fold", field(rng, 4, d), Fp4((5, P - 1, 77, 123456)))


@pytest.mark.parametrize(("k", "n"), [(1, 1), (2, 5), (3, 64), (1, 4097), (2, 0)])
def test_poly_eval_ext(jb, nb, rng, k, n):
    agree(jb, nb, "poly_eval_ext", field(rng, k, n), Fp4((12345, 6, P - 7, 8)))


def test_inputs_unchanged(jb, rng):
    x = field(rng, 24, 5)
    dev = jb.asarray(x)
    jb.poseidon2_permute(dev, poseidon2.params("risc0-w24"))
    jb.lde(jb.asarray(x[:2, :4]), 2)
    assert np.array_equal(jb.to_numpy(dev), x)


# -- compilation cache ------------------------------------------------------------------


def test_second_call_does_not_recompile(jb, rng):
    p = poseidon2.params("plonky3-w16")
    states = jb.asarray(field(rng, 16, 300))
    values = jb.asarray(field(rng, 3, 64))
    a, b = jb.asarray(field(rng, 4, 33)), jb.asarray(field(rng, 4, 33))

    def calls():
        jb.poseidon2_permute(states, p)
        jb.lde(values, 4)
        jb.add(a, b)
        jb.mul(a, 7)
        jb.ext_mul(a, Fp4((1, 2, 3, 4)))
        jb.fri_fold(jb.asarray(field(rng, 4, 64)), Fp4((5, 6, 7, 8)))
        jb.poly_eval_ext(values, Fp4((9, 10, 11, 12)))

    calls()
    before = dict(jax_backend.TRACES)
    calls()
    # Another batch size in the same bucket, other constants: still no new trace.
    jb.poseidon2_permute(jb.asarray(field(rng, 16, 290)), p)
    jb.mul(a, 8)
    jb.ext_mul(b, Fp4((4, 3, 2, 1)))
    assert dict(jax_backend.TRACES) == before


# -- the global x64 flag ---------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["x64-off", "x64-on"])
def x64(request):
    """Run a test with ``jax_enable_x64`` set either way, restoring it afterwards."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", request.param)
    try:
        yield request.param
    finally:
        jax.config.update("jax_enable_x64", before)


def test_x64_flag_left_alone(jb, nb, rng, x64):
    p = poseidon2.params("risc0-w24")
    agree(jb, nb, "poseidon2_permute", field(rng, 24, 3), p)
    agree(jb, nb, "sha256_compress", words(rng, 8, 3), words(rng, 16, 3))
    agree(jb, nb, "lde", field(rng, 2, 16), 2)
    agree(jb, nb, "mul", field(rng, 5), 7)
    agree(jb, nb, "inv", np.arange(1, 6, dtype=np.uint32))
    agree(jb, nb, "poly_eval_ext", field(rng, 1, 9), Fp4((1, 2, 3, 4)))
    assert jax.config.jax_enable_x64 is x64


# -- end to end ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1000])  # larger n: tests/test_seal_vectors.py
def test_fibonacci_proof_matches_numpy(n):
    import l2gpu

    proof = l2gpu.prove("fibonacci", n=n, backend="jax")
    reference = l2gpu.prove("fibonacci", n=n, backend="numpy")
    assert np.asarray(proof.seal).tobytes() == np.asarray(reference.seal).tobytes()
    l2gpu.verify(proof)
