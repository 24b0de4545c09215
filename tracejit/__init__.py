"""tracejit: composable function transformations (grad, vmap, jit) for NumPy code."""

from . import (
    dtypes,
    lax,
    nn,
    numpy,  # noqa: F401  (attaches operators to tracers)
    ops,  # noqa: F401  (registers the primitives)
    optim,
    random,
    scipy,
    tree,
)
from .api import (
    eval_shape,
    grad,
    jvp,
    linear_transpose,
    linearize,
    make_ir,
    value_and_grad,
    vjp,
)
from .batching import hessian, jacfwd, jacobian, jacrev, vmap
from .custom import checkpoint, custom_jvp, custom_vjp, remat, straight_through
from .ir import IR, ShapedArray
from .jit import jit
from .lax import stop_gradient
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
    "dtypes",
    "eval_shape",
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
    "scipy",
    "straight_through",
    "stop_gradient",
    "tree",
    "value_and_grad",
    "vjp",
    "vmap",
]
