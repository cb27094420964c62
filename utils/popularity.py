"""Popularity figures: load and validate data/popularity.csv, rank the frameworks, judge the 2019 claim.

Used by notebook 06, which records `popularity_scenario` for notebook 07.

    from utils import popularity
    figures = popularity.load_figures()                      # every row checked; a bad row names its line and field
    popularity.snapshot(figures, "github_stars")     # the latest date and {framework id: value}
    popularity.current_measures(figures)             # the measures whose latest figure counts as "today"
    popularity.claim_holds(popularity.ranking(values))  # does one measure's ranking keep the 2019 order?
    popularity.popularity_scenario(figures)         # the judge's verdict over the current measures (for 07)

Rankings and verdicts come from the one judge, `utils.verdicts`: a measure's values by its rule for counts
(`verdicts.tiers`), the verdict across measures by `scenarios.items_scenario` over each current measure's share
of its leader. "Today" is the newest figure in the data (`as_of`), never the clock, so outputs reproduce; a
measure whose latest figure is more than CURRENT_YEARS older is history: shown, not counted today.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from utils import scenarios, verdicts
from utils.checks import check_choice, check_dict, check_number, check_str
from utils.exercises import UNANSWERED, explain_choice, report
from utils.frameworks import COMPARED_IDS, IDS, framework

DATA = Path(__file__).resolve().parents[1] / "data" / "popularity.csv"
FIELDS = ("metric", "framework", "value", "unit", "date", "source_title", "source_url", "retrieved", "note")
CLAIM_2019 = ("keras", "tensorflow", "torch")  # "Keras tops the list, followed by TensorFlow and PyTorch"
CURRENT_YEARS = 2  # a measure whose latest figure is older than this (before as_of) is history, not "today"
AROUND_2019 = (dt.date(2018, 1, 1), dt.date(2020, 12, 31))  # the window that stands for "around 2019"


@dataclass(frozen=True)
class Metric:
    """What one measure counts and how it misleads."""

    label: str
    counts: str
    misleads: str


METRICS = {
    "github_stars": Metric(
        "GitHub stars", "people who clicked 'star' on the main repository, ever (a running total)",
        "a star is a bookmark, not use; totals never fall, so an older project keeps its lead long after use moves"),
    "github_forks": Metric(
        "GitHub forks", "copies of the repository made on GitHub (a total)",
        "forks count people who meant to change the code, not users; the scraper's totals can even drop"),
    "github_dependents": Metric(
        "GitHub dependents", "public repositories whose dependency files name the package",
        "only public GitHub code is seen; a package pulled in by another (Keras by TensorFlow) is hidden"),
    "pypi_downloads_month": Metric(
        "PyPI downloads per month", "downloads of the package from PyPI in a month",
        "CI machines download on every run and dependencies count too, while conda, Docker and PyTorch's own "
        "index (download.pytorch.org: torch's CPU-only and other CUDA builds) are not counted at all"),
    "conda_downloads_total": Metric(
        "Conda downloads (total)", "downloads from one conda channel since the package appeared there (a total)",
        "one channel per package (PyTorch's own, conda-forge for the others, jaxlib for JAX); PyTorch's has had no "
        "release since 2.5 (pytorch/pytorch#138506), so later versions miss its total; the scraped totals can drop"),
    "paper_implementations_share": Metric(
        "Share of paper implementations", "of the code repositories linked to papers, the share using each framework",
        "papers are research, not industry; only papers that publish code count"),
    "conference_papers_share": Metric(
        "Share of conference papers", "of the papers at one conference naming PyTorch or TensorFlow, the share of each",
        "most papers name no framework; one conference is one field (vision); Keras is folded into TensorFlow"),
    "survey_python_developers": Metric(
        "Python Developers Survey", "respondents who said they use each library",
        "the sample is who answered (Python users reached by JetBrains and the PSF); answers can overlap"),
    "survey_stackoverflow_professional": Metric(
        "Stack Overflow survey (professionals)", "professional developers who said they used each library",
        "the sample is who answered (Stack Overflow users); most developers do no machine learning at all"),
}


class PopularityDataError(ValueError):
    """A row of the popularity data is not valid; the message names the line and the field."""


@dataclass(frozen=True)
class Figure:
    """One sourced figure: a measure's value for one framework at one date."""

    metric: str
    framework: str
    value: float
    unit: str
    date: dt.date
    precision: str  # "year", "month" or "day": how precisely the source dates the figure
    source_title: str
    source_url: str
    retrieved: dt.date
    note: str

    @property
    def when(self) -> str:
        """The date as precisely as the source gives it ('2019', '2019-11' or '2019-08-15')."""
        return self.date.isoformat()[: {"year": 4, "month": 7, "day": 10}[self.precision]]


