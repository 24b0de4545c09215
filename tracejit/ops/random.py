"""The random-number primitive: the Threefry-2x32 hash, elementwise on uint32 arrays.

Counter-based generation needs one primitive only: ``threefry2x32(k0, k1, x0, x1)``
hashes each counter pair (x0, x1) under the key (k0, k1) into two words (y0, y1), as
JAX's primitive of the same name does. tracejit.random builds keys, splits, bits and
every sampler from it with ordinary ops, so they trace, batch over keys (vmap of an
elementwise primitive) and compile like any other program; the eager interpreter and
the generated Numba loop compute the same bits (tracejit/_threefry.py, tested).
"""

from __future__ import annotations

import numpy as np

from ..ir import ShapedArray
from ..trace import Primitive, bind
from .common import shape_error
from .elementwise import vmap_elementwise


def _threefry2x32_impl(k0, k1, x0, x1):
    from .. import _threefry  # here, not at the top: it imports Numba (~1 s)

    k0, k1, x0, x1 = (np.asarray(a, np.uint32) for a in (k0, k1, x0, x1))
    if k0.ndim == 0 and k1.ndim == 0:  # one key: the chunked NumPy hash
        return _threefry.threefry2x32_block((k0, k1), x0, x1)
    k0, k1, x0, x1 = np.broadcast_arrays(k0, k1, x0, x1)
    shape = x0.shape
    y0, y1 = x0.ravel().copy(), x1.ravel().copy()
    # a key per element: the same rounds, with the key words as arrays
    _threefry._block_numpy(k0.ravel(), k1.ravel(), y0, y1)
    return y0.reshape(shape), y1.reshape(shape)


def _threefry2x32_shape(k0, k1, x0, x1):
    avals = (k0, k1, x0, x1)
    if any(a.dtype != np.uint32 for a in avals):
        raise shape_error(
            "threefry2x32", f"operands must be uint32, got {', '.join(map(str, avals))}"
        )
    shapes = {a.shape for a in avals if a.shape != ()}
    if len(shapes) > 1:
        raise shape_error(
            "threefry2x32",
            f"operand shapes {' and '.join(str(a.shape) for a in avals)} differ; "
            "only 0-d operands broadcast",
        )
    out = ShapedArray(shapes.pop() if shapes else (), np.dtype(np.uint32))
    return out, out


def _threefry2x32_vmap(args, bdims):
    outs, bdim = _vmap_one(args, bdims)
    return outs, (bdim, bdim)


def _threefry2x32_lower(gen, eqn):
    """One call of the scalar hash per element; LLVM inlines it into the loop."""
    gen.use("tracejit._threefry", "threefry2x32_scalar")
    y0, y1 = eqn.outs
    ndim = y0.aval.ndim
    if ndim == 0:
        args = ", ".join(gen.scalar(a) for a in eqn.inputs)
        gen.line(f"{gen.scalar(y0)}, {gen.scalar(y1)} = threefry2x32_scalar({args})")
        gen.kind[y0.id] = gen.kind[y1.id] = "scalar"
        return
    gen.line("", gen.eqn_text(eqn))
    for y in (y0, y1):
        gen.line(f"{gen.array(y)} = np.empty({gen.shape_text(y)}, np.uint32)")
    idx = [gen.tmp("j") for _ in range(ndim)]
    for k, i in enumerate(idx):
        gen.line(f"for {i} in range({gen.dim(y0, k)}):")
        gen.indent += 1
    at = ", ".join(idx)
    args = ", ".join(f"{gen.array(a)}[{at}]" if a.aval.ndim else gen.scalar(a) for a in eqn.inputs)
    gen.line(f"{gen.array(y0)}[{at}], {gen.array(y1)}[{at}] = threefry2x32_scalar({args})")
    gen.indent -= ndim
    gen.done(y0)
    gen.done(y1)


threefry2x32_p = Primitive(
    "threefry2x32",
    impl=_threefry2x32_impl,
    shape=_threefry2x32_shape,
    vmap=_threefry2x32_vmap,
    lower=_threefry2x32_lower,
    multiple_results=True,
    doc="threefry2x32(k0, k1, x0, x1) -> (y0, y1): Threefry-2x32-20 of the counters "
    "(x0, x1) under the key (k0, k1), elementwise on uint32 (0-d operands broadcast). "
    "Integer outputs: no derivative.",
)
_vmap_one = vmap_elementwise(threefry2x32_p)


def threefry2x32(k0, k1, x0, x1):
    return bind(threefry2x32_p, k0, k1, x0, x1)
