"""asv benchmarks, batch proving: 16 Fibonacci statements of 2^12 rows each.

- ``BatchProving``: ``ZkVM.prove_batch`` of the 16 (stacked, one kernel call per phase)
  against ``ZkVM.prove`` of each in turn.
- ``ParallelProving``: ``ZkVM.prove_parallel`` on the VM's own pool of 2 processes
  against ``ZkVM.prove`` of each in this process.

The backend is ``backends.get(None)``: the automatic choice, which ``L2GPU_BACKEND``
(a dimension of the asv matrix) overrides; a backend that cannot run here skips the
benchmarks. Every path is warmed up in ``setup`` (JAX compiles each shape once per
process; the pool's processes start and import l2gpu), so the figures are steady-state.
"""

from __future__ import annotations

from l2gpu import Options, ZkVM, backends

STATEMENTS = 16
LOG_ROWS = 12
# fib(4095), fib(4094), ...: 2^12 rows each, every statement different.
REQUESTS = [("fibonacci", {"n": (1 << LOG_ROWS) - 1 - i}) for i in range(STATEMENTS)]
PROCESSES = 2

_warm: set[str] = set()  # the backends whose paths have run in this process


def _vm(options: Options | None = None) -> ZkVM:
    """A VM on the backend ``L2GPU_BACKEND`` selects; skips when it cannot run here."""
    try:
        return ZkVM(backends.get(None), options or Options())
    except (backends.BackendUnavailableError, ValueError) as err:
        raise NotImplementedError(f"backend unavailable: {err}") from err


def _one_by_one(vm: ZkVM) -> None:
    for program, inputs in REQUESTS:
        vm.prove(program, **inputs)


class BatchProving:
    """16 statements of 2^12 rows: batched against one by one."""

    timeout = 1200.0
    number = 1
    rounds = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0.0

    def setup(self) -> None:
        self.vm = _vm()
        if self.vm.backend.name not in _warm:  # compile both paths' shapes (JAX) once
            self.vm.prove_batch(REQUESTS)
            program, inputs = REQUESTS[0]
            self.vm.prove(program, **inputs)
            _warm.add(self.vm.backend.name)

    def time_batch(self) -> None:
        self.vm.prove_batch(REQUESTS)

    def time_one_by_one(self) -> None:
        _one_by_one(self.vm)


class ParallelProving:
    """16 statements of 2^12 rows: on 2 processes against one by one in this one."""

    timeout = 1200.0
    number = 1
    rounds = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0.0

    def setup(self) -> None:
        self.vm = _vm(Options(workers=PROCESSES))
        self.vm.prove_parallel(REQUESTS[: 2 * PROCESSES])  # start and warm the workers
        program, inputs = REQUESTS[0]
        self.vm.prove(program, **inputs)

    def teardown(self) -> None:
        self.vm.close()

    def time_parallel(self) -> None:
        self.vm.prove_parallel(REQUESTS)

    def time_sequential(self) -> None:
        _one_by_one(self.vm)
