"""The docs cannot drift from copier.yml and from the real command-line interfaces.

* docs/options.md has one ``## <question>`` section per asked question of copier.yml, no other
  section, and the type, choices and default it states are the ones copier.yml declares.
* Every ``shipshape ...`` and ``copier ...`` command written in code in docs/*.md or README.md
  names subcommands and flags that the installed CLI offers (read from its ``--help``).
* Every shipshape subcommand the CLI offers is documented somewhere.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
OPTIONS_MD = DOCS / "options.md"
# Derived values: never asked, so not documented as options.
DERIVED = {
    "python_keywords",
    "stdlib_modules",
    "dependency_modules",
    "hipaa_baa_providers",
    "compliance_defaults",
}
# Pages every user journey step needs (README's documentation table links them).
PAGES = ("quickstart", "options", "updating", "presets", "benchmarks")


# ---------------------------------------------------------------------------------------------
# copier.yml and docs/options.md
# ---------------------------------------------------------------------------------------------


@cache
def asked_questions() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    questions: dict[str, dict[str, Any]] = {}
    for name, spec in data.items():
        if name.startswith("_"):
            continue
        spec_dict = spec if isinstance(spec, dict) else {"default": spec}
        if spec_dict.get("when") is False:
            continue
        questions[name] = spec_dict
    return questions


@cache
def option_sections() -> dict[str, str]:
    """Map each ``## name`` heading of docs/options.md to the text below it."""
    sections: dict[str, str] = {}
    current: str | None = None
    for line in OPTIONS_MD.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (.+?)\s*$", line)
        if heading:
            current = heading.group(1).strip().strip("`")
            sections[current] = ""
        elif line.startswith("# "):
            current = None
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def documented_option_names() -> list[str]:
    """Section names that document a question (other ``##`` sections hold general notes)."""
    return [name for name in option_sections() if re.fullmatch(r"[a-z][a-z0-9_]*", name)]


def field(section: str, label: str) -> str | None:
    """The text of a ``- **Label:** ...`` item (with its indented continuation lines), or None."""
    match = re.search(rf"^- \*\*{label}:\*\*(.*(?:\n  .*)*)", section, re.M)
    return " ".join(match.group(1).split()) if match else None


