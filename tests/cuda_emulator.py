"""A CPU stand-in for a CUDA device: the CuPy backend's kernel sources run as host C++.

:class:`EmulatedDevice` implements :class:`l2gpu.backends.cupy_backend.Device`, so the
backend's own launch code runs against it. A module (the very string the backend gives
NVRTC) is compiled by ``nvcc -x c++`` into a shared library with ``emulator/emulator.h``
in front — CUDA's keywords and built-ins for the host, a coroutine per CUDA thread for
``__syncthreads`` — and ``emulator/launch.h`` behind, and its kernels are launched through
``ctypes``. Checks a real device would make, or whose failure it would hide:

- kernel arguments must be device arrays or numpy scalars of the parameter's exact size
  (CuPy passes a numpy scalar by its dtype; a mismatch would read garbage);
- device arrays are a numpy subclass, so a host array handed to a kernel is an error;
- every array the backend allocates is followed by canary words, checked after each
  launch (a write past the end fails the launch), and starts out as 0xFFFFFFFF (not a
  field element), so reading an unwritten slot shows in the results;
- grid and block sizes within CUDA's limits.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from l2gpu.backends import cuda_sources

HERE = Path(__file__).parent / "emulator"
GUARD = 16  # canary words behind every allocation
CANARY = np.uint32(0xA5A5A5A5)
UNWRITTEN = np.uint32(0xFFFFFFFF)
FLAGS = ("-x", "c++", "-std=c++17", "-O1", "-shared", "-Xcompiler", "-fPIC,-Wno-unknown-pragmas")


def find_nvcc() -> str | None:
    return shutil.which("nvcc")


class DeviceArray(np.ndarray):
    """An array "on the device": kernels accept only these."""


def _device(a: np.ndarray) -> DeviceArray:
    return a.view(DeviceArray)


XP = SimpleNamespace(
    ascontiguousarray=lambda a: _device(np.ascontiguousarray(a).reshape(np.shape(a))),
    broadcast_to=lambda a, shape: _device(np.broadcast_to(a, shape)),
)


class EmulatedKernel:
    """One kernel of a compiled module, called like a ``cupy.RawKernel``."""

    def __init__(self, device: EmulatedDevice, lib: ctypes.CDLL, name: str) -> None:
        self.device, self.name = device, name
        self._launch = getattr(lib, f"emu_launch_{name}")
        self._launch.restype = None
        signature = getattr(lib, f"emu_signature_{name}")
        signature.restype = ctypes.c_char_p
        self.params = [(int(p[:-1]), p[-1]) for p in signature().decode().split(",") if p]

    def __call__(self, grid: tuple, block: tuple, args: tuple, shared_mem: int = 0) -> None:
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, got {len(args)}")
        holders = [
            self._hold(i, a, p) for i, (a, p) in enumerate(zip(args, self.params, strict=True))
        ]
        grid3 = (*grid, 1, 1)[:3]
        block3 = (*block, 1, 1)[:3]
        if np.prod(block3) > 1024 or not 0 < grid3[0] < 1 << 31 or max(grid3[1:]) > 65535:
            raise ValueError(f"{self.name}: grid {grid} / block {block} out of CUDA's limits")
        argv = (ctypes.c_void_p * len(holders))(*(ctypes.addressof(h) for h in holders))
        self._launch((ctypes.c_uint * 3)(*grid3), (ctypes.c_uint * 3)(*block3), argv)
        self.device.check_guards(self.name)

    def _hold(self, i: int, arg: object, param: tuple[int, str]) -> ctypes._SimpleCData:
        size, kind = param
        where = f"{self.name}, argument {i}"
        if isinstance(arg, np.ndarray):
            if not isinstance(arg, DeviceArray):
                raise TypeError(f"{where}: a host array; kernels take device arrays")
            if kind != "p" or arg.dtype != np.uint32:
                raise TypeError(f"{where}: a {arg.dtype} array for a {size}-byte {kind}")
            return ctypes.c_void_p(arg.ctypes.data)
        if isinstance(arg, np.generic) and arg.dtype.kind in "ui":
            if kind != "v" or arg.itemsize != size:
                raise TypeError(f"{where}: a {arg.dtype} for a {size}-byte parameter ({kind})")
            return (ctypes.c_uint32 if size == 4 else ctypes.c_uint64)(int(arg))
        raise TypeError(f"{where}: {type(arg).__name__}; pass device arrays and numpy scalars")


class EmulatedDevice:
    """numpy arrays and host-compiled kernels behind the backend's :class:`Device` API."""

    xp = XP

    def __init__(self, cache: Path, nvcc: str, free: int = 1 << 40) -> None:
        self.cache, self.nvcc, self.free = Path(cache), nvcc, free
        self._libraries: dict[str, ctypes.CDLL] = {}
        self._kernels: dict[tuple[str, str], EmulatedKernel] = {}
        self._buffers: list[tuple[weakref.ref, int]] = []
        self.launches: list[str] = []

    # -- arrays --------------------------------------------------------------------------
    def is_array(self, obj: object) -> bool:
        return isinstance(obj, DeviceArray)

    def empty(self, shape: tuple[int, ...]) -> DeviceArray:
        size = int(np.prod(shape))
        buf = np.full(size + GUARD, UNWRITTEN, dtype=np.uint32)
        buf[size:] = CANARY
        self._buffers = [(ref, n) for ref, n in self._buffers if ref() is not None]
        self._buffers.append((weakref.ref(buf), size))
        return _device(buf[:size].reshape(shape))

    def upload(self, host: np.ndarray) -> DeviceArray:
        host = np.asarray(host, dtype=np.uint32)
        out = self.empty(host.shape)
        out[...] = host
        return out

    def download(self, array: np.ndarray) -> np.ndarray:
        return np.array(array, dtype=np.uint32)

    def from_dlpack(self, obj: object) -> DeviceArray:
        return _device(np.from_dlpack(obj))

    def free_bytes(self) -> int:
        return self.free

    def check_guards(self, name: str) -> None:
        for ref, size in self._buffers:
            buf = ref()
            if buf is not None and not (buf[size:] == CANARY).all():
                raise AssertionError(f"{name} wrote past the end of a {size}-element array")

    # -- kernels -------------------------------------------------------------------------
    def kernel(self, source: str, name: str) -> EmulatedKernel:
        key = (source, name)
        if key not in self._kernels:
            self._kernels[key] = EmulatedKernel(self, self._library(source), name)
        return _Counting(self, self._kernels[key])

    def prepare(self, sources: list[str], workers: int = 2) -> None:
        """Compile ``sources`` ahead, ``workers`` at a time."""
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(self._build, sources))

    def _library(self, source: str) -> ctypes.CDLL:
        lib = self._libraries.get(source)
        if lib is None:
            lib = self._libraries[source] = ctypes.CDLL(str(self._build(source)))
        return lib

    def _build(self, source: str) -> Path:
        text = (
            '#include "emulator.h"\n'
            + source
            + '\n#include "launch.h"\n'
            + "".join(f"EMU_EXPORT({k})\n" for k in cuda_sources.kernel_names(source))
        )
        headers = "".join((HERE / f).read_text() for f in ("emulator.h", "launch.h"))
        digest = hashlib.sha256((text + headers + " ".join(FLAGS)).encode()).hexdigest()[:24]
        lib = self.cache / f"emu-{digest}.so"
        if not lib.exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            cpp = self.cache / f"emu-{digest}.cpp"
            cpp.write_text(text)
            tmp = self.cache / f"emu-{digest}.{os.getpid()}.tmp"
            cmd = [self.nvcc, *FLAGS, "-I", str(HERE), "-o", str(tmp), str(cpp)]
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode:
                raise RuntimeError(f"emulator build failed:\n{run.stderr[-6000:]}")
            os.replace(tmp, lib)
        return lib


class _Counting:
    """A kernel that records its launches on the device (for tests of launch plans)."""

    def __init__(self, device: EmulatedDevice, kernel: EmulatedKernel) -> None:
        self.device, self.inner = device, kernel

    def __call__(self, grid: tuple, block: tuple, args: tuple, shared_mem: int = 0) -> None:
        self.device.launches.append(self.inner.name)
        self.inner(grid, block, args, shared_mem)
