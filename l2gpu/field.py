"""BabyBear and its degree-4 extension, as RISC Zero defines them.

Public values are canonical integers in ``[0, P)``. RISC Zero stores ``x`` as the raw
Montgomery word ``x·2^32 mod P``; those raw words are what seals, digests and the
SHA-256 suite see, so :func:`to_mont` / :func:`from_mont` are applied at that boundary
and nowhere else.

Scalars are plain Python ``int`` (base field) and :class:`Fp4` (extension); the array
versions here are numpy reference code over ``uint64`` lanes holding canonical values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

P = 2013265921  # 15·2^27 + 1
MONT_R = (1 << 32) % P
MONT_R_INV = pow(1 << 32, P - 2, P)
TWO_ADICITY = 27
BETA = 11  # Fp4 = Fp[x] / (x^4 + BETA): x^4 = -11
NBETA = P - BETA

ROU_FWD: tuple[int, ...] = tuple(pow(137, 1 << (TWO_ADICITY - i), P) for i in range(28))
"""``ROU_FWD[i]`` is RISC Zero's primitive ``2^i``-th root of unity (``ROU_FWD[27] = 137``)."""
ROU_REV: tuple[int, ...] = tuple(pow(w, P - 2, P) for w in ROU_FWD)
"""``ROU_REV[i] = ROU_FWD[i]^-1``."""

_U64_P = np.uint64(P)


def inv(x: int) -> int:
    """The inverse of a non-zero base-field element."""
    if x % P == 0:
        raise ZeroDivisionError("0 has no inverse in BabyBear")
    return pow(x, P - 2, P)


def to_mont(x: np.ndarray | int) -> np.ndarray | int:
    """Canonical values → raw Montgomery words (``x·2^32 mod P``)."""
    if isinstance(x, (int, np.integer)):
        return int(x) * MONT_R % P
    return (np.asarray(x, dtype=np.uint64) * np.uint64(MONT_R) % _U64_P).astype(np.uint32)


def from_mont(w: np.ndarray | int) -> np.ndarray | int:
    """Raw Montgomery words → canonical values. Words must be ``< P``."""
    if isinstance(w, (int, np.integer)):
        return int(w) * MONT_R_INV % P
    return (np.asarray(w, dtype=np.uint64) * np.uint64(MONT_R_INV) % _U64_P).astype(np.uint32)


def check_array(x: object, name: str, *, ndim: int | None = None) -> np.ndarray:
    """Validate a public input: a ``uint32`` numpy array of canonical field elements.

    Raises ``ValueError`` naming ``name`` for a wrong type, dtype, rank or a value ``≥ P``.
    """
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of dtype uint32, got {type(x).__name__}")
    if x.dtype != np.uint32:
        raise ValueError(
            f"{name} must have dtype uint32 (canonical BabyBear values), got {x.dtype}; "
            "convert with np.asarray(values, dtype=np.uint32) after reducing mod P"
        )
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {x.shape}")
    if x.size and int(x.max()) >= P:
        raise ValueError(f"{name} holds a value ≥ P = {P}; field elements must be canonical")
    return x


