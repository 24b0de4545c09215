"""tracejit.scipy.optimize: `minimize(fun, x0, args=(), *, method='BFGS', tol, options)`,
as jax.scipy.optimize.minimize.

BFGS on the inverse Hessian (Nocedal & Wright, algorithm 6.1) inside
`tracejit.lax.while_loop`, so it runs eagerly, under `jit` and under `vmap`. The step
length comes from a backtracking line search on the sufficient-decrease (Armijo)
condition, halving from 1; an update with yᵀs <= 0 (no curvature information) is
skipped. JAX uses a zoom line search on the strong Wolfe conditions instead, so the
iterates, `nit` and `nfev` differ from JAX's while the minimiser agrees to the
tolerance. Status codes as JAX: 0 converged, 1 maximum iterations, 5 line search
failed.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .. import numpy as tnp
from ..api import value_and_grad
from ..lax import while_loop

__all__ = ["OptimizeResults", "minimize"]


class OptimizeResults(NamedTuple):
    """x: the solution; success; status (0 converged, 1 maximum iterations, 5 line
    search failed); fun, jac: value and gradient at x; hess_inv: the final inverse
    Hessian estimate; nfev, njev: function and gradient evaluations; nit: iterations."""

    x: Any
    success: Any
    status: Any
    fun: Any
    jac: Any
    hess_inv: Any
    nfev: Any
    njev: Any
    nit: Any


def minimize(fun: Callable, x0, args: tuple = (), *, method: str, tol=None, options=None):
    """Minimise fun(x, *args) over a 1-D x from x0. method: 'BFGS'. options: maxiter
    (default 200 · x0.size), gtol (default 1e-5, or tol), norm (default inf: the
    gradient's max-norm must fall below gtol), line_search_maxiter (default 30)."""
    if not isinstance(args, tuple):
        raise TypeError(f"args argument to minimize must be a tuple, got {args}")
    options = dict(options or {})
    if method.lower() != "bfgs":
        raise ValueError(f"Method {method} not recognized")
    x0 = tnp.asarray(x0)
    if tnp.ndim(x0) != 1:
        raise ValueError("x0 must be a 1-dimensional array")
    if not np.issubdtype(x0.dtype, np.inexact):
        x0 = tnp.asarray(x0, np.float64)
    gtol = options.pop("gtol", 1e-5 if tol is None else tol)
    maxiter = options.pop("maxiter", None)
    norm = options.pop("norm", np.inf)
    maxls = options.pop("line_search_maxiter", 30)
    if options:
        raise TypeError(f"Unexpected options for BFGS: {sorted(options)}")
    return _bfgs(lambda x: fun(x, *args), x0, maxiter, norm, gtol, maxls)


def _bfgs(fun, x0, maxiter, norm, gtol, maxls):
    n = tnp.shape(x0)[0]
    dt = x0.dtype
    maxiter = 200 * n if maxiter is None else int(maxiter)
    vg = value_and_grad(fun)
    f0, g0 = vg(x0)
    eye = tnp.eye(n, dtype=dt)

    def gnorm(g):
        return tnp.linalg.norm(g, ord=norm)

    def line_search(x, f, g, p):
        slope = tnp.dot(g, p)

        def cond(s):
            i, alpha, f_new, g_new = s
            sufficient = f_new <= f + 1e-4 * alpha * slope
            return (i < maxls) & ~(sufficient & tnp.isfinite(f_new))

        def body(s):
            i, alpha, _, _ = s
            alpha = alpha * 0.5
            f_new, g_new = vg(x + alpha * p)
            return i + 1, alpha, f_new, g_new

        f1, g1 = vg(x + p)
        return while_loop(cond, body, (0, tnp.asarray(1.0, dt), f1, g1))

    def cond(s):
        k, _, _, g, _, status, *_ = s
        return (status < 0) & (k < maxiter)

    def body(s):
        k, x, f, g, h, status, nfev, njev = s
        p = -(h @ g)
        i, alpha, f_new, g_new = line_search(x, f, g, p)
        failed = i >= maxls
        step = alpha * p
        y = g_new - g
        ys = tnp.dot(y, step)
        rho = 1.0 / tnp.where(ys > 0, ys, 1.0)
        left = eye - rho * tnp.outer(step, y)
        h_new = left @ h @ left.T + rho * tnp.outer(step, step)
        h = tnp.where(ys > 0, h_new, h)
        x_new = tnp.where(failed, x, x + step)
        f_new = tnp.where(failed, f, f_new)
        g_new = tnp.where(failed, g, g_new)
        status = tnp.where(failed, 5, tnp.where(gnorm(g_new) < gtol, 0, -1))
        evals = nfev + i + 1
        return k + 1, x_new, f_new, g_new, h, status, evals, evals

    start_status = tnp.where(gnorm(g0) < gtol, 0, -1)
    init = (0, x0, f0, g0, eye, start_status, 1, 1)
    k, x, f, g, h, status, nfev, njev = while_loop(cond, body, init)
    status = tnp.where(status < 0, 1, status)
    return OptimizeResults(
        x=x,
        success=status == 0,
        status=status,
        fun=f,
        jac=g,
        hess_inv=h,
        nfev=nfev,
        njev=njev,
        nit=k,
    )
