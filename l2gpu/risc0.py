"""RISC Zero's own seals, verified here.

``verify_seal`` takes the bytes of a bare ``verify_v3`` transcript (little-endian
``u32`` words, no prefix) for a circuit l2gpu knows, and raises
:class:`~l2gpu.errors.VerificationError` unless RISC Zero's verifier would accept it.
"""

from __future__ import annotations

import numpy as np

from .errors import VerificationError
from .programs import hello
from .stark import Circuit, Verified, verify

CIRCUITS: dict[str, Circuit] = {"hello-m3": hello.CIRCUIT}


def verify_seal(
    data: bytes, circuit: str = "hello-m3", po2: int = 12, *, suite: str = "poseidon2"
) -> Verified:
    """Verify a RISC Zero seal (``bytes``) for ``circuit`` at ``2^po2`` rows."""
    if circuit not in CIRCUITS:
        raise ValueError(f"unknown RISC Zero circuit {circuit!r}; known: {', '.join(CIRCUITS)}")
    if len(data) % 4:
        raise VerificationError(f"a seal is whole u32 words; got {len(data)} bytes")
    words = np.frombuffer(bytes(data), dtype="<u4").astype(np.uint32)
    return verify(CIRCUITS[circuit], words, po2, suite=suite)
