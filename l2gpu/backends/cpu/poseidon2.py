"""Poseidon2 kernels of the ``cpu`` backend: permutation, row hash and pair hash.

The permutation is generated as LLVM IR over vectors of 16 lanes (``<16 x i32>``) and
compiled for this CPU by llvmlite (numba's LLVM): 512-bit registers on AVX-512, pairs of
256-bit ones on AVX2. numba's own loop vectorizer widens 32-bit Montgomery products
through 64-bit lanes with a shuffle per step; written out as vectors, a product is four
32×32→64-bit multiplies on the even and odd lanes (``vpmuludq``), one 32-bit multiply and
a blend — about half the instructions. The whole permutation is straight-line code over
the ``width`` state vectors, round constants inlined as Montgomery words, ``M4`` as an
addition chain (a reduced addition is three instructions) for the two matrices of the
shipped parameter sets and a product by constants otherwise.

Three entry points run it over blocks of 16 lanes of row-major ``(rows, stride)``
buffers: ``permute`` (canonical in and out), ``hash_pairs`` (Montgomery digest words in
and out: no conversion) and ``hash_rows`` (RISC Zero's sponge; canonical in, Montgomery
words out). Python splits the blocks over the cores (a ctypes call releases the GIL).

Compiled objects are cached under ``<cache dir>/cpu/``, named by a hash of the IR, the
CPU and LLVM's version, so a second process does not compile again.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from numba import config as numba_config

from ...config import cache_dir
from ...field import MONT_R, P
from ...poseidon2 import Poseidon2Params
from .field import mont

LANES = 16
_V = f"<{LANES} x i32>"
_V64 = f"<{LANES // 2} x i64>"
_PINV_NEG = (-pow(P, -1, 1 << 32)) % (1 << 32)
_R2 = MONT_R * MONT_R % P
_MIN_SPLIT = 32  # blocks of 16 lanes below which one thread does all the work

# M4 as addition chains, for the matrices of the shipped parameter sets: steps
# (target, left, right) over x0..x3 and temporaries; outputs y0..y3.
_CHAINS = {
    ((5, 7, 1, 3), (4, 6, 1, 1), (1, 3, 5, 7), (1, 1, 4, 6)): (  # the Poseidon2 paper's
        ("t0", "x0", "x1"),
        ("t1", "x2", "x3"),
        ("t2", "x1", "x1"),
        ("t2", "t2", "t1"),  # 2x1 + x2 + x3
        ("t3", "x3", "x3"),
        ("t3", "t3", "t0"),  # x0 + x1 + 2x3
        ("t4", "t1", "t1"),
        ("t4", "t4", "t4"),
        ("y3", "t4", "t3"),  # x0 + x1 + 4x2 + 6x3
        ("t5", "t0", "t0"),
        ("t5", "t5", "t5"),
        ("y1", "t5", "t2"),  # 4x0 + 6x1 + x2 + x3
        ("y0", "t3", "y1"),  # 5x0 + 7x1 + x2 + 3x3
        ("y2", "t2", "y3"),  # x0 + 3x1 + 5x2 + 7x3
    ),
    ((2, 3, 1, 1), (1, 2, 3, 1), (1, 1, 2, 3), (3, 1, 1, 2)): (  # Plonky3's
        ("t0", "x0", "x1"),
        ("t1", "x2", "x3"),
        ("t2", "t0", "t1"),  # x0 + x1 + x2 + x3
        ("t3", "t2", "x1"),
        ("t4", "t2", "x3"),
        ("t5", "x0", "x0"),
        ("y3", "t4", "t5"),  # 3x0 + x1 + x2 + 2x3
        ("t6", "x2", "x2"),
        ("y1", "t3", "t6"),  # x0 + 2x1 + 3x2 + x3
        ("y0", "t3", "t0"),  # 2x0 + 3x1 + x2 + x3
        ("y2", "t4", "t1"),  # x0 + x1 + 2x2 + 3x3
    ),
}


def _splat(value: int, wide: bool = False) -> str:
    kind, count = ("i64", LANES // 2) if wide else ("i32", LANES)
    return "<" + ", ".join(f"{kind} {value}" for _ in range(count)) + ">"


_LO = _splat(0xFFFFFFFF, True)
_SH = _splat(32, True)


def _interleave(half: int) -> str:
    """Shuffle indices taking 32-bit half ``half`` (0 low, 1 high) of each 64-bit element
    of two vectors — the even lanes' results, then the odd lanes' — back into 16 lanes."""
    picks = (i + half if i % 2 == 0 else LANES + i - 1 + half for i in range(LANES))
    return "<" + ", ".join(f"i32 {j}" for j in picks) + ">"


_EVEN_HALVES, _ODD_HALVES = _interleave(0), _interleave(1)

# Reduced addition and Montgomery product of 16 lanes (inputs below P, output below P).
# ``mul_lazy`` skips the final subtraction: for ``a·b < 2.41·P²`` (no 64-bit overflow)
# its result is below ``a·b/2^32 + P``. The S-box uses it where that bound allows:
# x2 < 1.47P, x4 = x2·x2 < 2.02P, then x3 = x2·x and x7 = x3·x4 reduce below P again.
# ``halve`` is x/2 (x even) or (x + P)/2, ``neg`` is P − x reduced.
_PRELUDE = f"""
declare {_V} @llvm.umin.v{LANES}i32({_V}, {_V})

