"""Special functions: lgamma, digamma, polygamma, igamma (gammainc), igammac, igamma_grad_a,
zeta, bessel_i0e, bessel_i1e, ndtri, betainc (erfc is in ops/bits.py).

Elementwise, like ops/elementwise.py: operands of one floating dtype and equal shapes
(0-d operands broadcast); tracejit.scipy.special promotes and broadcasts. The impls are
scipy.special's (igamma_grad_a, which SciPy lacks, is computed here in NumPy); compiled
code calls the scalar kernels of tracejit/lowering/special.py (`kernels.<name>` in the
generated source), so the law tests hold those kernels to SciPy. JVP rules follow
jax.lax's: d lgamma = digamma, d digamma = polygamma(1, ·), d igamma/da = igamma_grad_a;
the order n of polygamma and the parameters a, b of betainc are not differentiable.
"""

from __future__ import annotations

import math

import numpy as np

from ..trace import Primitive, bind
from .common import dtype_of
from .elementwise import (
    _ew_shape,
    add,
    div,
    exp,
    gt,
    lit,
    log,
    log1p,
    mul,
    neg,
    select,
    sign,
    sub,
    tmul,
    vmap_elementwise,
)
from .elementwise import abs as abs_

__all__ = [
    "lgamma",
    "digamma",
    "polygamma",
    "igamma",
    "igammac",
    "igamma_grad_a",
    "zeta",
    "bessel_i0e",
    "bessel_i1e",
    "ndtri",
    "betainc",
]


def _scipy(name):
    """scipy.special.<name> on NumPy arrays, in the operands' dtype, without warnings.
    (SciPy is imported on first use: importing scipy.special costs ~0.5 s, which
    `import tracejit` should not pay.)"""

    def impl(*args):
        import scipy.special

        with np.errstate(all="ignore"):
            return np.asarray(getattr(scipy.special, name)(*args), dtype=np.result_type(*args))

    impl.__name__ = name
    return impl


def _special(name, impl, jvp, lower, doc):
    p = Primitive(name, impl=impl, shape=_ew_shape(name), jvp=jvp, lower=lower, doc=doc)
    p.vmap = vmap_elementwise(p)
    return p


# ---------------------------------------------------------------------------
# lgamma, digamma, polygamma

lgamma_p = _special(
    "lgamma",
    _scipy("gammaln"),
    (lambda t, out, x: tmul(t, digamma(x)),),
    "math.lgamma({0})",
    "log|Γ(x)| (scipy.special.gammaln).",
)


def lgamma(x):
    return bind(lgamma_p, x)


digamma_p = _special(
    "digamma",
    _scipy("digamma"),
    (lambda t, out, x: tmul(t, polygamma(lit(1, x), x)),),
    "kernels.digamma({0})",
    "ψ(x) = Γ'(x)/Γ(x).",
)


def digamma(x):
    return bind(digamma_p, x)


polygamma_p = _special(
    "polygamma",
    _scipy("polygamma"),
    (None, lambda t, out, n, x: tmul(t, polygamma(add(n, lit(1, n)), x))),
    "kernels.polygamma({0}, {1})",
    "polygamma(n, x): the n-th derivative of digamma; n = 0, 1, 2, ... (a float operand).",
)


def polygamma(n, x):
    return bind(polygamma_p, n, x)


# ---------------------------------------------------------------------------
# igamma (P), igammac (Q = 1 - P), igamma_grad_a (dP/da)


def _igamma_dx(a, x):
    """dP(a, x)/dx = x^(a-1) e^-x / Γ(a)."""
    return exp(sub(sub(mul(sub(a, lit(1, a)), log(x)), x), lgamma(a)))


igamma_p = _special(
    "igamma",
    _scipy("gammainc"),
    (
        lambda t, out, a, x: tmul(t, igamma_grad_a(a, x)),
        lambda t, out, a, x: tmul(t, _igamma_dx(a, x)),
    ),
    "kernels.igamma({0}, {1})",
    "igamma(a, x) = γ(a, x)/Γ(a), the regularized lower incomplete gamma function.",
)


def igamma(a, x):
    return bind(igamma_p, a, x)


igammac_p = _special(
    "igammac",
    _scipy("gammaincc"),
    (
        lambda t, out, a, x: tmul(t, neg(igamma_grad_a(a, x))),
        lambda t, out, a, x: tmul(t, neg(_igamma_dx(a, x))),
    ),
    "kernels.igammac({0}, {1})",
    "igammac(a, x) = 1 - igamma(a, x), computed without cancellation.",
)


def igammac(a, x):
    return bind(igammac_p, a, x)


