"""Sample inputs for every registered primitive; the law tests run over all of them.

Each family of primitives has a module here with a `CASES` list. A Case names the
primitive, gives argument makers (rng -> array) and params. Being listed here is how a
primitive gets tested: shape rule vs impl, JVP vs central differences, VJP vs JVP
(dot-product test), transpose of linear primitives (dot-product test), vmap vs a loop,
and later jit vs the interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


def F(*shape, lo=-2.0, hi=2.0, dtype=np.float64) -> Callable:
    """Random floats in [lo, hi)."""
    return lambda rng: rng.uniform(lo, hi, size=shape).astype(dtype)


def I(*shape, lo=-5, hi=5, dtype=np.int64) -> Callable:  # noqa: E743
    """Random integers in [lo, hi)."""
    return lambda rng: rng.integers(lo, hi, size=shape).astype(dtype)


def B(*shape) -> Callable:
    """Random booleans."""
    return lambda rng: rng.uniform(size=shape) < 0.5


def SPD(n, batch=()) -> Callable:
    """Random symmetric positive-definite matrices, well conditioned."""

    def make(rng):
        a = rng.normal(size=batch + (n, n))
        return a @ np.swapaxes(a, -1, -2) / n + np.eye(n)

    return make


def C(value) -> Callable:
    """A fixed array."""
    return lambda rng: np.asarray(value)


@dataclass
class Case:
    prim: str
    args: list  # makers: rng -> np.ndarray
    params: dict = field(default_factory=dict)
    diff: tuple | None = None  # indices of args to differentiate; None: all float args
    linear: tuple = ()  # indices of args the primitive is linear in (for transpose tests)
    vmap: bool = True
    jvp: bool = True
    rtol: float = 1e-6
    eps: float = 1e-6  # finite-difference step
    note: str = ""

    def make(self, seed=0):
        rng = np.random.default_rng(seed)
        return [m(rng) for m in self.args]

    def __repr__(self):
        shapes = ",".join(str(np.shape(a)) for a in self.make())
        return f"{self.prim}[{shapes}]{self.note}"
