"""Run eval datasets through the real pipeline (guardrails, flags, prompt, gateway, record).

A dataset is ``evals/datasets/<suite>.jsonl``, one case per line::

    {"id": "capital", "prompt": "chat", "variables": {}, "input": "What is the capital of
     France?", "expect": [{"type": "contains", "value": "Paris"}]}

``prompt`` defaults to the suite's name. Each case is one chat completion; its score is the
mean of its scorers that ran, and it passes when they all passed. The run uses a throwaway
SQLite database so evals never write to the service's own.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..chat.pipeline import chat_completion
from ..chat.schemas import ChatCompletionRequest, ChatMessage, PromptRef, Usage
from ..features.prompts import parse_ref
from ..foundation.database import make_engine, migrate
from ..foundation.errors import ApiError, ConfigError
from ..foundation.settings import Settings
from ..gateway.providers import TokenUsage
from ..identity.principal import system_principal
from ..services import Services, running
from ..spend.cost import cost_usd
from .scorers import (
    KINDS,
    Embedder,
    Judge,
    Score,
    load_embedder,
    score_judge,
    score_similarity,
    score_static,
)

JUDGE_SYSTEM = (
    "You grade an AI assistant's answer against a rubric. Reply with one line "
    "'SCORE: N' where N is 1 (fails the rubric) to 5 (fully meets it), then one sentence why."
)


@dataclass(frozen=True)
class Case:
    suite: str
    id: str
    prompt: str
    input: str
    variables: dict[str, Any]
    expect: list[dict[str, Any]]


@dataclass
class CaseResult:
    case: Case
    prompt: str
    model: str
    answer: str = ""
    error: str | None = None
    scores: list[Score] = field(default_factory=list)
    latency_ms: int = 0
    cost_usd: float = 0.0

    @property
    def score(self) -> float:
        ran = [s.score for s in self.scores if s.score is not None]
        if self.error is not None:
            return 0.0
        return sum(ran) / len(ran) if ran else 1.0

    @property
    def passed(self) -> bool:
        return self.error is None and all(s.passed is not False for s in self.scores)


@dataclass(frozen=True)
class Variant:
    """What a run changes: a pinned prompt version and/or a model."""

    prompt: str | None = None  # NAME@VERSION
    model: str | None = None

    def label(self) -> str:
        parts = [part for part in (self.prompt, self.model) if part]
        return " ".join(parts) or "default"


def load_cases(folder: Path, suites: list[str] | None = None) -> list[Case]:
    """Read the datasets; ConfigError names the file, line and field of a bad case."""
    paths = sorted(folder.glob("*.jsonl"))
    if suites:
        known = {path.stem for path in paths}
        unknown = sorted(set(suites) - known)
        if unknown:
            raise ConfigError(f"unknown suite(s) {unknown}; suites: {sorted(known)}")
        paths = [path for path in paths if path.stem in suites]
    cases: list[Case] = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
                expect = raw.get("expect", [])
                bad = [e.get("type") for e in expect if e.get("type") not in KINDS]
                if bad:
                    raise ConfigError(
                        f"{where}: expect: unknown scorer {bad} (known: {sorted(KINDS)})"
                    )
                cases.append(
                    Case(
                        suite=path.stem,
                        id=str(raw["id"]),
                        prompt=raw.get("prompt", path.stem),
                        input=str(raw["input"]),
                        variables=dict(raw.get("variables", {})),
                        expect=list(expect),
                    )
                )
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not valid JSON: {exc.msg}") from exc
            except KeyError as exc:
                raise ConfigError(f"{where}: missing field {exc.args[0]!r}") from exc
    return cases


@asynccontextmanager
async def eval_services(settings: Settings) -> AsyncIterator[Services]:
    """The service's own pipeline on a throwaway, migrated SQLite database."""
    with tempfile.TemporaryDirectory(prefix="evals-") as folder:
        url = f"sqlite:///{Path(folder) / 'evals.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        # Audit records of eval runs die with this database: keep digests, not content, so
        # evals need no encryption keys.
        update = {"database_url": url, "audit_content": "hash"}
        async with running(settings.model_copy(update=update)) as services:
            yield services


def _cost(services: Services, model: str, spent: Usage) -> float:
    """The price-book cost (spend/cost.py), cached and reasoning tokens included; 0 for a model
    without a known price."""
    usage = TokenUsage(
        spent.prompt_tokens,
        spent.completion_tokens,
        spent.prompt_tokens_details.cached_tokens,
        spent.completion_tokens_details.reasoning_tokens,
    )
    for name, target in services.gateway.catalog.targets.items():
        if target.model == model:
            cost = cost_usd(services.prices.price(name), usage)
            return float(cost) if cost is not None else 0.0
    return 0.0


class Runner:
    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.embedder: Embedder | None = load_embedder(settings.eval_embedder)
        self.judge: Judge | None = self._judge if settings.eval_judge_model else None

    async def _judge(self, rubric: str, question: str, answer: str) -> str:
        model = self.services.settings.eval_judge_model or ""
        route = self.services.gateway.route(model)
        request = ChatCompletionRequest(
            model=model,
            temperature=0,
            messages=[
                ChatMessage(role="system", content=JUDGE_SYSTEM),
                ChatMessage(
                    role="user",
                    content=f"Rubric: {rubric}\n\nQuestion: {question}\n\nAnswer: {answer}",
                ),
            ],
        )
        _, completion = await self.services.gateway.complete(route, request)
        return completion.content

    def _resolve(self, case: Case, variant: Variant) -> tuple[str, int | None, str]:
        name, version = case.prompt, None
        if variant.prompt:
            pinned, pinned_version = parse_ref(variant.prompt)
            if pinned == case.prompt:
                version = pinned_version
        prompt = self.services.prompts.get(name, version)
        return name, prompt.spec.version, variant.model or prompt.spec.model

    async def run_case(self, case: Case, variant: Variant) -> CaseResult:
        name, version, model = self._resolve(case, variant)
        result = CaseResult(case, f"{name}@{version}", model)
        request = ChatCompletionRequest(
            model=model,
            messages=[ChatMessage(role="user", content=case.input)],
            prompt=PromptRef(name=name, version=version, variables=case.variables),
            user=f"eval-{case.id}",
            # Evals measure the model (answers, latency, cost), never a cached answer.
            cache=False,
        )
        started = time.monotonic()
        try:
            request_id = f"eval-{uuid.uuid4().hex}"
            principal = system_principal("evals")
            completion = await chat_completion(self.services, request, request_id, principal)
        except ApiError as exc:
            result.error = f"{exc.code}: {exc.message}"
            return result
        finally:
            result.latency_ms = round((time.monotonic() - started) * 1000)
        result.answer = completion.choices[0].message.content or ""
        usage = completion.usage
        result.cost_usd = _cost(self.services, completion.model, usage)
        for expect in case.expect:
            static = score_static(expect, result.answer)
            if static is not None:
                result.scores.append(static)
            elif expect["type"] == "similarity":
                result.scores.append(score_similarity(expect, result.answer, self.embedder))
            else:
                result.scores.append(
                    await score_judge(expect, case.input, result.answer, self.judge)
                )
        return result

    async def run(self, cases: list[Case], variant: Variant) -> list[CaseResult]:
        return [await self.run_case(case, variant) for case in cases]
