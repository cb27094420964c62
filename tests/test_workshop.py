"""The workshop kit: the instructor's guide and its schedule, learner copies, slide metadata."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import learner, slides, workshop

PATHS = workshop.notebook_paths()


def _lesson(number, teaching, exercises):
    return workshop.Lesson(number, f"{number}_x.ipynb", f"Lesson {number}", "A summary.", teaching, exercises,
                           ("do a thing;",), ("a point",))


def _notebook(teaching=30, exercises=15, extra=()):
    """A small notebook in the series' shape, with one exercise and its solution."""
    cells = [new_markdown_cell("# 42 · The answer\n\nOne line of summary\nover two lines.\n\n"
                               "**Learning objectives.** After this notebook you can\n- compute\n  the answer;\n"
                               "- check it.\n\n**Time needed.**"),
             new_markdown_cell("## Setup"), new_code_cell("x = 6 * 7"),
             new_markdown_cell("### A detail"), new_code_cell("print(x)"), new_markdown_cell("What it printed."),
             new_markdown_cell("## Exercises\n**Exercise 1.** Find it."),
             new_code_cell("answer_1 = ...\ncheck(1, answer_1)", outputs=[
                 nbformat.v4.new_output("stream", text="Exercise 1: not yet\n")]),
             new_markdown_cell("## Solutions"), new_markdown_cell("### Solution to exercise 1"),
             new_code_cell("answer_1 = 42\nprint('Exercise 1: correct')", metadata={"tags": ["solution"]}),
             new_markdown_cell("## Key points\n- it is 42,\n  always;\n- nothing else.\n\n## Sources\n- a book"),
             *extra]
    return new_notebook(cells=cells, metadata={"kvtvp": {"teaching_minutes": teaching, "exercise_minutes": exercises}})


def test_the_guide_matches_the_notebooks():
    text = workshop.GUIDE.read_text()
    wanted = workshop.update_guide(text, workshop.generated_parts(workshop.read_lessons(), workshop.load_timings()))
    assert wanted == text, "INSTRUCTORS.md differs from what the notebooks say: run `make guide`"


def test_the_guide_has_notes_for_every_notebook_and_the_setup_check():
    text = workshop.GUIDE.read_text()
    for path in PATHS:
        section = text.split(f"<!-- generated:end notebook {path.name[:2]} -->")[1].split("<!-- generated:begin")[0]
        assert "**Where learners get stuck.**" in section and workshop.NO_NOTES not in section, path.name
    assert "make setup-check" in text and "make learner" in text and "make slides" in text


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_the_time_needed_in_the_prose_is_the_metadata(path):
    nb = nbformat.read(path, as_version=4)
    lesson = workshop.read_lesson(path)
    paragraph = nb.cells[0].source.split("**Time needed.**")[1].split("\n\n")[0]
    assert [int(n) for n in re.findall(r"\d+", paragraph)] == [lesson.teaching, lesson.exercises], paragraph


def _check_schedule(slots, lessons):
    """Slots follow one another; lesson parts come in order; a break at least every MAX_STRETCH minutes."""
    stretch = 0
    for before, after in zip(slots, slots[1:], strict=False):
        assert after.start == before.start + before.minutes
    for slot in slots:
        is_break = slot.what in ("Break", "Lunch")
        stretch = 0 if is_break else stretch + slot.minutes
        assert stretch <= workshop.MAX_STRETCH, slot
    assert slots[0].what not in ("Break", "Lunch") and slots[-1].what not in ("Break", "Lunch")
    order = [s.what.split(" · ")[0] for s in slots if " · " in s.what]
    assert order == sorted(order) and set(order) == {x.number for x in lessons}
    return sum(s.minutes for s in slots if s.what not in ("Break", "Lunch"))


@pytest.mark.parametrize("lessons", [workshop.read_lessons(), [_lesson("00", 20, 10), _lesson("01", 200, 95)],
                                     [_lesson("00", 90, 90)], [_lesson(f"{n:02d}", 45, 45) for n in range(12)]],
                         ids=["the series", "a long notebook added", "one notebook", "twelve notebooks"])
