"""copier.yml stays correct and readable: derived lists are current, every question is explained.

The derived lists (``stdlib_modules``, ``python_keywords``) back the ``package_name`` validator,
so a stale list lets a user name their package after a standard-library module and shadow it.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COPIER_YML = REPO / "copier.yml"

# Python versions the generated project supports (the python_version choices).
SUPPORTED_MINORS = ("3.11", "3.12", "3.13")
# Interpreters known to exist on the development machines; others are looked up on PATH.
KNOWN_INTERPRETERS = {
    "3.12": Path("/root/.pyenv/versions/3.12.1/bin/python3.12"),
    "3.13": Path("/root/.pyenv/versions/3.13.0/bin/python3.13"),
}
MODULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
BANNER_RULE = re.compile(r"^# ={10,}\s*$")
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):")


@cache
def copier_config() -> dict[str, Any]:
    data = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def asked_questions() -> dict[str, dict[str, Any]]:
    """Questions a user can be asked: everything but settings and ``when: false`` values."""
    questions: dict[str, dict[str, Any]] = {}
    for name, spec in copier_config().items():
        if name.startswith("_"):
            continue
        spec_dict = spec if isinstance(spec, dict) else {"default": spec}
        if spec_dict.get("when") is False:
            continue
        questions[name] = spec_dict
    return questions


def derived_list(name: str) -> Any:
    """A derived ``type: yaml`` value as copier sees it: its default parsed as YAML."""
    default = copier_config()[name]["default"]
    return yaml.safe_load(default) if isinstance(default, str) else default


def derived_values() -> list[str]:
    return [
        name
        for name, spec in copier_config().items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is False
    ]


def filtered_stdlib_names(names: set[str] | frozenset[str]) -> set[str]:
    return {name for name in names if MODULE_NAME.match(name)}


def interpreter_for(minor: str) -> Path | None:
    """Return an interpreter of Python ``minor`` ("3.12"), or None when none is installed."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == minor:
        return Path(sys.executable)
    candidates = [KNOWN_INTERPRETERS.get(minor)]
    candidates += sorted(Path("/root/.pyenv/versions").glob(f"{minor}.*/bin/python{minor}"))
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def stdlib_names_of(interpreter: Path) -> set[str]:
    out = subprocess.run(
        [str(interpreter), "-c", "import sys; print('\\n'.join(sys.stdlib_module_names))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return filtered_stdlib_names(set(out.split()))


def documented_stdlib_modules() -> list[str]:
    value = derived_list("stdlib_modules")
    assert isinstance(value, list)
    return [str(name) for name in value]


def test_stdlib_modules_lists_no_name_twice_and_is_sorted() -> None:
    modules = documented_stdlib_modules()
    assert modules == sorted(set(modules)), "keep stdlib_modules sorted and free of duplicates"


def test_stdlib_modules_contains_every_module_of_the_running_python() -> None:
    running = filtered_stdlib_names(sys.stdlib_module_names)
    missing = sorted(running - set(documented_stdlib_modules()))
    version = sys.version.split()[0]
    assert not missing, f"copier.yml stdlib_modules lacks modules of Python {version}: {missing}"


def test_stdlib_modules_equals_the_union_over_supported_pythons() -> None:
    interpreters = {minor: interpreter_for(minor) for minor in SUPPORTED_MINORS}
    absent = [minor for minor, path in interpreters.items() if path is None]
    if absent:
        pytest.skip(f"no interpreter installed for Python {', '.join(absent)}: union incomplete")
    union: set[str] = set()
    for path in interpreters.values():
        assert path is not None
        union |= stdlib_names_of(path)
    documented = set(documented_stdlib_modules())
    assert documented == union, (
        f"add to stdlib_modules: {sorted(union - documented)}; "
        f"remove from stdlib_modules: {sorted(documented - union)}"
    )


def test_python_keywords_equals_the_lowercase_keywords_of_python() -> None:
    expected = [word for word in keyword.kwlist if word.islower()]
    assert derived_list("python_keywords") == expected


def test_derived_values_are_never_asked_and_never_recorded() -> None:
    for name in ("python_keywords", "stdlib_modules", "dependency_modules"):
        assert copier_config()[name].get("when") is False, f"{name} must keep `when: false`"


def test_every_asked_question_has_a_help_text() -> None:
    questions = asked_questions()
    assert questions, "copier.yml asks no question"
    without_help = [
        name
        for name, spec in questions.items()
        if not isinstance(spec.get("help"), str) or not spec["help"].strip()
    ]
    assert not without_help, f"questions without a `help`: {without_help}"


def banner_of_each_key() -> dict[str, str | None]:
    """Map each top-level key of copier.yml to the title of the banner comment above it.

    A banner is a ``# ====`` rule, a ``# Title`` line and another ``# ====`` rule.
    """
    lines = COPIER_YML.read_text(encoding="utf-8").splitlines()
    current: str | None = None
    keys: dict[str, str | None] = {}
    for index, line in enumerate(lines):
        if (
            BANNER_RULE.match(line)
            and index + 2 < len(lines)
            and lines[index + 1].startswith("# ")
            and BANNER_RULE.match(lines[index + 2])
        ):
            current = lines[index + 1][2:].strip()
            continue
        match = TOP_LEVEL_KEY.match(line)
        if match:
            keys[match.group(1)] = current
    return keys


def test_every_question_sits_under_a_banner_comment() -> None:
    banners = banner_of_each_key()
    unbannered = [name for name in asked_questions() if banners.get(name) is None]
    assert not unbannered, f"questions above the first banner comment: {unbannered}"


def test_asked_questions_are_not_filed_under_the_derived_values_banner() -> None:
    banners = banner_of_each_key()
    misfiled = [name for name in asked_questions() if "derived" in (banners[name] or "").lower()]
    assert not misfiled, f"asked questions under the derived-values banner: {misfiled}"
    for name in derived_values():
        assert "derived" in (banners.get(name) or "").lower(), f"{name} is not under 'Derived'"


def test_every_banner_groups_at_least_one_key() -> None:
    text = COPIER_YML.read_text(encoding="utf-8").splitlines()
    titles = [
        text[i + 1][2:].strip()
        for i in range(len(text) - 2)
        if BANNER_RULE.match(text[i]) and BANNER_RULE.match(text[i + 2])
    ]
    used = set(banner_of_each_key().values())
    empty = [title for title in titles if title not in used]
    assert not empty, f"banners with no question under them: {empty}"
