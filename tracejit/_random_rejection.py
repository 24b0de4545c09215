"""Rejection samplers of tracejit.random: gamma, loggamma, poisson, binomial, multinomial.

Each follows jax.random's algorithm draw for draw, so values equal JAX's under x64 up to
a few ulp (NumPy's log, pow and erfinv against XLA's; a different last bit can, rarely,
flip an accept/reject test and so change one element):

- gamma: Marsaglia and Tsang's method for every element at once. JAX gives element i
  (C order) the key ``split(key, n)[i]`` and runs a scalar rejection loop on it; here
  every element carries its own key words through one vectorised ``while_loop`` that
  splits them exactly as JAX's scalar loop does, until no element is rejected. The
  derivative in ``a`` is JAX's implicit one, ``-(dCDF/da) / pdf`` (a ``custom_jvp``),
  from the series or continued fraction of the incomplete gamma function.
- poisson (Knuth below rate 10, Hörmann's transformed rejection above, in float32 as
  JAX) and binomial (inversion, or BTRS): one key for the whole array, split once per
  round, every element drawing in every round.

Loops are ``tracejit.lax.while_loop``s, so the samplers run eagerly, under jit (native
loops), under vmap (also over keys) and under grad.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import lax
from . import numpy as tnp
from .custom import custom_jvp
from .ops.elementwise import erf_inv, stop_gradient
from .ops.random import threefry2x32
from .random import (
    _bits_of_block,
    _cast,
    _check_key,
    _uniform_of_bits,
    split,
    uniform,
)
from .trace import Tracer

__all__ = ["binomial", "gamma", "loggamma", "multinomial", "poisson"]

_ZERO = np.uint32(0)


# ---------------------------------------------------------------------------
# shapes and arguments (shared with _random_dists)


def _quiet(sampler):
    """No floating-point warnings from eager evaluation: like JAX, the samplers compute
    every branch and every rejection round for every element and then select, so values
    that are never used (log of 0, inf - inf in a finished lane) are expected."""

    @functools.wraps(sampler)
    def run(*args, **kwargs):
        with np.errstate(all="ignore"):
            return sampler(*args, **kwargs)

    return run


def _broadcast_shape(name: str, shape, *params) -> tuple[int, ...]:
    """``shape`` checked against the parameters' shapes, or their broadcast if None."""
    return _check_shape(name, shape, *[_shape_of(p) for p in params])


def _check_shape(name: str, shape, *shapes) -> tuple[int, ...]:
    if shape is None:
        return tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    try:
        full = np.broadcast_shapes(shape, *shapes)
    except ValueError:
        full = None
    if full != shape:
        raise ValueError(
            f"random.{name}: parameter shapes {list(shapes)} must be broadcast-compatible "
            f"with shape {shape}, and broadcasting them must give shape {shape}"
        )
    return shape


def _shape_of(x) -> tuple[int, ...]:
    return tuple(x.aval.shape) if isinstance(x, Tracer) else tuple(np.shape(x))


def _out_dtype(dtype, name: str, kind: str = "f") -> np.dtype:
    if dtype is None:
        return np.dtype(np.float64 if kind == "f" else np.int64)
    dtype = np.dtype(dtype)
    if (kind == "f" and dtype.kind != "f") or (kind == "i" and dtype.kind not in "iu"):
        what = "a float" if kind == "f" else "an int"
        raise ValueError(f"dtype argument to `{name}` must be {what} dtype, got {dtype}")
    return dtype


def _param(x, dtype):
    return _cast(x, dtype)


# ---------------------------------------------------------------------------
# per-element keys: the key words (k0, k1) are arrays, one key per element


def _block(k0, k1, j: int):
    """Block j of each key: the words of ``split(key)[j]``, and at j = 0 the Threefry
    block whose bits make a one-element draw from the key."""
    return threefry2x32(k0, k1, _ZERO, tnp.full_like(k0, j))


def _uniform_each(k0, k1, dtype, minval=0.0, maxval=1.0):
    """``uniform(key, (), dtype, minval, maxval)`` for each key."""
    y0, y1 = _block(k0, k1, 0)
    return _uniform_of_bits(_bits_of_block(y0, y1, dtype.itemsize * 8), dtype, minval, maxval)


