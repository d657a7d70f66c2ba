"""Per-reviewer review copies of an already-built manuscript, as PDF and DOCX.

The scientific committee reviews one frozen build. Each member gets a copy of their
own: a cover page (what is reviewed, by whom, by when, how), the reviewer's name and
the date in a diagonal watermark on every page (a copy that travels says whose it
was), and line numbers, so a comment can say "p. 4, l. 12".

PDF: pypdf reads the built PDF and finds the baselines of its body lines from the
text matrices; WeasyPrint draws the cover page and one transparent overlay page per
page (watermark and numbers, in the bundled fonts); pypdf merges each overlay onto
its page. Only the built file is read, so the copy shows exactly what was built.

DOCX: python-docx turns on Word's own line numbering in every section, adds the
stamp and Word's VML watermark to the page headers, and puts the cover first.

Both outputs are repeatable (same inputs, same bytes) and written atomically.
pypdf (a test dependency of the writers) and WeasyPrint are imported only when a
review PDF is made.
"""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Sequence

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

from reportgen.errors import RenderError
from reportgen.render.docx import DEFAULT_DATE, XML_ILLEGAL, insert_ordered, repeatable_zip
from reportgen.render.pdf import (
    SANS_FAMILY,
    SERIF_FAMILY,
    fixed_font_timestamps,
    bundled_font_dir,
    font_face_css,
    safe_url_fetcher,
)

__all__ = [
    "Cover",
    "MarginNumber",
    "TextLine",
    "margin_numbers",
    "page_line_numbers",
    "review_docx",
    "review_pdf",
    "stamp_text",
    "text_lines",
]

#: The house page margin (templates/house.css ``@page { margin: 2.5cm }``) in points:
#: text above the top margin is the running header, below the bottom one the footer.
BODY_MARGIN_PT = 2.5 / 2.54 * 72
#: Runs whose baselines differ by at most this much are one line.
_SAME_LINE_PT = 1.0
#: A smaller run this close (in em of the line's text) above or below a line is its super/subscript.
_SCRIPT_SHIFT_EM = 0.5
#: Line numbers: size, and the gap between a number's right edge and the text (Word's w:distance too).
_NUMBER_SIZE_PT = 7.0
_NUMBER_GAP_PT = 9.0
#: The watermark: at most this large, and its rotated box within this share of the page.
_WATERMARK_MAX_PT = 48.0
_WATERMARK_PAGE_SHARE = 0.85
_WATERMARK_LINE_EM = 1.2
#: Constant PDF identifiers, so WeasyPrint's drawings are repeatable.
_COVER_IDENTIFIER = b"reportgen-review-cover"
_OVERLAY_IDENTIFIER = b"reportgen-review-overlay"
#: The face the overlay is drawn in (bundled with matplotlib, see reportgen.render.pdf).
_SANS_FILE = "DejaVuSans.ttf"


@dataclass(frozen=True)
class Cover:
    """What the review cover page says."""

    study_title: str
    document: str  # e.g. "Manuscript" or "Supplement"
    reviewer: str
    date: str  # the review date as printed, e.g. "2026-11-24"
    deadline: str  # e.g. "2026-12-15"
    instructions: tuple[str, ...]  # paragraphs of review instructions (from the study spec)
    lock: str  # e.g. "Data lock 2026-Q4 (2026-11-20)"

    def __post_init__(self) -> None:
        # A list from YAML becomes a tuple, so the cover stays hashable and immutable.
        object.__setattr__(self, "instructions", tuple(self.instructions))


@dataclass(frozen=True)
class TextLine:
    """One line of body text on a PDF page: baseline ``y`` and left ``x`` in PDF points, and its text."""

    y: float
    x: float
    text: str


@dataclass(frozen=True)
class MarginNumber:
    """A line number read back from a page's left margin: its value and baseline ``y`` (PDF points)."""

    number: int
    y: float


