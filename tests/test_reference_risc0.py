"""RISC Zero as the reference prover: the template, the driver and ``bench --reference``.

The driver's handling of the host's output is tested against ``fake_risc0_host.py``, a
test double that speaks the host's JSON protocol, and the build cache against a
stand-in ``cargo``; both are asked for by name. The real host runs only in the last
test, where RISC Zero's toolchain (``cargo risczero``) is installed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from l2gpu import cli
from l2gpu.field import P
from l2gpu.reference import compare, risc0

FAKE_HOST = Path(__file__).with_name("fake_risc0_host.py")
FAKE = [sys.executable, str(FAKE_HOST)]
FIB_1000 = 1882449601  # fib(1000) mod P, as README's example asserts
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def has_toolchain() -> bool:
    try:
        risc0.find_toolchain()
    except risc0.ToolchainNotFoundError:
        return False
    return True


@pytest.fixture(autouse=True)
def no_host_override(monkeypatch):
    """No test inherits an ``L2GPU_RISC0_HOST`` or a fake-host mode from the shell."""
    monkeypatch.delenv(risc0.HOST_ENV, raising=False)
    monkeypatch.delenv("FAKE_RISC0_HOST_MODE", raising=False)


@pytest.fixture
def no_toolchain(monkeypatch, tmp_path):
    """A machine without cargo or RISC Zero: empty PATH, a fresh home."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def fake_cargo(monkeypatch, tmp_path):
    """A stand-in toolchain: ``cargo build`` logs its arguments and 'builds' a host that
    runs the test double. ``FAKE_CARGO_FAIL=1`` makes it fail. Returns the log path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "cargo.log"
    cargo = bin_dir / "cargo"
    cargo.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "from pathlib import Path\n"
        f"with open({str(log)!r}, 'a') as f: f.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if os.environ.get('FAKE_CARGO_FAIL'):\n"
        "    sys.exit('error[E0433]: failed to resolve: risc0_zkvm')\n"
        "host = Path('target/release/l2gpu-risc0-host')\n"
        "host.parent.mkdir(parents=True, exist_ok=True)\n"
        f"host.write_text('#!/bin/sh\\nexec {sys.executable} {FAKE_HOST} \"$@\"\\n')\n"
        "host.chmod(0o755)\n"
    )
    cargo.chmod(0o755)
    (bin_dir / "cargo-risczero").write_text("#!/bin/sh\necho cargo-risczero 3.0.4\n")
    (bin_dir / "cargo-risczero").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return log


# -- the template --------------------------------------------------------------------


def test_template_ships_host_and_guests():
    assert set(risc0.template_files()) == {
        "Cargo.toml",
        "host/Cargo.toml",
        "host/src/main.rs",
        "methods/Cargo.toml",
        "methods/build.rs",
        "methods/src/lib.rs",
        "methods/guest/Cargo.toml",
        "methods/guest/src/bin/fibonacci.rs",
        "methods/guest/src/bin/sha256.rs",
    }


def test_template_pins_one_risc0_version():
    """Every RISC Zero dependency pins ``=RISC0_VERSION`` or inherits the workspace's pin."""
    lines = [
        line
        for path, data in risc0.template_files().items()
        if path.endswith("Cargo.toml")
        for line in data.decode().splitlines()
        if line.startswith("risc0-")
    ]
    assert len(lines) == 5  # the workspace's two pins; host, methods and guest deps
    for line in lines:
        assert f'"={risc0.RISC0_VERSION}"' in line or "workspace = true" in line, line
    assert f'VERSION = "{risc0.RISC0_VERSION}"' in FAKE_HOST.read_text()


def test_fibonacci_guest_has_l2gpus_semantics():
    guest = risc0.template_files()["methods/guest/src/bin/fibonacci.rs"].decode()
    assert f"const P: u32 = {P};" in guest
    assert "(mut a, mut b) = (0u32, 1u32)" in guest  # fib(0) = 0, fib(1) = 1
    assert "env::commit(&(n, a));" in guest  # a = fib(n), not b = fib(n + 1)


