"""Regenerate the shipped table of control roots: ``python -m l2gpu.programs.control_roots``.

The verifier needs each program's ``code``-group root for the proof's size; computing
it costs as much as committing the code columns, so the package ships them for the
common sizes. The test suite recomputes the small entries.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from . import PROGRAMS
from .base import MIN_PO2, compute_control_root

TABLE = Path(__file__).resolve().parent.parent / "data" / "control_roots.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-po2", type=int, default=20)
    parser.add_argument("--suite", action="append", default=None, help="poseidon2, sha-256")
    parser.add_argument("--program", action="append", default=None, help="default: all")
    args = parser.parse_args()
    suites = args.suite or ["poseidon2", "sha-256"]
    table: dict = json.loads(TABLE.read_text()) if TABLE.is_file() else {}
    for name, program in PROGRAMS.items():
        if args.program and name not in args.program:
            continue
        for suite in suites:
            entries = table.setdefault(name, {}).setdefault(suite, {})
            for po2 in range(MIN_PO2, args.max_po2 + 1):
                if str(po2) not in entries:
                    entries[str(po2)] = list(compute_control_root(program, po2, suite))
                    print(f"{name} {suite} 2^{po2}", flush=True)
                    _write(table)


def _write(table: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=TABLE.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(table, f, indent=0, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, TABLE)


if __name__ == "__main__":
    main()
