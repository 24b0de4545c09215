"""tracejit.scipy.special: jax.scipy.special's functions, differentiable and batchable.

Arguments are promoted as JAX does (integers and bools to float64, float32 stays float32,
Python scalars are weak) and broadcast together. Functions with a primitive of their own
(gammaln, digamma, polygamma, gammainc, gammaincc, zeta, i0e, i1e, ndtri, betainc, erf,
erfc, erfinv, expit; see ops/special.py) bind it; the rest are composites of those, with
JAX's formulas: ndtr and log_ndtr from erf/erfc (an asymptotic series below -20), gamma
as sign · exp(gammaln), i0 and i1 as exp(|x|) · i0e/i1e. Derivatives follow JAX's,
including xlogy and xlog1py at x = 0 (d/dx = log y) and gammainc/gammaincc in `a`;
polygamma's order and betainc's `a` and `b` are not differentiable (as in JAX).
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as tnp
from ..custom import custom_jvp
from ..nn.activations import logsumexp as _nn_logsumexp
from ..numpy._core import broadcast_all, cast, dtype_of, promo_key
from ..ops import bits
from ..ops import elementwise as ew
from ..ops import special as sp

__all__ = [
    "bernoulli",
    "beta",
    "betainc",
    "betaln",
    "boxcox",
    "boxcox1p",
    "comb",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfinv",
    "expit",
    "factorial",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "poch",
    "polygamma",
    "rel_entr",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]


def _inexact_dtype(xs) -> np.dtype:
    """JAX's (x64) floating result type: the widest float argument; Python floats are
    weak (float64 only if nothing else is a float); integers and bools alone give
    float32 up to 32 bits, float64 for 64-bit ones."""
    keys = [promo_key(x) for x in xs]
    floats = [k for k in keys if isinstance(k, np.dtype) and np.issubdtype(k, np.inexact)]
    if floats:
        dt = np.result_type(*floats)
        if np.issubdtype(dt, np.complexfloating):
            raise NotImplementedError("tracejit.scipy supports real arguments only")
        return dt
    if float in keys or complex in keys:
        return np.dtype(np.float64)
    ints = [k for k in keys if isinstance(k, np.dtype)]
    if ints and max(k.itemsize for k in ints) <= 4:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def promote_inexact(*xs):
    """The arguments in one floating dtype (as jax's promote_args_inexact with x64),
    broadcast together; 0-d arguments stay 0-d (primitives accept them)."""
    dt = _inexact_dtype(xs)
    return broadcast_all([cast(x, dt) for x in xs])


def _c(value, like):
    return np.asarray(value, dtype=dtype_of(like))


# ---------------------------------------------------------------------------
# gamma and friends


def gammaln(x):
    """log|Γ(x)|."""
    (x,) = promote_inexact(x)
    return sp.lgamma(x)


def loggamma(x):
    """log Γ(x) for real x > 0 (NaN elsewhere: the real log is undefined there)."""
    (x,) = promote_inexact(x)
    return tnp.where(x > 0, sp.lgamma(x), np.nan)


def gammasgn(x):
    """The sign of Γ(x): 1, -1, or NaN at the poles (0 and the negative integers; -0 is -1)."""
    (x,) = promote_inexact(x)
    fl = tnp.floor(x)
    neg = x < 0
    pole = (neg & (x == fl)) | tnp.isnan(x)
    minus = (neg & (tnp.remainder(fl, 2) != 0)) | ((x == 0) & tnp.signbit(x))
    return tnp.where(pole, _c(np.nan, x), tnp.where(minus, _c(-1, x), _c(1, x)))


def gamma(x):
    """Γ(x) = gammasgn(x) · exp(gammaln(x))."""
    (x,) = promote_inexact(x)
    return gammasgn(x) * tnp.exp(sp.lgamma(x))


def factorial(n, exact=False):
    """n! = Γ(n + 1) for n >= 0, and 0 for n < 0."""
    if exact:
        raise NotImplementedError("factorial with exact=True")
    (n,) = promote_inexact(n)
    return tnp.where(n < 0, _c(0, n), tnp.exp(sp.lgamma(n + 1)))


def comb(N, k, *, repetition=False):
    """The binomial coefficient N choose k (with repetition: N + k - 1 choose k), as a
    float: exp(gammaln(N + 1) - gammaln(k + 1) - gammaln(N - k + 1)); 0 outside
    0 <= k <= N."""
    N, k = promote_inexact(N, k)
    if repetition:
        return tnp.where((k == 0) & (N >= 0), _c(1, N), comb(N + k - 1, k))
    ok = (k <= N) & (N >= 0) & (k >= 0)
    n_, k_ = tnp.where(ok, N, _c(0, N)), tnp.where(ok, k, _c(0, k))
    one = _c(1, N)
    out = tnp.exp(sp.lgamma(n_ + one) - sp.lgamma(k_ + one) - sp.lgamma(n_ + one - k_))
    return tnp.where(ok, out, _c(0, N))


def bernoulli(n):
    """The Bernoulli numbers B_0 ... B_n (n a Python int), as float64 (B_1 = -1/2)."""
    import scipy.special

    n = int(n)
    if n < 0:
        raise ValueError("n must be a non-negative integer.")
    return np.asarray(scipy.special.bernoulli(n), np.float64)


def poch(z, m):
    """The rising factorial (z)_m = Γ(z + m) / Γ(z)."""
    z, m = promote_inexact(z, m)
    return tnp.where(m == 0, _c(1, z), gamma(z + m) / gamma(z))


def betaln(a, b):
    """log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b)."""
    a, b = promote_inexact(a, b)
    return sp.lgamma(a) + sp.lgamma(b) - sp.lgamma(a + b)


def beta(a, b):
    """B(a, b) = Γ(a) Γ(b) / Γ(a + b)."""
    a, b = promote_inexact(a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * tnp.exp(betaln(a, b))


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b); differentiable in x."""
    a, b, x = promote_inexact(a, b, x)
    return sp.betainc(a, b, x)


