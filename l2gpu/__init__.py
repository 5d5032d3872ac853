"""l2gpu: a GPU-accelerated STARK prover, bit-compatible with RISC Zero's zkp layer.

``prove("fibonacci", n=1000)`` executes a program and proves it; ``verify(proof)``
checks a proof or raises :class:`VerificationError`; :class:`ZkVM` does both for many
statements at once (batched on the device, or over processes and Dask clusters), and
:class:`CachedZkVM` proves each statement once; :mod:`l2gpu.config` reads the settings;
:mod:`l2gpu.risc0` verifies RISC Zero's own seals. Below that: :mod:`~l2gpu.field`,
:mod:`~l2gpu.hashing`, :mod:`~l2gpu.ntt`, :mod:`~l2gpu.merkle`, :mod:`~l2gpu.stark`,
behind swappable :mod:`~l2gpu.backends`.
"""

from . import backends, config, field, hashing, merkle, ntt, programs, risc0, stark
from .api import prove, prove_trace, verify
from .cache import CachedZkVM, ProofCache
from .errors import BatchError, ProofFormatError, VerificationError
from .proof import Proof
from .vm import Options, Request, ZkVM

__version__ = "0.1.0"

__all__ = [
    "BatchError",
    "CachedZkVM",
    "Options",
    "Proof",
    "ProofCache",
    "ProofFormatError",
    "Request",
    "VerificationError",
    "ZkVM",
    "__version__",
    "backends",
    "config",
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
