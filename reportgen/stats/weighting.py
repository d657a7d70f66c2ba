"""Propensity scores, inverse probability weights and covariate balance.

The propensity score is a logistic regression of the treatment on the covariates
(statsmodels GLM, binomial family), as R ``glm(family = binomial)`` and SAS PSMATCH.
Weights, with e the score and p the share of treated patients:

- ATE, stabilized (default): p / e for treated, (1 - p) / (1 - e) for controls;
- ATE, unstabilized: 1 / e and 1 / (1 - e);
- ATT: 1 for treated, e / (1 - e) for controls (not stabilized).

Truncation winsorizes all weights at two percentiles (quantiles by the study's
definition, SAS PCTLDEF=5 by default). Balance is the standardized mean difference
(SMD) of every covariate and every level of a categorical one: the difference in
(weighted) means, treated minus control, over the pooled SD of the two *unweighted*
groups, sqrt((s1^2 + s0^2) / 2), with the sample SD for continuous covariates and
sqrt(p (1 - p)) for levels and 0/1 (yes/no) covariates; so weighting moves only the numerator, as in cobalt's
default and Austin (2009).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from reportgen.stats.descriptive import quantile

if TYPE_CHECKING:
    import pandas as pd

ESTIMANDS = ("ATE", "ATT")


@dataclass(frozen=True)
class WeightSummary:
    """The weights of one group: range, mean, sum and effective sample size (sum w)^2 / sum w^2."""

    group: str
    n: int
    min: float
    max: float
    mean: float
    sum: float
    effective_n: float


@dataclass(frozen=True)
class PropensityWeights:
    """Propensity scores and weights, in the order of the input rows (read-only arrays)."""

    score: np.ndarray
    weight: np.ndarray
    treated: np.ndarray
    estimand: str
    stabilized: bool
    truncation: tuple[float, float] | None  # percentiles
    limits: tuple[float, float] | None  # the weights they correspond to
    coefficients: tuple[tuple[str, float], ...]
    summaries: tuple[WeightSummary, WeightSummary]  # treated, control

    @property
    def method(self) -> str:
        scheme = ("stabilized " if self.stabilized else "") + f"{self.estimand} weights"
        trimmed = (f", truncated at the {self.truncation[0]:g}th and {self.truncation[1]:g}th percentiles"
                   if self.truncation else "")
        return f"inverse probability of treatment weighting, logistic propensity score, {scheme}{trimmed}"


@dataclass(frozen=True)
class PropensityScore:
    """A fitted propensity model: each patient's score and treatment (read-only arrays, input
    order) and the logistic regression's coefficients."""

    score: np.ndarray
    treated: np.ndarray
    coefficients: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class StandardizedDifference:
    """The SMD of one covariate (``level`` None) or one level of a categorical covariate."""

    variable: str
    level: str | None
    treated_mean: float
    control_mean: float
    smd: float


def _read_only(values: np.ndarray) -> np.ndarray:
    values = np.array(values)
    values.flags.writeable = False
    return values


def _as_treated(treated: Sequence[bool | int] | pd.Series, size: int | None = None) -> np.ndarray:
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    array = treated.to_numpy() if isinstance(treated, pd.Series) else np.asarray(treated)
    if array.dtype.kind not in "biuf":  # objects, text, nullable types: read value by value, as pandas does
        flags = pd.Series(array.tolist(), dtype="object")
        if flags.isna().any():
            raise ValueError("the treatment indicator must not contain missing values")
        array = flags.astype(float).to_numpy()
    values = array.astype(float)  # booleans and numbers are checked as a whole array
    if np.isnan(values).any():
        raise ValueError("the treatment indicator must not contain missing values")
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError("the treatment indicator must be 0/1 or False/True")
    if size is not None and values.size != size:
        raise ValueError(f"{values.size} treatment values for {size} covariate rows")
    if values.min() == values.max():
        raise ValueError("both groups need patients: all are " + ("treated" if values[0] else "controls"))
    return values.astype(bool)


def _is_categorical(column: pd.Series) -> bool:
    import pandas as pd

    return not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column))


