"""utils.frameworks and utils.tables: one table of the frameworks; one text-table formatter."""

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
