"""Vectorisable float64 transcendental functions for generated Numba loops.

The pip llvmlite has no SVML, so ``math.exp`` or ``np.tanh`` inside a Numba loop is a
scalar libm call and the loop does not vectorise. These functions use only arithmetic,
comparisons (which LLVM turns into selects), FMA, rint and integer bit manipulation, so
``for i in range(n): out[i] = vexp(x[i])`` compiles to AVX2 (or AVX-512) code.

Contract: float64 in, float64 out; float32 and integer inputs are converted to float64
first, so for float32 the result, rounded on store, is correctly rounded but for rare
double roundings. exp, log, tanh and logistic also have float32 versions (``vexpf``...,
listed in ``VMATH32``), 3x faster, within 2.5 float32 ulp. Inf, NaN, -0.0, overflow,
underflow and subnormals give NumPy's result.
sin and cos are accurate for every finite float64 (no loss for large arguments).

Methods: Cody-Waite range reduction (for sin/cos a branch-free Payne-Hanek reduction
with a 32 KiB table of 2/pi bits, computed at import with integer arithmetic), then
minimax polynomials fitted for this module with a Remez exchange in mpmath. Powers of
two are built by adding an integer to the exponent field; there is no libm call, no
data-dependent branch and no int64 <-> float64 conversion (AVX2 has none).

Measured on this project's machine (AMD EPYC Zen 1: AVX2 + FMA, no AVX-512, 2 GHz,
shared with other jobs; Numba 0.68, NumPy 2.4). Max error in ulps against an
extended-precision reference (x87 long double; mpmath for erf) over 3 x 1e6 log-uniform
points per function plus edge cases, as in tests/test_vmath.py; 0.5 would be correct
rounding. Time in ns per element of ``out[i] = f(x[i])``, float64, best of 300 runs over
1e5 elements (benchmarks/bench_vmath.py; on an idle machine 1e6 elements gave the same
figures, the memory traffic overlapping). NumPy's SIMD float64 loops for these need
AVX-512, so here its ufuncs are scalar libm calls too:

===========  ========  ========  ===========  ===========
function     max ulp   vmath ns  math.* loop  NumPy ufunc
===========  ========  ========  ===========  ===========
exp           0.98      4.3        7.5          8.7
exp2          1.10      4.4        4.5 (pow)    7.1
expm1         1.77      4.4       19.8         19.9
log           0.63      5.7        6.6          6.5
log2          0.65      6.0        6.6          7.5
log1p         0.63      6.2       12.7         12.7
tanh          2.45      5.1       27.5         34.9
logistic      1.91      4.6        8.9         10.2 (expit)
softplus      1.40     12.1       36.4         31.4 (logaddexp)
sin           0.80     16.8       27.4         27.2
cos           0.83     16.4       28.3         28.3
arctan        1.66      4.9       15.0         14.9
erf           0.91     10.1       25.8         28.4 (scipy)
===========  ========  ========  ===========  ===========

float32 versions (``VMATH32``: computed in float32, 8 lanes per vector; max error in
float32 ulps against the same reference, 3 x 1e6 points; ns as above on float32 data,
against the float64 version rounded on store and NumPy's float32 ufunc):

===========  ========  ==========  ===============  ===========
function     max ulp   vmath32 ns  float64 version  NumPy ufunc
===========  ========  ==========  ===============  ===========
exp           1.05      1.4         4.4              3.6
log           0.65      1.9         5.7              4.6
tanh          2.48      1.8         5.8              6.9
logistic      2.11      1.7         5.1              6.8 (expit)
===========  ========  ==========  ===============  ===========

Zen 1 splits each 256-bit instruction in two 128-bit halves, and exp is about 30 vector
instructions per 4 elements, so a CPU with full-width AVX2 or AVX-512 should do about
twice as well. sin and cos pay for the exact reduction at every argument (four table
loads, double-double sums): a Cody-Waite-only version measured 4.5 ns but is wrong
beyond |x| ~ 1e5.

Each function is ``njit(forceinline=True)``: Numba compiles it once, with fastmath off,
and LLVM always inlines it into the caller's loop, keeping its instruction flags. So a
caller compiled with ``fastmath=True`` gets the same bits; ``inline="always"`` would
instead re-lower Numba IR with the caller's flags and could reassociate away the
rounding tricks below. ``error_model="numpy"`` keeps divisions free of the
ZeroDivisionError branch that would block vectorisation. Using one costs a generated
function about 20-50 ms more LLVM time than calling libm.

FMA is part of the algorithms (exact products in the sin/cos reduction): on a CPU
without it (or with NUMBA_CPU_NAME=x86-64) llvm.fma becomes a libm call, the results
are the same (the tests pass) but the loops are scalar and slow. A caller cached with
Numba's ``cache=True`` holds an inlined copy of these functions, which Numba does not
invalidate when this file changes: key such caches on this file's contents too.

Under ``NUMBA_DISABLE_JIT=1`` the names are bound to NumPy/SciPy functions, so
generated source still runs as plain Python.
"""

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