define internal {_V} @add({_V} %a, {_V} %b) alwaysinline {{
  %s = add {_V} %a, %b
  %t = sub {_V} %s, {_splat(P)}
  %r = call {_V} @llvm.umin.v{LANES}i32({_V} %s, {_V} %t)
  ret {_V} %r
}}

define internal {_V} @mul_lazy({_V} %a, {_V} %b) alwaysinline {{
  %a64 = bitcast {_V} %a to {_V64}
  %b64 = bitcast {_V} %b to {_V64}
  %ae = and {_V64} %a64, {_LO}
  %be = and {_V64} %b64, {_LO}
  %ao = lshr {_V64} %a64, {_SH}
  %bo = lshr {_V64} %b64, {_SH}
  %te = mul {_V64} %ae, %be
  %to = mul {_V64} %ao, %bo
  %te32 = bitcast {_V64} %te to {_V}
  %to32 = bitcast {_V64} %to to {_V}
  %tlo = shufflevector {_V} %te32, {_V} %to32, <{LANES} x i32> {_EVEN_HALVES}
  %m32 = mul {_V} %tlo, {_splat(_PINV_NEG)}
  %m64 = bitcast {_V} %m32 to {_V64}
  %mel = and {_V64} %m64, {_LO}
  %mol = lshr {_V64} %m64, {_SH}
  %pe = mul {_V64} %mel, {_splat(P, True)}
  %po = mul {_V64} %mol, {_splat(P, True)}
  %se = add {_V64} %te, %pe
  %so = add {_V64} %to, %po
  %se32 = bitcast {_V64} %se to {_V}
  %so32 = bitcast {_V64} %so to {_V}
  %r = shufflevector {_V} %se32, {_V} %so32, <{LANES} x i32> {_ODD_HALVES}
  ret {_V} %r
}}

define internal {_V} @mul({_V} %a, {_V} %b) alwaysinline {{
  %r = call {_V} @mul_lazy({_V} %a, {_V} %b)
  %t = sub {_V} %r, {_splat(P)}
  %m = call {_V} @llvm.umin.v{LANES}i32({_V} %r, {_V} %t)
  ret {_V} %m
}}

define internal {_V} @halve({_V} %x) alwaysinline {{
  %odd = and {_V} %x, {_splat(1)}
  %mask = sub {_V} zeroinitializer, %odd
  %fix = and {_V} %mask, {_splat(P)}
  %s = add {_V} %x, %fix
  %r = lshr {_V} %s, {_splat(1)}
  ret {_V} %r
}}

