"""asv benchmarks of whole proofs: one Fibonacci proof, Fibonacci scaling, a batch of
proofs, verification, SHA-256 proofs, and the end-to-end flow.

The trace is executed in ``setup`` (except where the flow under test includes it:
batch proving and end to end), and a backend that compiles (JAX, CuPy) proves the same
shape once there, so compilation stays out of the timed region. A proof ends with its
seal on the host, so nothing is left running when the clock stops. See ``common.py``
for the backend choice and the sizes that skip on a CPU.

The ``track_*`` figures: proof size in bytes, prover throughput in trace rows per second
(the best of a few proofs), conjectured security in bits; ``peakmem_prove`` is the
prover's peak resident memory (host memory only, on a GPU).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

import l2gpu
from l2gpu import Proof, backends, programs

from .common import SEED, TIMEOUT, backend, cpu_cap, rate, warm

LOG_ROWS = 16  # the single Fibonacci proof
SCALING_LOG_ROWS = [10, 12, 14, 16, 18, 20]
BATCH = 10  # proofs in a batch
BATCH_LOG_ROWS = [12, 16]
VERIFY_LOG_ROWS = [12, 16]
MESSAGE_BYTES = [32, 64, 128]

# On a CPU, the largest sizes skip (log2 of the trace rows):
PROVE_CPU_LOG = 16  # one proof: ~6 s at 2^16 on numpy here, ~4x that per doubling
BATCH_CPU_LOG = 12  # ten proofs


class _Statement:
    """A Fibonacci statement with ``2^log_rows`` rows, executed, ready to prove."""

    def __init__(self, be: backends.Backend, log_rows: int, offset: int = 0) -> None:
        self.be = be
        self.program = programs.get("fibonacci")
        # The trace is the power of two above n: n = 2^k − 1 gives exactly 2^k rows.
        self.execution = self.program.execute(n=(1 << log_rows) - 1 - offset)

    def prove(self) -> Proof:
        e = self.execution
        return l2gpu.prove_trace(
            self.program, e.trace, e.public_inputs, e.public_outputs, backend=self.be
        )


class FibonacciProof:
    """One Fibonacci proof of 2^16 rows: prover time and peak memory, and the proof's
    size, rows/s and security."""

    timeout = TIMEOUT
    warmup_time = 0.0  # setup proves once where that compiles

    def setup(self) -> None:
        self.statement = _Statement(backend(), LOG_ROWS)
        warm(self.statement.be, self.statement.prove)

    def time_prove(self) -> None:
        self.statement.prove()

    def peakmem_prove(self) -> None:
        self.statement.prove()

    def track_proof_bytes(self) -> int:
        return len(self.statement.prove().to_bytes())

    track_proof_bytes.unit = "bytes"

    def track_rows_per_s(self) -> float:
        return rate(self.statement.prove, 1 << LOG_ROWS)

    track_rows_per_s.unit = "rows/s"

    def track_security_bits(self) -> int:
        return self.statement.prove().security_bits

    track_security_bits.unit = "bits"


class FibonacciScaling:
    """Fibonacci proofs of ``2^log_rows`` rows: prover time and throughput against size."""

    params: ClassVar[list] = [SCALING_LOG_ROWS]
    param_names: ClassVar[list[str]] = ["log_rows"]
    timeout = TIMEOUT
    warmup_time = 0.0

    def setup(self, log_rows: int) -> None:
        be = backend()
        cpu_cap(be, 1 << log_rows, PROVE_CPU_LOG)
        self.statement = _Statement(be, log_rows)
        warm(be, self.statement.prove)

    def time_prove(self, log_rows: int) -> None:
        self.statement.prove()

    def track_rows_per_s(self, log_rows: int) -> float:
        return rate(self.statement.prove, 1 << log_rows)

    track_rows_per_s.unit = "rows/s"


class BatchProve:
    """Ten Fibonacci proofs of ``2^log_rows`` rows (ten statements), one after another
    through ``l2gpu.prove``, executions included, until a batch API lands."""

    params: ClassVar[list] = [BATCH_LOG_ROWS]
    param_names: ClassVar[list[str]] = ["log_rows"]
    timeout = TIMEOUT
    warmup_time = 0.0

    def setup(self, log_rows: int) -> None:
        self.be = backend()
        cpu_cap(self.be, 1 << log_rows, BATCH_CPU_LOG)
        # fib(2^k − 1), fib(2^k − 2), ...: ten statements of the same 2^k rows.
        self.ns = [(1 << log_rows) - 1 - i for i in range(BATCH)]
        warm(self.be, lambda: l2gpu.prove("fibonacci", n=self.ns[0], backend=self.be))

    def time_prove_batch(self, log_rows: int) -> None:
        for n in self.ns:
            l2gpu.prove("fibonacci", n=n, backend=self.be)


class Verify:
    """Verify a Fibonacci proof of ``2^log_rows`` rows (on the CPU, whatever the backend
    that made it)."""

    params: ClassVar[list] = [VERIFY_LOG_ROWS]
    param_names: ClassVar[list[str]] = ["log_rows"]
    timeout = TIMEOUT

    def setup(self, log_rows: int) -> None:
        self.proof = _Statement(backend(), log_rows).prove()

    def time_verify(self, log_rows: int) -> None:
        l2gpu.verify(self.proof)


class Sha256Proof:
    """A proof of the SHA-256 of a ``message_bytes``-byte message.

    Skips until the ``sha256`` program is in ``l2gpu.programs.PROGRAMS``.
    """

    params: ClassVar[list] = [MESSAGE_BYTES]
    param_names: ClassVar[list[str]] = ["message_bytes"]
    timeout = TIMEOUT
    warmup_time = 0.0

    def setup(self, message_bytes: int) -> None:
        if "sha256" not in programs.PROGRAMS:
            raise NotImplementedError("no sha256 program in l2gpu.programs yet")
        self.be = backend()
        self.message = np.random.default_rng(SEED).bytes(message_bytes)
        warm(self.be, self._prove)

    def _prove(self) -> Proof:
        return l2gpu.prove("sha256", message=self.message, backend=self.be)

    def time_prove(self, message_bytes: int) -> None:
        self._prove()

    def track_proof_bytes(self, message_bytes: int) -> int:
        return len(self._prove().to_bytes())

    track_proof_bytes.unit = "bytes"


class EndToEnd:
    """The whole flow for ``fib(2^log_rows − 1)``: execute, prove, serialize,
    deserialize, verify."""

    params: ClassVar[list] = [VERIFY_LOG_ROWS]
    param_names: ClassVar[list[str]] = ["log_rows"]
    timeout = TIMEOUT
    warmup_time = 0.0

    def setup(self, log_rows: int) -> None:
        self.be = backend()
        self.n = (1 << log_rows) - 1
        warm(self.be, self._flow)

    def _flow(self) -> None:
        data = l2gpu.prove("fibonacci", n=self.n, backend=self.be).to_bytes()
        l2gpu.verify(Proof.from_bytes(data))

    def time_end_to_end(self, log_rows: int) -> None:
        self._flow()
