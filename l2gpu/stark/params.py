"""Protocol constants of RISC Zero's zkp layer (``verify_v3``), and the security they give."""

from __future__ import annotations

import math

INV_RATE = 4  # blowup of every committed polynomial
EXT = 4  # degree of the extension field Fp4
FRI_FOLD = 16  # each FRI round divides the degree by this
FRI_MIN_DEGREE = 256  # FRI stops and sends coefficients at or below this degree
QUERIES = 50  # FRI / Merkle queries
CHECK_SIZE = INV_RATE * EXT  # check columns: 4 quotient pieces × 4 Fp4 components
REMAP = (0, 2, 1, 3)  # check column of quotient piece i is REMAP[i] + 4·component


def security_bits(queries: int = QUERIES, inv_rate: int = INV_RATE) -> int:
    """Conjectured FRI security: each query at rate ``1/inv_rate`` gives ``log2(inv_rate)`` bits.

    RISC Zero documents its parameters (50 queries, rate 1/4) as about 100 bits
    conjectured ("97 bits" once the field-size terms are counted).
    """
    return int(queries * math.log2(inv_rate))
