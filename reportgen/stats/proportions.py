"""Proportions with exact (Clopper-Pearson) confidence intervals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProportionResult:
    """x of n, the proportion and its confidence interval (all None when n is 0)."""

    x: int
    n: int
    proportion: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str = "Clopper-Pearson exact"


def proportion_ci(x: int, n: int, level: float = 0.95) -> ProportionResult:
    """Exact Clopper-Pearson interval for x successes out of n (as SAS FREQ EXACT, R binom.test).

    >>> r = proportion_ci(5, 11)
    >>> round(r.lower, 4), round(r.upper, 4)
    (0.1675, 0.7662)
    """
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"need 0 <= x <= n, got x={x}, n={n}")
    if n == 0:
        return ProportionResult(x, n, None, None, None, level)
    from scipy import stats  # slow to load (0.5 s): imported where used

    interval = stats.binomtest(x, n).proportion_ci(confidence_level=level, method="exact")
    return ProportionResult(x, n, x / n, float(interval.low), float(interval.high), level)
