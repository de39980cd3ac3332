"""Render every supported combination and check the files themselves (no code is run here)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.cases import (
    ALL_PROVIDERS,
    LINT_CASE_IDS,
    LINT_CASES,
    RENDER_CASE_IDS,
    RENDER_CASES,
    Case,
)
from tests.conftest import REPO, load_preset

Rendered = Callable[[Case], Path]

# `}}` alone is legitimate (nested dict literals, f-string escapes); openings are not.
JINJA_LEFTOVER = re.compile(r"\{\{|\{%|%\}|\{#")
# Other tools' expression syntax that generated files must contain: GitHub Actions
# `${{ github.sha }}` and Argo Rollouts analysis arguments `{{args.canary-hash}}`.
FOREIGN_EXPRESSIONS = re.compile(r"\$\{\{ [a-z][\w.-]* \}\}|\{\{args\.[\w-]+\}\}")
# Prometheus alert templates (`{{ $labels.tenant }}`, `{{ $value }}`) and Grafana legends
# (`{{target}}`) are those tools' own syntax, allowed only in deploy/prometheus and
# deploy/grafana and only in that shape.
TOOL_TEMPLATE_DIRS = ("deploy/prometheus/", "deploy/grafana/")
TOOL_TEMPLATE = re.compile(r"\{\{ ?(\$[a-z]+(\.[a-z_]+)?( \| [^{}]+)?|[a-z_]+) ?\}\}")

BINARY_SUFFIXES = {".png", ".ico", ".db", ".sqlite", ".pyc"}
# Made by running the project (tests/test_generated.py shares these folders), not rendered.
RUN_ARTIFACTS = {".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "var"}


def jinja_leftover(path: str, line: str) -> bool:
    if path.startswith(TOOL_TEMPLATE_DIRS):
        line = TOOL_TEMPLATE.sub("", line)
    return bool(JINJA_LEFTOVER.search(line))


def project_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        rendered_part = path.relative_to(root).parts
        if (
            path.is_file()
            and not RUN_ARTIFACTS & set(rendered_part)
            and path.suffix not in BINARY_SUFFIXES
        ):
            yield path


def expected_answers(case: Case) -> dict[str, object]:
    return {**load_preset(case.preset), **case.answers}


def normalise(requirement: str) -> str:
    """`psycopg[binary]>=3.2` -> `psycopg`."""
    name = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("case", RENDER_CASES, ids=RENDER_CASE_IDS)
def test_no_jinja_syntax_is_left_in_any_file(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    leftovers = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in project_files(root)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if jinja_leftover(path.relative_to(root).as_posix(), FOREIGN_EXPRESSIONS.sub("", line))
    ]
    assert leftovers == []


@pytest.mark.parametrize("case", RENDER_CASES, ids=RENDER_CASE_IDS)
def test_no_file_name_carries_jinja_or_template_suffix(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    bad = [
        str(path.relative_to(root))
        for path in root.rglob("*")
        if "{" in path.name or path.name.endswith(".jinja")
    ]
    assert bad == []


@pytest.mark.parametrize("case", RENDER_CASES, ids=RENDER_CASE_IDS)
def test_every_yaml_toml_and_json_file_parses(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    parsed = 0
    for path in project_files(root):
        text = path.read_text()
        if path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))  # Kubernetes files hold several documents
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        else:
            continue
        parsed += 1
    assert parsed >= 3  # pyproject.toml, config/models*.yaml, the answers file at least


@pytest.mark.parametrize("case", RENDER_CASES, ids=RENDER_CASE_IDS)
def test_answers_file_records_every_answer_and_the_template_source(
    case: Case, rendered: Rendered
) -> None:
    answers = yaml.safe_load((rendered(case) / ".copier-answers.yml").read_text())
    for key, value in expected_answers(case).items():
        assert answers[key] == value, key
    assert Path(answers["_src_path"]).is_absolute()
    derived = {"python_keywords", "stdlib_modules", "dependency_modules"}
    derived |= {"hipaa_baa_providers", "compliance_defaults"}
    assert not derived & set(answers)


PROVIDER_SETTINGS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "azure_openai": "AZURE_OPENAI_ENDPOINT",
    "bedrock": "AWS_REGION",
    "gemini": "GEMINI_API_KEY",
    "ollama": "OLLAMA_BASE_URL",
}


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_provider_adapters_exist_only_for_chosen_providers(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    providers = expected_answers(case)["llm_providers"]
    assert isinstance(providers, list)
    adapters = {path.stem for path in (root / "src").rglob("providers/*.py")}
    tests = {path.stem for path in (root / "tests").rglob("test_*.py")}
    assert "fake" in adapters
    for provider in ALL_PROVIDERS:
        assert (provider in adapters) == (provider in providers), provider
    for provider in ("anthropic", "bedrock", "gemini"):
        assert (f"test_{provider}" in tests) == (provider in providers), provider
    openai_like = bool({"openai", "azure_openai", "ollama"} & set(providers))
    assert ("openai_compatible" in adapters) == openai_like
    assert ("test_openai_compatible" in tests) == openai_like


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_sdk_dependencies_follow_the_chosen_providers_and_cache(
    case: Case, rendered: Rendered
) -> None:
    pyproject = tomllib.loads((rendered(case) / "pyproject.toml").read_text())
    dependencies = {normalise(req) for req in pyproject["project"]["dependencies"]}
    answers = expected_answers(case)
    providers = answers["llm_providers"]
    assert isinstance(providers, list)
    assert ("anthropic" in dependencies) == ("anthropic" in providers)
    assert ("boto3" in dependencies) == ("bedrock" in providers)
    assert ("google-genai" in dependencies) == ("gemini" in providers)
    assert ("redis" in dependencies) == (answers.get("cache_backend", "memory") == "redis")
    assert {"openai", "tenacity", "jsonschema"} <= dependencies


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_env_example_documents_each_chosen_providers_settings(
    case: Case, rendered: Rendered
) -> None:
    env = (rendered(case) / ".env.example").read_text()
    answers = expected_answers(case)
    providers = answers["llm_providers"]
    assert isinstance(providers, list)
    for provider, setting in PROVIDER_SETTINGS.items():
        documented = re.search(rf"^(# )?{setting}=", env, re.MULTILINE) is not None
        assert documented == (provider in providers), setting
    assert ("REDIS_URL" in env) == (answers.get("cache_backend", "memory") == "redis")


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_postgres_driver_is_a_dependency_only_when_postgres_is_chosen(
    case: Case, rendered: Rendered
) -> None:
    pyproject = tomllib.loads((rendered(case) / "pyproject.toml").read_text())
    dependencies = {normalise(req) for req in pyproject["project"]["dependencies"]}
    wants_postgres = expected_answers(case)["database"] == "postgres"
    assert ("psycopg" in dependencies) == wants_postgres


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_python_version_is_pinned_where_the_service_is_built(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    version = expected_answers(case)["python_version"]
    assert (root / ".python-version").read_text().strip() == version
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["tool"]["mypy"]["python_version"] == version
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + str(version).replace(".", "")


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_flag_files_exist_only_for_the_chosen_provider(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    flagd = expected_answers(case).get("feature_flags", "file") == "flagd"
    assert (root / "config" / "flags.flagd.json").is_file() == flagd
    assert (root / "config" / "flags.yaml").is_file() == (not flagd)
    assert (root / "src" / case.package / "features" / "flagfile.py").is_file() == (not flagd)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dependencies = {normalise(req) for req in pyproject["project"]["dependencies"]}
    assert ("openfeature-provider-flagd" in dependencies) == flagd


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_console_script_is_named_after_the_slug(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == case.slug
    assert pyproject["project"]["scripts"] == {case.slug: f"{case.package}.cli:main"}
    assert (root / "src" / case.package / "__init__.py").is_file()


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_shared_check_environment_holds_every_generated_dependency(
    case: Case, rendered: Rendered
) -> None:
    """The matrix checks rendered projects in this repo's venv, so it must hold their deps."""
    ours = tomllib.loads((REPO / "pyproject.toml").read_text())
    available = {normalise(req) for req in ours["dependency-groups"]["dev"]}
    available |= {normalise(req) for req in ours["project"]["dependencies"]}
    theirs = tomllib.loads((rendered(case) / "pyproject.toml").read_text())
    needed = {normalise(req) for req in theirs["project"]["dependencies"]}
    for group in theirs.get("dependency-groups", {}).values():
        needed |= {normalise(req) for req in group if isinstance(req, str)}
    assert needed - available == set()


