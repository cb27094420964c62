"""One plotting style for the series: the same colour for a framework in every figure, labelled axes.

Used by every notebook with a figure (01-07) and by the plotting helpers of each notebook.

    from utils import plots
    fig, ax = plots.figure("Loss per step", xlabel="step", ylabel="cross-entropy loss")
    ax.plot(losses, color=plots.color("PyTorch"), label="PyTorch")
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

from utils.checks import check_int
from utils.frameworks import TABLE

COLORS = {f.name: f.color for f in TABLE}  # from the one table of frameworks (Okabe-Ito colours)
STYLE = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "legend.frameon": False,
    "savefig.bbox": "tight",
}


def use_style() -> None:
    """Apply the series' matplotlib style to every later figure."""
    mpl.rcParams.update(STYLE)


def color(name: str) -> str:
    """The colour of a framework ('Keras', 'TensorFlow', 'PyTorch', 'JAX', 'NumPy'); case-insensitive."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a framework name as a string, got {type(name).__name__} {name!r}")
    for key, value in COLORS.items():
        if name.lower() == key.lower() or name.lower().startswith(key.lower() + " "):
            return value
    raise ValueError(f"no colour for {name!r}: choose one of {list(COLORS)}, optionally followed by a space and detail")


def figure(title: str, xlabel: str, ylabel: str, ncols: int = 1, **kwargs):
    """A styled figure with a title and labelled axes (units belong in the labels, e.g. 'time (ms)')."""
    for label, text in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{label} must be a non-empty string: every plot in the series is labelled")
    check_int("ncols", ncols, minimum=1)
    use_style()
    fig, axes = plt.subplots(1, ncols, **kwargs)
    fig.suptitle(title, fontweight="bold")
    for ax in [axes] if ncols == 1 else axes:
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    return fig, axes


BENCH_HATCH = {"eager": None, "graph": "..", "XLA": "//", "TorchInductor": "xx"}  # how the step runs
BENCH_MARKER = {"eager": "o", "graph": "s", "XLA": "^", "TorchInductor": "D"}


def _bench_color(config: str) -> str:
    """The colour of the API a configuration is written in (Keras, TensorFlow, PyTorch), whatever its back end."""
    from utils.bench import CONFIGS
    from utils.frameworks import framework

    return framework(CONFIGS[config].framework).color


def _bench_legend(cells, line: bool = False) -> list:
    """Legend entries: colour = the API (Keras on any back end, TensorFlow, PyTorch); hatching (bars) or
    marker (lines) = how the step runs (eager, a graph, XLA, TorchInductor)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from utils.bench import CONFIGS
    from utils.frameworks import framework

    shown = [CONFIGS[r["config"]] for r in cells if r["state"] not in ("failed", "unavailable")]
    apis = dict.fromkeys(c.framework for c in shown)
    kinds = dict.fromkeys(c.runs_as for c in shown)
    handles = [Patch(color=framework(api).color, label=framework(api).name) for api in apis]
    for kind in kinds:
        if line:
            handles.append(Line2D([], [], color="grey", marker=BENCH_MARKER[kind], linestyle="", label=kind))
        else:
            handles.append(Patch(facecolor="white", edgecolor="black", hatch=BENCH_HATCH[kind], label=kind))
    return handles


def speed_bars(record: dict, workload: str, batch: int):
    """Median ms per training step of every configuration (bars) with its interquartile range (whiskers).

    Colour: the API; hatching: how the step runs (`_bench_legend`); noisy, contended and failed cells are
    named beside their bar. Used by notebook 02. Returns (fig, ax).
    """
    from utils.bench import CONFIGS, WORKLOADS, mark
    from utils.checks import check_choice, check_dict

    check_dict("record", record)
    check_choice("workload", workload, WORKLOADS)
    check_int("batch", batch, minimum=1)
    cells = [r for r in record["results"] if (r["workload"], r["batch"]) == (workload, batch)]
    if not cells:
        raise ValueError(f"the record has no results on {workload} at batch {batch}")
    fig, ax = figure(f"One training step, {workload} at batch {batch} (median, bars: IQR)",
                     xlabel="time per step (ms, lower is faster)", ylabel="configuration")
    for i, r in enumerate(cells):
        if r["state"] in ("failed", "unavailable"):
            ax.text(0, i, f"  {mark(r).lower()}", va="center")
            continue
        median, q1, q3 = (1e3 * r[k] for k in ("median_s", "q1_s", "q3_s"))
        ax.barh(i, median, xerr=[[median - q1], [q3 - median]], color=_bench_color(r["config"]),
                hatch=BENCH_HATCH[CONFIGS[r["config"]].runs_as], edgecolor="black", linewidth=0.5)
        ax.text(q3, i, f"  {median:.3g} {mark(r)}", va="center", fontsize=9)
    ax.set_yticks(range(len(cells)), [r["label"] for r in cells])
    ax.invert_yaxis()
    ax.legend(handles=_bench_legend(cells), fontsize=8, loc="lower right", title="colour: API; hatching: runs as",
              title_fontsize=8)
    return fig, ax


def crossover(record: dict, workload: str = "mlp", extra: dict | None = None):
    """Each configuration's share of the machine's matmul peak against the FLOPs of one step (log scale).

    One line per configuration over the record's batch sizes and model sizes for `workload` (and those of
    `extra`, another record with the same peak, e.g. the small models' run); colour: the API, marker: how
    the step runs; hollow markers for noisy or contended cells. Used by notebook 02. Returns (fig, ax).
    """
    from utils.bench import CONFIGS, WORKLOADS
    from utils.checks import check_choice, check_dict

    check_dict("record", record)
    check_choice("workload", workload, WORKLOADS)
    if not record["peak"]["gflops"]:
        raise ValueError("the record has no matmul peak, so no share of it")
    shown = {r["config"] for r in record["results"] if r["workload"] == workload}
    results = record["results"] + ([r for r in check_dict("extra", extra)["results"] if r["config"] in shown]
                                   if extra is not None else [])  # extra: only the configurations of `record`
    if extra is not None and extra["peak"]["gflops"] != record["peak"]["gflops"]:
        raise ValueError("extra was measured against another matmul peak: run it with peak=record['peak']")
    mine = [r for r in results if r["workload"] == workload and r["state"] not in ("failed", "unavailable")]
    if not mine:
        raise ValueError(f"the record has no measured results on {workload!r}")
    fig, ax = figure(f"Share of this machine's matmul peak, {workload} training step",
                     xlabel="work per step (FLOPs, log scale)", ylabel="share of the matmul peak (%)")
    for config in dict.fromkeys(r["config"] for r in mine):
        cells = sorted((r for r in mine if r["config"] == config), key=lambda r: r["flops_per_step"])
        x = [r["flops_per_step"] for r in cells]
        y = [100 * r["share_of_peak"] for r in cells]
        color, marker = _bench_color(config), BENCH_MARKER[CONFIGS[config].runs_as]
        ax.plot(x, y, "-", color=color, alpha=0.6)
        for xi, yi, r in zip(x, y, cells, strict=True):
            ax.plot(xi, yi, marker, color=color, markerfacecolor=color if r["state"] == "ok" else "white")
        ax.annotate(cells[-1]["label"], (x[-1], y[-1]), fontsize=7, xytext=(3, 0), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.legend(handles=_bench_legend(mine, line=True), fontsize=8, ncol=2,
              title="colour: API; marker: runs as; hollow: noisy or contended", title_fontsize=8)
    return fig, ax