def stamp_text(reviewer: str, date: str) -> str:
    """The words stamped on every page of a reviewer's copy.

    >>> stamp_text("Dr A. Reviewer", "2026-11-24")
    'CONFIDENTIAL — Scientific committee review — Dr A. Reviewer — 2026-11-24'
    """
    return f"CONFIDENTIAL — Scientific committee review — {reviewer} — {date}"


def _check_cover(cover: Cover) -> None:
    """Refuse a cover that would stamp an anonymous or undated copy, naming every gap at once."""
    missing = [name for name in ("study_title", "document", "reviewer", "date", "deadline")
               if not str(getattr(cover, name)).strip()]
    if missing:
        raise RenderError(f"the review cover needs {', '.join(missing)}; none may be empty")


def _check_source(source: Path, suffix: str) -> Path:
    """The source file, or a RenderError naming it when it is missing or of the wrong kind."""
    source = Path(source)
    if not source.is_file():
        raise RenderError(f"cannot make a review copy of {str(source)!r}: the file does not exist; build it first")
    if source.suffix.lower() != suffix:
        raise RenderError(f"cannot make a review copy of {str(source)!r}: expected a {suffix} file")
    return source


def _write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then move it in place in one step."""
    target = Path(target)
    handle = None
    try:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp",
                                         delete=False) as handle:
            handle.write(data)
        os.chmod(handle.name, 0o644)  # as an ordinary new file, not the temporary file's 0600
        os.replace(handle.name, target)
    except OSError as error:
        if handle is not None and os.path.exists(handle.name):
            os.unlink(handle.name)
        raise RenderError(f"cannot write {str(target)!r}: {error}") from error


# ---- reading a PDF page's lines ----------------------------------------------


@dataclass(frozen=True)
class _Run:
    """A horizontal text run: where its baseline starts, its size in points, its text."""

    x: float
    y: float
    size: float
    text: str


def _runs(page) -> list[_Run]:
    """The upright text runs of a pypdf page, positioned by ``tm × cm`` (rotated text is left out)."""
    runs: list[_Run] = []

    def visit(text, cm, tm, _font, font_size) -> None:
        if not text or not text.strip():
            return
        a, b, c, d, e, f = tm
        ca, cb, cc, cd, ce, cf = cm
        m = (a * ca + b * cc, a * cb + b * cd, c * ca + d * cc, c * cb + d * cd,
             e * ca + f * cc + ce, e * cb + f * cd + cf)
        if abs(m[1]) > 1e-6 or abs(m[2]) > 1e-6 or m[0] <= 0 or m[3] <= 0:
            return  # rotated or mirrored: a watermark or a rotated label, not a line of text
        runs.append(_Run(x=m[4], y=m[5], size=font_size * m[3], text=text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def _body(page, margin: float) -> tuple[float, float, float]:
    """Left, bottom and top limits of a page's text block in PDF points."""
    box = page.mediabox
    return float(box.left) + margin, float(box.bottom) + margin, float(box.top) - margin


def _group(runs: list[_Run]) -> list[list[_Run]]:
    """Runs clustered by baseline, top to bottom, each super- or subscript joined to its line."""
    lines: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: (-r.y, r.x)):
        if lines and abs(lines[-1][-1].y - run.y) <= _SAME_LINE_PT:
            lines[-1].append(run)
        else:
            lines.append([run])
    joined: list[list[_Run]] = []
    for line in lines:
        if joined and _is_script_of(line, joined[-1]):  # a subscript under the line above
            joined[-1].extend(line)
        elif joined and _is_script_of(joined[-1], line):  # the "line" above was this line's superscript
            line.extend(joined.pop())
            joined.append(line)
        else:
            joined.append(line)
    return joined


