"""Figure text fitted to its room: measured by the renderer that draws it, wrapped in balanced lines.

Shared by the flowchart (boxes sized to their text) and the Kaplan-Meier figures (legends and
axis labels wrapped to a journal column's width). No matplotlib import at module load: figures
are drawn on the build's workers.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

__all__ = ["Measure", "fitted", "text_measure", "wrap"]

#: Width and height in inches of a (wrapped, possibly multi-line) text.
Measure = Callable[[str], tuple[float, float]]


def wrap(text: str, width: int) -> str:
    """Wrap every line of ``text`` to at most ``width`` characters, keeping its explicit line breaks.

    Each line is balanced: wrapped at the narrowest width that needs no more lines than ``width``
    does, so a box does not end in a lone word. Words are never split, neither inside nor at
    hyphens ("TL-post-CAR-T" stays whole).

    >>> wrap("Progression after CAR T-cell therapy\\nn = 859", 30)
    'Progression after\\nCAR T-cell therapy\\nn = 859'
    """
    return "\n".join(part for line in text.split("\n") for part in _balanced(line, width))


def _balanced(line: str, width: int) -> list[str]:
    """``line`` wrapped in as few lines as ``width`` allows, at the smallest width giving that many."""
    def split(at: int) -> list[str]:
        return textwrap.wrap(line, at, break_long_words=False, break_on_hyphens=False) or [""]

    count = len(split(width))
    narrowest = width
    while narrowest > 1 and len(split(narrowest - 1)) == count:
        narrowest -= 1
    return split(narrowest)


def text_measure(font_size: float, dpi: float = 300) -> Measure:
    """A Measure giving a text's rendered extent in inches at ``font_size``, by the Agg renderer at ``dpi``
    (the house PNGs' 300 by default: hinting makes a text's width depend a little on it).

    Call it inside ``matplotlib.rc_context(RC)`` so the font family is the one drawn.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(dpi=dpi)
    renderer = FigureCanvasAgg(figure).get_renderer()

    def measure(text: str) -> tuple[float, float]:
        artist = figure.text(0, 0, text, fontsize=font_size, ha="left", va="baseline")
        extent = artist.get_window_extent(renderer)
        artist.remove()
        return extent.width / dpi, extent.height / dpi

    return measure


def fitted(text: str, room: float, measure: Measure) -> str:
    """``text`` as it is if it fits ``room`` inches, else wrapped (:func:`wrap`) at the most characters per
    line that fit, or as narrowly as its words allow when none does."""
    for width in range(len(text), 0, -1):
        candidate = wrap(text, width)
        if measure(candidate)[0] <= room:
            return candidate
    return wrap(text, 1)
