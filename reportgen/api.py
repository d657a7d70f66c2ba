"""A study in a notebook or a script: its results, tables and figures as Python objects.

The command line writes files; this module hands the same build's pieces to Python.
:meth:`Study.open` reads the spec, verifies the data lock, validates and analyses the
data (reusing the study's cache as a build does); then

- ``study.results`` is every number of the results store as a pandas DataFrame, one
  row per record in the analysis-results-data (ARD) form, with the exact stored values;
- ``study.table(key)`` is a table as the documents show it: a DataFrame of its cell
  texts, and in Jupyter an HTML table in the house look;
- ``study.figure(key)`` is a figure as a matplotlib Figure, drawn as the build draws it
  but without writing a file;
- ``study.build(out)`` writes the documents as ``reportgen build`` does.

Nothing here computes a statistic or formats a number: it calls the build's own stages
(:mod:`reportgen.build`, :mod:`reportgen.assemble`), so a number or a cell is the one the
documents carry. pandas is imported only when a DataFrame is asked for, matplotlib only
when a figure is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Mapping

from reportgen.analysis.results import StudyResults
from reportgen.assemble import Drawing, Reader, figure_object, study_drawings, study_tables
from reportgen.build import BuildOutputs, Progress, analysed, study_style, verified_lock
from reportgen.build import build as build_study
from reportgen.cache import CACHE_FOLDER, Cache
from reportgen.document.model import Table, TableRow
from reportgen.errors import RenderError
from reportgen.format.style import HouseStyle
from reportgen.format.text import TextFormatter
from reportgen.lock import build_moment
from reportgen.render.html import block_html
from reportgen.spec import StudySpec, load_spec
from reportgen.validation import Validation
from reportgen.workers import DEFAULT_WORKERS

if TYPE_CHECKING:
    import matplotlib.figure
    import pandas as pd

    from reportgen.errors import Problem

__all__ = ["Study", "StudyTable"]

#: The class of the element that holds a table's HTML in a notebook; the house stylesheet's rules
#: are scoped to it, so they style the table and leave the rest of the notebook as it was.
HTML_SCOPE = "reportgen-table"


def _quiet(message: str) -> None:
    """Progress that says nothing (the default in a notebook; pass ``print`` to follow a long step)."""


@dataclass(frozen=True, eq=False, repr=False)
class Study:
    """An opened study: its spec, its analysed data, its tables and figures, to look at from Python.

    Made by :meth:`open`. Frozen: it shows the data and the spec as they were when it was
    opened; open the study again after changing either.
    """

    spec: StudySpec
    #: The results store (``analysis.results``, a ResultSet of Result records) and the curves the figures draw.
    analysis: StudyResults
    #: What validating the data found (its ``warnings``; a build with errors does not get this far).
    validation: Validation
    #: The house style the tables are formatted in (the spec's small-cell suppression applied).
    style: HouseStyle
    _tables: Mapping[str, Table]
    _drawings: Mapping[str, Drawing]

    @classmethod
    def open(cls, path: str | Path, *, style: HouseStyle = HouseStyle(), cache: bool = True,
             progress: Progress = _quiet) -> Study:
        """Read the study at ``path`` (its folder or its study.yaml) and analyse its data.

        The steps and their errors are a build's: a spec mistake is a SpecError, data that
        changed since their lock or do not validate raise, and the analysis is reused from
        the study's cache (``.reportgen-cache``) when the spec, the data and the reference
        date are those of an earlier build or open (``cache=False``: computed, not kept).
        ``progress`` receives the build's progress lines, warnings included.
        """
        spec = load_spec(path)
        lock = verified_lock(spec, progress)
        store = Cache(spec.folder / CACHE_FOLDER if cache else None)
        validation, _, analysis = analysed(spec, lock, build_moment(lock), store, progress)
        style = study_style(style, spec)
        reader = _reader(analysis, style)
        # the drawings' files are where a build would save them; a figure asked for here writes none
        drawings = study_drawings(spec, analysis, reader, spec.folder / "output" / "figures")
        return cls(spec, analysis, validation, style, study_tables(spec, reader, style),
                   {drawing.key: drawing for drawing in drawings})

    def __repr__(self) -> str:
        return (f"<Study {self.spec.study.title!r} ({self.spec.path}): {len(self.analysis.results)} results, "
                f"{len(self._tables)} tables, {len(self._drawings)} figures>")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The data's warnings (possible but unusual values), each naming its file, column and patient."""
        return self.validation.warnings

    @property
    def results(self) -> pd.DataFrame:
        """Every number of the results store, one row per record (ARD form), as results.json holds them.

        Columns: key, value, statistic, population, n, lower, upper (the confidence limits),
        method, unit, level (the confidence level), params (a dict per row). A new frame at
        each call, so changing it changes nothing here.
        """
        return self.analysis.results.to_frame()

    @property
    def tables(self) -> tuple[str, ...]:
        """The keys of the study's tables (characteristics and comparison tables), in the spec's order."""
        return tuple(self._tables)

    def table(self, key: str) -> StudyTable:
        """The table ``key`` as the documents show it; an unknown key is a RenderError naming the known ones."""
        return StudyTable(self._tables[_known(key, self._tables, "table")], self.style.css)

    @property
    def figures(self) -> tuple[str, ...]:
        """The keys of the study's figures (Kaplan-Meier and comparison figures, love plots, flowcharts)."""
        return tuple(self._drawings)

    def figure(self, key: str) -> matplotlib.figure.Figure:
        """The figure ``key`` as the documents show it: a new matplotlib Figure, drawn from the same
        numbers as the build's PNG and SVG, without writing a file
        (:func:`reportgen.format.figures.save_figure` saves it as the build does: the same bytes).
        Not registered with pyplot: nothing to close. An unknown key is a RenderError naming the known
        ones, as is a figure that cannot be drawn."""
        return figure_object(self._drawings[_known(key, self._drawings, "figure")])

    def build(self, out: str | Path | None = None, *, only: tuple[str, ...] = (), workers: int = DEFAULT_WORKERS,
              cache: bool = True, progress: Progress = _quiet) -> BuildOutputs:
        """Build the study's documents into ``out`` (default: the study's ``output`` folder, as on the
        command line), exactly as ``reportgen build`` does (see :func:`reportgen.build.build`).

        The build reads the study's files as they are now; when they are those this study was
        opened from, it reuses the cached analysis, so its numbers are the ones shown here.
        """
        folder = self.spec.folder / "output" if out is None else out
        return build_study(self.spec.path, folder, self.style, progress, only, workers, cache)


