"""Other systems' provers, driven on l2gpu's statements for reference outputs and timings.

:mod:`l2gpu.reference.risc0` drives RISC Zero's prover where its toolchain is
installed; :mod:`l2gpu.reference.compare` puts it next to l2gpu (``l2gpu bench
--reference risc0 PROGRAM``). Neither is needed to install, run or test l2gpu.
"""