def digamma(x):
    (x,) = promote_inexact(x)
    return sp.digamma(x)


def polygamma(n, x):
    """The n-th derivative of digamma; n must be of an integer type (as in JAX)."""
    if not np.issubdtype(dtype_of(n), np.integer):
        raise ValueError(
            f"Argument `n` to polygamma must be of integer type. Got dtype {dtype_of(n)}."
        )
    n, x = promote_inexact(n, x)
    return sp.polygamma(n, x)


def multigammaln(a, d):
    """log of the multivariate gamma function of dimension d (a Python int)."""
    d = int(d)
    (a,) = promote_inexact(a)
    const = 0.25 * d * (d - 1) * math.log(math.pi)
    half = np.arange(d, dtype=dtype_of(a)) / 2
    terms = sp.lgamma(tnp.expand_dims(a, -1) - half)
    return tnp.sum(terms, axis=-1) + _c(const, a)


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    a, x = promote_inexact(a, x)
    return sp.igamma(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    a, x = promote_inexact(a, x)
    return sp.igammac(a, x)


def zeta(x, q=None):
    """The Hurwitz zeta function Σ_k (k + q)^-x (JAX has no Riemann zeta: pass q)."""
    if q is None:
        raise NotImplementedError(
            "Riemann zeta function not implemented; pass q != None to compute the Hurwitz "
            "Zeta function."
        )
    x, q = promote_inexact(x, q)
    return sp.zeta(x, q)


# ---------------------------------------------------------------------------
# error function and the normal distribution


def erf(x):
    (x,) = promote_inexact(x)
    return ew.erf(x)


def erfc(x):
    (x,) = promote_inexact(x)
    return bits.erfc(x)


def erfinv(x):
    (x,) = promote_inexact(x)
    return ew.erf_inv(x)


def _ndtr(x):
    # 1 + erf(w) near 0, erfc(|w|) in the tails, so each side keeps relative accuracy
    half_sqrt2 = _c(0.5 * math.sqrt(2.0), x)
    w = x * half_sqrt2
    z = tnp.abs(w)
    tails = tnp.where(w > 0, _c(2, x) - bits.erfc(z), bits.erfc(z))
    return _c(0.5, x) * tnp.where(z < half_sqrt2, _c(1, x) + ew.erf(w), tails)


def ndtr(x):
    """The standard normal CDF Φ(x)."""
    (x,) = promote_inexact(x)
    return _ndtr(x)


def ndtri(p):
    """The standard normal quantile Φ⁻¹(p)."""
    (p,) = promote_inexact(p)
    return sp.ndtri(p)


def _double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2)) if n > 0 else 1


def log_ndtr(x, series_order=3):
    """log Φ(x): -Φ(-x) above 8, log1p(-Φ(-x)) above 0 (JAX: log Φ(x), which loses the
    digits of a tiny result), log Φ(x) down to -20 (float64; -10 for float32), and below
    that the asymptotic series of Φ(x) (-x) / φ(x) with `series_order` terms."""
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if not 0 <= series_order <= 30:
        raise ValueError("series_order must be in [0, 30].")
    (x,) = promote_inexact(x)
    f32 = dtype_of(x) == np.float32
    lower, upper = _c(-10.0 if f32 else -20.0, x), _c(5.0 if f32 else 8.0, x)
    positive = x > 0
    p = _ndtr(tnp.where(positive, -x, tnp.maximum(x, lower)))  # Φ(-x) or Φ(x)
    upper_part = tnp.where(x > upper, -p, tnp.log1p(-p))
    # the tail: log φ(x) - log(-x) + log(1 + Σ_n (-1)^n (2n-1)!! / x^2n)
    xl = tnp.minimum(x, lower)
    x2 = xl * xl
    series, x2n = _c(1, x), x2
    for n in range(1, series_order + 1):
        term = _c(_double_factorial(2 * n - 1), x) / x2n
        series = series - term if n % 2 else series + term
        x2n = x2n * x2
    tail = _c(-0.5, x) * x2 - tnp.log(-xl) - _c(0.5 * math.log(2 * math.pi), x) + tnp.log(series)
    return tnp.where(positive, upper_part, tnp.where(x > lower, tnp.log(p), tail))


