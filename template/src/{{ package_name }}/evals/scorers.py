"""Scorers: each turns (answer, expectation) into a score in [0, 1] and a pass/fail.

``exact``, ``contains``, ``regex``, ``json_schema`` (a JSON object in the answer, code fences
allowed, valid against a schema), ``numeric`` (the first number in the answer within a
tolerance), ``similarity`` (cosine similarity of embeddings; needs ``EVAL_EMBEDDER``) and
``judge`` (an LLM grades the answer against a rubric through the gateway; needs
``EVAL_JUDGE_MODEL``). A scorer that cannot run offline is skipped with a note, never
counted as a pass.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
JSON_OBJECT = re.compile(r"\{.*\}|\[.*\]", re.DOTALL)
JUDGE_SCORE = re.compile(r"SCORE:\s*([1-5])")

Embedder = Callable[[list[str]], list[list[float]]]
Judge = Callable[[str, str, str], Awaitable[str]]


@dataclass(frozen=True)
class Score:
    scorer: str
    score: float | None  # None: skipped
    passed: bool | None
    note: str = ""


def _skip(name: str, note: str) -> Score:
    return Score(name, None, None, note)


def _bool(name: str, ok: bool, note: str = "") -> Score:
    return Score(name, 1.0 if ok else 0.0, ok, note)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def load_embedder(spec: str | None) -> Embedder | None:
    if not spec:
        return None
    module, _, name = spec.partition(":")
    embedder: Embedder = getattr(importlib.import_module(module), name)
    return embedder


def score_static(expect: dict[str, Any], answer: str) -> Score | None:
    """The scorers that need nothing but the answer (``negate: true`` inverts); None else."""
    score = _static(expect, answer)
    if score is None or not expect.get("negate"):
        return score
    return _bool(score.scorer, not score.passed, f"negated {score.note}".strip())


def _static(expect: dict[str, Any], answer: str) -> Score | None:
    kind = expect["type"]
    if kind == "exact":
        return _bool(kind, answer.strip() == str(expect["value"]).strip())
    if kind == "contains":
        value = str(expect["value"])
        if expect.get("ignore_case", True):
            return _bool(kind, value.lower() in answer.lower())
        return _bool(kind, value in answer)
    if kind == "regex":
        return _bool(kind, re.search(expect["pattern"], answer) is not None)
    if kind == "numeric":
        match = NUMBER.search(answer)
        if match is None:
            return _bool(kind, False, "no number in the answer")
        found_number = float(match.group().replace(",", "."))
        ok = abs(found_number - float(expect["value"])) <= float(expect.get("tolerance", 0))
        return _bool(kind, ok, f"found {found_number}")
    if kind == "json_schema":
        found = JSON_OBJECT.search(answer)
        try:
            data = json.loads(found.group()) if found else None
            jsonschema.validate(data, expect["schema"])
        except json.JSONDecodeError as exc:
            return _bool(kind, False, f"not JSON: {exc.msg}")
        except jsonschema.ValidationError as exc:
            return _bool(kind, False, exc.message)
        return _bool(kind, found is not None)
    return None


def score_similarity(expect: dict[str, Any], answer: str, embedder: Embedder | None) -> Score:
    if embedder is None:
        return _skip("similarity", "skipped: no embedder configured (set EVAL_EMBEDDER)")
    answer_vector, reference_vector = embedder([answer, str(expect["reference"])])
    similarity = cosine(answer_vector, reference_vector)
    return Score("similarity", similarity, similarity >= float(expect.get("min", 0.8)))


async def score_judge(
    expect: dict[str, Any], question: str, answer: str, judge: Judge | None
) -> Score:
    if judge is None:
        return _skip("judge", "skipped: no judge model configured (set EVAL_JUDGE_MODEL)")
    verdict = await judge(str(expect["rubric"]), question, answer)
    match = JUDGE_SCORE.search(verdict)
    if match is None:
        return Score("judge", 0.0, False, "the judge gave no SCORE: 1-5 line")
    score = (int(match.group(1)) - 1) / 4
    return Score("judge", score, score >= float(expect.get("min", 0.75)))


KINDS = {"exact", "contains", "regex", "numeric", "json_schema", "similarity", "judge"}
