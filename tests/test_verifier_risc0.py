"""RISC Zero's own hello-m3 seal (po2 12): it verifies, and any change to it is rejected.

The seal's layout (``meta.json``'s ``layout_words``), in u32 words:

=======================  =====  ===================================================
3 group Merkle tops        768  32 digests × 8 words per group (accum, code, data)
check Merkle top           256
coeff_u                     76  (3 taps + 16 check columns) Fp4 × 4
FRI round Merkle top       256  one round: 4096 → 256 rows
final FRI coefficients    1024
50 queries' openings     20550  per query: 3 × (1 value + 9 siblings × 8),
                                check (16 values + 9 × 8), FRI (64 values + 5 × 8)
=======================  =====  ===================================================
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from l2gpu import VerificationError, cli, programs, risc0, stark
from l2gpu.field import Fp4, P
from l2gpu.programs import hello
from l2gpu.stark.circuit import ScalarOps

DATA = Path(__file__).parent / "data" / "risc0_hello_m3"
PO2 = 12

# -- the layout ------------------------------------------------------------------

GROUP_TOPS = 0
CHECK_TOP = GROUP_TOPS + 3 * 32 * 8
COEFF_U = CHECK_TOP + 32 * 8
FRI_TOP = COEFF_U + (3 + 16) * 4
FINAL = FRI_TOP + 32 * 8
QUERIES = FINAL + 4 * 256
GROUP_OPENING = 1 + 9 * 8  # one column and 9 sibling digests
CHECK_OPENING = 16 + 9 * 8
FRI_OPENING = 64 + 5 * 8
QUERY = 3 * GROUP_OPENING + CHECK_OPENING + FRI_OPENING
TOTAL = QUERIES + 50 * QUERY
Q0_CHECK = QUERIES + 3 * GROUP_OPENING
Q0_FRI = Q0_CHECK + CHECK_OPENING

# name → (first word, word count)
REGIONS = {
    "group-top-accum": (GROUP_TOPS, 256),
    "group-top-code": (GROUP_TOPS + 256, 256),
    "group-top-data": (GROUP_TOPS + 512, 256),
    "check-top": (CHECK_TOP, 256),
    "coeff-u": (COEFF_U, 76),
    "fri-round-top": (FRI_TOP, 256),
    "final-fri-coeffs": (FINAL, 1024),
    "q0-accum-row": (QUERIES, 1),
    "q0-code-row": (QUERIES + GROUP_OPENING, 1),
    "q0-data-row": (QUERIES + 2 * GROUP_OPENING, 1),
    "q0-data-siblings": (QUERIES + 2 * GROUP_OPENING + 1, 72),
    "q0-check-row": (Q0_CHECK, 16),
    "q0-check-siblings": (Q0_CHECK + 16, 72),
    "q0-fri-row": (Q0_FRI, 64),
    "q0-fri-siblings": (Q0_FRI + 64, 40),
    "q49-opening": (QUERIES + 49 * QUERY, QUERY),
    "last-word": (TOTAL - 1, 1),
}
OFFSETS_PER_REGION = 3


def _tamper_cases():
    cases = []
    for name, (start, length) in REGIONS.items():
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        count = min(OFFSETS_PER_REGION, length)
        for off in sorted(int(o) for o in rng.choice(length, size=count, replace=False)):
            word = start + off
            cases.append(pytest.param(word, "plus1", 0, id=f"{name}-w{word}-plus1"))
            bit = int(rng.integers(0, 32))
            cases.append(pytest.param(word, "xor", bit, id=f"{name}-w{word}-xor{bit}"))
    return cases


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads((DATA / "meta.json").read_text())


@pytest.fixture(scope="module")
def seal_bytes() -> bytes:
    return (DATA / "proof.bin").read_bytes()


@pytest.fixture
def words(seal_bytes) -> np.ndarray:
    """A fresh, writable copy of the seal's words."""
    return np.frombuffer(seal_bytes, dtype="<u4").astype(np.uint32)


def as_bytes(words: np.ndarray) -> bytes:
    return np.asarray(words, dtype="<u4").tobytes()


def rejected(words: np.ndarray, po2: int = PO2) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        risc0.verify_seal(as_bytes(words), "hello-m3", po2)
    assert str(info.value)  # it says why
    return info.value


# -- the real seal ---------------------------------------------------------------


def test_layout_matches_the_file_and_meta(meta, seal_bytes):
    assert TOTAL == 22930 == meta["layout_words"]["total"]
    assert len(seal_bytes) == 4 * TOTAL == meta["bytes"]
    assert meta["po2"] == PO2 and meta["hash_suite"] == "poseidon2"


def test_real_seal_verifies(seal_bytes):
    result = risc0.verify_seal(seal_bytes, "hello-m3", PO2)
    assert result.globals == ((), (), ())
    assert len(result.roots) == 3
    assert all(len(r) == 8 and all(0 <= w < P for w in r) for r in result.roots)
    # accum and code are all-zero columns, so RISC Zero's roots for them are the
    # control root l2gpu computes for hello's code group; data differs.
    zero_root = programs.get("hello").control_root(PO2)
    assert result.roots[0] == result.roots[1] == zero_root
    assert result.roots[2] != zero_root


def test_real_seal_verifies_through_stark_verify(words):
    seen = []
    result = stark.verify(hello.CIRCUIT, words, PO2, suite="poseidon2", check_roots=seen.append)
    assert seen == [result.roots]


