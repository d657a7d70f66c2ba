"""The study's analyses: derived data + spec → the keyed results store and survival curves.

Every statistic comes from ``reportgen.stats``; this module only decides what is
computed over which population and under which key. Keys:
- ``sets.<set>.n``; ``flow.<step>.n`` and ``flow.<step>.excluded``;
- ``<set>.<variable>[.<level>]`` for Table 1 counts (n = the non-missing denominator),
  ``<set>.<variable>.missing``, and ``<set>.<variable>.<statistic>`` for continuous ones;
- ``<set>.<variable>.<rate>`` and ``.<rate>.ci`` for a response rate (e.g. ``tl_pre_evaluable.car_t_response.borr``);
- ``<endpoint>.n``, ``.events``, ``.median`` (with CI), ``.follow_up`` (reverse KM),
  ``.at_risk.<t>`` at the figure's risk-table times, ``.landmark.<t>``; the same under
  ``<endpoint>.<group set>.`` for each group, and ``<endpoint>.<grouping>.p`` (log-rank); for a grouping
  of two, ``<endpoint>.<grouping>.hr`` (Cox, the second group against the first, Wald CI) and ``.hr.p``.
"""

from __future__ import annotations

import pandas as pd

from reportgen import stats
from reportgen.analysis.comparison import analyse_comparison
from reportgen.analysis.results import Result, ResultSet, StudyResults, level_key
from reportgen.data.derive import Derived, TimeToEvent, level_labels, meeting
from reportgen.spec import Conventions, StudySpec, Variable

CONTINUOUS_STATISTICS = ("n", "missing", "mean", "sd", "median", "q1", "q3", "p1", "p99", "min", "max")


def summarize_variable(values: pd.Series, name: str, variable: Variable, population: str,
                       conventions: Conventions) -> list[Result]:
    """Result records for one table variable over one population (already narrowed to its
    ``given`` patients)."""
    prefix = f"{population}.{name}"
    quantile_definition = conventions.quantile_definition
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
    counted = stats.frequency(level_labels(values, variable), variable.labels)
    records = [
        Result(f"{prefix}.{level_key(label)}", count, "count", population, n=counted.n,
               method="count over non-missing", params={"label": label})
        for label, count in zip(counted.levels, counted.counts)
    ]
    records.append(Result(f"{prefix}.missing", counted.missing, "missing", population, n=int(values.size)))
    if variable.rate.levels:
        records += _rate_records(values, prefix, variable, population, counted.n, conventions.conf_level)
    return records


def _rate_records(codes: pd.Series, prefix: str, variable: Variable, population: str, n: int,
                  level: float) -> list[Result]:
    """A response rate under a variable: its count (over non-missing) and its exact CI."""
    key = f"{prefix}.{level_key(variable.rate.label)}"
    x = int(codes.dropna().astype(str).isin(variable.rate.levels).sum())  # n counts a missing_level too
    ci = stats.proportion_ci(x, n, level=level)
    method = f"{variable.rate.label} = {' + '.join(variable.rate.levels)} over non-missing"
    return [
        Result(key, x, "count", population, n=n, method=method, params={"label": variable.rate.label}),
        Result(f"{key}.ci", ci.proportion, "proportion", population, n=n, lower=ci.lower, upper=ci.upper,
               method=f"{method}; {ci.method} confidence interval", level=ci.level),
    ]


def variable_population(baseline: pd.DataFrame, variable: Variable, variables: dict[str, Variable]) -> pd.Series:
    """The variable's values over the patients it is summarized on: all, or its ``given`` ones."""
    values = baseline[variable.column]
    if not variable.given:
        return values
    return values.loc[meeting(baseline[variables[variable.given].column], True)]


def _survival_records(key: str, population: str, km: stats.KaplanMeierResult, follow_up: stats.MedianEstimate,
                      risk_times: tuple[float, ...], landmarks: tuple[float, ...] = ()) -> list[Result]:
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
    for t in landmarks:
        estimate = km.survival_at(t)
        records.append(Result(f"{key}.landmark.{t:g}", estimate.survival, "survival", population, n=km.n,
                              lower=estimate.lower, upper=estimate.upper, method=method, unit="months",
                              level=km.level, params={"time": t}))
    return records


