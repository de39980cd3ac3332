"""`shipshape presets list/show/validate`: every preset introduces itself, answers known
questions, passes copier.yml's validators and renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipshape import presets
from shipshape.cli import main

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(path.stem for path in (REPO / "presets").glob("*.yml"))

HEADER = "# Preset: custom\n#\n# For: a test of presets validate.\n"


def write_preset(tmp_path: Path, name: str, body: str, header: str = HEADER) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(header + body)
    return path


def test_list_shows_each_preset_with_its_for_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["minimal"] + [
        name for name in SHIPPED if name != "minimal"
    ]
    assert "(default)" in lines[0]
    for line in lines:
        assert "For: " in line
        assert line.split("For: ")[1].strip()


def test_summary_is_the_first_sentence_of_the_for_paragraph(tmp_path: Path) -> None:
    path = write_preset(
        tmp_path,
        "wrapped",
        "database: sqlite\n",
        header="# Preset: wrapped\n#\n# For: a team with a long,\n# wrapped sentence. More.\n",
    )
    assert presets.Preset("wrapped", path).summary == "a team with a long, wrapped sentence."


def test_show_prints_the_preset_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "standard"]) == 0
    assert capsys.readouterr().out == (REPO / "presets" / "standard.yml").read_text()


def test_show_unknown_preset_lists_the_available_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["presets", "show", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown preset 'nope'" in err
    assert "minimal" in err


@pytest.mark.slow
def test_validate_passes_every_shipped_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "validate"]) == 0

    out = capsys.readouterr().out
    for name in SHIPPED:
        assert f"OK    {REPO / 'presets' / name}.yml" in out
    assert "FAIL" not in out


def test_validate_fails_an_unknown_key_naming_it_and_the_allowed_questions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_preset(tmp_path, "typo", "databse: postgres\n")

    assert main(["presets", "validate", str(path)]) == 1

    out = capsys.readouterr().out
    assert f"FAIL  {path}: " in out
    assert "unknown question 'databse'" in out
    assert "database" in out.split("allowed:")[1]


@pytest.mark.slow
def test_validate_fails_a_bad_choice_naming_the_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_preset(tmp_path, "mysql", "database: mysql\n")

    assert main(["presets", "validate", str(path)]) == 1

    line = next(line for line in capsys.readouterr().out.splitlines() if "FAIL" in line)
    assert "'database'" in line
    assert "mysql" in line
    assert "sqlite" in line  # what is allowed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("monthly_budget_usd: abc\n", "monthly_budget_usd is 'abc': it must be a number"),
        ("monthly_budget_usd: .nan\n", "monthly_budget_usd is nan: it must be a number"),
        ("monthly_budget_usd: [1, 2]\n", "monthly_budget_usd is [1, 2]: it must be a number"),
        ("tracing: maybe\n", "tracing is 'maybe': it must be true or false"),
        ("multi_tenant: 1\n", "multi_tenant is 1: it must be true or false"),
    ],
)
def test_validate_fails_a_value_of_the_wrong_type_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: str
) -> None:
    path = write_preset(tmp_path, "typed", body)

    assert main(["presets", "validate", str(path)]) == 1

    line = next(line for line in capsys.readouterr().out.splitlines() if "FAIL" in line)
    assert expected in line


@pytest.mark.slow
def test_validate_fails_a_bad_slug_naming_the_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_preset(tmp_path, "slug", "project_slug: Bad_Slug\n")

    assert main(["presets", "validate", str(path)]) == 1

    line = next(line for line in capsys.readouterr().out.splitlines() if "FAIL" in line)
    assert "project_slug" in line
    assert "Bad_Slug" in line


def test_validate_fails_a_file_that_is_not_a_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_preset(tmp_path, "list", "- database\n- sqlite\n")
    assert main(["presets", "validate", str(path)]) == 1
    assert "must be a mapping of question: answer, not a list" in capsys.readouterr().out


def test_validate_fails_a_preset_without_a_for_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_preset(tmp_path, "silent", "database: sqlite\n", header="# Preset: silent\n")
    assert main(["presets", "validate", str(path)]) == 1
    assert "no '# For: ...' line" in capsys.readouterr().out


@pytest.mark.slow
def test_validate_reports_every_file_and_fails_when_any_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_preset(tmp_path, "good", "database: postgres\n")
    bad = write_preset(tmp_path, "bad", "llm_providers: [openai, skynet]\n")

    assert main(["presets", "validate", str(good), str(bad)]) == 1

    out = capsys.readouterr().out
    assert f"OK    {good}" in out
    assert f"FAIL  {bad}: " in out
    assert "llm_providers" in out
    assert "1 of 2 preset(s) valid" in out


def test_validate_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["presets", "validate", str(tmp_path / "absent.yml")]) == 2
    assert "absent.yml" in capsys.readouterr().err
