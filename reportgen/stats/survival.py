"""Kaplan-Meier estimates with the registry's conventions (SAS LIFETEST / R survfit).

The event table is lifelines' (computed here the way it does, bit for bit, without the
rest of its fitter, which costs more than the table at registry scale); this module adds
what lifelines' defaults lack:
- Greenwood variance with a choice of CI transform (log-log by default, as SAS;
  R's default "log"; "plain"), where lifelines offers only log-log;
- the median and its CI by R ``survfit``'s rule (``quantile.survfit``): the first
  time the curve, or a confidence curve, reaches 0.5, the midpoint of a flat stretch
  at exactly 0.5, and None (printed NA) where a curve never gets there;
- the number at risk at time t as patients whose time is >= t (R and SAS), not
  lifelines' count at the end of the preceding interval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Sequence

import numpy as np

CONF_TYPES = ("log-log", "log", "plain")
_TOLERANCE = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class SurvivalEstimate:
    """Survival at one time with its pointwise confidence interval."""

    time: float
    survival: float
    lower: float | None
    upper: float | None
    n_risk: int


@dataclass(frozen=True)
class MedianEstimate:
    """A quantile of the survival distribution; a limit not reached is None."""

    estimate: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class KaplanMeierResult:
    """A Kaplan-Meier curve: one row per distinct time (event or censoring).

    ``std_err`` is the standard error of the cumulative hazard (as R ``survfit``),
    so the standard error of the survival is ``survival * std_err``.
    """

    time: tuple[float, ...]
    n_risk: tuple[float, ...]
    n_event: tuple[float, ...]
    n_censor: tuple[float, ...]
    survival: tuple[float, ...]
    std_err: tuple[float, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    n: int
    events: int
    median: MedianEstimate
    conf_type: str
    level: float
    durations: tuple[float, ...]

    @property
    def method(self) -> str:
        return f"Kaplan-Meier; Greenwood variance; {self.conf_type} CI; median by the survfit rule"

    def survival_at(self, t: float) -> SurvivalEstimate:
        """Survival at time ``t`` (the step function's value) with its CI and number at risk."""
        index = int(np.searchsorted(np.asarray(self.time), t, side="right")) - 1
        n_risk = self.at_risk(t)
        if index < 0:
            return SurvivalEstimate(t, 1.0, 1.0, 1.0, n_risk)
        return SurvivalEstimate(t, self.survival[index], self.lower[index], self.upper[index], n_risk)

    def at_risk(self, t: float) -> int:
        """Number at risk at ``t``: patients whose time is >= t."""
        return self.n - int(np.searchsorted(self._sorted_durations, t, side="left"))

    @cached_property
    def _sorted_durations(self) -> np.ndarray:
        """The patients' times, sorted once, so each number at risk is a binary search."""
        return np.sort(np.asarray(self.durations, dtype=float))

    def quantile(self, p: float) -> MedianEstimate:
        """The time by which a proportion ``p`` have had the event, with its CI (survfit rule)."""
        return _quantile(self, p)


def _as_arrays(time: Sequence[float], event: Sequence[bool | int]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError(f"time and event must be 1-d of the same length, got {t.shape} and {e.shape}")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time and event must not contain missing values")
    if (t < 0).any():
        raise ValueError("times must not be negative")
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError("event must be 0/1 or False/True")
    return t, e.astype(bool)


def _event_table(t: np.ndarray, e: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Distinct times with the (weighted) number at risk, events and censorings, and the
    survival estimate.

    The numbers are lifelines' event table (``survival_table_from_events``) bit for bit,
    computed as it does but without its fitter's other work: per-time sums by pandas'
    group sum (compensated summation, rows in input order), the total weight the same
    way, and the number at risk as the total minus the running sum of the earlier times.
    """
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    weight = np.ones(t.size) if w is None else w
    sums = pd.DataFrame({"removed": weight, "observed": weight * e}).groupby(t).sum()
    total = pd.Series(weight).groupby(np.zeros(t.size)).sum().iloc[0]
    removed = sums["removed"].to_numpy()
    observed = sums["observed"].to_numpy()
    at_risk = total - np.concatenate(([0.0], np.cumsum(removed)[:-1]))
    kind = int if w is None else float
    n_risk = at_risk.astype(kind)
    n_event = observed.astype(kind)
    # The product-limit estimate from the table: lifelines' own weighted estimate stays
    # flat where the last patients at risk all have the event (it should reach 0).
    survival = np.cumprod(1.0 - n_event / n_risk)
    return sums.index.to_numpy(dtype=float), n_risk, n_event, (removed - observed).astype(kind), survival


def _greenwood_log_se(n_risk: np.ndarray, n_event: np.ndarray) -> np.ndarray:
    """Greenwood's standard error of log S (R survfit's ``std.err`` with integer weights)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        increments = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    return np.sqrt(np.cumsum(increments))


def _jackknife_log_se(t: np.ndarray, e: np.ndarray, w: np.ndarray, times: np.ndarray, n_risk: np.ndarray,
                      n_event: np.ndarray) -> np.ndarray:
    """Infinitesimal-jackknife standard error of log S, as R survfit uses for non-integer weights.

    Patient i's influence on log S(t) is w_i U_i(t), with
    U_i(t) = sum over event times s <= t of -(dN_i(s) Y(s) - d(s) Y_i(s)) / (Y(s) (Y(s) - d(s))).
    Splitting patients by whether their own time is <= t gives the variance for every t in
    O(n log n) with cumulative sums, instead of an n-by-times influence matrix.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        cumulative = np.cumsum(hazard_terms)  # B(t)
        own = np.searchsorted(times, t)
        gap = n_risk - n_event
        own_term = np.where(e, 1.0 / gap[own], 0.0) - cumulative[own]
    contribution = np.nan_to_num(w ** 2 * own_term ** 2, nan=np.inf)
    ended = np.bincount(own, weights=contribution, minlength=times.size)
    weight_sq = np.bincount(own, weights=w ** 2, minlength=times.size)
    still_at_risk = weight_sq.sum() - np.cumsum(weight_sq)
    with np.errstate(invalid="ignore"):
        variance = np.cumsum(ended) + cumulative ** 2 * still_at_risk
    # S only moves at event times; carry the variance over censoring-only times exactly, so
    # rounding noise cannot create spurious steps in the confidence curves (findq sees them).
    last_event = np.maximum.accumulate(np.where(n_event > 0, np.arange(times.size), -1))
    variance = np.where(last_event >= 0, variance[np.maximum(last_event, 0)], 0.0)
    with np.errstate(invalid="ignore"):  # where the curve reaches 0, rounding can leave a negative: NaN
        return np.sqrt(variance)


def _confidence_limits(
    survival: np.ndarray, std_err: np.ndarray, conf_type: str, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits as R survfit computes them; NaN where undefined (S = 0)."""
    from scipy.special import ndtri  # the normal quantile, as scipy.stats.norm.ppf (0.2 s to load, not 0.6)

    z = ndtri(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # S near 1: limits reach 0, as in R
        if conf_type == "log-log":
            log_s = np.log(survival)
            shift = z * std_err / log_s
            lower = np.exp(-np.exp(np.log(-log_s) - shift))
            upper = np.exp(-np.exp(np.log(-log_s) + shift))
            flat = survival == 1.0  # log(-log 1) is undefined: R and SAS print no limits there
            lower[flat], upper[flat] = np.nan, np.nan
        elif conf_type == "log":
            lower = survival * np.exp(-z * std_err)
            upper = np.minimum(survival * np.exp(z * std_err), 1.0)
        elif conf_type == "plain":
            lower = np.maximum(survival - z * std_err * survival, 0.0)
            upper = np.minimum(survival + z * std_err * survival, 1.0)
        else:
            raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    undefined = survival == 0.0
    lower[undefined], upper[undefined] = np.nan, np.nan
    return lower, upper


def _findq(x: np.ndarray, y: np.ndarray, p: float, xmax: float) -> float | None:
    """R survival's ``findq``: first x where the cumulative curve y reaches p (with a tolerance).

    y is 1 - survival (or 1 - a confidence limit), non-decreasing, NaN where undefined.
    A flat stretch at exactly p gives the midpoint to the next change (or to xmax).
    """
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if y.size == 0 or y.max() < p:
        return None
    first = np.concatenate(([True], y[1:] != y[:-1]))
    x, y = x[first], y[first]

    def first_index(values: np.ndarray) -> int | None:
        # R finds the index with approx(values, index, p, "constant", f = 1), which sorts
        # by value: the point with the smallest value >= p. On a monotone curve that is
        # the first such point; on a confidence curve that rises again it may be later.
        hits = np.nonzero(values >= p)[0]
        if not hits.size:
            return None
        return int(hits[np.argmin(values[hits])])

    i1, i2 = first_index(y + _TOLERANCE), first_index(y - _TOLERANCE)
    if i1 is not None and i2 is None and abs(p - y[-1]) < _TOLERANCE:
        return float((x[i1] + xmax) / 2)
    if i1 is None or i2 is None:
        return None
    return float((x[i1] + x[i2]) / 2)


def _quantile(km: KaplanMeierResult, p: float) -> MedianEstimate:
    x = np.concatenate(([0.0], np.asarray(km.time)))
    xmax = float(x[-1])

    def curve(values: Sequence[float | None]) -> np.ndarray:
        return np.concatenate(([0.0], 1.0 - np.array(values, dtype=float)))  # None becomes NaN

    return MedianEstimate(
        estimate=_findq(x, curve(km.survival), p, xmax),
        # The lower survival band reaches p first, so it gives the lower time limit.
        lower=_findq(x, curve(km.lower), p, xmax),
        upper=_findq(x, curve(km.upper), p, xmax),
    )


def _none_if_nan(values: np.ndarray) -> tuple[float | None, ...]:
    """The values as Python floats, None where NaN, without a Python-level test per value."""
    objects = values.astype(object)
    objects[np.isnan(values)] = None
    return tuple(objects.tolist())


def _as_weights(weights: Sequence[float] | None, size: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (size,):
        raise ValueError(f"weights must have one value per patient ({size}), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be positive finite numbers")
    return w


def kaplan_meier(
    time: Sequence[float],
    event: Sequence[bool | int],
    weights: Sequence[float] | None = None,
    conf_type: str = "log-log",
    level: float = 0.95,
) -> KaplanMeierResult:
    """The Kaplan-Meier estimate with CIs and the median by the survfit rule.

    Variance: Greenwood's; with non-integer ``weights``, the infinitesimal jackknife (robust)
    variance, as R ``survfit`` does by default. ``n_risk``/``n_event`` are then weighted
    sums, while ``at_risk(t)`` stays the unweighted number of patients.

    >>> km = kaplan_meier([1, 2, 3, 4, 5], [1, 1, 0, 1, 1])
    >>> km.median.estimate, round(km.survival_at(2).survival, 6), km.at_risk(3)
    (4.0, 0.6, 3)
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    t, e = _as_arrays(time, event)
    if t.size == 0:
        raise ValueError("Kaplan-Meier needs at least one patient")
    if np.isinf(t).any():
        raise ValueError("times must be finite")
    w = _as_weights(weights, t.size)
    times, n_risk, n_event, n_censor, survival = _event_table(t, e, w)
    if w is not None and not np.all(w == np.round(w)):
        std_err = _jackknife_log_se(t, e, w, times, n_risk, n_event)
    else:
        std_err = _greenwood_log_se(n_risk, n_event)
    lower, upper = _confidence_limits(survival, std_err, conf_type, level)
    partial = KaplanMeierResult(
        time=tuple(times.tolist()),
        n_risk=tuple(n_risk.tolist()),
        n_event=tuple(n_event.tolist()),
        n_censor=tuple(n_censor.tolist()),
        survival=tuple(survival.tolist()),
        std_err=tuple(np.where(np.isinf(std_err), np.nan, std_err).tolist()),
        lower=_none_if_nan(lower),
        upper=_none_if_nan(upper),
        n=int(t.size),
        events=int(e.sum()),
        median=MedianEstimate(None, None, None),
        conf_type=conf_type,
        level=level,
        durations=tuple(t.tolist()),
    )
    return replace(partial, median=partial.quantile(0.5))


def median_follow_up(
    time: Sequence[float], event: Sequence[bool | int], conf_type: str = "log-log", level: float = 0.95
) -> MedianEstimate:
    """Median follow-up by the reverse Kaplan-Meier method: censoring is the 'event'.

    >>> median_follow_up([1, 2, 3, 4], [1, 0, 0, 1]).estimate
    3.0
    """
    t, e = _as_arrays(time, event)
    return kaplan_meier(t, ~e, conf_type=conf_type, level=level).median
