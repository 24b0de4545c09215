"""Helpers shared by primitive rules: type checks, batching helpers, symbolic zeros.

Rules are written with ops (binders), never raw NumPy, so they can be traced again:
that is what makes grad(grad(f)) and vmap(grad(f)) work with no extra machinery.
"""

from __future__ import annotations

import numpy as np

from ..ir import ShapedArray
from ..trace import TraceError, user_src

__all__ = ["UndefinedPrimal", "shape_error", "is_float", "moveaxis_to", "ndim_of", "shape_of"]


class UndefinedPrimal:
    """A linear input of a transpose rule: its aval is known, its value is not."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.aval})"


def shape_error(prim: str, msg: str) -> TraceError:
    return TraceError(f"{prim}: {msg} (at {user_src()})")


def is_float(dtype) -> bool:
    return np.issubdtype(dtype, np.inexact)


def shape_of(x) -> tuple:
    return tuple(np.shape(x)) if not hasattr(x, "aval") else x.aval.shape


def ndim_of(x) -> int:
    return len(shape_of(x))


def dtype_of(x) -> np.dtype:
    return x.aval.dtype if hasattr(x, "aval") else np.asarray(x).dtype


def moveaxis_to(x, src: int | None, dst: int):
    """Move batch axis `src` of x to position `dst` with one transpose (no-op if equal)."""
    from .shape import transpose

    if src is None or src == dst:
        return x
    perm = [i for i in range(ndim_of(x)) if i != src]
    perm.insert(dst, src)
    return transpose(x, perm=tuple(perm))