def parse_date(text: str) -> tuple[dt.date, str]:
    """An ISO date at year, month or day precision -> (first day it covers, precision).

    Raises:
        ValueError: `text` is not YYYY, YYYY-MM or YYYY-MM-DD, or not a real date.
    """
    text = check_str("text", text).strip()
    formats = {4: ("%Y", "year"), 7: ("%Y-%m", "month"), 10: ("%Y-%m-%d", "day")}
    if len(text) not in formats:
        raise ValueError(f"text == {text!r}, must be YYYY, YYYY-MM or YYYY-MM-DD")
    fmt, precision = formats[len(text)]
    try:
        return dt.datetime.strptime(text, fmt).date(), precision
    except ValueError:
        raise ValueError(f"text == {text!r}, must be a real date as YYYY, YYYY-MM or YYYY-MM-DD") from None


def _row_error(line: int, field: str, problem: str) -> PopularityDataError:
    return PopularityDataError(f"line {line}, field '{field}': {problem}")


def validate_rows(rows) -> list[Figure]:
    """Check rows read from the CSV (dicts, header on line 1) and return them as Figures.

    Raises:
        PopularityDataError: a missing field or source, a date that does not parse, a non-numeric
            value, an unknown framework or metric, or a duplicate (same metric, framework and date);
            the message names the line and the field.
    """
    figures, seen = [], {}
    for line, row in enumerate(rows, start=2):
        for field in FIELDS:
            if not str(row.get(field) or "").strip():
                raise _row_error(line, field, "missing (every figure needs its value, date and source)")
        if row["metric"] not in METRICS:
            raise _row_error(line, "metric", f"unknown metric {row['metric']!r}; known: {sorted(METRICS)}")
        if row["framework"] not in IDS:
            raise _row_error(line, "framework", f"unknown framework {row['framework']!r}; known: {list(IDS)}")
        try:
            value = float(row["value"])
        except ValueError:
            raise _row_error(line, "value", f"{row['value']!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise _row_error(line, "value", f"{row['value']!r} must be a finite number >= 0")
        dates = {}
        for field in ("date", "retrieved"):
            try:
                dates[field] = parse_date(row[field])
            except ValueError:
                raise _row_error(line, field, f"{row[field]!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from None
        if not row["source_url"].startswith(("https://", "http://")):
            raise _row_error(line, "source_url", f"{row['source_url']!r} is not a web address")
        key = (row["metric"], row["framework"], row["date"])
        if key in seen:
            raise _row_error(line, "date", f"duplicate of line {seen[key]} (same metric, framework and date)")
        seen[key] = line
        figures.append(Figure(row["metric"], row["framework"], value, row["unit"], *dates["date"],
                              row["source_title"], row["source_url"], dates["retrieved"][0], row["note"]))
    return figures


def load_figures(path=DATA) -> list[Figure]:
    """Read and validate the popularity CSV (default: the committed data/popularity.csv)."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in FIELDS if c not in (reader.fieldnames or [])]
        if missing:
            raise PopularityDataError(f"line 1 (header): missing fields {missing}")
        return validate_rows(list(reader))


def _check_metric(metric: str) -> str:
    return check_choice("metric", metric, tuple(METRICS))


def series(figures, metric: str) -> dict[str, list[tuple[dt.date, float]]]:
    """One measure's figures by framework id (the series' order), each sorted by date."""
    _check_metric(metric)
    out = {}
    for fid in IDS:
        points = sorted((f.date, f.value) for f in figures if f.metric == metric and f.framework == fid)
        if points:
            out[fid] = points
    return out


def snapshot(figures, metric: str, period: str = "today") -> tuple[str, dict[str, float]] | None:
    """A measure's values at one date: the latest ('today') or the closest to mid-2019 in AROUND_2019.

    Returns:
        (date as the source gives it, {framework id: value}) or None when the period has no figure.
    """
    _check_metric(metric)
    check_choice("period", period, ("today", "2019"))
    chosen = [f for f in figures if f.metric == metric
              and (period == "today" or AROUND_2019[0] <= f.date <= AROUND_2019[1])]
    if not chosen:
        return None
    middle = dt.date(2019, 7, 1)
    latest = max(f.date for f in chosen) if period == "today" else min((abs((f.date - middle).days), f.date)
                                                                        for f in chosen)[1]
    at = [f for f in chosen if f.date == latest]
    return at[0].when, {fid: f.value for fid in IDS for f in at if f.framework == fid}


def as_of(figures) -> dt.date:
    """'Today' for the data: the date of its newest figure (from the data, never the clock, so outputs reproduce)."""
    if not figures:
        raise ValueError("figures is empty: load them with load_figures()")
    return max(f.date for f in figures)


def history_before(figures) -> dt.date:
    """A measure whose latest figure is older than this date (CURRENT_YEARS before `as_of`) is history."""
    day = as_of(figures)
    return day.replace(year=day.year - CURRENT_YEARS, day=min(day.day, 28) if day.month == 2 else day.day)


def is_current(figures, metric: str) -> bool:
    """Is the measure's latest figure (dated by the first day its source gives: 2022 -> 2022-01-01) current,
    not older than `history_before(figures)`?"""
    _check_metric(metric)
    dates = [f.date for f in figures if f.metric == metric]
    return bool(dates) and max(dates) >= history_before(figures)


def current_measures(figures) -> list[str]:
    """The measures whose latest figure counts as "today" (see `is_current`), in the order of METRICS."""
    return [m for m in METRICS if is_current(figures, m)]


def ranking(values: dict) -> list[list[str]]:
    """Framework ids ranked by value, largest first, in the judge's tiers (`verdicts.tiers`, counts' rule):
    neighbours within `verdicts.CLOSE` of each other share a place.

    Example:
        >>> ranking({"keras": 50, "tensorflow": 45, "torch": 10})
        [['keras', 'tensorflow'], ['torch']]
    """
    values = check_dict("values", values)
    for key, value in values.items():
        framework(key)
        check_number(f"values[{key!r}]", value, minimum=0)
    positive = {k: v for k, v in values.items() if v > 0}  # the judge compares positive values; a 0 is last alone
    places = [tier[::-1] for tier in verdicts.tiers(positive)[::-1]] if positive else []
    return places + ([[k for k in values if k not in positive]] if len(positive) < len(values) else [])


def claim_holds(places: list[list[str]], claim=CLAIM_2019) -> str:
    """Does a ranking keep a claimed order? 'yes', 'no', 'cannot tell' (a tie or a missing framework) or
    'not measured' (fewer than two of the claimed frameworks have a figure)."""
    position = {fid: i for i, place in enumerate(places) for fid in place if fid in claim}
    if len(position) < 2:
        return "not measured"
    pairs = [(a, b) for i, a in enumerate(claim) for b in claim[i + 1:] if a in position and b in position]
    if any(position[a] > position[b] for a, b in pairs):
        return "no"
    strict = all(position[a] < position[b] for a, b in pairs)
    return "yes" if strict and len(position) == len(claim) else "cannot tell"


def describe(places: list[list[str]]) -> str:
    """A ranking as text, in the judge's signs: 'TensorFlow > PyTorch ≈ Keras' (≈: about the same)."""
    return " > ".join(" ≈ ".join(framework(fid).name for fid in place) for place in places)


