"""Document model → one semantic HTML page, styled only by ``reportgen/templates/house.css``.

Every node becomes plain HTML whose ``class`` is its style role (``p.body``,
``td.level``), so the look lives in the stylesheet and the PDF writer only has to
hand this page to WeasyPrint. Every piece of text is escaped: a data value such as
``<b>{{ 7*7 }}</b>`` prints literally, it never becomes markup.

The page furniture is paged-media CSS: the running title and the stamp are running
elements placed in the page margin boxes by house.css, and the footer's
``Page X of Y`` is drawn there from CSS counters.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from reportgen.document.model import (
    Block,
    BulletList,
    Cell,
    Document,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    Run,
    Table,
    TableRow,
)
from reportgen.errors import RenderError
from reportgen.render._shared import column_fractions, figure_caption_runs, heading_level, table_title_runs

__all__ = ["document_html", "runs_html"]


def _esc(text: str) -> str:
    """Escape text for element content and quoted attribute values alike."""
    return html.escape(text, quote=True)


def runs_html(runs: tuple[Run, ...]) -> str:
    """Inline runs as escaped text wrapped in ``<b>``, ``<i>`` and ``<sup>``."""
    parts = []
    for run in runs:
        text = _esc(run.text)
        if run.superscript:
            text = f"<sup>{text}</sup>"
        if run.italic:
            text = f"<i>{text}</i>"
        if run.bold:
            text = f"<b>{text}</b>"
        parts.append(text)
    return "".join(parts)


def _cell_html(cell: Cell, tag: str) -> str:
    """One ``th``/``td``: class = cell role, ``span`` → ``colspan``, mark → ``<sup>``."""
    attrs = f' class="{_esc(cell.role)}"'
    if cell.span > 1:
        attrs += f' colspan="{cell.span}"'
    if tag == "th":
        attrs += ' scope="col"' if cell.span == 1 else ' scope="colgroup"'
    mark = f'<sup class="mark">{_esc(cell.mark)}</sup>' if cell.mark else ""
    return f"<{tag}{attrs}>{_esc(cell.text)}{mark}</{tag}>"


def _row_html(row: TableRow, tag: str) -> str:
    # Row roles are prefixed so that a ``body`` row never picks up the ``.body`` paragraph look.
    cells = "".join(_cell_html(cell, tag) for cell in row.cells)
    return f'<tr class="row-{_esc(row.role)}">{cells}</tr>'


#: A table with at most this many body rows is kept on one page (moved whole to the next).
SHORT_TABLE_ROWS = 30


def _table_html(table: Table) -> str:
    """Title above, the table (header rows in ``thead`` so they repeat), notes below."""
    cols = "".join(f'<col style="width: {share * 100:.2f}%">' for share in column_fractions(table))
    head = "".join(_row_html(row, "th") for row in table.header)
    body = "".join(_row_html(row, "td") for row in table.body)
    notes = "".join(f'<p class="table-note">{_esc(note)}</p>' for note in table.notes)
    short = " short" if len(table.body) <= SHORT_TABLE_ROWS else ""
    return (
        f'<div class="table-block{short}" id="table-{_esc(table.key)}">\n'
        f'<p class="table-title">{runs_html(table_title_runs(table))}</p>\n'
        f'<table class="data-table"><colgroup>{cols}</colgroup>\n'
        f"<thead>{head}</thead>\n<tbody>{body}</tbody></table>\n"
        f"{notes}</div>"
    )


def _image_src(path: str) -> str:
    """An ``img`` URL: absolute paths as ``file:`` URIs, relative ones left relative.

    Relative paths are resolved by the consumer against its base URL (the study
    folder for WeasyPrint, the page's own folder in a browser).
    """
    as_path = Path(path)
    if as_path.is_absolute():
        return as_path.as_uri()
    return quote(as_path.as_posix())


def _figure_html(figure: Figure) -> str:
    """The image at its requested width (never wider than the text), caption under it."""
    if figure.width_inches <= 0:
        raise RenderError(f"{figure.label} ({figure.key!r}): width_inches must be positive, not {figure.width_inches}")
    alt = f"{figure.label}. {figure.title}"
    return (
        f'<figure class="figure" id="figure-{_esc(figure.key)}">\n'
        f'<img src="{_esc(_image_src(figure.vector_path or figure.path))}" alt="{_esc(alt)}" style="width: {figure.width_inches:g}in">\n'
        f'<figcaption class="caption">{runs_html(figure_caption_runs(figure))}</figcaption>\n'
        "</figure>"
    )


def block_html(block: Block) -> str:
    """One block of the document model as HTML."""
    if isinstance(block, Heading):
        level = heading_level(block.level)
        return f"<h{level}>{runs_html(block.runs)}</h{level}>"
    if isinstance(block, Paragraph):
        return f'<p class="{_esc(block.role)}">{runs_html(block.runs)}</p>'
    if isinstance(block, BulletList):
        items = "".join(f'<li class="{_esc(block.role)}">{runs_html(item)}</li>' for item in block.items)
        return f'<ul class="list">{items}</ul>'
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Figure):
        return _figure_html(block)
    if isinstance(block, PageBreak):
        return '<div class="page-break" style="break-before: page"></div>'
    raise RenderError(f"the HTML writer does not know the block type {type(block).__name__}")


def _w3c_date(moment: datetime) -> str:
    """A W3C date-time (what WeasyPrint reads from ``dcterms.created``), in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def document_html(
    document: Document,
    css_path: Path,
    *,
    stamp: str | None = None,
    extra_css: str = "",
    created: datetime | None = None,
) -> str:
    """The whole document as one HTML page with the house stylesheet inlined.

    ``stamp`` overrides ``document.stamp`` (a per-reviewer copy); an empty stamp
    prints nothing. ``extra_css`` is appended after house.css (the PDF writer adds
    its machine-specific ``@font-face`` rules there). ``created``, when given, is
    written as ``dcterms.created``/``dcterms.modified`` so that a PDF made from the
    page carries that date instead of none.
    """
    try:
        css = Path(css_path).read_text(encoding="utf-8")
    except OSError as error:
        raise RenderError(f"cannot read the stylesheet {str(css_path)!r}: {error}") from error
    stamp_text = document.stamp if stamp is None else stamp
    head = [
        '<meta charset="utf-8">',
        f"<title>{_esc(document.title)}</title>",
        '<meta name="generator" content="reportgen">',
    ]
    if created is not None:
        when = _w3c_date(created)
        head += [f'<meta name="dcterms.created" content="{when}">', f'<meta name="dcterms.modified" content="{when}">']
    head.append(f"<style>\n{css}\n{extra_css}\n</style>")
    furniture = []
    if document.running_title:
        furniture.append(f'<div class="page-running-title">{_esc(document.running_title)}</div>')
    if stamp_text:
        furniture.append(f'<div class="page-stamp stamp">{_esc(stamp_text)}</div>')
    body = "\n".join(block_html(block) for block in document.blocks)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        + "\n".join(head)
        + "\n</head>\n<body>\n"
        + "".join(f"{item}\n" for item in furniture)
        + body
        + "\n</body>\n</html>\n"
    )
