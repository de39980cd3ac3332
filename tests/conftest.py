"""Shared fixtures: render the template into temporary folders the way users do."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from tests.cases import Case

REPO = Path(__file__).resolve().parents[1]
PRESETS = REPO / "presets"

Render = Callable[..., Path]


def load_preset(name: str) -> dict[str, Any]:
    """Return the answers of ``presets/<name>.yml``."""
    data = yaml.safe_load((PRESETS / f"{name}.yml").read_text())
    assert isinstance(data, dict)
    return data


def render_project(
    dst: Path,
    data: dict[str, Any] | None = None,
    *,
    preset: str | None = "minimal",
    src: Path | str = REPO,
    vcs_ref: str | None = None,
) -> Path:
    """Render the template non-interactively into ``dst`` and return it.

    ``preset`` answers come first, ``data`` overrides them; everything else takes its default.
    Without ``vcs_ref`` this repository's working tree is rendered (``HEAD`` plus uncommitted
    edits); copier would otherwise pick the newest release tag.
    """
    if vcs_ref is None and Path(src) == REPO:
        vcs_ref = "HEAD"
    answers: dict[str, Any] = {"project_name": "Demo App"}
    if preset is not None:
        answers.update(load_preset(preset))
    answers.update(data or {})
    copier.run_copy(
        str(src),
        str(dst),
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=vcs_ref,
    )
    return dst


@pytest.fixture
def render(tmp_path: Path) -> Render:
    """Render into a fresh folder under ``tmp_path`` (``render(data, preset=...)``)."""
    counter = iter(range(1_000_000))

    def _render(data: dict[str, Any] | None = None, **kwargs: Any) -> Path:
        return render_project(tmp_path / f"project-{next(counter)}", data, **kwargs)

    return _render


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Path]:
    """Render each matrix case once per test session (per xdist worker) and reuse it."""
    cache: dict[str, Path] = {}

    def _rendered(case: Case) -> Path:
        if case.id not in cache:
            dst = tmp_path_factory.mktemp("rendered") / case.slug
            cache[case.id] = render_project(dst, case.answers, preset=case.preset)
        return cache[case.id]

    return _rendered


@pytest.fixture(autouse=True, scope="session")
def git_identity() -> None:
    """Tests commit in temporary repos; a fresh CI machine has no git identity configured."""
    for role in ("AUTHOR", "COMMITTER"):
        os.environ.setdefault(f"GIT_{role}_NAME", "shipshape tests")
        os.environ.setdefault(f"GIT_{role}_EMAIL", "tests@example.com")
