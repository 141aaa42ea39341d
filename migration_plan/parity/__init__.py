"""The parity engine: one pure comparison of a legacy and an extracted answer, used by the
router's shadow mode and by the CI parity tests alike."""

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