def _igamma_grad_a_np(a, x):
    """dP/da in NumPy: the power series of P for x <= max(1, a), Legendre's continued
    fraction of Q elsewhere, each carried with its derivative in a (the Numba kernel
    runs the same recurrences one element at a time)."""
    import scipy.special

    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (x >= 0) & ~np.isnan(a) & ~np.isnan(x)
    out[ok & ((x == 0) | np.isinf(x))] = 0.0
    ok &= (x > 0) & ~np.isinf(x)
    cf = ok & (x > 1) & (x > a)
    ser = ok & ~cf
    eps = np.finfo(np.float64).eps
    for mask, fraction in ((ser, False), (cf, True)):
        if not mask.any():
            continue
        av, xv = a[mask], x[mask]
        ax = np.exp(av * np.log(xv) - xv - scipy.special.gammaln(av))
        dlog_ax = np.log(xv) - scipy.special.digamma(av)
        out[mask] = (_igamma_cf_d if fraction else _igamma_series_d)(av, xv, ax, dlog_ax, eps)
    return out


def _igamma_series_d(a, x, ax, dlog_ax, eps):
    r, c, dc = a.copy(), np.ones_like(a), np.zeros_like(a)
    s, ds = np.ones_like(a), np.zeros_like(a)
    live = np.ones(a.shape, bool)
    while live.any():
        r[live] += 1.0
        dc[live] = (dc[live] - c[live] / r[live]) * (x[live] / r[live])
        c[live] *= x[live] / r[live]
        s[live] += c[live]
        ds[live] += dc[live]
        live &= (c > eps * s) | (np.abs(dc) > eps * np.abs(ds))
    return ax / a * ((dlog_ax - 1.0 / a) * s + ds)


def _igamma_cf_d(a, x, ax, dlog_ax, eps):
    y, z, c = 1.0 - a, x + 2.0 - a, np.zeros_like(a)
    pm2, dpm2, qm2, dqm2 = np.ones_like(a), np.zeros_like(a), x.copy(), np.zeros_like(a)
    pm1, dpm1, qm1, dqm1 = x + 1.0, np.zeros_like(a), z * x, -x
    f = pm1 / qm1
    df = -f * dqm1 / qm1
    live = np.ones(a.shape, bool)
    for _ in range(2000):
        if not live.any():
            break
        c, y, z = c + 1.0, y + 1.0, z + 2.0
        yc = y * c
        pk = pm1 * z - pm2 * yc
        dpk = dpm1 * z - pm1 - dpm2 * yc + pm2 * c
        qk = qm1 * z - qm2 * yc
        dqk = dqm1 * z - qm1 - dqm2 * yc + qm2 * c
        with np.errstate(all="ignore"):
            r = pk / qk
            dr = (dpk - r * dqk) / qk
            step = np.maximum(np.abs((f - r) / r), np.abs(df - dr) / np.maximum(np.abs(dr), 1e-300))
        upd = live & (qk != 0)
        f, df = np.where(upd, r, f), np.where(upd, dr, df)
        pm2, pm1, qm2, qm1 = pm1, pk, qm1, qk
        dpm2, dpm1, dqm2, dqm1 = dpm1, dpk, dqm1, dqk
        big = np.abs(pk) > 4.503599627370496e15
        if big.any():
            scale = np.where(big, 1 / 4.503599627370496e15, 1.0)
            pm2, pm1, qm2, qm1 = pm2 * scale, pm1 * scale, qm2 * scale, qm1 * scale
            dpm2, dpm1, dqm2, dqm1 = dpm2 * scale, dpm1 * scale, dqm2 * scale, dqm1 * scale
        live &= ~(upd & (step <= eps))
    return -ax * (dlog_ax * f + df)


def _igamma_grad_a_impl(a, x):
    return np.asarray(_igamma_grad_a_np(a, x), dtype=np.result_type(a, x))


igamma_grad_a_p = _special(
    "igamma_grad_a",
    _igamma_grad_a_impl,
    (None, lambda t, out, a, x: tmul(t, mul(_igamma_dx(a, x), sub(log(x), digamma(a))))),
    "kernels.igamma_grad_a({0}, {1})",
    "d igamma(a, x)/da; differentiable in x only.",
)


def igamma_grad_a(a, x):
    return bind(igamma_grad_a_p, a, x)


# ---------------------------------------------------------------------------
# Hurwitz zeta. d/dq ζ(s, q) = -s ζ(s + 1, q). d/ds has no closed form: it is the
# derivative of the Euler-Maclaurin sum, written with ops (so it has derivatives too).

_ZETA_N = 10  # terms summed directly; the tail starts at w = q + N
# B_2j / (2j)!, j = 1..8
_ZETA_C = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000)
_ZETA_C += (1 / 74724249600, -3617 / 10670622842880000)


