"""``shipshape check``: release, policy and drift of one generated project, with exit bits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shipshape import check, releases
from shipshape.cli import main
from tests.conftest import REPO, load_preset, render_project

KNOWN = releases.load(REPO)
NEWEST = KNOWN[-1]


def fake_project(path: Path, commit: str | None = None, **answers: Any) -> Path:
    """A folder holding only an answers file (enough for release and policy checks)."""
    data: dict[str, Any] = {"_src_path": str(REPO), "project_name": "Demo App"}
    data["_commit"] = commit if commit is not None else NEWEST.tag
    data.update(load_preset("minimal"))
    data.update(answers)
    path.mkdir(parents=True, exist_ok=True)
    (path / ".copier-answers.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("commit", "expected"),
    [
        ("v0.1.0", ("0.1.0", 0)),
        ("v0.2.0-3-gabc1234", ("0.2.0", 3)),
        (KNOWN[0].commit[:12], ("0.1.0", 0)),
        ("v9.9.9", (None, 0)),
        ("deadbeef", (None, 0)),
        (None, (None, 0)),
    ],
)
def test_the_recorded_commit_is_matched_against_the_manifest(
    commit: str | None, expected: tuple[str | None, int]
) -> None:
    assert check.match_release(commit, KNOWN) == expected


def test_behind_counts_the_newer_releases() -> None:
    assert check.behind_by(KNOWN[0].version, KNOWN) == len(KNOWN) - 1
    assert check.behind_by(NEWEST.version, KNOWN) == 0
    assert check.behind_by(None, KNOWN) is None


def test_todays_validators_pass_a_preset_and_report_every_failing_answer() -> None:
    with check.Policy(REPO) as policy:
        assert policy.check(load_preset("standard") | {"project_name": "X"}) == ([], [])
        bad = load_preset("minimal") | {
            "project_name": "X",
            "deploy_target": "kubernetes",
            "compliance": ["hipaa"],
            "llm_providers": ["gemini"],
            "database": "oracle",
            "retired_question": 1,
        }
        violations, unknown = policy.check(bad)
    text = "\n".join(violations)
    assert "hipaa" in text
    assert "gemini" in text
    assert "deploy_target=kubernetes needs database=postgres" in text
    assert "database" in text
    assert "oracle" in text
    assert unknown == ["retired_question"]


def test_check_without_drift_reports_release_behind_and_policy_bits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = fake_project(tmp_path / "old", KNOWN[0].tag)
    assert main(["check", str(old), "--no-drift"]) == check.BEHIND
    out = capsys.readouterr().out
    assert f"release   {KNOWN[0].version}" in out
    assert "release(s) behind" in out
    assert main(["check", str(old), "--no-drift", "--allow-behind"]) == 0
    capsys.readouterr()

    bad = fake_project(tmp_path / "bad", deploy_target="kubernetes")
    assert main(["check", str(bad), "--no-drift", "--json"]) == check.POLICY
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == check.POLICY
    assert report["release"] == NEWEST.version
    assert report["behind"] == 0
    assert report["answers"]["deploy_target"] == "kubernetes"
    assert any("deploy_target" in violation for violation in report["violations"])
    assert report["drift"] is None


def test_check_refuses_a_folder_that_is_not_a_generated_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert ".copier-answers.yml" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing")]) == 2


def test_drift_lists_changed_and_deleted_template_files_only(tmp_path: Path) -> None:
    rendered = tmp_path / "render"
    (rendered / "src" / "app" / "product").mkdir(parents=True)
    (rendered / "Makefile").write_text("a\n")
    (rendered / "Dockerfile").write_text("b\n")
    (rendered / "README.md").write_text("c\n")
    (rendered / "src" / "app" / "product" / "routes.py").write_text("d\n")
    (rendered / ".env").write_text("e\n")
    team = tmp_path / "team"
    (team / "src" / "app" / "product").mkdir(parents=True)
    (team / "Makefile").write_text("a\n# mine\n")
    (team / "README.md").write_text("c\n")
    (team / "src" / "app" / "product" / "routes.py").write_text("edited\n")
    (team / "mine.py").write_text("new\n")
    found = check.drift(team, rendered, ["src/app/product/routes.py"])
    assert found == ["deleted: Dockerfile", "modified: Makefile"]


@pytest.mark.slow
def test_a_fresh_project_is_clean_and_hand_edits_are_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    releases.ensure_tags(REPO)
    project = render_project(tmp_path / "app", preset="minimal", vcs_ref=NEWEST.tag)
    assert main(["check", str(project)]) == 0
    assert "up to date and clean" in capsys.readouterr().out

    (project / "Makefile").write_text((project / "Makefile").read_text() + "# mine\n")
    (project / "Dockerfile").unlink()
    routes = next(project.glob("src/*/product/routes.py"))
    routes.write_text(routes.read_text() + "# team-owned: not drift\n")
    (project / ".env").write_text("LOCAL=1\n")
    (project / "var").mkdir(exist_ok=True)
    (project / "var" / "app.db").write_bytes(b"data")
    (project / "notes.md").write_text("the team's own file\n")
    assert main(["check", str(project), "--json"]) == check.DRIFT
    report = json.loads(capsys.readouterr().out)
    assert report["drift"] == ["deleted: Dockerfile", "modified: Makefile"]


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_generated_ci_runs_check_and_renovate_updates_the_template(tmp_path: Path, ci: str) -> None:
    project = render_project(tmp_path / "app", {"ci_provider": ci}, preset="minimal")
    if ci == "github":
        workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
        script = workflow["jobs"]["template"]["steps"][-1]["run"]
        renovate = json.loads((project / ".github" / "renovate.json").read_text())
        assert renovate["enabledManagers"] == ["copier"]  # Dependabot does the rest
    else:
        pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
        script = "\n".join(pipeline["template-check"]["script"])
        renovate = json.loads((project / "renovate.json").read_text())
    assert "uv tool install" in script
    assert "check --allow-behind" in script
    assert "local path, not reachable from CI" in script
    copier_rules = [r for r in renovate["packageRules"] if r["matchManagers"] == ["copier"]]
    assert copier_rules
    assert renovate["ignoreScripts"] is False
