"""Cases for the random-number primitive (ops/random.py): the Threefry-2x32 hash.

Integer outputs have no derivative (jvp=False); vmap batches keys and counters alike.
"""

import numpy as np

from . import C, Case


def U(*shape) -> callable:
    """Random uint32 words, over the whole range."""
    return lambda rng: rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32)


u0 = np.uint32(0)

CASES = [
    Case("threefry2x32", [U(), U(), U(), U()], jvp=False),
    Case("threefry2x32", [U(), U(), C(u0), U(5)], jvp=False, note="one key, counters"),
    Case("threefry2x32", [U(4), U(4), U(4), U(4)], jvp=False, note="a key per element"),
    Case("threefry2x32", [U(2, 3), U(), U(2, 3), C(u0)], jvp=False),
    # Random123's known-answer test: key and counter all ones
    Case(
        "threefry2x32",
        [C(np.uint32(0xFFFFFFFF))] * 2 + [C(np.full(2, 0xFFFFFFFF, np.uint32))] * 2,
        jvp=False,
        note="known answer",
    ),
]
