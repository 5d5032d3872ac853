"""asv: RISC Zero's prover next to l2gpu's, on the same Fibonacci statement.

The comparison of ``l2gpu bench --reference risc0 fibonacci`` (see
:mod:`l2gpu.reference.compare`), tracked across commits. It runs only where RISC
Zero's toolchain is installed (``rzup``, ``cargo risczero``): elsewhere, and when
``RISC0_DEV_MODE`` makes RISC Zero's receipts fake, ``setup`` raises
``NotImplementedError`` and every benchmark here is skipped.

``setup_cache`` builds the RISC Zero template (once: it is cached in
``~/.cache/l2gpu``) and proves each size with RISC Zero once — its figures are the
reference's, not this commit's. ``setup`` checks that both provers give the same
public output. l2gpu runs on ``backends.get(None)``, which ``L2GPU_BACKEND`` (asv's
matrix) selects.
"""

from __future__ import annotations

import time
from typing import ClassVar

from l2gpu import api, programs
from l2gpu.reference import compare, risc0

from .common import backend

SIZES = [(1 << 12) - 1, (1 << 16) - 1]  # fib(n): l2gpu's trace is 2^12, 2^16 rows


class Fibonacci:
    """Prove time, throughput and the ratio, per ``n``."""

    params: ClassVar = SIZES
    param_names: ClassVar = ["n"]
    timeout = 3600.0  # the first setup_cache builds RISC Zero's prover

    def setup_cache(self) -> dict[int, risc0.Reference]:
        """RISC Zero's reference runs by ``n``; none without the toolchain (asv passes a
        ``None`` cache on to nothing, so it is an empty dict)."""
        try:
            return {n: risc0.prove("fibonacci", n=n) for n in SIZES}
        except risc0.ToolchainNotFoundError:
            return {}

    def setup(self, cache: dict[int, risc0.Reference], n: int) -> None:
        if not cache:
            raise NotImplementedError("RISC Zero's toolchain is not installed")
        self.reference = cache[n]
        if not self.reference.is_proof:
            raise NotImplementedError("RISC Zero ran in dev mode: its receipt is not a proof")
        self.backend = backend()
        prog = programs.get("fibonacci")
        compare.check_agreement(prog, prog.execute(n=n).public_outputs, self.reference)

    def time_l2gpu_prove(self, cache, n: int) -> None:
        api.prove("fibonacci", n=n, backend=self.backend)

    def track_risc0_prove_seconds(self, cache, n: int) -> float:
        return self.reference.prove_seconds

    track_risc0_prove_seconds.unit = "seconds"

    def track_risc0_cycles_per_second(self, cache, n: int) -> float:
        return self.reference.cycles_per_second

    track_risc0_cycles_per_second.unit = "cycles/s"

    def track_speedup_vs_risc0(self, cache, n: int) -> float:
        """RISC Zero's prove time over l2gpu's (a warm second proof)."""
        api.prove("fibonacci", n=n, backend=self.backend)
        start = time.perf_counter()
        api.prove("fibonacci", n=n, backend=self.backend)
        return self.reference.prove_seconds / (time.perf_counter() - start)

    track_speedup_vs_risc0.unit = "x"
