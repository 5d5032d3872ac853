"""The ``l2gpu`` command line."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import __version__, api, backends, config, merkle, programs, prove_args, risc0
from .errors import BatchError, ProofFormatError, VerificationError
from .field import P
from .hashing import SUITES
from .proof import Proof
from .reference import compare as reference
from .stark.prover import PHASES
from .vm import Options, Request, ZkVM


def _power_of_two(text: str) -> int:
    """Accept ``65536``, ``2^16`` or ``2**16``."""
    try:
        if "^" in text or "**" in text:
            base, exp = text.replace("**", "^").split("^")
            value = int(base) ** int(exp)
        else:
            value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 2 or value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two ≥ 2, got {value}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _digest_hex(words: np.ndarray) -> str:
    return words.astype("<u4").tobytes().hex()


def _backend(name: str) -> backends.Backend:
    """The backend for a command; JAX keeps its compiled kernels between runs."""
    be = backends.get(name)
    if be.name == "jax":
        from .backends.jax_backend import use_compilation_cache

        use_compilation_cache(str(config.cache_dir() / "jax"))
    return be


def _cmd_commit(args: argparse.Namespace) -> int:
    be = _backend(args.backend)
    rng = np.random.default_rng(args.seed)
    matrix = rng.integers(0, P, size=(args.rows, args.cols), dtype=np.uint32)
    start = time.perf_counter()
    tree = merkle.commit(matrix, args.suite, backend=be)
    root = tree.root
    elapsed = time.perf_counter() - start
    print(f"committed {args.rows} rows x {args.cols} columns ({args.suite}, backend {be.name})")
    print(f"root: {_digest_hex(root)}")
    print(f"time: {elapsed:.3f} s ({args.rows / elapsed:,.0f} rows/s)")
    return 0


class _PhaseBar:
    """A progress bar over the prover's phases, shown once a proof takes a moment."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=len(PHASES), desc="proving", unit="phase", delay=0.5, leave=False, disable=None
        )
        self._started = False

    def __call__(self, phase: str) -> None:
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(phase)

    def close(self) -> None:
        self._bar.close()