def log2_exact(n: int, name: str) -> int:
    """``log2(n)`` for a power of two ``n ≥ 1``; ``ValueError`` otherwise."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"{name} must be a power of two, got {n}")
    return n.bit_length() - 1


def bit_reverse_indices(log_n: int) -> np.ndarray:
    """The permutation ``i → bitrev(i)`` on ``log_n`` bits, as an index array."""
    idx = np.arange(1 << log_n, dtype=np.int64)
    rev = np.zeros_like(idx)
    for _ in range(log_n):
        rev = (rev << 1) | (idx & 1)
        idx >>= 1
    return rev


def powers(base: int, n: int) -> np.ndarray:
    """``[1, base, base^2, …, base^(n-1)]`` as canonical ``uint64``, by repeated doubling."""
    out = np.empty(n, dtype=np.uint64)
    if n == 0:
        return out
    out[0] = 1
    filled, step = 1, base % P
    while filled < n:
        take = min(filled, n - filled)
        out[filled : filled + take] = out[:take] * np.uint64(step) % _U64_P
        filled += take
        step = step * step % P
    return out


@dataclass(frozen=True, slots=True)
class Fp4:
    """An element ``c0 + c1·x + c2·x^2 + c3·x^3`` of ``Fp[x]/(x^4 + 11)``."""

    c: tuple[int, int, int, int]

    @staticmethod
    def of(value: int | Fp4 | Iterable[int]) -> Fp4:
        if isinstance(value, Fp4):
            return value
        if isinstance(value, (int, np.integer)):
            return Fp4((int(value) % P, 0, 0, 0))
        c = tuple(int(v) % P for v in value)
        if len(c) != 4:
            raise ValueError(f"an Fp4 element has 4 components, got {len(c)}")
        return Fp4(c)  # type: ignore[arg-type]

    @staticmethod
    def zero() -> Fp4:
        return Fp4((0, 0, 0, 0))

    @staticmethod
    def one() -> Fp4:
        return Fp4((1, 0, 0, 0))

    def __add__(self, o: Fp4 | int) -> Fp4:
        o = Fp4.of(o)
        return Fp4(tuple((a + b) % P for a, b in zip(self.c, o.c, strict=True)))  # type: ignore[arg-type]

    __radd__ = __add__

    def __sub__(self, o: Fp4 | int) -> Fp4:
        o = Fp4.of(o)
        return Fp4(tuple((a - b) % P for a, b in zip(self.c, o.c, strict=True)))  # type: ignore[arg-type]

    def __rsub__(self, o: int) -> Fp4:
        return Fp4.of(o) - self

    def __neg__(self) -> Fp4:
        return Fp4(tuple(-a % P for a in self.c))  # type: ignore[arg-type]

    def __mul__(self, o: Fp4 | int) -> Fp4:
        if isinstance(o, (int, np.integer)):
            return Fp4(tuple(a * int(o) % P for a in self.c))  # type: ignore[arg-type]
        a, b = self.c, o.c
        # Schoolbook product; x^4 = -11 folds degrees 4..6 back down.
        d = [0] * 7
        for i in range(4):
            for j in range(4):
                d[i + j] += a[i] * b[j]
        return Fp4(
            (
                (d[0] + NBETA * d[4]) % P,
                (d[1] + NBETA * d[5]) % P,
                (d[2] + NBETA * d[6]) % P,
                d[3] % P,
            )
        )

    __rmul__ = __mul__

    def __pow__(self, e: int) -> Fp4:
        result, base = Fp4.one(), self
        while e:
            if e & 1:
                result = result * base
            base = base * base
            e >>= 1
        return result

    def inv(self) -> Fp4:
        """The inverse, via the norm to the base field (``a·conj(a)`` twice)."""
        if not any(self.c):
            raise ZeroDivisionError("0 has no inverse in Fp4")
        # Over x^4 = -BETA: a(x)·a(-x) lies in Fp[x^2]; repeat once more to land in Fp.
        a0, a1, a2, a3 = self.c
        conj = Fp4((a0, -a1 % P, a2, -a3 % P))
        b = self * conj  # b = b0 + b2·x^2
        b0, _, b2, _ = b.c
        norm = (b0 * b0 + BETA * b2 * b2) % P  # b·(b0 − b2·x^2) = b0^2 + 11·b2^2
        return conj * Fp4((b0, 0, -b2 % P, 0)) * inv(norm)

    def __truediv__(self, o: Fp4 | int) -> Fp4:
        return self * Fp4.of(o).inv()

    def is_zero(self) -> bool:
        return not any(self.c)

    def __repr__(self) -> str:
        return f"Fp4({list(self.c)})"


def mod_p(x, scratch: np.ndarray | None = None):
    """``x mod P`` for ``uint64`` values, in place for arrays (``scratch``: an optional
    buffer of ``x``'s shape). numpy's ``%`` divides in hardware; ``//`` by a scalar uses
    libdivide's multiply-shift, so ``x − (x // P)·P`` is 2.5× faster."""
    if not isinstance(x, np.ndarray):
        return x % _U64_P
    q = np.floor_divide(x, _U64_P, out=scratch)
    np.multiply(q, _U64_P, out=q)
    return np.subtract(x, q, out=x)


def fp4_mul_arrays(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise Fp4 product of canonical ``uint64`` arrays ``(4, ...)`` (component
    first; ``x^4 = −11``)."""
    d: list = [0] * 7
    for i in range(4):
        for j in range(4):
            d[i + j] = d[i + j] + mod_p(a[i] * b[j])  # at most 4 terms < P: no overflow
    nb = np.uint64(NBETA)
    return np.stack([mod_p(d[k] + mod_p(d[k + 4]) * nb) for k in range(3)] + [mod_p(d[3])])


def fp4_powers(base: Fp4, n: int) -> np.ndarray:
    """``base^j`` for ``j < n`` as canonical ``uint64`` ``(4, n)``, by doubling blocks."""
    out = np.zeros((4, n), dtype=np.uint64)
    if n == 0:
        return out
    out[0, 0] = 1
    filled, step = 1, base
    while filled < n:
        take = min(filled, n - filled)
        factor = np.array(step.c, dtype=np.uint64)[:, None]
        out[:, filled : filled + take] = fp4_mul_arrays(out[:, :take], factor)
        filled += take
        step = step * step
    return out
