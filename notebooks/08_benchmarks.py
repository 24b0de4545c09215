# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Benchmarks: tracejit against JAX, PyTorch, autograd, Numba and NumPy
#
# `python -m benchmarks` times each workload in every installed framework after checking
# its outputs against a NumPy reference, and writes `benchmarks/results/latest.json`
# (every statistic, the machine, the versions). This notebook reads that file and draws
# the charts. It does not run the benchmarks: regenerate the file with
# `python -m benchmarks --quick` (about two minutes) and re-run the notebook.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

candidates = [Path("../benchmarks/results/latest.json"), Path("benchmarks/results/latest.json")]
path = next((p for p in candidates if p.exists()), None)
if path is None:
    results = None
    print("No benchmark results found (benchmarks/results/latest.json is missing).")
    print("Run `python -m benchmarks --quick` from the repository root, then re-run this notebook.")
else:
    results = json.loads(path.read_text())
    print(f"{path}: `{results['command']}`, {results['created']}, {len(results['rows'])} rows")

# %% [markdown]
# ## Where and how it was measured
#
# Timings depend on the machine and on how busy it was: the load average at the start is
# recorded, and each framework ran on one thread.

# %%
if results:
    m = results["machine"]
    print(
        f"CPU: {m['cpu'].get('model')} ({m['usable_cores']} usable cores), "
        f"{m['memory_gb']} GB, load average {m['load_average'][0]:.2f} at start"
    )
    print("threads per framework:", results["settings"].get("threads"))
    print("versions:", ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v))

# %% [markdown]
# ## Steady state: time per call
#
# Median time per call after warm-up, log scale, for each workload and framework. The
# black tick is the floor: the larger of a no-op call and the time to move the
# workload's bytes at the machine's memory bandwidth. A missing bar means the framework
# was not installed, has no such version, or failed validation.

# %%
FRAMEWORKS = ["tracejit", "jax", "torch", "autograd", "numba", "numpy"]
COLORS = dict(zip(FRAMEWORKS, ["C3", "C0", "C1", "C2", "C4", "0.5"]))

if results:
    rows = results["rows"]
    cols = [fw for fw in FRAMEWORKS if any(fw in r["cells"] for r in rows)]
    height = 0.8 / len(cols)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows) + 1.5))
    for j, fw in enumerate(cols):
        ys, xs = [], []
        for i, r in enumerate(rows):
            c = r["cells"].get(fw)
            if c and c["status"] == "ok":
                ys.append(i + (j - (len(cols) - 1) / 2) * height)
                xs.append(c["median_s"])
        ax.barh(ys, xs, height=height, label=fw, color=COLORS[fw])
    for i, r in enumerate(rows):
        if r.get("floor_s"):
            ax.plot([r["floor_s"]] * 2, [i - 0.45, i + 0.45], color="black", lw=1)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median seconds per call (log scale)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## tracejit against the fastest alternative
#
# For each workload, tracejit's time divided by the fastest other framework that passed
# validation (hand-written Numba and NumPy included, which need hand-derived
# gradients). Below 1, tracejit is the fastest; the label names who won otherwise.
# Hatched bars were measured while the machine was busy (a wide spread of samples, or
# wall time well above CPU time): read them with care.


# %%
def noisy(cell):
    spread = cell["samples"] > 1 and cell["q3_s"] - cell["q1_s"] > 0.25 * cell["median_s"]
    cpu = cell.get("cpu_median_s")
    return spread or (cpu is not None and cell["median_s"] > 1.25 * cpu)


