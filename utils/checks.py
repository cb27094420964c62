"""Argument checks shared by every helper: a TypeError for a wrong type, a ValueError for a wrong value.

Used by every module of `utils` (notebooks do not call them directly).

    batch_size = check_int("batch_size", batch_size, minimum=1)       # returns an int
    lr = check_number("lr", lr, minimum=0, inclusive=False)            # returns a float
    optimizer = check_choice("optimizer", optimizer, ("sgd", "adam"))
    timeout = check_seconds("timeout", timeout)

The rules, in the spirit of scikit-learn's `check_scalar`: a bool is never a number; NumPy integers and
floats are accepted wherever Python ones are (and an int wherever a real number is); NaN and infinity
are never accepted. Each message names the argument, says what was expected and shows what came in:
"lr == -0.1, must be > 0", "batch_size must be an int, got float 2.5".
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _received(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}" if not isinstance(value, str) else f"str {text[:60]}"


def is_int(value) -> bool:
    """True for a Python or NumPy integer (never a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def is_number(value) -> bool:
    """True for a Python or NumPy int or float (never a bool); NaN and infinity included."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_range(name: str, value, minimum, maximum, inclusive: bool) -> None:
    low = ">=" if inclusive else ">"
    high = "<=" if inclusive else "<"
    if minimum is not None and (value < minimum or (not inclusive and value == minimum)):
        raise ValueError(f"{name} == {value!r}, must be {low} {minimum}")
    if maximum is not None and (value > maximum or (not inclusive and value == maximum)):
        raise ValueError(f"{name} == {value!r}, must be {high} {maximum}")


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` as a Python int; TypeError when it is not an integer, ValueError when out of range.

    Example:
        >>> check_int("batch_size", np.int64(32), minimum=1)
        32
    """
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {_received(value)}")
    value = int(value)
    _check_range(name, value, minimum, maximum, inclusive=True)
    return value


def check_number(name: str, value, minimum: float | None = None, maximum: float | None = None,
                 inclusive: bool = True) -> float:
    """`value` as a finite float; TypeError for a non-number (or a bool), ValueError when out of range.

    `inclusive=False` makes both bounds strict (`minimum=0, inclusive=False` means "> 0").

    Example:
        >>> check_number("lr", 1, minimum=0, inclusive=False)
        1.0
    """
    if not is_number(value):
        raise TypeError(f"{name} must be a number (int or float), got {_received(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} == {value!r}, must be a finite number")
    _check_range(name, value, minimum, maximum, inclusive)
    return value


def check_seconds(name: str, value) -> float:
    """A duration in seconds (a timeout, a block length): a finite number > 0."""
    return check_number(name, value, minimum=0, inclusive=False)


def check_bool(name: str, value) -> bool:
    """`value` if it is True or False (NumPy bools too); TypeError otherwise."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_received(value)}")
    return bool(value)


def check_str(name: str, value) -> str:
    """A non-empty string (TypeError for another type, ValueError when empty or blank)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {_received(value)}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    return value


def check_choice(name: str, value, choices) -> object:
    """`value` if it is one of `choices`; TypeError when its type cannot be one, ValueError otherwise."""
    choices = tuple(choices)
    if not any(isinstance(value, type(c)) for c in choices):
        raise TypeError(f"{name} must be one of {list(choices)}, got {_received(value)}")
    if value not in choices:
        raise ValueError(f"{name} == {value!r}, must be one of {list(choices)}")
    return value


def check_names(name: str, value, choices) -> tuple:
    """A non-empty list or tuple (or a single string) of names drawn from `choices`, without repeats."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple):
        raise TypeError(f"{name} must be a list or tuple drawn from {list(choices)}, got {_received(value)}")
    if not value:
        raise ValueError(f"{name} is empty: give at least one of {list(choices)}")
    for item in value:
        check_choice(f"{name} item", item, choices)
    return tuple(dict.fromkeys(value))


def check_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """A NumPy array of numbers (optionally with `ndim` dimensions)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {_received(value)}")
    if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {value.shape}")
    return value


def check_dict(name: str, value) -> dict:
    """`value` if it is a dict; TypeError otherwise."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, got {_received(value)}")
    return value
