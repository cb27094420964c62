"""The workshop kit: each notebook's frame read from the notebook, the instructor's guide and one-page plan.

Used by INSTRUCTORS.md and WORKSHOP_PLAN.md (`make guide`), utils.learner and utils.slides; no notebook imports it.

    python -m utils.workshop            # rewrite the generated parts of INSTRUCTORS.md and WORKSHOP_PLAN.md
    python -m utils.workshop --check    # exit 1 when either differs from what the notebooks say

Everything comes from notebooks/NN_*.ipynb: the title and summary (first cell), the metadata `kvtvp`
(`teaching_minutes`, `exercise_minutes`, `minutes_source`: "authors' estimate" or "dry run YYYY-MM-DD", and
`core`: taught in the one-day plan or optional), the "Learning objectives" and "Key points" bullets, the run
times that `make timings-record` stored in data/timings.json, and the wheels of data/wheels.json. The
generated parts sit between `<!-- generated:begin NAME -->` and `<!-- generated:end NAME -->`; everything else
is written by hand and kept. A notebook added later gets its own section, with a place for notes, before
`<!-- notebooks:end -->`. The timetable and its rules are utils.schedule's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from utils import schedule, wheelhouse

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = ROOT / "INSTRUCTORS.md"
PLAN = ROOT / "WORKSHOP_PLAN.md"
PLAN_LINES, PLAN_WIDTH = 60, 100  # the one-page plan fits one printed page
TIMINGS = ROOT / "data" / "timings.json"
ESTIMATE = "authors' estimate"
MINUTES_SOURCE = re.compile(rf"{ESTIMATE}|dry run \d{{4}}-\d\d-\d\d")
BUSY = 0.1  # other programs' share of the CPUs from which a timing is marked as measured on a busy machine
WAIT, SNIPPET = 5, 50  # the guide names cells that take at least WAIT seconds, by their first SNIPPET characters
RUNS = {"2cpu": "2 CPUs", "1cpu": "1 CPU (as on Binder)"}  # the runs of data/timings.json the guide shows
BLOCK = re.compile(r"<!-- generated:begin (?P<name>[\w ]+) -->\n.*?<!-- generated:end (?P=name) -->", re.S)
NOTEBOOKS_END = "<!-- notebooks:end -->"
NO_NOTES = "**Where learners get stuck.** _No notes yet: write them after teaching this notebook once._\n"


@dataclass(frozen=True)
class Lesson:
    """One notebook as the guide describes it."""

    number: str  # "00"
    name: str  # "00_introduction.ipynb"
    title: str  # "Introduction and setup check"
    summary: str
    teaching: int  # minutes
    exercises: int
    objectives: tuple[str, ...]
    key_points: tuple[str, ...]
    core: bool = True  # in the one-day plan; False: optional
    minutes_source: str = ESTIMATE  # or "dry run YYYY-MM-DD"
    checkpoints: tuple[str, ...] = ()  # "<title>, minute ~N" for each cell tagged `checkpoint`


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """The series' notebooks in `folder` (NN_name.ipynb), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def headings(nb) -> list[str]:
    """For each cell, the `## ` section it sits in, in lower case ("" before the first one)."""
    current, found = "", []
    for cell in nb.cells:
        first = cell.source.lstrip().split("\n", 1)[0]
        if cell.cell_type == "markdown" and first.startswith("## "):
            current = first[3:].strip().lower()
        found.append(current)
    return found


def _bullets(lines: list[str]) -> tuple[str, ...]:
    """The `- ` items at the start of `lines`, continuation lines joined; stops at the first other line."""
    items = []
    for line in lines:
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()
        elif items or line.strip():
            break
    return tuple(items)


def _lines_after(nb, pattern: str) -> list[str]:
    """The lines after the first markdown line matching `pattern`, in the cell that holds it."""
    for cell in nb.cells:
        lines = cell.source.splitlines() if cell.cell_type == "markdown" else []
        for i, line in enumerate(lines):
            if re.match(pattern, line, re.I):
                return lines[i + 1:]
    return []


CHECK_NAME = re.compile(r""""checkpoint: ([^"]+)"|'checkpoint: ([^']+)'""")


