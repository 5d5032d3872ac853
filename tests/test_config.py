"""Runtime configuration: defaults < config file < environment < arguments; ``l2gpu info``."""

from __future__ import annotations

from pathlib import Path

import pytest

from l2gpu import ZkVM, cli, config
from l2gpu.config import ConfigError
from l2gpu.reference import risc0


def settings(tmp_path: Path, toml: str | None = None, **env: str) -> config.Settings:
    """The settings for a config file holding ``toml`` (none if ``None``) and ``env``."""
    path = tmp_path / "config.toml"
    if toml is not None:
        path.write_text(toml)
    return config.load({"L2GPU_CONFIG": str(path), **env})


def test_defaults(tmp_path):
    s = settings(tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert s.cache_dir == tmp_path / "xdg" / "l2gpu"
    assert (s.backend, s.suite, s.workers, s.batch_rows) == ("auto", "poseidon2", 0, 1 << 22)
    assert (s.proof_cache, s.proof_cache_size) == (False, 256)
    assert set(s.sources.values()) == {"default"}
    assert s.config_file == tmp_path / "config.toml"


def test_cache_dir_default_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("L2GPU_CACHE_DIR", raising=False)
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert config.cache_dir() == tmp_path / "xdg" / "l2gpu"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.cache_dir() == tmp_path / "home" / ".cache" / "l2gpu"


def test_file_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    toml = 'backend = "numpy"\nsuite = "sha-256"\nworkers = 3\nproof_cache = true\n'
    s = settings(tmp_path, toml, L2GPU_WORKERS="5")
    assert (s.backend, s.suite, s.workers, s.proof_cache) == ("numpy", "sha-256", 5, True)
    assert s.sources["backend"] == f"file {tmp_path / 'config.toml'}"
    assert s.sources["workers"] == "environment L2GPU_WORKERS"
    assert s.sources["batch_rows"] == "default"
    s = settings(tmp_path, 'cache_dir = "~/somewhere"\n', L2GPU_BATCH_ROWS="64")
    assert s.cache_dir == tmp_path / "home" / "somewhere" and s.batch_rows == 64


def test_config_file_location(tmp_path):
    assert config.config_path({"L2GPU_CONFIG": "/x/y.toml"}) == Path("/x/y.toml")
    xdg = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert config.config_path(xdg) == tmp_path / "l2gpu" / "config.toml"


@pytest.mark.parametrize(
    ("toml", "env", "match"),
    [
        ("backend = ", {}, "cannot read the config file"),
        ("colour = 1\n", {}, "unknown setting.*colour"),
        ("workers = -1\n", {}, "workers from file .*at least 0"),
        ('suite = "md5"\n', {}, "suite from file .*poseidon2"),
        ("proof_cache = 2\n", {}, "true or false"),
        (None, {"L2GPU_WORKERS": "many"}, "workers from environment L2GPU_WORKERS: must be"),
        (None, {"L2GPU_PROOF_CACHE": "perhaps"}, "L2GPU_PROOF_CACHE"),
        (None, {"L2GPU_BATCH_ROWS": "0"}, "batch_rows"),
    ],
)
def test_malformed_settings_say_where(tmp_path, toml, env, match):
    with pytest.raises(ConfigError, match=match):
        settings(tmp_path, toml, **env)


def test_one_cache_dir_for_everything(tmp_path, monkeypatch):
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("L2GPU_CACHE_DIR", str(tmp_path / "mine"))
    assert config.cache_dir() == tmp_path / "mine"
    assert risc0.cache_dir().parent == tmp_path / "mine"
    monkeypatch.delenv("L2GPU_CACHE_DIR")
    (tmp_path / "c.toml").write_text(f'cache_dir = "{tmp_path / "filed"}"\n')
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "c.toml"))
    assert risc0.cache_dir().parent == tmp_path / "filed"


def test_the_cli_keeps_jax_kernels_in_the_cache_dir(tmp_path, monkeypatch):
    jax_backend = pytest.importorskip("l2gpu.backends.jax_backend")
    used = []
    monkeypatch.setattr(jax_backend, "use_compilation_cache", used.append)
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("L2GPU_CACHE_DIR", str(tmp_path / "mine"))
    assert cli._backend("jax").name == "jax"
    assert used == [str(tmp_path / "mine" / "jax")]


def test_zkvm_takes_its_defaults_from_the_configuration(tmp_path, monkeypatch):
    (tmp_path / "c.toml").write_text('backend = "numpy"\nsuite = "sha-256"\nbatch_rows = 512\n')
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    vm = ZkVM()
    assert vm.backend.name == "numpy"
    assert (vm.options.suite, vm.options.batch_rows) == ("sha-256", 512)
    assert ZkVM(backend="numpy").options.suite == "sha-256"  # an argument wins for its part
    monkeypatch.setenv("L2GPU_SUITE", "poseidon2")
    assert ZkVM().options.suite == "poseidon2"  # the environment over the file
    assert ZkVM().prove("fibonacci", n=3).hash_suite == "poseidon2"


def test_info_shows_settings_sources_backends(tmp_path, monkeypatch, capsys):
    (tmp_path / "c.toml").write_text('backend = "numpy"\n')
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("L2GPU_WORKERS", "2")
    monkeypatch.delenv("L2GPU_BACKEND", raising=False)
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"config file: {tmp_path / 'c.toml'}\n" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["backend"].split()[1:] == ["numpy", "file", str(tmp_path / "c.toml")]
    assert lines["workers"].split()[1:] == ["2", "environment", "L2GPU_WORKERS"]
    assert lines["suite"].split()[1:] == ["poseidon2", "default"]
    assert "available; devices: the host CPU" in lines["numpy"]
    assert "backend = numpy: numpy" in out


def test_info_with_a_broken_config_exits_2(tmp_path, monkeypatch, capsys):
    (tmp_path / "c.toml").write_text("workers = 'x'\n")
    monkeypatch.setenv("L2GPU_CONFIG", str(tmp_path / "c.toml"))
    assert cli.main(["info"]) == 2
    assert "workers from file" in capsys.readouterr().err
