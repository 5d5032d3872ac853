"""The CuPy backend's CUDA kernels without a GPU.

1. Every module compiles: each kernel file as it is, each module the backend assembles
   (Poseidon2 once per parameter set, the generated constraint kernel of every program)
   with ``nvcc -c`` for ``sm_80`` and ``sm_90``, warnings as errors; and with NVRTC — what
   ``cupy.RawModule`` uses — where CuPy is installed.
2. The host emulator (``cuda_emulator``) compiles the same module strings as host C++ and
   the CuPy backend's own launch code runs them on the CPU: every kernel against numpy
   on random inputs, the reference vectors of ``tests/data``, Fibonacci and hello seals
   equal to numpy's, the memory plan.

Everything here needs ``nvcc`` and is skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import numpy as np
import pyref
import pytest
from cuda_emulator import DeviceArray, EmulatedDevice, find_nvcc

import l2gpu
from l2gpu import backends, poseidon2
from l2gpu.backends import cuda_codegen, cuda_sources
from l2gpu.backends.cupy_backend import CupyBackend
from l2gpu.field import Fp4, P
from l2gpu.poseidon2 import Poseidon2Params
from l2gpu.programs import PROGRAMS
from l2gpu.stark.circuit import Program
from l2gpu.stark.params import INV_RATE

NVCC = find_nvcc()
pytestmark = pytest.mark.skipif(
    NVCC is None, reason="nvcc is not on PATH: the CUDA kernel tests need the CUDA toolkit"
)
ARCHS = ("sm_80", "sm_90")
SMALL_TILE = 6  # an NTT tile of 64 elements: several launches per transform on small inputs


def prover_taps(circuit) -> list[tuple[int, int, int]]:
    """The taps as the prover passes them to ``eval_constraints``."""
    return [(r.group, r.column, INV_RATE * b) for r in circuit.taps.registers for b in r.backs]


def module_sources() -> dict[str, str]:
    """Every module the backend builds, by a readable name."""
    out = {name: cuda_sources.assemble(name) for name in ("elementwise.cu", "fri.cu", "sha256.cu")}
    for tile in (12, SMALL_TILE):
        out[f"ntt.cu[tile 2^{tile}]"] = cuda_sources.assemble(
            "ntt.cu", cuda_sources.ntt_prelude(tile)
        )
    for name in poseidon2.PARAM_SETS:
        prelude = cuda_sources.poseidon2_prelude(poseidon2.params(name))
        out[f"poseidon2.cu[{name}]"] = cuda_sources.assemble("poseidon2.cu", prelude)
    for name, program in PROGRAMS.items():
        c = program.circuit
        out[f"constraints[{name}]"] = cuda_codegen.kernel_source(
            c.program, prover_taps(c), len(c.groups)
        )
    return out


# -- 1. compilation -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def nvcc_errors(tmp_path_factory) -> dict[str, str]:
    """``nvcc -c`` for every arch of every module and every kernel file as it is (two at a
    time): name → compiler output, empty for a clean build."""
    work = tmp_path_factory.mktemp("nvcc")
    jobs = []
    for i, (name, source) in enumerate(module_sources().items()):
        path = work / f"module{i}.cu"
        path.write_text(source)
        jobs.append((name, path))
    kernels = resources.files("l2gpu").joinpath("kernels")
    jobs += [(f"{f} (as it is)", kernels.joinpath(f)) for f in cuda_sources.MODULES]
    gencode = [f"-gencode=arch=compute_{a[3:]},code={a}" for a in ARCHS]

    def build(job: tuple) -> tuple[str, str]:
        name, path = job
        out = work / f"{abs(hash(name))}.o"
        cmd = [NVCC, "-c", *gencode, "-Werror", "all-warnings", "-o", str(out), str(path)]
        run = subprocess.run(cmd, capture_output=True, text=True)
        return name, (run.stdout + run.stderr) if run.returncode else ""

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(build, jobs))


@pytest.mark.parametrize(
    "name", [*module_sources(), *(f"{f} (as it is)" for f in cuda_sources.MODULES)]
)
def test_compiles_with_nvcc(nvcc_errors, name):
    assert nvcc_errors[name] == "", nvcc_errors[name]


def _nvrtc():
    try:
        from cupy_backends.cuda.libs import nvrtc

        nvrtc.getVersion()
    except Exception as err:  # no CuPy, or no NVRTC library beside it
        pytest.skip(f"NVRTC is not available through CuPy here: {err}")
    return nvrtc


@pytest.mark.parametrize("name", list(module_sources()))
def test_compiles_with_nvrtc(name):
    """The exact string ``cupy.RawModule`` gets, with the backend's options."""
    nvrtc = _nvrtc()
    program = nvrtc.createProgram(module_sources()[name], f"{name}.cu", [], [])
    try:
        nvrtc.compileProgram(program, ["-arch=sm_90", "-std=c++17"])
    except Exception as err:
        pytest.fail(f"{err}\n{nvrtc.getProgramLog(program)}")


