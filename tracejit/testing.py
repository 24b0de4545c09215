"""Public checks for derivative rules, so users writing custom rules can test them too.

check_grads(f, args, order) compares forward mode, reverse mode and central finite
differences in random directions, to any order, and reports the error per input.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import tree
from .api import jvp, vjp
from .dtypes import float0

__all__ = ["check_grads", "check_jvp", "check_vjp", "numerical_jvp"]


def _tol(dtype, atol, rtol):
    f32 = np.dtype(dtype) == np.float32
    return (atol or (1e-2 if f32 else 1e-5)), (rtol or (1e-2 if f32 else 1e-5))


def _leaves(x):
    # float0 (the tangent of an integer value) holds no data: it counts as zeros
    return [
        np.zeros(np.shape(v)) if np.asarray(v).dtype == float0 else np.asarray(v)
        for v in tree.leaves(x)
    ]


def _random_like(rng, args):
    """Random directions; integer and boolean values get float0 (they do not move)."""

    def one(a):
        dt = np.asarray(a).dtype
        if not np.issubdtype(dt, np.inexact):
            return np.zeros(np.shape(a), float0)
        return rng.normal(size=np.shape(a)).astype(dt)

    return tree.map(one, args)


def _axpy(a, x, y):
    return tree.map(lambda xi, yi: yi if np.asarray(xi).dtype == float0 else yi + a * xi, x, y)


def numerical_jvp(f: Callable, args: Sequence, tangents: Sequence, eps: float = 1e-4):
    """Central difference (f(x + eps t) - f(x - eps t)) / 2 eps, on pytrees."""
    plus = f(*_axpy(eps, tangents, args))
    minus = f(*_axpy(-eps, tangents, args))
    return tree.map(
        lambda p, m: (
            (np.asarray(p) - np.asarray(m)) / (2 * eps)
            if np.issubdtype(np.asarray(p).dtype, np.inexact)
            else np.zeros(np.shape(p))
        ),  # integer outputs do not move
        plus,
        minus,
    )


class GradCheckError(AssertionError):
    pass


def _close(got, want, atol, rtol) -> np.ndarray:
    """Elementwise |got - want| <= atol + rtol |want|, where NaN matches NaN and an
    infinity matches itself (as JAX's check_grads: a NaN derivative at a NaN input is
    right, not a mismatch)."""
    got, want = np.asarray(got), np.asarray(want)
    with np.errstate(invalid="ignore"):
        near = np.abs(got - want) <= atol + rtol * np.abs(want)
        return near | (got == want) | (np.isnan(got) & np.isnan(want))


def _compare(what, got, want, atol, rtol):
    bad = []
    for k, (g, w) in enumerate(zip(_leaves(got), _leaves(want))):
        ok = _close(g, w, atol, rtol)
        if not np.all(ok):
            with np.errstate(invalid="ignore"):
                err = np.max(np.where(ok, 0.0, np.abs(g - w) - rtol * np.abs(w)), initial=0.0)
            bad.append(f"output leaf {k}: max error {err:.3g} (got {g!r}, expected {w!r})")
    if bad:
        raise GradCheckError(f"{what} mismatch:\n  " + "\n  ".join(bad))


def check_jvp(f, args, atol=None, rtol=None, eps=1e-4, seed=0):
    """Forward mode vs central differences in a random direction."""
    rng = np.random.default_rng(seed)
    t = _random_like(rng, tuple(args))
    dt = np.result_type(*_leaves(args)) if _leaves(args) else np.float64
    atol, rtol = _tol(dt, atol, rtol)
    _, got = jvp(f, tuple(args), t)
    want = numerical_jvp(f, tuple(args), t, eps)
    _compare("jvp vs finite differences", got, want, atol, rtol)


def check_vjp(f, args, atol=None, rtol=None, eps=1e-4, seed=0):
    """⟨u, J v⟩ by central differences equals ⟨Jᵀ u, v⟩ from reverse mode, per input."""
    rng = np.random.default_rng(seed)
    v = _random_like(rng, tuple(args))
    out = f(*args)
    jv = numerical_jvp(f, tuple(args), v, eps)
    u = _random_like(rng, out)
    _, vjp_fn = vjp(f, *args)
    jtu = vjp_fn(u)
    dt = np.result_type(*_leaves(args)) if _leaves(args) else np.float64
    atol, rtol = _tol(dt, atol, rtol)
    lhs = sum(float(np.vdot(a, b)) for a, b in zip(_leaves(u), _leaves(jv)))
    per_input = [
        sum(float(np.vdot(a, b)) for a, b in zip(_leaves(ji), _leaves(vi)))
        for ji, vi in zip(jtu, v)
    ]
    rhs = sum(per_input)
    if not _close(rhs, lhs, atol, rtol):
        raise GradCheckError(
            f"vjp vs jvp mismatch: <u, J v> = {lhs!r} but <J^T u, v> = {rhs!r}; "
            f"per-input contributions {per_input}"
        )


def check_grads(
    f: Callable,
    args: Sequence | None = None,
    order: int = 2,
    modes: Sequence[str] = ("fwd", "rev"),
    atol=None,
    rtol=None,
    eps: float = 1e-4,
    seed: int = 0,
    nudge: bool = True,
) -> None:
    """Check f's derivatives up to `order` in the given modes; raise GradCheckError with
    per-input details on a mismatch. With `nudge`, a failure is retried once at a point
    moved slightly away (finite differences are wrong at kinks, e.g. relu at 0).

    Without `args` (autograd's spelling, `check_grads(f, order=2)(*args)`), returns the
    check as a function of the arguments."""
    if args is None:
        options = dict(order=order, modes=modes, atol=atol, rtol=rtol, eps=eps, seed=seed)
        return lambda *a: check_grads(f, a, nudge=nudge, **options)
    args = tuple(args)
    try:
        _check_grads(f, args, order, tuple(modes), atol, rtol, eps, seed)
    except GradCheckError:
        if not nudge:
            raise
        rng = np.random.default_rng(seed + 1)
        moved = tree.map(
            lambda a: (
                np.asarray(a) + 1e-3 * rng.normal(size=np.shape(a))
                if np.issubdtype(np.asarray(a).dtype, np.floating)
                else a
            ),
            args,
        )
        _check_grads(f, moved, order, tuple(modes), atol, rtol, eps, seed)


def _check_grads(f, args, order, modes, atol, rtol, eps, seed):
    if "fwd" in modes:
        check_jvp(f, args, atol, rtol, eps, seed)
        if order > 1:
            rng = np.random.default_rng(seed + 7)
            v = _random_like(rng, args)
            _check_grads(
                lambda *a: jvp(f, a, v)[1], args, order - 1, ("fwd",), atol, rtol, eps, seed + 1
            )
    if "rev" in modes:
        check_vjp(f, args, atol, rtol, eps, seed)
        if order > 1:
            rng = np.random.default_rng(seed + 11)
            out = f(*args)
            u = _random_like(rng, out)
            _check_grads(
                lambda *a: vjp(f, *a)[1](u), args, order - 1, ("rev",), atol, rtol, eps, seed + 1
            )
