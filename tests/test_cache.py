"""The proof cache: keys without execution, hits without proving, corrupt entries as misses."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import l2gpu
from l2gpu import BatchError, CachedZkVM, Options, ProofCache, programs
from l2gpu.cache import cache_key
from l2gpu.stark import prover


@pytest.fixture
def prover_calls(monkeypatch) -> list[int]:
    """How many statements each call of the prover proved."""
    calls: list[int] = []
    original = prover.prove_batch

    def counting(circuit, traces, *args, **kwargs):
        calls.append(len(traces))
        return original(circuit, traces, *args, **kwargs)

    monkeypatch.setattr(prover, "prove_batch", counting)
    return calls


def test_key_is_computed_without_executing_the_program(monkeypatch):
    def refuse(self, **inputs):
        raise AssertionError("executed")

    monkeypatch.setattr(programs.Fibonacci, "execute", refuse)
    key = cache_key("fibonacci", {"n": 10}, Options())
    assert len(key) == 64 and int(key, 16) >= 0


def test_key_covers_the_statement_and_nothing_else():
    base = cache_key("fibonacci", {"n": 10}, Options())
    assert cache_key("fibonacci", {"n": np.int64(10)}, Options()) == base
    assert cache_key(programs.get("fibonacci"), {"n": 10}, Options(batch_rows=64)) == base
    assert cache_key("fibonacci", {"n": 10}, Options(workers=3)) == base
    others = {
        cache_key("fibonacci", {"n": 11}, Options()),
        cache_key("fibonacci", {"n": 10}, Options(suite="sha-256")),
        cache_key("hello", {"po2": 10}, Options()),
        cache_key("fibonacci", {"n": True}, Options()),
        cache_key("fibonacci", {"n": "10"}, Options()),
        cache_key("fibonacci", {"m": 10}, Options()),
    }
    assert len(others) == 6 and base not in others
    bits = np.array([0, 1, 1, 1], dtype=np.uint32)
    same = cache_key("hello", {"bits": bits.copy()}, Options())
    assert cache_key("hello", {"bits": bits}, Options()) == same
    assert cache_key("hello", {"bits": bits[::-1].copy()}, Options()) != same
    assert cache_key("hello", {"bits": bits.astype(np.uint64)}, Options()) != same
    with pytest.raises(TypeError, match="input 'n': cannot key a float"):
        cache_key("fibonacci", {"n": 1.5}, Options())


def test_key_does_not_depend_on_the_backend():
    pytest.importorskip("jax")
    assert CachedZkVM("numpy").key(("fibonacci", {"n": 5})) == CachedZkVM("jax").key(
        ("fibonacci", {"n": 5})
    )


def test_a_hit_returns_the_proof_without_proving(tmp_path, prover_calls):
    vm = CachedZkVM("numpy", cache=ProofCache(tmp_path))
    first = vm.prove("fibonacci", n=10)
    assert prover_calls == [1]
    again = vm.prove("fibonacci", n=10)
    assert prover_calls == [1] and again.to_bytes() == first.to_bytes()
    assert (vm.stats.hits, vm.stats.misses, vm.stats.stores) == (1, 1, 1)
    # A new process would find it on disk.
    fresh = CachedZkVM("numpy", cache=ProofCache(tmp_path))
    assert fresh.prove("fibonacci", n=10).to_bytes() == first.to_bytes()
    assert prover_calls == [1]
    assert (fresh.stats.hits, fresh.stats.disk_hits, fresh.stats.misses) == (1, 1, 0)
    assert first.to_bytes() == l2gpu.prove("fibonacci", n=10, backend="numpy").to_bytes()


def test_batches_prove_only_the_distinct_misses(prover_calls):
    vm = CachedZkVM("numpy", cache=ProofCache())
    vm.prove("fibonacci", n=10)
    proofs = vm.prove_batch([("fibonacci", {"n": n}) for n in (10, 11, 12, 11)])
    assert prover_calls == [1, 2]  # 11 and 12, once each
    assert proofs[1] is proofs[3]
    assert [p.public_inputs["n"] for p in proofs] == [10, 11, 12, 11]
    assert (vm.stats.hits, vm.stats.misses) == (1, 3)


def test_a_failed_statement_is_not_cached(prover_calls):
    vm = CachedZkVM("numpy", cache=ProofCache())
    with pytest.raises(BatchError) as info:
        vm.prove_batch([("fibonacci", {"n": 10}), ("fibonacci", {"n": 0})])
    assert list(info.value.errors) == [1]
    assert vm.prove("fibonacci", n=10).to_bytes() == info.value.results[0].to_bytes()
    assert prover_calls == [1] and vm.stats.stores == 1


def test_prove_parallel_through_the_cache(prover_calls):
    vm = CachedZkVM("numpy", cache=ProofCache())
    vm.prove("fibonacci", n=10)
    with ThreadPoolExecutor(2) as pool:
        proofs = vm.prove_parallel([("fibonacci", {"n": n}) for n in (10, 20)], pool)
    assert prover_calls == [1, 1] and [p.public_outputs["fib_n"] for p in proofs] == [55, 6765]
    assert vm.stats.hits == 1


def test_memory_lru_evicts_the_least_recently_used():
    cache = ProofCache(max_entries=2)
    proofs = {n: l2gpu.prove("fibonacci", n=n, backend="numpy") for n in (1, 2, 3)}
    cache.put("a", proofs[1])
    cache.put("b", proofs[2])
    assert cache.get("a") is proofs[1]  # now b is the oldest
    cache.put("c", proofs[3])
    assert cache.get("b") is None and cache.get("a") is proofs[1] and cache.get("c") is proofs[3]
    assert (cache.stats.hits, cache.stats.misses) == (3, 1)


def corruptions(entry: bytes) -> dict[str, bytes]:
    flipped = bytearray(entry)
    flipped[-5] ^= 0x40  # a seal word
    header = bytearray(entry)
    header[3] ^= 1  # the magic
    return {
        "flipped seal byte": bytes(flipped),
        "bad magic": bytes(header),
        "truncated": entry[: len(entry) // 2],
        "empty": b"",
        "garbage": b"\x00" * 300,
    }


@pytest.mark.parametrize(
    "kind", ["flipped seal byte", "bad magic", "truncated", "empty", "garbage"]
)
def test_a_corrupt_entry_is_a_miss_and_is_discarded(tmp_path, prover_calls, kind):
    CachedZkVM("numpy", cache=ProofCache(tmp_path)).prove("fibonacci", n=10)
    (entry,) = tmp_path.glob("*.l2pc")
    entry.write_bytes(corruptions(entry.read_bytes())[kind])
    vm = CachedZkVM("numpy", cache=ProofCache(tmp_path))
    proof = vm.prove("fibonacci", n=10)  # no error: proven again
    assert prover_calls == [1, 1]
    assert (vm.stats.misses, vm.stats.discarded, vm.stats.hits) == (1, 1, 0)
    assert l2gpu.verify(proof)
    # The entry was rewritten whole.
    assert CachedZkVM("numpy", cache=ProofCache(tmp_path)).prove("fibonacci", n=10) == proof


def test_a_valid_entry_under_another_key_is_discarded(tmp_path):
    cache = ProofCache(tmp_path)
    cache.put("a" * 64, l2gpu.prove("fibonacci", n=3, backend="numpy"))
    (tmp_path / ("a" * 64 + ".l2pc")).rename(tmp_path / ("b" * 64 + ".l2pc"))
    assert ProofCache(tmp_path).get("b" * 64) is None
    assert not list(tmp_path.iterdir())


KEY = "c" * 64


def write_alternately(directory: Path, proofs: list[bytes], start: int) -> None:
    """Store the two proofs under one key, by turns, 25 times."""
    cache = ProofCache(directory)
    for k in range(25):
        cache.put(KEY, l2gpu.Proof.from_bytes(proofs[(start + k) % 2]))


@pytest.mark.parametrize("writers", ["threads", "processes"])
def test_concurrent_writers_never_leave_a_torn_file(tmp_path, writers):
    proofs = [l2gpu.prove("fibonacci", n=n, backend="numpy").to_bytes() for n in (5, 500)]
    reader_cache = ProofCache(tmp_path, max_entries=0)  # memory off: every get reads the file
    seen: list[bytes] = []
    if writers == "threads":
        pool: Executor = ThreadPoolExecutor(6)
    else:
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    with pool:
        jobs = [pool.submit(write_alternately, tmp_path, proofs, i) for i in range(6)]
        while not all(job.done() for job in jobs):
            proof = reader_cache.get(KEY)
            if proof is not None:
                seen.append(proof.to_bytes())
        for job in jobs:
            job.result()
    assert reader_cache.stats.discarded == 0
    assert seen and set(seen) <= set(proofs)
    assert [p.name for p in tmp_path.iterdir()] == [KEY + ".l2pc"]  # no temporary left


def test_an_unwritable_store_warns_and_still_proves(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    vm = CachedZkVM("numpy", cache=ProofCache(blocker / "proofs"))
    with pytest.warns(RuntimeWarning, match="cannot write"):
        proof = vm.prove("fibonacci", n=10)
    assert l2gpu.verify(proof) and vm.prove("fibonacci", n=10) is proof  # in memory


def test_default_cache_follows_the_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("L2GPU_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("L2GPU_PROOF_CACHE_SIZE", "7")
    monkeypatch.delenv("L2GPU_PROOF_CACHE", raising=False)
    vm = CachedZkVM("numpy")
    assert vm.cache.directory is None and vm.cache.max_entries == 7
    monkeypatch.setenv("L2GPU_PROOF_CACHE", "1")
    vm = CachedZkVM("numpy")
    assert vm.cache.directory == tmp_path / "cache" / "proofs"
    vm.prove("fibonacci", n=4)
    assert len(list((tmp_path / "cache" / "proofs").glob("*.l2pc"))) == 1