def sources(figures) -> list[tuple[str, str]]:
    """Each source once, as (title, url), in the order of the CSV."""
    return list(dict.fromkeys((f.source_title, f.source_url) for f in figures))


def scores(figures, frameworks=COMPARED_IDS, measures=None) -> dict[str, dict[str, float]]:
    """Today's value of each measure that has every framework, as a share of the leader's (0..1).

    Args:
        measures: the measures to score; default `current_measures(figures)` (history is not "today").
    Returns:
        {metric: {framework id: value / largest value}}, for those measures whose latest snapshot
        covers all of `frameworks`.
    """
    out = {}
    for metric in current_measures(figures) if measures is None else measures:
        snap = snapshot(figures, metric)
        if snap and all(fid in snap[1] for fid in frameworks):
            top = max(snap[1][fid] for fid in frameworks)
            out[metric] = {fid: snap[1][fid] / top for fid in frameworks}
    return out


def popularity_scenario(figures) -> dict:
    """The popularity verdict notebook 06 records for notebook 07: the judge over the current measures.

    `scenarios.items_scenario` with one item per current measure that covers Keras, TensorFlow and PyTorch,
    each framework's score being its share of that measure's leader (scale 1).
    """
    table = scores(figures)
    if not table:
        raise ValueError("no current measure covers all three frameworks: nothing to judge today")
    shares = {framework(fid).name: [table[m][fid] for m in table] for fid in COMPARED_IDS}
    return scenarios.items_scenario(shares, what=f"share of the leader over {len(table)} current measures", scale=1)