def _is_script_of(small: list[_Run], host: list[_Run]) -> bool:
    """Whether ``small`` is smaller text riding just above or below ``host`` (a mark, a footnote number)."""
    host_size = max(r.size for r in host)
    return (max(r.size for r in small) < host_size - 0.1
            and abs(_baseline(small) - _baseline(host)) <= _SCRIPT_SHIFT_EM * host_size)


def _baseline(line: list[_Run]) -> float:
    """A line's baseline: that of its largest text (a superscript sits above it)."""
    return max(line, key=lambda r: (r.size, -r.x)).y


def text_lines(page, margin: float = BODY_MARGIN_PT) -> tuple[TextLine, ...]:
    """The body text lines of a pypdf page, top to bottom.

    Running header and footer (outside the ``margin`` at top and bottom) and
    anything in the left margin (line numbers of a review copy) are left out, as is
    rotated text, so a review page gives the same lines as its source page.
    """
    left, bottom, top = _body(page, margin)
    body = [run for run in _runs(page) if bottom <= run.y <= top and run.x >= left - 1.0]
    return tuple(
        TextLine(y=round(_baseline(line), 3), x=round(min(r.x for r in line), 3),
                 text=" ".join(r.text for r in sorted(line, key=lambda r: r.x)))
        for line in _group(body)
    )


def margin_numbers(page, margin: float = BODY_MARGIN_PT) -> tuple[MarginNumber, ...]:
    """The line numbers printed in a page's left margin, top to bottom, with their baselines."""
    left, bottom, top = _body(page, margin)
    found = [run for run in _runs(page) if run.x < left - 1.0 and bottom <= run.y <= top and run.text.isdigit()]
    return tuple(MarginNumber(int(run.text), round(run.y, 3)) for run in sorted(found, key=lambda r: -r.y))


def page_line_numbers(page, margin: float = BODY_MARGIN_PT) -> list[int]:
    """The line numbers of a page's left margin, top to bottom (1, 2, 3 ... on a review copy)."""
    return [mark.number for mark in margin_numbers(page, margin)]


# ---- drawing with WeasyPrint ------------------------------------------------


@lru_cache(maxsize=1)
def _sans_metrics() -> tuple[float, float, dict[int, float]]:
    """Ascent and descent (in em) and advance widths by code point of the overlay face.

    WeasyPrint places a line's baseline from the font's ascent and descent, so the
    numbers can be put exactly on a text baseline; the widths size the watermark.
    """
    from fontTools.ttLib import TTFont

    font = TTFont(str(bundled_font_dir() / _SANS_FILE), lazy=True)
    units = font["head"].unitsPerEm
    hhea, hmtx = font["hhea"], font["hmtx"]
    widths = {code: hmtx[name][0] / units for code, name in font.getBestCmap().items()}
    return hhea.ascent / units, -hhea.descent / units, widths


def _text_width_em(text: str) -> float:
    """Width of ``text`` in the overlay face, in em (unknown characters count 0.6 em)."""
    widths = _sans_metrics()[2]
    return sum(widths.get(ord(char), 0.6) for char in text)


def _number_top(baseline_from_top: float) -> float:
    """The CSS ``top`` of a number box (line height = font size) whose baseline falls at the given depth."""
    ascent, descent = _sans_metrics()[:2]
    half_leading = (1.0 - ascent - descent) / 2
    return baseline_from_top - (half_leading + ascent) * _NUMBER_SIZE_PT


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _page_css(width: float, height: float) -> str:
    """Fonts and a margin-less page of the source page's size."""
    return (f"{font_face_css()}\n@page {{ size: {width:.6f}pt {height:.6f}pt; margin: 0 }}\n"
            "html, body { margin: 0; padding: 0 }")


def _render(page: str, identifier: bytes, what: str) -> bytes:
    """Render an HTML string with WeasyPrint, reading only the bundled fonts; repeatable bytes."""
    from weasyprint import HTML

    fetcher = safe_url_fetcher([bundled_font_dir()])
    with fixed_font_timestamps(None):
        try:
            return HTML(string=page, url_fetcher=fetcher).write_pdf(pdf_identifier=identifier)
        except Exception as error:  # WeasyPrint has no error hierarchy of its own
            raise RenderError(f"WeasyPrint failed to draw the review {what}: {error}") from error