def test_team_owned_files_are_listed_in_skip_if_exists_and_exist(
    render: Callable[..., Path],
) -> None:
    copier_yml = yaml.safe_load((REPO / "copier.yml").read_text())
    root = render()
    for pattern in copier_yml["_skip_if_exists"]:
        path = pattern.replace("{{ package_name }}", "demo_app")
        if path == ".env":  # created by `make dev` from .env.example, not by the template
            continue
        assert (root / path).is_file(), path


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_redis_and_the_tracing_sdk_are_dependencies_only_when_chosen(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dependencies = {normalise(req) for req in pyproject["project"]["dependencies"]}
    answers = expected_answers(case)
    assert ("redis" in dependencies) == (answers.get("cache_backend") == "redis")
    assert ("opentelemetry-sdk" in dependencies) == bool(answers.get("tracing"))
    assert {"prometheus-client", "opentelemetry-api"} <= dependencies
    assert (root / "deploy" / "prometheus" / "alerts.yml").is_file()
    assert (root / "deploy" / "grafana" / "dashboard.json").is_file()


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_access_modules_exist_only_for_the_chosen_auth_and_compliance(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    answers = expected_answers(case)
    auth = answers.get("auth", "api_key")
    compliance = answers.get("compliance", [])
    assert isinstance(compliance, list)
    src = root / "src" / case.package
    assert (src / "identity" / "keys.py").is_file() == (auth != "oidc")
    assert (root / "tests" / "identity" / "test_keys.py").is_file() == (auth != "oidc")
    assert (src / "identity" / "oidc.py").is_file() == (auth != "api_key")
    assert (root / "tests" / "identity" / "test_oidc.py").is_file() == (auth != "api_key")
    assert (src / "audit" / "subjects.py").is_file() == ("gdpr" in compliance)
    assert (root / "docs" / "compliance.md").is_file() == bool(compliance)
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    dependencies = {normalise(req) for req in pyproject["project"]["dependencies"]}
    assert ("pyjwt" in dependencies) == (auth != "api_key")
    assert "cryptography" in dependencies


MIGRATIONS = REPO / "template" / "src" / "{{ package_name }}" / "foundation" / "migrations"


def test_migrations_are_plain_files_that_no_answer_changes() -> None:
    """An applied revision must never change: `copier update -d multi_tenant=...` would rewrite
    it. Behaviour that differs (PostgreSQL-only statements) is decided when it runs."""
    versions = sorted(path for path in (MIGRATIONS / "versions").iterdir() if path.is_file())
    assert [path.name for path in versions if path.suffix != ".py"] == []
    for path in versions:
        assert not JINJA_LEFTOVER.search(path.read_text()), path.name


@pytest.mark.parametrize("case", LINT_CASES, ids=LINT_CASE_IDS)
def test_every_project_gets_the_same_migrations(case: Case, rendered: Rendered) -> None:
    versions = rendered(case) / "src" / case.package / "foundation" / "migrations" / "versions"
    rendered_files = {path.name: path.read_bytes() for path in versions.glob("*.py")}
    template_files = {
        path.name: path.read_bytes() for path in (MIGRATIONS / "versions").glob("*.py")
    }
    assert rendered_files == template_files