def test_schedules_add_up_to_the_notebooks_minutes_plus_breaks(lessons):
    minutes = sum(x.teaching + x.exercises for x in lessons)
    day = workshop.one_day(lessons)
    assert _check_schedule(day, lessons) == minutes
    breaks = [s for s in day if s.what in ("Break", "Lunch")]
    assert [s.what for s in breaks].count("Lunch") == (1 if breaks else 0)
    assert day[-1].start + day[-1].minutes - day[0].start == minutes + sum(s.minutes for s in breaks)
    halves = workshop.half_days(lessons)
    assert sum(_check_schedule(h, [x for x in lessons if x.number in {s.what[:2] for s in h}]) for h in halves) \
        == minutes
    assert all(s.what != "Lunch" for h in halves for s in h)


def test_the_one_day_lunch_splits_the_lessons_near_the_middle():
    day = workshop.one_day(workshop.read_lessons())
    lunch = next(s for s in day if s.what == "Lunch")
    before = sum(s.minutes for s in day if s.start < lunch.start and s.what != "Break")
    after = sum(s.minutes for s in day if s.start > lunch.start and s.what != "Break")
    assert abs(before - after) <= workshop.MAX_STRETCH


def test_a_notebook_is_read_from_its_cells_and_metadata(tmp_path):
    nbformat.write(_notebook(), tmp_path / "42_answer.ipynb")
    lesson = workshop.read_lesson(tmp_path / "42_answer.ipynb")
    assert (lesson.number, lesson.title, lesson.summary) == ("42", "The answer", "One line of summary over two lines.")
    assert (lesson.teaching, lesson.exercises) == (30, 15)
    assert lesson.objectives == ("compute the answer;", "check it.")
    assert lesson.key_points == ("it is 42, always;", "nothing else.")


def test_a_notebook_without_its_frame_is_refused_by_name(tmp_path):
    nb = _notebook()
    nb.metadata = {}
    nb.cells[-1].source = "## Key points\nnone yet"
    nbformat.write(nb, tmp_path / "43_bare.ipynb")
    with pytest.raises(ValueError, match=r"43_bare.ipynb has no key points, no metadata kvtvp.teaching_minutes"):
        workshop.read_lesson(tmp_path / "43_bare.ipynb")


def test_make_guide_keeps_hand_written_text_and_adds_a_new_notebook():
    lessons = [_lesson("00", 20, 10), _lesson("01", 30, 10)]
    parts = workshop.generated_parts(lessons, {})
    text = ("# Guide\nby hand\n<!-- generated:begin schedule -->\nold\n<!-- generated:end schedule -->\n"
            "<!-- generated:begin overview -->\n<!-- generated:end overview -->\n"
            "<!-- generated:begin notebook 00 -->\nold\n<!-- generated:end notebook 00 -->\nnotes on 00\n"
            f"{workshop.NOTEBOOKS_END}\nthe end\n")
    new = workshop.update_guide(text, parts)
    assert "old" not in new and "by hand" in new and "notes on 00" in new and new.endswith("the end\n")
    assert new.index("### 01 · Lesson 01") < new.index(workshop.NO_NOTES) < new.index(workshop.NOTEBOOKS_END)
    assert workshop.update_guide(new, parts) == new, "a second run changes nothing"
    with pytest.raises(ValueError, match="notebook 00"):
        workshop.update_guide(new, workshop.generated_parts(lessons[1:], {}))
    with pytest.raises(ValueError, match="notebooks:end"):
        workshop.update_guide(text.replace(workshop.NOTEBOOKS_END, ""), parts)


