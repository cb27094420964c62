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
    assert set(rows) | {"Adam epsilon"} == set(defaults.SETTINGS)  # the names settings_to_align uses
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


def test_settings_to_align_reads_the_port_and_fit_defaults(capsys):
    import keras

    port = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, strides=2, padding="same"),
                             keras.layers.BatchNormalization(), keras.layers.Flatten(), keras.layers.Dense(10)])
    port.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    assert defaults.settings_to_align(port, {}, loads_weights=True) == {
        "Adam epsilon": True, "BatchNorm epsilon": True, "BatchNorm momentum": True,
        "Dense kernel initializer": False, "'same' padding at stride 2": True, "shuffling": True}
    plain = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    plain.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    assert defaults.settings_to_align(plain, {"shuffle": False}, loads_weights=False) == {
        **dict.fromkeys(defaults.SETTINGS, False), "Dense kernel initializer": True}
    must = {"Adam epsilon", "BatchNorm epsilon", "BatchNorm momentum", "'same' padding at stride 2", "shuffling"}
    assert defaults.check_settings("2: port", must, port, {}, loads_weights=True)
    for answer, words in [(..., "replace the `...`"), ("shuffling", "a set of setting names, got str"),
                          ({"shuffle"}, "unknown settings ['shuffle']"),
                          (must - {"shuffling"}, "1 setting that the port must set is missing"),
                          (must - {"shuffling", "Adam epsilon"}, "2 settings that the port must set are missing"),
                          (must | {"Dense kernel initializer"}, "1 setting you named needs nothing here"),
                          (must - {"shuffling"} | {"Dense kernel initializer"}, "is missing: left at PyTorch's "
                           "default, the port would train differently from Keras here; 1 setting you named")]:
        assert not defaults.check_settings("2: port", answer, port, {}, loads_weights=True)
        out = capsys.readouterr().out
        assert words in out and not any(f"'{s}'" in out or f"{s}:" in out for s in defaults.SETTINGS)
    with pytest.raises(TypeError, match="compiled keras.Model"):
        defaults.settings_to_align(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), {}, True)
    with pytest.raises(TypeError, match="loads_weights"):
        defaults.settings_to_align(plain, {}, "yes")


def test_epsilon_settles_at_the_first_step_within_the_margin():
    from utils.training import keras_epsilon_in_torch

    t = defaults.epsilon_settles(0.01)
    assert keras_epsilon_in_torch(1e-7, t) <= 1.01e-7 < keras_epsilon_in_torch(1e-7, t - 1)
    assert 3000 < t < 5000
    assert defaults.epsilon_settles(40.0) == 1  # at step 1 the matching eps is 1/sqrt(1 - 0.999) = 31.6 times epsilon
    assert defaults.epsilon_settles(30.0) == 2
