"""Rendering results: machine info, the markdown tables, latest.json and latest.png."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.frameworks import DISTRIBUTIONS, FRAMEWORKS

REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- machine


def _cpuinfo() -> dict:
    info = {"model": platform.processor() or "unknown", "flags": []}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            info["model"] = value.strip()
        elif key.strip() == "flags":
            have = set(value.split())
            info["flags"] = [f for f in ("avx2", "fma", "avx512f") if f in have]
            break
    return info


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _blas() -> object:
    try:
        import threadpoolctl

        return threadpoolctl.threadpool_info()
    except ImportError:
        config = np.show_config(mode="dicts")
        return {"numpy": config.get("Build Dependencies", {}).get("blas")}


def machine_info() -> dict:
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    dists = [d for fw in FRAMEWORKS for d in DISTRIBUTIONS[fw]] + ["matplotlib", "threadpoolctl"]
    versions = {d: _version(d) for d in dists}
    if versions["tracejit"] is None:
        versions["tracejit"] = f"source tree {commit}".strip()
    thread_vars = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
    threads = {k: os.environ[k] for k in thread_vars if k in os.environ}
    return {
        "cpu": _cpuinfo(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "load_average": os.getloadavg(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "threads": threads,
        "blas": _blas(),
        "git_commit": commit,
    }


# ---------------------------------------------------------------- tables


def fmt_time(s: float | None) -> str:
    if s is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def fmt_ratio(r: float) -> str:
    return f"{r:.0f}×" if r >= 100 else f"{r:.2g}×"


_SHORT = {"WRONG": "WRONG", "unavailable": "n/a", "missing": "n/a", "error": "error"}


def columns(results: dict) -> list[str]:
    """Frameworks with at least one cell, in the standard order."""
    present = {fw for row in results["rows"] for fw in row["cells"]}
    return [fw for fw in FRAMEWORKS if fw in present]


def best_other(row: dict) -> tuple[str | None, float | None]:
    """The fastest framework other than tracejit that passed validation."""
    times = {
        fw: c["median_s"]
        for fw, c in row["cells"].items()
        if fw != "tracejit" and c["status"] == "ok"
    }
    if not times:
        return None, None
    fw = min(times, key=times.get)
    return fw, times[fw]


def noisy(cell: dict) -> bool:
    """The machine was busy: the samples' interquartile range exceeds a quarter of the
    median, or the wall time exceeds the CPU time by a quarter (the process waited)."""
    spread = cell["samples"] > 1 and cell["q3_s"] - cell["q1_s"] > 0.25 * cell["median_s"]
    cpu = cell.get("cpu_median_s")
    return spread or (cpu is not None and cell["median_s"] > 1.25 * cpu)


def steady_table(results: dict) -> str:
    cols = columns(results)
    lines = [
        "| workload | floor | " + " | ".join(cols) + " | best other |",
        "|---|---:|" + "---:|" * len(cols) + "---|",
    ]
    for row in results["rows"]:
        best_fw, best = best_other(row)
        cells = []
        for fw in cols:
            c = row["cells"].get(fw)
            if c is None:
                cells.append("—")
            elif c["status"] != "ok":
                cells.append(_SHORT[c["status"]])
            else:
                time_ = ("~" if noisy(c) else "") + fmt_time(c["median_s"])
                if fw == best_fw:
                    cells.append(f"**{time_}**")
                else:
                    cells.append(f"{time_} ({fmt_ratio(c['median_s'] / best)})" if best else time_)
        floor = fmt_time(row["floor_s"])
        lines.append(
            f"| {row['label']} | {floor} | " + " | ".join(cells) + f" | {best_fw or '—'} |"
        )
    return "\n".join(lines)


def _first(report: dict | None) -> str:
    if report is None:
        return "—"
    if report["status"] != "ok":
        return _SHORT.get(report["status"], report["status"])
    code = report.get("code_ready_s")  # tracejit: machine code ready, after the first result
    code = f" (code {fmt_time(code)})" if code is not None else ""
    return f"{fmt_time(report['first_call_s'])}{code} · {report['maxrss_mb']:.0f} MB"


def first_call_table(results: dict) -> str | None:
    rows = [row for row in results["rows"] if "first_call" in row]
    if not rows:
        return None
    cols = columns(results)
    heads = [("tracejit cold", "tracejit", "cold"), ("tracejit warm", "tracejit", "warm")]
    heads = (heads if "tracejit" in cols else []) + [
        (fw, fw, "cold") for fw in cols if fw != "tracejit"
    ]
    lines = [
        "| workload | " + " | ".join(h for h, _, _ in heads) + " |",
        "|---|" + "---:|" * len(heads),
    ]
    for row in rows:
        fc = row["first_call"]
        cells = [_first(fc.get(fw, {}).get(state)) for _, fw, state in heads]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(results: dict) -> list[str]:
    out = []
    refs = results["references"]
    if "noop_call_s" in refs:
        out.append(
            f"Dispatch floor: a no-op Numba call takes {fmt_time(refs['noop_call_s'])} "
            f"({fmt_time(refs['noop_call_2_arrays_s'])} with two array arguments)."
        )
    out.append(
        f"Memory bandwidth: {refs['bandwidth_gb_s']:.1f} GB/s (np.copyto of a "
        f"{refs['copy_bytes'] / 2**21:.0f} MiB array, one thread, read + write). 'floor' is "
        "the larger of the dispatch floor and the workload's minimal bytes at that bandwidth."
    )
    imports: dict[str, float] = {}
    for row in results["rows"]:
        for fw, states in row.get("first_call", {}).items():
            r = states["cold"]
            if r["status"] == "ok" and fw not in imports and fw != "numpy":
                imports[fw] = r["import_s"]
    if imports:
        out.append(
            "Import time in a fresh process (not in the first-call figures): "
            + ", ".join(f"{fw} {fmt_time(s)}" for fw, s in imports.items())
            + "."
        )
    failures: dict[str, list[str]] = {}
    for row in results["rows"]:
        for fw, c in row["cells"].items():
            if c["status"] != "ok":
                failures.setdefault(f"{fw}: {c['status']}: {c['note']}", []).append(row["label"])
    n_rows = len(results["rows"])
    for text, labels in failures.items():
        where = "all workloads" if len(labels) == n_rows else ", ".join(labels)
        out.append(f"{text} ({where}).")
    for state in results["frameworks"].values():
        if state != "installed":
            out.append(f"{state}: skipped.")
    how: dict[str, dict[str, str]] = {}
    for row in results["rows"]:
        how.setdefault(row["workload"], {}).update(row["notes"])
    for name, fw_notes in how.items():
        if fw_notes:
            out.append(f"{name}: " + "; ".join(f"{fw}: {n}" for fw, n in fw_notes.items()) + ".")
    return out


def markdown(results: dict) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    parts = [
        "# tracejit benchmarks",
        "",
        f"`{results['command']}` on {m['cpu']['model']} ({m.get('cores')} cores, "
        f"{m['usable_cores']} used, "
        f"{m['memory_gb']} GB, load average {m['load_average'][0]:.2f} at start), "
        f"Python {m['python']}, {results['created']}. Threads per framework: "
        f"{results['settings']['threads'] or 'their defaults'}.",
        "",
        f"Versions: {versions}.",
        "",
        "## Steady state",
        "",
        "Median time per call after warm-up; in parentheses the ratio to the best framework "
        "other than tracejit (in bold). ~: noisy (interquartile range, or wall time over CPU "
        "time, above 25% of the median). n/a: not available, WRONG: disagrees with the "
        "NumPy reference (not timed), —: no such version. latest.json also has the CPU "
        "time per call (cpu_median_s), which a busy machine distorts less.",
        "",
        steady_table(results),
    ]
    first = first_call_table(results)
    if first:
        parts += [
            "",
            "## First call",
            "",
            "A fresh process, after importing the framework: the time to build the "
            "function and get the result of its first call, and the peak resident memory "
            "of that process. For JAX and hand-written Numba the first call includes their "
            "compile. tracejit's first call is traced and run by its NumPy interpreter "
            "while Numba compiles in a background thread, so its first figure is trace + "
            "code generation + one interpreted run; (code …) is the time from the same "
            "start until machine code is ready (jit(f).compile(*args) returns), and the "
            "memory peak includes that compile. Both results are checked against the NumPy "
            "reference. tracejit cold: an empty TRACEJIT_CACHE_DIR; warm: the same "
            "directory again (machine code loaded from Numba's disk cache).",
            "",
            first,
        ]
    parts += ["", "## Notes", ""] + [f"- {n}" for n in notes(results)]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- files


def plot(results: dict, path: Path) -> bool:
    """Grouped horizontal bars, log time axis; False if matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows, cols = results["rows"], columns(results)
    height = 0.8 / max(len(cols), 1)
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(rows) * max(len(cols), 1) ** 0.5 + 1.5))
    for j, fw in enumerate(cols):
        ys, xs = [], []
        for i, row in enumerate(rows):
            c = row["cells"].get(fw)
            if c and c["status"] == "ok":
                ys.append(i + (j - (len(cols) - 1) / 2) * height)
                xs.append(c["median_s"])
        ax.barh(ys, xs, height=height, label=fw)
    for i, row in enumerate(rows):
        if row["floor_s"]:
            ax.plot([row["floor_s"]] * 2, [i - 0.45, i + 0.45], color="black", lw=1)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median time per call (s), log scale; black tick: floor")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(results: dict, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "latest.json", out_dir / "latest.md"]
    written[0].write_text(json.dumps(results, indent=1, default=str) + "\n")
    written[1].write_text(markdown(results))
    if plot(results, out_dir / "latest.png"):
        written.append(out_dir / "latest.png")
    return written
