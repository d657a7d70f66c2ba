"""Comparing survival between groups: the log-rank test (the Cox model is in ``cox``).

statsmodels' ``survdiff`` does the work, with optional strata; this module checks the
input and wraps the result in a frozen object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from reportgen.stats.survival import _as_arrays


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
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    t, e = _as_arrays(time, event)
    labels = pd.Series(list(group), dtype="object")
    if labels.isna().any() or (strata is not None and pd.Series(list(strata)).isna().any()):
        raise ValueError("group and strata must not contain missing values")
    groups = tuple(str(g) for g in sorted(labels.unique(), key=str))
    if len(groups) < 2:
        raise ValueError(f"the log-rank test needs at least 2 groups, got {len(groups)}")
    codes = labels.map({g: i for i, g in enumerate(sorted(labels.unique(), key=str))}).to_numpy()
    strata_codes = None if strata is None else pd.factorize(pd.Series(list(strata)), sort=True)[0]
    from statsmodels.duration.survfunc import survdiff  # imported here: slow to load (1 s), used only here

    statistic, p = survdiff(t, e.astype(float), codes, strata=strata_codes)
    return LogrankResult(
        statistic=float(statistic), df=len(groups) - 1, p=float(p), groups=groups,
        n=tuple(int((codes == i).sum()) for i in range(len(groups))),
        events=tuple(int(e[codes == i].sum()) for i in range(len(groups))),
        stratified=strata is not None,
        method="stratified log-rank test" if strata is not None else "log-rank test",
    )