def _normal_each(k0, k1, dtype):
    """``normal(key, (), dtype)`` for each key."""
    lo = np.nextafter(dtype.type(-1.0), dtype.type(0.0))
    u = _uniform_each(k0, k1, dtype, lo, 1.0)
    return tnp.multiply(dtype.type(math.sqrt(2.0)), erf_inv(u))


# ---------------------------------------------------------------------------
# gamma


def _gamma_all(keys, alpha, log_space: bool):
    """JAX's ``_gamma_one`` for every element of 1-d ``alpha`` at once, element i with
    key ``keys[i]``."""
    dtype = alpha.dtype
    c3 = dtype.type(1.0 / 3.0)
    k0, k1 = _block(keys[:, 0], keys[:, 1], 0)
    s0, s1 = _block(keys[:, 0], keys[:, 1], 1)
    # alpha < 1 is boosted: Gamma(alpha) ~ Gamma(alpha + 1) * U ** (1 / alpha)
    boost_mask = alpha >= 1
    alpha_orig = alpha
    alpha = tnp.where(boost_mask, alpha, alpha + 1)
    d = alpha - c3
    c = c3 / tnp.sqrt(d)

    def rejected(X, V, U):
        return tnp.logical_and(
            U >= 1 - dtype.type(0.0331) * (X * X),
            tnp.log(U) >= X * dtype.type(0.5) + d * ((1 - V) + tnp.log(V)),
        )

    def draw(state):
        k0, k1, X, V, U = state
        active = rejected(X, V, U)
        n0, n1 = _block(k0, k1, 0)
        x0, x1 = _block(k0, k1, 1)
        u0, u1 = _block(k0, k1, 2)

        def proposal(inner):  # x ~ N(0, 1) until v = 1 + c x > 0
            xk0, xk1, x, v = inner
            go = tnp.logical_and(active, v <= 0)
            a0, a1 = _block(xk0, xk1, 0)
            b0, b1 = _block(xk0, xk1, 1)
            xn = _normal_each(b0, b1, dtype)
            return (
                tnp.where(go, a0, xk0),
                tnp.where(go, a1, xk1),
                tnp.where(go, xn, x),
                tnp.where(go, 1 + xn * c, v),
            )

        v0 = tnp.where(active, dtype.type(-1), dtype.type(1))
        _, _, x, v = lax.while_loop(
            lambda inner: tnp.any(tnp.logical_and(active, inner[3] <= 0)),
            proposal,
            (x0, x1, tnp.zeros_like(alpha), v0),
        )
        U_new = _uniform_each(u0, u1, dtype)
        return (
            tnp.where(active, n0, k0),
            tnp.where(active, n1, k1),
            tnp.where(active, x * x, X),
            tnp.where(active, (v * v) * v, V),
            tnp.where(active, U_new, U),
        )

    zero = tnp.zeros_like(alpha)
    state = (k0, k1, zero, zero + 1, zero + 2)  # rejected everywhere: every element draws
    V = lax.while_loop(lambda s: tnp.any(rejected(*s[2:])), draw, state)[3]
    u = _uniform_each(s0, s1, dtype)
    if log_space:
        log_samples = tnp.log1p(tnp.negative(u))  # -exponential(subkey)
        skip = tnp.logical_or(boost_mask, log_samples == 0)
        log_boost = tnp.where(skip, zero, log_samples * (1 / alpha_orig))
        return (tnp.log(d) + tnp.log(V)) + log_boost
    boost = tnp.where(boost_mask, zero + 1, tnp.power(1 - u, 1 / alpha_orig))
    return (d * V) * boost


def _gamma_impl(key, a, log_space: bool):
    shape = tuple(a.shape)
    n = math.prod(shape)
    keys = split(key, n)
    return tnp.reshape(_gamma_all(keys, tnp.reshape(a, (n,)), log_space), shape)


def _make_gamma(log_space: bool):
    def sample(key, a):
        return _gamma_impl(key, a, log_space)

    sample = custom_jvp(sample)

    @sample.defjvp
    def _sample_jvp(primals, tangents):
        key, a = primals
        out = _gamma_impl(key, a, log_space)
        return out, tangents[1] * _gamma_grad(out, a, log_space)

    return sample


_gamma_p = {False: _make_gamma(False), True: _make_gamma(True)}


