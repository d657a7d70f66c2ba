"""Document model → Word (.docx) on the house reference document.

As pandoc does, every look comes from the named styles of ``reference.docx``: a
paragraph gets the style named by its role (``body``, ``caption``, ``table-note``),
a heading ``Heading 1``-``3``, a table cell the style named by its cell role
(``header``, ``level``, ``count`` ...), a table the ``house-table`` style. This
module sets no font, size or colour. What it does write directly is what Word's
styles cannot express: merged cells, column widths, header rows repeated on each
page (``w:tblHeader``, no python-docx API), rows kept whole, the rules above and
under the header rows, and the page number fields.

The output is repeatable: core properties and the zip entries' timestamps come
from the ``created`` argument (or a fixed date), never from the clock.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches

from reportgen.document.model import (
    Block,
    BulletList,
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
from reportgen.render._shared import (
    column_fractions,
    figure_caption_runs,
    figure_file,
    heading_level,
    table_title_runs,
)

__all__ = ["write_docx", "REQUIRED_STYLES", "TABLE_STYLE"]

#: Table style of the journal rules (defined in reference.docx).
TABLE_STYLE = "house-table"
#: Paragraph holding a figure's picture (centred, kept with its caption).
FIGURE_STYLE = "figure"
#: Page header paragraph with the running title (Word's "Header" is the ``header`` cell role).
RUNNING_TITLE_STYLE = "running-title"
#: Page footer paragraph with "Page X of Y".
FOOTER_STYLE = "Footer"
#: Styles the writer needs besides the roles; the contract test checks reference.docx has them.
REQUIRED_STYLES = (
    TABLE_STYLE, FIGURE_STYLE, RUNNING_TITLE_STYLE, FOOTER_STYLE, "Heading 1", "Heading 2", "Heading 3",
)

#: Zip timestamp and core-property date when no ``created`` is given (the zip format's epoch).
DEFAULT_DATE = datetime(1980, 1, 1, tzinfo=timezone.utc)
#: Rules in eighths of a point: 1 pt above the header (repeats with it), 0.5 pt under it.
_HEADER_TOP_RULE = 8
_HEADER_BOTTOM_RULE = 4
#: A figure may take at most this share of the text height, so its caption fits beside it.
_MAX_FIGURE_HEIGHT_SHARE = 0.8
#: Characters XML 1.0 cannot hold (control characters other than tab, newline, return).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: Schema order of the ``w:tcPr`` and ``w:trPr`` children this module writes.
_TCPR_ORDER = ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar",
               "textDirection", "tcFitText", "vAlign", "hideMark")
_TRPR_ORDER = ("cnfStyle", "divId", "gridBefore", "gridAfter", "wBefore", "wAfter", "cantSplit", "trHeight",
               "tblHeader", "tblCellSpacing", "jc", "hidden")


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[1]


def insert_ordered(parent, child, order: tuple[str, ...]) -> None:
    """Insert ``child`` into ``parent`` at its schema position, replacing a same-named child."""
    name = _local(child)
    for existing in parent.findall(qn(f"w:{name}")):
        parent.remove(existing)
    later = order[order.index(name) + 1:]
    for existing in parent:
        if _local(existing) in later:
            existing.addprevious(child)
            return
    parent.append(child)


def _on(tag: str):
    """An element such as ``<w:tblHeader/>`` (on by presence)."""
    return OxmlElement(f"w:{tag}")


@dataclass
class _Writer:
    """Appends blocks to one python-docx document; collects warnings on the way."""

    doc: docx.document.Document
    reference: Path
    base_dir: Path | None
    warnings: list[str] = field(default_factory=list)
    _style_ids: dict[str, str | None] = field(default_factory=dict)

    # ---- styles and runs -------------------------------------------------

    def style(self, name: str):
        """The reference document's style ``name``, or a RenderError naming the gap."""
        try:
            return self.doc.styles[name]
        except KeyError:
            raise RenderError(
                f"style {name!r} is not defined in the reference document {str(self.reference)!r}; "
                "regenerate it with reportgen/templates/make_reference_docx.py or add the style"
            ) from None

    def set_style(self, paragraph, name: str) -> None:
        """``paragraph.style = name``, with the style's id looked up once per name: python-docx
        searches every style for the default one on each assignment (most of a long table's time)."""
        if name not in self._style_ids:
            self._style_ids[name] = self.doc.part.get_style_id(self.style(name), WD_STYLE_TYPE.PARAGRAPH)
        paragraph._p.style = self._style_ids[name]

    def text(self, text: str) -> str:
        """Text Word can store: XML-illegal control characters are dropped, with a warning."""
        clean = XML_ILLEGAL.sub("", text)
        if clean != text:
            self.warnings.append(f"dropped control characters Word cannot store from {clean[:40]!r}")
        return clean

    def add_runs(self, paragraph, runs: tuple[Run, ...]) -> None:
        """Runs with their marks; unmarked runs inherit the paragraph style (``None``, not ``False``)."""
        for run in runs:
            if not run.text:
                continue
            out = paragraph.add_run(self.text(run.text))
            if run.bold:
                out.bold = True
            if run.italic:
                out.italic = True
            if run.superscript:
                out.font.superscript = True

    def paragraph(self, runs: tuple[Run, ...], style: str):
        paragraph = self.doc.add_paragraph()
        self.set_style(paragraph, style)
        self.add_runs(paragraph, runs)
        return paragraph

    # ---- page geometry ---------------------------------------------------

    @property
    def text_width(self) -> int:
        section = self.doc.sections[-1]
        return int(section.page_width - section.left_margin - section.right_margin)

    @property
    def text_height(self) -> int:
        section = self.doc.sections[-1]
        return int(section.page_height - section.top_margin - section.bottom_margin)

    # ---- blocks ----------------------------------------------------------

    def block(self, block: Block) -> None:
        if isinstance(block, Heading):
            if block.level != heading_level(block.level):
                self.warnings.append(f"heading level {block.level} written as level {heading_level(block.level)}")
            self.paragraph(block.runs, f"Heading {heading_level(block.level)}")
        elif isinstance(block, Paragraph):
            self.paragraph(block.runs, block.role)
        elif isinstance(block, BulletList):
            for item in block.items:
                self.paragraph(item, block.role)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Figure):
            self.figure(block)
        elif isinstance(block, PageBreak):
            self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            raise RenderError(f"the DOCX writer does not know the block type {type(block).__name__}")

    def figure(self, figure: Figure) -> None:
        """The picture at ``width_inches``, capped to the text width and 80% of its height."""
        path = figure_file(figure, self.base_dir)
        if figure.width_inches <= 0:
            raise RenderError(f"{figure.label} ({figure.key!r}): width_inches must be positive, not {figure.width_inches}")
        paragraph = self.doc.add_paragraph()
        self.set_style(paragraph, FIGURE_STYLE)
        width = min(int(Inches(figure.width_inches)), self.text_width)
        try:
            shape = paragraph.add_run().add_picture(str(path), width=Emu(width))
        except UnrecognizedImageError:
            raise RenderError(f"{figure.label} ({figure.key!r}): Word cannot embed {str(path)!r}; use PNG or JPEG") from None
        max_height = int(self.text_height * _MAX_FIGURE_HEIGHT_SHARE)
        if shape.height > max_height:
            shape.width = Emu(int(shape.width * max_height / shape.height))
            shape.height = Emu(max_height)
        self.paragraph(figure_caption_runs(figure), "caption")

    def table(self, table: Table) -> None:
        """Title, a real Word table (spans merged, header repeated, widths fitted), notes."""
        self.paragraph(table_title_runs(table), "table-title")
        rows = (*table.header, *table.body)
        if not rows:
            self.warnings.append(f"{table.label} ({table.key!r}) has no rows")
        else:
            out = self.doc.add_table(rows=len(rows), cols=table.columns)
            out.style = self.style(TABLE_STYLE)
            widths = [int(self.text_width * share) for share in column_fractions(table)]
            _fix_layout(out, widths)
            for index, row in enumerate(rows):
                self.fill_row(out, index, row, widths)
            for index, row in enumerate(out.rows):
                header = index < len(table.header)
                _row_properties(row, repeat_as_header=header)
                if header:
                    _header_rules(row, top=index == 0, bottom=index == len(table.header) - 1)
        for note in table.notes:
            self.paragraph((Run(note),), "table-note")

    def fill_row(self, table, index: int, row: TableRow, widths: list[int]) -> None:
        """Merge each spanning cell, then write its text in the style of its role."""
        column = 0
        grid = table.rows[index].cells  # this row's cells, before its merges (table.cell reads the whole table)
        for cell in row.cells:
            target = grid[column]
            if cell.span > 1:
                target = target.merge(grid[column + cell.span - 1])
            target.width = Emu(sum(widths[column:column + cell.span]))
            paragraphs = target.paragraphs
            for extra in paragraphs[1:]:  # merging keeps one paragraph per merged cell
                extra._element.getparent().remove(extra._element)
            paragraph = paragraphs[0]
            self.set_style(paragraph, cell.role)
            runs = (Run(cell.text), Run(cell.mark, superscript=True)) if cell.mark else (Run(cell.text),)
            self.add_runs(paragraph, runs)
            if cell.role == "header":
                target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
            column += cell.span


