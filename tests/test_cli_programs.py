"""``l2gpu prove`` for sha256, merkle, range and signature: proofs that verify, and
usage errors that say what is missing."""

from __future__ import annotations

import hashlib
import json

import pytest

from l2gpu import Proof, cli, merkle
from l2gpu.programs import signature as sg
from l2gpu.programs.sha256 import digest_hex


def prove(tmp_path, capsys, *args: str) -> tuple[Proof, str]:
    path = tmp_path / "p.l2p"
    assert cli.main(["prove", *args, "-o", str(path), "--backend", "numpy"]) == 0
    out = capsys.readouterr().out
    assert cli.main(["verify", str(path)]) == 0
    assert capsys.readouterr().out.startswith("VALID: ")
    return Proof.load(path), out


@pytest.mark.parametrize(("args", "text"), [(["--message-hex", "616263"], b"abc"),
                                            (["--message", ""], b"")])  # fmt: skip
def test_prove_sha256(tmp_path, capsys, args, text):
    proof, out = prove(tmp_path, capsys, "sha256", *args)
    digest = hashlib.sha256(text).hexdigest()
    assert digest_hex(proof.public_outputs) == digest
    assert f"sha256 of a private {len(text)}-byte message = {digest}" in out
    assert "steps: 64 (64 rounds per block)  rows: 2^7 = 128" in out


def test_prove_merkle_random_path(tmp_path, capsys):
    proof, out = prove(tmp_path, capsys, "merkle", "--depth", "6", "--seed", "3", "--reveal-index")
    assert proof.public_inputs["depth"] == 6 and proof.public_inputs["reveal_index"] == 1
    assert f"index {proof.public_inputs['index']}" in out and "steps: 7 (permutations)" in out


def test_prove_merkle_witness_file(tmp_path, capsys, field):
    matrix = field((8, 4))
    tree = merkle.commit(matrix, "poseidon2", backend="numpy")
    layers = [tree.backend.to_numpy(layer) for layer in tree.layers]
    witness = {
        "leaf": matrix[5].tolist(),
        "path": [layers[level][:, (5 >> level) ^ 1].tolist() for level in range(3)],
        "index": 5,
    }
    file = tmp_path / "witness.json"
    file.write_text(json.dumps(witness))
    proof, out = prove(tmp_path, capsys, "merkle", "--witness", str(file))
    assert [proof.public_inputs[f"root{k}"] for k in range(8)] == tree.root.tolist()
    assert "index private" in out


def test_prove_range(tmp_path, capsys):
    proof, out = prove(tmp_path, capsys, "range", "--values", "0,255,17", "--bits", "8")
    assert proof.public_inputs == {"count": 3, "lo": 0, "hi": 255}
    assert "3 private values in [0, 255]" in out
    proof, out = prove(tmp_path, capsys, "range", "--count", "40", "--lo", "7", "--hi", "9")
    assert proof.public_inputs == {"count": 40, "lo": 7, "hi": 9}


def test_prove_signature(tmp_path, capsys):
    proof, out = prove(tmp_path, capsys, "signature", "--count", "1", "--seed", "4")
    inputs = sg.demo(1, 4)
    statement = sg.statement_digest(inputs["keys"], inputs["messages"])
    assert [proof.public_inputs[k] for k in sg.STATEMENT] == statement
    assert "1 Lamport+ signatures over Poseidon2 verify" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fibonacci"], "needs --n"),
        (["sha256"], "needs --message-hex"),
        (["sha256", "--message-hex", "abc"], "not hex"),
        (["merkle"], "needs --depth or --witness"),
        (["merkle", "--depth", "33"], "[0, 32]"),
        (["merkle", "--witness", "/nonexistent.json"], "cannot read"),
        (["range", "--values", "1"], "--bits"),
        (["range", "--bits", "4"], "--values or --count"),
        (["range", "--values", "1,x", "--bits", "4"], "integers"),
        (["range", "--values", "16", "--bits", "4"], "outside"),
        (["signature"], "needs --count"),
    ],
)
def test_prove_usage_errors(tmp_path, capsys, args, message):
    path = tmp_path / "x.l2p"
    assert cli.main(["prove", *args, "-o", str(path)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert not path.exists()


def test_prove_merkle_bad_witness_file(tmp_path, capsys):
    file = tmp_path / "w.json"
    for text in ("[1, 2]", '{"leaf": [1], "path": [], "index": 0, "extra": 1}', "{"):
        file.write_text(text)
        assert cli.main(["prove", "merkle", "--witness", str(file), "-o", "x.l2p"]) == 2
        assert "Traceback" not in capsys.readouterr().err
