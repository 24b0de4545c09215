"""tracejit.errors: the errors a user may catch, also under JAX's names (jax.errors).

All are TypeErrors, as JAX's are: a traced value used where a concrete Python value is
needed (bool, int, NumPy conversion), or used after its transform ended.
"""

from .trace import (
    ConcretizationError,
    TraceError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
    TracerLeakError,
)

ConcretizationTypeError = ConcretizationError
UnexpectedTracerError = TracerLeakError

__all__ = [
    "ConcretizationError",
    "ConcretizationTypeError",
    "TraceError",
    "TracerArrayConversionError",
    "TracerBoolConversionError",
    "TracerIntegerConversionError",
    "TracerLeakError",
    "UnexpectedTracerError",
]
