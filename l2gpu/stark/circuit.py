"""The circuit model: groups, taps, combos and the constraint program.

A program declares its constraints once, as a Python function over a
:class:`ConstraintBuilder`::

    def constraints(b):
        a, a_prev = b.tap("data", 0), b.tap("data", 0, back=1)
        first = b.tap("code", 0)
        b.assert_zero(first * a)
        b.assert_zero((1 - first) * (a - a_prev - 1))

Running the function records a straight-line :class:`Program` in RISC Zero's step form
(``Const``, ``Get``, ``GetGlobal``, ``Add``/``Sub``/``Mul``, ``True``, ``AndEqz``,
``AndCond``), the taps it reads and its degree. The verifier runs that program on
Fp4 scalars at the out-of-domain point ``z``; the prover runs the same program on
arrays over the whole LDE coset. The constraint polynomial is
``Σ_k poly_mix^k · c_k`` over the asserted expressions ``c_k``, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from ..field import ROU_FWD, Fp4, P, powers

MAX_DEGREE = 5  # the quotient (degree < 4n) must fit the 4 check pieces of degree < n


@dataclass(frozen=True)
class Group:
    """A committed group of columns; ``mix_count`` challenges are drawn before it is
    committed and its ``global_count`` public values are read (and mixed) just before."""

    name: str
    width: int
    mix_count: int = 0
    global_count: int = 0


@dataclass(frozen=True)
class Register:
    """One column's taps: ``backs`` (ascending) belong to combo ``combo``."""

    group: int
    column: int
    backs: tuple[int, ...]
    combo: int


@dataclass(frozen=True)
class TapSet:
    """Taps grouped into registers (one per column) and combos (distinct back sets).

    ``u`` — the tap values the program reads with ``Get i`` — lists every tap in
    register order, backs ascending; ``Get num_taps`` reads the point ``3z``.
    """

    registers: tuple[Register, ...]
    combos: tuple[tuple[int, ...], ...]

    @staticmethod
    def build(taps: Sequence[tuple[int, int, int]]) -> TapSet:
        """From ``(group, column, back)`` triples, in RISC Zero's walking order."""
        by_column: dict[tuple[int, int], set[int]] = {}
        for g, c, back in taps:
            by_column.setdefault((g, c), set()).add(back)
        combos: list[tuple[int, ...]] = []
        registers = []
        for (g, c), backs in sorted(by_column.items()):
            key = tuple(sorted(backs))
            if key not in combos:
                combos.append(key)
            registers.append(Register(g, c, key, combos.index(key)))
        return TapSet(tuple(registers), tuple(combos))

    @property
    def num_taps(self) -> int:
        return sum(len(r.backs) for r in self.registers)

    @property
    def combo_begin(self) -> tuple[int, ...]:
        out = [0]
        for backs in self.combos:
            out.append(out[-1] + len(backs))
        return tuple(out)

    @property
    def tot_combo_backs(self) -> int:
        return self.combo_begin[-1]

    def deep_weights(self, mix: Fp4, extra: int) -> list[Fp4]:
        """``mix^t`` for each register in walking order, then for ``extra`` check columns:
        the weights of the DEEP combination."""
        weights, cur = [], Fp4.one()
        for _ in range(len(self.registers) + extra):
            weights.append(cur)
            cur = cur * mix
        return weights

    def combo_u(self, coeff_u: Sequence[Fp4], weights: Sequence[Fp4]) -> list[Fp4]:
        """The DEEP combination of ``coeff_u``: per combo, ``Σ weight·coefficients`` of its
        registers (lowest degree first), then the check columns' sum in the last slot."""
        combo = [Fp4.zero()] * (self.tot_combo_backs + 1)
        offset = 0
        for reg, w in zip(self.registers, weights, strict=False):
            begin = self.combo_begin[reg.combo]
            for i in range(len(reg.backs)):
                combo[begin + i] = combo[begin + i] + w * coeff_u[offset + i]
            offset += len(reg.backs)
        for i, w in enumerate(weights[len(self.registers) :]):
            combo[-1] = combo[-1] + w * coeff_u[offset + i]
        return combo

    def index(self, group: int, column: int, back: int) -> int:
        """Position of a tap in ``u``."""
        i = 0
        for r in self.registers:
            if (r.group, r.column) == (group, column) and back in r.backs:
                return i + r.backs.index(back)
            i += len(r.backs)
        raise KeyError((group, column, back))


