"""What every review copy shares: the cover's content, the stamp, the house text block,
and the width of the overlay face (the PDF's watermark and the Word watermark's shape)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportgen.errors import RenderError
from reportgen.render.pdf import bundled_font_dir


#: The house page margin (reportgen/templates/house.css ``@page { margin: 2.5cm }``) in points:
#: text above the top margin is the running header, below the bottom one the footer.
BODY_MARGIN_PT = 2.5 / 2.54 * 72
#: The gap between a line number's right edge and the text (the PDF's, and Word's w:distance).
NUMBER_GAP_PT = 9.0
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


def stamp_text(reviewer: str, date: str) -> str:
    """The words stamped on every page of a reviewer's copy.

    >>> stamp_text("Dr A. Reviewer", "2026-11-24")
    'CONFIDENTIAL — Scientific committee review — Dr A. Reviewer — 2026-11-24'
    """
    return f"CONFIDENTIAL — Scientific committee review — {reviewer} — {date}"


def check_cover(cover: Cover) -> None:
    """Refuse a cover that would stamp an anonymous or undated copy, naming every gap at once."""
    missing = [name for name in ("study_title", "document", "reviewer", "date", "deadline")
               if not str(getattr(cover, name)).strip()]
    if missing:
        raise RenderError(f"the review cover needs {', '.join(missing)}; none may be empty")


def check_source(source: Path, suffix: str) -> Path:
    """The source file, or a RenderError naming it when it is missing or of the wrong kind."""
    source = Path(source)
    if not source.is_file():
        raise RenderError(f"cannot make a review copy of {str(source)!r}: the file does not exist; build it first")
    if source.suffix.lower() != suffix:
        raise RenderError(f"cannot make a review copy of {str(source)!r}: expected a {suffix} file")
    return source


@lru_cache(maxsize=1)
def sans_metrics() -> tuple[float, float, dict[int, float]]:
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


def text_width_em(text: str) -> float:
    """Width of ``text`` in the overlay face, in em (unknown characters count 0.6 em)."""
    widths = sans_metrics()[2]
    return sum(widths.get(ord(char), 0.6) for char in text)