def checkpoints(nb, teaching: int) -> tuple[str, ...]:
    """Each checkpoint (a code cell tagged `checkpoint`) as "<title>, minute ~N" of the teaching time.

    The title is the name its check gives ("checkpoint: <title>", in that cell or the next one that names
    one); the minute is its place among the cells before "## Verdict", scaled to the teaching minutes.
    """
    verdict = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and re.search(
        r"^## Verdict", c.source, re.M)), len(nb.cells))
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "checkpoint" in cell.metadata.get("tags", []):
            named = (m.group(1) or m.group(2) for c in nb.cells[i:] if (m := CHECK_NAME.search(c.source)))
            title = next(named, "untitled")
            found.append(f"{title}, minute ~{round(teaching * i / max(verdict, 1))}")
    return tuple(found)


def read_lesson(path: Path) -> Lesson:
    """The frame of one notebook; ValueError naming what is missing."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source.split("\n\n") if nb.cells else [""]
    title = re.match(r"# \d\d · (.+)", first[0])
    minutes = nb.metadata.get("kvtvp", {})
    objectives = _bullets(_lines_after(nb, r"\*\*Learning objectives\.\*\*"))
    key_points = _bullets(_lines_after(nb, r"## Key points"))
    missing = [what for what, value in (("a '# NN · Title' first line", title), ("objectives", objectives),
                                        ("key points", key_points)) if not value]
    missing += [f"metadata kvtvp.{k}" for k in ("teaching_minutes", "exercise_minutes")
                if not isinstance(minutes.get(k), int)]
    missing += ["metadata kvtvp.core (true or false)"] * (not isinstance(minutes.get("core"), bool))
    if not MINUTES_SOURCE.fullmatch(str(minutes.get("minutes_source"))):
        missing.append(f"metadata kvtvp.minutes_source (\"{ESTIMATE}\" or \"dry run YYYY-MM-DD\")")
    if missing:
        raise ValueError(f"{path.name} has no {', no '.join(missing)}")
    return Lesson(path.name[:2], path.name, title.group(1).strip(), " ".join(first[1].split()),
                  minutes["teaching_minutes"], minutes["exercise_minutes"], objectives, key_points,
                  minutes["core"], minutes["minutes_source"], checkpoints(nb, minutes["teaching_minutes"]))


def read_lessons(folder: Path = NOTEBOOKS) -> list[Lesson]:
    """Every notebook's frame, in order."""
    return [read_lesson(p) for p in notebook_paths(folder)]


def load_timings(path: Path = TIMINGS) -> dict:
    """The runs stored by `python -m utils.timings --save` ({} when there is no file yet)."""
    path = Path(path)
    return json.loads(path.read_text()).get("runs", {}) if path.exists() else {}


def _span(slots) -> str:
    return f"{schedule.clock(slots[0].start)}-{schedule.clock(slots[-1].end)}"


def checked_plans(lessons: list[Lesson]) -> tuple[schedule.Plan, list[schedule.Plan]]:
    """The one-day plan and the two half-days; ValueError naming every rule they break."""
    day, days = schedule.one_day(lessons), schedule.half_days(lessons)
    broken = schedule.problems(lessons, day, days)
    if broken:
        raise ValueError("the workshop's plans break their rules: " + "; ".join(broken)
                         + ". Change which notebooks are core (metadata kvtvp.core) or their minutes")
    return day, days


def minutes_line(lessons: list[Lesson]) -> str:
    """Where the minutes come from: a dry run (dated) or the authors' estimate, notebook by notebook."""
    timed = [f"{x.number} ({x.minutes_source})" for x in lessons if x.minutes_source != ESTIMATE]
    guessed = [x.number for x in lessons if x.minutes_source == ESTIMATE]
    said = [f"timed in a dry run for {', '.join(timed)}"] * bool(timed)
    if guessed:
        said.append(f"the authors' estimates for {'every notebook' if not timed else ', '.join(guessed)}, not yet "
                    "timed at a learner's pace ([Timing a dry run](INSTRUCTORS.md#timing-a-dry-run))")
    return f"Minutes: {'; '.join(said)}."


def optional_line(lessons: list[Lesson]) -> str:
    """The optional notebooks with their minutes."""
    rest = [f"{x.number} ({x.teaching + x.exercises} min)" for x in lessons if not x.core]
    return f"Optional, for a day with room or as homework: {', '.join(rest) or 'none'}."


