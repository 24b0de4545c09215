"""tracejit.debug: print and call back into Python from transformed code, as jax.debug.

    tj.debug.print("x = {x}, loss = {}", loss, x=x)

Values are shown where they are concrete: eagerly, under grad/jvp/vjp outside jit
(the primal values), and in a function run under ``tracejit.disable_jit()``. Inside
jit, vmap and loop bodies tracing sees shapes only and compiled code cannot call back
into Python, so these functions raise a ConcretizationError there (JAX prints at run
time from compiled code; tracejit cannot, and says so rather than print nothing).
"""

from __future__ import annotations

from typing import Callable

from . import tree
from ._api_extras import _concrete

__all__ = ["callback", "print"]

_print = print


def _values(args, kwargs, what: str):
    return tree.map(lambda x: _concrete(x, what), (args, kwargs))


def print(fmt: str, *args, ordered: bool = False, partitioned: bool = False, **kwargs) -> None:
    """``print(fmt.format(*args, **kwargs))`` with the arguments' concrete values (arrays
    print as NumPy prints them). ``ordered`` and ``partitioned`` are accepted for JAX
    code: calls run in program order here."""
    a, k = _values(args, kwargs, "tracejit.debug.print")
    _print(fmt.format(*a, **k))


def callback(callback: Callable, *args, ordered: bool = False, partitioned: bool = False, **kwargs):
    """``callback(*args, **kwargs)`` on the arguments' concrete values; returns None."""
    a, k = _values(args, kwargs, "tracejit.debug.callback")
    callback(*a, **k)
