"""TEST DOUBLE — a stand-in for RISC Zero's host (``l2gpu/reference/risc0/template/host``).

It speaks the host's protocol (``fibonacci N`` / ``sha256 MESSAGE_HEX`` in, one JSON
object out) without proving anything, so the tests can drive
:mod:`l2gpu.reference.risc0` on machines without RISC Zero's toolchain. It is used only
where a test asks for it by name — ``prove(..., host=[python, this file])`` or
``L2GPU_RISC0_HOST`` — and its figures (cycles, seconds, seal size) are made up.

``FAKE_RISC0_HOST_MODE`` picks the behaviour:

- ``good`` (default): a well-formed report with the right journal;
- ``dev``: what RISC Zero reports in dev mode (``RISC0_DEV_MODE``): a fake receipt;
- ``off-by-one``: fibonacci's journal gives fib(n + 1), the seed project's bug;
- ``malformed``: not JSON;
- ``missing``: JSON without ``total_cycles``;
- ``fail``: an error on stderr and exit status 3;
- ``hang``: sleeps far longer than any test's timeout.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time

P = 2013265921
VERSION = "3.0.4"  # what the real host reports: the template's pinned RISC Zero


def fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % P
    return a


def main() -> int:
    mode = os.environ.get("FAKE_RISC0_HOST_MODE", "good")
    program, arg = sys.argv[1:]
    if mode == "fail":
        print("fake host: the prover ran out of memory", file=sys.stderr)
        return 3
    if mode == "hang":
        time.sleep(600)
    if mode == "malformed":
        print("RISC Zero says: proof done {")
        return 0
    if program == "fibonacci":
        n = int(arg)
        inputs = {"n": n}
        journal = {"n": n, "fib_n": fib(n + 1 if mode == "off-by-one" else n)}
    else:
        inputs = {"message_hex": arg}
        journal = {"digest": hashlib.sha256(bytes.fromhex(arg)).hexdigest()}
    report = {
        "program": program,
        "inputs": inputs,
        "journal": journal,
        "total_cycles": 1 << 16,
        "user_cycles": 5000,
        "segments": 1,
        "prove_seconds": 2.5,
        "receipt_kind": "fake" if mode == "dev" else "composite",
        "seal_bytes": 0 if mode == "dev" else 250_000,
        "dev_mode": mode == "dev",
        "risc0_version": VERSION,
    }
    if mode == "missing":
        del report["total_cycles"]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
