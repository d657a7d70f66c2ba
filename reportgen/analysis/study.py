"""The study's analyses: derived data + spec → the keyed results store and survival curves.

Every statistic comes from ``reportgen.stats``; this module only decides what is
computed over which population and under which key. Keys:
- ``sets.<set>.n``; ``flow.<step>.n`` and ``flow.<step>.excluded``;
- ``<set>.<variable>[.<level>]`` for Table 1 counts (n = the non-missing denominator),
  ``<set>.<variable>.missing``, and ``<set>.<variable>.<statistic>`` for continuous ones;
- ``<endpoint>.n``, ``.events``, ``.median`` (with CI), ``.follow_up`` (reverse KM),
  ``.at_risk.<t>`` at the figure's risk-table times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from reportgen import stats
from reportgen.analysis.comparison import ComparisonResults, analyse_comparison
from reportgen.analysis.results import Result, ResultSet, level_key
from reportgen.data.derive import Derived, level_labels
from reportgen.spec import StudySpec, Variable

CONTINUOUS_STATISTICS = ("n", "missing", "mean", "sd", "median", "q1", "q3", "p1", "p99", "min", "max")


@dataclass(frozen=True)
class StudyResults:
    """The results store and the curves that figures draw (keyed by endpoint)."""

    results: ResultSet
    curves: dict[str, stats.KaplanMeierResult]
    comparisons: dict[str, ComparisonResults] = field(default_factory=dict)


def _labelled_levels(variable: Variable) -> tuple[str, ...]:
    """The distinct level labels in declared order (several codes may share one label)."""
    return tuple(dict.fromkeys(variable.levels.values()))


def summarize_variable(values: pd.Series, name: str, variable: Variable, population: str,
                       quantile_definition: str) -> list[Result]:
    """Result records for one Table 1 variable over one population."""
    prefix = f"{population}.{name}"
    if variable.type == "continuous":
        described = stats.describe(values, quantile_definition=quantile_definition)
        return [
            Result(f"{prefix}.{statistic}", getattr(described, statistic), statistic, population,
                   n=described.n, method=described.method)
            for statistic in CONTINUOUS_STATISTICS
        ]
    if variable.type == "binary":
        flags = values.map(lambda flag: None if flag is None or pd.isna(flag) else ("yes" if flag else "no"))
        counted = stats.frequency(flags, ("yes", "no"))
        return [
            Result(prefix, counted.counts[0], "count", population, n=counted.n, method="count over non-missing"),
            Result(f"{prefix}.missing", counted.missing, "missing", population, n=int(values.size)),
        ]
    counted = stats.frequency(level_labels(values, variable), _labelled_levels(variable))
    records = [
        Result(f"{prefix}.{level_key(label)}", count, "count", population, n=counted.n,
               method="count over non-missing", params={"label": label})
        for label, count in zip(counted.levels, counted.counts)
    ]
    records.append(Result(f"{prefix}.missing", counted.missing, "missing", population, n=int(values.size)))
    return records


def _survival_records(key: str, population: str, km: stats.KaplanMeierResult, follow_up: stats.MedianEstimate,
                      risk_times: tuple[float, ...]) -> list[Result]:
    method = km.method
    records = [
        Result(f"{key}.n", km.n, "n", population),
        Result(f"{key}.events", km.events, "events", population, n=km.n),
        Result(f"{key}.median", km.median.estimate, "median", population, n=km.n, lower=km.median.lower,
               upper=km.median.upper, method=method, unit="months", level=km.level),
        Result(f"{key}.follow_up", follow_up.estimate, "median follow-up", population, n=km.n,
               lower=follow_up.lower, upper=follow_up.upper, method="reverse Kaplan-Meier", unit="months",
               level=km.level),
    ]
    records += [
        Result(f"{key}.at_risk.{t:g}", km.at_risk(t), "number at risk", population, n=km.n,
               method="patients whose time is >= t", unit="months", params={"time": t})
        for t in risk_times
    ]
    return records


def analyse(derived: Derived, spec: StudySpec) -> StudyResults:
    """Compute every number the study's documents ask for."""
    conventions = spec.conventions
    records: list[Result] = []
    for name, members in derived.sets.items():
        records.append(Result(f"sets.{name}.n", len(members), "n", name, method="patients in the analysis set"))
    comparison_flows = [step for comparison in derived.comparisons.values() for step in comparison.flow]
    for step in (*derived.flow, *comparison_flows):
        records.append(Result(f"flow.{step.key}.n", step.n, "n", step.key,
                              params={"label": step.label, "parent": step.parent}))
        records.append(Result(f"flow.{step.key}.excluded", sum(e.count for e in step.exclusions), "n", step.key,
                              params={"reasons": "; ".join(e.reason for e in step.exclusions)}))
        records += [Result(f"flow.{step.key}.excluded.{level_key(e.reason)}", e.count, "n", step.key,
                           params={"reason": e.reason}) for e in step.exclusions]

    summarized: set[tuple[str, str]] = set()
    for table in spec.tables.values():
        baseline = derived.set_baseline(table.set)
        for name in table.variables:
            if (table.set, name) in summarized:
                continue
            summarized.add((table.set, name))
            variable = spec.variables[name]
            records += summarize_variable(baseline[variable.column], name, variable, table.set,
                                          conventions.quantile_definition)

    risk_times: dict[str, tuple[float, ...]] = {}
    for figure in spec.figures.values():
        for endpoint in figure.endpoints:
            risk_times[endpoint] = tuple(sorted(set(risk_times.get(endpoint, ())) | set(figure.risk_times)))
    curves = {}
    for name, endpoint in derived.endpoints.items():
        km = stats.kaplan_meier(endpoint.data["time"], endpoint.data["event"],
                                conf_type=conventions.km_conf_type, level=conventions.conf_level)
        follow_up = stats.median_follow_up(endpoint.data["time"], endpoint.data["event"],
                                           conf_type=conventions.km_conf_type, level=conventions.conf_level)
        curves[name] = km
        records += _survival_records(name, endpoint.set, km, follow_up, risk_times.get(name, ()))
    comparisons = {}
    for key, comparison in spec.comparisons.items():
        comparison_records, comparisons[key] = analyse_comparison(key, comparison, derived.comparisons[key], spec)
        records += comparison_records
    return StudyResults(ResultSet(records), curves, comparisons)
