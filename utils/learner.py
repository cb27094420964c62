"""Learner copies of the notebooks: no solutions, the exercise cells' answers not shown.

Used by `make learner` (the workshop's handout; the instructor's guide says how); no notebook imports it.

    python -m utils.learner                       # notebooks/NN_*.ipynb -> learner/NN_*.ipynb
    python -m utils.learner notebooks learner

In each copy, nbconvert's TagRemovePreprocessor drops the cells tagged "solution"; the rest of the
"## Solutions" section (its heading, "Solution to exercise N" lines) becomes one note saying where the
solutions are; and the code cells under "## Exercises" that hold a `...` for the learner to replace lose
their stored outputs (as do the checkpoint cells inside the lesson, tagged `checkpoint`), so no "not yet"
(or answer) is printed before the learner runs them.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import TagRemovePreprocessor

from utils.workshop import NOTEBOOKS, ROOT, headings, notebook_paths

LEARNER = ROOT / "learner"
PLACEHOLDER = re.compile(r"(?<![\w.])\.\.\.(?![\w.])")  # `...` in a cell Python cannot parse (a magic)
NOTE = ("## Solutions\n\nThis is the learner's copy: the solutions are not in it. Each exercise's check says "
        "whether your answer is right and why not; your instructor has the solutions, and so does the full "
        "notebook in the repository's `notebooks/` folder.")


def is_exercise(cell, section: str) -> bool:
    """True for a code cell under "## Exercises", or tagged `checkpoint`, with a `...` for the learner to replace.

    The `...` must be code (Python's Ellipsis), not text in a string or a comment: a check defined under
    the heading may well say "replace the `...`".
    """
    if cell.cell_type != "code" or (section != "exercises" and "checkpoint" not in cell.metadata.get("tags", [])):
        return False
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return bool(PLACEHOLDER.search(cell.source))
    return any(isinstance(node, ast.Constant) and node.value is Ellipsis for node in ast.walk(tree))


def learner_copy(nb):
    """A copy of notebook `nb` without solutions and with the exercise cells' outputs cleared."""
    nb, _ = TagRemovePreprocessor(remove_cell_tags={"solution"}).preprocess(copy.deepcopy(nb), {})
    cells, noted = [], False
    for cell, section in zip(nb.cells, headings(nb), strict=True):
        if section == "solutions":
            if not noted:
                cells.append(nbformat.v4.new_markdown_cell(NOTE))
                noted = True
            continue
        if is_exercise(cell, section):
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def write_copies(source: Path = NOTEBOOKS, target: Path = LEARNER) -> list[Path]:
    """Write a learner copy of every notebook in `source` into `target`; return their paths."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebook_paths(source):
        nbformat.write(learner_copy(nbformat.read(path, as_version=4)), target / path.name)
        written.append(target / path.name)
    if not written:
        raise ValueError(f"no notebooks (NN_name.ipynb) in {source}")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write learner copies of the notebooks (no solutions).")
    parser.add_argument("source", nargs="?", type=Path, default=NOTEBOOKS)
    parser.add_argument("target", nargs="?", type=Path, default=LEARNER)
    args = parser.parse_args(argv)
    for path in write_copies(args.source, args.target):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
