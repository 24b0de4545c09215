"""tracejit.scipy: jax.scipy's API on tracejit: `special`, `stats`, `linalg`, `optimize`.

Every function traces, differentiates, batches and compiles like tracejit.numpy. Values,
dtypes and signatures follow jax.scipy (with float64 enabled); the primitives underneath
are in ops/special.py and ops/linalg.py.
"""

from . import linalg, optimize, special, stats

__all__ = ["linalg", "optimize", "special", "stats"]
