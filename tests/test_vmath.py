"""tracejit.lowering.vmath against NumPy: accuracy in ulps, exact special values, and
that a Numba loop calling the functions vectorises.

The reference is NumPy evaluated in x87 long double (64-bit mantissa), rounded to
float64 only for the exact comparisons, so the measured error is that of vmath alone.
One Numba loop evaluates every function, so the suite compiles once.
"""

import math
import os
import re
import subprocess
import sys

import numba
import numpy as np
import pytest
import scipy.special

from tracejit.lowering import vmath

LD = np.longdouble
if np.finfo(LD).nmant < 63:  # pragma: no cover - only on platforms without x87
    pytest.skip("needs an extended-precision long double reference", allow_module_level=True)

N = 400_000  # random points per function
TINY = 5e-324
MIN_NORMAL = 2.2250738585072014e-308
MAX = 1.7976931348623157e308
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, TINY, -TINY, MIN_NORMAL, -MIN_NORMAL, MAX, -MAX]


def _logistic(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x):
    return np.logaddexp(LD(0), x)


def _erf_scipy(x):  # no long-double erf in NumPy or SciPy
    return scipy.special.erf(x.astype(np.float64)).astype(LD)


def _around(points, k=4):
    """Each point and its k float64 neighbours on both sides."""
    points = np.asarray(points, dtype=np.float64)
    out = [points]
    up, down = points.copy(), points.copy()
    for _ in range(k):
        with np.errstate(over="ignore"):
            up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        out += [up, down]
    return np.concatenate(out)


def _log_uniform(rng, lo, hi, n, signed=True):
    x = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    return x * rng.choice([-1.0, 1.0], n) if signed else x


