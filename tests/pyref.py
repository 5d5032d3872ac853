"""Independent plain-Python references for the protocol, written from the specs.

Nothing here imports ``l2gpu``: every function works on Python ``int`` lists, and the
Poseidon2 constants come from the reference vectors in ``tests/data`` (not from the
package's own ``l2gpu/data/poseidon2.json``). The tests compare the library with these.
"""

from __future__ import annotations

import hashlib
import json
import struct
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

P = 2013265921  # 15·2^27 + 1
R = 1 << 32  # Montgomery radix
MASK32 = (1 << 32) - 1


@cache
def _load_json_cached(name: str) -> str:
    return (DATA / name).read_text()


def load_json(name: str) -> dict:
    """A fresh copy of ``tests/data/<name>`` (callers may mutate it)."""
    return json.loads(_load_json_cached(name))


# -- BabyBear and Fp4 ----------------------------------------------------------------


def to_mont(x: int) -> int:
    """Canonical value → raw Montgomery word ``x·2^32 mod P``."""
    return x * R % P


def from_mont(w: int) -> int:
    """Raw Montgomery word → canonical value ``w·2^-32 mod P``."""
    return w * pow(R, -1, P) % P


def fp4_mul(a: list[int], b: list[int]) -> list[int]:
    """Product in ``Fp[x]/(x^4 + 11)``: schoolbook, then ``x^4 = -11``."""
    d = [0] * 7
    for i in range(4):
        for j in range(4):
            d[i + j] += a[i] * b[j]
    return [(d[0] - 11 * d[4]) % P, (d[1] - 11 * d[5]) % P, (d[2] - 11 * d[6]) % P, d[3] % P]


def fp4_add(a: list[int], b: list[int]) -> list[int]:
    return [(x + y) % P for x, y in zip(a, b, strict=True)]


def bitrev(i: int, log_n: int) -> int:
    out = 0
    for _ in range(log_n):
        out = (out << 1) | (i & 1)
        i >>= 1
    return out


# -- Poseidon2 -----------------------------------------------------------------------


class Poseidon2Ref:
    """Poseidon2 from the structure in the vector files, on Python ints."""

    def __init__(
        self,
        width: int,
        m4: list[list[int]],
        diag: list[int],
        full_first: list[list[int]],
        partial: list[int],
        full_last: list[list[int]],
    ) -> None:
        self.width = width
        self.m4 = m4
        self.diag = diag
        self.full_first = full_first
        self.partial = partial
        self.full_last = full_last

    def m_ext(self, s: list[int]) -> list[int]:
        """``y_k = M4·x_k`` per block of 4; ``out[4k+j] = y_k[j] + Σ_l y_l[j]``."""
        ys = []
        for k in range(0, self.width, 4):
            x = s[k : k + 4]
            ys.append([sum(self.m4[j][i] * x[i] for i in range(4)) for j in range(4)])
        col = [sum(y[j] for y in ys) for j in range(4)]
        return [(y[j] + col[j]) % P for y in ys for j in range(4)]

    def m_int(self, s: list[int]) -> list[int]:
        total = sum(s)
        return [(total + d * x) % P for d, x in zip(self.diag, s, strict=True)]

    def _full(self, s: list[int], consts: list[int]) -> list[int]:
        return self.m_ext([pow((x + c) % P, 7, P) for x, c in zip(s, consts, strict=True)])

    def permute(self, state: list[int]) -> list[int]:
        assert len(state) == self.width
        s = self.m_ext([x % P for x in state])
        for consts in self.full_first:
            s = self._full(s, consts)
        for c in self.partial:
            s[0] = pow((s[0] + c) % P, 7, P)
            s = self.m_int(s)
        for consts in self.full_last:
            s = self._full(s, consts)
        return s


@cache
def poseidon2(name: str) -> Poseidon2Ref:
    """The reference permutation for ``risc0-w24``, ``plonky3-w16`` or ``plonky3-w24``."""
    if name == "risc0-w24":
        d = load_json("poseidon2_risc0_w24.json")
        width = d["params"]["CELLS"]
        half, partial = d["params"]["ROUNDS_HALF_FULL"], d["params"]["ROUNDS_PARTIAL"]
        rc = d["ROUND_CONSTANTS"]["values_canonical"]
        rows = [rc[r * width : (r + 1) * width] for r in range(2 * half + partial)]
        return Poseidon2Ref(
            width,
            d["M_EXT"]["M4"],
            d["M_INT"]["M_INT_DIAG_HZN_canonical"],
            rows[:half],
            [row[0] for row in rows[half : half + partial]],
            rows[half + partial :],
        )
    files = {
        "plonky3-w16": "poseidon2_plonky3_w16.json",
        "plonky3-w24": "poseidon2_plonky3_w24.json",
    }
    d = load_json(files[name])
    return Poseidon2Ref(
        d["width"],
        d["external_linear_layer"]["M4"],
        d["internal_linear_layer"]["diag_V_canonical"],
        d["round_constants"]["external_initial"],
        d["round_constants"]["internal"],
        d["round_constants"]["external_terminal"],
    )


