"""What every program shares: the registry, a docstring that states the statement, and
shipped control roots that are the computed ones."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from l2gpu import backends, programs
from l2gpu.hashing import get_suite
from l2gpu.stark.prover import commit_columns

NEW = ["merkle", "range", "sha256", "signature"]


def test_registry():
    assert set(programs.PROGRAMS) == {"fibonacci", "hello", *NEW}
    for name, program in programs.PROGRAMS.items():
        assert program.name == name and programs.get(name) is program
        assert program.circuit.degree <= 5
        assert all(g.mix_count == 0 for g in program.circuit.groups)


@pytest.mark.parametrize("name", NEW)
def test_docstring_states_what_is_proven_and_what_stays_private(name):
    module = type(programs.get(name)).__module__
    doc = __import__(module, fromlist=["_"]).__doc__
    assert "What is proven" in doc and "Private" in doc


def _shipped() -> dict:
    return json.loads(resources.files("l2gpu").joinpath("data/control_roots.json").read_text())


def _root(program: programs.Program, po2: int, suite: str) -> tuple[int, ...]:
    """The control root committed on numpy (every backend gives the same)."""
    be = backends.get("numpy")
    _, tree = commit_columns(be.asarray(program.code(po2)), get_suite(suite), be)
    return tuple(int(w) for w in tree.root)


@pytest.mark.parametrize(("suite", "po2s"), [("poseidon2", (4, 7, 10)), ("sha-256", (4, 7))])
@pytest.mark.parametrize("name", NEW)
def test_shipped_control_roots_are_the_computed_ones(name, suite, po2s):
    program = programs.get(name)
    shipped = _shipped()[name][suite]
    assert sorted(map(int, shipped)) == list(range(4, 21 if suite == "poseidon2" else 17))
    for po2 in po2s:
        assert (
            tuple(shipped[str(po2)])
            == _root(program, po2, suite)
            == program.control_root(po2, suite)
        )
