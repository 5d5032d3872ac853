"""Peer figures on this CPU, side by side in one run: hash-frx, zorch, hashlib, galois.

The peers the project's issue compares l2gpu with, measured here rather than quoted:

- Poseidon2 BabyBear w16 / w24, 2^16 and 2^18 states (``--log-batch``) -- hash-frx:
  ``frx.jit(frx.vmap(Poseidon2(params).permute))``, its native CPU kernel;
- Merkle leaf hashing, 2^16 rows x 16 columns -- zorch (pyzorch):
  ``MerkleTree(Sponge(rate 8, out 8), Compression(2, 8)).hash_leaves``;
- coset extension, blowup 2, 8 columns x 2^16 -- zorch:
  ``frx.jit(ReedSolomon(2^16, 2, coset_shift=31).extend)``;
- SHA-256 of a 64-byte block, 2^16 calls -- hashlib:
  ``hashlib.sha256(block).digest()`` in a Python loop, reported as calls/s and, in a
  row of its own from the same timing, as compressions/s (each call is 2 compressions:
  the 64-byte message pads to two blocks); a sample of the timed blocks is checked
  against a pure-Python SHA-256 that counts its compressions;
- NTT mod BabyBear, 8 columns x 2^20 -- frx: ``frx.jit(frx.lax.ntt)`` (forward cyclic
  NTT along the last axis, natural order, root 31^((p-1)/n), the leading axis a batch);
- NTT mod BabyBear -- galois: ``galois.ntt(x, modulus=p)`` (one column a call: it
  takes 1-D input only), 2^16 and 2^20 in ms, and 8 columns x 2^20 (8 calls) in elem/s.

Both NTTs use root 31^((p-1)/n) in natural order, so each is checked against a direct
DFT: every output at n = 16 (frx), and sampled outputs of every timed column.

Neither hash-frx nor zorch ships BabyBear constants: the Poseidon2 parameters (Plonky3's
``default_babybear_poseidon2_16/24``) come from ``tests/data/poseidon2_plonky3_w*.json``,
and each permutation's output is checked against the Plonky3 test vector there, on a row
of the very batch that is timed. Field elements use zk_dtypes' ``babybear_mont``: with the
canonical ``babybear`` dtype, frxlib 0.10.2 crashes (SIGSEGV) compiling the native CPU
Poseidon2 kernel.

The peers pull frx/frxlib (Fractalyze's JAX fork) and numpy >= 2.3, so they live in
their own virtualenv, outside the repo::

    python3 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install hash-frx==0.1.0 pyzorch==0.2.0 zk-dtypes==0.0.17 galois
    /work/peers-venv/bin/python benchmarks/peers.py            # table
    /work/peers-venv/bin/python benchmarks/peers.py --json     # JSON
    /work/peers-venv/bin/python benchmarks/peers.py --cpu 0    # pinned to one core
    /work/peers-venv/bin/python benchmarks/peers.py --log-batch 16 18 20  # Poseidon2 sizes

A peer that cannot be imported is skipped with a note. Every figure is the best of
``--repeat`` (default 5) timed calls after one warm-up call (which includes compilation);
``cpu/wall`` is process CPU time over wall time during the timed calls (about 1 means
one core busy) and ``threads`` the process's OS threads afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import ssl
import struct
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

P = 2013265921  # BabyBear: 2^31 - 2^27 + 1
GENERATOR = 31  # BabyBear's multiplicative generator
COSET_SHIFT = GENERATOR
SEED = 0x1279
LOG_N = 16
POSEIDON2_LOG_BATCHES = (16, 18)
LEAF_COLS = 16
LDE_COLS = 8
LDE_BLOWUP = 2
NTT_LOGS = (16, 20)
NTT_BATCH_COLS = 8
NTT_BATCH_LOG = 20
NTT_SAMPLES = 4  # outputs of each timed column checked against a direct DFT
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"

# -- optional peers ---------------------------------------------------------------

_IMPORT_ERRORS: dict[str, str] = {}

try:
    import frx
    import frx.numpy as fnp
    import zk_dtypes
except Exception as err:  # any failure: the rows that need them skip with the reason
    _IMPORT_ERRORS["frx"] = f"{type(err).__name__}: {err}"

try:
    from hash_frx.poseidon2.params import Poseidon2Params as HfParams
    from hash_frx.poseidon2.poseidon2 import Poseidon2 as HfPoseidon2
except Exception as err:
    _IMPORT_ERRORS["hash-frx"] = f"{type(err).__name__}: {err}"

try:
    from zorch.coding.reed_solomon import ReedSolomon, eval_domain
    from zorch.commit.merkle import MerkleTree
    from zorch.hash.compression import Compression, CompressionParams
    from zorch.hash.poseidon2.params import Poseidon2Params as ZParams
    from zorch.hash.poseidon2.poseidon2 import Poseidon2 as ZPoseidon2
    from zorch.hash.sponge import Sponge, SpongeParams
except Exception as err:
    _IMPORT_ERRORS["pyzorch"] = f"{type(err).__name__}: {err}"

try:
    import galois
except Exception as err:
    _IMPORT_ERRORS["galois"] = f"{type(err).__name__}: {err}"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _peer(dist: str) -> str:
    return f"{dist} {_version(dist)}"


def _missing(*dists: str) -> str | None:
    """The import error of the first of ``dists`` (``frx`` counts as one) that failed."""
    for dist in dists:
        if dist in _IMPORT_ERRORS:
            return f"skipped: cannot import {dist} ({_IMPORT_ERRORS[dist]})"
    return None


# -- timing -----------------------------------------------------------------------


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def _measure(fn: Callable[[], object], repeat: int) -> dict:
    """One warm-up call, then ``repeat`` timed calls: best wall time, CPU/wall ratio."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    best = float("inf")
    wall = cpu = 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        t1, c1 = time.perf_counter(), time.process_time()
        best = min(best, t1 - t0)
        wall += t1 - t0
        cpu += c1 - c0
    return {
        "best_s": best,
        "first_s": first,
        "cpu_per_wall": cpu / wall if wall > 0 else float("nan"),
        "threads": _threads(),
    }


