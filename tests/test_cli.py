"""The ``l2gpu commit`` command line."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from l2gpu import __version__, merkle
from l2gpu.cli import main
from l2gpu.field import P

ROOT = re.compile(r"^root: ([0-9a-f]{64})$", re.MULTILINE)


def expected_root_hex(rows: int, cols: int, suite: str, seed: int = 0) -> str:
    """The CLI's trace: ``default_rng(seed).integers(0, P, (rows, cols), uint32)``; the root
    printed as its 8 words in little-endian bytes."""
    matrix = np.random.default_rng(seed).integers(0, P, size=(rows, cols), dtype=np.uint32)
    root = merkle.commit(matrix, suite, backend="numpy").root
    return root.astype("<u4").tobytes().hex()


def run_commit(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["commit", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suite", ["sha-256", "poseidon2"])
def test_commit_prints_root(capsys, backend, suite):
    code, out, err = run_commit(
        capsys, "--rows", "2^10", "--cols", "4", "--suite", suite, "--backend", backend
    )
    assert code == 0, err
    match = ROOT.search(out)
    assert match, out
    assert match.group(1) == expected_root_hex(1 << 10, 4, suite)
    assert f"committed 1024 rows x 4 columns ({suite}, backend {backend})" in out


@pytest.mark.parametrize("rows", ["64", "2^6", "2**6"])
def test_rows_spellings(capsys, rows):
    code, out, _ = run_commit(capsys, "--rows", rows, "--cols", "2", "--backend", "numpy")
    assert code == 0
    assert ROOT.search(out).group(1) == expected_root_hex(64, 2, "poseidon2")


def test_seed_changes_the_trace(capsys):
    code, out, _ = run_commit(capsys, "--rows", "16", "--cols", "3", "--seed", "7")
    assert code == 0
    root7 = ROOT.search(out).group(1)
    assert root7 == expected_root_hex(16, 3, "poseidon2", seed=7)
    assert root7 != expected_root_hex(16, 3, "poseidon2", seed=0)


@pytest.mark.parametrize(
    "args",
    [
        ["--rows", "1000"],
        ["--rows", "1"],
        ["--rows", "0"],
        ["--rows", "-4"],
        ["--rows", "two"],
        ["--rows", "2^x"],
        ["--cols", "0"],
        ["--cols", "many"],
        ["--suite", "md5"],
        ["--seed", "1.5"],
    ],
)
def test_bad_usage_exits_2(capsys, args):
    with pytest.raises(SystemExit) as info:
        main(["commit", *args])
    assert info.value.code == 2
    assert capsys.readouterr().err.strip()


def test_rows_message(capsys):
    with pytest.raises(SystemExit):
        main(["commit", "--rows", "1000"])
    assert "must be a power of two ≥ 2, got 1000" in capsys.readouterr().err


def test_unknown_backend_returns_2(capsys):
    code, out, err = run_commit(capsys, "--rows", "16", "--backend", "nope")
    assert code == 2
    assert "unknown backend 'nope'" in err
    assert "root:" not in out


def test_no_command_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"l2gpu {__version__}"


def test_python_dash_m(tmp_path):
    """``python -m l2gpu`` runs the same entry point and sets the exit status."""
    ok = subprocess.run(
        [sys.executable, "-m", "l2gpu", "commit", "--rows", "2^4", "--cols", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_env_with_repo_on_path(),
    )
    assert ok.returncode == 0, ok.stderr
    assert ROOT.search(ok.stdout).group(1) == expected_root_hex(16, 2, "poseidon2")
    bad = subprocess.run(
        [sys.executable, "-m", "l2gpu", "commit", "--backend", "nope", "--rows", "4"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_env_with_repo_on_path(),
    )
    assert bad.returncode == 2
    assert "unknown backend" in bad.stderr


def _env_with_repo_on_path() -> dict[str, str]:
    import os
    from pathlib import Path

    import l2gpu

    env = dict(os.environ)
    repo = str(Path(l2gpu.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH", "")]))
    env.pop("L2GPU_BACKEND", None)
    return env
