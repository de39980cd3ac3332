"""The supported answer combinations the render matrix covers, with readable ``key=value`` ids.

- ``CASES``: every preset, then one option at a time on top of the default preset. Each gets
  every check of a generated project (lint, types, its own tests, evals, red team).
- ``PAIRWISE_CASES``: a covering array of every question's choices (tests/pairwise.py): every
  pair of answers to two questions that copier accepts appears in at least one case. The pairs
  are read from copier.yml (choices, multiselect choices, booleans, ``when`` conditions and
  validators), so a new question or choice is covered on arrival.
- ``NAME_CASES``: a project-name sweep (names sorting before and after the package's neighbours
  and ``conftest``, one letter, digits, non-ASCII, names close to dependencies).

Every case has a project name of its own: bugs that depend on the name (import order, line
length, quoting) show up in the matrix instead of in a user's first ``make lint``.

Add the combinations that must fail to ``tests/test_bad_answers.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml

from tests.pairwise import covering_array

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PRESET = "minimal"
ALL_PROVIDERS = ("openai", "anthropic", "azure_openai", "bedrock", "gemini", "ollama")
#: Every preset in presets/ is rendered and checked, so a new preset is covered on arrival.
PRESET_NAMES = tuple(sorted(path.stem for path in (REPO / "presets").glob("*.yml")))

# ---------------------------------------------------------------------------------------------
# copier.yml, read the way copier reads it
# ---------------------------------------------------------------------------------------------

COPIER_YML: dict[str, Any] = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
# copier renders with these filters (regex_search, regex_replace, ...) available, and without
# autoescape: the output is answers and messages, never HTML.
JINJA = jinja2.Environment(  # noqa: S701
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
    undefined=jinja2.StrictUndefined,
)

#: Questions asked of the user (``when: false`` values are derived, never asked).
QUESTIONS: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in COPIER_YML.items()
    if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
}
#: Free-text answers: not paired (there is no finite set of values); names get NAME_CASES, the
#: rest take their defaults, which derive from the project name.
FREE_TEXT = (
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
)
#: Values tried for answers that are numbers: the default, a fraction and a large budget.
SAMPLES: dict[str, tuple[Any, ...]] = {"monthly_budget_usd": (100.0, 0.01, 250000.0)}
#: A factor value meaning "not asked" (its ``when`` condition is false).
NOT_ASKED = None


def derived_values() -> dict[str, Any]:
    """The ``when: false`` values that do not depend on answers, as copier's context has them."""
    values: dict[str, Any] = {}
    for name, spec in COPIER_YML.items():
        if name.startswith("_") or not isinstance(spec, dict) or spec.get("when") is not False:
            continue
        source = str(spec.get("default", ""))
        if jinja2.meta.find_undeclared_variables(JINJA.parse(source)):
            continue  # depends on answers (compliance_defaults): no validator reads it
        values[name] = yaml.safe_load(JINJA.from_string(source).render())
    return values


DERIVED = derived_values()


def choices(spec: Mapping[str, Any]) -> list[Any]:
    raw = spec.get("choices", [])
    return list(raw.values()) if isinstance(raw, dict) else list(raw)


def multiselect_factor(question: str, choice: str) -> str:
    return f"{question}:{choice}"


def build_factors() -> dict[str, tuple[Any, ...]]:
    """One factor per single-choice, bool or sampled question; one yes/no factor per choice of a
    multiselect question. A question with a ``when`` condition may also be not asked."""
    factors: dict[str, tuple[Any, ...]] = {}
    for name, spec in QUESTIONS.items():
        if name in FREE_TEXT:
            continue
        if spec.get("multiselect"):
            for choice in choices(spec):
                factors[multiselect_factor(name, choice)] = (True, False)
            continue
        if name in SAMPLES:
            values: list[Any] = list(SAMPLES[name])
        elif spec.get("type") == "bool":
            values = [bool(spec.get("default")), not spec.get("default")]
        else:
            values = choices(spec)
        assert values, f"copier.yml question {name} has no choices: add it to SAMPLES or FREE_TEXT"
        if isinstance(spec.get("when"), str):
            values.append(NOT_ASKED)
        factors[name] = tuple(values)
    return factors


