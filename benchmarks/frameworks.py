"""The frameworks under test, behind one small JAX-shaped interface.

Every automatic-differentiation workload is written once, as ``build_ad(fw, inputs)``,
against an adapter ``fw`` with JAX's names: ``fw.np`` (the array namespace), ``fw.jit``,
``fw.grad``, ``fw.value_and_grad``, ``fw.vmap``, ``fw.hessian``, ``fw.jvp``, ``fw.lax.scan``,
``fw.lax.fori_loop``, plus ``fw.prepare(fn, *args)`` which compiles ahead of time where the
framework can and returns the zero-argument callable the harness times. The first-call
script turns tracejit's ahead-of-time compile off (``compile_ahead = False``), so that it
times the first call as a user meets it, and then waits with ``wait_for_machine_code()``.

JAX and tracejit share one adapter: their public APIs are the same. torch and autograd
have no tracing compiler, so their ``jit`` is the identity and ``scan``/``fori_loop`` are
Python loops: that is how a user of those libraries writes the same program.
NumPy (hand-derived gradients, the reference) and hand-written Numba are not adapters:
each workload writes them directly.

Frameworks are imported lazily, so a missing one costs nothing and shows up as a note.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

FRAMEWORKS = ("tracejit", "jax", "torch", "autograd", "numba", "numpy")
AD_FRAMEWORKS = ("tracejit", "jax", "torch", "autograd")
DISTRIBUTIONS = {
    "tracejit": ("tracejit",),
    "jax": ("jax", "jaxlib"),
    "torch": ("torch",),
    "autograd": ("autograd",),
    "numba": ("numba", "llvmlite"),
    "numpy": ("numpy", "scipy"),
}


def not_installed(name: str) -> str | None:
    """Why framework `name` cannot be imported at all, or None if it can be tried."""
    if importlib.util.find_spec(name) is None:
        return f"{name}: not installed"
    return None


# ---------------------------------------------------------------- pytrees (tuple/list/dict)


def tree_leaves(tree: Any) -> list:
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in tree_leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in tree_leaves(item)]
    return [tree]


def tree_map(f: Callable, tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: tree_map(f, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(tree_map(f, item) for item in tree)
    return f(tree)


def tree_unflatten_like(tree: Any, leaves: list) -> Any:
    it = iter(leaves)

    def rebuild(t):
        if isinstance(t, dict):
            return {k: rebuild(t[k]) for k in sorted(t)}
        if isinstance(t, (tuple, list)):
            return type(t)(rebuild(item) for item in t)
        return next(it)

    return rebuild(tree)


def to_numpy(tree: Any) -> Any:
    """Any framework's result tree as NumPy arrays (torch tensors, jax arrays, floats)."""

    def leaf(x):
        if hasattr(x, "detach"):  # torch
            return x.detach().cpu().numpy()
        return np.asarray(x)

    return tree_map(leaf, tree)


# ---------------------------------------------------------------- JAX and tracejit


class JaxLike:
    """JAX or tracejit: the API names are forwarded to the library as they are used, so a
    missing transform fails the workloads that use it (AttributeError) and no others."""

    def __init__(self, name: str):
        self.name = name
        if name == "jax":
            os.environ.setdefault("JAX_PLATFORMS", "cpu")
            import jax
            import jax.numpy as jnp

            jax.config.update("jax_enable_x64", True)
            self.lib, self.np = jax, jnp
        else:
            import tracejit
            import tracejit.numpy as tnp

            self.lib, self.np = tracejit, tnp
        self.compile_ahead = True  # tracejit: prepare() blocks until machine code is ready
        self._compiles: list[Callable[[], Any]] = []  # else: what wait_for_machine_code() runs

    def __getattr__(self, api: str):  # jit, grad, value_and_grad, vmap, hessian, jvp, lax
        return getattr(self.lib, api)

    def asarray(self, tree):
        if self.name == "jax":
            return self.lib.device_put(tree)
        return tree  # tracejit takes NumPy arrays as they are

    def prepare(self, fn, *args):
        if self.name == "tracejit":
            # jit(f).compile(*args) blocks until machine code is ready, so the timed calls
            # never run the interpreter while compilation finishes in the background.
            if self.compile_ahead:
                fn.compile(*args)
            else:
                self._compiles.append(lambda: fn.compile(*args))
            return lambda: fn(*args)
        ready = self.lib.block_until_ready
        return lambda: ready(fn(*args))

    def wait_for_machine_code(self) -> None:
        """tracejit with compile_ahead off: block until every function prepared so far runs
        machine code (its first call compiled it in the background, or this call does)."""
        while self._compiles:
            self._compiles.pop(0)()


# ---------------------------------------------------------------- torch and autograd


class PythonLax:
    """lax.scan and lax.fori_loop as the Python loops an eager-framework user writes."""

    def __init__(self, stack: Callable):
        self.stack = stack

    def scan(self, f, init, xs):
        carry, ys = init, []
        for x in xs:
            carry, y = f(carry, x)
            ys.append(y)
        return carry, self.stack(ys)

    def fori_loop(self, lower, upper, body, init):
        val = init
        for i in range(lower, upper):
            val = body(i, val)
        return val


