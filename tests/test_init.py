"""`inmail-sim init` writes a starter folder that validates and runs, never over a user's file; the shipped
examples are found from any working folder (sim.examples), and the notebooks find their data through it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import nbformat
import pytest
import yaml

from sim.cli.main import main
from sim.config.schema_export import json_schema
from sim.config.validate import validate_file
from sim.examples import NOTEBOOKS, SCENARIOS, names, notebook_path, scenario_path

from .conftest import ROOT

STARTER = ["scenario.yaml", "sweep.yaml", "scenario.schema.json", "README.md"]
MODELINE = "# yaml-language-server: $schema=scenario.schema.json\n"


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server sees it: dates stay strings (JSON has no date type)."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def test_init_writes_a_starter_folder_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "starter"
    assert main(["init", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(STARTER)
    assert "scenario.yaml" in capsys.readouterr().out
    schema = json.loads((folder / "scenario.schema.json").read_text(encoding="utf-8"))
    assert schema == json_schema()
    for name in ("scenario.yaml", "sweep.yaml"):
        text = (folder / name).read_text(encoding="utf-8")
        assert text.startswith(MODELINE), "the first line points editors at the schema beside the file"
        assert "scenarios/" not in text, "the comments name the starter file, not the repository's"
        assert validate_file(folder / name) == []
        jsonschema.validate(yaml.load(text, Loader=EditorLoader), schema)  # what the editor checks
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "inmail-sim run scenario.yaml" in readme and "yaml-language-server" in readme


def test_init_defaults_to_the_working_folder_and_its_scenario_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--quiet"]) == 0
    args = ["run", "scenario.yaml", "--set", "horizon_days=10", "--replications", "1", "--out", "out"]
    assert main([*args, "--executor", "serial", "--quiet", "--no-report"]) == 0
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.parametrize("existing", STARTER)
def test_init_refuses_to_overwrite_a_user_file(
    existing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / existing).write_text("mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / existing) in err, "one line naming the file"
    assert (tmp_path / existing).read_text(encoding="utf-8") == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == [existing], "nothing written"


def test_init_refuses_a_file_as_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "plain.txt"
    target.write_text("mine\n", encoding="utf-8")
    assert main(["init", str(target)]) == 2
    assert "plain.txt is a file" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_init_copies_the_notebooks_on_request(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path), "--notebooks", "--quiet"]) == 0
    copied = sorted(p.name for p in (tmp_path / "notebooks").iterdir())
    assert copied == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for name in copied:
        assert (tmp_path / "notebooks" / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()


def test_examples_are_found_from_any_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert names(SCENARIOS) == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert names(NOTEBOOKS) == sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert scenario_path("baseline") == scenario_path("baseline.yaml")
    assert scenario_path("baseline").read_bytes() == (ROOT / "scenarios" / "baseline.yaml").read_bytes()
    assert notebook_path("01_quickstart").is_file()
    with pytest.raises(FileNotFoundError, match="baseline"):  # the message lists the examples there are
        scenario_path("no_such_example")
    with pytest.raises(ValueError, match="kind"):
        names("datasets")


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_find_their_data_through_the_package(path: Path) -> None:
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "Path.cwd" not in code and '"scenarios"' not in code and "scenarios/" not in code
    assert "mkdtemp" not in code, "temporary folders are TemporaryDirectory objects"
    assert code.count("TemporaryDirectory()") == code.count(".cleanup()"), "each one removed by the notebook"
    if "load_scenario" in code or ".yaml" in code:
        assert "from sim.examples import scenario_path" in code
