"""The shipped prompt-injection classifier: a linear model over hashed word and byte n-grams.

Features of a (normalised, lower-case) view: its UTF-8 byte 3-, 4- and 5-grams, its words and
word pairs, each hashed (a position-free polynomial hash, then multiplicative hashing) into
``2**bits`` buckets. A view's score is ``bias + sum(weights[features]) /
sqrt(len(features) + DAMPING)`` (short texts, with few features, stay near the bias) and its
probability the logistic of that; a text's probability is the highest over its views.
Every view is scored in one pass over their concatenation, so the cost is a fixed number of
numpy operations, linear in the text's length.

The weights (int8, base64 text: the template stays text-only) and their metadata live in
``injection_model/``; ``training/train_injection.py`` in the shipshape repository produces
them, and ``injection_model/MODEL_CARD.md`` says on what data and how well. This module
imports nothing from the package, so the training script loads it by path and trains on
exactly the features served here.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_DIR = Path(__file__).with_name("injection_model")
U64 = np.uint64
PRIME = U64(0x100000001B3)  # odd, so invertible modulo 2**64
GOLDEN = U64(0x9E3779B97F4A7C15)
MIX = U64(0xC2B2AE3D27D4EB4F)
CHAR_NGRAMS = (3, 4, 5)
DAMPING = 16
SALTS = {3: 0x51ED27, 4: 0xA54FF5, 5: 0x3C6EF3, "word": 0x1F83D9, "pair": 0x5BE0CD}


@cache
def _inverse_prime() -> np.uint64:
    # Newton's iteration for the inverse modulo 2**64 (doubles the correct bits each round).
    inverse, prime, mask = 1, int(PRIME), (1 << 64) - 1
    for _ in range(7):
        inverse = (inverse * (2 - prime * inverse)) & mask
    return U64(inverse)


class _Powers:
    """PRIME**i and PRIME**-i modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.up = np.ones(1, dtype=U64)
        self.down = np.ones(1, dtype=U64)

    def get(self, n: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        if len(self.up) < n:
            size = max(n, 2 * len(self.up), 4096)
            up = np.full(size, PRIME, dtype=U64)
            up[0] = 1
            down = np.full(size, _inverse_prime(), dtype=U64)
            down[0] = 1
            self.up = np.cumprod(up, dtype=U64)
            self.down = np.cumprod(down, dtype=U64)
        return self.up[:n], self.down[:n]


_POWERS = _Powers()


def _is_word(data: NDArray[np.uint8]) -> NDArray[np.bool_]:
    return ((data >= 97) & (data <= 122)) | ((data >= 48) & (data <= 57)) | (data >= 128)


def features(texts: Sequence[str], bits: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Bucket of every feature of every text, and the index of the text it belongs to."""
    joined = "\0".join(text.replace("\0", " ") for text in texts)
    data = np.frombuffer(joined.encode("utf-8", "replace") + b"\0", dtype=np.uint8)
    size = len(data)
    # Segment id per byte: text i -> 2i, the separator after it -> 2i + 1 (never shared).
    separators = np.flatnonzero(data == 0)
    segment = np.zeros(size, dtype=np.int64)
    segment[separators] = 1
    segment = np.cumsum(segment) * 2
    segment[separators] -= 1
    up, down = _POWERS.get(size + 1)
    prefix = np.zeros(size + 1, dtype=U64)
    np.cumsum((data.astype(U64) + U64(1)) * up[:size], out=prefix[1:])
    shift = U64(64 - bits)
    buckets: list[NDArray[np.uint64]] = []
    owners: list[NDArray[np.int64]] = []
    for n in CHAR_NGRAMS:
        if size < n:
            continue
        grams = (prefix[n:] - prefix[:-n]) * down[: size - n + 1]
        keep = segment[: size - n + 1] == segment[n - 1 :]
        buckets.append(((grams[keep] + U64(SALTS[n])) * GOLDEN) >> shift)
        owners.append(segment[: size - n + 1][keep])
    word = _is_word(data)
    edges = np.diff(word.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts):
        words = (prefix[ends] - prefix[starts]) * down[starts]
        buckets.append(((words + U64(SALTS["word"])) * GOLDEN) >> shift)
        owners.append(segment[starts])
        same = segment[starts[1:]] == segment[starts[:-1]]
        pairs = words[:-1] * MIX + words[1:]
        buckets.append(((pairs[same] + U64(SALTS["pair"])) * GOLDEN) >> shift)
        owners.append(segment[starts[1:]][same])
    if not buckets:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(buckets).astype(np.int64), np.concatenate(owners) // 2


@dataclass(frozen=True)
class InjectionModel:
    """Weights and metadata of one trained model; ``probability`` scores a list of views."""

    version: str
    bits: int
    bias: float
    threshold: float
    weights: NDArray[np.int8]  # multiplied by scale (a small table stays in the CPU's cache)
    scale: float

    @classmethod
    def load(cls, folder: Path = MODEL_DIR) -> InjectionModel:
        meta: dict[str, Any] = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        raw = base64.b64decode((folder / "weights.b64").read_bytes())
        weights = np.frombuffer(raw, dtype=np.int8)
        if len(weights) != 1 << int(meta["bits"]):
            raise ValueError(f"{folder}: {len(weights)} weights for {meta['bits']} bits")
        return cls(
            version=str(meta["version"]),
            bits=int(meta["bits"]),
            bias=float(meta["bias"]),
            threshold=float(meta["threshold"]),
            weights=weights,
            scale=float(meta["scale"]),
        )

    def view_probabilities(self, views: Sequence[str]) -> list[float]:
        if not views:
            return []
        buckets, owner = features(views, self.bits)
        count = np.bincount(owner, minlength=len(views))
        total = np.bincount(owner, weights=self.weights[buckets], minlength=len(views))
        logits = self.bias + self.scale * total / np.sqrt(count + DAMPING)
        return [1.0 / (1.0 + math.exp(-float(z))) for z in logits]

    def probability(self, views: Sequence[str]) -> float:
        """The probability that the text these views read is an attack (highest view)."""
        return max(self.view_probabilities(views), default=0.0)

    def score(self, text: str, views: Sequence[str], /) -> float:
        """``injection.Classifier``: the text's probability, from its views."""
        return self.probability(views or [text.lower()])


@cache
def shipped_model() -> InjectionModel:
    """The model that ships with the service (loaded once, about 10 ms)."""
    return InjectionModel.load()
