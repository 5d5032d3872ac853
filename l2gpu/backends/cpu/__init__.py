"""Native kernels of the ``cpu`` backend, compiled by numba: one module per kernel family.

``field`` (BabyBear scalar helpers that inline into loops), ``poseidon2``, ``sha256``,
``ntt`` and ``elementwise`` (field and Fp4 arithmetic, FRI fold, polynomial evaluation
and the DEEP combination). Every kernel works on numpy ``uint32`` arrays, vectorizes its
innermost loop over lanes and spreads its outer loop over the cores; machine code is cached
by numba, so only the first run on a machine compiles.
"""
