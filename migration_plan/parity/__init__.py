"""The parity engine: one pure comparison of a legacy and an extracted answer, used by the
router's shadow mode and by the CI parity tests alike.

    rules = ParityRules(ignore=("/**/created_at",), headers=("content-type", "allow"))
    result = compare_responses(ObservedResponse(200, headers, body), other, rules, noise=model)
    if not result.matched:
        log.warning("parity mismatch\n%s", result.summary())

Build rules once per endpoint (patterns are compiled at construction), and keep one NoiseModel
per endpoint, fed with pairs of legacy answers to the same request (``model.observe(a, b)``).
"""

from .compare import compare_responses
from .difference import MISSING, Comparison, Difference
from .noise import NoiseModel
from .response import ObservedResponse
from .rules import ParityRules

__all__ = [
    "MISSING",
    "Comparison",
    "Difference",
    "NoiseModel",
    "ObservedResponse",
    "ParityRules",
    "compare_responses",
]
