"""The provenance tables of the supplement's last page: what a build was made from.

Plain rows in, tables out: the build gathers the facts (``reportgen.lock``), this
module only lays them out, so the page and provenance.json say the same things.
"""

from __future__ import annotations

from typing import Sequence

from reportgen.format.table_model import Cell, Table, TableRow


def shown_digest(digest: str) -> str:
    """A SHA-256 as the page shows it: its two halves apart, so it wraps as two even lines in a table
    cell (PDF and Word alike) rather than breaking anywhere; provenance.json keeps it whole."""
    half = len(digest) // 2
    return f"{digest[:half]} {digest[half:]}"


def _header(*titles: str) -> TableRow:
    return TableRow(tuple(Cell(title, "header") for title in titles), role="header")


def provenance_tables(items: Sequence[tuple[str, str]], inputs: Sequence[tuple[str, int | None, str]]
                      ) -> dict[str, Table]:
    """``provenance`` (item, value) and ``provenance_inputs`` (file, data rows, SHA-256)."""
    about = Table(key="provenance", title="Provenance of this build", header=(_header("Item", "Value"),),
                  body=tuple(TableRow((Cell(item, "label"), Cell(value, "label")), role="single")
                             for item, value in items),
                  column_widths=(0.22, 0.78))
    files = Table(key="provenance_inputs", title="Input files of this build",
                  header=(_header("File", "Rows", "SHA-256"),),
                  body=tuple(TableRow((Cell(name, "label"), Cell("" if rows is None else str(rows), "statistic"),
                                       Cell(shown_digest(digest), "label")), role="single")
                             for name, rows, digest in inputs),
                  notes=("Rows: data rows of each file or database table (a CSV header excluded).",),
                  column_widths=(0.23, 0.07, 0.70))
    return {"provenance": about, "provenance_inputs": files}
