"""The primitive set. Importing this package registers every primitive in PRIMITIVES."""

from . import control, dot, elementwise, linalg, reduce, shape  # noqa: F401
