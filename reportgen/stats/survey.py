"""Design-based statistics for weighted binary outcomes, as R's ``survey`` package.

The design is ``svydesign(ids = ~1, weights = ~w)``: independent patients, each with
its weight (inverse probability weights are treated as known, as in ``survey``).

- A weighted proportion's CI is Korn and Graubard's (``svyciprop(method = "beta")``):
  the Clopper-Pearson interval with the effective sample size p (1 - p) / var(p). With
  equal weights the with-replacement variance makes that n - 1, so the interval is a
  little wider than the exact one of the unweighted analysis.
- Groups are compared by the Rao-Scott second-order corrected chi-square
  (``svychisq(statistic = "F")``, the survey default): the Pearson statistic of the
  weighted table scaled to n, divided by the mean eigenvalue of the design-effect
  matrix, referred to an F distribution with Satterthwaite degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class WeightedProportion:
    """A weighted proportion with its design-based SE and Korn-Graubard CI."""

    n: int
    weighted_x: float
    weighted_n: float
    proportion: float | None
    se: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str = "weighted proportion, Korn-Graubard (Clopper-Pearson on the effective sample size) CI"


@dataclass(frozen=True)
class RaoScottTest:
    """The Rao-Scott corrected chi-square test of a weighted contingency table."""

    statistic: float  # F
    ndf: float
    ddf: float
    p: float
    method: str = "Rao-Scott second-order corrected chi-square (F)"


def _weights(weights: Sequence[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != (size,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError(f"weights must be {size} positive finite numbers")
    return w


def _values(values: Sequence[object] | pd.Series) -> pd.Series:
    """The values as a Series: an array of booleans or numbers as it is, anything else as
    Python objects (value by value, which only costs at registry scale for such input)."""
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    array = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if array.ndim == 1 and array.dtype.kind in "biuf":
        return pd.Series(array)
    return pd.Series(list(values), dtype="object")


def _binary(outcome: Sequence[bool | int] | pd.Series) -> np.ndarray:
    values = _values(outcome)
    if values.isna().any():
        raise ValueError("the outcome must not contain missing values")
    y = values.astype(float).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("the outcome must be 0/1 or False/True")
    return y


def _mean_and_covariance(indicators: np.ndarray, w: np.ndarray, domain: np.ndarray | None = None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means of columns over ``domain`` (all rows by default) and their with-replacement
    linearization covariance over the whole design, as ``svymean`` on ``subset(design, domain)``."""
    n = w.size
    inside = np.ones(n, dtype=bool) if domain is None else domain
    total = w[inside].sum()
    mean = w[inside] @ indicators[inside] / total
    scores = np.where(inside[:, None], w[:, None] * (indicators - mean) / total, 0.0)
    centred = scores - scores.mean(axis=0)
    return mean, n / (n - 1) * centred.T @ centred


def weighted_proportion(outcome: Sequence[bool | int] | pd.Series, weights: Sequence[float],
                        level: float = 0.95, domain: Sequence[bool] | None = None) -> WeightedProportion:
    """Weighted share of 1s with the Korn-Graubard CI (R ``svyciprop(method = "beta")``).

    ``domain`` restricts the proportion to some patients (e.g. one arm) while the variance
    is the whole design's, as ``svyciprop(~y, subset(design, arm))`` computes it.

    >>> r = weighted_proportion([1, 0, 0, 1], [1, 1, 1, 1])
    >>> r.proportion, round(r.lower, 4), round(r.upper, 4)   # R svyciprop: 0.0387 0.9613
    (0.5, 0.0387, 0.9613)
    """
    y = _binary(outcome)
    inside = np.ones(y.size, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    if inside.shape != y.shape:
        raise ValueError(f"domain must have one flag per patient ({y.size})")
    n = int(inside.sum())
    if n == 0:
        return WeightedProportion(0, 0.0, 0.0, None, None, None, None, level)
    w = _weights(weights, y.size)
    if y.size == 1:
        raise ValueError("a design-based CI needs at least 2 patients")
    mean, covariance = _mean_and_covariance(y[:, None], w, inside)
    p = float(mean[0])
    variance = float(covariance[0, 0])
    alpha = 1 - level
    from scipy import stats as _scipy_stats  # slow to load (0.5 s): imported where used

    if variance > 0:
        n_eff = p * (1 - p) / variance
        lower = float(_scipy_stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1))
        upper = float(_scipy_stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    else:  # all 0 or all 1: fall back to the exact interval at the actual n
        lower = 0.0 if p == 0 else float(_scipy_stats.beta.ppf(alpha / 2, n, 1))
        upper = 1.0 if p == 1 else float(_scipy_stats.beta.ppf(1 - alpha / 2, 1, n))
    return WeightedProportion(n, float(w[inside] @ y[inside]), float(w[inside].sum()), p, float(np.sqrt(variance)),
                              lower, upper, level)


def rao_scott_test(outcome: Sequence[object] | pd.Series, group: Sequence[object] | pd.Series,
                   weights: Sequence[float]) -> RaoScottTest:
    """Rao-Scott test of independence of ``outcome`` and ``group`` (R ``svychisq(~outcome + group)``).

    >>> r = rao_scott_test([1, 0, 1, 1, 0, 0, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1], [1.0] * 8)
    >>> round(r.statistic, 4), round(r.p, 4)     # R svychisq: F = 1.75, p-value = 0.2275
    (1.75, 0.2275)
    """
    import pandas as pd

    rows = _values(outcome)
    cols = _values(group)
    if rows.isna().any() or cols.isna().any():
        raise ValueError("outcome and group must not contain missing values")
    n = rows.size
    w = _weights(weights, n)
    row_codes, row_levels = pd.factorize(rows, sort=True)
    col_codes, col_levels = pd.factorize(cols, sort=True)
    nr, nc = len(row_levels), len(col_levels)
    if nr < 2 or nc < 2:
        raise ValueError("the test needs at least 2 outcome values and 2 groups")
    # cells in R's expand.grid order: rows vary fastest
    cell = row_codes + nr * col_codes
    indicators = (cell[:, None] == np.arange(nr * nc)[None, :]).astype(float)
    mean, covariance = _mean_and_covariance(indicators, w)
    row_index = np.tile(np.arange(nr), nc)
    col_index = np.repeat(np.arange(nc), nr)
    main = np.column_stack([np.ones(nr * nc)]
                           + [(row_index == i).astype(float) for i in range(1, nr)]
                           + [(col_index == j).astype(float) for j in range(1, nc)])
    interaction = np.column_stack([(row_index == i) & (col_index == j)
                                   for j in range(1, nc) for i in range(1, nr)]).astype(float)
    projection = interaction - main @ np.linalg.lstsq(main, interaction, rcond=None)[0]
    inverse_mean = np.diag(np.where(mean == 0, 0.0, 1.0 / np.where(mean == 0, 1.0, mean)))
    denominator = projection.T @ (inverse_mean / n) @ projection
    numerator = projection.T @ inverse_mean @ covariance @ inverse_mean @ projection
    delta = np.linalg.solve(denominator, numerator)
    trace = float(np.trace(delta))
    d0 = trace ** 2 / float(np.trace(delta @ delta))
    table = (mean * n).reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    pearson = float(((table - expected) ** 2 / expected).sum())
    ddf = n - 1
    statistic = pearson / trace
    from scipy import stats as _scipy_stats  # slow to load (0.5 s): imported where used
    return RaoScottTest(statistic, d0, d0 * ddf, float(_scipy_stats.f.sf(statistic, d0, d0 * ddf)))
