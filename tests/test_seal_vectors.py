"""Fibonacci seals, bit for bit, on every backend: SHA-256 digests of numpy's seals.

``data/fibonacci_seals.json`` holds, per ``n``, the SHA-256 of the seal words (little
endian) that the numpy backend gives for ``l2gpu.prove("fibonacci", n=n)``. The numpy
rows check the vectors themselves (the large ones are slow); the other backends compare
with the vectors, so a GPU run proves n = 2^20 without re-running numpy there. To
regenerate (only if the protocol changes on purpose)::

    python3 tests/test_seal_vectors.py 1000 262144 1048576
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import l2gpu

VECTORS = Path(__file__).parent / "data" / "fibonacci_seals.json"


def seal_digest(n: int, backend: str) -> tuple[int, str]:
    """Rows and the SHA-256 of the seal's little-endian words."""
    proof = l2gpu.prove("fibonacci", n=n, backend=backend)
    words = np.asarray(proof.seal, dtype="<u4").tobytes()
    return proof.rows, hashlib.sha256(words).hexdigest()


def _cases() -> list:
    vectors = json.loads(VECTORS.read_text())
    return [
        pytest.param(int(n), v, marks=[pytest.mark.slow] if int(n) > 1000 else [], id=n)
        for n, v in vectors.items()
    ]


@pytest.mark.parametrize(("n", "vector"), _cases())
def test_fibonacci_seal_matches_the_vector(backend, n, vector):
    rows, digest = seal_digest(n, backend)
    assert rows == vector["rows"]
    assert digest == vector["seal_sha256"]


if __name__ == "__main__":
    out = {}
    for arg in sys.argv[1:]:
        rows, digest = seal_digest(int(arg), "numpy")
        out[arg] = {"rows": rows, "seal_sha256": digest}
    VECTORS.write_text(json.dumps(out, indent=1) + "\n")
