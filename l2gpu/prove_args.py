"""The program forms of ``l2gpu prove``: each program's arguments, its inputs from them,
and the lines that describe its proof.

``l2gpu prove fibonacci --n N``; ``l2gpu prove sha256 --message-hex HEX`` (or
``--message TEXT``); ``l2gpu prove merkle --depth D [--seed S] [--reveal-index]`` (a
random leaf and path) or ``--witness FILE`` (JSON ``{"leaf": [...], "path": [[8
words], ...], "index": i}``); ``l2gpu prove range (--values V,V,... | --count N [--seed
S]) (--bits K | --lo LO --hi HI)``; ``l2gpu prove signature --count N [--seed S]``
(fresh keys signing random messages).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np

from .field import P
from .programs import Execution
from .programs import signature as sig
from .programs.sha256 import digest_hex

PROGRAMS = ("fibonacci", "sha256", "merkle", "range", "signature")


def add_arguments(parser: argparse.ArgumentParser, positive: Callable[[str], int]) -> None:
    """The program name and every program's options (each checks its own in :func:`inputs`)."""
    parser.add_argument("program", choices=PROGRAMS)
    parser.add_argument("--n", type=positive, help="fibonacci: compute fib(n)")
    parser.add_argument("--message-hex", help="sha256: the message, in hex")
    parser.add_argument("--message", help="sha256: the message, as UTF-8 text")
    parser.add_argument("--depth", type=int, help="merkle: depth of a random path (≤ 32)")
    parser.add_argument("--witness", help="merkle: JSON file with leaf, path and index")
    parser.add_argument("--reveal-index", action="store_true", help="merkle: make the index public")
    parser.add_argument("--values", help="range: comma-separated values")
    parser.add_argument("--count", type=positive, help="range, signature: how many (random)")
    parser.add_argument("--bits", type=int, help="range: values in [0, 2^bits)")
    parser.add_argument("--lo", type=int, help="range: values in [lo, hi]")
    parser.add_argument("--hi", type=int, help="range: values in [lo, hi]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def inputs(args: argparse.Namespace) -> dict:
    """The program's inputs from the command line; ``ValueError`` says what is missing."""
    return _INPUTS[args.program](args, np.random.default_rng(args.seed))


def _fibonacci(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    _need(args.n is not None, "fibonacci needs --n")
    return {"n": args.n}


def _sha256(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    _need((args.message is None) != (args.message_hex is None), "sha256 needs --message-hex")
    if args.message is not None:
        return {"message": args.message.encode()}
    try:
        return {"message": bytes.fromhex(args.message_hex)}
    except ValueError:
        raise ValueError(f"--message-hex is not hex: {args.message_hex!r}") from None


def _merkle(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    _need((args.depth is None) != (args.witness is None), "merkle needs --depth or --witness")
    if args.witness is not None:
        try:
            with open(args.witness) as f:
                witness = json.load(f)
        except OSError as exc:
            raise ValueError(f"cannot read {args.witness}: {exc.strerror or exc}") from None
        keys = {"leaf", "path", "index"}
        _need(isinstance(witness, dict) and set(witness) == keys, f"{args.witness}: need {keys}")
        return {**witness, "reveal_index": args.reveal_index}
    _need(0 <= args.depth <= 32, "--depth must be in [0, 32]")
    return {
        "leaf": rng.integers(0, P, 16, dtype=np.uint32).tolist(),
        "path": rng.integers(0, P, (args.depth, 8), dtype=np.uint32).tolist(),
        "index": int(rng.integers(0, 1 << args.depth)),
        "reveal_index": args.reveal_index,
    }


def _range(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    by_bits = args.bits is not None
    _need(
        by_bits != (args.lo is not None and args.hi is not None), "range needs --bits or --lo/--hi"
    )
    _need((args.values is None) != (args.count is None), "range needs --values or --count")
    bounds = {"bits": args.bits} if by_bits else {"lo": args.lo, "hi": args.hi}
    if args.values is not None:
        try:
            return {"values": [int(v) for v in args.values.split(",")], **bounds}
        except ValueError:
            raise ValueError(
                f"--values must be integers, comma-separated: {args.values!r}"
            ) from None
    lo, hi = (0, (1 << args.bits) - 1) if by_bits else (args.lo, args.hi)
    _need(0 <= lo <= hi, "range needs 0 ≤ lo ≤ hi")
    return {"values": [int(v) for v in rng.integers(lo, hi + 1, args.count)], **bounds}


def _signature(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    _need(args.count is not None, "signature needs --count")
    return sig.demo(args.count, args.seed)


_INPUTS = {
    "fibonacci": _fibonacci,
    "sha256": _sha256,
    "merkle": _merkle,
    "range": _range,
    "signature": _signature,
}


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def summary(execution: Execution) -> list[str]:
    """What the proof states, and its steps and rows, for the command's report."""
    ins, outs = execution.public_inputs, execution.public_outputs
    rows = f"rows: 2^{execution.po2} = {execution.rows}"
    if execution.program == "fibonacci":
        return [
            f"fib({ins['n']}) mod P = {outs['fib_n']}",
            f"steps: {execution.steps} (n + 2 states)  {rows}",
        ]
    if execution.program == "sha256":
        return [
            f"sha256 of a private {ins['length']}-byte message = {digest_hex(outs)}",
            f"steps: {execution.steps} (64 rounds per block)  {rows}",
        ]
    if execution.program == "merkle":
        root = " ".join(f"{ins[f'root{k}']:08x}" for k in range(8))
        index = f", index {ins['index']}" if ins["reveal_index"] else ", index private"
        return [
            f"a private leaf is in the Poseidon2 tree of depth {ins['depth']}{index}",
            f"root (words): {root}",
            f"steps: {execution.steps} (permutations)  {rows}",
        ]
    if execution.program == "range":
        digest = " ".join(f"{outs[f'digest{k}']:08x}" for k in range(8))
        return [
            f"{ins['count']} private values in [{ins['lo']}, {ins['hi']}]",
            f"their Poseidon2 digest (words): {digest}",
            f"steps: {execution.steps} (values)  {rows}",
        ]
    statement = " ".join(f"{ins[k]:08x}" for k in sig.STATEMENT)
    return [
        f"{ins['count']} Lamport+ signatures over Poseidon2 verify",
        f"statement digest of the keys and messages (words): {statement}",
        f"steps: {execution.steps} (signatures)  {rows}",
    ]
