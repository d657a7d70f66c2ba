"""Numbers → strings in the house style. The only place in reportgen that rounds.

Rounding is half away from zero on the number's shortest decimal representation
(``repr``), as SAS prints: 6.25 → 6.3, 2.675 → 2.68 (Python's ``round`` gives 2.67
because the binary double is 2.67499…), -0.5 → -1. Every formatter takes the
``HouseStyle`` explicitly; nothing here reads a global.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from reportgen.format.style import HouseStyle


def round_half_away(value: float, decimals: int) -> Decimal:
    """Round half away from zero on the shortest decimal form of ``value``.

    >>> str(round_half_away(6.25, 1)), str(round_half_away(2.675, 2)), str(round_half_away(-0.5, 0))
    ('6.3', '2.68', '-1')
    """
    exponent = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP)


def fmt_number(value: float | None, decimals: int, style: HouseStyle, drop_zeros: bool = False) -> str:
    """A number with ``decimals`` decimals (or ``style.missing_text`` when undefined).

    With ``drop_zeros``, trailing zeros of the decimals go (3.0 → 3, 2.50 → 2.5), as the
    reference prints survival medians.
    """
    if value is None:
        return style.missing_text
    rounded = round_half_away(value, decimals)
    if rounded == 0:
        rounded = abs(rounded)  # never print -0.0
    text = f"{rounded:f}"
    if drop_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def is_small_cell(count: float | None, style: HouseStyle) -> bool:
    """Whether a count of patients is a small cell to suppress: 1 to ``style.suppress_below - 1``.

    Zero is not a small cell, and nothing is with suppression off (``suppress_below`` 0).
    """
    return count is not None and 0 < count < style.suppress_below


def fmt_small_cell(style: HouseStyle) -> str:
    """What a suppressed small cell prints: '<5'."""
    return style.suppressed_text.format(n=style.suppress_below)


def fmt_count(count: float | None, style: HouseStyle) -> str:
    """A count of patients: '52', or the suppressed text ('<5') for a small cell.

    Every count of patients a reader sees goes through here: table cells, column sizes,
    flowchart boxes, numbers at risk and the counts in the text.

    >>> from reportgen.format.style import HouseStyle
    >>> s = HouseStyle(suppress_below=5)
    >>> fmt_count(0, s), fmt_count(4, s), fmt_count(5, s), fmt_count(4, HouseStyle())
    ('0', '<5', '5', '4')
    """
    if count is None:
        return style.missing_text
    if is_small_cell(count, style):
        return fmt_small_cell(style)
    return str(int(count))


def fmt_percent(count: int, denominator: int, style: HouseStyle) -> str:
    """``count`` over ``denominator`` as a percentage with the style's decimals and a % sign.

    The percentage of a small cell would give the count away: it prints as the count does ('<5').
    """
    if is_small_cell(count, style):
        return fmt_small_cell(style)
    if denominator == 0:
        return style.missing_text
    return fmt_number(100.0 * count / denominator, style.percent_decimals, style) + "%"


def fmt_count_percent(count: int, denominator: int, style: HouseStyle) -> str:
    """A count with its percentage: '30 (57.7%)'; a small cell alone: '<5'."""
    if is_small_cell(count, style):
        return fmt_small_cell(style)
    return f"{fmt_count(count, style)} ({fmt_percent(count, denominator, style)})"


def fmt_share(value: float | None, denominator: int | None, style: HouseStyle) -> str:
    """A proportion (0-1) of ``denominator`` patients as a percentage, or the suppressed text when
    the count it stands for (``value * denominator``, rounded) is a small cell."""
    if value is not None and denominator and is_small_cell(round(value * denominator), style):
        return fmt_small_cell(style)
    return fmt_proportion(value, style)


def fmt_proportion(value: float | None, style: HouseStyle) -> str:
    """A proportion (0-1) as a percentage: 0.1675 → 16.7%."""
    if value is None:
        return style.missing_text
    return fmt_number(100.0 * value, style.percent_decimals, style) + "%"


def fmt_proportion_interval(lower: float | None, upper: float | None, style: HouseStyle) -> str:
    """A proportion's confidence limits as percentages: '16.7%-76.6%'."""
    return fmt_interval(fmt_proportion(lower, style), fmt_proportion(upper, style), style)


def fmt_p_value(p: float | None, style: HouseStyle) -> str:
    """A P value in journal style: no leading zero, 4 decimals below .05, else 2, trailing zeros dropped.

    >>> from reportgen.format.style import HouseStyle
    >>> s = HouseStyle()
    >>> fmt_p_value(0.01381, s), fmt_p_value(0.9102, s), fmt_p_value(0.06, s), fmt_p_value(0.00001, s)
    ('.0138', '.91', '.06', '< .0001')
    """
    if p is None:
        return style.missing_text
    if p < style.p_floor:
        return "< " + fmt_number(style.p_floor, style.p_small_decimals, style).lstrip("0")
    decimals = style.p_small_decimals if p < style.p_small_below else style.p_large_decimals
    text = fmt_number(p, decimals, style)
    if "." in text and style.p_drop_trailing_zeros:
        text = text.rstrip("0").rstrip(".")
    if style.p_leading_zero is False and text.startswith("0."):
        text = text[1:]
    return text


def fmt_interval(lower: str, upper: str, style: HouseStyle) -> str:
    """Two formatted limits joined by the style's separator: 1.9-4.2."""
    return f"{lower}{style.ci_separator}{upper}"