def _level_indicators(column: pd.Series) -> list[tuple[str, np.ndarray]]:
    """One (level, 0/1 values) per level of a categorical or text column.

    Levels are the values as text: the categories present, in category order, or the
    distinct values sorted. The patients are coded once (category codes, or
    ``pd.factorize`` of the text), so each level's indicator compares integer codes, not
    text, patient by patient.
    """
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        texts = [str(category) for category in column.cat.categories]
        present = np.bincount(codes, minlength=len(texts)) > 0
        levels = [text for text, seen in zip(texts, present) if seen]
    else:
        codes, uniques = pd.factorize(column.astype(str))
        texts = list(uniques)
        levels = sorted(texts)
    return [(level, np.array([text == level for text in texts])[codes].astype(float)) for level in levels]


def _checked(covariates: pd.DataFrame | pd.Series) -> pd.DataFrame:
    import pandas as pd

    frame = covariates.to_frame() if isinstance(covariates, pd.Series) else pd.DataFrame(covariates)
    missing = [str(c) for c in frame.columns if frame[c].isna().any()]
    if missing:
        raise ValueError(f"covariates with missing values: {', '.join(missing)} "
                         "(exclude those patients first, and count them)")
    return frame.reset_index(drop=True)


def indicator_columns(covariates: pd.DataFrame) -> list[tuple[str, str | None, np.ndarray]]:
    """Each covariate as (name, None, values), or one (name, level, 0/1 values) per level.

    Booleans are one 0/1 column; text or categorical columns one column per level (in
    category order, or sorted).
    """
    columns = []
    for name, column in _checked(covariates).items():
        if _is_categorical(column):
            columns += [(str(name), level, values) for level, values in _level_indicators(column)]
        else:
            columns.append((str(name), None, column.to_numpy(dtype=float)))
    return columns


def _design_matrix(covariates: pd.DataFrame) -> pd.DataFrame:
    """Intercept, numeric covariates, and a dummy per level but the first of categorical ones."""
    import pandas as pd

    design = {"(Intercept)": np.ones(len(covariates))}
    seen: set[str] = set()
    for name, level, values in indicator_columns(covariates):
        if level is None:
            design[name] = values
        elif name in seen:
            design[f"{name}[{level}]"] = values
        else:
            seen.add(name)  # the first level is the reference
    return pd.DataFrame(design)


def _summary(group: str, w: np.ndarray) -> WeightSummary:
    return WeightSummary(group, int(w.size), float(w.min()), float(w.max()), float(w.mean()), float(w.sum()),
                         float(w.sum() ** 2 / (w ** 2).sum()))


def _stabilized(estimand: str, stabilized: bool | None, truncate: tuple[float, float] | None) -> bool:
    """Check a weighting scheme before any fitting; whether its weights are stabilized."""
    if estimand not in ESTIMANDS:
        raise ValueError(f"estimand must be one of {ESTIMANDS}, got {estimand!r}")
    if estimand == "ATT" and stabilized:
        raise ValueError("ATT weights are not stabilized; leave stabilized unset for ATT")
    if truncate is not None and not 0 <= truncate[0] < truncate[1] <= 100:
        raise ValueError(f"truncation percentiles must satisfy 0 <= low < high <= 100, got {truncate}")
    return estimand == "ATE" if stabilized is None else stabilized


def fit_propensity_score(treated: Sequence[bool | int] | pd.Series, covariates: pd.DataFrame) -> PropensityScore:
    """The propensity model alone: a logistic regression of ``treated`` on ``covariates``.

    Several weighting schemes over the same covariates share one fit (pass it to
    ``inverse_probability_weights``), which at registry scale costs more than the rest.
    Patients with a missing covariate must be excluded (and counted) by the caller.
    """
    # statsmodels' model modules, not statsmodels.api (which loads all of statsmodels: 0.75 s)
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    design = _design_matrix(covariates)
    t = _as_treated(treated, len(design))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = GLM(t.astype(float), design, family=Binomial()).fit()
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as error:
            raise ValueError(f"the propensity model cannot be fitted: {error}") from None
    return PropensityScore(
        score=_read_only(np.asarray(fit.fittedvalues, dtype=float)), treated=_read_only(t),
        coefficients=tuple((str(name), float(value)) for name, value in fit.params.items()),
    )


