"""``l2gpu bench``: several sizes, the ratio at each, and ``--plot`` (tiny sizes, numpy)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from l2gpu import bench
from l2gpu.cli import main

FAST = ["bench", "--backend", "numpy", "--repeats", "0"]


def _figures(capsys: pytest.CaptureFixture, *args: str) -> list[dict]:
    assert main([*FAST, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_sizes_time_kernels_and_proofs_at_each_size(capsys: pytest.CaptureFixture) -> None:
    figures = _figures(capsys, "--sizes", "5", "6")
    kernels = [f for f in figures if f["figure"] != "fibonacci proof"]
    proofs = [f for f in figures if f["figure"] == "fibonacci proof"]
    assert {f["log_size"] for f in kernels} == {5, 6}
    assert [(f["log_size"], f["size"]) for f in proofs] == [(5, "2^5 rows"), (6, "2^6 rows")]
    assert all(f["ratio_to_numpy"] == 1.0 for f in figures)  # against numpy at its own size


def test_prove_log_rows_overrides_sizes_for_the_proof(capsys: pytest.CaptureFixture) -> None:
    figures = _figures(capsys, "--sizes", "5", "6", "--prove-log-rows", "4")
    assert [f["log_size"] for f in figures if f["figure"] == "fibonacci proof"] == [4]


def test_single_size_flags_still_work(capsys: pytest.CaptureFixture) -> None:
    figures = _figures(capsys, "--log-n", "5", "--no-prove")
    assert {f["log_size"] for f in figures} == {5}
    assert all(f["figure"] != "fibonacci proof" for f in figures)


def test_sizes_and_log_n_exclude_each_other(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*FAST, "--log-n", "5", "--sizes", "5", "6"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_plot_draws_a_png(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "bench.png"
    assert main([*FAST, "--sizes", "5", "6", "--prove-log-rows", "4", "--plot", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert f"plot: {out}" in capsys.readouterr().err


def test_plot_format_is_checked_before_timing(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(bench, "run", pytest.fail)
    assert main([*FAST, "--plot", str(tmp_path / "bench.xyz")]) == 2
    assert "cannot plot to" in capsys.readouterr().err


def test_plot_without_matplotlib_says_how_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setattr(bench, "run", pytest.fail)
    assert main([*FAST, "--plot", str(tmp_path / "bench.png")]) == 2
    err = capsys.readouterr().err
    assert "matplotlib" in err
    assert "pip install 'l2gpu[plot]'" in err


def test_plot_of_nothing_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="no figures"):
        bench.plot([], tmp_path / "bench.png")
