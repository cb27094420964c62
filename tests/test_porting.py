"""utils.porting: each wrong layout decision of a Keras -> PyTorch port is told by what goes wrong."""

import keras
import numpy as np
import pytest

from utils import exercises, porting

T = {"conv kernel": lambda k: k.transpose(3, 2, 0, 1), "permute before flatten": True, "dense kernel": lambda k: k.T}


def _rows_channels_first(k):  # the Dense rows reordered from (h, w, c) to (c, h, w), for a 4x4x16 map
    return k.reshape(4, 4, 16, -1).transpose(2, 0, 1, 3).reshape(256, -1).T


@pytest.fixture(scope="module")
def model():
    """Exercise 2's model in notebook 01: Conv2D(16, 3, same, relu), BatchNorm, MaxPool, Flatten, Dense(10)."""
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
                          keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                          keras.layers.Dense(10)])
    m.compile(optimizer="adam", loss="mse")
    return m


def _reason(answer, model, capsys):
    exercises.forget_tries()
    verdict = porting.check_port("2b: the port's layouts", answer, model)
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1, line
    return None if verdict else verdict.reason


@pytest.mark.parametrize("answer", [T, {**T, "permute before flatten": False, "dense kernel": _rows_channels_first}],
                         ids=["permute before flatten", "Dense rows reordered"])
def test_a_right_port_passes_either_way_of_fixing_the_flatten_order(model, answer, capsys):
    assert _reason(answer, model, capsys) is None


@pytest.mark.parametrize("conv, says", [
    (lambda k: k.reshape(16, 1, 3, 3), "regrouped into the new shape"),
    (lambda k: k.T, "height and width are swapped"),
    (lambda k: np.flip(k.transpose(3, 2, 0, 1), axis=0), "axes are in the wrong order"),
])
def test_a_wrong_kernel_layout_is_told_at_the_convolution(model, conv, says, capsys):
    reason = _reason({**T, "conv kernel": conv}, model, capsys)
    assert reason.startswith("the convolution outputs already differ") and says in reason
    assert "Dense" not in reason and "transpose(" not in reason and "(3, 2, 0, 1)" not in reason


@pytest.mark.parametrize("answer, says", [
    ({**T, "permute before flatten": False}, "flattens channels-first maps"),
    ({**T, "dense kernel": _rows_channels_first}, "reorders them twice"),
    ({**T, "dense kernel": lambda k: k.reshape(10, 256)}, "mixed with other units'"),
    ({**T, "dense kernel": lambda k: 2 * k.T}, "other numbers"),
])
def test_a_wrong_flatten_order_is_told_at_dense_once_the_convolutions_agree(model, answer, says, capsys):
    reason = _reason(answer, model, capsys)
    assert reason.startswith("the convolution outputs agree but the Dense outputs") and says in reason


@pytest.mark.parametrize("answer, says", [
    (..., "replace the `...`"),
    ({**T, "conv kernel": ...}, "`...` of 'conv kernel'"),
    ({**T, "dense kernel": lambda k: ...}, "`...` in 'dense kernel'"),
    ({"conv kernel": T["conv kernel"]}, "missing keys"),
    ({**T, "permute before flatten": "yes"}, "True or False"),
    ({**T, "conv kernel": lambda k: k}, "has shape (3, 3, 1, 16)"),
    ({**T, "dense kernel": lambda k: k}, "has shape (256, 10)"),
    ({**T, "conv kernel": lambda k: k.no_such_method()}, "raised AttributeError"),
    ({**T, "dense kernel": "k.T"}, "must be a function"),
    ({**T, "dense kernel": lambda k: "text"}, "not an array of numbers"),
])
def test_bad_answers_are_explained_never_raised(model, answer, says, capsys):
    reason = _reason(answer, model, capsys)
    assert says in reason, reason
    assert "(16, 1, 3, 3)" not in reason and "(10, 256)" not in reason  # never the shape PyTorch wants


def test_a_port_in_torch_tensors_passes(model, capsys):
    import torch

    answer = {**T, "conv kernel": lambda k: torch.tensor(k).permute(3, 2, 0, 1)}
    assert _reason(answer, model, capsys) is None


def test_the_helper_that_converts_layouts_is_refused(model, capsys):
    reason = porting._port_problem(T, porting._layers(model), model, None)
    assert reason is None
    assert "to_torch_layout" in exercises.forbidden_reason(("to_torch_layout",), "models.to_torch_layout(w)")


@pytest.mark.parametrize("bad, match", [
    ("not a model", "keras.Model"),
    (keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]), "Conv2D"),
    (keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3, strides=2), keras.layers.Flatten(),
                       keras.layers.Dense(3)]), "stride 1"),
])
def test_a_model_it_cannot_port_is_rejected_with_a_clear_error(bad, match):
    with pytest.raises(TypeError, match=match):
        porting.check_port("2b: the port's layouts", T, bad)
