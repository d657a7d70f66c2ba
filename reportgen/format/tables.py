"""Summary tables in the house style, built from the results store's records.

A characteristics table has a label column and, per population, a count column and
a percent column; continuous summaries, single statistics and CIs span both. Levels
are shown when observed; a Missing row (count only) when there are missing values.
"""

from __future__ import annotations

from reportgen.analysis.results import ResultSet
from reportgen.analysis.results import level_key
from reportgen.format.numbers import fmt_count, fmt_number, fmt_percent, fmt_proportion_interval, is_small_cell
from reportgen.format.style import HouseStyle
from reportgen.format.table_model import Cell, Table, TableRow
from reportgen.spec import AnalysisSet, TableSpec, Variable

#: How each continuous statistic row is labelled and which results it shows.
STATISTIC_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "median_range": ("Median (min; max)", ("median", "min", "max")),
    "median_quartiles": ("Median (Q1; Q3)", ("median", "q1", "q3")),
    "n": ("N", ("n",)),
    "missing": ("Missing", ("missing",)),
    "mean_sd": ("Mean (SD)", ("mean", "sd")),
    "median": ("Median", ("median",)),
    "quartiles": ("Q1; Q3", ("q1", "q3")),
    "p1_p99": ("P1; P99", ("p1", "p99")),
}


def _decimals(statistic: str, data_decimals: int) -> int:
    """Clinical convention: extremes and quantiles at the data's precision, mean and median
    one decimal more, SD two more; counts none."""
    if statistic in ("n", "missing"):
        return 0
    if statistic in ("mean", "median"):
        return data_decimals + 1
    if statistic == "sd":
        return data_decimals + 2
    return data_decimals


def fmt_continuous(results: ResultSet, prefix: str, statistic: str, variable: Variable, style: HouseStyle) -> str:
    """One continuous summary cell: '65.5 (20; 81)', '0.97 (0.055)', '1.0; 1.0'."""
    _, parts = STATISTIC_ROWS[statistic]
    texts = [fmt_count(results[f"{prefix}.{part}"].value, style) if part in ("n", "missing")
             else fmt_number(results[f"{prefix}.{part}"].value, _decimals(part, variable.decimals), style)
             for part in parts]
    if statistic in ("median_range", "median_quartiles"):
        return f"{texts[0]} ({texts[1]}{style.range_separator}{texts[2]})"
    if statistic == "mean_sd":
        return f"{texts[0]} ({texts[1]})"
    return style.range_separator.join(texts)


def _count_cells(count: int, denominator: int, style: HouseStyle) -> tuple[Cell, Cell]:
    """'30' and '(57.7%)'; a small cell under suppression: '<5' and no percentage (it would give the count away)."""
    percent = "" if is_small_cell(count, style) else f"({fmt_percent(count, denominator, style)})"
    return Cell(fmt_count(count, style), "count"), Cell(percent, "percent")


def _row(label: Cell, cells: list[Cell], role: str) -> TableRow:
    return TableRow((label, *cells), role=role)


def _blank(populations: tuple[str, ...]) -> list[Cell]:
    return [cell for _ in populations for cell in (Cell("", "count"), Cell("", "percent"))]


def _missing_row(results: ResultSet, populations: tuple[str, ...], name: str, style: HouseStyle) -> list[TableRow]:
    """Missing counts (no percentage), only when some population has any."""
    counts = [int(results[f"{population}.{name}.missing"].value) for population in populations]
    if not any(counts):
        return []
    cells = [cell for count in counts for cell in (Cell(fmt_count(count, style), "count"), Cell("", "percent"))]
    return [_row(Cell(style.missing_label, "level"), cells, "level")]


def _count_row(label: Cell, results: ResultSet, keys: list[str], style: HouseStyle, role: str) -> TableRow:
    cells = []
    for key in keys:
        record = results[key]
        cells += _count_cells(int(record.value), int(record.n or 0), style)
    return _row(label, cells, role)