def claim_today(verdict: dict) -> str:
    """Does the judge's `verdict` (a `popularity_scenario` dict) say Keras is the most popular (the 2019 claim)?

    Returns:
        "holds" (Keras alone leads), "shared" (about the same as the leader), "cannot tell" (the judge cannot
        tell it from the leader) or "does not hold" (the leader leads it).
    """
    check_dict("verdict", verdict)
    claimed = framework(CLAIM_2019[0]).name
    if claimed in verdict["leaders"]:
        if not verdict["decided"]:
            return "cannot tell"
        return "holds" if verdict["leaders"] == [claimed] else "shared"
    return "cannot tell" if not verdict["decided"] and claimed in verdict["contenders"] else "does not hold"


def recorded_results(figures, verdict: dict) -> dict:
    """What notebook 06 records besides its verdict: today's date, current and history measures, the shares,
    and what the judge's `verdict` (from `popularity_scenario`) says of the 2019 claim (`claim_today`)."""
    table = scores(figures)
    return {"as_of": as_of(figures).isoformat(), "current_years": CURRENT_YEARS,
            "current_measures": current_measures(figures),
            "history_measures": [m for m in METRICS if m not in current_measures(figures)],
            "shares": {m: {framework(k).name: round(v, 3) for k, v in row.items()} for m, row in table.items()},
            "claim_2019_keras_first": claim_today(verdict)}


def weighted_ranking(table: dict, weights: dict) -> list[str]:
    """Framework ids ranked by the weighted sum of their scores (as `scores` returns), best first.

    Args:
        table: {metric: {framework id: score}}.
        weights: {metric: weight >= 0}; metrics left out weigh 0.
    """
    table, weights = check_dict("table", table), check_dict("weights", weights)
    for metric, weight in weights.items():
        check_choice("weights key", metric, tuple(table))
        check_number(f"weights[{metric!r}]", weight, minimum=0)
    ids = list(next(iter(table.values())))
    total = {fid: sum(w * table[m][fid] for m, w in weights.items()) for fid in ids}
    return sorted(ids, key=lambda fid: -total[fid])