# NumPy ufunc name (for logistic, softplus and erf: the name JAX's lax uses) -> function
# name, so the code generator can emit ``vexp(x)`` after importing it from here.
VMATH = {
    "exp": "vexp",
    "exp2": "vexp2",
    "expm1": "vexpm1",
    "log": "vlog",
    "log2": "vlog2",
    "log1p": "vlog1p",
    "tanh": "vtanh",
    "sin": "vsin",
    "cos": "vcos",
    "arctan": "vatan",
    "logistic": "vlogistic",
    "softplus": "vsoftplus",
    "erf": "verf",
}
# The same for float32 arguments and results, where a float32 version exists; elsewhere
# use VMATH's and round the result.
VMATH32 = {"exp": "vexpf", "log": "vlogf", "tanh": "vtanhf", "logistic": "vlogisticf"}
__all__ = ["VMATH", "VMATH32", *VMATH.values(), *VMATH32.values()]

_jit = numba.njit(cache=True, error_model="numpy", forceinline=True)

# ---------------------------------------------------------------------------------------
# LLVM building blocks: bit casts, fused multiply-add, round-to-nearest-even.


@intrinsic
def _f2i(typingctx, x):
    """The bits of a float64 as an int64."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _i2f(typingctx, i):
    """The float64 whose bits are the int64 i."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


