"""dtype names shared with JAX.

float0: the tangent (and cotangent) type of integer and boolean values. An array of
dtype float0 holds no data; `jvp`, `vjp`, `grad(allow_int=True)` and the jacobians use it
for the derivative with respect to, or of, an integer or boolean array, as JAX does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["float0"]

float0 = np.dtype([("float0", np.void, 0)])
