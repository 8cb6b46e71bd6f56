"""Notebooks: committed clean, executed headless in a fresh kernel, their figures written."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from lab.notebooks import NOTEBOOKS, execute, main

PLOT = """
import matplotlib.pyplot as plt
from lab.experiment import PROJECT, plots_dir
out = plots_dir("tiny")
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
fig.savefig(out / "line.png")
print(Path.cwd() == PROJECT)
"""


def test_the_four_notebooks_are_committed_without_outputs() -> None:
    names = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["compare_llm", "compare_stt", "compare_tts", "e2e_latency"]
    for path in NOTEBOOKS.glob("*.ipynb"):
        document = nbformat.read(path, as_version=4)
        nbformat.validate(document)
        code = [cell for cell in document.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), path


def write(folder: Path, name: str, *sources: str) -> Path:
    path = folder / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(source) for source in sources]), path)
    return path


@pytest.mark.slow
def test_a_notebook_runs_from_the_project_root_and_writes_its_plots(tmp_path: Path) -> None:
    notebook = write(tmp_path, "tiny", "from pathlib import Path", PLOT)
    plots = execute(notebook, tmp_path / "out")
    assert [p.name for p in plots] == ["line.png"]
    executed = nbformat.read(tmp_path / "out" / "tiny.ipynb", as_version=4)
    printed = [o["text"] for o in executed.cells[1].outputs if o.get("name") == "stdout"]
    assert printed == ["True\n"]


@pytest.mark.slow
def test_a_failing_cell_fails_and_the_notebook_is_saved_as_far_as_it_ran(
    tmp_path: Path,
) -> None:
    notebook = write(tmp_path, "broken", "x = 1", "raise RuntimeError('scenario broken')")
    with pytest.raises(CellExecutionError, match="scenario broken"):
        execute(notebook, tmp_path / "out")
    saved = nbformat.read(tmp_path / "out" / "broken.ipynb", as_version=4)
    assert saved.cells[1].outputs[0]["ename"] == "RuntimeError"


def test_an_unknown_notebook_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare_nothing"]) == 2
    assert "no such notebook: compare_nothing" in capsys.readouterr().err
