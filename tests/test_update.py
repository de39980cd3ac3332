"""`shipshape update`: template upgrades arrive, the team's edits stay, conflicts are named."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shipshape.cli import main

REPO = Path(__file__).resolve().parents[1]

CONFIG_V1 = "".join(f"{key}: {value}\n" for value, key in enumerate("abcdefghijkl", 1))


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def has_markers(project: Path) -> bool:
    """Whether any file has a line opening a conflict, or is a .rej file."""
    return any(
        path.suffix == ".rej"
        or any(line.startswith("<<<<<<< ") for line in path.read_text(errors="replace").split("\n"))
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.parts
    )


@pytest.fixture
def tiny_template(tmp_path: Path) -> Path:
    """A one-question template in a git repo tagged v1.0.0."""
    root = tmp_path / "template-repo"
    (root / "template").mkdir(parents=True)
    (root / "copier.yml").write_text(
        "_subdirectory: template\nname:\n  type: str\n  help: Name\n  default: app\n"
    )
    (root / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n"
    )
    (root / "template" / "config.yaml.jinja").write_text("name: {{ name }}\n" + CONFIG_V1)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "v1", tag="v1.0.0")
    return root


def generate(template: Path, dst: Path, *args: str) -> Path:
    assert main(["new", str(dst), "--template", str(template), "--defaults", *args]) == 0
    git(dst, "init", "-q", "-b", "main")
    commit_all(dst, "Generated")
    return dst


def test_update_keeps_the_team_edit_and_brings_the_template_change(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = generate(tiny_template, tmp_path / "app")
    edit(project / "config.yaml", "b: 2", "b: 200")  # the team's edit, near the top
    commit_all(project, "Team edit")
    edit(tiny_template / "template" / "config.yaml.jinja", "k: 11", "k: 1100")  # near the end
    (tiny_template / "template" / "NEW.md").write_text("new in v2\n")
    commit_all(tiny_template, "v2", tag="v2.0.0")

    assert main(["update", str(project)]) == 0

    config = (project / "config.yaml").read_text()
    assert "b: 200" in config
    assert "k: 1100" in config
    assert (project / "NEW.md").read_text() == "new in v2\n"
    assert not has_markers(project)
    out = capsys.readouterr().out
    assert "v1.0.0 -> v2.0.0" in out
    assert "config.yaml" in out
    assert "NEW.md" in out
    assert "no conflicts" in out


def test_update_with_overlapping_edits_exits_1_and_names_the_conflicted_file(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = generate(tiny_template, tmp_path / "app")
    edit(project / "config.yaml", "f: 6", "f: team")
    commit_all(project, "Team edit")
    edit(tiny_template / "template" / "config.yaml.jinja", "f: 6", "f: template")
    commit_all(tiny_template, "v2", tag="v2.0.0")

    assert main(["update", str(project)]) == 1

    captured = capsys.readouterr()
    conflicted = captured.out.split("CONFLICTS")[1]
    assert "  config.yaml" in conflicted
    assert "Next steps" in conflicted
    assert "conflicts resolved" in captured.err
    config = (project / "config.yaml").read_text()
    assert "<<<<<<< before updating" in config
    assert "f: team" in config
    assert "f: template" in config


def test_update_with_nothing_new_says_up_to_date(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = generate(tiny_template, tmp_path / "app")
    assert main(["update", str(project)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_update_refuses_uncommitted_changes(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = generate(tiny_template, tmp_path / "app")
    edit(project / "config.yaml", "a: 1", "a: uncommitted")

    assert main(["update", str(project)]) == 2

    err = capsys.readouterr().err
    assert "uncommitted changes (config.yaml)" in err
    assert "commit or stash" in err
    assert "a: uncommitted" in (project / "config.yaml").read_text()


def test_update_refuses_a_project_outside_git(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "app"
    assert main(["new", str(project), "--template", str(tiny_template), "--defaults"]) == 0

    assert main(["update", str(project)]) == 2

    err = capsys.readouterr().err
    assert "not in a git repository" in err
    assert "git init" in err


def test_update_refuses_a_folder_that_is_not_a_generated_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["update", str(tmp_path)]) == 2
    assert "no .copier-answers.yml" in capsys.readouterr().err


def test_update_data_changes_an_answer(
    tiny_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = generate(tiny_template, tmp_path / "app", "-d", "name=first")
    edit(tiny_template / "template" / "config.yaml.jinja", "l: 12", "l: 13")
    commit_all(tiny_template, "v2", tag="v2.0.0")

    assert main(["update", str(project), "--defaults", "-d", "name=second"]) == 0

    config = (project / "config.yaml").read_text()
    assert config.startswith("name: second\n")
    assert "l: 13" in config


# --- the real template --------------------------------------------------------------------


def _ignore(directory: str, names: list[str]) -> set[str]:
    skipped = {".cache", ".git", ".venv", "demo-app", "my-app", "node_modules", "__pycache__"}
    return {name for name in names if name in skipped or name.endswith("_cache")}


@pytest.mark.slow
def test_update_of_a_project_from_the_real_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "shipshape"
    shutil.copytree(REPO, template, ignore=_ignore)
    git(template, "init", "-q", "-b", "main")
    commit_all(template, "shipshape v1", tag="v1.0.0")
    project = generate(template, tmp_path / "app", "--preset", "minimal")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOn-call: #ai-platform\n")  # the team's edit
    commit_all(project, "Team notes")
    (template / "template" / "UPGRADE-PROBE.md").write_text("Arrived with v2.\n")
    commit_all(template, "shipshape v2", tag="v2.0.0")

    assert main(["update", str(project)]) == 0

    assert readme.read_text().endswith("\nOn-call: #ai-platform\n")
    assert (project / "UPGRADE-PROBE.md").read_text() == "Arrived with v2.\n"
    assert not has_markers(project)
    assert "v1.0.0 -> v2.0.0" in capsys.readouterr().out

    # Now both sides change README's first line.
    commit_all(project, "Update to v2")
    lines = readme.read_text().splitlines(keepends=True)
    readme.write_text("# Our own title\n" + "".join(lines[1:]))
    commit_all(project, "Team title")
    source = template / "template" / "README.md.jinja"
    source_lines = source.read_text().splitlines(keepends=True)
    source.write_text("# {{ project_name }}, by the platform team\n" + "".join(source_lines[1:]))
    commit_all(template, "shipshape v3", tag="v3.0.0")

    assert main(["update", str(project)]) == 1

    out = capsys.readouterr().out
    assert "  README.md" in out.split("CONFLICTS")[1]
    text = readme.read_text()
    assert "# Our own title" in text
    assert "by the platform team" in text
    assert "<<<<<<< before updating" in text


@pytest.mark.slow
def test_changing_multi_tenant_on_update_rewrites_no_migration(tmp_path: Path) -> None:
    """An applied revision must stay as it was applied: no answer renders a migration."""
    template = tmp_path / "shipshape"
    shutil.copytree(REPO, template, ignore=_ignore)
    git(template, "init", "-q", "-b", "main")
    commit_all(template, "shipshape v1", tag="v1.0.0")
    project = generate(template, tmp_path / "app", "--preset", "minimal")
    (versions,) = (project / "src").glob("*/foundation/migrations/versions")
    before = {path.name: path.read_bytes() for path in versions.glob("*.py")}
    (template / "template" / "UPGRADE-PROBE.md").write_text("Arrived with v2.\n")
    commit_all(template, "shipshape v2", tag="v2.0.0")

    assert main(["update", str(project), "--defaults", "-d", "multi_tenant=false"]) == 0

    assert "multi_tenant: false" in (project / ".copier-answers.yml").read_text()
    assert (project / "UPGRADE-PROBE.md").is_file()
    assert {path.name: path.read_bytes() for path in versions.glob("*.py")} == before
