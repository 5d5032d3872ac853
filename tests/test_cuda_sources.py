"""The CuPy backend's host side without CUDA: kernel sources as package data and their
assembly, the constraint code generator, the memory plan, the registry entry."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from l2gpu import backends, poseidon2
from l2gpu.backends import cuda_codegen, cuda_sources
from l2gpu.backends.cupy_backend import MemoryPlan, plan_columns
from l2gpu.field import Fp4, P, to_mont
from l2gpu.poseidon2 import Poseidon2Params
from l2gpu.programs import PROGRAMS
from l2gpu.stark.circuit import Program


def test_kernel_files_ship_with_the_package():
    for name in (*cuda_sources.MODULES, *cuda_sources.HEADERS, "README.md"):
        assert cuda_sources.read(name).strip(), name


@pytest.mark.parametrize("name", [*cuda_sources.MODULES, *cuda_sources.HEADERS])
def test_sources_include_no_system_header(name):
    """NVRTC compiles the modules without the host's standard headers."""
    assert not re.search(r"^\s*#\s*include\s*<", cuda_sources.read(name), re.MULTILINE)


def test_assembly_expands_includes_once():
    source = cuda_sources.assemble("ntt.cu", cuda_sources.ntt_prelude(12))
    assert source.startswith("#define NTT_LOG_TILE 12\n#define NTT_THREADS 256\n")
    assert '#include "' not in source and "#pragma once" not in source
    assert source.count("struct fp4 {") == 1
    text = cuda_sources.expand('#include "constraints.cuh"\n#include "field.cuh"\n')
    assert text.count("struct fp4 {") == 1 and "ec_tap" in text


def test_kernel_names_and_defines():
    source = cuda_sources.assemble("sha256.cu")
    assert cuda_sources.kernel_names(source) == [
        "sha256_compress",
        "sha256_hash_rows",
        "sha256_hash_pairs",
    ]
    assert cuda_sources.define(source, "SHA256_THREADS") == 128
    with pytest.raises(KeyError):
        cuda_sources.define(source, "NOPE")
    assert cuda_sources.define(cuda_sources.ntt_prelude(6), "NTT_THREADS") == 16


def test_backend_constants_match_the_sources():
    from l2gpu.backends import cupy_backend as cb

    source = cuda_sources.assemble("elementwise.cu")
    for name in ("ADD", "SUB", "MUL", "MUL_MONT"):
        assert cuda_sources.define(source, f"EW_{name}") == getattr(cb, f"_EW_{name}")


def test_poseidon2_prelude():
    p = poseidon2.params("risc0-w24")
    text = cuda_sources.poseidon2_prelude(p)
    assert "#define P2_WIDTH 24\n" in text and "#define P2_ROUNDS_P 21\n" in text
    assert "#define P2_M4 {{5u, 7u, 1u, 3u}, {4u, 6u, 1u, 1u}" in text
    diag = re.search(r"P2_DIAG\[24\] = \{([^}]*)\}", text).group(1)
    assert [int(w.strip()[:-1]) for w in diag.split(",")] == to_mont(p.internal_diag).tolist()


def test_poseidon2_prelude_rejects_what_the_kernels_cannot_run():
    p = poseidon2.params("plonky3-w16")
    fields = {k: getattr(p, k) for k in Poseidon2Params.__dataclass_fields__}
    with pytest.raises(ValueError, match="multiple of 4"):
        cuda_sources.poseidon2_prelude(Poseidon2Params(**{**fields, "width": 18}))
    big = np.full((4, 4), P - 1, dtype=np.uint32)
    with pytest.raises(ValueError, match="too large"):
        cuda_sources.poseidon2_prelude(Poseidon2Params(**{**fields, "m4": big}))


# -- the constraint code generator ---------------------------------------------------------


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_constraint_kernel_source(name):
    c = PROGRAMS[name].circuit
    taps = [(r.group, r.column, 4 * b) for r in c.taps.registers for b in r.backs]
    source = cuda_codegen.kernel_source(c.program, taps, len(c.groups))
    assert cuda_sources.kernel_names(source) == [cuda_codegen.KERNEL]
    assert source.count("ec_tap(") - source.count("u32 ec_tap(") == len(taps)
    params = ", ".join(f"const u32* __restrict__ g{i}" for i in range(len(c.groups)))
    assert f"eval_constraints({params}, const u32* __restrict__ x" in source


def test_constraint_constants_layout():
    """The public values the program reads, then one multiplier per term: poly_mix^k."""
    c = PROGRAMS["fibonacci"].circuit
    mix = Fp4((2, 3, 5, 7))
    k = cuda_codegen.constants(c.program, mix, [1000, 12345])
    asserts = sum(step[0] == "AndEqz" for step in c.program.steps)
    assert k.dtype == np.uint32 and k.shape == (2 + 4 * asserts,)
    assert k[:2].tolist() == to_mont(np.array([1000, 12345])).tolist()
    assert k[2 + 4 * 3 : 2 + 4 * 4].tolist() == to_mont(np.array((mix**3).c)).tolist()
    empty = Program(steps=(("True",),), result=0)
    assert cuda_codegen.constants(empty, mix, []).shape == (1,)
    assert "ec_store(out, j, m, fp4_zero())" in cuda_codegen.kernel_source(empty, [], 1)


def test_constraint_generator_rejects_other_globals():
    program = Program(steps=(("True",), ("GetGlobal", 1, 0), ("AndEqz", 0, 0)), result=1)
    with pytest.raises(ValueError, match="GetGlobal 0"):
        cuda_codegen.kernel_source(program, [], 1)
    program = Program(steps=(("True",), ("Get", 5), ("AndEqz", 0, 0)), result=1)
    with pytest.raises(ValueError, match="Get 5"):
        cuda_codegen.kernel_source(program, [(0, 0, 0)], 1)


# -- the memory plan ----------------------------------------------------------------------------


def test_plan_columns():
    assert plan_columns("lde", 8, 100, 10, 1000) == MemoryPlan(180, 1000, 8, 1)
    assert plan_columns("lde", 8, 100, 10, 130) == MemoryPlan(180, 130, 3, 3)
    assert plan_columns("lde", 8, 100, 10, 110) == MemoryPlan(180, 110, 1, 8)
    assert plan_columns("evaluate", 0, 0, 0, 0).chunks == 1
    with pytest.raises(MemoryError, match=r"lde needs 0\.0 MiB .* at the least"):
        plan_columns("lde", 8, 100, 10, 109)
    with pytest.raises(MemoryError, match=r"evaluate needs 2048\.0 MiB"):
        plan_columns("evaluate", 4, 2 << 30, 0, 1 << 30)


# -- the registry ---------------------------------------------------------------------------------


def test_cupy_is_registered_first():
    assert "cupy" in backends.names()
    assert backends._auto_order()[0] == "cupy"


def test_unavailable_cupy_says_why():
    if "cupy" in backends.available():
        pytest.skip("the CuPy backend runs here")
    with pytest.raises(backends.BackendUnavailableError, match="cupy"):
        backends.get("cupy")


def test_importing_l2gpu_does_not_import_cupy():
    code = "import sys, l2gpu; l2gpu.backends.get('numpy'); print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ntt_tile_is_checked():
    from l2gpu.backends.cupy_backend import CupyBackend

    with pytest.raises(ValueError, match="ntt_log_tile"):
        CupyBackend(device=object(), ntt_log_tile=13)
