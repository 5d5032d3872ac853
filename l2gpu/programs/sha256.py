"""SHA-256: the public digest is the standard SHA-256 of a private message of public length.

What is proven: the prover knows a message of ``length`` bytes whose SHA-256 (FIPS
180-4: padded with ``0x80``, zeros and the 64-bit bit length; the digest ``hashlib``
gives) is the public digest ``h0 … h7`` (its eight big-endian 32-bit words). Private:
the message bytes.

Trace: 68 rows per block — four rows holding the chaining value ``H`` as the state
words ``(d,h), (c,g), (b,f), (a,e)``, then one row per compression round — repeated
through the ``2^po2`` rows (the code columns follow this period; blocks past the
message compress zero blocks and bind nothing). A round row holds the bits of its new
``a``, ``e`` and schedule word ``W_t`` and the carries of the additions mod 2^32, which
are checked on 16-bit halves so that no sum wraps modulo ``P``: ``Σ0``, ``Σ1``,
``Maj``, ``Ch``, ``σ0``, ``σ1`` are polynomials of degree ≤ 3 in the bits, rounds
``t ≥ 16`` recompute ``W_t`` from ``W_{t−2}, W_{t−7}, W_{t−15}, W_{t−16}``, and the
four chaining rows of the next block add ``H`` to the final state (the block's first
chaining rows hold the IV). Every bit is boolean, so every half is an integer below
``2^16`` and every equation holds over the integers.

Padding is constrained too, so the digest is of a message of exactly ``length``
bytes: per byte of the message words a flag ``m`` (message byte) that never rises
and whose count is ``length``; the byte after the last message byte is ``0x80``,
every later byte is zero except the final block's last two words, which hold
``8·length``. The final block is the one before the flag ``act`` falls (at the block
whose number is ``blocks = ⌊(length + 8)/64⌋ + 1``, a public value derived from
``length``), and the four chaining rows where it falls hold the digest. Steps: 64
rounds per block.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..field import P, inv
from ..sha256 import IV, K
from ..stark import ConstraintBuilder, Group, build_circuit
from ..stark.circuit import Expr
from .base import MAX_PO2, MIN_PO2, Execution, Program

PERIOD = 68  # rows per block: 4 chaining rows, 64 rounds
INIT_ROWS = 4

# data columns
A_BITS, E_BITS, W_BITS = 0, 32, 64  # bit i of the word at column + i
CA, CE, CW = 96, 102, 108  # carry bits: a and e 3 + 3 (low half, high half), W 2 + 2
M = 112  # message-byte flags of the 4 bytes of W (big-endian order)
CNT, ACT, FIN = 116, 117, 118
DATA_WIDTH = 119

# code columns
INIT = (0, 1, 2, 3)  # the chaining rows
IV_ROW, SCHED, K_LO, K_HI, IVA_LO, IVA_HI, IVE_LO, IVE_HI, T14, T15, BLK, FIRST, LAST = range(4, 17)
CODE_WIDTH = 17

H = tuple(f"h{k}" for k in range(8))
GROUPS = (Group("code", CODE_WIDTH), Group("data", DATA_WIDTH, global_count=20))
# globals: length 0, blocks 1, 8·length high 2 / low 3 halves, then h_k high 4+2k, low 5+2k


def _weighted(bits: list) -> Expr:
    """``Σ 2^i·bits[i]``."""
    return sum((b * (1 << i) for i, b in enumerate(bits[1:], 1)), bits[0])


def _pack(bits: list) -> tuple[Expr, Expr]:
    """The low and high 16-bit halves of a 32-bit word given by its bits."""
    return _weighted(bits[:16]), _weighted(bits[16:])


_TWO_THIRDS = 2 * inv(3) % P


def _xor3(x, y, z):
    """``x ⊕ y ⊕ z`` for bits: with ``s = x + y + z``, ``s − s(s−1) + ⅔·s(s−1)(s−2)``."""
    s = x + y + z
    t = s * (s - 1)
    return s - t + t * (s - 2) * _TWO_THIRDS


def _xor2(x, y):
    return x + y - 2 * x * y


def _rotr_xor(bits: list, r1: int, r2: int, third: int, shift: bool) -> list:
    """``ROTR^r1 ⊕ ROTR^r2 ⊕ (SHR^third if shift else ROTR^third)`` bit by bit."""
    out = []
    for i in range(32):
        x, y = bits[(i + r1) % 32], bits[(i + r2) % 32]
        if shift and i + third >= 32:
            out.append(_xor2(x, y))
        else:
            out.append(_xor3(x, y, bits[(i + third) % 32]))
    return out


def constraints(c: ConstraintBuilder) -> None:
    code = [c.tap("code", k) for k in range(CODE_WIDTH)]
    init_j = [code[k] for k in INIT]
    init = init_j[0] + init_j[1] + init_j[2] + init_j[3]
    iv, sched, first, last = code[IV_ROW], code[SCHED], code[FIRST], code[LAST]
    rnd = 1 - init
    msg = rnd - sched
    not_first = 1 - first
    length, blocks, len8_hi, len8_lo = (c.public(k) for k in range(4))

    def word(col: int, back: int) -> list:
        return [c.tap("data", col + i, back) for i in range(32)]

    def carry(col: int, n: int) -> Expr:
        return _weighted([c.tap("data", col + i) for i in range(n)])

    a0, e0, w0 = word(A_BITS, 0), word(E_BITS, 0), word(W_BITS, 0)
    for bit in [*a0, *e0, *w0, *(c.tap("data", k) for k in range(CA, M))]:
        c.assert_zero(bit * (bit - 1))
    ca_lo, ca_hi, ce_lo, ce_hi = carry(CA, 3), carry(CA + 3, 3), carry(CE, 3), carry(CE + 3, 3)
    cw_lo, cw_hi = carry(CW, 2), carry(CW + 2, 2)
    two16 = 1 << 16

    # A round: T1 = h + Σ1(e) + Ch(e,f,g) + K + W, T2 = Σ0(a) + Maj(a,b,c);
    # a' = T1 + T2, e' = d + T1 (mod 2^32), on halves with their carries.
    a, b, cc = word(A_BITS, 1), word(A_BITS, 2), word(A_BITS, 3)
    e, f, g = word(E_BITS, 1), word(E_BITS, 2), word(E_BITS, 3)
    s0 = _pack(_rotr_xor(a, 2, 13, 22, shift=False))
    s1 = _pack(_rotr_xor(e, 6, 11, 25, shift=False))
    maj = _pack([x * y + x * z + y * z - 2 * x * y * z for x, y, z in zip(a, b, cc, strict=True)])
    ch = _pack([x * (y - z) + z for x, y, z in zip(e, f, g, strict=True)])
    d, h = _pack(word(A_BITS, 4)), _pack(word(E_BITS, 4))
    (a_lo, a_hi), (e_lo, e_hi), (w_lo, w_hi) = _pack(a0), _pack(e0), _pack(w0)
    k_half = (code[K_LO], code[K_HI])
    t1 = [h[i] + s1[i] + ch[i] + k_half[i] + (w_lo, w_hi)[i] for i in (0, 1)]
    t2 = [s0[i] + maj[i] for i in (0, 1)]
    c.assert_zero(rnd * (a_lo + two16 * ca_lo - t1[0] - t2[0]))
    c.assert_zero(rnd * (a_hi + two16 * ca_hi - ca_lo - t1[1] - t2[1]))
    c.assert_zero(rnd * (e_lo + two16 * ce_lo - d[0] - t1[0]))
    c.assert_zero(rnd * (e_hi + two16 * ce_hi - ce_lo - d[1] - t1[1]))

    # The schedule: W_t = σ1(W_{t−2}) + W_{t−7} + σ0(W_{t−15}) + W_{t−16} for t ≥ 16.
    sig0 = _pack(_rotr_xor(word(W_BITS, 15), 7, 18, 3, shift=True))
    sig1 = _pack(_rotr_xor(word(W_BITS, 2), 17, 19, 10, shift=True))
    w7, w16 = _pack(word(W_BITS, 7)), _pack(word(W_BITS, 16))
    c.assert_zero(sched * (w_lo + two16 * cw_lo - sig1[0] - w7[0] - sig0[0] - w16[0]))
    c.assert_zero(sched * (w_hi + two16 * cw_hi - cw_lo - sig1[1] - w7[1] - sig0[1] - w16[1]))
    c.assert_zero((1 - sched) * cw_lo)  # no schedule carries elsewhere,
    c.assert_zero((1 - sched) * cw_hi)
    c.assert_zero(init * w_lo)  # and no message word on the chaining rows
    c.assert_zero(init * w_hi)

    # Chaining rows: the IV, or H (68 rows up) plus the final state (4 rows up).
    feed = init - iv
    for (lo, hi), (c_lo, c_hi), col, iv_lo, iv_hi in (
        ((a_lo, a_hi), (ca_lo, ca_hi), A_BITS, IVA_LO, IVA_HI),
        ((e_lo, e_hi), (ce_lo, ce_hi), E_BITS, IVE_LO, IVE_HI),
    ):
        prev, fin_state = _pack(word(col, PERIOD)), _pack(word(col, 4))
        c.assert_zero(init * (lo + two16 * c_lo) - feed * (prev[0] + fin_state[0]) - code[iv_lo])
        c.assert_zero(
            init * (hi + two16 * c_hi - c_lo) - feed * (prev[1] + fin_state[1]) - code[iv_hi]
        )

    # Padding: message-byte flags, never rising, counted; then 0x80, zeros, 8·length.
    m = [c.tap("data", M + j) for j in range(4)]
    m3_1 = c.tap("data", M + 3, back=1)
    act, fin, cnt = c.tap("data", ACT), c.tap("data", FIN), c.tap("data", CNT)
    act1, fin1, cnt1 = (c.tap("data", k, back=1) for k in (ACT, FIN, CNT))
    carried = first + not_first * m3_1  # the flag before row 0 is 1: the message starts
    prev_m = [m3_1, *m[:3]]  # on message rows (never row 0), byte j's predecessor
    lenrow = fin * (code[T14] + code[T15])
    for j in range(4):
        byte = _weighted(w0[8 * (3 - j) : 8 * (4 - j)])
        c.assert_zero(m[j] * (m[j] - 1))
        c.assert_zero((1 - msg) * (m[j] - carried))
        c.assert_zero(msg * m[j] * (1 - prev_m[j]))
        c.assert_zero(msg * (prev_m[j] - m[j]) * (byte - 0x80))
        c.assert_zero(msg * (1 - lenrow) * (1 - prev_m[j]) * byte)
        c.assert_zero(lenrow * prev_m[j])
    c.assert_zero(fin * code[T14] * w_lo)
    c.assert_zero(fin * code[T14] * w_hi)
    c.assert_zero(fin * code[T15] * (w_lo - len8_lo))
    c.assert_zero(fin * code[T15] * (w_hi - len8_hi))
    c.assert_zero(cnt - not_first * cnt1 - msg * (m[0] + m[1] + m[2] + m[3]))
    c.assert_zero(last * (cnt - length))

    # Blocks: act is 1 up to the final block (fin) and falls at block number `blocks`.
    c.assert_zero(act * (act - 1))
    c.assert_zero(fin * (fin - 1))
    c.assert_zero(first * (act - 1))
    c.assert_zero(last * act)
    c.assert_zero((1 - init_j[0]) * (act - act1))
    c.assert_zero((1 - init_j[0]) * (fin - fin1))
    c.assert_zero(not_first * init_j[0] * (act - act1 + fin1))
    c.assert_zero(fin * (1 - act))
    c.assert_zero(not_first * init_j[0] * (act1 - act) * (code[BLK] - blocks))
    # The digest: the chaining rows where act falls, (d,h), (c,g), (b,f), (a,e).
    for j in range(4):
        fall = (1 - iv) * init_j[j] * (c.tap("data", ACT, back=j + 1) - act)
        for half, value in enumerate((a_hi, a_lo)):
            c.assert_zero(fall * (value - c.public(4 + 2 * (3 - j) + half)))
        for half, value in enumerate((e_hi, e_lo)):
            c.assert_zero(fall * (value - c.public(4 + 2 * (7 - j) + half)))


CIRCUIT = build_circuit("sha256", GROUPS, constraints)


def blocks_for(length: int) -> int:
    """Padded blocks of a ``length``-byte message: the message, ``0x80``, 8 length bytes."""
    return (length + 8) // 64 + 1


def po2_for(length: int) -> int:
    """Rows for the message's blocks and the chaining rows after them."""
    return max(MIN_PO2, (PERIOD * blocks_for(length) + INIT_ROWS - 1).bit_length())