def _row(figure: str, size: str, peer: str, api: str, unit: str) -> dict:
    return {
        "figure": figure,
        "size": size,
        "peer": peer,
        "api": api,
        "unit": unit,
        "throughput": None,
        "best_ms": None,
        "first_s": None,
        "cpu_per_wall": None,
        "threads": None,
        "check": "",
        "note": "",
    }


def _run(row: dict, body: Callable[[dict], None]) -> dict:
    """Fill ``row`` by ``body``, or record why it could not be measured."""
    if row["note"].startswith("skipped"):
        return row
    try:
        body(row)
    except Exception as err:  # a peer that fails is a row, not the end of the run
        row["note"] = f"failed: {type(err).__name__}: {err}".replace("\n", " ")[:300]
    return row


def _fill(row: dict, m: dict, count: float) -> None:
    row["best_ms"] = m["best_s"] * 1e3
    row["first_s"] = m["first_s"]
    row["cpu_per_wall"] = m["cpu_per_wall"]
    row["threads"] = m["threads"]
    row["throughput"] = count / m["best_s"]


# -- field helpers (frx peers) ----------------------------------------------------


def _bb(values) -> object:
    """A BabyBear (Montgomery-form storage) frx array of the canonical ``values`` mod p."""
    return fnp.array(np.asarray(values, dtype=np.int64) % P, dtype=zk_dtypes.babybear_mont)


def _canon(array) -> list[int]:
    """Canonical ints of a BabyBear frx array (object cast decodes Montgomery form)."""
    return [int(v) for v in np.asarray(array).astype(object).ravel()]


def _plonky3(width: int) -> dict:
    return json.loads((DATA / f"poseidon2_plonky3_w{width}.json").read_text())


def _params(cls, spec: dict):
    """Poseidon2Params (hash-frx's or zorch's: same fields) for a Plonky3 spec file."""
    width = spec["width"]
    rc = spec["round_constants"]
    internal = np.zeros((len(rc["internal"]), width), dtype=np.int64)
    internal[:, 0] = rc["internal"]  # the partial round adds its constant to lane 0
    return cls(
        width=width,
        dtype=zk_dtypes.babybear_mont,
        alpha=spec["sbox_degree"],
        external_rounds=spec["rounds_full_initial"],
        internal_rounds=spec["rounds_partial"],
        external_constants_initial=_bb(rc["external_initial"]),
        external_constants_terminal=_bb(rc["external_terminal"]),
        internal_constants=_bb(internal),
        internal_diag=_bb(spec["internal_linear_layer"]["diag_V_canonical"]),
    )


