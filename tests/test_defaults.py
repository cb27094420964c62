"""utils.defaults: the settings whose defaults differ between Keras and PyTorch, measured and aligned."""

import math

import pytest

from utils import data, defaults, models

ONE_PASS = 1e-5


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def test_adam_epsilon_differs_with_defaults_and_agrees_when_aligned(digits):
    (row,) = defaults.adam_epsilon("mlp", models.init_weights("mlp"), digits.x_train, digits.y_train, steps=10)
    assert row.with_defaults > 1e-4 and row.aligned < ONE_PASS, row


def test_library_defaults_read_from_installed_versions():
    d = defaults.library_defaults()
    assert d["Keras"]["adam epsilon"] == 1e-7 and d["PyTorch"]["adam epsilon"] == 1e-8
    assert d["Keras"]["batchnorm momentum"] == 0.99 and d["PyTorch"]["batchnorm momentum"] == 0.1
    assert d["Keras"]["batchnorm epsilon"] == 1e-3 and d["PyTorch"]["batchnorm epsilon"] == 1e-5
    assert d["Keras"]["dense initializer"] == "glorot_uniform"


def test_default_differences_measured_and_aligned(digits):
    rows = {r.setting: r for r in defaults.batchnorm(digits.x_train, steps=10) + defaults.initializers()
            + defaults.padding() + defaults.fit_shuffle("mlp", models.init_weights("mlp"), digits.x_train,
                                                              digits.y_train)}
    assert rows["BatchNorm epsilon"].with_defaults > 0.1 and rows["BatchNorm epsilon"].aligned < ONE_PASS
    assert rows["BatchNorm momentum"].with_defaults > 0.1 > 10 * rows["BatchNorm momentum"].aligned
    init = rows["Dense kernel initializer"]  # Glorot std / Kaiming(a=sqrt 5) std = sqrt(3) for a square layer
    assert init.with_defaults == pytest.approx(math.sqrt(3), rel=0.1) and init.aligned == pytest.approx(1, rel=0.1)
    pad = rows["'same' padding at stride 2"]
    assert pad.with_defaults > 0.1 and pad.aligned < ONE_PASS
    assert rows["shuffling"].with_defaults > 1e-3 and rows["shuffling"].aligned < ONE_PASS
    text = defaults.differences_table(list(rows.values()))
    assert "how to align" in text and "F.pad" in text




@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda ds: defaults.batchnorm(ds.x_train[0]), ValueError, "x must have 2 dimension"),
    (lambda ds: defaults.batchnorm(ds.x_train.tolist()), TypeError, "x must be a NumPy array"),
    (lambda ds: defaults.initializers(fan_in=0), ValueError, "fan_in == 0"),
    (lambda ds: defaults.initializers(fan_out=2.5), TypeError, "fan_out must be an int"),
    (lambda ds: defaults.differences_table([]), TypeError, "non-empty list of Difference"),
])
def test_bad_input_is_rejected(call, error, words, digits):
    with pytest.raises(error, match=words):
        call(digits)