def test_check_roots_can_reject(words):
    def reject(roots):
        raise VerificationError("not the expected control root")

    with pytest.raises(VerificationError, match="not the expected control root"):
        stark.verify(hello.CIRCUIT, words, PO2, check_roots=reject)


def test_real_seal_verifies_through_the_cli(capsys):
    assert cli.main(["verify-risc0", str(DATA / "proof.bin"), "--circuit", "hello-m3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID") and "po2 12" in out


# -- every region, every kind of change ------------------------------------------


@pytest.mark.parametrize(("word", "kind", "bit"), _tamper_cases())
def test_changed_word_is_rejected(words, word, kind, bit):
    old = int(words[word])
    assert old < P  # every word of a Poseidon2 seal is a field element
    new = (old + 1) % P if kind == "plus1" else old ^ (1 << bit)
    assert new != old
    words[word] = new
    rejected(words)


@pytest.mark.parametrize("value", [P, 0xFFFFFFFF])
@pytest.mark.parametrize(
    "word",
    [GROUP_TOPS + 5, COEFF_U + 3, FINAL + 700, QUERIES, Q0_CHECK + 16, TOTAL - 1],
)
def test_word_not_a_field_element_is_rejected(words, word, value):
    words[word] = value
    message = str(rejected(words))
    assert "not a field element" in message


@pytest.mark.parametrize("keep", [TOTAL - 1, TOTAL // 2, 0])
def test_truncated_seal_is_rejected(words, keep):
    assert "truncated" in str(rejected(words[:keep]))


def test_extended_seal_is_rejected(words):
    assert "left over" in str(rejected(np.append(words, np.uint32(0))))


@pytest.mark.parametrize("po2", [11, 13])
def test_wrong_po2_is_rejected(words, po2):
    rejected(words, po2)


@pytest.mark.parametrize("po2", [0, 25, -1])
def test_po2_out_of_range_is_rejected(words, po2):
    rejected(words, po2)


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_odd_byte_length_is_rejected(seal_bytes, cut):
    with pytest.raises(VerificationError, match="whole u32 words"):
        risc0.verify_seal(seal_bytes[:-cut])
    with pytest.raises(VerificationError, match="whole u32 words"):
        risc0.verify_seal(seal_bytes + b"\0" * cut)


def test_empty_seal_is_rejected():
    with pytest.raises(VerificationError):
        risc0.verify_seal(b"")


def test_wrong_suite_is_rejected(seal_bytes):
    with pytest.raises(VerificationError):
        risc0.verify_seal(seal_bytes, "hello-m3", PO2, suite="sha-256")


def test_unknown_circuit_is_a_value_error(seal_bytes):
    with pytest.raises(ValueError, match="unknown RISC Zero circuit 'nosuch'") as info:
        risc0.verify_seal(seal_bytes, "nosuch", PO2)
    assert not isinstance(info.value, VerificationError)


def test_swapped_queries_are_rejected(words):
    """Two whole query openings exchanged: each is valid for its own position only."""
    q0 = words[QUERIES : QUERIES + QUERY].copy()
    words[QUERIES : QUERIES + QUERY] = words[QUERIES + QUERY : QUERIES + 2 * QUERY]
    words[QUERIES + QUERY : QUERIES + 2 * QUERY] = q0
    rejected(words)


# -- the circuit declaration matches RISC Zero's ---------------------------------


def test_hello_program_matches_risc0_steps(meta):
    steps = meta["circuit"]["poly_ext"]["steps"]
    theirs = stark.Program(steps=tuple(tuple(s) for s in steps), result=3)
    ours = hello.CIRCUIT.program
    rng = np.random.default_rng(2024)

    def rand() -> Fp4:
        return Fp4.of(int(v) for v in rng.integers(0, P, 4))

    for _ in range(25):
        u = [rand() for _ in range(hello.CIRCUIT.taps.num_taps + 1)]
        poly_mix = rand()
        got = ours.run(ScalarOps(poly_mix, u, [[], []]))
        assert got == theirs.run(ScalarOps(poly_mix, u, [[], []]))
        # … and both are accum + pm·code + pm²·data·(data − 1).
        accum, code, data = u[:3]
        assert got == accum + poly_mix * code + poly_mix * poly_mix * data * (data - 1)


def test_hello_taps_match_risc0(meta):
    circuit = meta["circuit"]
    taps = hello.CIRCUIT.taps
    fields = circuit["taps"]["fields"]
    assert fields[:4] == ["column_offset_in_group", "back_rows", "group_index", "combo_index"]
    ours = [(r.column, b, r.group, r.combo) for r in taps.registers for b in r.backs]
    assert ours == [tuple(row[:4]) for row in circuit["taps"]["rows"]]
    assert [b for combo in taps.combos for b in combo] == circuit["combo_taps"]
    assert list(taps.combo_begin) == circuit["combo_begin"]
    assert len(taps.combos) == circuit["combos_count"]
    assert taps.tot_combo_backs == circuit["tot_combo_backs"]


def test_hello_groups_match_risc0(meta):
    circuit = meta["circuit"]
    groups = hello.CIRCUIT.groups
    assert [g.name for g in groups] == circuit["groups"]
    assert [g.width for g in groups] == circuit["group_columns"]
    assert [g.mix_count for g in groups] == circuit["mix_count"]
    assert [g.global_count for g in groups] == circuit["global_count"]
    begin = [0]
    for g in groups:
        begin.append(begin[-1] + g.width)
    assert begin == circuit["group_begin"]
