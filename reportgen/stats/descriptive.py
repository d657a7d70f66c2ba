"""Descriptive statistics of one variable, with SAS's quantile definition by default.

SAS (PROC MEANS/UNIVARIATE, PCTLDEF=5) and R ``quantile(type = 2)`` average the two
order statistics around ``n * p`` when it is a whole number; pandas and numpy default
to linear interpolation (R type 7) and so disagree with the registry's validated
tables. The definitions are numpy's own ``method`` names, so nothing here is
hand-written interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Quantile definitions by name: SAS PCTLDEF=k and R type=k, mapped to numpy methods.
QUANTILE_DEFINITIONS: dict[str, str] = {
    "sas1": "interpolated_inverted_cdf",  # R type 4
    "sas2": "closest_observation",  # R type 3
    "sas3": "inverted_cdf",  # R type 1
    "sas4": "weibull",  # R type 6
    "sas5": "averaged_inverted_cdf",  # R type 2, the SAS default
    "r1": "inverted_cdf",
    "r2": "averaged_inverted_cdf",
    "r3": "closest_observation",
    "r4": "interpolated_inverted_cdf",
    "r5": "hazen",
    "r6": "weibull",
    "r7": "linear",
    "r8": "median_unbiased",
    "r9": "normal_unbiased",
}


@dataclass(frozen=True)
class Description:
    """Summary of one continuous variable; statistics are None when undefined (no data)."""

    n: int
    missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    p1: float | None
    p99: float | None
    min: float | None
    max: float | None
    quantile_definition: str

    @property
    def method(self) -> str:
        return f"quantiles by definition {self.quantile_definition}; SD with n - 1 denominator"


def _as_float_array(values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    import pandas as pd  # imported where used: a cached build starts without pandas (0.5 s)

    return pd.to_numeric(pd.Series(values, dtype="object"), errors="raise").astype(float).to_numpy()


def quantile(values: np.ndarray, p: float, definition: str = "sas5") -> float:
    """The p-quantile of non-missing ``values`` by a named definition (see QUANTILE_DEFINITIONS)."""
    try:
        method = QUANTILE_DEFINITIONS[definition]
    except KeyError:
        known = ", ".join(sorted(QUANTILE_DEFINITIONS))
        raise ValueError(f"unknown quantile definition {definition!r}; known: {known}") from None
    return float(np.quantile(values, p, method=method))


def describe(values: Sequence[float] | np.ndarray | pd.Series, quantile_definition: str = "sas5") -> Description:
    """n, missing, mean, SD, median, quartiles, 1st/99th percentiles, min and max.

    >>> d = describe([1, 2, 3, 4, None])
    >>> d.n, d.missing, d.median, d.q1, d.q3
    (4, 1, 2.5, 1.5, 3.5)
    """
    array = _as_float_array(values)
    present = array[~np.isnan(array)]
    n = int(present.size)
    missing = int(array.size - n)
    if n == 0:
        return Description(0, missing, *([None] * 9), quantile_definition)

    def q(p: float) -> float:
        return quantile(present, p, quantile_definition)

    return Description(
        n=n,
        missing=missing,
        mean=float(present.mean()),
        sd=float(present.std(ddof=1)) if n > 1 else None,
        median=q(0.5),
        q1=q(0.25),
        q3=q(0.75),
        p1=q(0.01),
        p99=q(0.99),
        min=float(present.min()),
        max=float(present.max()),
        quantile_definition=quantile_definition,
    )


@dataclass(frozen=True)
class Frequency:
    """Counts of one categorical variable over its levels; percentages over non-missing."""

    levels: tuple[str, ...]
    counts: tuple[int, ...]
    missing: int

    @property
    def n(self) -> int:
        """Number of non-missing values: the denominator of every percentage."""
        return sum(self.counts)

    def percent(self, level: str) -> float | None:
        """Percentage of ``level`` among non-missing values; None when there are none."""
        if self.n == 0:
            return None
        return 100.0 * self.counts[self.levels.index(level)] / self.n


def frequency(values: Sequence[object] | pd.Series, levels: Sequence[str]) -> Frequency:
    """Count each of ``levels`` in ``values``; missing values (None/NaN) are counted apart.

    A value that is neither missing nor one of ``levels`` is an error, not a silent drop.

    >>> f = frequency(["a", "b", "a", None], ["a", "b"])
    >>> f.counts, f.missing, round(f.percent("a"), 1)
    ((2, 1), 1, 66.7)
    """
    import pandas as pd

    series = pd.Series(values, dtype="object")
    present = series[series.notna()].astype(str)
    unknown = sorted(set(present) - set(levels))
    if unknown:
        raise ValueError(f"values {unknown} are not among the declared levels {list(levels)}")
    counts = tuple(int((present == level).sum()) for level in levels)
    return Frequency(tuple(levels), counts, int(series.isna().sum()))