class Ops(Protocol):
    """The arithmetic a :class:`Program` runs on: Fp4 scalars or arrays over a domain."""

    def const(self, c: int) -> Any: ...
    def get(self, i: int) -> Any: ...
    def get_global(self, base: int, offset: int) -> Any: ...
    def add(self, a: Any, b: Any) -> Any: ...
    def sub(self, a: Any, b: Any) -> Any: ...
    def mul(self, a: Any, b: Any) -> Any: ...
    def and_eqz(self, acc: tuple[Any, Fp4], value: Any) -> tuple[Any, Fp4]: ...
    def and_cond(
        self, acc: tuple[Any, Fp4], cond: Any, inner: tuple[Any, Fp4]
    ) -> tuple[Any, Fp4]: ...
    def true(self) -> tuple[Any, Fp4]: ...


@dataclass(frozen=True)
class Program:
    """A straight-line constraint program; ``result`` names the final accumulator."""

    steps: tuple[tuple, ...]
    result: int

    @cached_property
    def _release(self) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
        """Per step: the values and the accumulators read for the last time there.

        :meth:`run` drops them once the step is done, so a program of thousands of
        steps over a whole domain holds only the arrays still to be read.
        """
        value_use: dict[int, int] = {}
        acc_use: dict[int, int] = {}
        for i, step in enumerate(self.steps):
            op, args = step[0], step[1:]
            if op in ("Add", "Sub", "Mul"):
                value_use.update({args[0]: i, args[1]: i})
            elif op == "AndEqz":
                acc_use[args[0]] = i
                value_use[args[1]] = i
            elif op == "AndCond":
                acc_use.update({args[0]: i, args[2]: i})
                value_use[args[1]] = i
        release: list[tuple[list[int], list[int]]] = [([], []) for _ in self.steps]
        for v, i in value_use.items():
            release[i][0].append(v)
        for a, i in acc_use.items():
            if a != self.result:
                release[i][1].append(a)
        return tuple((tuple(v), tuple(a)) for v, a in release)

    def term_factors(self, poly_mix: Fp4) -> list[Fp4]:
        """The Fp4 constant each ``AndEqz`` / ``AndCond`` step scales its term by (its
        accumulator's ``poly_mix`` power), in step order: what a fused kernel needs to run
        the program with plain additions into the accumulators' ``tot``."""
        muls: list[Fp4] = []
        out = []
        for op, *args in self.steps:
            if op == "True":
                muls.append(Fp4.one())
            elif op == "AndEqz":
                out.append(muls[args[0]])
                muls.append(muls[args[0]] * poly_mix)
            elif op == "AndCond":
                out.append(muls[args[0]])
                muls.append(muls[args[0]] * muls[args[2]])
        return out

    def run(self, ops: Ops) -> Any:
        """The ``tot`` of the result accumulator."""
        values: list[Any] = []
        accs: list[Any] = []  # (tot, mul) pairs
        for step, (dead_values, dead_accs) in zip(self.steps, self._release, strict=True):
            op, args = step[0], step[1:]
            if op == "Const":
                values.append(ops.const(args[0]))
            elif op == "Get":
                values.append(ops.get(args[0]))
            elif op == "GetGlobal":
                values.append(ops.get_global(args[0], args[1]))
            elif op == "Add":
                values.append(ops.add(values[args[0]], values[args[1]]))
            elif op == "Sub":
                values.append(ops.sub(values[args[0]], values[args[1]]))
            elif op == "Mul":
                values.append(ops.mul(values[args[0]], values[args[1]]))
            elif op == "True":
                accs.append(ops.true())
            elif op == "AndEqz":
                accs.append(ops.and_eqz(accs[args[0]], values[args[1]]))
            elif op == "AndCond":
                accs.append(ops.and_cond(accs[args[0]], values[args[1]], accs[args[2]]))
            else:
                raise ValueError(f"unknown constraint op {op!r}")
            for v in dead_values:
                values[v] = None
            for a in dead_accs:
                accs[a] = None
        return accs[self.result][0]


