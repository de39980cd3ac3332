"""Migration 0.2.0: the team's own files moved into the ``product`` package.

Before 0.2.0 the team owned ``src/<package>/routes.py`` and ``tests/test_routes.py``; since
0.2.0 they are ``src/<package>/product/routes.py`` and ``tests/product/test_routes.py``, and
the platform modules left ``<package>.core`` for capability packages. copier deletes every file
the new template no longer has, edited or not, so without this step the team's routes would be
deleted by the update.

``--stage before`` (before copier merges): ``git mv`` each old team file to its new place
unless something is there already, so the merge sees the move as the team's own change and
the new template (which creates those files only when missing) keeps the team's content.

``--stage after``: in every Python file under ``src/`` and ``tests/`` (only the team's files
still name old modules by then), rewrite imports of modules that moved, and print each file
changed. Run ``make format`` afterwards if ruff asks to re-sort the imports.

Usage: ``python team_files.py --stage before|after --package PACKAGE`` in the project folder.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PREFIX = "migration 0.2.0 (team files):"

#: Team-owned files that moved: old path -> new path (``{package}`` is the package name).
MOVES = {
    "src/{package}/routes.py": "src/{package}/product/routes.py",
    "tests/test_routes.py": "tests/product/test_routes.py",
}

#: Modules that moved in 0.2.0: old dotted name (under the package) -> new one.
MODULES = {
    "routes": "product.routes",
    "core.app": "app",
    "core.admin": "admin",
    "core.settings": "foundation.settings",
    "core.database": "foundation.database",
    "core.errors": "foundation.errors",
    "core.configfile": "foundation.configfile",
    "core.api": "chat.api",
    "core.pipeline": "chat.pipeline",
    "core.schemas": "chat.schemas",
    "core.record": "chat.record",
    "core.models": "chat.models",
    "core.catalog": "gateway.catalog",
    "core.gateway": "gateway.router",
    "core.providers": "gateway.providers",
    "core.breaker": "gateway.breaker",
    "core.cache": "gateway.cache",
    "core.access": "identity.access",
    "core.auth": "identity.auth",
    "core.principal": "identity.principal",
    "core.prompts": "features.prompts",
    "core.flags": "features.flags",
    "core.evals": "evals",
}


def move(project: Path, package: str) -> list[str]:
    """Move the team's files to their new paths; return what was done, one line each."""
    done = []
    for old_pattern, new_pattern in MOVES.items():
        old, new = old_pattern.format(package=package), new_pattern.format(package=package)
        if not (project / old).is_file():
            continue
        if (project / new).exists():
            done.append(f"{old} stays: {new} exists already (merge them by hand)")
            continue
        (project / new).parent.mkdir(parents=True, exist_ok=True)
        moved = subprocess.run(
            ["git", "mv", old, new], cwd=project, capture_output=True, text=True, check=False
        )
        if moved.returncode != 0:  # not tracked by git: move it as a plain file
            (project / old).rename(project / new)
        done.append(f"moved {old} to {new}")
    return done


def rewrite(text: str, package: str) -> str:
    """``text`` with imports of moved modules renamed."""
    names = "|".join(re.escape(name) for name in sorted(MODULES, key=len, reverse=True))
    pattern = re.compile(rf"\b{re.escape(package)}\.({names})\b(?![\w])")
    text = pattern.sub(lambda match: f"{package}.{MODULES[match[1]]}", text)
    # `from package import routes` -> `from package.product import routes`
    return re.sub(
        rf"^(\s*)from {re.escape(package)} import routes\b",
        rf"\1from {package}.product import routes",
        text,
        flags=re.MULTILINE,
    )


def rewrite_imports(project: Path, package: str) -> list[str]:
    """Rewrite moved-module imports in ``src/`` and ``tests/``; return the files changed."""
    changed = []
    for folder in ("src", "tests"):
        for path in sorted((project / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            new = rewrite(text, package)
            if new != text:
                path.write_text(new, encoding="utf-8")
                changed.append(str(path.relative_to(project)))
    return changed


def recorded_package(project: Path) -> str:
    """``package_name`` from the answers file (copier renders no answers into ``before``)."""
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8") if answers.is_file() else ""
    match = re.search(r"^package_name:\s*['\"]?([A-Za-z0-9_]+)", text, re.MULTILINE)
    return match[1] if match else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["before", "after"], required=True)
    parser.add_argument("--package", default="", help="package_name (default: the answers')")
    parser.add_argument("--project", type=Path, default=Path(), help="project folder (.)")
    args = parser.parse_args(argv)
    package = args.package or recorded_package(args.project)
    if not package:
        print(f"{PREFIX} no package_name in .copier-answers.yml; nothing done", file=sys.stderr)
        return 0
    if args.stage == "before":
        lines = move(args.project, package) or ["no team file at an old path"]
    else:
        changed = rewrite_imports(args.project, package)
        lines = [f"imports of moved modules rewritten in {name}" for name in changed] or [
            "no import of a moved module left"
        ]
    for line in lines:
        print(f"{PREFIX} {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
