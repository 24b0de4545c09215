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
# # How tracejit works: trace, transform, simplify, lower, cache
#
# ```
# f(*args) ─ flatten ─► shapes & dtypes ─► trace ─► IR
# IR ─► jvp_ir · linearize_ir · transpose_ir · vmap_ir   (IR → IR, in any order)
# IR ─► simplify (DCE, CSE, folding) ─► Python source (fused loops, BLAS) ─► Numba ─► cache
# ```
#
# This notebook follows one small function through every stage, printing the program
# after each: the traced IR, its JVP, the linear and primal halves, the transposed
# (reverse-mode) program, the batched program, `jit` as an IR equation, the simplified IR,
# the generated Numba source, and finally how compiled code is cached.

# %%
import contextlib
import os
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

import tracejit as tj
import tracejit.numpy as tnp
from tracejit.transforms import jvp_ir, linearize_ir, transpose_ir, vmap_ir

# %% [markdown]
# ## 1. Tracing
#
# `make_ir(f)(*args)` calls `f` with *tracers* that carry only a shape and a dtype.
# Every `tnp` operation binds a primitive, which appends one typed equation. The IR reads
# `{ lambda constants ; inputs . let equations in (outputs) }`; each equation names its
# output, its type (`f64[4]` is a float64 vector of 4), the primitive with its
# parameters, its inputs, and the line of your code that produced it.


# %%
def f(x):
    return tnp.sum(tnp.sin(x) * x)


x = np.linspace(0.0, 1.0, 4)
ir = tj.make_ir(f)(x)
print(ir)
assert [e.prim.name for e in ir.eqns] == ["sin", "mul", "reduce_sum"]

# %% [markdown]
# ## 2. Forward mode: `jvp_ir`
#
# The JVP transform maps a program `x ↦ y` to `(x, t) ↦ (y, J t)`: every equation is
# followed by its tangent rule. `tmul` is multiplication by a partial derivative in
# linear code; it returns exactly 0 when the tangent is 0, even if the partial is
# infinite or NaN (that is what makes `where` NaN-safe; see `03_kinks`).

# %%
jir, _ = jvp_ir(ir, [True])
print(jir)

# %% [markdown]
# ## 3. Reverse mode = transpose ∘ linearize ∘ jvp
#
# tracejit does not have a reverse-mode rule per primitive. Instead, *partial evaluation*
# splits the JVP program in two: the **primal** part, which depends only on `x` and also
# returns the *residuals* the tangent part needs, and the **linear** part, which maps
# `(residuals, t) ↦ J t`.

# %%
primal_ir, linear_ir, n_res = linearize_ir(jir, 1, 1)
print("primal:", primal_ir, sep="\n")
print(f"linear ({n_res} residuals, then the tangent):", linear_ir, sep="\n")

# %% [markdown]
# A linear program can be run backwards: `transpose_ir` walks its equations from last to
# first, sending each output cotangent to the inputs (`reduce_sum` becomes a broadcast,
# `tmul` by `c` stays `tmul` by `c`, `add` fans out). The result computes `Jᵀ ct`, which
# for a scalar function and `ct = 1` is the gradient.

# %%
backward_ir = transpose_ir(linear_ir, [False] * n_res + [True])
print(backward_ir)

# evaluate the two halves by hand: primal -> (y, residuals), then backward with ct = 1
from tracejit.trace import eval_ir  # noqa: E402  (the reference interpreter)

y, *res = eval_ir(primal_ir, [x])
(g,) = eval_ir(backward_ir, [*res, np.float64(1.0)])
print("gradient by hand:", g)
assert np.allclose(g, np.cos(x) * x + np.sin(x))
assert np.allclose(g, tj.grad(f)(x))

# %% [markdown]
# `tj.grad(f)` is exactly this pipeline, plus simplification:

# %%
print(tj.make_ir(tj.grad(f))(x))

# %% [markdown]
# ## 4. Batching: `vmap_ir`
#
# The batching transform moves a batch axis through every equation with a per-primitive
# rule: elementwise operations just gain a dimension, and the reduction's axis shifts
# from 0 to 1. No loop appears.

# %%
vir, out_dims = vmap_ir(ir, [0], 5)
print(vir, "\nbatch axis of the output:", out_dims)
xb = np.random.default_rng(0).normal(size=(5, 4))
assert np.allclose(tj.vmap(f)(xb), [f(row) for row in xb])

# %% [markdown]
# Transforms compose because each maps IR to IR. The per-example gradient
# `vmap(grad(f))` is the batched version of the program printed in section 3:

# %%
print(tj.make_ir(tj.vmap(tj.grad(f)))(xb))

