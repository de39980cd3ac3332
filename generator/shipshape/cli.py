"""The ``shipshape`` command line: new, update, check, fleet, presets, releases, demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import copier
import questionary

from shipshape import __version__, check, demo, fleet, presets, project, releases
from shipshape import answers as answers_
from shipshape.errors import CheckFailed, ShipshapeError, UsageError
from shipshape.template import ENV_VAR, Template, locate


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 success, 1 a check failed, 2 bad usage)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and argparse's own usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    if not hasattr(args, "command"):
        parser.print_help(sys.stderr)
        return 2
    try:
        result: int = args.command(args)
    except ShipshapeError as error:
        print(f"shipshape: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\nshipshape: aborted", file=sys.stderr)
        return 130
    return result


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915 (one statement per option)
    parser = argparse.ArgumentParser(
        prog="shipshape",
        description="Generate and update production-ready AI services from the shipshape template.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"shipshape {__version__} (copier {copier.__version__})",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    new = commands.add_parser("new", help="generate a new project")
    new.add_argument("dst", metavar="DEST", type=Path, help="folder to generate the project in")
    new.add_argument(
        "--preset",
        metavar="NAME_OR_PATH",
        help="preset name (see `shipshape presets list`) or answers file "
        f"(default: {presets.DEFAULT})",
    )
    new.add_argument(
        "--defaults",
        action="store_true",
        help="ask nothing: take the preset, -d answers and defaults for everything else",
    )
    _add_data(new)
    new.add_argument(
        "--vcs-ref", metavar="REF", help="template git tag or commit (default: newest release)"
    )
    new.add_argument(
        "--force",
        action="store_true",
        help="render into an existing non-empty DEST, overwriting files the template has",
    )
    _add_template(new)
    new.set_defaults(command=_new)

    update = commands.add_parser(
        "update", help="merge template changes into a generated project, keeping your edits"
    )
    update.add_argument(
        "path", metavar="PATH", nargs="?", type=Path, default=Path(), help="project (default: .)"
    )
    update.add_argument("--vcs-ref", metavar="REF", help="template version to update to")
    update.add_argument("--defaults", action="store_true", help="take defaults for new questions")
    _add_data(update)
    update.set_defaults(command=_update)

    check_cmd = commands.add_parser(
        "check",
        help="which release a project is on, whether its answers pass today's policy and "
        "whether template-owned files were edited by hand",
        description="Check a generated project. Exit status, a bit mask: 0 up to date and "
        f"clean, +{check.BEHIND} behind the newest release, +{check.POLICY} an answer fails "
        f"today's validators, +{check.DRIFT} template-owned files edited by hand; 2 cannot "
        "check (not a project, bad usage).",
    )
    check_cmd.add_argument(
        "path", metavar="PATH", nargs="?", type=Path, default=Path(), help="project (default: .)"
    )
    check_cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    check_cmd.add_argument(
        "--no-drift",
        action="store_true",
        help="skip the drift check (it renders the recorded release: a few seconds)",
    )
    check_cmd.add_argument(
        "--allow-behind",
        action="store_true",
        help=f"do not set bit {check.BEHIND} when a newer release exists (report it only)",
    )
    _add_template(check_cmd)
    check_cmd.set_defaults(command=_check)

    fleet_cmd = commands.add_parser(
        "fleet",
        help="platform teams: release, key answers, policy violations (and drift) of many projects",
        description="Check every project under DIR (each folder with a .copier-answers.yml) "
        "or listed in a file (one path a line). Exit status: the union of the projects' "
        "`check` bits; 2 when a project cannot be checked.",
    )
    fleet_cmd.add_argument(
        "target", metavar="DIR|LIST", type=Path, help="folder of projects, or a file of paths"
    )
    fleet_cmd.add_argument("--json", action="store_true", help="print the reports as JSON")
    fleet_cmd.add_argument(
        "--drift",
        action="store_true",
        help="also check drift (renders once per distinct release and answers)",
    )
    fleet_cmd.add_argument(
        "--allow-behind", action="store_true", help="being behind does not set the exit status"
    )
    _add_template(fleet_cmd)
    fleet_cmd.set_defaults(command=_fleet)

    preset_cmd = commands.add_parser("presets", help="list, show and validate presets")
    preset_cmd.set_defaults(command=lambda _: _usage(preset_cmd))
    _add_template(preset_cmd)
    preset_sub = preset_cmd.add_subparsers(title="commands", metavar="COMMAND")
    preset_sub.add_parser("list", help="list presets").set_defaults(command=_presets_list)
    show = preset_sub.add_parser("show", help="print a preset file")
    show.add_argument("name", metavar="NAME", help="preset name or file")
    show.set_defaults(command=_presets_show)
    validate = preset_sub.add_parser(
        "validate", help="check presets answer known questions, pass validators and render"
    )
    validate.add_argument(
        "files", metavar="FILE", nargs="*", type=Path, help="preset files (default: all presets)"
    )
    validate.set_defaults(command=_presets_validate)

    release_cmd = commands.add_parser(
        "releases", help="list the template's releases, create their git tags, cut a release"
    )
    release_cmd.set_defaults(command=lambda _: _usage(release_cmd))
    _add_template(release_cmd)
    release_sub = release_cmd.add_subparsers(title="commands", metavar="COMMAND")
    release_sub.add_parser("list", help="list releases (releases.yml)").set_defaults(
        command=_releases_list
    )
    release_sub.add_parser(
        "tag", help="create the git tag v<version> of every release in the template checkout"
    ).set_defaults(command=_releases_tag)
    cut = release_sub.add_parser(
        "cut", help="maintainers: release HEAD as VERSION (checks, manifest entry, tag)"
    )
    cut.add_argument("version", metavar="VERSION", help="the new version, e.g. 0.3.0")
    cut.set_defaults(command=_releases_cut)

    demo_cmd = commands.add_parser(
        "demo", help="generate a project, run it, send it a chat request and run its tests"
    )
    demo_cmd.add_argument(
        "dst",
        metavar="DIR",
        nargs="?",
        type=Path,
        default=demo.DEFAULT_DIR,
        help=f"folder to generate into (default: ./{demo.DEFAULT_DIR})",
    )
    demo_cmd.add_argument("--force", action="store_true", help="render into a non-empty DIR")
    _add_template(demo_cmd)
    demo_cmd.set_defaults(command=_demo)
    return parser


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d",
        "--data",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="answer a question (value read as YAML, e.g. -d 'llm_providers=[openai, ollama]'); "
        "repeatable, wins over the preset",
    )


def _add_template(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template",
        metavar="SRC",
        help=f"template path or git URL (default: ${ENV_VAR}, else this shipshape checkout)",
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _data(items: Sequence[str], template: Template) -> dict[str, Any]:
    data = answers_.parse(map(answers_.split, items), template.questions)
    answers_.check_known(data, template.questions, "-d")
    return data


def _new(args: argparse.Namespace) -> int:
    template = locate(args.template)
    overrides = _data(args.data, template)
    dst = args.dst.expanduser().resolve()
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())) and not args.force:
        raise UsageError(
            f"{dst} exists and is not empty: generate into a new folder, or pass --force to "
            "write the template's files into it (files with the same names are overwritten; "
            "to pull template changes into a generated project use `shipshape update`)"
        )
    interactive = not args.defaults
    if interactive and not _interactive():
        raise UsageError(
            "no terminal to ask questions on: pass --defaults to take the preset's answers and "
            "the defaults (add -d KEY=VALUE to set others), or run in a terminal"
        )
    preset: presets.Preset | None
    if args.preset is not None:
        preset = presets.find(args.preset, template.presets_dir)
    elif not presets.available(template.presets_dir):  # a template without presets
        preset = None
    elif interactive:
        preset = _pick_preset(template)
    else:
        preset = presets.find(presets.DEFAULT, template.presets_dir)
    data: dict[str, Any] = {}
    if preset is not None:
        data = preset.answers()
        answers_.check_known(data, template.questions, f"preset {preset.name}")
    data.update(overrides)
    project.new(
        dst, template, data, defaults=args.defaults, vcs_ref=args.vcs_ref, overwrite=args.force
    )
    print(f"\nCreated {dst}" + (f" (preset {preset.name})." if preset else "."))
    print(f"Next: cd {args.dst} && make dev")
    return 0


def _pick_preset(template: Template) -> presets.Preset:
    available = presets.available(template.presets_dir)
    width = max(len(preset.name) for preset in available)
    choices = [
        questionary.Choice(title=f"{preset.name:<{width}}  {preset.summary}", value=preset.name)
        for preset in available
    ]
    default = next((c for c in choices if c.value == presets.DEFAULT), choices[0])
    name = questionary.select("Preset", choices=choices, default=default).unsafe_ask()
    return presets.find(str(name), template.presets_dir)


def _update(args: argparse.Namespace) -> int:
    path = args.path.expanduser().resolve()
    project.check_updatable(path)
    src = project.recorded_answers(path).get("_src_path")
    template = _recorded_template(src)
    data = _data(args.data, template)
    result = project.update(path, data, defaults=args.defaults, vcs_ref=args.vcs_ref)
    versions = f"{result.old_ref or '?'} -> {result.new_ref or '?'}"
    if result.merged:
        print(
            f"\nMerged {len(result.merged)} file(s) where your edits and the template's touched "
            "neighbouring lines but no line changed on both sides (review them with git diff):"
        )
        for name in result.merged:
            print(f"  {name}")
    if result.conflicts:
        print(f"\nUpdated {path} ({versions}) with CONFLICTS in {len(result.conflicts)} file(s):")
        for name in result.conflicts:
            print(f"  {name}")
        print(
            "\nNext steps:\n"
            "  1. In each file, keep what you want between `<<<<<<< before updating` (yours) and\n"
            "     `>>>>>>> after updating` (the template's) and delete the markers; for a .rej\n"
            "     file apply the rejected hunk by hand, then delete it.\n"
            "  2. Review everything with `git diff`, then `git add -A && git commit`.\n"
            "  To drop the whole update instead: `git reset --hard && git clean -fd`."
        )
        raise CheckFailed(f"{len(result.conflicts)} file(s) need conflicts resolved")
    if not result.changed:
        print(f"\n{path} is up to date ({versions}); nothing changed.")
        return 0
    print(f"\nUpdated {path} ({versions}); {len(result.changed)} file(s) changed, no conflicts:")
    for name in result.changed:
        print(f"  {name}")
    print("\nNext: review with `git diff`, run the tests, then `git add -A && git commit`.")
    return 0


def _recorded_template(src: object) -> Template:
    """The template a project records, for checking -d names (remote or missing: no checks)."""
    if isinstance(src, str):
        try:
            return locate(src)
        except UsageError:
            pass
    return Template(str(src))


def _check(args: argparse.Namespace) -> int:
    path = args.path.expanduser().resolve()
    if not path.is_dir():
        raise UsageError(f"{path} does not exist or is not a folder")
    report = check.check(path, template=args.template, with_drift=not args.no_drift)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True))
    else:
        print(check.format_report(report))
    status = report.status
    return status & ~check.BEHIND if args.allow_behind else status


def _fleet(args: argparse.Namespace) -> int:
    target = args.target.expanduser().resolve()
    paths = fleet.discover(target)
    if not paths:
        raise UsageError(f"{target}: no generated projects (no {project.ANSWERS_FILE}) found")
    entries = fleet.run(paths, template=args.template, with_drift=args.drift)
    if args.json:
        print(json.dumps([entry.to_json() for entry in entries], indent=2, sort_keys=True))
    else:
        print(fleet.table(entries, with_drift=args.drift, base=target if target.is_dir() else None))
    status = fleet.status(entries)
    return status & ~check.BEHIND if args.allow_behind else status


def _presets_list(args: argparse.Namespace) -> int:
    template = locate(args.template)
    available = presets.available(template.presets_dir)
    if not available:
        print(f"no presets in {template.presets_dir}", file=sys.stderr)
        return 1
    width = max(len(preset.name) for preset in available)
    for preset in available:
        default = " (default)" if preset.name == presets.DEFAULT else ""
        print(f"{preset.name:<{width}}  For: {preset.summary}{default}")
    return 0


def _presets_show(args: argparse.Namespace) -> int:
    template = locate(args.template)
    preset = presets.find(args.name, template.presets_dir)
    sys.stdout.write(preset.path.read_text(encoding="utf-8"))
    return 0


def _presets_validate(args: argparse.Namespace) -> int:
    template = locate(args.template)
    if args.files:
        missing = [str(path) for path in args.files if not path.is_file()]
        if missing:
            raise UsageError(f"no such preset file: {', '.join(missing)}")
        checked = [presets.Preset(path.stem, path) for path in args.files]
    else:
        checked = presets.available(template.presets_dir)
        if not checked:
            raise UsageError(f"no presets in {template.presets_dir}")
    failed = 0
    for preset in checked:
        problem = presets.validate(preset, template)
        if problem is None:
            print(f"OK    {preset.path}")
        else:
            failed += 1
            print(f"FAIL  {preset.path}: {problem}")
    print(f"\n{len(checked) - failed} of {len(checked)} preset(s) valid.")
    return 1 if failed else 0


def _checkout(template: Template) -> Path:
    if template.root is None or not releases.is_checkout(template.root):
        raise UsageError(
            f"{template.src} is not a git checkout of the template with a {releases.MANIFEST}: "
            "pass --template PATH of a clone"
        )
    return template.root


def _releases_list(args: argparse.Namespace) -> int:
    root = _checkout(locate(args.template))
    found = releases.load(root)
    if not found:
        print(f"no releases in {root / releases.MANIFEST}")
        return 0
    for release in found:
        print(f"{release.tag:<10} {release.commit[:12]}  {release.date}")
    return 0


def _releases_tag(args: argparse.Namespace) -> int:
    root = _checkout(locate(args.template))
    created = releases.ensure_tags(root)
    total = len(releases.load(root))
    print(f"created {', '.join(created)}" if created else "every release tag exists already")
    print(f"{total} release(s) tagged in {root}")
    return 0


def _releases_cut(args: argparse.Namespace) -> int:
    root = _checkout(locate(args.template))
    release = releases.cut(root, args.version)
    print(
        f"Released {release.tag} = {release.commit[:12]}; {releases.MANIFEST} committed.\n"
        f"Next: push main (the tag itself does not travel; {releases.MANIFEST} does)."
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    demo.run(args.dst.expanduser().resolve(), locate(args.template), force=args.force)
    return 0