def _cmd_prove(args: argparse.Namespace) -> int:
    be = _backend(args.backend)
    program = programs.get(args.program)
    inputs = prove_args.inputs(args)
    bar = _PhaseBar()
    start = time.perf_counter()
    try:
        execution = program.execute(**inputs)
        proof = api.prove_trace(
            program,
            execution.trace,
            execution.public_inputs,
            execution.public_outputs,
            backend=be,
            suite=args.suite,
            progress=bar,
        )
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    data = proof.to_bytes()
    try:
        proof.save(args.output)
    except OSError as exc:
        print(f"l2gpu: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print("\n".join(prove_args.summary(execution)))
    print(f"prove time: {elapsed:.3f} s on {be.name} ({proof.rows / elapsed:,.0f} rows/s)")
    print(f"proof: {args.output} ({len(data):,} bytes, {proof.security_bits} bits conjectured)")
    return 0


def _load(path: str) -> Proof | None:
    try:
        return Proof.load(path)
    except OSError as exc:
        print(f"l2gpu: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
    except ProofFormatError as exc:
        print(f"l2gpu: {path} is not a valid proof file: {exc}", file=sys.stderr)
    return None


def _cmd_verify(args: argparse.Namespace) -> int:
    proof = _load(args.file)
    if proof is None:
        return 2
    start = time.perf_counter()
    try:
        api.verify(proof)
    except VerificationError as exc:
        print(f"REJECTED: {exc}")
        return 1
    elapsed = time.perf_counter() - start
    ins = ", ".join(f"{k}={v}" for k, v in proof.public_inputs.items())
    outs = ", ".join(f"{k}={v}" for k, v in proof.public_outputs.items())
    print(f"VALID: {proof.program}({ins}) -> {outs}  [2^{proof.po2} rows, {elapsed:.3f} s]")
    return 0


def _cmd_verify_risc0(args: argparse.Namespace) -> int:
    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as exc:
        print(f"l2gpu: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        risc0.verify_seal(data, args.circuit, args.po2, suite=args.suite)
    except VerificationError as exc:
        print(f"REJECTED: {exc}")
        return 1
    elapsed = time.perf_counter() - start
    print(
        f"VALID: RISC Zero {args.circuit} seal, po2 {args.po2} "
        f"({len(data):,} bytes, {elapsed:.3f} s)"
    )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    if args.reference or args.program:
        return reference.run_cli(args)
    if args.plot:
        try:
            bench.check_plot_target(args.plot)  # before minutes of timing
        except ImportError as exc:
            print(f"l2gpu: error: {exc}", file=sys.stderr)
            return 2
    names = args.backend or None
    for name in names or backends.available():
        _backend(name)  # an unavailable backend asked for by name is an error
    if args.no_prove:
        prove_rows = None
    elif args.prove_log_rows is not None:
        prove_rows = args.prove_log_rows
    else:
        prove_rows = args.sizes or 16
    figures = bench.run(args.sizes or args.log_n, prove_rows, args.repeats, names)
    if args.json:
        print(json.dumps([f.as_dict() for f in figures], indent=1))
    else:
        print(bench.table(figures))
    if args.plot:
        try:
            bench.plot(figures, args.plot)
        except OSError as exc:
            print(f"l2gpu: cannot write {args.plot}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"plot: {args.plot}", file=sys.stderr)
    return 0


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _read_requests(path: str) -> list[tuple[str, Request]] | None:
    """The named requests of a JSON Lines file; ``None`` after printing what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"l2gpu: cannot read {path}: {exc}", file=sys.stderr)
        return None
    named: list[tuple[str, Request]] = []
    numbered = [(k, line) for k, line in enumerate(lines, 1) if line.strip()]
    for k, line in numbered:
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("inputs", {}), dict):
                raise ValueError('each line must be an object {"program": ..., "inputs": {...}}')
            name = item.pop("name", f"{k:04d}-{item.get('program')}")
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise ValueError(f"name must be letters, digits, '.', '_' and '-', got {name!r}")
            if any(name == other for other, _ in named):
                raise ValueError(f"name {name!r} is used twice")
            named.append((name, Request.of(item)))
        except (ValueError, TypeError) as exc:
            print(f"l2gpu: {path}:{k}: {exc}", file=sys.stderr)
            return None
    return named


def _cmd_prove_batch(args: argparse.Namespace) -> int:
    named = _read_requests(args.file)
    if named is None:
        return 2
    settings = config.load()
    workers = args.parallel or settings.workers
    options = Options(args.suite or settings.suite, settings.batch_rows, workers)
    vm = ZkVM(_backend(args.backend or settings.backend), options)
    requests = [request for _, request in named]
    start = time.perf_counter()
    try:
        if args.dask:
            try:
                from distributed import Client
            except ImportError:
                print("l2gpu: --dask needs dask: pip install 'l2gpu[dask]'", file=sys.stderr)
                return 2
            with Client(args.dask) as client:
                results = _results(lambda: vm.prove_parallel(requests, client))
            how = f"on the Dask cluster at {args.dask}"
        elif args.parallel:
            results = _results(lambda: vm.prove_parallel(requests))
            how = f"on {args.parallel} processes"
        else:
            results = _results(lambda: vm.prove_batch(requests))
            how = "batched"
    finally:
        vm.close()
    elapsed = time.perf_counter() - start
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for (name, _), result in zip(named, results, strict=True):
            if isinstance(result, Proof):
                result.save(out / f"{name}.l2p")
    except OSError as exc:
        print(f"l2gpu: cannot write to {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for (name, request), result in zip(named, results, strict=True):
        if isinstance(result, Proof):
            ins = ", ".join(f"{k}={v}" for k, v in request.inputs.items())
            outs = ", ".join(f"{k}={v}" for k, v in result.public_outputs.items())
            print(f"ok     {name}: {result.program}({ins}) -> {{{outs}}}  [2^{result.po2} rows]")
        else:
            print(f"FAILED {name}: {type(result).__name__}: {result}")
    proven = sum(isinstance(r, Proof) for r in results)
    print(
        f"proved {proven} of {len(results)} statements in {elapsed:.3f} s {how} "
        f"(backend {vm.backend.name}); proofs in {out}"
    )
    return 0 if proven == len(results) else 1


def _results(prove: Callable[[], list[Proof]]) -> list[object]:
    """Every statement's proof or exception."""
    try:
        return list(prove())
    except BatchError as exc:
        return exc.results


def _cmd_info(args: argparse.Namespace) -> int:
    settings = config.load()
    print(f"l2gpu {__version__} (Python {platform.python_version()}, numpy {np.__version__})")
    found = "" if settings.config_file.is_file() else " (none there)"
    print(f"config file: {settings.config_file}{found}")
    print("settings (an argument > the environment > the config file > the default):")
    for key, source in settings.sources.items():
        print(f"  {key:<17}{getattr(settings, key)!s:<32}{source}")
    print("backends:")
    for name in backends.names():
        try:
            be = backends.get(name)
        except backends.BackendUnavailableError as exc:
            print(f"  {name:<8}unavailable: {exc}")
            continue
        print(f"  {name:<8}available; devices: {_devices(be)}")
    try:
        chosen = backends.get(settings.backend).name
    except (ValueError, backends.BackendUnavailableError) as exc:
        chosen = f"error: {exc}"
    print(f"backend = {settings.backend}: {chosen}")
    return 0


def _devices(be: backends.Backend) -> str:
    if be.name == "jax":
        import jax

        return ", ".join(f"{d.platform}:{d.id} ({d.device_kind})" for d in jax.devices())
    return "the host CPU"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="l2gpu", description=__doc__)
    parser.add_argument("--version", action="version", version=f"l2gpu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    commit = sub.add_parser("commit", help="commit a random trace and print its Merkle root")
    commit.add_argument("--rows", type=_power_of_two, default=1 << 16, help="rows (power of two)")
    commit.add_argument("--cols", type=_positive, default=16, help="columns")
    commit.add_argument("--suite", choices=SUITES, default="poseidon2")
    commit.add_argument("--backend", default="auto", help=f"one of {backends.names()} or auto")
    commit.add_argument("--seed", type=int, default=0, help="seed of the random trace")
    commit.set_defaults(run=_cmd_commit)

    prove = sub.add_parser("prove", help="prove a program and write a proof file")
    prove_args.add_arguments(prove, _positive)
    prove.add_argument("-o", "--output", required=True, help="proof file to write")
    prove.add_argument("--backend", default="auto", help=f"one of {backends.names()} or auto")
    prove.add_argument("--suite", choices=SUITES, default="poseidon2")
    prove.set_defaults(run=_cmd_prove)

    verify = sub.add_parser("verify", help="verify a proof file (exit 0 valid, 1 rejected)")
    verify.add_argument("file")
    verify.set_defaults(run=_cmd_verify)

    verify_risc0 = sub.add_parser("verify-risc0", help="verify a RISC Zero seal")
    verify_risc0.add_argument("file")
    verify_risc0.add_argument("--circuit", choices=sorted(risc0.CIRCUITS), default="hello-m3")
    verify_risc0.add_argument("--po2", type=int, default=12)
    verify_risc0.add_argument("--suite", choices=SUITES, default="poseidon2")
    verify_risc0.set_defaults(run=_cmd_verify_risc0)

    bench = sub.add_parser("bench", help="time kernels and a proof on every backend")
    sizes = bench.add_mutually_exclusive_group()
    sizes.add_argument("--log-n", type=int, default=16, help="kernel batch size 2^k")
    sizes.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="K",
        help="kernel batch sizes and Fibonacci proof rows 2^K, several for --plot",
    )
    bench.add_argument(
        "--prove-log-rows", type=int, help="Fibonacci proof rows 2^k (default 16, or --sizes)"
    )
    bench.add_argument("--no-prove", action="store_true", help="kernels only")
    bench.add_argument("--repeats", type=int, default=3, help="steady-state calls (best is kept)")
    bench.add_argument("--backend", action="append", help="only these backends (repeatable)")
    bench.add_argument("--json", action="store_true", help="machine-readable output")
    bench.add_argument(
        "--plot", metavar="FILE", help="draw throughput against size into FILE (.png, .svg, ...)"
    )
    reference.add_arguments(bench)  # --reference risc0 PROGRAM: RISC Zero side by side
    bench.set_defaults(run=_cmd_bench)

    batch = sub.add_parser(
        "prove-batch", help="prove the statements of a JSON Lines file, one proof file each"
    )
    batch.add_argument(
        "file", help='one statement a line: {"program": P, "inputs": {...}} and an optional "name"'
    )
    batch.add_argument("-o", "--output", required=True, help="directory for NAME.l2p files")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--parallel", type=_positive, metavar="N", help="on N local processes")
    where.add_argument("--dask", metavar="ADDRESS", help="on the Dask scheduler at ADDRESS")
    batch.add_argument("--backend", help=f"one of {backends.names()} or auto (default: config)")
    batch.add_argument("--suite", choices=SUITES, help="default: config")
    batch.set_defaults(run=_cmd_prove_batch)

    info = sub.add_parser("info", help="show the settings in force, the backends and devices")
    info.set_defaults(run=_cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 1 rejected, 2 bad usage).

    On the CPU, XLA may use 512-bit vectors (about 10 % on Poseidon2 where AVX-512
    exists; LLVM ignores it elsewhere): a process-wide setting, read when JAX starts, so
    the command line's alone — library callers keep their own XLA configuration.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_prefer_vector_width" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_prefer_vector_width=512".strip()
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, backends.BackendUnavailableError) as exc:
        print(f"l2gpu: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
