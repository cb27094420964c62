"""utils.dry_run: minutes from a dry run go into a notebook's metadata and "Time needed" line, nothing else."""

import json
import shutil

import pytest

from utils import dry_run, workshop


@pytest.fixture
def notebook(tmp_path):
    """A copy of a real notebook (its "Time needed" paragraph spans two lines)."""
    return shutil.copy(workshop.NOTEBOOKS / "02_speed.ipynb", tmp_path / "02_speed.ipynb")


def test_a_dry_run_sets_the_minutes_their_source_and_the_time_needed_line(notebook):
    before = json.loads(open(notebook, encoding="utf-8").read())
    kvtvp = dry_run.record_minutes(notebook, 35, 25, "2026-12-10")
    assert kvtvp == {**before["metadata"]["kvtvp"], "teaching_minutes": 35, "exercise_minutes": 25,
                     "minutes_source": "dry run 2026-12-10"}
    lesson = workshop.read_lesson(notebook)
    assert (lesson.teaching, lesson.exercises, lesson.minutes_source) == (35, 25, "dry run 2026-12-10")
    after = json.loads(open(notebook, encoding="utf-8").read())
    first = "".join(after["cells"][0]["source"])
    was = "".join(before["cells"][0]["source"])
    assert first == was.replace("Teaching: 25 minutes.\nExercises: 20", "Teaching: 35 minutes.\nExercises: 25")
    assert "**Time needed.** Teaching: 35 minutes.\nExercises: 25 minutes." in first
    assert after["cells"][1:] == before["cells"][1:]
    assert {k: v for k, v in after["metadata"].items() if k != "kvtvp"} == \
        {k: v for k, v in before["metadata"].items() if k != "kvtvp"}


def test_the_file_keeps_nbformats_layout(notebook):
    original = open(notebook, encoding="utf-8").read()
    dry_run.write_metadata(notebook)
    assert open(notebook, encoding="utf-8").read() == original, "writing nothing changes no byte"
    dry_run.write_metadata(notebook, core=False)
    text = open(notebook, encoding="utf-8").read()
    assert text.endswith("}\n") and '\n   "core": false,\n' in text and "·" in text, "indent 1, UTF-8 kept"


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"teaching": 0, "exercises": 5}, ValueError, "teaching"),
    ({"teaching": 5, "exercises": 2.5}, TypeError, "exercises"),
    ({"teaching": 5, "exercises": 5, "date": "10/12/2026"}, ValueError, "date must be YYYY-MM-DD"),
    ({"teaching": 5, "exercises": 5, "date": 20261210}, TypeError, "date"),
])
def test_wrong_minutes_or_dates_are_refused_before_writing(notebook, kwargs, error, match):
    original = open(notebook, encoding="utf-8").read()
    with pytest.raises(error, match=match):
        dry_run.record_minutes(notebook, **kwargs)
    assert open(notebook, encoding="utf-8").read() == original


def test_the_command_line_records_and_says_what_to_run_next(notebook, capsys):
    assert dry_run.main([str(notebook), "--teaching", "30", "--exercises", "20", "--date", "2026-12-11"]) == 0
    assert "now run `make guide`" in capsys.readouterr().out
    assert workshop.read_lesson(notebook).minutes_source == "dry run 2026-12-11"
