"""The ``l2gpu`` command line."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np

from . import __version__, backends, merkle
from .field import P
from .hashing import SUITES


def _power_of_two(text: str) -> int:
    """Accept ``65536``, ``2^16`` or ``2**16``."""
    try:
        if "^" in text or "**" in text:
            base, exp = text.replace("**", "^").split("^")
            value = int(base) ** int(exp)
        else:
            value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two ≥ 2, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _digest_hex(words: np.ndarray) -> str:
    return words.astype("<u4").tobytes().hex()


def _cmd_commit(args: argparse.Namespace) -> int:
    be = backends.get(args.backend)
    rng = np.random.default_rng(args.seed)
    matrix = rng.integers(0, P, size=(args.rows, args.cols), dtype=np.uint32)
    start = time.perf_counter()
    tree = merkle.commit(matrix, args.suite, backend=be)
    root = tree.root
    elapsed = time.perf_counter() - start
    print(f"committed {args.rows} rows x {args.cols} columns ({args.suite}, backend {be.name})")
    print(f"root: {_digest_hex(root)}")
    print(f"time: {elapsed:.3f} s ({args.rows / elapsed:,.0f} rows/s)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="l2gpu", description=__doc__)
    parser.add_argument("--version", action="version", version=f"l2gpu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    commit = sub.add_parser("commit", help="commit a random trace and print its Merkle root")
    commit.add_argument("--rows", type=_power_of_two, default=1 << 16, help="rows (power of two)")
    commit.add_argument("--cols", type=_positive, default=16, help="columns")
    commit.add_argument("--suite", choices=SUITES, default="poseidon2")
    commit.add_argument("--backend", default="auto", help=f"one of {backends.names()} or auto")
    commit.add_argument("--seed", type=int, default=0, help="seed of the random trace")
    commit.set_defaults(run=_cmd_commit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 1 rejected, 2 bad usage)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, backends.BackendUnavailableError) as exc:
        print(f"l2gpu: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
