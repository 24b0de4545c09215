"""Lowering: IR -> readable Python source -> Numba machine code, cached on disk.

- codegen.py: the source generator (fusion of elementwise work into loop nests).
- rules.py, array_rules.py, control_rules.py: each primitive's lowering rule, by name.
- shapes.py: sizes read from the arguments, so the source holds no batch size.
- source.py: `Lowered`, the generated module and its content hash.
- cache.py: the cache directory, content-addressed modules, Numba compilation.
- kernels.py: helpers compiled once per machine (BLAS products, linear algebra).
- vmath.py: vectorisable exp/log/tanh/... used inside the generated loops.

The generated source is plain Python + NumPy; `python_function(lowered)` runs it without
Numba, as NUMBA_DISABLE_JIT=1 does for jitted functions: the first thing to try when a
compiled result looks wrong.

Environment: TRACEJIT_CACHE_DIR (the disk cache; empty: none), TRACEJIT_NUM_THREADS
(threads of prange loops), TRACEJIT_SYNC_COMPILE=1 (compile before the first call
returns), TRACEJIT_INTERPRET=1 (never compile), TRACEJIT_LOG_COMPILES=1 (log traces and
compilations with their reason).
"""

from .codegen import Lowered, LoweringError, lower_ir

__all__ = ["Lowered", "LoweringError", "lower_ir", "python_function"]


def python_function(lowered: Lowered):
    """The generated function as plain Python (no compilation): for checking the source.
    vmath's functions become their NumPy/SciPy references, other Numba helpers their
    Python code."""
    import numpy as np
    import scipy.special

    from .rules import VMATH32_NAMES, VMATH_NAMES

    reference = {
        "exp": np.exp,
        "exp2": np.exp2,
        "expm1": np.expm1,
        "log": np.log,
        "log2": np.log2,
        "log1p": np.log1p,
        "tanh": np.tanh,
        "sin": np.sin,
        "cos": np.cos,
        "arctan": np.arctan,
        "logistic": scipy.special.expit,
        "erf": scipy.special.erf,
        "softplus": lambda x: np.logaddexp(0.0, x),
    }
    ns: dict = {}
    exec(compile(lowered.plain_code, f"<tracejit {lowered.name}>", "exec"), ns)
    for table in (VMATH_NAMES, VMATH32_NAMES):
        for key, fn in table.items():
            if fn in ns:
                ns[fn] = reference[key]
    for k, v in list(ns.items()):
        if hasattr(v, "py_func") and k != lowered.name:
            ns[k] = v.py_func
    return ns[lowered.name]
