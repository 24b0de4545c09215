"""A minimal functional layer kit, as jax.example_libraries.stax.

A layer is a pair ``(init_fun, apply_fun)``:

    init_fun(key, input_shape) -> (output_shape, params)
    apply_fun(params, inputs, **kwargs) -> outputs

Params are pytrees (tuples and lists of arrays), so they go straight into grad, jit and
tracejit.optim. The seed network:

    init, apply = serial(Dense(10), Relu, Dense(1), Sigmoid)
    _, params = init(random.key(0), (-1, 2))
    probs = apply(params, x)

Shapes may use -1 for the batch axis. Layers that need randomness (Dropout) take
``rng=key`` in apply; serial and parallel split it among their layers.
"""

from __future__ import annotations

import math

from .. import numpy as tnp
from .. import random
from . import activations as act
from .initializers import glorot_normal, normal

__all__ = [
    "Dense",
    "Dropout",
    "Elu",
    "Exp",
    "FanInConcat",
    "FanInSum",
    "FanOut",
    "Flatten",
    "Gelu",
    "Identity",
    "LeakyRelu",
    "LogSoftmax",
    "Relu",
    "Selu",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "elementwise",
    "parallel",
    "serial",
]


def Dense(out_dim: int, W_init=None, b_init=None):
    """Fully connected: ``inputs @ W + b`` with W of shape (in, out_dim)."""
    W_init = glorot_normal() if W_init is None else W_init
    b_init = normal() if b_init is None else b_init

    def init_fun(key, input_shape):
        k1, k2 = random.split(key)
        W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
        return tuple(input_shape[:-1]) + (out_dim,), (W, b)

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return tnp.dot(inputs, W) + b

    return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
    """A layer without parameters applying ``fun(inputs, **fun_kwargs)``."""

    def init_fun(key, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(act.tanh)
Relu = elementwise(act.relu)
Exp = elementwise(tnp.exp)
LogSoftmax = elementwise(act.log_softmax, axis=-1)
Softmax = elementwise(act.softmax, axis=-1)
Softplus = elementwise(act.softplus)
Sigmoid = elementwise(act.sigmoid)
Elu = elementwise(act.elu)
LeakyRelu = elementwise(act.leaky_relu)
Selu = elementwise(act.selu)
Gelu = elementwise(act.gelu)


def _flatten_init(key, input_shape):
    return (input_shape[0], math.prod(input_shape[1:])), ()


def _flatten_apply(params, inputs, **kwargs):
    return tnp.reshape(inputs, (inputs.shape[0], -1))


Flatten = (_flatten_init, _flatten_apply)
Identity = elementwise(lambda x: x)


def Dropout(rate: float, mode: str = "train"):
    """Dropout as stax defines it: ``rate`` is the probability of KEEPING a unit; kept
    units are scaled by 1 / rate. Needs ``rng=key`` in apply when mode == "train"."""

    def init_fun(key, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        if mode != "train":
            return inputs
        key = kwargs.get("rng")
        if key is None:
            raise ValueError(
                "Dropout in train mode needs a key: apply_fun(params, inputs, rng=key); "
                "use Dropout(rate, mode='test') for evaluation"
            )
        keep = random.bernoulli(key, rate, inputs.shape)
        return tnp.where(keep, inputs / rate, 0.0)

    return init_fun, apply_fun


def serial(*layers):
    """Layers in sequence; params are a list, one entry per layer."""
    n = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True) if layers else ((), ())

    def init_fun(key, input_shape):
        params = []
        for init in init_funs:
            key, layer_key = random.split(key)
            input_shape, param = init(layer_key, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        key = kwargs.pop("rng", None)
        keys = random.split(key, n) if key is not None else (None,) * n
        for fun, param, k in zip(apply_funs, params, keys, strict=True):
            inputs = fun(param, inputs, rng=k, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers):
    """Layers side by side on a tuple of inputs, giving a tuple of outputs."""
    n = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True) if layers else ((), ())

    def init_fun(key, input_shape):
        keys = random.split(key, n)
        outs = [init(k, s) for init, k, s in zip(init_funs, keys, input_shape, strict=True)]
        return tuple(o[0] for o in outs), tuple(o[1] for o in outs)

    def apply_fun(params, inputs, **kwargs):
        key = kwargs.pop("rng", None)
        keys = random.split(key, n) if key is not None else (None,) * n
        return tuple(
            f(p, x, rng=k, **kwargs)
            for f, p, x, k in zip(apply_funs, params, inputs, keys, strict=True)
        )

    return init_fun, apply_fun


def FanOut(num: int):
    """Copies of the input, for a following parallel."""

    def init_fun(key, input_shape):
        return (input_shape,) * num, ()

    def apply_fun(params, inputs, **kwargs):
        return (inputs,) * num

    return init_fun, apply_fun


def _fan_in_sum_init(key, input_shape):
    return input_shape[0], ()


def _fan_in_sum_apply(params, inputs, **kwargs):
    out = inputs[0]
    for x in inputs[1:]:
        out = out + x
    return out


FanInSum = (_fan_in_sum_init, _fan_in_sum_apply)


def FanInConcat(axis: int = -1):
    """Concatenates a tuple of inputs along axis."""

    def init_fun(key, input_shape):
        ax = axis % len(input_shape[0])
        size = sum(s[ax] for s in input_shape)
        return tuple(input_shape[0][:ax]) + (size,) + tuple(input_shape[0][ax + 1 :]), ()

    def apply_fun(params, inputs, **kwargs):
        return tnp.concatenate(inputs, axis=axis)

    return init_fun, apply_fun
