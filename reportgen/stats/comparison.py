"""Comparing survival between groups: the log-rank test and the Cox hazard ratio.

statsmodels does the work (``survdiff`` with optional strata; ``PHReg`` with Breslow
ties, SAS PHREG's default, or Efron, R coxph's); this module adds the likelihood-ratio
and score tests that R's ``summary(coxph)`` prints and wraps results in frozen objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import survdiff

from reportgen.stats.survival import _as_arrays

TIES = ("breslow", "efron")


@dataclass(frozen=True)
class LogrankResult:
    """The log-rank chi-square test of equal survival across groups (optionally stratified)."""

    statistic: float
    df: int
    p: float
    groups: tuple[str, ...]
    n: tuple[int, ...]
    events: tuple[int, ...]
    stratified: bool
    method: str = "log-rank test"


def logrank_test(time: Sequence[float], event: Sequence[bool | int], group: Sequence[object],
                 strata: Sequence[object] | None = None) -> LogrankResult:
    """Log-rank test for k groups, optionally stratified (as R ``survdiff``, SAS LIFETEST STRATA).

    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    >>> r.df, round(r.statistic, 4)     # R: survdiff(...)$chisq = 5.051661
    (1, 5.0517)
    """
    t, e = _as_arrays(time, event)
    labels = pd.Series(list(group), dtype="object")
    if labels.isna().any() or (strata is not None and pd.Series(list(strata)).isna().any()):
        raise ValueError("group and strata must not contain missing values")
    groups = tuple(str(g) for g in sorted(labels.unique(), key=str))
    if len(groups) < 2:
        raise ValueError(f"the log-rank test needs at least 2 groups, got {len(groups)}")
    codes = labels.map({g: i for i, g in enumerate(sorted(labels.unique(), key=str))}).to_numpy()
    strata_codes = None if strata is None else pd.factorize(pd.Series(list(strata)), sort=True)[0]
    statistic, p = survdiff(t, e.astype(float), codes, strata=strata_codes)
    return LogrankResult(
        statistic=float(statistic), df=len(groups) - 1, p=float(p), groups=groups,
        n=tuple(int((codes == i).sum()) for i in range(len(groups))),
        events=tuple(int(e[codes == i].sum()) for i in range(len(groups))),
        stratified=strata is not None,
        method="stratified log-rank test" if strata is not None else "log-rank test",
    )


@dataclass(frozen=True)
class CoxTerm:
    """One covariate's coefficient, hazard ratio with its Wald CI, and Wald P."""

    name: str
    coef: float
    hazard_ratio: float
    se: float
    lower: float
    upper: float
    p: float


@dataclass(frozen=True)
class CoxResult:
    """A proportional hazards model: per-term estimates and the global tests R prints."""

    terms: tuple[CoxTerm, ...]
    lr_statistic: float
    lr_p: float
    score_statistic: float
    score_p: float
    wald_statistic: float
    wald_p: float
    df: int
    n: int
    events: int
    ties: str
    robust: bool
    level: float

    @property
    def method(self) -> str:
        variance = "robust (sandwich) variance" if self.robust else "model-based variance"
        return f"Cox proportional hazards; {self.ties.capitalize()} ties; {variance}; Wald CI"

    def term(self, name: str) -> CoxTerm:
        for term in self.terms:
            if term.name == name:
                return term
        raise KeyError(name)


def cox_hazard_ratio(time: Sequence[float], event: Sequence[bool | int],
                     covariates: pd.DataFrame | pd.Series | Sequence[float], ties: str = "breslow",
                     robust: bool = False, level: float = 0.95) -> CoxResult:
    """Cox model of ``covariates`` (one column, e.g. a 0/1 group, or several).

    Ties by Breslow (default, as SAS PHREG) or Efron (as R coxph); ``robust`` gives the
    sandwich variance with each patient its own cluster. The likelihood-ratio and score
    tests compare with the null model, as R's ``summary(coxph)``.

    >>> r = cox_hazard_ratio([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 1, 1, 0, 1], [0, 1, 0, 1, 0, 1, 1, 0])
    >>> round(r.terms[0].hazard_ratio, 6)     # R: exp(coef(coxph(..., ties = "breslow"))) = 1.145112
    1.145112
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    t, e = _as_arrays(time, event)
    frame = covariates.to_frame() if isinstance(covariates, pd.Series) else pd.DataFrame(covariates)
    if frame.shape[0] != t.size:
        raise ValueError(f"{frame.shape[0]} covariate rows for {t.size} times")
    if frame.isna().any().any():
        raise ValueError("covariates must not contain missing values")
    names = tuple(str(c) for c in frame.columns)
    exog = frame.to_numpy(dtype=float)
    model = PHReg(t, exog, status=e.astype(float), ties=ties)
    fit = model.fit(groups=np.arange(t.size)) if robust else model.fit()
    params = np.asarray(fit.params)
    covariance = np.asarray(fit.cov_params())
    se = np.sqrt(np.diag(covariance))
    z = _scipy_stats.norm.ppf(1 - (1 - level) / 2)
    wald_p = 2 * _scipy_stats.norm.sf(np.abs(params / se))
    terms = tuple(
        CoxTerm(name, float(b), float(np.exp(b)), float(s), float(np.exp(b - z * s)), float(np.exp(b + z * s)),
                float(p))
        for name, b, s, p in zip(names, params, se, wald_p)
    )
    null = np.zeros_like(params)
    lr = 2 * (fit.llf - model.loglike(null))
    score = model.score(null)
    score_statistic = float(score @ np.linalg.solve(-model.hessian(null), score))
    wald = float(params @ np.linalg.solve(covariance, params))
    df = len(names)
    return CoxResult(
        terms=terms, lr_statistic=float(lr), lr_p=float(_scipy_stats.chi2.sf(lr, df)),
        score_statistic=score_statistic, score_p=float(_scipy_stats.chi2.sf(score_statistic, df)),
        wald_statistic=wald, wald_p=float(_scipy_stats.chi2.sf(wald, df)), df=df, n=int(t.size),
        events=int(e.sum()), ties=ties, robust=robust, level=level,
    )
