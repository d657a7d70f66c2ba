"""The Cox proportional hazards model, with case weights and robust variance, as R ``coxph``.

No well-kept Python library fits a Cox model with case weights under both tie conventions:
statsmodels' ``PHReg`` has no case weights and lifelines' ``CoxPHFitter`` only Efron ties.
So the weighted partial likelihood is written out here, once, for Breslow (SAS PHREG's
default) and Efron (R coxph's) ties, and checked against R in the golden tests and against
statsmodels and lifelines where they apply.

With weights w_i and relative risks r_i = w_i exp(x_i'b), at each event time t with d tied
events of total weight W, risk-set sums S0, S1, S2 and the events' own sums S0d, S1d, S2d,
Efron's k-th term (k = 0 .. d-1, f = k/d) has denominator S0 - f S0d and contributes
W/d times the usual terms; Breslow is the case of one term with f = 0. This is R's
``coxfit6``/``agfit4`` weighting (``meanwt``). The robust variance is D'D, with D the
weighted score residuals times the inverse information (R's ``dfbeta`` residuals, each
patient its own cluster); the robust score test is u'(D0'D0)^-1 u with D0 the weighted
score residuals at b = 0, as R's ``rscore``.

Every step is a sort, cumulative sums over the sorted patients, or sums by event time
(``np.bincount``), so a fit costs O(n log n) in patients, also with continuous times
(n distinct risk sets): the score residuals take each patient's cumulative hazard and
cumulative mean up to its own time, never a patient-by-event-time matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np

from reportgen.stats.survival import _as_arrays, _as_weights

if TYPE_CHECKING:
    import pandas as pd

TIES = ("breslow", "efron")
_MAX_ITERATIONS = 30
_STEP_TOLERANCE = 1e-10


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
    """A proportional hazards model: per-term estimates and the global tests R prints.

    With ``robust`` the term SEs, CIs, Wald P and the global Wald test use the sandwich
    variance, and ``robust_score_statistic``/``robust_score_p`` hold R's robust score test
    (None otherwise). The likelihood-ratio and score tests are the model-based ones.
    """

    terms: tuple[CoxTerm, ...]
    lr_statistic: float
    lr_p: float
    score_statistic: float
    score_p: float
    wald_statistic: float
    wald_p: float
    robust_score_statistic: float | None
    robust_score_p: float | None
    df: int
    n: int
    events: int
    ties: str
    robust: bool
    weighted: bool
    level: float

    @property
    def method(self) -> str:
        variance = "robust (sandwich) variance" if self.robust else "model-based variance"
        weights = "weighted; " if self.weighted else ""
        return f"Cox proportional hazards; {weights}{self.ties.capitalize()} ties; {variance}; Wald CI"

    def term(self, name: str) -> CoxTerm:
        for term in self.terms:
            if term.name == name:
                return term
        raise KeyError(name)


@dataclass(frozen=True)
class _Data:
    """Patients sorted by time, with each event's position among the distinct event times.

    What does not depend on the coefficients (products of covariates, tie counts, Efron's
    fractions, each row's weight) is computed once per model, not at every Newton step.
    """

    time: np.ndarray
    event: np.ndarray
    x: np.ndarray           # centred covariates, n x p (the partial likelihood is shift-invariant)
    weight: np.ndarray
    event_times: np.ndarray
    risk_start: np.ndarray  # for each event time, the first sorted patient still at risk
    time_index: np.ndarray  # for each event patient, its event time's position
    ties: str

    @cached_property
    def counts(self) -> np.ndarray:
        """Events at each event time."""
        return np.bincount(self.time_index, minlength=self.event_times.size)

    @cached_property
    def rows(self) -> np.ndarray:
        """Efron's expansion: each event time repeated once per tie (once for Breslow)."""
        return np.repeat(np.arange(self.event_times.size), self.counts if self.ties == "efron" else 1)

    @cached_property
    def outer(self) -> np.ndarray:
        """Each patient's x x', n x p x p."""
        return self.x[:, :, None] * self.x[:, None, :]

    @cached_property
    def fraction(self) -> np.ndarray:
        """Efron's k/d for each row (0 for Breslow)."""
        if self.ties != "efron":
            return np.zeros(self.rows.size)
        first = np.concatenate(([0], np.cumsum(self.counts)[:-1]))
        return (np.arange(self.rows.size) - first[self.rows]) / self.counts[self.rows]

    @cached_property
    def step_weight(self) -> np.ndarray:
        """W / d for each row: the events' total weight, shared among Efron's d rows."""
        total_weight = np.bincount(self.time_index, weights=self.weight[self.event], minlength=self.event_times.size)
        divisor = self.counts[self.rows] if self.ties == "efron" else 1
        return total_weight[self.rows] / divisor


@dataclass(frozen=True)
class _Terms:
    """Per (event time, tie) row: the risk-set denominator and mean, and the hazard step."""

    row_time: np.ndarray
    fraction: np.ndarray
    denominator: np.ndarray
    mean: np.ndarray        # rows x p
    second: np.ndarray      # rows x p x p, risk-set S2 / denominator
    step_weight: np.ndarray  # W / d: the weight each row carries


def _reverse_cumsum(values: np.ndarray) -> np.ndarray:
    return np.cumsum(values[::-1], axis=0)[::-1]


def _sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sums of the rows of ``values`` (n x ...) by ``index``, into ``size`` rows.

    The same sums, in the same order, as ``np.add.at``, but by one ``np.bincount`` per
    column, which is many times faster.
    """
    flat = values.reshape(values.shape[0], -1)
    sums = [np.bincount(index, weights=flat[:, j], minlength=size) for j in range(flat.shape[1])]
    return np.stack(sums, axis=1).reshape((size, *values.shape[1:]))


def _terms(data: _Data, beta: np.ndarray) -> tuple[_Terms, np.ndarray]:
    risk = data.weight * np.exp(data.x @ beta)
    x = data.x
    s0 = _reverse_cumsum(risk)[data.risk_start]
    s1 = _reverse_cumsum(risk[:, None] * x)[data.risk_start]
    s2 = _reverse_cumsum(risk[:, None, None] * data.outer)[data.risk_start]
    m = data.event_times.size
    events = data.event
    idx = data.time_index
    d0 = np.bincount(idx, weights=risk[events], minlength=m)
    d1 = _sum_by(idx, risk[events, None] * x[events], m)
    d2 = _sum_by(idx, risk[events, None, None] * data.outer[events], m)

    rows, fraction = data.rows, data.fraction
    denominator = s0[rows] - fraction * d0[rows]
    mean = (s1[rows] - fraction[:, None] * d1[rows]) / denominator[:, None]
    second = (s2[rows] - fraction[:, None, None] * d2[rows]) / denominator[:, None, None]
    return _Terms(rows, fraction, denominator, mean, second, data.step_weight), risk


def _likelihood(data: _Data, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score and information at ``beta``."""
    terms, _ = _terms(data, beta)
    w_events = data.weight[data.event]
    x_events = data.x[data.event]
    loglik = float(w_events @ (x_events @ beta) - terms.step_weight @ np.log(terms.denominator))
    score = w_events @ x_events - terms.step_weight @ terms.mean
    centred = terms.second - terms.mean[:, :, None] * terms.mean[:, None, :]
    information = np.einsum("r,rij->ij", terms.step_weight, centred)
    return loglik, score, information


def _score_residuals(data: _Data, beta: np.ndarray) -> np.ndarray:
    """Each patient's (unweighted) score residual, n x p, in sorted order (R ``type = "score"``)."""
    terms, risk = _terms(data, beta)
    relative = risk / data.weight
    hazard = terms.step_weight / terms.denominator
    m = data.event_times.size
    p = data.x.shape[1]
    step = np.bincount(terms.row_time, weights=hazard, minlength=m)
    step_mean = _sum_by(terms.row_time, hazard[:, None] * terms.mean, m)
    # cumulative over event times up to each patient's own time
    upto = np.searchsorted(data.event_times, data.time, side="right")
    cum_hazard = np.concatenate(([0.0], np.cumsum(step)))[upto]
    cum_mean = np.vstack([np.zeros((1, p)), np.cumsum(step_mean, axis=0)])[upto]
    residual = -relative[:, None] * (data.x * cum_hazard[:, None] - cum_mean)

    idx = data.time_index
    counts = np.bincount(terms.row_time, minlength=m)
    average_mean = _sum_by(terms.row_time, terms.mean, m) / counts[:, None]
    own = data.x[data.event]
    residual[data.event] += own - average_mean[idx]
    if data.ties == "efron":
        # an event patient stays in its own tied risk sets only with weight (1 - k/d)
        back = _sum_by(terms.row_time, (terms.fraction * hazard)[:, None] * terms.mean, m)
        back_hazard = np.bincount(terms.row_time, weights=terms.fraction * hazard, minlength=m)
        residual[data.event] += relative[data.event, None] * (own * back_hazard[idx, None] - back[idx])
    return residual


def _prepare(t: np.ndarray, e: np.ndarray, x: np.ndarray, w: np.ndarray, ties: str) -> _Data:
    order = np.argsort(t, kind="stable")
    t, e, x, w = t[order], e[order], x[order], w[order]
    event_times = np.unique(t[e])
    return _Data(
        time=t, event=e, x=x - x.mean(axis=0), weight=w, event_times=event_times,
        risk_start=np.searchsorted(t, event_times, side="left"),
        time_index=np.searchsorted(event_times, t[e]), ties=ties,
    )


def _fit(data: _Data) -> tuple[np.ndarray, float, np.ndarray]:
    """Newton-Raphson from b = 0 with step halving, as R coxph; returns b, log-likelihood, information."""
    beta = np.zeros(data.x.shape[1])
    loglik, score, information = _likelihood(data, beta)
    for _ in range(_MAX_ITERATIONS):
        step = np.linalg.solve(information, score)
        candidate = beta + step
        new_loglik, new_score, new_information = _likelihood(data, candidate)
        while not new_loglik >= loglik - 1e-12 * abs(loglik):
            step = step / 2
            if np.max(np.abs(step)) < _STEP_TOLERANCE:
                break
            candidate = beta + step
            new_loglik, new_score, new_information = _likelihood(data, candidate)
        beta, loglik, score, information = candidate, new_loglik, new_score, new_information
        if np.max(np.abs(step)) < _STEP_TOLERANCE * (1 + np.max(np.abs(beta))):
            return beta, loglik, information
    raise ValueError(
        "the Cox model did not converge: a coefficient may be infinite "
        "(for example a group without events)"
    )


def _covariate_frame(covariates: pd.DataFrame | pd.Series | Sequence[float], size: int) -> pd.DataFrame:
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    frame = covariates.to_frame() if isinstance(covariates, pd.Series) else pd.DataFrame(covariates)
    if frame.shape[0] != size:
        raise ValueError(f"{frame.shape[0]} covariate rows for {size} times")
    if frame.isna().any().any():
        raise ValueError("covariates must not contain missing values")
    return frame


def _chi2(statistic: float, df: int) -> float:
    from scipy import stats as _scipy_stats  # slow to load (0.5 s): imported where used

    return float(_scipy_stats.chi2.sf(statistic, df))


def cox_hazard_ratio(time: Sequence[float], event: Sequence[bool | int],
                     covariates: pd.DataFrame | pd.Series | Sequence[float], *,
                     weights: Sequence[float] | None = None, ties: str = "breslow",
                     robust: bool = False, level: float = 0.95) -> CoxResult:
    """Cox model of ``covariates`` (one column, e.g. a 0/1 group, or several).

    Ties by Breslow (default, as SAS PHREG) or Efron (as R coxph). ``weights`` are case
    weights (e.g. inverse probability weights); ``robust`` gives the sandwich variance with
    each patient its own cluster and adds the robust score test, as
    ``coxph(..., weights = w, robust = TRUE)``. The likelihood-ratio and score tests compare
    with the null model, as R's ``summary(coxph)``.

    >>> r = cox_hazard_ratio([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 1, 1, 0, 1], [0, 1, 0, 1, 0, 1, 1, 0])
    >>> round(r.terms[0].hazard_ratio, 6)     # R: exp(coef(coxph(..., ties = "breslow"))) = 1.145112
    1.145112
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    t, e = _as_arrays(time, event)
    frame = _covariate_frame(covariates, t.size)
    w = _as_weights(weights, t.size)
    if not e.any():
        raise ValueError("the Cox model needs at least one event")
    names = tuple(str(c) for c in frame.columns)
    data = _prepare(t, e, frame.to_numpy(dtype=float), np.ones(t.size) if w is None else w, ties)
    null_loglik, null_score, null_information = _likelihood(data, np.zeros(len(names)))
    if np.linalg.matrix_rank(null_information) < len(names):
        raise ValueError("the covariates are collinear or constant among patients at risk")
    params, loglik, information = _fit(data)
    inverse = np.linalg.inv(information)
    robust_score = None
    if robust:
        dfbeta = (data.weight[:, None] * _score_residuals(data, params)) @ inverse
        covariance = dfbeta.T @ dfbeta
        residuals0 = data.weight[:, None] * _score_residuals(data, np.zeros(len(names)))
        u = residuals0.sum(axis=0)
        robust_score = float(u @ np.linalg.solve(residuals0.T @ residuals0, u))
    else:
        covariance = inverse
    se = np.sqrt(np.diag(covariance))
    from scipy import stats as _scipy_stats  # slow to load (0.5 s): imported where used

    z = _scipy_stats.norm.ppf(1 - (1 - level) / 2)
    wald_p = 2 * _scipy_stats.norm.sf(np.abs(params / se))
    terms = tuple(
        CoxTerm(name, float(b), float(np.exp(b)), float(s), float(np.exp(b - z * s)), float(np.exp(b + z * s)),
                float(p))
        for name, b, s, p in zip(names, params, se, wald_p)
    )
    lr = 2 * (loglik - null_loglik)
    score_statistic = float(null_score @ np.linalg.solve(null_information, null_score))
    wald = float(params @ np.linalg.solve(covariance, params))
    df = len(names)
    return CoxResult(
        terms=terms, lr_statistic=float(lr), lr_p=_chi2(lr, df),
        score_statistic=score_statistic, score_p=_chi2(score_statistic, df),
        wald_statistic=wald, wald_p=_chi2(wald, df),
        robust_score_statistic=robust_score, robust_score_p=None if robust_score is None else _chi2(robust_score, df),
        df=df, n=int(t.size), events=int(e.sum()), ties=ties, robust=robust, weighted=w is not None, level=level,
    )