def loop_vmap(f, in_axes=0, stack=np.stack):
    """vmap for a framework without one: call f per example and stack the results."""

    def batched(*args):
        axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        n = next(len(tree_leaves(a)[0]) for a, ax in zip(args, axes, strict=True) if ax is not None)
        outs = [
            f(
                *(
                    a if ax is None else tree_map(lambda x, i=i: x[i], a)
                    for a, ax in zip(args, axes, strict=True)
                )
            )
            for i in range(n)
        ]
        return tree_unflatten_like(
            outs[0], [stack(ls) for ls in zip(*map(tree_leaves, outs), strict=True)]
        )

    return batched


class _TorchNumpy:
    """NumPy's spelling for the few torch functions whose names or arguments differ."""

    def __init__(self, torch):
        self._torch = torch

    def __getattr__(self, name):  # tanh, exp, sin, log, sum(axis=, keepdims=), mean, ...
        return getattr(self._torch, name)

    def max(self, x, axis=None, keepdims=False):
        return self._torch.amax(x, dim=() if axis is None else axis, keepdim=keepdims)

    def maximum(self, x, y):
        if isinstance(y, (int, float)):
            return self._torch.clamp_min(x, y)
        return self._torch.maximum(x, y)


class Torch:
    """torch eager (torch.compile's CPU compile takes minutes; eager is how torch is used
    for programs of this size). `grad` uses torch.autograd.grad when it is the outermost
    transform, 2-3x less per-call overhead than torch.func.grad, and torch.func.grad when
    it runs inside vmap/jvp/hessian, which need it."""

    name = "torch"

    def __init__(self):
        import torch
        import torch.func

        self.torch = torch
        self.np = _TorchNumpy(torch)
        self.lax = PythonLax(torch.stack)

    def jit(self, f):
        return f

    def _grad(self, f, argnums, with_value):
        torch = self.torch
        from torch._C._functorch import maybe_current_level

        func = (torch.func.grad_and_value if with_value else torch.func.grad)(f, argnums)

        def g(*args):
            if maybe_current_level() is not None:  # inside a torch.func transform
                out = func(*args)
                return out[::-1] if with_value else out
            args = list(args)
            leaves = [x.detach().requires_grad_() for x in tree_leaves(args[argnums])]
            args[argnums] = tree_unflatten_like(args[argnums], leaves)
            with torch.enable_grad():
                value = f(*args)
                grads = torch.autograd.grad(value, leaves)
            grads = tree_unflatten_like(args[argnums], list(grads))
            return (value.detach(), grads) if with_value else grads

        return g

    def grad(self, f, argnums=0):
        return self._grad(f, argnums, with_value=False)

    def value_and_grad(self, f, argnums=0):
        return self._grad(f, argnums, with_value=True)

    def vmap(self, f, in_axes=0):
        return self.torch.func.vmap(f, in_dims=in_axes)

    def hessian(self, f):
        return self.torch.func.hessian(f)

    def jvp(self, f, primals, tangents):
        return self.torch.func.jvp(f, primals, tangents)

    def asarray(self, tree):
        return tree_map(lambda x: self.torch.from_numpy(np.asarray(x)), tree)

    def prepare(self, fn, *args):
        return lambda: fn(*args)


class Autograd:
    """HIPS autograd: eager, reverse mode on NumPy; vmap is a loop over examples."""

    name = "autograd"

    def __init__(self):
        import autograd
        import autograd.numpy as anp

        self.autograd = autograd
        self.np = anp
        self.lax = PythonLax(anp.stack)

    def jit(self, f):
        return f

    def grad(self, f, argnums=0):
        return self.autograd.grad(f, argnums)

    def value_and_grad(self, f, argnums=0):
        return self.autograd.value_and_grad(f, argnums)

    def vmap(self, f, in_axes=0):
        return loop_vmap(f, in_axes)

    def hessian(self, f):
        return self.autograd.hessian(f)

    def jvp(self, f, primals, tangents):
        # forward mode (autograd.make_jvp), one primal argument as in the workloads
        from autograd.differential_operators import make_jvp

        (x,), (t,) = primals, tangents
        return make_jvp(f)(x)(t)

    def asarray(self, tree):
        return tree

    def prepare(self, fn, *args):
        return lambda: fn(*args)


_ADAPTERS: dict[str, Any] = {}


def adapter(name: str):
    """The adapter for an AD framework, imported on first use (ImportError if missing)."""
    if name not in _ADAPTERS:
        if name in ("jax", "tracejit"):
            _ADAPTERS[name] = JaxLike(name)
        elif name == "torch":
            _ADAPTERS[name] = Torch()
        elif name == "autograd":
            _ADAPTERS[name] = Autograd()
        else:
            raise ValueError(f"{name!r} is not an AD framework; choose from {AD_FRAMEWORKS}")
    return _ADAPTERS[name]
