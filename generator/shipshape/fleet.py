"""``shipshape fleet``: the :mod:`shipshape.check` report of many projects at once.

Fast by construction: policy checks evaluate copier's questions without rendering and are
cached per distinct answers; drift (``--drift``) renders the template once per distinct
(recorded version, answers) pair, so a fleet of similar projects costs a few renders.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipshape import check, project
from shipshape.errors import ProjectError, UsageError


@dataclass
class Entry:
    """One project of the fleet: its report, or why it could not be checked."""

    path: Path
    report: check.Report | None = None
    error: str | None = None

    @property
    def status(self) -> int:
        """The project's exit-code bits (errors count as 2, "cannot check")."""
        return 2 if self.error else (self.report.status if self.report else 0)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data."""
        if self.report is not None:
            return self.report.to_json()
        return {"path": str(self.path), "error": self.error, "status": self.status}


def discover(target: Path) -> list[Path]:
    """The projects under a folder (every folder holding an answers file, at any depth,
    not descending into a project), or the paths listed in a file (one a line, ``#``
    comments, relative paths relative to the list file)."""
    if target.is_file():
        found = []
        for raw in target.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                path = Path(line).expanduser()
                found.append(path if path.is_absolute() else target.parent / path)
        return found
    if not target.is_dir():
        raise UsageError(f"{target}: no such folder or list file")
    found = []
    stack = [target]
    while stack:
        folder = stack.pop()
        if (folder / project.ANSWERS_FILE).is_file():
            found.append(folder)
            continue
        try:
            children = sorted(folder.iterdir(), reverse=True)
        except OSError:
            continue
        stack.extend(
            child
            for child in children
            if child.is_dir() and not child.is_symlink() and child.name not in _SKIP
        )
    return sorted(found)


_SKIP = {".git", "node_modules", ".venv", "__pycache__", ".tox", ".mypy_cache"}


def run(paths: list[Path], *, template: str | None = None, with_drift: bool = False) -> list[Entry]:
    """Check every project in ``paths``."""
    entries = []
    with ExitStack() as stack:
        roots: dict[str | None, Path] = {}
        policies: dict[Path, check.Policy] = {}
        renders: dict[str, Path] = {}
        for path in paths:
            entry = Entry(path)
            entries.append(entry)
            try:
                answers = check.read_answers(path)
                src = answers.get("_src_path")
                src = src if isinstance(src, str) else None
                key = template or src
                if key not in roots:
                    roots[key] = check.template_root(src, template, stack)
                root = roots[key]
                if root not in policies:
                    policies[root] = stack.enter_context(check.Policy(root))
                entry.report = check.inspect(path, answers, root, policies[root])
                if with_drift:
                    check.fill_drift(entry.report, path, answers, root, stack, renders)
            except (ProjectError, UsageError) as error:
                entry.error = str(error)
    return entries


def status(entries: list[Entry]) -> int:
    """The fleet's exit code: the union of the projects' bits."""
    code = 0
    for entry in entries:
        code |= entry.status
    return code


def table(entries: list[Entry], *, with_drift: bool, base: Path | None = None) -> str:
    """A plain-text table, one project a line (paths relative to ``base``), then a summary."""
    headers = ["project", "release", "behind", "preset / key answers", "policy"]
    if with_drift:
        headers.append("drift")
    rows = []
    for entry in entries:
        report = entry.report
        if report is None:
            row = [_name(entry.path, base), "-", "-", f"ERROR: {entry.error}", "-"]
            rows.append(row + (["-"] if with_drift else []))
            continue
        release = report.release or f"? ({report.commit or 'no _commit'})"
        if report.unreleased_commits:
            release += f"+{report.unreleased_commits}"
        answers = report.answers
        kind = " ".join(
            str(part)
            for part in (
                report.preset or "custom",
                answers.get("database"),
                answers.get("deploy_target"),
                answers.get("auth"),
                ",".join(answers.get("llm_providers") or []),
                ("compliance=" + ",".join(answers["compliance"]))
                if answers.get("compliance")
                else "",
            )
            if part
        )
        policy = "ok" if not report.violations else _first(report.violations)
        row = [
            _name(entry.path, base),
            release,
            "?" if report.behind is None else str(report.behind),
            kind,
            policy,
        ]
        if with_drift:
            if report.drift_error:
                row.append("not checked")
            else:
                row.append(f"{len(report.drift)} file(s)" if report.drift else "clean")
        rows.append(row)
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    widths[3:] = [min(60, width) for width in widths[3:]]
    lines = [
        "  ".join(
            cell[:width].ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    reports = [entry.report for entry in entries if entry.report is not None]
    lines.append("")
    lines.append(
        f"{len(entries)} project(s): "
        f"{sum(1 for r in reports if r.behind)} behind, "
        f"{sum(1 for r in reports if r.violations)} with policy violations, "
        + (f"{sum(1 for r in reports if r.drift)} drifted, " if with_drift else "")
        + f"{sum(1 for e in entries if e.error)} not checkable"
        + ("" if with_drift else " (drift not checked: pass --drift)")
    )
    return "\n".join(lines)


def _first(violations: list[str]) -> str:
    more = f" (+{len(violations) - 1} more)" if len(violations) > 1 else ""
    return f"{violations[0].split(':', 1)[0]}{more}"


def _name(path: Path, base: Path | None) -> str:
    if base is not None and path.is_relative_to(base) and path != base:
        return path.relative_to(base).as_posix()
    return str(path)
