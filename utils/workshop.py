"""The workshop kit: each notebook's frame read from the notebook, a schedule, the instructor's guide.

Used by INSTRUCTORS.md (`make guide`), utils.learner and utils.slides; no notebook imports it.

    python -m utils.workshop            # rewrite the generated parts of INSTRUCTORS.md
    python -m utils.workshop --check    # exit 1 when INSTRUCTORS.md differs from what the notebooks say

Everything comes from notebooks/NN_*.ipynb: the title and summary (first cell), the minutes (metadata
`kvtvp.teaching_minutes` / `exercise_minutes`), the "Learning objectives" and "Key points" bullets, and the
run times that `make timings-record` stored in data/timings.json. The guide's generated parts sit between
`<!-- generated:begin NAME -->` and `<!-- generated:end NAME -->`; everything else is written by hand and
kept. A notebook added later gets its own section, with a place for notes, before `<!-- notebooks:end -->`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = ROOT / "INSTRUCTORS.md"
TIMINGS = ROOT / "data" / "timings.json"
MAX_STRETCH = 90  # minutes of lessons between two breaks, at most
BREAK, LUNCH = 15, 60  # minutes
START = 9 * 60  # 09:00, in minutes after midnight
BUSY = 0.1  # other programs' share of the CPUs from which a timing is marked as measured on a busy machine
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
    if missing:
        raise ValueError(f"{path.name} has no {', no '.join(missing)}")
    return Lesson(path.name[:2], path.name, title.group(1).strip(), " ".join(first[1].split()),
                  minutes["teaching_minutes"], minutes["exercise_minutes"], objectives, key_points)


def read_lessons(folder: Path = NOTEBOOKS) -> list[Lesson]:
    """Every notebook's frame, in order."""
    return [read_lesson(p) for p in notebook_paths(folder)]


@dataclass(frozen=True)
class Slot:
    """One line of a schedule: what happens from `start` (minutes after midnight) for `minutes`."""

    start: int
    minutes: int
    what: str


