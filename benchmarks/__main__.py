"""python -m benchmarks [--quick] [--only NAME[,NAME...]] [--frameworks FW[,FW...]]

Measures every workload with every installed framework and writes
benchmarks/results/latest.{json,md,png}; prints the markdown tables.

Thread pools are limited to --threads (default 1) in every framework: on a small or
shared machine, oversubscribed BLAS/OpenMP pools make timings swing by 10x. The limit is
set through environment variables, so this module parses arguments before it imports
NumPy or any framework (through the benchmarks modules imported in main()). XLA (JAX
0.10) ignores its thread flags and runs large fusions on every core it may use, so the
process (and the fresh first-call processes it starts) is also pinned to --threads cores.
"""

import argparse
import dataclasses
import datetime
import os
import shlex
import sys
from pathlib import Path


def limit_threads(n: int) -> None:
    """Every framework's thread pools to n threads (0: leave the defaults)."""
    if n <= 0:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(n)
    xla = "--xla_cpu_multi_thread_eigen=false " if n == 1 else ""
    flags = f"{xla}intra_op_parallelism_threads={n}"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
    if hasattr(os, "sched_setaffinity"):  # the only limit XLA's CPU runtime keeps
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, cores[:n])


def _select(spec: list[str] | None, names, what: str) -> list[str]:
    """Names matching any comma-separated pattern (exactly, else as a substring)."""
    if not spec:
        return list(names)
    chosen = []
    for pattern in ",".join(spec).split(","):
        hits = [n for n in names if n == pattern] or [n for n in names if pattern in n]
        if not hits:
            sys.exit(f"--{what}: no match for {pattern!r}; choose from: {', '.join(names)}")
        chosen += [n for n in hits if n not in chosen]
    return [n for n in names if n in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short timings (about 2 minutes)")
    parser.add_argument("--only", action="append", metavar="NAME", help="workloads to run")
    parser.add_argument("--frameworks", action="append", metavar="FW", help="frameworks to run")
    parser.add_argument("--no-first-call", action="store_true", help="skip fresh-process runs")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per framework (0: their defaults)"
    )
    parser.add_argument("--list", action="store_true", help="list workloads and exit")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    limit_threads(args.threads)
    from benchmarks import harness, report
    from benchmarks.frameworks import FRAMEWORKS
    from benchmarks.workloads import WORKLOADS

    if args.list:
        for w in WORKLOADS.values():
            sizes = ", ".join(w.label(s).split(" [")[1][:-1] for s in w.sizes)
            print(f"{w.name:<24} {sizes:<22} {w.description}")
        return
    settings = harness.QUICK if args.quick else harness.Settings()
    settings = dataclasses.replace(
        settings, first_call=not args.no_first_call, threads=args.threads
    )
    names = _select(args.only, list(WORKLOADS), "only")
    frameworks = _select(args.frameworks, list(FRAMEWORKS), "frameworks")
    started = datetime.datetime.now()

    def log(msg: str) -> None:
        elapsed = (datetime.datetime.now() - started).total_seconds()
        print(f"[{elapsed:6.1f} s] {msg}", file=sys.stderr, flush=True)

    machine = report.machine_info()  # before the run: the load average is the run's context
    results = harness.run([WORKLOADS[n] for n in names], frameworks, settings, log)
    results = {
        "command": "python -m benchmarks " + shlex.join(sys.argv[1:]),
        "created": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.datetime.now() - started).total_seconds(), 1),
        "quick": args.quick,
        "machine": machine,
        **results,
    }
    written = report.write(results, args.out)
    print(report.markdown(results))
    log("wrote " + ", ".join(str(p) for p in written) + f" in {results['duration_s']} s")


if __name__ == "__main__":
    main()
