"""A clone of this repository as a user has it: full history, the working tree on top, tags
made from releases.yml, and the upcoming version (pyproject's, when not released yet) tagged at
HEAD, so that an update to HEAD runs the migrations labelled with that version."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from shipshape import releases

REPO = Path(__file__).resolve().parents[1]

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "shipshape tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "shipshape tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **GIT_IDENTITY},
    )
    assert result.returncode == 0, f"git {' '.join(args)} in {cwd}:\n{result.stderr}"
    return result.stdout


def clone_with_working_tree(dst: Path) -> Path:
    """Clone REPO into ``dst``, commit its working tree there, create the release tags."""
    git(dst.parent, "clone", "-q", "--no-checkout", str(REPO), dst.name)
    git(dst, "checkout", "-q", "HEAD")
    listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, dst / name
        if source.is_symlink() or not source.exists():
            if not source.exists() and target.exists():
                target.unlink()  # deleted in the working tree
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    if git(dst, "status", "--porcelain").strip():
        git(dst, "add", "-A")
        git(dst, "commit", "-q", "--no-verify", "-m", "Working tree")
    releases.ensure_tags(dst)
    upcoming = releases.package_version(dst)
    if upcoming not in {release.version for release in releases.load(dst)}:
        git(dst, "tag", f"v{upcoming}")
    return dst
