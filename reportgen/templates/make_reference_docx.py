"""Write ``reportgen/templates/reference.docx``: the Word styles of the house look, one per role.

This script is the source of truth; the .docx is its output, committed so that a
build needs no generation step. Run it after changing a look:

    python reportgen/templates/make_reference_docx.py [OUTPUT]

It starts from python-docx's blank document and defines, with the same looks as
``reportgen/templates/house.css``:

* one paragraph style per role in ``PARAGRAPH_ROLES`` and ``CELL_ROLES``
  (``body``, ``caption``, ``table-note`` ..., ``header``, ``level``, ``count`` ...),
* ``Heading 1``-``Heading 3``, ``running-title`` and ``Footer`` for the page header
  and footer, a ``figure`` paragraph style and ``table-cell`` (the cell roles' base),
* the ``house-table`` table style (journal rules: top and bottom, no vertical lines),
* an A4 page with 2.5 cm margins.

The DOCX writer only names these styles; it never sets a font or a size itself.
Core properties and zip timestamps are fixed, so running the script twice gives
the same bytes (and no spurious diff in git).
"""

from __future__ import annotations

import sys
from copy import deepcopy
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Inches, Pt, RGBColor

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository, for `import reportgen`
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reportgen.document.model import CELL_ROLES, PARAGRAPH_ROLES  # noqa: E402
from reportgen.render.docx import (  # noqa: E402  (the names the writer asks for)
    FIGURE_STYLE,
    RUNNING_TITLE_STYLE,
    TABLE_STYLE,
    repeatable_zip,
)

SERIF = "Times New Roman"
SANS = "Arial"
BODY_PT = 11
TABLE_PT = 9
CELL_BASE_STYLE = "table-cell"
FLAG_FILL = "FFF4CC"  # the to-write highlight, as in house.css
FLAG_RULE = "E69500"
STAMP_RED = RGBColor(0xC0, 0x00, 0x00)
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _set_font(style, name: str, size_pt: float | None = None) -> None:
    """Set a style's font on every script slot and drop theme fonts, which would win over it."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.lower().endswith("theme"):  # asciiTheme, hAnsiTheme, eastAsiaTheme, cstheme
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{slot}"), name)
    if size_pt is not None:
        style.font.size = Pt(size_pt)


def _paragraph_style(doc, name: str, *, base: str = "Normal", reset: bool = True):
    """Get or create a paragraph style, based on ``base``, shown in Word's gallery.

    Four roles share their name with a Word built-in style (``title``, ``subtitle``,
    ``caption`` and ``header``: Word stores built-in names in lower case, and
    python-docx shows them as "Title", "Caption", "Header" ...). Those built-ins are
    reused, which Word expects, but their template look (theme fonts, blue colour,
    borders, tab stops) is wiped first when ``reset`` so only the house look remains.
    """
    styles = doc.styles
    try:
        style = styles[name]
        if reset:
            for old in (*style.element.findall(qn("w:pPr")), *style.element.findall(qn("w:rPr"))):
                style.element.remove(old)
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != base:
        style.base_style = styles[base]
    style.quick_style = True
    style.hidden = False
    return style


def _spacing(style, *, before: float = 0, after: float = 0) -> None:
    fmt = style.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE


def _border(parent, edge: str, *, size_eighths: int, color: str = "000000", space: int = 0) -> None:
    """Add a single-line border element ``<w:{edge}>`` under ``parent`` (pBdr or tblBorders)."""
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single" if size_eighths else "nil")
    if size_eighths:
        element.set(qn("w:sz"), str(size_eighths))
        element.set(qn("w:space"), str(space))
        element.set(qn("w:color"), color)
    parent.append(element)


#: The schema order of the pPr children this script adds or python-docx may have written.
_PPR_ORDER = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
    "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
    "sectPr", "pPrChange",
)


def _insert_ppr_child(ppr, child) -> None:
    """Insert ``child`` into ``ppr`` at its schema position (Word rejects misordered pPr)."""
    name = child.tag.rsplit("}", 1)[1]
    later = _PPR_ORDER[_PPR_ORDER.index(name) + 1:]
    for existing in ppr:
        if existing.tag.rsplit("}", 1)[1] in later:
            existing.addprevious(child)
            return
    ppr.append(child)


def _flag(style) -> None:
    """The to-write look: a coloured rule on the left and a pale highlight behind the text."""
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    _border(borders, "left", size_eighths=24, color=FLAG_RULE, space=6)
    _insert_ppr_child(ppr, borders)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), FLAG_FILL)
    _insert_ppr_child(ppr, shading)


def _page(doc) -> None:
    """A4, 2.5 cm margins, header and footer 1.25 cm from the edge."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    section.header_distance = Cm(1.25)
    section.footer_distance = Cm(1.25)


