"""Validation, timing and the run loop. Reporting lives in report.py.

For each workload, size and framework: build, call once, compare with the NumPy reference
(a mismatch is WRONG and is not timed), then time steady-state calls. First-call latency
and peak memory come from fresh processes (benchmarks/first_call.py), for tracejit with a
cold and then a warm compile cache, timing both its first result (the interpreter, while
Numba compiles behind) and when its machine code is ready.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.frameworks import FRAMEWORKS, not_installed, to_numpy, tree_leaves
from benchmarks.workload import Inputs, Workload

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    budget_s: float = 1.0  # timing budget per cell, after warm-up
    min_samples: int = 10
    first_call: bool = True
    first_call_all_sizes: bool = True  # else only each workload's smallest size
    first_call_only: tuple[str, ...] = ()  # workloads with fresh-process runs; () for all
    bandwidth_elements: int = 2**25  # 256 MiB per array: far beyond any cache
    threads: int = 0  # the thread limit __main__ set for every framework (0: defaults)


# Fresh processes cost seconds each (importing torch alone takes 2 s), so a quick run
# measures first calls on three workloads: dispatch-bound, BLAS-bound and a loop.
QUICK = Settings(
    budget_s=0.1,
    min_samples=3,
    first_call_all_sizes=False,
    first_call_only=("scalar_grad", "mlp_train_step", "rnn_scan_grad"),
)


# ---------------------------------------------------------------- validation


class Mismatch(AssertionError):
    """A framework's result differs from the NumPy reference: reported as WRONG."""


def compare(got: Any, want: Any, rtol: float, atol: float) -> None:
    """Raise Mismatch unless `got` (any framework's result tree) matches `want` leaf by leaf.
    Containers compare by their leaves, so a tuple and a list with the same leaves agree."""
    got_leaves, want_leaves = tree_leaves(to_numpy(got)), tree_leaves(to_numpy(want))
    if len(got_leaves) != len(want_leaves):
        raise Mismatch(f"{len(got_leaves)} result arrays, expected {len(want_leaves)}")
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves, strict=True)):
        if g.shape != w.shape:
            raise Mismatch(f"result {i}: shape {g.shape}, expected {w.shape}")
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            err = np.max(np.abs(g - w)) if g.size else 0.0
            raise Mismatch(f"result {i}: max abs error {err:.3g} (rtol={rtol:g}, atol={atol:g})")


def check(workload: Workload, framework: str, inputs: Inputs, expected: Any):
    """Build `framework`'s version, call it once and validate it; return the callable.
    Raises what building or running raised, or Mismatch."""
    run = workload.build(framework, inputs)
    compare(run(), expected, workload.rtol, workload.atol)
    return run


def classify(framework: str, exc: BaseException) -> tuple[str, str]:
    """(status, note) for a failure: tracejit failures of any kind are 'unavailable' while
    the library is being built; a competitor's ImportError means it is not installed."""
    reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    reason = reason.rstrip(": ")[:200]
    if isinstance(exc, Mismatch):
        return "WRONG", str(exc)
    if framework == "tracejit":
        return "unavailable", reason
    if isinstance(exc, ImportError):
        return "missing", reason
    return "error", reason


# ---------------------------------------------------------------- timing


