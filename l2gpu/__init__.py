"""l2gpu: a GPU-accelerated STARK prover, bit-compatible with RISC Zero's zkp layer."""

from . import backends, field, hashing, merkle, ntt

__version__ = "0.1.0"

__all__ = ["__version__", "backends", "field", "hashing", "merkle", "ntt"]
