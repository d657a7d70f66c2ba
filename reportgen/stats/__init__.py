"""reportgen.stats: the one trusted source of every number in a report.

Pure functions over arrays or pandas Series that return small frozen result
objects holding raw numbers (never formatted strings). Conventions follow SAS,
the registry's validated tool; see each function's docstring.

pandas is imported inside the functions that use it, not at load, so that a
cached build, which only unpickles these result objects, starts without it.
"""

from reportgen.stats.comparison import LogrankResult, logrank_test
from reportgen.stats.cox import CoxResult, CoxTerm, cox_hazard_ratio
from reportgen.stats.descriptive import Description, Frequency, describe, frequency, quantile
from reportgen.stats.proportions import ProportionResult, proportion_ci
from reportgen.stats.survival import (
    KaplanMeierResult,
    MedianEstimate,
    SurvivalEstimate,
    kaplan_meier,
    median_follow_up,
)
from reportgen.stats.survey import RaoScottTest, WeightedProportion, rao_scott_test, weighted_proportion
from reportgen.stats.weighting import (
    PropensityScore,
    PropensityWeights,
    StandardizedDifference,
    WeightSummary,
    fit_propensity_score,
    inverse_probability_weights,
    propensity_weights,
    standardized_mean_differences,
)

__all__ = [
    "CoxResult",
    "CoxTerm",
    "LogrankResult",
    "cox_hazard_ratio",
    "logrank_test",
    "Description",
    "Frequency",
    "KaplanMeierResult",
    "MedianEstimate",
    "ProportionResult",
    "SurvivalEstimate",
    "describe",
    "frequency",
    "kaplan_meier",
    "median_follow_up",
    "proportion_ci",
    "quantile",
    "PropensityScore",
    "PropensityWeights",
    "RaoScottTest",
    "StandardizedDifference",
    "WeightSummary",
    "WeightedProportion",
    "fit_propensity_score",
    "inverse_probability_weights",
    "propensity_weights",
    "rao_scott_test",
    "standardized_mean_differences",
    "weighted_proportion",
]
