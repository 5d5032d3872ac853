"""GPU check, for a machine with a GPU: correctness across backends, then timings.

    python3 benchmarks/gpu_check.py [--log-n 22] [--prove-log-rows 22 24] [--skip-tests]

1. The cross-backend identity tests: every kernel of every available backend against
   numpy, bit for bit, on random inputs; the whole-domain hooks; Fibonacci seals equal
   to numpy's (the large ones through the seal digests numpy produced, in
   ``tests/data/fibonacci_seals.json``); and every other program's seal.
2. The GPU figures, side by side for every fast backend: Poseidon2 permutations (width
   16 and 24), row hashing and the Merkle commit of ``2^log-n`` leaves, the LDE of
   ``2^log-n`` rows × 64 columns at blowup 4, and Fibonacci proofs at each
   ``--prove-log-rows``; numpy's kernel figures at ``2^16`` give the per-item ratios.

Designed to finish in under 5 minutes on one GPU; exits non-zero if step 1 fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from l2gpu import api, backends, bench, poseidon2
from l2gpu.field import P
from l2gpu.hashing import get_suite
from l2gpu.merkle import MerkleTree

ROOT = Path(__file__).resolve().parent.parent
IDENTITY_TESTS = [
    "tests/test_backends.py",
    "tests/test_domain_kernels.py",
    "tests/test_jax_backend.py",
    "tests/test_cupy_backend.py",
]
SEAL_TESTS = "tests/test_seal_vectors.py"
PROGRAM_TESTS = [  # their backend-parametrized proofs: the generated constraint kernels
    "tests/test_sha256_program.py",
    "tests/test_merkle_program.py",
    "tests/test_range_program.py",
    "tests/test_signature_program.py",
]
LDE_COLS = 64


def describe() -> None:
    """Versions and devices, for the record."""
    print(f"python {platform.python_version()}, numpy {np.__version__}", flush=True)
    names = backends.available()
    print(f"backends here: {names}", flush=True)
    if "jax" in names:
        import jax

        print(f"jax {jax.__version__}: {jax.devices()}", flush=True)
    if "cupy" in names:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        free, total = cupy.cuda.runtime.memGetInfo()
        print(
            f"cupy {cupy.__version__}: {props['name'].decode()}, "
            f"{free / 2**30:.0f} of {total / 2**30:.0f} GiB free",
            flush=True,
        )


def identity_tests() -> int:
    """The kernel identity tests (GPU tests included, slow ones left out), then every
    seal vector on every backend but numpy (whose seals the vectors are)."""
    import pytest  # not at the top: asv imports this module where pytest is not installed

    files = [str(ROOT / t) for t in IDENTITY_TESTS if (ROOT / t).exists()]
    start = time.perf_counter()
    # Compilation is most of this phase: with pytest-xdist, spread it over the CPUs.
    workers = ["-n", "8"] if importlib.util.find_spec("xdist") else []
    code = pytest.main(["-q", "-p", "no:cacheprovider", *workers, "-m", "not slow or gpu", *files])
    seals = pytest.main(
        ["-q", "-p", "no:cacheprovider", *workers, "-k", "not numpy", str(ROOT / SEAL_TESTS)]
    )
    others = [n for n in backends.available() if n != "numpy"]
    progs = pytest.main(
        ["-q", "-p", "no:cacheprovider", *workers, "-k", " or ".join(others) or "nothing"]
        + [str(ROOT / t) for t in PROGRAM_TESTS]
    )
    print(
        f"identity tests: exit {code}, seal vectors: exit {seals}, programs: exit {progs} "
        f"in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return int(code) or int(seals) or int(progs)


def cases(be: backends.Backend, log_n: int) -> list[tuple[str, str, str, int, Callable]]:
    """(figure, size, unit, items, call) at GPU scale, on data already on the device."""
    rng = np.random.default_rng(1)
    n = 1 << log_n
    out = []
    for name in ("plonky3-w16", "risc0-w24"):
        p = poseidon2.params(name)
        states = be.asarray(rng.integers(0, P, (p.width, n), dtype=np.uint32))
        call = lambda s=states, p=p: be.poseidon2_permute(s, p)  # noqa: E731
        out.append((f"poseidon2 {name}", f"2^{log_n}", "perm/s", n, call))
    matrix = be.asarray(rng.integers(0, P, (16, n), dtype=np.uint32))
    suite = get_suite("poseidon2")
    out.append(
        ("row hash poseidon2", f"2^{log_n}x16", "rows/s", n, lambda: suite.hash_rows(be, matrix))
    )
    out.append(
        (
            "merkle commit poseidon2",
            f"2^{log_n}x16",
            "leaves/s",
            n,
            lambda: MerkleTree(matrix, suite, be, 50).layers[-1],
        )
    )
    trace = be.asarray(rng.integers(0, P, (LDE_COLS, n), dtype=np.uint32))
    out.append(
        (
            "lde x4",
            f"{LDE_COLS}x2^{log_n}",
            "elem/s",
            LDE_COLS * n,
            lambda: be.lde(trace, 4),
        )
    )
    return out


def timings(log_n: int, prove_log_rows: list[int], repeats: int) -> list[bench.Figure]:
    figures = []
    fast = [n for n in backends.available() if n != "numpy"]
    plan = [("numpy", 16, [])] + [(name, log_n, prove_log_rows) for name in fast]
    for name, size, proofs in plan:
        be = backends.get(name)
        for figure, label, unit, items, call in cases(be, size):
            first, steady = bench.time_call(call, repeats)
            figures.append(bench.Figure(figure, label, name, unit, first, steady, items / steady))
            print(
                f"  {name:6s} {figure:26s} {label:12s} {items / steady:>16,.0f} {unit}", flush=True
            )
        for log_rows in proofs:
            n = (1 << log_rows) - 1
            first, steady = bench.time_call(
                lambda n=n, be=be: api.prove("fibonacci", n=n, backend=be), 1
            )
            rows = 1 << log_rows
            figures.append(
                bench.Figure(
                    "fibonacci proof",
                    f"2^{log_rows} rows",
                    name,
                    "rows/s",
                    first,
                    steady,
                    rows / steady,
                )
            )
            print(
                f"  {name:6s} fibonacci 2^{log_rows}: first {first:.2f} s, steady {steady:.3f} s",
                flush=True,
            )
    base = {f.figure: f.throughput for f in figures if f.backend == "numpy"}
    return [
        bench.Figure(**{**f.as_dict(), "ratio_to_numpy": f.throughput / base[f.figure]})
        if f.figure in base
        else f
        for f in figures
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--log-n", type=int, default=22, help="kernel sizes 2^k on the GPU")
    parser.add_argument(
        "--prove-log-rows", type=int, nargs="*", default=[22, 24], help="proof rows 2^k"
    )
    parser.add_argument("--repeats", type=int, default=3, help="steady-state calls (best kept)")
    parser.add_argument("--skip-tests", action="store_true", help="timings only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    describe()
    code = 0 if args.skip_tests else identity_tests()
    figures = timings(args.log_n, args.prove_log_rows, args.repeats)
    print(bench.table(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps([f.as_dict() for f in figures], indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
