"""``voxcore lab notebooks``: execute the notebooks headless, top to bottom, as CI does.

Each notebook runs in a fresh kernel from the project root (nbclient), writes its figures to
``OUT/NAME/`` and is saved executed as ``OUT/NAME.ipynb``, outputs included, to read or open
in Jupyter. A cell that raises fails the command with the cell's error. The result store
is shared with ``voxcore replay`` (``VOXCORE_LAB_RESULTS``), so a notebook after a replay of
the same dataset only plots.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from lab.experiment import PROJECT

NOTEBOOKS = PROJECT / "notebooks"
CELL_TIMEOUT_S = 900


def execute(notebook: Path, out: Path, timeout_s: int = CELL_TIMEOUT_S) -> list[Path]:
    """Run ``notebook`` in a new kernel; the figures it wrote. Raises on a failing cell, after
    saving the notebook as far as it ran."""
    import nbformat
    from nbclient import NotebookClient

    plots = out / notebook.stem
    plots.mkdir(parents=True, exist_ok=True)
    for stale in plots.glob("*.png"):
        stale.unlink()
    document = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        document,
        timeout=timeout_s,
        kernel_name="python3",
        resources={"metadata": {"path": str(PROJECT)}},
    )
    # The kernel inherits the environment: where to write plots, and no progress bars.
    headless = {"VOXCORE_LAB_PLOTS": str(plots.resolve()), "VOXCORE_LAB_PROGRESS": "0"}
    previous = {name: os.environ.get(name) for name in headless}
    os.environ.update(headless)
    try:
        client.execute()
    finally:
        nbformat.write(document, out / notebook.name)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    return sorted(plots.glob("*.png"))


def main(argv: list[str]) -> int:
    from nbclient.exceptions import CellExecutionError

    parser = argparse.ArgumentParser(prog="voxcore lab notebooks", description=__doc__)
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all)")
    parser.add_argument("--out", type=Path, default=PROJECT / "var" / "lab" / "notebooks")
    args = parser.parse_args(argv)
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if args.names:
        notebooks = [n for n in notebooks if n.stem in args.names]
        missing = set(args.names) - {n.stem for n in notebooks}
        if missing:
            print(f"no such notebook: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    failed = []
    for index, notebook in enumerate(notebooks, start=1):
        print(f"[{index}/{len(notebooks)}] {notebook.name} ...", flush=True)
        began = time.monotonic()
        try:
            plots = execute(notebook, args.out)
        except CellExecutionError as error:
            failed.append(notebook.name)
            print(f"  FAILED after {time.monotonic() - began:.0f} s:\n{error}", flush=True)
            continue
        print(f"  ok in {time.monotonic() - began:.0f} s, {len(plots)} plot(s):", flush=True)
        for plot in plots:
            print(f"    {plot}")
    print(
        f"executed notebooks in {args.out}" + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0