def test_kernel_names_match_the_backend():
    """Every kernel the backend launches is defined by the module it launches it from."""
    sources = module_sources()
    names = {k for source in sources.values() for k in cuda_sources.kernel_names(source)}
    assert {"poseidon2_permute", "poseidon2_hash_rows", "poseidon2_hash_pairs"} <= names
    assert cuda_codegen.KERNEL in cuda_sources.kernel_names(sources["constraints[fibonacci]"])


# -- 2. the emulator --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def device(request, tmp_path_factory) -> EmulatedDevice:
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("cuda-emulator") if cache else tmp_path_factory.mktemp("emulator")
    dev = EmulatedDevice(folder, NVCC)
    dev.prepare(list(module_sources().values()))
    return dev


@pytest.fixture(scope="session")
def cb(device) -> CupyBackend:
    return CupyBackend(device)


@pytest.fixture(scope="session")
def small(device) -> CupyBackend:
    """Small NTT tiles: many launches (strided passes, blowups past the tile) on small data."""
    return CupyBackend(device, ntt_log_tile=SMALL_TILE)


@pytest.fixture(scope="session")
def nb():
    return backends.get("numpy")


def field(rng: np.random.Generator, *shape: int) -> np.ndarray:
    out = rng.integers(0, P, size=shape, dtype=np.uint32)
    if out.size >= 4:
        out.reshape(-1)[:2] = [0, P - 1]
    return out


def words(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(0, 1 << 32, size=shape, dtype=np.uint32)


def agree(be: CupyBackend, kernel: str, *args, **kwargs) -> np.ndarray:
    """``kernel`` on the emulated backend and on numpy: equal, ``uint32``, inputs unchanged."""
    dev = [be.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    got = getattr(be, kernel)(*dev, **kwargs)
    if kernel == "poly_eval_ext":
        assert type(got) is np.ndarray, "poly_eval_ext returns a host array"
    else:
        assert isinstance(got, DeviceArray), "results stay on the device"
        got = be.to_numpy(got)
    want = np.asarray(getattr(backends.get("numpy"), kernel)(*args, **kwargs))
    assert got.dtype == np.uint32
    assert got.shape == want.shape, (kernel, got.shape, want.shape)
    assert np.array_equal(got, want), kernel
    for host, d in zip(args, dev, strict=True):
        if isinstance(host, np.ndarray):
            assert np.array_equal(be.to_numpy(d), host), f"{kernel} modified an input"
    return got


# -- hashing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("batch", [1, 5, 300])
def test_poseidon2_permute(cb, rng, name, batch):
    p = poseidon2.params(name)
    agree(cb, "poseidon2_permute", field(rng, p.width, batch), p)


def test_poseidon2_edge_values(cb):
    p = poseidon2.params("risc0-w24")
    for fill in (0, 1, P - 1):
        agree(cb, "poseidon2_permute", np.full((24, 3), fill, dtype=np.uint32), p)
        agree(cb, "poseidon2_hash_rows", np.full((20, 3), fill, dtype=np.uint32), p)
        m = np.full((8, 3), fill, dtype=np.uint32)
        agree(cb, "poseidon2_hash_pairs", m, m, p)


def test_poseidon2_params_are_data(cb, rng):
    """Another instance: an M4 without a known addition chain, other rounds, constants."""
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
    agree(cb, "poseidon2_permute", field(rng, 16, 7), p)
    agree(cb, "poseidon2_hash_rows", field(rng, 21, 7), p)


@pytest.mark.parametrize("name", poseidon2.PARAM_SETS)
@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 40])
def test_poseidon2_hash_rows(cb, rng, name, cols):
    agree(cb, "poseidon2_hash_rows", field(rng, cols, 9), poseidon2.params(name))


