"""The notebooks: each runs top to bottom (its assertions hold), and each .ipynb is its
jupytext .py source with outputs stripped.

Each notebook's .py (jupytext percent format) runs as a script in a fresh process, in
notebooks/ as the working directory, with the Agg backend: no Jupyter kernel needed.
OpenBLAS gets one thread unless told otherwise: the generated kernels call BLAS on
small matrices, and on a busy 2-core machine OpenBLAS's thread pool spins (a GAN step
measured 120 ms of CPU with it, 2.5 ms without).
Deselect with `-m "not notebooks"`. Needs the `notebooks` extra (matplotlib, jupytext,
nbformat; scikit-learn optional): without it these tests are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
TIMEOUT_S = 300  # a hang, not a slow machine: each notebook takes ~20 s or less

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_notebook_runs(path: Path):
    pytest.importorskip("matplotlib", reason="pip install -e '.[notebooks]'")
    env = dict(os.environ, MPLBACKEND="Agg")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, path.name],
        cwd=NOTEBOOKS,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        pytest.fail(
            f"notebooks/{path.name} failed after {elapsed:.1f} s; run it with "
            f"`cd notebooks && MPLBACKEND=Agg python {path.name}`\n"
            f"--- stdout (end) ---\n{proc.stdout[-3000:]}\n"
            f"--- stderr (end) ---\n{proc.stderr[-5000:]}",
            pytrace=False,
        )


def test_every_notebook_has_both_files():
    py = {p.stem for p in SOURCES}
    ipynb = {p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}
    assert py == ipynb, (
        f"unpaired: {sorted(py ^ ipynb)}; create the .ipynb with "
        "`jupytext --update --to ipynb notebooks/NN_name.py`"
    )


@pytest.mark.parametrize("path", SOURCES, ids=[p.stem for p in SOURCES])
def test_ipynb_matches_its_source(path: Path):
    jupytext = pytest.importorskip("jupytext", reason="pip install -e '.[notebooks]'")
    nbformat = pytest.importorskip("nbformat")
    fix = f"regenerate it with `jupytext --update --to ipynb notebooks/{path.name}`"
    want = jupytext.read(path)
    ipynb = path.with_suffix(".ipynb")
    assert ipynb.exists(), f"notebooks/{ipynb.name} is missing; {fix}"
    got = nbformat.read(ipynb, as_version=4)
    cells = lambda nb: [(c.cell_type, c.source) for c in nb.cells]  # noqa: E731
    assert cells(got) == cells(want), f"notebooks/{ipynb.name} differs from {path.name}; {fix}"
    for i, c in enumerate(got.cells):
        if c.cell_type == "code":
            assert not c.outputs and c.execution_count is None, (
                f"notebooks/{ipynb.name} cell {i} has outputs; keep them out of git: {fix}"
            )