def _llvm_call(name, nargs, ty=None):
    def codegen(context, builder, sig, args):
        t = ty or ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(t, [t] * nargs), name)
        return builder.call(fn, args)

    return codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (one vfmadd on FMA hardware, a libm call elsewhere)."""
    sig = types.float64(types.float64, types.float64, types.float64)
    return sig, _llvm_call("llvm.fma.f64", 3)


@intrinsic
def _rint(typingctx, x):
    """x rounded to the nearest integer, ties to even (vroundpd)."""
    return types.float64(types.float64), _llvm_call("llvm.rint.f64", 1)


# ---------------------------------------------------------------------------------------
# Constants. Bit patterns are int64; float constants are correctly rounded values.

_INF = float("inf")
_NAN = float("nan")
_SIGN = -(1 << 63)  # sign bit as int64
_MANT = (1 << 52) - 1  # mantissa field
_ONE_BITS = 1023 << 52  # bits of 1.0

# Adding 1.5 * 2**52 to |y| < 2**51 rounds y to an integer n held in the low mantissa
# bits: bits(y + SHIFT) = bits(SHIFT) + n, and (y + SHIFT) - SHIFT == n exactly.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000

_LOG2E = 1.4426950408889634  # 1/ln 2
_LOG2E_LO = 2.0355273740931033e-17  # 1/ln 2 - _LOG2E
_LN2 = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17  # ln 2 - _LN2
# ln 2 split so that k * _LN2_HI is exact for |k| < 2**21 (the low 21 bits are zero).
_LN2_HI = 0.6931471803691238
_LN2_HI_LO = 1.9082149292705877e-10  # ln 2 - _LN2_HI
_PIO2 = 1.5707963267948966
_PIO2_LO = 6.123233995736766e-17
_PIO4 = 0.7853981633974483
_PIO4_LO = 3.061616997868383e-17

# expm1(r) = r + r^2 P(r) on |r| <= ln2/2; relative error of P below 2.8e-18.
_EXPM1 = (
    0.5, 0.1666666666666667, 0.041666666666666616, 0.008333333333326162, 0.001388888888891798,
    0.0001984126987474082, 2.4801587245708003e-05, 2.755725548881358e-06,
    2.7557349633016106e-07, 2.510518421532937e-08, 2.0889375863212716e-09,
)  # fmt: skip

# log(1+f) = 2 atanh(s) = 2s + s z Q(z), s = f/(2+f), z = s^2 <= 0.0295; rel. error 4.6e-16
# in Q, which enters the result scaled by z/3 < 0.01.
_LOG = (
    0.666666666666667, 0.39999999999897856, 0.2857142862670261, 0.22222211018639648,
    0.18182897438527051, 0.15331449386587456, 0.1461977143024057,
)  # fmt: skip

# sin y = y + y z S(z), cos y = 1 - z/2 + z^2 C(z), z = y^2 <= 0.6185 (|y| <= pi/4 + eps).
_SIN = (
    -0.16666666666666666, 0.008333333333330892, -0.00019841269836679023, 2.755731606339734e-06,
    -2.5051124027159605e-08, 1.5917585865713649e-10,
)  # fmt: skip
_COS = (
    0.041666666666666664, -0.0013888888888887367, 2.48015872987228e-05, -2.7557317250342216e-07,
    2.087614195095941e-09, -1.1382329495701612e-11,
)  # fmt: skip

# atan t = t - t z Q(z), z = t^2 <= 0.172 (|t| <= tan(pi/8)); rel. error 9.5e-17 in Q.
_ATAN = (
    0.3333333333333333, -0.1999999999999551, 0.14285714284662457, -0.11111111014816334,
    0.09090904556389554, -0.07692182608772309, 0.06664502303583916, -0.05858062280073832,
    0.050849630952806986, -0.03921674389415207, 0.01915768461120096,
)  # fmt: skip


# erf a = a + a Q(a^2) for a < 0.84375, absolute error of Q 1.0e-17.
_ERF_SMALL = (
    0.12837916709551256, -0.3761263890318341, 0.11283791670935653, -0.026866170640841017,
    0.005223977576933583, -0.0008548323820167344, 0.0001205520086282106,
    -1.4922139695431386e-05, 1.6401845022807398e-06, -1.5715877486259256e-07,
    1.073053320036766e-08,
)  # fmt: skip
# erfc a = exp(-a^2) R(w), w = (a - 2.2) / (a + 2.2), for 0.84375 <= a <= 6; relative
# error of R 1.5e-17.
_ERF_BIG = (
    0.23559296367861404, -0.40378855840228745, 0.24861797308153566, -0.10034300603786832,
    0.01800497768352951, 0.004463700751110846, -0.0025232707691757467,
    -0.0003982499096176904, 0.00035168632491157045, 8.473448726137996e-05,
    -4.912984810503358e-05, -2.3522390313877105e-05, 4.481308301328755e-06,
    5.867925162635864e-06, 6.678986529843154e-07, -1.0095102872592295e-06,
    -3.733658142803929e-07,
)  # fmt: skip

# ---------------------------------------------------------------------------------------
# exp family


@_jit
def _horner(c, x):
    """c[0] + c[1] x + ... for a tuple c of constants (unrolled by Numba)."""
    p = c[-1]
    for i in range(len(c) - 2, -1, -1):
        p = _fma(p, x, c[i])
    return p


@_jit
def _expm1_poly(r):
    """expm1(r) for |r| <= ln2/2 (+ a little), keeping relative accuracy near 0.

    The polynomial is evaluated by Estrin's scheme: a dependency chain of 5 multiply-adds
    instead of Horner's 10, so that a loop over elements is not bound by their latency
    (tanh: 5.7 -> 5.0 ns an element here). Its terms shrink fast (|r| < 0.35),
    so the rounding of the pairs stays below Horner's in the result."""
    c = _EXPM1
    r2 = r * r
    r4 = r2 * r2
    q0 = _fma(_fma(c[3], r, c[2]), r2, _fma(c[1], r, c[0]))
    q1 = _fma(_fma(c[7], r, c[6]), r2, _fma(c[5], r, c[4]))
    q2 = _fma(c[10], r2, _fma(c[9], r, c[8]))
    return _fma(r2, _fma(_fma(q2, r4, q1), r4, q0), r)


@_jit
def _exp_finish(e, kb, neg):
    """2^k (1 + e), where bits(kb) holds k in its low bits (see _SHIFT).

    k ranges over [-1076, 1024], wider than one normal exponent field: scale by
    2^(k+60) then 2^-60 below zero (the subnormal rounding happens once, in the last
    multiply), by 2^(k-1) then 2 above (2^1024 overflows to inf there and only there).
    """
    bias = (1023 + 60) << 52 if neg else (1023 - 1) << 52
    s = _i2f((kb << 52) + bias)
    return _fma(s, e, s) * (8.673617379884035e-19 if neg else 2.0)


@_jit
def vexp(x):
    """e**x."""
    x = float(x)
    # Clamp (keeping NaN): below -746 the result rounds to 0, above 710 to inf.
    xc = 710.0 if x > 710.0 else x
    xc = -746.0 if xc < -746.0 else xc
    kd = xc * _LOG2E + _SHIFT
    kb = _f2i(kd)
    kd = kd - _SHIFT
    r = _fma(-kd, _LN2_HI, xc)  # exact
    r = _fma(-kd, _LN2_HI_LO, r)
    return _exp_finish(_expm1_poly(r), kb, xc < 0.0)


