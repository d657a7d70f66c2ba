"""Rendered Markdown → document blocks.

Templates produce Markdown (headings, paragraphs with **bold**, *italic* and
^superscript^, bullet lists) plus directive lines that place prepared objects:
``::table KEY``, ``::figure KEY``, ``::pagebreak``. A paragraph may start with
``{.role}`` to name its style role (``{.to-write}`` for a section the authors must
still write). markdown-it-py does the parsing; this module only maps its tokens.
Raw HTML in a template or a data value is shown as text, never interpreted.
"""

from __future__ import annotations

import re
from typing import Mapping

from markdown_it import MarkdownIt
from markdown_it.token import Token

from reportgen.document.model import (
    PARAGRAPH_ROLES,
    Block,
    BulletList,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    Run,
    Table,
)
from reportgen.errors import RenderError

_DIRECTIVE = re.compile(r"^::(table|figure|pagebreak|blocks)(?:\s+(\S+))?\s*$")
_ROLE = re.compile(r"^\{\.([a-z-]+)\}\s*")
_SUPERSCRIPT = re.compile(r"\^([^^\s]+)\^")


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).disable(["image", "link"])


def _text_runs(text: str, bold: bool, italic: bool) -> list[Run]:
    """Split plain text on ^superscript^ marks."""
    runs, position = [], 0
    for match in _SUPERSCRIPT.finditer(text):
        if match.start() > position:
            runs.append(Run(text[position:match.start()], bold, italic))
        runs.append(Run(match.group(1), bold, italic, superscript=True))
        position = match.end()
    if position < len(text):
        runs.append(Run(text[position:], bold, italic))
    return runs


def inline_runs(token: Token) -> tuple[Run, ...]:
    """The runs of one inline token (text with strong/em marks; breaks become spaces)."""
    runs: list[Run] = []
    bold = italic = False
    for child in token.children or ():
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("softbreak", "hardbreak"):
            runs.append(Run(" ", bold, italic))
        elif child.type in ("text", "code_inline", "html_inline"):
            runs += _text_runs(child.content, bold, italic)
    return tuple(_merge(runs))


def _merge(runs: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for run in runs:
        if merged and (merged[-1].bold, merged[-1].italic, merged[-1].superscript) == (
                run.bold, run.italic, run.superscript):
            merged[-1] = Run(merged[-1].text + run.text, run.bold, run.italic, run.superscript)
        elif run.text:
            merged.append(run)
    return merged


def _paragraph(token: Token, tables: Mapping[str, Table], figures: Mapping[str, Figure],
               blocks: Mapping[str, tuple[Block, ...]]) -> tuple[Block, ...]:
    directive = _DIRECTIVE.match(token.content.strip())
    if directive:
        kind, key = directive.groups()
        if kind == "pagebreak":
            return (PageBreak(),)
        source = {"table": tables, "figure": figures, "blocks": blocks}[kind]
        if key not in source:
            known = ", ".join(sorted(source)) or "none"
            raise RenderError(f"template asks for {kind} {key!r}, which the study does not define (known: {known})")
        found = source[key]
        return found if kind == "blocks" else (found,)
    role = "body"
    runs = inline_runs(token)
    if runs and (match := _ROLE.match(runs[0].text)):
        role = match.group(1)
        if role not in PARAGRAPH_ROLES:
            raise RenderError(f"unknown paragraph role {role!r}; known roles: {', '.join(PARAGRAPH_ROLES)}")
        first = runs[0].text[match.end():]
        runs = ((Run(first, runs[0].bold, runs[0].italic, runs[0].superscript),) if first else ()) + runs[1:]
    return (Paragraph(runs, role),)


def placed_keys(text: str, kind: str) -> list[str]:
    """The keys rendered template text places with ``::KIND KEY`` (kind: table, figure or blocks), in order:
    what :func:`parse_markdown` will ask for, known before anything is drawn."""
    tokens = _parser().parse(text)
    matches = (_DIRECTIVE.match(tokens[index + 1].content.strip()) for index, token in enumerate(tokens)
               if token.type == "paragraph_open")
    return [match.group(2) for match in matches if match and match.group(1) == kind]


def parse_markdown(text: str, tables: Mapping[str, Table], figures: Mapping[str, Figure],
                   blocks: Mapping[str, tuple[Block, ...]] | None = None) -> tuple[Block, ...]:
    """Parse rendered template text into blocks, placing the named tables, figures and block groups."""
    blocks = blocks or {}
    tokens = _parser().parse(text)
    out: list[Block] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open":
            out.append(Heading(int(token.tag[1]), inline_runs(tokens[index + 1])))
            index += 3
        elif token.type == "paragraph_open":
            out += _paragraph(tokens[index + 1], tables, figures, blocks)
            index += 3
        elif token.type == "bullet_list_open":
            items, index = _bullets(tokens, index + 1)
            out.append(BulletList(items))
        elif token.type in ("fence", "code_block", "html_block"):
            out.append(Paragraph((Run(token.content.rstrip("\n")),)))
            index += 1
        else:
            index += 1
    return tuple(out)


def _bullets(tokens: list[Token], index: int) -> tuple[tuple[tuple[Run, ...], ...], int]:
    items = []
    while tokens[index].type != "bullet_list_close":
        if tokens[index].type == "inline":
            items.append(inline_runs(tokens[index]))
        index += 1
    return tuple(items), index + 1
