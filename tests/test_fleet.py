"""``shipshape fleet``: many projects in one table or JSON document, fast."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from shipshape import check, fleet, releases
from shipshape.cli import main
from tests.conftest import REPO, render_project
from tests.test_check import KNOWN, fake_project


def test_discover_finds_projects_in_a_folder_or_a_list_file(tmp_path: Path) -> None:
    a = fake_project(tmp_path / "team-a" / "svc")
    b = fake_project(tmp_path / "b")
    (tmp_path / "b" / "nested").mkdir()  # inside a project: not searched
    (tmp_path / "empty").mkdir()
    assert fleet.discover(tmp_path) == [b, a]
    listing = tmp_path / "projects.txt"
    listing.write_text("# our services\nb\nteam-a/svc  # payments\n\n")
    assert fleet.discover(listing) == [b, a]


def test_fleet_table_and_json_over_a_hundred_projects_in_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(100):
        commit = KNOWN[index % len(KNOWN)].tag
        answers = {"project_name": f"Svc {index}", "monthly_budget_usd": 100 + index}
        if index % 10 == 0:
            answers["deploy_target"] = "kubernetes"  # with sqlite: against today's policy
        fake_project(tmp_path / f"svc-{index:03}", commit, **answers)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / ".copier-answers.yml").write_text("[not, a, mapping\n")

    started = time.perf_counter()
    code = main(["fleet", str(tmp_path)])
    elapsed = time.perf_counter() - started
    out = capsys.readouterr().out
    assert elapsed < 10, f"fleet over 100 projects took {elapsed:.1f} s"
    assert code == check.BEHIND | check.POLICY | 2
    assert "101 project(s): 50 behind, 10 with policy violations" in out
    assert "ERROR" in out
    assert "svc-000" in out

    assert main(["fleet", str(tmp_path), "--json", "--allow-behind"]) == check.POLICY | 2
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 101
    first = next(item for item in data if item["path"].endswith("svc-000"))
    assert first["violations"]
    assert first["release"] == KNOWN[0].version
    assert next(item for item in data if item["path"].endswith("broken"))["status"] == 2


def test_fleet_of_nothing_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["fleet", str(tmp_path)]) == 2


@pytest.mark.slow
def test_fleet_drift_renders_once_per_distinct_release_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    releases.ensure_tags(REPO)
    first = render_project(tmp_path / "fleet" / "a", preset="minimal", vcs_ref=KNOWN[-1].tag)
    second = render_project(tmp_path / "fleet" / "b", preset="minimal", vcs_ref=KNOWN[-1].tag)
    (second / "Makefile").write_text("# rewritten by hand\n")
    entries = fleet.run(fleet.discover(tmp_path / "fleet"), with_drift=True)
    assert [entry.report.drift if entry.report else None for entry in entries] == [
        [],
        ["modified: Makefile"],
    ]
    assert main(["fleet", str(tmp_path / "fleet"), "--drift"]) == check.DRIFT
    out = capsys.readouterr().out
    assert "1 file(s)" in out
    assert "clean" in out
    assert first.name in out
