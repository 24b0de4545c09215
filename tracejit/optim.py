"""tracejit.optim: optimisers as pure (init, update) pairs over pytrees, as optax.

    opt = tj.optim.adam(1e-3)
    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = tj.optim.apply_updates(params, updates)

A `GradientTransformation` is a pair of pure functions: `init(params) -> state` and
`update(updates, state, params=None) -> (updates, state)`. States are pytrees of arrays
(NamedTuples; the step count is an int64 0-d array), so a whole training step, update
included, goes under `tj.jit`. Optimisers are chains of small transformations, with
optax's names and formulas:

    sgd      = chain(trace(momentum, nesterov)?, scale_by_learning_rate(lr))
    rmsprop  = chain(scale_by_rms(decay, eps) or scale_by_stddev, trace?, scale_by_learning_rate)
    adam     = chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(lr))
    adamw    = chain(scale_by_adam(...), add_decayed_weights(wd), scale_by_learning_rate(lr))

A learning rate may be a number or a schedule `count -> rate` (traceable: see the
schedules at the end), evaluated at the number of updates made so far.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from . import numpy as tnp
from . import tree

__all__ = [
    "GradientTransformation",
    "adam",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "clip",
    "clip_by_global_norm",
    "constant_schedule",
    "cosine_decay_schedule",
    "exponential_decay",
    "global_norm",
    "identity",
    "linear_schedule",
    "momentum",
    "nesterov",
    "rmsprop",
    "scale",
    "scale_by_adam",
    "scale_by_learning_rate",
    "scale_by_rms",
    "scale_by_schedule",
    "scale_by_stddev",
    "sgd",
    "trace",
]


class GradientTransformation(NamedTuple):
    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class EmptyState(NamedTuple):
    pass


def _zeros_like(params):
    return tree.map(tnp.zeros_like, params)


def _count0():
    return np.zeros((), np.int64)


def _as(x, like):
    """A scalar in the dtype of the leaf it multiplies, so float32 stays float32."""
    return tnp.asarray(x, tnp.asarray(like).dtype)


def apply_updates(params, updates):
    """params + updates, leafwise, keeping each parameter's dtype."""
    return tree.map(lambda p, u: tnp.asarray(p + u, tnp.asarray(p).dtype), params, updates)


def global_norm(updates):
    """sqrt of the sum of squares of every element of every leaf."""
    return tnp.sqrt(sum(tnp.sum(tnp.square(x)) for x in tree.leaves(updates)))


def identity() -> GradientTransformation:
    """Updates unchanged."""
    return GradientTransformation(lambda params: EmptyState(), lambda u, s, p=None: (u, s))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Transformations applied in order; the state is the tuple of their states."""

    def init(params):
        return tuple(t.init(params) for t in transforms)

    def update(updates, state, params=None):
        new_state = []
        for t, s in zip(transforms, state, strict=True):
            updates, s = t.update(updates, s, params)
            new_state.append(s)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


# ---------------------------------------------------------------------------
# scaling


def scale(step_size) -> GradientTransformation:
    """updates * step_size."""

    def update(updates, state, params=None):
        return tree.map(lambda g: g * _as(step_size, g), updates), state

    return GradientTransformation(lambda params: EmptyState(), update)


class ScaleByScheduleState(NamedTuple):
    count: Any


def scale_by_schedule(step_size_fn: Callable) -> GradientTransformation:
    """updates * step_size_fn(count), count the number of updates made before this one."""

    def init(params):
        return ScaleByScheduleState(_count0())

    def update(updates, state, params=None):
        step = step_size_fn(state.count)
        updates = tree.map(lambda g: g * _as(step, g), updates)
        return updates, ScaleByScheduleState(state.count + 1)

    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate, *, flip_sign: bool = True) -> GradientTransformation:
    """updates * -learning_rate (a number or a schedule): gradients become descent steps."""
    sign = -1.0 if flip_sign else 1.0
    if callable(learning_rate):
        return scale_by_schedule(lambda count: sign * learning_rate(count))
    return scale(sign * learning_rate)


class TraceState(NamedTuple):
    trace: Any


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: t = g + decay t, and the update is t (or g + decay t, Nesterov)."""

    def init(params):
        return TraceState(_zeros_like(params))

    def update(updates, state, params=None):
        new_trace = tree.map(lambda g, t: g + _as(decay, g) * t, updates, state.trace)
        if nesterov:
            updates = tree.map(lambda g, t: g + _as(decay, g) * t, updates, new_trace)
        else:
            updates = new_trace
        return updates, TraceState(new_trace)

    return GradientTransformation(init, update)


class ScaleByAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


def _ema(new, old, decay):
    """decay * old + (1 - decay) * new, leafwise."""
    return tree.map(lambda n, o: _as(1 - decay, n) * n + _as(decay, o) * o, new, old)


def _bias_corrected(moment, decay, count):
    """moment / (1 - decay**count): undoes the pull of the zero initial moment."""
    correction = 1 - tnp.power(decay, tnp.asarray(count, np.float64))
    return tree.map(lambda m: m / _as(correction, m), moment)


def scale_by_adam(
    b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0
) -> GradientTransformation:
    """Adam's direction: mu_hat / (sqrt(nu_hat + eps_root) + eps), with mu and nu the
    bias-corrected moving averages of g and g**2."""

    def init(params):
        return ScaleByAdamState(_count0(), _zeros_like(params), _zeros_like(params))

    def update(updates, state, params=None):
        mu = _ema(updates, state.mu, b1)
        nu = _ema(tree.map(tnp.square, updates), state.nu, b2)
        count = state.count + 1
        mu_hat = _bias_corrected(mu, b1, count)
        nu_hat = _bias_corrected(nu, b2, count)
        updates = tree.map(
            lambda m, v: m / (tnp.sqrt(v + _as(eps_root, v)) + _as(eps, v)), mu_hat, nu_hat
        )
        return updates, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(init, update)


class ScaleByRmsState(NamedTuple):
    nu: Any


def scale_by_rms(
    decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0
) -> GradientTransformation:
    """g / sqrt(nu + eps), nu the moving average of g**2 (optax's scale_by_rms)."""

    def init(params):
        return ScaleByRmsState(tree.map(lambda p: tnp.full_like(p, initial_scale), params))

    def update(updates, state, params=None):
        nu = _ema(tree.map(tnp.square, updates), state.nu, decay)
        updates = tree.map(lambda g, n: g / tnp.sqrt(n + _as(eps, n)), updates, nu)
        return updates, ScaleByRmsState(nu)

    return GradientTransformation(init, update)


class ScaleByRStdDevState(NamedTuple):
    mu: Any
    nu: Any


def scale_by_stddev(
    decay: float = 0.9, eps: float = 1e-8, initial_scale: float = 0.0
) -> GradientTransformation:
    """g / sqrt(nu - mu**2 + eps): centred RMSProp, mu and nu the moving averages of g
    and g**2."""

    def init(params):
        nu = tree.map(lambda p: tnp.full_like(p, initial_scale), params)
        return ScaleByRStdDevState(_zeros_like(params), nu)

    def update(updates, state, params=None):
        mu = _ema(updates, state.mu, decay)
        nu = _ema(tree.map(tnp.square, updates), state.nu, decay)
        updates = tree.map(
            lambda g, m, n: g / tnp.sqrt(n - tnp.square(m) + _as(eps, n)), updates, mu, nu
        )
        return updates, ScaleByRStdDevState(mu, nu)

    return GradientTransformation(init, update)


def add_decayed_weights(weight_decay: float = 0.0, mask=None) -> GradientTransformation:
    """updates + weight_decay * params (decoupled weight decay, as AdamW). ``mask``, a
    pytree of bools like params or a function params -> such a pytree, limits the decay
    to the leaves where it is true."""

    def update(updates, state, params=None):
        if params is None:
            raise ValueError("add_decayed_weights needs params: opt.update(grads, state, params)")
        decayed = tree.map(lambda g, p: g + _as(weight_decay, g) * p, updates, params)
        if mask is not None:
            m = mask(params) if callable(mask) else mask
            decayed = tree.map(lambda keep, d, g: d if keep else g, m, decayed, updates)
        return decayed, state

    return GradientTransformation(lambda params: EmptyState(), update)


# ---------------------------------------------------------------------------
# clipping


