"""CONSORT-style study flowchart: population boxes in a tree, exclusions in side boxes.

The figure is built in two steps so the geometry can be tested without drawing:

1. :func:`layout` is pure. Given the boxes (text already wrapped) and a function that
   measures a text, it returns every rectangle and connector in inches, y pointing down.
   Rows are the depths of the tree; between two rows lies a band holding the side boxes
   of the lower row (and, above them, the horizontal "bus" joining a parent to several
   children). Horizontally each subtree is packed against its left siblings level by level
   (a tidy tree), and a parent is centred over its first and last child, so a chain of
   single children stays a straight vertical spine. Side boxes sit right of the connector.
2. :func:`flowchart` wraps the texts, measures them with the Agg renderer at 300 dpi and
   tries ever tighter fits (compact packing, narrower wrapping, 7-pt text at the least)
   until the tree fits the page's text width (or a journal's column), then draws the layout
   as a figure, which :func:`~reportgen.format.figures.save_figure` saves.

The format layer never counts patients: every text arrives formatted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reportgen.format.figures import DPI, RC, new_figure
from reportgen.format.fit import Measure, text_measure, wrap

if TYPE_CHECKING:
    import matplotlib.figure
    import matplotlib.pyplot as plt

#: A journal page's text width: the figure is never wider.
MAX_WIDTH = 6.5
#: Smallest font size a journal accepts in a figure.
MIN_FONT_SIZE = 7.0


@dataclass(frozen=True)
class Fit:
    """One way to draw the tree: font size (pt), wrap widths (characters) and packing (see :func:`layout`)."""

    font_size: float
    main_width: int
    side_width: int
    compact: bool


#: Tried in order until the tree fits :data:`MAX_WIDTH`: roomy with wide text first, then compact packing,
#: then narrower wrapping, and 7-pt text only as the last resort.
FITS: tuple[Fit, ...] = (
    Fit(8.0, 30, 40, False), Fit(8.0, 26, 34, False), Fit(8.0, 30, 40, True), Fit(8.0, 26, 34, True),
    Fit(8.0, 22, 28, True), Fit(8.0, 18, 24, True), Fit(7.0, 18, 24, True), Fit(7.0, 16, 20, True),
)
PAD_X = 0.08          # inches between a box's text and its left/right edges
PAD_Y = 0.055         # inches between a box's text and its top/bottom edges
SIDE_GAP = 0.22       # length of the arrow from a vertical connector to its side box
SIBLING_GAP = 0.22    # horizontal space between neighbouring subtrees
BAND_GAP = 0.12       # vertical space between a row of boxes and the side boxes below or above it
BUS_DROP = 0.14       # from a parent's bottom down to the bus joining its children
MIN_STEM = 0.16       # shortest vertical connector part when a band holds no side box
MARGIN = 0.06         # blank border around the drawing
PAGE_STEP = 0.25      # figure sizes are multiples of this: a whole number of pixels at 300 dpi, exactly
LINE_WIDTH = 0.8
SIDE_FILL = "#F2F2F2"


@dataclass(frozen=True)
class FlowBox:
    """One population box of the flowchart."""

    key: str
    text: str            # already formatted, may contain "\n", e.g. "TL-post-CAR-T set\nn = 52"
    parent: str = ""     # key of the parent box; "" for the root
    exclusion: str = ""  # already formatted text of the side box for patients lost between parent and this box


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in inches; ``y`` is its top edge and y grows downwards."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    def overlaps(self, other: Rect, gap: float = 0.0) -> bool:
        """Whether the two rectangles come closer than ``gap`` (touching edges do not overlap when gap is 0)."""
        return (self.x < other.right + gap and other.x < self.right + gap
                and self.y < other.bottom + gap and other.y < self.bottom + gap)


@dataclass(frozen=True)
class Line:
    """A straight connector from ``start`` to ``end`` (inches), with an arrowhead at ``end`` if ``arrow``."""

    start: tuple[float, float]
    end: tuple[float, float]
    arrow: bool


@dataclass(frozen=True)
class Layout:
    """Everything to draw: the page size, main boxes and side boxes by box key, and the connectors."""

    width: float
    height: float
    boxes: dict[str, Rect]
    sides: dict[str, Rect]
    lines: tuple[Line, ...]


# --- validation -----------------------------------------------------------------------------------------------


def _tree(boxes: tuple[FlowBox, ...]) -> tuple[str, dict[str, list[str]]]:
    """Check the boxes form one tree and return its root and each box's children in input order.

    Raises ValueError naming the offending box for an empty key, a duplicate key, an unknown
    parent, several roots, a cycle, or an exclusion on the root (it has no parent to lose patients from).
    """
    if not boxes:
        raise ValueError("a flowchart needs at least one box")
    children: dict[str, list[str]] = {}
    for box in boxes:
        if not box.key:
            raise ValueError(f"box with text {box.text!r} has an empty key")
        if box.key in children:
            raise ValueError(f"duplicate box key {box.key!r}")
        children[box.key] = []
    for box in boxes:
        if box.parent and box.parent not in children:
            raise ValueError(f"box {box.key!r} has an unknown parent {box.parent!r}")
        if box.parent:
            children[box.parent].append(box.key)
    roots = [box.key for box in boxes if not box.parent]
    if len(roots) > 1:
        raise ValueError(f"more than one root box (without a parent): {', '.join(map(repr, roots))}")
    parents = {box.key: box.parent for box in boxes}
    reached = set(_depth_first(roots[0], children)) if roots else set()
    unreached = [box.key for box in boxes if box.key not in reached]
    if unreached:
        raise ValueError(f"boxes form a cycle: {' -> '.join(map(repr, _cycle(unreached[0], parents)))}")
    root = roots[0]
    if next(box for box in boxes if box.key == root).exclusion:
        raise ValueError(f"root box {root!r} has an exclusion, but no parent to exclude patients from")
    return root, children


def _depth_first(root: str, children: dict[str, list[str]]) -> Iterable[str]:
    """Keys of the tree under ``root``, parents before children, siblings in input order."""
    stack = [root]
    while stack:
        key = stack.pop()
        yield key
        stack.extend(reversed(children[key]))


def _cycle(start: str, parents: dict[str, str]) -> list[str]:
    """Follow parents from ``start`` (a box not under the root) until a key repeats; return that loop."""
    path: list[str] = []
    key = start
    while key not in path:
        path.append(key)
        key = parents[key]
    return [*path[path.index(key):], key]


# --- layout ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sizes:
    """Measured outer sizes (text plus padding) of one box and of its side box (None if none)."""

    box: tuple[float, float]
    side: tuple[float, float] | None

    def row(self) -> tuple[float, float]:
        """Extent of the box relative to its vertical connector, in the row of boxes."""
        return -self.box[0] / 2, self.box[0] / 2

    def band(self) -> tuple[float, float]:
        """Extent of the connector and the arrow plus side box, in the band above the row."""
        return 0.0, (SIDE_GAP + self.side[0] if self.side else 0.0)

    def both(self, compact: bool) -> tuple[tuple[float, float], tuple[float, float]]:
        """(band, row) extents; unless ``compact`` both are their union, so nothing sits under a side box."""
        if compact:
            return self.band(), self.row()
        union = _merge([self.band()], [self.row()])[0]
        return union, union


def _padded(measure: Measure, text: str) -> tuple[float, float]:
    width, height = measure(text)
    return width + 2 * PAD_X, height + 2 * PAD_Y


#: A subtree's horizontal extent, (left, right) relative to its root's connector x, for each level from its
#: root down: the root's band, the root's row, its children's band, their row, and so on.
_Contour = list[tuple[float, float]]


def _pack(key: str, children: dict[str, list[str]], sizes: dict[str, _Sizes], compact: bool,
          offsets: dict[str, float]) -> _Contour:
    """Place the subtree of ``key``: fill ``offsets`` (each child's x relative to its parent) and return its contour.

    Children are put left to right, each as close to the ones before as their contours allow at every
    level, then shifted so the parent sits midway between its first and last child.
    """
    own = list(sizes[key].both(compact))
    kids = children[key]
    if not kids:
        return own
    merged: _Contour = []
    placed: list[float] = []
    for kid in kids:
        contour = _pack(kid, children, sizes, compact, offsets)
        shift = max((merged[d][1] - contour[d][0] + SIBLING_GAP for d in range(min(len(merged), len(contour)))),
                    default=0.0)
        placed.append(shift)
        merged = _merge(merged, [(left + shift, right + shift) for left, right in contour])
    middle = (placed[0] + placed[-1]) / 2
    for kid, shift in zip(kids, placed):
        offsets[kid] = shift - middle
    return [*own, *((left - middle, right - middle) for left, right in merged)]


def _merge(a: _Contour, b: _Contour) -> _Contour:
    """Union of two contours level by level."""
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    merged = list(longer)
    for d, (left, right) in enumerate(shorter):
        merged[d] = (min(merged[d][0], left), max(merged[d][1], right))
    return merged


def _rows(root: str, children: dict[str, list[str]],
          sizes: dict[str, _Sizes]) -> tuple[dict[str, int], list[float], list[float]]:
    """Depth of every box, the top of every row and the vertical centre of every band of side boxes.

    Band ``d`` lies above row ``d``: a gap, the bus of any parent of row ``d - 1`` with several children,
    the tallest side box of row ``d`` (or a short stem), a gap.
    """
    depth = {root: 0}
    for key in _depth_first(root, children):
        for kid in children[key]:
            depth[kid] = depth[key] + 1
    count = max(depth.values()) + 1
    heights = [0.0] * count
    sides = [0.0] * count
    buses = [False] * count
    for key, d in depth.items():
        heights[d] = max(heights[d], sizes[key].box[1])
        side = sizes[key].side
        sides[d] = max(sides[d], side[1] if side else 0.0)
        if len(children[key]) > 1:
            buses[d + 1] = True
    tops = [MARGIN]
    band_middles = [0.0]
    for d in range(1, count):
        band_top = tops[-1] + heights[d - 1] + BAND_GAP + (BUS_DROP if buses[d] else 0.0)
        band = max(sides[d], MIN_STEM)
        band_middles.append(band_top + band / 2)
        tops.append(band_top + band + BAND_GAP)
    return depth, tops, band_middles


def layout(boxes: tuple[FlowBox, ...], measure: Measure, compact: bool = False) -> Layout:
    """Place every box, side box and connector of the tree (pure: all sizes come from ``measure``).

    Roomy (the default), a box's column is as wide as the box and its side box together, so the
    space below a side box stays empty. ``compact`` lets a neighbouring box move in under a side
    box (they are in different rows), which makes a wide tree narrower.

    Coordinates are inches with y downwards; the page is padded up to whole multiples of
    :data:`PAGE_STEP` inches with the drawing centred. Raises ValueError for a malformed tree.
    """
    root, children = _tree(boxes)
    sizes = {box.key: _Sizes(_padded(measure, box.text), _padded(measure, box.exclusion) if box.exclusion else None)
             for box in boxes}
    offsets: dict[str, float] = {}
    _pack(root, children, sizes, compact, offsets)
    centres = {root: 0.0}
    for key in _depth_first(root, children):
        for kid in children[key]:
            centres[kid] = centres[key] + offsets[kid]
    depth, tops, band_middles = _rows(root, children, sizes)

    rects: dict[str, Rect] = {}
    sides: dict[str, Rect] = {}
    for key, size in sizes.items():
        width, height = size.box
        rects[key] = Rect(centres[key] - width / 2, tops[depth[key]], width, height)
        if size.side:
            side_width, side_height = size.side
            middle = band_middles[depth[key]]
            sides[key] = Rect(centres[key] + SIDE_GAP, middle - side_height / 2, side_width, side_height)

    left = min(rect.x for rect in [*rects.values(), *sides.values()]) - MARGIN
    right = max(rect.right for rect in [*rects.values(), *sides.values()]) + MARGIN
    bottom = max(rect.bottom for rect in rects.values()) + MARGIN
    width, height = _page(right - left), _page(bottom)
    dx = (width - (right - left)) / 2 - left
    dy = (height - bottom) / 2
    rects = {key: _moved(rect, dx, dy) for key, rect in rects.items()}
    sides = {key: _moved(rect, dx, dy) for key, rect in sides.items()}
    lines = tuple(line for key in _depth_first(root, children)
                  for line in _connectors(rects[key], [rects[kid] for kid in children[key]],
                                          [sides.get(kid) for kid in children[key]]))
    return Layout(width, height, rects, sides, lines)


def _page(size: float) -> float:
    """Round a size up to a multiple of PAGE_STEP (exact in binary, a whole number of pixels at 300 dpi)."""
    return math.ceil(size / PAGE_STEP - 1e-9) * PAGE_STEP


def _moved(rect: Rect, dx: float, dy: float) -> Rect:
    return replace(rect, x=rect.x + dx, y=rect.y + dy)


def _connectors(parent: Rect, kids: list[Rect], sides: list[Rect | None]) -> list[Line]:
    """Arrows from a parent to its children, and from each child's vertical connector to its side box.

    One child: a straight arrow. Several: a stem down to a bus at BUS_DROP below the parent, the bus,
    and an arrow down from the bus to each child.
    """
    if not kids:
        return []
    lines: list[Line] = []
    if len(kids) == 1:
        lines.append(Line((kids[0].cx, parent.bottom), (kids[0].cx, kids[0].y), arrow=True))
    else:
        bus = parent.bottom + BUS_DROP
        lines.append(Line((parent.cx, parent.bottom), (parent.cx, bus), arrow=False))
        lines.append(Line((kids[0].cx, bus), (kids[-1].cx, bus), arrow=False))
        lines.extend(Line((kid.cx, bus), (kid.cx, kid.y), arrow=True) for kid in kids)
    lines.extend(Line((kid.cx, side.cy), (side.x, side.cy), arrow=True) for kid, side in zip(kids, sides) if side)
    return lines


# --- drawing --------------------------------------------------------------------------------------------------


def _wrapped(boxes: tuple[FlowBox, ...], main_width: int, side_width: int) -> tuple[FlowBox, ...]:
    return tuple(replace(box, text=wrap(box.text, main_width), exclusion=wrap(box.exclusion, side_width))
                 for box in boxes)


def _fit(boxes: tuple[FlowBox, ...], max_width: float = MAX_WIDTH) -> tuple[Layout, tuple[FlowBox, ...], float]:
    """The layout of the first entry of FITS that is at most ``max_width`` inches wide, its wrapped boxes and
    font size."""
    _tree(boxes)  # reject a malformed tree before measuring anything
    widest = 0.0
    for fit in FITS:
        wrapped = _wrapped(boxes, fit.main_width, fit.side_width)
        placed = layout(wrapped, text_measure(fit.font_size, DPI), compact=fit.compact)
        if placed.width <= max_width:
            return placed, wrapped, fit.font_size
        widest = placed.width
    room = f"a page ({MAX_WIDTH:g} in)" if max_width == MAX_WIDTH else f"the {max_width:.2f}-in column"
    raise ValueError(f"the flowchart is {widest:.2f} in wide even with {MIN_FONT_SIZE:g}-pt text wrapped "
                     f"narrowly, more than {room}: it has too many boxes side by side")


def _draw_line(ax: plt.Axes, line: Line) -> None:
    from matplotlib.patches import FancyArrowPatch

    if line.arrow:
        ax.add_patch(FancyArrowPatch(line.start, line.end, arrowstyle="-|>,head_length=0.5,head_width=0.22",
                                     mutation_scale=8, linewidth=LINE_WIDTH, color="black", shrinkA=0, shrinkB=0,
                                     zorder=1))
    else:
        ax.plot(*zip(line.start, line.end), color="black", linewidth=LINE_WIDTH, solid_capstyle="projecting",
                zorder=1)


def _draw_box(ax: plt.Axes, rect: Rect, text: str, font_size: float, side: bool) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((rect.x, rect.y), rect.width, rect.height, facecolor=SIDE_FILL if side else "white",
                           edgecolor="black", linewidth=LINE_WIDTH, zorder=2))
    if side:
        ax.text(rect.x + PAD_X, rect.cy, text, ha="left", va="center", multialignment="left", fontsize=font_size,
                zorder=3)
    else:
        ax.text(rect.cx, rect.cy, text, ha="center", va="center", multialignment="center", fontsize=font_size,
                zorder=3)


def flowchart(boxes: tuple[FlowBox, ...], *, width: float | None = None) -> matplotlib.figure.Figure:
    """The tree drawn as a figure (:func:`~reportgen.format.figures.save_figure` saves it as a 300-dpi PNG
    and an SVG), as wide as its layout, or ``width`` inches wide (a journal's column) with the layout
    fitted into it and centred.

    The first entry of :data:`FITS` whose layout is at most :data:`MAX_WIDTH` (or ``width``) wide is drawn;
    a tree too wide even for 7-pt text, narrowly wrapped and compactly packed, raises ValueError, as does a
    malformed tree (naming the box). Text stays text in the SVG (``svg.fonttype: none``).
    """
    import matplotlib

    with matplotlib.rc_context(RC):
        placed, wrapped, font_size = _fit(boxes, MAX_WIDTH if width is None else width)
        page = placed.width if width is None else width
        figure = new_figure(page, placed.height, dpi=DPI)
        ax = figure.add_axes(((page - placed.width) / 2 / page, 0.0, placed.width / page, 1.0))
        ax.set_xlim(0, placed.width)
        ax.set_ylim(placed.height, 0)
        ax.axis("off")
        for line in placed.lines:
            _draw_line(ax, line)
        for box in wrapped:
            _draw_box(ax, placed.boxes[box.key], box.text, font_size, side=False)
            if box.exclusion:
                _draw_box(ax, placed.sides[box.key], box.exclusion, font_size, side=True)
        return figure
