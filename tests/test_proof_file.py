"""Proof files: round trips, a strict parser, and no changed byte ever accepted."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import l2gpu
from l2gpu import Proof, ProofFormatError, VerificationError
from l2gpu.field import P
from l2gpu.proof import MAGIC, MAX_HEADER, PROTOCOL, VERSION

PREFIX = struct.Struct("<8sHI")
SEAL_SAMPLE = 300  # seal bytes flipped (each twice); every flip costs a verification


@pytest.fixture(scope="module")
def proof() -> Proof:
    return l2gpu.prove("fibonacci", n=10)


@pytest.fixture(scope="module")
def data(proof) -> bytes:
    return proof.to_bytes()


def split(data: bytes) -> tuple[dict, bytes]:
    """(header dict, seal bytes) of a well-formed file."""
    _, _, header_len = PREFIX.unpack_from(data)
    header = json.loads(data[PREFIX.size : PREFIX.size + header_len])
    return header, data[PREFIX.size + header_len :]


def assemble(header: dict | bytes, seal: bytes, *, magic=MAGIC, version=VERSION) -> bytes:
    raw = header if isinstance(header, bytes) else canonical(header)
    return PREFIX.pack(magic, version, len(raw)) + raw + seal


def canonical(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def assert_same(a: Proof, b: Proof) -> None:
    assert a.program == b.program
    assert a.public_inputs == b.public_inputs
    assert a.public_outputs == b.public_outputs
    assert a.po2 == b.po2
    assert a.hash_suite == b.hash_suite
    assert a.protocol == b.protocol
    assert a.seal.dtype == b.seal.dtype == np.uint32
    assert a.seal.tobytes() == b.seal.tobytes()


# -- round trips -----------------------------------------------------------------


def test_layout(proof, data):
    magic, version, header_len = PREFIX.unpack_from(data)
    assert (magic, version) == (b"L2GPUPRF", 1)
    header, seal = split(data)
    assert data[PREFIX.size : PREFIX.size + header_len] == canonical(header)
    assert header == {
        "program": "fibonacci",
        "public_inputs": {"n": 10},
        "public_outputs": {"fib_n": 55},
        "po2": 4,
        "hash_suite": "poseidon2",
        "protocol": PROTOCOL,
        "seal_words": int(proof.seal.size),
    }
    assert seal == proof.seal.astype("<u4").tobytes()
    assert len(data) == PREFIX.size + header_len + 4 * proof.seal.size


def test_bytes_round_trip(proof, data):
    back = Proof.from_bytes(data)
    assert_same(back, proof)
    assert back.to_bytes() == data
    assert Proof.from_bytes(bytearray(data)).to_bytes() == data
    assert Proof.from_bytes(memoryview(data)).to_bytes() == data
    assert l2gpu.verify(back) is True


def test_save_load_round_trip(proof, data, tmp_path):
    path = tmp_path / "fib.l2p"
    proof.save(path)
    assert path.read_bytes() == data
    assert_same(Proof.load(path), proof)
    assert_same(Proof.load(str(path)), proof)
    assert os.listdir(tmp_path) == ["fib.l2p"]


def test_save_overwrites(proof, data, tmp_path):
    path = tmp_path / "fib.l2p"
    path.write_bytes(b"old contents")
    proof.save(str(path))
    assert path.read_bytes() == data
    assert os.listdir(tmp_path) == ["fib.l2p"]


def test_loaded_seal_is_writable_and_independent(data):
    a = Proof.from_bytes(data)
    a.seal[0] ^= 1  # from_bytes copies: this must not touch another parse
    assert Proof.from_bytes(data).seal.tobytes() != a.seal.tobytes()


def test_security_bits(proof):
    assert proof.security_bits == 100
    assert Proof.from_bytes(proof.to_bytes()).security_bits == 100
    assert l2gpu.stark.security_bits() == 100


# -- every byte --------------------------------------------------------------------


def _outcome(data: bytes) -> str:
    """'format', 'rejected', 'ACCEPTED' or the name of an unexpected exception."""
    try:
        proof = Proof.from_bytes(data)
    except ProofFormatError as exc:
        assert str(exc)
        return "format"
    except Exception as exc:
        return f"{type(exc).__name__} at parse: {exc}"
    try:
        l2gpu.verify(proof)
    except VerificationError:
        return "rejected"
    except Exception as exc:
        return f"{type(exc).__name__} at verify: {exc}"
    return "ACCEPTED"


def _flip_all(data: bytes, positions) -> tuple[dict[str, int], list[str]]:
    seen: dict[str, int] = {}
    bad = []
    for i in positions:
        for mask in (0x01, 0xFF):
            changed = bytearray(data)
            changed[i] ^= mask
            result = _outcome(bytes(changed))
            seen[result] = seen.get(result, 0) + 1
            if result not in ("format", "rejected"):
                bad.append(f"byte {i} ^ {mask:#04x}: {result}")
    return seen, bad


def test_every_header_byte_flip_is_caught(data):
    _, _, header_len = PREFIX.unpack_from(data)
    seen, bad = _flip_all(data, range(PREFIX.size + header_len))
    assert not bad, "\n".join(bad)
    # Some flips still parse (a digit of n, fib_n or po2) and are rejected by the verifier.
    assert seen["format"] > 0 and seen["rejected"] > 0


def test_sampled_seal_byte_flips_are_rejected(data):
    _, _, header_len = PREFIX.unpack_from(data)
    start = PREFIX.size + header_len
    rng = np.random.default_rng(1234)
    sample = rng.choice(np.arange(start, len(data)), size=SEAL_SAMPLE - 2, replace=False)
    positions = sorted({start, len(data) - 1, *(int(i) for i in sample)})
    seen, bad = _flip_all(data, positions)
    assert not bad, "\n".join(bad)
    assert set(seen) == {"rejected"}  # the seal is not parsed, only verified


# -- the strict parser -----------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 5, 13, 14, 20, 100, -4, -1])
def test_truncated_file(data, length):
    cut = data[:length]
    with pytest.raises(ProofFormatError) as info:
        Proof.from_bytes(cut)
    assert str(info.value)


def test_truncation_messages(data):
    with pytest.raises(ProofFormatError, match="too short"):
        Proof.from_bytes(data[:5])
    with pytest.raises(ProofFormatError, match="header length runs past"):
        Proof.from_bytes(data[:40])
    with pytest.raises(ProofFormatError, match="announces"):
        Proof.from_bytes(data[:-1])
    with pytest.raises(ProofFormatError, match="announces"):
        Proof.from_bytes(data + b"\0\0\0\0")


def test_bad_magic(data):
    with pytest.raises(ProofFormatError, match="bad magic"):
        Proof.from_bytes(b"L2GPUPRG" + data[8:])


@pytest.mark.parametrize("version", [0, 2, 0xFFFF])
def test_unsupported_version(data, version):
    header, seal = split(data)
    with pytest.raises(ProofFormatError, match=f"version {version}"):
        Proof.from_bytes(assemble(header, seal, version=version))


@pytest.mark.parametrize(
    "encode",
    [
        lambda h: json.dumps(h, sort_keys=True).encode(),  # with spaces
        lambda h: json.dumps(h, separators=(",", ":")).encode(),  # unsorted keys
        lambda h: canonical(h) + b" ",
        lambda h: b" " + canonical(h),
        lambda h: json.dumps(h, sort_keys=True, separators=(",", ":"), indent=1).encode(),
        lambda h: canonical(h).replace(b'"n":10', b'"n":1e1'),
        lambda h: canonical(h).replace(b'"n":10', b'"n":10.0'),
        lambda h: canonical(h).replace(b'"po2":4', b'"po2":04'),
    ],
    ids=["spaces", "unsorted", "trailing", "leading", "indent", "exp", "float", "zero"],
)
def test_non_canonical_header(data, encode):
    header, seal = split(data)
    header = dict(reversed(list(header.items())))  # unsorted unless the encoder sorts
    raw = encode(header)
    assert raw != canonical(header)
    with pytest.raises(ProofFormatError) as info:
        Proof.from_bytes(assemble(raw, seal))
    assert str(info.value)


def test_non_canonical_message(data):
    header, seal = split(data)
    with pytest.raises(ProofFormatError, match="canonical"):
        Proof.from_bytes(assemble(json.dumps(header, sort_keys=True).encode(), seal))


def test_unknown_key(data):
    header, seal = split(data)
    header["comment"] = "hi"
    with pytest.raises(ProofFormatError, match="exactly the keys"):
        Proof.from_bytes(assemble(header, seal))


@pytest.mark.parametrize(
    "key",
    ["program", "public_inputs", "public_outputs", "po2", "hash_suite", "protocol", "seal_words"],
)
def test_missing_key(data, key):
    header, seal = split(data)
    del header[key]
    with pytest.raises(ProofFormatError, match="exactly the keys"):
        Proof.from_bytes(assemble(header, seal))


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("program", 3, "program must be a string"),
        ("public_inputs", {"n": "10"}, "public_inputs must map"),
        ("public_inputs", {"n": True}, "public_inputs must map"),
        ("public_inputs", [10], "public_inputs must map"),
        ("public_outputs", {"fib_n": 55.0}, "public_outputs must map"),
        ("public_outputs", {"fib_n": None}, "public_outputs must map"),
        ("po2", 0, "po2 out of range"),
        ("po2", 28, "po2 out of range"),
        ("po2", "4", "po2 out of range"),
        ("po2", True, "po2 out of range"),
        ("hash_suite", "md5", "unknown hash suite"),
        ("protocol", dict(PROTOCOL, queries=49), "protocol"),
        ("protocol", dict(PROTOCOL, extra=1), "protocol"),
        ("seal_words", -1, "seal_words"),
        ("seal_words", "3234", "seal_words"),
        ("seal_words", 3233, "announces"),
    ],
)
def test_bad_header_values(data, key, value, match):
    header, seal = split(data)
    header[key] = value
    with pytest.raises(ProofFormatError, match=match):
        Proof.from_bytes(assemble(header, seal))


@pytest.mark.parametrize(
    "raw", [b"", b"[]", b"null", b"{", b"\xff\xfe", b'"text"', b"{}"], ids=repr
)
def test_header_not_an_object(data, raw):
    _, seal = split(data)
    with pytest.raises(ProofFormatError):
        Proof.from_bytes(assemble(raw, seal))


def test_header_too_long(data):
    _, seal = split(data)
    raw = PREFIX.pack(MAGIC, VERSION, MAX_HEADER + 1) + b" " * (MAX_HEADER + 1) + seal
    with pytest.raises(ProofFormatError, match="header length"):
        Proof.from_bytes(raw)


def test_format_error_is_a_value_error():
    assert issubclass(ProofFormatError, ValueError)
    assert not issubclass(ProofFormatError, VerificationError)


def test_parsed_but_wrong_statement_is_rejected_by_verify(data):
    header, seal = split(data)
    for key, value in [
        ("public_outputs", {"fib_n": 56}),
        ("public_inputs", {"n": 11}),
        ("public_inputs", {"n": P}),
        ("program", "hello"),
        ("program", "nosuch"),
        ("po2", 5),
        ("hash_suite", "sha-256"),
    ]:
        forged = dict(header, **{key: value})
        proof = Proof.from_bytes(assemble(forged, seal))  # well-formed …
        with pytest.raises(VerificationError):  # … but not proven
            l2gpu.verify(proof)


def test_seal_word_not_a_field_element(data):
    header, seal = split(data)
    words = np.frombuffer(seal, dtype="<u4").copy()
    words[7] = P
    proof = Proof.from_bytes(assemble(header, words.tobytes()))
    with pytest.raises(VerificationError, match="not a field element"):
        l2gpu.verify(proof)


# -- atomic save -----------------------------------------------------------------


def _boom(*args, **kwargs):
    raise OSError("disk full (simulated)")


@pytest.mark.parametrize("existing", [None, b"old contents"])
def test_save_is_atomic_when_replace_fails(proof, tmp_path, monkeypatch, existing):
    path = tmp_path / "fib.l2p"
    if existing is not None:
        path.write_bytes(existing)
    monkeypatch.setattr(os, "replace", _boom)
    with pytest.raises(OSError, match="simulated"):
        proof.save(path)
    monkeypatch.undo()
    if existing is None:
        assert not path.exists()
        assert os.listdir(tmp_path) == []
    else:
        assert path.read_bytes() == existing
        assert os.listdir(tmp_path) == ["fib.l2p"]


@pytest.mark.parametrize("existing", [None, b"old contents"])
def test_save_is_atomic_when_serialisation_fails(proof, tmp_path, monkeypatch, existing):
    path = tmp_path / "fib.l2p"
    if existing is not None:
        path.write_bytes(existing)
    monkeypatch.setattr(Proof, "to_bytes", _boom)
    with pytest.raises(OSError, match="simulated"):
        proof.save(path)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ([] if existing is None else ["fib.l2p"])
    if existing is not None:
        assert path.read_bytes() == existing


def test_save_is_atomic_on_interrupt(proof, tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        proof.save(tmp_path / "fib.l2p")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_save_into_missing_directory(proof, tmp_path):
    with pytest.raises(OSError):
        proof.save(tmp_path / "no" / "such" / "fib.l2p")
    assert os.listdir(tmp_path) == []


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Proof.load(tmp_path / "nothing.l2p")


def test_load_relative_path(proof, data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    proof.save("rel.l2p")
    assert Path("rel.l2p").read_bytes() == data
    assert_same(Proof.load("rel.l2p"), proof)


# -- parser edge cases -------------------------------------------------------------


def test_deeply_nested_header(data):
    _, seal = split(data)
    with pytest.raises(ProofFormatError):
        Proof.from_bytes(assemble(b"[" * 5000 + b"]" * 5000, seal))


def test_header_integer_with_too_many_digits(data):
    header, seal = split(data)
    raw = canonical(header).replace(b'"n":10', b'"n":' + b"9" * 5000)
    with pytest.raises(ProofFormatError):
        Proof.from_bytes(assemble(raw, seal))


def test_protocol_with_float_values_is_not_canonical(data):
    header, seal = split(data)
    header["protocol"] = dict(PROTOCOL, inv_rate=4.0, queries=50.0)
    with pytest.raises(ProofFormatError):
        Proof.from_bytes(assemble(header, seal))