def clip(max_delta: float) -> GradientTransformation:
    """Each element clipped to [-max_delta, max_delta]."""

    def update(updates, state, params=None):
        return tree.map(lambda g: tnp.clip(g, -max_delta, max_delta), updates), state

    return GradientTransformation(lambda params: EmptyState(), update)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """All updates scaled by max_norm / global_norm when the global norm exceeds max_norm
    (one factor for the whole pytree, so the direction is kept)."""

    def update(updates, state, params=None):
        norm = global_norm(updates)
        small = norm < max_norm
        # the untaken branch may divide by a zero norm; select keeps its NaN out
        updates = tree.map(
            lambda g: tnp.where(small, g, g / _as(norm, g) * _as(max_norm, g)), updates
        )
        return updates, state

    return GradientTransformation(lambda params: EmptyState(), update)


# ---------------------------------------------------------------------------
# optimisers


def sgd(learning_rate, momentum: float | None = None, nesterov: bool = False):
    """Stochastic gradient descent, with optional (Nesterov) momentum."""
    first = trace(momentum, nesterov) if momentum is not None else identity()
    return chain(first, scale_by_learning_rate(learning_rate))


def momentum(learning_rate, beta: float = 0.9):
    """SGD with heavy-ball momentum: t = g + beta t; params -= lr t."""
    return sgd(learning_rate, beta)


def nesterov(learning_rate, beta: float = 0.9):
    """SGD with Nesterov momentum: t = g + beta t; params -= lr (g + beta t)."""
    return sgd(learning_rate, beta, nesterov=True)


def rmsprop(
    learning_rate,
    decay: float = 0.9,
    eps: float = 1e-8,
    initial_scale: float = 0.0,
    centered: bool = False,
    momentum: float | None = None,
    nesterov: bool = False,
):
    """RMSProp: g / sqrt(moving average of g**2 + eps) (centred: minus the squared mean
    of g), with optional momentum on top."""
    scaler = scale_by_stddev if centered else scale_by_rms
    parts = [scaler(decay, eps, initial_scale)]
    if momentum is not None:
        parts.append(trace(momentum, nesterov))
    return chain(*parts, scale_by_learning_rate(learning_rate))


def adam(learning_rate, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root=0.0):
    """Adam (Kingma & Ba 2015)."""
    return chain(scale_by_adam(b1, b2, eps, eps_root), scale_by_learning_rate(learning_rate))


def adamw(
    learning_rate,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    eps_root: float = 0.0,
    weight_decay: float = 1e-4,
    mask=None,
):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): the decay term
    weight_decay * params is added to Adam's direction, then scaled by the rate."""
    return chain(
        scale_by_adam(b1, b2, eps, eps_root),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    )


# ---------------------------------------------------------------------------
# learning-rate schedules: count -> rate, written with tracejit.numpy (count may be traced)


def constant_schedule(value):
    return lambda count: tnp.full((), value, np.float64)


def linear_schedule(init_value, end_value, transition_steps: int, transition_begin: int = 0):
    """From init_value to end_value linearly over transition_steps, after transition_begin."""

    def schedule(count):
        frac = tnp.clip((count - transition_begin) / max(transition_steps, 1), 0.0, 1.0)
        return init_value + frac * (end_value - init_value)

    return schedule


def exponential_decay(
    init_value,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value=None,
):
    """init_value * decay_rate ** ((count - transition_begin) / transition_steps), held at
    init_value before transition_begin; staircase floors the exponent; end_value bounds it."""

    def schedule(count):
        p = tnp.maximum(count - transition_begin, 0) / transition_steps
        if staircase:
            p = tnp.floor(p)
        value = init_value * tnp.power(decay_rate, p)
        if end_value is not None:
            bound = tnp.maximum if decay_rate < 1 else tnp.minimum
            value = bound(value, end_value)
        return value

    return schedule


def cosine_decay_schedule(init_value, decay_steps: int, alpha: float = 0.0, exponent=1.0):
    """init_value * ((1 - alpha) * ((1 + cos(pi t)) / 2) ** exponent + alpha), with
    t = min(count, decay_steps) / decay_steps."""

    def schedule(count):
        t = tnp.minimum(count, decay_steps) / decay_steps
        cosine = 0.5 * (1 + tnp.cos(np.pi * t))
        return init_value * ((1 - alpha) * cosine**exponent + alpha)

    return schedule
