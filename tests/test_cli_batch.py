"""``l2gpu prove-batch``: a JSON Lines file in, a proof file per statement out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import l2gpu
from l2gpu import Proof, cli

LINES = [
    {"program": "fibonacci", "inputs": {"n": 10}, "name": "fib10"},
    {"program": "hello", "inputs": {"po2": 5}},
    {"program": "fibonacci", "inputs": {"n": 100}},
]


def write_jsonl(path: Path, items: list[object]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n\n" for item in items))  # blank lines skipped
    return path


@pytest.mark.parametrize("mode", [[], ["--parallel", "2"]])
def test_proves_every_line(tmp_path, capsys, mode):
    src = write_jsonl(tmp_path / "in.jsonl", LINES)
    out = tmp_path / "proofs"
    assert cli.main(["prove-batch", str(src), "-o", str(out), "--backend", "numpy", *mode]) == 0
    text = capsys.readouterr().out
    assert "proved 3 of 3 statements" in text
    assert ("on 2 processes" if mode else "batched") in text
    assert "ok     fib10: fibonacci(n=10) -> {fib_n=55}  [2^4 rows]" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["0003-hello.l2p", "0005-fibonacci.l2p", "fib10.l2p"]
    expected = l2gpu.prove("fibonacci", n=100, backend="numpy")
    assert Proof.load(out / "0005-fibonacci.l2p") == expected
    assert all(l2gpu.verify(Proof.load(p)) for p in out.iterdir())


def test_a_failed_statement_exits_1_and_the_others_are_written(tmp_path, capsys):
    items = [*LINES[:1], {"program": "fibonacci", "inputs": {"n": 0}, "name": "zero"}]
    src = write_jsonl(tmp_path / "in.jsonl", items)
    out = tmp_path / "proofs"
    args = ["prove-batch", str(src), "-o", str(out), "--backend", "numpy", "--suite", "sha-256"]
    assert cli.main(args) == 1
    text = capsys.readouterr().out
    assert "FAILED zero: ValueError: n must be a positive integer, got 0" in text
    assert "proved 1 of 2 statements" in text
    assert [p.name for p in out.iterdir()] == ["fib10.l2p"]
    assert Proof.load(out / "fib10.l2p").hash_suite == "sha-256"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", ":1: Expecting value"),
        ("[1, 2]\n", ":1: each line must be an object"),
        ('{"program": "fibonacci", "inputs": 5}\n', ":1: each line must be an object"),
        ('{"program": "fibonacci", "n": 5}\n', ":1: a request is"),
        ('\n{"program": "hello", "name": "../x"}\n', ":2: name must be letters"),
        ('{"program": "hello", "name": "a"}\n{"program": "hello", "name": "a"}\n', "used twice"),
    ],
)
def test_a_malformed_file_exits_2(tmp_path, capsys, content, message):
    src = tmp_path / "in.jsonl"
    src.write_text(content)
    assert cli.main(["prove-batch", str(src), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_missing_file_and_exclusive_modes(tmp_path, capsys):
    assert cli.main(["prove-batch", str(tmp_path / "none.jsonl"), "-o", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["prove-batch", "f", "-o", "d", "--parallel", "2", "--dask", "tcp://x:1"])
    assert exit_.value.code == 2