if results:
    labels, ratios, winners, hatches = [], [], [], []
    for r in rows:
        tj_cell = r["cells"].get("tracejit")
        others = {fw: c for fw, c in r["cells"].items() if fw != "tracejit" and c["status"] == "ok"}
        if not tj_cell or tj_cell["status"] != "ok" or not others:
            continue
        best = min(others, key=lambda fw: others[fw]["median_s"])
        labels.append(r["label"])
        ratios.append(tj_cell["median_s"] / others[best]["median_s"])
        winners.append(best)
        hatches.append("//" if noisy(tj_cell) or noisy(others[best]) else "")

    fig, ax = plt.subplots(figsize=(8, 0.4 * len(labels) + 1.2))
    bars = ax.barh(labels, ratios, color=["C2" if q <= 1 else "C3" for q in ratios])
    for bar, hatch, q, w in zip(bars, hatches, ratios, winners):
        bar.set_hatch(hatch)
        ax.text(
            bar.get_width() * 1.05,
            bar.get_y() + bar.get_height() / 2,
            f"{q:.2g}×" + ("" if q <= 1 else f" ({w})"),
            va="center",
            fontsize=8,
        )
    ax.axvline(1, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(min(ratios) / 1.5, max(ratios) * 3)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}×"))
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.invert_yaxis()
    ax.set_xlabel("tracejit time / fastest other framework (log scale; < 1: tracejit fastest)")
    fig.tight_layout()
    plt.show()

    n_fastest = sum(q <= 1 for q in ratios)
    print(
        f"tracejit is the fastest on {n_fastest} of {len(ratios)} workloads; "
        f"median ratio {np.median(ratios):.2f}×"
    )

# %% [markdown]
# ## Against NumPy
#
# The baseline most users start from: the same computation in eager NumPy (with a
# hand-derived gradient). Above 1, the framework is faster than NumPy.

# %%
if results:
    ad = [fw for fw in cols if fw != "numpy"]
    shown = [r for r in rows if r["cells"].get("numpy", {}).get("status") == "ok"]
    height = 0.8 / len(ad)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(shown) + 1.5))
    for j, fw in enumerate(ad):
        ys, xs = [], []
        for i, r in enumerate(shown):
            c = r["cells"].get(fw)
            if c and c["status"] == "ok":
                ys.append(i + (j - (len(ad) - 1) / 2) * height)
                xs.append(r["cells"]["numpy"]["median_s"] / c["median_s"])
        ax.barh(ys, xs, height=height, label=fw, color=COLORS[fw])
    ax.axvline(1, color="black", lw=1)
    ax.set_yticks(range(len(shown)), [r["label"] for r in shown])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up over eager NumPy (log scale)")
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## First call
#
# A fresh process per measurement: import, build, trace, compile and run once. tracejit
# *cold* starts with an empty `TRACEJIT_CACHE_DIR` and compiles with Numba; *warm* finds
# the kernels on disk. Compile time is Numba's weak point, and the disk cache is
# tracejit's answer to it.

# %%
if results:
    fc_rows = [r for r in rows if r.get("first_call")]
    if not fc_rows:
        print("These results have no first-call measurements (run without --no-first-call).")
    else:
        series = []  # (label, getter)
        for fw in cols:
            for kind in ("cold", "warm"):
                if any(r["first_call"].get(fw, {}).get(kind) for r in fc_rows):
                    series.append((fw if fw != "tracejit" else f"tracejit {kind}", fw, kind))
        height = 0.8 / len(series)
        fig, ax = plt.subplots(figsize=(9, 1.2 * len(fc_rows) + 1.5))
        for j, (name, fw, kind) in enumerate(series):
            ys, xs = [], []
            for i, r in enumerate(fc_rows):
                rec = r["first_call"].get(fw, {}).get(kind)
                if rec and rec.get("status") == "ok":
                    ys.append(i + (j - (len(series) - 1) / 2) * height)
                    xs.append(rec["first_call_s"])
            color = COLORS[fw] if kind == "cold" else "salmon"
            ax.barh(ys, xs, height=height, label=name, color=color)
        ax.set_yticks(range(len(fc_rows)), [r["label"] for r in fc_rows])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("seconds from first call to result, after import (log scale)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
        fig.tight_layout()
        plt.show()

# %% [markdown]
# ## Checks
#
# Every timed cell passed validation against the NumPy reference first; a `WRONG` cell
# would not have been timed. The published results should have none for tracejit.

# %%
if results:
    statuses = {
        r["label"]: r["cells"]["tracejit"]["status"] for r in rows if "tracejit" in r["cells"]
    }
    counts = {s: list(statuses.values()).count(s) for s in set(statuses.values())}
    print("tracejit cells by status:", counts)
    wrong = [label for label, s in statuses.items() if s == "WRONG"]
    assert not wrong, f"tracejit disagrees with NumPy on {wrong}"
    assert all(c["median_s"] > 0 for r in rows for c in r["cells"].values() if c["status"] == "ok")
