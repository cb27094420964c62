"""The workshop kit: the guide, its schedules and their rules, the one-page plan, learner copies, slides."""

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from utils import learner, schedule, slides, workshop

PATHS = workshop.notebook_paths()


def _lesson(number, teaching, exercises, core=True):
    return workshop.Lesson(number, f"{number}_x.ipynb", f"Lesson {number}", "A summary.", teaching, exercises,
                           ("do a thing;",), ("a point",), core)


def _notebook(teaching=30, exercises=15, extra=(), core=True):
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
    return new_notebook(cells=cells, metadata={"kvtvp": {"teaching_minutes": teaching, "exercise_minutes": exercises,
                                                         "core": core, "minutes_source": "authors' estimate"}})


def _series(folder, minutes):
    """Lessons read from synthetic notebooks in `folder`: {number: (teaching, exercises, core)}."""
    for number, (teaching, exercises, core) in minutes.items():
        nbformat.write(_notebook(teaching, exercises, core=core), folder / f"{number}_lesson.ipynb")
    return workshop.read_lessons(folder)


def test_the_guide_and_the_plan_match_the_notebooks():
    lessons = workshop.read_lessons()
    for page, parts in ((workshop.GUIDE, workshop.generated_parts(lessons, workshop.load_timings())),
                        (workshop.PLAN, workshop.plan_parts(lessons))):
        text = page.read_text()
        assert workshop.update_guide(text, parts) == text, f"{page.name} differs from the notebooks: run `make guide`"


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


def _check_plan(plan, lessons):
    """Slots follow one another from 09:00; core notebooks in order, each once; the lesson minutes add up."""
    slots = plan.slots
    assert slots[0].start == schedule.START and slots[0].what not in schedule.PAUSES
    assert slots[-1].what == schedule.BUFFER_TEXT
    for before, after in zip(slots, slots[1:], strict=False):
        assert after.start == before.end
        assert not (before.what in schedule.PAUSES and after.what in schedule.PAUSES), "two pauses in a row"
    taught = schedule.taught(plan)
    assert taught == sorted(taught)
    return {x.number for x in lessons if x.number in taught}, sum(s.minutes for s in slots if s.notebook)


SERIES_LIKE = {"00": (30, 15, True), "01": (50, 25, True), "02": (25, 20, False), "07": (20, 15, True)}


@pytest.mark.parametrize("minutes", [
    SERIES_LIKE,
    {"00": (20, 10, True), "01": (100, 40, True), "07": (10, 10, True)},
    {"00": (45, 45, True), "07": (20, 10, True)},
    {f"{n:02d}": (20, 10, n not in (1, 4)) for n in range(8)},
], ids=["like the series", "a core notebook over 90 minutes", "two notebooks", "eight, some optional"])
def test_both_plans_teach_every_core_notebook_once_within_the_rules(minutes, tmp_path):
    lessons = _series(tmp_path, minutes)
    core = {x.number for x in lessons if x.core}
    core_minutes = sum(x.teaching + x.exercises for x in lessons if x.core)
    day, days = schedule.one_day(lessons), schedule.half_days(lessons)
    assert _check_plan(day, lessons) == (core, core_minutes)
    assert [s.what for s in day.slots].count("Lunch") == 1 and day.slots[0].what == schedule.CLINIC_TEXT
    parts = [_check_plan(d, lessons) for d in days]
    assert set().union(*(p[0] for p in parts)) == core and sum(p[1] for p in parts) == core_minutes
    assert all(s.what != "Lunch" for d in days for s in d.slots) and days[0].slots[0].what == schedule.CLINIC_TEXT
    assert schedule.problems(lessons, day, days) == []


def test_the_series_core_fits_a_day_ending_by_half_past_four_with_the_synthesis_last():
    lessons = workshop.read_lessons()
    day, days = workshop.checked_plans(lessons)
    assert day.slots[-1].end <= schedule.DAY_END == 16 * 60 + 30
    assert all(d.slots[-1].end <= schedule.HALF_END for d in days)
    assert schedule.taught(day)[-1] == schedule.taught(days[-1])[-1] == "07"
    assert [x.number for x in lessons if not x.core], "the rest is optional, with its minutes"