def _cover_html(cover: Cover, width: float, height: float) -> str:
    """The cover page: what is reviewed, by whom, by when, and how."""
    facts = (
        ("Document", cover.document), ("Reviewer", cover.reviewer), ("Date", cover.date), ("Data", cover.lock),
    )
    rows = "".join(f'<p class="fact"><span class="label">{_esc(k)}:</span> {_esc(v)}</p>' for k, v in facts if v)
    instructions = "".join(f'<p class="body">{_esc(text)}</p>' for text in cover.instructions)
    heading = '<h2 class="subtitle">Instructions</h2>' if cover.instructions else ""
    margin = BODY_MARGIN_PT
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{_esc(cover.study_title)}</title><style>
{_page_css(width, height)}
@page {{ margin: {margin:.3f}pt }}
body {{ font-family: "{SERIF_FAMILY}", serif; font-size: 11pt; line-height: 1.3 }}
.title {{ font-size: 18pt; font-weight: bold; line-height: 1.2; margin: 0 0 8pt 0 }}
.kind {{ font-family: "{SANS_FAMILY}", sans-serif; font-size: 12pt; margin: 0 0 24pt 0 }}
.fact {{ margin: 0 0 4pt 0 }}
.label {{ font-weight: bold }}
.deadline {{ font-size: 13pt; font-weight: bold; margin: 16pt 0 20pt 0 }}
.subtitle {{ font-size: 12pt; margin: 0 0 6pt 0 }}
.body {{ margin: 0 0 6pt 0 }}
</style></head><body>
<p class="title">{_esc(cover.study_title)}</p>
<p class="kind">Scientific committee review copy</p>
{rows}
<p class="deadline">Comments due by {_esc(cover.deadline)}</p>
{heading}{instructions}
</body></html>"""


@dataclass(frozen=True)
class _Sheet:
    """One overlay page: the source page's size and the baselines (from the top) to number."""

    width: float
    height: float
    baselines: tuple[float, ...]


def _watermark_size(text: str, width: float, height: float) -> float:
    """The largest font size at which the text, turned 45°, fits well inside the page."""
    room = _WATERMARK_PAGE_SHARE * min(width, height) / 0.7071
    return min(_WATERMARK_MAX_PT, room / (_text_width_em(text) + _WATERMARK_LINE_EM))


def _sheet_html(sheet: _Sheet, stamp: str) -> str:
    """One overlay page: numbers right-aligned in the left margin, the stamp across the middle."""
    size = _watermark_size(stamp, sheet.width, sheet.height)
    box = _text_width_em(stamp) * size + 2 * size  # slack: the box must never wrap the stamp
    line = _WATERMARK_LINE_EM * size
    numbers = "".join(
        f'<span class="n" style="top:{_number_top(y):.3f}pt">{number}</span>'
        for number, y in enumerate(sheet.baselines, start=1)
    )
    place = (f"width:{box:.3f}pt;left:{(sheet.width - box) / 2:.3f}pt;top:{(sheet.height - line) / 2:.3f}pt;"
             f"font-size:{size:.3f}pt;line-height:{line:.3f}pt")
    return f'<div class="sheet s{_size_key(sheet)}">{numbers}<div class="w" style="{place}">{_esc(stamp)}</div></div>'


def _size_key(sheet: _Sheet) -> str:
    return f"{round(sheet.width * 1000)}x{round(sheet.height * 1000)}"


