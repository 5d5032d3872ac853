"""The command line's prove / verify / verify-risc0: exit codes and what they print."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest

from l2gpu import Proof, cli
from l2gpu.field import P

RISC0_SEAL = Path(__file__).parent / "data" / "risc0_hello_m3" / "proof.bin"
FIB_100 = 354224848179261915075 % P


@pytest.fixture(scope="module")
def proof_file(tmp_path_factory) -> Path:
    """A proof of fib(100) written by ``l2gpu prove`` (checked in the first test)."""
    path = tmp_path_factory.mktemp("cli") / "fib100.l2p"
    assert cli.main(["prove", "fibonacci", "--n", "100", "-o", str(path)]) == 0
    return path


def no_traceback(captured) -> None:
    assert "Traceback" not in captured.out and "Traceback" not in captured.err


def test_prove_prints_the_summary(tmp_path, capsys):
    path = tmp_path / "fib.l2p"
    args = ["prove", "fibonacci", "--n", "100", "-o", str(path), "--backend", "numpy"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"fib(100) mod P = {FIB_100}" in out
    assert "steps: 102" in out
    assert "rows: 2^7 = 128" in out
    assert re.search(r"prove time: \d+\.\d{3} s on numpy", out)
    size = path.stat().st_size
    assert f"({size:,} bytes, 100 bits conjectured)" in out
    proof = Proof.load(path)
    assert proof.public_outputs == {"fib_n": FIB_100}
    assert proof.public_inputs == {"n": 100}
    assert proof.po2 == 7


def test_verify_valid(proof_file, capsys):
    assert cli.main(["verify", str(proof_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID: fibonacci(n=100) -> fib_n=")
    assert str(FIB_100) in out and "2^7 rows" in out


@pytest.mark.parametrize("word", [0, -1, 1000])
def test_verify_corrupted_seal(proof_file, tmp_path, capsys, word):
    data = bytearray(proof_file.read_bytes())
    proof = Proof.from_bytes(bytes(data))
    offset = len(data) - 4 * proof.seal.size + 4 * (word % proof.seal.size)
    old = int.from_bytes(data[offset : offset + 4], "little")
    data[offset : offset + 4] = ((old + 1) % P).to_bytes(4, "little")
    bad = tmp_path / "bad.l2p"
    bad.write_bytes(bytes(data))
    assert cli.main(["verify", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("REJECTED: ")
    assert len(captured.out.strip()) > len("REJECTED:")
    no_traceback(captured)


def test_verify_wrong_statement(proof_file, tmp_path, capsys):
    forged = tmp_path / "forged.l2p"
    dataclasses.replace(Proof.load(proof_file), public_outputs={"fib_n": 1}).save(forged)
    assert cli.main(["verify", str(forged)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("REJECTED: ") and "public values" in captured.out


def test_verify_missing_file(tmp_path, capsys):
    missing = tmp_path / "nothing.l2p"
    assert cli.main(["verify", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"cannot read {missing}" in captured.err
    no_traceback(captured)


def test_verify_directory(tmp_path, capsys):
    assert cli.main(["verify", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "cannot read" in captured.err
    no_traceback(captured)


@pytest.mark.parametrize("keep", [0, 5, 100, -1])
def test_verify_truncated_file(proof_file, tmp_path, capsys, keep):
    cut = tmp_path / "cut.l2p"
    cut.write_bytes(proof_file.read_bytes()[:keep])
    assert cli.main(["verify", str(cut)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is not a valid proof file: " in captured.err
    no_traceback(captured)


def test_verify_not_a_proof(tmp_path, capsys):
    junk = tmp_path / "junk.l2p"
    junk.write_bytes(b"hello world, this is not a proof file at all")
    assert cli.main(["verify", str(junk)]) == 2
    captured = capsys.readouterr()
    assert "bad magic" in captured.err
    no_traceback(captured)


def test_verify_risc0_seal(capsys):
    assert cli.main(["verify-risc0", str(RISC0_SEAL), "--circuit", "hello-m3", "--po2", "12"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID: RISC Zero hello-m3 seal, po2 12 (91,720 bytes")


@pytest.mark.parametrize("po2", ["11", "13"])
def test_verify_risc0_wrong_po2(capsys, po2):
    assert cli.main(["verify-risc0", str(RISC0_SEAL), "--po2", po2]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("REJECTED: ")
    no_traceback(captured)


def test_verify_risc0_changed_word(tmp_path, capsys):
    words = np.fromfile(RISC0_SEAL, dtype="<u4").copy()
    words[1100] = (int(words[1100]) + 1) % P  # the FRI round's Merkle top
    bad = tmp_path / "bad.bin"
    bad.write_bytes(words.tobytes())
    assert cli.main(["verify-risc0", str(bad)]) == 1
    assert capsys.readouterr().out.startswith("REJECTED: ")


def test_verify_risc0_odd_length(tmp_path, capsys):
    bad = tmp_path / "odd.bin"
    bad.write_bytes(RISC0_SEAL.read_bytes()[:-1])
    assert cli.main(["verify-risc0", str(bad)]) == 1
    assert "whole u32 words" in capsys.readouterr().out


def test_verify_risc0_missing_file(tmp_path, capsys):
    assert cli.main(["verify-risc0", str(tmp_path / "nothing.bin")]) == 2
    captured = capsys.readouterr()
    assert "cannot read" in captured.err
    no_traceback(captured)


def test_verify_risc0_unknown_circuit(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["verify-risc0", str(RISC0_SEAL), "--circuit", "nosuch"])
    assert info.value.code == 2


def test_prove_unknown_backend(tmp_path, capsys):
    path = tmp_path / "fib.l2p"
    args = ["prove", "fibonacci", "--n", "10", "-o", str(path), "--backend", "nosuch"]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert "nosuch" in captured.err
    no_traceback(captured)
    assert not path.exists()


def test_prove_n_too_large(tmp_path, capsys):
    path = tmp_path / "fib.l2p"
    assert cli.main(["prove", "fibonacci", "--n", str(2**24), "-o", str(path)]) == 2
    captured = capsys.readouterr()
    assert "2^24" in captured.err
    no_traceback(captured)
    assert not path.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["prove", "fibonacci", "--n", "0", "-o", "x.l2p"],
        ["prove", "fibonacci", "--n", "ten", "-o", "x.l2p"],
        ["prove", "fibonacci", "--n", "10"],
        ["prove", "hello", "--n", "10", "-o", "x.l2p"],
        ["verify"],
    ],
)
def test_prove_bad_usage(tmp_path, monkeypatch, capsys, args):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err
    assert not (tmp_path / "x.l2p").exists()


def test_prove_unwritable_output(tmp_path, capsys):
    """An output path in a missing directory: exit 2 with a message, no partial file."""
    target = tmp_path / "no" / "such" / "fib.l2p"
    try:
        assert cli.main(["prove", "fibonacci", "--n", "10", "-o", str(target)]) == 2
        captured = capsys.readouterr()
        assert "fib.l2p" in captured.err
        no_traceback(captured)
    finally:
        assert not target.parent.exists()


def test_verify_deeply_nested_header(tmp_path, capsys):
    raw = b"[" * 5000 + b"]" * 5000
    bad = tmp_path / "deep.l2p"
    bad.write_bytes(b"L2GPUPRF" + (1).to_bytes(2, "little") + len(raw).to_bytes(4, "little") + raw)
    assert cli.main(["verify", str(bad)]) == 2
    captured = capsys.readouterr()
    assert "not a valid proof file" in captured.err
    no_traceback(captured)
