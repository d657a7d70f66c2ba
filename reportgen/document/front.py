"""Front and back matter from the spec: the title page, the key points, the reference list."""

from __future__ import annotations

from reportgen.document.model import Block, BulletList, Paragraph, Run
from reportgen.spec import StudySpec

SYNTHETIC_NOTICE = ("This draft was generated from a synthetic registry: its data describe no real patient, "
                    "and its numbers must not be cited.")


def reference_list(spec: StudySpec) -> tuple[Block, ...]:
    """The numbered references, in the spec's order (the order ``cite()`` numbers them)."""
    return tuple(Paragraph((Run(f"{number}. {text}"),), role="reference")
                 for number, text in enumerate(spec.references.values(), start=1))


def key_points(spec: StudySpec) -> tuple[Block, ...]:
    """The key points as a bullet list (authors' text from the spec)."""
    if not spec.study.key_points:
        return ()
    return (BulletList(tuple((Run(point),) for point in spec.study.key_points)),)


def title_page(spec: StudySpec) -> tuple[Block, ...]:
    """Blocks of the title page, from the spec's study, authors and affiliations."""
    blocks: list[Block] = [Paragraph((Run(spec.study.title),), role="title")]
    if spec.authors:
        runs: list[Run] = []
        for i, author in enumerate(spec.authors):
            separator = "" if i == 0 else (" and " if i == len(spec.authors) - 1 else ", ")
            runs.append(Run(separator + author.name))
            if author.affiliations:
                runs.append(Run(",".join(str(a) for a in author.affiliations), superscript=True))
        blocks.append(Paragraph(tuple(runs), role="authors"))
    for number, affiliation in enumerate(spec.affiliations, start=1):
        blocks.append(Paragraph((Run(str(number), superscript=True), Run(affiliation)), role="affiliations"))
    if spec.study.running_title:
        blocks.append(Paragraph((Run("Running title: ", bold=True), Run(spec.study.running_title)), role="subtitle"))
    if spec.study.synthetic:
        blocks.append(Paragraph((Run(SYNTHETIC_NOTICE),), role="stamp"))
    return tuple(blocks)
