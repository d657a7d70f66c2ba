"""What moved between two builds (or two data locks): ``reportgen diff OLD NEW``.

Two builds are compared record by record through their results.json: every
number whose value, confidence limits or denominator changed is listed by key,
with its old and new house-style display and the tables, figures and paragraphs
that show it (the new build's shown_in.json); then the keys added and removed,
the size of every analysis set, and the input files that changed (provenance.json).
Two lock manifests are compared file by file. The listing prints on the terminal
and becomes a small document, written as HTML and PDF for the committee.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

from reportgen.analysis.results import Result
from reportgen.document.model import Document, Heading, Paragraph, Run
from reportgen.errors import ReportgenError
from reportgen.format.display import display
from reportgen.format.style import HouseStyle
from reportgen.format.table_model import simple_table
from reportgen.lock import Lock, LockedFile, read_lock

#: The fields of a record that make its number; a change in any of them is a change.
_NUMBER_FIELDS = ("value", "lower", "upper", "n", "level")


class DiffError(ReportgenError):
    """OLD or NEW is neither a build folder nor a lock manifest, or the two are of different kinds."""


@dataclass(frozen=True)
class Change:
    """One key's old and new display ('' when absent) and where the newer build shows it."""

    key: str
    old: str
    new: str
    shown_in: tuple[str, ...] = ()

    @property
    def visible(self) -> bool:
        """Whether the change shows at the house style's precision."""
        return self.old != self.new


@dataclass(frozen=True)
class FileChange:
    """An input file that differs: rows and SHA-256 before and after ('' when absent)."""

    name: str
    old_rows: str
    new_rows: str
    old_sha256: str
    new_sha256: str


@dataclass(frozen=True)
class Difference:
    """Everything that moved from OLD to NEW."""

    old_name: str
    new_name: str
    changed: tuple[Change, ...]
    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    set_sizes: tuple[Change, ...]
    files: tuple[FileChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.changed or self.added or self.removed or self.files)


@dataclass(frozen=True)
class _Build:
    """What diff reads from a build folder."""

    name: str
    results: dict[str, Result]
    shown_in: dict[str, tuple[str, ...]]
    lock: Lock | None


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiffError(f"{path.parent}: no {path.name}; is it a reportgen build folder ({what})?") from None
    except json.JSONDecodeError as error:
        raise DiffError(f"{path}: not valid JSON ({error})") from None


def _read_build(folder: Path) -> _Build:
    results = {record["key"]: Result(**record) for record in _read_json(folder / "results.json", "results")["results"]}
    shown = _read_json(folder / "shown_in.json", "where each result is shown").get("shown_in", {})
    provenance = _read_json(folder / "provenance.json", "provenance")
    lock = None
    if provenance.get("lock_name"):
        lock = Lock(provenance["lock_name"], provenance["lock_date"],
                    tuple(LockedFile(**file) for file in provenance["inputs"]))
    name = f"{folder.name} (lock {lock.name}, {lock.date})" if lock else f"{folder.name} (unlocked data)"
    return _Build(name, results, {key: tuple(places) for key, places in shown.items()}, lock)


def _same(old: Result, new: Result) -> bool:
    for field in _NUMBER_FIELDS:
        a, b = getattr(old, field), getattr(new, field)
        if a is None or b is None:
            if a is not b:
                return False
        elif not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15):
            return False
    return True


def _rows(file: LockedFile | None) -> str:
    return "" if file is None or file.rows is None else str(file.rows)


def _file_changes(old: Lock | None, new: Lock | None) -> tuple[FileChange, ...]:
    old_files = {file.name: file for file in (old.files if old else ())}
    new_files = {file.name: file for file in (new.files if new else ())}
    changes = []
    for name in sorted(old_files.keys() | new_files.keys()):
        a, b = old_files.get(name), new_files.get(name)
        if a and b and a.sha256 == b.sha256:
            continue
        changes.append(FileChange(name, _rows(a), _rows(b), a.sha256 if a else "", b.sha256 if b else ""))
    return tuple(changes)


def compare_results(old: dict[str, Result], new: dict[str, Result], shown_in: dict[str, tuple[str, ...]],
                    style: HouseStyle = HouseStyle()) -> tuple[tuple[Change, ...], ...]:
    """(changed, added, removed, set sizes) between two stores, keys in sorted order."""
    def change(key: str) -> Change:
        return Change(key, display(old[key], style) if key in old else "",
                      display(new[key], style) if key in new else "", shown_in.get(key, ()))

    changed = tuple(change(key) for key in sorted(old.keys() & new.keys()) if not _same(old[key], new[key]))
    added = tuple(change(key) for key in sorted(new.keys() - old.keys()))
    removed = tuple(change(key) for key in sorted(old.keys() - new.keys()))
    sizes = tuple(change(key) for key in sorted(old.keys() | new.keys())
                  if key.startswith("flow.") and key.endswith(".n"))
    return changed, added, removed, sizes