def _rate_rows(results: ResultSet, populations: tuple[str, ...], name: str, variable: Variable,
               style: HouseStyle) -> list[TableRow]:
    """The response rate block: its label, its count with percentage, and its exact CI (left blank
    for a suppressed small cell: the exact limits would give the count away)."""
    rate = variable.rate
    keys = [f"{population}.{name}.{level_key(rate.label)}" for population in populations]
    level = fmt_number(100 * (results[f"{keys[0]}.ci"].level or 0.95), 0, style)
    intervals = [Cell("" if is_small_cell(results[key].value, style) else
                      f"({fmt_proportion_interval(results[f'{key}.ci'].lower, results[f'{key}.ci'].upper, style)})",
                      "statistic", span=2) for key in keys]
    return [
        _row(Cell(rate.label, "label", mark=rate.mark), _blank(populations), "variable"),
        _count_row(Cell(rate.label, "level"), results, keys, style, "level"),
        _row(Cell(f"{level}% confidence interval", "level"), intervals, "level"),
    ]


def variable_rows(results: ResultSet, populations: tuple[str, ...], name: str, variable: Variable,
                  style: HouseStyle) -> list[TableRow]:
    """The rows of one variable, with a count and a percent column per population.

    A level is shown when some population has it (a zero elsewhere prints 0 (0.0%)).
    """
    label = Cell(variable.label, "label", mark=variable.mark)
    if variable.type == "continuous":
        rows = [_row(label, [Cell("", "statistic", span=2) for _ in populations], "variable")]
        for statistic in variable.statistics:
            cells = [Cell(fmt_continuous(results, f"{population}.{name}", statistic, variable, style), "statistic",
                          span=2) for population in populations]
            rows.append(_row(Cell(STATISTIC_ROWS[statistic][0], "level"), cells, "level"))
        return rows
    if variable.type == "binary":
        keys = [f"{population}.{name}" for population in populations]
        return [_count_row(label, results, keys, style, "single"),
                *_missing_row(results, populations, name, style)]
    rows = [_row(label, _blank(populations), "variable")]
    for level in variable.labels:
        keys = [f"{population}.{name}.{level_key(level)}" for population in populations]
        if any(results[key].value for key in keys):
            rows.append(_count_row(Cell(level, "level"), results, keys, style, "level"))
    rows += _missing_row(results, populations, name, style)
    if variable.rate.levels:
        rows += _rate_rows(results, populations, name, variable, style)
    return rows


def _size_header(population: str, sets: dict[str, AnalysisSet], columns: tuple[str, ...], results: ResultSet,
                 style: HouseStyle) -> str:
    """'N = 52' for a set; 'n = 42' for a subset shown beside its parent; 'n = 11/15' for one shown alone."""
    n = fmt_count(results[f"sets.{population}.n"].value, style)
    parent = sets[population].of
    if not parent:
        return style.group_header.format(n=n)
    if parent in columns:
        return style.subgroup_header.format(n=n)
    return style.subset_header.format(n=n, total=fmt_count(results[f"sets.{parent}.n"].value, style))


def characteristics_table(key: str, table: TableSpec, variables: dict[str, Variable], results: ResultSet,
                          sets: dict[str, AnalysisSet], style: HouseStyle) -> Table:
    """A characteristics table: per population a header (its label and size), then every variable."""
    populations = table.populations
    labels = table.column_labels or ((table.column_label,) if table.column_label else ())
    labels = labels or tuple(sets[population].label for population in populations)
    header = (
        TableRow((Cell("", "header"), *(Cell(label, "header", span=2) for label in labels)), role="header"),
        TableRow((Cell("", "header"), *(Cell(_size_header(population, sets, populations, results, style), "header",
                                             span=2) for population in populations)), role="header"),
    )
    body: list[TableRow] = []
    for name in table.variables:
        body += variable_rows(results, populations, name, variables[name], style)
    label_width = 0.62 if len(populations) == 1 else 0.34
    pair = (1 - label_width) / len(populations)
    widths = (label_width, *(width for _ in populations for width in (pair * 0.42, pair * 0.58)))
    return Table(key=key, title=table.title, header=header, body=tuple(body), notes=table.notes,
                 column_widths=widths)