def _drop_builtin_duplicates(doc) -> None:
    """Remove the template's "Title"/"Subtitle" styles (and their linked character styles).

    Word compares style names without regard to case, so keeping them beside the
    ``title``/``subtitle`` roles would leave two styles Word may confuse.
    """
    root = doc.styles.element
    for style in list(root.findall(qn("w:style"))):
        name = style.find(qn("w:name"))
        if name is not None and name.get(qn("w:val")) in ("Title", "Title Char", "Subtitle", "Subtitle Char"):
            root.remove(style)


def _duplicate_names(doc) -> list[str]:
    """Style names that occur more than once when case is ignored (Word would confuse them)."""
    seen: dict[str, int] = {}
    for style in doc.styles.element.findall(qn("w:style")):
        name = style.find(qn("w:name")).get(qn("w:val")).lower()
        seen[name] = seen.get(name, 0) + 1
    return sorted(name for name, count in seen.items() if count > 1)


def _defaults(doc) -> None:
    """Normal and the document defaults: Times New Roman 11 pt, single spacing, 6 pt after."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    if fonts is not None:
        for attr in list(fonts.attrib):
            del fonts.attrib[attr]
        for slot in ("ascii", "hAnsi", "cs", "eastAsia"):
            fonts.set(qn(f"w:{slot}"), SERIF)
    normal = doc.styles["Normal"]
    _set_font(normal, SERIF, BODY_PT)
    normal.font.color.rgb = RGBColor(0, 0, 0)
    _spacing(normal, after=6)


def _text_styles(doc) -> None:
    """Paragraph roles: body text, front matter, lists, references, the to-write flag."""
    body = _paragraph_style(doc, "body")
    _spacing(body, after=6)

    title = _paragraph_style(doc, "title")
    _set_font(title, SERIF, 16)
    title.font.bold = True
    _spacing(title, after=12)
    title.paragraph_format.keep_with_next = True

    subtitle = _paragraph_style(doc, "subtitle")
    subtitle.font.size = Pt(12)
    subtitle.font.italic = True
    _spacing(subtitle, after=12)

    authors = _paragraph_style(doc, "authors")
    _spacing(authors, after=6)

    affiliations = _paragraph_style(doc, "affiliations")
    affiliations.font.size = Pt(9)
    _spacing(affiliations, after=3)

    key_points = _paragraph_style(doc, "key-points")
    key_points.paragraph_format.left_indent = Inches(0.25)
    _spacing(key_points, after=3)

    list_item = _paragraph_style(doc, "list-item")
    _spacing(list_item, after=3)
    bullet = doc.styles["List Bullet"].element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
    if bullet is not None:  # the blank template's bullet numbering, copied so it needs no basedOn chain
        _insert_ppr_child(list_item.element.get_or_add_pPr(), deepcopy(bullet))
    list_item.paragraph_format.left_indent = Inches(0.25)
    list_item.paragraph_format.first_line_indent = Inches(-0.25)

    reference = _paragraph_style(doc, "reference")
    reference.font.size = Pt(10)
    reference.paragraph_format.left_indent = Inches(0.3)
    reference.paragraph_format.first_line_indent = Inches(-0.3)
    _spacing(reference, after=3)

    to_write = _paragraph_style(doc, "to-write")
    to_write.font.italic = True
    to_write.font.color.rgb = RGBColor(0x7A, 0x4A, 0x00)
    _spacing(to_write, before=3, after=9)
    _flag(to_write)

    stamp = _paragraph_style(doc, "stamp")
    _set_font(stamp, SANS, 8)
    stamp.font.bold = True
    stamp.font.color.rgb = STAMP_RED
    stamp.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _spacing(stamp)


def _headings(doc) -> None:
    """Heading 1-3 in the body serif, black, bold (3 also italic), kept with what follows."""
    for level, size, italic in ((1, 12, False), (2, 11, False), (3, 11, True)):
        style = _paragraph_style(doc, f"Heading {level}", base="Normal", reset=False)  # keeps outline levels
        _set_font(style, SERIF, size)
        style.font.bold = True
        style.font.italic = italic
        style.font.color.rgb = RGBColor(0, 0, 0)
        _spacing(style, before=12, after=6)
        style.paragraph_format.keep_with_next = True


def _table_and_figure_styles(doc) -> None:
    """Table title, notes, caption, the figure paragraph and one style per cell role."""
    table_title = _paragraph_style(doc, "table-title")
    _set_font(table_title, SANS, TABLE_PT)
    _spacing(table_title, before=12, after=4)
    table_title.paragraph_format.keep_with_next = True

    note = _paragraph_style(doc, "table-note")
    _set_font(note, SANS, TABLE_PT)
    _spacing(note, before=3, after=12)
    # Notes sit tight together; only the last one keeps the 12 pt before the text resumes.
    _insert_ppr_child(note.element.get_or_add_pPr(), OxmlElement("w:contextualSpacing"))

    caption = _paragraph_style(doc, "caption")
    _set_font(caption, SANS, TABLE_PT)
    _spacing(caption, before=6, after=12)

    figure = _paragraph_style(doc, FIGURE_STYLE)
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    figure.paragraph_format.keep_with_next = True
    _spacing(figure, before=12)

    base = _paragraph_style(doc, CELL_BASE_STYLE)
    _set_font(base, SANS, TABLE_PT)
    _spacing(base, before=1.5, after=1.5)
    alignment = {
        "header": WD_ALIGN_PARAGRAPH.CENTER,
        "label": WD_ALIGN_PARAGRAPH.LEFT,
        "level": WD_ALIGN_PARAGRAPH.LEFT,
        "count": WD_ALIGN_PARAGRAPH.RIGHT,
        "percent": WD_ALIGN_PARAGRAPH.LEFT,
        "statistic": WD_ALIGN_PARAGRAPH.CENTER,
    }
    for role in CELL_ROLES:
        style = _paragraph_style(doc, role, base=CELL_BASE_STYLE)
        style.paragraph_format.alignment = alignment.get(role, WD_ALIGN_PARAGRAPH.LEFT)
    doc.styles["level"].paragraph_format.left_indent = Inches(0.15)


def _page_furniture_styles(doc) -> None:
    """``running-title`` (page header) and ``Footer`` (page counter): small grey sans.

    The page header cannot use Word's "Header" style: that name belongs to the
    ``header`` cell role (see ``_paragraph_style``).
    """
    for name, align in ((RUNNING_TITLE_STYLE, WD_ALIGN_PARAGRAPH.LEFT), ("Footer", WD_ALIGN_PARAGRAPH.CENTER)):
        style = _paragraph_style(doc, name)
        _set_font(style, SANS, 8)
        style.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
        style.paragraph_format.alignment = align
        _spacing(style)


def _house_table_style(doc) -> None:
    """``house-table``: a 1 pt rule above and below the table, no other lines, tight cells."""
    styles = doc.styles
    try:
        style = styles[TABLE_STYLE]
    except KeyError:
        style = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    element = style.element
    for old in element.findall(qn("w:tblPr")):
        element.remove(old)
    tbl_pr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for edge, size in (("top", 8), ("left", 0), ("bottom", 8), ("right", 0), ("insideH", 0), ("insideV", 0)):
        _border(borders, edge, size_eighths=size)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in (("top", 0), ("left", 40), ("bottom", 0), ("right", 40)):  # 2 pt, as house.css
        margin = OxmlElement(f"w:{edge}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr.append(margins)
    element.append(tbl_pr)  # after name/basedOn/pPr/rPr, as the schema wants; nothing follows it here
    style.quick_style = True
    style.hidden = False


def _has_paragraph_style(doc, name: str) -> bool:
    try:
        return doc.styles[name].type == WD_STYLE_TYPE.PARAGRAPH
    except KeyError:
        return False


def build(path: Path) -> Path:
    """Write the reference document with every house style to ``path``."""
    doc = Document()
    _page(doc)
    _drop_builtin_duplicates(doc)
    _defaults(doc)
    _text_styles(doc)
    _headings(doc)
    _table_and_figure_styles(doc)
    _page_furniture_styles(doc)
    _house_table_style(doc)
    missing = [role for role in (*PARAGRAPH_ROLES, *CELL_ROLES) if not _has_paragraph_style(doc, role)]
    if missing:
        raise SystemExit(f"no style written for roles {missing}")
    if _duplicate_names(doc):
        raise SystemExit(f"style names differing only in case: {_duplicate_names(doc)}")
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    props = doc.core_properties
    props.title = "reportgen reference document"
    props.author = "reportgen"
    props.last_modified_by = "reportgen"
    props.comments = "Generated by reportgen/templates/make_reference_docx.py; edit the script, not this file."
    props.revision = 1
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    buffer = BytesIO()
    doc.save(buffer)
    Path(path).write_bytes(repeatable_zip(buffer.getvalue(), FIXED_DATE))  # same bytes on every run
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "reference.docx"
    print(build(target))
