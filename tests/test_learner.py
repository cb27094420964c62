"""Every learner copy (`make learner`) runs only what nbval already ran, so the series is executed once.

A learner copy is its notebook without the cells tagged "solution" and with the exercise cells' outputs
cleared (`utils.learner`). The solutions come last, and a cell after them uses nothing they define, so what
a learner's "Restart and run all" executes is what nbval executes in the full notebook, in one kernel,
comparing every stored output. The exercise cells' stored
outputs (compared, not ignored) must say "not yet": then nbval proves, on every run, that the copy runs and
that its checks answer an unanswered exercise with "not yet", never "correct" and never an error.
"""

import ast
import re

import nbformat
import pytest

from utils import learner, workshop


def _printed(cell) -> str:
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.fixture(params=workshop.notebook_paths(), ids=lambda p: p.name)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def _names(source: str, context) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a magic: the copy's check below still compares the source
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def test_the_learner_copy_is_the_notebook_without_its_solutions(notebook):
    code = [c for c in notebook.cells if c.cell_type == "code"]
    first_solution = next((i for i, c in enumerate(code) if "solution" in _tags(c)), len(code))
    solved = set().union(*(_names(c.source, ast.Store) for c in code if "solution" in _tags(c)))
    for cell in code[first_solution:]:
        if "solution" not in _tags(cell):
            used = sorted(_names(cell.source, ast.Load) & solved)
            assert not used, f"a cell after the solutions uses {used}, which the copy never defines: {cell.source}"
    copy = learner.learner_copy(notebook)
    assert [c.source for c in copy.cells if c.cell_type == "code"] == \
        [c.source for c in code if "solution" not in _tags(c)]


CALLS_A_CHECK = re.compile(r"\bcheck(_\w+)?\(")


def test_each_exercise_says_not_yet_in_an_output_nbval_compares(notebook):
    exercises = [c for c, s in zip(notebook.cells, workshop.headings(notebook), strict=True)
                 if learner.is_exercise(c, s)]
    assert exercises, "the notebook has exercise cells"
    for cell in exercises:
        assert "nbval-ignore-output" not in _tags(cell), f"nbval must compare this exercise's output: {cell.source}"
        if "checkpoint" in _tags(cell) and not CALLS_A_CHECK.search(cell.source):  # checked after the evidence
            assert not _printed(cell), (cell.source, _printed(cell))
            continue
        assert "not yet" in _printed(cell) and "correct" not in _printed(cell).replace("not yet", ""), \
            (cell.source, _printed(cell))


def test_a_cell_that_needs_a_solution_fails():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[md("## Exercises"), code("answer = ...\ncheck(answer)"), md("## Solutions"),
                                         code("answer = 3", metadata={"tags": ["solution"]}), code("print(answer)")])
    with pytest.raises(AssertionError, match=r"uses \['answer'\], which the copy never defines"):
        test_the_learner_copy_is_the_notebook_without_its_solutions(nb)
