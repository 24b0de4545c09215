"""tracejit: composable function transformations (grad, vmap, jit) for NumPy code."""

from . import ops  # noqa: F401  (registers the primitives)
from . import lax, nn, optim, random, tree
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
from .custom import checkpoint, custom_jvp, custom_vjp, remat, straight_through
from .ir import IR, ShapedArray
from .jit import jit
from .ops.elementwise import stop_gradient
from .testing import check_grads
from .trace import ConcretizationError, TraceError, TracerLeakError

__all__ = [
    "IR",
    "ShapedArray",
    "ConcretizationError",
    "TraceError",
    "TracerLeakError",
    "check_grads",
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "lax",
    "linear_transpose",
    "linearize",
    "make_ir",
    "nn",
    "optim",
    "random",
    "remat",
    "straight_through",
    "stop_gradient",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
