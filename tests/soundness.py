"""Helpers for the programs' soundness tests: forge a trace or a statement, expect rejection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

import l2gpu
from l2gpu import VerificationError, programs
from l2gpu.field import P


def bumped(trace: Sequence[np.ndarray], group: int, column: int, row: int) -> list[np.ndarray]:
    """A copy of ``trace`` with one cell changed (``+1 mod P``)."""
    out = [t.copy() for t in trace]
    out[group][column, row] = (int(out[group][column, row]) + 1) % P
    return out


def broken(execution: programs.Execution, trace: Sequence[np.ndarray]) -> dict[int, list[int]]:
    """The constraints ``trace`` breaks under ``execution``'s statement (no proof)."""
    program = programs.get(execution.program)
    globals_ = program.globals(execution.public_inputs, execution.public_outputs)
    found = program.circuit.unsatisfied(trace, globals_)
    return {k: rows.tolist() for k, rows in found.items()}


def assert_rejected(
    execution: programs.Execution,
    trace: Sequence[np.ndarray] | None = None,
    public_inputs: Mapping[str, int] | None = None,
    public_outputs: Mapping[str, int] | None = None,
) -> str:
    """Prove a forged trace or statement through the unchecked entry; the verifier must
    reject it. Returns the rejection message."""
    proof = l2gpu.prove_trace(
        execution.program,
        execution.trace if trace is None else trace,
        execution.public_inputs if public_inputs is None else public_inputs,
        execution.public_outputs if public_outputs is None else public_outputs,
        backend="numpy",
    )
    with pytest.raises(VerificationError) as info:
        l2gpu.verify(proof)
    return str(info.value)
