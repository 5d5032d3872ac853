"""Signatures: many Lamport+ one-time signatures over Poseidon2, verified in one proof.

The scheme (Winternitz with ``w = 2``, i.e. Lamport with a checksum, as Winterfell's
"Lamport+"): a message is 4 field elements, signed as their 124 bits (31 per element,
least significant first) followed by 8 checksum bits, the binary count of the
message's zero bits — 132 slots. A secret key is 132 chain values of 4 elements; the
public values of the chains are ``c_i = F(sk_i)`` with ``F(x)`` the first 4 cells of
Poseidon2 (``risc0-w24``) on ``x`` followed by 20 zeros, and the public key is the
Poseidon2 row hash (``hash_elems``) of ``c_0 … c_131`` (8 digest words). A signature
gives, per slot, ``sk_i`` where the bit is 1 and ``c_i`` where it is 0; the verifier
recomputes every ``c_i`` and the key. Turning a 1 into a 0 is free, but raises the
zero count, which needs a checksum bit to go from 0 to 1 — an unknown preimage.
Security rests on the one-wayness of ``F`` (124-bit values) and the collision
resistance of the row hash; each key signs once.

What is proven: for the public ``count`` and ``statement`` digest, the prover knows
``count`` signatures that verify, signature ``i`` under public key ``pk_i`` on
message ``m_i``, where ``statement`` is the row hash of the records
``pk_i (8 words) ‖ m_i (4) ‖ 0 0 0 0`` in order (:func:`statement_digest`): whoever
holds the public keys and messages recomputes it. Private: the signatures.

Trace: one Poseidon2 permutation per row (:mod:`.poseidon2_air`), 166 rows per
signature — 33 groups of four slot rows (``F`` of the slot's value; the bit chooses
whether the chain value ``c`` is that output or the value itself) and an absorb row
(the key sponge takes the group's four ``c``), then a statement row (the statement
sponge takes ``pk ‖ m``: ``pk`` from the key sponge, ``m`` accumulated from the
message bits). Columns also carry the checksum balance (zero bits minus checksum,
0 at the statement row) and the flag ``act``, which falls at signature number
``count``, where the statement sponge's output must be the public digest. Slots past
``count`` hold a fixed dummy signature. Steps: signatures verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..field import MONT_R, P, to_mont
from ..hashing import get_suite, hash_rows, permute
from ..stark import ConstraintBuilder, Group, build_circuit
from . import poseidon2_air as p2
from .base import MAX_PO2, MIN_PO2, Execution, Program

MESSAGE_SIZE = 4  # field elements
LIMB_BITS = 31  # bits per message element (P < 2^31)
MESSAGE_BITS = MESSAGE_SIZE * LIMB_BITS  # 124
CHECK_BITS = 8  # the zero count, ≤ 124
SLOTS = MESSAGE_BITS + CHECK_BITS  # 132
CHAIN = 4  # elements of a chain value
PER_ABSORB = 16 // CHAIN  # chain values per key-sponge row
GROUP_ROWS = PER_ABSORB + 1
PERIOD = SLOTS // PER_ABSORB * GROUP_ROWS + 1  # 166 rows per signature
STMT_ROW = PERIOD - 1

# code columns
(SLOT, ABSORB, STMT, KEYSTART, LIMBSTART, WEIGHT, MSGSLOT, CWEIGHT, SIGSTART, STMT0, SIG,
 FIRST, LAST) = range(13)  # fmt: skip
CODE_WIDTH = 13
# data columns
IN = 0  # the permutation's 24 inputs
BIT, C, ACC, CHK, ACT = 24, 25, 29, 30, 31
GADGET = 32

STATEMENT = tuple(f"statement{k}" for k in range(8))
GROUPS = (Group("code", CODE_WIDTH), Group("data", GADGET + p2.COLUMNS, global_count=9))
# globals: count 0, statement words 1–8


def _slot_row(slot: int) -> int:
    """The offset in a signature's rows of slot ``slot``."""
    return slot // PER_ABSORB * GROUP_ROWS + slot % PER_ABSORB