def _rotr(x: int, r: int) -> int:
    return ((x >> r) | (x << (32 - r))) & 0xFFFFFFFF


def _halves(*words: int) -> tuple[int, int]:
    """The sums of the low and of the high halves of ``words``."""
    return sum(w & 0xFFFF for w in words), sum(w >> 16 for w in words)


def _add(lo: int, hi: int) -> tuple[int, int, int]:
    """Half sums → the word mod 2^32 and the carries out of the low and high halves."""
    c_lo = lo >> 16
    hi += c_lo
    return ((hi & 0xFFFF) << 16) | (lo & 0xFFFF), c_lo, hi >> 16


class Sha256(Program):
    """SHA-256 of a private message (see the module doc)."""

    name = "sha256"
    circuit = CIRCUIT
    input_names = ("length",)
    output_names = H

    def execute(self, *, message: bytes) -> Execution:
        """Compress the padded ``message`` block by block into the trace."""
        if not isinstance(message, (bytes, bytearray)):
            raise ValueError(f"message must be bytes, got {type(message).__name__}")
        length = len(message)
        po2 = po2_for(length)
        if po2 > MAX_PO2:
            raise ValueError(f"a {length}-byte message needs 2^{po2} rows; at most 2^{MAX_PO2}")
        padded = bytes(message) + b"\x80" + bytes((55 - length) % 64)
        padded += (8 * length).to_bytes(8, "big")
        data, digest = witness(padded, length, po2)
        outputs = dict(zip(H, digest, strict=True))
        blocks = blocks_for(length)
        trace = (self.code(po2), data)
        return Execution(self.name, po2, trace, {"length": length}, outputs, 64 * blocks)

    def public_values(
        self, public_inputs: Mapping[str, int], public_outputs: Mapping[str, int]
    ) -> list[int]:
        """The length; the block count and ``8·length`` (halves) derived from it; the
        digest words as 16-bit halves."""
        length = public_inputs["length"]
        if not 0 <= length < 1 << 29:
            raise ValueError(f"length must be in [0, 2^29), got {length}")
        words = [public_outputs[k] for k in H]
        if not all(0 <= w < 1 << 32 for w in words):
            raise ValueError("digest words must be 32-bit")
        bits = 8 * length
        return [length, blocks_for(length), bits >> 16, bits & 0xFFFF] + [
            half for w in words for half in (w >> 16, w & 0xFFFF)
        ]

    def code(self, po2: int) -> np.ndarray:
        return code_columns(po2)