def schedule_markdown(lessons: list[Lesson]) -> str:
    """The one-day and two-half-day plans of the core notebooks as Markdown tables, and the optional ones."""
    day, days = checked_plans(lessons)
    out = [f"Core: {', '.join(f'{x.number}' for x in lessons if x.core)} "
           f"({sum(x.teaching + x.exercises for x in lessons if x.core)} minutes). {optional_line(lessons)} "
           f"{minutes_line(lessons)}"]
    for plan in (day, *days):
        spare = plan.end - plan.slots[-1].end
        out += ["", f"### {plan.title} ({_span(plan.slots)}; ends by {schedule.clock(plan.end)}, "
                f"{spare} minutes to spare)", "", "| Time | What | Minutes |", "|---|---|---|"]
        out += [f"| {_span([s])} | {s.what} | {s.minutes} |" for s in plan.slots]
    return "\n".join(out)


def glance_markdown(lessons: list[Lesson]) -> str:
    """The one-day plan as a morning and an afternoon column, the half-days in a line, for the one-page plan."""
    day, days = checked_plans(lessons)
    lunch = next(s for s in day.slots if s.what == "Lunch")
    others = [s for s in day.slots if s is not lunch]
    morning = [f"{_span([s])} {s.what.split(':')[0]}" for s in others if s.start < lunch.start]
    afternoon = [f"{_span([s])} {s.what.split(':')[0]}" for s in others if s.start > lunch.start]
    rows = [f"| {m} | {a} |" for m, a in itertools.zip_longest(morning, afternoon, fillvalue="")]
    halves = "; ".join(f"day {n} {_span(d.slots)} ({', '.join(schedule.taught(d))})" for n, d in enumerate(days, 1))
    notes = f"Two half-days: {halves}. {optional_line(lessons)} {minutes_line(lessons)}"
    return "\n".join([f"| Morning | Afternoon (lunch {_span([lunch])}) |", "|---|---|", *rows, "",
                      textwrap.fill(notes, PLAN_WIDTH, break_on_hyphens=False)])


def platforms_markdown(report: dict) -> str:
    """One row per platform of data/wheels.json: the laptops it serves, its download, the pins with no wheel."""
    rows = ["| Platform | Laptops | Download | No wheel for |", "|---|---|---|---|"]
    for name, entry in report["platforms"].items():
        megabytes = wheelhouse.download_megabytes(entry)
        size = "unknown" if megabytes is None else f"{megabytes / 1000:.1f} GB"
        rows.append(f"| {name} | {entry['serves']} | {size} | {', '.join(sorted(entry['missing'])) or '-'} |")
    return "\n".join([*rows, "", f"Resolved {report['recorded']} for Python {report['python']} (`python -m "
                      "utils.wheelhouse record`; the reasons are in `data/wheels.json`). A platform with a pin "
                      "missing has no wheelhouse: its learners use Binder."])


def _seconds(entry: dict | None) -> str:
    if entry is None:
        return "not measured"
    notes = ["failed"] * bool(entry.get("error"))
    others = entry.get("others_cpu")
    if others is not None and others >= BUSY:
        notes.append(f"machine busy: other programs used {100 * others:.0f}% of the CPUs")
    return f"{entry['seconds']:.0f} s" + (f" ({'; '.join(notes)})" if notes else "")


def overview_markdown(lessons: list[Lesson], timings: dict) -> str:
    """One row per notebook: minutes, and measured run times on 2 CPUs and 1 CPU."""
    rows = ["| Notebook | Teaching (min) | Exercises (min) | " + " | ".join(f"Runs in, {v}" for v in RUNS.values())
            + " |", "|---|---|---|" + "---|" * len(RUNS)]
    for x in lessons:
        runs = " | ".join(_seconds(timings.get(label, {}).get(x.name)) for label in RUNS)
        rows.append(f"| [{x.number} · {x.title}](notebooks/{x.name}) | {x.teaching} | {x.exercises} | {runs} |")
    measured = sorted({e["date"] for run in timings.values() for e in run.values()})
    when = f"measured {', '.join(measured)} with `make timings-record`" if measured else \
        "not measured yet: run `make timings-record` on a quiet machine"
    return "\n".join([*rows, "", f"Run times: a fresh kernel running every cell, {when}."])