FACTORS = build_factors()


def answers_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The copier answers of a (partial) row: multiselect questions once all their choices are
    set, questions that are not asked left out."""
    answers: dict[str, Any] = {}
    for name, spec in QUESTIONS.items():
        if spec.get("multiselect"):
            keys = [multiselect_factor(name, choice) for choice in choices(spec)]
            if all(key in row for key in keys):
                answers[name] = [c for c, key in zip(choices(spec), keys, strict=True) if row[key]]
        elif name in row and row[name] is not NOT_ASKED:
            answers[name] = row[name]
    return answers


def factors_of(variables: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The factors that set the answers named ``variables``."""
    return tuple(name for name in FACTORS if name.split(":")[0] in variables)


@dataclass(frozen=True)
class Rule:
    """A ``when`` condition or a validator of copier.yml, over the factors it reads."""

    question: str
    kind: str  # "when" or "validator"
    source: str
    factors: tuple[str, ...]

    def holds(self, values: tuple[Any, ...]) -> bool:
        return _holds(self, values)


@cache
def _holds(rule: Rule, values: tuple[Any, ...]) -> bool:
    row = dict(zip(rule.factors, values, strict=True))
    # A question that is not asked still has its default in copier's context.
    context = {**DERIVED, **answers_of(row)}
    context |= {name: QUESTIONS[name].get("default") for name in row if row[name] is NOT_ASKED}
    rendered = JINJA.from_string(rule.source).render(context).strip()
    if rule.kind == "when":
        return (rendered.lower() == "true") == (row[rule.question] is not NOT_ASKED)
    return not rendered


def build_rules() -> tuple[Rule, ...]:
    rules = []
    for name, spec in QUESTIONS.items():
        if name in FREE_TEXT:
            continue
        for kind in ("when", "validator"):
            source = spec.get(kind)
            if not isinstance(source, str):
                continue
            variables = jinja2.meta.find_undeclared_variables(JINJA.parse(source))
            assert variables <= QUESTIONS.keys() - set(FREE_TEXT) | DERIVED.keys(), (
                f"the {kind} of {name} reads {variables}: cases.py pairs only choice answers"
            )
            factors = factors_of(variables | {name})
            rules.append(Rule(name, kind, source, factors))
    return tuple(rules)


RULES = build_rules()
#: The factors some rule reads, those of one rule next to each other.
CONSTRAINED = tuple(dict.fromkeys(name for rule in RULES for name in rule.factors))


def allowed(row: Mapping[str, Any]) -> bool:
    """Whether copier accepts a (partial) row: each ``when`` condition agrees with whether its
    question is answered, and no validator complains. A rule waits until its factors are set."""
    return all(
        rule.holds(tuple(row[name] for name in rule.factors))
        for rule in RULES
        if all(name in row for name in rule.factors)
    )


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


def derive(question: str, **answers: Any) -> str:
    """A default copier derives from earlier answers (project_slug, package_name)."""
    return JINJA.from_string(str(QUESTIONS[question]["default"])).render(answers).strip()


@dataclass(frozen=True)
class Case:
    """One rendering: a preset, overrides on top of it, and the project's name."""

    id: str
    preset: str = DEFAULT_PRESET
    data: dict[str, Any] = field(default_factory=dict)
    project_name: str = "Demo App"

    @property
    def answers(self) -> dict[str, Any]:
        """What is passed to copier on top of the preset."""
        return {"project_name": self.project_name, **self.data}

    @property
    def slug(self) -> str:
        slug = self.data.get("project_slug") or derive("project_slug", **self.answers)
        assert isinstance(slug, str)
        return slug

    @property
    def package(self) -> str:
        package = self.data.get("package_name") or derive("package_name", project_slug=self.slug)
        assert isinstance(package, str)
        return package


