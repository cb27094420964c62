"""Every stored notebook follows the series' conventions (SERIES.md), as a learner will open it."""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BINDER = "https://mybinder.org/v2/gh/kvtvp/keras-vs-tensorflow-vs-pytorch/HEAD?labpath=notebooks%2F{}"
SECTIONS = ["the claim under test", "learning objectives", "time needed", "## verdict", "## exercises",
            "## solutions", "## key points", "## sources"]


def test_the_series_has_its_first_notebook():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_introduction.ipynb"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_opens_with_title_and_binder_link_to_itself(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} · ")
    assert BINDER.format(path.name) in first.source


def test_has_every_section_in_order(notebook):
    _, nb = notebook
    prose = "\n".join(c.source.lower() for c in nb.cells if c.cell_type == "markdown")
    positions = [prose.find(section) for section in SECTIONS]
    missing = [s for s, p in zip(SECTIONS, positions, strict=True) if p < 0]
    assert not missing, f"missing sections: {missing}"
    assert positions == sorted(positions), "sections out of order"


def test_setup_is_the_first_code_cell(notebook):
    _, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert re.match(r"from utils\.setup import setup; \w+ = setup\(.*\)", code[0].source)


def test_setup_output_is_not_compared_and_minutes_are_in_the_metadata(notebook):
    """The device report differs on every machine; the workshop guide reads the minutes from the metadata."""
    _, nb = notebook
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "nbval-ignore-output" in first.metadata.get("tags", [])
    minutes = nb.metadata.get("kvtvp", {})
    assert all(isinstance(minutes.get(k), int) and minutes[k] > 0 for k in ("teaching_minutes", "exercise_minutes")), \
        f"notebook metadata needs kvtvp teaching_minutes and exercise_minutes, got {minutes}"


def test_stored_as_run_top_to_bottom_without_errors(notebook):
    _, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0]


def test_solutions_are_hidden_and_checked(notebook):
    _, nb = notebook
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, "2-3 exercises, each with a solution"
    for cell in solutions:
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        assert re.search(r"^\s*(\w+\.)?check\w*\(", cell.source, re.M), "each solution runs its exercise's check"
        printed = "".join(o.get("text", "") for o in cell.outputs)
        assert re.search(r"^Exercise .+: correct$", printed, re.M) and "not yet" not in printed, printed
