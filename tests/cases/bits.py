"""Cases for the lax-only float primitives (ops/bits.py)."""

import numpy as np

from . import C, Case, F

CASES = [
    Case("nextafter", [F(3, 4), F(3, 4)], jvp=False),
    Case("nextafter", [F(5, dtype=np.float32), F(dtype=np.float32)], jvp=False, note="f32"),
    Case("nextafter", [C([0.0, 1.0, -1.0]), C([1.0, 1.0, -np.inf])], jvp=False, note="edges"),
    Case("erfc", [F(3, 4, lo=-3.0, hi=6.0)]),
    Case("erfc", [F()]),
    Case("erfc", [F(5, dtype=np.float32)], note="f32"),
]