def _gamma(name, key, a, shape, dtype, log_space: bool):
    _check_key(key, name)
    dtype = _out_dtype(dtype, name)
    shape = _broadcast_shape(name, shape, a)
    a = tnp.broadcast_to(_param(a, dtype), shape)
    return _gamma_p[log_space](key, a)


@_quiet
def gamma(key, a, shape=None, dtype=None):
    """Standard gamma with shape parameter ``a`` (rate 1): Marsaglia and Tsang's
    rejection method, as JAX (see the module docstring). Differentiable in ``a`` by the
    implicit derivative ``-(dCDF/da) / pdf``."""
    return _gamma("gamma", key, a, shape, dtype, False)


@_quiet
def loggamma(key, a, shape=None, dtype=None):
    """``log`` of a gamma sample, computed in log space (accurate for small ``a``)."""
    return _gamma("loggamma", key, a, shape, dtype, True)


# --- the implicit derivative: JAX's random_gamma_grad (lax/special.py), in tnp ops


def _lgamma(x):
    """log Γ(x) for x > 0: Stirling's series at x + 10 below 10, shifted back down."""
    small = x < 10
    z = tnp.where(small, x + 10, x)
    xs = tnp.where(small, x, 1)  # the product of large x would overflow
    prod = xs
    for k in range(1, 10):
        prod = prod * (xs + k)
    shift = tnp.where(small, tnp.log(prod), 0)
    zi = 1 / z
    zi2 = zi * zi
    series = zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 * (1 / 1680 - zi2 / 1188))))
    return (z - 0.5) * tnp.log(z) - z + 0.5 * math.log(2 * math.pi) + series - shift


def _digamma(x):
    """ψ(x) for x > 0: the asymptotic series at x + 10 below 10, shifted back down."""
    small = x < 10
    z = tnp.where(small, x + 10, x)
    xs = tnp.where(small, x, 1)
    shift = 1 / xs
    for k in range(1, 10):
        shift = shift + 1 / (xs + k)
    zi2 = 1 / (z * z)
    series = zi2 * (1 / 12 - zi2 * (1 / 120 - zi2 * (1 / 252 - zi2 * (1 / 240 - zi2 / 132))))
    return tnp.log(z) - 0.5 / z - series - tnp.where(small, shift, 0)


def _series_grad(x, a, enabled, eps):
    """d(sample)/da where P(a, x) is computed by its power series (x small or below a)."""

    def body(s):
        on, r, c, ans, dc_da, dans_da = s
        r1 = r + 1
        dc1 = dc_da * (x / r1) - (c * x) / (r1 * r1)
        dans1 = dans_da + dc1
        c1 = c * (x / r1)
        ans1 = ans + c1
        more = tnp.logical_and(on, tnp.abs(dc1 / dans1) > eps)
        pick = [tnp.where(on, new, old) for new, old in zip((r1, c1, ans1, dc1, dans1), s[1:])]
        return (more, *pick)

    zero = tnp.zeros_like(a)
    init = (enabled, a, zero + 1, zero + 1, zero, zero)
    _, _, _, ans, _, dans_da = lax.while_loop(lambda s: tnp.any(s[0]), body, init)
    dlogax_da = tnp.log(x) - _digamma(a + 1)
    return -(dans_da + ans * dlogax_da) * x / a


