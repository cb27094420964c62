"""utils.checks: TypeError for a wrong type, ValueError for a wrong value, the argument named in both."""

import math

import numpy as np
import pytest

from utils import checks


def test_ints_accept_numpy_and_reject_bool_and_float():
    assert checks.check_int("n", np.int64(3), minimum=1) == 3 and type(checks.check_int("n", np.int32(3))) is int
    for bad in (True, 2.0, "2", None):
        with pytest.raises(TypeError, match=r"^n must be an int, got"):
            checks.check_int("n", bad)
    with pytest.raises(ValueError, match=r"^batch_size == 0, must be >= 1$"):
        checks.check_int("batch_size", 0, minimum=1)
    with pytest.raises(ValueError, match=r"^k == 9, must be <= 8$"):
        checks.check_int("k", 9, maximum=8)


def test_numbers_accept_ints_and_numpy_floats_and_reject_bool_nan_inf():
    assert checks.check_number("lr", 1, minimum=0, inclusive=False) == 1.0
    assert checks.check_number("lr", np.float32(0.5)) == 0.5
    with pytest.raises(TypeError, match="lr must be a number"):
        checks.check_number("lr", False)
    for bad in (math.nan, math.inf):
        with pytest.raises(ValueError, match="lr == .*, must be a finite number"):
            checks.check_number("lr", bad)
    with pytest.raises(ValueError, match=r"^lr == -0.1, must be > 0$"):
        checks.check_number("lr", -0.1, minimum=0, inclusive=False)
    with pytest.raises(ValueError, match=r"^lr == 0.0, must be > 0$"):
        checks.check_number("lr", 0, minimum=0, inclusive=False)


def test_seconds_bool_str_choice_names_array_dict():
    assert checks.check_seconds("timeout", 5) == 5.0
    with pytest.raises(ValueError, match="timeout == 0.0"):
        checks.check_seconds("timeout", 0)
    with pytest.raises(TypeError, match="timeout must be a number"):
        checks.check_seconds("timeout", "5")
    assert checks.check_bool("flag", np.bool_(True)) is True
    with pytest.raises(TypeError, match="flag must be True or False"):
        checks.check_bool("flag", 1)
    with pytest.raises(ValueError, match="title must not be empty"):
        checks.check_str("title", "  ")
    with pytest.raises(TypeError, match="title must be a string"):
        checks.check_str("title", 3)
    assert checks.check_choice("opt", "sgd", ("sgd", "adam")) == "sgd"
    with pytest.raises(ValueError, match=r"opt == 'rmsprop', must be one of \['sgd', 'adam'\]"):
        checks.check_choice("opt", "rmsprop", ("sgd", "adam"))
    with pytest.raises(TypeError, match="opt must be one of"):
        checks.check_choice("opt", 1, ("sgd", "adam"))
    assert checks.check_names("workloads", "mlp", ("mlp", "cnn")) == ("mlp",)
    assert checks.check_names("workloads", ["cnn", "cnn"], ("mlp", "cnn")) == ("cnn",)
    with pytest.raises(ValueError, match="workloads is empty"):
        checks.check_names("workloads", [], ("mlp",))
    with pytest.raises(TypeError, match="workloads must be a list"):
        checks.check_names("workloads", 3, ("mlp",))
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        checks.check_array("x", [1, 2])
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        checks.check_array("x", np.zeros(3), ndim=2)
    with pytest.raises(TypeError, match="sizes must be a dict"):
        checks.check_dict("sizes", [])
