"""Poseidon2 over BabyBear with its parameters as data.

Three parameter sets ship with the package: ``risc0-w24`` (RISC Zero's hash suite),
``plonky3-w16`` and ``plonky3-w24`` (Plonky3's BabyBear instances). They differ only in
data — width, the 4×4 block of the external layer, the internal diagonal, the round
constants — so every backend has one permutation kernel that takes a
:class:`Poseidon2Params`.

The permutation: ``s = M_EXT·s``; 4 full rounds (add a constant row, ``x^7`` on every
cell, ``M_EXT``); the partial rounds (add a constant to cell 0, ``x^7`` on cell 0,
``M_INT``); 4 more full rounds. ``M_EXT`` applies ``M4`` to each block of 4 cells and
adds the column sums of the blocks; ``M_INT·s = Σs + D∘s``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from .field import P

PARAM_SETS = ("risc0-w24", "plonky3-w16", "plonky3-w24")


@dataclass(frozen=True, eq=False)
class Poseidon2Params:
    """One Poseidon2 instance; all values canonical, arrays read-only ``uint32``."""

    name: str
    width: int
    rounds_full: int
    rounds_partial: int
    m4: np.ndarray  # (4, 4) small integers
    internal_diag: np.ndarray  # (width,)
    full_round_constants: np.ndarray  # (rounds_full, width): first half, then second half
    partial_round_constants: np.ndarray  # (rounds_partial,)

    @property
    def half_full(self) -> int:
        return self.rounds_full // 2


@cache
def _table() -> dict:
    text = resources.files("l2gpu").joinpath("data/poseidon2.json").read_text()
    return json.loads(text)


def _frozen(values: list) -> np.ndarray:
    a = np.array(values, dtype=np.uint32)
    if a.size and int(a.max()) >= P:
        raise ValueError("Poseidon2 constant not canonical")
    a.setflags(write=False)
    return a


@cache
def params(name: str | Poseidon2Params) -> Poseidon2Params:
    """The parameter set called ``name`` (one of :data:`PARAM_SETS`)."""
    if isinstance(name, Poseidon2Params):
        return name
    if name not in PARAM_SETS:
        raise ValueError(f"unknown Poseidon2 parameter set {name!r}; choose one of {PARAM_SETS}")
    d = _table()[name]
    return Poseidon2Params(
        name=name,
        width=d["width"],
        rounds_full=d["rounds_full"],
        rounds_partial=d["rounds_partial"],
        m4=_frozen(d["m4"]),
        internal_diag=_frozen(d["internal_diag"]),
        full_round_constants=_frozen(d["full_round_constants"]),
        partial_round_constants=_frozen(d["partial_round_constants"]),
    )
