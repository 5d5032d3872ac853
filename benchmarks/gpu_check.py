"""GPU check, for a machine with a GPU: correctness across backends, then timings.

    python3 benchmarks/gpu_check.py [--log-n 22] [--prove-log-rows 20]

1. The cross-backend identity tests (every kernel of every available backend against
   numpy, bit for bit, and the jax seal equal to the numpy seal).
2. ``l2gpu bench`` on every available backend at the largest sizes that fit the time
   budget (the numpy baseline at a smaller size: its figures are per item).

Designed to finish in under 5 minutes on one GPU; exits non-zero if step 1 fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pytest

from l2gpu import backends, bench

ROOT = Path(__file__).resolve().parent.parent
IDENTITY_TESTS = ["tests/test_jax_backend.py", "tests/test_backends.py"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log-n", type=int, default=22, help="kernel batch 2^k on the GPU")
    parser.add_argument("--prove-log-rows", type=int, default=20, help="proof rows 2^k")
    args = parser.parse_args()
    names = backends.available()
    print(f"backends here: {names}", flush=True)
    if "jax" in names:
        import jax

        print(f"jax {jax.__version__} devices: {jax.devices()}", flush=True)

    start = time.perf_counter()
    code = pytest.main(["-q", "-x", "-m", "not slow", *(str(ROOT / t) for t in IDENTITY_TESTS)])
    print(f"identity tests: exit {code} in {time.perf_counter() - start:.0f} s", flush=True)
    if code != 0:
        return int(code)

    fast = [n for n in names if n != "numpy"]
    figures = bench.run(16, None, 3, ["numpy"])  # the baseline, per item
    figures += bench.run(args.log_n, args.prove_log_rows, 3, fast) if fast else []
    print(bench.table(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
