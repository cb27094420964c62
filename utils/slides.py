"""Slide metadata for presenting the notebooks with jupyterlab-rise (RISE in JupyterLab).

Used by `make slides` (run after editing a notebook; tests/test_workshop.py checks the notebooks carry
what it writes); no notebook imports it.

    python -m utils.slides               # write the slide types into notebooks/NN_*.ipynb
    python -m utils.slides --check       # exit 1, naming the notebooks, when one differs

The rules, read from each cell (so a notebook added later gets slides the same way):
the title cell and each `## ` heading start a slide; a `### ` heading, or prose after a code cell's
output, starts a sub-slide (below the previous one); code cells are fragments (shown on the next
keypress, then run with Shift+Enter); other prose continues the slide ("-"); the "## Solutions"
section and cells tagged "solution" are skipped. Each notebook also asks RISE to scroll long slides.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from utils.workshop import NOTEBOOKS, headings, notebook_paths

RISE = {"scroll": True}  # notebook metadata "rise": RISE's settings for this notebook


def slide_types(nb) -> list[str]:
    """The slide type of each cell of notebook `nb`, by the rules above."""
    types, previous = [], None
    for index, (cell, section) in enumerate(zip(nb.cells, headings(nb), strict=True)):
        first = cell.source.lstrip().split("\n", 1)[0]
        if section == "solutions" or "solution" in cell.metadata.get("tags", []):
            kind = "skip"
        elif index == 0 or (cell.cell_type == "markdown" and first.startswith("## ")):
            kind = "slide"
        elif cell.cell_type == "markdown" and (first.startswith("### ") or previous == "code"):
            kind = "subslide"
        else:
            kind = "fragment" if cell.cell_type == "code" else "-"
        types.append(kind)
        previous = cell.cell_type
    return types


def with_slides(nb):
    """Notebook `nb` with each cell's `slideshow.slide_type` and the notebook's `rise` settings set."""
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    nb.metadata["rise"] = dict(RISE)
    return nb


def carries_slides(nb) -> bool:
    """True when notebook `nb` already has exactly the metadata with_slides would write."""
    stored = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in nb.cells]
    return stored == slide_types(nb) and nb.metadata.get("rise") == RISE


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write slide metadata into the notebooks (for jupyterlab-rise).")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--check", action="store_true", help="only say which notebooks lack their slides")
    args = parser.parse_args(argv)
    stale = []
    for path in args.paths or notebook_paths(NOTEBOOKS):
        nb = nbformat.read(path, as_version=4)
        if carries_slides(nb):
            continue
        stale.append(path)
        if not args.check:
            nbformat.write(with_slides(nb), path)
        print(f"{path}: {'slides differ (run `make slides`)' if args.check else 'slide metadata written'}")
    return int(args.check and bool(stale))


if __name__ == "__main__":
    sys.exit(main())
