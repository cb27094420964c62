"""The one table of the frameworks: id, display name, colour, Keras back end name, installed package.

Used by every notebook, through the helpers: every module reads the frameworks from here.

    from utils.frameworks import COMPARED, framework
    [f.name for f in COMPARED]               # ['Keras', 'TensorFlow', 'PyTorch']: the series' order
    framework("pytorch").color               # by id or display name, any case
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    """One library: `id` in code ("torch"), `name` for people ("PyTorch"), its colour and Keras back end."""

    id: str
    name: str
    color: str  # Okabe-Ito: told apart by colour-blind readers too
    package: str  # the distribution pip installs
    keras_backend: str | None  # the KERAS_BACKEND value that runs Keras on it; None when it is not one


# The series compares the first three, always in this order; JAX is Keras's third back end; NumPy is the
# reference (matmul peak, hand-computed answers).
TABLE = (
    Framework("keras", "Keras", "#CC79A7", "keras", None),
    Framework("tensorflow", "TensorFlow", "#E69F00", "tensorflow", "tensorflow"),
    Framework("torch", "PyTorch", "#0072B2", "torch", "torch"),
    Framework("jax", "JAX", "#009E73", "jax", "jax"),
    Framework("numpy", "NumPy", "#555555", "numpy", None),
)
COMPARED = TABLE[:3]
IDS = tuple(f.id for f in TABLE)
COMPARED_IDS = tuple(f.id for f in COMPARED)
KERAS_BACKENDS = tuple(f.keras_backend for f in TABLE if f.keras_backend)


def framework(key: str) -> Framework:
    """The framework whose id or display name is `key` (any case; "pytorch" and "torch" both work)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a framework id or name (a string), got {type(key).__name__} {key!r}")
    for f in TABLE:
        if key.lower() in (f.id, f.name.lower()):
            return f
    raise ValueError(f"key == {key!r}, must be one of {list(IDS)} (or a display name such as 'PyTorch')")
