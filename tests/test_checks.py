import numpy as np
import pytest

from utils.checks import check_count, is_count


def test_counts_are_ints_of_at_least_the_minimum():
    assert check_count("n", 3) == 3 and check_count("n", np.int64(2)) == 2 and check_count("seed", 0, minimum=0) == 0
    assert not is_count(True) and not is_count(2.0) and not is_count("2") and not is_count(0)


@pytest.mark.parametrize("value, minimum, message", [
    (0, 1, "batch_size must be a positive int, got 0"),
    (-1, 0, "batch_size must be a non-negative int, got -1"),
    (1, 2, "batch_size must be an int of at least 2, got 1"),
    (True, 1, "batch_size must be a positive int, got True"),
    (2.5, 1, "batch_size must be a positive int, got 2.5"),
])
def test_the_error_says_what_was_expected(value, minimum, message):
    with pytest.raises(ValueError) as info:
        check_count("batch_size", value, minimum)
    assert str(info.value) == message


def test_detail_explains_the_unit():
    with pytest.raises(ValueError, match=r"steps must be a positive int \(steps in the block\), got 0"):
        check_count("steps", 0, detail=" (steps in the block)")
