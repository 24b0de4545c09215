"""Shared test settings.

Hypothesis: no per-example deadline (CI machines are shared and noisy; timings are never
asserted in tests) and a fixed derandomised run so CI is repeatable.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tracejit",
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tracejit"))
