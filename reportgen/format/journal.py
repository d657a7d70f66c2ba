"""Figures for journal submission: a TIFF, a PDF and an SVG at a journal's column width.

A journal prints a figure one column wide or across the page (two columns), and asks for
raster files at a set resolution (600 dpi for line art with text) and for vector files. The
figure is redrawn at the column's width, its text at the house sizes (7-8 pt), rather than a
wider drawing scaled down (which would shrink its text below what journals accept).

Which column: a figure drawn for the manuscript at most :data:`SINGLE_COLUMN_SLACK` times
the single column's width (it would be redrawn at most a tenth narrower: one Kaplan-Meier panel)
goes in one column; any wider figure (two panels side by side, love plots, flowcharts) goes
across the page. The widths come from :class:`~reportgen.format.style.HouseStyle`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.format.figures import RC
from reportgen.format.style import HouseStyle

if TYPE_CHECKING:
    import matplotlib.figure
    import PIL.Image

__all__ = ["JOURNAL_SUFFIXES", "SINGLE_COLUMN_SLACK", "column_inches", "journal_widths", "write_journal_figure"]

MM_PER_INCH = 25.4
#: A figure at most this many times the single column's width goes in the single column.
SINGLE_COLUMN_SLACK = 1.1
#: The files of one journal figure, in the order :func:`write_journal_figure` writes them.
JOURNAL_SUFFIXES = (".tif", ".pdf", ".svg")
#: Journal settings over the house ones: text embedded in the PDF as a TrueType subset (Type 42), not
#: matplotlib's default Type 3 glyph procedures, which PDF preflight checks of journals flag.
JOURNAL_RC = {"pdf.fonttype": 42}


def column_inches(mm: float, dpi: int) -> float:
    """A column ``mm`` wide in inches, rounded to a whole number of pixels at ``dpi``.

    The Agg canvas truncates a figure's size in pixels, so the inches are nudged up (by a few parts in
    10^16) until ``int(inches * dpi)`` gives that number: the TIFF is exactly ``round(mm / 25.4 * dpi)``
    pixels wide, and the PDF and SVG the same width in points.

    >>> column_inches(85, 600) * 600
    2008.0
    """
    pixels = round(mm / MM_PER_INCH * dpi)
    inches = pixels / dpi
    while int(inches * dpi) < pixels:
        inches = math.nextafter(inches, math.inf)
    return inches


def journal_widths(natural_width: float, style: HouseStyle) -> tuple[float, ...]:
    """The column widths (inches) to draw a figure at, in order of preference, from the width it is
    drawn at for the manuscript (``natural_width``, inches).

    The single column when the figure is at most :data:`SINGLE_COLUMN_SLACK` times as wide as it, then
    the double column (for a figure that cannot be drawn that narrow: a flowchart with many boxes side
    by side); the double column alone for a wider figure.
    """
    single = column_inches(style.journal_column_width_mm, style.journal_dpi)
    double = column_inches(style.journal_double_column_width_mm, style.journal_dpi)
    return (single, double) if natural_width <= single * SINGLE_COLUMN_SLACK else (double,)


def write_journal_figure(figure: matplotlib.figure.Figure, paths: tuple[Path, Path, Path],
                         dpi: int) -> tuple[Path, ...]:
    """Write ``figure`` as a TIFF, a PDF and an SVG (``paths``, in :data:`JOURNAL_SUFFIXES` order), all at its
    own size in inches.

    - TIFF: ``dpi`` recorded in the file, LZW compression (lossless, what journals accept), RGB without
      alpha (a transparent background turns black in some journals' systems).
    - PDF: the text embedded as a TrueType font subset (Type 42): the file prints the same everywhere,
      its text stays text (searchable, editable by the journal's production), and no Type 3 font
      trips a preflight check.
    - SVG: the text kept as text (``svg.fonttype: none``, in DejaVu Sans), not outlines: an SVG cannot
      embed a font, and a journal asking for SVG does so to edit labels and set them in its own
      typeface; the PDF is the file that looks the same without the font.

    No dates or software versions are written, so the same figure gives the same bytes.
    """
    import matplotlib

    tiff, pdf, svg = paths
    tiff.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context({**RC, **JOURNAL_RC}):
        _rgb_image(figure, dpi).save(tiff, format="TIFF", compression="tiff_lzw", dpi=(dpi, dpi))
        figure.savefig(pdf, metadata={"Creator": None, "Producer": None, "CreationDate": None})
        figure.savefig(svg, metadata={"Date": None, "Creator": None})
    return paths


def _rgb_image(figure: matplotlib.figure.Figure, dpi: int) -> PIL.Image.Image:
    """The figure rendered by Agg at ``dpi`` as an RGB Pillow image (its opaque white background kept, the
    alpha channel dropped); the figure's own dpi is restored afterwards."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(figure)
    own = figure.dpi
    figure.dpi = dpi
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())
        return Image.fromarray(np.ascontiguousarray(pixels[..., :3]))  # uint8, 3 channels: RGB
    finally:
        figure.dpi = own
