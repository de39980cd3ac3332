"""Paired comparison of two variants on the same cases: exact sign test and bootstrap CI."""

from __future__ import annotations

import random
from dataclasses import dataclass
from math import comb


@dataclass(frozen=True)
class Comparison:
    cases: int
    mean_a: float
    mean_b: float
    wins_b: int
    wins_a: int
    ties: int
    p_value: float  # two-sided exact sign test on the cases where A and B differ
    ci_low: float  # 95% paired bootstrap interval of mean(B - A)
    ci_high: float


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial test of wins vs losses under p = 0.5."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail: float = sum(comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(a: list[float], b: list[float], *, resamples: int = 2000, seed: int = 0) -> Comparison:
    if len(a) != len(b) or not a:
        raise ValueError("compare needs two equally long, non-empty lists of paired scores")
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    wins_b = sum(d > 0 for d in diffs)
    wins_a = sum(d < 0 for d in diffs)
    rng = random.Random(seed)  # noqa: S311 - resampling, not cryptography
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(resamples))
    return Comparison(
        cases=len(a),
        mean_a=sum(a) / len(a),
        mean_b=sum(b) / len(b),
        wins_b=wins_b,
        wins_a=wins_a,
        ties=len(diffs) - wins_a - wins_b,
        p_value=sign_test(wins_b, wins_a),
        ci_low=means[int(0.025 * resamples)],
        ci_high=means[int(0.975 * resamples) - 1],
    )
