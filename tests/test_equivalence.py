"""The equivalence harness: the same weights give the same numbers in Keras, TensorFlow and PyTorch."""


import numpy as np
import pytest

from utils import data, equivalence, models

# Float32 keeps about 7 significant digits; a loss near 2 is stored to 2.4e-7. Forward passes and one
# step differ by the order of the sums only: we measured at most 3.6e-7 (logits) and 3e-8 (gradients).
ONE_PASS = 1e-5
# Over 20 SGD steps (lr 0.1, batches of 32) we measured a largest loss difference of 2.4e-7 (mlp) and
# 4.8e-7 (cnn), i.e. 1-2 float32 steps at a loss of ~2; over 200 steps at lr 0.5 it grew to 3.6e-6.
# 1e-5 leaves a 20x margin for other CPUs and BLAS libraries (each sums in its own order) yet is 100x
# below what a real mismatch gives: Adam's epsilon formula moves the weights 2e-3, padding 1.0.
TWENTY_STEPS = 1e-5


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.mark.parametrize("arch", ["mlp", "cnn", "attention"])
def test_equivalence_forward_outputs_agree(arch, digits):
    report = equivalence.compare_forward(arch, models.init_weights(arch), digits.x_test[:100])
    assert report.values["Keras"]["logits"].shape == (100, 10)
    assert report.max_diff <= ONE_PASS, report
    assert "the frameworks agree" in str(report)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_equivalence_one_sgd_step(arch, digits):
    weights = models.init_weights(arch)
    report = equivalence.compare_sgd_step(arch, weights, digits.x_train[:32], digits.y_train[:32], lr=0.1)
    assert report.groups == ["loss", "gradient", "weights"]
    for group in report.groups:
        assert report.largest(group)[0] <= ONE_PASS, report
    # the step really moved the weights (an optimizer that did nothing would also "agree")
    moved = max(np.abs(report.values["PyTorch"][f"weights {n}"] - w).max() for n, w in weights.items())
    assert moved > 1e-3


def _one_step_on_this_backend(arch):
    from utils import data, equivalence, models

    digits = data.load("digits")
    report = equivalence.compare_sgd_step(arch, models.init_weights(arch), digits.x_train[:32], digits.y_train[:32])
    return [report.largest(group)[0] for group in report.groups]


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_gradients_come_from_whichever_backend_keras_runs_on(backend):
    from utils import backends

    assert max(backends.run_in_backend(backend, _one_step_on_this_backend, "cnn")) <= ONE_PASS


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_equivalence_twenty_sgd_steps(arch, digits):
    weights = models.init_weights(arch)
    report = equivalence.train_curves(arch, weights, digits.x_train, digits.y_train, steps=20, optimizer="sgd",
                                      lr=0.1, tolerance=TWENTY_STEPS)
    assert {len(v) for v in report.losses.values()} == {20}
    assert report.passed, report
    moved = max(np.abs(report.values["Keras"][f"weights {n}"] - w).max() for n, w in weights.items())
    assert moved > 1e-2  # it trained


def _notebook_cell(notebook, cell_id):
    import json
    from pathlib import Path

    cells = json.loads((Path(__file__).parents[1] / "notebooks" / notebook).read_text())["cells"]
    return "".join(next(c["source"] for c in cells if c.get("id") == cell_id))


def test_notebook_01s_jax_train_step_gives_the_tensorflow_and_pytorch_loss_curve(digits):
    """01's stateless JAX train_step, as the notebook writes it, run by fit on Keras's JAX back end (a child)."""
    from utils import backends

    source = _notebook_cell("01_level_of_api.ipynb", "c13-jax-code")
    assert "stateless_call" in source and "stateless_apply" in source
    run = dict(steps=20, batch_size=32, lr=0.3)
    jax_curve = backends.run_in_backend("jax", backends.custom_step_curve, {"jax": ["JaxStepMLP", source]}, **run)
    harness = equivalence.train_curves("mlp", models.init_weights("mlp"), digits.x_train, digits.y_train, **run)
    both = equivalence.Agreement("JAX train_step and the harness", {
        "JAX train_step": {"loss": np.asarray(jax_curve)},
        **{name: {"loss": harness.losses[name]} for name in ("TensorFlow", "PyTorch")},
    }, tolerance=equivalence.TOLERANCE)
    assert len(jax_curve) == 20 and jax_curve[-1] < jax_curve[0] - 0.5, jax_curve  # it trained
    assert both.passed, both


def test_custom_step_curve_wants_a_step_for_its_back_end():
    from utils import backends

    with pytest.raises(ValueError, match="no train_step for the"):
        backends.custom_step_curve({})  # this process's back end has no step


def test_equivalence_adam_needs_keras_epsilon_formula(digits):
    """Keras adds epsilon before Adam's bias correction, PyTorch after: the harness sees it, and fixes it."""
    w = models.init_weights("mlp")
    run = dict(steps=20, optimizer="adam", lr=1e-3, tolerance=TWENTY_STEPS)
    matched = equivalence.train_curves("mlp", w, digits.x_train, digits.y_train, epsilon=1e-7, **run)
    assert matched.passed, matched
    raw = equivalence.train_curves("mlp", w, digits.x_train, digits.y_train, epsilon=1e-7, match_epsilon=False, **run)
    assert not raw.passed and raw.largest("weights")[0] > 1e-4, raw
    assert raw.largest("weights")[2] != "Keras vs TensorFlow"  # those two share the formula