def test_cache_dir_follows_xdg_and_the_template(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    files = risc0.template_files()
    here = risc0.cache_dir(files)
    assert here.parent == tmp_path / "l2gpu"
    assert re.fullmatch(rf"risc0-{re.escape(risc0.RISC0_VERSION)}-[0-9a-f]{{16}}", here.name)
    assert risc0.cache_dir() == here
    changed = {**files, "host/src/main.rs": files["host/src/main.rs"] + b"\n"}
    assert risc0.cache_dir(changed) != here
    assert risc0.cache_dir(files, cuda=True).name == here.name + "-cuda"


# -- finding and building ------------------------------------------------------------


def test_no_toolchain_says_what_to_install(no_toolchain):
    with pytest.raises(risc0.ToolchainNotFoundError) as info:
        risc0.find_toolchain()
    message = str(info.value)
    assert "cargo and cargo-risczero not found" in message
    assert risc0.INSTALL in message


def test_build_once_then_from_the_cache(fake_cargo, tmp_path):
    binary = risc0.build()
    assert binary.is_file()
    assert binary.parent.parent.parent == risc0.cache_dir()
    assert str(binary).startswith(str(tmp_path / "cache" / "l2gpu"))
    assert (binary.parent.parent.parent / "host" / "src" / "main.rs").is_file()
    assert risc0.build() == binary
    assert fake_cargo.read_text().splitlines() == ["build --release --package l2gpu-risc0-host"]


def test_a_changed_template_is_built_again(fake_cargo, monkeypatch):
    first = risc0.build()
    files = risc0.template_files()
    changed = {**files, "methods/guest/src/bin/fibonacci.rs": b"// changed\n"}
    monkeypatch.setattr(risc0, "template_files", lambda: changed)
    second = risc0.build(cuda=True)
    assert second != first and second.parent.parent.parent.name.endswith("-cuda")
    assert fake_cargo.read_text().splitlines()[-1].endswith("--features cuda")
    assert len(fake_cargo.read_text().splitlines()) == 2


def test_build_failure_shows_cargos_error(fake_cargo, monkeypatch):
    monkeypatch.setenv("FAKE_CARGO_FAIL", "1")
    with pytest.raises(risc0.HostError, match=r"exit status 1: error\[E0433\]"):
        risc0.build()
    monkeypatch.delenv("FAKE_CARGO_FAIL")
    assert risc0.build().is_file()  # the failed build left no stale marker


def test_prove_builds_and_runs_the_template(fake_cargo):
    ref = risc0.prove("fibonacci", n=1000)
    assert ref.from_template and ref.host.endswith("target/release/l2gpu-risc0-host")
    assert ref.journal == {"n": 1000, "fib_n": FIB_1000}


# -- the host protocol, with the test double -----------------------------------------


def test_good_report():
    ref = risc0.prove("fibonacci", n=1000, host=FAKE)
    assert ref.journal == {"n": 1000, "fib_n": FIB_1000}
    assert ref.inputs == {"n": 1000}
    assert (ref.total_cycles, ref.user_cycles, ref.segments) == (1 << 16, 5000, 1)
    assert ref.prove_seconds == 2.5 and ref.cycles_per_second == (1 << 16) / 2.5
    assert (ref.receipt_kind, ref.seal_bytes, ref.dev_mode) == ("composite", 250_000, False)
    assert ref.is_proof and not ref.from_template
    assert ref.host.endswith("fake_risc0_host.py")
    assert ref.as_dict()["is_proof"] is True


def test_sha256_report():
    ref = risc0.prove("sha256", message=b"abc", host=FAKE)
    assert ref.inputs == {"message_hex": "616263"}
    assert ref.journal == {"digest": ABC_SHA256}


def test_host_from_the_environment(monkeypatch):
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    ref = risc0.prove("fibonacci", n=5)
    assert ref.journal["fib_n"] == 5 and not ref.from_template
    assert ref.host == f"{sys.executable} {FAKE_HOST}"
    assert risc0.prove("fibonacci", n=6, host=ref.host).journal["fib_n"] == 8  # a command line


def test_dev_mode_is_reported_not_a_proof(monkeypatch):
    monkeypatch.setenv("FAKE_RISC0_HOST_MODE", "dev")
    ref = risc0.prove("fibonacci", n=10, host=FAKE)
    assert ref.dev_mode and ref.receipt_kind == "fake" and not ref.is_proof


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("malformed", r"did not print one JSON object .*RISC Zero says: proof done"),
        ("missing", r"left out total_cycles"),
        ("fail", r"failed with exit status 3: fake host: the prover ran out of memory"),
        ("hang", r"timed out after 2 s"),
    ],
)
def test_host_failures(monkeypatch, mode, error):
    monkeypatch.setenv("FAKE_RISC0_HOST_MODE", mode)
    with pytest.raises(risc0.HostError, match=error):
        risc0.prove("fibonacci", n=10, host=FAKE, timeout=2)


def test_a_missing_host_executable():
    with pytest.raises(risc0.HostError, match="cannot run"):
        risc0.prove("fibonacci", n=10, host=["/nonexistent/l2gpu-risc0-host"])


