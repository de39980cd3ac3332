"""The copier migration scripts (generator/shipshape/migrations/), each on its own, run as
copier runs them: a script, in the project folder. tests/test_update_releases.py runs them
inside real updates."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shipshape.migrations import env_settings, sqlite_path, team_files
from tests.releases_clone import REPO, git

SCRIPTS = REPO / "generator" / "shipshape" / "migrations"


def script(project: Path, name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def database(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("create table interactions (id integer primary key)")
        connection.executemany("insert into interactions values (?)", [(n,) for n in range(rows)])


def rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("select count(*) from interactions").fetchone()[0])


# --- SQLite file ---------------------------------------------------------------------------


def test_the_old_database_file_moves_to_the_new_default(tmp_path: Path) -> None:
    database(tmp_path / "var" / "shop.db", rows=3)
    (tmp_path / "var" / "shop.db-wal").write_bytes(b"")

    said = script(tmp_path, "sqlite_path.py", "--package=shop")

    assert rows(tmp_path / "var" / "app.db") == 3
    assert (tmp_path / "var" / "app.db-wal").exists()
    assert not (tmp_path / "var" / "shop.db").exists()
    assert "moved var/shop.db, var/shop.db-wal to var/app.db" in said


def test_a_database_url_in_env_leaves_everything_in_place(tmp_path: Path) -> None:
    database(tmp_path / "var" / "shop.db", rows=2)
    (tmp_path / ".env").write_text("APP_ENV=development\nDATABASE_URL=sqlite:///./var/shop.db\n")

    said = sqlite_path.migrate(tmp_path, "shop")

    assert rows(tmp_path / "var" / "shop.db") == 2
    assert not (tmp_path / "var" / "app.db").exists()
    assert "DATABASE_URL=sqlite:///./var/shop.db" in said
    assert "Nothing moved" in said


def test_both_files_present_touches_nothing_and_says_how_to_choose(tmp_path: Path) -> None:
    database(tmp_path / "var" / "shop.db", rows=5)
    database(tmp_path / "var" / "app.db", rows=0)

    said = sqlite_path.migrate(tmp_path, "shop")

    assert rows(tmp_path / "var" / "shop.db") == 5
    assert rows(tmp_path / "var" / "app.db") == 0
    assert "WARNING" in said
    assert "DATABASE_URL=sqlite:///./var/shop.db" in said


def test_no_old_file_and_a_second_run_do_nothing(tmp_path: Path) -> None:
    database(tmp_path / "var" / "shop.db", rows=1)
    sqlite_path.migrate(tmp_path, "shop")

    said = sqlite_path.migrate(tmp_path, "shop")

    assert "Nothing to do" in said
    assert rows(tmp_path / "var" / "app.db") == 1


# --- .env settings -------------------------------------------------------------------------

EXAMPLE = """\
# The environment.
APP_ENV=development
DATABASE_URL=sqlite:///./var/app.db
# A bearer key for development.
DEV_API_KEY=sk-dev-only-change-me
# OPENAI_API_KEY=sk-...
CACHE_TTL_S=3600
"""


def test_settings_the_team_env_lacks_are_appended_with_a_comment(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    team = "APP_ENV=development\nDATABASE_URL=postgresql+psycopg://team/db\n# CACHE_TTL_S=60\n"
    (tmp_path / ".env").write_text(team)

    said = script(tmp_path, "env_settings.py", "--release=0.2.0")

    text = (tmp_path / ".env").read_text()
    assert text.startswith(team), "the team's lines changed"
    added = text[len(team) :]
    assert "# Added by the shipshape 0.2.0 update" in added
    assert "DEV_API_KEY=sk-dev-only-change-me\n" in added
    assert "DATABASE_URL" not in added
    assert "CACHE_TTL_S" not in added, "a setting the team commented out came back"
    assert "OPENAI_API_KEY" not in added, "a commented-out example was added"
    assert "appended DEV_API_KEY to .env" in said
    assert "Nothing to do" in env_settings.migrate(tmp_path, "0.2.0")


def test_no_env_file_is_left_for_make_dev_to_create(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)

    assert "no .env here" in env_settings.migrate(tmp_path, "0.2.0")
    assert not (tmp_path / ".env").exists()


# --- team files ----------------------------------------------------------------------------


@pytest.fixture
def old_project(tmp_path: Path) -> Path:
    """A project laid out as before 0.2.0, committed in git."""
    (tmp_path / ".copier-answers.yml").write_text(yaml.safe_dump({"package_name": "shop"}))
    (tmp_path / "src" / "shop").mkdir(parents=True)
    (tmp_path / "src" / "shop" / "routes.py").write_text("router = 1  # the team's route\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_routes.py").write_text(
        "from shop import routes\nfrom shop.core.app import create_app\n"
        "from shop.core.settings import Settings\n"
    )
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "old layout")
    return tmp_path


def test_team_files_move_with_git_before_the_update(old_project: Path) -> None:
    said = script(old_project, "team_files.py", "--stage=before")

    assert (old_project / "src/shop/product/routes.py").read_text() == (
        "router = 1  # the team's route\n"
    )
    assert (old_project / "tests/product/test_routes.py").is_file()
    assert not (old_project / "src/shop/routes.py").exists()
    staged = git(old_project, "diff", "--cached", "--name-status", "-M")
    assert "src/shop/routes.py\tsrc/shop/product/routes.py" in staged
    assert "moved src/shop/routes.py to src/shop/product/routes.py" in said


def test_a_file_already_at_the_new_place_is_not_overwritten(old_project: Path) -> None:
    (old_project / "src/shop/product").mkdir()
    (old_project / "src/shop/product/routes.py").write_text("new = 1\n")

    said = script(old_project, "team_files.py", "--stage=before", "--package=shop")

    assert (old_project / "src/shop/product/routes.py").read_text() == "new = 1\n"
    assert (old_project / "src/shop/routes.py").is_file()
    assert "merge them by hand" in said


def test_imports_of_moved_modules_are_rewritten_after_the_update(old_project: Path) -> None:
    team_files.move(old_project, "shop")

    said = script(old_project, "team_files.py", "--stage=after", "--package=shop")

    assert (old_project / "tests/product/test_routes.py").read_text() == (
        "from shop.product import routes\nfrom shop.app import create_app\n"
        "from shop.foundation.settings import Settings\n"
    )
    assert "rewritten in tests/product/test_routes.py" in said
    assert team_files.rewrite_imports(old_project, "shop") == []  # a second run changes nothing


def test_rewrite_keeps_names_that_only_start_like_a_moved_module() -> None:
    text = "import shop.core.apps\nimport shop.routes_extra\nimport shop.core.providers.fake\n"

    assert team_files.rewrite(text, "shop") == (
        "import shop.core.apps\nimport shop.routes_extra\nimport shop.gateway.providers.fake\n"
    )
