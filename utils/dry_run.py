"""Minutes timed in a dry run, written into a notebook's metadata and its "Time needed" line.

Used by the workshop kit (INSTRUCTORS.md, "Timing a dry run"); no notebook imports it. The schedule
(`make guide`) then uses these minutes and says they come from that dry run.

    python -m utils.dry_run notebooks/01_level_of_api.ipynb --teaching 65 --exercises 35 --date 2026-12-10

Only the notebook's top-level metadata `kvtvp` and the numbers of the first cell's "**Time needed.**"
paragraph change; the file keeps nbformat's layout (one-space indent, sorted keys, UTF-8, final newline).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

from utils.checks import check_int, check_str

TIME_NEEDED = "**Time needed.**"


def write_metadata(path: Path, first_cell: list[str] | None = None, **values) -> dict:
    """Set keys of `path`'s top-level metadata `kvtvp` (and the first cell's lines), keeping the file's layout.

    Returns the notebook's new `kvtvp`.
    """
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["metadata"].setdefault("kvtvp", {}).update(values)
    if first_cell is not None:
        nb["cells"][0]["source"] = first_cell
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return nb["metadata"]["kvtvp"]


def _with_minutes(source: list[str], teaching: int, exercises: int) -> list[str]:
    """The first cell's lines with the first two numbers after TIME_NEEDED (up to a blank line) replaced."""
    text = "".join(source)
    start = text.find(TIME_NEEDED)
    if start < 0:
        raise ValueError(f"the first cell has no {TIME_NEEDED!r} paragraph")
    end = text.find("\n\n", start)
    end = len(text) if end < 0 else end
    numbers = iter((teaching, exercises))
    paragraph = re.sub(r"\d+", lambda m: str(next(numbers, m.group())), text[start:end], count=2)
    return (text[:start] + paragraph + text[end:]).splitlines(keepends=True)


def record_minutes(path: Path, teaching: int, exercises: int, date: str | None = None) -> dict:
    """Write the minutes a dry run measured (at a learner's pace) into notebook `path`; its new `kvtvp`.

    Args:
        teaching, exercises: minutes, as timed (whole minutes, at least 1).
        date: the day of the dry run, YYYY-MM-DD (default: today).
    """
    teaching, exercises = check_int("teaching", teaching, minimum=1), check_int("exercises", exercises, minimum=1)
    date = check_str("date", date or datetime.date.today().isoformat())
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", date):
        raise ValueError(f"date must be YYYY-MM-DD. Received: date={date!r}")
    first = json.loads(Path(path).read_text(encoding="utf-8"))["cells"][0]["source"]
    return write_metadata(path, _with_minutes(first, teaching, exercises), teaching_minutes=teaching,
                          exercise_minutes=exercises, minutes_source=f"dry run {date}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Record a notebook's minutes from a dry run, then run make guide.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--teaching", type=int, required=True, help="minutes of teaching, typed along")
    parser.add_argument("--exercises", type=int, required=True, help="minutes until most learners finished")
    parser.add_argument("--date", help="YYYY-MM-DD of the dry run (default: today)")
    args = parser.parse_args(argv)
    kvtvp = record_minutes(args.notebook, args.teaching, args.exercises, args.date)
    print(f"{args.notebook.name}: {kvtvp}; now run `make guide`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