def case_id(answers: Mapping[str, Any]) -> str:
    """``key=value`` pairs, lists joined with commas as in ``llm_providers=openai,ollama``."""

    def text(value: Any) -> str:
        if isinstance(value, list):
            return ",".join(map(str, value)) or "none"
        return str(value).lower() if isinstance(value, bool) else str(value)

    return ",".join(f"{key}={text(value)}" for key, value in answers.items())


CASES: tuple[Case, ...] = (
    *(Case(id=f"preset={name}", preset=name) for name in PRESET_NAMES),
    Case(id="python_version=3.11", data={"python_version": "3.11"}),
    Case(id="python_version=3.13", data={"python_version": "3.13"}),
    Case(id="database=postgres", data={"database": "postgres"}),
    Case(id="cache_backend=redis", data={"cache_backend": "redis"}),
    *(
        Case(id=f"llm_providers={provider}", data={"llm_providers": [provider]})
        for provider in ("anthropic", "azure_openai", "bedrock", "gemini", "ollama")
    ),
    Case(id="llm_providers=openai,ollama", data={"llm_providers": ["openai", "ollama"]}),
    Case(id="llm_providers=all", data={"llm_providers": list(ALL_PROVIDERS)}),
    Case(id="feature_flags=flagd", data={"feature_flags": "flagd"}),
    Case(id="tracing=true", data={"tracing": True}),
    # Access and compliance: the presets cover api_key_and_oidc (okta, keycloak), oidc (entra),
    # hipaa, gemini and soc2 on PostgreSQL; these add the other modes on the default SQLite.
    Case(id="auth=oidc", data={"auth": "oidc"}),
    Case(id="multi_tenant=false", data={"multi_tenant": False}),
    Case(id="compliance=pci_dss", data={"compliance": ["pci_dss"]}),
)
# CASES keep the name "Demo App": tests/test_delivery.py checks names derived from it
# (demo-app images, secrets and jobs). The pairwise and name cases below vary it.

CASE_IDS = [case.id for case in CASES]

#: Short names of every shape for the pairwise cases (long names are NAME_CASES' business):
#: before and after "conftest" and the dependencies, one letter, digits, close to a dependency.
PAIRWISE_NAMES = (
    "Acme Bot",
    "app",
    "zz top",
    "q",
    "Fastapi App",
    "b2b desk",
    "Pydantic Tools",
    "Ticket Triage",
    "httpx client",
    "Agent 7",
    "co",
    "Mail Sorter",
)


def pairwise_cases() -> tuple[Case, ...]:
    defaults = {name: spec.get("default") for name, spec in QUESTIONS.items()}
    cases = []
    for number, row in enumerate(covering_array(FACTORS, allowed, CONSTRAINED), start=1):
        answers = answers_of(row)
        changed = {key: value for key, value in answers.items() if defaults.get(key) != value}
        name = PAIRWISE_NAMES[(number - 1) % len(PAIRWISE_NAMES)]
        label = case_id({"pairwise": f"{number:02d}", **changed})
        cases.append(Case(id=label, data=answers, project_name=name))
    return tuple(cases)


#: Every pair of answers copier accepts, in about 20 renderings. They get the file checks
#: (tests/test_render.py), ruff and mypy (tests/test_generated.py), but not the generated
#: project's own pytest run: that takes about a minute per project (the whole matrix would
#: add ~20 CPU-minutes to CI), while lint and types take a few seconds. The option behaviour
#: those tests check is covered option by option by CASES.
PAIRWISE_CASES = pairwise_cases()