def p2_hash_row(elems: list[int]) -> list[int]:
    """RISC Zero's Poseidon2 ``hash_elem_slice``: overwrite the rate, permute per 16.

    Returns the digest as raw Montgomery words.
    """
    perm = poseidon2("risc0-w24")
    s = [0] * 24
    used = 0
    for e in elems:
        s[used] = e
        used += 1
        if used == 16:
            s = perm.permute(s)
            used = 0
    if used or not elems:
        for i in range(used, 16):
            s[i] = 0
        s = perm.permute(s)
    return [to_mont(x) for x in s[:8]]


def p2_hash_pair(a: list[int], b: list[int]) -> list[int]:
    """Poseidon2 ``hash_pair`` of raw-word digests: words are raw Montgomery elements."""
    s = [from_mont(w) for w in a] + [from_mont(w) for w in b] + [0] * 8
    return [to_mont(x) for x in poseidon2("risc0-w24").permute(s)[:8]]


class Poseidon2RngRef:
    """``Poseidon2Rng`` (risc0/zkp/src/core/hash/poseidon2/rng.rs)."""

    def __init__(self) -> None:
        self.cells = [0] * 24
        self.used = 0
        self.perm = poseidon2("risc0-w24")

    def mix(self, digest_words: list[int]) -> None:
        if self.used:
            self.cells = self.perm.permute(self.cells)
            self.used = 0
        for i in range(8):
            self.cells[i] = (self.cells[i] + from_mont(digest_words[i])) % P
        self.cells = self.perm.permute(self.cells)

    def random_elem(self) -> int:
        if self.used == 16:
            self.cells = self.perm.permute(self.cells)
            self.used = 0
        value = self.cells[self.used]
        self.used += 1
        return value

    def random_ext_elem(self) -> list[int]:
        return [self.random_elem() for _ in range(4)]

    def random_bits(self, bits: int) -> int:
        value = self.random_elem()
        for _ in range(3):
            new = self.random_elem()
            if value == 0:
                value = new
        return value & ((1 << bits) - 1)


# -- SHA-256 -------------------------------------------------------------------------

SHA_IV = [
    0x6A09E667,
    0xBB67AE85,
    0x3C6EF372,
    0xA54FF53A,
    0x510E527F,
    0x9B05688C,
    0x1F83D9AB,
    0x5BE0CD19,
]


def _primes(count: int) -> list[int]:
    out: list[int] = []
    n = 2
    while len(out) < count:
        if all(n % p for p in out):
            out.append(n)
        n += 1
    return out


def _frac_root_bits(n: int, k: int) -> int:
    """The first 32 bits of the fractional part of ``n^(1/k)``, by integer root."""
    scaled = n << (32 * k)
    lo, hi = 0, 1 << (32 + 8)
    while lo < hi:  # largest r with r^k ≤ n·2^(32k)
        mid = (lo + hi + 1) // 2
        if mid**k <= scaled:
            lo = mid
        else:
            hi = mid - 1
    return lo & MASK32


# FIPS 180-4 §4.2.2 / §5.3.3: cube roots of the first 64 primes, square roots of the first 8.
SHA_K = [_frac_root_bits(p, 3) for p in _primes(64)]
assert [_frac_root_bits(p, 2) for p in _primes(8)] == SHA_IV


def _rotr(x: int, r: int) -> int:
    return ((x >> r) | (x << (32 - r))) & MASK32


