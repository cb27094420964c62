"""Every learner copy (`make learner`) runs top to bottom with its exercises unanswered.

Each copy runs in a fresh kernel, as a learner's "Restart and run all" would: no cell may raise, and each
exercise cell's check must say "not yet" (never "correct", never an error). One test per notebook; the
whole file takes about as long as running the series once.
"""

import re

import nbformat
import pytest
from nbclient import NotebookClient

from utils import learner, workshop


def _printed(cell) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)


@pytest.mark.parametrize("path", workshop.notebook_paths(), ids=lambda p: p.name)
def test_the_learner_copy_runs_and_its_checks_say_not_yet(path, tmp_path):
    copy = learner.learner_copy(nbformat.read(path, as_version=4))
    NotebookClient(copy, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    exercises = [c for c, s in zip(copy.cells, workshop.headings(copy), strict=True) if learner.is_exercise(c, s)]
    assert exercises, "the copy has exercise cells"
    for cell in exercises:
        assert "not yet" in _printed(cell), (cell.source, _printed(cell))
    printed = "\n".join(_printed(c) for c in copy.cells if c.cell_type == "code")
    assert not re.search(r"^Exercise .+: correct$", printed, re.M), "an exercise says correct with no answer given"