def test_poseidon2_hash_pairs(cb, rng):
    """Raw words ≥ P included: the kernel reduces them as the reference does."""
    p = poseidon2.params("risc0-w24")
    agree(cb, "poseidon2_hash_pairs", words(rng, 8, 33), words(rng, 8, 33), p)


@pytest.mark.parametrize("suite", ["poseidon2", "sha-256"])
def test_merkle_fold_of_strided_views(cb, nb, rng, suite):
    """A Merkle layer fold hashes the even and odd columns of one layer, as views."""
    hs = l2gpu.hashing.get_suite(suite)
    layer = words(rng, 8, 64) % P
    dev = cb.asarray(layer)
    got = cb.to_numpy(hs.hash_pairs(cb, dev[:, 0::2], dev[:, 1::2]))
    assert np.array_equal(got, hs.hash_pairs(nb, layer[:, 0::2], layer[:, 1::2]))
    got = cb.to_numpy(hs.hash_pairs(cb, dev[:, 1::2], dev[:, 0::2]))  # and the other way
    assert np.array_equal(got, hs.hash_pairs(nb, layer[:, 1::2], layer[:, 0::2]))


def test_sha256_compress(cb, rng):
    agree(cb, "sha256_compress", words(rng, 8, 21), words(rng, 16, 21))


@pytest.mark.parametrize("cols", [0, 1, 15, 16, 17, 40])
def test_sha256_hash_rows(cb, rng, cols):
    agree(cb, "sha256_hash_rows", field(rng, cols, 9))


def test_sha256_hash_pairs(cb, rng):
    agree(cb, "sha256_hash_pairs", words(rng, 8, 17), words(rng, 8, 17))


# -- reference vectors ---------------------------------------------------------------------------


def test_field_vectors(cb):
    """RISC Zero's Fp4 vectors through ``ext_mul`` and ``add``; 5^1000 through ``poly_eval_ext``."""
    bb = pyref.load_json("babybear_risc0.json")
    tv = bb["extension_field"]["test_vectors"]
    x, c0, c1 = (cb.asarray(np.array(tv[k], dtype=np.uint32)[:, None]) for k in ("x", "c0", "c1"))
    prod = cb.ext_mul(x, c1)
    assert cb.to_numpy(prod)[:, 0].tolist() == tv["x_times_c1"]
    assert cb.to_numpy(cb.add(c0, prod))[:, 0].tolist() == tv["c0_plus_x_times_c1"]
    assert cb.to_numpy(cb.ext_mul(x, Fp4.of(tv["c1"])))[:, 0].tolist() == tv["x_times_c1"]
    one_hot = np.zeros((1, 1001), dtype=np.uint32)
    one_hot[0, 1000] = 1
    got = cb.poly_eval_ext(cb.asarray(one_hot), Fp4.of(5))
    assert got[0].tolist() == [bb["base_field_test_vectors"]["pow_5_1000"], 0, 0, 0]


def test_poseidon2_vectors(cb):
    tv = pyref.load_json("poseidon2_risc0_w24.json")["test_vectors"]
    x = np.array(tv["permutation"]["input_canonical"], dtype=np.uint32)[:, None]
    out = cb.to_numpy(cb.poseidon2_permute(cb.asarray(x), poseidon2.params("risc0-w24")))
    assert out[:, 0].tolist() == tv["permutation"]["output_canonical"]
    column = np.array(tv["hash_elem_slice_32"]["input_canonical"], dtype=np.uint32)[:, None]
    out = cb.poseidon2_hash_rows(cb.asarray(column), poseidon2.params("risc0-w24"))
    assert (
        cb.to_numpy(out)[:, 0].tolist() == tv["hash_elem_slice_32"]["digest_words_raw_montgomery"]
    )
    for name, file in [
        ("plonky3-w16", "poseidon2_plonky3_w16.json"),
        ("plonky3-w24", "poseidon2_plonky3_w24.json"),
    ]:
        (case,) = pyref.load_json(file)["test_vectors"]
        x = np.array([v % P for v in case["input"]], dtype=np.uint32)[:, None]
        out = cb.to_numpy(cb.poseidon2_permute(cb.asarray(x), poseidon2.params(name)))
        assert out[:, 0].tolist() == case["output"], name


