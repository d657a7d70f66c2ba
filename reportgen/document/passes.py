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
