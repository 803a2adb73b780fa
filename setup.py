"""Build hook: the wheel ships the example scenarios and notebooks inside the package, under sim/resources/,
so an installed inmail-sim has them (`sim.examples`, `inmail-sim init`). The repository keeps the canonical
copies in scenarios/ and notebooks/; an editable install reads those directly."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = {"scenarios": "*.yaml", "notebooks": "*.ipynb"}


class BuildWithExamples(build_py):
    """build_py, then a fresh copy of each shipped folder into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for folder, pattern in SHIPPED.items():
            target = Path(self.build_lib) / "sim" / "resources" / folder
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for source in sorted((HERE / folder).glob(pattern)):
                shutil.copy2(source, target / source.name)


setup(cmdclass={"build_py": BuildWithExamples})