def _fix_layout(table, widths: list[int]) -> None:
    """Fixed layout at exactly the text width, with the grid columns at ``widths`` (EMU)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(widths) // 635))  # 635 EMU per twentieth of a point
    for column, width in zip(table.columns, widths):
        column.width = Emu(width)


def _row_properties(row, *, repeat_as_header: bool) -> None:
    """Never split a row across pages; mark header rows to repeat (``w:tblHeader``)."""
    tr_pr = row._tr.get_or_add_trPr()
    insert_ordered(tr_pr, _on("cantSplit"), _TRPR_ORDER)
    if repeat_as_header:
        insert_ordered(tr_pr, _on("tblHeader"), _TRPR_ORDER)


def _header_rules(row, *, top: bool, bottom: bool) -> None:
    """The rule above the first header row (repeats with it) and under the last one."""
    seen = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is listed once per grid column
            continue
        seen.add(id(cell._tc))
        borders = OxmlElement("w:tcBorders")
        for edge, wanted, size in (("top", top, _HEADER_TOP_RULE), ("bottom", bottom, _HEADER_BOTTOM_RULE)):
            if wanted:
                rule = OxmlElement(f"w:{edge}")
                for key, value in (("val", "single"), ("sz", str(size)), ("space", "0"), ("color", "000000")):
                    rule.set(qn(f"w:{key}"), value)
                borders.append(rule)
        if len(borders):
            insert_ordered(cell._tc.get_or_add_tcPr(), borders, _TCPR_ORDER)


def _field(paragraph, instruction: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) as begin/instruction/separate/result/end runs."""
    def run_with(child) -> None:
        run = paragraph.add_run()
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _clear(container) -> None:
    """Remove every paragraph and table from a header, footer or body, keeping ``sectPr``."""
    element = container._element
    for child in list(element):
        if _local(child) != "sectPr":
            element.remove(child)


