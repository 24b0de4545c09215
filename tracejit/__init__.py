"""tracejit: composable function transformations (grad, vmap, jit) for NumPy code."""

from . import ops  # noqa: F401  (registers the primitives)
from . import tree
from .api import (
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linear_transpose,
    linearize,
    make_ir,
    value_and_grad,
    vjp,
    vmap,
)
from .ir import IR, ShapedArray
from .ops.elementwise import stop_gradient
from .trace import ConcretizationError, TraceError, TracerLeakError

__all__ = [
    "IR",
    "ShapedArray",
    "ConcretizationError",
    "TraceError",
    "TracerLeakError",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linear_transpose",
    "linearize",
    "make_ir",
    "stop_gradient",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