def _endpoint_records(endpoint: TimeToEvent, spec: StudySpec, derived: Derived, risk_times: tuple[float, ...]
                      ) -> tuple[list[Result], dict[str, stats.KaplanMeierResult]]:
    """An endpoint over its set and over each group of its groupings, with each grouping's log-rank P.

    Keys: ``<e>.…`` for the set, ``<e>.<group set>.…`` for a group, ``<e>.<grouping>.p``.
    """
    conventions = spec.conventions
    declared = spec.endpoints[endpoint.key]

    def estimate(key: str, population: str, data: pd.DataFrame) -> tuple[list[Result], stats.KaplanMeierResult]:
        km = stats.kaplan_meier(data["time"], data["event"], conf_type=conventions.km_conf_type,
                                level=conventions.conf_level)
        follow_up = stats.median_follow_up(data["time"], data["event"], conf_type=conventions.km_conf_type,
                                           level=conventions.conf_level)
        return _survival_records(key, population, km, follow_up, risk_times, declared.landmarks), km

    records, km = estimate(endpoint.key, endpoint.set, endpoint.data)
    curves = {endpoint.key: km}
    for grouping, groups in declared.groups.items():
        labels = pd.Series(None, index=endpoint.data.index, dtype="object")
        for group in groups:
            members = endpoint.data.index.intersection(derived.sets[group])
            group_records, curves[f"{endpoint.key}.{group}"] = estimate(f"{endpoint.key}.{group}", group,
                                                                       endpoint.data.loc[members])
            records += group_records
            labels[members] = group
        grouped = endpoint.data[labels.notna()]
        test = stats.logrank_test(grouped["time"], grouped["event"], labels[labels.notna()])
        records.append(Result(f"{endpoint.key}.{grouping}.p", test.p, "P", endpoint.set, n=int(sum(test.n)),
                              method=test.method, params={"groups": ", ".join(groups)}))
        if len(groups) == 2:
            records += _hazard_ratio_records(f"{endpoint.key}.{grouping}", grouped, labels[labels.notna()] == groups[1],
                                             groups, endpoint.set, conventions.conf_level)
    return records, curves


def _hazard_ratio_records(key: str, data: pd.DataFrame, second: pd.Series, groups: tuple[str, ...], population: str,
                          level: float) -> list[Result]:
    """The Cox hazard ratio of the second group against the first (``key.hr``, Wald CI) and its Wald P
    (``key.hr.p``). Where it is not estimable (a group without events, or a coefficient that runs to
    infinity), both records are kept, empty (NA), with the reason as their method, so a template's
    key does not come and go with the data."""
    params = {"group": groups[1], "reference": groups[0]}
    try:
        if not (data["event"] & second).any() or not (data["event"] & ~second).any():
            raise ValueError("a group has no event")
        cox = stats.cox_hazard_ratio(data["time"], data["event"], second.astype(float).rename(groups[1]), level=level)
    except ValueError as error:
        method = f"Cox proportional hazards: not estimable ({error})"
        return [Result(f"{key}.hr", None, "hazard ratio", population, n=len(data), method=method, level=level,
                       params=params),
                Result(f"{key}.hr.p", None, "P", population, n=len(data), method=method, params=params)]
    term = cox.terms[0]
    method = f"{cox.method}; {groups[1]} against {groups[0]}"
    return [Result(f"{key}.hr", term.hazard_ratio, "hazard ratio", population, n=cox.n, lower=term.lower,
                   upper=term.upper, method=method, level=cox.level, params=params),
            Result(f"{key}.hr.p", term.p, "P", population, n=cox.n, method=f"Wald test; {method}", params=params)]


def _settings_records(spec: StudySpec) -> list[Result]:
    """The settings the Methods text states, as records, so that the text prints them by key too."""
    conventions = spec.conventions
    settings = {"conf_level": conventions.conf_level, "conf_level_percent": 100 * conventions.conf_level,
                "significance_percent": 100 * (1 - conventions.conf_level),
                "days_per_month": conventions.days_per_month,
                "days_per_year": conventions.days_per_year, "early_failure_months": conventions.early_failure_months,
                "min_car_t_line": spec.cohort.min_car_t_line}
    return [Result(f"settings.{name}", value, "setting", method="study spec") for name, value in settings.items()]


def analyse(derived: Derived, spec: StudySpec) -> StudyResults:
    """Compute every number the study's documents ask for."""
    conventions = spec.conventions
    records = _settings_records(spec)
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
        for population in table.populations:
            baseline = derived.set_baseline(population)
            for name in table.variables:
                if (population, name) in summarized:
                    continue
                summarized.add((population, name))
                variable = spec.variables[name]
                records += summarize_variable(variable_population(baseline, variable, spec.variables), name,
                                              variable, population, conventions)

    risk_times: dict[str, tuple[float, ...]] = {}
    for figure in spec.figures.values():
        for endpoint in figure.endpoints:
            risk_times[endpoint] = tuple(sorted(set(risk_times.get(endpoint, ())) | set(figure.risk_times)))
    curves = {}
    for name, endpoint in derived.endpoints.items():
        endpoint_records, endpoint_curves = _endpoint_records(endpoint, spec, derived, risk_times.get(name, ()))
        records += endpoint_records
        curves.update(endpoint_curves)
    comparisons = {}
    for key, comparison in spec.comparisons.items():
        comparison_records, comparisons[key] = analyse_comparison(key, comparison, derived.comparisons[key], spec)
        records += comparison_records
    return StudyResults(ResultSet(records), curves, comparisons)
