"""utils.frameworks and utils.tables: one table of the frameworks; one text-table formatter; differences as claimed."""

import numpy as np
import pytest

from utils import frameworks, tables


def test_the_series_order_and_lookup_by_id_or_name():
    assert [f.name for f in frameworks.COMPARED] == ["Keras", "TensorFlow", "PyTorch"]
    assert frameworks.framework("pytorch") is frameworks.framework("torch") is frameworks.framework("PyTorch")
    assert frameworks.KERAS_BACKENDS == ("tensorflow", "torch", "jax")
    assert len({f.color for f in frameworks.TABLE}) == len(frameworks.TABLE)
    with pytest.raises(ValueError, match="key == 'mxnet'"):
        frameworks.framework("mxnet")
    with pytest.raises(TypeError, match="key must be"):
        frameworks.framework(3)


def test_text_table_aligns_text_left_and_numbers_right():
    out = tables.text_table([{"name": "Keras", "ms": 1.5}, {"name": "PyTorch", "ms": 12.25}])
    assert out.splitlines() == ["name        ms", "Keras      1.5", "PyTorch  12.25"]
    assert tables.text_table([{"a": None}]).splitlines()[1] == "-"
    with pytest.raises(TypeError, match="rows must be"):
        tables.text_table([])
    with pytest.raises(ValueError, match="align values"):
        tables.text_table([{"a": 1}], align={"a": "^"})


@pytest.mark.parametrize("gap, text", [
    (0.0, "below 1e-6 (tolerance 1e-5)"),
    (np.float32(8.9e-08), "below 1e-6 (tolerance 1e-5)"),
    (1.2e-07, "below 1e-6 (tolerance 1e-5)"),  # another CPU's noise prints the same
    (3e-06, "within the tolerance 1e-5"),
    (2e-05, "2.0e-05, over the tolerance 1e-5"),
    (float("nan"), "not finite (nan; tolerance 1e-5)"),
])
def test_a_difference_prints_what_the_lesson_claims_not_the_noise(gap, text):
    assert tables.difference(gap, 1e-5) == text


def test_a_difference_rejects_what_is_not_one():
    with pytest.raises(TypeError, match="gap must be a number"):
        tables.difference("1e-7", 1e-5)
    with pytest.raises(ValueError, match="gap == -1.0, must be >= 0"):
        tables.difference(-1.0, 1e-5)
    with pytest.raises(ValueError, match="tolerance"):
        tables.difference(0.0, 0)
