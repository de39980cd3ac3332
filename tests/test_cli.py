"""The `shipshape` CLI: new (non-interactive and interactive), usage errors, --version, demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import copier
import pexpect
import pytest
import yaml

from shipshape import __version__, demo
from shipshape.cli import main
from shipshape.template import locate

REPO = Path(__file__).resolve().parents[1]


def answers_of(project: Path) -> dict[str, object]:
    data = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


def preset(name: str) -> dict[str, object]:
    data = yaml.safe_load((REPO / "presets" / f"{name}.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_version_names_shipshape_and_copier(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert f"shipshape {__version__}" in out
    assert f"copier {copier.__version__}" in out


@pytest.mark.slow
def test_new_with_preset_and_defaults_renders_and_records_answers(tmp_path: Path) -> None:
    dst = tmp_path / "support-bot"

    # HEAD: the working tree; without --vcs-ref shipshape takes the newest release.
    assert main(["new", str(dst), "--preset", "standard", "--defaults", "--vcs-ref", "HEAD"]) == 0

    answers = answers_of(dst)
    for key, value in preset("standard").items():
        assert answers[key] == value
    assert answers["project_name"] == "Support Bot"  # derived from the folder name
    assert answers["_src_path"] == str(REPO)  # absolute, so later updates work


@pytest.mark.slow
def test_data_override_wins_over_preset(tmp_path: Path) -> None:
    dst = tmp_path / "app"
    assert preset("standard")["database"] == "postgres"

    code = main(
        [
            *("new", str(dst), "--preset", "standard", "--defaults", "--vcs-ref", "HEAD"),
            *("-d", "database=sqlite", "-d", "llm_providers=[openai, ollama]"),
            *("-d", "project_name=Data Wins"),
        ]
    )

    assert code == 0
    answers = answers_of(dst)
    assert answers["database"] == "sqlite"
    assert answers["llm_providers"] == ["openai", "ollama"]
    assert answers["project_name"] == "Data Wins"


@pytest.mark.slow
def test_data_keeps_string_answers_as_typed(tmp_path: Path) -> None:
    dst = tmp_path / "app"
    code = main(["new", str(dst), "--defaults", "--vcs-ref", "HEAD", "-d", "python_version=3.11"])
    assert code == 0
    assert answers_of(dst)["python_version"] == "3.11"


def test_malformed_data_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "app"

    assert main(["new", str(dst), "--defaults", "-d", "database"]) == 2

    err = capsys.readouterr().err
    assert "-d/--data" in err
    assert "'database' is not KEY=VALUE" in err
    assert not dst.exists()


def test_unknown_data_key_is_named_with_the_allowed_questions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", str(tmp_path / "app"), "--defaults", "-d", "databse=postgres"]) == 2
    err = capsys.readouterr().err
    assert "unknown question 'databse'" in err
    assert "database" in err.split("allowed:")[1]


def test_unknown_preset_lists_available_presets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "app"

    assert main(["new", str(dst), "--preset", "enterprise", "--defaults"]) == 2

    err = capsys.readouterr().err
    assert "unknown preset 'enterprise'" in err
    assert "minimal" in err
    assert "standard" in err
    assert not dst.exists()


@pytest.mark.slow
def test_invalid_answer_names_the_question_and_leaves_no_destination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "app"

    assert main(["new", str(dst), "--defaults", "-d", "project_slug=Not_A_Slug"]) == 2

    err = capsys.readouterr().err
    assert "project_slug" in err
    assert "Not_A_Slug" in err
    assert "Traceback" not in err
    assert not dst.exists()


@pytest.mark.slow
def test_invalid_choice_keeps_a_destination_the_user_already_had(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "mine"
    dst.mkdir()
    (dst / "notes.txt").write_text("keep me\n")

    assert main(["new", str(dst), "--defaults", "--force", "-d", "database=mysql"]) == 2

    assert "database" in capsys.readouterr().err
    assert (dst / "notes.txt").read_text() == "keep me\n"
    assert sorted(p.name for p in dst.iterdir()) == ["notes.txt"]


def test_without_a_terminal_new_asks_for_defaults(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shipshape", "new", str(tmp_path / "app"), "--preset", "minimal"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert "pass --defaults" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "app").exists()


def test_template_source_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO.parent)
    assert locate(REPO.name).src == str(REPO)
    assert locate(None, {"SHIPSHAPE_TEMPLATE": REPO.name}).src == str(REPO)
    assert locate(None, {}).src == str(REPO)  # the checkout the package is installed from
    assert locate("gh:org/template").src == "gh:org/template"  # URLs are passed through


def test_template_that_is_not_a_copier_template_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", str(tmp_path / "app"), "--defaults", "--template", str(tmp_path)]) == 2
    assert "not a copier template" in capsys.readouterr().err


@pytest.mark.slow
def test_interactive_new_picks_a_preset_with_arrow_keys_and_asks_the_rest(
    tmp_path: Path,
) -> None:
    questions = yaml.safe_load((REPO / "copier.yml").read_text())
    standard = preset("standard")
    # Copier shows each question's help; the preset answers some, the rest are asked in order.
    helps = {
        name: " ".join(spec["help"].split())[:30]
        for name, spec in questions.items()
        if isinstance(spec, dict) and "help" in spec and name not in standard
    }
    env = dict(os.environ, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", NO_COLOR="1")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "shipshape", "new", "pty-app", "--vcs-ref", "HEAD"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 250),
    )
    child.expect("Preset")
    child.expect("standard")  # listed with its For: line
    child.send("\x1b[B")  # arrow down: minimal (the default) -> standard
    child.send("\r")
    child.expect(re.escape(helps.pop("project_name")))
    child.send("\x15Pty Service\r")  # clear the suggested name, type ours
    asked = ["project_name"]
    while True:
        pending = list(helps)
        index = child.expect([*map(re.escape, helps.values()), pexpect.EOF])
        if index == len(pending):
            break
        for name in pending[: index + 1]:  # redraws of answered questions no longer match
            del helps[name]
        asked.append(pending[index])
        child.send("\r")  # accept the suggested default
    child.close()

    assert child.exitstatus == 0
    assert {"project_slug", "author_email"} <= set(asked)
    assert not set(asked) & set(standard)  # the preset's answers are not asked again
    answers = answers_of(tmp_path / "pty-app")
    assert answers["project_name"] == "Pty Service"
    assert answers["project_slug"] == "pty-service"
    assert answers["database"] == standard["database"]


# --- demo ---------------------------------------------------------------------------------


def test_choose_python_prefers_the_users_uv_python(tmp_path: Path) -> None:
    chosen = demo.choose_python("3.12", environ={"UV_PYTHON": "/opt/py/bin/python"}, home=tmp_path)
    assert chosen == ("/opt/py/bin/python", None)


def test_choose_python_uses_what_uv_finds(tmp_path: Path) -> None:
    version = "{}.{}".format(*sys.version_info[:2])
    path, note = demo.choose_python(version, environ={"PATH": os.environ["PATH"]}, home=tmp_path)
    assert note is None
    found = subprocess.run(
        [path, "-c", "import sys; print('{}.{}'.format(*sys.version_info[:2]))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == version


def test_choose_python_falls_back_to_pyenv_versions(tmp_path: Path) -> None:
    for patch in ("3.99.2", "3.99.10", "3.990.1"):
        python = tmp_path / ".pyenv" / "versions" / patch / "bin" / "python3.99"
        python.parent.mkdir(parents=True)
        python.write_text("#!/bin/sh\n")
        python.chmod(0o755)

    path, note = demo.choose_python("3.99", environ={"PATH": os.environ["PATH"]}, home=tmp_path)

    assert path == str(tmp_path / ".pyenv/versions/3.99.10/bin/python3.99")
    assert note is None


def test_choose_python_falls_back_to_the_running_interpreter_with_a_note(tmp_path: Path) -> None:
    path, note = demo.choose_python("3.98", environ={"PATH": os.environ["PATH"]}, home=tmp_path)
    assert path == sys.executable
    assert note is not None
    assert "3.98" in note
    assert "UV_PYTHON" in note


def test_demo_refuses_a_non_empty_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "demo-app"
    dst.mkdir()
    (dst / "mine.txt").write_text("mine\n")

    assert main(["demo", str(dst)]) == 2

    assert "--force" in capsys.readouterr().err
    assert [p.name for p in dst.iterdir()] == ["mine.txt"]


@pytest.mark.slow
@pytest.mark.skipif(
    not list(REPO.glob("template/src/**/*.py*")),
    reason="the generated service is not in the template yet",
)
def test_demo_generates_runs_and_talks_to_the_service(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shipshape", "demo", str(tmp_path / "demo-app")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "answer:" in result.stdout
    assert '"total_tokens"' in result.stdout
    assert "Demo finished" in result.stdout


def test_new_refuses_a_non_empty_folder_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dst = tmp_path / "app"
    dst.mkdir()
    (dst / "README.md").write_text("our project\n")

    assert main(["new", str(dst), "--defaults", "--vcs-ref", "HEAD"]) == 2

    err = capsys.readouterr().err
    assert "exists and is not empty" in err
    assert "--force" in err
    assert (dst / "README.md").read_text() == "our project\n"
    assert sorted(path.name for path in dst.iterdir()) == ["README.md"]