def test_sha256_vectors(cb):
    tv = pyref.load_json("sha256_risc0.json")["test_vectors"]
    for case in tv["hash_elem_slice_canonical_0_to_n"]["cases"]:
        column = np.arange(case["len"], dtype=np.uint32)[:, None]
        out = cb.to_numpy(cb.sha256_hash_rows(cb.asarray(column)))[:, 0]
        assert out.astype("<u4").tobytes().hex() == case["digest_hex"], case["len"]
    for case in tv["hash_pair"]["cases"]:
        a, b = (
            np.frombuffer(bytes.fromhex(h), dtype="<u4").astype(np.uint32)[:, None]
            for h in (case["a_hex"], case["b_hex"])
        )
        out = cb.to_numpy(cb.sha256_hash_pairs(cb.asarray(a), cb.asarray(b)))[:, 0]
        assert out.astype("<u4").tobytes().hex() == case["out_hex"]


# -- NTT ------------------------------------------------------------------------------------------


def ntt_battery(be: CupyBackend, x: np.ndarray, blowups) -> None:
    agree(be, "interpolate", x)
    agree(be, "zk_shift", x)
    agree(be, "bit_reverse", x)
    for blowup in blowups:
        agree(be, "evaluate", x, blowup)
        agree(be, "lde", x, blowup)


@pytest.mark.parametrize("n", [1, 2, 16, 1024, 1 << 13])
@pytest.mark.parametrize("cols", [1, 3])
def test_ntt(cb, rng, n, cols):
    """Up to 2^15 points: one contiguous tile, then strided launches above 2^12."""
    ntt_battery(cb, field(rng, cols, n), (1, 2, 4))


@pytest.mark.parametrize("n", [1, 4, 64, 128, 1 << 9])
def test_ntt_small_tiles(small, rng, n):
    """Tiles of 2^6: several strided launches, and a blowup of 2^7 beyond the tile."""
    ntt_battery(small, field(rng, 3, n), (1, 4, 128) if n <= 64 else (1, 4))


def test_ntt_shapes_and_layouts(cb, small, rng):
    for x in (field(rng, 16), field(rng, 2, 3, 16)):
        ntt_battery(cb, x, (2,))
    x = field(rng, 3, 256)
    for be in (cb, small):
        for kernel in ("interpolate", "zk_shift", "bit_reverse"):
            got = be.to_numpy(getattr(be, kernel)(be.asarray(x)[:, ::2]))
            assert np.array_equal(got, getattr(backends.get("numpy"), kernel)(x[:, ::2]))
    for fill in (0, P - 1):
        ntt_battery(cb, np.full((2, 16), fill, dtype=np.uint32), (4,))
    assert cb.to_numpy(cb.interpolate(cb.asarray(np.zeros((0, 8), np.uint32)))).shape == (0, 8)
    assert cb.to_numpy(cb.evaluate(cb.asarray(np.zeros((0, 8), np.uint32)), 4)).shape == (0, 32)


# -- element-wise ---------------------------------------------------------------------------------

SHAPES = [
    ((1,), (1,)),
    ((7,), (7,)),
    ((3, 5), (5,)),
    ((4, 300), (1, 300)),
    ((4, 6, 4), (4,)),
    ((1, 9), (4, 1)),
    ((2, 1, 3, 1, 5), (1, 4, 1, 6, 1)),  # five dimensions left: materialized first
    ((), (3,)),
]


@pytest.mark.parametrize("kernel", ["add", "sub", "mul"])
def test_add_sub_mul(cb, rng, kernel):
    for sa, sb in SHAPES:
        agree(cb, kernel, field(rng, *sa), field(rng, *sb))
    a = field(rng, 3, 5)
    for k in (0, 1, 5, P - 1):
        agree(cb, kernel, a, k)
        agree(cb, kernel, k, a)
    pairs = {"add": (3 + P - 1) % P, "sub": (3 - (P - 1)) % P, "mul": 3 * (P - 1) % P}
    assert cb.to_numpy(getattr(cb, kernel)(3, P - 1)).tolist() == pairs[kernel]
    dev = cb.asarray(field(rng, 4, 8))
    got = cb.to_numpy(getattr(cb, kernel)(dev[:, ::2], dev[1:2, 1::2]))  # strided views
    want = getattr(backends.get("numpy"), kernel)(
        cb.to_numpy(dev)[:, ::2], cb.to_numpy(dev)[1:2, 1::2]
    )
    assert np.array_equal(got, want)


