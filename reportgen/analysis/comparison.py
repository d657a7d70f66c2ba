"""Weighted comparisons: propensity weights, balance, weighted survival and response.

For each comparison of the spec (arms formed and incomplete patients dropped by
``data.derive``), every number comes from ``reportgen.stats``. Keys, for comparison
``c``, arm ``a`` (``treated`` or ``control``) and endpoint ``e``:
- ``c.a.n``; ``c.a.mix.<class>`` (first treatments by regimen class, over the arm);
- ``c.weights.a.min|max|mean|sum|effective_n``; ``c.weights.truncation.low|high``;
- ``c.balance.<var>[.<level>].a.before|after`` (mean or proportion), ``c.smd.<var>[.<level>].before|after``,
  ``c.smd.max_before|max_after``, ``c.smd.breaches`` (covariate levels, not patients, with |SMD| after >= threshold);
- ``c.e.a.n|events|median|follow_up|landmark.<t>|at_risk.<t>`` (weighted KM; at risk and
  follow-up unweighted), ``c.e.hr`` (weighted Cox, robust CI), ``c.e.p`` (robust score P);
- ``c.response.orr|crr.a`` (weighted proportion, Korn-Graubard CI), ``c.response.orr|crr.p`` (Rao-Scott), from a
  registry export;
- ``c.sensitivity.<s>.…``: the same weights, balance summary and endpoint records per sensitivity analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reportgen import stats
from reportgen.analysis.results import Result, level_key
from reportgen.spec import WEIGHT_SCHEMES, ComparisonSpec, Conventions, StudySpec

if TYPE_CHECKING:
    import pandas as pd

    from reportgen.data.derive import ComparisonData

ARMS = ("treated", "control")  # the record-key names of the two arms
RESPONDERS = {"orr": ("CR", "PR"), "crr": ("CR",)}
RESPONSE_NAMES = {"orr": "best overall response (CR or PR)", "crr": "best complete response"}


@dataclass(frozen=True)
class Weighting:
    """One weighting of a comparison: the spec's main analysis or a sensitivity analysis."""

    label: str
    scheme: str
    truncate: tuple[float, ...]
    covariates: tuple[str, ...]


@dataclass(frozen=True)
class ComparisonResults:
    """What the figures of one comparison draw: weighted curves and the SMDs."""

    curves: dict[str, dict[str, stats.KaplanMeierResult]]  # endpoint → arm → curve
    smd_before: tuple[stats.StandardizedDifference, ...]
    smd_after: tuple[stats.StandardizedDifference, ...]
    weights: stats.PropensityWeights


def weightings(comparison: ComparisonSpec) -> dict[str, Weighting]:
    """The main analysis (``main``) then each sensitivity analysis, with unset settings inherited."""
    main = Weighting("Main analysis", comparison.scheme, comparison.truncate, comparison.covariates)
    runs = {"main": main}
    for key, sensitivity in comparison.sensitivity.items():
        runs[key] = Weighting(sensitivity.label, sensitivity.scheme or main.scheme,
                              sensitivity.truncate or main.truncate, sensitivity.covariates or main.covariates)
    return runs


def fit_weights(data: pd.DataFrame, weighting: Weighting, conventions: Conventions,
                model: stats.PropensityScore | None = None) -> stats.PropensityWeights:
    """The weighting's weights; from ``model`` if given (a propensity model already fitted on
    the weighting's covariates), else from a model fitted now."""
    estimand, stabilized = WEIGHT_SCHEMES[weighting.scheme]
    if model is None:
        model = stats.fit_propensity_score(data["treated"], data[list(weighting.covariates)])
    return stats.inverse_probability_weights(
        model, estimand=estimand, stabilized=stabilized,
        truncate=tuple(weighting.truncate) if weighting.truncate else None,
        quantile_definition=conventions.quantile_definition)


def _smd_key(prefix: str, difference: stats.StandardizedDifference) -> str:
    level = "" if difference.level is None else f".{level_key(difference.level)}"
    return f"{prefix}.{difference.variable}{level}"


def _weight_records(prefix: str, weights: stats.PropensityWeights, population: str) -> list[Result]:
    records = []
    for summary in weights.summaries:
        for statistic in ("min", "max", "mean", "sum", "effective_n"):
            records.append(Result(f"{prefix}.weights.{summary.group}.{statistic}", getattr(summary, statistic),
                                  statistic, population, n=summary.n, method=weights.method))
    if weights.limits is not None:
        records += [Result(f"{prefix}.weights.truncation.low", weights.limits[0], "weight", population,
                           params={"percentile": weights.truncation[0]}),
                    Result(f"{prefix}.weights.truncation.high", weights.limits[1], "weight", population,
                           params={"percentile": weights.truncation[1]})]
    return records