@_jit
def vexp2(x):
    """2**x."""
    x = float(x)
    xc = 1024.0 if x > 1024.0 else x
    xc = -1080.0 if xc < -1080.0 else xc
    kd = xc + _SHIFT
    kb = _f2i(kd)
    f = xc - (kd - _SHIFT)  # exact, |f| <= 1/2
    # r = f ln 2 to about 2^-100, as r_hi + r_lo; exp(r_hi + r_lo) ~ (1 + e)(1 + r_lo).
    r = f * _LN2
    r_lo = _fma(f, _LN2, -r) + f * _LN2_LO
    e = _expm1_poly(r)
    e = _fma(r_lo, e, e + r_lo)
    return _exp_finish(e, kb, xc < 0.0)


@_jit
def vexpm1(x):
    """e**x - 1, accurate near 0."""
    x = float(x)
    # Below -40 the result rounds to -1; above 710 it overflows.
    xc = 710.0 if x > 710.0 else x
    xc = -40.0 if xc < -40.0 else xc
    kd = xc * _LOG2E + _SHIFT
    kb = _f2i(kd)
    kd = kd - _SHIFT
    r = _fma(-kd, _LN2_HI, xc)
    r = _fma(-kd, _LN2_HI_LO, r)
    e = _expm1_poly(r)
    # 2^k (1 + e) - 1 = 2 (h e + (h - 1/2)) with h = 2^(k-1), k in [-58, 1024]: h - 1/2
    # is exact for k <= 53, and the factor 2 lets k = 1024 overflow only when it should.
    h = _i2f((kb << 52) + ((1023 - 1) << 52))
    res = 2.0 * _fma(h, e, h - 0.5)
    return x if x == 0.0 else res  # keep the sign of -0.0


@_jit
def _exp_neg(y):
    """e**y for y <= 0 or NaN (the part of vexp that logistic and softplus need)."""
    yc = -746.0 if y < -746.0 else y
    kd = yc * _LOG2E + _SHIFT
    kb = _f2i(kd)
    kd = kd - _SHIFT
    r = _fma(-kd, _LN2_HI, yc)
    r = _fma(-kd, _LN2_HI_LO, r)
    e = _expm1_poly(r)
    s = _i2f((kb << 52) + ((1023 + 60) << 52))
    return _fma(s, e, s) * 8.673617379884035e-19


@_jit
def vtanh(x):
    """tanh x = sign(x) |e / (e + 2)| with e = expm1(-2|x|) in (-1, 0]: no cancellation.

    (Switching to 1 - 2u / (1 + u), u = e**(-2|x|), for large |x| measured no more
    accurate and 1.7x slower.)
    """
    x = float(x)
    y = -2.0 * abs(x)
    y = -40.0 if y < -40.0 else y  # tanh rounds to 1 from |x| = 19.1 on; keeps NaN
    kd = y * _LOG2E + _SHIFT
    kb = _f2i(kd)
    kd = kd - _SHIFT
    r = _fma(-kd, _LN2_HI, y)
    r = _fma(-kd, _LN2_HI_LO, r)
    p = _expm1_poly(r)
    h = _i2f((kb << 52) + ((1023 - 1) << 52))  # as in vexpm1
    e = 2.0 * _fma(h, p, h - 0.5)
    t = abs(e / (e + 2.0))
    return _i2f(_f2i(t) | (_f2i(x) & _SIGN))  # copy the sign of x (also onto 0)


@_jit
def vlogistic(x):
    """1 / (1 + e**-x), from t = e**-|x| in (0, 1] on both sides of 0."""
    x = float(x)
    t = _exp_neg(-abs(x))
    return (1.0 if x >= 0.0 else t) / (1.0 + t)


# ---------------------------------------------------------------------------------------
# log family


@_jit
def _log_poly(f, s):
    """log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1] and s = f / (2 + f) (to an ulp or
    two: it only enters the small term), as (hi, lo) with hi = f - f^2/2 and |lo| < 0.1
    |hi|, so hi + lo carries a few bits beyond double."""
    z = s * s
    q = _horner(_LOG, z)
    hfsq = 0.5 * f * f
    hi = f - hfsq
    # log(1+f) = f - hfsq + s (hfsq + z Q); f - hi is exact (Sterbenz).
    lo = _fma(s, _fma(z, q, hfsq), (f - hi) - hfsq)
    return hi, lo


@_jit
def _log_reduce(u):
    """For normal u > 0: (k, m) with u = 2^k m, m in [sqrt(1/2), sqrt(2)), k as a float."""
    ix = _f2i(u) - 0x3FE6A09E667F3BCD  # bits(u) - bits(sqrt(1/2))
    k = ix >> 52
    m = _i2f((ix & _MANT) + 0x3FE6A09E667F3BCD)
    kd = _i2f(k + _SHIFT_BITS) - _SHIFT  # int64 -> float without cvtqq2pd
    return kd, m


