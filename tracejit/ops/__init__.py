"""The primitive set. Importing this package registers every primitive in PRIMITIVES."""

from . import (  # noqa: F401
    bits,
    control,
    cumulative,
    custom,
    dot,
    elementwise,
    indexing,
    linalg,
    random,
    reduce,
    scatter_combine,
    shape,
    sort,
    special,
)