class _TraceOps:
    """Runs a program on the rows of a trace (canonical ``uint64`` columns), keeping
    every asserted value instead of folding them with ``poly_mix``."""

    def __init__(self, taps: list[np.ndarray], n: int, globals_: Sequence[Sequence[int]]) -> None:
        self.taps, self.n = taps, n
        self.globals = [int(v) for values in globals_ for v in values]
        self.asserted: list[Any] = []

    def const(self, c: int) -> int:
        return c

    def get(self, i: int) -> np.ndarray:
        if i < len(self.taps):
            return self.taps[i]
        return powers(ROU_FWD[self.n.bit_length() - 1], self.n)  # the point x = ω_n^row

    def get_global(self, base: int, offset: int) -> int:
        if base != 0:
            raise ValueError("only the public values (GetGlobal 0) can be checked on a trace")
        return self.globals[offset]

    def add(self, a, b):
        return (a + b) % P

    def sub(self, a, b):
        return (a + P - b) % P

    def mul(self, a, b):
        return a * b % P

    def true(self) -> tuple[None, Fp4]:
        return None, Fp4.one()

    def and_eqz(self, acc, value) -> tuple[None, Fp4]:
        self.asserted.append(np.broadcast_to(value, (self.n,)))
        return acc

    def and_cond(self, acc, cond, inner) -> tuple[None, Fp4]:
        raise ValueError("a trace check runs AndEqz programs only")


class ScalarOps:
    """Runs a program on Fp4 scalars: the verifier's evaluation at ``z``."""

    def __init__(self, poly_mix: Fp4, u: Sequence[Fp4], args: Sequence[Sequence[int]]) -> None:
        self.poly_mix, self.u, self.args = poly_mix, u, args

    def const(self, c: int) -> Fp4:
        return Fp4.of(c)

    def get(self, i: int) -> Fp4:
        return self.u[i]

    def get_global(self, base: int, offset: int) -> Fp4:
        return Fp4.of(self.args[base][offset])

    def add(self, a: Fp4, b: Fp4) -> Fp4:
        return a + b

    def sub(self, a: Fp4, b: Fp4) -> Fp4:
        return a - b

    def mul(self, a: Fp4, b: Fp4) -> Fp4:
        return a * b

    def true(self) -> tuple[Fp4, Fp4]:
        return Fp4.zero(), Fp4.one()

    def and_eqz(self, acc: tuple[Fp4, Fp4], value: Fp4) -> tuple[Fp4, Fp4]:
        tot, mul = acc
        return tot + mul * value, mul * self.poly_mix

    def and_cond(self, acc, cond: Fp4, inner) -> tuple[Fp4, Fp4]:
        tot, mul = acc
        return tot + cond * inner[0] * mul, mul * inner[1]


@dataclass(frozen=True)
class Circuit:
    """Everything the verifier needs to know about a circuit, and the prover's plan."""

    name: str
    groups: tuple[Group, ...]
    taps: TapSet
    program: Program
    degree: int

    def group_index(self, name: str) -> int:
        for i, g in enumerate(self.groups):
            if g.name == name:
                return i
        raise KeyError(f"circuit {self.name!r} has no group {name!r}")

    def poly_ext(self, poly_mix: Fp4, u: Sequence[Fp4], args: Sequence[Sequence[int]]) -> Fp4:
        """The constraint polynomial at the tap values ``u`` (then ``3z``)."""
        return self.program.run(ScalarOps(poly_mix, u, args))

    def unsatisfied(
        self, trace: Sequence[np.ndarray], globals_: Sequence[Sequence[int]]
    ) -> dict[int, np.ndarray]:
        """The constraints a trace breaks: constraint number → the rows where it does not
        vanish (taps wrap around, as on the committed domain).

        A row-by-row debug check of a witness, with no proof and no randomness: a trace
        whose result is empty satisfies every constraint, so its honest proof verifies.
        """
        n = int(trace[0].shape[-1])
        columns = [np.asarray(t, dtype=np.uint64) % P for t in trace]
        taps = [(r.group, r.column, b) for r in self.taps.registers for b in r.backs]
        ops = _TraceOps([np.roll(columns[g][c], b) for g, c, b in taps], n, globals_)
        self.program.run(ops)
        return {k: np.flatnonzero(v) for k, v in enumerate(ops.asserted) if np.any(v)}


