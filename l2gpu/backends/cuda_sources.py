"""The CUDA sources of the CuPy backend, assembled into self-contained modules.

The files live in ``l2gpu/kernels`` (package data). A module is one ``.cu`` file, or
generated text, with every ``#include "…"`` replaced by the file it names (once each)
and a prelude of parameters in front: the string is everything NVRTC compiles, so
CuPy's compilation cache — keyed by the source — sees every change to a header or to a
parameter. Nothing here needs CuPy or a GPU.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import numpy as np

from ..field import to_mont
from ..poseidon2 import Poseidon2Params

MODULES = ("elementwise.cu", "fri.cu", "ntt.cu", "poseidon2.cu", "sha256.cu")
"""The kernel files, one per hot path (each includes ``field.cuh``)."""

HEADERS = ("field.cuh", "constraints.cuh")

_INCLUDE = re.compile(r'^[ \t]*#include[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)
_ONCE = re.compile(r"^[ \t]*#pragma[ \t]+once[ \t]*\n", re.MULTILINE)


@cache
def read(name: str) -> str:
    """The text of ``l2gpu/kernels/<name>``."""
    return resources.files("l2gpu").joinpath("kernels", name).read_text()


def expand(text: str, prelude: str = "") -> str:
    """``prelude``, then ``text`` with its ``#include "…"`` lines expanded (once each)."""
    seen: set[str] = set()

    def include(match: re.Match) -> str:
        name = match.group(1)
        if name in seen:
            return ""
        seen.add(name)
        return _ONCE.sub("", _INCLUDE.sub(include, read(name)))

    return prelude + _INCLUDE.sub(include, text)


def assemble(name: str, prelude: str = "") -> str:
    """The module made of kernel file ``name`` and ``prelude``."""
    return expand(read(name), prelude)


def kernel_names(source: str) -> list[str]:
    """The ``extern "C"`` kernels a module defines, in order."""
    pattern = r'extern\s+"C"\s+__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s*)?(\w+)\s*\('
    return re.findall(pattern, source)


def ntt_prelude(log_tile: int) -> str:
    """``ntt.cu``'s tile, ``2^log_tile`` elements of shared memory per block, and its
    threads: one per radix-4 group of the tile, at most 256."""
    threads = max(1, min(256, (1 << log_tile) // 4))
    return f"#define NTT_LOG_TILE {int(log_tile)}\n#define NTT_THREADS {threads}\n"


def _array(name: str, values: np.ndarray) -> str:
    words = ", ".join(f"{int(v)}u" for v in np.asarray(values).ravel()) or "0u"
    return f"__constant__ unsigned int {name}[{max(np.size(values), 1)}] = {{{words}}};\n"


def poseidon2_prelude(p: Poseidon2Params) -> str:
    """``poseidon2.cu``'s parameters: sizes and ``M4`` as ``#define``s, the round constants
    and the internal diagonal as ``__constant__`` arrays in Montgomery form.

    Raises ``ValueError`` for an instance the kernels cannot run: a width that is not a
    multiple of 4, or an ``M4`` whose row sums could overflow the 64-bit sums of the
    external layer before their single reduction.
    """
    if p.width % 4 or p.width < 4:
        raise ValueError(f"Poseidon2 width must be a positive multiple of 4, got {p.width}")
    m4 = np.asarray(p.m4, dtype=np.uint64)
    if (p.width // 4 + 1) * int(m4.sum(axis=1).max()) >= 1 << 32:
        raise ValueError(f"the M4 of {p.name!r} has entries too large for the CUDA kernels")
    rows = ", ".join("{" + ", ".join(f"{int(v)}u" for v in row) + "}" for row in m4)
    return (
        f"#define P2_WIDTH {p.width}\n"
        f"#define P2_ROUNDS_F {p.rounds_full}\n"
        f"#define P2_ROUNDS_P {p.rounds_partial}\n"
        f"#define P2_M4 {{{rows}}}\n"
        + _array("P2_FULL_RC", to_mont(p.full_round_constants))
        + _array("P2_PART_RC", to_mont(p.partial_round_constants))
        + _array("P2_DIAG", to_mont(p.internal_diag))
    )


def define(source: str, name: str) -> int:
    """The integer a module ``#define``s as ``name`` (its kernels' launch widths)."""
    match = re.search(rf"^[ \t]*#define[ \t]+{name}[ \t]+(\d+)", source, re.MULTILINE)
    if match is None:
        raise KeyError(f"the module does not #define {name}")
    return int(match.group(1))
