"""Parallel and distributed proving: process pools, any Executor, a real Dask cluster."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

import l2gpu
from l2gpu import BatchError, Options, Request, ZkVM, cli
from l2gpu.programs import Execution, Program
from l2gpu.programs.fibonacci import CIRCUIT

NS = [10, 100, 3, 40, 17, 1000]


class Crash(Program):
    """A program whose execution kills the process running it (a worker lost).

    On a Dask worker it dies once it is the cluster's last task, so that it dies alone:
    a worker may have been given other tasks, which would be lost with it.
    """

    name = "crash"
    circuit = CIRCUIT

    def execute(self, **inputs: object) -> Execution:
        import distributed

        try:
            distributed.secede()  # let the tasks queued behind this one run meanwhile
        except ValueError:  # not on a Dask worker
            os._exit(13)
        client = distributed.get_client()
        while sum(map(len, client.processing().values())) > 1:
            time.sleep(0.05)
        os._exit(13)

    def code(self, po2: int) -> np.ndarray:
        raise NotImplementedError


@pytest.fixture(scope="module")
def expected() -> dict[int, bytes]:
    """fib(n)'s proof file, proven here one by one."""
    return {n: l2gpu.prove("fibonacci", n=n, backend="numpy").to_bytes() for n in NS}


def requests(ns=NS) -> list[tuple[str, dict]]:
    return [("fibonacci", {"n": n}) for n in ns]


def test_any_executor_in_request_order(expected):
    with ThreadPoolExecutor(3) as pool:
        proofs = ZkVM("numpy").prove_parallel(requests(), pool)
    assert [p.to_bytes() for p in proofs] == [expected[n] for n in NS]


def test_a_failed_statement_keeps_the_others(expected):
    with ThreadPoolExecutor(2) as pool, pytest.raises(BatchError) as info:
        ZkVM("numpy").prove_parallel([*requests(NS[:2]), ("fibonacci", {"n": -5})], pool)
    assert list(info.value.errors) == [2]
    assert "positive integer" in str(info.value.errors[2])
    assert [p.to_bytes() for p in info.value.results[:2]] == [expected[n] for n in NS[:2]]


def test_default_pool_of_processes(expected):
    with ZkVM("numpy", Options(workers=2)) as vm:
        proofs = vm.prove_parallel(requests())
        assert vm._pool is not None and vm._pool._max_workers == 2
        again = vm.prove_parallel(requests(NS[:2]))  # the same pool, kept
    assert vm._pool is None
    assert [p.to_bytes() for p in proofs] == [expected[n] for n in NS]
    assert [p.to_bytes() for p in again] == [expected[n] for n in NS[:2]]


def test_a_lost_worker_breaks_the_default_pool_which_is_replaced(expected):
    with ZkVM("numpy", Options(workers=1)) as vm:
        with pytest.raises(BatchError) as info:
            vm.prove_parallel([Request(Crash())])
        assert isinstance(info.value.errors[0], BrokenProcessPool)
        assert vm._pool is None  # dropped, and started afresh:
        assert vm.prove_parallel(requests(NS[:1]))[0].to_bytes() == expected[NS[0]]


def test_not_an_executor():
    with pytest.raises(TypeError, match=r"concurrent\.futures\.Executor or a dask"):
        ZkVM("numpy").prove_parallel(requests(), executor=object())


# -- Dask --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A local Dask cluster of 2 worker processes (1 thread each). A task whose worker
    dies fails at once, instead of being retried on another worker."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield local, client


def test_dask_cluster_proves_and_every_proof_verifies(cluster, expected):
    _, client = cluster
    vm = ZkVM("numpy")
    proofs = vm.prove_parallel(requests(), client)
    assert [p.to_bytes() for p in proofs] == [expected[n] for n in NS]
    assert vm.verify_batch(proofs)
    # Both workers took part, and a client's executor works as well.
    assert len({w for w in client.run(os.getpid)}) == 2
    again = vm.prove_parallel(requests(NS[:2]), client.get_executor())
    assert [p.to_bytes() for p in again] == [expected[n] for n in NS[:2]]


def test_dask_failed_statement_and_killed_worker(cluster, expected):
    _, client = cluster
    batch = [*requests(NS[:3]), Request(Crash()), ("fibonacci", {"n": 0}), *requests(NS[3:])]
    with pytest.raises(BatchError, match="2 of 8 statements failed") as info:
        ZkVM("numpy").prove_parallel(batch, client)
    errors = info.value.errors
    assert sorted(errors) == [3, 4]
    assert type(errors[3]).__name__ == "KilledWorker"  # its worker died under it
    assert "positive integer" in str(errors[4])
    delivered = [r for i, r in enumerate(info.value.results) if i not in errors]
    assert [p.to_bytes() for p in delivered] == [expected[n] for n in NS]
    assert ZkVM("numpy").verify_batch(delivered)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the lost worker


def test_cli_prove_batch_on_dask(cluster, expected, tmp_path: Path, capsys):
    local, _ = cluster
    lines = [f'{{"program": "fibonacci", "inputs": {{"n": {n}}}, "name": "fib{n}"}}' for n in NS]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n")
    args = ["prove-batch", str(tmp_path / "batch.jsonl"), "-o", str(tmp_path / "out")]
    assert cli.main([*args, "--backend", "numpy", "--dask", local.scheduler_address]) == 0
    out = capsys.readouterr().out
    assert f"proved {len(NS)} of {len(NS)} statements" in out and "Dask cluster" in out
    for n in NS:
        assert (tmp_path / "out" / f"fib{n}.l2p").read_bytes() == expected[n]