def inverse_probability_weights(model: PropensityScore, *, estimand: str = "ATE", stabilized: bool | None = None,
                                truncate: tuple[float, float] | None = None,
                                quantile_definition: str = "sas5") -> PropensityWeights:
    """The weights of one scheme from a fitted propensity model (see ``propensity_weights``)."""
    stabilized = _stabilized(estimand, stabilized, truncate)
    e, t = model.score, model.treated
    if estimand == "ATT":
        w = np.where(t, 1.0, e / (1 - e))
    else:
        share = t.mean() if stabilized else 1.0
        w = np.where(t, share / e, (1 - share if stabilized else 1.0) / (1 - e))
    limits = None
    if truncate is not None:
        low, high = truncate
        limits = (quantile(w, low / 100, quantile_definition), quantile(w, high / 100, quantile_definition))
        w = np.clip(w, *limits)
    return PropensityWeights(
        score=e, weight=_read_only(w), treated=t, estimand=estimand, stabilized=stabilized,
        truncation=None if truncate is None else (float(truncate[0]), float(truncate[1])), limits=limits,
        coefficients=model.coefficients, summaries=(_summary("treated", w[t]), _summary("control", w[~t])),
    )


def propensity_weights(treated: Sequence[bool | int] | pd.Series, covariates: pd.DataFrame, *,
                       estimand: str = "ATE", stabilized: bool | None = None,
                       truncate: tuple[float, float] | None = None,
                       quantile_definition: str = "sas5") -> PropensityWeights:
    """Propensity scores by logistic regression and the inverse probability weights.

    ``stabilized`` defaults to True for the ATE; ATT weights are not stabilized.
    ``truncate=(1, 99)`` winsorizes the weights at their 1st and 99th percentiles.
    Patients with a missing covariate must be excluded (and counted) by the caller.

    >>> import pandas as pd
    >>> w = propensity_weights([1, 1, 0, 0, 0, 1], pd.DataFrame({"age": [70, 60, 50, 64, 58, 52]}))
    >>> [round(s.sum, 2) for s in w.summaries], w.estimand, w.stabilized
    ([3.02, 2.95], 'ATE', True)
    """
    _stabilized(estimand, stabilized, truncate)  # a bad scheme is an error before the fit
    return inverse_probability_weights(fit_propensity_score(treated, covariates), estimand=estimand,
                                       stabilized=stabilized, truncate=truncate,
                                       quantile_definition=quantile_definition)


def _weighted_mean(values: np.ndarray, w: np.ndarray) -> float:
    return float(values @ w / w.sum())


def standardized_mean_differences(covariates: pd.DataFrame, treated: Sequence[bool | int] | pd.Series,
                                  weights: Sequence[float] | None = None) -> tuple[StandardizedDifference, ...]:
    """SMD of every covariate and level, weighted means over the unweighted pooled SD.

    A covariate constant in both groups has SMD 0 (no imbalance to measure).

    >>> import pandas as pd
    >>> d = standardized_mean_differences(pd.DataFrame({"x": [1.0, 2, 3, 2, 3, 4]}), [1, 1, 1, 0, 0, 0])
    >>> d[0].smd
    -1.0
    """
    columns = indicator_columns(covariates)
    t = _as_treated(treated, len(columns[0][2]) if columns else None)
    w = np.ones(t.size) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != t.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be one non-negative finite number per patient")
    differences = []
    for name, level, values in columns:
        treated_values, control_values = values[t], values[~t]
        if level is not None or np.isin(values, (0.0, 1.0)).all():  # a level or a 0/1 (yes/no) variable
            variances = tuple(g.mean() * (1 - g.mean()) for g in (treated_values, control_values))
        else:
            variances = treated_values.var(ddof=1), control_values.var(ddof=1)
        pooled = float(np.sqrt((variances[0] + variances[1]) / 2))
        treated_mean = _weighted_mean(treated_values, w[t])
        control_mean = _weighted_mean(control_values, w[~t])
        gap = treated_mean - control_mean
        smd = gap / pooled if pooled > 0 else (0.0 if gap == 0 else float(np.sign(gap)) * np.inf)
        differences.append(StandardizedDifference(name, level, treated_mean, control_mean, float(smd)))
    return tuple(differences)
