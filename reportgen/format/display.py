"""One record's house-style display, whatever its statistic: for listings such as
``reportgen diff``, where a number is shown by itself rather than in a sentence."""

from __future__ import annotations

from reportgen.analysis.results import Result, ResultSet
from reportgen.format.numbers import fmt_number
from reportgen.format.style import HouseStyle
from reportgen.format.text import TextFormatter

#: Statistics that are whole numbers of patients or events (or of covariate levels).
_COUNTS = ("count", "n", "events", "missing", "number at risk", "levels")
#: Statistics printed with the style's ratio decimals (two, by default).
_RATIOS = ("SMD", "largest |SMD|", "threshold", "weight", "sum", "effective_n", "mean", "sd")


def display(result: Result, style: HouseStyle = HouseStyle()) -> str:
    """'5 (45.5%)', '3.1 (1.8-4.1)', '20.6% (95% CI, 9.8%-36.2%)', 'P = .0138', '0.71 [0.44-1.13]' ..."""
    text = TextFormatter(ResultSet([result]), style)
    key, statistic = result.key, result.statistic
    if result.value is None and result.unit != "months":
        return style.missing_text
    if statistic in _COUNTS:
        return text.count_percent(key) if statistic == "count" and result.n else text.count(key)
    if statistic in ("proportion", "survival"):
        return text.rate_ci(key) if result.lower is not None else text.rate(key)
    if result.unit == "months":
        return text.median_ci(key) if result.lower is not None or result.upper is not None else text.months(result.value)
    if statistic == "P":
        return text.p_value(key).replace("\u00a0", " ")
    if statistic == "hazard ratio":
        return text.hazard_ratio(key)
    if statistic == "setting":
        return fmt_number(result.value, 4, style, drop_zeros=True)
    if float(result.value).is_integer():
        return text.number(key, 0)
    return text.number(key, style.ratio_decimals if statistic in _RATIOS else 1)
