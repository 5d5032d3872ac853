"""``l2gpu bench --reference risc0 PROGRAM``: one statement, proved by RISC Zero and by l2gpu.

:func:`compare` executes the statement with l2gpu, proves it with RISC Zero
(:mod:`l2gpu.reference.risc0`), checks that both give the same public outputs, then
times l2gpu's proof on each backend as ``l2gpu bench`` does (a first call, then the
best of ``repeats`` more). Throughput is trace rows per second for l2gpu and total
cycles per second for RISC Zero — different units, as the two machines differ; the
ratio compares the prove times of the same statement (RISC Zero's time over l2gpu's
steady-state time). Proof sizes are seal bytes on both sides.

A RISC Zero run in dev mode (``RISC0_DEV_MODE``) made no proof: it is reported, and
gets no prove time, throughput or ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .. import api, backends, programs
from ..bench import time_call
from ..proof import Proof
from . import risc0


class OutputMismatchError(Exception):
    """RISC Zero and l2gpu give different public outputs for the same statement."""


@dataclass(frozen=True)
class L2gpuRun:
    """l2gpu's proof of the statement on one backend."""

    backend: str
    first_s: float
    steady_s: float
    rows: int
    seal_bytes: int
    speedup_vs_risc0: float | None  # RISC Zero's prove time over ``steady_s``

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.steady_s


@dataclass(frozen=True)
class Comparison:
    """Both provers on one statement, whose public outputs agree."""

    program: str
    public_outputs: dict[str, int]
    reference: risc0.Reference
    risc0_build: str  # "cpu" or "cuda" (the template's build), or "external host"
    l2gpu: list[L2gpuRun]

    def as_dict(self) -> dict:
        return {
            "program": self.program,
            "inputs": self.reference.inputs,
            "public_outputs": self.public_outputs,
            "risc0": {**self.reference.as_dict(), "build": self.risc0_build},
            "l2gpu": [{**asdict(r), "rows_per_second": r.rows_per_second} for r in self.l2gpu],
        }


def reference_outputs(program: programs.Program, reference: risc0.Reference) -> dict[str, int]:
    """RISC Zero's journal as ``program``'s public outputs, in l2gpu's names.

    Fibonacci: ``fib_n`` as it is. SHA-256: the digest split into as many equal
    big-endian pieces as the program has outputs, in the order it declares them.
    """
    if program.name == "fibonacci":
        return {"fib_n": int(reference.journal["fib_n"])}
    digest = bytes.fromhex(str(reference.journal["digest"]))
    names = program.output_names
    if not names or len(digest) % len(names):
        raise OutputMismatchError(
            f"{program.name}'s outputs {list(names)} do not split a {len(digest)}-byte digest"
        )
    width = len(digest) // len(names)
    return {
        name: int.from_bytes(digest[i * width : (i + 1) * width], "big")
        for i, name in enumerate(names)
    }


def check_agreement(
    program: programs.Program, public_outputs: dict[str, int], reference: risc0.Reference
) -> None:
    """Raise :class:`OutputMismatchError` unless both provers give the same outputs."""
    theirs = reference_outputs(program, reference)
    if theirs != public_outputs:
        raise OutputMismatchError(
            f"RISC Zero and l2gpu disagree on {program.name}({reference.inputs}): "
            f"RISC Zero's journal gives {theirs}, l2gpu gives {public_outputs}"
        )


def compare(
    program: str,
    inputs: dict[str, object],
    *,
    names: Sequence[str] | None = None,
    repeats: int = 3,
    host: str | Sequence[str] | None = None,
    cuda: bool = False,
    timeout: float = risc0.PROVE_TIMEOUT,
) -> Comparison:
    """Prove ``program`` on ``inputs`` with RISC Zero and with l2gpu on each backend.

    ``names``: l2gpu's backends (default: every one available here); ``host``, ``cuda``,
    ``timeout``: as :func:`l2gpu.reference.risc0.prove`. Raises ``ValueError`` when
    l2gpu has no such program or the inputs are bad, :class:`OutputMismatchError`, or
    :class:`~l2gpu.reference.risc0.Risc0Error`.
    """
    if program not in programs.PROGRAMS:
        raise ValueError(
            f"l2gpu has no {program} program yet, so there is nothing to compare RISC Zero "
            f"with; l2gpu's programs: {', '.join(programs.PROGRAMS)}"
        )
    prog = programs.get(program)
    execution = prog.execute(**inputs)
    be_list = [backends.get(name) for name in names or backends.available()]
    reference = risc0.prove(program, host=host, cuda=cuda, timeout=timeout, **inputs)
    check_agreement(prog, execution.public_outputs, reference)
    runs = []
    for be in be_list:
        first, steady, proof = _timed_proof(prog, be, inputs, repeats)
        speedup = reference.prove_seconds / steady if reference.is_proof else None
        runs.append(L2gpuRun(be.name, first, steady, proof.rows, proof.seal.nbytes, speedup))
    build = ("cuda" if cuda else "cpu") if reference.from_template else "external host"
    return Comparison(program, execution.public_outputs, reference, build, runs)