def sha256_compress(state: list[int], block: list[int]) -> list[int]:
    """The textbook SHA-256 compression: 8 state words, 16 big-endian block words."""
    w = list(block)
    for t in range(16, 64):
        s0 = _rotr(w[t - 15], 7) ^ _rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = _rotr(w[t - 2], 17) ^ _rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & MASK32)
    a, b, c, d, e, f, g, h = state
    for t in range(64):
        ch = (e & f) ^ (~e & g)
        t1 = (h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ch + SHA_K[t] + w[t]) & MASK32
        maj = (a & b) ^ (a & c) ^ (b & c)
        t2 = ((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + maj) & MASK32
        a, b, c, d, e, f, g, h = (t1 + t2) & MASK32, a, b, c, (d + t1) & MASK32, e, f, g
    return [(x + y) & MASK32 for x, y in zip(state, [a, b, c, d, e, f, g, h], strict=True)]


def sha_state_to_words(state: list[int]) -> list[int]:
    """Digest bytes are the big-endian state words; ``as_words`` reads them little-endian."""
    return list(struct.unpack("<8I", struct.pack(">8I", *state)))


def sha_words_to_bytes(words: list[int]) -> bytes:
    return struct.pack("<8I", *words)


def sha_bytes_to_words(data: bytes) -> list[int]:
    return list(struct.unpack("<8I", data))


def sha_compress_bytes(data: bytes) -> list[int]:
    """Bare compressions of ``data`` (a multiple of 64 bytes) from the IV → state words."""
    assert len(data) % 64 == 0
    state = list(SHA_IV)
    for off in range(0, len(data), 64):
        state = sha256_compress(state, list(struct.unpack(">16I", data[off : off + 64])))
    return state


def sha_hash_row(elems: list[int]) -> list[int]:
    """RISC Zero's SHA-256 ``hash_elem_slice``: LE raw Montgomery words, zero-filled blocks,
    no padding or length; the empty row hashes to the IV."""
    data = b"".join(struct.pack("<I", to_mont(e)) for e in elems)
    data += b"\0" * (-len(data) % 64)
    return sha_state_to_words(sha_compress_bytes(data))


def sha_hash_pair(a: list[int], b: list[int]) -> list[int]:
    """One compression of ``a.bytes || b.bytes`` from the IV, no padding."""
    return sha_state_to_words(sha_compress_bytes(sha_words_to_bytes(a) + sha_words_to_bytes(b)))


class ShaRngRef:
    """``ShaRng`` (risc0/zkp/src/core/hash/sha/rng.rs) with ``Elem::random``."""

    def __init__(self) -> None:
        self.pool0 = sha_bytes_to_words(hashlib.sha256(b"Hello").digest())
        self.pool1 = sha_bytes_to_words(hashlib.sha256(b"World").digest())
        self.used = 0

    def step(self) -> None:
        self.pool0 = sha_hash_pair(self.pool0, self.pool1)
        self.pool1 = sha_hash_pair(self.pool0, self.pool1)
        self.used = 0

    def mix(self, digest_words: list[int]) -> None:
        self.pool0 = [x ^ y for x, y in zip(self.pool0, digest_words, strict=True)]
        self.step()

    def next_u32(self) -> int:
        if self.used == 8:
            self.step()
        value = self.pool0[self.used]
        self.used += 1
        return value

    def random_elem(self) -> int:
        value = 0
        for _ in range(6):
            value = ((value << 32) + self.next_u32()) % P
        return value

    def random_ext_elem(self) -> list[int]:
        return [self.random_elem() for _ in range(4)]

    def random_bits(self, bits: int) -> int:
        """``ShaRng::random_bits``: a single ``next_u32``, masked (not ``random_elem``)."""
        return ((1 << bits) - 1) & self.next_u32()


# -- NTT -----------------------------------------------------------------------------


def rou(log_n: int) -> int:
    """RISC Zero's primitive ``2^log_n``-th root of unity: ``137^(2^(27 - log_n))``."""
    return pow(137, 1 << (27 - log_n), P)


def poly_eval(coeffs: list[int], x: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % P
    return acc


def naive_dft(coeffs: list[int], omega: int, size: int | None = None) -> list[int]:
    """``[Σ_j c_j·omega^(jk) for k < size]`` in O(n·size)."""
    size = len(coeffs) if size is None else size
    return [poly_eval(coeffs, pow(omega, k, P)) for k in range(size)]


def naive_interpolate(values: list[int]) -> list[int]:
    """Natural-order coefficients of the polynomial through ``(ω_n^k, values[k])``."""
    n = len(values)
    log_n = n.bit_length() - 1
    inv_n = pow(n, -1, P)
    return [c * inv_n % P for c in naive_dft(values, pow(rou(log_n), -1, P))]


# -- Merkle --------------------------------------------------------------------------


def top_size_risc0(rows: int, queries: int) -> int:
    """``MerkleTreeParams::new`` (risc0/zkp/src/merkle.rs): ``for i in 1..layers`` is
    exclusive, so the top layer is at most ``rows / 2`` wide and defaults to the root."""
    layers = rows.bit_length() - 1
    assert 1 << layers == rows
    top_layer = 0
    for i in range(1, layers):
        if (1 << i) > queries:
            break
        top_layer = i
    return 1 << top_layer
