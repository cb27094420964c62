"""utils.training: one training step per framework, same signature, same numbers from the same weights."""

import inspect
import math

import numpy as np
import pytest

from utils import data, models, training


def test_the_three_steps_share_one_signature():
    signatures = {name: inspect.signature(f) for name, f in training.STEPS.items()}
    assert len({str(s) for s in signatures.values()}) == 1, signatures
    assert list(signatures["torch"].parameters) == ["model", "optimizer", "learning_rate", "epsilon", "mode"]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_one_step_gives_the_same_loss_and_weights_in_each_framework(optimizer):
    import tensorflow as tf
    import torch

    ds = data.load("digits")
    x, y = ds.x_train[:32], ds.y_train[:32]
    weights = models.init_weights("mlp")
    after, losses = {}, {}
    for framework, convert in (("keras", lambda a: a), ("tensorflow", tf.constant), ("torch", torch.from_numpy)):
        model = models.build_model(framework, "mlp", weights)
        step = training.make_step(framework, model, optimizer, learning_rate=0.1)
        for _ in range(2):  # two steps: Adam's second step uses its moments
            losses[framework] = step.sync(step(convert(x), convert(y)))
        after[framework] = models.get_weights(model)
    assert abs(losses["keras"] - losses["tensorflow"]) < 1e-5, losses  # TensorFlow's Adam is Keras's formula
    gap = max(np.abs(after["torch"][n] - w).max() for n, w in after["keras"].items())
    if optimizer == "sgd":
        assert abs(losses["keras"] - losses["torch"]) < 1e-5 and gap < 1e-5, (losses, gap)
    else:  # same epsilon number, but PyTorch adds it after the bias correction: a real, measurable difference
        assert gap > 1e-4, gap
    for name, w in after["keras"].items():
        assert np.abs(after["tensorflow"][name] - w).max() < 1e-5
    assert np.abs(after["keras"]["dense1/kernel"] - weights["dense1/kernel"]).max() > 1e-3  # it trained


@pytest.mark.parametrize("framework", ["tensorflow", "torch"])
def test_compiled_modes_run(framework):
    import tensorflow as tf
    import torch

    convert = tf.constant if framework == "tensorflow" else torch.from_numpy
    model = models.build_model(framework, "mlp", models.init_weights("mlp"))
    x = np.random.default_rng(0).standard_normal((8, 64)).astype(np.float32)
    y = np.arange(8, dtype=np.int64)
    step = training.make_step(framework, model, mode="graph" if framework == "tensorflow" else "eager")
    assert math.isfinite(step.sync(step(convert(x), convert(y))))


def test_keras_epsilon_in_torch_moves_epsilon_past_the_bias_correction():
    assert training.keras_epsilon_in_torch(1e-7, 1) == pytest.approx(1e-7 / math.sqrt(1 - 0.999))
    assert training.keras_epsilon_in_torch(1e-7, 10_000) == pytest.approx(1e-7, rel=1e-3)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"optimizer": "rmsprop"}, ValueError, "optimizer == 'rmsprop'"),
    ({"optimizer": 3}, TypeError, "optimizer must be one of"),
    ({"learning_rate": 0}, ValueError, "learning_rate == 0.0, must be > 0"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a number"),
    ({"epsilon": -1.0}, ValueError, "epsilon == -1.0"),
    ({"mode": "graph"}, ValueError, "mode == 'graph', must be one of \\['eager', 'compiled'\\]"),
    ({"mode": 1}, TypeError, "mode must be one of"),
])
def test_bad_arguments_are_rejected_before_any_framework_work(kwargs, error, words):
    with pytest.raises(error, match=words):
        training.torch_step(object(), **kwargs)  # an object() model: the check must come first


def test_bad_framework_and_epsilon_step():
    with pytest.raises(ValueError, match="framework == 'jax'"):
        training.make_step("jax", object())
    with pytest.raises(ValueError, match="step == 0"):
        training.keras_epsilon_in_torch(1e-7, 0)
    with pytest.raises(TypeError, match="step must be an int"):
        training.keras_epsilon_in_torch(1e-7, 1.5)
