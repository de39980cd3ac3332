"""Invalid answers and unsupported combinations fail with a message naming the answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import render_project


def bad(answers: dict[str, Any], *fragments: str) -> Any:
    key_value = ",".join(f"{key}={value!r}" for key, value in answers.items())
    return pytest.param(answers, fragments, id=key_value)


INVALID_ANSWERS = [
    bad({"project_name": ""}, "project_name", "must not be empty"),
    bad({"project_name": "   "}, "project_name", "must not be empty"),
    bad({"project_name": "x" * 61}, "project_name", "limit is 60"),
    bad({"project_slug": "My App"}, "project_slug", "^[a-z][a-z0-9-]*$"),
    bad({"project_slug": "1app"}, "project_slug", "starting with a letter"),
    bad({"project_slug": "app-"}, "project_slug", "trailing or doubled hyphens"),
    bad({"project_slug": "my--app"}, "project_slug", "trailing or doubled hyphens"),
    bad({"package_name": "My-Pkg"}, "package_name", "^[a-z][a-z0-9_]*$"),
    bad({"package_name": "class"}, "package_name", "Python keyword"),
    bad({"package_name": "json"}, "package_name", "standard-library module"),
    bad({"package_name": "asyncio"}, "package_name", "standard-library module"),
    bad({"package_name": "fastapi"}, "package_name", "dependency of the generated project"),
    bad({"package_name": "tests"}, "package_name", "dependency of the generated project"),
    bad({"author_email": "nobody"}, "author_email", "not an e-mail address"),
    # Project names whose derived slug or package name is refused: the message names the
    # derived answer, so the user knows which one to give explicitly.
    bad({"project_name": "2FA Service"}, 'project_slug "2fa-service"', "starting with a letter"),
    bad({"project_name": "!!!"}, 'project_slug ""', "starting with a letter"),
    bad({"project_name": "Fastapi"}, 'package_name "fastapi"', "dependency of the generated"),
    bad({"project_name": "Tests"}, 'package_name "tests"', "dependency of the generated"),
    bad({"project_name": "Json"}, 'package_name "json"', "standard-library module"),
    bad({"project_name": "Class"}, 'package_name "class"', "Python keyword"),
    bad(
        {"project_name": "Enterprise Customer Support Knowledge Assistant"},
        'package_name "enterprise_customer_support_knowledge_assistant"',
        "the limit is 30",
        '"enterprise_customer_support"',
    ),
    bad({"project_name": "Conftest"}, 'package_name "conftest"', "dependency of the generated"),
    bad({"project_name": "Click"}, 'package_name "click"', "dependency of the generated"),
    bad({"project_name": 'Bob\'s "AI" Bot'}, "project_name", "double quotes"),
    bad({"project_name": "Back\\slash Bot"}, "project_name", "backslashes"),
    bad({"python_version": "3.10"}, "python_version", "3.11", "3.12", "3.13"),
    bad({"database": "mysql"}, "database", "sqlite", "postgres"),
    bad({"llm_providers": ["skynet"]}, "llm_providers", "openai", "ollama"),
    bad({"cache_backend": "memcached"}, "cache_backend", "memory", "redis"),
    bad({"ci_provider": "jenkins"}, "ci_provider", "github", "gitlab"),
    bad({"deploy_target": "nomad"}, "deploy_target", "compose", "kubernetes"),
    bad({"feature_flags": "launchdarkly"}, "feature_flags", "file", "flagd"),
    bad({"monthly_budget_usd": 0}, "monthly_budget_usd", "greater than 0"),
    bad({"monthly_budget_usd": -5.5}, "monthly_budget_usd", "greater than 0"),
    bad({"auth": "saml"}, "auth", "api_key", "oidc", "api_key_and_oidc"),
    bad(
        {"auth": "oidc", "oidc_provider": "ping"},
        "oidc_provider",
        "generic",
        "okta",
        "auth0",
        "entra",
        "keycloak",
        "google",
    ),
    bad({"compliance": ["iso27001"]}, "compliance", "soc2", "hipaa", "gdpr", "pci_dss"),
]

# Combinations of individually valid answers that the template does not support. This list grows
# as options arrive; each entry must fail with a message that says what to choose instead.
UNSUPPORTED_COMBINATIONS = [
    bad(
        {"llm_providers": []},
        "llm_providers",
        "at least one real provider",
        "openai, anthropic, azure_openai, bedrock, gemini, ollama",
    ),
    bad(
        {"deploy_target": "kubernetes", "database": "sqlite"},
        "deploy_target=kubernetes needs database=postgres",
        "deploy_target=compose",
    ),
    # The BAA list is policy a platform team edits; with openai taken off it, hipaa refuses it.
    bad(
        {"compliance": ["hipaa"], "llm_providers": ["openai"], "hipaa_baa_providers": ["ollama"]},
        "compliance hipaa does not allow llm_providers openai",
        "Business Associate Agreement",
        "Allowed with hipaa: ollama",
    ),
    # Gemini (the Developer API) is off the default list: Google's BAA covers Vertex AI only.
    bad(
        {"compliance": ["hipaa"], "llm_providers": ["anthropic", "gemini"]},
        "compliance hipaa does not allow llm_providers gemini",
        "Allowed with hipaa: openai, anthropic, azure_openai, bedrock, ollama",
    ),
]


@pytest.mark.parametrize(("answers", "fragments"), INVALID_ANSWERS + UNSUPPORTED_COMBINATIONS)
def test_bad_answer_fails_naming_the_answer_and_leaves_nothing_behind(
    tmp_path: Path, answers: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    dst = tmp_path / "my-app"
    with pytest.raises(ValueError, match=r".") as failure:
        render_project(dst, answers)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message
    assert not dst.exists()


def test_bad_answer_does_not_touch_an_existing_destination(tmp_path: Path) -> None:
    dst = tmp_path / "my-app"
    dst.mkdir()
    (dst / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="package_name"):
        render_project(dst, {"package_name": "json"})
    assert [p.name for p in dst.iterdir()] == ["notes.txt"]
