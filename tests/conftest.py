"""Shared fixtures: the backend matrix, the reference vectors, seeded randomness."""

from __future__ import annotations

import os
import zlib

import numpy as np
import pyref
import pytest
from hypothesis import settings

from l2gpu import backends

# Hypothesis: no deadline (the first call of a kernel pays for numpy's warm-up and the
# plain-Python references are slow by design) and few examples, to keep the suite fast.
# `pytest --hypothesis-profile=thorough` (or HYPOTHESIS_PROFILE=thorough) runs more.
settings.register_profile("fast", deadline=None, max_examples=20)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

P = pyref.P


@pytest.fixture(scope="session", params=backends.available())
def backend(request) -> str:
    """The name of each backend that can run here (numpy always; jax/cupy where present)."""
    return request.param


@pytest.fixture(scope="session")
def data():
    """``data("name.json")`` → the parsed reference vectors from ``tests/data``."""
    return pyref.load_json


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A numpy generator seeded from the test's id: reproducible, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def random_field(rng: np.random.Generator, shape) -> np.ndarray:
    """Canonical ``uint32`` field elements of ``shape``, with 0 and P-1 mixed in."""
    out = rng.integers(0, P, size=shape, dtype=np.uint32)
    flat = out.reshape(-1)
    if flat.size >= 4:
        flat[rng.integers(0, flat.size, size=2)] = [0, P - 1]
    return out


@pytest.fixture
def field(rng):
    """``field(shape)`` → random canonical ``uint32`` elements (edge values mixed in)."""
    return lambda shape: random_field(rng, shape)