def difference(old: str | Path, new: str | Path, style: HouseStyle = HouseStyle()) -> Difference:
    """Compare two build folders, or two lock manifests."""
    old, new = Path(old), Path(new)
    if old.is_dir() != new.is_dir():
        raise DiffError(f"{old} and {new}: compare two build folders or two lock manifests, not one of each")
    if not old.is_dir():
        before, after = read_lock(old), read_lock(new)
        return Difference(f"lock {before.name} ({before.date})", f"lock {after.name} ({after.date})",
                          (), (), (), (), _file_changes(before, after))
    before, after = _read_build(old), _read_build(new)
    changed, added, removed, sizes = compare_results(before.results, after.results, after.shown_in, style)
    return Difference(before.name, after.name, changed, added, removed, sizes,
                      _file_changes(before.lock, after.lock))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(diff: Difference) -> str:
    """One sentence: how many numbers moved, were added or removed, and how many input files changed."""
    visible = sum(change.visible for change in diff.changed)
    return (f"{_plural(len(diff.changed), 'number')} changed ({visible} visibly at the house style's precision), "
            f"{_plural(len(diff.added), 'key')} added, {_plural(len(diff.removed), 'key')} removed; "
            f"{_plural(len(diff.files), 'input file')} changed.")


def terminal_text(diff: Difference) -> str:
    """The listing for the terminal: plain text, one change per line."""
    lines = [f"reportgen diff: {diff.old_name} → {diff.new_name}", summary(diff)]
    if diff.files:
        lines += ["", "Input files:"]
        lines += [f"  {f.name}: rows {f.old_rows or '-'} → {f.new_rows or '-'}, "
                  f"SHA-256 {f.old_sha256[:12] or '-'} → {f.new_sha256[:12] or '-'}" for f in diff.files]
    moved = [size for size in diff.set_sizes if size.old != size.new]
    if diff.set_sizes:
        lines += ["", f"Analysis set sizes ({len(moved)} changed):"]
        lines += [f"  {s.key[len('flow.'):-len('.n')]}: {s.old or '-'} → {s.new or '-'}" for s in moved]
    for title, changes in (("Changed", diff.changed), ("Added", diff.added), ("Removed", diff.removed)):
        if changes:
            lines += ["", f"{title}:"]
            for change in changes:
                where = f"   [{'; '.join(change.shown_in)}]" if change.shown_in else "   [not shown]"
                precision = "" if change.visible or title != "Changed" else "   (same at display precision)"
                lines.append(f"  {change.key}: {change.old or '-'} → {change.new or '-'}{precision}{where}")
    if diff.empty:
        lines += ["", "Nothing moved."]
    return "\n".join(lines)


def report_document(diff: Difference) -> Document:
    """The listing as a document (for the HTML and PDF report)."""
    title = "Differences between two builds"
    blocks: list = [Heading(1, (Run(title),)),
                    Paragraph((Run("From: ", bold=True), Run(diff.old_name))),
                    Paragraph((Run("To: ", bold=True), Run(diff.new_name))),
                    Paragraph((Run(summary(diff)),))]
    tables = []
    if diff.files:
        tables.append(simple_table("files", "Input files that changed", ("File", "Rows before", "Rows after", "SHA-256 after"),
                             [(f.name, f.old_rows or "-", f.new_rows or "-", f.new_sha256 or "(removed)")
                              for f in diff.files], (0.22, 0.12, 0.12, 0.54)))
    if diff.set_sizes:
        tables.append(simple_table("sizes", "Analysis set sizes", ("Set or step", "Before", "After"),
                             [(s.key[len("flow."):-len(".n")], s.old or "-", s.new or "-") for s in diff.set_sizes],
                             (0.6, 0.2, 0.2)))
    for key, title, changes in (("changed", "Numbers that changed", diff.changed),
                                ("added", "Keys added", diff.added), ("removed", "Keys removed", diff.removed)):
        if changes:
            rows = [(c.key, c.old or "-", c.new or "-", "; ".join(c.shown_in) or "not shown") for c in changes]
            notes = ("Shown in: the tables, figures and paragraphs of the newer build that print the number.",)
            tables.append(simple_table(key, title, ("Key", "Before", "After", "Shown in"), rows, (0.3, 0.19, 0.19, 0.32),
                                 notes))
    for number, table in enumerate(tables, start=1):
        blocks.append(dataclasses.replace(table, number=number))
    if diff.empty:
        blocks.append(Paragraph((Run("Nothing moved."),)))
    return Document(title, tuple(blocks))