def code_values(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def choice_values(spec: dict[str, Any]) -> list[str]:
    choices = spec.get("choices")
    if isinstance(choices, dict):
        return [str(value) for value in choices.values()]
    if isinstance(choices, list):
        return [str(value) for value in choices]
    return []


def test_every_asked_question_has_a_section_in_options_md() -> None:
    missing = [name for name in asked_questions() if name not in option_sections()]
    assert not missing, f"docs/options.md lacks `## <name>` sections for: {missing}"


def test_every_options_md_section_names_a_real_question() -> None:
    unknown = [name for name in documented_option_names() if name not in asked_questions()]
    assert not unknown, f"docs/options.md documents questions copier.yml lacks: {unknown}"


def test_options_md_documents_questions_in_copier_yml_order() -> None:
    documented = [name for name in documented_option_names() if name in asked_questions()]
    assert documented == [name for name in asked_questions() if name in documented]


def test_derived_values_are_not_documented_as_options() -> None:
    assert not DERIVED & set(option_sections())


@pytest.mark.parametrize("name", list(asked_questions()))
def test_options_md_states_the_type_copier_yml_declares(name: str) -> None:
    spec = asked_questions()[name]
    type_line = field(option_sections().get(name, ""), "Type")
    assert type_line is not None, f"## {name}: no '- **Type:**' line"
    assert code_values(type_line)[:1] == [spec.get("type", "yaml")], f"## {name}: {type_line}"
    says_multiselect = "multiselect" in type_line
    assert says_multiselect == bool(spec.get("multiselect")), f"## {name}: {type_line}"


@pytest.mark.parametrize("name", list(asked_questions()))
def test_options_md_lists_exactly_the_choices_of_copier_yml(name: str) -> None:
    choices_line = field(option_sections().get(name, ""), "Choices")
    expected = choice_values(asked_questions()[name])
    if not expected:
        assert choices_line is None, f"## {name} lists choices but copier.yml has none"
        return
    assert choices_line is not None, f"## {name}: no '- **Choices:**' line"
    assert code_values(choices_line) == expected, f"## {name}: {choices_line}"


def default_matches(spec: dict[str, Any], written: str) -> bool:
    default = spec.get("default")
    if spec.get("type", "yaml") == "str" and not spec.get("multiselect"):
        return written == str(default)
    if spec.get("type") in ("int", "float"):
        return float(written) == float(str(default))
    return bool(yaml.safe_load(written) == default)


@pytest.mark.parametrize("name", list(asked_questions()))
def test_options_md_states_the_default_of_copier_yml(name: str) -> None:
    spec = asked_questions()[name]
    default_line = field(option_sections().get(name, ""), "Default")
    assert default_line is not None, f"## {name}: no '- **Default:**' line"
    default = spec.get("default")
    if isinstance(default, str) and "{{" in default:
        # A derived default: the docs say which answers it derives from.
        sources = [
            other
            for other in asked_questions()
            if other != name and re.search(rf"\b{other}\b", default)
        ]
        assert "derived" in default_line.lower(), f"## {name}: say the default is derived"
        for source in sources:
            assert f"`{source}`" in default_line, f"## {name}: default derives from {source}"
        return
    values = code_values(default_line)
    assert values, f"## {name}: write the default in backticks: {default_line}"
    assert default_matches(spec, values[0]), f"## {name}: docs say {values[0]!r}, not {default!r}"


def test_options_md_lists_unsupported_combinations() -> None:
    text = OPTIONS_MD.read_text(encoding="utf-8")
    assert re.search(r"^## Unsupported combinations$", text, re.M)
    assert "llm_providers" in text.split("## Unsupported combinations", 1)[1]


# ---------------------------------------------------------------------------------------------
# Commands written in the docs
# ---------------------------------------------------------------------------------------------


def doc_files() -> list[Path]:
    return [*sorted(DOCS.glob("*.md")), REPO / "README.md"]


@pytest.mark.parametrize("page", PAGES)
def test_each_journey_step_has_its_page(page: str) -> None:
    assert (DOCS / f"{page}.md").is_file()


@dataclass(frozen=True)
class Mention:
    """A command line written in a doc: ``where`` is ``file:line``."""

    where: str
    tool: str
    args: tuple[str, ...]


PREFIXES = re.compile(r"^(?:\$\s+|uv run\s+|uvx\s+|pipx run\s+|python3? -m\s+|\w+=\S+\s+)+")


def code_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines of fenced code blocks and inline code spans, with their line numbers."""
    in_fence = False
    pending = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            yield number, pending + line
            pending = ""
        else:
            for span in re.findall(r"`([^`\n]+)`", line):
                yield number, span


def mentions(tools: tuple[str, ...] = ("shipshape", "copier")) -> list[Mention]:
    found: list[Mention] = []
    for path in doc_files():
        if not path.is_file():
            continue
        for number, code in code_lines(path.read_text(encoding="utf-8")):
            for piece in re.split(r"&&|\|\||;|\s\|\s", code):
                command = PREFIXES.sub("", piece.strip())
                try:
                    tokens = shlex.split(command, comments=True)
                except ValueError:
                    tokens = command.split()
                if tokens and tokens[0] in tools:
                    where = f"{path.relative_to(REPO)}:{number}"
                    found.append(Mention(where, tokens[0], tuple(tokens[1:])))
    return found


def shipshape_cli() -> list[str]:
    """How to run the installed shipshape CLI (fails when it is not installed)."""
    if importlib.util.find_spec("shipshape") and importlib.util.find_spec("shipshape.__main__"):
        return [sys.executable, "-m", "shipshape"]
    script = Path(sys.executable).parent / "shipshape"
    if script.is_file():
        return [str(script)]
    found = shutil.which("shipshape")
    if found:
        return [found]
    pytest.fail("the shipshape CLI is not installed: run `uv sync` in the repository")


def tool_cli(tool: str) -> list[str]:
    return shipshape_cli() if tool == "shipshape" else [sys.executable, "-m", tool]


@cache
def help_of(tool: str, path: tuple[str, ...]) -> tuple[int, str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [*tool_cli(tool), *path, "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def sections_of(help_text: str) -> Iterator[tuple[str, list[str]]]:
    """Split help output into (heading, lines) pairs; headings are unindented ``Name:`` lines."""
    heading = ""
    lines: list[str] = []
    for line in help_text.splitlines():
        if re.match(r"^[A-Za-z][\w -]*:\s*$", line):
            yield heading, lines
            heading, lines = line.strip().rstrip(":").lower(), []
        elif line.strip():
            lines.append(line)
    yield heading, lines


def indent(line: str) -> int:
    return len(line) - len(line.lstrip())


@cache
def subcommands(tool: str, path: tuple[str, ...]) -> frozenset[str]:
    """Subcommands listed by ``<tool> <path> --help`` (argparse, click or plumbum layouts)."""
    names: set[str] = set()
    entry = re.compile(r"^\s+([a-z][\w-]*)(?:\s{2,}\S|\s*$)")
    for heading, lines in sections_of(help_of(tool, path)[1]):
        for line in lines:
            group = re.match(r"^\s*\{([\w-]+(?:,[\w-]+)*)\}", line)
            if group:
                names.update(group.group(1).split(","))
        entries = [line for line in lines if entry.match(line)]
        if "command" in heading and entries:
            top = min(indent(line) for line in entries)
            names.update(
                m.group(1) for line in entries if indent(line) == top if (m := entry.match(line))
            )
        elif heading.startswith("positional") and lines:
            deeper = [line for line in entries if indent(line) > min(map(indent, lines))]
            if deeper:
                top = min(map(indent, deeper))
                names.update(
                    m.group(1) for line in deeper if indent(line) == top if (m := entry.match(line))
                )
    return frozenset(names)


@cache
def options(tool: str, path: tuple[str, ...]) -> frozenset[str]:
    """Flags defined on option lines (``-d, --data KEY=VALUE  help``) of the help output."""
    flags: set[str] = set()
    for line in help_of(tool, path)[1].splitlines():
        stripped = line.strip()
        if stripped.startswith("-"):
            definition = re.split(r"\s{2,}", stripped, maxsplit=1)[0]
            flags.update(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", definition))
    return frozenset(flags)


def resolve(
    mention: Mention,
) -> tuple[tuple[str, ...], list[tuple[str, tuple[str, ...]]], list[str]]:
    """Return (command path, flags with the path they follow, problems) for a doc command."""
    path: tuple[str, ...] = ()
    flags: list[tuple[str, tuple[str, ...]]] = []
    problems: list[str] = []
    leaf = False
    after_flag = False
    for raw in mention.args:
        word = raw.strip("[]")
        if not word or word == "...":
            continue
        if word.startswith("-"):
            flags.append((word.split("=", 1)[0], path))
            after_flag = "=" not in word
            continue
        if leaf:
            continue
        known = subcommands(mention.tool, path)
        if not known:
            leaf = True
            continue
        alternatives = word.split("|")
        unknown = [name for name in alternatives if name not in known]
        if unknown and after_flag and len(alternatives) == 1:
            after_flag = False  # the value of the preceding flag (`--template SRC`)
            continue
        after_flag = False
        if unknown:
            shown = " ".join((mention.tool, *path))
            problems.append(f"`{shown}` has no subcommand {unknown} (it has {sorted(known)})")
            break
        if len(alternatives) > 1:
            leaf = True  # `presets list|show|validate`: each alternative checked above
            continue
        path = (*path, word)
    return path, flags, problems


def test_docs_mention_shipshape_and_copier_commands() -> None:
    tools = {mention.tool for mention in mentions()}
    assert tools == {"shipshape", "copier"}, "the docs must show both ways to generate"


def test_every_documented_command_and_flag_exists_in_the_cli() -> None:
    problems: list[str] = []
    for mention in mentions():
        path, flags, found = resolve(mention)
        problems += [f"{mention.where}: {problem}" for problem in found]
        code, text = help_of(mention.tool, path)
        command = " ".join((mention.tool, *path))
        if code != 0:
            problems.append(f"{mention.where}: `{command} --help` failed: {text.strip()[-300:]}")
            continue
        for flag, at in flags:
            if flag not in options(mention.tool, at) | options(mention.tool, ()):
                shown = " ".join((mention.tool, *at))
                problems.append(f"{mention.where}: `{shown}` has no flag {flag}")
    assert not problems, "docs describe commands the CLI lacks:\n" + "\n".join(problems)


def test_every_shipshape_subcommand_is_documented() -> None:
    documented: set[tuple[str, ...]] = set()
    for mention in mentions(("shipshape",)):
        path = resolve(mention)[0]
        documented.update(path[:depth] for depth in range(1, len(path) + 1))
    undocumented: list[str] = []
    pending: list[tuple[str, ...]] = [()]
    while pending:
        path = pending.pop()
        for name in sorted(subcommands("shipshape", path)):
            if (*path, name) not in documented:
                undocumented.append(" ".join(("shipshape", *path, name)))
            pending.append((*path, name))
    assert not undocumented, f"CLI commands no doc shows: {undocumented}"


def makefile_targets() -> set[str] | None:
    makefiles = [p for p in REPO.glob("template/**/Makefile*") if p.is_file()]
    if not makefiles:
        return None
    targets: set[str] = set()
    for makefile in makefiles:
        targets.update(re.findall(r"^([a-z][\w-]*)\s*:", makefile.read_text(), re.M))
    return targets


def test_make_targets_in_docs_exist_in_the_generated_makefile() -> None:
    targets = makefile_targets()
    if targets is None:
        pytest.skip("template/ has no Makefile yet")
    problems: list[str] = []
    for path in sorted(DOCS.glob("*.md")):
        for number, code in code_lines(path.read_text(encoding="utf-8")):
            for target in re.findall(r"(?:^|&&|;)\s*make\s+([a-z][\w-]*)", code):
                if target not in targets:
                    problems.append(f"{path.relative_to(REPO)}:{number}: make {target}")
    assert not problems, f"targets the generated Makefile lacks: {problems}"


def test_relative_links_in_docs_point_to_existing_files() -> None:
    broken: list[str] = []
    for path in sorted(DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.name} -> {target}")
    assert not broken, f"broken links: {broken}"
