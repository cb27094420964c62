"""Figures and Markdown summaries for the popularity data (data/popularity.csv).

Used by notebook 06.

    from utils import popularity, popularity_plots
    figures = popularity.load_figures()
    popularity_plots.show(figures, "github_stars")     # what it counts, how it misleads, the figures, a plot
    popularity_plots.today_rows(figures)              # each measure's latest figure, dated: today or history?
    popularity_plots.claim_table(figures)             # per measure: ranking around 2019 and today, claim holds?
"""

from __future__ import annotations

import math

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from matplotlib.ticker import FuncFormatter

from utils import plots
from utils.checks import check_choice
from utils.frameworks import framework
from utils.popularity import (
    CURRENT_YEARS,
    METRICS,
    as_of,
    claim_holds,
    claim_today,
    describe,
    history_before,
    is_current,
    ranking,
    series,
    snapshot,
    sources,
)
from utils.popularity_sources import source_kind
from utils.tables import text_table


def _number(value: float) -> str:
    for size, suffix in ((1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def _source_line(figures, metric: str) -> str:
    titles = []
    for title, _ in sources([f for f in figures if f.metric == metric]):
        short = title.split(", list update")[0].split(", 'Last Update")[0]
        titles += [short] if short not in titles else []
    return "Source: " + "; ".join(titles) + " (links under Sources)"


def measure_summary(figures, metric: str) -> str:
    """A measure as Markdown: what it counts, how it misleads, its latest figures with date and source."""
    check_choice("metric", metric, tuple(METRICS))
    info = METRICS[metric]
    when, values = snapshot(figures, metric)
    unit = next(f.unit for f in figures if f.metric == metric)
    latest = ", ".join(f"{framework(fid).name} {_number(v)}" for fid, v in values.items())
    first = snapshot(figures, metric, "2019")
    then = "" if first is None or first[0] == when else (
        f" Closest to mid-2019 ({first[0]}): "
        + ", ".join(f"{framework(k).name} {_number(v)}" for k, v in first[1].items()) + ".")
    status = "" if is_current(figures, metric) else (
        f" *History:* more than {CURRENT_YEARS} years older than the newest figure in the data "
        f"({as_of(figures)}), so not counted today.")
    return (f"**{info.label}** counts {info.counts}. *How it misleads:* {info.misleads}.\n\n"
            f"Latest ({when}, {unit}): {latest}.{status}{then}\n\n{_source_line(figures, metric)}.")


def plot_measure(figures, metric: str):
    """One measure: a time series when it has several dates, else a bar chart titled with its date."""
    check_choice("metric", metric, tuple(METRICS))
    info, data = METRICS[metric], series(figures, metric)
    unit = next(f.unit for f in figures if f.metric == metric)
    dates = {d for points in data.values() for d, _ in points}
    history = "" if is_current(figures, metric) else ", history"
    if len(dates) > 1:
        fig, ax = plots.figure(info.label + (f" ({history[2:]})" if history else ""), "year the figure describes", unit)
        everyday = sorted(dates)
        for fid, points in data.items():
            name, known = framework(fid).name, dict(points)
            days = [d for d in everyday if points[0][0] <= d <= points[-1][0]]  # a date the source skipped: a gap
            ax.plot(days, [known.get(d, math.nan) for d in days], "o-", color=plots.color(name), label=name)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _number(value)))  # 46M, not a "1e7" offset
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        when, values = snapshot(figures, metric)
        fig, ax = plots.figure(f"{info.label} ({when}{history})", "framework", unit)
        names = [framework(fid).name for fid in values]
        ax.bar(names, list(values.values()), color=[plots.color(n) for n in names])
    fig.text(0.01, -0.04, _source_line(figures, metric), fontsize=8, ha="left", wrap=True)
    return fig


def show(figures, metric: str) -> None:
    """Display a measure's summary (Markdown) and its plot."""
    display(Markdown(measure_summary(figures, metric)))
    fig = plot_measure(figures, metric)
    display(fig)
    plt.close(fig)