# ---------------------------------------------------------------------------
# logistic, logs, entropies


def expit(x):
    (x,) = promote_inexact(x)
    return ew.logistic(x)


def logit(x):
    """log(x / (1 - x))."""
    (x,) = promote_inexact(x)
    return tnp.log(x / (_c(1, x) - x))


def _xlog_jvp(log_fn, shift):
    def jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        out = _xlog_value(log_fn, x, y)
        return out, tx * log_fn(y) + ty * x / (y + shift)

    return jvp


def _xlog_value(log_fn, x, y):
    # 0 where x == 0, even if log(y) is -inf (unless y is NaN)
    # (the custom JVP rules give the derivatives, so y may be replaced where unused)
    safe = (x != 0) | tnp.isnan(y)
    return tnp.where(safe, x * log_fn(tnp.where(safe, y, _c(1, y))), _c(0, x))


@custom_jvp
def _xlogy(x, y):
    return _xlog_value(tnp.log, x, y)


@custom_jvp
def _xlog1py(x, y):
    return _xlog_value(tnp.log1p, x, y)


_xlogy.defjvp(_xlog_jvp(tnp.log, 0.0))
_xlog1py.defjvp(_xlog_jvp(tnp.log1p, 1.0))


def xlogy(x, y):
    """x · log(y), and 0 where x = 0 (even for y = 0). d/dx = log(y), d/dy = x / y."""
    x, y = promote_inexact(x, y)
    return _xlogy(x, y)


def xlog1py(x, y):
    """x · log1p(y), and 0 where x = 0. d/dx = log1p(y), d/dy = x / (1 + y)."""
    x, y = promote_inexact(x, y)
    return _xlog1py(x, y)


@custom_jvp
def _xlogx(x):
    return _xlog_value(tnp.log, x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _xlogx(x), t * (tnp.log(x) + _c(1, x))


def entr(x):
    """-x log(x) for x >= 0 (0 at 0), -inf for x < 0."""
    (x,) = promote_inexact(x)
    return tnp.where(x < 0, _c(-np.inf, x), -_xlogx(x))


def rel_entr(p, q):
    """p log(p / q) for p, q > 0; 0 where p = 0 and q >= 0; inf elsewhere."""
    p, q = promote_inexact(p, q)
    both = (p > 0) & (q > 0)
    zero = (p == 0) & (q >= 0)
    sp_, sq = tnp.where(both, p, _c(1, p)), tnp.where(both, q, _c(1, q))
    val = xlogy(sp_, sp_) - xlogy(sp_, sq)
    return tnp.where(both, val, tnp.where(zero, _c(0, p), _c(np.inf, p)))


def kl_div(p, q):
    """rel_entr(p, q) - p + q."""
    p, q = promote_inexact(p, q)
    return rel_entr(p, q) - p + q


# ---------------------------------------------------------------------------
# Bessel functions


def boxcox(x, lmbda):
    """(x^λ - 1) / λ, and log(x) for λ = 0."""
    x, lmbda = promote_inexact(x, lmbda)
    return _boxcox(tnp.log(x), lmbda)


def boxcox1p(x, lmbda):
    """((1 + x)^λ - 1) / λ, and log1p(x) for λ = 0."""
    x, lmbda = promote_inexact(x, lmbda)
    return _boxcox(tnp.log1p(x), lmbda)


def _boxcox(log_x, lmbda):
    zero = lmbda == 0
    safe = tnp.where(zero, _c(1, lmbda), lmbda)
    return tnp.where(zero, log_x, tnp.expm1(safe * log_x) / safe)


def i0e(x):
    (x,) = promote_inexact(x)
    return sp.bessel_i0e(x)


def i1e(x):
    (x,) = promote_inexact(x)
    return sp.bessel_i1e(x)


def i0(x):
    (x,) = promote_inexact(x)
    return tnp.exp(tnp.abs(x)) * sp.bessel_i0e(x)


def i1(x):
    (x,) = promote_inexact(x)
    return tnp.exp(tnp.abs(x)) * sp.bessel_i1e(x)


# ---------------------------------------------------------------------------
# normalised exponentials (axis=None by default, as in jax.scipy.special)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log Σ b exp(a) along axis, as jax.scipy.special.logsumexp (see tracejit.nn)."""
    return _nn_logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign, where=where)


def softmax(x, /, *, axis=None):
    """exp(x) / Σ exp(x) along axis (all axes by default)."""
    from ..nn.activations import softmax as _softmax

    return _softmax(x, axis=axis)


def log_softmax(x, /, *, axis=None):
    """x - logsumexp(x) along axis (all axes by default)."""
    from ..nn.activations import log_softmax as _log_softmax

    return _log_softmax(x, axis=axis)