@_jit
def _log_combine(kd, hi, lo):
    """k ln 2 + hi + lo, rounding once at the end (k ln2_hi is exact, and Fast2Sum's
    |k ln2_hi| >= |hi| holds for k != 0)."""
    a = kd * _LN2_HI
    s = a + hi
    err = (a - s) + hi
    return s + (err + _fma(kd, _LN2_HI_LO, lo))


@_jit
def _log_special(x, res):
    """log's values at +inf, NaN, 0 and below 0."""
    res = res if x < _INF else x
    return res if x > 0.0 else (-_INF if x == 0.0 else _NAN)


@_jit
def vlog(x):
    """Natural logarithm."""
    x = float(x)
    sub = x < 2.2250738585072014e-308  # subnormal (or <= 0): scale into the normal range
    u = x * 4503599627370496.0 if sub else x
    kd, m = _log_reduce(u)
    kd = kd - 52.0 if sub else kd
    f = m - 1.0
    hi, lo = _log_poly(f, f / (2.0 + f))
    return _log_special(x, _log_combine(kd, hi, lo))


@_jit
def vlog2(x):
    """Base-2 logarithm."""
    x = float(x)
    sub = x < 2.2250738585072014e-308
    u = x * 4503599627370496.0 if sub else x
    kd, m = _log_reduce(u)
    kd = kd - 52.0 if sub else kd
    f = m - 1.0
    hi, lo = _log_poly(f, f / (2.0 + f))
    # (hi + lo) / ln 2 in double-double, then add the integer k exactly.
    p = hi * _LOG2E
    p_lo = _fma(hi, _LOG2E, -p) + _fma(lo, _LOG2E, hi * _LOG2E_LO)
    res = kd + p
    err = (kd - res) + p  # exact: |kd| >= 1 > |p| or kd == 0
    return _log_special(x, res + (err + p_lo))


@_jit
def vlog1p(x):
    """log(1 + x), accurate near 0."""
    x = float(x)
    u = 1.0 + x
    kd, m = _log_reduce(u)
    near = kd == 0.0  # 1 + x in [sqrt(1/2), sqrt(2)): use f = x itself, exactly
    f = x if near else m - 1.0
    # Otherwise add the rounding error c of u = fl(1 + x) as c / u (Fast2Sum gives c).
    c = 1.0 - (u - x) if x >= 1.0 else x - (u - 1.0)
    c = 0.0 if near else c / u
    hi, lo = _log_poly(f, f / (2.0 + f))
    res = _log_combine(kd, hi, lo + c)
    res = res if x < _INF else x
    res = res if x > -1.0 else (-_INF if x == -1.0 else _NAN)
    return x if x == 0.0 else res  # keep the sign of -0.0


@_jit
def vsoftplus(x):
    """log(1 + e**x) = max(x, 0) + log(1 + t), t = e**-|x| in (0, 1]: stable for every x."""
    x = float(x)
    t = _exp_neg(-abs(x))
    u = 1.0 + t
    c = t - (u - 1.0)  # the rounding error of u, exactly (Fast2Sum)
    # log(1 + t) = log1p(t) below u = sqrt(2); above, log 2 + log1p(u/2 - 1) + c/u, where
    # u/2 - 1 is exact and c/u, under an ulp of the result, is c times a chord of 1/u
    # (3% off) instead of a division.
    big = u > 1.4142135623730951
    f = 0.5 * u - 1.0 if big else t
    c = c * _fma(-0.35355339059327373, u, 1.2071067811865475) if big else 0.0
    hi, lo = _log_poly(f, f / (2.0 + f))
    return (x if x > 0.0 else 0.0) + _log_combine(1.0 if big else 0.0, hi, lo + c)


# ---------------------------------------------------------------------------------------
# sin, cos: Payne-Hanek reduction x = n pi/2 + r for every finite x.
#
# For a = |x| = a' 2^E with a' in [1, 2) (E >= 1; for a < 2 take E = 0 and a' = a), the
# bits of 2/pi worth >= 2^(54-E) contribute multiples of 4 to a (2/pi): drop them. Row E
# of _TWO_OVER_PI holds the next 211 bits, times 2^E, as four doubles with weights
# [2^54, 2^2), [2^2, 2^-51), [2^-51, 2^-104), [2^-104, 2^-157): a' * row is a (2/pi) mod 4
# to about 2^-156, enough for the worst case |r| ~ 2^-61 over all doubles. The first
# chunk has 52 bits so that a' u0 - 4m is exact in one FMA (|.| < 8, lowest bit 2^-50).


