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
