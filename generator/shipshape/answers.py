"""Answers given on the command line (``-d key=value``) and checks on answer names and types."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from shipshape.errors import AnswerError, UsageError


def split(item: str) -> tuple[str, str]:
    """Split ``key=value``; raise :class:`UsageError` for anything else."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(
            f"argument -d/--data: {item!r} is not KEY=VALUE "
            "(for example -d database=postgres or -d 'llm_providers=[openai, ollama]')"
        )
    return key, value


def parse(
    items: Iterable[tuple[str, str]], questions: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any]:
    """Turn ``(key, text)`` pairs into answers.

    Values are read as YAML (``[a, b]`` is a list, ``true`` a bool), except for plain string
    questions, which keep the text as typed (so ``3.10`` stays ``"3.10"``). A bare or
    comma-separated value for a multiselect question becomes a list.
    """
    answers: dict[str, Any] = {}
    for key, text in items:
        spec = (questions or {}).get(key, {})
        multiselect = bool(spec.get("multiselect"))
        if spec.get("type") == "str" and not multiselect:
            answers[key] = text
            continue
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        if multiselect and not isinstance(value, list):
            value = [] if value is None else [v.strip() for v in str(value).split(",") if v.strip()]
        answers[key] = value
    return answers


def check_known(
    answers: Mapping[str, Any], questions: Mapping[str, Any] | None, origin: str
) -> None:
    """Raise :class:`AnswerError` naming the first answer the template does not ask about, or
    whose value is not of the question's type (a number, a whole number, true or false)."""
    if questions is None:
        return
    for key, value in answers.items():
        if key not in questions:
            raise AnswerError(
                f"{origin}: unknown question {key!r}; allowed: {', '.join(questions)}"
            )
        problem = _type_problem(questions[key], value)
        if problem:
            raise AnswerError(f"{origin}: {key} is {value!r}: {problem}")


def _type_problem(spec: Any, value: Any) -> str | None:
    kind = spec.get("type") if isinstance(spec, Mapping) else None
    example = spec.get("default") if isinstance(spec, Mapping) else None
    if kind == "bool":
        return None if isinstance(value, bool) else "it must be true or false"
    if kind not in ("int", "float"):
        return None
    whole = kind == "int"
    wanted = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        return f"it must be {wanted}, for example {example}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"it must be {wanted}, for example {example}"
    if not math.isfinite(number) or (whole and not number.is_integer()):
        return f"it must be {wanted}, for example {example}"
    return None