def _page_furniture(writer: _Writer, document: Document) -> None:
    """Stamp and running title in the page header, ``Page X of Y`` in the footer."""
    section = writer.doc.sections[-1]
    header, footer = section.header, section.footer
    header.is_linked_to_previous = False
    footer.is_linked_to_previous = False
    _clear(header)
    _clear(footer)
    if document.stamp:
        writer.add_runs(header.add_paragraph(style=writer.style("stamp")), (Run(document.stamp),))
    if document.running_title:
        writer.add_runs(header.add_paragraph(style=writer.style(RUNNING_TITLE_STYLE)), (Run(document.running_title),))
    if not (document.stamp or document.running_title):
        header.add_paragraph(style=writer.style(RUNNING_TITLE_STYLE))  # a header part needs a paragraph
    counter = footer.add_paragraph(style=writer.style(FOOTER_STYLE))
    counter.add_run("Page ")
    _field(counter, "PAGE")
    counter.add_run(" of ")
    _field(counter, "NUMPAGES")


def _utc_naive(moment: datetime) -> datetime:
    """UTC without tzinfo: what python-docx writes as W3CDTF; a naive value is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _core_properties(doc, document: Document, created: datetime) -> None:
    props = doc.core_properties
    props.title = document.title
    props.subject = document.running_title
    props.last_modified_by = "reportgen"
    props.revision = 1
    props.created = props.modified = _utc_naive(created)
    props.comments = ""


def repeatable_zip(data: bytes, moment: datetime) -> bytes:
    """The same package with every entry stamped ``moment`` (python-docx stamps "now")."""
    stamp = _utc_naive(moment).timetuple()[:6]
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_docx(
    document: Document,
    path: Path,
    *,
    reference_docx: Path,
    base_dir: Path | None = None,
    created: datetime | None = None,
) -> tuple[str, ...]:
    """Write ``document`` as a Word file at ``path``; return the writer's warnings.

    Styles come from ``reference_docx``, whose body is cleared (its section
    settings, page size and margins are kept). Relative figure paths are read from
    ``base_dir``. ``created`` dates the core properties and the zip entries, so the
    same call gives the same bytes; without it a fixed date is used. Raises
    ``RenderError`` on a missing style, image or reference document.
    """
    reference = Path(reference_docx)
    try:
        doc = docx.Document(str(reference))
    except Exception as error:  # python-docx raises several unrelated types for a bad package
        raise RenderError(f"cannot open the reference document {str(reference)!r}: {error}") from error
    _clear(doc._body)
    writer = _Writer(doc, reference, Path(base_dir) if base_dir is not None else None)
    for block in document.blocks:
        writer.block(block)
    _page_furniture(writer, document)
    moment = created or DEFAULT_DATE
    _core_properties(doc, document, moment)
    buffer = BytesIO()
    doc.save(buffer)
    try:
        Path(path).write_bytes(repeatable_zip(buffer.getvalue(), moment))
    except OSError as error:
        raise RenderError(f"cannot write {str(path)!r}: {error}") from error
    return tuple(writer.warnings)
