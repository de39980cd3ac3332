"""Template releases: the committed manifest (``releases.yml``) and the git tags made from it.

The repository's hosting keeps branch ``main`` only; tags made in one clone never reach the
next. ``releases.yml`` maps each released version to its commit, and :func:`ensure_tags`
creates the tag ``v<version>`` for each in a checkout, so that copier sees the releases
(``copier copy`` takes the newest one, ``copier update`` runs the migrations it crosses).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from shipshape.errors import CheckFailed, ProjectError, UsageError

#: The manifest, at the root of the template repository.
MANIFEST = "releases.yml"
CHANGELOG = "CHANGELOG.md"

_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Release:
    """One released version of the template."""

    version: str
    commit: str
    date: str

    @property
    def tag(self) -> str:
        """The git tag copier reads the version from."""
        return f"v{self.version}"


def load(root: Path) -> list[Release]:
    """The releases in ``root``'s manifest, oldest first (``[]`` when there is no manifest)."""
    path = root / MANIFEST
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: not valid YAML: {error}") from error
    entries = data.get("releases", []) if isinstance(data, dict) else None
    if entries is None and isinstance(data, dict):
        entries = []  # `releases:` with nothing under it yet
    if not isinstance(entries, list):
        raise ProjectError(f"{path}: expected a `releases:` list of version/commit/date entries")
    releases = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not {"version", "commit"} <= entry.keys():
            raise ProjectError(f"{path}: entry {index} needs a version and a commit")
        version, commit = str(entry["version"]), str(entry["commit"])
        try:
            Version(version)
        except InvalidVersion as error:
            raise ProjectError(
                f"{path}: entry {index}: version {version!r} is not a PEP 440 version "
                "(for example 1.2.0)"
            ) from error
        if not _SHA.match(commit):
            raise ProjectError(
                f"{path}: entry {index} ({version}): commit {commit!r} is not a full 40-character "
                "git commit id"
            )
        releases.append(Release(version, commit, str(entry.get("date", ""))))
    ordered = sorted(releases, key=lambda release: Version(release.version))
    if ordered != releases:
        raise ProjectError(f"{path}: releases must be listed oldest first")
    if len({release.version for release in releases}) != len(releases):
        raise ProjectError(f"{path}: a version is listed twice")
    return releases


def newest(root: Path) -> Release | None:
    """The newest release, or ``None`` when nothing was released."""
    releases = load(root)
    return releases[-1] if releases else None


def is_checkout(root: Path) -> bool:
    """Whether ``root`` is the top of a git work tree (or a bare clone) with a manifest."""
    if not (root / MANIFEST).is_file():
        return False
    top = _git(root, "rev-parse", "--show-toplevel", check=False)
    return top.returncode == 0 and Path(top.stdout.strip()).resolve() == root.resolve()


def ensure_tags(root: Path) -> list[str]:
    """Create the missing release tags in the checkout at ``root``; return the ones created.

    A tag that exists at another commit is an error: copier would render the wrong files.
    A release whose commit is not in this clone's history (a shallow clone) is skipped.
    """
    created = []
    for release in load(root):
        existing = _git(root, "rev-parse", "-q", "--verify", f"refs/tags/{release.tag}^{{commit}}")
        if existing.returncode == 0:
            if existing.stdout.strip() != release.commit:
                raise ProjectError(
                    f"{root}: tag {release.tag} points at {existing.stdout.strip()[:12]}, but "
                    f"{MANIFEST} says {release.commit[:12]}: delete the tag "
                    f"(git tag -d {release.tag}) and run `shipshape releases tag` again"
                )
            continue
        if _git(root, "cat-file", "-e", f"{release.commit}^{{commit}}").returncode != 0:
            continue  # not in this (shallow) clone
        made = _git(root, "tag", release.tag, release.commit)
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise ProjectError(f"{root}: cannot create tag {release.tag}: {made.stderr.strip()}")
        created.append(release.tag)
    return created


def package_version(root: Path) -> str:
    """The generator package's version in ``root/pyproject.toml`` (the template's version)."""
    with (root / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def changelog_sections(root: Path) -> dict[str, str]:
    """``CHANGELOG.md``'s release sections by version (``## 1.2.0 ...`` headings)."""
    path = root / CHANGELOG
    if not path.is_file():
        return {}
    sections: dict[str, str] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## \[?v?(?P<version>[0-9][^\]\s]*)", line)
        if heading:
            current = heading["version"]
            sections[current] = ""
        elif line.startswith("## "):
            current = None
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def problems(root: Path, version: str) -> list[str]:
    """What stops ``version`` from being released from ``root``'s HEAD (``[]``: nothing)."""
    found = []
    try:
        parsed = Version(version)
    except InvalidVersion:
        return [f"{version!r} is not a PEP 440 version (for example 1.2.0)"]
    latest = newest(root)
    if latest is not None and parsed <= Version(latest.version):
        found.append(f"{version} is not newer than the last release, {latest.version}")
    if package_version(root) != version:
        found.append(
            f"pyproject.toml has version {package_version(root)}: set it to {version} (the "
            "generator package is versioned with the template) and commit"
        )
    section = changelog_sections(root).get(version)
    if section is None:
        found.append(f"{CHANGELOG} has no `## {version}` section: describe the release")
    elif not re.search(r"^### Upgrading", section, re.MULTILINE):
        found.append(
            f"{CHANGELOG}'s {version} section has no `### Upgrading` note: say what changes "
            "for a generated project and what its team does"
        )
    manifest = _git(root, "status", "--porcelain", "--", MANIFEST)
    if manifest.stdout.strip():
        found.append(f"{MANIFEST} has uncommitted changes")
    return found


def cut(root: Path, version: str) -> Release:
    """Release HEAD as ``version``: record it in the manifest, commit that, tag HEAD.

    The release is the commit checked out now (it holds the CHANGELOG entry and the package
    version); the manifest entry is committed after it, on its own.
    """
    found = problems(root, version)
    if found:
        raise CheckFailed(f"cannot release {version}:\n  - " + "\n  - ".join(found))
    commit = _git(root, "rev-parse", "HEAD").stdout.strip()
    release = Release(version, commit, datetime.now(UTC).date().isoformat())
    path = root / MANIFEST
    before = path.read_text(encoding="utf-8")
    text = before if before.endswith("\n") else before + "\n"
    text += (
        f"  - version: {release.version}\n    commit: {release.commit}\n    date: {release.date}\n"
    )
    path.write_text(text, encoding="utf-8")
    load(root)  # the manifest still parses and stays ordered
    committed = _git(root, "commit", "-q", "-m", f"Release {version}", "--", MANIFEST)
    if committed.returncode != 0:
        path.write_text(before, encoding="utf-8")
        raise ProjectError(f"cannot commit {MANIFEST}: {committed.stderr.strip()}")
    ensure_tags(root)
    return release


def _git(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=check
        )
    except FileNotFoundError as error:
        raise UsageError("git is not installed: releases are git tags") from error