def _balance_records(prefix: str, before: tuple[stats.StandardizedDifference, ...],
                     after: tuple[stats.StandardizedDifference, ...], threshold: float, population: str,
                     detailed: bool) -> list[Result]:
    method = "difference in means over the pooled SD of the unweighted groups"
    records = []
    if detailed:
        for moment, differences in (("before", before), ("after", after)):
            for difference in differences:
                records.append(Result(f"{_smd_key(prefix + '.smd', difference)}.{moment}", difference.smd, "SMD",
                                      population, method=method))
                for arm, mean in (("treated", difference.treated_mean), ("control", difference.control_mean)):
                    records.append(Result(f"{_smd_key(prefix + '.balance', difference)}.{arm}.{moment}", mean,
                                          "mean" if difference.level is None else "proportion", population))
    largest_before = max(abs(d.smd) for d in before)
    largest_after = max(abs(d.smd) for d in after)
    records += [
        Result(f"{prefix}.smd.max_before", largest_before, "largest |SMD|", population, method=method),
        Result(f"{prefix}.smd.max_after", largest_after, "largest |SMD|", population, method=method),
        Result(f"{prefix}.smd.breaches", sum(abs(d.smd) >= threshold for d in after), "levels", population,
               n=len(after), method=f"|SMD| >= {threshold:g} after weighting", params={"threshold": threshold}),
        Result(f"{prefix}.smd.threshold", threshold, "threshold", population),
    ]
    return records


def _survival_records(prefix: str, data: pd.DataFrame, endpoint_key: str,
                      weights: stats.PropensityWeights, comparison: ComparisonSpec, conventions: Conventions,
                      population: str, detailed: bool) -> tuple[list[Result], dict[str, stats.KaplanMeierResult]]:
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    time = data[f"{endpoint_key}_time"].to_numpy(dtype=float)
    event = data[f"{endpoint_key}_event"].to_numpy(dtype=bool)
    treated = data["treated"].to_numpy(dtype=bool)
    records: list[Result] = []
    curves = {}
    key = f"{prefix}.{endpoint_key}"
    for arm, members in (("treated", treated), ("control", ~treated)):
        km = stats.kaplan_meier(time[members], event[members], weights=weights.weight[members],
                                conf_type=conventions.km_conf_type, level=conventions.conf_level)
        curves[arm] = km
        method = f"weighted {km.method}; {weights.method}"
        records += [
            Result(f"{key}.{arm}.n", km.n, "n", population),
            Result(f"{key}.{arm}.events", km.events, "events", population, n=km.n),
            Result(f"{key}.{arm}.median", km.median.estimate, "median", population, n=km.n, lower=km.median.lower,
                   upper=km.median.upper, method=method, unit="months", level=km.level),
        ]
        if not detailed:
            continue
        for t in comparison.landmarks:
            estimate = km.survival_at(t)
            records.append(Result(f"{key}.{arm}.landmark.{t:g}", estimate.survival, "survival", population, n=km.n,
                                  lower=estimate.lower, upper=estimate.upper, method=method, level=km.level,
                                  params={"time": t}))
        records += [  # at_risk counts patients, whatever the weights
            Result(f"{key}.{arm}.at_risk.{t:g}", km.at_risk(t), "number at risk", population, n=km.n,
                   method="patients whose time is >= t (unweighted)", unit="months", params={"time": t})
            for t in comparison.risk_times
        ]
        follow_up = stats.kaplan_meier(time[members], ~event[members], conf_type=conventions.km_conf_type,
                                       level=conventions.conf_level)
        quartiles = [follow_up.quantile(p).estimate for p in (0.25, 0.5, 0.75)]
        records.append(Result(f"{key}.{arm}.follow_up", quartiles[1], "median follow-up", population, n=km.n,
                              lower=quartiles[0], upper=quartiles[2],
                              method="reverse Kaplan-Meier (unweighted); limits are Q1 and Q3", unit="months"))
    cox = stats.cox_hazard_ratio(time, event, pd.Series(treated.astype(float), name="treated"),
                                 weights=weights.weight, robust=True, level=conventions.conf_level)
    term = cox.terms[0]
    records += [
        Result(f"{key}.hr", term.hazard_ratio, "hazard ratio", population, n=cox.n, lower=term.lower,
               upper=term.upper, method=f"{cox.method}; {weights.method}", level=cox.level),
        Result(f"{key}.p", cox.robust_score_p, "P", population, n=cox.n,
               method="robust score test of the weighted Cox model"),
    ]
    return records, curves


