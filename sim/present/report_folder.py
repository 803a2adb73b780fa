"""Reading a results folder for the report: which kind it is (a run or a sweep), its YAML and JSON files,
the resolved rules it recorded and its Parquet tables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

TABLES = ("inmails", "seat_days", "account_days", "credits")


class NotAResultsFolderError(ValueError):
    """A folder that holds neither the results of `inmail-sim run` nor those of `inmail-sim sweep`."""


def folder_kind(folder: str | Path) -> str:
    """'run' or 'sweep'; NotAResultsFolderError when the folder is neither."""
    path = Path(folder)
    if not path.is_dir():
        raise NotAResultsFolderError(f"{path}: no such folder")
    if (path / "points.parquet").is_file() or (path / "sweep.json").is_file():
        return "sweep"
    if (path / "summary.json").is_file() and (path / "runs.parquet").is_file():
        return "run"
    raise NotAResultsFolderError(
        f"{path}: not a results folder: expected summary.json and runs.parquet (from `inmail-sim run`) "
        "or points.parquet and sweep.json (from `inmail-sim sweep`)"
    )


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def run_rules(resolved: Mapping[str, Any]) -> Mapping[str, Any]:
    """The resolved rules a results folder recorded (`rules.resolved` of scenario.resolved.yaml)."""
    rules = (resolved.get("rules") or {}).get("resolved") or {}
    return rules if isinstance(rules, Mapping) else {}


def _read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if path.is_file():
            try:
                tables[name] = pd.read_parquet(path)
            except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
                raise NotAResultsFolderError(f"{path}: cannot read the table: {str(err).splitlines()[0]}") from None
    return tables