def test_equivalence_report_flags_a_difference():
    values = {"Keras": {"loss": np.array([2.0, 1.0])}, "TensorFlow": {"loss": np.array([2.0, 1.0])},
              "PyTorch": {"loss": np.array([2.0, 1.5])}}
    report = equivalence.Agreement("made up", values, tolerance=1e-5)
    assert report.largest() == (0.5, "loss", "Keras vs PyTorch")
    assert not report.passed and "DISAGREE" in str(report)
    assert report.losses["PyTorch"].tolist() == [2.0, 1.5]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda w, ds: equivalence.compare_forward("rnn", w, ds.x_test), ValueError, "arch == 'rnn'"),
        (lambda w, ds: equivalence.compare_forward("mlp", w, ds.x_test[:, :10]), ValueError, "must have shape"),
        (lambda w, ds: equivalence.compare_forward("mlp", w, ds.x_test.tolist()), TypeError, "NumPy array"),
        (lambda w, ds: equivalence.compare_forward("mlp", w, ds.x_test[:0]), ValueError, "empty"),
        (lambda w, ds: equivalence.compare_forward("cnn", w, ds.x_test), ValueError, "weights for 'cnn'"),
        (lambda w, ds: equivalence.compare_sgd_step("mlp", w, ds.x_train[:4], ds.y_train[:3]), ValueError, "shape"),
        (lambda w, ds: equivalence.compare_sgd_step("mlp", w, ds.x_train[:4], ds.y_train[:4] + 10), ValueError,
         "class indices"),
        (lambda w, ds: equivalence.compare_sgd_step("mlp", w, ds.x_train[:4], ds.y_train[:4], lr=-1.0), ValueError,
         "lr == -1.0, must be > 0"),
        (lambda w, ds: equivalence.compare_sgd_step("mlp", w, ds.x_train[:4], ds.y_train[:4], lr="0.1"), TypeError,
         "lr must be a number"),
        (lambda w, ds: equivalence.compare_forward("mlp", w, ds.x_test, tolerance=0), ValueError, "tolerance"),
        (lambda w, ds: equivalence.compare_forward("mlp", w, ds.x_test.astype(str)), TypeError, "x must hold numbers"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, steps=0), ValueError, "steps"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, steps=2.5), TypeError, "steps"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, optimizer="rmsprop"), ValueError,
         "optimizer == 'rmsprop', must be one of"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, epsilon={"Keras": 1e-7}),
         ValueError, "must name exactly"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, match_epsilon="yes"), TypeError,
         "True or False"),
        (lambda w, ds: equivalence.train_curves("mlp", w, ds.x_train, ds.y_train, batch_size=0), ValueError,
         "batch_size"),
        (lambda w, ds: equivalence.run_steps("jax", None, ds.x_train, ds.y_train, []), ValueError, "framework"),
    ],
)
def test_equivalence_rejects_bad_input(call, error, words, digits):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call(models.init_weights("mlp"), digits)


def test_equivalence_full_float32_turns_tensorfloat32_off():
    import tensorflow as tf
    import torch

    equivalence.full_float32()
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32


def test_equivalence_report_fails_on_nan_and_refuses_mismatched_shapes():
    good = {"loss": np.array([1.0, 2.0])}
    bad = {"loss": np.array([1.0, np.nan])}
    nan = equivalence.Agreement("nan", {"Keras": good, "TensorFlow": good, "PyTorch": bad})
    assert not nan.passed and nan.max_diff == np.inf
    flipped = equivalence.Agreement("shapes", {"Keras": {"loss": np.zeros((3, 1))},
                                               "PyTorch": {"loss": np.zeros((1, 3))}})
    with pytest.raises(ValueError, match=r"shapes \(3, 1\) and \(1, 3\) differ"):
        flipped.largest()


def test_check_models_runs_each_framework_and_catches_the_numpy_reference(digits, capsys):
    import keras
    import tensorflow as tf
    import torch

    weights = models.init_weights("mlp")
    x = digits.x_test[:8]
    expected = equivalence.dense_stack(weights, x)
    assert np.allclose(expected, models.keras_model("mlp", weights)(x), atol=1e-5)
    right = {"Keras": models.keras_model("mlp", weights), "TensorFlow": models.tf_model("mlp", weights),
             "PyTorch": models.torch_model("mlp", weights)}
    assert equivalence.check_models("1: models", right, weights, x)
    assert capsys.readouterr().out.strip() == "Exercise 1: models: correct"

    def reference(_):
        return expected

    wrong = [
        ({**right, "PyTorch": reference}, "returned a ndarray, not a torch tensor"),
        ({**right, "TensorFlow": lambda t: tf.zeros((8, 10))}, "['TensorFlow'] none of the values is right"),
        ({**right, "Keras": keras.Sequential([keras.Input((3,)), keras.layers.Dense(10)])}, "raised"),
        ({"Keras": right["Keras"]}, "one model for each of"),
        ([1, 2], "got list"),
        (..., "replace the `...`"),
        ({**right, "PyTorch": torch.nn.Linear(64, 10)}, "['PyTorch'] none of the values is right"),
    ]
    for answer, words in wrong:
        assert not equivalence.check_models("1: models", answer, weights, x, hint="load weights3")
        out = capsys.readouterr().out
        assert words in out and "not yet" in out and "Hint: load weights3" in out, out
