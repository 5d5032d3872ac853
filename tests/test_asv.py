"""The asv suite stays runnable: its modules import without the test packages, ``asv
check`` passes, and one quick call of every benchmark at its smallest size succeeds, in
this python (``--python=same``) on the numpy backend.

asv runs on a copy of ``asv.conf.json`` whose results, environments, HTML and machine
file live in a temporary directory, and imports l2gpu from this tree
(``ASV_PYTHONPATH``). About 30 s; the one 2^16 proof (``FibonacciProof``) is left out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The smallest size of each parameterized benchmark: kernels of 2^10 items, proofs of
# 2^10 (scaling) or 2^12 rows (batch, verify, end to end, RISC Zero's), the 32-byte
# SHA-256 message.
SMALLEST = [
    r"^bench_kernels\..*\b10\)$",
    r"Scaling\..*\(10\)$",
    r"(BatchProve|Verify|EndToEnd)\..*\(12\)$",
    r"Sha256Proof\..*\(32\)$",
    r"^bench_reference\..*\(4095\)$",
    r"^bench_batch\.",  # one size: 16 statements of 2^12 rows
]
LEFT_OUT = "bench_proofs.FibonacciProof."


def test_benchmark_modules_import_in_a_bench_environment() -> None:
    """asv imports every module of ``benchmarks/``, in an environment with the ``bench``
    extra only: none may need pytest, hypothesis or matplotlib at import."""
    code = (
        "import importlib, pkgutil, sys\n"
        "sys.modules.update(pytest=None, hypothesis=None, matplotlib=None)\n"
        "import benchmarks\n"
        "for m in pkgutil.iter_modules(benchmarks.__path__):\n"
        "    importlib.import_module('benchmarks.' + m.name)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def asv_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary home for asv: its configuration, machine file and results."""
    asv_util = pytest.importorskip("asv.util", reason="asv is not installed: pip install '.[test]'")
    home = tmp_path_factory.mktemp("asv")
    conf = asv_util.load_json(str(ROOT / "asv.conf.json"), js_comments=True)
    conf.update(
        repo=str(ROOT),
        benchmark_dir=str(ROOT / "benchmarks"),
        env_dir=str(home / "env"),
        results_dir=str(home / "results"),
        html_dir=str(home / "html"),
        matrix={"env_nobuild": {"L2GPU_BACKEND": ["numpy"]}},
    )
    (home / "asv.conf.json").write_text(json.dumps(conf))
    machine = _asv(home, "machine", "--yes", "--machine", "ci")
    assert machine.returncode == 0, machine.stdout + machine.stderr
    return home


def _asv(home: Path, *args: str) -> subprocess.CompletedProcess:
    """``asv ARGS...`` on the configuration in ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "asv", "--config", str(home / "asv.conf.json"), *args],
        cwd=home,
        env={
            **os.environ,
            "HOME": str(home),
            "ASV_PYTHONPATH": str(ROOT),
            "PYTHONIOENCODING": "utf-8",
        },
        capture_output=True,
        encoding="utf-8",
        check=False,
    )


def test_asv_check(asv_home: Path) -> None:
    out = _asv(asv_home, "check", "--python=same")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No problems found" in out.stdout


def test_asv_quick_run_of_smallest_sizes(asv_home: Path) -> None:
    bench = [arg for regex in SMALLEST for arg in ("-b", regex)]
    args = ["--python=same", "--machine", "ci", "--quick", "--dry-run", "--show-stderr"]
    out = _asv(asv_home, "run", *args, *bench)
    assert out.returncode == 0, out.stdout + out.stderr  # 2: a benchmark failed
    # asv shortens a long name to "...its end" in its progress lines.
    # A parameterized benchmark ends its line with "ok", a plain one with its time.
    done = re.findall(r"··· ((?:\.\.\.)?\w+(?:\.\w+)+)\s+(?!failed|n/a)\S+$", out.stdout, re.M)
    ran = [name.removeprefix("...") for name in done]
    found = json.loads((asv_home / "results" / "benchmarks.json").read_text())
    expected = {name for name in found if name != "version" and not name.startswith(LEFT_OUT)}
    missing = {name for name in expected if not any(name.endswith(tail) for tail in ran)}
    assert not missing, f"add the smallest size of a new benchmark to SMALLEST\n{out.stdout}"
    assert len(ran) == len(expected)