define internal {_V} @neg({_V} %x) alwaysinline {{
  %s = sub {_V} {_splat(P)}, %x
  %t = sub {_V} %s, {_splat(P)}
  %r = call {_V} @llvm.umin.v{LANES}i32({_V} %s, {_V} %t)
  ret {_V} %r
}}

define internal {_V} @sbox({_V} %x) alwaysinline {{
  %x2 = call {_V} @mul_lazy({_V} %x, {_V} %x)
  %x3 = call {_V} @mul({_V} %x2, {_V} %x)
  %x4 = call {_V} @mul_lazy({_V} %x2, {_V} %x2)
  %x7 = call {_V} @mul({_V} %x3, {_V} %x4)
  ret {_V} %x7
}}
"""


_DOUBLINGS = {1: 0, 2: 1, 4: 2}  # c = 2^k
_HALVINGS = {pow(2, -k, P): k for k in (1, 2, 3)}  # c = 2^-k


class _Builder:
    """Straight-line IR over 16-lane values, one fresh SSA name per result."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._count = 0

    def fresh(self) -> str:
        self._count += 1
        return f"%v{self._count}"

    def call(self, fn: str, *args: str) -> str:
        out = self.fresh()
        self.lines.append(f"  {out} = call {_V} @{fn}({', '.join(f'{_V} {a}' for a in args)})")
        return out

    def add(self, a: str, b: str) -> str:
        return self.call("add", a, b)

    def mul(self, a: str, b: str) -> str:
        return self.call("mul", a, b)

    def times(self, a: str, c: int) -> str:
        """``a·c`` for a constant ``c``: additions or halvings (and a negation) for
        ``±1 … ±4`` and ``±1/2 … ±1/8`` — most of Plonky3's internal diagonal — else a
        Montgomery product. Both commute with the Montgomery scaling."""
        for negate, value in ((False, c % P), (True, -c % P)):
            if value in _DOUBLINGS:
                for _ in range(_DOUBLINGS[value]):
                    a = self.add(a, a)
            elif value == 3:
                a = self.add(self.add(a, a), a)
            elif value in _HALVINGS:
                for _ in range(_HALVINGS[value]):
                    a = self.call("halve", a)
            else:
                continue
            return self.call("neg", a) if negate else a
        return self.mul(a, _splat(mont(c)))

    def sum(self, values: list[str]) -> str:
        """A balanced tree of additions: a chain of ``log2`` of them, not of ``len``."""
        while len(values) > 1:
            pairs = [self.add(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)]
            values = pairs + values[len(pairs) * 2 :]
        return values[0]