def constraints(c: ConstraintBuilder) -> None:
    (slot, absorb, stmt, keystart, limbstart, weight, msgslot, cweight, sigstart, stmt0,
     sig, first, last) = (c.tap("code", k) for k in range(CODE_WIDTH))  # fmt: skip
    ins = [c.tap("data", IN + j) for j in range(p2.WIDTH)]
    bit, acc, chk, act = (c.tap("data", k) for k in (BIT, ACC, CHK, ACT))
    acc1, chk1, act1 = (c.tap("data", k, back=1) for k in (ACC, CHK, ACT))
    chain = [c.tap("data", C + j) for j in range(CHAIN)]
    count = c.public(0)
    not_first = 1 - first
    out = p2.constrain(c, "data", GADGET, ins)

    # Slot rows: F(value); the chain value is F(value) for a 1 bit, the value for a 0.
    for x in ins[CHAIN:]:
        c.assert_zero(slot * x)
    c.assert_zero(bit * (bit - 1))
    c.assert_zero((1 - slot) * bit)
    for j in range(CHAIN):
        c.assert_zero(slot * (chain[j] - bit * out[j] - (1 - bit) * ins[j]))
        c.assert_zero((1 - slot) * chain[j])
    # The message elements, bit by bit; the checksum balance, zero at the statement row.
    c.assert_zero(acc - (1 - limbstart) * acc1 - weight * bit)
    c.assert_zero(chk - (1 - sigstart) * chk1 - msgslot * (1 - bit) + cweight * bit)
    c.assert_zero(stmt * chk)

    # Absorb rows: the key sponge takes the group's four chain values.
    key_prev = p2.outputs(c, "data", GADGET, back=GROUP_ROWS)
    for k in range(PER_ABSORB):
        for j in range(CHAIN):
            value = c.tap("data", C + j, back=PER_ABSORB - k)
            c.assert_zero(absorb * (ins[CHAIN * k + j] - value))
    for j in range(8):
        c.assert_zero(absorb * (ins[16 + j] - (1 - keystart) * key_prev[16 + j]))

    # The statement row: the sponge takes pk (the key sponge's digest words) and m.
    above = p2.outputs(c, "data", GADGET, back=1)
    stmt_prev = p2.outputs(c, "data", GADGET, back=PERIOD)
    for j in range(8):
        c.assert_zero(stmt * (ins[j] - above[j] * MONT_R))
        c.assert_zero(stmt * (ins[16 + j] - (1 - stmt0) * stmt_prev[16 + j]))
    for k in range(MESSAGE_SIZE):
        done = STMT_ROW - _slot_row(LIMB_BITS * k + LIMB_BITS - 1)  # the element's last bit
        c.assert_zero(stmt * (ins[8 + k] - c.tap("data", ACC, back=done)))
    for x in ins[12:16]:
        c.assert_zero(stmt * x)

    # act: 1 for the first `count` signatures; where it falls, the statement digest.
    c.assert_zero(act * (act - 1))
    c.assert_zero(first * (act - 1))
    c.assert_zero(last * act)
    c.assert_zero((1 - sigstart) * (act - act1))
    c.assert_zero(not_first * sigstart * act * (1 - act1))
    fall = not_first * sigstart * (act1 - act)
    c.assert_zero(fall * (sig - count))
    for j in range(8):
        c.assert_zero(fall * (above[j] * MONT_R - c.public(1 + j)))


CIRCUIT = build_circuit("signature", GROUPS, constraints)


# -- the scheme, outside the circuit ---------------------------------------------------


def chain_values(values: np.ndarray) -> np.ndarray:
    """``F`` on each value of ``(..., 4)``: the first 4 cells of Poseidon2 of it and zeros."""
    values = np.asarray(values, dtype=np.uint32)
    states = np.zeros((*values.shape[:-1], p2.WIDTH), dtype=np.uint32)
    states[..., :CHAIN] = values
    return permute(states, backend="numpy")[..., :CHAIN]


def public_key(chain: np.ndarray) -> np.ndarray:
    """The key of the chain values ``c`` ``(132, 4)``: their row hash (8 words)."""
    return np.array(get_suite("poseidon2").hash_elems(chain.ravel()), dtype=np.uint32)


