"""Backend registry: which kernel implementations exist and which can run here.

``get(None)`` / ``get("auto")`` gives the automatic choice — cupy on a CUDA device,
else jax on a GPU, else the native ``cpu`` backend (numba) where installed, else jax on
the CPU, else numpy (the ``L2GPU_BACKEND`` environment variable overrides it);
``get(name)`` gives that backend or raises :class:`BackendUnavailableError` saying why it
cannot run — never a silent fallback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

from .base import Backend, BackendUnavailableError


def _load_numpy() -> Backend:
    from .numpy_backend import NumpyBackend

    return NumpyBackend()


def _load_jax() -> Backend:
    try:
        import jax  # noqa: F401
    except ImportError as err:
        raise BackendUnavailableError(
            f"jax is not installed: pip install 'l2gpu[jax]' ({err})"
        ) from err
    try:
        from .jax_backend import JaxBackend

        return JaxBackend()
    except Exception as err:  # a broken install or no usable device
        raise BackendUnavailableError(f"jax cannot run here: {err}") from err


def _load_cpu() -> Backend:
    try:
        import numba  # noqa: F401
    except ImportError as err:
        raise BackendUnavailableError(
            f"numba is not installed: pip install 'l2gpu[cpu]' ({err})"
        ) from err
    from .cpu_backend import CpuBackend

    return CpuBackend()


def _load_cupy() -> Backend:
    try:
        import cupy
    except ImportError as err:
        raise BackendUnavailableError(
            f"cupy is not installed: pip install 'l2gpu[cuda12]' or 'l2gpu[cuda13]' ({err})"
        ) from err
    try:
        devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # no driver, or one too old for this CuPy
        raise BackendUnavailableError(f"cupy finds no usable CUDA device: {err}") from err
    if devices < 1:
        raise BackendUnavailableError("cupy finds no CUDA device")
    from .cupy_backend import CupyBackend

    return CupyBackend()


_LOADERS: dict[str, Callable[[], Backend]] = {
    "numpy": _load_numpy,
    "jax": _load_jax,
    "cupy": _load_cupy,
    "cpu": _load_cpu,
}


def _jax_on_gpu() -> bool:
    """Whether jax runs here on an accelerator (not only on its CPU backend)."""
    try:
        return _instance("jax").on_accelerator
    except BackendUnavailableError:
        return False


def _auto_order() -> tuple[str, ...]:
    """Backends by preference: a GPU first, then the native CPU kernels, then XLA's CPU."""
    if _jax_on_gpu():
        return ("cupy", "jax", "cpu", "numpy")
    return ("cupy", "cpu", "jax", "numpy")


__all__ = ["Backend", "BackendUnavailableError", "available", "get", "names"]


def names() -> tuple[str, ...]:
    """Every backend this version knows, available here or not."""
    return tuple(_LOADERS)


@cache
def _instance(name: str) -> Backend:
    return _LOADERS[name]()


def available() -> list[str]:
    """The backends that can run on this machine, in order of preference."""
    out = []
    order = _auto_order()
    for name in (*order, *(n for n in _LOADERS if n not in order)):
        try:
            _instance(name)
        except BackendUnavailableError:
            continue
        out.append(name)
    return out


def get(name: str | Backend | None = None) -> Backend:
    """The backend called ``name``; ``None`` or ``"auto"`` picks the best that runs here."""
    if isinstance(name, Backend):
        return name
    if name is None or name == "auto":
        env = os.environ.get("L2GPU_BACKEND", "").strip()
        if env and env != "auto":
            return get(env)
        for candidate in _auto_order():
            try:
                return _instance(candidate)
            except BackendUnavailableError:
                continue
        raise BackendUnavailableError("no backend can run here")  # numpy always can
    if name not in _LOADERS:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(_LOADERS)}")
    return _instance(name)
