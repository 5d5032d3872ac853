"""Fibonacci proofs end to end: prove and verify time, proof size, rows/s, and where the
prover's time goes — by phase (commit, constraints, FRI, queries) and by kernel family
(hashing, NTT, the rest), measured by timing every backend call.

    python3 benchmarks/prove_fibonacci.py --log-rows 16 18 20 --backend numpy
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import l2gpu
from l2gpu import backends
from l2gpu.bench import ready

FAMILIES = {
    "hashing": ("poseidon2", "sha256"),
    "ntt": ("interpolate", "evaluate", "zk_shift", "lde", "bit_reverse"),
}


class TimedBackend:
    """Wraps a backend and adds up the wall time of each kernel call."""

    def __init__(self, inner: backends.Backend) -> None:
        self._inner = inner
        self.seconds: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str):
        attr = getattr(self._inner, name)
        if not callable(attr) or name.startswith("_"):
            return attr

        def timed(*args, **kwargs):
            start = time.perf_counter()
            out = ready(attr(*args, **kwargs))  # JAX and CuPy work done before the clock stops
            self.seconds[name] += time.perf_counter() - start
            return out

        return timed

    def families(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for name, secs in self.seconds.items():
            family = next((f for f, keys in FAMILIES.items() if name.startswith(keys)), "other")
            out[family] += secs
        return dict(out)


def run(log_rows: int, backend: str, warm: bool = False) -> dict:
    n = (1 << log_rows) - 1  # the trace is the power of two above n: exactly 2^log_rows rows
    if warm:  # a first proof of this shape compiles the kernels (JAX); time the second
        l2gpu.prove("fibonacci", n=n, backend=backend)
    timed = TimedBackend(backends.get(backend))
    backends.Backend.register(TimedBackend)
    phases: dict[str, float] = {}
    mark = [time.perf_counter(), None]

    def progress(phase: str) -> None:
        now = time.perf_counter()
        if mark[1] is not None:
            phases[mark[1]] = now - mark[0]
        mark[:] = [now, phase]

    start = time.perf_counter()
    proof = l2gpu.prove("fibonacci", n=n, backend=timed, progress=progress)
    end = time.perf_counter()
    phases[mark[1]] = end - mark[0]
    prove_s = end - start
    start = time.perf_counter()
    l2gpu.verify(proof)
    verify_s = time.perf_counter() - start
    return {
        "warm": warm,
        "rows": proof.rows,
        "n": n,
        "backend": timed._inner.name,
        "prove_s": round(prove_s, 3),
        "verify_s": round(verify_s, 3),
        "proof_bytes": len(proof.to_bytes()),
        "rows_per_s": round(proof.rows / prove_s),
        "phases_s": {k: round(v, 3) for k, v in phases.items()},
        "kernels_s": {k: round(v, 3) for k, v in timed.families().items()},
        "per_kernel_s": {
            k: round(v, 3) for k, v in sorted(timed.seconds.items(), key=lambda kv: -kv[1])
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log-rows", type=int, nargs="+", default=[16])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--warm", action="store_true", help="prove once first, time the second")
    parser.add_argument("--per-kernel", action="store_true", help="also each kernel's seconds")
    args = parser.parse_args()
    for log_rows in args.log_rows:
        result = run(log_rows, args.backend, args.warm)
        if args.json:
            print(json.dumps(result))
            continue
        print(
            f"2^{log_rows} rows [{result['backend']}]: prove {result['prove_s']} s "
            f"({result['rows_per_s']:,} rows/s), verify {result['verify_s']} s, "
            f"proof {result['proof_bytes']:,} bytes"
        )
        print(f"  phases:  {result['phases_s']}")
        print(f"  kernels: {result['kernels_s']}")
        if args.per_kernel:
            print(f"  each:    {result['per_kernel_s']}")


if __name__ == "__main__":
    main()
