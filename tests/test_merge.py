"""shipshape's three-way merge: neighbouring changes merge, a line changed twice conflicts."""

from __future__ import annotations

from shipshape.merge import merge_text

BASE = "".join(f"line {n}\n" for n in range(1, 9))


def change(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_changes_to_neighbouring_lines_merge() -> None:
    ours = change(BASE, "line 4\n", "line 4 (team)\n")
    theirs = change(BASE, "line 5\nline 6\n", "")  # the template drops the next two lines

    assert merge_text(BASE, ours, theirs) == change(theirs, "line 4\n", "line 4 (team)\n")


def test_notes_appended_after_a_rewritten_end_stay_at_the_end() -> None:
    ours = BASE + "\n## Team notes\n"
    theirs = "# a whole new file\n"

    assert merge_text(BASE, ours, theirs) == "# a whole new file\n\n## Team notes\n"


def test_a_line_changed_on_both_sides_is_a_conflict() -> None:
    ours = change(BASE, "line 3\n", "line 3 (team)\n")
    theirs = change(BASE, "line 3\n", "line 3 (template)\n")

    assert merge_text(BASE, ours, theirs) is None


def test_two_different_insertions_at_the_same_place_are_a_conflict() -> None:
    ours = change(BASE, "line 2\n", "line 2\nteam\n")
    theirs = change(BASE, "line 2\n", "line 2\ntemplate\n")

    assert merge_text(BASE, ours, theirs) is None


def test_the_same_change_on_both_sides_merges_once() -> None:
    both = change(BASE, "line 7\n", "line 7 (fixed)\n")

    assert merge_text(BASE, both, both) == both


def test_an_insertion_inside_a_replaced_block_is_a_conflict() -> None:
    ours = change(BASE, "line 4\n", "line 4\nteam\n")
    theirs = change(BASE, "line 3\nline 4\nline 5\n", "new block\n")

    assert merge_text(BASE, ours, theirs) is None