def test_a_plan_that_ends_late_is_refused(tmp_path):
    lessons = _series(tmp_path, {**SERIES_LIKE, "03": (90, 60, True), "04": (60, 30, True)})
    day, days = schedule.one_day(lessons), schedule.half_days(lessons)
    found = schedule.problems(lessons, day, days)
    assert any(re.fullmatch(r"One day ends at \d\d:\d\d, after its stated end 16:30", p) for p in found), found
    assert any("Two half-days: day 2 ends at" in p and "after its stated end 12:30" in p for p in found), found
    with pytest.raises(ValueError, match="One day ends at .* after its stated end 16:30"):
        workshop.checked_plans(lessons)


def test_a_core_notebook_split_across_lunch_or_between_days_is_refused(tmp_path):
    lessons = _series(tmp_path, {"00": (20, 10, True), "01": (100, 40, True), "07": (10, 10, True)})
    pieces = schedule.pieces(lessons)
    inside = next(i for i in range(1, len(pieces)) if pieces[i][2] == pieces[i - 1][2] == "01")
    found = schedule.problems(lessons, schedule.one_day(lessons, cut=inside), schedule.half_days(lessons, cut=inside))
    assert "One day: core notebook 01 is split across lunch" in found
    assert "Two half-days: core notebook 01 is split between the days" in found
    assert schedule.problems(lessons, schedule.one_day(lessons), schedule.half_days(lessons)) == [], \
        "left to itself, the plan cuts at a notebook's end"


def test_a_day_without_the_synthesis_is_refused(tmp_path):
    lessons = _series(tmp_path, {**SERIES_LIKE, "07": (20, 15, False)})
    found = schedule.problems(lessons, schedule.one_day(lessons), schedule.half_days(lessons))
    assert any(p.startswith("07 (the synthesis) does not close the core day (One day)") for p in found), found
    with pytest.raises(ValueError, match="07 .the synthesis. does not close the core day"):
        workshop.schedule_markdown(lessons)


def test_a_long_stretch_without_a_break_is_refused():
    lesson = _lesson("07", 20, 10)
    slots = (schedule.Slot(540, 60, "00 · A", "00"), schedule.Slot(600, 40, "07 · B", "07"))
    plan = schedule.Plan("One day", schedule.DAY_END, slots)
    assert "One day: 100 minutes without a break at 10:00" in schedule.problems([lesson], plan, [plan])


def test_the_schedule_says_where_its_minutes_come_from(tmp_path):
    lessons = _series(tmp_path, SERIES_LIKE)
    text = workshop.schedule_markdown(lessons)
    assert "the authors' estimates for every notebook, not yet timed" in text
    assert "Optional, for a day with room or as homework: 02 (45 min)" in text
    timed = [lessons[0].__class__(**{**vars(lessons[0]), "minutes_source": "dry run 2026-12-10"}), *lessons[1:]]
    line = workshop.minutes_line(timed)
    assert "timed in a dry run for 00 (dry run 2026-12-10)" in line and "estimates for 01, 02, 07" in line


def test_the_one_page_plan_fits_a_printed_page_and_is_linked():
    text = workshop.PLAN.read_text()
    lines = text.splitlines()
    assert len(lines) <= workshop.PLAN_LINES, f"{len(lines)} lines: the plan must fit one printed page"
    assert not [line for line in lines if len(line) > workshop.PLAN_WIDTH], "a line wider than the page"
    for heading in ("The day at a glance", "The evening before", "rituals", "Helper briefing",
                    "Where learners get stuck most"):
        assert heading in text, heading
    assert "https://docs.carpentries.org/policies/coc/" in text
    assert "sticky notes" in text.lower() and "shared notes document" in text.lower() and "exit ticket" in text.lower()
    stuck = text.split("## Where learners get stuck most")[1]
    assert all(f"- {x.number}:" in stuck for x in workshop.read_lessons() if x.core), "a core notebook has no line"
    for page in (workshop.ROOT / "README.md", workshop.GUIDE):
        assert "(WORKSHOP_PLAN.md)" in page.read_text(), f"{page.name} does not link the one-page plan"


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
    nb = _notebook()
    nb.metadata.kvtvp.update(core="yes", minutes_source="a guess")
    nbformat.write(nb, tmp_path / "44_vague.ipynb")
    with pytest.raises(ValueError, match=r"no metadata kvtvp.core \(true or false\), no metadata kvtvp.minutes_source"):
        workshop.read_lesson(tmp_path / "44_vague.ipynb")