def _two_over_pi_table():
    """Rows E = 0..1023 of (2/pi * 2^E mod 2^54) in 4 doubles, computed with integers."""
    prec = 1300  # bits after the binary point; row 1023 needs 1180

    def arctan_inv(n, bits):  # arctan(1/n) * 2^bits
        total, term, k = 0, (1 << bits) // n, 0
        while term:
            total += (-1) ** k * (term // (2 * k + 1))
            term //= n * n
            k += 1
        return total

    guard = prec + 64
    pi = 16 * arctan_inv(5, guard) - 4 * arctan_inv(239, guard)  # Machin's formula
    two_over_pi = (2 << (2 * guard)) // pi >> (guard - prec)  # 2/pi * 2^prec
    rows = np.empty((1024, 4))
    for e in range(1024):
        w = (two_over_pi << e) & ((1 << (54 + prec)) - 1)
        for j, (hi, lo) in enumerate(((54, 2), (2, -51), (-51, -104), (-104, -157))):
            bits = (w >> (prec + lo)) & ((1 << (hi - lo)) - 1)
            rows[e, j] = np.ldexp(float(bits), lo)
    return rows.ravel()


_TWO_OVER_PI = _two_over_pi_table()


@_jit
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@_jit
def _rem_pio2(a):
    """For finite a >= 0: (y, y_lo, q) with a = (4j + q) pi/2 + y + y_lo, |y| <= pi/4."""
    ab = _f2i(a)
    e = (ab >> 52) - 1023
    big = e > 0
    row = 4 * e if big else 0
    am = _i2f((ab & _MANT) | _ONE_BITS) if big else a
    u0 = _TWO_OVER_PI[row]
    u1 = _TWO_OVER_PI[row + 1]
    u2 = _TWO_OVER_PI[row + 2]
    u3 = _TWO_OVER_PI[row + 3]
    h0 = am * u0  # < 2^55: take it mod 4 exactly, in one FMA
    h0 = _fma(am, u0, -4.0 * _rint(0.25 * h0))
    h1 = am * u1  # < 8
    l1 = _fma(am, u1, -h1)
    h2 = am * u2  # < 2^-50
    l2 = _fma(am, u2, -h2)
    h3 = am * u3
    s, e1 = _two_sum(h0, h1)
    n = _rint(s)
    s = s - n  # exact, |s| <= 1/2
    # s + e1 + l1 + h2 + l2 + h3 can cancel down to 2^-61: sum it double-double.
    s, e2 = _two_sum(s, e1)
    s, e3 = _two_sum(s, l1)
    s, e4 = _two_sum(s, h2)
    lo = (e2 + (e3 + e4)) + (l2 + h3)
    hi = s + lo
    lo = lo - (hi - s)
    # times pi/2, double-double
    y = hi * _PIO2
    y_lo = _fma(hi, _PIO2, -y) + _fma(hi, _PIO2_LO, lo * _PIO2)
    yh = y + y_lo
    y_lo = y_lo - (yh - y)
    q = _f2i(n + _SHIFT) & 3  # n mod 4, also for n < 0
    return yh, y_lo, q


@_jit
def _sin_kernel(y, y_lo, z):
    """sin(y + y_lo) for |y| <= pi/4, |y_lo| <= ulp(y), z = y^2."""
    return y + _fma(y * z, _horner(_SIN, z), _fma(-0.5 * z, y_lo, y_lo))


@_jit
def _cos_kernel(y, y_lo, z):
    """cos(y + y_lo) for |y| <= pi/4, |y_lo| <= ulp(y), z = y^2."""
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + _fma(z * z, _horner(_COS, z), -y * y_lo))


@_jit
def vsin(x):
    """Sine, accurate for every finite float64."""
    x = float(x)
    finite = abs(x) < _INF
    a = abs(x) if finite else 0.0
    y, y_lo, q = _rem_pio2(a)
    z = y * y
    v = _cos_kernel(y, y_lo, z) if q & 1 else _sin_kernel(y, y_lo, z)
    # sin(-x) = -sin x; quadrants 2 and 3 flip the sign again.
    v = _i2f(_f2i(v) ^ ((_f2i(x) & _SIGN) ^ ((q & 2) << 62)))
    v = x if abs(x) < 7.450580596923828e-09 else v  # sin x rounds to x below 2^-27
    return v if finite else x - x