# %% [markdown]
# ## 5. `jit` is an equation too
#
# Inside another transform, a jitted function is not inlined: it appears as one `jit`
# equation holding its IR. Transforms of that equation transform the IR inside and wrap
# it again. Below, `grad(jit(f))` holds two compiled calls: the primal half (`jvp_f`,
# which returns the residuals) and the transposed linear half.

# %%
print(tj.make_ir(tj.jit(f))(x))
print(tj.make_ir(tj.grad(tj.jit(f)))(x))

# %% [markdown]
# ## 6. Simplification
#
# Before lowering, `jit` simplifies: common subexpressions are computed once, algebraic
# identities (`x * 1`, `x + 0`) and constant expressions are folded, and dead equations
# are dropped. `make_ir` shows what was traced; `jit(h).ir` shows what is compiled.
# (`jit(h).lower(*args)` traces, simplifies and generates code without compiling it.)


# %%
def h(x):
    a = tnp.sin(x) * 1.0 + 0.0
    b = tnp.sin(x)  # the same as a
    unused = tnp.exp(x)  # noqa: F841  (dead code)
    return tnp.sum(a * b) + 2.0 * 3.0


jh = tj.jit(h)
jh.lower(x)
print("traced:", tj.make_ir(h)(x), sep="\n")
print("compiled:", jh.ir, sep="\n")
assert len(jh.ir.eqns) < len(tj.make_ir(h)(x).eqns)
assert "exp" not in str(jh.ir)

# %% [markdown]
# ## 7. Lowering: the generated source
#
# The simplified IR becomes plain Python + NumPy. Runs of elementwise operations and
# reductions over the same shape become **one loop nest**, so no temporary array is
# materialised per operation; `dot_general` becomes a BLAS call, or explicit loops when
# the operands are so small that calling BLAS would cost more than the arithmetic. Each
# line carries its equation as a comment. The source also runs without Numba
# (`NUMBA_DISABLE_JIT=1`), which is the first thing to try if a compiled result looks
# wrong.

# %%
jg = tj.jit(tj.grad(f))
print(jg.lower(x).source)


# %% [markdown]
# A larger example: the gradient of a one-layer network's loss (256 examples, 64
# inputs, 32 outputs), with matrix products and a fused elementwise loop in between.


# %%
def layer_loss(w, xs, ys):
    return tnp.mean((tnp.tanh(xs @ w) - ys) ** 2)


w0, xs0, ys0 = np.zeros((64, 32)), np.ones((256, 64)), np.ones((256, 32))
jl = tj.jit(tj.grad(layer_loss))
print(jl.lower(w0, xs0, ys0).source)
assert "one loop nest" in jl.source and "tanh" in jl.source

# %% [markdown]
# ## 8. When does it compile? The cache
#
# * `jit` traces once per **signature**: the tree structure, shapes and dtypes of the
#   arguments, and the values of static arguments. A call with a known signature goes
#   straight to the compiled code (for all-array positional calls, through a dict
#   keyed by shapes).
# * The **first call** with a new signature does not wait for Numba: it runs the IR on
#   the NumPy interpreter and queues the source for compilation in a background
#   thread. Later calls switch to machine code once it is ready. `f.compile(*args)`
#   waits for it; `TRACEJIT_SYNC_COMPILE=1` makes every first call wait;
#   `TRACEJIT_INTERPRET=1` never compiles.
# * Compiled kernels are **content-addressed**: the generated source is written to
#   `$TRACEJIT_CACHE_DIR/kernels/tj_<hash>.py` and Numba caches its machine code next to
#   it, so a new process running the same code loads it in milliseconds instead of
#   compiling.
#
# `TRACEJIT_LOG_COMPILES=1` prints every new trace with its reason, and every finished
# compilation. We capture that log (it goes to stderr) to show it here.


