"""Summary tables in the house style, built from the results store's records.

A Table 1 has a label column and, per population, a count column and a percent
column; continuous summaries and single statistics span both. Levels are shown
when observed; a Missing row (count only) when there are missing values.
"""

from __future__ import annotations

from reportgen.analysis.results import ResultSet
from reportgen.analysis.results import level_key
from reportgen.format.numbers import fmt_number, fmt_percent
from reportgen.format.style import HouseStyle
from reportgen.format.table_model import Cell, Table, TableRow
from reportgen.spec import TableSpec, Variable

#: How each continuous statistic row is labelled and which results it shows.
STATISTIC_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "median_range": ("Median (min; max)", ("median", "min", "max")),
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
    texts = [fmt_number(results[f"{prefix}.{part}"].value, _decimals(part, variable.decimals), style)
             for part in parts]
    if statistic == "median_range":
        return f"{texts[0]} ({texts[1]}{style.range_separator}{texts[2]})"
    if statistic == "mean_sd":
        return f"{texts[0]} ({texts[1]})"
    return style.range_separator.join(texts)


def _count_cells(count: int, denominator: int, style: HouseStyle) -> tuple[Cell, Cell]:
    return Cell(str(count), "count"), Cell(f"({fmt_percent(count, denominator, style)})", "percent")


def _missing_row(results: ResultSet, prefix: str, style: HouseStyle) -> list[TableRow]:
    missing = results[f"{prefix}.missing"].value
    if not missing:
        return []
    return [TableRow((Cell(style.missing_label, "level"), Cell(str(missing), "count"), Cell("", "percent")),
                     role="level")]


def variable_rows(results: ResultSet, population: str, name: str, variable: Variable,
                  style: HouseStyle) -> list[TableRow]:
    """The rows of one variable for one population."""
    prefix = f"{population}.{name}"
    label = Cell(variable.label, "label", mark=variable.mark)
    if variable.type == "continuous":
        rows = [TableRow((label, Cell("", "statistic", span=2)), role="variable")]
        for statistic in variable.statistics:
            text = fmt_continuous(results, prefix, statistic, variable, style)
            rows.append(TableRow((Cell(STATISTIC_ROWS[statistic][0], "level"), Cell(text, "statistic", span=2)),
                                 role="level"))
        return rows
    if variable.type == "binary":
        record = results[prefix]
        return [TableRow((label, *_count_cells(int(record.value), int(record.n), style)), role="single"),
                *_missing_row(results, prefix, style)]
    rows = [TableRow((label, Cell("", "count"), Cell("", "percent")), role="variable")]
    for level in dict.fromkeys(variable.levels.values()):
        record = results[f"{prefix}.{level_key(level)}"]
        if record.value:
            rows.append(TableRow((Cell(level, "level"), *_count_cells(int(record.value), int(record.n), style)),
                                 role="level"))
    return rows + _missing_row(results, prefix, style)


def characteristics_table(key: str, table: TableSpec, variables: dict[str, Variable], results: ResultSet,
                          set_label: str, style: HouseStyle) -> Table:
    """A one-population Table 1: header with the population and its N, then every variable."""
    n = results[f"sets.{table.set}.n"].value
    header = (
        TableRow((Cell("", "header"), Cell(table.column_label or set_label, "header", span=2)), role="header"),
        TableRow((Cell("", "header"), Cell(style.group_header.format(n=n), "header", span=2)), role="header"),
    )
    body: list[TableRow] = []
    for name in table.variables:
        body += variable_rows(results, table.set, name, variables[name], style)
    return Table(key=key, title=table.title, header=header, body=tuple(body), notes=table.notes,
                 column_widths=(0.62, 0.16, 0.22))