def _states(rng: np.random.Generator, n: int, width: int, vector: list[int]):
    """``n`` random states, row 0 the test vector's input (reduced mod p: the w24
    input has an entry >= p)."""
    states = rng.integers(0, P, size=(n, width), dtype=np.int64)
    states[0] = np.asarray(vector, dtype=np.int64) % P
    return _bb(states)


# -- figures ----------------------------------------------------------------------


def poseidon2_hash_frx(width: int, log_n: int, repeat: int) -> dict:
    n = 1 << log_n
    row = _row(
        f"Poseidon2 BabyBear w{width} permute",
        f"2^{log_n} states",
        _peer("hash-frx"),
        "frx.jit(frx.vmap(hash_frx...Poseidon2(params).permute))",
        "perm/s",
    )
    row["note"] = _missing("frx", "hash-frx") or ""

    def body(row: dict) -> None:
        spec = _plonky3(width)
        vector = spec["test_vectors"][0]
        perm = HfPoseidon2(_params(HfParams, spec))
        permute = frx.jit(frx.vmap(perm.permute))
        x = _states(np.random.default_rng(SEED + width), n, width, vector["input"])
        m = _measure(lambda: permute(x).block_until_ready(), repeat)
        _fill(row, m, n)
        ok = _canon(permute(x)[0]) == vector["output"]
        row["check"] = "Plonky3 vector: " + ("match" if ok else "MISMATCH")
        row["note"] = f"marker {perm.fused_region_marker[0]} (native CPU kernel)"

    return _run(row, body)


