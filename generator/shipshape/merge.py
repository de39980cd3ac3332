"""Three-way merge of one file that accepts changes to adjacent lines.

``git merge-file`` (what ``copier update --conflict inline`` runs) reports a conflict when the
team's change and the template's change touch neighbouring lines, even when no line was changed
on both sides: notes appended under a section the template rewrote, a team's ``model:`` line
next to price lines the template removed. Here a conflict is only a base line changed on both
sides (or two different insertions at the same place); everything else merges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Edit:
    """Base lines ``[start, end)`` replaced by ``lines`` (``start == end``: an insertion)."""

    start: int
    end: int
    lines: tuple[str, ...]


def edits(base: Sequence[str], other: Sequence[str]) -> list[Edit]:
    """The edits that turn ``base`` into ``other``."""
    matcher = SequenceMatcher(None, base, other, autojunk=False)
    return [
        Edit(i1, i2, tuple(other[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _clash(a: Edit, b: Edit) -> bool:
    if a == b:
        return False
    if a.start == a.end and b.start == b.end:  # two insertions at the same place
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def merge(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[str] | None:
    """Merge ``ours`` and ``theirs`` (lines with their ends); ``None`` when a line clashes."""
    mine, template = edits(base, ours), edits(base, theirs)
    if any(_clash(a, b) for a in mine for b in template):
        return None
    ordered = sorted(set(mine) | set(template), key=lambda edit: (edit.start, edit.end))
    merged: list[str] = []
    position = 0
    for edit in ordered:
        merged.extend(base[position : edit.start])
        merged.extend(edit.lines)
        position = max(position, edit.end)
    merged.extend(base[position:])
    return merged


def merge_text(base: str, ours: str, theirs: str) -> str | None:
    """:func:`merge` on whole texts."""
    result = merge(
        base.splitlines(keepends=True),
        ours.splitlines(keepends=True),
        theirs.splitlines(keepends=True),
    )
    return None if result is None else "".join(result)
