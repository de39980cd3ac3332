"""A small deterministic all-pairs (covering array) generator with constraints.

``covering_array(factors, allowed)`` returns rows (one value per factor) such that every pair of
values of two different factors that *some* allowed row can hold appears in at least one row.
``allowed(partial)`` judges a partial row (a dict holding some of the factors) and must return
False only when no completion of it can be allowed, so rules are checked as soon as the factors
they read are set.

The algorithm is the usual greedy one (in the spirit of AETG/IPO), without randomness, so the
same factors always give the same rows: start each row from the uncovered pair of the largest
factors, then give every other factor, largest first, the value that covers the most uncovered
pairs while the row can still be completed. Not minimal, but close to it for small matrices
(the generated project's questions give about 20 rows where the lower bound is 18).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from itertools import combinations
from typing import Any

Row = dict[str, Any]
Allowed = Callable[[Mapping[str, Any]], bool]
#: One pair of values: ((factor, value index), (factor, value index)), factors in factor order.
Pair = tuple[tuple[str, int], tuple[str, int]]


class Search:
    """Answers "can this partial row still be completed?" for one set of factors and rules.

    ``constrained`` names the factors ``allowed`` reads, in an order that sets the factors of
    one rule next to each other (so a dead end shows early); the others never matter.
    """

    def __init__(
        self,
        factors: Mapping[str, Sequence[Hashable]],
        allowed: Allowed,
        constrained: Sequence[str] | None = None,
    ) -> None:
        self.factors = factors
        self.allowed = allowed
        self.constrained = list(constrained if constrained is not None else factors)
        self.known: dict[frozenset[tuple[str, Any]], bool] = {}

    def completable(self, partial: Mapping[str, Any]) -> bool:
        """Whether some allowed full row extends ``partial`` (memoised depth-first search)."""
        relevant = {name: value for name, value in partial.items() if name in self.constrained}
        key = frozenset(relevant.items())
        if key not in self.known:
            self.known[key] = self._search(relevant)
        return self.known[key]

    def _search(self, partial: Row) -> bool:
        if not self.allowed(partial):
            return False
        missing = [name for name in self.constrained if name not in partial]
        if not missing:
            return True
        name = missing[0]
        return any(self.completable({**partial, name: value}) for value in self.factors[name])


def row_pairs(factors: Mapping[str, Sequence[Hashable]], row: Mapping[str, Any]) -> Iterator[Pair]:
    """The pairs of values a full (or partial) row holds."""
    indexed = [(name, list(factors[name]).index(row[name])) for name in factors if name in row]
    yield from combinations(indexed, 2)


def feasible_pairs(factors: Mapping[str, Sequence[Hashable]], search: Search) -> set[Pair]:
    """Every pair of values that some allowed row holds."""
    names = list(factors)
    pairs: set[Pair] = set()
    for first, second in combinations(names, 2):
        for i, a in enumerate(factors[first]):
            for j, b in enumerate(factors[second]):
                if search.completable({first: a, second: b}):
                    pairs.add(((first, i), (second, j)))
    return pairs


def covering_array(
    factors: Mapping[str, Sequence[Hashable]],
    allowed: Allowed,
    constrained: Sequence[str] | None = None,
) -> list[Row]:
    """Allowed rows that together hold every feasible pair (see the module docstring and
    ``Search`` for ``constrained``)."""
    search = Search(factors, allowed, constrained)
    size = {name: len(values) for name, values in factors.items()}
    order = sorted(factors, key=lambda name: (-size[name], list(factors).index(name)))
    uncovered = feasible_pairs(factors, search)
    rows: list[Row] = []
    while uncovered:
        (first, i), (second, j) = min(
            uncovered,
            key=lambda pair: (
                -size[pair[0][0]] * size[pair[1][0]],
                order.index(pair[0][0]),
                order.index(pair[1][0]),
                pair[0][1],
                pair[1][1],
            ),
        )
        row: Row = {first: factors[first][i], second: factors[second][j]}
        for name in order:
            if name in row:
                continue
            best: tuple[int, int] | None = None
            for index, value in enumerate(factors[name]):
                candidate = {**row, name: value}
                if not search.completable(candidate):
                    continue
                gain = sum(
                    1
                    for other, other_value in row.items()
                    if _pair(factors, name, index, other, other_value) in uncovered
                )
                if best is None or gain > best[0]:
                    best = (gain, index)
            assert best is not None, f"no allowed value of {name} completes {row}"
            row[name] = factors[name][best[1]]
        rows.append({name: row[name] for name in factors})
        uncovered -= set(row_pairs(factors, row))
    return rows


def _pair(
    factors: Mapping[str, Sequence[Hashable]], name: str, index: int, other: str, value: Any
) -> Pair:
    names = list(factors)
    mine = (name, index)
    theirs = (other, list(factors[other]).index(value))
    return (mine, theirs) if names.index(name) < names.index(other) else (theirs, mine)
