"""``prove`` / ``verify``: the front door for proving programs by name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import backends, config, programs
from .errors import VerificationError
from .hashing import Digest, get_suite
from .proof import PROTOCOL, Proof
from .stark import prover, verifier
from .stark.prover import Progress


def prove(
    program: str | programs.Program,
    *,
    backend=None,
    suite: str | None = None,
    progress: Progress | None = None,
    **inputs: object,
) -> Proof:
    """Execute ``program`` on ``inputs`` and prove it: ``prove("fibonacci", n=1000)``.

    ``backend`` and ``suite`` default to the configured ones (:mod:`l2gpu.config`).
    """
    prog = programs.get(program)
    execution = prog.execute(**inputs)
    return prove_trace(
        prog,
        execution.trace,
        execution.public_inputs,
        execution.public_outputs,
        backend=backend,
        suite=suite,
        progress=progress,
    )


def prove_trace(
    program: str | programs.Program,
    trace: Sequence[np.ndarray],
    public_inputs: Mapping[str, int],
    public_outputs: Mapping[str, int],
    *,
    backend=None,
    suite: str | None = None,
    progress: Progress | None = None,
) -> Proof:
    """Prove a given trace and public values WITHOUT checking them.

    For soundness tests and research: a trace that breaks a constraint, or a wrong
    public output, still gives a seal — one the verifier must reject.
    """
    statement = (trace, public_inputs, public_outputs)
    return prove_traces(program, [statement], backend=backend, suite=suite, progress=progress)[0]


def prove_traces(
    program: str | programs.Program,
    statements: Sequence[tuple[Sequence[np.ndarray], Mapping[str, int], Mapping[str, int]]],
    *,
    backend=None,
    suite: str | None = None,
    progress: Progress | None = None,
) -> list[Proof]:
    """:func:`prove_trace` for many ``(trace, public_inputs, public_outputs)`` of one
    program and size, proven together (:func:`l2gpu.stark.prover.prove_batch`): each
    proof is the one :func:`prove_trace` gives for its statement alone."""
    prog = programs.get(program)
    settings = config.load() if backend is None or suite is None else None
    be = backends.get(settings.backend if backend is None else backend)
    suite = settings.suite if suite is None else suite
    get_suite(suite)
    if not statements:
        return []
    po2 = int(statements[0][0][0].shape[-1]).bit_length() - 1
    public = [(dict(ins), dict(outs)) for _, ins, outs in statements]
    seals = prover.prove_batch(
        prog.circuit,
        [trace for trace, _, _ in statements],
        [prog.globals(ins, outs) for ins, outs in public],
        po2,
        suite=suite,
        backend=be,
        progress=progress,
    )
    return [
        Proof(prog.name, ins, outs, po2, suite, seal, dict(PROTOCOL))
        for (ins, outs), seal in zip(public, seals, strict=True)
    ]


def verify(proof: Proof) -> bool:
    """Return ``True`` if ``proof`` is valid; raise ``VerificationError`` saying why not."""
    try:
        prog = programs.get(proof.program)
        expected = prog.globals(proof.public_inputs, proof.public_outputs)
    except ValueError as exc:
        raise VerificationError(str(exc)) from None
    if proof.protocol != PROTOCOL:
        raise VerificationError(f"unsupported protocol parameters {proof.protocol!r}")
    code = prog.circuit.group_index("code")

    def check_roots(roots: Sequence[Digest]) -> None:
        if tuple(roots[code]) != prog.control_root(proof.po2, proof.hash_suite):
            raise VerificationError(
                f"the code group is not {prog.name}'s control root for 2^{proof.po2} rows"
            )

    result = verifier.verify(
        prog.circuit, proof.seal, proof.po2, suite=proof.hash_suite, check_roots=check_roots
    )
    if result.globals != expected:
        raise VerificationError("the seal's public values differ from the proof's statement")
    return True