@pytest.mark.parametrize("shape", [(1,), (5,), (3, 7), (4097,)])
def test_inv(cb, rng, shape):
    a = rng.integers(1, P, size=shape, dtype=np.uint32)
    a.reshape(-1)[0] = P - 1
    out = agree(cb, "inv", a)
    assert np.all(a.astype(np.uint64) * out % P == 1)


def test_inv_of_zero_raises(cb):
    with pytest.raises(ValueError, match="zero"):
        cb.inv(cb.asarray(np.array([3, 0, 5], dtype=np.uint32)))
    assert cb.to_numpy(cb.inv(cb.asarray(np.zeros(0, np.uint32)))).shape == (0,)


def test_ext_mul(cb, rng):
    agree(cb, "ext_mul", field(rng, 4, 9), field(rng, 4, 9))
    agree(cb, "ext_mul", field(rng, 4, 2, 3), field(rng, 4, 1, 3))
    agree(cb, "ext_mul", field(rng, 4, 300), field(rng, 4, 1))
    agree(cb, "ext_mul", field(rng, 4, 2, 1, 3, 1, 5), field(rng, 4, 1, 4, 1, 6, 1))
    for k in (Fp4((P - 1, 2, 3, 123456789)), Fp4.one(), Fp4.zero()):
        agree(cb, "ext_mul", field(rng, 4, 9), k)
        agree(cb, "ext_mul", field(rng, 4, 2, 3), k)


@pytest.mark.parametrize("shift", [0, 1, 3, -2, 8, 11])
def test_roll(cb, rng, shift):
    agree(cb, "roll", field(rng, 2, 8), shift)
    agree(cb, "roll", field(rng, 16), shift)


@pytest.mark.parametrize("d", [16, 64, 4096])
def test_fri_fold(cb, rng, d):
    agree(cb, "fri_fold", field(rng, 4, d), Fp4((5, P - 1, 77, 123456)))
    coeffs = cb.asarray(field(rng, 4, 2 * d))[:, :d]  # a slice, as the prover folds
    want = backends.get("numpy").fri_fold(cb.to_numpy(coeffs), Fp4((1, 2, 3, 4)))
    assert np.array_equal(cb.to_numpy(cb.fri_fold(coeffs, Fp4((1, 2, 3, 4)))), want)


@pytest.mark.parametrize(("k", "n"), [(1, 1), (2, 5), (3, 64), (1, 4097), (2, 0), (2, 70000)])
def test_poly_eval_ext(cb, rng, k, n):
    """Above 2^16 coefficients each thread runs several Horner steps."""
    agree(cb, "poly_eval_ext", field(rng, k, n), Fp4((12345, 6, P - 7, 8)))


# -- constraints ---------------------------------------------------------------------------------


def random_domain(rng, circuit, m: int) -> list[np.ndarray]:
    return [field(rng, g.width, m) for g in circuit.groups]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_eval_constraints_random(cb, nb, rng, name):
    """The generated kernel against the step-by-step default, on random (not valid) data."""
    c = PROGRAMS[name].circuit
    m = 64
    groups = random_domain(rng, c, m)
    x = field(rng, m)
    mix = Fp4((int(rng.integers(P)), 7, P - 3, 99))
    globals_ = [int(v) for v in rng.integers(0, P, size=sum(g.global_count for g in c.groups))]
    taps = prover_taps(c)
    got = cb.eval_constraints(
        c.program, [cb.asarray(g) for g in groups], taps, cb.asarray(x), mix, globals_
    )
    want = nb.eval_constraints(c.program, groups, taps, x, mix, globals_)
    assert np.array_equal(cb.to_numpy(got), want)


def test_eval_constraints_every_step_kind(cb, nb, rng):
    """A hand-written program with AndCond (nested accumulators, one still zero), consts
    and globals, as RISC Zero's step form allows."""
    program = Program(
        steps=(
            ("True",),
            ("Get", 0),
            ("Get", 1),
            ("Const", 5),
            ("GetGlobal", 0, 1),
            ("Mul", 0, 1),
            ("Sub", 4, 3),
            ("Add", 5, 2),
            ("AndEqz", 0, 4),
            ("True",),
            ("AndCond", 1, 0, 2),  # the inner accumulator is still zero: no term
            ("AndEqz", 2, 5),
            ("AndEqz", 3, 6),
            ("AndCond", 1, 1, 4),
            ("Get", 2),
            ("AndEqz", 5, 7),
        ),
        result=6,
    )
    taps = [(0, 1, 4), (1, 0, 0)]
    m = 32
    groups = [field(rng, 2, m), field(rng, 1, m)]
    x = field(rng, m)
    mix, globals_ = Fp4((3, 1, 4, 1)), [11, P - 2]
    got = cb.eval_constraints(
        program, [cb.asarray(g) for g in groups], taps, cb.asarray(x), mix, globals_
    )
    assert np.array_equal(
        cb.to_numpy(got), nb.eval_constraints(program, groups, taps, x, mix, globals_)
    )


