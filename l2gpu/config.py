"""Runtime configuration: built-in defaults, a TOML file, environment variables.

Each setting is taken from the first of these that gives it:

1. an explicit argument (``ZkVM(backend="jax")``, a command-line flag);
2. its environment variable;
3. the config file: ``$L2GPU_CONFIG`` if set, else ``$XDG_CONFIG_HOME/l2gpu/config.toml``
   (``~/.config/l2gpu/config.toml``); a missing file is no error, a malformed one is;
4. the built-in default.

========================  ==========================  =======================================
key (config file)         environment variable        default, meaning
========================  ==========================  =======================================
``backend``               ``L2GPU_BACKEND``           ``"auto"``: numpy, jax, … or auto
``suite``                 ``L2GPU_SUITE``             ``"poseidon2"`` or ``"sha-256"``
``cache_dir``             ``L2GPU_CACHE_DIR``         ``$XDG_CACHE_HOME/l2gpu``
                                                      (``~/.cache/l2gpu``): JAX's compiled
                                                      kernels, RISC Zero's build, proofs
``workers``               ``L2GPU_WORKERS``           ``0``: processes of ``prove_parallel``'s
                                                      own pool (0: one per core)
``batch_rows``            ``L2GPU_BATCH_ROWS``        ``4194304``: trace rows ``prove_batch``
                                                      commits together at most
``proof_cache``           ``L2GPU_PROOF_CACHE``       ``false``: ``CachedZkVM`` also keeps
                                                      proofs on disk, in ``cache_dir/proofs``
``proof_cache_size``      ``L2GPU_PROOF_CACHE_SIZE``  ``256``: proofs ``CachedZkVM`` keeps in
                                                      memory
========================  ==========================  =======================================

``l2gpu info`` shows every setting and where it came from. This module reads files and
the environment only; it configures nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .hashing import SUITES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_ENV = "L2GPU_CONFIG"

__all__ = ["CONFIG_ENV", "ConfigError", "Settings", "cache_dir", "config_path", "load"]


class ConfigError(ValueError):
    """A setting in the config file or the environment is malformed; says which."""


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "l2gpu"


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _suite(value: object) -> str:
    if _text(value) not in SUITES:
        raise ValueError(f"must be one of {', '.join(SUITES)}")
    return _text(value)


def _path(value: object) -> Path:
    return Path(_text(value)).expanduser()


def _count(least: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError("must be an integer") from None
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"must be an integer of at least {least}")
        return value

    return parse


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


# key → (environment variable, parser, default from the environment)
_KEYS: dict[str, tuple[str, Callable[[object], object], Callable[[Mapping[str, str]], object]]] = {
    "backend": ("L2GPU_BACKEND", _text, lambda env: "auto"),
    "suite": ("L2GPU_SUITE", _suite, lambda env: "poseidon2"),
    "cache_dir": ("L2GPU_CACHE_DIR", _path, _default_cache_dir),
    "workers": ("L2GPU_WORKERS", _count(0), lambda env: 0),
    "batch_rows": ("L2GPU_BATCH_ROWS", _count(1), lambda env: 1 << 22),
    "proof_cache": ("L2GPU_PROOF_CACHE", _flag, lambda env: False),
    "proof_cache_size": ("L2GPU_PROOF_CACHE_SIZE", _count(0), lambda env: 256),
}


@dataclass(frozen=True)
class Settings:
    """The settings in force, and where each came from (``sources``)."""

    backend: str
    suite: str
    cache_dir: Path
    workers: int
    batch_rows: int
    proof_cache: bool
    proof_cache_size: int
    config_file: Path
    sources: dict[str, str] = field(compare=False)


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file to read (which need not exist)."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "l2gpu" / "config.toml"


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings: environment (``environ``, by default ``os.environ``) over
    config file over defaults. A ``~`` in a path is the user's home.

    Raises :class:`ConfigError` naming the file or variable of a malformed setting, or an
    unknown key in the file.
    """
    env = os.environ if environ is None else environ
    path = config_path(env)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        table = {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
        )
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for key, (var, parse, default) in _KEYS.items():
        if env.get(var, "").strip():
            raw, source = env[var], f"environment {var}"
        elif key in table:
            raw, source = table[key], f"file {path}"
        else:
            values[key], sources[key] = default(env), "default"
            continue
        try:
            values[key] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{key} from {source}: {exc}, got {raw!r}") from None
        sources[key] = source
    return Settings(**values, config_file=path, sources=sources)


def cache_dir() -> Path:
    """l2gpu's cache directory: ``L2GPU_CACHE_DIR``, else the config file's ``cache_dir``,
    else ``$XDG_CACHE_HOME/l2gpu`` (``~/.cache/l2gpu``). Not created here."""
    return load().cache_dir