# -- the builder -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Expr:
    """A value recorded by a :class:`ConstraintBuilder`; arithmetic records more."""

    builder: ConstraintBuilder
    index: int  # position in the value stack
    degree: int

    def _lift(self, other: Expr | int) -> Expr:
        return other if isinstance(other, Expr) else self.builder.const(other)

    def __add__(self, other: Expr | int) -> Expr:
        return self.builder._binary("Add", self, self._lift(other))

    def __radd__(self, other: int) -> Expr:
        return self.builder._binary("Add", self._lift(other), self)

    def __sub__(self, other: Expr | int) -> Expr:
        return self.builder._binary("Sub", self, self._lift(other))

    def __rsub__(self, other: int) -> Expr:
        return self.builder._binary("Sub", self._lift(other), self)

    def __mul__(self, other: Expr | int) -> Expr:
        return self.builder._binary("Mul", self, self._lift(other))

    def __rmul__(self, other: int) -> Expr:
        return self.builder._binary("Mul", self._lift(other), self)


@dataclass
class ConstraintBuilder:
    """Records one constraint function into a :class:`Program` and its taps."""

    groups: tuple[Group, ...]
    _steps: list[tuple] = field(default_factory=list)
    _taps: list[tuple[int, int, int]] = field(default_factory=list)
    _values: int = 0
    _acc: int = 0
    _degree: int = 0

    def __post_init__(self) -> None:
        self._steps.append(("True",))

    def _push(self, step: tuple, degree: int) -> Expr:
        self._steps.append(step)
        self._values += 1
        return Expr(self, self._values - 1, degree)

    def _binary(self, op: str, a: Expr, b: Expr) -> Expr:
        degree = a.degree + b.degree if op == "Mul" else max(a.degree, b.degree)
        return self._push((op, a.index, b.index), degree)

    def const(self, c: int) -> Expr:
        return self._push(("Const", int(c) % P), 0)

    def tap(self, group: str, column: int, back: int = 0) -> Expr:
        """The value of ``column`` of ``group``, ``back`` rows before the current one."""
        names = [g.name for g in self.groups]
        if group not in names:
            raise ValueError(f"no group {group!r}; groups are {names}")
        g = names.index(group)
        if not 0 <= column < self.groups[g].width:
            raise ValueError(f"group {group!r} has no column {column}")
        if back < 0:
            raise ValueError("taps look back, not ahead: back must be ≥ 0")
        self._taps.append((g, column, back))
        return self._push(("Tap", g, column, back), 1)

    def public(self, index: int) -> Expr:
        """Public value ``index`` (the globals of all groups, in group order)."""
        if not 0 <= index < sum(g.global_count for g in self.groups):
            raise ValueError(f"no public value {index}")
        return self._push(("GetGlobal", 0, index), 0)

    def assert_zero(self, e: Expr) -> None:
        """Constrain ``e`` to vanish on every row."""
        self._steps.append(("AndEqz", self._acc, e.index))
        self._acc += 1
        self._degree = max(self._degree, e.degree)

    def build(self, name: str) -> Circuit:
        if self._degree > MAX_DEGREE:
            raise ValueError(f"constraint degree {self._degree} exceeds {MAX_DEGREE}")
        taps = TapSet.build(self._taps)
        steps = tuple(("Get", taps.index(*s[1:])) if s[0] == "Tap" else s for s in self._steps)
        return Circuit(name, self.groups, taps, Program(steps, self._acc), self._degree)


def build_circuit(
    name: str, groups: Sequence[Group], constraints: Callable[[ConstraintBuilder], None]
) -> Circuit:
    """Run a program's constraint function once and return its circuit."""
    builder = ConstraintBuilder(tuple(groups))
    constraints(builder)
    return builder.build(name)