#: Everything on: the most imports, the most name-derived identifiers (URLs, roles, images).
EVERYTHING = {
    "database": "postgres",
    "cache_backend": "redis",
    "llm_providers": list(ALL_PROVIDERS),
    "auth": "api_key_and_oidc",
    "oidc_provider": "auth0",
    "compliance": ["soc2", "gdpr"],
    "deploy_target": "kubernetes",
    "ci_provider": "gitlab",
    "feature_flags": "flagd",
    "tracing": True,
}


def name_case(project_name: str, everything: bool, **data: Any) -> Case:
    return Case(
        id=case_id({"project_name": project_name, **data}) + (",everything" if everything else ""),
        data=(EVERYTHING if everything else {}) | data,
        project_name=project_name,
    )


#: The project-name sweep. Package names sort before and after the package's neighbours in an
#: import block (the stdlib, the dependencies, ``conftest``, a local folder), are one letter,
#: hold digits or non-ASCII letters, or are close to a dependency's import name. Half run on
#: the default options, half with everything on.
NAME_CASES: tuple[Case, ...] = (
    name_case("app", everything=False),
    name_case("app", everything=True),
    name_case("a", everything=True),
    name_case("x", everything=False),
    name_case("zz top", everything=True),
    name_case("Acme Bot", everything=False),
    name_case("co", everything=False),
    name_case("conftest helper", everything=False),
    name_case("fastapi-app", everything=True),
    name_case("pydantic tools", everything=False),
    name_case("httpx client", everything=True),
    name_case("Service 2FA", everything=False),
    name_case("2FA Service", everything=True, project_slug="twofa-service"),
    name_case("Café Bot", everything=False),
    name_case("Bob's AI Bot", everything=True),
    name_case("Support Desk Bot", everything=False, auth="oidc"),
    name_case("Customer Support Assistant", everything=False),
    # The longest names copier.yml accepts (a 60-character project name and slug, a
    # 30-character package name), with every name-derived identifier.
    name_case(
        "Enterprise Customer Support Knowledge Assistant for Acme Inc",
        everything=True,
        package_name="enterprise_customer_support_ai",
    ),
)

#: Every case that gets ruff, ruff format and mypy.
LINT_CASES: tuple[Case, ...] = CASES + PAIRWISE_CASES + NAME_CASES
LINT_CASE_IDS = [case.id for case in LINT_CASES]

#: The delivery answers in every combination (kubernetes needs PostgreSQL). They change no Python
#: code, so they get the file checks and the delivery validators only (tests/test_render.py file
#: checks, tests/test_delivery.py), not a lint and test run of their own.
DELIVERY_COMBINATIONS: tuple[Case, ...] = tuple(
    Case(
        id=f"ci_provider={ci},deploy_target={target}"
        + (",database=postgres" if target == "kubernetes" else ""),
        data={"ci_provider": ci, "deploy_target": target}
        | ({"database": "postgres"} if target == "kubernetes" else {}),
    )
    for ci in ("github", "gitlab")
    for target in ("compose", "kubernetes")
)
#: Kubernetes with every provider's secrets and the shared Redis cache (network policy, Secret
#: references); the Python side of these answers is covered by the cases above.
DELIVERY_COMBINATIONS += (
    Case(
        id="deploy_target=kubernetes,database=postgres,cache_backend=redis,llm_providers=all",
        data={
            "deploy_target": "kubernetes",
            "database": "postgres",
            "cache_backend": "redis",
            "llm_providers": list(ALL_PROVIDERS),
        },
    ),
)
DELIVERY_CASES: tuple[Case, ...] = CASES + DELIVERY_COMBINATIONS
DELIVERY_CASE_IDS = [case.id for case in DELIVERY_CASES]

#: Every rendering: the file checks of tests/test_render.py run on all of them.
RENDER_CASES: tuple[Case, ...] = DELIVERY_CASES + PAIRWISE_CASES + NAME_CASES
RENDER_CASE_IDS = [case.id for case in RENDER_CASES]
