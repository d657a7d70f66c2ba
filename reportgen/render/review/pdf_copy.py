"""The review PDF: the built PDF with a cover page first, and on every page the reviewer's
diagonal stamp and line numbers in the left margin.

pypdf reads the built PDF and finds the baselines of its body lines from the text
matrices; WeasyPrint draws the cover page and one transparent overlay page per page
(watermark and numbers, in the bundled fonts); pypdf merges each overlay onto its
page. Only the built file is read, so the copy shows exactly what was built.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Sequence

from reportgen.errors import RenderError
from reportgen.files import write_atomically
from reportgen.render.pdf import (SANS_FAMILY, SERIF_FAMILY, bundled_font_dir, fixed_font_timestamps, font_face_css,
                                  safe_url_fetcher)
from reportgen.render.review.cover import (BODY_MARGIN_PT, NUMBER_GAP_PT, Cover, check_cover, check_source, sans_metrics,
                                           stamp_text, text_width_em)

#: Runs whose baselines differ by at most this much are one line.
_SAME_LINE_PT = 1.0
#: A smaller run this close (in em of the line's text) above or below a line is its super/subscript.
_SCRIPT_SHIFT_EM = 0.5
#: Line numbers: their size.
_NUMBER_SIZE_PT = 7.0
#: The watermark: at most this large, and its rotated box within this share of the page.
_WATERMARK_MAX_PT = 48.0
_WATERMARK_PAGE_SHARE = 0.85
_WATERMARK_LINE_EM = 1.2
#: Constant PDF identifiers, so WeasyPrint's drawings are repeatable.
_COVER_IDENTIFIER = b"reportgen-review-cover"
_OVERLAY_IDENTIFIER = b"reportgen-review-overlay"


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


def _number_top(baseline_from_top: float) -> float:
    """The CSS ``top`` of a number box (line height = font size) whose baseline falls at the given depth."""
    ascent, descent = sans_metrics()[:2]
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
    return min(_WATERMARK_MAX_PT, room / (text_width_em(text) + _WATERMARK_LINE_EM))


def _sheet_html(sheet: _Sheet, stamp: str) -> str:
    """One overlay page: numbers right-aligned in the left margin, the stamp across the middle."""
    size = _watermark_size(stamp, sheet.width, sheet.height)
    box = text_width_em(stamp) * size + 2 * size  # slack: the box must never wrap the stamp
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
    number_right = BODY_MARGIN_PT - NUMBER_GAP_PT
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

    source = check_source(source, ".pdf")
    check_cover(cover)
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
    write_atomically(target, buffer.getvalue())


