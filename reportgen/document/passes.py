"""Passes over a document's blocks: number tables and figures, resolve cross-references.

Tables and figures are numbered in order of first appearance; the text refers to
them with ``[[ref:KEY]]`` placeholders (written by the templates' ``ref()``), which
become "Table 2" or "Figure 1" here, so a moved table renumbers everything.
"""

from __future__ import annotations

import dataclasses
import re

from reportgen.document.model import Block, BulletList, Figure, Heading, Paragraph, Run, Table
from reportgen.errors import RenderError

REFERENCE = re.compile(r"\[\[ref:([^\]]+)\]\]")


def number_blocks(blocks: tuple[Block, ...], prefix: str = "") -> tuple[tuple[Block, ...], dict[str, str]]:
    """Number tables and figures in reading order; return the blocks and their labels by key."""
    counters = {"table": 0, "figure": 0}
    labels: dict[str, str] = {}
    numbered: list[Block] = []
    for block in blocks:
        if isinstance(block, (Table, Figure)):
            kind = "table" if isinstance(block, Table) else "figure"
            if block.key in labels:
                raise RenderError(f"{kind} {block.key!r} is placed twice in the document")
            counters[kind] += 1
            block = dataclasses.replace(block, number=counters[kind], prefix=prefix)
            labels[block.key] = block.label
        numbered.append(block)
    return tuple(numbered), labels


def _resolve_runs(runs: tuple[Run, ...], labels: dict[str, str]) -> tuple[Run, ...]:
    def label(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in labels:
            raise RenderError(f"reference to {key!r}, which is not a table or figure of this document")
        return labels[key]

    return tuple(dataclasses.replace(run, text=REFERENCE.sub(label, run.text)) for run in runs)


def resolve_references(blocks: tuple[Block, ...], labels: dict[str, str]) -> tuple[Block, ...]:
    """Replace every ``[[ref:KEY]]`` in the text with the label of that table or figure."""
    resolved: list[Block] = []
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)):
            block = dataclasses.replace(block, runs=_resolve_runs(block.runs, labels))
        elif isinstance(block, BulletList):
            block = dataclasses.replace(block, items=tuple(_resolve_runs(item, labels) for item in block.items))
        elif isinstance(block, Figure):
            block = dataclasses.replace(block, caption=_resolve_runs(block.caption, labels))
        resolved.append(block)
    return tuple(resolved)


def _block_text(block: Block) -> str:
    if isinstance(block, (Paragraph, Heading)):
        return "".join(run.text for run in block.runs)
    if isinstance(block, BulletList):
        return "\n".join("".join(run.text for run in item) for item in block.items)
    if isinstance(block, Figure):
        return "".join(run.text for run in block.caption)
    return ""


def text_places(blocks: tuple[Block, ...], shown: list[tuple[str, str]], document: str) -> list[tuple[str, str]]:
    """Where each number of the text landed: (key, "Manuscript › Results › <heading>, paragraph k").

    ``shown`` is the template's formatting calls in rendering order, as (key, text
    printed). Jinja renders in reading order, so each printed text is looked for from
    the block where the previous one was found; a text found nowhere (a value only
    used in a condition) is placed in the document as a whole.
    """
    headings: list[str] = []
    places: list[str] = []
    texts: list[str] = []
    paragraph = 0
    for block in blocks:
        if isinstance(block, Heading):
            level = block.level
            headings = headings[:level - 1] + [_block_text(block).strip()]
            paragraph = 0
        elif isinstance(block, (Paragraph, BulletList, Figure)):
            paragraph += 1
        where = " › ".join([document, *headings])
        places.append(where if isinstance(block, Heading) else f"{where}, paragraph {paragraph}")
        texts.append(_block_text(block))
    located = []
    cursor = 0
    for key, printed in shown:
        order = [*range(cursor, len(blocks)), *range(cursor)]
        found = next((index for index in order if printed and printed in texts[index]), None)
        if found is None:
            located.append((key, document))
            continue
        cursor = found
        located.append((key, places[found]))
    return located
