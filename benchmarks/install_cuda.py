"""asv's last install step: on a machine with an NVIDIA GPU, the CUDA builds of the backends.

``asv.conf.json`` runs it with the environment's python after installing the commit's
wheel with its ``bench`` extra::

    python benchmarks/install_cuda.py WHEEL

Where ``nvidia-smi`` lists a GPU, it installs the wheel's ``cuda12`` extra (CuPy, and
JAX's CUDA build); elsewhere it does nothing, and the ``cupy`` value of the
``L2GPU_BACKEND`` matrix skips.
"""

from __future__ import annotations

import shutil
import subprocess
import sys


def has_nvidia_gpu() -> bool:
    """Whether ``nvidia-smi`` is here and lists at least one GPU."""
    if shutil.which("nvidia-smi") is None:
        return False
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return listing.returncode == 0 and "GPU" in listing.stdout


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(f"usage: {sys.argv[0]} WHEEL", file=sys.stderr)
        return 2
    if not has_nvidia_gpu():
        print("no NVIDIA GPU here: CPU builds only")
        return 0
    pip = [sys.executable, "-m", "pip", "install", f"{argv[0]}[cuda12]"]
    return subprocess.call(pip)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