def _overlay_html(sheets: Sequence[_Sheet], stamp: str) -> str:
    """All overlay pages in one HTML document: a named ``@page`` per page size, one sheet per page."""
    sizes = {_size_key(s): s for s in sheets}
    pages = "\n".join(
        f"@page p{key} {{ size: {s.width:.6f}pt {s.height:.6f}pt; margin: 0 }}\n"
        f".s{key} {{ page: p{key}; width: {s.width:.3f}pt; height: {s.height:.3f}pt }}"
        for key, s in sizes.items()
    )
    number_right = BODY_MARGIN_PT - _NUMBER_GAP_PT
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
{_page_css(sheets[0].width, sheets[0].height)}
{pages}
.sheet {{ position: relative; overflow: hidden; break-after: page }}
.sheet:last-child {{ break-after: auto }}
.n {{ position: absolute; left: 0; width: {number_right:.3f}pt; text-align: right; white-space: nowrap;
      font-family: "{SANS_FAMILY}", sans-serif; font-size: {_NUMBER_SIZE_PT}pt; line-height: 1; color: #6e6e6e }}
.w {{ position: absolute; text-align: center; white-space: nowrap; transform: rotate(-45deg);
      font-family: "{SANS_FAMILY}", sans-serif; font-weight: normal; color: #808080; opacity: 0.28 }}
</style></head><body>
{"".join(_sheet_html(sheet, stamp) for sheet in sheets)}
</body></html>"""


# ---- the review PDF ---------------------------------------------------------


def _pdf_reader(data: bytes | Path, what: str):
    """A pypdf reader, with pypdf's failures (and its absence) reported as RenderError."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - depends on the installation
        raise RenderError("review copies of a PDF need pypdf: pip install 'pypdf>=4,<8'") from None
    try:
        reader = PdfReader(BytesIO(data) if isinstance(data, bytes) else str(data))
        if not reader.pages:
            raise RenderError(f"{what} has no pages")
        return reader
    except PyPdfError as error:
        raise RenderError(f"cannot read {what}: {error}") from error


def _sheet(page) -> _Sheet:
    """The overlay sheet of a page: its size and its body baselines measured from the top."""
    box = page.mediabox
    top = float(box.top)
    return _Sheet(float(box.width), float(box.height), tuple(top - line.y for line in text_lines(page)))


def review_pdf(source: Path, target: Path, cover: Cover) -> None:
    """Write ``target``: the built PDF ``source`` as ``cover.reviewer``'s review copy.

    A cover page (the size of the source's first page) comes first; every page,
    cover included, gets the diagonal stamp and its body lines numbered from 1 in the
    left margin, at their baselines. Outline and links of the source are kept. The
    same arguments give the same bytes. Raises ``RenderError`` naming the file when
    the source is missing or unreadable.
    """
    from pypdf import PdfWriter

    source = _check_source(source, ".pdf")
    _check_cover(cover)
    original = _pdf_reader(source, f"the PDF {str(source)!r}")
    first = original.pages[0].mediabox
    cover_pages = _pdf_reader(_render(_cover_html(cover, float(first.width), float(first.height)),
                                      _COVER_IDENTIFIER, "cover page"), "the review cover")
    writer = PdfWriter()
    writer.append(cover_pages)
    writer.append(original)
    sheets = [_sheet(page) for page in writer.pages]
    stamp = stamp_text(cover.reviewer, cover.date)
    overlay = _pdf_reader(_render(_overlay_html(sheets, stamp), _OVERLAY_IDENTIFIER, "overlay"), "the review overlay")
    if len(overlay.pages) != len(writer.pages):
        raise RenderError(f"the review overlay has {len(overlay.pages)} pages for {len(writer.pages)} pages")
    for page, drawing in zip(writer.pages, overlay.pages):
        box = page.mediabox
        page.merge_translated_page(drawing, float(box.left), float(box.bottom))
    title = str((original.metadata or {}).get("/Title") or cover.study_title)
    writer.add_metadata({
        "/Title": title,
        "/Subject": f"Scientific committee review copy for {cover.reviewer} ({cover.date})",
        "/Producer": "reportgen",
        "/Creator": "reportgen",
    })
    buffer = BytesIO()
    writer.write(buffer)
    _write_atomically(target, buffer.getvalue())


# ---- the review DOCX --------------------------------------------------------

#: Schema order of the ``w:sectPr`` children (ECMA-376 CT_SectPr), for placing ``w:lnNumType``.
_SECTPR_ORDER = ("headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar",
                 "paperSrc", "pgBorders", "lnNumType", "pgNumType", "cols", "formProt", "vAlign", "noEndnote",
                 "titlePg", "textDirection", "bidi", "rtlGutter", "docGrid", "printerSettings", "sectPrChange")
#: Schema order of the ``w:pPr`` children (ECMA-376 CT_PPr), for placing ``w:suppressLineNumbers``.
_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
              "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
#: Paragraph styles of the house reference document the copy uses when the DOCX has them.
_STAMP_STYLE = "stamp"
_COVER_STYLES = {"title": "title", "kind": "subtitle", "text": "body"}
#: Word's watermark shape type (WordArt "plain text", o:spt 136) as Word itself writes it.
_VML_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
           'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
           'xmlns:w10="urn:schemas-microsoft-com:office:word"')
_TEXT_SHAPE_TYPE = (
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
    + "".join(f'<v:f eqn="{eqn}"/>' for eqn in (
        "sum #0 0 10800", "prod #0 2 1", "sum 21600 0 @1", "sum 0 0 @2", "sum 21600 0 @3", "if @0 @3 0",
        "if @0 21600 @1", "if @0 0 @2", "if @0 @4 21600", "mid @5 @6", "mid @8 @5", "mid @7 @8", "mid @6 @7",
        "sum @6 0 @5"))
    + '</v:formulas><v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
    'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/><v:handles>'
    '<v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>'
    "</v:shapetype>"
)


def _xml_text(text: str) -> str:
    """Text Word can store (XML-illegal control characters dropped)."""
    return XML_ILLEGAL.sub("", text)


def _style_or_none(doc, name: str):
    """The document's paragraph style ``name``, or None (Word's default) when it has none."""
    try:
        return doc.styles[name]
    except KeyError:
        return None


def _number_lines(section) -> None:
    """Word line numbering in ``section``: every line, restarting on each page, beside the text."""
    numbering = OxmlElement("w:lnNumType")
    numbering.set(qn("w:countBy"), "1")
    numbering.set(qn("w:restart"), "newPage")
    numbering.set(qn("w:distance"), str(round(_NUMBER_GAP_PT * 20)))
    insert_ordered(section._sectPr, numbering, _SECTPR_ORDER)


def _watermark_run(stamp: str, section, index: int):
    """A ``w:r`` holding Word's diagonal text watermark (VML textpath), centred on the margins."""
    page_width = section.page_width.pt if section.page_width is not None else 595.3
    room = 0.9 * page_width / 0.7071  # the rotated shape's width plus height
    ratio = max(_text_width_em(stamp), 1.0)  # width over height of the stretched text
    width = room * ratio / (ratio + 1)
    height = width / ratio
    style = (f"position:absolute;margin-left:0;margin-top:0;width:{width:.1f}pt;height:{height:.1f}pt;"
             "rotation:315;z-index:-251657216;mso-position-horizontal:center;"
             "mso-position-horizontal-relative:margin;mso-position-vertical:center;"
             "mso-position-vertical-relative:margin")
    return parse_xml(
        f"<w:r {_VML_NS}><w:rPr><w:noProof/></w:rPr><w:pict>{_TEXT_SHAPE_TYPE}"
        f'<v:shape id="ReviewWatermark{index}" o:spid="_x0000_s{2049 + index}" type="#_x0000_t136" '
        f'style="{style}" o:allowincell="f" fillcolor="#bfbfbf" stroked="f">'
        '<v:fill opacity=".5"/>'
        f'<v:textpath style="font-family:&quot;Arial&quot;;font-size:1pt" string="{_esc(_xml_text(stamp))}"/>'
        '<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>'
    )


def _own_parts(doc, section, number: int) -> tuple[list, list]:
    """The headers and footers of ``section`` with content of their own (a linked one shows the previous's)."""
    kinds = ["", *(["first_page_"] if section.different_first_page_header_footer else []),
             *(["even_page_"] if doc.settings.odd_and_even_pages_header_footer else [])]
    headers = [getattr(section, f"{kind}header") for kind in kinds]
    footers = [getattr(section, f"{kind}footer") for kind in kinds]
    # The first section's header is made if missing (it must carry the stamp); a missing footer stays so.
    headers = [part for part in headers if number == 0 or not part.is_linked_to_previous]
    return headers, [part for part in footers if not part.is_linked_to_previous]


def _unnumbered(part) -> None:
    """Keep a header's or footer's lines out of the line numbering (LibreOffice would count them)."""
    for paragraph in part._element.iter(qn("w:p")):
        insert_ordered(paragraph.get_or_add_pPr(), OxmlElement("w:suppressLineNumbers"), _PPR_ORDER)


def _stamp_headers(doc, stamp: str) -> None:
    """Every section's own headers gain the stamp and the watermark, keeping their content; none is numbered."""
    count = 0
    for number, section in enumerate(doc.sections):
        headers, footers = _own_parts(doc, section, number)
        for header in headers:
            paragraph = header.add_paragraph(_xml_text(stamp), style=_style_or_none(doc, _STAMP_STYLE))
            paragraph._p.append(_watermark_run(stamp, section, count))
            count += 1
        for part in (*headers, *footers):
            _unnumbered(part)


def _insert_cover(doc, cover: Cover) -> None:
    """The cover paragraphs, then a page break, before the first block of the body."""
    body = doc.element.body
    anchor = body[0]
    texts = [
        ("title", cover.study_title),
        ("kind", "Scientific committee review copy"),
        ("text", f"Document: {cover.document}"),
        ("text", f"Reviewer: {cover.reviewer}"),
        ("text", f"Date: {cover.date}"),
        *([("text", f"Data: {cover.lock}")] if cover.lock else []),
        ("kind", f"Comments due by {cover.deadline}"),
        *([("kind", "Instructions")] if cover.instructions else []),
        *(("text", text) for text in cover.instructions),
    ]
    paragraphs = [doc.add_paragraph(_xml_text(text), style=_style_or_none(doc, _COVER_STYLES[role]))
                  for role, text in texts]
    paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    for paragraph in paragraphs:
        anchor.addprevious(paragraph._p)


def review_docx(source: Path, target: Path, cover: Cover) -> None:
    """Write ``target``: the built Word file ``source`` as ``cover.reviewer``'s review copy.

    Word's line numbering is turned on in every section (restarting on each page),
    every section's header keeps its content and gains the stamp and a diagonal
    watermark, and the cover comes first, followed by a page break. The zip entries
    are dated from the source's core properties, so the same arguments give the same
    bytes. Raises ``RenderError`` naming the file when the source is missing or unreadable.
    """
    source = _check_source(source, ".docx")
    _check_cover(cover)
    try:
        doc = docx.Document(str(source))
    except Exception as error:  # python-docx raises several unrelated types for a bad package
        raise RenderError(f"cannot open the Word file {str(source)!r}: {error}") from error
    for section in doc.sections:
        _number_lines(section)
    _stamp_headers(doc, stamp_text(cover.reviewer, cover.date))
    _insert_cover(doc, cover)
    moment: datetime = doc.core_properties.modified or doc.core_properties.created or DEFAULT_DATE
    buffer = BytesIO()
    doc.save(buffer)
    _write_atomically(target, repeatable_zip(buffer.getvalue(), moment))