LN2 = math.log(2)
# name: (reference on long double, max ulp allowed, random points, edge points)
# The bounds are the measured maxima (3 seeds x 1e6 points) rounded up a little;
# 0.5 would be correct rounding.
CASES = {
    "exp": (
        np.exp,
        1.1,
        lambda r, n: _log_uniform(r, 1e-20, 750, n),
        _around(
            [
                709.782712893384,
                709.7827128933841,
                -708.3964185322641,
                -745.1332191019411,
                -745.1332191019412,
                -744.44007192138121,
                0.5 * LN2,
                1.5 * LN2,
                -0.5 * LN2,
                710.0,
                -746.0,
                1.0,
            ]
        ),
    ),
    "exp2": (
        np.exp2,
        1.25,
        lambda r, n: _log_uniform(r, 1e-20, 1100, n),
        _around([1024.0, 1023.0, -1022.0, -1074.0, -1075.0, -1076.0, 0.5, -0.5, 1.5, 3.0]),
    ),
    "expm1": (
        np.expm1,
        2.0,
        lambda r, n: _log_uniform(r, 1e-300, 750, n),
        _around(
            [
                709.782712893384,
                -37.5,
                -38.0,
                -40.0,
                0.5 * LN2,
                -0.5 * LN2,
                1.5 * LN2,
                2**-54,
                -(2**-54),
                1e-10,
            ]
        ),
    ),
    "log": (
        np.log,
        0.75,
        lambda r, n: _log_uniform(r, TINY, MAX, n, signed=False),
        _around(
            [1.0, 2.0, 0.5, math.sqrt(0.5), math.sqrt(2), MIN_NORMAL, TINY, 2.0**-1050, MAX, math.e]
        ),
    ),
    "log2": (
        np.log2,
        0.75,
        lambda r, n: _log_uniform(r, TINY, MAX, n, signed=False),
        _around([1.0, 2.0, 0.5, 1024.0, 2.0**-1074, math.sqrt(0.5), math.sqrt(2), MIN_NORMAL]),
    ),
    "log1p": (
        np.log1p,
        0.75,
        lambda r, n: np.concatenate(
            [_log_uniform(r, 1e-300, 1, n // 2), _log_uniform(r, 1, MAX, n // 2, signed=False)]
        ),
        _around(
            [
                -1.0,
                -0.5,
                math.sqrt(0.5) - 1,
                math.sqrt(2) - 1,
                1.0,
                2**-53,
                2**53,
                1e300,
                -1 + 2**-53,
            ]
        ),
    ),
    "tanh": (
        np.tanh,
        2.6,
        lambda r, n: _log_uniform(r, 1e-300, 40, n),
        _around([19.0, 19.06, 20.0, 0.55, 2**-27, -(2**-27), 0.25 * LN2]),
    ),
    "logistic": (
        _logistic,
        2.2,
        lambda r, n: _log_uniform(r, 1e-300, 800, n),
        _around([-708.4, -709.0, -745.1, -746.0, 36.7, 37.0, 40.0, 1.0]),
    ),
    "softplus": (
        _softplus,
        1.6,
        lambda r, n: _log_uniform(r, 1e-300, 800, n),
        _around([-745.1, -746.0, 36.7, 37.0, 709.0, 710.0, 1e300, 1.0]),
    ),
    "sin": (
        np.sin,
        0.9,
        lambda r, n: np.concatenate(
            [_log_uniform(r, 1e-300, MAX, n // 2), _log_uniform(r, 1e-3, 1e5, n // 2)]
        ),
        # multiples of pi/2 and pi/4, 1e22, and the double closest to a multiple of pi/2
        _around(
            [k * math.pi / 4 for k in range(1, 41)]
            + [1e22, 6381956970095103 * 2.0**797, 2.0**-27, 2.0**1023, 2.0**60]
        ),
    ),
    "cos": (
        np.cos,
        0.9,
        lambda r, n: np.concatenate(
            [_log_uniform(r, 1e-300, MAX, n // 2), _log_uniform(r, 1e-3, 1e5, n // 2)]
        ),
        _around(
            [k * math.pi / 4 for k in range(1, 41)]
            + [1e22, 6381956970095103 * 2.0**797, 2.0**-27, 2.0**1023, 2.0**60]
        ),
    ),
    "arctan": (
        np.arctan,
        1.9,
        lambda r, n: _log_uniform(r, 1e-300, 1e300, n),
        _around([math.sqrt(2) - 1, math.sqrt(2) + 1, 1.0, 2**-27, 2**54, 0.5, 2.0]),
    ),
    "erf": (
        _erf_scipy,
        3.25,  # SciPy's own error is up to 3 ulp; test_erf_against_mpmath is the tight one
        lambda r, n: _log_uniform(r, 1e-300, 10, n),
        _around([0.84375, 5.9, 5.93, 6.0, 1.0, 2.2, 2**-27, 1e-300]),
    ),
}
NAMES = list(CASES)
FUNCS = tuple(getattr(vmath, vmath.VMATH[name]) for name in NAMES)


def _make_loop():
    f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12 = FUNCS

    @numba.njit
    def apply_all(x, out):
        for i in range(x.shape[1]):
            out[0, i] = f0(x[0, i])
            out[1, i] = f1(x[1, i])
            out[2, i] = f2(x[2, i])
            out[3, i] = f3(x[3, i])
            out[4, i] = f4(x[4, i])
            out[5, i] = f5(x[5, i])
            out[6, i] = f6(x[6, i])
            out[7, i] = f7(x[7, i])
            out[8, i] = f8(x[8, i])
            out[9, i] = f9(x[9, i])
            out[10, i] = f10(x[10, i])
            out[11, i] = f11(x[11, i])
            out[12, i] = f12(x[12, i])

    return apply_all


def evaluate(n=N, seed=20261125):
    """Inputs, outputs and long-double references for every function, in one pass."""
    assert len(FUNCS) == 13
    rng = np.random.default_rng(seed)
    rows = []
    for _, _, random_points, edges in CASES.values():
        fixed = np.concatenate([np.array(SPECIAL), edges, -edges])
        rows.append(np.concatenate([fixed, random_points(rng, n)]))
    width = max(r.size for r in rows)
    x = np.zeros((len(rows), width))
    for k, r in enumerate(rows):
        x[k, : r.size] = r
        x[k, r.size :] = r[: width - r.size]  # pad by repeating
    out = np.empty_like(x)
    apply_all = _make_loop()
    apply_all(x, out)
    refs = {}
    with np.errstate(all="ignore"):
        for k, (name, (ref, *_)) in enumerate(CASES.items()):
            refs[name] = ref(x[k].astype(LD))
    return x, out, refs, apply_all


@pytest.fixture(scope="module")
def results():
    return evaluate()


def _ulp_error(out, ref_ld):
    """|out - ref| in units of the float64 spacing at ref; inf where they disagree on
    inf, NaN or exact zero, which must match exactly."""
    with np.errstate(all="ignore"):
        ref = ref_ld.astype(np.float64)
        err = np.abs(out.astype(LD) - ref_ld) / np.spacing(np.abs(ref)).astype(LD)
    exact = np.isnan(ref) | np.isinf(ref) | (ref == 0)
    same = (out == ref) | (np.isnan(out) & np.isnan(ref))
    err = np.where(exact, np.where(same, 0.0, np.inf), err.astype(np.float64))
    return np.where(np.isnan(err), np.inf, err)


@pytest.mark.parametrize("name", NAMES)
def test_max_ulp_error(results, name):
    x, out, refs, _ = results
    k = NAMES.index(name)
    bound = CASES[name][1]
    err = _ulp_error(out[k], refs[name])
    i = int(np.argmax(err))
    assert err[i] <= bound, (
        f"v{name}({x[k, i]!r}) = {out[k, i]!r}, reference {refs[name][i]!r}: "
        f"{err[i]:.3g} ulp > {bound}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_special_values_exact(results, name):
    """At ±0, ±inf, NaN, subnormals and the extremes, results that are exact in float64
    (0, ±1, 1/2, ±inf, NaN) are NumPy's, sign of zero included."""
    x, out, refs, _ = results
    k = NAMES.index(name)
    n = len(SPECIAL)
    got, want = out[k, :n], refs[name][:n].astype(np.float64)
    exact = np.isnan(want) | np.isin(want, [0.0, 1.0, -1.0, 0.5, np.inf, -np.inf])
    same = (np.isnan(got) & np.isnan(want)) | (
        (got == want) & (np.signbit(got) == np.signbit(want))
    )
    bad = exact & ~same
    assert not bad.any(), f"v{name} at {x[k, :n][bad]}: got {got[bad]}, want {want[bad]}"


def test_loop_vectorises(results):
    """The one loop over all thirteen functions compiles to 256- or 512-bit FMA code: none
    of them calls libm or branches in a way that stops LLVM's loop vectoriser."""
    from llvmlite import binding as llvm

    features = llvm.get_host_cpu_features()
    if numba.config.CPU_NAME not in (None, "host") or not (
        features.get("avx2") and features.get("fma")
    ):
        pytest.skip("Numba does not target an AVX2 + FMA host")
    apply_all = results[3]
    asm = apply_all.inspect_asm(apply_all.signatures[0])
    assert "vfmadd" in asm and ("ymm" in asm or "zmm" in asm)


# float32 versions: name -> (reference, max float32 ulp, random points)
CASES32 = {
    "exp": (np.exp, 1.25, lambda r, n: _log_uniform(r, 1e-10, 110, n)),
    "log": (np.log, 0.75, lambda r, n: _log_uniform(r, 1e-45, 3.4e38, n, signed=False)),
    "tanh": (np.tanh, 2.75, lambda r, n: _log_uniform(r, 1e-40, 20, n)),
    "logistic": (_logistic, 2.5, lambda r, n: _log_uniform(r, 1e-40, 120, n)),
}
SPECIAL32 = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.1754944e-38, 3.4028235e38,
     -3.4028235e38, 88.72283, 88.72284, -87.33654, -103.97208, -103.97209, -104.5, 1.0],
    dtype=np.float32,
)  # fmt: skip


@pytest.fixture(scope="module")
def results32():
    f0, f1, f2, f3 = (getattr(vmath, vmath.VMATH32[name]) for name in CASES32)

    @numba.njit
    def apply_all(x, out):
        for i in range(x.shape[1]):
            out[0, i] = f0(x[0, i])
            out[1, i] = f1(x[1, i])
            out[2, i] = f2(x[2, i])
            out[3, i] = f3(x[3, i])

    rng = np.random.default_rng(32)
    x = np.stack([np.concatenate([SPECIAL32, c[2](rng, N)]) for c in CASES32.values()])
    x = x.astype(np.float32)
    out = np.empty_like(x)
    apply_all(x, out)
    return x, out, apply_all


@pytest.mark.parametrize("name", list(CASES32))
def test_float32_versions(results32, name):
    """Max error in float32 ulps, special values exact (sign of zero included)."""
    x, out, _ = results32
    k = list(CASES32).index(name)
    ref, bound, _ = CASES32[name]
    with np.errstate(all="ignore"):
        want_ld = ref(x[k].astype(LD))
        want = want_ld.astype(np.float32)
        err = np.abs(out[k].astype(LD) - want_ld) / np.spacing(np.abs(want)).astype(LD)
    exact = np.isnan(want) | np.isinf(want) | (want == 0)
    same = (np.isnan(out[k]) & np.isnan(want)) | (
        (out[k] == want) & (np.signbit(out[k]) == np.signbit(want))
    )
    err = np.where(exact, np.where(same, 0.0, np.inf), err.astype(np.float64))
    i = int(np.argmax(err))
    assert err[i] <= bound, f"{name}({x[k, i]!r}) = {out[k, i]!r}, want {want[i]!r}"
    n = SPECIAL32.size
    assert same[:n][exact[:n]].all(), (x[k, :n], out[k, :n], want[:n])


def test_float32_loop_uses_8_lanes(results32):
    from llvmlite import binding as llvm

    if numba.config.CPU_NAME not in (None, "host") or not llvm.get_host_cpu_features().get("avx2"):
        pytest.skip("Numba does not target an AVX2 host")
    asm = results32[2].inspect_asm(results32[2].signatures[0])
    assert re.search(r"vfmadd\w*ps\s+%[yz]mm", asm)  # packed float32 FMA, 8 or 16 lanes


def test_fastmath_caller_gets_the_same_bits():
    """The functions are compiled once with fastmath off and inlined by LLVM, so a caller
    compiled with fastmath=True cannot reassociate their rounding tricks away."""

    def make(fastmath):
        @numba.njit(fastmath=fastmath)
        def loop(x, out):
            for i in range(x.size):
                out[0, i] = vmath.vexp(x[i])
                out[1, i] = vmath.vsin(x[i])
                out[2, i] = vmath.vlog1p(x[i])

        return loop

    rng = np.random.default_rng(1)
    x = np.concatenate([SPECIAL, rng.uniform(-800, 800, 5000), rng.uniform(-1, 1, 5000)])
    plain, fast = np.empty((3, x.size)), np.empty((3, x.size))
    make(False)(x, plain)
    make(True)(x, fast)
    assert np.array_equal(plain.view(np.int64), fast.view(np.int64))


def test_erf_against_mpmath():
    """SciPy's erf is itself up to 2 ulp off, so check verf against mpmath too."""
    mp = pytest.importorskip("mpmath")
    rng = np.random.default_rng(2)
    x = np.concatenate([_log_uniform(rng, 1e-10, 6, 1500), rng.uniform(0.5, 1.5, 500)])
    with mp.workprec(80):
        for v in x:
            want = mp.erf(mp.mpf(v))
            err = abs(mp.mpf(vmath.verf(v)) - want) / float(np.spacing(float(want)))
            assert err <= 1.0, (v, vmath.verf(v), want)


def test_float32_inputs_round_on_store():
    """float32 in, float64 out; stored to float32 it is the correctly rounded result."""

    @numba.njit
    def exp32(x, out):
        for i in range(x.size):
            out[i] = vmath.vexp(x[i])

    x = np.linspace(-103, 88, 20001, dtype=np.float32)
    out = np.empty_like(x)
    exp32(x, out)
    want = np.exp(x.astype(LD)).astype(np.float32)
    assert np.array_equal(out, want)


def test_disable_jit_falls_back_to_numpy():
    """With NUMBA_DISABLE_JIT=1 the names are NumPy's, so generated code still runs."""
    code = (
        "import importlib.util as u; "
        f"s = u.spec_from_file_location('vmath', {vmath.__file__!r}); "
        "m = u.module_from_spec(s); s.loader.exec_module(m); "
        "assert m.vexp(1.0) == 2.718281828459045 and m.vsoftplus(0.0) > 0.69"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def test_vmath_table_names_exist():
    for ufunc_name, fn_name in [*vmath.VMATH.items(), *vmath.VMATH32.items()]:
        assert callable(getattr(vmath, fn_name)), ufunc_name
        assert fn_name in vmath.__all__
    assert set(vmath.VMATH32) <= set(vmath.VMATH)
