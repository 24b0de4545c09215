"""jit(f) ≡ f: for every registered primitive, for random programs and their gradients,
and for every composition of jit with grad and vmap.

Numba compiles slowly (~0.3 s a function, more for big ones), so breadth comes from
running the generated source as plain Python (what NUMBA_DISABLE_JIT=1 does), and real
machine code is checked on one kernel per family of primitives plus a few programs.
Compiled kernels go to a disk cache shared by the whole test session.
"""

import importlib
import os
import pkgutil
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import tests.cases as cases_pkg
import tracejit as tj
import tracejit.numpy as tnp
from tests.test_simplify import program_inputs, random_programs, run_program
from tracejit import lax
from tracejit.ir import aval_of
from tracejit.jit import TracejitWarning
from tracejit.lowering import LoweringError, lower_ir, python_function
from tracejit.lowering.cache import compile_kernel
from tracejit.trace import PRIMITIVES, bind, eval_ir, trace_to_ir
from tracejit.transforms.simplify import simplify_ir

# a lowering or compile failure falls back to the interpreter with a warning: here, fail
pytestmark = pytest.mark.filterwarnings("error::tracejit.jit.TracejitWarning")


def _family_cases():
    out = {}
    for mod in pkgutil.iter_modules(cases_pkg.__path__):
        out[mod.name] = importlib.import_module(f"tests.cases.{mod.name}").CASES
    return out


FAMILIES = _family_cases()
CASES = [c for cs in FAMILIES.values() for c in cs]
# eigenvectors and singular vectors are defined up to sign; LAPACK builds
# (NumPy's, and SciPy's that Numba calls) may choose differently
UP_TO_SIGN = {"eigh", "svd"}


@pytest.fixture(autouse=True)
def _sync_compile(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "1")


def _close(got, want, prim=None):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    if prim in UP_TO_SIGN and got.ndim >= 2:
        got, want = np.abs(got), np.abs(want)
    if want.dtype.kind in "fc":
        tol = 1e-5 if want.dtype == np.float32 else 1e-9
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def _cases_ir(cases):
    """One IR applying every case's primitive to its own arguments; all outputs out."""
    args, spans = [], []
    for c in cases:
        a = c.make()
        spans.append((c, len(args), len(a)))
        args += a

    def fn(*xs):
        outs = []
        for c, start, n in spans:
            prim = PRIMITIVES[c.prim]
            out = bind(prim, *xs[start : start + n], **c.params)
            outs += [(c.prim, o) for o in (out if prim.multiple_results else [out])]
        fn.prims = [p for p, _ in outs]
        return [o for _, o in outs]

    ir, _ = trace_to_ir(fn, [aval_of(a) for a in args])
    return ir, args, fn.prims


def _check(ir, args, got, prims):
    got = [got] if len(ir.outs) == 1 else list(got)
    for g, w, p in zip(got, eval_ir(ir, args), prims, strict=True):
        _close(g, w, p)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_generated_source_matches_interpreter(case):
    """Every case of every primitive, through the generated source run as Python."""
    ir, args, prims = _cases_ir([case])
    low = lower_ir(ir, case.prim)
    got = python_function(low)(*low.consts, *[np.require(a, requirements="C") for a in args])
    _check(ir, args, got, prims)


def test_every_primitive_has_a_lowering():
    from tracejit.lowering import array_rules, control_rules, reductions, rules
    from tracejit.transforms.simplify import CALLS

    tables = [
        rules.SCALAR,
        rules.REMAP,
        reductions.REDUCE,
        reductions.ARG_REDUCE,
        array_rules.ARRAY,
        control_rules.CONTROL,
        CALLS,
    ]
    missing = sorted(
        name
        for name, p in PRIMITIVES.items()
        if not any(name in t for t in tables) and p.lower is None and name != "custom_lin"
    )
    assert not missing, f"primitives with no Numba lowering rule: {missing}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_compiled_kernel_per_family(family):
    """Machine code for one case of each primitive of a family, in one kernel."""
    seen, cases = set(), []
    for c in FAMILIES[family]:
        if c.prim not in seen:
            seen.add(c.prim)
            cases.append(c)
    ir, args, prims = _cases_ir(cases)
    low = lower_ir(ir, family)
    kernel = compile_kernel(low, low.param_avals)
    got = kernel(*low.consts, *[np.require(a, requirements=("C", "W")) for a in args])
    _check(ir, args, got, prims)


# ---------------------------------------------------------------------------
# random programs: the generated source for many, machine code for a few


