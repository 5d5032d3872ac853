"""l2gpu: a GPU-accelerated STARK prover, bit-compatible with RISC Zero's zkp layer.

``prove("fibonacci", n=1000)`` executes a program and proves it; ``verify(proof)``
checks a proof or raises :class:`VerificationError`; :mod:`l2gpu.risc0` verifies
RISC Zero's own seals. Below that: :mod:`~l2gpu.field`, :mod:`~l2gpu.hashing`,
:mod:`~l2gpu.ntt`, :mod:`~l2gpu.merkle`, :mod:`~l2gpu.stark`, behind swappable
:mod:`~l2gpu.backends`.
"""

from . import backends, field, hashing, merkle, ntt, programs, risc0, stark
from .api import prove, prove_trace, verify
from .errors import ProofFormatError, VerificationError
from .proof import Proof

__version__ = "0.1.0"

__all__ = [
    "Proof",
    "ProofFormatError",
    "VerificationError",
    "__version__",
    "backends",
    "field",
    "hashing",
    "merkle",
    "ntt",
    "programs",
    "prove",
    "prove_trace",
    "risc0",
    "stark",
    "verify",
]
