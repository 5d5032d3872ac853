"""Peer figures on this CPU, side by side in one run: hash-frx, zorch, hashlib, galois.

The peers the project's issue compares l2gpu with, measured here rather than quoted:

- Poseidon2 BabyBear w16 / w24, 2^16 states -- hash-frx:
  ``frx.jit(frx.vmap(Poseidon2(params).permute))``, its native CPU kernel;
- Merkle leaf hashing, 2^16 rows x 16 columns -- zorch (pyzorch):
  ``MerkleTree(Sponge(rate 8, out 8), Compression(2, 8)).hash_leaves``;
- coset extension, blowup 2, 8 columns x 2^16 -- zorch:
  ``frx.jit(ReedSolomon(2^16, 2, coset_shift=31).extend)``;
- SHA-256 of a 64-byte block, 2^16 calls -- hashlib:
  ``hashlib.sha256(block).digest()`` in a Python loop, reported as calls/s (each call
  is 2 compressions: the 64-byte message pads to two blocks);
- NTT mod BabyBear, 2^16 and 2^20 -- galois: ``galois.ntt(x, modulus=p)``, in ms.

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

A peer that cannot be imported is skipped with a note. Every figure is the best of
``--repeat`` (default 5) timed calls after one warm-up call (which includes compilation);
``cpu/wall`` is process CPU time over wall time during the timed calls (about 1 means
one core busy) and ``threads`` the process's OS threads afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import ssl
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

P = 2013265921  # BabyBear: 2^31 - 2^27 + 1
COSET_SHIFT = 31  # BabyBear's multiplicative generator
SEED = 0x1279
LOG_N = 16
LEAF_COLS = 16
LDE_COLS = 8
LDE_BLOWUP = 2
NTT_LOGS = (16, 20)
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


def poseidon2_hash_frx(width: int, repeat: int) -> dict:
    n = 1 << LOG_N
    row = _row(
        f"Poseidon2 BabyBear w{width} permute",
        f"2^{LOG_N} states",
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


def sha256_hashlib(repeat: int) -> dict:
    n = 1 << LOG_N
    row = _row(
        "SHA-256 of a 64-byte block, Python loop",
        f"2^{LOG_N} calls",
        f"hashlib (OpenSSL {ssl.OPENSSL_VERSION.split()[1]})",
        "for b in blocks: hashlib.sha256(b).digest()",
        "calls/s",
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
        ok = sha256(b"abc").hexdigest().startswith("ba7816bf")
        row["check"] = "FIPS 180-4 'abc': " + ("match" if ok else "MISMATCH")
        row["note"] = (
            f"a 64-byte message pads to 2 blocks: = {2 * row['throughput'] / 1e6:.2f} M "
            "compressions/s"
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
        ok = np.array_equal(np.asarray(galois.intt(galois.ntt(x, modulus=P), modulus=P)), x)
        row["check"] = "intt(ntt(x)) == x: " + ("yes" if ok else "NO")

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
    args = ap.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    env = _environment(args)
    rows = [
        poseidon2_hash_frx(16, args.repeat),
        poseidon2_hash_frx(24, args.repeat),
        leaves_zorch(args.repeat),
        lde_zorch(args.repeat),
        sha256_hashlib(args.repeat),
        *(ntt_galois(k, args.repeat) for k in NTT_LOGS),
    ]
    if args.json:
        print(json.dumps({"environment": env, "rows": rows}, indent=1))
    else:
        print(_table(rows, env))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
