"""Native kernels of the ``cpu`` backend: one module per kernel family.

``field`` (BabyBear scalar helpers that inline into numba loops), ``sha256``, ``ntt``,
``elementwise`` (field and Fp4 arithmetic, FRI fold, polynomial evaluation, the DEEP
combination) and ``constraints`` (a constraint program over a domain) are numba kernels;
``poseidon2`` is LLVM IR over 16-lane vectors, generated per parameter set and compiled by
llvmlite. Every kernel works on numpy ``uint32`` arrays, vectorizes its innermost work over
lanes and spreads its outer loop over the cores; machine code is cached on disk, so only
the first run on a machine compiles.
"""
