"""Where the popularity figures come from: primary or secondary, the survey editions read and missing, the counts.

Used by notebook 06 (its survey table, its counts and the refresh procedure below) and by tests/test_popularity.py.

    from utils import popularity, popularity_sources
    figures = popularity.load_figures()
    popularity_sources.source_kind(figures[0])        # "primary", "secondary" or "unmarked" (the tests refuse these)
    popularity_sources.survey_rows(figures)           # every survey edition looked for: its figures, or "not read"
    popularity_sources.not_read_text(figures)         # the survey editions not read from their publisher, in words
    print(popularity_sources.counts_text(figures))    # the counts notebook 06 prints, computed from the data

A figure is **primary** when its `source_url` is on the publisher's own site (`PRIMARY_HOSTS`: for the GitHub and
package measures, the list's README at the commit that published the figure). A figure read elsewhere (a report
about the survey, a copy of a slide deck) is **secondary**, and its `note` starts with "Secondary", saying why.

Refreshing data/popularity.csv (for maintainers; notebook 06 never downloads anything)
--------------------------------------------------------------------------------------
Add rows, never edit old ones: each row is one figure, `date` the day (or month, or year) it describes,
`retrieved` the day you read it, `note` how you read it ("Secondary ..." if not from the publisher). Then run
`python -m pytest tests/test_popularity.py` and re-run notebook 06. The series so far continue the two lists'
README histories (ml-tooling/best-of-ml-python, aymericdamien/TopDeepLearning: read their newest commit the same
way); a figure from another source may count differently (a calendar month or the last 30 days, mirrors or
not), so say so in its note. Where to read each measure first-hand:

- PyPI downloads of the last month (pip install pypistats)::

      pypistats recent torch          # also tensorflow, keras, jax: the "last_month" column

  PyPI under-counts torch: its CPU-only and other CUDA builds install from download.pytorch.org.
- GitHub stars and forks, from the REST API ``GET /repos/{owner}/{repo}`` (fields ``stargazers_count``,
  ``forks_count``)::

      curl -s https://api.github.com/repos/pytorch/pytorch | python -c \\
          "import json, sys; r = json.load(sys.stdin); print(r['stargazers_count'], r['forks_count'])"

  for tensorflow/tensorflow, keras-team/keras, pytorch/pytorch and jax-ml/jax. Dependents are not in the API:
  read the repository's "Used by" count on its network/dependents page.
- Conda downloads: the package's page on anaconda.org (conda-forge for tensorflow, keras and jaxlib; the
  pytorch channel has had no release since 2.5, pytorch/pytorch#138506).
- Surveys: the page of each edition (`Survey.page`): Stack Overflow's "Other frameworks and libraries" with
  the professional developers' tab, the Python Developers Survey's data-science frameworks, Kaggle's
  machine-learning frameworks. Record the percentage exactly as printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from utils.checks import check_int
from utils.frameworks import COMPARED_IDS, framework
from utils.popularity import current_measures, sources

# The publishers' own sites, per measure: a figure read there is primary.
PRIMARY_HOSTS = {
    "github_stars": ("github.com",), "github_forks": ("github.com",), "github_dependents": ("github.com",),
    "pypi_downloads_month": ("github.com",), "conda_downloads_total": ("github.com",),
    "paper_implementations_share": ("stateof.ai", "www.stateof.ai", "docs.google.com"),
    "conference_papers_share": ("thegradient.pub",),
    "survey_python_developers": ("lp.jetbrains.com", "www.jetbrains.com"),
    "survey_stackoverflow_professional": ("survey.stackoverflow.co", "insights.stackoverflow.com"),
}
SECONDARY = "Secondary"  # the first word of a secondary figure's note


@dataclass(frozen=True)
class Survey:
    """A developer survey the series looked for, one edition a year."""

    name: str
    metric: str | None  # its measure in popularity.METRICS (None: no edition could be read, so no measure yet)
    population: str  # whose answers the percentages are of, the same in every edition
    editions: tuple  # the years looked for

    def page(self, year: int) -> str:
        """The publisher's page of one edition's results."""
        year = check_int("year", year, minimum=2000)
        if self.name.startswith("Stack Overflow"):
            root = "https://insights.stackoverflow.com/survey/" if year <= 2021 else "https://survey.stackoverflow.co/"
            return f"{root}{year}"
        if self.name.startswith("Kaggle"):
            return f"https://www.kaggle.com/kaggle-survey-{year}"
        return f"https://lp.jetbrains.com/python-developers-survey-{year}/"


SURVEYS = (
    Survey("Stack Overflow Developer Survey", "survey_stackoverflow_professional", "professional developers",
           tuple(range(2019, 2026))),
    Survey("Python Developers Survey (PSF and JetBrains)", "survey_python_developers", "respondents",
           tuple(range(2019, 2025))),
    Survey("Kaggle Machine Learning and Data Science Survey", None, "respondents", (2020, 2021, 2022)),
)


def source_kind(figure) -> str:
    """'secondary' (its note starts with SECONDARY), 'primary' (its URL is on a publisher's site,
    `PRIMARY_HOSTS`), or 'unmarked': neither, which tests/test_popularity.py refuses."""
    if figure.note.startswith(SECONDARY):
        return "secondary"
    host = urlparse(figure.source_url).hostname or ""
    return "primary" if host in PRIMARY_HOSTS.get(figure.metric, ()) else "unmarked"


def _edition(figures, survey: Survey, year: int) -> list:
    return [f for f in figures if f.metric == survey.metric and f.date.year == year]


def survey_rows(figures) -> list[dict]:
    """One row per survey edition looked for: year, population, Keras/TensorFlow/PyTorch, where it was read.

    'read from' is "publisher" (every figure primary), "secondary report" or "not read" (no figure in the CSV).
    """
    rows = []
    for survey in SURVEYS:
        for year in survey.editions:
            chosen = _edition(figures, survey, year)
            values = {f.framework: f.value for f in chosen}
            kinds = {source_kind(f) for f in chosen}
            read = "not read" if not chosen else "publisher" if kinds == {"primary"} else "secondary report"
            rows.append({"survey": survey.name, "year": year, "population": survey.population,
                         **{framework(fid).name: f"{values[fid]:g}" if fid in values else "-" for fid in COMPARED_IDS},
                         "read from": read})
    return rows


def _years(years: list[int]) -> str:
    """Years as text, runs joined: [2019, 2020, 2021, 2023] -> '2019-2021, 2023'."""
    runs, out = [], []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    for run in runs:
        out.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ", ".join(out)


def not_read_text(figures) -> str:
    """The survey editions not read from their publisher, per survey, in words computed from the data."""
    parts = []
    for survey in SURVEYS:
        rows = [r for r in survey_rows(figures) if r["survey"] == survey.name]
        missing = [r["year"] for r in rows if r["read from"] != "publisher"]
        secondary = [r["year"] for r in rows if r["read from"] == "secondary report"]
        if missing:
            also = f" ({_years(secondary)} from a secondary report only)" if secondary else ""
            parts.append(f"{survey.name}: {_years(missing)}{also}")
    if not parts:
        return "Every survey edition looked for was read from its publisher."
    return "Not read from the publisher's page: " + "; ".join(parts) + "."


def counts(figures) -> dict[str, int]:
    """The counts notebook 06 states, computed from the data (tests/test_popularity.py compares them)."""
    kinds = [source_kind(f) for f in figures]
    rows = survey_rows(figures)
    return {"figures": len(figures), "measures": len({f.metric for f in figures}), "sources": len(sources(figures)),
            "primary figures": kinds.count("primary"), "secondary figures": kinds.count("secondary"),
            "current measures": len(current_measures(figures)),
            "history measures": len({f.metric for f in figures}) - len(current_measures(figures)),
            "survey editions looked for": len(rows),
            "survey editions read from the publisher": sum(r["read from"] == "publisher" for r in rows),
            "survey editions read from a secondary report": sum(r["read from"] == "secondary report" for r in rows)}


def counts_text(figures) -> str:
    """`counts` in two sentences, as notebook 06 prints them."""
    c = counts(figures)
    return (f"{c['figures']} figures of {c['measures']} measures from {c['sources']} sources: "
            f"{c['primary figures']} read at the publisher, {c['secondary figures']} secondary. "
            f"{c['current measures']} measures count today, {c['history measures']} are history.\n"
            f"Survey editions looked for: {c['survey editions looked for']}; read from the publisher: "
            f"{c['survey editions read from the publisher']}; from a secondary report only: "
            f"{c['survey editions read from a secondary report']}.")