def _zeta_ds(s, q):
    """d ζ(s, q) / ds = -Σ_{k>=0} log(k + q) (k + q)^-s, by Euler-Maclaurin (q > 0)."""

    def c(v):
        return lit(v, s)

    def pow_neg(w, logw, e):  # w^-e
        return exp(neg(mul(e, logw)))

    total = None
    for k in range(_ZETA_N):
        qk = add(q, c(k)) if k else q
        lq = log(qk)
        term = neg(mul(lq, pow_neg(qk, lq, s)))
        total = term if total is None else add(total, term)
    w = add(q, c(_ZETA_N))
    lw = log(w)
    sm1 = sub(s, c(1))
    w1s = pow_neg(w, lw, sm1)  # w^(1-s)
    # d/ds [w^(1-s)/(s-1) + w^-s/2] = -lw w^(1-s)/(s-1) - w^(1-s)/(s-1)^2 - lw w^-s/2
    ws = pow_neg(w, lw, s)
    total = sub(total, div(mul(lw, w1s), sm1))
    total = sub(total, div(w1s, mul(sm1, sm1)))
    total = sub(total, mul(c(0.5), mul(lw, ws)))
    # d/ds [C_j P_j(s) w^(-s-2j+1)], P_j(s) = s (s+1) ... (s+2j-2)
    poly, dpoly = s, c(1)
    wpow = div(ws, w)  # w^(-s-1)
    for j, cj in enumerate(_ZETA_C, start=1):
        if j > 1:
            for i in (2 * j - 3, 2 * j - 2):
                si = add(s, c(i))
                poly, dpoly = mul(poly, si), add(mul(dpoly, si), poly)
            wpow = div(wpow, mul(w, w))
        total = add(total, mul(c(cj), mul(sub(dpoly, mul(lw, poly)), wpow)))
    return total


zeta_p = _special(
    "zeta",
    _scipy("zeta"),
    (
        lambda t, out, s, q: tmul(t, _zeta_ds(s, q)),
        lambda t, out, s, q: tmul(t, neg(mul(s, zeta(add(s, lit(1, s)), q)))),
    ),
    "kernels.zeta({0}, {1})",
    "zeta(s, q) = Σ_{k>=0} (k + q)^-s, the Hurwitz zeta function (s > 1).",
)


def zeta(s, q):
    return bind(zeta_p, s, q)


# ---------------------------------------------------------------------------
# exponentially scaled modified Bessel functions of order 0 and 1


def _i1e_jvp(t, out, x):
    # i1e' = i0e - i1e (sign(x) + 1/x), which tends to 1/2 at x = 0
    eps = float(np.finfo(dtype_of(x)).eps)
    big = gt(abs_(x), lit(eps, x))
    safe = select(big, x, lit(eps, x))
    d = sub(bessel_i0e(safe), mul(out, add(sign(safe), div(lit(1, x), safe))))
    return tmul(t, select(big, d, lit(0.5, x)))


bessel_i0e_p = _special(
    "bessel_i0e",
    _scipy("i0e"),
    (lambda t, out, x: tmul(t, sub(bessel_i1e(x), mul(sign(x), out))),),
    "kernels.i0e({0})",
    "exp(-|x|) I0(x).",
)
bessel_i1e_p = _special(
    "bessel_i1e", _scipy("i1e"), (_i1e_jvp,), "kernels.i1e({0})", "exp(-|x|) I1(x)."
)


def bessel_i0e(x):
    return bind(bessel_i0e_p, x)


def bessel_i1e(x):
    return bind(bessel_i1e_p, x)


# ---------------------------------------------------------------------------
# ndtri, betainc (erfc is in ops/bits.py)

ndtri_p = _special(
    "ndtri",
    _scipy("ndtri"),
    # 1 / φ(out) = sqrt(2π) exp(out²/2)
    (
        lambda t, out, p: tmul(
            t, mul(lit(math.sqrt(2 * math.pi), p), exp(mul(lit(0.5, p), mul(out, out))))
        ),
    ),
    "kernels.ndtri({0})",
    "The quantile function of the standard normal distribution.",
)


def ndtri(p):
    return bind(ndtri_p, p)


def _betainc_dx(t, out, a, b, x):
    lbeta = sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))
    one = lit(1, x)
    logd = add(mul(sub(b, one), log1p(neg(x))), mul(sub(a, one), log(x)))
    return tmul(t, exp(sub(logd, lbeta)))


betainc_p = _special(
    "betainc",
    _scipy("betainc"),
    (None, None, _betainc_dx),
    "kernels.betainc({0}, {1}, {2})",
    "betainc(a, b, x): the regularized incomplete beta function I_x(a, b).",
)


def betainc(a, b, x):
    return bind(betainc_p, a, b, x)