@settings(max_examples=60, deadline=None)
@given(random_programs)
def test_random_programs_and_gradients_as_python(prog):
    args = program_inputs()
    f = lambda x, y, s: run_program(prog, x, y, s)  # noqa: E731
    g = tj.grad(lambda x, y, s: run_program(prog, x, y, s)[0], argnums=(0, 1, 2))
    for fn in (f, g):
        ir = simplify_ir(tj.make_ir(fn)(*args))
        low = lower_ir(ir, "prog")
        got = python_function(low)(*low.consts, *args)
        got = [got] if len(ir.outs) == 1 else got
        for a, b in zip(got, eval_ir(ir, args), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(max_examples=3, deadline=None, derandomize=True)
@given(random_programs)
def test_random_programs_and_gradients_compiled(prog):
    args = program_inputs(2)
    f = lambda x, y, s: run_program(prog, x, y, s)  # noqa: E731
    g = tj.grad(lambda x, y, s: run_program(prog, x, y, s)[0], argnums=(0, 1, 2))
    for got, want in ((tj.jit(f)(*args), f(*args)), (tj.jit(g)(*args), g(*args))):
        for a, b in zip(tj.tree.leaves(got), tj.tree.leaves(want), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# compositions


def f2(x, y):
    return tnp.sum(tnp.tanh(x) * y + tnp.sin(x * y))


X, Y = np.linspace(-1, 1, 3), np.linspace(0.5, 2, 3)
XS = np.stack([X, 2 * X, -X])


def _same(a, b):
    for p, q in zip(tj.tree.leaves(a), tj.tree.leaves(b), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)


def test_jit_matches_f_and_compiles():
    jf = tj.jit(f2)
    _same(jf(X, Y), f2(X, Y))
    assert jf._fast, "a compiled all-array signature takes the fast path"
    _same(jf(X, Y), f2(X, Y))


def test_compositions(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "0")
    monkeypatch.setenv("TRACEJIT_INTERPRET", "1")  # the transforms, not Numba, are tested
    jf = tj.jit(f2)
    _same(tj.grad(jf)(X, Y), tj.grad(f2)(X, Y))
    _same(tj.grad(jf, argnums=(0, 1))(X, Y), tj.grad(f2, argnums=(0, 1))(X, Y))
    _same(tj.jit(tj.grad(f2))(X, Y), tj.grad(f2)(X, Y))
    _same(tj.vmap(jf, in_axes=(0, None))(XS, Y), tj.vmap(f2, in_axes=(0, None))(XS, Y))
    vg = tj.vmap(tj.grad(f2), in_axes=(0, None))
    _same(tj.jit(vg)(XS, Y), vg(XS, Y))
    _same(tj.jvp(jf, (X, Y), (Y, X)), tj.jvp(f2, (X, Y), (Y, X)))
    _same(tj.hessian(lambda x: jf(x, Y))(X), tj.hessian(lambda x: f2(x, Y))(X))
    nested = tj.jit(lambda x, y: jf(x, y) * 2 + jf(y, x))
    ref = lambda x, y: 2 * f2(x, y) + f2(y, x)  # noqa: E731
    _same(nested(X, Y), ref(X, Y))
    _same(tj.grad(nested)(X, Y), tj.grad(ref)(X, Y))
    _same(
        tj.vmap(tj.grad(nested), in_axes=(0, None))(XS, Y),
        tj.vmap(tj.grad(ref), in_axes=(0, None))(XS, Y),
    )


def test_static_args_and_pytrees():
    def g(params, x, n, scale=1.0):
        for _ in range(n):
            x = tnp.sin(x) * params["w"] + params["b"]
        return {"y": x * scale, "n": n}

    jg = tj.jit(g, static_argnums=2, static_argnames="scale")
    p = {"w": np.float64(0.5), "b": np.ones(3)}
    for n, scale in ((2, 1.0), (3, 2.0), (2, 1.0)):
        _same(jg(p, X, n, scale=scale), g(p, X, n, scale=scale))
    assert len(jg._cache) == 2
    jn = tj.jit(lambda x, n: x * n, static_argnums=-1)
    _same(jn(X, 3), X * 3)


def test_control_flow_compiled():
    def rnn(h0, xs, W):
        def step(h, x):
            h = tnp.tanh(W @ h + x)
            return h, tnp.sum(h)

        return lax.scan(step, h0, xs)

    def newton(a):
        def cond(c):
            return (tnp.abs(c[0] * c[0] - a) > 1e-12) & (c[1] < 50)

        return lax.while_loop(
            cond, lambda c: (c[0] - (c[0] * c[0] - a) / (2 * c[0]), c[1] + 1), (a, 0)
        )

    def branch(p, x):
        return lax.cond(p > 0, lambda x: tnp.sin(x), lambda x: tnp.cos(x) * 2, x)

    rng = np.random.default_rng(0)
    h0, xs, W = np.zeros(4), rng.normal(size=(6, 4)), rng.normal(size=(4, 4)) / 2
    loss = lambda W: tnp.sum(rnn(h0, xs, W)[1])  # noqa: E731
    _same(tj.jit(rnn)(h0, xs, W), rnn(h0, xs, W))
    _same(tj.jit(tj.grad(loss))(W), tj.grad(loss)(W))
    _same(tj.jit(newton)(np.array(2.0)), newton(np.array(2.0)))
    jb = tj.jit(branch)
    for p in (1.0, -1.0):
        _same(jb(np.array(p), X), branch(np.array(p), X))

    # array carries updated in place where that is safe: swaps, reads after the update
    def carries(a, b):
        swap = lax.fori_loop(0, 5, lambda i, c: (c[1], c[0] + c[1]), (a, b))
        both = lax.fori_loop(0, 4, lambda i, c: (c[0] + c[1], c[0] * 2.0), (a, b))
        later = lax.fori_loop(0, 3, lambda i, c: (c[0] * 0.5, tnp.sum(c[0]) + c[1]), (a, b))
        unread = lax.fori_loop(0, 3, lambda i, c: (c[1] * 2.0, c[1] + 1.0), (a, b))
        return swap, both, later, unread

    _same(tj.jit(carries)(X, Y), carries(X, Y))


# ---------------------------------------------------------------------------
# behaviour of the jitted function


def test_new_batch_size_reuses_machine_code():
    def mlp(W, b, x):
        return tnp.sum(tnp.maximum(x @ W + b, 0.0) ** 2) / x.shape[0]

    jf = tj.jit(tj.grad(mlp))
    W, b = np.ones((5, 3)), np.ones(3)
    jf(W, b, np.ones((8, 5)))
    first = jf._last
    jf(W, b, np.ones((11, 5)))
    second = jf._last
    assert first is not second and first.lowered.key == second.lowered.key
    assert first.kernel is second.kernel


def test_interpreter_first_then_machine_code(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "0")
    jf = tj.jit(lambda x: tnp.cos(x) * 3.0)
    got = jf(X)
    jf.compile(X)
    _same(got, jf(X))
    assert jf._last.state == "ready"


def test_ir_and_source_are_readable():
    jf = tj.jit(f2)
    jf(X, Y)
    assert "tanh" in str(jf.ir)
    src = jf.source
    assert "def f2(a, b):" in src and "# c = tanh a" in src and "for i0 in range(d0):" in src
    staged = jf.lower(XS, XS)
    assert "d0, d1 = a.shape" in staged.source


def test_tracer_leak_and_concretization_errors_name_static_argnums():
    jf = tj.jit(lambda x: x if x.sum() > 0 else -x)
    with pytest.raises(tj.ConcretizationError, match="static_argnums"):
        jf(X)


def test_lowering_failure_falls_back_with_warning(monkeypatch):
    from tracejit.lowering import rules

    monkeypatch.delitem(rules.SCALAR, "cos")
    jf = tj.jit(lambda x: tnp.cos(x) + 1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _same(jf(X), np.cos(X) + 1.0)
        _same(jf(X), np.cos(X) + 1.0)
    assert any(
        issubclass(w.category, TracejitWarning) and "'cos'" in str(w.message) for w in caught
    )
    with pytest.raises(LoweringError, match="cos"):
        tj.jit(lambda x: tnp.cos(x) * 2.0).compile(X)


def test_numba_failure_is_a_clean_error(monkeypatch):
    from tracejit.lowering import rules
    from tracejit.lowering.cache import CompileError

    monkeypatch.setitem(rules.SCALAR, "sin", lambda eqn, args: f"no_such_function({args[0]})")
    with pytest.raises(CompileError, match=r"sin") as info:
        tj.jit(lambda x: tnp.sin(x) - 1.0).compile(X)
    assert "Traceback" not in str(info.value) and "\n" not in str(info.value)


def test_log_compiles(monkeypatch, capsys):
    monkeypatch.setenv("TRACEJIT_LOG_COMPILES", "1")
    monkeypatch.setenv("TRACEJIT_INTERPRET", "1")
    jf = tj.jit(lambda x: x * 2.0)
    jf(X)
    jf(XS)
    jf(XS.astype(np.float32))
    err = capsys.readouterr().err
    assert "first call" in err and "new shapes" in err and "new dtypes" in err


def test_non_contiguous_and_readonly_inputs():
    jf = tj.jit(lambda x, y: x * y)
    jf.compile(XS, XS)
    ro = XS.copy()
    ro.flags.writeable = False
    _same(jf(XS.T, XS), XS.T * XS)
    _same(jf(ro, XS), XS * XS)
    _same(jf(XS.astype(np.float32), XS.astype(np.float32)), (XS * XS).astype(np.float32))


def test_pytree_calls_take_the_right_path():
    """A compiled pytree signature is dispatched without the general path; any change of
    structure, shape, dtype or layout still gives f's result."""

    def g(p, xs, x):  # takes a container where a leaf was too
        s = sum(tj.tree.leaves((xs, x)))
        return {"y": p["w"] * s + sum(tj.tree.leaves(p["b"])), "s": tnp.sum(p["w"])}

    jg = tj.jit(g)
    p, xs = {"w": X, "b": Y}, (Y, X)
    _same(jg(p, xs, X), g(p, xs, X))
    general = []
    call = jg._call
    jg._call = lambda args, kwargs: general.append(1) or call(args, kwargs)
    _same(jg(p, xs, X), g(p, xs, X))
    _same(jg({"b": Y, "w": X}, xs, X), g(p, xs, X))  # same keys, another insertion order
    assert not general and jg._flat, "a compiled pytree signature takes the fast path"
    loss = lambda f: lambda b: tnp.sum(f({"w": X, "b": b}, xs, X)["y"])  # noqa: E731
    _same(tj.grad(loss(jg))(Y), tj.grad(loss(g))(Y))  # tracers where arrays were compiled
    calls = [
        ({"w": X, "b": Y, "c": Y}, xs, X),  # another key set
        (p, (Y, XS), X),  # one leaf of another shape
        (p, [Y, X], X),  # a list for a tuple
        (p, (Y, X, X), X),
        (p, (Y, (X,)), X),  # a container where a leaf was
        (p, xs, (X,)),
        ({"w": X, "b": {"c": Y}}, xs, X),
        (p, xs, X.astype(np.float32)),  # another dtype, same shape
        ({"w": XS[:, 0], "b": Y}, xs, X),  # a non-contiguous view
        (p, (XS[::-1, 1], X), X),
        (p, xs, 2.0),  # a Python scalar, broadcast
        (p, xs, np.float64(2.0)),
        (p, xs, X),
    ]
    for args in calls:
        for _ in range(2):  # the first call traces, the second is dispatched
            got = jg(*args)
            want = g(*args)
            _same(got, want)
            assert sorted(got) == ["s", "y"]
            assert got["y"].dtype == np.asarray(want["y"]).dtype
    assert general, "new signatures take the general path"

    def h(a, b, c=0.0):  # the same leaves in other containers: another function
        return (a[0] * b[0] if isinstance(a, tuple) else a[0] - b[-1]) + c

    jh = tj.jit(h)
    for args in (((X, Y), (Y,)), ((X,), (Y, X)), ([X, Y], (Y,)), ((X, Y), (Y,), X)):
        for _ in range(2):
            _same(jh(*args), h(*args))

    jd = tj.jit(lambda t: {k: 2.0 * v + 1.0 for k, v in t.items()})
    d = {f"k{i}": np.full(4, float(i)) for i in (3, 1, 2, 0, 4)}
    mats = {k: np.ones((4, 2)) for k in d}  # vectors are keyed by length, Numba checks rank
    for t in (d, dict(reversed(d.items())), {**d, "k2": np.ones(5)}, {**d, "k9": X}, mats, d):
        for _ in range(2):
            got = jd(t)
            assert list(got) == sorted(t)  # outputs in JAX's order, whichever order came in
            _same(got, {k: 2.0 * v + 1.0 for k, v in t.items()})


def test_python_scalars_and_0d():
    jf = tj.jit(lambda x, a: x * a + 1)
    _same(jf(X, 2.0), X * 2.0 + 1)
    _same(jf(np.float64(3.0), np.array(2.0)), np.array(7.0))


if os.environ.get("TRACEJIT_TEST_SLOW"):  # pragma: no cover - the whole case list, compiled

    @pytest.mark.parametrize("case", CASES, ids=repr)
    def test_every_case_compiled(case):
        ir, args, prims = _cases_ir([case])
        low = lower_ir(ir, case.prim)
        kernel = compile_kernel(low, low.param_avals)
        got = kernel(*low.consts, *[np.require(a, requirements=("C", "W")) for a in args])
        _check(ir, args, got, prims)


def test_generated_source_runs_with_numba_disabled(tmp_path):
    """NUMBA_DISABLE_JIT=1 runs the generated module as plain Python (for debugging)."""
    import subprocess
    import sys

    code = (
        "import numpy as np, tracejit as tj, tracejit.numpy as tnp\n"
        "f = tj.jit(tj.grad(lambda x: tnp.sum(tnp.tanh(x) * tnp.exp(-x * x))))\n"
        "x = np.linspace(-1, 1, 7)\n"
        "f.compile(x)\n"
        "assert not hasattr(f._last.kernel, 'py_func')\n"
        "want = tj.grad(lambda x: tnp.sum(tnp.tanh(x) * tnp.exp(-x * x)))(x)\n"
        "assert np.allclose(f(x), want, rtol=1e-12)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", TRACEJIT_CACHE_DIR=str(tmp_path), PYTHONPATH=root)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_one_column_products_lower_to_row_reductions():
    """x @ v[:, None] (a column of static width 1, as autodiff's reshapes make) is a
    reduction per row in the generated code, not a loop of one step, and keeps its value."""
    rng = np.random.default_rng(7)
    x, v = rng.standard_normal((6, 4)), rng.standard_normal(4)
    for f, args in [
        (lambda x, v: x @ tnp.reshape(v, (4, 1)), (x, v)),
        (lambda x, v: x.T @ tnp.reshape(v, (6, 1)), (x, rng.standard_normal(6))),
    ]:
        jf = tj.jit(f)
        assert "range(1)" not in jf.lower(*args).source
        np.testing.assert_allclose(jf.compile(*args)(*args), f(*args), rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.int8])
def test_small_products_unrolled_over_k(dtype):
    """Loop products add UNROLL rows of y per pass over an output row, any contracted
    length (the source is one for all: a remainder loop takes what a pass leaves): same
    values as NumPy, every dtype; the additions keep their order, so floats agree with a
    sequential sum exactly."""
    rng = np.random.default_rng(3)
    for K in (1, 2, 3, 4, 5, 7, 8, 13):
        x = (rng.standard_normal((3, K)) * 4).astype(dtype)
        y = (rng.standard_normal((K, 5)) * 4).astype(dtype)
        jf = tj.jit(lambda x, y: x @ y)
        src = jf.lower(x, y).source
        if K > 1:  # (K = 1 is simplified to a broadcast product)
            assert re.search(r"for k\d+ in range\(0, d\d - 3, 4\):", src), src
        got = jf.compile(x, y)(x, y)
        assert got.dtype == (x @ y).dtype
        if np.dtype(dtype).kind == "i":
            np.testing.assert_array_equal(got, x @ y)
        else:
            seq = np.zeros((3, 5), dtype)
            for k in range(K):
                seq = seq + x[:, k : k + 1] * y[k]
            np.testing.assert_array_equal(got, seq)


def test_scan_output_reshaped_from_a_loop_nest_is_computed_in_its_row():
    """A stacked output that is a reshape of an elementwise result: the result is
    computed in the row of the stack (no copy of the row after it), values unchanged."""

    def f(w, xs):
        def step(h, x):
            a = tnp.tanh(x * w + h)
            return a, tnp.reshape(2.0 * a, (2, 3))

        return tj.lax.scan(step, tnp.zeros(6), xs)

    w, xs = np.linspace(-1, 1, 6), np.random.default_rng(1).standard_normal((5, 6))
    jf = tj.jit(f)
    src = jf.lower(w, xs).source
    assert re.search(r"^\s+\w+ = \w+\[it\d+\]\.reshape\(\(d\d,\)\)$", src, re.M), src
    assert not re.search(r"^\s+\w+\[it\d+\] = ", src, re.M), src
    got, want = jf.compile(w, xs)(w, xs), f(w, xs)
    for g_, w_ in zip(got, want, strict=True):
        np.testing.assert_allclose(g_, w_, rtol=1e-15)


def test_floor_divide_differentiates_under_jit():
    """x // y is piecewise constant: a zero derivative, also once it is inside jit's IR."""
    f = lambda x: (x // 1.5) * x  # noqa: E731
    for x in (2.5, -0.7):
        assert tj.grad(tj.jit(f))(x) == tj.grad(f)(x) == np.floor_divide(x, 1.5)
        assert tj.jvp(tj.jit(f), (x,), (1.0,))[1] == np.floor_divide(x, 1.5)