def _external(b: _Builder, s: list[str], p: Poseidon2Params, m4: list[list[str]]) -> list[str]:
    """``M_EXT``: ``M4`` on each block of four cells, plus the sums over the blocks."""
    w = p.width
    chain = _CHAINS.get(tuple(tuple(int(v) for v in row) for row in p.m4))
    y: list[str] = []
    for k in range(w // 4):
        x = s[4 * k : 4 * k + 4]
        if chain is None:
            for i in range(4):
                terms = [b.mul(x[j], m4[i][j]) for j in range(4)]
                y.append(b.add(b.add(terms[0], terms[1]), b.add(terms[2], terms[3])))
            continue
        names = {f"x{j}": x[j] for j in range(4)}
        for dst, left, right in chain:
            names[dst] = b.add(names[left], names[right])
        y.extend(names[f"y{j}"] for j in range(4))
    sums = [b.sum(y[j::4]) for j in range(4)]
    return [b.add(y[c], sums[c % 4]) for c in range(w)]


def _permutation(p: Poseidon2Params) -> str:
    """``@perm``: Poseidon2 in place on a ``(width, 16)`` state of Montgomery words."""
    w = p.width
    b = _Builder()
    ptrs = [f"%p{c}" for c in range(w)]
    for c in range(w):
        b.lines.append(f"  {ptrs[c]} = getelementptr {_V}, ptr %s, i64 {c}")
    s = []
    for c in range(w):
        s.append(b.fresh())
        b.lines.append(f"  {s[-1]} = load {_V}, ptr {ptrs[c]}, align 4")
    m4 = [[_splat(mont(int(v))) for v in row] for row in p.m4]
    s = _external(b, s, p, m4)
    for r in range(p.rounds_full):
        if r == p.half_full:
            for rc in p.partial_round_constants:
                s[0] = b.call("sbox", b.add(s[0], _splat(mont(int(rc)))))
                total = b.add(s[0], b.sum(s[1:]))  # the rest's sum overlaps the S-box
                s = [b.add(total, b.times(s[c], int(d))) for c, d in enumerate(p.internal_diag)]
        rcs = [_splat(mont(int(c))) for c in p.full_round_constants[r]]
        s = [b.call("sbox", b.add(s[c], rcs[c])) for c in range(w)]
        s = _external(b, s, p, m4)
    for c in range(w):
        b.lines.append(f"  store {_V} {s[c]}, ptr {ptrs[c]}, align 4")
    body = "\n".join(b.lines)
    return f"define internal void @perm(ptr %s) noinline {{\nentry:\n{body}\n  ret void\n}}\n"


def _driver(name: str, params: str, w: int, body: list[str], entry: Sequence[str] = ()) -> str:
    """An entry point over ``%n`` blocks of 16 lanes of row-major ``(rows, %stride)``
    buffers. ``body`` runs once a block: it sees ``%off`` (the block's first lane) and
    ``%st`` (the ``(width, 16)`` state) and may open blocks of its own."""
    lines = "\n".join(body)
    prologue = "\n".join(entry)
    return f"""define void @{name}({params}, i64 %stride, i64 %n) {{
entry:
  %st = alloca [{w} x {_V}], align 64
{prologue}
  %empty = icmp eq i64 %n, 0
  br i1 %empty, label %exit, label %block
block:
  %i = phi i64 [0, %entry], [%next, %done]
  %off = mul i64 %i, {LANES}
{lines}
  %next = add i64 %i, 1
  %last = icmp eq i64 %next, %n
  br i1 %last, label %exit, label %done
done:
  br label %block
exit:
  ret void
}}
"""


def _lanes(base: str, row: int | str, name: str) -> list[str]:
    """``%name`` = the address of lanes ``%off …`` of row ``row`` of ``base``."""
    return [
        f"  %{name}.r = mul i64 {row}, %stride",
        f"  %{name}.i = add i64 %{name}.r, %off",
        f"  %{name} = getelementptr i32, ptr {base}, i64 %{name}.i",
    ]


def _cell(c: int, name: str) -> list[str]:
    """``%name`` = the address of state cell ``c``."""
    return [f"  %{name} = getelementptr {_V}, ptr %st, i64 {c}"]


def _move(src: str, dst: str, name: str, convert: str | None = None) -> list[str]:
    """Load 16 lanes at ``src``, multiply them by ``convert`` (a Montgomery conversion)
    if given, store them at ``dst``."""
    lines = [f"  %{name}.v = load {_V}, ptr {src}, align 4"]
    value = f"%{name}.v"
    if convert:
        lines.append(f"  %{name}.m = call {_V} @mul({_V} {value}, {_V} {convert})")
        value = f"%{name}.m"
    return [*lines, f"  store {_V} {value}, ptr {dst}, align 4"]


def _load_row(base: str, row: int, cell: int, name: str, convert: str | None = None) -> list[str]:
    return [
        *_lanes(base, row, f"{name}.src"),
        *_cell(cell, f"{name}.dst"),
        *_move(f"%{name}.src", f"%{name}.dst", name, convert),
    ]


def _store_row(cell: int, name: str, convert: str | None = None) -> list[str]:
    return [
        *_cell(cell, f"{name}.src"),
        *_lanes("%out", cell, f"{name}.dst"),
        *_move(f"%{name}.src", f"%{name}.dst", name, convert),
    ]


def _zero_cells(cells: range) -> list[str]:
    return [
        line
        for c in cells
        for line in (*_cell(c, f"z{c}"), f"  store {_V} {_splat(0)}, ptr %z{c}, align 4")
    ]


def module_ir(p: Poseidon2Params) -> str:
    """The LLVM module of parameter set ``p``: ``@perm`` and three entry points —
    ``permute(in, out)``, ``hash_pairs(left, right, out)`` and ``hash_rows(mat, out,
    cols)``, each followed by ``stride`` and the number of blocks ``n``."""
    w = p.width
    to_mont, from_mont = _splat(_R2), _splat(1)
    call = "  call void @perm(ptr %st)"
    permute = [line for c in range(w) for line in _load_row("%in", c, c, f"i{c}", to_mont)]
    permute += [call, *(line for c in range(w) for line in _store_row(c, f"o{c}", from_mont))]
    pairs = [line for c in range(8) for line in _load_row("%left", c, c, f"l{c}")]
    pairs += [line for c in range(8) for line in _load_row("%right", c, c + 8, f"r{c}")]
    pairs += [*_zero_cells(range(16, w)), call]
    pairs += [line for c in range(8) for line in _store_row(c, f"o{c}")]
    # The sponge: each chunk of 16 columns overwrites the rate cells — a column past
    # %cols reads a zero vector instead — then @perm; at least one chunk, so an empty
    # row is one permutation of zeros.
    sponge = [*_zero_cells(range(16, w)), "  br label %chunk", "chunk:"]
    sponge.append("  %k = phi i64 [0, %block], [%knext, %chunk]")
    for c in range(16):
        sponge += [f"  %k{c} = add i64 %k, {c}", f"  %has{c} = icmp ult i64 %k{c}, %cols"]
        sponge += _lanes("%mat", f"%k{c}", f"m{c}") + _cell(c, f"s{c}")
        sponge.append(f"  %src{c} = select i1 %has{c}, ptr %m{c}, ptr %zero")
        sponge += _move(f"%src{c}", f"%s{c}", f"x{c}", to_mont)
    sponge += [call, "  %knext = add i64 %k, 16", "  %more = icmp ult i64 %knext, %cols"]
    sponge += ["  br i1 %more, label %chunk, label %absorbed", "absorbed:"]
    sponge += [line for c in range(8) for line in _store_row(c, f"o{c}")]
    zero = [f"  %zero = alloca {_V}, align 64", f"  store {_V} {_splat(0)}, ptr %zero, align 4"]
    return "".join(
        (
            _PRELUDE,
            _permutation(p),
            _driver("permute", "ptr %in, ptr %out", w, permute),
            _driver("hash_pairs", "ptr %left, ptr %right, ptr %out", w, pairs),
            _driver("hash_rows", "ptr %mat, ptr %out, i64 %cols", w, sponge, zero),
        )
    )


class _Kernels:
    """The compiled entry points of one parameter set, as ctypes functions."""

    def __init__(self, p: Poseidon2Params) -> None:
        ir = module_ir(p)
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        key = hashlib.sha256(f"{ir}|{cpu}|{features}|{llvmlite.__version__}".encode())
        path = cache_dir() / "cpu" / f"poseidon2-{p.name}-{key.hexdigest()[:16]}.o"
        target = llvm.Target.from_default_triple()
        machine = target.create_target_machine(cpu=cpu, features=features, opt=3)
        module = llvm.parse_assembly(ir)
        cached = path.read_bytes() if path.exists() else None
        self.compiled = cached is None  # False: machine code from the cache, no codegen
        if cached is None:
            module.verify()
            builder = llvm.create_pass_builder(
                machine, llvm.create_pipeline_tuning_options(speed_level=3)
            )
            builder.getModulePassManager().run(module, builder)
        self._engine = llvm.create_mcjit_compiler(module, machine)
        self._engine.set_object_cache(
            notify_func=lambda _module, data: _write_atomic(path, data),
            getbuffer_func=lambda _module: cached,
        )
        self._engine.finalize_object()
        u64, ptr = ctypes.c_uint64, ctypes.c_void_p

        def entry(name: str, *args) -> ctypes._CFuncPtr:
            return ctypes.CFUNCTYPE(None, *args)(self._engine.get_function_address(name))

        self.permute = entry("permute", ptr, ptr, u64, u64)
        self.hash_pairs = entry("hash_pairs", ptr, ptr, ptr, u64, u64)
        self.hash_rows = entry("hash_rows", ptr, ptr, u64, u64, u64)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a concurrent reader never sees half a file. The
    cache only saves compile time: where it cannot be written, the kernels still run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).replace(path)
    except OSError:
        return


