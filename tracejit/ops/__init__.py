"""The primitive set. Importing this package registers every primitive in PRIMITIVES."""

from . import elementwise, reduce, shape  # noqa: F401
