"""Argument checks shared by the helpers: one rule for "a count", one wording for its error."""

from __future__ import annotations

import numpy as np


def is_count(value, minimum: int = 1) -> bool:
    """True for an int (NumPy ints too, never a bool) of at least `minimum`."""
    return not isinstance(value, bool) and isinstance(value, int | np.integer) and value >= minimum


def check_count(name: str, value, minimum: int = 1, detail: str = "") -> int:
    """`value` as an int if `is_count(value, minimum)`; else a ValueError saying what was expected."""
    if not is_count(value, minimum):
        kind = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int of at least {minimum}")
        raise ValueError(f"{name} must be {kind}{detail}, got {value!r}")
    return int(value)
