"""l2gpu's NTT next to galois's on one column, in one process (a plain script, not asv).

Times ``l2gpu.ntt.evaluate`` / ``interpolate`` on a ``(1, n)`` column against
``galois.ntt`` / ``galois.intt`` with ``modulus = 2013265921`` (BabyBear) on the same
``n`` random canonical values: best of ``--repeat`` runs after one warm-up, public
functions on both sides (input checks and conversions included).

The two compute the same transform up to the choice of root: galois takes
``ω_n = 31^((p−1)/n)``, RISC Zero ``ω_n = 137^(2^27/n)``; with ``ω_galois = ω_risc0^k``
the outputs agree after an index permutation, which the ``agree`` column checks.

    python3 benchmarks/compare_galois.py                  # n = 2^16 and 2^20
    python3 benchmarks/compare_galois.py --sizes 2^12 65536 --repeat 3
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import galois
import numpy as np

from l2gpu import backends, ntt
from l2gpu.field import P

SEED = 0x1279


def _size(text: str) -> int:
    """``2^k`` or a plain integer; must be a power of two."""
    base, _, exp = text.partition("^")
    n = int(base) ** int(exp) if exp else int(base)
    if n < 2 or n & (n - 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not a power of two ≥ 2")
    return n


def _label(n: int) -> str:
    return f"2^{n.bit_length() - 1}"


def _best_ms(fn, repeat: int) -> float:
    """The best of ``repeat`` wall times of ``fn()`` in ms, after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def _agree(x: np.ndarray, backend) -> tuple[bool, bool]:
    """Whether l2gpu and galois give the same forward and inverse transforms of ``x``."""
    n = x.size
    # k with ω_galois = ω_risc0^k: galois.ntt of e_1 is [ω_galois^j], l2gpu's [ω_risc0^j].
    e1 = np.zeros(n, dtype=np.uint32)
    e1[1] = 1
    w_risc0 = ntt.evaluate(ntt.bit_reverse(e1)[None], backend=backend)[0]
    w_galois = int(galois.ntt(e1, modulus=P)[1])
    k = int(np.flatnonzero(w_risc0 == w_galois)[0])
    j = np.arange(n, dtype=np.int64)
    # forward: galois.ntt(c)[j] = l2gpu.evaluate(bitrev(c))[k·j mod n]
    ours = ntt.evaluate(ntt.bit_reverse(x)[None], backend=backend)[0]
    theirs = galois.ntt(x, modulus=P).view(np.ndarray)
    forward = bool(np.array_equal(ours[k * j % n], theirs))
    # inverse: galois.intt(X) = bitrev(l2gpu.interpolate(Y)), Y[m] = X[m·k⁻¹ mod n]
    k_inv = pow(k, -1, n)
    coeffs = ntt.interpolate(x[j * k_inv % n][None], backend=backend)[0]
    theirs = galois.intt(x, modulus=P).view(np.ndarray)
    inverse = bool(np.array_equal(ntt.bit_reverse(coeffs), theirs))
    return forward, inverse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=_size,
        default=[1 << 16, 1 << 20],
        metavar="N",
        help="transform lengths, as 2^k or integers (default: 2^16 2^20)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per cell (default 5)")
    parser.add_argument("--backend", default=None, help="l2gpu backend (default: automatic)")
    args = parser.parse_args(argv)

    be = backends.get(args.backend)
    print(
        f"l2gpu backend {be.name}, numpy {np.__version__}, galois {galois.__version__}; "
        f"best of {args.repeat} after a warm-up"
    )
    header = ("n", "transform", "l2gpu ms", "galois ms", "galois/l2gpu", "agree")
    rows = []
    rng = np.random.default_rng(SEED)
    for n in args.sizes:
        x = rng.integers(0, P, size=n, dtype=np.uint32)
        column = x[None]
        forward, inverse = _agree(x, be)
        pairs = (
            (
                "evaluate / ntt",
                forward,
                partial(ntt.evaluate, column, backend=be),
                partial(galois.ntt, x, modulus=P),
            ),
            (
                "interpolate / intt",
                inverse,
                partial(ntt.interpolate, column, backend=be),
                partial(galois.intt, x, modulus=P),
            ),
        )
        for name, ok, ours, theirs in pairs:
            ours_ms = _best_ms(ours, args.repeat)
            theirs_ms = _best_ms(theirs, args.repeat)
            rows.append(
                (
                    _label(n),
                    name,
                    f"{ours_ms:.2f}",
                    f"{theirs_ms:.2f}",
                    f"{theirs_ms / ours_ms:.1f}x",
                    "yes" if ok else "NO",
                )
            )
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