def _segments(lessons: list[Lesson]) -> list[tuple[str, int]]:
    """Each notebook's teaching, then its exercises; a part longer than MAX_STRETCH split into equal pieces."""
    pieces = []
    for lesson in lessons:
        for part, minutes in (("teaching", lesson.teaching), ("exercises", lesson.exercises)):
            n = -(-minutes // MAX_STRETCH)
            sizes = [minutes // n + (i < minutes % n) for i in range(n)]
            for i, size in enumerate(sizes):
                label = f"{part} ({i + 1}/{n})" if n > 1 else part
                pieces.append((f"{lesson.number} · {lesson.title}: {label}", size))
    return pieces


def sessions(lessons: list[Lesson]) -> list[list[tuple[str, int]]]:
    """The lessons cut into sessions of at most MAX_STRETCH minutes, in order, never splitting a part."""
    found: list[list[tuple[str, int]]] = [[]]
    for piece in _segments(lessons):
        if found[-1] and sum(m for _, m in found[-1]) + piece[1] > MAX_STRETCH:
            found.append([])
        found[-1].append(piece)
    return [s for s in found if s]


def _timed(blocks: list[list[tuple[str, int]]], pauses: list[tuple[str, int]]) -> list[Slot]:
    """Slots from START: each session's pieces, with pauses[i] after session i."""
    slots, clock = [], START
    for i, block in enumerate(blocks):
        for what, minutes in block:
            slots.append(Slot(clock, minutes, what))
            clock += minutes
        if i < len(pauses):
            slots.append(Slot(clock, pauses[i][1], pauses[i][0]))
            clock += pauses[i][1]
    return slots


def _middle(blocks: list[list[tuple[str, int]]]) -> int:
    """The index of the session after which the lesson minutes are split most evenly."""
    sizes = [sum(m for _, m in b) for b in blocks]
    total = sum(sizes)
    return min(range(len(blocks) - 1), key=lambda i: abs(2 * sum(sizes[:i + 1]) - total)) if len(blocks) > 1 else 0


def one_day(lessons: list[Lesson]) -> list[Slot]:
    """The whole series in one day from START: short breaks between sessions, lunch at the middle one."""
    blocks = sessions(lessons)
    lunch = _middle(blocks)
    return _timed(blocks, [("Lunch", LUNCH) if i == lunch else ("Break", BREAK) for i in range(len(blocks) - 1)])


def half_days(lessons: list[Lesson]) -> list[list[Slot]]:
    """The series over two half-days, each from START, split at the session boundary nearest the middle."""
    blocks = sessions(lessons)
    cut = _middle(blocks) + 1 if len(blocks) > 1 else 1
    return [_timed(part, [("Break", BREAK)] * (len(part) - 1)) for part in (blocks[:cut], blocks[cut:]) if part]


def load_timings(path: Path = TIMINGS) -> dict:
    """The runs stored by `python -m utils.timings --save` ({} when there is no file yet)."""
    path = Path(path)
    return json.loads(path.read_text()).get("runs", {}) if path.exists() else {}


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _span(slots: list[Slot]) -> str:
    return f"{_clock(slots[0].start)}-{_clock(slots[-1].start + slots[-1].minutes)}"


def schedule_markdown(lessons: list[Lesson]) -> str:
    """The one-day and two-half-day schedules as Markdown tables."""
    def table(title: str, slots: list[Slot]) -> list[str]:
        rows = ["", f"### {title} ({_span(slots)})", "", "| Time | What | Minutes |", "|---|---|---|"]
        return rows + [f"| {_span([s])} | {s.what} | {s.minutes} |" for s in slots]

    teaching, exercises = sum(x.teaching for x in lessons), sum(x.exercises for x in lessons)
    out = [f"Lessons: {teaching + exercises} minutes ({teaching} teaching, {exercises} exercises), from each "
           f"notebook's metadata; a break at least every {MAX_STRETCH} minutes.", *table("One day", one_day(lessons))]
    for n, slots in enumerate(half_days(lessons), 1):
        out += table(f"Two half-days: day {n}", slots)
    return "\n".join(out)


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
    """A notebook's section of the guide: summary, minutes, waits, objectives, key points."""
    runs = [(words, timings.get(label, {}).get(lesson.name)) for label, words in RUNS.items()]
    measured = ", ".join(f"{_seconds(entry)} on {words}" for words, entry in runs if entry)
    out = [f"### {lesson.number} · {lesson.title}", "", f"[{lesson.name}](notebooks/{lesson.name}): {lesson.summary}",
           "", f"**Time.** Teaching {lesson.teaching} minutes, exercises {lesson.exercises} minutes. Running every "
           f"cell in a fresh kernel: {measured or 'not measured yet (`make timings-record`)'}."]
    waits = []
    for words, entry in runs:
        cells = [c for c in (entry or {}).get("slowest_cells", []) if c["seconds"] >= 1]
        if cells:
            waits.append(f"- on {words}: " + "; ".join(f"cell [{c['cell']}] `{c['source']}` {c['seconds']:.0f} s"
                                                     for c in cells))
    if waits:
        out += ["", "**Longest waits** (cells numbered as a clean run numbers them):", *waits]
    out += ["", "**Objectives.** After this notebook, learners can", *[f"- {o}" for o in lesson.objectives],
            "", "**Key points.**", *[f"- {k}" for k in lesson.key_points]]
    return "\n".join(out)


def generated_parts(lessons: list[Lesson], timings: dict) -> dict[str, str]:
    """The text of each generated part of the guide, by name."""
    parts = {"schedule": schedule_markdown(lessons), "overview": overview_markdown(lessons, timings)}
    parts.update({f"notebook {x.number}": lesson_markdown(x, timings) for x in lessons})
    return parts


def _block(name: str, text: str) -> str:
    return f"<!-- generated:begin {name} -->\n{text}\n<!-- generated:end {name} -->"


def update_guide(text: str, parts: dict[str, str]) -> str:
    """`text` with each generated part replaced; a new notebook's part added before NOTEBOOKS_END.

    Raises:
        ValueError: when the guide has a part for a notebook that no longer exists, or lacks an anchor.
    """
    present = {m.group("name") for m in BLOCK.finditer(text)}
    stale = sorted(present - set(parts))
    if stale:
        raise ValueError(f"INSTRUCTORS.md has parts no notebook has any more: {stale}; delete their sections")
    missing = [name for name in parts if name not in present]
    if missing and NOTEBOOKS_END not in text:
        raise ValueError(f"INSTRUCTORS.md needs {NOTEBOOKS_END!r} (where new notebooks go) or the parts {missing}")
    text = BLOCK.sub(lambda m: _block(m.group("name"), parts[m.group("name")]), text)
    new = "".join(f"{_block(name, parts[name])}\n\n{NO_NOTES}\n" for name in missing)
    return text.replace(NOTEBOOKS_END, new + NOTEBOOKS_END)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the generated parts of the instructor's guide.")
    parser.add_argument("--check", action="store_true", help="only say whether the guide is up to date")
    parser.add_argument("--guide", type=Path, default=GUIDE)
    args = parser.parse_args(argv)
    text = args.guide.read_text()
    wanted = update_guide(text, generated_parts(read_lessons(), load_timings()))
    if args.check:
        print(f"{args.guide.name} is up to date" if wanted == text else f"{args.guide.name} differs: run `make guide`")
        return int(wanted != text)
    args.guide.write_text(wanted)
    print(f"{args.guide} {'unchanged' if wanted == text else 'updated'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