def test_make_guide_keeps_hand_written_text_and_adds_a_new_notebook():
    lessons = [_lesson("00", 20, 10), _lesson("07", 30, 10)]
    parts = workshop.generated_parts(lessons, {})
    text = ("# Guide\nby hand\n<!-- generated:begin schedule -->\nold\n<!-- generated:end schedule -->\n"
            "<!-- generated:begin overview -->\n<!-- generated:end overview -->\n"
            "<!-- generated:begin platforms -->\n<!-- generated:end platforms -->\n"
            "<!-- generated:begin notebook 00 -->\nold\n<!-- generated:end notebook 00 -->\nnotes on 00\n"
            f"{workshop.NOTEBOOKS_END}\nthe end\n")
    new = workshop.update_guide(text, parts)
    assert "old" not in new and "by hand" in new and "notes on 00" in new and new.endswith("the end\n")
    assert new.index("### 07 · Lesson 07") < new.index(workshop.NO_NOTES) < new.index(workshop.NOTEBOOKS_END)
    assert workshop.update_guide(new, parts) == new, "a second run changes nothing"
    with pytest.raises(ValueError, match="notebook 00"):
        workshop.update_guide(new, workshop.generated_parts(lessons[1:], {}))
    with pytest.raises(ValueError, match="notebooks:end"):
        workshop.update_guide(text.replace(workshop.NOTEBOOKS_END, ""), parts)
    with pytest.raises(ValueError, match=r"WORKSHOP_PLAN.md needs .* \['day at a glance'\]"):
        workshop.update_guide("# Plan\n", workshop.plan_parts(lessons), "WORKSHOP_PLAN.md")


def test_the_platform_table_comes_from_the_wheel_report():
    report = {"recorded": "2026-12-04", "python": "3.11", "platforms": {
        "macos-arm64": {"serves": "Apple silicon Macs", "missing": {}, "wheels": {"a": {"bytes": 600_000_000}}},
        "macos-x86_64": {"serves": "Intel Macs", "missing": {"torch": "no wheel"}, "wheels": {"a": {"bytes": None}}}}}
    text = workshop.platforms_markdown(report)
    assert "| macos-arm64 | Apple silicon Macs | 0.6 GB | - |" in text
    assert "| macos-x86_64 | Intel Macs | unknown | torch |" in text and "Resolved 2026-12-04" in text


def test_run_times_and_waits_come_from_the_timings_file():
    run = {"seconds": 41.4, "error": None, "others_cpu": 0.02, "date": "2026-11-23",
           "slowest_cells": [{"cell": 7, "seconds": 12.3, "source": "bench.run(...)"},
                             {"cell": 3, "seconds": 0.4, "source": "import x"}]}
    timings = {"2cpu": {"00_x.ipynb": run}, "1cpu": {"00_x.ipynb": {**run, "seconds": 64.0, "others_cpu": 0.45}}}
    text = workshop.lesson_markdown(_lesson("00", 20, 10, core=False), timings)
    assert "41 s on 2 CPUs, 64 s (machine busy: other programs used 45% of the CPUs) on 1 CPU" in text
    assert "Longest waits on 1 CPU (as on Binder): cell [7] `bench.run(...)` 12 s." in text
    assert "import x" not in text, "waits under WAIT seconds are left out"
    assert "(optional; authors' estimate)" in text
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