def keygen(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A secret key ``(132, 4)`` and its public key (8 words)."""
    secret = rng.integers(0, P, (SLOTS, CHAIN), dtype=np.uint32)
    return secret, public_key(chain_values(secret))


def message_bits(message: Sequence[int]) -> np.ndarray:
    """The 132 signed bits: 31 per element (least significant first), then the
    zero count in 8 bits."""
    m = [int(v) for v in message]
    if len(m) != MESSAGE_SIZE or not all(0 <= v < P for v in m):
        raise ValueError(f"a message is {MESSAGE_SIZE} field elements in [0, P)")
    bits = [(v >> i) & 1 for v in m for i in range(LIMB_BITS)]
    zeros = MESSAGE_BITS - sum(bits)
    return np.array(bits + [(zeros >> i) & 1 for i in range(CHECK_BITS)], dtype=np.uint32)


def sign(secret: np.ndarray, message: Sequence[int]) -> np.ndarray:
    """The signature ``(132, 4)`` of ``message`` under ``secret`` (use a key once)."""
    bits = message_bits(message)[:, None]
    return np.where(bits == 1, secret, chain_values(secret)).astype(np.uint32)


def _signature_chain(signature: np.ndarray, bits: np.ndarray) -> np.ndarray:
    return np.where(bits[:, None] == 1, chain_values(signature), signature).astype(np.uint32)


def verify_signature(key: Sequence[int], message: Sequence[int], signature: np.ndarray) -> bool:
    """Plain verification, outside any proof."""
    chain = _signature_chain(np.asarray(signature, np.uint32), message_bits(message))
    return public_key(chain).tolist() == [int(w) for w in key]


def statement_digest(keys: Sequence[Sequence[int]], messages: Sequence[Sequence[int]]) -> list:
    """The public digest of the keys and messages: the row hash of the records
    ``pk (8 words) ‖ m (4) ‖ 0 0 0 0``."""
    if len(keys) != len(messages):
        raise ValueError("one message per key")
    records = [[*(int(w) for w in k), *(int(v) for v in m), 0, 0, 0, 0]
               for k, m in zip(keys, messages, strict=True)]  # fmt: skip
    return list(get_suite("poseidon2").hash_elems([v for r in records for v in r]))


def _running(increments: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``increments`` restarting at each row where ``starts`` is set (row 0 is)."""
    total = np.cumsum(increments)
    begin = np.flatnonzero(starts)
    before = np.concatenate([[0], total[begin[1:] - 1]]) if begin.size else np.zeros(0)
    return total - np.repeat(before, np.diff(np.append(begin, total.size)))


def po2_for(count: int) -> int:
    """Rows for ``count`` signatures and the row below them."""
    return max(MIN_PO2, (PERIOD * count).bit_length())


class Signature(Program):
    """Many Lamport+ signatures over Poseidon2 verified at once (see the module doc)."""

    name = "signature"
    circuit = CIRCUIT
    input_names = ("count", *STATEMENT)

    def execute(
        self,
        *,
        keys: Sequence[Sequence[int]],
        messages: Sequence[Sequence[int]],
        signatures: Sequence[np.ndarray],
    ) -> Execution:
        """Verify each signature into the trace; refuse any that does not verify."""
        count = len(keys)
        if count < 1 or len(messages) != count or len(signatures) != count:
            raise ValueError("give at least one key, and one message and signature per key")
        po2 = po2_for(count)
        if po2 > MAX_PO2:
            raise ValueError(f"{count} signatures need 2^{po2} rows; at most 2^{MAX_PO2}")
        rows = 1 << po2
        total = -(-rows // PERIOD)  # signature slots in the trace, the last one cut
        dummy_message = [0] * MESSAGE_SIZE
        dummy = sign(np.zeros((SLOTS, CHAIN), np.uint32), dummy_message)
        sigs = np.empty((total, SLOTS, CHAIN), dtype=np.uint32)
        bits = np.empty((total, SLOTS), dtype=np.uint32)
        msgs = np.zeros((total, MESSAGE_SIZE), dtype=np.uint32)
        for i in range(total):
            message = messages[i] if i < count else dummy_message
            bits[i] = message_bits(message)
            msgs[i] = [int(v) for v in message]
            signature = np.asarray(signatures[i] if i < count else dummy, dtype=np.int64)
            if signature.shape != (SLOTS, CHAIN) or not ((signature >= 0) & (signature < P)).all():
                raise ValueError(f"signature {i} must be {SLOTS} by {CHAIN} field elements")
            sigs[i] = signature
        chain = np.where(bits[..., None] == 1, chain_values(sigs), sigs)
        data = np.zeros((GROUPS[1].width, total * PERIOD), dtype=np.uint32)
        offsets = np.array([_slot_row(s) for s in range(SLOTS)])
        slot_rows = (np.arange(total)[:, None] * PERIOD + offsets).ravel()
        data[IN : IN + CHAIN, slot_rows] = sigs.reshape(-1, CHAIN).T
        data[BIT, slot_rows] = bits.ravel()
        data[C : C + CHAIN, slot_rows] = chain.reshape(-1, CHAIN).T
        capacity = np.zeros((8, total), dtype=np.uint32)  # the key sponges, side by side
        for g in range(SLOTS // PER_ABSORB):
            absorb_rows = np.arange(total) * PERIOD + g * GROUP_ROWS + PER_ABSORB
            block = chain[:, PER_ABSORB * g : PER_ABSORB * (g + 1)].reshape(total, 16).T
            data[IN : IN + 16, absorb_rows] = block
            data[IN + 16 : IN + 24, absorb_rows] = capacity
            out = p2.witness(data[IN : IN + 24, absorb_rows])[1]
            capacity = out[16:]
        key_words = to_mont(out[:8].astype(np.uint64))  # (8, total)
        for i in range(count):
            if key_words[:, i].tolist() != [int(w) for w in keys[i]]:
                raise ValueError(f"signature {i} does not verify under its public key")
        stmt_rows = np.arange(total) * PERIOD + STMT_ROW
        data[IN : IN + 8, stmt_rows] = key_words
        data[IN + 8 : IN + 12, stmt_rows] = msgs.T
        cap = np.zeros(8, dtype=np.uint32)
        for i, row in enumerate(stmt_rows):  # the statement sponge, one signature at a time
            if row >= rows:
                break
            data[IN + 16 : IN + 24, row] = cap
            out_i = p2.witness(data[IN : IN + 24, row : row + 1])[1][:, 0]
            cap = out_i[16:]
            if i == count - 1:
                statement = to_mont(out_i[:8].astype(np.uint64))
        data = data[:, :rows]
        code = self.code(po2).astype(np.int64)
        b = data[BIT].astype(np.int64)
        data[ACC] = _running(code[WEIGHT] * b, code[LIMBSTART])
        balance = code[MSGSLOT] * (1 - b) - code[CWEIGHT] * b  # zero bits − checksum
        data[CHK] = _running(balance, code[SIGSTART]) % P
        data[ACT, : PERIOD * count] = 1
        data[GADGET:] = p2.witness(data[IN : IN + 24])[0]
        inputs = {"count": count, **{k: int(w) for k, w in zip(STATEMENT, statement, strict=True)}}
        return Execution(self.name, po2, (self.code(po2), data), inputs, {}, count)

    def code(self, po2: int) -> np.ndarray:
        rows = 1 << po2
        r = np.arange(rows)
        sig, offset = r // PERIOD, r % PERIOD
        group, pos = offset // GROUP_ROWS, offset % GROUP_ROWS
        is_slot = (offset < STMT_ROW) & (pos < PER_ABSORB)
        slot = group * PER_ABSORB + pos  # meaningful on slot rows
        message_slot = is_slot & (slot < MESSAGE_BITS)
        check_slot = is_slot & (slot >= MESSAGE_BITS)
        code = np.zeros((CODE_WIDTH, rows), dtype=np.uint32)
        code[SLOT] = is_slot
        code[ABSORB] = (offset < STMT_ROW) & (pos == PER_ABSORB)
        code[STMT] = offset == STMT_ROW
        code[KEYSTART] = offset == PER_ABSORB
        code[LIMBSTART] = message_slot & (slot % LIMB_BITS == 0)
        code[WEIGHT, message_slot] = 1 << (slot[message_slot] % LIMB_BITS)
        code[MSGSLOT] = message_slot
        code[CWEIGHT, check_slot] = 1 << (slot[check_slot] - MESSAGE_BITS)
        code[SIGSTART] = offset == 0
        code[STMT0] = r == STMT_ROW
        code[SIG] = sig
        code[FIRST, 0] = 1
        code[LAST, -1] = 1
        return code

    def public_values(
        self, public_inputs: Mapping[str, int], public_outputs: Mapping[str, int]
    ) -> list[int]:
        flat = super().public_values(public_inputs, public_outputs)
        if flat[0] < 1:
            raise ValueError(f"count must be at least 1, got {flat[0]}")
        return flat


def demo(count: int, seed: int = 0) -> dict:
    """``count`` fresh key pairs, random messages and their signatures: the inputs of
    :meth:`Signature.execute` (for the command line, tests and benchmarks)."""
    rng = np.random.default_rng(seed)
    secrets, messages = [], []
    for _ in range(count):  # per signer: a secret key, then a message
        secrets.append(rng.integers(0, P, (SLOTS, CHAIN), dtype=np.uint32))
        messages.append([int(v) for v in rng.integers(0, P, MESSAGE_SIZE)])
    secret = np.stack(secrets)
    chain = chain_values(secret)
    keys = hash_rows(chain.reshape(count, SLOTS * CHAIN), backend="numpy")
    bits = np.stack([message_bits(m) for m in messages])
    signatures = np.where(bits[..., None] == 1, secret, chain).astype(np.uint32)
    return {"keys": keys.tolist(), "messages": messages, "signatures": list(signatures)}