def lesson_markdown(lesson: Lesson, timings: dict) -> str:
    """A notebook's section of the guide: summary, minutes, run times and longest waits, objectives."""
    runs = [(words, timings.get(label, {}).get(lesson.name)) for label, words in RUNS.items()]
    measured = ", ".join(f"{_seconds(entry)} on {words}" for words, entry in runs if entry)
    role = "core" if lesson.core else "optional"
    out = [f"### {lesson.number} · {lesson.title}", "", f"[{lesson.name}](notebooks/{lesson.name}): {lesson.summary}",
           "", f"**Time.** Teaching {lesson.teaching} minutes, exercises {lesson.exercises} minutes ({role}; "
           f"{lesson.minutes_source}). Running every cell in a fresh kernel: "
           f"{measured or 'not measured yet (`make timings-record`)'}."]
    words, slowest = next(((w, e) for w, e in reversed(runs) if e), (None, None))
    cells = [c for c in (slowest or {}).get("slowest_cells", []) if c["seconds"] >= WAIT]
    if cells:
        out[-1] += f" Longest waits on {words}: " + "; ".join(
            f"cell [{c['cell']}] `{c['source'][:SNIPPET]}` {c['seconds']:.0f} s" for c in cells) + "."
    out += ["", f"**Checkpoint{'s' * (len(lesson.checkpoints) > 1)}** (a short checked exercise inside the lesson; "
            f"check the room): {'; '.join(lesson.checkpoints)}."][:2 * bool(lesson.checkpoints)]
    out += ["", "**Objectives.** After this notebook, learners can", *[f"- {o}" for o in lesson.objectives]]
    return "\n".join(out)


def generated_parts(lessons: list[Lesson], timings: dict) -> dict[str, str]:
    """The text of each generated part of the guide, by name."""
    parts = {"schedule": schedule_markdown(lessons), "overview": overview_markdown(lessons, timings),
             "platforms": platforms_markdown(wheelhouse.load_report())}
    parts.update({f"notebook {x.number}": lesson_markdown(x, timings) for x in lessons})
    return parts


def _block(name: str, text: str) -> str:
    return f"<!-- generated:begin {name} -->\n{text}\n<!-- generated:end {name} -->"


def update_guide(text: str, parts: dict[str, str], page: str | None = None) -> str:
    """`text` with each generated part replaced; a new notebook's part added before NOTEBOOKS_END.

    Raises:
        ValueError: when the page has a part nothing generates any more, or lacks a part or an anchor.
    """
    page = page or GUIDE.name
    present = {m.group("name") for m in BLOCK.finditer(text)}
    stale = sorted(present - set(parts))
    if stale:
        raise ValueError(f"{page} has parts no notebook has any more: {stale}; delete their sections")
    missing = [name for name in parts if name not in present]
    fixed = [name for name in missing if not name.startswith("notebook ")]
    if fixed or (missing and NOTEBOOKS_END not in text):
        raise ValueError(f"{page} needs {NOTEBOOKS_END!r} (where new notebooks go) or the parts {fixed or missing}")
    text = BLOCK.sub(lambda m: _block(m.group("name"), parts[m.group("name")]), text)
    new = "".join(f"{_block(name, parts[name])}\n\n{NO_NOTES}\n" for name in missing)
    return text.replace(NOTEBOOKS_END, new + NOTEBOOKS_END) if new else text


def plan_parts(lessons: list[Lesson]) -> dict[str, str]:
    """The text of each generated part of the one-page plan, by name."""
    return {"day at a glance": glance_markdown(lessons)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the generated parts of the guide and the one-page plan.")
    parser.add_argument("--check", action="store_true", help="only say whether both pages are up to date")
    args = parser.parse_args(argv)
    lessons = read_lessons()
    stale = 0
    for page, parts in ((GUIDE, generated_parts(lessons, load_timings())), (PLAN, plan_parts(lessons))):
        text = page.read_text()
        wanted = update_guide(text, parts, page.name)
        stale += wanted != text
        if args.check:
            print(f"{page.name} is up to date" if wanted == text else f"{page.name} differs: run `make guide`")
        else:
            page.write_text(wanted)
            print(f"{page} {'unchanged' if wanted == text else 'updated'}")
    return int(args.check and stale > 0)


if __name__ == "__main__":
    sys.exit(main())