def _cf_grad(x, a, enabled, eps):
    """d(sample)/da where Q(a, x) is computed by its continued fraction (x large)."""

    def body(s):
        on, ans, t, y, z, c, pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1, dans = s
        c = c + 1
        y = y + 1
        z = z + 2
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        nz = qk != 0
        r = pk / tnp.where(nz, qk, 1)
        t = tnp.where(nz, tnp.abs((ans - r) / r), 1)
        ans = tnp.where(nz, r, ans)
        dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
        dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
        dans_new = tnp.where(nz, (dpk - ans * dqk) / tnp.where(nz, qk, 1), dans)
        change = tnp.where(nz, tnp.abs(dans_new - dans), 1)
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        dpkm2, dqkm2, dpkm1, dqkm1 = dpkm1, dqkm1, dpk, dqk
        big = tnp.abs(pk) > 1 / eps  # rescale, keeping the ratios
        rescaled = [tnp.where(big, v * eps, v) for v in (pkm2, pkm1, qkm2, qkm1)]
        rescaled += [tnp.where(big, v * eps, v) for v in (dpkm2, dqkm2, dpkm1, dqkm1)]
        pkm2, pkm1, qkm2, qkm1, dpkm2, dqkm2, dpkm1, dqkm1 = rescaled
        more = tnp.logical_and(on, change > eps)
        new = (ans, t, y, z)
        new = [tnp.where(on, v, old) for v, old in zip(new, s[1:5])]
        rest = (pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1, dans_new)
        rest = [tnp.where(on, v, old) for v, old in zip(rest, s[6:])]
        return (more, *new, c, *rest)

    zero = tnp.zeros_like(x)
    y = 1 - a
    z = x + y + 1
    pkm1, qkm1 = x + 1, z * x
    ans = pkm1 / qkm1
    init = (enabled, ans, zero + 1, y, z, np.zeros((), x.dtype), pkm1, qkm1, zero + 1, x)
    init += (zero, zero, zero, -x, (zero - ans * -x) / qkm1)
    out = lax.while_loop(lambda s: tnp.logical_and(s[5] < 2000, tnp.any(s[0])), body, init)
    ans, dans_da = out[1], out[14]
    dlogax_da = tnp.log(x) - _digamma(a)
    return -(dans_da + ans * dlogax_da) * x


def _random_gamma_grad(a, x):
    """d(sample)/da of a gamma sample x: ``-(dP(a, x)/da) / (dP(a, x)/dx)``."""
    a, x = stop_gradient(a), stop_gradient(x)
    eps = np.finfo(x.dtype).eps
    x_is_zero = x == 0
    domain_error = tnp.logical_or(x < 0, a <= 0)
    is_nan = tnp.logical_or(tnp.isnan(a), tnp.isnan(x))
    use_cf = tnp.logical_and(x > 1, x > a)
    safe_a = tnp.where(domain_error, 1, a)
    safe_x = tnp.where(tnp.logical_or(domain_error, x_is_zero), 1, x)
    log_ax = safe_a * tnp.log(safe_x) - safe_x - _lgamma(safe_a)
    underflow = log_ax < -math.log(np.finfo(x.dtype).max)
    off = tnp.logical_or(tnp.logical_or(x_is_zero, domain_error), tnp.logical_or(underflow, is_nan))
    enabled = tnp.logical_not(off)
    cf = _cf_grad(safe_x, safe_a, tnp.logical_and(enabled, use_cf), eps)
    series = _series_grad(safe_x, safe_a, tnp.logical_and(enabled, tnp.logical_not(use_cf)), eps)
    out = tnp.where(use_cf, -cf, series)
    out = tnp.where(x_is_zero, 0, out)
    return tnp.where(tnp.logical_or(domain_error, is_nan), np.nan, out)


@_quiet
def _gamma_grad(sample, a, log_space: bool):
    if not log_space:
        return _random_gamma_grad(a, sample)
    x = tnp.exp(sample)
    x = tnp.where(x == 0, np.finfo(x.dtype).tiny, x)  # exp(log x) may underflow
    return _random_gamma_grad(a, x) / x


# ---------------------------------------------------------------------------
# poisson


def _poisson_knuth(key, lam, shape, dtype):
    """Count uniforms until their product drops below exp(-lam)."""

    def body(s):
        key, k, log_prod = s
        key, subkey = split(key)
        k = tnp.where(log_prod > -lam, k + 1, k)
        return key, k, log_prod + tnp.log(uniform(subkey, shape, np.float32))

    init = (key, tnp.zeros(shape, dtype), tnp.zeros(shape, np.float32))
    k = lax.while_loop(lambda s: tnp.any(s[2] > -lam), body, init)[1]
    return _cast(k - 1, dtype)


