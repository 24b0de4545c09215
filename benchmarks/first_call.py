"""First-call latency and peak memory of one workload and framework, in this fresh process.

    python -m benchmarks.first_call WORKLOAD FRAMEWORK [--size N]

Times importing the framework, then building and calling once, checks the result against
the NumPy reference, and prints one JSON line with the peak resident memory of the
process. The caller sets TRACEJIT_CACHE_DIR (and NUMBA_CACHE_DIR, for the hand-written
Numba kernels) to an empty directory for a cold run.

first_call_s is the time from the start of the build until the first call returns its
result: for JAX that includes XLA's compile; for tracejit it is trace + code generation +
one run on the NumPy interpreter, since tj.jit compiles in a background thread and never
makes the first call wait. For tracejit, code_ready_s is the time from the same start
until machine code is ready (jit(f).compile(*args) returns); the result of one more call,
from machine code, is checked too. TRACEJIT_SYNC_COMPILE=1 in the environment would make
the first call wait for the compile: the harness clears it.

Peak memory is VmHWM from /proc/self/status, not ru_maxrss: Linux carries ru_maxrss over
fork and exec, so a child of a large parent reports the parent's peak. ru_maxrss is the
fallback where /proc is missing. It is read last, so for tracejit it includes the compile.
"""

import argparse
import json
import resource
import time

from benchmarks.frameworks import AD_FRAMEWORKS, adapter
from benchmarks.harness import classify, compare
from benchmarks.workloads import WORKLOADS


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("framework")
    parser.add_argument("--size", type=int, default=None)
    args = parser.parse_args()
    w = WORKLOADS[args.workload]
    size = min(w.sizes) if args.size is None else args.size
    inputs = w.make_inputs(size)
    report = {"workload": w.name, "size": size, "framework": args.framework}
    try:
        t0 = time.perf_counter()
        if args.framework in AD_FRAMEWORKS:
            fw = adapter(args.framework)
            if args.framework == "tracejit":
                fw.compile_ahead = False  # time the first call, not a compile() before it
        elif args.framework == "numba":
            import numba  # noqa: F401
        t1 = time.perf_counter()
        run = w.build(args.framework, inputs)
        out = run()
        t2 = time.perf_counter()
        times = {"import_s": t1 - t0, "first_call_s": t2 - t1}
        if args.framework == "tracejit":
            fw.wait_for_machine_code()
            times["code_ready_s"] = time.perf_counter() - t1
        maxrss = peak_rss_mb()
        expected = w.reference(inputs)
        compare(out, expected, w.rtol, w.atol)  # tracejit: the interpreter's result
        if args.framework == "tracejit":
            compare(run(), expected, w.rtol, w.atol)  # and machine code's
        report.update(status="ok", **times, maxrss_mb=maxrss)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        status, note = classify(args.framework, exc)
        report.update(status=status, note=note)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