def test_run_times_and_waits_come_from_the_timings_file():
    run = {"seconds": 41.4, "error": None, "others_cpu": 0.02, "date": "2026-11-23",
           "slowest_cells": [{"cell": 7, "seconds": 12.3, "source": "bench.run(...)"},
                             {"cell": 3, "seconds": 0.4, "source": "import x"}]}
    timings = {"2cpu": {"00_x.ipynb": run}, "1cpu": {"00_x.ipynb": {**run, "seconds": 64.0, "others_cpu": 0.45}}}
    text = workshop.lesson_markdown(_lesson("00", 20, 10), timings)
    assert "41 s on 2 CPUs, 64 s (machine busy: other programs used 45% of the CPUs) on 1 CPU" in text
    assert "cell [7] `bench.run(...)` 12 s" in text and "import x" not in text, "waits under a second are left out"
    overview = workshop.overview_markdown([_lesson("00", 20, 10), _lesson("01", 5, 5)], timings)
    assert "| 41 s | 64 s (machine busy: other programs used 45% of the CPUs) |" in overview
    assert "| not measured | not measured |" in overview


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_a_learner_copy_has_no_solution_and_no_answer_shown(path):
    nb = nbformat.read(path, as_version=4)
    copy = learner.learner_copy(nb)
    solutions = [c.source for c, s in zip(nb.cells, workshop.headings(nb), strict=True) if s == "solutions"]
    kept = [c.source for c in copy.cells]
    assert not [s for s in solutions if s in kept and s.strip()], "a cell of the Solutions section survived"
    assert not [c for c in copy.cells if "solution" in c.metadata.get("tags", [])]
    assert kept.count(learner.NOTE) == 1 and "Solution to exercise" not in "".join(kept)
    exercises = [c for c, s in zip(copy.cells, workshop.headings(copy), strict=True) if learner.is_exercise(c, s)]
    assert exercises and all(c.outputs == [] and c.execution_count is None for c in exercises)
    assert len(kept) == len(nb.cells) - len(solutions) + 1
    assert nbformat.validate(copy) is None


def test_make_learner_writes_every_notebook(tmp_path):
    nbformat.write(_notebook(), tmp_path / "42_answer.ipynb")
    written = learner.write_copies(tmp_path, tmp_path / "out")
    copy = nbformat.read(written[0], as_version=4)
    assert [p.name for p in written] == ["42_answer.ipynb"]
    assert "answer_1 = 42" not in str(copy) and "Exercise 1: not yet" not in str(copy)
    with pytest.raises(ValueError, match="no notebooks"):
        learner.write_copies(tmp_path / "out" / "none", tmp_path / "x")


def test_slide_types_follow_the_headings():
    nb = _notebook()
    assert slides.slide_types(nb) == ["slide", "slide", "fragment", "subslide", "fragment", "subslide", "slide",
                                      "fragment", "skip", "skip", "skip", "slide"]
    marked = slides.with_slides(nb)
    assert slides.carries_slides(marked) and marked.metadata["rise"] == slides.RISE
    marked.cells[2].metadata["slideshow"]["slide_type"] = "-"
    assert not slides.carries_slides(marked)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_the_notebooks_carry_their_slide_metadata(path):
    carries = slides.carries_slides(nbformat.read(path, as_version=4))
    assert carries, f"{path.name} lacks the slide metadata `make slides` writes: run it"


def test_make_slides_writes_only_what_differs(tmp_path, capsys):
    path = tmp_path / "42_answer.ipynb"
    nbformat.write(_notebook(), path)
    assert slides.main(["--check", str(path)]) == 1
    assert slides.main([str(path)]) == 0 and slides.carries_slides(nbformat.read(path, as_version=4))
    before = path.read_bytes()
    assert slides.main(["--check", str(path)]) == 0 and slides.main([str(path)]) == 0
    assert path.read_bytes() == before
    assert "slides differ" in capsys.readouterr().out


def test_an_exercise_cell_has_a_python_ellipsis_not_just_the_text():
    cell = nbformat.v4.new_code_cell
    assert learner.is_exercise(cell("answer = ...  # an int\ncheck(answer)"), "exercises")
    assert learner.is_exercise(cell("def payback(a, b):\n    ...\n"), "exercises")
    assert learner.is_exercise(cell("%time answer = ..."), "exercises"), "a magic: read as text"
    assert not learner.is_exercise(cell('def check(a):\n    return "replace the `...` with your answer"'), "exercises")
    assert not learner.is_exercise(cell("answer = ..."), "solutions")
