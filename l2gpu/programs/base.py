"""What a program is: an executor from inputs to a trace, and a circuit that checks it.

How to write a program:

1. Declare the groups and the constraints once (:func:`~l2gpu.stark.build_circuit`).
2. ``execute(**inputs)`` runs the computation into an :class:`Execution`: the trace of
   every group, the public inputs and outputs, and the step count.
3. ``globals(public_inputs, public_outputs)`` lays the public values out as the
   circuit's globals (what the seal carries), validating them.
4. ``code(po2)`` gives the fixed columns of the ``code`` group; their Merkle root — the
   control root — is what the verifier expects for that size.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import backends
from ..field import P
from ..hashing import Digest, get_suite
from ..stark import Circuit
from ..stark.prover import commit_columns

MIN_PO2 = 4  # 16 rows: the smallest trace l2gpu proves
MAX_PO2 = 24


@dataclass(frozen=True)
class Execution:
    """A program run: its trace (one ``(width, 2^po2)`` array per group) and statement."""

    program: str
    po2: int
    trace: tuple[np.ndarray, ...]
    public_inputs: dict[str, int]
    public_outputs: dict[str, int]
    steps: int

    @property
    def rows(self) -> int:
        return 1 << self.po2


class Program(ABC):
    """A provable program."""

    name: str
    circuit: Circuit
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()

    @abstractmethod
    def execute(self, **inputs: object) -> Execution:
        """Run the program into a trace."""

    @abstractmethod
    def code(self, po2: int) -> np.ndarray:
        """The fixed ``code`` columns for ``2^po2`` rows."""

    def globals(
        self, public_inputs: Mapping[str, int], public_outputs: Mapping[str, int]
    ) -> tuple[tuple[int, ...], ...]:
        """The public values as per-group globals: inputs then outputs, on the group
        that declares globals. Raises ``ValueError`` for missing, extra or non-canonical
        values."""
        for kind, names, values in (
            ("input", self.input_names, public_inputs),
            ("output", self.output_names, public_outputs),
        ):
            if set(values) != set(names):
                raise ValueError(
                    f"{self.name} takes public {kind}s {list(names)}, got {sorted(values)}"
                )
            for k in names:
                v = values[k]
                if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < P:
                    raise ValueError(f"public {kind} {k!r} must be an integer in [0, P), got {v!r}")
        flat = [public_inputs[k] for k in self.input_names]
        flat += [public_outputs[k] for k in self.output_names]
        out = []
        for g in self.circuit.groups:
            out.append(tuple(flat[: g.global_count]))
            flat = flat[g.global_count :]
        return tuple(out)

    def control_root(self, po2: int, suite: str = "poseidon2") -> Digest:
        """The Merkle root of the ``code`` group at ``2^po2`` rows (cached)."""
        return _control_root(self, po2, suite)


@lru_cache(maxsize=64)
def _control_root(program: Program, po2: int, suite: str) -> Digest:
    be = backends.get("numpy")
    _, tree = commit_columns(be.asarray(program.code(po2)), get_suite(suite), be)
    return tuple(int(w) for w in tree.root)


def check_po2(po2: int) -> int:
    if not isinstance(po2, int) or not MIN_PO2 <= po2 <= MAX_PO2:
        raise ValueError(f"po2 must be an integer in [{MIN_PO2}, {MAX_PO2}], got {po2!r}")
    return po2
