"""Figures and Markdown summaries for the popularity data (data/popularity.csv).

Used by notebook 06.

    from utils import popularity, popularity_plots
    figures = popularity.load_figures()
    popularity_plots.show(figures, "github_stars")     # what it counts, how it misleads, the figures, a plot
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from utils import plots
from utils.checks import check_choice
from utils.frameworks import framework
from utils.popularity import METRICS, series, snapshot, sources
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
        f" Around 2019 ({first[0]}): " + ", ".join(f"{framework(k).name} {_number(v)}" for k, v in first[1].items())
        + ".")
    return (f"**{info.label}** counts {info.counts}. *How it misleads:* {info.misleads}.\n\n"
            f"Latest ({when}, {unit}): {latest}.{then}\n\n{_source_line(figures, metric)}.")


def plot_measure(figures, metric: str):
    """One measure: a time series when it has several dates, else a bar chart titled with its date."""
    check_choice("metric", metric, tuple(METRICS))
    info, data = METRICS[metric], series(figures, metric)
    unit = next(f.unit for f in figures if f.metric == metric)
    dates = {d for points in data.values() for d, _ in points}
    if len(dates) > 1:
        fig, ax = plots.figure(info.label, "date the figure describes", unit)
        for fid, points in data.items():
            name = framework(fid).name
            ax.plot([d for d, _ in points], [v for _, v in points], "o-", color=plots.color(name), label=name)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        when, values = snapshot(figures, metric)
        fig, ax = plots.figure(f"{info.label} ({when})", "framework", unit)
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
    """Every source in the CSV as a Markdown list of links."""
    return "\n".join(f"- [{title}]({url})" for title, url in sources(figures))


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