GOOD = {
    "program": "fibonacci",
    "inputs": {"n": 10},
    "journal": {"n": 10, "fib_n": 55},
    "total_cycles": 65536,
    "user_cycles": 4000,
    "segments": 1,
    "prove_seconds": 1.5,
    "receipt_kind": "succinct",
    "seal_bytes": 200000,
    "dev_mode": False,
    "risc0_version": risc0.RISC0_VERSION,
}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"risc0_version": "3.1.0"}, r"runs RISC Zero 3\.1\.0, not the pinned"),
        ({"program": "sha256"}, r"proved sha256\(\{'n': 10\}\), not fibonacci"),
        ({"inputs": {"n": 11}}, r"not fibonacci\(\{'n': 10\}\)"),
        ({"segments": True}, r"gave segments = True, not of the protocol's type"),
        ({"total_cycles": "65536"}, r"gave total_cycles = '65536'"),
        ({"segments": -1}, r"gave a negative count"),
        ({"prove_seconds": -1.0}, r"gave prove_seconds = -1\.0"),
        ({"receipt_kind": "stark"}, r"unknown receipt_kind 'stark'"),
        ({"journal": {"n": 11, "fib_n": 89}}, r"committed n = 11 for n = 10"),
        ({"journal": {"n": 10, "fib_n": P}}, r"not \{n, fib_n < P\}"),
        ({"journal": {"fib_n": 55}}, r"not \{n, fib_n < P\}"),
    ],
)
def test_report_is_checked_field_by_field(change, error):
    text = json.dumps({**GOOD, **change})
    with pytest.raises(risc0.HostError, match=error):
        risc0.parse_report(text, "fibonacci", {"n": 10}, host="h")
    assert risc0.parse_report(json.dumps(GOOD), "fibonacci", {"n": 10}, host="h").is_proof


@pytest.mark.parametrize("journal", [{"digest": "ab" * 31}, {"digest": "zz" * 32}, {"d": 1}])
def test_sha256_journal_is_a_digest(journal):
    report = {**GOOD, "program": "sha256", "inputs": {"message_hex": ""}, "journal": journal}
    with pytest.raises(risc0.HostError, match="digest"):
        risc0.parse_report(json.dumps(report), "sha256", {"message_hex": ""}, host="h")


def test_a_json_value_that_is_not_an_object():
    with pytest.raises(risc0.HostError, match="not an object: list"):
        risc0.parse_report("[1, 2]", "fibonacci", {"n": 10}, host="h")


@pytest.mark.parametrize(
    ("program", "inputs", "error"),
    [
        ("fibonacci", {"n": -1}, r"n must be an integer in \[0, 2\^32\)"),
        ("fibonacci", {"n": True}, r"n must be an integer"),
        ("fibonacci", {"message": b"x"}, r"fibonacci takes the input 'n'"),
        ("sha256", {"message": "abc"}, r"message must be bytes, got str"),
        ("hello", {}, r"no RISC Zero guest for 'hello'"),
    ],
)
def test_bad_inputs(program, inputs, error):
    with pytest.raises(ValueError, match=error):
        risc0.prove(program, host=FAKE, **inputs)


# -- comparing with l2gpu ------------------------------------------------------------


def test_sha256_digest_as_program_outputs():
    ref = risc0.parse_report(
        json.dumps({**GOOD, "program": "sha256", "inputs": {}, "journal": {"digest": ABC_SHA256}}),
        "sha256",
        {},
        host="h",
    )
    halves = SimpleNamespace(name="sha256", output_names=tuple(f"h{i}" for i in range(16)))
    outputs = compare.reference_outputs(halves, ref)
    assert outputs["h0"] == 0xBA78 and outputs["h15"] == 0x15AD
    with pytest.raises(compare.OutputMismatchError, match="do not split a 32-byte digest"):
        compare.reference_outputs(SimpleNamespace(name="sha256", output_names=("a",) * 3), ref)


