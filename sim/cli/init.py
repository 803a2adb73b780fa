"""`inmail-sim init [DIR]`: a starter folder (a scenario and a sweep from the shipped examples, each with an
editor modeline pointing at the JSON Schema written beside them, and a README), never over a user's file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..examples import NOTEBOOKS, names, notebook_path, scenario_path
from .common import EXIT_BAD_INPUT, Subparsers, say

SCHEMA_FILE = "scenario.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"
# starter file -> the shipped example it is made from
STARTERS = {"scenario.yaml": "baseline", "sweep.yaml": "team_size_sweep"}

README = """# inmail-sim starter

Made by `inmail-sim init`. The files:

- `scenario.yaml`: a 5-seat Recruiter contract under the source text's rules (the shipped `baseline` example).
- `sweep.yaml`: the same team at 1 to 50 seats (the shipped `team_size_sweep` example).
- `scenario.schema.json`: the JSON Schema of scenario files (`inmail-sim schema` prints it). The first line
  of each YAML file, `# yaml-language-server: $schema=scenario.schema.json`, makes editors that use the
  YAML language server (VS Code's YAML extension, Neovim, Helix, ...) complete and check the fields.
{notebooks}
Try:

    inmail-sim validate scenario.yaml      # every problem, with the field it is in
    inmail-sim run scenario.yaml           # results/baseline/: tables, figures and report.html
    inmail-sim sweep sweep.yaml            # results/team_size_sweep/: one folder per team size
    inmail-sim presets                     # the rule presets a scenario can start from

Edit `scenario.yaml` (its comments say what each field means), then validate and run it again.
"""
NOTEBOOKS_LINE = "- `notebooks/`: the shipped notebooks; they load the shipped example scenarios wherever they run.\n"


def add_parser(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    """Register `init` on the command line's subparsers."""
    p = sub.add_parser(
        "init", parents=[common], help="write a starter folder: a scenario, a sweep, their JSON Schema and a README"
    )
    p.add_argument("folder", nargs="?", type=Path, default=Path("."), help="where to write (default: here)")
    p.add_argument("--notebooks", action="store_true", help="also copy the example notebooks into notebooks/")
    p.set_defaults(handler=command)


def starter_files(with_notebooks: bool) -> dict[str, str]:
    """The starter folder's files, by path relative to it, and their text."""
    from ..config.scenario import json_schema

    files: dict[str, str] = {}
    for target, example in STARTERS.items():
        text = scenario_path(example).read_text(encoding="utf-8")
        files[target] = MODELINE + text.replace(f"scenarios/{example}.yaml", target)
    files[SCHEMA_FILE] = json.dumps(json_schema(), indent=2) + "\n"
    files["README.md"] = README.format(notebooks=NOTEBOOKS_LINE if with_notebooks else "")
    if with_notebooks:
        for name in names(NOTEBOOKS):
            files[f"notebooks/{name}.ipynb"] = notebook_path(name).read_text(encoding="utf-8")
    return files


def command(args: argparse.Namespace) -> int:
    """Write the starter folder; refuse (exit 2, naming the file) if any of its files exists already."""
    folder: Path = args.folder
    if folder.exists() and not folder.is_dir():
        print(f"init: {folder} is a file, not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    files = starter_files(args.notebooks)
    for relative in files:
        if (folder / relative).exists():
            print(
                f"init: {folder / relative} exists; not overwriting it (move it away or choose another folder)",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
    written: list[Path] = []
    try:
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never replaces a file made meanwhile
                written.append(path)
                handle.write(text)
    except OSError as err:
        for path in written:  # no half-written starter folder left as if complete
            path.unlink(missing_ok=True)
        print(f"init: cannot write {err.filename}: {err.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    say(args, f"wrote a starter folder in {folder}: {', '.join(files)}")
    say(args, f"next: inmail-sim run {folder / 'scenario.yaml'}")
    return 0