@cache
def _kernels(p: Poseidon2Params) -> _Kernels:
    return _Kernels(p)


@cache
def _pool(pid: int) -> ThreadPoolExecutor:
    """The worker threads of process ``pid`` (a forked child gets its own: the parent's
    threads do not exist there)."""
    return ThreadPoolExecutor(max_workers=numba_config.NUMBA_NUM_THREADS)


def _run(call, inputs: list[np.ndarray], out: np.ndarray, *head: int) -> None:
    """Run ``call(*input pointers, out pointer, *head, stride, blocks)`` over row-major
    arrays of ``m`` lanes: whole blocks of 16 in place, split over the cores; the last
    partial block through padded copies."""
    m = out.shape[1]
    blocks = m // LANES
    threads = min(numba_config.NUMBA_NUM_THREADS, max(1, blocks // _MIN_SPLIT))
    bounds = [blocks * t // threads for t in range(threads + 1)]

    def part(lo: int, hi: int) -> None:
        offset = lo * LANES * 4
        ptrs = [a.ctypes.data + offset for a in (*inputs, out)]
        call(*ptrs, *head, m, hi - lo)

    if threads > 1:
        list(_pool(os.getpid()).map(part, bounds[:-1], bounds[1:]))
    elif blocks:
        part(0, blocks)
    tail = m - blocks * LANES
    if tail:
        pads = [np.zeros((a.shape[0], LANES), np.uint32) for a in (*inputs, out)]
        for pad, a in zip(pads, inputs, strict=False):
            pad[:, :tail] = a[:, blocks * LANES :]
        call(*(pad.ctypes.data for pad in pads), *head, LANES, 1)
        out[:, blocks * LANES :] = pads[-1][:, :tail]


def _rows(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.uint32)


def permute(states: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """Poseidon2 on each column of canonical ``(width, batch)`` states."""
    states = _rows(states)
    out = np.empty(states.shape, dtype=np.uint32)
    _run(_kernels(p).permute, [states], out)
    return out


def hash_rows(matrix: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """RISC Zero's Poseidon2 sponge over each row of canonical ``(cols, rows)`` → ``(8, rows)``
    raw Montgomery digest words."""
    matrix = _rows(matrix)
    out = np.empty((8, matrix.shape[1]), dtype=np.uint32)
    if matrix.shape[0] == 0:  # the rows are read as a zero chunk; give them one to point at
        matrix = np.zeros((1, matrix.shape[1]), np.uint32)
        cols = 0
    else:
        cols = matrix.shape[0]
    _run(_kernels(p).hash_rows, [matrix], out, cols)
    return out


def hash_pairs(left: np.ndarray, right: np.ndarray, p: Poseidon2Params) -> np.ndarray:
    """``hash_pair`` of ``(8, m)`` Montgomery digest words → ``(8, m)``."""
    out = np.empty(left.shape, dtype=np.uint32)
    _run(_kernels(p).hash_pairs, [_rows(left), _rows(right)], out)
    return out