def leaves_zorch(repeat: int) -> dict:
    n = 1 << LOG_N
    row = _row(
        "Merkle leaf hashing (Poseidon2 w16 sponge)",
        f"2^{LOG_N} rows x {LEAF_COLS}",
        _peer("pyzorch"),
        "zorch MerkleTree(Sponge(rate=8,out=8), Compression(2,8)).hash_leaves",
        "leaves/s",
    )
    row["note"] = _missing("frx", "pyzorch") or ""

    def body(row: dict) -> None:
        spec = _plonky3(16)
        vector = spec["test_vectors"][0]
        perm = ZPoseidon2(_params(ZParams, spec))
        tree = MerkleTree(
            Sponge(perm, SpongeParams(rate=8, out=8)),
            Compression(perm, CompressionParams(arity=2, chunk=8)),
        )
        rng = np.random.default_rng(SEED + 1)
        matrix = _bb(rng.integers(0, P, size=(n, LEAF_COLS), dtype=np.int64))
        m = _measure(lambda: tree.hash_leaves(matrix).block_until_ready(), repeat)
        _fill(row, m, n)
        # Reference: Plonky3's PaddingFreeSponge<_, 16, 8, 8> over zorch's own
        # permutation, itself checked against the Plonky3 vector.
        permute = frx.jit(frx.vmap(perm.permute))
        perm_ok = _canon(permute(_bb([vector["input"]]))) == vector["output"]
        k = 8
        state = fnp.concatenate([matrix[:k, :8], fnp.zeros((k, 8), matrix.dtype)], axis=1)
        for block in range(1, LEAF_COLS // 8 + 1):
            state = permute(state)
            if block < LEAF_COLS // 8:
                state = fnp.concatenate([matrix[:k, 8 * block : 8 * block + 8], state[:, 8:]], 1)
        sponge_ok = _canon(state[:, :8]) == _canon(tree.hash_leaves(matrix)[:k])
        row["check"] = (
            f"perm vs Plonky3: {'match' if perm_ok else 'MISMATCH'}; "
            f"leaves vs padding-free sponge: {'match' if sponge_ok else 'MISMATCH'}"
        )
        row["note"] = "zorch.sponge_hash marker (native CPU sponge kernel); 2 permutations a leaf"

    return _run(row, body)


def _lde_check() -> bool:
    """At n = 16: the extension equals the subgroup interpolant evaluated on the coset."""
    n = 16
    rs = ReedSolomon(n, LDE_BLOWUP, zk_dtypes.babybear_mont, coset_shift=_bb(COSET_SHIFT))
    evals = np.random.default_rng(SEED + 3).integers(0, P, size=(2, n), dtype=np.int64)
    out = np.array(_canon(rs.extend(_bb(evals))), dtype=object).reshape(2, n * LDE_BLOWUP)
    xs, zs = _canon(eval_domain(zk_dtypes.babybear_mont, n)), _canon(rs.domain())
    for col in range(2):
        for j, z in enumerate(zs):
            acc = 0
            for i, xi in enumerate(xs):
                num = den = 1
                for t, xt in enumerate(xs):
                    if t != i:
                        num, den = num * (z - xt) % P, den * (xi - xt) % P
                acc = (acc + int(evals[col, i]) * num * pow(den, P - 2, P)) % P
            if acc != out[col, j]:
                return False
    return True


def lde_zorch(repeat: int) -> dict:
    n = 1 << LOG_N
    row = _row(
        f"coset extension, blowup {LDE_BLOWUP}",
        f"{LDE_COLS} cols x 2^{LOG_N}",
        _peer("pyzorch"),
        f"frx.jit(zorch ReedSolomon(2^{LOG_N}, {LDE_BLOWUP}, coset_shift={COSET_SHIFT}).extend)",
        "input elem/s",
    )
    row["note"] = _missing("frx", "pyzorch") or ""

    def body(row: dict) -> None:
        rs = ReedSolomon(n, LDE_BLOWUP, zk_dtypes.babybear_mont, coset_shift=_bb(COSET_SHIFT))
        extend = frx.jit(rs.extend)
        rng = np.random.default_rng(SEED + 2)
        evals = _bb(rng.integers(0, P, size=(LDE_COLS, n), dtype=np.int64))
        m = _measure(lambda: extend(evals).block_until_ready(), repeat)
        _fill(row, m, LDE_COLS * n)
        ok = _lde_check()
        row["check"] = "n=16 vs Lagrange interpolation: " + ("match" if ok else "MISMATCH")
        row["note"] = "intt + coset scale + ntt (frx.lax.ntt), natural order"

    return _run(row, body)


def _primes(count: int) -> list[int]:
    """The first ``count`` primes."""
    found: list[int] = []
    k = 2
    while len(found) < count:
        if all(k % q for q in found if q * q <= k):
            found.append(k)
        k += 1
    return found


def _icbrt(n: int) -> int:
    """floor(n^(1/3)), by integer Newton iteration from above."""
    x = 1 << -(-n.bit_length() // 3)
    while True:
        y = (2 * x + n // (x * x)) // 3
        if y >= x:
            return x
        x = y


_MASK = 0xFFFFFFFF
# FIPS 180-4 4.2.2 / 5.3.3: fractional bits of cube / square roots of the first primes.
_SHA_K = tuple(_icbrt(q << 96) & _MASK for q in _primes(64))
_SHA_H0 = tuple(math.isqrt(q << 64) & _MASK for q in _primes(8))


def _rotr(v: int, r: int) -> int:
    return ((v >> r) | (v << (32 - r))) & _MASK


def _sha256_compress(h: list[int], block: bytes) -> list[int]:
    """One SHA-256 compression (FIPS 180-4 6.2.2) of a 64-byte ``block`` into ``h``."""
    w = list(struct.unpack(">16I", block))
    for i in range(16, 64):
        s0 = _rotr(w[i - 15], 7) ^ _rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = _rotr(w[i - 2], 17) ^ _rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & _MASK)
    a, b, c, d, e, f, g, hh = h
    for i in range(64):
        t1 = hh + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
        t1 = (t1 + ((e & f) ^ ((e ^ _MASK) & g)) + _SHA_K[i] + w[i]) & _MASK
        t2 = (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        a, b, c, d, e, f, g, hh = (t1 + t2) & _MASK, a, b, c, (d + t1) & _MASK, e, f, g
    return [(x + y) & _MASK for x, y in zip(h, (a, b, c, d, e, f, g, hh), strict=True)]


def _sha256_ref(message: bytes) -> tuple[bytes, int]:
    """Pure-Python SHA-256 of ``message``: the digest and the compressions it took."""
    padded = message + b"\x80" + b"\0" * ((55 - len(message)) % 64)
    padded += (8 * len(message)).to_bytes(8, "big")
    h = list(_SHA_H0)
    for i in range(0, len(padded), 64):
        h = _sha256_compress(h, padded[i : i + 64])
    return struct.pack(">8I", *h), len(padded) // 64


def sha256_hashlib(repeat: int) -> list[dict]:
    """Two rows from one timing: calls/s, and the same as compressions/s."""
    n = 1 << LOG_N
    peer = f"hashlib (OpenSSL {ssl.OPENSSL_VERSION.split()[1]})"
    row = _row(
        "SHA-256 of a 64-byte block, Python loop",
        f"2^{LOG_N} calls",
        peer,
        "for b in blocks: hashlib.sha256(b).digest()",
        "calls/s",
    )
    compress = _row(
        "SHA-256 compressions, same loop (2/call)",
        f"2^{LOG_N + 1} compr",
        peer,
        "the timing of the row above; a 64-byte message pads to 2 blocks = 2 compressions",
        "compr/s",
    )

    def body(row: dict) -> None:
        rng = np.random.default_rng(SEED + 4)
        blocks = [bytes(b) for b in rng.integers(0, 256, size=(n, 64), dtype=np.uint8)]
        sha256 = hashlib.sha256

        def loop() -> None:
            for block in blocks:
                sha256(block).digest()

        m = _measure(loop, repeat)
        _fill(row, m, n)
        fips = sha256(b"abc").hexdigest().startswith("ba7816bf")
        ref = _sha256_ref(b"abc")[0] == sha256(b"abc").digest()
        sample = [blocks[i] for i in (0, 1, n // 2, n - 1)]
        refs = [_sha256_ref(b) for b in sample]
        timed = all(sha256(b).digest() == d for b, (d, _) in zip(sample, refs, strict=True))
        two = all(count == 2 for _, count in refs)
        row["check"] = (
            f"FIPS 180-4 'abc': {'match' if fips and ref else 'MISMATCH'}; "
            f"{len(sample)} timed blocks vs pure-Python SHA-256: "
            f"{'match' if timed else 'MISMATCH'}"
        )
        each = "2 compressions each" if two else "NOT 2 compressions each"
        compress["check"] = f"pure-Python SHA-256 of the {len(sample)} timed blocks: {each}"
        row["note"] = f"= {2 * row['throughput'] / 1e6:.2f} M compressions/s (next row)"

    _run(row, body)
    if row["throughput"] is None:
        compress["note"] = row["note"]
    else:
        for key in ("best_ms", "first_s", "cpu_per_wall", "threads"):
            compress[key] = row[key]
        compress["throughput"] = 2 * row["throughput"]
        compress["note"] = f"= 2 x {row['throughput'] / 1e6:.3f} M calls/s (row above)"
    return [row, compress]


def _root(n: int) -> int:
    """The primitive ``n``-th root of unity both NTTs use: 31^((p-1)/n)."""
    return pow(GENERATOR, (P - 1) // n, P)


def _dft_at(x: np.ndarray, k: int) -> int:
    """Output ``k`` of the length-``len(x)`` DFT of canonical ``x``, sum of x_j w^(jk)."""
    n = len(x)
    w = pow(_root(n), k, P)
    powers = np.ones(1, dtype=np.uint64)
    while len(powers) < n:  # doubling: [w^0..w^(m-1)] -> [w^0..w^(2m-1)]
        step = np.uint64(pow(w, len(powers), P))
        powers = np.concatenate([powers, powers * step % np.uint64(P)])
    terms = x.astype(np.uint64) * powers % np.uint64(P)  # < 2^62 before the reduction
    return int(terms.sum() % np.uint64(P))  # n < 2^33 terms below 2^31 fit in 64 bits


def _sample_ks(rng: np.random.Generator, n: int) -> list[int]:
    """Output indices to check: 0, 1, n-1 and random others, ``NTT_SAMPLES`` in all."""
    ks = [0, 1, n - 1]
    return ks + [int(k) for k in rng.integers(2, n - 1, size=max(NTT_SAMPLES - 3, 0))]


def _ntt_samples_ok(x: np.ndarray, out_at: Callable[[int, list[int]], list[int]]) -> bool:
    """Sampled outputs of every column of ``x`` (cols x n, canonical) vs a direct DFT;
    ``out_at(col, ks)`` reads the transform's outputs ``ks`` of column ``col``."""
    rng = np.random.default_rng(SEED + 5)
    for col in range(x.shape[0]):
        ks = _sample_ks(rng, x.shape[1])
        if out_at(col, ks) != [_dft_at(x[col], k) for k in ks]:
            return False
    return True


def _frx_ntt_small_ok() -> bool:
    """At 3 columns x 16: every output of ``lax.ntt`` equals the direct DFT."""
    n = 16
    x = np.random.default_rng(SEED + 6).integers(0, P, size=(3, n), dtype=np.int64)
    out = np.array(_canon(frx.lax.ntt(_bb(x))), dtype=object).reshape(3, n)
    return all(out[c, k] == _dft_at(x[c], k) for c in range(3) for k in range(n))


def ntt_frx(repeat: int) -> dict:
    cols, log_n = NTT_BATCH_COLS, NTT_BATCH_LOG
    n = 1 << log_n
    row = _row(
        "NTT mod BabyBear, batched",
        f"{cols} cols x 2^{log_n}",
        _peer("frx"),
        "frx.jit(lambda x: frx.lax.ntt(x)) on a (cols, n) babybear_mont array",
        "elem/s",
    )
    row["note"] = _missing("frx") or ""

    def body(row: dict) -> None:
        ntt = frx.jit(lambda v: frx.lax.ntt(v))
        x = np.random.default_rng(SEED + 7).integers(0, P, size=(cols, n), dtype=np.int64)
        xb = _bb(x)
        m = _measure(lambda: ntt(xb).block_until_ready(), repeat)
        _fill(row, m, cols * n)
        out = np.asarray(ntt(xb))
        small = _frx_ntt_small_ok()
        timed = _ntt_samples_ok(x, lambda c, ks: [int(v) for v in out[c, ks].astype(object)])
        row["check"] = (
            f"3x16 vs direct DFT: {'match' if small else 'MISMATCH'}; "
            f"{NTT_SAMPLES} outputs/col of timed data vs DFT: {'match' if timed else 'MISMATCH'}"
        )
        row["note"] = (
            f"forward cyclic NTT, natural order, root 31^((p-1)/n); = {m['best_s'] * 1e3:.2f} ms "
            "per batch; babybear_mont storage, as in the Poseidon2 rows"
        )

    return _run(row, body)


def ntt_galois_batch(repeat: int) -> dict:
    cols, log_n = NTT_BATCH_COLS, NTT_BATCH_LOG
    n = 1 << log_n
    row = _row(
        "NTT mod BabyBear, batched",
        f"{cols} cols x 2^{log_n}",
        _peer("galois"),
        f"for col in x: galois.ntt(col, modulus=p)  ({cols} calls)",
        "elem/s",
    )
    row["note"] = _missing("galois") or ""

    def body(row: dict) -> None:
        x = np.random.default_rng(SEED + 7).integers(0, P, size=(cols, n), dtype=np.int64)
        columns = list(x)

        def batch() -> list:
            return [galois.ntt(col, modulus=P) for col in columns]

        m = _measure(batch, repeat)
        _fill(row, m, cols * n)
        out = [np.asarray(y) for y in batch()]
        ok = _ntt_samples_ok(x, lambda c, ks: [int(v) for v in out[c][ks]])
        row["check"] = (
            f"{NTT_SAMPLES} outputs/col of timed data vs DFT: {'match' if ok else 'MISMATCH'}"
        )
        row["note"] = (
            f"galois.ntt takes 1-D input only: one call a column; = {m['best_s'] * 1e3:.2f} ms "
            f"per batch; numba {_version('numba')}"
        )

    return _run(row, body)


def ntt_galois(log_n: int, repeat: int) -> dict:
    n = 1 << log_n
    row = _row("NTT mod BabyBear", f"2^{log_n}", _peer("galois"), "galois.ntt(x, modulus=p)", "ms")
    row["note"] = _missing("galois") or ""

    def body(row: dict) -> None:
        x = np.random.default_rng(SEED + log_n).integers(0, P, size=n, dtype=np.int64)
        m = _measure(lambda: galois.ntt(x, modulus=P), repeat)
        _fill(row, m, n)
        row["note"] = f"= {row['throughput'] / 1e6:.2f} M elem/s; numba {_version('numba')}"
        row["throughput"] = row["best_ms"]  # the figure asked for is the time
        y = galois.ntt(x, modulus=P)
        ok = np.array_equal(np.asarray(galois.intt(y, modulus=P)), x)
        dft = _ntt_samples_ok(x[None, :], lambda c, ks: [int(v) for v in np.asarray(y)[ks]])
        row["check"] = (
            f"intt(ntt(x)) == x: {'yes' if ok else 'NO'}; "
            f"{NTT_SAMPLES} outputs vs DFT: {'match' if dft else 'MISMATCH'}"
        )

    return _run(row, body)


# -- report -----------------------------------------------------------------------


def _environment(args: argparse.Namespace) -> dict:
    try:
        affinity = sorted(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "python": sys.executable,
        "python_version": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "affinity": affinity,
        "loadavg_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "repeat": args.repeat,
        "poseidon2_log_batches": args.log_batch,
        "packages": {
            dist: _version(dist)
            for dist in (
                "hash-frx",
                "pyzorch",
                "zk-dtypes",
                "frx",
                "frxlib",
                "jax",
                "jaxlib",
                "galois",
                "numba",
                "numpy",
            )
        },
        "import_errors": _IMPORT_ERRORS,
    }


def _fmt_throughput(row: dict) -> str:
    value = row["throughput"]
    if value is None:
        return row["note"].split(":", 1)[0] or "-"  # skipped / failed
    if row["unit"] == "ms":
        return f"{value:.2f} ms"
    return f"{value / 1e6:.3f} M {row['unit']}"


def _table(rows: list[dict], env: dict) -> str:
    head = ("figure", "size", "peer", "throughput", "best ms", "cpu/wall", "thr", "check")
    body = []
    for r in rows:
        body.append(
            (
                r["figure"],
                r["size"],
                r["peer"],
                _fmt_throughput(r),
                "-" if r["best_ms"] is None else f"{r['best_ms']:.2f}",
                "-" if r["cpu_per_wall"] is None else f"{r['cpu_per_wall']:.2f}",
                "-" if r["threads"] is None else str(r["threads"]),
                r["check"],
            )
        )
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]
    out = [
        f"peers on {env['machine']}, {env['cpu_count']} CPUs (affinity {env['affinity']}), "
        f"load {env['loadavg_at_start']}, python {env['python_version']}; "
        f"best of {env['repeat']} after a warm-up",
        "packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        "",
        "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in body
    ]
    out.append("")
    for i, r in enumerate(rows, 1):
        out.append(f"[{i}] {r['figure']} ({r['peer']}): {r['api']}")
        if r["note"]:
            out.append(f"    {r['note']}")
        if r["first_s"] is not None:
            out.append(f"    warm-up call (incl. compile): {r['first_s']:.2f} s")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed calls per figure (best kept)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU first")
    ap.add_argument(
        "--log-batch",
        type=int,
        nargs="+",
        default=list(POSEIDON2_LOG_BATCHES),
        metavar="K",
        help="Poseidon2 batch sizes 2^K to measure (default: %(default)s)",
    )
    args = ap.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    env = _environment(args)
    rows = [
        *(poseidon2_hash_frx(w, k, args.repeat) for k in args.log_batch for w in (16, 24)),
        leaves_zorch(args.repeat),
        lde_zorch(args.repeat),
        *sha256_hashlib(args.repeat),
        *(ntt_galois(k, args.repeat) for k in NTT_LOGS),
        ntt_galois_batch(args.repeat),
        ntt_frx(args.repeat),
    ]
    if args.json:
        print(json.dumps({"environment": env, "rows": rows}, indent=1))
    else:
        print(_table(rows, env))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