def _poisson_rejection(key, lam, shape, dtype):
    """Hörmann's transformed rejection (PTRS)."""
    log_lam = tnp.log(lam)
    b = 0.931 + 2.53 * tnp.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(s):
        key, k_out, accepted = s
        key, subkey_0, subkey_1 = split(key, 3)
        u = uniform(subkey_0, shape, np.float32) - 0.5
        v = uniform(subkey_1, shape, np.float32)
        us = 0.5 - tnp.abs(u)
        k = tnp.floor((2 * a / us + b) * u + lam + 0.43)
        s = tnp.log(v * inv_alpha / (a / (us * us) + b))
        kp1 = _cast(k + 1, np.float64)
        t = -lam + k * log_lam - _cast(_lgamma(tnp.where(kp1 > 0, kp1, 1)), np.float32)
        accept1 = tnp.logical_and(us >= 0.07, v <= v_r)
        reject = tnp.logical_or(k < 0, tnp.logical_and(us < 0.013, v > us))
        accept = tnp.logical_or(accept1, tnp.logical_and(tnp.logical_not(reject), s <= t))
        return key, tnp.where(accept, k, k_out), tnp.logical_or(accepted, accept)

    init = (key, tnp.full(shape, -1, np.float32), tnp.zeros(shape, np.bool_))
    k = lax.while_loop(lambda s: tnp.any(tnp.logical_not(s[2])), body, init)[1]
    return _cast(k, dtype)


@_quiet
def poisson(key, lam, shape=None, dtype=None):
    """Poisson counts with rate ``lam`` (float32 arithmetic, as JAX): Knuth's product of
    uniforms below rate 10, transformed rejection above."""
    _check_key(key, "poisson")
    dtype = _out_dtype(dtype, "poisson", "i")
    shape = _broadcast_shape("poisson", shape, lam)
    lam = _cast(tnp.broadcast_to(lam, shape), np.float32)
    use_knuth = tnp.logical_or(tnp.isnan(lam), lam < 10)
    lam_knuth = tnp.where(use_knuth, lam, np.float32(0))
    lam_rejection = tnp.where(use_knuth, np.float32(1e5), lam)
    result = tnp.where(
        use_knuth,
        _poisson_knuth(key, lam_knuth, shape, dtype),
        _poisson_rejection(key, lam_rejection, shape, dtype),
    )
    return tnp.where(lam == 0, tnp.zeros_like(result), result)


# ---------------------------------------------------------------------------
# binomial and multinomial


def _binomial_inversion(key, count, prob, shape):
    """Count geometric waiting times until they pass ``count``."""
    log1minusprob = tnp.log1p(tnp.negative(prob))

    def body(s):
        key, num_geom, geom_sum = s
        subkey, key = split(key)
        num_geom = tnp.where(geom_sum <= count, num_geom + 1, num_geom)
        u = uniform(subkey, shape, prob.dtype)
        return key, num_geom, geom_sum + tnp.ceil(tnp.log(u) / log1minusprob)

    zero = tnp.zeros(shape, prob.dtype)
    k = lax.while_loop(lambda s: tnp.any(s[2] <= count), body, (key, zero, zero))[1]
    return k - 1


_STIRLING_TAIL = np.array(
    [
        0.0810614667953272,
        0.0413406959554092,
        0.0276779256849983,
        0.02079067210376509,
        0.0166446911898211,
        0.0138761288230707,
        0.0118967099458917,
        0.0104112652619720,
        0.00925546218271273,
        0.00833056343336287,
    ]
)


def _stirling_approx_tail(k):
    """log k! minus Stirling's approximation; a table below 10 and, above, JAX's value
    at the clamped k = 9 (the terms cancel in BTRS's bound)."""
    use_table = k <= 9
    k = tnp.clip(k, 0.0, 9.0)
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    idx = _cast(tnp.floor(tnp.where(tnp.isnan(k), 0.0, k)), np.int32)  # NaN: any index
    return tnp.where(use_table, tnp.take(_STIRLING_TAIL.astype(k.dtype), idx), approx)


def _btrs(key, count, prob, shape):
    """Hörmann's transformed rejection with squeeze (BTRS)."""
    stddev = tnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = tnp.floor((count + 1) * prob)

    def body(s):
        key, k_out, accepted = s
        key, subkey_0, subkey_1 = split(key, 3)
        u = uniform(subkey_0, shape, prob.dtype)
        v = uniform(subkey_1, shape, prob.dtype)
        u = u - 0.5
        us = 0.5 - tnp.abs(u)
        accept1 = tnp.logical_and(us >= 0.07, v <= v_r)
        k_draw = k = tnp.floor((2 * a / us + b) * u + c)
        reject = tnp.logical_or(k < 0, k > count)
        v = tnp.log(v * alpha / (a / (us * us) + b))
        k = tnp.where(reject, 0.0, k)  # the bound matters only where k is in [0, count]
        ub = (
            (m + 0.5) * tnp.log((m + 1) / (r * (count - m + 1)))
            + (count + 1) * tnp.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * tnp.log(r * (count - k + 1) / (k + 1))
            + _stirling_approx_tail(m)
            + _stirling_approx_tail(count - m)
            - _stirling_approx_tail(k)
            - _stirling_approx_tail(count - k)
        )
        accept = tnp.logical_or(accept1, tnp.logical_and(tnp.logical_not(reject), v <= ub))
        return key, tnp.where(accept, k_draw, k_out), tnp.logical_or(accepted, accept)

    init = (key, tnp.full(shape, -1, prob.dtype), tnp.zeros(shape, np.bool_))
    return lax.while_loop(lambda s: tnp.any(tnp.logical_not(s[2])), body, init)[1]