def time_calls(run, budget_s: float, min_samples: int, sample_s: float = 2e-3) -> dict:
    """Median seconds per call, `run` having been called once already (validation).
    Each sample times a batch of calls lasting about `sample_s` (so the timer's resolution
    and loop overhead do not matter); samples are taken until `budget_s` has passed and
    at least `min_samples` exist. A call slower than `sample_s` is its own sample, and the
    second call overall (warm-up and calibration) counts as the first one."""
    t0 = time.perf_counter()
    run()
    once = time.perf_counter() - t0
    number = max(1, int(sample_s / max(once, 1e-9)))
    samples: list[float] = [once] if number == 1 else []
    cpu: list[float] = []  # process CPU time per call: what a busy machine distorts least
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # as timeit does: collections would land in random samples
    try:
        start = time.perf_counter()
        while len(samples) < min_samples or (
            time.perf_counter() - start < budget_s and len(samples) < 100_000
        ):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(number):
                run()
            samples.append((time.perf_counter() - t0) / number)
            cpu.append((time.process_time() - c0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    q1, _, q3 = statistics.quantiles(samples, n=4) if len(samples) > 1 else samples * 3
    return {
        "median_s": statistics.median(samples),
        "q1_s": q1,
        "q3_s": q3,
        "min_s": min(samples),
        "cpu_median_s": statistics.median(cpu) if cpu else None,
        "samples": len(samples),
        "calls_per_sample": number,
    }


@dataclass
class Cell:
    """One framework on one workload at one size."""

    status: str  # ok | WRONG | unavailable | error | missing
    note: str = ""
    median_s: float | None = None
    q1_s: float | None = None
    q3_s: float | None = None
    min_s: float | None = None
    cpu_median_s: float | None = None
    samples: int = 0
    calls_per_sample: int = 0
    build_and_first_call_s: float | None = None  # in this (warm) process, for reference


def measure(workload, framework, inputs, expected, settings: Settings) -> Cell:
    t0 = time.perf_counter()
    try:
        run = check(workload, framework, inputs, expected)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a note, never a crash
        status, note = classify(framework, exc)
        return Cell(status, note)
    cell = Cell("ok", build_and_first_call_s=time.perf_counter() - t0)
    try:
        timing = time_calls(run, settings.budget_s, settings.min_samples)
    except Exception as exc:  # noqa: BLE001
        status, note = classify(framework, exc)
        return Cell(status if status != "WRONG" else "error", note)
    for k, v in timing.items():
        setattr(cell, k, v)
    return cell


# ---------------------------------------------------------------- first call, fresh process


def first_call(name: str, size: int, framework: str, cache_dir: str, timeout: float = 600):
    """Run benchmarks.first_call in a fresh interpreter; its JSON report plus wall time."""
    # the hand-written Numba kernels use cache=True: point Numba's cache at the empty
    # directory too, so that their first call compiles
    env = dict(os.environ, JAX_PLATFORMS="cpu", TRACEJIT_CACHE_DIR=cache_dir)
    for var in ("TRACEJIT_SYNC_COMPILE", "TRACEJIT_INTERPRET"):  # the default path only
        env.pop(var, None)
    if framework == "numba":
        env["NUMBA_CACHE_DIR"] = cache_dir
    cmd = [sys.executable, "-m", "benchmarks.first_call", name, framework, "--size", str(size)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "error", "note": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return {"status": "error", "note": f"exit code {proc.returncode}: {tail}"}
    report["process_s"] = wall
    return report


def first_calls(workload: Workload, size: int, frameworks, log) -> dict:
    """Cold (and for tracejit warm) first-call reports for each framework."""
    out: dict[str, dict] = {}
    for fw in frameworks:
        with tempfile.TemporaryDirectory(prefix="tracejit-cache-") as cache:
            cold = first_call(workload.name, size, fw, cache)
            out[fw] = {"cold": cold}
            if fw == "tracejit" and cold["status"] == "ok":
                out[fw]["warm"] = first_call(workload.name, size, fw, cache)
        log(f"  first call  {workload.label(size):<34} {fw:<9} {_brief(out[fw])}")
    return out


def _brief(report: dict) -> str:
    parts = []
    for state, r in report.items():
        if r["status"] == "ok":
            code = f" (code {r['code_ready_s']:.3f} s)" if "code_ready_s" in r else ""
            parts.append(f"{state} {r['first_call_s']:.3f} s{code}, {r['maxrss_mb']:.0f} MB")
        else:
            parts.append(f"{state} {r['status']}: {r.get('note', '')}")
    return "; ".join(parts)


# ---------------------------------------------------------------- physical references


def physical_references(settings: Settings) -> dict:
    """The dispatch floor (a no-op Numba call) and memory bandwidth (large np.copyto)."""
    refs: dict[str, Any] = {}
    if not not_installed("numba"):
        import numba

        noop = numba.njit(lambda: None)
        noop2 = numba.njit(lambda x, y: None)
        x = y = np.zeros(16)
        noop(), noop2(x, y)  # compile: time_calls expects a called function
        refs["noop_call_s"] = time_calls(noop, settings.budget_s, settings.min_samples)["median_s"]
        refs["noop_call_2_arrays_s"] = time_calls(
            lambda: noop2(x, y), settings.budget_s, settings.min_samples
        )["median_s"]
    n = settings.bandwidth_elements
    src, dst = np.ones(n), np.empty(n)
    np.copyto(dst, src)  # touch every page before timing
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    refs["copy_bytes"] = 2 * 8 * n  # read src + write dst
    refs["bandwidth_gb_s"] = refs["copy_bytes"] / best / 1e9
    return refs


def floor_s(workload: Workload, size: int, refs: dict) -> float | None:
    """Lower bound on a call: the dispatch floor, or moving the workload's minimal bytes."""
    bounds = [refs.get("noop_call_s")]
    if workload.min_bytes and refs.get("bandwidth_gb_s"):
        bounds.append(workload.min_bytes(size) / (refs["bandwidth_gb_s"] * 1e9))
    bounds = [b for b in bounds if b]
    return max(bounds) if bounds else None


# ---------------------------------------------------------------- the run


def run(workloads: list[Workload], frameworks: list[str], settings: Settings, log=print):
    """Measure everything; return the results dict that report.py renders."""
    installed = [fw for fw in frameworks if fw == "tracejit" or not not_installed(fw)]
    log("physical references ...")
    refs = physical_references(settings)
    rows = []
    for w in workloads:
        for size in w.sizes:
            inputs = w.make_inputs(size)
            expected = to_numpy(w.reference(inputs))
            row = {
                "workload": w.name,
                "size": size,
                "label": w.label(size),
                "description": w.description,
                "floor_s": floor_s(w, size, refs),
                "notes": {fw: w.notes[fw] for fw in installed if fw in w.notes},
                "cells": {},
            }
            for fw in installed:
                if fw not in w.frameworks:
                    continue
                cell = measure(w, fw, inputs, expected, settings)
                row["cells"][fw] = asdict(cell)
                shown = f"{cell.median_s * 1e6:12.2f} µs" if cell.status == "ok" else ""
                log(f"  {w.label(size):<34} {fw:<9} {cell.status:<11} {shown} {cell.note}")
            rows.append(row)
    if settings.first_call:
        for row in rows:
            w = next(w for w in workloads if w.name == row["workload"])
            if settings.first_call_only and w.name not in settings.first_call_only:
                continue
            if settings.first_call_all_sizes or row["size"] == min(w.sizes):
                fws = [fw for fw in installed if fw in w.frameworks]
                row["first_call"] = first_calls(w, row["size"], fws, log)
    return {
        "references": refs,
        "frameworks": {fw: not_installed(fw) or "installed" for fw in FRAMEWORKS},
        "settings": asdict(settings),
        "rows": rows,
    }