def test_constraint_constants_need_the_globals_read():
    c = PROGRAMS["fibonacci"].circuit
    with pytest.raises(IndexError):
        cuda_codegen.constants(c.program, Fp4.one(), [1])


# -- end to end ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", ["poseidon2", "sha-256"])
def test_fibonacci_seal_equals_numpy(cb, suite):
    proof = l2gpu.prove("fibonacci", n=1000, backend=cb, suite=suite)
    reference = l2gpu.prove("fibonacci", n=1000, backend="numpy", suite=suite)
    assert np.asarray(proof.seal).tobytes() == np.asarray(reference.seal).tobytes()
    l2gpu.verify(proof)


def test_hello_seal_equals_numpy(small):
    proof = l2gpu.prove("hello", po2=8, seed=3, backend=small)
    reference = l2gpu.prove("hello", po2=8, seed=3, backend="numpy")
    assert np.asarray(proof.seal).tobytes() == np.asarray(reference.seal).tobytes()


# -- memory plan, transfers, the emulator's own checks ---------------------------------------


def test_memory_plan_splits_columns(small, device, rng, monkeypatch):
    """An LDE whose per-column scratch does not fit at once runs in column chunks."""
    x = field(rng, 8, 256)
    dev = small.asarray(x)
    small.lde(dev, 4)  # the tables exist: the plan below counts output and scratch
    out_bytes, scratch = 4 * 8 * 1024, 4 * 256
    monkeypatch.setattr(device, "free", out_bytes + 3 * scratch)
    device.launches.clear()
    got = small.to_numpy(small.lde(dev, 4))
    assert np.array_equal(got, backends.get("numpy").lde(x, 4))
    assert (small.last_plan.columns, small.last_plan.chunks) == (3, 3)
    assert device.launches.count("ntt_dif_tile") > 3  # a launch sequence per chunk


def test_memory_plan_refuses_before_allocating(cb, device, rng, monkeypatch):
    x = cb.asarray(field(rng, 4, 64))
    monkeypatch.setattr(device, "free", 4 * 4 * 64 * 4 - 1)  # the output alone does not fit
    allocations = []
    monkeypatch.setattr(device, "empty", lambda shape: allocations.append(shape))
    for call in (lambda: cb.evaluate(x, 4), lambda: cb.lde(x, 4)):
        with pytest.raises(MemoryError, match=r"needs .* MiB of device memory"):
            call()
    assert allocations == []


def test_memory_limit_caps_free_memory(device, rng):
    be = CupyBackend(device, memory_limit=1024)
    with pytest.raises(MemoryError, match="interpolate"):
        be.interpolate(be.asarray(field(rng, 2, 256)))


def test_asarray_takes_dlpack_arrays(cb):
    jnp = pytest.importorskip("jax.numpy")
    x = jnp.arange(10, dtype=jnp.uint32)
    got = cb.asarray(x)
    assert isinstance(got, DeviceArray) and got.tolist() == list(range(10))
    assert cb.asarray(jnp.arange(3, dtype=jnp.int32)).dtype == np.uint32


def test_emulator_catches_bad_launches(device):
    source = cuda_sources.expand(
        '#include "field.cuh"\nextern "C" __global__ void past_end(u32* a, u64 n) { a[n] = 1u; }\n'
    )
    kernel = device.kernel(source, "past_end")
    a = device.empty((4,))
    with pytest.raises(AssertionError, match="past the end"):
        kernel((1,), (1,), (a, np.uint64(4)))
    with pytest.raises(TypeError, match="host array"):
        kernel((1,), (1,), (np.zeros(4, np.uint32), np.uint64(0)))
    with pytest.raises(TypeError, match=r"a uint32 for a 8-byte"):
        kernel((1,), (1,), (device.empty((4,)), np.uint32(0)))