def _reader(analysis: StudyResults, style: HouseStyle) -> Reader:
    """Formatters of the store for every table and figure (a notebook keeps no log of where results are shown)."""
    text = TextFormatter(analysis.results, style)
    return lambda place: text


def _known(key: str, known: Collection[str], kind: str) -> str:
    """``key`` if the study has such a ``kind``; else a RenderError with the nearest key and all of them."""
    if key in known:
        return key
    nearest = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
    raise RenderError(f"the study has no {kind} {key!r}{hint} (its {kind}s: {', '.join(known)})")


@dataclass(frozen=True)
class StudyTable:
    """One table of a study, as the PDF and the Word file show it.

    ``table`` is the document model's table (its cells are the formatted strings both
    writers print); :meth:`to_frame` gives them to pandas, and Jupyter shows the table
    through :meth:`_repr_html_` in the house look of ``css`` (the house stylesheet).
    """

    table: Table
    css: Path = HouseStyle().css

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def title(self) -> str:
        return self.table.title

    @property
    def notes(self) -> tuple[str, ...]:
        return self.table.notes

    def to_frame(self) -> pd.DataFrame:
        """The cells as a DataFrame of strings: the row labels (first column) as the index, named by
        the header above them; the column headers as columns, a MultiIndex when the table has several
        header rows.

        A header cell spanning columns names each of them (as ``pandas.read_html`` reads a colspan);
        a body cell spanning columns fills the first, the others are empty, as the table shows it. A
        footnote mark follows its cell's text ("bORR*"). Labels may repeat ("Missing" under each
        variable), and so may columns (a count and its percentage under one header).
        """
        import pandas as pd

        header = [_row_texts(row, repeat=True) for row in self.table.header]
        body = [_row_texts(row, repeat=False) for row in self.table.body]
        name = " ".join(row[0] for row in header if row[0]) or None
        index = pd.Index([row[0] for row in body], name=name, dtype=object)
        if len(header) > 1:
            columns: pd.Index = pd.MultiIndex.from_arrays([row[1:] for row in header])
        elif header:
            columns = pd.Index(header[0][1:], dtype=object)
        else:
            columns = pd.RangeIndex(1, max(self.table.columns, 1))
        return pd.DataFrame([row[1:] for row in body], index=index, columns=columns, dtype=object)

    @property
    def frame(self) -> pd.DataFrame:
        """The same as :meth:`to_frame`."""
        return self.to_frame()

    def _repr_html_(self) -> str:
        """The table as the PDF's HTML has it (title, cells, notes; every text escaped), styled by the house
        stylesheet's rules scoped to this table."""
        style = f"<style>\n{_scoped_css(self.css)}\n</style>"
        return f'<div class="{HTML_SCOPE}">\n{style}\n{block_html(self.table)}\n</div>'

    def __repr__(self) -> str:
        return f"<StudyTable {self.key!r}: {self.title} ({len(self.table.body)} rows, {self.table.columns} columns)>"


def _row_texts(row: TableRow, repeat: bool) -> list[str]:
    """A row's texts, one per grid column: a spanning cell's text repeated (``repeat``) or followed by blanks."""
    texts: list[str] = []
    for cell in row.cells:
        shown = cell.text + cell.mark
        texts += [shown, *([shown if repeat else ""] * (cell.span - 1))]
    return texts


@lru_cache(maxsize=8)
def _scoped_css(css_path: Path) -> str:
    """The house stylesheet's rules, each selector scoped to the element of class :data:`HTML_SCOPE`
    (``:root``, ``html`` and ``body`` become that element); the at-rules (pages, print) are left out.

    So a table in a notebook looks as in the PDF while the stylesheet stays the one place its look
    is written, and the notebook's own text and tables keep theirs.
    """
    try:
        css = Path(css_path).read_text(encoding="utf-8")
    except OSError as error:
        raise RenderError(f"cannot read the stylesheet {str(css_path)!r}: {error}") from error
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: list[str] = []
    depth, start, opened = 0, 0, 0
    for position, char in enumerate(css):
        if char == "{":
            opened = position if depth == 0 else opened
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                prelude = css[start:opened].rsplit(";", 1)[-1].strip()  # after any block-less at-rule (@import x;)
                if prelude and not prelude.startswith("@"):
                    selectors = ", ".join(_scoped(selector.strip()) for selector in prelude.split(","))
                    rules.append(f"{selectors} {{ {' '.join(css[opened + 1:position].split())} }}")
                start = position + 1
    return "\n".join(rules)


def _scoped(selector: str) -> str:
    scope = f".{HTML_SCOPE}"
    return scope if selector in (":root", "html", "body") else f"{scope} {selector}"
