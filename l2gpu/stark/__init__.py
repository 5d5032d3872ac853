"""The STARK protocol layer: RISC Zero's zkp layer (``verify_v3``) bit for bit."""

from .circuit import Circuit, ConstraintBuilder, Group, Program, TapSet, build_circuit
from .params import security_bits
from .verifier import Verified, verify

__all__ = [
    "Circuit",
    "ConstraintBuilder",
    "Group",
    "Program",
    "TapSet",
    "Verified",
    "build_circuit",
    "security_bits",
    "verify",
]
