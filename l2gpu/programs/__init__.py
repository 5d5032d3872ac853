"""The programs l2gpu proves, by name."""

from __future__ import annotations

from .base import Execution, Program
from .fibonacci import Fibonacci
from .hello import Hello
from .merkle import Merkle
from .rangecheck import Range
from .sha256 import Sha256
from .signature import Signature

PROGRAMS: dict[str, Program] = {
    p.name: p for p in (Fibonacci(), Hello(), Merkle(), Range(), Sha256(), Signature())
}

__all__ = ["PROGRAMS", "Execution", "Program", "get"]


def get(name: str | Program) -> Program:
    """The program called ``name``."""
    if isinstance(name, Program):
        return name
    if name not in PROGRAMS:
        raise ValueError(f"unknown program {name!r}; known programs: {', '.join(PROGRAMS)}")
    return PROGRAMS[name]
