"""The pairwise cases really cover every pair of answers copier accepts, and only those.

Fast: nothing is rendered here (tests/test_render.py and tests/test_generated.py render and
check the cases themselves).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations, product
from typing import Any

import pytest

from tests.cases import (
    FACTORS,
    FREE_TEXT,
    LINT_CASES,
    NAME_CASES,
    NOT_ASKED,
    PAIRWISE_CASES,
    QUESTIONS,
    RENDER_CASES,
    SAMPLES,
    allowed,
    choices,
    multiselect_factor,
)
from tests.pairwise import Search, covering_array, feasible_pairs
from tests.test_bad_answers import UNSUPPORTED_COMBINATIONS

Value = tuple[str, Any]

#: The pairs of answers no case may hold, written out by hand (not derived from copier.yml like
#: the cases are), so a generator bug or a rule read wrongly shows up as a difference.
IMPOSSIBLE_PAIRS: set[frozenset[Value]] = {
    frozenset({("deploy_target", "kubernetes"), ("database", "sqlite")}),
    frozenset({("compliance:hipaa", True), ("llm_providers:gemini", True)}),
    *(
        frozenset({("auth", "api_key"), ("oidc_provider", provider)})
        for provider in ("generic", "okta", "auth0", "entra", "keycloak", "google")
    ),
    frozenset({("auth", "oidc"), ("oidc_provider", NOT_ASKED)}),
    frozenset({("auth", "api_key_and_oidc"), ("oidc_provider", NOT_ASKED)}),
}


def row_of(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The factor values of a case's answers (the inverse of ``cases.answers_of``)."""
    row: dict[str, Any] = {}
    for name, spec in QUESTIONS.items():
        if name in FREE_TEXT:
            continue
        if spec.get("multiselect"):
            if name in answers:
                for choice in choices(spec):
                    row[multiselect_factor(name, choice)] = choice in answers[name]
        elif name in answers:
            row[name] = answers[name]
        elif isinstance(spec.get("when"), str):
            row[name] = NOT_ASKED
    return row


def pairs_of(row: Mapping[str, Any]) -> set[frozenset[Value]]:
    return {frozenset(pair) for pair in combinations(row.items(), 2)}


def all_pairs() -> set[frozenset[Value]]:
    return {
        frozenset({(first, a), (second, b)})
        for first, second in combinations(FACTORS, 2)
        for a in FACTORS[first]
        for b in FACTORS[second]
    }


def test_every_choice_of_every_question_is_a_factor() -> None:
    for name, spec in QUESTIONS.items():
        if name in FREE_TEXT:
            continue
        if spec.get("multiselect"):
            for choice in choices(spec):
                assert FACTORS[multiselect_factor(name, choice)] == (True, False), (name, choice)
        elif spec.get("type") == "bool":
            assert set(FACTORS[name]) == {True, False}, name
        elif name in SAMPLES:
            assert spec["default"] in FACTORS[name], name
        else:
            assert set(choices(spec)) <= set(FACTORS[name]), name
            assert set(FACTORS[name]) - set(choices(spec)) <= {NOT_ASKED}, name


def test_pairwise_cases_hold_every_pair_of_answers_copier_accepts() -> None:
    covered = set().union(*(pairs_of(row_of(case.data)) for case in PAIRWISE_CASES))
    assert all_pairs() - covered == IMPOSSIBLE_PAIRS


def test_every_pairwise_case_answers_every_question_and_is_allowed() -> None:
    for case in PAIRWISE_CASES:
        row = row_of(case.data)
        assert row.keys() == FACTORS.keys(), case.id
        assert allowed(row), case.id


def test_the_unsupported_combinations_of_test_bad_answers_are_not_allowed() -> None:
    """cases.py reads copier.yml's rules itself; it must refuse what copier refuses."""
    checked = 0
    for param in UNSUPPORTED_COMBINATIONS:
        answers = param.values[0]
        assert isinstance(answers, dict)
        if not answers.keys() <= QUESTIONS.keys():
            continue  # overrides a derived list (hipaa_baa_providers): not a factor
        defaults = {name: spec.get("default") for name, spec in QUESTIONS.items()}
        row = row_of({**defaults, **answers})
        assert not allowed(row), answers
        checked += 1
    assert checked >= 3


def test_case_ids_are_unique_and_names_vary() -> None:
    for cases in (RENDER_CASES, LINT_CASES):
        assert len({case.id for case in cases}) == len(cases)
    assert len({case.project_name for case in PAIRWISE_CASES}) >= 10


def test_the_name_sweep_keeps_its_shape() -> None:
    """Package names before and after ``conftest``, one letter, digits, non-ASCII, close to a
    dependency: what broke users' first `make lint`."""
    packages = {case.package for case in NAME_CASES}
    assert any(package < "conftest" for package in packages)
    assert any(package > "conftest" for package in packages)
    assert any(package.startswith("conftest") for package in packages)
    assert any(len(package) == 1 for package in packages)
    assert any(char.isdigit() for package in packages for char in package)
    assert any(not case.project_name.isascii() for case in NAME_CASES)
    assert {"fastapi_app", "pydantic_tools", "httpx_client", "app"} <= packages


# ---------------------------------------------------------------------------------------------
# The generator itself, against brute force on small examples
# ---------------------------------------------------------------------------------------------

TOY_FACTORS: dict[str, tuple[Any, ...]] = {
    "os": ("linux", "mac", "windows"),
    "browser": ("firefox", "chrome", "safari", "edge"),
    "arch": ("x86", "arm"),
    "debug": (True, False),
    "locale": ("en", "de", "ja"),
}


def toy_allowed(row: Mapping[str, Any]) -> bool:
    if row.get("browser") == "safari" and row.get("os") not in (None, "mac"):
        return False
    return not (row.get("browser") == "edge" and row.get("arch") == "arm")


@pytest.mark.parametrize("rule", [lambda row: True, toy_allowed], ids=["free", "constrained"])
def test_covering_array_holds_every_feasible_pair_found_by_brute_force(rule: Any) -> None:
    everything = [
        dict(zip(TOY_FACTORS, values, strict=True)) for values in product(*TOY_FACTORS.values())
    ]
    valid = [row for row in everything if rule(row)]
    feasible = set().union(*(pairs_of(row) for row in valid))
    rows = covering_array(TOY_FACTORS, rule)
    assert all(rule(row) for row in rows)
    assert set().union(*(pairs_of(row) for row in rows)) == feasible
    assert len(rows) <= 16  # the lower bound is 4 x 3 = 12 rows
    assert covering_array(TOY_FACTORS, rule) == rows  # deterministic
    indexed = feasible_pairs(TOY_FACTORS, Search(TOY_FACTORS, rule))
    assert len(indexed) == len(feasible)