def code_columns(po2: int) -> np.ndarray:
    """The fixed columns: the period of chaining and round rows, constants, numbers."""
    rows = 1 << po2
    t = np.arange(rows) % PERIOD - INIT_ROWS  # the round of each row; < 0: chaining
    code = np.zeros((CODE_WIDTH, rows), dtype=np.uint32)
    for j in INIT:
        code[j] = t == j - INIT_ROWS
    code[IV_ROW, :INIT_ROWS] = 1
    code[SCHED] = t >= 16
    rounds = t >= 0
    code[K_LO, rounds] = K[t[rounds]] & 0xFFFF
    code[K_HI, rounds] = K[t[rounds]] >> 16
    for j in range(INIT_ROWS):
        code[IVA_LO, j], code[IVA_HI, j] = IV[3 - j] & 0xFFFF, IV[3 - j] >> 16
        code[IVE_LO, j], code[IVE_HI, j] = IV[7 - j] & 0xFFFF, IV[7 - j] >> 16
    code[T14] = t == 14
    code[T15] = t == 15
    code[BLK] = np.arange(rows) // PERIOD
    code[FIRST, 0] = 1
    code[LAST, -1] = 1
    return code


def witness(padded: bytes, length: int, po2: int) -> tuple[np.ndarray, list[int]]:
    """The data columns for compressing the blocks of ``padded`` (then zero blocks)
    with ``length`` message bytes, and the chaining value after the padded blocks.

    ``execute`` pads the message; a test may pass anything, to forge a padding.
    """
    blocks = -(-len(padded) // 64)
    rows = 1 << po2
    cols = np.zeros((DATA_WIDTH, rows), dtype=np.int64)  # the words and carries, then bits
    a_w, e_w, w_w = np.zeros(rows, np.int64), np.zeros(rows, np.int64), np.zeros(rows, np.int64)
    state = [int(v) for v in IV]
    for k in range(-(-rows // PERIOD)):
        base = PERIOD * k
        if k:  # the chaining value: H plus the final state, with the carries
            final = [a_w[base - 1 - i] for i in range(4)] + [e_w[base - 1 - i] for i in range(4)]
            for j in range(INIT_ROWS):
                for word_col, carry_col, idx in ((a_w, CA, 3 - j), (e_w, CE, 7 - j)):
                    word, c_lo, c_hi = _add(*_halves(state[idx], final[idx]))
                    word_col[base + j] = word
                    cols[carry_col, base + j] = c_lo
                    cols[carry_col + 3, base + j] = c_hi
            state = [(x + y) & 0xFFFFFFFF for x, y in zip(state, final, strict=True)]
        else:
            for j in range(INIT_ROWS):
                a_w[j], e_w[j] = state[3 - j], state[7 - j]
        chunk = padded[64 * k : 64 * k + 64].ljust(64, b"\0")
        w = [int.from_bytes(chunk[4 * t : 4 * t + 4], "big") for t in range(16)]
        v = list(state)  # a, b, c, d, e, f, g, h
        for t in range(min(64, rows - base - INIT_ROWS)):
            row = base + INIT_ROWS + t
            if t >= 16:
                s0 = _rotr(w[t - 15], 7) ^ _rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                s1 = _rotr(w[t - 2], 17) ^ _rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                word, cols[CW, row], cols[CW + 2, row] = _add(*_halves(s1, w[t - 7], s0, w[t - 16]))
                w.append(word)
            a, b, c, d, e, f, g, h = v
            big_s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
            ch = (e & f) ^ (~e & g)
            big_s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
            maj = (a & b) ^ (a & c) ^ (b & c)
            t1 = _halves(h, big_s1, ch, int(K[t]), w[t])
            t2 = _halves(big_s0, maj)
            new_a, cols[CA, row], cols[CA + 3, row] = _add(t1[0] + t2[0], t1[1] + t2[1])
            d_lo, d_hi = _halves(d)
            new_e, cols[CE, row], cols[CE + 3, row] = _add(d_lo + t1[0], d_hi + t1[1])
            v = [new_a, a, b, c, new_e, e, f, g]
            a_w[row], e_w[row], w_w[row] = new_a, new_e, w[t]
    code = code_columns(po2)
    msg = (1 - code[list(INIT)].sum(axis=0) - code[SCHED]).astype(bool)
    bits = np.arange(32)
    for col, words in ((A_BITS, a_w), (E_BITS, e_w), (W_BITS, w_w)):
        cols[col : col + 32] = (words[None] >> bits[:, None]) & 1
    for carry in (CA, CE):  # 3-bit carries; the schedule's are 2-bit
        for half in (carry, carry + 3):
            cols[half : half + 3] = (cols[half][None] >> np.arange(3)[:, None]) & 1
    for half in (CW, CW + 2):
        cols[half : half + 2] = (cols[half][None] >> np.arange(2)[:, None]) & 1
    # The message-byte flags: on message rows, whether the byte is in the message;
    # elsewhere, the last byte's flag carried on (1 before the first message row).
    flag = 1
    for row in range(rows):
        if msg[row]:
            k, t = divmod(row, PERIOD)
            position = 64 * k + 4 * (t - INIT_ROWS) + np.arange(4)
            cols[M : M + 4, row] = position < length
            flag = int(cols[M + 3, row])
        else:
            cols[M : M + 4, row] = flag
    cols[CNT] = np.cumsum(cols[M : M + 4].sum(axis=0) * msg)
    cols[ACT, : PERIOD * blocks] = 1
    cols[FIN, PERIOD * (blocks - 1) : PERIOD * blocks] = 1
    state_after = [a_w[PERIOD * blocks + 3 - j] for j in range(4)]
    state_after += [e_w[PERIOD * blocks + 3 - j] for j in range(4)]
    digest = [int(x) for x in state_after]
    return cols.astype(np.uint32), digest


def digest_hex(public_outputs: Mapping[str, int]) -> str:
    """The digest of a statement as ``hashlib``'s ``hexdigest`` writes it."""
    return "".join(f"{public_outputs[k]:08x}" for k in H)
