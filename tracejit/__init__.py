"""tracejit: composable function transformations (grad, vmap, jit) for NumPy code."""

from . import (
    debug,
    dtypes,
    errors,
    lax,
    nn,
    numpy,  # noqa: F401  (attaches operators to tracers)
    ops,  # noqa: F401  (registers the primitives)
    optim,
    random,
    scipy,
    test_util,
    tree,
)
from . import tree as tree_util  # JAX's module name for the same functions
from ._api_extras import (
    ShapeDtypeStruct,
    block_until_ready,
    checkpoint_policies,
    closure_convert,
    custom_gradient,
    device_get,
    device_put,
    disable_jit,
    ensure_compile_time_eval,
    eval_shape,
    make_jaxpr,
    named_call,
    pure_callback,
    typeof,
)
from .api import (
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
    "ShapeDtypeStruct",
    "ShapedArray",
    "ConcretizationError",
    "TraceError",
    "TracerLeakError",
    "block_until_ready",
    "check_grads",
    "checkpoint",
    "checkpoint_policies",
    "closure_convert",
    "custom_gradient",
    "custom_jvp",
    "custom_vjp",
    "debug",
    "device_get",
    "device_put",
    "disable_jit",
    "dtypes",
    "ensure_compile_time_eval",
    "errors",
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
    "make_jaxpr",
    "named_call",
    "nn",
    "optim",
    "pure_callback",
    "random",
    "remat",
    "scipy",
    "straight_through",
    "stop_gradient",
    "test_util",
    "tree",
    "tree_util",
    "typeof",
    "value_and_grad",
    "vjp",
    "vmap",
]
