"""Update tests from the last releases (releases.yml): a team's project generated at a release,
with the edits and data a team makes, updated to HEAD with `shipshape update`.

Each case renders a preset at a release, applies scripted team edits (a route, a test, a
dependency added the way `uv add` does, README notes, a models.yaml tweak, a new prompt version
where the release has prompts) and creates data through the service in its SQLite database,
updates to HEAD and asserts: no edit lost, no conflict where lines did not overlap, the data
reachable by the updated service after `migrate`. The default preset also runs the updated
project's lint, type check and tests (the expensive part); the other presets stop at ruff.

HEAD here is the working tree, committed in a clone (tests/releases_clone.py); an unreleased
version in pyproject.toml is tagged there, so its migrations run as they will once released.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from shipshape import presets, releases
from shipshape.cli import main
from tests.releases_clone import GIT_IDENTITY, REPO, clone_with_working_tree, git

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
LAST = releases.load(REPO)[-3:]


def release_presets(release: releases.Release) -> list[str]:
    listed = git(REPO, "ls-tree", "--name-only", release.commit, "presets/")
    return sorted(Path(name).stem for name in listed.split() if name.endswith(".yml"))


CASES = [
    pytest.param(release, preset, id=f"{release.tag}-{preset}")
    for release in LAST
    for preset in release_presets(release)
]


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_with_working_tree(tmp_path_factory.mktemp("template") / "shipshape")


def env_for(project: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_", "APP_", "DATABASE_", "VIRTUAL_ENV"))
    }
    env.update(GIT_IDENTITY)
    env["PYTHONPATH"] = str(project / "src")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(project: Path, *command: str, timeout: int = 600) -> str:
    result = subprocess.run(
        command,
        cwd=project,
        env=env_for(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed in {project}:\n{output[-6000:]}"
    return output


def python(project: Path, code: str) -> str:
    return run(project, str(BIN / "python"), "-c", code)


# --- the team ------------------------------------------------------------------------------


class Team:
    """The edits a team makes to its project, and the checks that they survived."""

    ROUTE = (
        '\n\n@router.get("/team/hello")\n'
        "def hello() -> dict[str, str]:\n"
        '    """Greets the team (added by the team)."""\n'
        '    return {"hello": "team"}\n'
    )
    README = "\n## Team notes\n\nOn-call: #ai-platform. Owner: the support squad.\n"
    DEPENDENCY = '  "python-dateutil>=2.9",\n'
    MODEL = "timeout_s: 45  # the team's pick"

    def __init__(self, project: Path, package: str) -> None:
        self.project = project
        self.package = package
        self.new_prompt = False

    @property
    def product(self) -> bool:
        return (self.project / "src" / self.package / "product").is_dir()

    def routes(self) -> Path:
        folder = self.project / "src" / self.package
        return folder / "product" / "routes.py" if self.product else folder / "routes.py"

    def edit(self) -> None:
        """A route, its test, a dependency, README notes, a model setting, a prompt version.

        The models.yaml edit sits next to the price lines 0.2.0 moved out of that file.
        """
        routes = self.routes()
        routes.write_text(routes.read_text() + self.ROUTE)
        module = f"{self.package}.product.routes" if self.product else f"{self.package}.routes"
        test_dir = self.project / "tests" / ("product" if self.product else "")
        (test_dir / "test_team_hello.py").write_text(
            '"""The team\'s own test."""\n\n'
            f"from {module} import hello, router\n\n\n"
            "def test_hello_greets_the_team() -> None:\n"
            '    assert hello() == {"hello": "team"}\n'
            '    assert "/team/hello" in {getattr(route, "path", "") for route in router.routes}\n'
        )
        pyproject = self.project / "pyproject.toml"
        text = pyproject.read_text()
        # Where `uv add python-dateutil` puts it: in alphabetical order among the dependencies.
        block = re.search(r"^dependencies = \[\n(.*?)^\]", text, re.MULTILINE | re.DOTALL)
        assert block is not None
        lines = block[1].splitlines(keepends=True)
        index = next((i for i, line in enumerate(lines) if line > self.DEPENDENCY), len(lines))
        lines.insert(index, self.DEPENDENCY)
        pyproject.write_text(text[: block.start(1)] + "".join(lines) + text[block.end(1) :])
        readme = self.project / "README.md"
        readme.write_text(readme.read_text() + self.README)
        models = self.project / "config" / "models.yaml"
        models.write_text(models.read_text().replace("timeout_s: 30", self.MODEL, 1))
        prompts = self.project / "prompts"
        # A release without versioned prompts gets no new version (nothing to keep).
        self.new_prompt = (prompts / "chat.v2.yaml").is_file()
        if self.new_prompt:
            (prompts / "chat.v3.yaml").write_text(
                (prompts / "chat.v2.yaml").read_text().replace("version: 2", "version: 3")
            )
            if (prompts / "prompts.lock").is_file():  # as the template's docs ask
                self.cli("prompts", "lock")

    def cli(self, *args: str) -> str:
        """The project's own command line (``python -m <package>``)."""
        code = f"import runpy, sys; sys.argv = ['{self.package}', *{list(args)!r}]; "
        return python(
            self.project, code + f"runpy.run_module('{self.package}', run_name='__main__')"
        )

    def create_data(self) -> None:
        """Migrate the default SQLite database and answer a chat request through the service."""
        makefile = (self.project / "Makefile").read_text()
        if "\n.env:" in makefile and not (self.project / ".env").exists():
            (self.project / ".env").write_text((self.project / ".env.example").read_text())
        self.cli("migrate")
        app = "core.app" if (self.project / "src" / self.package / "core").is_dir() else "app"
        settings = (
            "core.settings"
            if (self.project / "src" / self.package / "core").is_dir()
            else "foundation.settings"
        )
        python(
            self.project,
            "from fastapi.testclient import TestClient\n"
            f"from {self.package}.{app} import create_app\n"
            f"from {self.package}.{settings} import Settings\n"
            "with TestClient(create_app(Settings())) as client:\n"
            "    response = client.post('/v1/chat/completions', headers={'Authorization': "
            "'Bearer sk-dev-only-change-me'}, json={'model': 'fast', 'messages': "
            "[{'role': 'user', 'content': 'remember the team data'}]})\n"
            "    assert response.status_code == 200, response.text\n",
        )

    def assert_kept(self) -> None:
        routes = self.project / "src" / self.package / "product" / "routes.py"
        assert self.ROUTE.strip() in routes.read_text(), "the team's route was lost"
        test = self.project / "tests" / "product" / "test_team_hello.py"
        if not test.is_file():
            test = self.project / "tests" / "test_team_hello.py"
        assert "def test_hello_greets_the_team" in test.read_text()
        assert self.DEPENDENCY in (self.project / "pyproject.toml").read_text()
        assert (self.project / "README.md").read_text().endswith(self.README)
        assert self.MODEL in (self.project / "config" / "models.yaml").read_text()
        if self.new_prompt:
            assert (self.project / "prompts" / "chat.v3.yaml").is_file(), "the team's prompt"

    def assert_data_reachable(self) -> None:
        self.cli("migrate")
        out = python(
            self.project,
            "import sqlalchemy as sa\n"
            f"from {self.package}.foundation.settings import Settings\n"
            "engine = sa.create_engine(Settings().database_url)\n"
            "with engine.connect() as connection:\n"
            "    query = sa.select(sa.func.count()).select_from(sa.table('interactions'))\n"
            "    print(connection.execute(query).scalar())\n",
        )
        assert int(out.strip().splitlines()[-1]) >= 1, "the team's data is not reachable"