def today_rows(figures) -> list[dict]:
    """Per measure: its latest figure's date and source (marked when secondary), and whether it counts today."""
    cutoff = history_before(figures)
    rows = []
    for metric, info in METRICS.items():
        snap = snapshot(figures, metric)
        if snap is None:
            continue
        when, values = snap
        latest = next(f for f in figures if f.metric == metric and f.when == when)
        source = latest.source_title.split(", list update")[0].split(", 'Last Update")[0].split(" (")[0]
        rows.append({"measure": info.label, "latest": when,
                     "counted": "today" if is_current(figures, metric) else f"history (before {cutoff})",
                     "values": ", ".join(f"{framework(k).name} {v:,.0f}" if v >= 1000 else f"{framework(k).name} {v:g}"
                                         for k, v in values.items()),
                     "source": source + (" (secondary)" if source_kind(latest) == "secondary" else "")})
    return rows


def claim_sentence(verdict: dict) -> str:
    """The 2019 claim ("Keras tops the list") against the judge's `verdict`, in words computed from it."""
    claim, shares = claim_today(verdict), verdict["scores"]
    smallest = min(shares, key=shares.get)
    lowest = (f" Keras has the smallest mean share of the three ({shares['Keras']:.2f} of the best mean)."
              if smallest == "Keras" and "Keras" in shares else "")
    return {
        "holds": f"The 2019 claim holds today: Keras leads ({'; '.join(verdict['comparisons'])}).",
        "shared": f"Keras shares the lead today ({verdict['verdict']}): about the same as the best, so the 2019 "
                  "claim that it tops the list is not shown.",
        "cannot tell": f"The judge cannot tell who leads today ({verdict['verdict']}): over these few measures the "
                       "interval of a gap crosses the margin, so today's figures neither confirm nor refute "
                       f"the 2019 claim that Keras tops the list.{lowest}",
        "does not hold": "The 2019 claim that Keras tops the list does not hold today: "
                         + "; ".join(c for c in verdict["comparisons"] if "Keras" in c) + f".{lowest}",
    }[claim]


def claim_table(figures) -> list[dict]:
    """Per measure: the ranking around 2019 and at its latest figure, whether the 2019 claim holds for each,
    and whether the latest figure counts today (`is_current`) or is history."""
    rows = []
    for metric, info in METRICS.items():
        row = {"measure": info.label}
        for period, name in (("2019", "around 2019"), ("today", "latest")):
            snap = snapshot(figures, metric, period)
            if snap is None:
                row[name], row[f"claim ({name})"] = "no figure", "not measured"
                continue
            places = ranking(snap[1])
            row[name] = f"{describe(places)} ({snap[0]})"
            row[f"claim ({name})"] = claim_holds(places)
        row["latest counts"] = "today" if is_current(figures, metric) else "history"
        rows.append(row)
    return rows


def overview(figures) -> str:
    """A text table: each measure, its number of figures, dates and frameworks."""
    rows = []
    for metric, info in METRICS.items():
        chosen = [f for f in figures if f.metric == metric]
        whens = sorted({f.when for f in chosen})
        rows.append({"measure": info.label, "figures": len(chosen), "dates": len(whens),
                     "from": whens[0], "to": whens[-1],
                     "frameworks": ", ".join(framework(fid).name for fid in series(figures, metric))})
    return text_table(rows)


def sources_markdown(figures) -> str:
    """Every source in the CSV as a Markdown list of links, a secondary one (`source_kind`) marked so."""
    kinds = {(f.source_title, f.source_url): source_kind(f) for f in figures}
    return "\n".join(f"- [{title}]({url})" + (" (secondary)" if kinds[title, url] == "secondary" else "")
                     for title, url in sources(figures))


def chart_pair(figures) -> None:
    """Display two bar charts of the latest PyPI downloads: A's axis starts at 0, B's does not (exercise 3)."""
    when, values = snapshot(figures, "pypi_downloads_month")
    names = [framework(fid).name for fid in values]
    fig, (left, right) = plots.figure(f"PyPI downloads per month ({when}): two charts", "framework",
                                      "downloads per month (millions)", ncols=2,
                                      figsize=(9, 3.5))
    for ax, label in ((left, "A"), (right, "B")):
        ax.bar(names, [v / 1e6 for v in values.values()], color=[plots.color(n) for n in names])
        ax.set_title(f"Chart {label}")
        ax.tick_params(axis="x", labelrotation=30)
    right.set_ylim(bottom=min(values.values()) / 1e6 * 0.95)
    fig.text(0.01, -0.2, _source_line(figures, "pypi_downloads_month"), fontsize=8, ha="left")
    display(fig)
    plt.close(fig)
