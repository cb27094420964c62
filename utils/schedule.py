"""A workshop's timetable from the notebooks' minutes: the core in one day or over two half-days, and its rules.

Used by utils.workshop (INSTRUCTORS.md and WORKSHOP_PLAN.md, `make guide`); no notebook imports it.

The core notebooks (metadata `kvtvp.core`) are taught in order: a 30-minute install clinic first, a break at
least every MAX_STRETCH minutes (at a notebook's end where it can), a 15-minute buffer at the end of each
half-day, lunch (one day) or the night (two half-days) between the halves, at the notebook boundary that
splits the time most evenly. `problems` states what a plan must keep; `make guide` refuses a plan that breaks it.
"""

from __future__ import annotations

from dataclasses import dataclass

START = 9 * 60  # 09:00, in minutes after midnight
DAY_END, HALF_END = 16 * 60 + 30, 12 * 60 + 30  # each plan's stated end
CLINIC, BUFFER, BREAK, LUNCH = 30, 15, 15, 60  # minutes
MAX_STRETCH = 90  # minutes between two breaks, at most
SYNTHESIS = "07"  # the notebook that closes every plan
PAUSES = ("Break", "Lunch")
CLINIC_TEXT = "Install clinic: `make setup-check` on every laptop, Binder for the rest"
BUFFER_TEXT = "Buffer: questions, catching up"


@dataclass(frozen=True)
class Slot:
    """One line of a plan: what happens from `start` (minutes after midnight) for `minutes`."""

    start: int
    minutes: int
    what: str
    notebook: str = ""  # "01" for a lesson, "" for a clinic, buffer or pause

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass(frozen=True)
class Plan:
    """A titled run of slots that must end by `end`."""

    title: str
    end: int
    slots: tuple[Slot, ...]


def clock(minutes: int) -> str:
    """12:30 for 750 minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def pieces(lessons) -> list[tuple[str, int, str]]:
    """(what, minutes, notebook) per core notebook; one longer than MAX_STRETCH split into teaching/exercises."""
    found = []
    for x in (x for x in lessons if x.core):
        name = f"{x.number} · {x.title}"
        if x.teaching + x.exercises <= MAX_STRETCH:
            found.append((name, x.teaching + x.exercises, x.number))
            continue
        for part, minutes in (("teaching", x.teaching), ("exercises", x.exercises)):
            n = -(-minutes // MAX_STRETCH)
            for i in range(n):
                label = f"{part} ({i + 1}/{n})" if n > 1 else part
                found.append((f"{name}: {label}", minutes // n + (i < minutes % n), x.number))
    return found


def _half(items: list[tuple[str, int, str]], start: int, clinic: bool) -> list[Slot]:
    """Slots from `start`: the clinic (if asked), `items`, the buffer; a break wherever MAX_STRETCH would pass."""
    items = [(CLINIC_TEXT, CLINIC, "")] * clinic + items + [(BUFFER_TEXT, BUFFER, "")]
    groups: list[list[tuple[str, int, str]]] = []  # a notebook's pieces stay together unless they cannot
    for item in items:
        if groups and item[2] and groups[-1][-1][2] == item[2]:
            groups[-1].append(item)
        else:
            groups.append([item])
    slots, now, stretch = [], start, 0
    for group in groups:
        for i, (what, minutes, number) in enumerate(group):
            needed = sum(m for _, m, _ in group) if i == 0 else minutes  # the whole notebook, if it can
            if stretch and stretch + needed > MAX_STRETCH:
                slots.append(Slot(now, BREAK, "Break"))
                now, stretch = now + BREAK, 0
            slots.append(Slot(now, minutes, what, number))
            now, stretch = now + minutes, stretch + minutes
    return slots


def halves(lessons, cut: int | None = None) -> tuple[list, list]:
    """The core's pieces before and after lunch: at `cut` (a piece index), else the most even notebook boundary."""
    found = pieces(lessons)
    if cut is None:
        bounds = [i for i in range(1, len(found)) if found[i][2] != found[i - 1][2]] or [len(found)]

        def gap(i):
            first, second = _half(found[:i], START, True), _half(found[i:], START, False)
            return abs((first[-1].end - START) - (second[-1].end - START))

        cut = min(bounds, key=gap)
    return found[:cut], found[cut:]


def one_day(lessons, cut: int | None = None) -> Plan:
    """The core in one day from START: morning, lunch at the cut, afternoon; it must end by DAY_END."""
    morning, afternoon = halves(lessons, cut)
    first = _half(morning, START, clinic=True)
    lunch = Slot(first[-1].end, LUNCH, "Lunch")
    return Plan("One day", DAY_END, (*first, lunch, *_half(afternoon, lunch.end, clinic=False)))


def half_days(lessons, cut: int | None = None) -> list[Plan]:
    """The core over two half-days from START, cut at the same boundary; each must end by HALF_END."""
    first, second = halves(lessons, cut)
    return [Plan(f"Two half-days: day {n}", HALF_END, tuple(_half(part, START, clinic=n == 1)))
            for n, part in ((1, first), (2, second)) if part or n == 1]


def taught(plan: Plan) -> list[str]:
    """The notebooks a plan teaches, in order."""
    return list(dict.fromkeys(s.notebook for s in plan.slots if s.notebook))


def problems(lessons, day: Plan, days: list[Plan]) -> list[str]:
    """What the plans break: a late end, a long stretch, a core notebook split across lunch or days, no synthesis."""
    found = []
    for plan in (day, *days):
        if plan.slots[-1].end > plan.end:
            found.append(f"{plan.title} ends at {clock(plan.slots[-1].end)}, after its stated end {clock(plan.end)}")
        stretch = 0
        for slot in plan.slots:
            stretch = 0 if slot.what in PAUSES else stretch + slot.minutes
            if stretch > MAX_STRETCH:
                found.append(f"{plan.title}: {stretch} minutes without a break at {clock(slot.start)}")
                break
    lunch = next((s.start for s in day.slots if s.what == "Lunch"), day.slots[-1].end)
    before = {s.notebook for s in day.slots if s.notebook and s.start < lunch}
    found += [f"{day.title}: core notebook {n} is split across lunch"
              for n in sorted(before & {s.notebook for s in day.slots if s.start > lunch})]
    found += [f"Two half-days: core notebook {n} is split between the days"
              for n in sorted(set.intersection(*(set(taught(d)) for d in days)) if len(days) > 1 else ())]
    for plan in (day, days[-1]):
        if SYNTHESIS not in taught(plan)[-1:]:
            found.append(f"{SYNTHESIS} (the synthesis) does not close the core day ({plan.title}): "
                         f"its metadata kvtvp.core must be true")
    return found
