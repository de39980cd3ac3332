"""Migration (after the update): settings ``.env.example`` sets that the team's ``.env`` lacks.

``.env`` belongs to the team (``make dev`` copies it from ``.env.example`` once, updates never
rewrite it), so settings a release adds never reach it: after 0.2.0 introduced API keys, an old
``.env`` without ``DEV_API_KEY`` turned the README's curl into a 401. This step appends every
setting ``.env.example`` sets (uncommented ``KEY=value`` lines) that ``.env`` does not mention,
under a comment naming the release; values already in ``.env`` are never changed. No ``.env``:
nothing to do (``make dev`` creates it from the new ``.env.example``).

Usage: ``python env_settings.py --release VERSION`` in the project folder.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

_SETTING = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Z][A-Z0-9_]*)\s*=")
_MENTIONED = re.compile(r"^\s*#?\s*(?:export\s+)?(?P<key>[A-Z][A-Z0-9_]*)\s*=")


def settings(text: str) -> dict[str, str]:
    """Uncommented ``KEY=value`` lines, by key, in order."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _SETTING.match(line)
        if match and match["key"] not in found:
            found[match["key"]] = line.strip()
    return found


def mentioned(text: str) -> set[str]:
    """Keys a file sets or mentions in a commented-out ``# KEY=value`` line."""
    return {match["key"] for line in text.splitlines() if (match := _MENTIONED.match(line))}


def migrate(project: Path, release: str) -> str:
    """Append the settings ``.env`` lacks; return what was done."""
    prefix = f"migration {release} (.env):"
    env, example = project / ".env", project / ".env.example"
    if not env.is_file():
        return f"{prefix} no .env here (make dev creates it from .env.example). Nothing to do."
    if not example.is_file():
        return f"{prefix} no .env.example to compare with. Nothing to do."
    text = env.read_text(encoding="utf-8")
    missing = {
        key: line
        for key, line in settings(example.read_text(encoding="utf-8")).items()
        if key not in mentioned(text)
    }
    if not missing:
        return f"{prefix} .env already has every setting .env.example sets. Nothing to do."
    block = (
        f"\n# Added by the shipshape {release} update (a copier migration): settings "
        ".env.example sets\n# that this file lacked. Your other values are unchanged; "
        "review these.\n" + "".join(f"{line}\n" for line in missing.values())
    )
    env.write_text(text + ("" if text.endswith("\n") or not text else "\n") + block, "utf-8")
    return f"{prefix} appended {', '.join(missing)} to .env (see the comment there)."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", required=True, help="the release adding the settings")
    parser.add_argument("--project", type=Path, default=Path(), help="project folder (.)")
    args = parser.parse_args(argv)
    print(migrate(args.project, args.release), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