# %%
class Log:
    """A stderr replacement that keeps each line with the time it arrived."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        if text.strip():
            self.lines.append((time.perf_counter(), text.strip()))

    def flush(self):
        pass

    def show(self):
        print("\n".join(line for _, line in self.lines))


def loss2(x, y):
    return tnp.sum(tnp.tanh(x) * y) + tnp.max(x)


os.environ["TRACEJIT_LOG_COMPILES"] = "1"
log = Log()
with contextlib.redirect_stderr(log):
    jloss = tj.jit(loss2)
    jloss(np.ones(3), np.ones(3))  # first call
    jloss(np.ones(3), np.zeros(3))  # same signature: no trace
    jloss(np.ones(5), np.ones(5))  # new shapes
    jloss(np.ones(3, np.float32), np.ones(3, np.float32))  # new dtypes
    for args in [(np.ones(3), np.ones(3)), (np.ones(5), np.ones(5))]:
        jloss.compile(*args)  # wait for the background compiler
    jloss.compile(np.ones(3, np.float32), np.ones(3, np.float32))
log.show()
traces = [line for _, line in log.lines if "tracing" in line]
# Sizes are symbols in the generated code (`d0, = a.shape`), so the f64[5] signature
# reuses the kernel compiled for f64[3]; float32 needs its own.
assert len(traces) == 3
assert "first call" in traces[0] and "new shapes" in traces[1] and "new dtypes" in traces[2]

# %% [markdown]
# ### First calls, then machine code
#
# To watch the switch happen, we point the disk cache at an empty directory (so the
# kernel really has to be compiled), and call a fresh jitted function in a loop,
# recording each call's latency. Calls before the "machine code ready" message are
# answered by the NumPy interpreter, the ones after by Numba. (Numba holds the GIL
# while it compiles, so the calls during compilation are slowed down too.)


# %%
def smooth(x):
    y = tnp.tanh(x) * tnp.exp(-0.5 * x * x) + 0.1 * x
    return tnp.sum(y * y)


cache = tempfile.mkdtemp(prefix="tracejit-demo-")
saved_cache = os.environ.get("TRACEJIT_CACHE_DIR")
os.environ["TRACEJIT_CACHE_DIR"] = cache

xs = np.random.default_rng(0).normal(size=2000)
jsmooth = tj.jit(smooth)
log = Log()
calls = []  # (seconds since the first call, latency)
t0 = time.perf_counter()
with contextlib.redirect_stderr(log):
    ready_at = None
    while time.perf_counter() - t0 < 60:
        t = time.perf_counter()
        out = jsmooth(xs)
        calls.append((t - t0, time.perf_counter() - t))
        if ready_at is None:
            ready = [s for s, line in log.lines if "smooth: machine code ready" in line]
            ready_at = ready[0] - t0 if ready else None
        elif len([c for c in calls if c[0] > ready_at]) >= 200:
            break
        time.sleep(0.002)  # a training loop does other work between calls
log.show()
assert ready_at is not None
assert np.isclose(out, np.sum((np.tanh(xs) * np.exp(-0.5 * xs**2) + 0.1 * xs) ** 2))

# %%
t_call, latency = np.array(calls).T
before, after = latency[t_call < ready_at], latency[t_call > ready_at]
fig, ax = plt.subplots(figsize=(7, 3))
ax.semilogy(t_call[t_call < ready_at], before * 1e6, ".", label="NumPy interpreter")
ax.semilogy(t_call[t_call > ready_at], after * 1e6, ".", label="Numba machine code")
ax.axvline(ready_at, color="0.5", ls="--")
ax.set_xlabel("seconds since the first call")
ax.set_ylabel("µs per call")
ax.set_title(f"machine code ready after {ready_at:.2f} s")
ax.legend()
plt.show()
print(
    f"{len(before)} interpreted calls (median {np.median(before) * 1e6:.0f} µs), "
    f"then {len(after)} compiled calls (median {np.median(after) * 1e6:.0f} µs)"
)

# %% [markdown]
# ### A new process loads from the disk cache
#
# Run the same function in a fresh Python process, first with a cold cache directory and
# then with the one just populated, and time `compile()` (after paying Numba's one-time
# start-up, about half a second, on a trivial function).

# %%
child = """
import sys, time
import numpy as np
import tracejit as tj, tracejit.numpy as tnp

def smooth(x):
    y = tnp.tanh(x) * tnp.exp(-0.5 * x * x) + 0.1 * x
    return tnp.sum(y * y)

tj.jit(lambda x: x + 1.0).compile(np.zeros(1))  # pay Numba's start-up first
t = time.perf_counter()
tj.jit(smooth).compile(np.zeros(2000))
print(time.perf_counter() - t)
"""


def compile_in_new_process(cache_dir):
    env = dict(os.environ, TRACEJIT_CACHE_DIR=cache_dir, TRACEJIT_LOG_COMPILES="0")
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(".."), env.get("PYTHONPATH", "")])
    run = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return float(run.stdout.split()[-1])


cold = compile_in_new_process(tempfile.mkdtemp(prefix="tracejit-cold-"))
warm = compile_in_new_process(cache)
print(f"compile() in a new process: cold cache {cold:.2f} s, warm cache {warm:.3f} s")
print("files in the cache:", sorted(os.listdir(os.path.join(cache, "kernels"))))
assert warm < cold / 2

if saved_cache is None:
    del os.environ["TRACEJIT_CACHE_DIR"]
else:
    os.environ["TRACEJIT_CACHE_DIR"] = saved_cache
os.environ["TRACEJIT_LOG_COMPILES"] = "0"

# %% [markdown]
# That is the whole machine: tracing turns Python into IR, transforms rewrite IR, the
# simplifier cleans it, the lowering writes readable loops, and Numba plus a
# content-addressed cache turn them into machine code once per program.