@_jit
def vcos(x):
    """Cosine, accurate for every finite float64."""
    x = float(x)
    finite = abs(x) < _INF
    a = abs(x) if finite else 0.0
    y, y_lo, q = _rem_pio2(a)
    z = y * y
    v = _sin_kernel(y, y_lo, z) if q & 1 else _cos_kernel(y, y_lo, z)
    v = _i2f(_f2i(v) ^ (((q + 1) & 2) << 62))  # quadrants 1 and 2 are negative
    return v if finite else x - x


# ---------------------------------------------------------------------------------------
# atan


@_jit
def vatan(x):
    """Arc tangent, in [-pi/2, pi/2]."""
    x = float(x)
    a = abs(x)
    # atan a = base + atan t with |t| <= tan(pi/8): t = a, (a-1)/(a+1) or -1/a.
    mid = a > 0.41421356237309503
    far = a > 2.414213562373095
    num = -1.0 if far else (a - 1.0 if mid else a)
    den = a if far else (a + 1.0 if mid else 1.0)
    base = _PIO2 if far else (_PIO4 if mid else 0.0)
    base_lo = _PIO2_LO if far else (_PIO4_LO if mid else 0.0)
    t = num / den
    z = t * t
    res = base + (t + _fma(-t * z, _horner(_ATAN, z), base_lo))
    return _i2f(_f2i(res) | (_f2i(x) & _SIGN))  # res >= 0 (or NaN): copy the sign of x


# ---------------------------------------------------------------------------------------
# erf


@_jit
def verf(x):
    """Error function: a + a Q(a^2) below |x| = 0.84375, 1 - exp(-a^2) R(a) above."""
    x = float(x)
    a = abs(x)
    small = a < 0.84375
    ac = 6.0 if a > 6.0 else a  # erf rounds to 1 from 5.92 on; keeps NaN
    # exp(-a^2) = exp(-hi) (1 - lo) with a^2 = hi + lo exactly
    hi = ac * ac
    lo = _fma(ac, ac, -hi)
    erfc = _exp_neg(-hi) * (1.0 - lo) * _horner(_ERF_BIG, (ac - 2.2) / (ac + 2.2))
    res = _fma(a, _horner(_ERF_SMALL, a * a), a) if small else 1.0 - erfc
    return _i2f(_f2i(res) | (_f2i(x) & _SIGN))  # res >= 0 or NaN: copy the sign of x


# ---------------------------------------------------------------------------------------
# float32: exp, log, tanh, logistic computed in float32, 8 lanes per AVX2 vector (about
# 4x the float64 versions' speed). The constants are np.float32 and the integer work is
# in int32 intrinsics: Numba would widen Python floats and int32 arithmetic to 64 bits.


@intrinsic
def _fmaf(typingctx, a, b, c):
    """float32 a * b + c rounded once."""
    sig = types.float32(types.float32, types.float32, types.float32)
    return sig, _llvm_call("llvm.fma.f32", 3, ir.FloatType())


def _pow2f(bias):
    """An intrinsic for 2^(k + bias - 127) from kd = k + 1.5 * 2^23 (the float32 shifter)."""

    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        k = builder.shl(builder.bitcast(args[0], i32), ir.Constant(i32, 23))
        return builder.bitcast(builder.add(k, ir.Constant(i32, bias << 23)), ir.FloatType())

    return intrinsic(lambda typingctx, kd: (types.float32(types.float32), codegen))


_pow2f_up = _pow2f(127 + 30)  # 2^(k+30), for results that may be subnormal
_pow2f_down = _pow2f(127 - 1)  # 2^(k-1), for results that may overflow


@intrinsic
def _logf_reduce(typingctx, u):
    """(k, m) as float32 with u = 2^k m, m in [sqrt(1/2), sqrt(2)), for normal u > 0."""

    def codegen(context, builder, sig, args):
        i32, f = ir.IntType(32), ir.FloatType()
        ix = builder.sub(builder.bitcast(args[0], i32), ir.Constant(i32, 0x3F3504F3))
        k = builder.ashr(ix, ir.Constant(i32, 23))
        kd = builder.sitofp(k, f)  # int32 -> float32 has a vector instruction
        m = builder.add(
            builder.and_(ix, ir.Constant(i32, (1 << 23) - 1)), ir.Constant(i32, 0x3F3504F3)
        )
        return context.make_tuple(builder, sig.return_type, [kd, builder.bitcast(m, f)])

    return types.UniTuple(types.float32, 2)(types.float32), codegen


@intrinsic
def _copysignf(typingctx, a, b):
    sig = types.float32(types.float32, types.float32)
    return sig, _llvm_call("llvm.copysign.f32", 2, ir.FloatType())