def _promote_inexact(*xs):
    xs = [tnp.asarray(x) for x in xs]
    dt = np.result_type(*[x.dtype for x in xs])
    dt = dt if dt.kind in "fc" else np.dtype(np.float64)
    return [_cast(x, dt) for x in xs]


@_quiet
def binomial(key, n, p, shape=None, dtype=None):
    """Successes in ``n`` trials of probability ``p`` (floats, as JAX): inversion of
    geometric waiting times where n min(p, 1-p) <= 10, BTRS rejection above. NaN for a
    negative or NaN n or p outside [0, 1]; inf for infinite n."""
    _check_key(key, "binomial")
    dtype = _out_dtype(dtype, "binomial")
    shape = _broadcast_shape("binomial", shape, n, p)
    (prob,) = _promote_inexact(p)
    count = tnp.broadcast_to(_cast(n, prob.dtype), shape)
    prob = tnp.broadcast_to(prob, shape)
    p_lt_half = prob < 0.5
    q = tnp.where(p_lt_half, prob, 1.0 - prob)
    count_nan_or_neg = tnp.logical_or(tnp.isnan(count), count < 0.0)
    count_inf = tnp.isinf(count)
    q_is_nan = tnp.isnan(q)
    q_l_0 = q < 0.0
    q = tnp.where(tnp.logical_or(q_is_nan, q_l_0), 0.01, q)
    use_inversion = tnp.logical_or(count_nan_or_neg, count * q <= 10.0)
    count = tnp.floor(count)
    count_inv = tnp.where(use_inversion, count, 0.0)
    count_btrs = tnp.where(use_inversion, 1e4, count)
    q_btrs = tnp.where(use_inversion, 0.5, q)
    samples = tnp.where(
        use_inversion,
        _cast(_binomial_inversion(key, count_inv, q, shape), dtype),
        _cast(_btrs(key, count_btrs, q_btrs, shape), dtype),
    )
    invalid = tnp.logical_or(tnp.logical_or(q_l_0, q_is_nan), count_nan_or_neg)
    samples = tnp.where(invalid, np.nan, samples)
    samples = tnp.where(tnp.logical_and(count_inf, tnp.logical_not(invalid)), np.inf, samples)
    keep = tnp.logical_or(
        tnp.logical_or(p_lt_half, count_nan_or_neg), tnp.logical_or(q_is_nan, count_inf)
    )
    return tnp.where(keep, samples, _cast(count, dtype) - samples)


@_quiet
def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Counts of each outcome (the last axis of ``p``) in ``n`` trials: a binomial per
    outcome on the trials left, as JAX. ``unroll`` is accepted and unused (the outcomes
    are a Python loop)."""
    _check_key(key, "multinomial")
    dtype = _out_dtype(dtype, "multinomial")
    n, p = _promote_inexact(n, p)
    shape = tuple(p.shape) if shape is None else tuple(int(d) for d in shape)
    n = tnp.broadcast_to(n, shape[:-1])
    p = tnp.moveaxis(tnp.broadcast_to(p, shape), -1, 0)
    remaining = tnp.flip(tnp.cumsum(tnp.flip(p, 0), axis=0), 0)
    ratios = p / tnp.where(remaining == 0, 1, remaining)
    keys = split(key, shape[-1])
    remainder, counts = n, []
    for i in range(shape[-1]):
        count = binomial(keys[i], remainder, tnp.clip(ratios[i], 0, 1), dtype=remainder.dtype)
        remainder = remainder - count
        counts.append(count)
    return _cast(tnp.stack(counts, axis=-1), dtype)
