"""The table model: a rectangular grid of text cells with style roles.

The format layer builds tables (house style applied: every number already a string);
the document model carries them as they are; the writers lay them out. A table
checks at construction that its grid is rectangular, so writers can trust it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

CELL_ROLES = ("header", "label", "level", "count", "percent", "statistic")


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, how many grid columns it spans, and its role.

    Roles: ``header`` (column header), ``label`` (a variable's label),
    ``level`` (an indented level label), ``count``, ``percent``, ``statistic``
    (a continuous summary or a CI spanning the count and percent columns).
    ``mark`` is a footnote marker printed as a superscript after the text.
    """

    text: str
    role: str
    span: int = 1
    mark: str = ""


@dataclass(frozen=True)
class TableRow:
    """A row of cells whose spans add up to the table's column count."""

    cells: tuple[Cell, ...]
    role: str = "body"

    @property
    def width(self) -> int:
        return sum(cell.span for cell in self.cells)


@dataclass(frozen=True)
class Table:
    """A numbered table: title above, header rows, body rows, notes below.

    Construction checks that the grid is rectangular, so writers can trust it.
    """

    key: str
    title: str
    header: tuple[TableRow, ...]
    body: tuple[TableRow, ...]
    notes: tuple[str, ...] = ()
    number: int = 0
    column_widths: tuple[float, ...] = ()
    prefix: str = ""  # "Supplemental " in a supplement

    def __post_init__(self) -> None:
        widths = {row.width for row in (*self.header, *self.body)}
        if len(widths) > 1:
            raise ValueError(f"table {self.key!r} has rows of different widths: {sorted(widths)}")
        if self.column_widths and len(self.column_widths) != self.columns:
            raise ValueError(f"table {self.key!r}: {len(self.column_widths)} widths for {self.columns} columns")

    @property
    def columns(self) -> int:
        rows = (*self.header, *self.body)
        return rows[0].width if rows else 0

    @property
    def label(self) -> str:
        return f"{self.prefix}Table {self.number}" if self.number else f"{self.prefix}Table"


def simple_table(key: str, title: str, header: tuple[str, ...], rows: Sequence[Sequence[str]],
                 widths: tuple[float, ...], notes: tuple[str, ...] = (), number: int = 0) -> Table:
    """A plain listing table (reports such as ``reportgen diff``'s): one header row, text cells."""
    head = TableRow(tuple(Cell(text, "header") for text in header), role="header")
    body = tuple(TableRow(tuple(Cell(text, "label") for text in row), role="single") for row in rows)
    return Table(key=key, title=title, header=(head,), body=body, notes=notes, column_widths=widths, number=number)
