"""The document model: one closed set of frozen nodes that both writers read.

A manuscript is a ``Document``: metadata and a flat sequence of blocks. The PDF writer
and the DOCX writer read only these nodes, so the two outputs cannot diverge in
content. Nodes name style *roles* (``caption``, ``table-note``), never looks: a role
is a CSS class in ``reportgen/templates/house.css`` and a paragraph style of the same name in
``reportgen/templates/reference.docx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from reportgen.format.table_model import CELL_ROLES, Cell, Table, TableRow


@dataclass(frozen=True)
class Run:
    """A stretch of text with one set of inline marks."""

    text: str
    bold: bool = False
    italic: bool = False
    superscript: bool = False


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 is a main section (Methods, Results)."""

    level: int
    runs: tuple[Run, ...]


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of inline runs in a named style role (``body`` by default)."""

    runs: tuple[Run, ...]
    role: str = "body"


@dataclass(frozen=True)
class BulletList:
    """A bulleted list; each item is a sequence of runs."""

    items: tuple[tuple[Run, ...], ...]
    role: str = "list-item"


@dataclass(frozen=True)
class Figure:
    """A numbered figure: an image file and its caption (title, then description).

    ``path`` is a raster image (Word embeds it); ``vector_path``, when given, is the same
    figure as SVG, which the PDF uses instead so that print is sharp at any zoom.
    """

    key: str
    path: str
    title: str
    caption: tuple[Run, ...] = ()
    number: int = 0
    width_inches: float = 6.5
    prefix: str = ""  # "Supplemental " in a supplement
    vector_path: str = ""

    @property
    def label(self) -> str:
        return f"{self.prefix}Figure {self.number}" if self.number else f"{self.prefix}Figure"


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


Block = Union[Heading, Paragraph, BulletList, Table, Figure, PageBreak]


@dataclass(frozen=True)
class Document:
    """A whole document: its title and stamp, then its blocks in reading order."""

    title: str
    blocks: tuple[Block, ...]
    stamp: str = ""
    running_title: str = ""
    meta: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


#: Every paragraph or cell role the writers must know; house.css and reference.docx
#: define each one (a contract test checks both).
PARAGRAPH_ROLES = (
    "body", "title", "subtitle", "authors", "affiliations", "key-points", "list-item",
    "caption", "table-title", "table-note", "to-write", "stamp", "reference",
)
