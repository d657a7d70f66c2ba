"""What both writers decide the same way, so the PDF and the Word file cannot drift apart.

The HTML and DOCX writers differ only in syntax. The wording of a table title or a
figure caption, the share of the text width each column gets, the heading levels a
manuscript uses and where a figure file is found are decided here, once.
"""

from __future__ import annotations

from pathlib import Path

from reportgen.document.model import Figure, Run, Table
from reportgen.errors import RenderError

#: Deepest heading level the house styles define (``h3`` / ``Heading 3``).
MAX_HEADING_LEVEL = 3

#: Share of the text width given to the label column when a table has no widths ...
LABEL_COLUMN_SHARE = 0.5
#: ... unless the value columns would get less than this each (``(100.0%)`` at 9 pt needs it),
#: in which case the label column gives way, down to ``MIN_LABEL_COLUMN_SHARE``.
MIN_VALUE_COLUMN_SHARE = 0.12
MIN_LABEL_COLUMN_SHARE = 0.3


def heading_level(level: int) -> int:
    """Clamp a heading level to the 1-3 that house.css and reference.docx style."""
    return min(max(int(level), 1), MAX_HEADING_LEVEL)


def table_title_runs(table: Table) -> tuple[Run, ...]:
    """The runs of a table title: ``Table 1.`` in bold, then the title."""
    return (Run(f"{table.label}.", bold=True), Run(f" {table.title}"))


def figure_caption_runs(figure: Figure) -> tuple[Run, ...]:
    """The runs of a figure caption: ``Figure 2.`` in bold, the title, then the caption.

    The title gets a closing full stop unless it already ends a sentence, as in
    ``Figure 2. Outcomes by timing of progression. PFS (A) and OS (B) ...``.
    """
    title = figure.title.strip()
    if title and title[-1] not in ".?!":
        title += "."
    runs: list[Run] = [Run(f"{figure.label}.", bold=True)]
    if title:
        runs.append(Run(f" {title}"))
    if figure.caption:
        runs.append(Run(" "))
        runs.extend(figure.caption)
    return tuple(runs)


def column_fractions(table: Table) -> tuple[float, ...]:
    """Each column's share of the text width, summing to 1.

    ``Table.column_widths`` are taken as relative weights. Without them the label
    column gets half the width and the value columns share the rest equally, which
    keeps the labels on one line; a wide table (Table 2: three groups of ``n`` and
    ``(pct%)`` columns) narrows the label column, down to 30%, rather than squeeze
    its values below 12% each.
    """
    columns = table.columns
    if columns == 0:
        return ()
    if table.column_widths:
        weights = [max(float(w), 0.0) for w in table.column_widths]
        total = sum(weights)
        if total <= 0:
            raise RenderError(f"table {table.key!r}: column widths {table.column_widths} do not add up to a width")
        return tuple(w / total for w in weights)
    if columns == 1:
        return (1.0,)
    values = columns - 1
    label = max(MIN_LABEL_COLUMN_SHARE, min(LABEL_COLUMN_SHARE, 1.0 - MIN_VALUE_COLUMN_SHARE * values))
    rest = (1.0 - label) / values
    return (label, *([rest] * values))


def figure_file(figure: Figure, base_dir: Path | None) -> Path:
    """The absolute path of a figure's image, relative paths taken from ``base_dir``.

    Raises ``RenderError`` when the file does not exist, naming the figure, so a
    missing plot stops the build instead of leaving a hole in the manuscript.
    """
    path = Path(figure.path).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    if not path.is_file():
        raise RenderError(
            f"{figure.label} ({figure.key!r}): image file {str(path)!r} not found; "
            "check that the figure step wrote it before the document was rendered"
        )
    return path