def bench_reference(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["bench", "--reference", "risc0", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_without_the_toolchain_exits_2(no_toolchain, capsys):
    code, out, err = bench_reference(capsys, "fibonacci", "--n", "10", "--backend", "numpy")
    assert code == 2 and out == ""
    assert "RISC Zero's toolchain is not installed here" in err
    assert "curl -L https://risczero.com/install | bash && rzup install" in err


def test_cli_compares_both_provers(monkeypatch, capsys):
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    args = ("fibonacci", "--n", "1000", "--backend", "numpy", "--repeats", "0")
    code, out, _ = bench_reference(capsys, *args)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"fibonacci(n=1000): public outputs agree: fib_n={FIB_1000}"
    assert re.match(
        r"RISC Zero 3\.0\.4 +external host +- +2\.500 +26,214 cycles/s +250,000", lines[2]
    )
    assert re.match(
        r"l2gpu +numpy +\d+\.\d{3} +\d+\.\d{3} +[\d,]+ rows/s +[\d,]+ +\d+\.\d\dx", lines[3]
    )
    assert "not the template" in lines[4] and "fake_risc0_host.py" in lines[4]

    code, out, _ = bench_reference(capsys, *args, "--json")
    result = json.loads(out)
    assert code == 0 and result["public_outputs"] == {"fib_n": FIB_1000}
    assert result["risc0"]["is_proof"] and result["risc0"]["build"] == "external host"
    run = result["l2gpu"][0]
    assert run["backend"] == "numpy" and run["rows"] == 1024
    assert run["speedup_vs_risc0"] == pytest.approx(2.5 / run["steady_s"])
    assert run["seal_bytes"] > 0 and run["rows_per_second"] == pytest.approx(1024 / run["steady_s"])


def test_cli_dev_mode_gives_no_ratio(monkeypatch, capsys):
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    monkeypatch.setenv("FAKE_RISC0_HOST_MODE", "dev")
    args = ("fibonacci", "--n", "10", "--backend", "numpy", "--repeats", "0")
    code, out, _ = bench_reference(capsys, *args)
    assert code == 0
    assert re.match(r"RISC Zero \S+ +external host +- +n/a +n/a +0 +-", out.splitlines()[2])
    assert "dev mode (RISC0_DEV_MODE): its receipt is fake, not a proof" in out
    code, out, _ = bench_reference(capsys, *args, "--json")
    result = json.loads(out)
    assert result["risc0"]["dev_mode"] and not result["risc0"]["is_proof"]
    assert result["l2gpu"][0]["speedup_vs_risc0"] is None


def test_cli_disagreeing_outputs_exit_1(monkeypatch, capsys):
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    monkeypatch.setenv("FAKE_RISC0_HOST_MODE", "off-by-one")
    code, out, _ = bench_reference(capsys, "fibonacci", "--n", "10", "--backend", "numpy")
    assert code == 1
    assert out.strip() == (
        "MISMATCH: RISC Zero and l2gpu disagree on fibonacci({'n': 10}): "
        "RISC Zero's journal gives {'fib_n': 89}, l2gpu gives {'fib_n': 55}"
    )


def test_cli_host_failure_exits_2(monkeypatch, capsys):
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    monkeypatch.setenv("FAKE_RISC0_HOST_MODE", "malformed")
    code, out, err = bench_reference(capsys, "fibonacci", "--n", "10", "--backend", "numpy")
    assert code == 2 and out == "" and "did not print one JSON object" in err


def test_cli_compares_sha256(monkeypatch, capsys):
    """The digest from RISC Zero's journal against l2gpu's eight big-endian words."""
    monkeypatch.setenv(risc0.HOST_ENV, f"{sys.executable} {FAKE_HOST}")
    args = ("sha256", "--message", "abc", "--backend", "numpy", "--repeats", "0", "--json")
    code, out, _ = bench_reference(capsys, *args)
    digest = hashlib.sha256(b"abc").digest()
    words = {f"h{k}": int.from_bytes(digest[4 * k : 4 * k + 4], "big") for k in range(8)}
    assert code == 0 and json.loads(out)["public_outputs"] == words


@pytest.mark.parametrize(
    "argv", [["bench", "fibonacci"], ["bench", "--reference", "risc0"]], ids=["no-ref", "no-prog"]
)
def test_cli_reference_needs_both(capsys, argv):
    assert cli.main(argv) == 2
    assert "use `l2gpu bench --reference risc0 PROGRAM`" in capsys.readouterr().err


# -- the real host -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not has_toolchain(), reason="RISC Zero's toolchain (cargo risczero) is not installed"
)
def test_real_risc0_host_proves_fibonacci():
    ref = risc0.prove("fibonacci", n=1000)
    assert ref.from_template and ref.risc0_version == risc0.RISC0_VERSION
    assert ref.journal == {"n": 1000, "fib_n": FIB_1000}
    assert ref.is_proof == (not ref.dev_mode)
    if ref.is_proof:
        assert ref.seal_bytes > 0 and ref.total_cycles >= ref.user_cycles > 0
    digest = risc0.prove("sha256", message=b"abc").journal["digest"]
    assert digest == ABC_SHA256