def conflicted(project: Path) -> list[str]:
    found = []
    for path in project.rglob("*"):
        if ".git" in path.parts or ".venv" in path.parts or not path.is_file():
            continue
        if path.suffix == ".rej":
            found.append(str(path.relative_to(project)))
            continue
        lines = path.read_text(errors="replace").splitlines()
        if any(line.startswith("<<<<<<< ") for line in lines):
            found.append(str(path.relative_to(project)))
    return found


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "--no-verify", "-m", message)


@pytest.mark.parametrize(("release", "preset"), CASES)
def test_update_from_a_release_keeps_the_teams_edits_and_data(
    release: releases.Release,
    preset: str,
    template_clone: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = tmp_path / "team-app"
    answers_file = tmp_path / "preset.yml"
    answers_file.write_text(git(template_clone, "show", f"{release.commit}:presets/{preset}.yml"))
    answers = yaml.safe_load(answers_file.read_text()) or {}
    assert (
        main(
            [
                "new",
                str(project),
                "--template",
                str(template_clone),
                "--vcs-ref",
                release.tag,
                "--preset",
                str(answers_file),
                "--defaults",
                "-d",
                "project_name=Team App",
            ]
        )
        == 0
    )
    assert f"_commit: {release.tag}" in (project / ".copier-answers.yml").read_text()
    git(project, "init", "-q", "-b", "main")
    commit(project, "Generated")
    package = str(yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"])
    team = Team(project, package)
    team.edit()
    sqlite = answers.get("database", "sqlite") == "sqlite"
    if sqlite:
        team.create_data()
    commit(project, "Team edits")
    capsys.readouterr()

    started = time.perf_counter()
    code = main(["update", str(project), "--vcs-ref", "HEAD", "--defaults"])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    print(f"update {release.tag} {preset}: {elapsed:.1f} s")

    assert code == 0, f"update failed:\n{out}\n{err}"
    assert not conflicted(project), f"conflicts where lines did not overlap:\n{out}"
    team.assert_kept()
    if sqlite:
        team.assert_data_reachable()
    run(project, str(BIN / "ruff"), "check", "--no-cache", ".")
    if preset != presets.DEFAULT:
        return
    run(project, str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    run(project, str(BIN / "python"), "-m", "mypy", "--strict")
    run(project, str(BIN / "python"), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider")