def _response_records(prefix: str, data: pd.DataFrame, weights: stats.PropensityWeights, conventions: Conventions,
                      population: str) -> list[Result]:
    treated = data["treated"].to_numpy(dtype=bool)
    records = []
    for name, responders in RESPONDERS.items():
        outcome = data["response"].isin(responders).to_numpy()
        for arm, members in (("treated", treated), ("control", ~treated)):
            rate = stats.weighted_proportion(outcome, weights.weight, level=conventions.conf_level, domain=members)
            records.append(Result(f"{prefix}.response.{name}.{arm}", rate.proportion, "proportion", population,
                                  n=rate.n, lower=rate.lower, upper=rate.upper, level=rate.level,
                                  method=f"{RESPONSE_NAMES[name]}; {rate.method}; not evaluated counts as no response",
                                  params={"weighted_count": rate.weighted_x, "weighted_n": rate.weighted_n}))
        test = stats.rao_scott_test(outcome, treated, weights.weight)
        records.append(Result(f"{prefix}.response.{name}.p", test.p, "P", population, n=int(outcome.size),
                              method=test.method, params={"F": test.statistic, "ndf": test.ndf, "ddf": test.ddf}))
    return records


def _mix_records(prefix: str, data: pd.DataFrame, spec: StudySpec, population: str) -> list[Result]:
    """Each arm's size and, from a registry export (which gives the regimens), its first treatments by class."""
    classes = {regimen: label for label, regimens in spec.regimen_classes.items() for regimen in regimens}
    records = []
    for arm, members in (("treated", data["treated"]), ("control", ~data["treated"])):
        if "regimen" not in data:
            records.append(Result(f"{prefix}.{arm}.n", int(members.sum()), "n", population))
            continue
        labels = data.loc[members, "regimen"].map(lambda regimen: classes.get(regimen, "Unclassified"))
        levels = tuple(dict.fromkeys([*spec.regimen_classes, "Unclassified"]))
        counted = stats.frequency(labels, levels)
        records.append(Result(f"{prefix}.{arm}.n", counted.n, "n", population))
        records += [Result(f"{prefix}.{arm}.mix.{level_key(level)}", count, "count", population, n=counted.n,
                           params={"label": level})
                    for level, count in zip(counted.levels, counted.counts) if count or level != "Unclassified"]
    return records


def analyse_comparison(key: str, comparison: ComparisonSpec, derived: ComparisonData, spec: StudySpec
                       ) -> tuple[list[Result], ComparisonResults]:
    """All records of one comparison (main and sensitivity analyses) and its figures' data."""
    conventions = spec.conventions
    data = derived.data
    records = _mix_records(key, data, spec, key)
    main_results = None
    # Runs over the same covariates (all but a covariate sensitivity analysis) share one
    # propensity model and one unweighted balance: only their weights differ.
    models: dict[tuple[str, ...], stats.PropensityScore] = {}
    balance: dict[tuple[str, ...], tuple[stats.StandardizedDifference, ...]] = {}
    for run_key, weighting in weightings(comparison).items():
        detailed = run_key == "main"
        prefix = key if detailed else f"{key}.sensitivity.{run_key}"
        covariates = data[list(weighting.covariates)]
        if weighting.covariates not in models:
            models[weighting.covariates] = stats.fit_propensity_score(data["treated"], covariates)
            balance[weighting.covariates] = stats.standardized_mean_differences(covariates, data["treated"])
        weights = fit_weights(data, weighting, conventions, models[weighting.covariates])
        before = balance[weighting.covariates]
        after = stats.standardized_mean_differences(covariates, data["treated"], weights.weight)
        records += _weight_records(prefix, weights, key)
        records += _balance_records(prefix, before, after, comparison.smd_threshold, key, detailed)
        curves = {}
        for endpoint_key in comparison.endpoints:
            endpoint_records, curves[endpoint_key] = _survival_records(
                prefix, data, endpoint_key, weights, comparison, conventions, key,
                detailed)
            records += endpoint_records
        if "response" in data:  # a registry's first treatment response; analysis-ready data have none
            records += _response_records(prefix, data, weights, conventions, key)
        if detailed:
            main_results = ComparisonResults(curves, before, after, weights)
    assert main_results is not None
    return records, main_results


def smd_breaches(key: str, comparison: ComparisonSpec, results: ComparisonResults) -> list[str]:
    """One message per covariate level whose |SMD| after weighting reaches the threshold."""
    return [f"{key}: {d.variable}{'' if d.level is None else ' = ' + d.level} has |SMD| {abs(d.smd):.3f} "
            f"after weighting (threshold {comparison.smd_threshold:g})"
            for d in results.smd_after if abs(d.smd) >= comparison.smd_threshold or not np.isfinite(d.smd)]