_f = np.float32
_SHIFT_F = _f(12582912.0)  # 1.5 * 2^23
_LOG2E_F, _LN2_HI_F, _LN2_LO_F = _f(1.4426950216293335), _f(0.693145751953125), _f(1.4286068e-06)
_ZERO_F, _HALF_F, _ONE_F, _TWO_F = _f(0.0), _f(0.5), _f(1.0), _f(2.0)
# expm1(r) = r + r^2 P(r), |r| <= ln2/2, and log's Q(z), z <= 0.0295, fitted for float32
_EXPM1_F = (_f(0.5), _f(0.16666578), _f(0.041666854), _f(0.008363146), _f(0.0013901287))
_LOG_F = (_f(0.66666687), _f(0.39988714), _f(0.29582724))


@_jit
def _expf_core(x):
    """(e, kd) with e**x = 2^k (1 + e), for x in [-104, 89]; kd holds k as in vexp."""
    kd = x * _LOG2E_F + _SHIFT_F
    k = kd - _SHIFT_F
    r = _fmaf(-k, _LN2_HI_F, x)  # k * _LN2_HI_F is exact (16-bit constant)
    r = _fmaf(-k, _LN2_LO_F, r)
    p = _EXPM1_F[4]
    for c in (_EXPM1_F[3], _EXPM1_F[2], _EXPM1_F[1], _EXPM1_F[0]):
        p = _fmaf(p, r, c)
    return _fmaf(r * r, p, r), kd


@_jit
def _expf_neg(y):
    """e**y for float32 y <= 0 or NaN."""
    yc = _f(-104.0) if y < _f(-104.0) else y
    e, kd = _expf_core(yc)
    s = _pow2f_up(kd)  # scaled up, so that subnormal results round once
    return _fmaf(s, e, s) * _f(9.313225746154785e-10)


@_jit
def vexpf(x):
    """float32 e**x (0.5 ulp + a little)."""
    x = np.float32(x)
    xc = _f(89.0) if x > _f(89.0) else x
    xc = _f(-104.0) if xc < _f(-104.0) else xc
    e, kd = _expf_core(xc)
    neg = xc < _ZERO_F
    s = _pow2f_up(kd) if neg else _pow2f_down(kd)
    return _fmaf(s, e, s) * (_f(9.313225746154785e-10) if neg else _TWO_F)


@_jit
def vlogf(x):
    """float32 natural logarithm."""
    x = np.float32(x)
    sub = x < _f(1.1754944e-38)
    kd, m = _logf_reduce(x * _f(8388608.0) if sub else x)
    kd = kd - _f(23.0) if sub else kd
    f = m - _ONE_F
    s = f / (_TWO_F + f)
    z = s * s
    q = _fmaf(_fmaf(_LOG_F[2], z, _LOG_F[1]), z, _LOG_F[0])
    hfsq = _HALF_F * f * f
    hi = f - hfsq
    lo = _fmaf(s, _fmaf(z, q, hfsq), (f - hi) - hfsq)
    a = kd * _LN2_HI_F
    t = a + hi
    res = t + (((a - t) + hi) + _fmaf(kd, _LN2_LO_F, lo))
    res = res if x < _f(np.inf) else x
    return res if x > _ZERO_F else (_f(-np.inf) if x == _ZERO_F else _f(np.nan))


@_jit
def vtanhf(x):
    """float32 tanh, as vtanh: |e / (e + 2)|, e = expm1(-2|x|), with the sign of x."""
    x = np.float32(x)
    y = _f(-2.0) * abs(x)
    y = _f(-20.0) if y < _f(-20.0) else y
    p, kd = _expf_core(y)
    h = _pow2f_down(kd)
    e = _TWO_F * _fmaf(h, p, h - _HALF_F)
    return _copysignf(abs(e / (e + _TWO_F)), x)


@_jit
def vlogisticf(x):
    """float32 1 / (1 + e**-x)."""
    x = np.float32(x)
    t = _expf_neg(-abs(x))
    return (_ONE_F if x >= _ZERO_F else t) / (_ONE_F + t)


if numba.config.DISABLE_JIT:  # plain-Python debugging mode: use the reference functions
    import scipy.special

    vexp, vexp2, vexpm1, vlog, vlog2, vlog1p = np.exp, np.exp2, np.expm1, np.log, np.log2, np.log1p
    vtanh, vsin, vcos, vatan = np.tanh, np.sin, np.cos, np.arctan
    vlogistic, verf = scipy.special.expit, scipy.special.erf
    vexpf, vlogf, vtanhf, vlogisticf = np.exp, np.log, np.tanh, scipy.special.expit

    def vsoftplus(x):
        return np.logaddexp(0.0, x)