def _timed_proof(
    prog: programs.Program, be: backends.Backend, inputs: dict[str, object], repeats: int
) -> tuple[float, float, Proof]:
    """``bench``'s first-call and best steady-state times of a proof, and the proof."""
    proofs: list[Proof] = []
    first, steady = time_call(lambda: proofs.append(api.prove(prog, backend=be, **inputs)), repeats)
    return first, steady, proofs[-1]


def table(result: Comparison) -> str:
    """The comparison as plain text: a headline, one row per prover, RISC Zero's details."""
    ref = result.reference
    outs = ", ".join(f"{k}={v}" for k, v in result.public_outputs.items())
    ins = ", ".join(f"{k}={v}" for k, v in ref.inputs.items())
    head = ("prover", "backend", "first call s", "prove s", "throughput", "seal bytes", "speedup")
    rows = [
        head,
        (
            f"RISC Zero {ref.risc0_version}",
            result.risc0_build,
            "-",
            f"{ref.prove_seconds:.3f}" if ref.is_proof else "n/a",
            f"{ref.cycles_per_second:,.0f} cycles/s" if ref.is_proof else "n/a",
            f"{ref.seal_bytes:,}",
            "1.00x" if ref.is_proof else "-",
        ),
    ]
    rows += [
        (
            "l2gpu",
            r.backend,
            f"{r.first_s:.3f}",
            f"{r.steady_s:.3f}",
            f"{r.rows_per_second:,.0f} rows/s",
            f"{r.seal_bytes:,}",
            "-" if r.speedup_vs_risc0 is None else f"{r.speedup_vs_risc0:.2f}x",
        )
        for r in result.l2gpu
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [f"{result.program}({ins}): public outputs agree: {outs}"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    segments = f"{ref.segments} segment{'s' if ref.segments != 1 else ''}"
    lines.append(
        f"RISC Zero: {ref.total_cycles:,} cycles ({ref.user_cycles:,} user) in {segments}, "
        f"{ref.receipt_kind} receipt; host: {ref.host}"
        + ("" if ref.from_template else f" (from {risc0.HOST_ENV} or host=, not the template)")
    )
    if not ref.is_proof:
        lines.append(
            "RISC Zero ran in dev mode (RISC0_DEV_MODE): its receipt is fake, not a proof, "
            "so it has no prove time and no ratio"
        )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--reference`` options of ``l2gpu bench``."""
    group = parser.add_argument_group("reference prover (--reference risc0 PROGRAM)")
    group.add_argument(
        "--reference", choices=["risc0"], help="prove PROGRAM with RISC Zero too and compare"
    )
    group.add_argument("program", nargs="?", choices=risc0.PROGRAMS, help="with --reference")
    group.add_argument("--n", type=int, default=1000, help="fibonacci: prove fib(n)")
    group.add_argument("--message", default="abc", help="sha256: the message (UTF-8 text)")
    group.add_argument("--risc0-cuda", action="store_true", help="RISC Zero's CUDA prover")
    group.add_argument(
        "--risc0-timeout", type=float, default=risc0.PROVE_TIMEOUT, help="seconds for its proof"
    )


def run_cli(args: argparse.Namespace) -> int:
    """``l2gpu bench --reference risc0 PROGRAM``: 0 agree, 1 disagree, 2 cannot compare."""
    if args.reference is None or args.program is None:
        print("l2gpu: error: use `l2gpu bench --reference risc0 PROGRAM`", file=sys.stderr)
        return 2
    inputs = {"n": args.n} if args.program == "fibonacci" else {"message": args.message.encode()}
    try:
        result = compare(
            args.program,
            inputs,
            names=args.backend,
            repeats=args.repeats,
            cuda=args.risc0_cuda,
            timeout=args.risc0_timeout,
        )
    except OutputMismatchError as exc:
        print(f"MISMATCH: {exc}")
        return 1
    except risc0.Risc0Error as exc:
        print(f"l2gpu: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=1) if args.json else table(result))
    return 0
