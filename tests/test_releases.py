"""Releases: releases.yml is the source of truth, tags are made from it, versions agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from packaging.version import Version

import shipshape
from shipshape import releases
from shipshape.cli import main
from shipshape.errors import CheckFailed, ProjectError
from tests.releases_clone import REPO, git

CHANGELOG = (REPO / "CHANGELOG.md").read_text()


def test_the_manifest_holds_at_least_two_releases_of_this_repository() -> None:
    found = releases.load(REPO)
    assert len(found) >= 2
    for release in found:
        assert git(REPO, "cat-file", "-t", release.commit).strip() == "commit"
        git(REPO, "merge-base", "--is-ancestor", release.commit, "HEAD")


def test_every_release_has_a_changelog_section_with_an_upgrading_note() -> None:
    sections = releases.changelog_sections(REPO)
    for release in releases.load(REPO):
        assert release.version in sections, f"CHANGELOG.md has no ## {release.version}"
        assert "### Upgrading" in sections[release.version]


def test_the_generator_is_versioned_with_the_template() -> None:
    version = releases.package_version(REPO)
    newest = releases.load(REPO)[-1].version
    assert Version(version) >= Version(newest)
    assert version == next(iter(releases.changelog_sections(REPO))), (
        "the newest CHANGELOG.md section must be pyproject's version"
    )
    assert shipshape.__version__ == version


def test_every_migration_in_copier_yml_names_a_release_or_the_next_one() -> None:
    config = yaml.safe_load((REPO / "copier.yml").read_text())
    known = {release.version for release in releases.load(REPO)}
    known.add(releases.package_version(REPO))
    for migration in config["_migrations"]:
        assert migration["version"] in known
        script = migration["command"][1].replace("{{ _copier_conf.src_path }}/", "")
        assert (REPO / script).is_file(), script


# --- a template repository of our own ------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "template"
    root.mkdir()
    (root / "copier.yml").write_text("name:\n  type: str\n  default: app\n")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1.0.0"\n')
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## 1.0.0\n\n### Upgrading\n\nNothing.\n")
    (root / "releases.yml").write_text("# Released versions.\nreleases:\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    return root


def test_cut_records_head_commits_the_manifest_and_tags_it(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()

    assert main(["releases", "--template", str(repo), "cut", "1.0.0"]) == 0

    assert releases.load(repo) == [releases.Release("1.0.0", head, releases.load(repo)[0].date)]
    assert git(repo, "rev-parse", "v1.0.0^{commit}").strip() == head
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release 1.0.0"
    assert not git(repo, "status", "--porcelain").strip()


def test_cut_refuses_and_says_what_is_missing(repo: Path) -> None:
    with pytest.raises(CheckFailed) as error:
        releases.cut(repo, "1.1.0")

    message = str(error.value)
    assert "pyproject.toml has version 1.0.0: set it to 1.1.0" in message
    assert "no `## 1.1.0` section" in message
    assert releases.load(repo) == []


def test_tags_are_created_from_the_manifest_in_a_fresh_clone(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    releases.cut(repo, "1.0.0")
    git(tmp_path, "clone", "-q", str(repo), "clone")
    clone = tmp_path / "clone"
    git(clone, "tag", "-d", "v1.0.0")  # tags do not travel with this repository's main

    assert main(["releases", "--template", str(clone), "tag"]) == 0
    assert "created v1.0.0" in capsys.readouterr().out
    assert main(["releases", "--template", str(clone), "tag"]) == 0
    assert "every release tag exists already" in capsys.readouterr().out
    assert main(["releases", "--template", str(clone), "list"]) == 0
    assert "v1.0.0" in capsys.readouterr().out


def test_a_tag_at_another_commit_is_refused(repo: Path) -> None:
    releases.cut(repo, "1.0.0")
    git(repo, "tag", "-f", "v1.0.0", "HEAD")  # HEAD is the manifest commit, not the release

    with pytest.raises(ProjectError, match=r"tag v1\.0\.0 points at"):
        releases.ensure_tags(repo)


def test_a_malformed_manifest_is_named(repo: Path) -> None:
    (repo / "releases.yml").write_text("releases:\n  - version: one\n    commit: abc\n")

    with pytest.raises(ProjectError, match="'one' is not a PEP 440 version"):
        releases.load(repo)


def test_shipshape_new_takes_the_newest_release(repo: Path, tmp_path: Path) -> None:
    (repo / "template").mkdir()
    (repo / "copier.yml").write_text("_subdirectory: template\nname:\n  type: str\n  default: a\n")
    (repo / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n"
    )
    (repo / "template" / "VERSION").write_text("released\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template")
    releases.cut(repo, "1.0.0")
    git(repo, "tag", "-d", "v1.0.0")
    (repo / "template" / "VERSION").write_text("unreleased work\n")
    git(repo, "commit", "-q", "-am", "work in progress")

    assert main(["new", str(tmp_path / "app"), "--template", str(repo), "--defaults"]) == 0

    assert (tmp_path / "app" / "VERSION").read_text() == "released\n"
    assert "_commit: v1.0.0" in (tmp_path / "app" / ".copier-answers.yml").read_text()