def can_be_first(table: dict) -> list[str]:
    """The framework ids that some choice of weights (>= 0, not all 0) puts strictly first.

    A linear programme per framework: maximise its smallest lead over every other framework.
    """
    from scipy.optimize import linprog

    table = check_dict("table", table)
    metrics, ids = list(table), list(next(iter(table.values())))
    winners = []
    for fid in ids:
        others = [g for g in ids if g != fid]
        # variables: one weight per metric, then the lead t; maximise t (minimise -t)
        a_ub = [[table[m][g] - table[m][fid] for m in metrics] + [1.0] for g in others]
        result = linprog(c=[0.0] * len(metrics) + [-1.0], A_ub=a_ub, b_ub=[0.0] * len(others),
                         A_eq=[[1.0] * len(metrics) + [0.0]], b_eq=[1.0],
                         bounds=[(0, None)] * len(metrics) + [(None, None)])
        if result.status == 0 and -result.fun > 1e-9:
            winners.append(fid)
    return winners


EXERCISE_WEIGHTS = {"github_stars": 1, "pypi_downloads_month": 2, "github_forks": 1}
MISLEADING_CHART = "B"  # popularity_plots.chart_pair starts chart B's axis above zero


def check_exercise(number: int, answer):
    """Check exercise `number` of notebook 06; the expected answer is computed here from the committed data.

    Returns a `utils.exercises.Verdict` (true when correct; Jupyter does not echo it).

    Prints one line, "Exercise N: correct" or "Exercise N: not yet: <why>", and never raises for an answer.
    """
    number = check_choice("number", number, (1, 2, 3))
    table = scores(load_figures())
    expected = {1: lambda: weighted_ranking(table, EXERCISE_WEIGHTS), 2: lambda: sorted(can_be_first(table)),
                3: lambda: MISLEADING_CHART}[number]()
    hints = {1: "multiply each score by its weight, add them per framework, sort from best to worst",
             2: "weights may be extreme: ask what each framework would need from the weights to come first",
             3: "look where each vertical axis starts"}
    if callable(answer):
        reason = "that is a function (perhaps the helper that computes the answer): give your own answer"
    elif number == 3:
        reason = explain_choice(answer, expected, ("A", "B"), why="not the misleading one")
    elif answer is Ellipsis or answer is None:
        reason = UNANSWERED
    elif not isinstance(answer, list | tuple | set) or not all(isinstance(a, str) for a in answer):
        reason = f"expected a list of framework ids such as 'keras', got {type(answer).__name__}"
    elif answer == expected or (number == 2 and sorted(answer) == expected):
        reason = None
    else:
        reason = _ids_problem(number, answer, expected, set(next(iter(table.values()))))
    return report(str(number), reason, hints[number], {
        1: "write each framework's total down before you sort: the largest total comes first",
        2: "for each framework, look for another that beats it on every measure"}.get(number))


def _ids_problem(number: int, answer, expected: list, ids: set) -> str:
    """What is wrong with a list of framework ids (exercise 1 or 2), never the right list."""
    unknown = sorted(set(answer) - ids)
    if unknown:
        return f"{unknown} are not framework ids of the table (its ids are lower case, such as 'keras')"
    if number == 1:
        if isinstance(answer, set) or len(answer) != len(set(answer)) or set(answer) != ids:
            return f"rank each of the table's {len(ids)} framework ids once, in a list"
        return "the right ids, but not in the order of their weighted totals"
    parts = ["some of these can never be first" if set(answer) - set(expected) else "",
             "a framework that can be first is missing" if set(expected) - set(answer) else ""]
    return "; ".join(p for p in parts if p) or "list each framework once"

